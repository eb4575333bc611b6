use referral_domain::flows::{
    self, PerformanceReport, ReferrerLabel, ReportOptions, ReportPage, ReportProgress,
};
use referral_domain::{ReferralTracker, WixReferralClient};

use crate::cli::{Format, ReportArgs};
use crate::error::CliError;
use crate::output::Output;

pub(crate) async fn run(
    client: &WixReferralClient,
    args: ReportArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    let mut options = ReportOptions::default().top(usize::from(args.top));
    if let Some(since) = args.since {
        options = options.since(since);
    }
    let report = if args.since.is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        // The tracker counts every referred friend: the friends stage, the long one, gets a bar.
        let friends = client
            .get_referral_statistics()
            .await?
            .total_sign_ups_completed;
        let progress = crate::progress::Progress::bar(friends.max(0) as u64);
        progress.message("counting referring customers");
        flows::performance_report_observed(client, options, |step| match step {
            ReportProgress::Friends(n) => {
                progress.set(n);
                progress.message("referred friends");
            }
            ReportProgress::Rewards(_) => progress.message("counting rewards"),
            _ => {}
        })
        .await?
    } else {
        let progress =
            crate::progress::Progress::working("streaming customers, friends and rewards");
        let report = flows::performance_report(client, options).await?;
        drop(progress);
        report
    };
    let referrers = if matches!(out.format(), Format::Table | Format::Html) {
        flows::top_referrer_labels(client, &report).await?
    } else {
        Vec::new()
    };
    match &args.output {
        Some(path) => {
            let mut file_out = Output::file(path, out.format())
                .map_err(|e| CliError::runtime(format!("cannot write {}: {e}", path.display())))?;
            print(&report, &referrers, &mut file_out)?;
            file_out
                .flush()
                .map_err(|e| CliError::runtime(format!("cannot write {}: {e}", path.display())))?;
            crate::output::note(format!("wrote {}", path.display()));
            Ok(())
        }
        None => print(&report, &referrers, out),
    }
}

/// A bar of `value` out of `max`, `width` cells wide.
fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let cells = ((value as f64 / max as f64) * width as f64).round() as usize;
    "█".repeat(cells.min(width))
}

/// Prints `report`; a table shows the top referrers by code and contact (`referrers`, in the
/// report's order), JSON and CSV by id.
pub(crate) fn print(
    report: &PerformanceReport,
    referrers: &[ReferrerLabel],
    out: &mut Output,
) -> Result<(), CliError> {
    match out.format() {
        Format::Json => Ok(out.json(report)?),
        Format::Html => {
            let page = ReportPage::new(report)
                .referrers(referrers)
                .made_by("wix-referral report")
                .render();
            Ok(out.raw(page.as_bytes())?)
        }
        Format::Csv => {
            let r = &report.rewards;
            let rows: Vec<(String, String)> = vec![
                (
                    "referring_customers".into(),
                    report.referring_customers.to_string(),
                ),
                ("total_referrals".into(), report.total_referrals.to_string()),
                (
                    "customers_who_referred".into(),
                    report.customers_who_referred.to_string(),
                ),
                (
                    "share_of_customers_who_referred".into(),
                    format!("{:.4}", report.share_of_customers_who_referred),
                ),
                (
                    "referrals_per_referring_customer".into(),
                    format!("{:.4}", report.referrals_per_referring_customer),
                ),
                (
                    "friends_with_completed_actions".into(),
                    report.friends_with_completed_actions.to_string(),
                ),
                (
                    "conversion_rate".into(),
                    format!("{:.4}", report.conversion_rate),
                ),
                ("rewards".into(), r.total.to_string()),
                ("coupons".into(), r.coupons.to_string()),
                ("coupons_applied".into(), r.coupons_applied.to_string()),
                ("loyalty_rewards".into(), r.loyalty_points.to_string()),
                ("points_given".into(), r.points_given.to_string()),
                (
                    "rewards_to_customers".into(),
                    r.to_referring_customers.to_string(),
                ),
                (
                    "rewards_to_friends".into(),
                    r.to_referred_friends.to_string(),
                ),
                (
                    "average_rewards_per_referring_customer".into(),
                    format!("{:.4}", report.average_rewards_per_referring_customer),
                ),
                (
                    "amount_generated".into(),
                    report.statistics.total_amount_generated.to_string(),
                ),
            ];
            let mut rows = rows;
            for top in &report.top_referrers {
                rows.push((
                    format!("top_referrer:{}", top.referring_customer_id),
                    top.referrals.to_string(),
                ));
            }
            Ok(out.pairs(["metric", "value"], &rows)?)
        }
        Format::Table => {
            let mut text = format!("{report:#}");
            let r = &report.rewards;
            let funnel = [
                ("friends signed up", report.total_referrals),
                (
                    "friends with actions",
                    report.friends_with_completed_actions,
                ),
                ("rewards given", r.total),
            ];
            let max = funnel.iter().map(|(_, n)| *n).max().unwrap_or(0);
            text.push_str("\n  funnel\n");
            for (name, n) in funnel {
                text.push_str(&format!("    {name:<22} {n:>8}  {}\n", bar(n, max, 40)));
            }
            if let Some(most) = report.top_referrers.first().map(|t| t.referrals) {
                text.push_str("\n  top referrers (referral code, contact)\n");
                for (i, top) in report.top_referrers.iter().enumerate() {
                    let (code, contact) = referrers
                        .get(i)
                        .map_or(("-", "-"), |r| (r.code.as_str(), r.contact.as_str()));
                    text.push_str(&format!(
                        "    {code:<12}  {contact:<36}  {:>5}  {}\n",
                        top.referrals,
                        bar(top.referrals, most, 30)
                    ));
                }
            }
            Ok(out.text(&text)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars_scale_to_the_largest_and_never_overflow() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(0, 10, 4), "");
        assert_eq!(bar(3, 0, 4), "");
        assert_eq!(bar(20, 10, 4), "████");
    }
}
