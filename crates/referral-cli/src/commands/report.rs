use referral_domain::WixReferralClient;
use referral_domain::flows::{self, PerformanceReport, ReportOptions};

use crate::cli::{Format, ReportArgs};
use crate::error::CliError;
use crate::output;

pub async fn run(
    client: &WixReferralClient,
    args: ReportArgs,
    format: Format,
) -> Result<(), CliError> {
    let mut options = ReportOptions::default().top(args.top);
    if let Some(since) = args.since {
        options = options.since(since);
    }
    let progress = crate::progress::Progress::working("streaming customers, friends and rewards");
    let report = flows::performance_report(client, options).await?;
    drop(progress);
    print(&report, format)
}

/// A bar of `value` out of `max`, `width` cells wide.
fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let cells = ((value as f64 / max as f64) * width as f64).round() as usize;
    "█".repeat(cells.min(width))
}

pub fn print(report: &PerformanceReport, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => output::json(report),
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
            let mut out = csv::Writer::from_writer(std::io::stdout());
            let failed = |e: csv::Error| CliError::runtime(format!("writing CSV: {e}"));
            out.write_record(["metric", "value"]).map_err(failed)?;
            for (metric, value) in rows {
                out.write_record([metric, value]).map_err(failed)?;
            }
            for top in &report.top_referrers {
                out.write_record([
                    format!("top_referrer:{}", top.referring_customer_id),
                    top.referrals.to_string(),
                ])
                .map_err(failed)?;
            }
            out.flush()
                .map_err(|e| CliError::runtime(format!("writing CSV: {e}")))
        }
        Format::Table => {
            print!("{report:#}");
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
            println!("\n  funnel");
            for (name, n) in funnel {
                println!("    {name:<22} {n:>8}  {}", bar(n, max, 40));
            }
            if let Some(most) = report.top_referrers.first().map(|t| t.referrals) {
                println!("\n  top referrers");
                for top in &report.top_referrers {
                    let id = top.referring_customer_id.to_string();
                    let short = id.get(..8).unwrap_or(&id);
                    println!(
                        "    {short}…  {:>5}  {}",
                        top.referrals,
                        bar(top.referrals, most, 40)
                    );
                }
            }
            Ok(())
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
