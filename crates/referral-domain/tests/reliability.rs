//! Reliability under faults (RELIABILITY.md): a fault soak of friend signups, and concurrent
//! read-modify-write callers that must not lose an update. The outcome is checked over plain HTTP,
//! not through the SDK under test.
//!
//! `cargo test -p referral-domain --test reliability` runs 500 signups (as CI does); set
//! `WIX_REFERRAL_SOAK_SIGNUPS=5000` (and `--release`) for the large soak.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Env, contact};
use futures::StreamExt;
use referral_domain::flows::{self, ProgramConfig, SignupOutcome};
use referral_domain::{
    ContactId, ReferralAction, ReferralPrograms, ReferralProgramsExt, RetryPolicy,
};
use referral_emulator::FaultRule;
use serde_json::{Value, json};

const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";
const FRIENDS: &str = "/referral_friends/v1/referred-friends";
const PROGRAM: &str = "/_api/referral-programs/v1/program";
const MAX_ATTEMPTS: u32 = 8;

/// Every page of a query, over plain HTTP with the site's API key.
async fn all_pages(env: &Env, path: &str, items: &str, query: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut query = query;
    loop {
        let body: Value = env
            .http
            .post(format!("{}{path}/query", env.emulator.base_url()))
            .header("Authorization", env.emulator.api_key())
            .header("wix-site-id", env.emulator.site_id().to_string())
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        out.extend(body[items].as_array().cloned().unwrap_or_default());
        match body["metadata"]["cursors"]["next"].as_str() {
            Some(next) => query = json!({"cursorPaging": {"cursor": next, "limit": 100}}),
            None => return out,
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    created: usize,
    created_contacts: Vec<ContactId>,
    already: usize,
    invalid: usize,
    self_referral: usize,
    errors: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_soak_of_signups_leaves_one_friend_and_one_signup_event_per_contact() {
    let signups: usize = std::env::var("WIX_REFERRAL_SOAK_SIGNUPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let env = Env::start().await;
    let setup = env.client();
    let config = ProgramConfig {
        successful_referral_actions: Some(vec![ReferralAction::StoreOrderPlaced]),
        ..ProgramConfig::default()
    };
    flows::set_up_program(&setup, &config).await.unwrap();
    let customers: Vec<_> = futures::stream::iter((0..50).map(|_| {
        let setup = setup.clone();
        async move {
            flows::enroll_referring_customer(&setup, &contact())
                .await
                .unwrap()
        }
    }))
    .buffer_unordered(8)
    .collect()
    .await;

    // 10 % of the submissions repeat an earlier contact (with the same code); all run 16 at a time.
    let mut submissions: Vec<(usize, ContactId)> = Vec::with_capacity(signups);
    for i in 0..signups {
        if i % 10 == 9 {
            let earlier = submissions[i * 7 % submissions.len()].clone();
            submissions.push(earlier);
        } else {
            submissions.push((i % customers.len(), contact()));
        }
    }
    let client = env
        .builder()
        .attempt_timeout(Some(Duration::from_millis(250)))
        .timeout(Some(Duration::from_secs(30)))
        .retries(
            RetryPolicy::default()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_delays(Duration::from_millis(2), Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    // Two phases of 15 % faults, so that every kind meets every step of the flow.
    let phases = [
        vec![
            FaultRule::on(format!("{CUSTOMERS}/code"))
                .status(429)
                .probability(0.15),
            FaultRule::on(format!("{FRIENDS}/contact"))
                .status(429)
                .retry_after(0)
                .probability(0.15),
            FaultRule::on(FRIENDS).lose_response().probability(0.15),
        ],
        vec![
            FaultRule::on(format!("{CUSTOMERS}/code"))
                .status(503)
                .probability(0.15),
            FaultRule::on(format!("{FRIENDS}/contact"))
                .drop_connection()
                .probability(0.15),
            FaultRule::on(FRIENDS)
                .stall()
                .latency(Duration::from_millis(400))
                .probability(0.15),
        ],
    ];
    let mut tally = Tally::default();
    let mut linked: Vec<ContactId> = Vec::new();
    let mut fired = Vec::new();
    for (phase, rules) in phases.iter().enumerate() {
        env.faults(rules.clone()).await;
        let half = &submissions[phase * signups / 2..(phase + 1) * signups / 2];
        let tasks = half.iter().map(|(customer, who)| {
            let client = client.clone();
            let code = customers[*customer].referral_code.clone();
            let who = who.clone();
            tokio::spawn(async move {
                let outcome = flows::process_friend_signup(&client, &code, &who).await;
                (who, outcome)
            })
        });
        let results: Vec<_> = futures::stream::iter(tasks)
            .buffer_unordered(16)
            .collect()
            .await;
        fired.push(env.faults_fired().await);
        env.clear_faults().await;
        for joined in results {
            let (who, outcome) = joined.expect("no signup task panicked");
            match outcome {
                Ok(SignupOutcome::Created(_)) => {
                    tally.created += 1;
                    tally.created_contacts.push(who.clone());
                    linked.push(who);
                }
                Ok(SignupOutcome::AlreadyReferred(_)) => {
                    tally.already += 1;
                    linked.push(who);
                }
                Ok(SignupOutcome::InvalidCode) => tally.invalid += 1,
                Ok(SignupOutcome::SelfReferral) => tally.self_referral += 1,
                // A typed error is an acceptable end (the call's budget ran out); it is counted.
                Err(e) => tally.errors.push(format!("{e}")),
            }
        }
    }
    let stats = client.stats();

    // Checked over plain HTTP.
    let friends = all_pages(
        &env,
        FRIENDS,
        "referredFriends",
        json!({"cursorPaging": {"limit": 100}}),
    )
    .await;
    let mut per_contact: HashMap<String, usize> = HashMap::new();
    for friend in &friends {
        *per_contact
            .entry(friend["contactId"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let duplicated: Vec<_> = per_contact.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicate friends: {duplicated:?}");
    for who in &linked {
        assert_eq!(
            per_contact.get(who.as_str()),
            Some(&1),
            "a reported signup has its friend"
        );
    }
    let signup_events = all_pages(
        &env,
        "/_api/referral-tracker/v1/referral-events",
        "referralEvents",
        json!({"filter": {"eventType": "REFERRED_FRIEND_SIGNUP"}, "cursorPaging": {"limit": 100}}),
    )
    .await;
    let mut per_friend: HashMap<String, usize> = HashMap::new();
    for event in &signup_events {
        let friend = event["referredFriendSignupEvent"]["referredFriendId"]
            .as_str()
            .unwrap()
            .to_owned();
        *per_friend.entry(friend).or_default() += 1;
    }
    assert_eq!(
        signup_events.len(),
        friends.len(),
        "one signup event per friend"
    );
    assert!(per_friend.values().all(|n| *n == 1));

    let outcomes =
        tally.created + tally.already + tally.invalid + tally.self_referral + tally.errors.len();
    assert_eq!(
        outcomes, signups,
        "every signup ended as an outcome or a typed error"
    );
    // Concurrent submissions of one contact may each be told `Created` (the create is
    // create-or-return): count contacts, not reports.
    let created: std::collections::HashSet<&str> =
        tally.created_contacts.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        created.len(),
        friends.len(),
        "every friend was reported created"
    );
    assert!(
        stats.attempts <= stats.calls * u64::from(MAX_ATTEMPTS) + stats.token_refreshes,
        "retries within the budget: {stats:?}"
    );
    assert!(
        stats.retries > 0,
        "the faults were met with retries: {stats:?}"
    );
    assert!(
        tally.errors.len() * 100 <= signups,
        "at most 1 % of signups end in an error: {:?}",
        tally.errors
    );
    eprintln!(
        "soak: {signups} signups → {} created, {} already referred, {} errors; {} friends, {} signup events; \
         SDK {} calls, {} attempts, {} retries, {} settled; faults fired per phase {fired:?}",
        tally.created,
        tally.already,
        tally.errors.len(),
        friends.len(),
        signup_events.len(),
        stats.calls,
        stats.attempts,
        stats.retries,
        stats.settled_by_reading
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_editors_under_lost_answers_lose_no_update() {
    let env = Env::start().await;
    let client = env
        .builder()
        .retries(
            RetryPolicy::default()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_delays(Duration::from_millis(1), Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let start = client
        .update_program_with(|p| p.name = Some("> ".into()))
        .await
        .unwrap();
    let first_revision = start.revision.unwrap().get();
    env.faults([FaultRule::on(PROGRAM).lose_response().probability(0.15)])
        .await;
    // Each editor adds its own character to the name (32 distinct ones; the name stays ≤ 50).
    let marks: Vec<char> = ('a'..='z').chain('0'..='5').collect();
    let editors = marks.iter().map(|mark| {
        let client = client.clone();
        let mark = *mark;
        tokio::spawn(async move {
            client
                .update_program_with_attempts(128, move |p| {
                    let name = p.name.get_or_insert_with(String::new);
                    if !name.contains(mark) {
                        name.push(mark);
                    }
                })
                .await
        })
    });
    let results = futures::future::join_all(editors).await;
    let fired = env.faults_fired().await;
    env.clear_faults().await;
    for result in results {
        result
            .expect("no editor panicked")
            .expect("every edit landed");
    }
    let end = client.get_program().await.unwrap();
    let name = end.name.unwrap();
    for mark in &marks {
        assert!(name.contains(*mark), "{mark} is missing from {name:?}");
    }
    assert_eq!(name.len(), "> ".len() + 32, "each change once: {name:?}");
    assert_eq!(
        end.revision.unwrap().get() - first_revision,
        32,
        "the revision advanced exactly 32 times"
    );
    let stats = client.stats();
    assert!(fired[0] > 0, "answers were lost");
    eprintln!(
        "lost updates: 32 editors, {} lost answers, SDK {} calls, {} attempts, {} retries, {} settled by reading",
        fired[0], stats.calls, stats.attempts, stats.retries, stats.settled_by_reading
    );
}
