//! The shared application state, the router and the middleware every response passes through.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use parking_lot::{Mutex, RwLock};
use serde_json::{Map, Value};

use crate::auth::{Identity, authenticate};
use crate::error::{ApiError, ApiResult};
use crate::faults::Faults;
use crate::routes;
use crate::site::Site;
use crate::state::{SiteCredentials, State};
use crate::webhooks::{Dispatcher, Signer};

pub const REQUEST_ID_HEADER: &str = "x-wix-request-id";

/// The header that carries the control key, when the emulator has one.
pub const CONTROL_KEY_HEADER: &str = "x-wix-emulator-control-key";

/// Settings that stay fixed while the emulator runs.
#[derive(Clone)]
pub struct Settings {
    /// Lifetime of app OAuth tokens (Wix: 14400 s).
    pub token_ttl: Duration,
    /// Requests per minute per app instance; `None` disables the limit (docs/decisions.md item 24).
    pub rate_limit_per_minute: Option<u32>,
    /// Whether the control API (`/_emulator/v1`, which can read every site's credentials and
    /// reset everything) answers peers outside loopback. Off: only `127.0.0.0/8` and `::1`.
    pub allow_remote_control: bool,
    /// When set, the control API answers only requests that carry this key in
    /// `x-wix-emulator-control-key` (a local server shared by one user's processes).
    pub control_key: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("token_ttl", &self.token_ttl)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("allow_remote_control", &self.allow_remote_control)
            .field(
                "control_key",
                &self.control_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(14_400),
            rate_limit_per_minute: Some(200),
            allow_remote_control: false,
            control_key: None,
        }
    }
}

pub struct Shared {
    pub state: RwLock<State>,
    pub settings: Settings,
    pub default_site: SiteCredentials,
    pub faults: Mutex<Faults>,
    /// Whether any fault rule is set: lets requests skip the faults lock.
    pub faults_armed: AtomicBool,
    pub signer: Signer,
    pub dispatcher: Dispatcher,
    /// The durable store, when the emulator keeps one (`--state FILE`).
    #[cfg(feature = "store")]
    pub(crate) store: Option<crate::store::Store>,
    /// Per app instance (docs/decisions.md item 24): a burst of the whole minute's quota, then an
    /// even refill.
    rate_limiter: Option<DefaultKeyedRateLimiter<String>>,
    request_counter: AtomicU64,
    /// Set by `POST /_emulator/v1/shutdown`; the process that runs the emulator decides.
    shutdown_requested: AtomicBool,
    shutdown_notify: tokio::sync::Notify,
}

pub type AppState = Arc<Shared>;

impl Shared {
    pub fn new(
        state: State,
        settings: Settings,
        default_site: SiteCredentials,
        signer: Signer,
        dispatcher: Dispatcher,
    ) -> Self {
        let rate_limiter = settings
            .rate_limit_per_minute
            .and_then(NonZeroU32::new)
            .map(|per_minute| RateLimiter::keyed(Quota::per_minute(per_minute)));
        Self {
            rate_limiter,
            state: RwLock::new(state),
            settings,
            default_site,
            faults: Mutex::new(Faults::default()),
            faults_armed: AtomicBool::new(false),
            signer,
            dispatcher,
            #[cfg(feature = "store")]
            store: None,
            request_counter: AtomicU64::new(0),
            shutdown_requested: AtomicBool::new(false),
            shutdown_notify: tokio::sync::Notify::new(),
        }
    }

    fn check_rate(&self, identity: &Identity) -> ApiResult<()> {
        let (Some(limiter), Some(key)) = (&self.rate_limiter, identity.rate_key()) else {
            return Ok(());
        };
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Whole seconds, rounded up: a client that waits that long gets through.
            ApiError::too_many_requests(Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)))
        })
    }

    /// Runs a read on the caller's site.
    pub fn read<T>(
        &self,
        headers: &HeaderMap,
        f: impl FnOnce(&Identity, &Site) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let state = self.state.read();
        let identity = authenticate(&state, headers)?;
        self.check_rate(&identity)?;
        let site = state
            .sites
            .get(&identity.site())
            .ok_or_else(|| ApiError::unauthenticated("unknown site"))?;
        f(&identity, site)
    }

    /// Runs a write on the caller's site, then hands its domain events to the webhooks.
    pub fn write<T>(
        &self,
        headers: &HeaderMap,
        f: impl FnOnce(&Identity, &mut Site) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let mut state = self.state.write();
        let identity = authenticate(&state, headers)?;
        self.check_rate(&identity)?;
        let site = state
            .sites
            .get_mut(&identity.site())
            .ok_or_else(|| ApiError::unauthenticated("unknown site"))?;
        let result = f(&identity, site);
        self.after_write(site, Some(&identity));
        let id = site.id;
        state.touch_site(id);
        self.commit(&mut state);
        result
    }

    /// Hands what changed in `state` to the store (a no-op without one). Call it before the
    /// write lock is released: batches must reach the store in the order they were applied.
    pub(crate) fn commit(&self, state: &mut State) {
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            match state.take_batch() {
                Ok(Some(batch)) => store.submit(batch),
                Ok(None) => {}
                Err(error) => {
                    // Rows are plain data; if one ever fails to serialize, the change must not
                    // be acknowledged as durable: the store fails every later wait.
                    store.fail(format!("a change could not be serialized: {error}"));
                }
            }
        }
        #[cfg(not(feature = "store"))]
        let _ = state;
    }

    /// Waits until every change a response may have seen is durable.
    pub(crate) async fn durable(&self) -> Result<(), std::sync::Arc<str>> {
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            return store.wait_durable().await;
        }
        Ok(())
    }

    /// Replaces the fault rules (an empty list disarms injection).
    pub fn set_faults(&self, rules: Vec<crate::faults::FaultRule>, seed: u64) {
        let armed = !rules.is_empty();
        let mut faults = self.faults.lock();
        faults.set(rules, seed);
        self.faults_armed.store(armed, Ordering::Release);
    }

    /// Bookkeeping after any change of a site: the webhook hand-off.
    pub fn after_write(&self, site: &mut Site, caller: Option<&Identity>) {
        if !site.outbox.is_empty() {
            let events = std::mem::take(&mut site.outbox);
            self.dispatcher.dispatch(site, events, &self.signer, caller);
        }
    }

    /// Requests answered so far.
    pub(crate) fn requests_served(&self) -> u64 {
        self.request_counter.load(Ordering::Relaxed)
    }

    pub(crate) fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::Release);
        self.shutdown_notify.notify_waiters();
    }

    /// Resolves once someone asked the emulator to stop.
    pub(crate) async fn shutdown_requested(&self) {
        loop {
            let notified = self.shutdown_notify.notified();
            if self.shutdown_requested.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        let now = chrono::Utc::now();
        format!(
            "{}.{:09}{:09}",
            now.timestamp(),
            now.timestamp_subsec_nanos(),
            n % 1_000_000_000
        )
    }
}

