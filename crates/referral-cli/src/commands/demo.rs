//! `wix-referral demo`: the whole system on one machine, offline.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use referral_domain::flows::{self, ProgramConfig, ReportOptions, SignupOutcome};
use referral_domain::query::friends;
use referral_domain::{
    Auth, ContactId, OptionalExt, ReferralCode, ReferredFriends, ReferredFriendsExt, RetryPolicy,
    WixReferralClient,
};
use referral_emulator::{Emulator, EmulatorConfig, Settings};
use serde_json::{Value, json};

use crate::cli::{DemoArgs, Format};
use crate::error::CliError;
use crate::output::Output;

/// New customers the demo enrols, and friend signups it submits.
const ENROLMENTS: usize = 50;
const SIGNUPS: usize = 400;
/// Calls in flight at once.
const CONCURRENCY: usize = 8;

fn guid(rng: &mut ChaCha8Rng) -> ContactId {
    let uuid = uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid();
    ContactId::parse(uuid.to_string()).unwrap_or_else(|_| ContactId::me())
}

fn config() -> ProgramConfig {
    ProgramConfig::sample_flows()
}

/// The faults of `--chaos`: each Wix service gets one kind, so all four happen in one run.
fn chaos_rules() -> Value {
    json!([
        {"route": "/referral-customers", "status": 429, "retryAfter": 0, "probability": 0.10},
        {"route": "/referral_friends", "loseResponse": true, "probability": 0.10},
        {"route": "/_api/referral-programs", "dropConnection": true, "probability": 0.15},
        {"route": "/_api/referral-rewards", "status": 503, "probability": 0.10},
        {"route": "/_api/referral-tracker", "status": 502, "probability": 0.10},
    ])
}

