//! The inspector: server-rendered pages under `/_emulator/ui` that show what code under test did
//! to the emulator (sites, their program and records, webhook deliveries, fault rules, the request
//! log). Loopback-only like the control API. Pages are maud templates, so every value from the
//! data is escaped; the one stylesheet and the small script are embedded; nothing is fetched
//! from elsewhere.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::faults::{FaultRule, check_rules};
use crate::model::{CUSTOMER_SCHEMA, EVENT_SCHEMA, FRIEND_SCHEMA, REWARD_SCHEMA};
use crate::requests::RequestRecord;
use crate::site::Site;
use crate::state::AppState;
use crate::webhooks::DeliveryState;

/// Rows per table page.
const PAGE_ROWS: u32 = 25;
/// Requests a site's request page shows.
const REQUEST_ROWS: usize = 200;

const STYLE: &str = include_str!("inspector/style.css");

#[cfg(feature = "report")]
mod report;

pub(crate) fn routes() -> Router<AppState> {
    let router = Router::new();
    #[cfg(feature = "report")]
    let router = router.route("/sites/{site}/report", get(report::report_page));
    router
        .route("/", get(index))
        .route("/faults", get(faults_page).post(add_fault))
        .route("/faults/clear", post(clear_faults))
        .route("/sites/{site}", get(site_page))
        .route("/sites/{site}/webhooks", get(webhooks_page))
        .route("/sites/{site}/requests", get(requests_page))
        .route("/sites/{site}/records/{entity}", get(records_page))
        .route("/sites/{site}/records/{entity}/{id}", get(record_page))
        .route(
            "/sites/{site}/records/friends/{id}/action",
            post(friend_action),
        )
        .route(
            "/sites/{site}/records/rewards/{id}/redeem",
            post(redeem_coupon),
        )
}

