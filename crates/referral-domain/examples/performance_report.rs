//! Flow 4: the program's performance, streamed in bounded memory.
//! `cargo run -p referral-domain --example performance_report`

mod support;

use referral_domain::flows::{self, ReportOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::target().await?;
    let report = flows::performance_report(&target.client, ReportOptions::default().top(5)).await?;
    println!("{report}");
    Ok(())
}
