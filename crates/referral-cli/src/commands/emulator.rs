use referral_emulator::{Emulator, EmulatorConfig, SeedRequest};

use crate::cli::EmulatorArgs;
use crate::error::CliError;
use crate::output::{self, Output};

pub async fn run(args: EmulatorArgs, out: &mut Output) -> Result<(), CliError> {
    let handle = Emulator::start_with(EmulatorConfig {
        addr: args.addr,
        state_file: args.state,
        seed: args.seed.map(SeedRequest::demo),
        settings: referral_emulator::Settings {
            allow_remote_control: args.allow_remote_control,
            ..referral_emulator::Settings::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .map_err(|e| CliError::runtime(format!("the emulator did not start on {}: {e}", args.addr)))?;
    out.text(&format!("listening on {}", handle.base_url()))?;
    out.flush()?;
    output::note(format!(
        "WIX_BASE_URL={} WIX_API_KEY={} WIX_SITE_ID={}  (Ctrl-C stops)",
        handle.base_url(),
        handle.api_key(),
        handle.site_id()
    ));
    let _ = tokio::signal::ctrl_c().await;
    output::note("shutting down");
    handle.shutdown().await;
    Ok(())
}
