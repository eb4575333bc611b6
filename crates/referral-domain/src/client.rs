//! [`WixReferralClient`]: one client for the five services, built from the environment or a
//! builder.

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use referral_api::types::WixError;
use referral_api::{ResponseValue, transport::Sender};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::auth::{Auth, Credentials, Secret};
use crate::error::{ApiError, DecodeError, Error, FieldViolation, InvalidInput};
use crate::rate_limit::ClientRateLimiter;
use crate::retry::RetryPolicy;
use crate::transport::{CallLog, CallTransport};
use referral_api::operations::Operation;

/// The Wix Referral Program client: implements [`crate::ReferralPrograms`],
/// [`crate::ReferringCustomers`], [`crate::ReferredFriends`], [`crate::ReferralRewards`] and
/// [`crate::ReferralTracker`]. Cheap to clone; clones share connections, the token cache and the
/// rate limiter.
#[derive(Clone)]
pub struct WixReferralClient {
    core: Arc<Core>,
    /// What this handle changes of the client's settings ([`WixReferralClient::with_retries`]
    /// and friends).
    settings: CallSettings,
}

/// The settings a call runs with: the client's, or a handle's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CallSettings {
    pub retry: RetryPolicy,
    pub attempt_timeout: Option<Duration>,
    pub overall_timeout: Option<Duration>,
}

pub(crate) struct Core {
    pub base_url: String,
    pub http: reqwest::Client,
    pub credentials: Credentials,
    pub rate_limiter: Option<ClientRateLimiter>,
    /// The largest response body read (API and token endpoint).
    pub max_response_bytes: u64,
    pub stats: Counters,
}

/// What a client has done so far (shared by its clones): see [`WixReferralClient::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientStats {
    /// Logical calls.
    pub calls: u64,
    /// Requests sent (attempts), first attempts included.
    pub attempts: u64,
    /// Attempts after a failure: `attempts - calls`, less token refreshes.
    pub retries: u64,
    /// Attempts after a 401, with a fresh app token.
    pub token_refreshes: u64,
    /// Writes whose replay found the first, lost attempt applied, settled by reading.
    pub settled_by_reading: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    calls: std::sync::atomic::AtomicU64,
    attempts: std::sync::atomic::AtomicU64,
    retries: std::sync::atomic::AtomicU64,
    token_refreshes: std::sync::atomic::AtomicU64,
    settled_by_reading: std::sync::atomic::AtomicU64,
}

impl Counters {
    fn bump(counter: &std::sync::atomic::AtomicU64) {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn attempt(&self) {
        Self::bump(&self.attempts);
    }

    pub(crate) fn retry(&self) {
        Self::bump(&self.retries);
    }

    pub(crate) fn token_refresh(&self) {
        Self::bump(&self.token_refreshes);
    }

    pub(crate) fn settled(&self) {
        Self::bump(&self.settled_by_reading);
    }

    fn snapshot(&self) -> ClientStats {
        let read = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        ClientStats {
            calls: read(&self.calls),
            attempts: read(&self.attempts),
            retries: read(&self.retries),
            token_refreshes: read(&self.token_refreshes),
            settled_by_reading: read(&self.settled_by_reading),
        }
    }
}

impl fmt::Debug for WixReferralClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = &self.core;
        f.debug_struct("WixReferralClient")
            .field("base_url", &core.base_url)
            .field("credentials", &core.credentials)
            .field("retry", &self.settings.retry)
            .field("attempt_timeout", &self.settings.attempt_timeout)
            .field("overall_timeout", &self.settings.overall_timeout)
            .field("rate_limited", &core.rate_limiter.is_some())
            .finish()
    }
}

/// `url` with anything between `://` and `@` in its authority masked: text a user gave as a
/// URL may carry a password even when it does not parse.
pub(crate) fn redact_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end], &url[scheme_end + at..]).into(),
        None => url.into(),
    }
}

/// The documented rate limit of an app instance (docs/decisions.md item 24).
pub const WIX_RATE_LIMIT_PER_MINUTE: u32 = 200;