/// A page, or an error page with its status.
type Page = Result<Markup, (StatusCode, Markup)>;

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon to fetch: the pages load nothing but themselves.
                link rel="icon" href="data:,";
                title { (title) " · emulator inspector" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/_emulator/ui" { "Wix Referral emulator" }
                    nav {
                        a href="/_emulator/ui" { "Sites" }
                        a href="/_emulator/ui/faults" { "Faults" }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

fn problem(status: StatusCode, message: &str) -> (StatusCode, Markup) {
    (
        status,
        layout(
            status.canonical_reason().unwrap_or("Error"),
            html! { p.error { (message) } },
        ),
    )
}

fn site_id(raw: &str) -> Result<Uuid, (StatusCode, Markup)> {
    Uuid::parse_str(raw).map_err(|_| problem(StatusCode::NOT_FOUND, "no such site"))
}

/// Runs `f` on the site, or answers 404.
fn with_site<T>(
    app: &AppState,
    site: Uuid,
    f: impl FnOnce(&Site) -> T,
) -> Result<T, (StatusCode, Markup)> {
    app.inspect(|state| state.sites.get(&site).map(f))
        .ok_or_else(|| problem(StatusCode::NOT_FOUND, "no such site"))
}

fn site_nav(site: Uuid, current: &str) -> Markup {
    let tabs = [
        ("overview", format!("/_emulator/ui/sites/{site}")),
        (
            "customers",
            format!("/_emulator/ui/sites/{site}/records/customers"),
        ),
        (
            "friends",
            format!("/_emulator/ui/sites/{site}/records/friends"),
        ),
        (
            "rewards",
            format!("/_emulator/ui/sites/{site}/records/rewards"),
        ),
        (
            "events",
            format!("/_emulator/ui/sites/{site}/records/events"),
        ),
        ("webhooks", format!("/_emulator/ui/sites/{site}/webhooks")),
        ("requests", format!("/_emulator/ui/sites/{site}/requests")),
        #[cfg(feature = "report")]
        ("report", format!("/_emulator/ui/sites/{site}/report")),
    ];
    html! {
        nav.tabs {
            @for (name, href) in &tabs {
                @if *name == current {
                    a.current href=(href) aria-current="page" { (name) }
                } @else {
                    a href=(href) { (name) }
                }
            }
        }
    }
}

async fn index(State(app): State<AppState>) -> Markup {
    struct Row {
        id: Uuid,
        name: Option<String>,
        status: String,
        counts: [usize; 4],
    }
    let mut sites = app.inspect(|state| {
        state
            .sites
            .values()
            .map(|site| Row {
                id: site.id,
                name: site.program.name.clone(),
                status: site.program.status.clone(),
                counts: [
                    site.customers.len(),
                    site.friends.len(),
                    site.rewards.len(),
                    site.events.len(),
                ],
            })
            .collect::<Vec<_>>()
    });
    sites.sort_by_key(|row| row.id);
    layout(
        "Sites",
        html! {
            div.scroll { table {
                thead { tr { th { "site" } th { "program" } th { "status" } th.num { "customers" }
                    th.num { "friends" } th.num { "rewards" } th.num { "events" } } }
                tbody {
                    @for row in &sites {
                        tr {
                            td { a href={"/_emulator/ui/sites/" (row.id)} { code { (row.id) } } }
                            td { (row.name.as_deref().unwrap_or("(unnamed)")) }
                            td { span.status { (row.status) } }
                            @for count in row.counts { td.num { (count) } }
                        }
                    }
                }
            } }
        },
    )
}

async fn site_page(State(app): State<AppState>, Path(site): Path<String>) -> Page {
    let id = site_id(&site)?;
    let (program, counts, webhooks) = with_site(&app, id, |site| {
        (
            site.program.to_json(),
            [
                ("referring customers", site.customers.len()),
                ("referred friends", site.friends.len()),
                ("rewards", site.rewards.len()),
                ("events", site.events.len()),
            ],
            site.webhooks.clone(),
        )
    })?;
    let name = program["name"].as_str().unwrap_or("(unnamed)").to_owned();
    Ok(layout(
        &format!("Site {id}"),
        html! {
            (site_nav(id, "overview"))
            section.cards {
                div.card.wide id="program" { h2 { "Program" }
                    dl {
                        dt { "name" } dd id="program-name" { (name) }
                        dt { "status" } dd { span.status { (program["status"].as_str().unwrap_or("")) } }
                        dt { "revision" } dd { (program["revision"].as_str().unwrap_or("")) }
                        dt { "successful referral actions" }
                        dd { (program["successfulReferralActions"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                    }
                }
                @for (label, count) in counts {
                    div.card { h2 { (label) } p.big { (count) } }
                }
            }
            h2 { "Rewards" }
            pre { (pretty(&json!({
                "referredFriendReward": program["referredFriendReward"],
                "referringCustomerReward": program["referringCustomerReward"],
            }))) }
            @if cfg!(feature = "report") {
                h2 { "Performance report" }
                form.filter id="report-form" method="get" action={"/_emulator/ui/sites/" (id) "/report"} {
                    label for="since" { "since (a date, empty for all time)" }
                    input id="since" type="date" name="since";
                    label for="top" { "top referrers" }
                    input id="top" type="number" name="top" min="0" max="100" value="10";
                    button type="submit" { "Show the report" }
                    a href={"/_emulator/ui/sites/" (id) "/report?format=json"} { "as JSON" }
                }
            }
            h2 { "Webhook receivers" }
            @if webhooks.is_empty() { p { "none registered" } }
            ul { @for url in &webhooks { li { code { (url) } } } }
        },
    ))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Which table a records page lists, and the columns it shows (JSON member names).
#[derive(Clone, Copy)]
enum Entity {
    Customers,
    Friends,
    Rewards,
    Events,
}

impl Entity {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "customers" => Self::Customers,
            "friends" => Self::Friends,
            "rewards" => Self::Rewards,
            "events" => Self::Events,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Friends => "friends",
            Self::Rewards => "rewards",
            Self::Events => "events",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Customers => "Referring customers",
            Self::Friends => "Referred friends",
            Self::Rewards => "Rewards",
            Self::Events => "Referral events",
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Customers => &["contactId", "referralCode", "revision", "createdDate"],
            Self::Friends => &[
                "contactId",
                "referringCustomerId",
                "status",
                "revision",
                "createdDate",
            ],
            Self::Rewards => &[
                "rewardType",
                "rewardedReferringCustomerId",
                "rewardedReferredFriendId",
                "createdDate",
            ],
            Self::Events => &["kind", "createdDate"],
        }
    }

    fn example_filter(self) -> &'static str {
        match self {
            Self::Customers => r#"{"referralCode": {"$startsWith": "A"}}"#,
            Self::Friends => r#"{"status": "SIGN_UP_COMPLETED"}"#,
            Self::Rewards => r#"{"rewardType": "COUPON"}"#,
            Self::Events => r#"{"rewardEvent": {"$exists": true}}"#,
        }
    }

    /// One page of the query, as the API would answer it.
    fn query(self, site: &Site, query: &Value) -> Result<(Vec<Value>, Value), String> {
        let page = match self {
            Self::Customers => crate::routes::query_page(
                site,
                &site.customers,
                &CUSTOMER_SCHEMA,
                query,
                &crate::lenience::Lenience::default(),
                |r| r.to_json(),
            ),
            Self::Friends => crate::routes::query_page(
                site,
                &site.friends,
                &FRIEND_SCHEMA,
                query,
                &crate::lenience::Lenience::default(),
                |r| r.to_json(),
            ),
            Self::Rewards => crate::routes::query_page(
                site,
                &site.rewards,
                &REWARD_SCHEMA,
                query,
                &crate::lenience::Lenience::default(),
                |r| r.to_json(),
            ),
            Self::Events => crate::routes::query_page(
                site,
                &site.events,
                &EVENT_SCHEMA,
                query,
                &crate::lenience::Lenience::default(),
                |r| r.to_json(),
            ),
        };
        page.map_err(|e| e.message().to_owned())
    }

    fn get(self, site: &Site, id: &Uuid) -> Option<Value> {
        match self {
            Self::Customers => site.customers.get(id).map(|r| r.to_json()),
            Self::Friends => site.friends.get(id).map(|r| r.to_json()),
            Self::Rewards => site.rewards.get(id).map(|r| r.to_json()),
            Self::Events => site.events.get(id).map(|r| r.to_json()),
        }
    }
}

/// A cell of a records table: the member's text; for events, which one-of member they carry.
fn cell(row: &Value, column: &str) -> String {
    if column == "kind" {
        return [
            "referredFriendSignupEvent",
            "successfulReferralEvent",
            "actionEvent",
            "rewardEvent",
        ]
        .iter()
        .find(|member| row.get(**member).is_some())
        .map_or_else(String::new, |member| (*member).to_owned());
    }
    match row.get(column) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[derive(Deserialize)]
struct RecordsQuery {
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

async fn records_page(
    State(app): State<AppState>,
    Path((site, entity)): Path<(String, String)>,
    Query(params): Query<RecordsQuery>,
) -> Page {
    let id = site_id(&site)?;
    let entity =
        Entity::parse(&entity).ok_or_else(|| problem(StatusCode::NOT_FOUND, "no such table"))?;
    let filter_text = params.filter.unwrap_or_default();
    let mut query = json!({"cursorPaging": {"limit": PAGE_ROWS}});
    let mut error = None;
    if let Some(cursor) = params.cursor.as_deref().filter(|c| !c.is_empty()) {
        query["cursorPaging"]["cursor"] = json!(cursor);
    } else if !filter_text.trim().is_empty() {
        match serde_json::from_str::<Value>(&filter_text) {
            Ok(filter) => query["filter"] = filter,
            Err(e) => error = Some(format!("the filter is not JSON: {e}")),
        }
    }
    let result = match error {
        Some(error) => Err(error),
        None => with_site(&app, id, |site| entity.query(site, &query))?,
    };
    let base = format!("/_emulator/ui/sites/{id}/records/{}", entity.name());
    Ok(layout(
        entity.title(),
        html! {
            (site_nav(id, entity.name()))
            form.filter method="get" action=(base) {
                label for="filter" { "Filter (the Wix query language, JSON)" }
                input id="filter" type="text" name="filter" value=(filter_text) placeholder=(entity.example_filter());
                button type="submit" { "Apply" }
                a href=(base) { "clear" }
            }
            @match &result {
                Err(message) => p.error role="alert" { (message) },
                Ok((rows, metadata)) => {
                    div.scroll { table id="records" {
                        thead { tr { th { "id" } @for column in entity.columns() { th { (column) } } } }
                        tbody {
                            @for row in rows {
                                @let row_id = cell(row, "id");
                                tr {
                                    td { a href={(base) "/" (row_id)} { code { (row_id) } } }
                                    @for column in entity.columns() { td { (cell(row, column)) } }
                                }
                            }
                        }
                    } }
                    @if rows.is_empty() { p { "nothing matches" } }
                    p.paging {
                        (rows.len()) " shown"
                        @if let Some(next) = metadata["cursors"]["next"].as_str() {
                            " · " a id="next" href={(base) "?cursor=" (urlencoding(next))} { "next page" }
                        }
                    }
                }
            }
        },
    ))
}

/// Percent-encodes a query parameter value.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn record_page(
    State(app): State<AppState>,
    Path((site, entity, record)): Path<(String, String, String)>,
) -> Page {
    let id = site_id(&site)?;
    let entity =
        Entity::parse(&entity).ok_or_else(|| problem(StatusCode::NOT_FOUND, "no such table"))?;
    let record_id =
        Uuid::parse_str(&record).map_err(|_| problem(StatusCode::NOT_FOUND, "no such record"))?;
    record_markup(&app, id, entity, record_id, None)
}

/// A record's page, with what a form just did (`done`: the outcome, or the error).
fn record_markup(
    app: &AppState,
    site: Uuid,
    entity: Entity,
    record_id: Uuid,
    done: Option<Result<String, String>>,
) -> Page {
    let json = with_site(app, site, |s| entity.get(s, &record_id))?
        .ok_or_else(|| problem(StatusCode::NOT_FOUND, "no such record"))?;
    let base = format!(
        "/_emulator/ui/sites/{site}/records/{}/{record_id}",
        entity.name()
    );
    let unused_coupon = json["coupon"]["status"] == "ACTIVE";
    Ok(layout(
        &format!("{} {record_id}", entity.title()),
        html! {
            (site_nav(site, entity.name()))
            @match &done {
                Some(Ok(outcome)) => p.done role="status" { (outcome) },
                Some(Err(error)) => p.error role="alert" { (error) },
                None => {},
            }
            @if matches!(entity, Entity::Friends) {
                h2 { "The friend did something" }
                form.filter id="friend-action" method="post" action={(base) "/action"} {
                    label for="action" { "action" }
                    select id="action" name="action" {
                        @for name in &crate::model::ACTION_NAMES[1..] { option value=(name) { (name) } }
                    }
                    label for="amount" { "amount" }
                    input id="amount" name="amount" placeholder="25.00" size="8";
                    label for="currency" { "currency" }
                    input id="currency" name="currency" placeholder="USD" size="4";
                    label for="order_id" { "order id" }
                    input id="order_id" name="order_id" placeholder="(optional)" size="12";
                    button type="submit" { "Record it" }
                }
            }
            @if unused_coupon {
                form id="redeem" method="post" action={(base) "/redeem"} {
                    button type="submit" { "The receiver used the coupon" }
                }
            }
            pre id="record" { (pretty(&json)) }
        },
    ))
}

/// The friend-action form: empty fields are absent.
#[derive(Deserialize)]
struct ActionForm {
    action: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    order_id: String,
}

impl ActionForm {
    fn action(&self, contact: Uuid) -> Result<crate::site::FriendAction, String> {
        if !crate::model::ACTION_NAMES[1..].contains(&self.action.as_str()) {
            return Err(format!("{:?} is not a referral action", self.action));
        }
        let amount = self.amount.trim();
        let amount_cents = if amount.is_empty() {
            0
        } else {
            crate::routes::control::parse_cents(amount).ok_or_else(|| {
                format!("amount: {amount:?} is not a non-negative amount with at most two decimals")
            })?
        };
        let currency = self.currency.trim();
        let currency = if currency.is_empty() {
            None
        } else if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
            Some(currency.to_owned())
        } else {
            return Err(format!(
                "currency: {currency:?} is not an ISO 4217 code such as USD"
            ));
        };
        let order = self.order_id.trim();
        Ok(crate::site::FriendAction {
            contact,
            action: self.action.clone(),
            amount_cents,
            currency,
            order_id: (!order.is_empty()).then(|| order.to_owned()),
        })
    }
}

/// Records what a friend did, from the friend's page (the guard refuses other sites' forms).
async fn friend_action(
    State(app): State<AppState>,
    Path((site, record)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let outcome = (|| {
        let site = site_id(&site)?;
        let friend = Uuid::parse_str(&record)
            .map_err(|_| problem(StatusCode::NOT_FOUND, "no such friend"))?;
        let contact = with_site(&app, site, |s| s.friends.get(&friend).map(|f| f.contact_id))?
            .ok_or_else(|| problem(StatusCode::NOT_FOUND, "no such friend"))?;
        Ok::<_, (StatusCode, Markup)>((site, friend, contact))
    })();
    let (site, friend, contact) = match outcome {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let done = match form.action(contact) {
        Err(error) => Err(error),
        Ok(action) => crate::routes::control::with_site(&app, site, |s| {
            s.record_action(&action, &mut rand::thread_rng(), crate::site::now())
        })
        .map(|outcome| {
            let mut text = format!(
                "Recorded: {} event(s), {} reward(s).",
                outcome.events.len(),
                outcome.rewards.len()
            );
            for note in &outcome.notes {
                text.push(' ');
                text.push_str(note);
                text.push('.');
            }
            text
        })
        .map_err(|e| e.message().to_owned()),
    };
    form_answer(&app, site, Entity::Friends, friend, done)
}

/// Marks a reward's coupon used, from the reward's page.
async fn redeem_coupon(
    State(app): State<AppState>,
    Path((site, record)): Path<(String, String)>,
) -> Response {
    let Ok(site) = site_id(&site) else {
        return problem(StatusCode::NOT_FOUND, "no such site").into_response();
    };
    let Ok(reward) = Uuid::parse_str(&record) else {
        return problem(StatusCode::NOT_FOUND, "no such reward").into_response();
    };
    let done = crate::routes::control::with_site(&app, site, |s| {
        s.redeem_coupon(reward, crate::site::now())
    })
    .map(|_| "The coupon is APPLIED.".to_owned())
    .map_err(|e| e.message().to_owned());
    form_answer(&app, site, Entity::Rewards, reward, done)
}

/// The record's page after one of its forms: 200 with the outcome, or 400 with the error.
fn form_answer(
    app: &AppState,
    site: Uuid,
    entity: Entity,
    record: Uuid,
    done: Result<String, String>,
) -> Response {
    let status = if done.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    match record_markup(app, site, entity, record, Some(done)) {
        Ok(page) => (status, page).into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn webhooks_page(State(app): State<AppState>, Path(site): Path<String>) -> Page {
    let id = site_id(&site)?;
    with_site(&app, id, |_| ())?;
    let deliveries = app.dispatcher.log.of(id);
    Ok(layout(
        "Webhook deliveries",
        html! {
            (site_nav(id, "webhooks"))
            @if deliveries.is_empty() { p { "No deliveries yet (register a receiver with POST /_emulator/v1/sites/{site}/webhooks)." } }
            div.scroll { table id="deliveries" {
                thead { tr { th { "time" } th { "event type" } th { "entity" } th { "target" }
                    th { "state" } th.num { "attempts" } th { "last status" } th { "envelope" } } }
                tbody {
                    @for delivery in &deliveries {
                        tr {
                            td { (delivery.time.format("%H:%M:%S%.3f")) }
                            // An event type may break after its dots, so the row fits a laptop.
                            td { code { @for (i, part) in delivery.event_type.split('.').enumerate() { @if i > 0 { "." wbr; } (part) } } }
                            td { code { (delivery.entity_id.map(|e| e.to_string()).unwrap_or_default()) } }
                            td { code { (delivery.url) } }
                            td.state { (delivery.state.label()) }
                            td.num { (delivery.attempts) }
                            td { @if delivery.state == DeliveryState::Delivered { span.ok { (delivery.last_outcome.as_deref().unwrap_or("")) } }
                                 @else { span.bad { (delivery.last_outcome.as_deref().unwrap_or("")) } } }
                            td { details { summary { "decoded" } pre { (pretty(&delivery.envelope)) } } }
                        }
                    }
                }
            } }
        },
    ))
}

async fn requests_page(State(app): State<AppState>, Path(site): Path<String>) -> Page {
    let id = site_id(&site)?;
    with_site(&app, id, |_| ())?;
    let requests = app.requests.recent(Some(id), REQUEST_ROWS);
    Ok(layout(
        "Requests",
        html! {
            (site_nav(id, "requests"))
            (request_table(&requests))
        },
    ))
}

fn request_table(requests: &[RequestRecord]) -> Markup {
    html! {
        @if requests.is_empty() { p { "No requests logged yet." } }
        div.scroll { table id="requests" {
            thead { tr { th { "time" } th { "request" } th { "status" } th.num { "ms" } th { "identity" }
                th { "fault" } th { "departs from Wix's pages" } th { "request id" } th { "bodies" } } }
            tbody {
                @for r in requests {
                    tr {
                        td { (r.time.format("%H:%M:%S%.3f")) }
                        td { code { (r.method) " " (r.path) } }
                        td { @if r.status < 400 { span.ok { (r.status) } } @else { span.bad { (r.status) } } }
                        td.num { (format!("{:.1}", r.latency_micros as f64 / 1000.0)) }
                        td { (format!("{:?}", r.identity)) }
                        td { @if let Some(fault) = &r.fault { "rule " (fault.rule) ": " (fault.effect) } }
                        // What the request was accepted with although Wix's reference pages do
                        // not allow it (docs/decisions.md item 35).
                        td.warnings { @for warning in &r.warnings { p.warning { (warning) } } }
                        td { code { (r.request_id.as_deref().unwrap_or("")) } }
                        td { details { summary { "show" }
                            @if let Some(body) = &r.request_body { h3 { "request" } pre { (body) } }
                            @if let Some(body) = &r.response_body { h3 { "response" } pre { (body) } }
                        } }
                    }
                }
            }
        } }
    }
}

async fn faults_page(State(app): State<AppState>) -> Markup {
    let (rules, failed) = {
        let faults = app.faults.lock();
        (faults.rules().to_vec(), faults.failed().to_vec())
    };
    faults_markup(&rules, &failed, None)
}

fn faults_markup(rules: &[FaultRule], failed: &[u32], error: Option<&str>) -> Markup {
    layout(
        "Fault rules",
        html! {
            p { "Rules are tried in order on every Wix API request; the first that matches and fires decides." }
            @if let Some(error) = error { p.error role="alert" { (error) } }
            div.scroll { table id="faults" {
                thead { tr { th.num { "#" } th { "route" } th { "effect" } th.num { "probability" }
                    th.num { "times" } th.num { "failed so far" } } }
                tbody {
                    @for (i, rule) in rules.iter().enumerate() {
                        tr {
                            td.num { (i) }
                            td { code { (rule.route) } }
                            td { (describe(rule)) }
                            td.num { (rule.probability) }
                            td.num { (rule.times.map(|t| t.to_string()).unwrap_or_else(|| "∞".into())) }
                            td.num.failed { (failed.get(i).copied().unwrap_or(0)) }
                        }
                    }
                }
            } }
            @if rules.is_empty() { p { "No rules: every request passes." } }
            h2 { "Add a rule" }
            form id="add-fault" method="post" action="/_emulator/ui/faults" {
                label { "route " input name="route" value="*" required; }
                label { "status " input name="status" type="number" min="400" max="599" placeholder="503"; }
                label { "latency ms " input name="latency_ms" type="number" min="0"; }
                label { "probability " input name="probability" type="number" min="0" max="1" step="any" value="1"; }
                label { "times " input name="times" type="number" min="1"; }
                button type="submit" { "Add" }
            }
            form id="clear-faults" method="post" action="/_emulator/ui/faults/clear" {
                button type="submit" { "Clear every rule" }
            }
        },
    )
}

fn describe(rule: &FaultRule) -> String {
    let mut parts = Vec::new();
    if let Some(status) = rule.status {
        parts.push(format!("status {status}"));
    }
    if let Some(latency) = rule.latency_ms {
        parts.push(format!("latency {latency} ms"));
    }
    if rule.drop_connection {
        parts.push("drop the connection".into());
    }
    if rule.lose_response {
        parts.push("lose the response".into());
    }
    if rule.stall {
        parts.push("stall".into());
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}

/// The add-a-rule form: empty fields are absent.
#[derive(Deserialize)]
struct FaultForm {
    route: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    latency_ms: String,
    #[serde(default)]
    probability: String,
    #[serde(default)]
    times: String,
}

impl FaultForm {
    fn rule(&self) -> Result<FaultRule, String> {
        fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse()
                .map(Some)
                .map_err(|_| format!("{field}: {text:?} is not a number"))
        }
        let mut rule = FaultRule::on(self.route.trim());
        rule.status = number("status", &self.status)?;
        rule.latency_ms = number("latency_ms", &self.latency_ms)?;
        rule.probability = number("probability", &self.probability)?.unwrap_or(1.0);
        rule.times = number("times", &self.times)?;
        check_rules(std::slice::from_ref(&rule))
            .map_err(|e| e.message().replacen("[0].", "", 1))?;
        Ok(rule)
    }
}

/// Adds a rule from the faults page's form (a form from another site never gets here: the
/// guard in `crate::app` refuses cross-site requests).
async fn add_fault(State(app): State<AppState>, Form(form): Form<FaultForm>) -> Response {
    match form.rule() {
        Ok(rule) => {
            app.add_fault(rule);
            Redirect::to("/_emulator/ui/faults").into_response()
        }
        Err(error) => {
            let (rules, failed) = {
                let faults = app.faults.lock();
                (faults.rules().to_vec(), faults.failed().to_vec())
            };
            (
                StatusCode::BAD_REQUEST,
                faults_markup(&rules, &failed, Some(&error)),
            )
                .into_response()
        }
    }
}

async fn clear_faults(State(app): State<AppState>) -> Response {
    app.set_faults(Vec::new(), 0);
    Redirect::to("/_emulator/ui/faults").into_response()
}
