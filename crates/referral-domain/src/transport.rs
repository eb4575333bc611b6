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
use referral_api::operations;
use referral_api::transport::{BoxFuture, Transport};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tracing::Instrument;

use crate::auth::Secret;
use crate::client::{CallSettings, Core};
use crate::error::{Error, InvalidInput};
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
    /// The app token the last attempt sent, to mask if a server echoes it.
    pub token: Option<Secret>,
}

pub(crate) struct CallTransport {
    pub core: Arc<Core>,
    pub log: Arc<Mutex<CallLog>>,
    /// The retries and timeouts of the handle that made the call.
    pub settings: CallSettings,
    /// When the call's overall time limit runs out: no wait is started that would end past it.
    pub deadline: Option<tokio::time::Instant>,
}

/// An attempt whose response the call refuses to use: the call ends with this error.
enum Refused {
    Redirected { status: u16, location: String },
    TooLarge { status: u16, limit: u64 },
}

impl Refused {
    fn into_error(self, operation: &'static str) -> Error {
        match self {
            Refused::Redirected { status, location } => Error::Redirected {
                operation,
                status,
                location,
            },
            Refused::TooLarge { status, limit } => Error::ResponseTooLarge {
                operation,
                status,
                limit,
            },
        }
    }
}

impl CallTransport {
    fn record(&self, update: impl FnOnce(&mut CallLog)) {
        // A poisoned log only means another thread panicked mid-update; the data is still usable.
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        update(&mut log);
    }

    /// Ends the call with `error` (the client reads it from the log).
    fn fail(&self, error: Error) -> reqwest::Result<reqwest::Response> {
        self.record(|log| log.failure = Some(error));
        Ok(synthetic_failure())
    }