/// The default bound of a response body: 16 MiB, far above any Wix page (at most 100 items of a
/// few KiB each).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// How [`WixReferralClient`] is set up. Defaults: `https://www.wixapis.com`, connect timeout
/// 10 s, 30 s per attempt, 90 s per call, [`RetryPolicy::default`], no client-side rate limit,
/// response bodies up to [`DEFAULT_MAX_RESPONSE_BYTES`], no redirects followed.
#[derive(Clone)]
pub struct WixReferralClientBuilder {
    base_url: String,
    auth: Option<Auth>,
    connect_timeout: Duration,
    attempt_timeout: Option<Duration>,
    overall_timeout: Option<Duration>,
    retry: RetryPolicy,
    rate_limit_per_minute: Option<u32>,
    max_response_bytes: u64,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for WixReferralClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WixReferralClientBuilder")
            .field("base_url", &redact_userinfo(&self.base_url))
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("overall_timeout", &self.overall_timeout)
            .field("retry", &self.retry)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for WixReferralClientBuilder {
    fn default() -> Self {
        Self {
            base_url: referral_api::WIX_BASE_URL.to_owned(),
            auth: None,
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Some(Duration::from_secs(30)),
            overall_timeout: Some(Duration::from_secs(90)),
            retry: RetryPolicy::default(),
            rate_limit_per_minute: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http: None,
        }
    }
}

impl WixReferralClientBuilder {
    /// Where the API is: Wix's by default, or an emulator's `http://127.0.0.1:PORT`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Who the client calls as (required).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The limit of opening a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The limit of one attempt, the whole body included.
    pub fn attempt_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The limit of one call, retries and their waits included.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.overall_timeout = timeout;
        self
    }

    /// Retries apply only where a replay is safe for the operation (its class in
    /// [`referral_api::operations`]).
    pub fn retries(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Waits before sending so that no more than `per_minute` requests (attempts) go out per
    /// minute; [`WIX_RATE_LIMIT_PER_MINUTE`] is Wix's documented limit. Off by default.
    pub fn rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.rate_limit_per_minute = Some(per_minute);
        self
    }

    /// The largest response body the client reads, from the API or the token endpoint; a
    /// larger one ends the call with [`Error::ResponseTooLarge`] as soon as it is known (from
    /// `Content-Length`, or while reading), so a call never holds more than this bound.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Sends with this `reqwest::Client` (proxies, custom TLS). The connect timeout set here is
    /// then that client's business. Build it with `redirect(reqwest::redirect::Policy::none())`:
    /// the client refuses any redirect it sees, but one that `http` followed by itself has
    /// already carried the request (and, for the token request, the app secret) there.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the settings and builds the client; every problem is reported at once, naming
    /// its setting (a base URL that does not parse or carries credentials, missing auth, a zero
    /// bound).
    pub fn build(self) -> Result<WixReferralClient, Error> {
        let mut violations = Vec::new();
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        match reqwest::Url::parse(&base_url) {
            Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                violations.push(FieldViolation::new(
                    "base_url",
                    format!(
                        "must not carry credentials (user:password@), got {:?}",
                        redact_userinfo(&base_url)
                    ),
                ));
            }
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => violations.push(FieldViolation::new(
                "base_url",
                format!(
                    "expected an http(s) URL, got {:?}",
                    redact_userinfo(&base_url)
                ),
            )),
        }
        if self.auth.is_none() {
            violations.push(FieldViolation::new(
                "auth",
                "credentials are required: Auth::api_key, Auth::app or Auth::access_token",
            ));
        }
        let quota = match self.rate_limit_per_minute {
            None => None,
            Some(n) => match NonZeroU32::new(n) {
                Some(n) => Some(ClientRateLimiter::per_minute(n)),
                None => {
                    violations.push(FieldViolation::new(
                        "rate_limit_per_minute",
                        "must be at least 1 (leave it unset for no limit)",
                    ));
                    None
                }
            },
        };
        if self.retry.max_attempts == 0 {
            violations.push(FieldViolation::new(
                "retries.max_attempts",
                "must be at least 1",
            ));
        }
        if let Some(invalid) = InvalidInput::from_violations(violations) {
            return Err(invalid.into());
        }
        let auth = self
            .auth
            .ok_or_else(|| InvalidInput::new("auth", "credentials are required"))?;
        let credentials = Credentials::new(auth, &base_url)?;
        let http = match self.http {
            Some(http) => http,
            None => {
                #[cfg(feature = "rustls-ring")]
                referral_api::tls::install_ring_provider();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    // Wix does not redirect; a redirect is refused, never followed.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("wix-referral-rust/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| InvalidInput::new("http_client", e.to_string()))?
            }
        };
        Ok(WixReferralClient {
            settings: CallSettings {
                retry: self.retry,
                attempt_timeout: self.attempt_timeout,
                overall_timeout: self.overall_timeout,
            },
            core: Arc::new(Core {
                credentials,
                base_url,
                http,
                rate_limiter: quota,
                max_response_bytes: self.max_response_bytes,
                stats: Counters::default(),
            }),
        })
    }
}

