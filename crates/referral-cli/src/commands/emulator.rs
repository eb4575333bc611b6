use referral_emulator::{Emulator, EmulatorArgs};

use crate::error::CliError;
use crate::output::{self, Output};

pub(super) async fn run(args: EmulatorArgs, out: &mut Output) -> Result<(), CliError> {
    let addr = args.addr;
    let handle = Emulator::start_with(args.into_config())
        .await
        .map_err(|e| CliError::runtime(format!("the emulator did not start on {addr}: {e}")))?;
    out.text(&format!("listening on {}", handle.base_url()))?;
    out.text(&format!("inspector at {}", handle.inspector_url()))?;
    out.flush()?;
    for notice in handle.notices() {
        output::note(notice);
    }
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
