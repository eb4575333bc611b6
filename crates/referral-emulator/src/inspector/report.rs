//! The inspector's report page: a site's performance report, the same one `wix-referral report`
//! makes. It is folded by the SDK's own `ReportBuilder` and drawn by its `ReportPage`, from the
//! store itself: no HTTP round trip, so looking at the report never consumes a fault rule or
//! fills the request log. Records are read in chunks, each under a short read lock, so a large
//! site never holds writers back for the whole report.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::Markup;
use referral_domain::api::types as wire;
use referral_domain::flows::{
    PerformanceReport, ReferrerLabel, ReportBuilder, ReportOptions, ReportPage,
};
use referral_domain::{ReferralReward, ReferralStatistics, ReferredFriend, ReferringCustomer};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use super::{problem, site_id};
use crate::site::Site;
use crate::state::AppState;

/// Records converted per read lock.
const CHUNK: usize = 1000;
/// The most top referrers a page lists (the CLI's `--top` bound).
pub(crate) const MAX_TOP: usize = 100;

/// What the page is asked for: `?since=2026-11-01` (a date, midnight UTC, or RFC 3339),
/// `&top=10`, `&format=json` for the report's JSON.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportParams {
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    top: Option<usize>,
    #[serde(default)]
    format: ReportFormat,
}

/// How the report is answered.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ReportFormat {
    /// The charts ([`ReportPage`]).
    #[default]
    Html,
    /// `PerformanceReport` as JSON, exactly what the SDK's flow returns.
    Json,
}

/// `since` as the page takes it: empty for everything, a date, or an RFC 3339 instant.
fn parse_since(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    let Some(raw) = raw.map(str::trim).filter(|raw| !raw.is_empty()) else {
        return Ok(None);
    };
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).map(|t| t.and_utc()));
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| "since: expected a date (2026-11-01) or an RFC 3339 instant".to_owned())
}

fn options(params: &ReportParams) -> Result<ReportOptions, String> {
    let top = params.top.unwrap_or(10);
    if top > MAX_TOP {
        return Err(format!("top: at most {MAX_TOP}"));
    }
    let mut options = ReportOptions::default().top(top);
    if let Some(since) = parse_since(params.since.as_deref())? {
        options = options.since(since);
    }
    Ok(options)
}

/// Why a report could not be made.
enum Failure {
    NoSite,
    /// A stored record the SDK cannot read or fold: an emulator bug, named.
    Bug(String),
}

/// Decodes what the API would answer for a record into the SDK's type.
fn decode<W, D>(what: &str, id: &Uuid, json: Value) -> Result<D, Failure>
where
    W: DeserializeOwned,
    D: From<W>,
{
    serde_json::from_value::<W>(json)
        .map(D::from)
        .map_err(|e| Failure::Bug(format!("{what} {id}: {e}")))
}

/// Feeds the records of `ids` to `add`, a chunk per read lock; records deleted meanwhile are
/// skipped, as a paged read over HTTP would.
fn fold<W, D>(
    app: &AppState,
    site: Uuid,
    what: &str,
    ids: &[Uuid],
    row: impl Fn(&Site, &Uuid) -> Option<Value>,
    mut add: impl FnMut(&D) -> Result<(), Failure>,
) -> Result<(), Failure>
where
    W: DeserializeOwned,
    D: From<W>,
{
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(Uuid, Value)> = app
            .inspect(|state| {
                let site = state.sites.get(&site)?;
                Some(
                    chunk
                        .iter()
                        .filter_map(|id| row(site, id).map(|json| (*id, json)))
                        .collect(),
                )
            })
            .ok_or(Failure::NoSite)?;
        for (id, json) in rows {
            add(&decode::<W, D>(what, &id, json)?)?;
        }
    }
    Ok(())
}

