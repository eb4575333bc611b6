//! What durability costs, side by side in one run: the emulator in memory and with its store
//! (`--state`), at 10k and at 1M rows. Not a test: it reports.
//!
//! `cargo bench -p referral-emulator --bench store` (`-- --quick`: 10k and 100k rows).
//!
//! For each size and mode, an emulator seeded with `rows / 5` customers and 4 friends each
//! (with their rewards and events), then over keep-alive loopback:
//! 1. write latency: sequential create-or-return calls for new contacts (p50, p99, max);
//! 2. the writes per second of 8 connections writing as fast as they can;
//! 3. while 8 connections write a steady 2 000 a second, a reader's GETs by id: the p99 and the
//!    longest stall (target at 1M rows with the store: ≤ 50 ms);
//! 4. with the store, opening it again (load of every row) and the resident memory after.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use referral_emulator::{
    COMMIT_BUCKETS_MS, Emulator, EmulatorConfig, EmulatorHandle, SeedRequest, Settings, StoreStats,
};
use serde_json::{Value, json};

const SEQUENTIAL_WRITES: usize = 2_000;
const WRITERS: usize = 8;
const LOADED_FOR: Duration = Duration::from_secs(5);
/// Writes per second, between all writers, while the reader measures stalls.
const PACED_WRITES: f64 = 2_000.0;

fn config(rows: u32, store: Option<PathBuf>) -> EmulatorConfig {
    EmulatorConfig {
        state_file: store,
        seed: Some(SeedRequest {
            customers: rows / 5,
            friends_per_customer: 4,
            action_rate: 0.25,
            seed: 1,
        }),
        settings: Settings {
            rate_limit_per_minute: None,
            ..Settings::default()
        },
        ..EmulatorConfig::default()
    }
}

fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

struct Target {
    base: String,
    key: String,
    site: String,
}

/// An emulator on a runtime (and OS thread) of its own, so that the load generator's tasks do
/// not queue in front of the server's: both still share the machine's two cores.
struct Server {
    target: Arc<Target>,
    started_in: Duration,
    stats: std::sync::mpsc::Sender<std::sync::mpsc::Sender<Option<StoreStats>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(config: EmulatorConfig) -> Server {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (stats, asks) =
            std::sync::mpsc::channel::<std::sync::mpsc::Sender<Option<StoreStats>>>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let started = Instant::now();
                let emulator: EmulatorHandle = Emulator::start_with(config)
                    .await
                    .expect("the emulator starts");
                let target = Target {
                    base: emulator.base_url().to_owned(),
                    key: emulator.api_key().to_owned(),
                    site: emulator.site_id().to_string(),
                };
                ready_tx.send((target, started.elapsed())).unwrap();
                let emulator = Arc::new(emulator);
                let answering = {
                    let emulator = emulator.clone();
                    std::thread::spawn(move || {
                        while let Ok(reply) = asks.recv() {
                            let _ = reply.send(emulator.store_stats());
                        }
                    })
                };
                let _ = stopped.await;
                drop(answering);
                if let Ok(emulator) = Arc::try_unwrap(emulator) {
                    emulator.shutdown().await;
                }
            });
        });
        let (target, started_in) = ready_rx.recv().expect("the emulator started");
        Server {
            target: Arc::new(target),
            started_in,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn store_stats(&self) -> Option<StoreStats> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.stats.send(reply).ok()?;
        answer.recv().ok().flatten()
    }

    fn stop(mut self) {
        // The stats thread holds a clone of the handle until its channel closes.
        let (closed, _) = std::sync::mpsc::channel();
        self.stats = closed;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Target {
    fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        http.request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.key)
            .header("wix-site-id", &self.site)
    }
}

const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";

async fn enrol(target: &Target, http: &reqwest::Client) {
    let response = target
        .request(http, reqwest::Method::POST, CUSTOMERS)
        .json(&json!({"contactId": uuid::Uuid::new_v4()}))
        .send()
        .await
        .expect("write");
    assert!(response.status().is_success(), "{}", response.status());
    response.bytes().await.expect("body");
}

