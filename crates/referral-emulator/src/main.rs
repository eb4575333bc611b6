//! `wix-referral-emulator`: the local Wix Referral API emulator as a process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use referral_emulator::{
    DEFAULT_ADDR, DEFAULT_API_KEY, DEFAULT_SITE_ID, Emulator, EmulatorConfig, SeedRequest, Settings,
};
use uuid::Uuid;

/// A stateful local emulator of the Wix Referral Program REST API.
#[derive(Parser)]
#[command(name = "wix-referral-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// API key of the default site (send it as `Authorization` with `wix-site-id`).
    #[arg(long, default_value = DEFAULT_API_KEY, env = "WIX_EMULATOR_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Id of the default site.
    #[arg(long, default_value = DEFAULT_SITE_ID)]
    site_id: Uuid,
    /// Persist the state to this file (atomically) and reload it on start.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Seed the default site with deterministic demo data (25 customers, 3 friends each).
    #[arg(long)]
    seed: Option<u64>,
    /// Requests per minute per app instance; 0 disables the limit.
    #[arg(long, default_value_t = 200)]
    rate_limit: u32,
    /// Let peers outside loopback use the control API (it can reset everything).
    #[arg(long)]
    allow_remote_control: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = EmulatorConfig {
        addr: args.addr,
        api_key: args.api_key,
        site_id: args.site_id,
        state_file: args.state,
        seed: args.seed.map(SeedRequest::demo),
        settings: Settings {
            rate_limit_per_minute: (args.rate_limit > 0).then_some(args.rate_limit),
            allow_remote_control: args.allow_remote_control,
            ..Settings::default()
        },
    };
    let handle = match Emulator::start_with(config).await {
        Ok(handle) => handle,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", handle.base_url());
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
