//! Wix error envelopes (docs/platform.md §3.1, docs/decisions.md items 22–23).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    pub field: String,
    pub description: String,
    pub violated_rule: String,
}

impl Violation {
    pub fn new(field: &str, description: &str, rule: &str) -> Self {
        Self {
            field: field.to_owned(),
            description: description.to_owned(),
            violated_rule: rule.to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Details {
    None,
    Application { code: String, description: String },
    Validation(Vec<Violation>),
}

/// An error answer of the emulator, rendered as the Wix envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    message: String,
    details: Details,
    retry_after: Option<u64>,
}

/// The message Wix gives for a stale revision (docs/decisions.md item 8).
pub(crate) const REVISION_MISMATCH_MESSAGE: &str =
    "entity has already changed since the requested revision";

impl ApiError {
    /// The error's message, as the envelope carries it.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub fn validation(violations: Vec<Violation>) -> Self {
        let message = violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            status: StatusCode::BAD_REQUEST,
            message,
            details: Details::Validation(violations),
            retry_after: None,
        }
    }

    pub fn invalid(field: &str, description: &str) -> Self {
        Self::validation(vec![Violation::new(field, description, "INVALID_ARGUMENT")])
    }

    pub fn application(status: StatusCode, code: &str, message: &str) -> Self {
        Self {
            status,
            message: message.to_owned(),
            details: Details::Application {
                code: code.to_owned(),
                description: message.to_owned(),
            },
            retry_after: None,
        }
    }

    pub fn unauthenticated(message: &str) -> Self {
        Self::application(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }

    pub fn forbidden(message: &str) -> Self {
        Self::application(StatusCode::FORBIDDEN, "PERMISSION_DENIED", message)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::application(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("{what} {id} not found"),
        )
    }

    pub fn revision_mismatch() -> Self {
        Self::application(
            StatusCode::CONFLICT,
            "REVISION_MISMATCH",
            REVISION_MISMATCH_MESSAGE,
        )
    }

    pub fn precondition(code: &str, message: &str) -> Self {
        Self::application(StatusCode::PRECONDITION_REQUIRED, code, message)
    }

    pub fn too_many_requests(retry_after: Option<u64>) -> Self {
        let mut err = Self::application(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "too many requests",
        );
        err.retry_after = retry_after;
        err
    }

    /// An injected server error: Wix sends system errors with an empty envelope.
    pub fn server(status: StatusCode) -> Self {
        Self {
            status,
            message: String::new(),
            details: Details::None,
            retry_after: None,
        }
    }

    pub fn violations(&self) -> &[Violation] {
        match &self.details {
            Details::Validation(v) => v,
            _ => &[],
        }
    }

    pub fn body(&self) -> Value {
        let details = match &self.details {
            Details::None => json!({}),
            Details::Application { code, description } => {
                json!({"applicationError": {"code": code, "description": description}})
            }
            Details::Validation(violations) => {
                json!({"validationError": {"fieldViolations": violations}})
            }
        };
        json!({"message": self.message, "details": details})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;
