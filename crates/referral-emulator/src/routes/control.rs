//! The control API under `/_emulator/v1`: not Wix's, for tests and demos. Unauthenticated, as
//! befits a local test double.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::extract::{JsonList, WixJson};
use super::path_id;
use crate::app::JsonResult;
use crate::error::{ApiError, ApiResult};
use crate::faults::{FaultRule, check_rules};
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
        .route(
            "/sites/{site_id}/rewards/{reward_id}/redeem",
            post(redeem_coupon),
        )
        .route("/sites/{site_id}/webhooks", post(register_webhook))
        .route("/webhooks/public-key", get(public_key))
        .route(
            "/faults",
            put(set_faults).delete(clear_faults).get(get_faults),
        )
        .route("/requests", get(list_requests).delete(clear_requests))
        .route("/strict", get(get_strict).put(set_strict))
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
    let mut state = app.lock_state();
    let mut rng = rand::thread_rng();
    let site_id = random_uuid(&mut rng);
    let credentials = state.create_site(site_id, None, &mut rng);
    app.commit(&mut state);
    Ok(Json(credentials_json(&credentials)))
}

/// The site in a control path: a 404 naming it when malformed or unknown.
fn site_id(raw: &str) -> ApiResult<Uuid> {
    path_id(raw, "site")
}

pub(crate) fn with_site<T>(
    app: &Shared,
    id: Uuid,
    f: impl FnOnce(&mut Site) -> ApiResult<T>,
) -> ApiResult<T> {
    let mut state = app.lock_state();
    let site = state
        .sites
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("site", &id.to_string()))?;
    let result = f(site);
    let outgoing = app.after_write(site, None);
    state.touch_site(id);
    app.commit(&mut state);
    drop(state);
    app.dispatch(outgoing);
    result
}

/// `POST /sites/{site}/members`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberRequest {
    contact_id: Uuid,
    /// A referral code for the token's scope (12 characters), as a member who arrived through a
    /// referral link carries it.
    #[serde(default)]
    referral_code: Option<String>,
}

async fn create_member(
    State(app): State<AppState>,
    Path(site): Path<String>,
    WixJson(request): WixJson<MemberRequest>,
) -> JsonResult {
    let site = site_id(&site)?;
    let contact = request.contact_id;
    if let Some(code) = &request.referral_code
        && code.chars().count() != 12
    {
        return Err(ApiError::invalid(
            "referralCode",
            "must be exactly 12 characters",
        ));
    }
    let mut state = app.lock_state();
    if !state.sites.contains_key(&site) {
        return Err(ApiError::not_found("site", &site.to_string()));
    }
    let token = state.issue_token(
        site,
        Subject::Member(contact),
        None,
        &mut rand::thread_rng(),
    );
    if let Some(issued) = state.tokens.get_mut(&token) {
        issued.referral_code = request.referral_code;
    }
    app.commit(&mut state);
    Ok(Json(json!({"token": token, "contactId": contact})))
}

/// `POST /sites/{site}/actions` (the body `ControlClient::record_action` sends).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionRequest {
    contact_id: Uuid,
    action: ActionName,
    #[serde(default)]
    amount: Option<Cents>,
    #[serde(default)]
    currency: Option<Currency>,
    #[serde(default)]
    order_id: Option<String>,
}

/// One of the program's action names (not `UNKNOWN`).
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct ActionName(String);

impl TryFrom<String> for ActionName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        if ACTION_NAMES.contains(&name.as_str()) && name != "UNKNOWN" {
            Ok(ActionName(name))
        } else {
            Err(format!(
                "{name:?} is not one of {}",
                ACTION_NAMES[1..].join(", ")
            ))
        }
    }
}

/// An amount in cents, given as `"25.00"` or `25`: at most two decimals, never negative.
#[derive(Deserialize)]
#[serde(try_from = "AmountJson")]
struct Cents(i64);

#[derive(Deserialize)]
#[serde(untagged, expecting = "a decimal string such as \"25.00\"")]
enum AmountJson {
    Text(String),
    Number(serde_json::Number),
}

impl TryFrom<AmountJson> for Cents {
    type Error = String;

    fn try_from(amount: AmountJson) -> Result<Self, String> {
        let text = match amount {
            AmountJson::Text(text) => text.trim().to_owned(),
            AmountJson::Number(number) => number.to_string(),
        };
        parse_cents(&text).map(Cents).ok_or_else(|| {
            format!("{text:?} is not a non-negative amount with at most two decimals")
        })
    }
}

/// `"25.00"` → 2500; `None` for anything but a non-negative decimal with at most two
/// decimals, up to 10^10 (ten billion).
pub(crate) fn parse_cents(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || fraction.len() > 2 || !digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole
        .checked_mul(100)?
        .checked_add(fraction)
        .filter(|cents| *cents <= 1_000_000_000_000)
}

/// An ISO 4217 code: three capital letters.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct Currency(String);

impl TryFrom<String> for Currency {
    type Error = &'static str;

    fn try_from(code: String) -> Result<Self, &'static str> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(code))
        } else {
            Err("expected an ISO 4217 code such as USD")
        }
    }
}

