//! `wix-referral-emulator`: the local Wix Referral API emulator as a process.

use std::process::ExitCode;

use clap::Parser;
use referral_emulator::{Emulator, EmulatorArgs};

/// A stateful local emulator of the Wix Referral Program REST API.
#[derive(Parser)]
#[command(name = "wix-referral-emulator", version)]
struct Cli {
    #[command(flatten)]
    emulator: EmulatorArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Cli::parse().emulator.into_config();
    let handle = match Emulator::start_with(config).await {
        Ok(handle) => handle,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", handle.base_url());
    println!("inspector at {}", handle.inspector_url());
    eprintln!(
        "site {}  (Authorization: <api key>, wix-site-id: {})",
        handle.site_id(),
        handle.site_id()
    );
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("shutting down");
    handle.shutdown().await;
    ExitCode::SUCCESS
}
