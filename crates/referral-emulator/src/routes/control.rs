//! The control API under `/_emulator/v1`: not Wix's, for tests and demos. Unauthenticated, as
//! befits a local test double.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::app::{JsonResult, parse_body};
use crate::auth::parse_uuid;
use crate::error::{ApiError, ApiResult};
use crate::faults::parse_rules;
use crate::model::ACTION_NAMES;
use crate::seed::{SeedRequest, seed};
use crate::site::{FriendAction, Site, now, random_uuid};
use crate::state::{AppState, Shared};
use crate::state::{SiteCredentials, Subject};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sites", post(create_site))
        .route("/sites/{site_id}/members", post(create_member))
        .route("/sites/{site_id}/actions", post(record_action))
        .route("/sites/{site_id}/seed", post(seed_site))
        .route("/sites/{site_id}/webhooks", post(register_webhook))
        .route("/webhooks/public-key", get(public_key))
        .route(
            "/faults",
            put(set_faults).delete(clear_faults).get(get_faults),
        )
        .route("/reset", post(reset))
        .route("/shutdown", post(shutdown))
}

/// Asks the process running the emulator to stop (it finishes what is in flight first).
async fn shutdown(State(app): State<AppState>) -> JsonResult {
    app.request_shutdown();
    Ok(Json(json!({"stopping": true})))
}

pub(crate) fn credentials_json(credentials: &SiteCredentials) -> Value {
    json!({
        "siteId": credentials.site_id,
        "apiKey": credentials.api_key,
        "appId": credentials.app_id,
        "appSecret": credentials.app_secret,
        "instanceId": credentials.instance_id,
    })
}

async fn create_site(State(app): State<AppState>) -> JsonResult {
    let mut state = app.state.write();
    let mut rng = rand::thread_rng();
    let site_id = random_uuid(&mut rng);
    let credentials = state.create_site(site_id, None, &mut rng);
    app.commit(&mut state);
    Ok(Json(credentials_json(&credentials)))
}

fn with_site<T>(
    app: &Shared,
    site_id: &str,
    f: impl FnOnce(&mut Site) -> ApiResult<T>,
) -> ApiResult<T> {
    let id = parse_uuid(site_id, "siteId")?;
    let mut state = app.state.write();
    let site = state
        .sites
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("site", site_id))?;
    let result = f(site);
    app.after_write(site, None);
    state.touch_site(id);
    app.commit(&mut state);
    result
}

fn required_str<'a>(body: &'a Value, field: &str) -> ApiResult<&'a str> {
    body.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid(field, "required string"))
}

async fn create_member(
    State(app): State<AppState>,
    Path(site_id): Path<String>,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let contact = parse_uuid(required_str(&body, "contactId")?, "contactId")?;
    let site = parse_uuid(&site_id, "siteId")?;
    let mut state = app.state.write();
    if !state.sites.contains_key(&site) {
        return Err(ApiError::not_found("site", &site_id));
    }
    let token = state.issue_token(
        site,
        Subject::Member(contact),
        None,
        &mut rand::thread_rng(),
    );
    app.commit(&mut state);
    Ok(Json(json!({"token": token, "contactId": contact})))
}

/// `"25.00"` or `25` → 2500 cents; at most two decimals, never negative.
pub(crate) fn parse_amount(value: Option<&Value>) -> ApiResult<i64> {
    let text = match value {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(ApiError::invalid(
                "amount",
                "expected a decimal string such as \"25.00\"",
            ));
        }
    };
    let bad = || {
        ApiError::invalid(
            "amount",
            &format!("{text:?} is not a non-negative amount with at most two decimals"),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(fraction))
        .filter(|c| *c <= 1_000_000_000_000)
        .ok_or_else(bad)
}