async fn record_action(
    State(app): State<AppState>,
    Path(site): Path<String>,
    WixJson(request): WixJson<ActionRequest>,
) -> JsonResult {
    let site = site_id(&site)?;
    with_site(&app, site, |site| {
        let action = FriendAction {
            contact: request.contact_id,
            action: request.action.0,
            amount_cents: request.amount.map_or(0, |cents| cents.0),
            currency: request.currency.map(|code| code.0),
            order_id: request.order_id,
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
        Ok(Json(
            json!({"events": events, "rewards": rewards, "notes": outcome.notes}),
        ))
    })
}

/// `POST /sites/{site}/rewards/{reward}/redeem`: the receiver used the reward's coupon.
async fn redeem_coupon(
    State(app): State<AppState>,
    Path((site, reward)): Path<(String, String)>,
) -> JsonResult {
    let site = site_id(&site)?;
    let reward = path_id(&reward, "referral reward")?;
    with_site(&app, site, |site| {
        site.redeem_coupon(reward, now())
            .map(|reward| Json(json!({ "referralReward": reward })))
    })
}

async fn seed_site(
    State(app): State<AppState>,
    Path(site): Path<String>,
    WixJson(request): WixJson<SeedRequest>,
) -> JsonResult {
    let site = site_id(&site)?;
    request.validate()?;
    // Seeding a large site takes seconds: keep it off the async workers.
    let app = Arc::clone(&app);
    tokio::task::spawn_blocking(move || with_site(&app, site, |site| seed(site, &request)))
        .await
        .map_err(|_| ApiError::server(StatusCode::INTERNAL_SERVER_ERROR))?
        .map(|counts| Json(json!(counts)))
}

/// `POST /sites/{site}/webhooks`.
#[derive(Deserialize)]
struct WebhookRequest {
    url: WebhookUrl,
}

/// Where webhooks go: an absolute http or https URL.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct WebhookUrl(String);

impl TryFrom<String> for WebhookUrl {
    type Error = &'static str;

    fn try_from(url: String) -> Result<Self, &'static str> {
        let parsed = reqwest::Url::parse(&url).map_err(|_| "expected an absolute http(s) URL")?;
        if matches!(parsed.scheme(), "http" | "https") {
            Ok(WebhookUrl(url))
        } else {
            Err("expected an http or https URL")
        }
    }
}

async fn register_webhook(
    State(app): State<AppState>,
    Path(site): Path<String>,
    WixJson(request): WixJson<WebhookRequest>,
) -> JsonResult {
    let site = site_id(&site)?;
    let url = request.url.0;
    with_site(&app, site, |site| {
        if !site.webhooks.contains(&url) {
            if site.webhooks.len() >= crate::webhooks::MAX_RECEIVERS_PER_SITE {
                return Err(ApiError::invalid(
                    "url",
                    &format!(
                        "a site has at most {} webhook receivers",
                        crate::webhooks::MAX_RECEIVERS_PER_SITE
                    ),
                ));
            }
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

/// `PUT /faults?seed=N`: where the random sequence of probabilistic rules starts.
#[derive(Deserialize)]
struct FaultSeed {
    #[serde(default)]
    seed: u64,
}

async fn set_faults(
    State(app): State<AppState>,
    query: Result<Query<FaultSeed>, QueryRejection>,
    JsonList(rules): JsonList<FaultRule>,
) -> JsonResult {
    let Query(FaultSeed { seed }) =
        query.map_err(|_| ApiError::invalid("seed", "expected an unsigned integer"))?;
    check_rules(&rules)?;
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

/// `GET /requests?site=&limit=`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestsQuery {
    site: Option<Uuid>,
    #[serde(default = "default_request_limit")]
    limit: usize,
}

fn default_request_limit() -> usize {
    100
}

/// The most a listing returns (every ring's whole content at the default size).
const MAX_REQUEST_LIMIT: usize = 10_000;

async fn list_requests(
    State(app): State<AppState>,
    query: Result<Query<RequestsQuery>, QueryRejection>,
) -> JsonResult {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", &e.body_text()))?;
    if !(1..=MAX_REQUEST_LIMIT).contains(&query.limit) {
        return Err(ApiError::invalid(
            "limit",
            &format!("must be 1 to {MAX_REQUEST_LIMIT}"),
        ));
    }
    let requests = app.requests.recent(query.site, query.limit);
    Ok(Json(json!({ "requests": requests })))
}

async fn clear_requests(State(app): State<AppState>) -> JsonResult {
    app.requests.clear();
    app.dispatcher.log.clear();
    Ok(Json(json!({"cleared": true})))
}

/// `PUT /strict`: `{"strict": true}` refuses what Wix's documents show but its reference pages
/// do not (docs/decisions.md item 35); `false` accepts it with a warning.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Strictness {
    strict: bool,
}

async fn set_strict(
    State(app): State<AppState>,
    WixJson(request): WixJson<Strictness>,
) -> JsonResult {
    app.set_strict(request.strict);
    Ok(Json(json!({"strict": request.strict})))
}

async fn get_strict(State(app): State<AppState>) -> JsonResult {
    Ok(Json(json!({"strict": app.strict()})))
}

/// Forgets everything and recreates the default site with its original credentials.
async fn reset(State(app): State<AppState>) -> JsonResult {
    let mut state = app.lock_state();
    state.clear();
    state.ensure_site(&app.default_site);
    app.set_faults(Vec::new(), 0);
    app.requests.clear();
    app.commit(&mut state);
    Ok(Json(
        json!({"reset": true, "siteId": app.default_site.site_id}),
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_cents;

    #[test]
    fn amounts_are_whole_cents_with_at_most_two_decimals() {
        let cases = [
            ("25", Some(2_500)),
            ("25.5", Some(2_550)),
            ("25.50", Some(2_550)),
            ("0.01", Some(1)),
            ("0", Some(0)),
            ("10000000000", Some(1_000_000_000_000)),
            ("10000000000.01", None),
            ("99999999999999999999", None),
            ("1.005", None),
            ("-1", None),
            (".5", None),
            ("1.", Some(100)),
            ("1e3", None),
            ("", None),
            ("٣", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_cents(text), expected, "{text:?}");
        }
    }
}
