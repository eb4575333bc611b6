//! Referral Tracker (docs/referral-api.md §5).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Caller, QueryBody, WixJson};
use crate::app::JsonResult;
use crate::auth::parse_uuid;
use crate::error::ApiResult;
use crate::lenience::Lenient;
use crate::model::{EVENT_SCHEMA, FRIEND_ACTIONS_SCHEMA, TOTALS_SCHEMA};
use crate::query::Row;
use crate::state::AppState;
use crate::table::IndexKey;
use crate::table::Table;

/// The body of the two aggregate queries: both members optional (docs/referral-api.md §12).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AggregateQuery {
    #[serde(default = "empty_query")]
    query: Value,
    contact_ids: Option<Vec<String>>,
}

fn empty_query() -> Value {
    Value::Object(Default::default())
}

pub(crate) async fn get_event(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Path(id): Path<String>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let event = super::by_id(&site.events, &id, "referral event")?;
        Ok(Json(json!({"referralEvent": event.to_json()})))
    })
}

pub(crate) async fn query_events(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Lenient(lenience): Lenient,
    WixJson(body): WixJson<QueryBody>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let (items, metadata) = super::query_page(
            site,
            &site.events,
            &EVENT_SCHEMA,
            &body.query,
            &lenience,
            |row| row.to_json(),
        )?;
        Ok(Json(json!({"referralEvents": items, "metadata": metadata})))
    })
}

pub(crate) async fn statistics(
    State(app): State<AppState>,
    Caller(identity): Caller,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| Ok(Json(site.statistics())))
}

/// `contactIds` narrows the aggregate queries: a sorted list, part of the cursor's scope.
fn contact_ids(raw: Option<&[String]>) -> ApiResult<Option<Vec<String>>> {
    let Some(raw) = raw else { return Ok(None) };
    let mut ids = raw
        .iter()
        .enumerate()
        .map(|(i, id)| parse_uuid(id, &format!("contactIds[{i}]")).map(|id| id.to_string()))
        .collect::<ApiResult<Vec<_>>>()?;
    ids.sort();
    ids.dedup();
    Ok(Some(ids))
}

fn query_aggregate<T: Row>(
    site: &crate::site::Site,
    table: &Table<T>,
    schema: &'static crate::query::EntitySchema,
    body: &AggregateQuery,
    render: impl Fn(&T) -> Value,
) -> ApiResult<(Vec<Value>, Value)> {
    let contacts = contact_ids(body.contact_ids.as_deref())?;
    // The aggregates' filters are the emulator's own (docs/decisions.md item 11): no document
    // writes them otherwise.
    let plan = site.plan_with(
        schema,
        &body.query,
        contacts.as_ref().map(|c| c.join(",")),
        &crate::lenience::Lenience::new(true),
    )?;
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
    Caller(identity): Caller,
    WixJson(body): WixJson<AggregateQuery>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let (items, metadata) =
            query_aggregate(site, &site.totals, &TOTALS_SCHEMA, &body, |t| t.to_json())?;
        Ok(Json(
            json!({"referringCustomerTotals": items, "metadata": metadata}),
        ))
    })
}

pub(crate) async fn query_friend_actions(
    State(app): State<AppState>,
    Caller(identity): Caller,
    WixJson(body): WixJson<AggregateQuery>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
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