impl WixReferralClient {
    /// A builder with the defaults: `https://www.wixapis.com`, [`RetryPolicy::default`], 30 s
    /// per attempt and 90 s per call, 10 s to connect, a 16 MiB response bound, no client-side
    /// rate limit (the crate README's "Defaults" lists them all).
    pub fn builder() -> WixReferralClientBuilder {
        WixReferralClientBuilder::default()
    }

    /// From the environment: `WIX_API_KEY` with `WIX_SITE_ID` or `WIX_ACCOUNT_ID` (not both);
    /// or an app's `WIX_APP_ID`, `WIX_APP_SECRET` and `WIX_INSTANCE_ID`; or `WIX_ACCESS_TOKEN`.
    /// `WIX_BASE_URL` is optional.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`Self::from_env`] over any source of variables (a test's map, a config file).
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        builder_from_vars(var)?.build()
    }

    /// The base URL the client calls (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.core.base_url
    }

    /// A handle whose calls retry by `policy` instead (for one call or a group of calls); it
    /// shares everything else with this client: connections, the token cache, the rate limiter
    /// and the statistics. Cheap: no connection or token is made.
    #[must_use]
    pub fn with_retries(&self, policy: RetryPolicy) -> Self {
        let mut handle = self.clone();
        handle.settings.retry = policy;
        handle
    }

    /// A handle whose calls have `timeout` overall (retries and waits included; `None`: no
    /// limit), sharing everything else as [`Self::with_retries`] does.
    #[must_use]
    pub fn with_timeout(&self, timeout: Option<Duration>) -> Self {
        let mut handle = self.clone();
        handle.settings.overall_timeout = timeout;
        handle
    }

    /// A handle whose attempts each have `timeout` (the whole body included), sharing
    /// everything else as [`Self::with_retries`] does.
    #[must_use]
    pub fn with_attempt_timeout(&self, timeout: Option<Duration>) -> Self {
        let mut handle = self.clone();
        handle.settings.attempt_timeout = timeout;
        handle
    }

    /// The retry policy this handle's calls use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// Counts of calls, attempts, retries, token refreshes and settled replays so far, for this
    /// client and its clones.
    pub fn stats(&self) -> ClientStats {
        self.core.stats.snapshot()
    }

    /// A 404 from Wix itself on an operation whose path is inferred says more about the path
    /// than about the data (docs/decisions.md item 2). An emulator or proxy elsewhere knows its
    /// paths, so its 404 stays a 404.
    fn unverified_path(&self, operation: &Operation, error: Error) -> Error {
        let on_wix = reqwest::Url::parse(&self.core.base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
            .is_some_and(|host| host == "wixapis.com" || host.ends_with(".wixapis.com"));
        match error {
            Error::NotFound(api) if operation.path_inferred && on_wix => {
                Error::UnverifiedPath { api }
            }
            error => error,
        }
    }

    pub(crate) fn count_settled(&self) {
        self.core.stats.settled();
    }

    /// Runs one logical call of `operation` through the generated client: attempts, retries
    /// and their tracing in [`CallTransport`], the overall timeout and the error mapping here.
    /// Returns whether an earlier attempt may have been applied unseen, for [`Replay::Settle`].
    pub(crate) async fn call<T, F, Fut>(&self, operation: &'static Operation, send: F) -> Called<T>
    where
        T: DeserializeOwned,
        F: FnOnce(referral_api::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, referral_api::Error<WixError>>>,
    {
        let described = operation;
        let operation = operation.id;
        Counters::bump(&self.core.stats.calls);
        let log = Arc::new(Mutex::new(CallLog::default()));
        let transport = CallTransport {
            core: self.core.clone(),
            log: log.clone(),
            settings: self.settings.clone(),
            deadline: self
                .settings
                .overall_timeout
                .map(|limit| tokio::time::Instant::now() + limit),
        };
        let api = referral_api::Client::new_with_client(
            &self.core.base_url,
            self.core.http.clone(),
            Sender::through(Arc::new(transport)),
        );
        let span = tracing::info_span!(
            "wix_referral.call",
            operation,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let sent = send(api).instrument(span.clone());
        let result = match self.settings.overall_timeout {
            Some(limit) => tokio::time::timeout(limit, sent).await.ok(),
            None => Some(sent.await),
        };
        let mut log = std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()));
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        span.record("attempts", log.attempts);
        if let Some(status) = log.status {
            span.record("status", status);
        }
        if let Some(id) = &log.request_id {
            span.record("request_id", id.as_str());
        }
        let result = match result {
            None => Err(Error::Timeout {
                operation,
                elapsed: started.elapsed(),
                attempts: log.attempts,
            }),
            Some(Ok(value)) => Ok(value.into_inner()),
            Some(Err(error)) => {
                let error = map_error::<T>(operation, error, &mut log);
                let error = self.unverified_path(described, error);
                let token = log.token.as_ref().map(Secret::expose);
                let mut secrets = self.core.credentials.secrets();
                secrets.extend(token);
                Err(error.redact(&secrets))
            }
        };
        Called {
            result,
            earlier_effect_unknown: log.earlier_effect_unknown,
        }
    }
}

/// The result of one logical call, and whether an attempt before the last may have been
/// applied although its answer was lost.
pub(crate) struct Called<T> {
    pub result: Result<T, Error>,
    pub earlier_effect_unknown: bool,
}

impl<T> Called<T> {
    /// Maps the answer, keeping what is known about earlier attempts.
    pub(crate) fn and_then<U>(self, f: impl FnOnce(T) -> Result<U, Error>) -> Called<U> {
        Called {
            result: self.result.and_then(f),
            earlier_effect_unknown: self.earlier_effect_unknown,
        }
    }

    /// The one place a write is settled after a lost answer. When an attempt before the last
    /// may have been applied unseen and the last one failed in a way that our own first attempt
    /// would explain (`may_be_ours`: a 409 on an update, a 404 on a delete…), `applied_read`
    /// reads the entity again and returns what the write produced if it finds it applied. The
    /// call then succeeds (counted in [`ClientStats::settled_by_reading`]); otherwise, or when
    /// the read fails, the last attempt's error stands.
    pub(crate) async fn settle<Fut>(
        self,
        client: &WixReferralClient,
        operation: &'static Operation,
        may_be_ours: impl FnOnce(&Error) -> bool,
        applied_read: impl FnOnce() -> Fut,
    ) -> Result<T, Error>
    where
        Fut: Future<Output = Option<T>>,
    {
        match self.result {
            Err(e) if self.earlier_effect_unknown && may_be_ours(&e) => {
                match applied_read().await {
                    Some(settled) => {
                        tracing::info!(
                            operation = operation.id,
                            "a replayed write had been applied; settled by reading"
                        );
                        client.count_settled();
                        Ok(settled)
                    }
                    None => Err(e),
                }
            }
            result => result,
        }
    }
}

impl<T> Called<T> {
    /// [`Called::settle`] for a revision-guarded delete: a 404 or 409 on a replay is our own
    /// delete's doing when `read_again` finds the entity gone.
    pub(crate) async fn settle_delete<R, Fut>(
        self,
        client: &WixReferralClient,
        operation: &'static Operation,
        read_again: impl FnOnce() -> Fut,
    ) -> Result<(), Error>
    where
        Fut: Future<Output = Result<R, Error>>,
    {
        self.and_then(|_| Ok(()))
            .settle(
                client,
                operation,
                |e| e.is_not_found() || e.is_revision_conflict(),
                || async move {
                    matches!(read_again().await, Err(gone) if gone.is_not_found()).then_some(())
                },
            )
            .await
    }
}

fn builder_from_vars(
    var: impl Fn(&str) -> Option<String>,
) -> Result<WixReferralClientBuilder, Error> {
    let mut builder = WixReferralClient::builder();
    if let Some(url) = var("WIX_BASE_URL") {
        builder = builder.base_url(url);
    }
    let auth = if let Some(key) = var("WIX_API_KEY") {
        match (var("WIX_SITE_ID"), var("WIX_ACCOUNT_ID")) {
            (Some(site), None) => Auth::api_key(key, site),
            (None, Some(account)) => Auth::api_key_for_account(key, account),
            (Some(_), Some(_)) => {
                return Err(InvalidInput::new(
                    "WIX_SITE_ID",
                    "set WIX_SITE_ID or WIX_ACCOUNT_ID, not both (Wix rejects both)",
                )
                .into());
            }
            (None, None) => {
                return Err(InvalidInput::new(
                    "WIX_SITE_ID",
                    "WIX_API_KEY needs WIX_SITE_ID (or WIX_ACCOUNT_ID)",
                )
                .into());
            }
        }
    } else if let Some(app_id) = var("WIX_APP_ID") {
        let missing: Vec<FieldViolation> = ["WIX_APP_SECRET", "WIX_INSTANCE_ID"]
            .into_iter()
            .filter(|name| var(name).is_none())
            .map(|name| FieldViolation::new(name, "required with WIX_APP_ID"))
            .collect();
        if let Some(invalid) = InvalidInput::from_violations(missing) {
            return Err(invalid.into());
        }
        Auth::app(
            app_id,
            var("WIX_APP_SECRET").unwrap_or_default(),
            var("WIX_INSTANCE_ID").unwrap_or_default(),
        )
    } else if let Some(token) = var("WIX_ACCESS_TOKEN") {
        Auth::access_token(token)
    } else {
        return Err(InvalidInput::new(
            "WIX_API_KEY",
            "no credentials in the environment: set WIX_API_KEY and WIX_SITE_ID, or WIX_APP_ID, \
             WIX_APP_SECRET and WIX_INSTANCE_ID, or WIX_ACCESS_TOKEN",
        )
        .into());
    };
    Ok(builder.auth(auth))
}

/// The generated client's error, with what the attempts recorded, as one [`Error`].
fn map_error<T: DeserializeOwned>(
    operation: &'static str,
    error: referral_api::Error<WixError>,
    log: &mut CallLog,
) -> Error {
    if let Some(failure) = log.failure.take() {
        return failure;
    }
    use referral_api::Error as E;
    match error {
        E::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let envelope = response.into_inner();
            classify(api_error(operation, status, Some(envelope), log), log)
        }
        E::InvalidResponsePayload(body, _) => match log.status {
            // An error status whose body is empty or not the envelope (Wix's empty 5xx, a
            // proxy's HTML page): the status is what matters.
            Some(status) if status >= 400 => {
                let mut api = api_error(operation, status, None, log);
                if !body.is_empty() {
                    api.message = DecodeError::excerpt(&body);
                }
                classify(api, log)
            }
            status => Error::Decode(decode_error::<T>(
                operation,
                status.unwrap_or(200),
                &body,
                log.request_id.clone(),
            )),
        },
        E::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            classify(api_error(operation, status, None, log), log)
        }
        E::CommunicationError(source)
        | E::ResponseBodyError(source)
        | E::InvalidUpgrade(source) => Error::Transport {
            operation,
            request_sent: log.last_request_sent || !source.is_connect(),
            source: source.without_url(),
        },
        E::InvalidRequest(message) | E::Custom(message) => {
            InvalidInput::new(operation, message).into()
        }
    }
}

