//! Flow 1: configure the referral program and activate it (safe to run twice).
//! `cargo run -p referral-domain --example set_up_program`

mod support;

use referral_domain::flows::{self, ProgramConfig};
use referral_domain::{
    CouponAppliesTo, CouponScope, CouponSpec, Decimal, Discount, ReferralAction, RewardConfig,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::target().await?;
    let config = ProgramConfig {
        name: Some("Holiday Referral Program".into()),
        referred_friend_reward: Some(RewardConfig::Coupon(
            CouponSpec::new("Welcome gift", Discount::Percentage(Decimal::new(10, 0)))
                .applies_to(CouponAppliesTo::Scope(CouponScope::namespace("stores"))),
        )),
        referring_customer_reward: Some(RewardConfig::loyalty_points(100)),
        successful_referral_actions: Some(vec![ReferralAction::StoreOrderPlaced]),
        emails: None,
    };
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