async fn sequential_writes(target: &Target) -> Vec<Duration> {
    let http = reqwest::Client::new();
    for _ in 0..50 {
        enrol(target, &http).await; // warm the connection
    }
    let mut latencies = Vec::with_capacity(SEQUENTIAL_WRITES);
    for _ in 0..SEQUENTIAL_WRITES {
        let started = Instant::now();
        enrol(target, &http).await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

/// Writes per second from `WRITERS` connections as fast as they go.
async fn flat_out_writes(target: Arc<Target>) -> f64 {
    let writes = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (target, writes) = (target.clone(), writes.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while started.elapsed() < LOADED_FOR {
                    enrol(&target, &http).await;
                    writes.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    writes.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// One reader's GETs by id while `WRITERS` connections write a steady `PACED_WRITES` a second
/// between them (below what either mode sustains, so that the machine's two cores are not
/// saturated and a stall is the server's): the reader's sorted latencies.
async fn reads_under_writes(target: Arc<Target>) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let page: Value = target
        .request(&http, reqwest::Method::POST, &format!("{CUSTOMERS}/query"))
        .json(&json!({"query": {"cursorPaging": {"limit": 1}}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = page["referringCustomers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let every = Duration::from_secs_f64(WRITERS as f64 / PACED_WRITES);
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (target, stop) = (target.clone(), stop.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    enrol(&target, &http).await;
                }
            })
        })
        .collect();
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < LOADED_FOR {
        let sent = Instant::now();
        let response = target
            .request(&http, reqwest::Method::GET, &format!("{CUSTOMERS}/{id}"))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        response.bytes().await.unwrap();
        latencies.push(sent.elapsed());
        // A reader that asks every millisecond, not one that saturates a core by itself.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    latencies.sort();
    latencies
}

struct Row {
    label: String,
    start: Duration,
    writes: Vec<Duration>,
    loaded_writes_per_s: f64,
    reads: Vec<Duration>,
    reopen: Option<(Duration, u64)>,
    file_mib: Option<u64>,
    /// Commits during the paced phase by duration (ms buckets).
    commits: Option<String>,
}

async fn measure(rows: u32, with_store: bool) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let store = with_store.then(|| dir.path().join("store.sqlite"));
    let server = Server::start(config(rows, store.clone()));
    let start = server.started_in;
    let target = server.target.clone();
    let writes = sequential_writes(&target).await;
    let loaded_writes_per_s = flat_out_writes(target.clone()).await;
    let before = server.store_stats();
    let reads = reads_under_writes(target.clone()).await;
    let commits = server.store_stats().zip(before).map(|(after, before)| {
        let mut slow = String::new();
        for (i, (a, b)) in after
            .commits_by_duration
            .iter()
            .zip(before.commits_by_duration)
            .enumerate()
        {
            let bound = COMMIT_BUCKETS_MS
                .get(i)
                .map_or_else(|| "more".to_owned(), |b| format!("<{b}"));
            slow.push_str(&format!("{bound}:{} ", a - b));
        }
        slow
    });
    server.stop();
    let mut reopen = None;
    let mut file_mib = None;
    if let Some(path) = &store {
        file_mib = std::fs::metadata(path)
            .ok()
            .map(|m| m.len() / (1024 * 1024));
        let rss_before = rss_mib();
        let again = Server::start(EmulatorConfig {
            state_file: Some(path.clone()),
            ..EmulatorConfig::default()
        });
        reopen = Some((again.started_in, rss_mib().saturating_sub(rss_before)));
        again.stop();
    }
    Row {
        label: format!(
            "{} rows, {}",
            if rows >= 1_000_000 {
                format!("{}M", rows / 1_000_000)
            } else {
                format!("{}k", rows / 1000)
            },
            if with_store { "store" } else { "in memory" }
        ),
        start,
        writes,
        loaded_writes_per_s,
        reads,
        reopen,
        file_mib,
        commits,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: [u32; 2] = if quick {
        [10_000, 100_000]
    } else {
        [10_000, 1_000_000]
    };
    let mut rows = Vec::new();
    for size in sizes {
        for with_store in [false, true] {
            let row = measure(size, with_store).await;
            eprintln!("measured {}", row.label);
            rows.push(row);
        }
    }
    println!(
        "| site | start + seed (s) | write p50 / p99 / max (ms) | writes/s, 8 writers flat out | read p99 / max (ms) under 2 000 writes/s | reopen (s) | RSS added by the reopen (MiB) | file (MiB) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {:.1} | {} / {} / {} | {:.0} | {} / {} | {} | {} | {} |",
            row.label,
            row.start.as_secs_f64(),
            ms(percentile(&row.writes, 0.5)),
            ms(percentile(&row.writes, 0.99)),
            ms(*row.writes.last().unwrap()),
            row.loaded_writes_per_s,
            ms(percentile(&row.reads, 0.99)),
            ms(*row.reads.last().unwrap()),
            row.reopen
                .map_or("–".into(), |(d, _)| format!("{:.1}", d.as_secs_f64())),
            row.reopen.map_or("–".into(), |(_, rss)| rss.to_string()),
            row.file_mib.map_or("–".into(), |m| m.to_string()),
        );
    }
    println!("\ncommits while the reader measured (milliseconds: count):");
    for row in &rows {
        if let Some(commits) = &row.commits {
            println!("- {}: {commits}", row.label);
        }
    }
    let slow_reads = |row: &Row| row.reads.iter().filter(|d| d.as_millis() >= 50).count();
    for row in &rows {
        println!(
            "- {}: {} of {} reads took 50 ms or more",
            row.label,
            slow_reads(row),
            row.reads.len()
        );
    }
    let p50 = |i: usize| percentile(&rows[i].writes, 0.5).as_secs_f64();
    println!(
        "\nstore write p50, large / small site: {:.2}x (target <= 1.5x); store / in-memory p50: {:.1}x (small), {:.1}x (large)",
        p50(3) / p50(1),
        p50(1) / p50(0),
        p50(3) / p50(2)
    );
}
