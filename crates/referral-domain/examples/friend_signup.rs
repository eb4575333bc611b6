//! Flow 3: a friend signs up with a referral code.
//! `cargo run -p referral-domain --example friend_signup`

mod support;

use referral_domain::flows::{self, SignupOutcome};
use referral_domain::{ContactId, ReferralPrograms};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::target().await?;
    let client = &target.client;
    println!("program: {}", client.get_program().await?.status);
    let customer = flows::enroll_referring_customer(
        client,
        &ContactId::parse("661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3")?,
    )
    .await?;
    let friend = ContactId::parse("3c1d4e5f-0a1b-4c2d-8e3f-405162738495")?;
    for attempt in 1..=2 {
        match flows::process_friend_signup(client, &customer.referral_code, &friend).await? {
            SignupOutcome::Created(f) => println!("attempt {attempt}: friend {} created", f.id),
            SignupOutcome::AlreadyReferred(f) => {
                println!("attempt {attempt}: already referred ({})", f.id);
            }
            SignupOutcome::InvalidCode => println!("attempt {attempt}: invalid code"),
            SignupOutcome::SelfReferral => println!("attempt {attempt}: self-referral"),
        }
    }
    Ok(())
}
