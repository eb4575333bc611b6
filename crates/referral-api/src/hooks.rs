//! The request hooks of the generated client: no `api-version` header (progenitor adds it; Wix
//! does not use it), and each request goes to the client's [`Sender`]: a plugged-in transport, or
//! one plain send inside a tracing span.

use std::time::Instant;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use tracing::Instrument;

use crate::Client;
use crate::transport::Sender;

/// Response header carrying the id of a call, to quote in Wix support requests.
pub(crate) const REQUEST_ID_HEADER: &str = "x-wix-request-id";

impl ClientHooks<Sender> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        request.headers_mut().remove("api-version");
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        if let Some(transport) = self.inner().transport() {
            return transport
                .execute(self.client(), request, info.operation_id)
                .await;
        }
        // Only method and path are recorded: headers carry credentials and never reach a span.
        let span = tracing::debug_span!(
            "wix_request",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .client()
            .execute(request)
            .instrument(span.clone())
            .await;
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        if let Ok(response) = &result {
            span.record("status", response.status().as_u16());
            if let Some(id) = response
                .headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
            {
                span.record("request_id", id);
            }
        }
        result
    }
}
