//! `wix-referral-emulator`: the local Wix Referral API emulator as a process.

use std::io::Write;
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
            say(&mut std::io::stderr(), &format!("error: {err}"));
            return ExitCode::FAILURE;
        }
    };
    // Whoever started the emulator may close its output after the first line: a closed stdout
    // or stderr must not stop the server (println! would panic on it).
    say(
        &mut std::io::stdout(),
        &format!("listening on {}", handle.base_url()),
    );
    say(
        &mut std::io::stdout(),
        &format!("inspector at {}", handle.inspector_url()),
    );
    for notice in handle.notices() {
        say(&mut std::io::stderr(), &notice);
    }
    say(
        &mut std::io::stderr(),
        &format!(
            "site {}  (Authorization: <api key>, wix-site-id: {})",
            handle.site_id(),
            handle.site_id()
        ),
    );
    let _ = tokio::signal::ctrl_c().await;
    say(&mut std::io::stderr(), "shutting down");
    handle.shutdown().await;
    ExitCode::SUCCESS
}

/// Writes one line, flushed; a closed stream is ignored.
fn say(stream: &mut impl Write, line: &str) {
    let _ = writeln!(stream, "{line}").and_then(|()| stream.flush());
}