/// A JSON body, or a 400 naming `body` (empty bodies read as `{}`).
pub fn parse_body(body: &Bytes) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("body", &format!("malformed JSON: {e}")))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::invalid("body", "expected a JSON object"))
    }
}

pub type JsonResult = ApiResult<Json<Value>>;

pub fn router(state: AppState) -> Router {
    let wix = routes::wix_routes()
        .route("/oauth2/token", post(routes::oauth::create_token))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::faults::inject,
        ));
    Router::new()
        .merge(wix)
        .nest(
            "/_emulator/v1",
            routes::control::routes()
                .layer(middleware::from_fn_with_state(state.clone(), control_guard)),
        )
        .route(
            "/_emulator/v1/health",
            get(|| async { Json(serde_json::json!({"ok": true})) }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), durable))
        .layer(middleware::from_fn_with_state(state.clone(), request_id))
        .with_state(state)
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::application(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("no method {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::application(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        &format!("{method} is not allowed on {}", uri.path()),
    )
}

/// Whether a peer may use the control API: loopback always, others only when allowed. A request
/// that did not come through the emulator's own listener (no peer known) is local by
/// construction.
pub fn control_allowed(peer: Option<std::net::IpAddr>, allow_remote: bool) -> bool {
    allow_remote || peer.is_none_or(|ip| ip.to_canonical().is_loopback())
}

async fn control_guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<crate::connection::Connection>>()
        .and_then(|info| info.0.peer)
        .map(|addr| addr.ip());
    if !control_allowed(peer, state.settings.allow_remote_control) {
        return ApiError::application(
            StatusCode::FORBIDDEN,
            "CONTROL_API_LOOPBACK_ONLY",
            "the emulator's control API answers loopback peers only (start it with --allow-remote-control)",
        )
        .into_response();
    }
    let key_matches = match &state.settings.control_key {
        None => true,
        Some(key) => request
            .headers()
            .get(CONTROL_KEY_HEADER)
            .is_some_and(|given| given.as_bytes() == key.as_bytes()),
    };
    if key_matches {
        next.run(request).await
    } else {
        ApiError::application(
            StatusCode::UNAUTHORIZED,
            "CONTROL_KEY_REQUIRED",
            "this emulator's control API needs its key in x-wix-emulator-control-key",
        )
        .into_response()
    }
}

/// No answer leaves before what it may have seen is durable: a write's own change, and any
/// other write whose effect a read or a create-or-return could have returned.
async fn durable(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    match state.durable().await {
        Ok(()) => response,
        Err(failure) => ApiError::application(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            &failure,
        )
        .into_response(),
    }
}

/// Every response carries `x-wix-request-id` (docs/decisions.md item 22).
async fn request_id(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let id = state.next_request_id();
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::control_allowed;

    #[test]
    fn the_control_api_answers_loopback_unless_told_otherwise() {
        let cases: [(Option<IpAddr>, bool, bool); 8] = [
            (Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), false, true),
            (Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9))), false, true),
            (Some(IpAddr::V6(Ipv6Addr::LOCALHOST)), false, true),
            (
                Some(IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped())),
                false,
                true,
            ),
            (Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))), false, false),
            (
                Some(IpAddr::V6("2001:db8::1".parse().unwrap())),
                false,
                false,
            ),
            (Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))), true, true),
            (None, false, true),
        ];
        for (peer, allow, expected) in cases {
            assert_eq!(
                control_allowed(peer, allow),
                expected,
                "{peer:?} allow={allow}"
            );
        }
    }
}