async fn record_action(
    State(app): State<AppState>,
    Path(site_id): Path<String>,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let contact = parse_uuid(required_str(&body, "contactId")?, "contactId")?;
    let action = required_str(&body, "action")?.to_owned();
    if !ACTION_NAMES.contains(&action.as_str()) || action == "UNKNOWN" {
        return Err(ApiError::invalid(
            "action",
            &format!("{action:?} is not one of {}", ACTION_NAMES[1..].join(", ")),
        ));
    }
    let cents = parse_amount(body.get("amount"))?;
    let optional = |field: &str| -> ApiResult<Option<String>> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::invalid(field, "expected a string")),
        }
    };
    let currency = optional("currency")?;
    if currency
        .as_ref()
        .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(ApiError::invalid(
            "currency",
            "expected an ISO 4217 code such as USD",
        ));
    }
    let order_id = optional("orderId")?;
    with_site(&app, &site_id, |site| {
        let action = FriendAction {
            contact,
            action,
            amount_cents: cents,
            currency,
            order_id,
        };
        let outcome = site.record_action(&action, &mut rand::thread_rng(), now())?;
        let events: Vec<Value> = outcome
            .events
            .iter()
            .filter_map(|id| site.events.get(id))
            .map(|e| e.to_json())
            .collect();
        let rewards: Vec<Value> = outcome
            .rewards
            .iter()
            .filter_map(|id| site.rewards.get(id))
            .map(|r| r.to_json())
            .collect();
        Ok(Json(json!({"events": events, "rewards": rewards})))
    })
}

async fn seed_site(
    State(app): State<AppState>,
    Path(site_id): Path<String>,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let request: SeedRequest =
        serde_json::from_value(body).map_err(|e| ApiError::invalid("body", &e.to_string()))?;
    request.validate()?;
    // Seeding a large site takes seconds: keep it off the async workers.
    let app = Arc::clone(&app);
    tokio::task::spawn_blocking(move || with_site(&app, &site_id, |site| seed(site, &request)))
        .await
        .map_err(|_| ApiError::server(StatusCode::INTERNAL_SERVER_ERROR))?
        .map(|counts| Json(json!(counts)))
}

async fn register_webhook(
    State(app): State<AppState>,
    Path(site_id): Path<String>,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let url = required_str(&body, "url")?.to_owned();
    let parsed = reqwest::Url::parse(&url)
        .map_err(|_| ApiError::invalid("url", "expected an absolute http(s) URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ApiError::invalid("url", "expected an http or https URL"));
    }
    with_site(&app, &site_id, |site| {
        if !site.webhooks.contains(&url) {
            site.webhooks.push(url.clone());
        }
        Ok(Json(json!({"url": url, "registered": site.webhooks.len()})))
    })
}

async fn public_key(State(app): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        app.signer.public_pem.clone(),
    )
        .into_response()
}

async fn set_faults(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> JsonResult {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid("body", &format!("malformed JSON: {e}")))?;
    let rules = parse_rules(&body)?;
    let seed = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "seed"))
        .map(|(_, v)| {
            v.parse::<u64>()
                .map_err(|_| ApiError::invalid("seed", "expected an unsigned integer"))
        })
        .transpose()?
        .unwrap_or(0);
    let count = rules.len();
    app.set_faults(rules, seed);
    Ok(Json(json!({"rules": count, "seed": seed})))
}

/// The rules in force and how many requests each has failed so far.
async fn get_faults(State(app): State<AppState>) -> JsonResult {
    let faults = app.faults.lock();
    Ok(Json(
        json!({"rules": faults.rules(), "failed": faults.failed()}),
    ))
}

async fn clear_faults(State(app): State<AppState>) -> JsonResult {
    app.set_faults(Vec::new(), 0);
    Ok(Json(json!({"rules": 0})))
}

/// Forgets everything and recreates the default site with its original credentials.
async fn reset(State(app): State<AppState>) -> JsonResult {
    let mut state = app.state.write();
    state.clear();
    state.ensure_site(&app.default_site);
    app.set_faults(Vec::new(), 0);
    app.commit(&mut state);
    Ok(Json(
        json!({"reset": true, "siteId": app.default_site.site_id}),
    ))
}
