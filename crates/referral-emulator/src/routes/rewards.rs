//! Referral Rewards (docs/referral-api.md §4).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::app::{JsonResult, parse_body};
use crate::error::ApiError;
use crate::model::REWARD_SCHEMA;
use crate::state::AppState;
use crate::table::IndexKey;

pub(crate) async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> JsonResult {
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let reward = super::by_id(&site.rewards, &id, "referral reward")?;
        Ok(Json(json!({"referralReward": reward.to_json()})))
    })
}

pub(crate) async fn query(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    app.read(&headers, |identity, site| {
        let contact = match body.get("contactId") {
            None | Some(Value::Null) => {
                identity.require_admin()?;
                None
            }
            Some(Value::String(raw)) => Some(identity.contact(raw, "contactId")?),
            Some(_) => return Err(ApiError::invalid("contactId", "expected a string")),
        };
        let query = body
            .get("query")
            .ok_or_else(|| ApiError::invalid("query", "required"))?;
        let plan = site.plan(&REWARD_SCHEMA, query, contact.map(|c| c.to_string()))?;
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