pub(super) async fn run(args: DemoArgs, out: &mut Output) -> Result<(), CliError> {
    let format = out.format();
    let started = Instant::now();
    let emulator = Emulator::start_with(EmulatorConfig {
        settings: Settings {
            rate_limit_per_minute: None,
            ..Settings::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .map_err(|e| CliError::runtime(format!("the embedded emulator did not start: {e}")))?;
    let base = emulator.base_url().to_owned();
    let site = emulator.site_id().to_string();
    let control = emulator.control();
    crate::output::note(format!("embedded emulator at {base}"));

    crate::output::note(format!(
        "1/5 seeding {} customers with {} friends each …",
        args.customers, args.friends
    ));
    let seeded = control
        .send(
            reqwest::Method::POST,
            &format!("/sites/{site}/seed"),
            Some(&json!({"customers": args.customers, "friendsPerCustomer": args.friends, "actionRate": 0.3, "seed": args.seed})),
        )
        .await?;
    crate::output::note(format!(
        "    {} customers, {} friends, {} orders, {} rewards, {} events",
        seeded["customers"],
        seeded["friends"],
        seeded["actions"],
        seeded["rewards"],
        seeded["events"]
    ));

    let retries = if args.chaos {
        RetryPolicy::default()
            .with_max_attempts(10)
            .with_delays(Duration::from_millis(5), Duration::from_millis(200))
    } else {
        RetryPolicy::default()
    };
    let client = WixReferralClient::builder()
        .base_url(&base)
        .auth(Auth::api_key(emulator.api_key(), site.clone()))
        .retries(retries)
        .build()?;
    if args.chaos {
        crate::output::note(
            "    chaos on: 429s, empty 5xx, dropped connections and lost responses",
        );
        control
            .send(
                reqwest::Method::PUT,
                &format!("/faults?seed={}", args.seed),
                Some(&chaos_rules()),
            )
            .await?;
    }

    crate::output::note("2/5 setting up the program (twice: the second run changes nothing) …");
    let program = flows::set_up_program(&client, &config()).await?;
    let again = flows::set_up_program(&client, &config()).await?;
    crate::output::note(format!(
        "    {} is {} at revision {} (then {})",
        program.name.as_deref().unwrap_or("the program"),
        program.status,
        program.revision.map_or(0, |r| r.get()),
        again.revision.map_or(0, |r| r.get())
    ));

    crate::output::note(format!(
        "3/5 enrolling {ENROLMENTS} new referring customers …"
    ));
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let contacts: Vec<ContactId> = (0..ENROLMENTS).map(|_| guid(&mut rng)).collect();
    let customers: Vec<_> = futures::stream::iter(
        contacts
            .iter()
            .map(|c| flows::enroll_referring_customer(&client, c)),
    )
    .buffered(CONCURRENCY)
    .try_collect()
    .await?;

    crate::output::note(format!(
        "4/5 processing {SIGNUPS} friend signups (with duplicates, bad codes and self-referrals) …"
    ));
    let invalid = ReferralCode::parse("AAAAAAAAAAAA")?;
    let mut submissions: Vec<(ReferralCode, ContactId)> = Vec::with_capacity(SIGNUPS);
    for i in 0..SIGNUPS {
        let customer = &customers[rng.gen_range(0..customers.len())];
        let submission = match i {
            _ if i % 25 == 24 => (invalid.clone(), guid(&mut rng)),
            _ if i % 40 == 39 => (customer.referral_code.clone(), customer.contact_id.clone()),
            // A friend who submits again (a double click, a retried form).
            _ if i % 10 == 9 && !submissions.is_empty() => {
                submissions[rng.gen_range(0..submissions.len())].clone()
            }
            _ => (customer.referral_code.clone(), guid(&mut rng)),
        };
        submissions.push(submission);
    }
    let outcomes: Vec<_> = futures::stream::iter(submissions.iter().map(|(code, contact)| async {
        (
            contact.clone(),
            flows::process_friend_signup(&client, code, contact).await,
        )
    }))
    .buffer_unordered(CONCURRENCY)
    .collect()
    .await;
    let during = client.stats();
    if args.chaos {
        control
            .send(reqwest::Method::DELETE, "/faults", None)
            .await?;
    }

    let mut tally: HashMap<&str, usize> = HashMap::new();
    let mut linked: Vec<ContactId> = Vec::new();
    let mut failures = Vec::new();
    for (contact, outcome) in outcomes {
        let kind = match outcome {
            Ok(SignupOutcome::Created(_)) => "created",
            Ok(SignupOutcome::AlreadyReferred(_)) => "already referred",
            Ok(SignupOutcome::InvalidCode) => "invalid code",
            Ok(SignupOutcome::SelfReferral) => "self-referral",
            Err(e) => {
                failures.push(e.to_string());
                "failed"
            }
        };
        if matches!(kind, "created" | "already referred") {
            linked.push(contact);
        }
        *tally.entry(kind).or_default() += 1;
    }

    crate::output::note("5/5 checking the outcome, then the performance report …");
    // Duplicates: contacts that are referred friends more than once.
    let mut per_contact: HashMap<String, u32> = HashMap::new();
    let mut all = client.referred_friends_stream(friends::query().page_size(100));
    while let Some(friend) = all.try_next().await? {
        *per_contact
            .entry(friend.contact_id.to_string())
            .or_default() += 1;
    }
    drop(all);
    let duplicates = per_contact.values().filter(|n| **n > 1).count();
    // Lost writes: signups reported as linked whose friend does not exist.
    let mut lost = 0;
    for contact in &linked {
        if client
            .get_referred_friend_by_contact(contact)
            .await
            .optional()?
            .is_none()
        {
            lost += 1;
        }
    }

    let report = flows::performance_report(&client, ReportOptions::default().top(10)).await?;
    let referrers = flows::top_referrer_labels(&client, &report).await?;
    super::report::print(&report, &referrers, out)?;

    let count = |k: &str| tally.get(k).copied().unwrap_or(0);
    let summary = format!(
        "\nWhat happened{}\n  signups attempted       {:>6}  ({} created, {} already referred, {} invalid code, {} self-referral, {} failed)\n  SDK calls / attempts    {:>6} / {}  ({} retries, {} writes settled by reading)\n  duplicate friends       {:>6}\n  lost writes             {:>6}\n  took                    {:>6.1} s",
        if args.chaos { " under chaos" } else { "" },
        SIGNUPS,
        count("created"),
        count("already referred"),
        count("invalid code"),
        count("self-referral"),
        count("failed"),
        during.calls,
        during.attempts,
        during.retries,
        during.settled_by_reading,
        duplicates,
        lost,
        started.elapsed().as_secs_f64()
    );
    match format {
        Format::Table => out.text(&summary)?,
        _ => crate::output::note(&summary),
    }
    for failure in failures.iter().take(3) {
        crate::output::note(format!("  failure: {failure}"));
    }
    emulator.shutdown().await;
    if duplicates > 0 || lost > 0 {
        return Err(CliError::runtime(format!(
            "{duplicates} duplicate friends and {lost} lost writes: the SDK's guarantees did not hold"
        )));
    }
    Ok(())
}
