//! Flow 2: enrol a referring customer and print the code to share.
//! `cargo run -p referral-domain --example enroll_customer [CONTACT_ID]`

mod support;

use referral_domain::{ContactId, flows};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::target().await?;
    let contact = match std::env::args().nth(1) {
        Some(id) => ContactId::parse(id)?,
        None => ContactId::parse("661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3")?,
    };
    let customer = flows::enroll_referring_customer(&target.client, &contact).await?;
    println!(
        "contact {contact} shares referral code {}",
        customer.referral_code
    );
    Ok(())
}
