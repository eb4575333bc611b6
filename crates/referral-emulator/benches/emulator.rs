//! The emulator's benchmark: one run, side by side, on this machine. Not a test: it reports.
//!
//! `cargo bench -p referral-emulator --bench emulator` (add `-- --quick` for a smaller run).
//!
//! 1. GET-by-id requests per second over keep-alive loopback, against a bare axum handler that
//!    returns the same bytes (the ceiling). Target: ≥ 50 % of the ceiling.
//! 2. Indexed queries (`referralCode $eq`; `referringCustomerId $eq` with limit 100) at 10k and
//!    1M rows. Target: the 1M figure within 2× of the 10k one.
//! 3. Seeding time and resident memory per 1M rows. Target: < 20 s.
//! 4. Pages of friends sorted by `referringCustomerId` at 10k and 1M rows. Target: about the
//!    same per page at both sizes (the field's order is walked, not every match sorted).

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt;
use referral_emulator::engine::{
    CUSTOMER_SCHEMA, FRIEND_SCHEMA, Site as EngineSite, seed as seed_site,
};
use referral_emulator::{Emulator, EmulatorConfig, SeedRequest, Settings};
use serde_json::{Value, json};

const CONCURRENCY: usize = 8;
/// Interleaved rounds of the GET comparison.
const ROUNDS: usize = 5;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Site {
    id: String,
    key: String,
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Sends `total` requests from `CONCURRENCY` keep-alive workers; returns requests per second.
async fn load(
    total: usize,
    make: impl Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> f64 {
    let make = std::sync::Arc::new(make);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..CONCURRENCY {
        let make = make.clone();
        workers.push(tokio::spawn(async move {
            let mut i = worker;
            while i < total {
                let response = make(i).send().await.expect("request");
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.expect("body");
                i += CONCURRENCY;
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

async fn post(http: &reqwest::Client, base: &str, site: &Site, path: &str, body: Value) -> Value {
    http.post(format!("{base}{path}"))
        .header("Authorization", &site.key)
        .header("wix-site-id", &site.id)
        .json(&body)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

async fn new_site(http: &reqwest::Client, base: &str) -> Site {
    let created: Value = http
        .post(format!("{base}/_emulator/v1/sites"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Site {
        id: created["siteId"].as_str().unwrap().into(),
        key: created["apiKey"].as_str().unwrap().into(),
    }
}

async fn seed(
    http: &reqwest::Client,
    base: &str,
    site: &Site,
    customers: u32,
) -> (Value, Duration) {
    let started = Instant::now();
    let counts: Value = http
        .post(format!("{base}/_emulator/v1/sites/{}/seed", site.id))
        .json(&json!({"customers": customers, "friendsPerCustomer": 4, "actionRate": 0.25, "seed": 1}))
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (counts, started.elapsed())
}

/// Sample codes and customer ids by paging the default order.
async fn sample(http: &reqwest::Client, base: &str, site: &Site) -> Vec<(String, String)> {
    let page = post(
        http,
        base,
        site,
        "/referral-customers/v1/referring-customers/query",
        json!({"query": {"cursorPaging": {"limit": 100}}}),
    )
    .await;
    page["referringCustomers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["referralCode"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Mean latency in µs of `n` indexed queries, run one after the other.
async fn indexed_queries(
    http: &reqwest::Client,
    base: &str,
    site: &Site,
    samples: &[(String, String)],
    n: usize,
) -> (f64, f64) {
    // Unmeasured warm-up, so that neither size pays for cold connections and caches.
    for (code, _) in samples.iter().take(n / 10) {
        let query = json!({"query": {"filter": {"referralCode": {"$eq": code}}}});
        post(
            http,
            base,
            site,
            "/referral-customers/v1/referring-customers/query",
            query,
        )
        .await;
    }
    let mut by_code = Duration::ZERO;
    let mut by_customer = Duration::ZERO;
    for i in 0..n {
        let (code, customer) = &samples[i % samples.len()];
        let started = Instant::now();
        let page = post(
            http,
            base,
            site,
            "/referral-customers/v1/referring-customers/query",
            json!({"query": {"filter": {"referralCode": {"$eq": code}}}}),
        )
        .await;
        by_code += started.elapsed();
        assert_eq!(page["referringCustomers"].as_array().map(Vec::len), Some(1));
        let started = Instant::now();
        let page = post(
            http,
            base,
            site,
            "/referral_friends/v1/referred-friends/query",
            json!({"query": {"filter": {"referringCustomerId": {"$eq": customer}}, "cursorPaging": {"limit": 100}}}),
        )
        .await;
        by_customer += started.elapsed();
        assert_eq!(page["referredFriends"].as_array().map(Vec::len), Some(4));
    }
    let micros = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    (micros(by_code), micros(by_customer))
}

/// Walks referred friends sorted by `referringCustomerId` (100 a page, following cursors):
/// the first page (which builds the field's order on a fresh site) and the mean of the next
/// `pages`, in µs.
async fn sorted_pages(http: &reqwest::Client, base: &str, site: &Site, pages: usize) -> (f64, f64) {
    let path = "/referral_friends/v1/referred-friends/query";
    let first = json!({"query": {"sort": [{"fieldName": "referringCustomerId", "order": "ASC"}], "cursorPaging": {"limit": 100}}});
    let started = Instant::now();
    let mut page = post(http, base, site, path, first).await;
    let first_page = started.elapsed();
    let started = Instant::now();
    let mut walked = 0;
    while walked < pages {
        let Some(cursor) = page["metadata"]["cursors"]["next"]
            .as_str()
            .map(str::to_owned)
        else {
            break;
        };
        page = post(
            http,
            base,
            site,
            path,
            json!({"query": {"cursorPaging": {"cursor": cursor, "limit": 100}}}),
        )
        .await;
        assert_eq!(page["referredFriends"].as_array().map(Vec::len), Some(100));
        walked += 1;
    }
    let micros = |d: Duration, n: usize| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    (micros(first_page, 1), micros(started.elapsed(), walked))
}

/// The same two indexed queries in process, without HTTP: the engine's own cost, in µs.
fn engine_queries(customers: u32, n: usize) -> (f64, f64) {
    let mut site = EngineSite::new(uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
    let request = SeedRequest {
        customers,
        friends_per_customer: 4,
        action_rate: 0.25,
        seed: 1,
    };
    seed_site(&mut site, &request).expect("seed");
    let samples: Vec<(String, String)> = site
        .customers
        .values()
        .take(500)
        .map(|c| (c.referral_code.clone(), c.meta.id.to_string()))
        .collect();
    let started = Instant::now();
    for i in 0..n {
        let query = json!({"filter": {"referralCode": {"$eq": samples[i % samples.len()].0}}});
        let plan = site.plan(&CUSTOMER_SCHEMA, &query, None).expect("plan");
        assert_eq!(site.customers.query(&plan, None).rows.len(), 1);
    }
    let by_code = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    let started = Instant::now();
    for i in 0..n {
        let query = json!({"filter": {"referringCustomerId": {"$eq": samples[i % samples.len()].1}}, "cursorPaging": {"limit": 100}});
        let plan = site.plan(&FRIEND_SCHEMA, &query, None).expect("plan");
        assert_eq!(site.friends.query(&plan, None).rows.len(), 4);
    }
    let by_customer = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    (by_code, by_customer)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (requests, big_customers, queries) = if quick {
        (5_000, 20_000, 200)
    } else {
        (40_000, 200_000, 1_000)
    };
    let settings = Settings {
        rate_limit_per_minute: None,
        ..Settings::default()
    };
    let emulator = Emulator::start_with(EmulatorConfig {
        settings,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let base = emulator.base_url().to_owned();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let rss_start = rss_kib();

    // 2. Indexed queries: 10k rows.
    let small = new_site(&http, &base).await;
    let (small_counts, _) = seed(&http, &base, &small, 2_000).await;
    let small_samples = sample(&http, &base, &small).await;
    let (small_code, small_customer) =
        indexed_queries(&http, &base, &small, &small_samples, queries).await;
    let (small_sorted_first, small_sorted) = sorted_pages(&http, &base, &small, 50).await;

    // 1. GET by id: the emulator against a bare handler returning the same bytes.
    let (_, customer_id) = small_samples[0].clone();
    let path = format!("/referral-customers/v1/referring-customers/{customer_id}");
    let body = http
        .get(format!("{base}{path}"))
        .header("Authorization", &small.key)
        .header("wix-site-id", &small.id)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let bare_body = body.clone();
    let bare = Router::new().route(
        "/referral-customers/v1/referring-customers/{id}",
        get(move || {
            let body = bare_body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_base = format!("http://{}", listener.local_addr().unwrap());
    // TCP_NODELAY, as the emulator's own listener sets it: the two differ only in the handler.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, bare).await.unwrap() });
    let warm = |base: String, key: String, site: String, path: String, http: reqwest::Client| {
        move |_| {
            http.get(format!("{base}{path}"))
                .header("Authorization", key.clone())
                .header("wix-site-id", site.clone())
        }
    };
    load(
        2_000,
        warm(
            bare_base.clone(),
            small.key.clone(),
            small.id.clone(),
            path.clone(),
            http.clone(),
        ),
    )
    .await;
    load(
        2_000,
        warm(
            base.clone(),
            small.key.clone(),
            small.id.clone(),
            path.clone(),
            http.clone(),
        ),
    )
    .await;
    // Interleaved rounds, so that a burst of background load hits both sides alike; medians.
    let mut bare_runs = Vec::new();
    let mut emulator_runs = Vec::new();
    for _ in 0..ROUNDS {
        let bare = warm(
            bare_base.clone(),
            small.key.clone(),
            small.id.clone(),
            path.clone(),
            http.clone(),
        );
        bare_runs.push(load(requests / ROUNDS, bare).await);
        let emulated = warm(
            base.clone(),
            small.key.clone(),
            small.id.clone(),
            path.clone(),
            http.clone(),
        );
        emulator_runs.push(load(requests / ROUNDS, emulated).await);
    }
    let (bare_rps, emulator_rps) = (median(&mut bare_runs), median(&mut emulator_runs));

    // 3. and 2. at 1M rows: seeding time and memory, then the same indexed queries.
    let rss_before = rss_kib();
    let big = new_site(&http, &base).await;
    let (big_counts, seeding) = seed(&http, &base, &big, big_customers).await;
    let rss_after = rss_kib();
    let big_samples = sample(&http, &base, &big).await;
    let (big_code, big_customer) = indexed_queries(&http, &base, &big, &big_samples, queries).await;
    let (big_sorted_first, big_sorted) = sorted_pages(&http, &base, &big, 50).await;

    let (engine_small_code, engine_small_customer) = engine_queries(2_000, 20_000);
    let (engine_big_code, engine_big_customer) = engine_queries(big_customers, 20_000);

    let rows = |c: &Value| c["customers"].as_u64().unwrap() + c["friends"].as_u64().unwrap();
    let big_rows = rows(&big_counts);
    let per_million = |x: f64| x * 1_000_000.0 / big_rows as f64;
    println!(
        "# referral-emulator benchmark{}",
        if quick { " (quick)" } else { "" }
    );
    println!(
        "cores: {}, concurrency: {CONCURRENCY}, GET: {ROUNDS} interleaved rounds of {} requests per side, medians",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        requests / ROUNDS
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| bare axum handler, GET (req/s) | {bare_rps:.0} |");
    println!("| emulator GET referring customer by id (req/s) | {emulator_rps:.0} |");
    println!(
        "| emulator / bare | {:.0} % |",
        100.0 * emulator_rps / bare_rps
    );
    println!(
        "| rows at small size (customers + friends) | {} |",
        rows(&small_counts)
    );
    println!("| rows at large size (customers + friends) | {big_rows} |");
    println!("| large-size seed counts | {big_counts} |");
    println!("| HTTP: `referralCode $eq`, small (µs/query) | {small_code:.0} |");
    println!("| HTTP: `referralCode $eq`, large (µs/query) | {big_code:.0} |");
    println!(
        "| HTTP: `referralCode $eq` large / small | {:.2}× |",
        big_code / small_code
    );
    println!(
        "| HTTP: `referringCustomerId $eq` limit 100, small (µs/query) | {small_customer:.0} |"
    );
    println!("| HTTP: `referringCustomerId $eq` limit 100, large (µs/query) | {big_customer:.0} |");
    println!(
        "| HTTP: `referringCustomerId $eq` large / small | {:.2}× |",
        big_customer / small_customer
    );
    println!(
        "| HTTP: friends sorted by `referringCustomerId`, first page (builds the order), small / large (µs) | {small_sorted_first:.0} / {big_sorted_first:.0} |"
    );
    println!(
        "| HTTP: friends sorted by `referringCustomerId`, next 50 pages of 100, small / large (µs/page) | {small_sorted:.0} / {big_sorted:.0} ({:.2}×) |",
        big_sorted / small_sorted
    );
    println!(
        "| engine only: `referralCode $eq` small / large (µs) | {engine_small_code:.2} / {engine_big_code:.2} ({:.2}×) |",
        engine_big_code / engine_small_code
    );
    println!(
        "| engine only: `referringCustomerId $eq` small / large (µs) | {engine_small_customer:.2} / {engine_big_customer:.2} ({:.2}×) |",
        engine_big_customer / engine_small_customer
    );
    println!(
        "| seeding the large site (s) | {:.2} |",
        seeding.as_secs_f64()
    );
    println!(
        "| seeding per 1M rows (s) | {:.2} |",
        per_million(seeding.as_secs_f64())
    );
    println!(
        "| resident memory added by the large site (MiB) | {:.0} |",
        (rss_after.saturating_sub(rss_before)) as f64 / 1024.0
    );
    println!(
        "| resident memory per 1M rows (MiB) | {:.0} |",
        per_million((rss_after.saturating_sub(rss_before)) as f64 / 1024.0)
    );
    println!(
        "| resident memory at start (MiB) | {:.0} |",
        rss_start as f64 / 1024.0
    );
    emulator.shutdown().await;
}
