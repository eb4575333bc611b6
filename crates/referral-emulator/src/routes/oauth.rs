//! `POST /oauth2/token`, client credentials (docs/decisions.md item 16). Its errors follow OAuth 2.0
//! (`{error, error_description}`), not the Wix envelope, as Wix documents.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::state::AppState;
use crate::state::Subject;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The client-credentials request, as a form or as JSON: Wix accepts both. Every field is
/// optional here so that a missing one gets OAuth's `invalid_request`, not a decoding error.
#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    instance_id: Option<String>,
}

/// [`TokenRequest`] from the body, decoded by its content type; a body that is neither is
/// OAuth's `invalid_request`.
pub(crate) struct TokenBody(TokenRequest);

impl<S: Send + Sync> FromRequest<S> for TokenBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let unreadable = || {
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body must be JSON or a form",
            )
        };
        // axum's default body limit (2 MiB) bounds what is read.
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| unreadable())?;
        let decoded = if is_form {
            serde_urlencoded::from_bytes(&body).ok()
        } else {
            serde_json::from_slice(&body).ok()
        };
        decoded.map(TokenBody).ok_or_else(unreadable)
    }
}

pub(crate) async fn create_token(
    State(app): State<AppState>,
    TokenBody(request): TokenBody,
) -> Response {
    match request.grant_type.as_deref() {
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
        request.client_id,
        request.client_secret,
        request.instance_id,
    ) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id, client_secret and instance_id are required",
        );
    };
    let mut state = app.lock_state();
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