fn api_error(
    operation: &'static str,
    status: u16,
    envelope: Option<WixError>,
    log: &CallLog,
) -> ApiError {
    let envelope = envelope.unwrap_or_default();
    let details = envelope.details.unwrap_or_default();
    let application = details.application_error.unwrap_or_default();
    let field_violations = details
        .validation_error
        .map(|v| v.field_violations)
        .unwrap_or_default()
        .into_iter()
        .map(|v| FieldViolation {
            field: v.field.unwrap_or_default(),
            description: v.description.unwrap_or_default(),
            rule: v.violated_rule.or(v.rule_name),
        })
        .collect();
    ApiError {
        operation,
        status,
        message: envelope.message.unwrap_or_default(),
        code: application.code,
        description: application.description,
        field_violations,
        request_id: log.request_id.clone(),
    }
}

fn classify(api: ApiError, log: &CallLog) -> Error {
    match api.status {
        429 => Error::rate_limited(log.retry_after, api),
        _ => Error::from(api),
    }
}

/// Decodes `body` again, as `T`, to find the JSON path that fails.
fn decode_error<T: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: &[u8],
    request_id: Option<String>,
) -> DecodeError {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) => (e.path().to_string(), e.inner().to_string()),
        Ok(_) => (
            ".".to_owned(),
            "the body decodes on a second reading".to_owned(),
        ),
    };
    DecodeError {
        operation,
        status,
        path,
        message,
        excerpt: DecodeError::excerpt(body),
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_environment_names_what_is_missing_or_contradictory() {
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Vars<'_>, Option<&str>); 7] = [
            (&[("WIX_API_KEY", "k"), ("WIX_SITE_ID", "s")], None),
            (&[("WIX_API_KEY", "k"), ("WIX_ACCOUNT_ID", "a")], None),
            (&[("WIX_API_KEY", "k")], Some("WIX_SITE_ID")),
            (
                &[
                    ("WIX_API_KEY", "k"),
                    ("WIX_SITE_ID", "s"),
                    ("WIX_ACCOUNT_ID", "a"),
                ],
                Some("WIX_SITE_ID"),
            ),
            (
                &[("WIX_APP_ID", "a"), ("WIX_INSTANCE_ID", "i")],
                Some("WIX_APP_SECRET"),
            ),
            (
                &[("WIX_ACCESS_TOKEN", "t"), ("WIX_BASE_URL", "ftp://x")],
                Some("base_url"),
            ),
            (&[], Some("WIX_API_KEY")),
        ];
        for (pairs, field) in cases {
            let result = WixReferralClient::from_env_with(vars(pairs));
            match field {
                None => assert!(result.is_ok(), "{pairs:?}: {result:?}"),
                Some(field) => {
                    let err = result.unwrap_err();
                    assert_eq!(err.field_violations()[0].field, field, "{pairs:?}: {err}");
                }
            }
        }
    }

    #[test]
    fn the_builder_refuses_bad_settings_by_name_and_debug_hides_secrets() {
        let err = WixReferralClient::builder()
            .rate_limit_per_minute(0)
            .build()
            .unwrap_err();
        let fields: Vec<&str> = err
            .field_violations()
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["auth", "rate_limit_per_minute"]);
        let builder = WixReferralClient::builder().auth(Auth::app("app", "hush-secret", "inst"));
        let client = builder
            .clone()
            .base_url("http://127.0.0.1:1/")
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
        for text in [format!("{builder:?}"), format!("{client:?}")] {
            assert!(!text.contains("hush-secret"), "{text}");
        }
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::redact_userinfo;

    #[test]
    fn userinfo_is_masked_even_in_urls_that_do_not_parse() {
        let cases = [
            ("https://www.wixapis.com", "https://www.wixapis.com"),
            (
                "https://u:secret@h.example/p@x",
                "https://***@h.example/p@x",
            ),
            ("http://secret@h", "http://***@h"),
            ("http://u:p@ss@h:99?q=@", "http://***@h:99?q=@"),
            ("ht!tp://u:secret@bad host", "ht!tp://***@bad host"),
            ("not a url at all", "not a url at all"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_userinfo(url), shown, "{url}");
        }
    }
}
