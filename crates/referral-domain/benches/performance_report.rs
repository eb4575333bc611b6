//! The performance-report flow over 100k and 200k referred friends: wall time against merely
//! fetching every page with hand-written reqwest, and the peak resident memory of the client.
//! Not a test: it reports.
//!
//! `cargo bench -p referral-domain --bench performance_report` (`-- --quick` for 10k and 20k).
//!
//! The bench runs itself as separate processes so that each side's memory is its own: one
//! emulator process per size (seeded, then left serving), and for each round one process that
//! runs the SDK's `flows::performance_report` and one that fetches the same pages (customers;
//! friends sorted by `referringCustomerId`; rewards; the statistics) with reqwest and
//! `serde_json::Value`. Each client process reports its wall time and its peak RSS (`VmHWM`).
//! Rounds alternate which side goes first; medians are reported.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use referral_domain::flows::{self, ReportOptions};
use referral_domain::{Auth, WixReferralClient};
use serde_json::{Value, json};

const ROUNDS: usize = 3;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Child: an emulator whose default site holds `customers` × 4 friends; prints its URL, serves
/// until stdin closes.
fn serve(customers: u32) {
    runtime().block_on(async move {
        let emulator = referral_emulator::Emulator::start_with(referral_emulator::EmulatorConfig {
            seed: Some(referral_emulator::SeedRequest {
                customers,
                friends_per_customer: 4,
                action_rate: 0.25,
                seed: 3,
            }),
            settings: referral_emulator::Settings {
                rate_limit_per_minute: None,
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .expect("the emulator starts");
        println!(
            "{} {} {}",
            emulator.base_url(),
            emulator.api_key(),
            emulator.site_id()
        );
        // Serve until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .ok();
        drop(emulator);
    });
}

/// Child: the SDK's report.
fn report(base: &str, key: &str, site: &str) {
    let started = Instant::now();
    let report = runtime().block_on(async {
        let client = WixReferralClient::builder()
            .base_url(base)
            .auth(Auth::api_key(key, site))
            .build()
            .expect("a client");
        flows::performance_report(&client, ReportOptions::default().top(10))
            .await
            .expect("the report")
    });
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{elapsed} {} friends={} rewards={}",
        peak_rss_kib(),
        report.total_referrals,
        report.rewards.total
    );
}

/// Child: every page the report reads, fetched and parsed, nothing computed.
fn raw(base: &str, key: &str, site: &str) {
    let started = Instant::now();
    let (friends, rewards) = runtime().block_on(async {
        let http = reqwest::Client::new();
        let page = |path: &'static str, query: Value| {
            let http = http.clone();
            async move {
                let response = http
                    .post(format!("{base}{path}"))
                    .header("Authorization", key)
                    .header("wix-site-id", site)
                    .json(&json!({ "query": query }))
                    .send()
                    .await
                    .expect("sent");
                serde_json::from_slice::<Value>(&response.bytes().await.expect("a body")).expect("JSON")
            }
        };
        let mut counts = Vec::new();
        for (path, items, first) in [
            ("/referral-customers/v1/referring-customers/query", "referringCustomers", json!({"cursorPaging": {"limit": 100}})),
            (
                "/referral_friends/v1/referred-friends/query",
                "referredFriends",
                json!({"sort": [{"fieldName": "referringCustomerId", "order": "ASC"}], "cursorPaging": {"limit": 100}}),
            ),
            ("/_api/referral-rewards/v1/referral-rewards/query", "referralRewards", json!({"cursorPaging": {"limit": 100}})),
        ] {
            let mut query = first;
            let mut count = 0;
            loop {
                let body = page(path, query).await;
                count += body[items].as_array().map_or(0, Vec::len);
                match body["metadata"]["cursors"]["next"].as_str() {
                    Some(next) => query = json!({"cursorPaging": {"cursor": next, "limit": 100}}),
                    None => break,
                }
            }
            counts.push(count);
        }
        http.get(format!("{base}/_api/referral-tracker/v1/referral-statistics"))
            .header("Authorization", key)
            .header("wix-site-id", site)
            .send()
            .await
            .expect("sent");
        (counts[1], counts[2])
    });
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{elapsed} {} friends={friends} rewards={rewards}",
        peak_rss_kib()
    );
}

fn run_child(args: &[&str]) -> (f64, u64, String) {
    let exe = std::env::current_exe().expect("this bench");
    let output = Command::new(exe)
        .args(args)
        .output()
        .expect("the child runs");
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let mut parts = text.split_whitespace();
    let secs = parts.next().and_then(|s| s.parse().ok()).expect("seconds");
    let rss = parts.next().and_then(|s| s.parse().ok()).expect("peak RSS");
    (secs, rss, parts.collect::<Vec<_>>().join(" "))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn start_emulator(customers: u32) -> (Child, String, String, String) {
    let exe = std::env::current_exe().expect("this bench");
    let mut child = Command::new(exe)
        .args(["serve", &customers.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the emulator process starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("its stdout"))
        .read_line(&mut line)
        .expect("its address");
    let mut parts = line.split_whitespace().map(str::to_owned);
    let (base, key, site) = (parts.next(), parts.next(), parts.next());
    (
        child,
        base.expect("url"),
        key.expect("key"),
        site.expect("site"),
    )
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("serve") => return serve(args[1].parse().expect("customers")),
        Some("report") => return report(&args[1], &args[2], &args[3]),
        Some("raw") => return raw(&args[1], &args[2], &args[3]),
        _ => {}
    }
    let quick = args.iter().any(|a| a == "--quick");
    let sizes: &[u32] = if quick {
        &[2_500, 5_000]
    } else {
        &[25_000, 50_000]
    };
    println!(
        "| referred friends | rewards | hand-written pages (s) | SDK report (s) | SDK / hand-written | client peak RSS, hand-written / SDK (MiB) |"
    );
    println!("|---|---|---|---|---|---|");
    for &customers in sizes {
        let (mut emulator, base, key, site) = start_emulator(customers);
        let mut raw_secs = Vec::new();
        let mut sdk_secs = Vec::new();
        let mut raw_rss = Vec::new();
        let mut sdk_rss = Vec::new();
        let mut counts = String::new();
        // Unmeasured warm-up: the emulator builds its referringCustomerId order on first use.
        run_child(&["raw", &base, &key, &site]);
        for round in 0..ROUNDS {
            for sdk_side in [round % 2 == 0, round % 2 != 0] {
                let side = if sdk_side { "report" } else { "raw" };
                let (secs, rss, what) = run_child(&[side, &base, &key, &site]);
                if sdk_side {
                    sdk_secs.push(secs);
                    sdk_rss.push(rss as f64 / 1024.0);
                    counts = what;
                } else {
                    raw_secs.push(secs);
                    raw_rss.push(rss as f64 / 1024.0);
                }
            }
        }
        drop(emulator.stdin.take());
        let _ = emulator.wait();
        let (raw_t, sdk_t) = (median(&mut raw_secs), median(&mut sdk_secs));
        let friends = counts
            .split(' ')
            .next()
            .unwrap_or("")
            .trim_start_matches("friends=");
        let rewards = counts
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .trim_start_matches("rewards=");
        println!(
            "| {friends} | {rewards} | {raw_t:.2} | {sdk_t:.2} | **{:.2}×** | {:.1} / **{:.1}** |",
            sdk_t / raw_t,
            median(&mut raw_rss),
            median(&mut sdk_rss)
        );
    }
}
