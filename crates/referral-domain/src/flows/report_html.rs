//! The performance report as one self-contained HTML page, for site owners and marketers: what
//! `wix-referral report --format html` writes and the emulator's inspector shows. Charts are
//! inline SVG drawn here (no script, no font, no asset from anywhere); every value from the data
//! is escaped by maud. It reads on a laptop screen and prints on A4 (charts scale to the page).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::PerformanceReport;
use super::ReferrerLabel;

/// A [`PerformanceReport`] as one self-contained HTML page (feature `html`).
///
/// ```
/// use referral_domain::flows::{ReportBuilder, ReportOptions, ReportPage};
/// let report = ReportBuilder::new(&ReportOptions::default()).finish(Default::default());
/// let html: String = ReportPage::new(&report).made_by("our nightly job").render();
/// assert!(html.starts_with("<!DOCTYPE html>") && html.contains("our nightly job"));
/// ```
#[derive(Clone, Debug)]
pub struct ReportPage<'a> {
    report: &'a PerformanceReport,
    referrers: &'a [ReferrerLabel],
    made_by: &'a str,
    back: Option<(&'a str, &'a str)>,
}

impl<'a> ReportPage<'a> {
    /// The page of `report`; top referrers are shown by id until [`Self::referrers`] names them.
    pub fn new(report: &'a PerformanceReport) -> Self {
        Self {
            report,
            referrers: &[],
            made_by: "referral-domain",
            back: None,
        }
    }

    /// Names the top referrers by code and contact (in the report's order, as
    /// [`top_referrer_labels`](super::top_referrer_labels) returns them).
    pub fn referrers(mut self, referrers: &'a [ReferrerLabel]) -> Self {
        self.referrers = referrers;
        self
    }

    /// What the footer says made the page (default `referral-domain`).
    pub fn made_by(mut self, made_by: &'a str) -> Self {
        self.made_by = made_by;
        self
    }

    /// A link above the title (the inspector links back to the site). Both are escaped; an
    /// `href` that is not a relative path or `http(s)://` is left out.
    pub fn back_link(mut self, href: &'a str, label: &'a str) -> Self {
        self.back = Some((href, label));
        self
    }

    /// The whole document.
    pub fn render(&self) -> String {
        render(self)
    }
}

/// A link target that cannot run script: a path, or an http(s) URL.
fn safe_href(href: &str) -> bool {
    href.starts_with('/') && !href.starts_with("//")
        || href.starts_with("https://")
        || href.starts_with("http://")
}

/// Top referrers' labels: the code when known, else the id.
fn top_rows(page: &ReportPage<'_>) -> Vec<(String, String, u64)> {
    page.report
        .top_referrers
        .iter()
        .enumerate()
        .map(|(i, t)| match page.referrers.get(i) {
            Some(label) => (label.code.clone(), label.contact.clone(), t.referrals),
            None => (
                t.referring_customer_id.to_string(),
                "-".to_owned(),
                t.referrals,
            ),
        })
        .collect()
}

