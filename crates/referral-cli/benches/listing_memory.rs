//! Peak memory of `wix-referral customers list` by the size of the listing, in every output
//! format: the listing streams, so memory must stay flat. Not a test: it reports.
//!
//! `cargo bench -p referral-cli --bench listing_memory` (`-- --quick`: 10k and 100k customers;
//! the full run, 10k and 1M, takes a few minutes). Needs GNU time (`/usr/bin/time`, Debian's
//! `time` package) for the child's peak RSS. Target: under 64 MB for 1M customers in every format.
//! `BASELINE=path/to/an/older/wix-referral` measures that binary too, side by side.

use std::process::{Command, Stdio};
use std::time::Instant;

use referral_emulator::{Emulator, EmulatorConfig, SeedRequest, Settings};

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if Command::new("/usr/bin/time").arg("true").output().is_err() {
        eprintln!("skipped: GNU time (/usr/bin/time) is not installed");
        return;
    }
    let sizes: [u32; 2] = if quick {
        [10_000, 100_000]
    } else {
        [10_000, 1_000_000]
    };
    let mut binaries = vec![("this build", env!("CARGO_BIN_EXE_wix-referral").to_owned())];
    if let Ok(baseline) = std::env::var("BASELINE") {
        binaries.push(("baseline", baseline));
    }
    println!("| customers | binary | format | peak RSS (MB) | time (s) | bytes written |");
    println!("|---|---|---|---|---|---|");
    for customers in sizes {
        let emulator = Emulator::start_with(EmulatorConfig {
            seed: Some(SeedRequest {
                customers,
                friends_per_customer: 0,
                action_rate: 0.0,
                seed: 1,
            }),
            settings: Settings {
                rate_limit_per_minute: None,
                ..Settings::default()
            },
            ..EmulatorConfig::default()
        })
        .await
        .expect("the emulator starts");
        let base = emulator.base_url().to_owned();
        let key = emulator.api_key().to_owned();
        let site = emulator.site_id().to_string();
        for ((label, binary), format) in binaries
            .iter()
            .flat_map(|b| ["table", "json", "csv"].map(|f| (b.clone(), f)))
        {
            let (base, key, site) = (base.clone(), key.clone(), site.clone());
            let started = Instant::now();
            let (peak_kb, written) = tokio::task::spawn_blocking(move || {
                let mut child = Command::new("/usr/bin/time")
                    .args(["-f", "%M", binary.as_str()])
                    .args(["--format", format, "customers", "list"])
                    .env("WIX_BASE_URL", base)
                    .env("WIX_API_KEY", key)
                    .env("WIX_SITE_ID", site)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("it runs");
                let mut stdout = child.stdout.take().unwrap();
                let written = std::io::copy(&mut stdout, &mut std::io::sink()).unwrap();
                let out = child.wait_with_output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{format}: {stderr}");
                let peak: u64 = stderr
                    .lines()
                    .last()
                    .and_then(|l| l.trim().parse().ok())
                    .expect("GNU time's %M");
                (peak, written)
            })
            .await
            .unwrap();
            println!(
                "| {customers} | {label} | {format} | {:.1} | {:.1} | {written} |",
                peak_kb as f64 / 1024.0,
                started.elapsed().as_secs_f64()
            );
        }
        emulator.shutdown().await;
    }
}
