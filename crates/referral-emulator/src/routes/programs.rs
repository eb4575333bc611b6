//! Referral Programs (docs/referral-api.md §1).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::app::{JsonResult, parse_body};
use crate::state::AppState;

pub(crate) async fn get(State(app): State<AppState>, headers: HeaderMap) -> JsonResult {
    app.read(&headers, |_, site| {
        Ok(Json(json!({"referralProgram": site.program.to_json()})))
    })
}

pub(crate) async fn update(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    app.write(&headers, |identity, site| {
        identity.require_admin()?;
        Ok(Json(
            json!({"referralProgram": site.update_program(&body)?}),
        ))
    })
}

pub(crate) async fn activate(State(app): State<AppState>, headers: HeaderMap) -> JsonResult {
    app.write(&headers, |identity, site| {
        identity.require_admin()?;
        Ok(Json(
            json!({"referralProgram": site.set_program_status("ACTIVE")?}),
        ))
    })
}

pub(crate) async fn pause(State(app): State<AppState>, headers: HeaderMap) -> JsonResult {
    app.write(&headers, |identity, site| {
        identity.require_admin()?;
        Ok(Json(
            json!({"referralProgram": site.set_program_status("PAUSED")?}),
        ))
    })
}

pub(crate) async fn get_suggestions(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> JsonResult {
    let topic = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "topic")
                .map(|(_, v)| v)
        });
    // Reading stored suggestions may create the first set, so this takes the write lock.
    app.write(&headers, |_, site| {
        Ok(Json(site.suggestions(topic.as_deref(), false)))
    })
}

pub(crate) async fn generate_suggestions(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let topic = match body.get("topic") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(crate::error::ApiError::invalid(
                "topic",
                "expected a string",
            ));
        }
    };
    app.write(&headers, |identity, site| {
        identity.require_admin()?;
        Ok(Json(site.suggestions(topic.as_deref(), true)))
    })
}

pub(crate) async fn premium_features(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> JsonResult {
    app.read(&headers, |_, _| Ok(Json(json!({"referralProgram": true}))))
}
