//! Referral Rewards (docs/referral-api.md §4).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Caller, WixJson};
use crate::app::JsonResult;
use crate::model::REWARD_SCHEMA;
use crate::state::AppState;
use crate::table::IndexKey;

/// The body of Query Referral Rewards: the query and, optionally, whose rewards (`"me"` for a
/// member's own).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryRewards {
    query: Value,
    contact_id: Option<String>,
}

pub(crate) async fn get(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Path(id): Path<String>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let reward = super::by_id(&site.rewards, &id, "referral reward")?;
        Ok(Json(json!({"referralReward": reward.to_json()})))
    })
}

pub(crate) async fn query(
    State(app): State<AppState>,
    Caller(identity): Caller,
    crate::lenience::Lenient(lenience): crate::lenience::Lenient,
    WixJson(body): WixJson<QueryRewards>,
) -> JsonResult {
    let contact = match &body.contact_id {
        None => {
            identity.require_admin()?;
            None
        }
        Some(raw) => Some(identity.contact(raw, "contactId")?),
    };
    app.read_as(&identity, |site| {
        let plan = site.plan_with(
            &REWARD_SCHEMA,
            &body.query,
            contact.map(|c| c.to_string()),
            &lenience,
        )?;
        let scope = contact.map(IndexKey::Id);
        let page = site
            .rewards
            .query(&plan, scope.as_ref().map(|c| ("contactId", c)));
        let items: Vec<Value> = page.rows.iter().map(|r| r.to_json()).collect();
        Ok(Json(
            json!({"referralRewards": items, "metadata": page.metadata()}),
        ))
    })
}
