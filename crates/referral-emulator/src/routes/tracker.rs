//! Referral Tracker (docs/referral-api.md §5).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::extract::{Caller, QueryBody, WixJson};
use crate::app::{JsonResult, parse_body};
use crate::auth::parse_uuid;
use crate::error::{ApiError, ApiResult};
use crate::model::{EVENT_SCHEMA, FRIEND_ACTIONS_SCHEMA, TOTALS_SCHEMA};
use crate::query::Row;
use crate::state::AppState;
use crate::table::IndexKey;
use crate::table::Table;

pub(crate) async fn get_event(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> JsonResult {
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let event = super::by_id(&site.events, &id, "referral event")?;
        Ok(Json(json!({"referralEvent": event.to_json()})))
    })
}

pub(crate) async fn query_events(
    State(app): State<AppState>,
    Caller(identity): Caller,
    WixJson(body): WixJson<QueryBody>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let (items, metadata) =
            super::query_page(site, &site.events, &EVENT_SCHEMA, &body.query, |row| {
                row.to_json()
            })?;
        Ok(Json(json!({"referralEvents": items, "metadata": metadata})))
    })
}

pub(crate) async fn statistics(State(app): State<AppState>, headers: HeaderMap) -> JsonResult {
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        Ok(Json(site.statistics()))
    })
}

/// `contactIds` narrows the aggregate queries: a sorted list, part of the cursor's scope.
fn contact_ids(body: &Value) -> ApiResult<Option<Vec<String>>> {
    match body.get("contactIds") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            let mut ids = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let field = format!("contactIds[{i}]");
                    let raw = v
                        .as_str()
                        .ok_or_else(|| ApiError::invalid(&field, "expected a string"))?;
                    parse_uuid(raw, &field).map(|id| id.to_string())
                })
                .collect::<ApiResult<Vec<_>>>()?;
            ids.sort();
            ids.dedup();
            Ok(Some(ids))
        }
        Some(_) => Err(ApiError::invalid(
            "contactIds",
            "expected an array of contact ids",
        )),
    }
}

fn query_aggregate<T: Row>(
    site: &crate::site::Site,
    table: &Table<T>,
    schema: &'static crate::query::EntitySchema,
    body: &Value,
    render: impl Fn(&T) -> Value,
) -> ApiResult<(Vec<Value>, Value)> {
    let contacts = contact_ids(body)?;
    let empty = Value::Object(Default::default());
    let query = body.get("query").unwrap_or(&empty);
    let plan = site.plan(schema, query, contacts.as_ref().map(|c| c.join(",")))?;
    let page = match &contacts {
        None => table.query(&plan, None),
        Some(contacts) => {
            let mut ids: Vec<uuid::Uuid> = contacts
                .iter()
                .flat_map(|c| {
                    table
                        .lookup("contactId", &IndexKey::parse(c))
                        .iter()
                        .copied()
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            crate::query::execute(schema, &plan, ids.iter().filter_map(|id| table.get(id)))
        }
    };
    Ok((
        page.rows.iter().map(|r| render(r)).collect(),
        page.metadata(),
    ))
}

pub(crate) async fn query_totals(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let (items, metadata) =
            query_aggregate(site, &site.totals, &TOTALS_SCHEMA, &body, |t| t.to_json())?;
        Ok(Json(
            json!({"referringCustomerTotals": items, "metadata": metadata}),
        ))
    })
}

pub(crate) async fn query_friend_actions(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let (items, metadata) = query_aggregate(
            site,
            &site.friend_actions,
            &FRIEND_ACTIONS_SCHEMA,
            &body,
            |a| a.to_json(),
        )?;
        Ok(Json(
            json!({"referredFriendActions": items, "metadata": metadata}),
        ))
    })
}