/// The site's report and its top referrers' labels.
fn compute(
    app: &AppState,
    site: Uuid,
    options: &ReportOptions,
) -> Result<(PerformanceReport, Vec<ReferrerLabel>), Failure> {
    let (customers, friends, rewards) = app
        .inspect(|state| {
            let site = state.sites.get(&site)?;
            let customers: Vec<Uuid> = site.customers.values().map(|c| c.meta.id).collect();
            // The flow reads friends sorted by referring customer: each one's referrals a run.
            let mut friends: Vec<(Uuid, Uuid)> = site
                .friends
                .values()
                .map(|f| (f.referring_customer_id, f.meta.id))
                .collect();
            friends.sort_unstable();
            let rewards: Vec<Uuid> = site.rewards.values().map(|r| r.meta.id).collect();
            Some((customers, friends, rewards))
        })
        .ok_or(Failure::NoSite)?;
    let friends: Vec<Uuid> = friends.into_iter().map(|(_, id)| id).collect();

    let mut report = ReportBuilder::new(options);
    fold::<wire::ReferringCustomer, ReferringCustomer>(
        app,
        site,
        "referring customer",
        &customers,
        |site, id| site.customers.get(id).map(|c| c.to_json()),
        |customer| {
            report.add_customer(customer);
            Ok(())
        },
    )?;
    fold::<wire::ReferredFriend, ReferredFriend>(
        app,
        site,
        "referred friend",
        &friends,
        |site, id| site.friends.get(id).map(|f| f.to_json()),
        |friend| {
            report
                .add_friend(friend)
                .map(drop)
                .map_err(|e| Failure::Bug(e.to_string()))
        },
    )?;
    fold::<wire::ReferralReward, ReferralReward>(
        app,
        site,
        "reward",
        &rewards,
        |site, id| site.rewards.get(id).map(|r| r.to_json()),
        |reward| {
            report.add_reward(reward);
            Ok(())
        },
    )?;
    let statistics = app
        .inspect(|state| state.sites.get(&site).map(Site::statistics))
        .ok_or(Failure::NoSite)?;
    let statistics: ReferralStatistics =
        decode::<wire::GetReferralStatisticsResponse, _>("statistics of site", &site, statistics)?;
    let report = report.finish(statistics);

    let labels = app
        .inspect(|state| {
            let site = state.sites.get(&site)?;
            Some(
                report
                    .top_referrers
                    .iter()
                    .map(|top| {
                        Uuid::parse_str(top.referring_customer_id.as_str())
                            .ok()
                            .and_then(|id| site.customers.get(&id))
                            .map_or_else(ReferrerLabel::gone, |c| {
                                ReferrerLabel::new(
                                    c.referral_code.clone(),
                                    c.contact_id.to_string(),
                                )
                            })
                    })
                    .collect(),
            )
        })
        .ok_or(Failure::NoSite)?;
    Ok((report, labels))
}

/// `GET /_emulator/ui/sites/{site}/report[?since=&top=&format=json]`.
pub(crate) async fn report_page(
    State(app): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<Response, (StatusCode, Markup)> {
    let id = site_id(&site)?;
    let options = options(&params).map_err(|e| problem(StatusCode::BAD_REQUEST, &e))?;
    // Reading and decoding a large site takes a while: off the async workers.
    let computed = tokio::task::spawn_blocking({
        let app = app.clone();
        move || compute(&app, id, &options)
    })
    .await
    .map_err(|_| problem(StatusCode::INTERNAL_SERVER_ERROR, "the report failed"))?;
    let (report, labels) = computed.map_err(|failure| match failure {
        Failure::NoSite => problem(StatusCode::NOT_FOUND, "no such site"),
        Failure::Bug(what) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the SDK cannot read or count a stored record (an emulator bug): {what}"),
        ),
    })?;
    Ok(match params.format {
        ReportFormat::Json => Json(report).into_response(),
        ReportFormat::Html => {
            let back = format!("/_emulator/ui/sites/{id}");
            let made_by = format!("the emulator's inspector for site {id}");
            Html(
                ReportPage::new(&report)
                    .referrers(&labels)
                    .made_by(&made_by)
                    .back_link(&back, "← site overview")
                    .render(),
            )
            .into_response()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_date_or_an_instant_and_names_itself_otherwise() {
        let at = |text: &str| Some(text.parse::<DateTime<Utc>>().unwrap());
        for (raw, expected) in [
            (None, Ok(None)),
            (Some(""), Ok(None)),
            (Some("  "), Ok(None)),
            (Some("2026-11-01"), Ok(at("2026-11-01T00:00:00Z"))),
            (
                Some("2026-11-01T10:00:00+02:00"),
                Ok(at("2026-11-01T08:00:00Z")),
            ),
        ] {
            assert_eq!(parse_since(raw), expected, "{raw:?}");
        }
        for raw in ["yesterday", "2026-13-01", "2026-11-01T25:00:00Z"] {
            assert!(
                parse_since(Some(raw)).unwrap_err().starts_with("since:"),
                "{raw}"
            );
        }
    }

    #[test]
    fn top_is_bounded() {
        let params = |top| ReportParams {
            top: Some(top),
            ..ReportParams::default()
        };
        assert_eq!(options(&params(0)).unwrap().top, 0);
        assert_eq!(options(&params(MAX_TOP)).unwrap().top, MAX_TOP);
        assert_eq!(
            options(&params(MAX_TOP + 1)).unwrap_err(),
            "top: at most 100"
        );
        assert_eq!(options(&ReportParams::default()).unwrap().top, 10);
    }
}
