//! The Wix article "Referral Program APIs: Sample Flows", step by step, through the SDK against
//! an embedded emulator: each line of output names the article's section and step, then what
//! the SDK did and what came back. Where the article's REST example departs from Wix's method
//! reference pages, the SDK does what the reference pages ask, and the line says so.
//! `cargo run -p referral-domain --example sample_flows`

use referral_domain::flows::{ProgramConfig, ReportOptions, performance_report};
use referral_domain::query::{customers, friends, rewards};
use referral_domain::{
    Auth, ContactId, NewReferredFriend, ReferralPrograms, ReferralProgramsExt, ReferralRewards,
    ReferredFriends, ReferringCustomers, WixReferralClient,
};

fn step(section: &str, number: &str, name: &str, outcome: impl std::fmt::Display) {
    println!("{section} · {number}. {name}: {outcome}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = referral_emulator::Emulator::start().await?;
    eprintln!("(an embedded emulator at {})", emulator.base_url());
    let client = WixReferralClient::builder()
        .base_url(emulator.base_url())
        .auth(Auth::api_key(
            emulator.api_key(),
            emulator.site_id().to_string(),
        ))
        .build()?;

    const SET_UP: &str = "Set up a referral program";
    let program = client.get_program().await?;
    step(
        SET_UP,
        "1",
        "Get Referral Program",
        format!("status {}", program.status),
    );
    let config = ProgramConfig::sample_flows();
    let program = client
        .update_program_with(|program| config.apply_to(program))
        .await?;
    step(
        SET_UP,
        "2",
        "Update Referral Program",
        format!(
            "{:?} at revision {} (the SDK sends the revision it read)",
            program.name.as_deref().unwrap_or(""),
            program
                .revision
                .map_or_else(|| "?".to_owned(), |r| r.to_string())
        ),
    );
    let program = client.activate_program().await?;
    step(
        SET_UP,
        "3",
        "Update Referral Program with status ACTIVE",
        format!(
            "status {} (the SDK calls Activate Referral Program)",
            program.status
        ),
    );
    let customer_contact = ContactId::parse("661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3")?;
    let customer = client
        .generate_referring_customer(&customer_contact)
        .await?;
    step(
        SET_UP,
        "4",
        "Generate Referring Customer For Contact",
        format!("referral code {}", customer.referral_code),
    );
    step(
        SET_UP,
        "5",
        "Share the referral code",
        format!("give {} to the customer", customer.referral_code),
    );

    const SIGNUPS: &str = "Process friend signups";
    let by_code = client
        .query_referring_customers(
            &customers::query().filter(customers::referral_code().eq(&customer.referral_code)),
        )
        .await?;
    let referrer = by_code.items.first().ok_or("the code is not valid")?;
    step(
        SIGNUPS,
        "1",
        "Query Referring Customers by the referral code",
        format!("valid: referring customer {}", referrer.id),
    );
    let friend_contact = ContactId::parse("3c1d4e5f-0a1b-4c2d-8e3f-405162738495")?;
    let already = match client.get_referred_friend_by_contact(&friend_contact).await {
        Ok(friend) => Some(friend),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    step(
        SIGNUPS,
        "2",
        "Is the contact already a referred friend?",
        format!(
            "{} (the SDK calls Get Referred Friend By Contact: the Query Referred Friend page \
             lists no contactId filter)",
            if already.is_some() { "yes" } else { "no" }
        ),
    );
    let friend = match already {
        Some(friend) => friend,
        None => {
            client
                .create_referred_friend(&NewReferredFriend::Contact {
                    contact_id: friend_contact.clone(),
                    referring_customer_id: referrer.id.clone(),
                })
                .await?
        }
    };
    step(
        SIGNUPS,
        "3",
        "Create Referred Friend",
        format!(
            "friend {} of customer {}",
            friend.id, friend.referring_customer_id
        ),
    );

    // The friend places an order in the store: not an API call of the article, but what turns a
    // sign-up into a successful referral (and rewards) on the emulator.
    emulator
        .control()
        .record_action(
            emulator.site_id(),
            &referral_emulator::FriendActionInput::order(
                uuid::Uuid::parse_str(friend_contact.as_str())?,
                "25.00",
                "USD",
            ),
        )
        .await?;
    eprintln!("(the friend placed a store order of 25.00 USD)");

    const TRACK: &str = "Track referral program performance";
    let everyone = client
        .query_referring_customers(&customers::query())
        .await?;
    step(
        TRACK,
        "1",
        "Query Referring Customers",
        format!("{} customer(s)", everyone.items.len()),
    );
    let referred = client
        .query_referred_friends(&friends::query().sort(friends::referring_customer_id().asc()))
        .await?;
    let mut per_customer = std::collections::BTreeMap::new();
    for friend in &referred.items {
        *per_customer
            .entry(friend.referring_customer_id.to_string())
            .or_insert(0) += 1;
    }
    step(
        TRACK,
        "2",
        "Query Referred Friend sorted by referringCustomerId, counted per customer",
        format!("{per_customer:?}"),
    );
    let since = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00.000Z")?.to_utc();
    let rewarded = client
        .query_referral_rewards(&rewards::query().filter(rewards::created_date().gte(since)))
        .await?;
    step(
        TRACK,
        "3",
        "Query Referral Rewards since 2024-01-01",
        format!("{} reward(s)", rewarded.items.len()),
    );
    let report = performance_report(&client, ReportOptions::default().top(5)).await?;
    step(
        TRACK,
        "4",
        "Calculate key performance metrics",
        "the SDK's performance report:",
    );
    println!("{report}");
    Ok(())
}
