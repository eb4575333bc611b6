//! The Wix REST surface: one module per service, on the paths of docs/decisions.md items 1–2.

pub(crate) mod control;
pub(crate) mod customers;
pub(crate) mod extract;
pub(crate) mod friends;
pub(crate) mod oauth;
pub(crate) mod programs;
pub(crate) mod rewards;
pub(crate) mod tracker;

use axum::Router;
use axum::routing::{get, patch, post};

use crate::state::AppState;

pub(crate) fn wix_routes() -> Router<AppState> {
    const PROGRAM: &str = "/_api/referral-programs/v1/program";
    const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";
    const FRIENDS: &str = "/referral_friends/v1/referred-friends";
    const REWARDS: &str = "/_api/referral-rewards/v1/referral-rewards";
    const TRACKER: &str = "/_api/referral-tracker/v1";
    Router::new()
        .route(PROGRAM, get(programs::get).patch(programs::update))
        .route(&format!("{PROGRAM}/activate"), patch(programs::activate))
        .route(&format!("{PROGRAM}/pause"), patch(programs::pause))
        .route(
            &format!("{PROGRAM}/ai-social-media-posts-suggestions"),
            get(programs::get_suggestions).post(programs::generate_suggestions),
        )
        .route(
            &format!("{PROGRAM}/premium-features"),
            get(programs::premium_features),
        )
        .route(CUSTOMERS, post(customers::generate))
        .route(&format!("{CUSTOMERS}/query"), post(customers::query))
        .route(
            &format!("{CUSTOMERS}/code/{{referral_code}}"),
            get(customers::get_by_code),
        )
        .route(
            &format!("{CUSTOMERS}/{{id}}"),
            get(customers::get).delete(customers::delete),
        )
        .route(FRIENDS, post(friends::create))
        .route(&format!("{FRIENDS}/query"), post(friends::query))
        .route(
            &format!("{FRIENDS}/contact/{{contact_id}}"),
            get(friends::get_by_contact),
        )
        .route(
            &format!("{FRIENDS}/{{id}}"),
            get(friends::get)
                .patch(friends::update)
                .delete(friends::delete),
        )
        .route(&format!("{REWARDS}/query"), post(rewards::query))
        .route(&format!("{REWARDS}/{{id}}"), get(rewards::get))
        .route(
            &format!("{TRACKER}/referral-events/query"),
            post(tracker::query_events),
        )
        .route(
            &format!("{TRACKER}/referral-events/{{id}}"),
            get(tracker::get_event),
        )
        .route(
            &format!("{TRACKER}/referral-statistics"),
            get(tracker::statistics),
        )
        .route(
            &format!("{TRACKER}/referring-customer-totals/query"),
            post(tracker::query_totals),
        )
        .route(
            &format!("{TRACKER}/referred-friend-actions/query"),
            post(tracker::query_friend_actions),
        )
}

/// The `revision` query parameter of the delete methods.
pub(crate) fn revision_param(raw: Option<&str>) -> crate::error::ApiResult<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|_| crate::error::ApiError::invalid("query string", "malformed query string"))?;
    Ok(pairs
        .into_iter()
        .find(|(k, _)| k == "revision")
        .map(|(_, v)| v))
}

/// The id in a path. A malformed id is as unknown as a missing one: a 404 naming `what`.
pub(crate) fn path_id(raw: &str, what: &str) -> crate::error::ApiResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| crate::error::ApiError::not_found(what, raw))
}

/// A row by the id in the path (a 404 naming `what` when malformed or missing).
pub(crate) fn by_id<'a, T: crate::query::Row>(
    table: &'a crate::table::Table<T>,
    raw: &str,
    what: &str,
) -> crate::error::ApiResult<&'a T> {
    let id = path_id(raw, what)?;
    table
        .get(&id)
        .ok_or_else(|| crate::error::ApiError::not_found(what, raw))
}

/// One page of a query (the body's `query` member) over `table`: the rendered rows and the
/// `metadata`.
pub(crate) fn query_page<T: crate::query::Row>(
    site: &crate::site::Site,
    table: &crate::table::Table<T>,
    schema: &'static crate::query::EntitySchema,
    query: &serde_json::Value,
    lenience: &crate::lenience::Lenience,
    render: impl Fn(&T) -> serde_json::Value,
) -> crate::error::ApiResult<(Vec<serde_json::Value>, serde_json::Value)> {
    let plan = site.plan_with(schema, query, None, lenience)?;
    let page = table.query(&plan, None);
    Ok((
        page.rows.iter().map(|row| render(row)).collect(),
        page.metadata(),
    ))
}
