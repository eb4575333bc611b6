//! `POST /oauth2/token`, client credentials (docs/decisions.md item 16). Its errors follow OAuth 2.0
//! (`{error, error_description}`), not the Wix envelope, as Wix documents.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::state::AppState;
use crate::state::Subject;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Reads the body as JSON or as a form: Wix accepts both.
fn fields(headers: &HeaderMap, body: &Bytes) -> Option<Map<String, Value>> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        Some(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_slice::<Value>(body)
            .ok()?
            .as_object()
            .cloned()
    }
}

pub(crate) async fn create_token(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(fields) = fields(&headers, &body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be JSON or a form",
        );
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    match text("grant_type").as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let (Some(client_id), Some(client_secret), Some(instance_id)) = (
        text("client_id"),
        text("client_secret"),
        text("instance_id"),
    ) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id, client_secret and instance_id are required",
        );
    };
    let mut state = app.state.write();
    let site = match state.apps.get(&client_id) {
        Some(installed) if installed.secret == client_secret => {
            if installed.instance_id.to_string() != instance_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the app is not installed on that instance",
                );
            }
            installed.site_id
        }
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "unknown client_id or wrong client_secret",
            );
        }
    };
    let ttl = app.settings.token_ttl;
    let expires_at =
        chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(4));
    let token = state.issue_token(
        site,
        Subject::App(client_id),
        Some(expires_at),
        &mut rand::thread_rng(),
    );
    app.commit(&mut state);
    Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": ttl.as_secs()}))
        .into_response()
}
