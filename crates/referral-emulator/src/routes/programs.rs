//! Referral Programs (docs/referral-api.md §1).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::extract::{Caller, WixJson};
use crate::app::JsonResult;
use crate::state::AppState;

/// The body of Update Referral Program: the fields to change, with the current `revision`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateProgram {
    referral_program: Map<String, Value>,
}

/// The body of Generate AI Social Media Posts Suggestions (may be empty).
#[derive(Deserialize)]
pub(crate) struct Topic {
    topic: Option<String>,
}

pub(crate) async fn get(State(app): State<AppState>, Caller(identity): Caller) -> JsonResult {
    app.read_as(&identity, |site| {
        Ok(Json(json!({"referralProgram": site.program.to_json()})))
    })
}

pub(crate) async fn update(
    State(app): State<AppState>,
    Caller(identity): Caller,
    WixJson(body): WixJson<UpdateProgram>,
) -> JsonResult {
    identity.require_admin()?;
    app.write_as(&identity, |site| {
        Ok(Json(
            json!({"referralProgram": site.patch_program(&body.referral_program)?}),
        ))
    })
}

pub(crate) async fn activate(State(app): State<AppState>, Caller(identity): Caller) -> JsonResult {
    identity.require_admin()?;
    app.write_as(&identity, |site| {
        Ok(Json(
            json!({"referralProgram": site.set_program_status("ACTIVE")?}),
        ))
    })
}

pub(crate) async fn pause(State(app): State<AppState>, Caller(identity): Caller) -> JsonResult {
    identity.require_admin()?;
    app.write_as(&identity, |site| {
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
    Caller(identity): Caller,
    WixJson(body): WixJson<Topic>,
) -> JsonResult {
    identity.require_admin()?;
    app.write_as(&identity, |site| {
        Ok(Json(site.suggestions(body.topic.as_deref(), true)))
    })
}

pub(crate) async fn premium_features(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> JsonResult {
    app.read(&headers, |_, _| Ok(Json(json!({"referralProgram": true}))))
}
