//! The router and the middleware every response passes through (the state they share is
//! `crate::state::Shared`).

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use crate::access;
use crate::durability;
use crate::error::{ApiError, ApiResult};
use crate::routes;
use crate::state::{AppState, CONTROL_KEY_HEADER};

pub(crate) const REQUEST_ID_HEADER: &str = "x-wix-request-id";

pub(crate) type JsonResult = ApiResult<Json<Value>>;

pub(crate) fn router(state: AppState) -> Router {
    let wix = routes::wix_routes()
        .route("/oauth2/token", post(routes::oauth::create_token))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::lenience::attach,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::faults::inject,
        ));
    Router::new()
        .merge(wix)
        .nest(
            "/_emulator/v1",
            routes::control::routes()
                .layer(middleware::from_fn(control_body))
                .layer(middleware::from_fn_with_state(state.clone(), control_guard)),
        )
        .nest(
            "/_emulator/ui",
            crate::inspector::routes()
                .layer(middleware::from_fn(page_policy))
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
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::requests::log_requests,
        ))
        // Outermost: a request for a name the emulator does not answer reaches nothing else.
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .with_state(state)
}

/// Every route answers only the allowed `Host` names (crate::access).
async fn check_host(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match access::host_refusal(
        request.headers(),
        request.uri(),
        &state.settings.allowed_hosts,
    ) {
        Some(refusal) => refusal.into_response(),
        None => next.run(request).await,
    }
}

/// A control request that could change something is JSON: a 415 otherwise (crate::access).
async fn control_body(request: Request, next: Next) -> Response {
    if access::control_body_is_json(request.method(), request.headers()) {
        next.run(request).await
    } else {
        access::not_json(request.headers()).into_response()
    }
}

/// The most an inspector page may weigh before its policy is written (pages are bounded far
/// below this; a larger one is answered as an error rather than sent without a policy).
const PAGE_LIMIT: usize = 64 * 1024 * 1024;

/// An inspector page allows nothing but itself: its own inline styles by hash (crate::access).
async fn page_policy(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, PAGE_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let policy =
        access::content_security_policy(access::inline_styles(&String::from_utf8_lossy(&bytes)));
    if let Ok(value) = HeaderValue::from_str(&policy) {
        parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
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
pub(crate) fn control_allowed(peer: Option<std::net::IpAddr>, allow_remote: bool) -> bool {
    allow_remote || peer.is_none_or(|ip| ip.to_canonical().is_loopback())
}

/// The control API's and the inspector's guard: never framed or sniffed, the user's own pages
/// only, loopback peers only, and the control key when there is one.
async fn control_guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = guarded(&state, request, next).await;
    access::page_headers(response.headers_mut());
    response
}

async fn guarded(state: &AppState, request: Request, next: Next) -> Response {
    if let Some(reason) = access::cross_site(
        request.method(),
        request.headers(),
        &state.settings.allowed_hosts,
    ) {
        return access::cross_site_refusal(&reason).into_response();
    }
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
        Some(key) => {
            request
                .headers()
                .get(CONTROL_KEY_HEADER)
                .is_some_and(|given| given.as_bytes() == key.as_bytes())
                || inspector_cookie(request.headers()) == Some(key.as_str())
        }
    };
    // A browser cannot send the header: the inspector's first link carries the key once
    // (`?key=`), which becomes an HttpOnly, same-site cookie.
    if let Some(key) = &state.settings.control_key
        && key_parameter(request.uri()).is_some_and(|given| given == *key)
    {
        let cookie =
            format!("{INSPECTOR_COOKIE}={key}; Path=/_emulator; HttpOnly; SameSite=Strict");
        let target = without_key(request.uri());
        let mut response = axum::response::Redirect::to(&target).into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
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

/// The cookie that carries the control key for the inspector's pages.
const INSPECTOR_COOKIE: &str = "wix_emulator_control_key";

fn inspector_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(INSPECTOR_COOKIE)?
                .strip_prefix('=')
        })
}

/// The URI's path and query with the `key` parameter left out (the redirect after `?key=`).
fn without_key(uri: &axum::http::Uri) -> String {
    let rest: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("key="))
        .collect();
    if rest.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), rest.join("&"))
    }
}

fn key_parameter(uri: &axum::http::Uri) -> Option<String> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .map(str::to_owned)
}

/// No answer leaves before what it may have seen is durable: a write's own change, and any
/// other write whose effect a read or a create-or-return returned ([`crate::durability`]).
async fn durable(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !state.keeps_store() {
        return next.run(request).await;
    }
    let (response, need) = durability::scoped(next.run(request)).await;
    match state.durable_for(need).await {
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