    async fn run(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let core = &self.core;
        // The operation the generated client names decides how it may be replayed; one the
        // table does not know (it cannot happen: a test ties the two) is never replayed.
        let replay = operations::by_id(operation).map_or(Replay::Never, |op| op.replay);
        let mut attempt = 0u32;
        let mut rejected: Option<Secret> = None;
        let mut refreshed = false;
        let mut effect_unknown = false;
        loop {
            attempt += 1;
            if let Some(limiter) = &core.rate_limiter {
                limiter.until_ready().await;
            }
            // JSON bodies are bytes, so every request the generated client builds clones. One
            // that did not would go out without credentials, limits or statistics: refuse it.
            let Some(mut this_attempt) = request.try_clone() else {
                return self.fail(
                    InvalidInput::new(operation, "the request body cannot be replayed").into(),
                );
            };
            let fetch = TokenFetch {
                http,
                operation,
                retry: &self.settings.retry,
                max_body: core.max_response_bytes,
                deadline: self.deadline,
            };
            let token = match core
                .credentials
                .apply(this_attempt.headers_mut(), &fetch, rejected.as_ref())
                .await
            {
                Ok(token) => token,
                Err(error) => return self.fail(error),
            };
            self.record(|log| log.token.clone_from(&token));
            if let Some(timeout) = self.settings.attempt_timeout {
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
            let sent_to = this_attempt.url().clone();
            let result = send_buffered(http, this_attempt, &sent_to, core.max_response_bytes)
                .instrument(span.clone())
                .await;
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            let result = match result {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(refused)) => return self.fail(refused.into_error(operation)),
                Err(error) => Err(error),
            };

            let outcome = match &result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let request_id = header_text(response.headers(), REQUEST_ID_HEADER);
                    span.record("status", status);
                    if let Some(id) = &request_id {
                        span.record("request_id", id.as_str());
                    }
                    let retry_after = retry_after(response.headers(), std::time::SystemTime::now());
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
            let decision = self.settings.retry.decide(
                replay,
                &outcome,
                attempt,
                rand::thread_rng().r#gen::<f64>(),
                remaining(self.deadline),
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

/// What is left of a call's time before `deadline`.
pub(crate) fn remaining(deadline: Option<tokio::time::Instant>) -> Option<Duration> {
    deadline.map(|deadline| deadline.saturating_duration_since(tokio::time::Instant::now()))
}

/// What the token request needs from the call that waits for it.
pub(crate) struct TokenFetch<'a> {
    pub http: &'a reqwest::Client,
    pub operation: &'static str,
    pub retry: &'a crate::retry::RetryPolicy,
    pub max_body: u64,
    pub deadline: Option<tokio::time::Instant>,
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

/// Sends and reads the whole body, at most `limit` bytes of it, so that a connection that
/// breaks mid-body is a failed attempt (and can be retried) rather than a failure after the
/// call returned, and so that no server can make a call hold more than the bound.
async fn send_buffered(
    http: &reqwest::Client,
    request: reqwest::Request,
    sent_to: &reqwest::Url,
    limit: u64,
) -> reqwest::Result<Result<reqwest::Response, Refused>> {
    let mut response = http.execute(request).await?;
    if let Some(refused) = redirect_of(sent_to, &response) {
        return Ok(Err(refused));
    }
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let body = match read_bounded(response, limit).await? {
        Ok(body) => body,
        Err(TooLarge) => {
            return Ok(Err(Refused::TooLarge {
                status: status.as_u16(),
                limit,
            }));
        }
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(Ok(reqwest::Response::from(rebuilt)))
}

/// A body went past its bound.
pub(crate) struct TooLarge;

/// Reads `response`'s body, refusing it as soon as it is known to exceed `limit` bytes: from
/// its `Content-Length` before reading, or while reading. With a declared length the body is
/// read into one buffer of that size (memory: the body plus one chunk); without one, the chunks
/// are kept as they arrive and joined once at the end (a body of one chunk is not copied). A
/// refused body never costs more than `limit` plus one chunk.
pub(crate) async fn read_bounded(
    mut response: reqwest::Response,
    limit: u64,
) -> reqwest::Result<Result<bytes::Bytes, TooLarge>> {
    match response.content_length() {
        Some(length) if length > limit => return Ok(Err(TooLarge)),
        Some(length) => {
            // A server that sends more than it declared is still held to the bound.
            let mut body = bytes::BytesMut::with_capacity(length as usize);
            while let Some(chunk) = response.chunk().await? {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Ok(Err(TooLarge));
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Ok(body.freeze()));
        }
        None => {}
    }
    let mut chunks: Vec<bytes::Bytes> = Vec::new();
    let mut total: u64 = 0;
    while let Some(chunk) = response.chunk().await? {
        total += chunk.len() as u64;
        if total > limit {
            return Ok(Err(TooLarge));
        }
        chunks.push(chunk);
    }
    Ok(Ok(match chunks.len() {
        0 => bytes::Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => {
            let mut body = bytes::BytesMut::with_capacity(total as usize);
            for chunk in chunks.drain(..) {
                body.extend_from_slice(&chunk);
            }
            body.freeze()
        }
    }))
}

/// A redirect (3xx), or a response from another origin than the request's (a user's
/// `reqwest::Client` that follows redirects): refused, naming where it pointed without the
/// query or credentials.
fn redirect_of(sent_to: &reqwest::Url, response: &reqwest::Response) -> Option<Refused> {
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map_or_else(
                || "(no Location)".to_owned(),
                |to| shown_location(sent_to, to),
            );
        return Some(Refused::Redirected {
            status: status.as_u16(),
            location,
        });
    }
    (response.url().origin() != sent_to.origin()).then(|| Refused::Redirected {
        status: status.as_u16(),
        location: shown_location(sent_to, response.url().as_str()),
    })
}

/// Where a redirect pointed, resolved against the request and shown without userinfo, query
/// or fragment (they may carry credentials); text that is no URL is shown as its length only.
pub(crate) fn shown_location(base: &reqwest::Url, location: &str) -> String {
    match base.join(location) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => format!("(an unreadable location of {} bytes)", location.len()),
    }
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

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 §10.2.3), the wait from `now`; a date
/// in the past is no wait. Anything else is ignored.
pub(crate) fn retry_after(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        // 2015-10-21 07:28:00 UTC.
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        let cases = [
            (Some("3"), Some(Duration::from_secs(3))),
            (Some(" 0 "), Some(Duration::ZERO)),
            (Some("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO)),
            (
                Some("Wed, 21 Oct 2015 07:28:42 GMT"),
                Some(Duration::from_secs(42)),
            ),
            (Some("Wed, 21 Oct 2015 07:27:00 GMT"), Some(Duration::ZERO)),
            (
                Some("Wednesday, 21-Oct-15 07:29:00 GMT"),
                Some(Duration::from_secs(60)),
            ),
            (
                Some("Wed Oct 21 07:28:05 2015"),
                Some(Duration::from_secs(5)),
            ),
            (Some("-1"), None),
            (Some("soon"), None),
            (None, None),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert(RETRY_AFTER, value.parse().unwrap());
            }
            assert_eq!(retry_after(&headers, now), expected, "{value:?}");
        }
    }

    #[test]
    fn a_redirect_is_shown_without_query_credentials_or_fragment() {
        let base = reqwest::Url::parse("https://www.wixapis.com/referral/v1/x?y=1").unwrap();
        let cases = [
            (
                "https://evil.example:8443/steal?secret=s#f",
                "https://evil.example:8443/steal",
            ),
            ("http://user:pass@evil.example/p", "http://evil.example/p"),
            ("/elsewhere?token=t", "https://www.wixapis.com/elsewhere"),
            ("http://[::1", "(an unreadable location of 11 bytes)"),
        ];
        for (location, shown) in cases {
            assert_eq!(shown_location(&base, location), shown, "{location}");
        }
    }
}
