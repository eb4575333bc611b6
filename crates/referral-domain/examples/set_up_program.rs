//! Flow 1: configure the referral program and activate it (safe to run twice).
//! `cargo run -p referral-domain --example set_up_program`

mod support;

use referral_domain::flows::{self, ProgramConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::target().await?;
    // The sample flows' set-up: a 10 % store coupon for friends, 100 points for customers.
    let config = ProgramConfig::sample_flows();
    let program = flows::set_up_program(&target.client, &config).await?;
    println!(
        "{} is {} at revision {:?}",
        program.name.as_deref().unwrap_or("(unnamed)"),
        program.status,
        program.revision
    );
    let again = flows::set_up_program(&target.client, &config).await?;
    println!("run again: revision {:?} (unchanged)", again.revision);
    Ok(())
}
