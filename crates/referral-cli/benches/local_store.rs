//! A local `wix-referral` command on a small and a large local store: the first command (which
//! starts the local server and opens the store) and the commands after it (which reuse the
//! server). Not a test: it reports.
//!
//! `cargo bench -p referral-cli --bench local_store` (`-- --quick`: 10k and 100k rows).
//! Target: a local command on a 1M-row store in ≤ 1 s (the server is reused, not reloaded).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use referral_emulator::{Emulator, EmulatorConfig, SeedRequest};

const WARM_RUNS: usize = 15;

fn cli(data: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_wix-referral"))
        .env("WIX_REFERRAL_DATA_DIR", data)
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_APP_ID")
        .env_remove("WIX_ACCESS_TOKEN")
        .arg("--local")
        .args(args)
        .output()
        .expect("it runs");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    took
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: [u32; 2] = if quick {
        [10_000, 100_000]
    } else {
        [10_000, 1_000_000]
    };
    println!(
        "| store | build the store (s) | first command: starts the server (s) | `program show` after (s, median of {WARM_RUNS}) | `customers enroll` after (s, median) |"
    );
    println!("|---|---|---|---|---|");
    for rows in sizes {
        let home = tempfile::tempdir().unwrap();
        let data = home.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let started = Instant::now();
        let emulator = Emulator::start_with(EmulatorConfig {
            state_file: Some(data.join("store.sqlite")),
            seed: Some(SeedRequest {
                customers: rows / 5,
                friends_per_customer: 4,
                action_rate: 0.25,
                seed: 1,
            }),
            ..EmulatorConfig::default()
        })
        .await
        .expect("the store is built");
        emulator.shutdown().await;
        let built = started.elapsed();
        let first = cli(&data, &["program", "show"]);
        let show = median(
            (0..WARM_RUNS)
                .map(|_| cli(&data, &["program", "show"]))
                .collect(),
        );
        let enroll = median(
            (0..WARM_RUNS)
                .map(|_| {
                    cli(
                        &data,
                        &["customers", "enroll", &uuid::Uuid::new_v4().to_string()],
                    )
                })
                .collect(),
        );
        cli(&data, &["local", "stop"]);
        let label = if rows >= 1_000_000 {
            format!("{}M rows", rows / 1_000_000)
        } else {
            format!("{}k rows", rows / 1000)
        };
        println!(
            "| {label} | {:.1} | {} | {} | {} |",
            built.as_secs_f64(),
            secs(first),
            secs(show),
            secs(enroll)
        );
    }
}
