//! The attempts of one logical call: credentials, rate limit, per-attempt timeout and tracing,
//! and the retry loop of [`crate::retry`]. It plugs into the generated client as its
//! [`referral_api::transport::Transport`], so the generated code builds and decodes every request
//! while this module decides how often and how it is sent.
//!
//! Each call gets its own `CallTransport`, whose [`CallLog`] the client reads afterwards: the
//! status of the last response (the generated code drops it when a body does not decode) and
//! whether an earlier attempt may have been applied unseen.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use referral_api::transport::{BoxFuture, Transport};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tracing::Instrument;

use crate::auth::Secret;
use crate::client::Core;
use crate::error::Error;
use crate::retry::{AttemptOutcome, Decision, Replay};

/// Response header carrying the id of a call, to quote in Wix support requests.
pub const REQUEST_ID_HEADER: &str = "x-wix-request-id";

/// What the attempts of one call left behind.
#[derive(Debug, Default)]
pub(crate) struct CallLog {
    pub attempts: u32,
    /// The last response's status and request id.
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    /// An attempt before the last one may have been applied although no answer arrived.
    pub earlier_effect_unknown: bool,
    /// The last attempt failed without a response after the request may have been sent.
    pub last_request_sent: bool,
    /// A failure that is not a response (credentials could not be obtained).
    pub failure: Option<Error>,
}

pub(crate) struct CallTransport {
    pub core: Arc<Core>,
    pub replay: Replay,
    pub log: Arc<Mutex<CallLog>>,
}

impl CallTransport {
    fn record(&self, update: impl FnOnce(&mut CallLog)) {
        // A poisoned log only means another thread panicked mid-update; the data is still usable.
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        update(&mut log);
    }

    async fn run(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let core = &self.core;
        let mut attempt = 0u32;
        let mut rejected: Option<Secret> = None;
        let mut refreshed = false;
        let mut effect_unknown = false;
        loop {
            attempt += 1;
            if let Some(limiter) = &core.rate_limiter {
                limiter.until_ready().await;
            }
            // JSON bodies are bytes, so a request always clones; without a body it is trivial.
            let Some(mut this_attempt) = request.try_clone() else {
                return http.execute(request).await;
            };
            let token = match core
                .credentials
                .apply(
                    this_attempt.headers_mut(),
                    http,
                    operation,
                    rejected.as_ref(),
                )
                .await
            {
                Ok(token) => token,
                Err(error) => {
                    self.record(|log| log.failure = Some(error));
                    return Ok(synthetic_failure());
                }
            };
            if let Some(timeout) = core.attempt_timeout {
                *this_attempt.timeout_mut() = Some(timeout);
            }
            core.stats.attempt();
            let span = tracing::info_span!(
                "wix_referral.attempt",
                operation,
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
                outcome = tracing::field::Empty,
            );
            let started = Instant::now();
            let result = send_buffered(http, this_attempt)
                .instrument(span.clone())
                .await;
            span.record("duration_ms", started.elapsed().as_millis() as u64);

            let outcome = match &result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let request_id = header_text(response.headers(), REQUEST_ID_HEADER);
                    span.record("status", status);
                    if let Some(id) = &request_id {
                        span.record("request_id", id.as_str());
                    }
                    let retry_after = retry_after(response.headers());
                    self.record(|log| {
                        log.status = Some(status);
                        log.request_id = request_id;
                        log.retry_after = retry_after;
                        log.last_request_sent = false;
                    });
                    match status {
                        429 => AttemptOutcome::Throttled { retry_after },
                        401 => AttemptOutcome::Unauthorized {
                            can_refresh: core.credentials.refreshable() && !refreshed,
                        },
                        500..=599 => AttemptOutcome::ServerError { status },
                        _ => AttemptOutcome::Answered,
                    }
                }
                Err(error) => {
                    let outcome = if error.is_connect() {
                        AttemptOutcome::NotSent
                    } else {
                        AttemptOutcome::Lost
                    };
                    self.record(|log| {
                        log.status = None;
                        log.request_id = None;
                        log.last_request_sent = outcome == AttemptOutcome::Lost;
                    });
                    outcome
                }
            };
            self.record(|log| {
                log.attempts = attempt;
                log.earlier_effect_unknown = effect_unknown;
            });
            let decision = core.retry.decide(
                self.replay,
                &outcome,
                attempt,
                rand::thread_rng().r#gen::<f64>(),
            );
            span.record("outcome", tracing::field::debug(&outcome));
            match decision {
                Decision::Return => return result,
                Decision::Retry(wait) => {
                    core.stats.retry();
                    tracing::debug!(
                        operation,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        ?outcome,
                        "retrying"
                    );
                    effect_unknown |= outcome.effect_unknown();
                    tokio::time::sleep(wait).await;
                }
                Decision::RefreshAndRetry => {
                    core.stats.token_refresh();
                    tracing::debug!(operation, attempt, "401: refreshing the app token once");
                    refreshed = true;
                    rejected = token;
                }
            }
        }
    }
}

impl Transport for CallTransport {
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(self.run(http, request, operation))
    }
}

/// Sends and reads the whole body, so that a connection that breaks mid-body is a failed attempt
/// (and can be retried) rather than a failure after the call returned.
async fn send_buffered(
    http: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    let mut response = http.execute(request).await?;
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await?;
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

/// A stand-in response for a failure that has none (the call reads [`CallLog::failure`]).
fn synthetic_failure() -> reqwest::Response {
    let mut response = http::Response::new(Vec::<u8>::new());
    *response.status_mut() = http::StatusCode::UNAUTHORIZED;
    reqwest::Response::from(response)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Wix and is ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_only() {
        let cases = [
            (Some("3"), Some(Duration::from_secs(3))),
            (Some(" 0 "), Some(Duration::ZERO)),
            (Some("Wed, 21 Oct 2015 07:28:00 GMT"), None),
            (Some("-1"), None),
            (None, None),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert(RETRY_AFTER, value.parse().unwrap());
            }
            assert_eq!(retry_after(&headers), expected, "{value:?}");
        }
    }
}