const STYLE: &str = r#"
:root { --ink: #1d232b; --muted: #5b6673; --line: #d9dee4; --a: #116dff; --b: #0f9d7a; --c: #e8a317; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 980px; padding: 2rem 1.5rem; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
.period { color: var(--muted); margin: 0 0 1.5rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; }
.figure { border: 1px solid var(--line); padding: .5rem .75rem; }
.figure b { display: block; font-size: 1.5rem; }
.figure span { color: var(--muted); font-size: 13px; }
figure { margin: 0; }
svg { width: 100%; height: auto; display: block; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg .value { fill: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
footer { color: var(--muted); font-size: 12px; margin-top: 2rem; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; } figure, .figures { break-inside: avoid; } }
"#;

/// Horizontal bars: one row per `(label, value)`, scaled to the largest.
fn bars(id: &str, rows: &[(String, u64)], colour: &str) -> Markup {
    const WIDTH: f64 = 900.0;
    const LABEL: f64 = 220.0;
    const ROW: f64 = 28.0;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let height = ROW * rows.len().max(1) as f64 + 8.0;
    html! {
        svg id=(id) viewBox={"0 0 " (WIDTH) " " (height)} role="img" aria-label=(id) {
            @for (i, (label, value)) in rows.iter().enumerate() {
                @let y = 4.0 + ROW * i as f64;
                @let length = ((WIDTH - LABEL - 80.0) * (*value as f64 / max)).max(if *value > 0 { 2.0 } else { 0.0 });
                text x="0" y=(y + 17.0) { (label) }
                rect class="bar" x=(LABEL) y=(y + 4.0) width=(format!("{length:.1}")) height=(ROW - 10.0) fill=(colour) {}
                text.value x=(format!("{:.1}", LABEL + length + 6.0)) y=(y + 17.0) { (value) }
            }
        }
    }
}

/// Referrals per week as columns, with the first and last week named.
fn weekly(report: &PerformanceReport) -> Markup {
    const WIDTH: f64 = 900.0;
    const HEIGHT: f64 = 220.0;
    const BASE: f64 = 190.0;
    let weeks = &report.referrals_per_week;
    if weeks.is_empty() {
        return html! { p { "No referrals in the period." } };
    }
    let max = weeks.iter().map(|w| w.referrals).max().unwrap_or(0).max(1) as f64;
    let step = WIDTH / weeks.len() as f64;
    let column = (step * 0.8).clamp(0.5, 40.0);
    html! {
        svg id="weekly" viewBox={"0 0 " (WIDTH) " " (HEIGHT)} role="img" aria-label="referrals per week" {
            line x1="0" y1=(BASE) x2=(WIDTH) y2=(BASE) stroke="#d9dee4" {}
            @for (i, week) in weeks.iter().enumerate() {
                @let height = (BASE - 20.0) * (week.referrals as f64 / max);
                rect class="bar" x=(format!("{:.2}", step * i as f64)) y=(format!("{:.2}", BASE - height))
                    width=(format!("{column:.2}")) height=(format!("{height:.2}")) fill="#116dff" {
                    title { (week.week) ": " (week.referrals) }
                }
            }
            text x="0" y=(BASE + 20.0) { (weeks[0].week) }
            text x=(WIDTH) y=(BASE + 20.0) text-anchor="end" { (weeks[weeks.len() - 1].week) }
            text.value x="0" y="12" { "most in a week: " (max as u64) }
        }
    }
}

fn render(page: &ReportPage<'_>) -> String {
    let report = page.report;
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let r = &report.rewards;
    let period = match report.since {
        Some(since) => format!("since {}", since.format("%Y-%m-%d %H:%M UTC")),
        None => "all time".to_owned(),
    };
    let funnel = [
        ("referring customers".to_owned(), report.referring_customers),
        (
            "customers who referred".to_owned(),
            report.customers_who_referred,
        ),
        ("friends signed up".to_owned(), report.total_referrals),
        (
            "friends with actions".to_owned(),
            report.friends_with_completed_actions,
        ),
        ("rewards given".to_owned(), r.total),
    ];
    let rows = top_rows(page);
    let top: Vec<(String, u64)> = rows.iter().map(|(code, _, n)| (code.clone(), *n)).collect();
    let by_type = [
        ("coupons".to_owned(), r.coupons),
        ("loyalty points".to_owned(), r.loyalty_points),
        ("nothing".to_owned(), r.nothing),
        ("other".to_owned(), r.other),
    ];
    let by_receiver = [
        (
            "to referring customers".to_owned(),
            r.to_referring_customers,
        ),
        ("to referred friends".to_owned(), r.to_referred_friends),
        ("unclear".to_owned(), r.to_unclear_receivers),
    ];
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon to fetch: served (by the inspector) or opened, the page loads nothing.
                link rel="icon" href="data:,";
                title { "Referral program performance" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @if let Some((href, label)) = page.back.filter(|(href, _)| safe_href(href)) {
                    p.back { a href=(href) { (label) } }
                }
                h1 { "Referral program performance" }
                p.period { (period) }
                section.figures {
                    div.figure { b { (report.total_referrals) } span { "referrals" } }
                    div.figure { b { (pct(report.conversion_rate)) } span { "conversion" } }
                    div.figure { b { (pct(report.share_of_customers_who_referred)) } span { "of customers referred someone" } }
                    div.figure { b { (format!("{:.2}", report.referrals_per_referring_customer)) } span { "referrals per referrer" } }
                    div.figure { b { (report.statistics.total_amount_generated.round_dp(2)) } span { "generated (tracker)" } }
                }
                h2 { "Funnel" }
                figure { (bars("funnel", &funnel, "#116dff")) }
                h2 { "Referrals per week" }
                figure { (weekly(report)) }
                @if report.referrals_before_listed_weeks > 0 {
                    p { (report.referrals_before_listed_weeks) " referrals of earlier weeks are not shown." }
                }
                h2 { "Top referrers (by referral code)" }
                @if top.is_empty() { p { "No referrals yet." } } @else {
                    figure { (bars("top-referrers", &top, "#0f9d7a")) }
                    table {
                        thead { tr { th { "referral code" } th { "contact" } th.num { "referrals" } } }
                        tbody {
                            @for (code, contact, referrals) in &rows {
                                tr { td { (code) } td { (contact) } td.num { (referrals) } }
                            }
                        }
                    }
                }
                h2 { "Rewards by type" }
                figure { (bars("rewards-by-type", &by_type, "#e8a317")) }
                p { (r.coupons_applied) " of " (r.coupons) " coupons used; " (r.points_given) " loyalty points given." }
                h2 { "Rewards by receiver" }
                figure { (bars("rewards-by-receiver", &by_receiver, "#e8a317")) }
                footer { "Made by " (page.made_by) ". The tracker's totals cover the whole program; the rest counts what was created " (period) "." }
            }
        }
    };
    page.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::{RewardCounts, TopReferrer, WeekCount};
    use crate::{ReferralStatistics, ReferringCustomerId};

    fn report(weeks: u64) -> PerformanceReport {
        let first: chrono::NaiveDate = "2026-10-26".parse().unwrap();
        PerformanceReport {
            since: None,
            referring_customers: 4,
            total_referrals: 6,
            customers_who_referred: 2,
            share_of_customers_who_referred: 0.5,
            referrals_per_referring_customer: 3.0,
            most_referrals: 4,
            friends_with_completed_actions: 3,
            conversion_rate: 0.5,
            top_referrers: vec![TopReferrer {
                referring_customer_id: ReferringCustomerId::parse(
                    "0b6a5c8e-3c1f-4d6e-9f2a-7d1e2c3b4a50",
                )
                .unwrap(),
                referrals: 4,
            }],
            rewards: RewardCounts::default(),
            average_rewards_per_referring_customer: 0.0,
            statistics: ReferralStatistics {
                total_sign_ups_completed: 6,
                total_actions_completed: 3,
                total_amount_generated: "10.00".parse().unwrap(),
            },
            referrals_per_week: (0..weeks)
                .map(|i| WeekCount {
                    week: format!("W{i}"),
                    starts: first + chrono::Days::new(7 * i),
                    referrals: i,
                })
                .collect(),
            referrals_before_listed_weeks: 0,
        }
    }

    #[test]
    fn one_self_contained_file_with_every_chart_and_the_data_escaped() {
        let hostile = [ReferrerLabel::new(
            "<script>x</script>",
            "\"><iframe></iframe>",
        )];
        let report = report(9);
        let html = ReportPage::new(&report)
            .referrers(&hostile)
            .made_by("<b>me</b>")
            .back_link("/back?a=1&b=\"2\"", "<i>back</i>")
            .render();
        for id in [
            "funnel",
            "weekly",
            "top-referrers",
            "rewards-by-type",
            "rewards-by-receiver",
        ] {
            assert!(html.contains(&format!(r#"<svg id="{id}""#)), "{id}");
        }
        assert_eq!(
            html.matches("<rect class=\"bar\"").count(),
            5 + 9 + 1 + 4 + 3
        );
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("Made by &lt;b&gt;me&lt;/b&gt;"));
        assert!(
            html.contains(r#"<a href="/back?a=1&amp;b=&quot;2&quot;">&lt;i&gt;back&lt;/i&gt;</a>"#)
        );
        assert!(
            !html.contains("<script") && !html.contains("<iframe") && !html.contains("<b>me"),
            "no markup from data"
        );
        assert_eq!(
            html.matches("<link").count(),
            html.matches(r#"<link rel="icon" href="data:,">"#).count(),
            "the only link is the empty icon"
        );
        for external in ["http://", "https://", "src="] {
            assert!(!html.contains(external), "nothing external: {external}");
        }
    }

    #[test]
    fn an_empty_report_says_so_instead_of_drawing_nothing() {
        let mut empty = report(0);
        empty.top_referrers.clear();
        let html = ReportPage::new(&empty).render();
        assert!(html.contains("No referrals in the period."));
        assert!(html.contains("No referrals yet."));
    }

    #[test]
    fn unnamed_referrers_show_their_id_and_scripted_links_are_dropped() {
        let report = report(1);
        let html = ReportPage::new(&report)
            .back_link("javascript:alert(1)", "back")
            .render();
        assert!(html.contains("0b6a5c8e-3c1f-4d6e-9f2a-7d1e2c3b4a50"));
        assert!(!html.contains("javascript:"));
        for (href, safe) in [
            ("/_emulator/ui/sites/x", true),
            ("https://example.com/", true),
            ("http://127.0.0.1:1/", true),
            ("//evil.example/", false),
            ("javascript:alert(1)", false),
            ("data:text/html,x", false),
            (" /x", false),
        ] {
            assert_eq!(safe_href(href), safe, "{href}");
        }
    }
}
