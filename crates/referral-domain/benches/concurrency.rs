//! 64 concurrent signup flows against the emulator over one pooled client: throughput and
//! latency, without faults and with 15 % faults, in one run. Not a test: it reports.
//!
//! `cargo bench -p referral-domain --bench concurrency` (`-- --quick` for fewer signups).
//!
//! The emulator runs on its own one-worker runtime thread, the client on another; each signup is
//! `flows::process_friend_signup` (three requests when it creates: code lookup, friend lookup,
//! create). Latency is per signup flow, retries included.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use referral_domain::flows::{self, ProgramConfig};
use referral_domain::{Auth, ContactId, ReferralAction, RetryPolicy, WixReferralClient};
use serde_json::{Value, json};

const CONCURRENCY: usize = 64;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn contact(n: u64) -> ContactId {
    ContactId::parse(format!("{:08x}-0000-4000-8000-{:012x}", n >> 20, n)).expect("a GUID")
}

async fn control(base: &str, method: reqwest::Method, path: &str, body: Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{base}/_emulator/v1{path}"))
        .json(&body)
        .send()
        .await
        .expect("the control API answers");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

struct Run {
    signups_per_second: f64,
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    retries: u64,
}

async fn run(
    client: &WixReferralClient,
    codes: &[referral_domain::ReferralCode],
    first: u64,
    signups: usize,
) -> Run {
    let before = client.stats();
    let started = Instant::now();
    let mut latencies: Vec<f64> = futures::stream::iter((0..signups).map(|i| {
        let code = codes[i % codes.len()].clone();
        let who = contact(first + i as u64);
        async move {
            let started = Instant::now();
            flows::process_friend_signup(client, &code, &who)
                .await
                .expect("a signup");
            started.elapsed().as_secs_f64() * 1e3
        }
    }))
    .buffer_unordered(CONCURRENCY)
    .collect()
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let after = client.stats();
    Run {
        signups_per_second: signups as f64 / elapsed,
        requests_per_second: (after.attempts - before.attempts) as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        retries: after.retries - before.retries,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let signups = if quick { 640 } else { 6_400 };

    let (base, key, site) = support::emulator_on_its_own_thread();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let client = WixReferralClient::builder()
            .base_url(&base)
            .auth(Auth::api_key(key, site))
            .retries(
                RetryPolicy::default()
                    .with_max_attempts(8)
                    .with_delays(Duration::from_millis(2), Duration::from_millis(50)),
            )
            .build()
            .expect("a client");
        let config = ProgramConfig {
            successful_referral_actions: Some(vec![ReferralAction::StoreOrderPlaced]),
            ..ProgramConfig::default()
        };
        flows::set_up_program(&client, &config).await.expect("set up");
        let mut codes = Vec::new();
        for n in 0..64 {
            codes.push(
                flows::enroll_referring_customer(&client, &contact(1_000_000_000 + n))
                    .await
                    .expect("enrolled")
                    .referral_code,
            );
        }
        // Warm-up: connections and caches.
        run(&client, &codes, 10_000_000, 256).await;
        let clean = run(&client, &codes, 20_000_000, signups).await;
        control(
            &base,
            reqwest::Method::PUT,
            "/faults?seed=5",
            json!([
                {"route": "/referral-customers/v1/referring-customers/code", "status": 503, "probability": 0.15},
                {"route": "/referral_friends/v1/referred-friends/contact", "status": 429, "probability": 0.15},
                {"route": "/referral_friends/v1/referred-friends", "loseResponse": true, "probability": 0.15},
            ]),
        )
        .await;
        let faulty = run(&client, &codes, 30_000_000, signups).await;
        control(&base, reqwest::Method::DELETE, "/faults", Value::Null).await;

        println!("| {signups} signups, {CONCURRENCY} at a time | signups/s | requests/s | p50 (ms) | p99 (ms) | retries |");
        println!("|---|---|---|---|---|---|");
        for (name, r) in [("no faults", &clean), ("15 % faults", &faulty)] {
            println!(
                "| {name} | {:.0} | {:.0} | {:.1} | {:.1} | {} |",
                r.signups_per_second, r.requests_per_second, r.p50_ms, r.p99_ms, r.retries
            );
        }
        println!(
            "| faults / no faults | {:.2}× | | {:.2}× | {:.2}× | |",
            faulty.signups_per_second / clean.signups_per_second,
            faulty.p50_ms / clean.p50_ms,
            faulty.p99_ms / clean.p99_ms
        );
    });
}
