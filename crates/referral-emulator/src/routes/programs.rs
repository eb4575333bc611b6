//! Referral Programs (docs/referral-api.md §1).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::json;

use super::extract::{Caller, WixJson};
use crate::app::JsonResult;
use crate::error::ApiError;
use crate::site::ProgramPatch;
use crate::state::AppState;

/// The body of Update Referral Program: the fields to change, with the current `revision`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateProgram {
    referral_program: ProgramPatch,
}

/// The topic of the AI post suggestions: the body of Generate (may be empty), the query string
/// of Get.
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
    crate::lenience::Lenient(lenience): crate::lenience::Lenient,
    WixJson(body): WixJson<UpdateProgram>,
) -> JsonResult {
    identity.require_admin()?;
    app.write_as(&identity, |site| {
        Ok(Json(
            json!({"referralProgram": site.patch_program(body.referral_program, &lenience)?}),
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
    Caller(identity): Caller,
    query: Result<Query<Topic>, QueryRejection>,
) -> JsonResult {
    let Query(query) = query.map_err(|e| ApiError::invalid("query string", &e.body_text()))?;
    // Reading stored suggestions may create the first set, so this takes the write lock.
    app.write_as(&identity, |site| {
        Ok(Json(site.suggestions(query.topic.as_deref(), false)))
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
    Caller(identity): Caller,
) -> JsonResult {
    app.read_as(&identity, |_| Ok(Json(json!({"referralProgram": true}))))
}
