//! `wix-referral local status|stop|serve`: the local server that keeps the local store.

use serde_json::json;

use crate::cli::{Format, LocalCommand};
use crate::error::CliError;
use crate::local;
use crate::output::Output;

pub(super) async fn run(command: LocalCommand, out: &mut Output) -> Result<(), CliError> {
    match command {
        LocalCommand::Serve { idle_secs } => {
            local::serve(std::time::Duration::from_secs(idle_secs.max(1))).await
        }
        LocalCommand::Status => {
            let (dir, info) = local::running().await?;
            let store = dir.join("store.sqlite");
            let size = std::fs::metadata(&store).map(|m| m.len()).ok();
            if out.format() == Format::Json {
                let status = json!({
                    "running": info.is_some(),
                    "pid": info.as_ref().map(|i| i.pid),
                    "baseUrl": info.as_ref().map(|i| i.base_url.clone()),
                    "started": info.as_ref().map(|i| i.started),
                    "idleStopSecs": info.as_ref().map(|i| i.idle_stop_secs),
                    "store": store,
                    "storeBytes": size,
                });
                out.json(&status)?;
                return Ok(());
            }
            let size = size.map_or_else(|| "not created yet".into(), |b| format!("{b} bytes"));
            match info {
                Some(info) => out.text(&format!(
                    "running: pid {}, {}, since {}, stops after {} s idle\nstore: {} ({size})",
                    info.pid,
                    info.base_url,
                    info.started.format("%Y-%m-%d %H:%M:%S UTC"),
                    info.idle_stop_secs,
                    store.display()
                ))?,
                None => out.text(&format!("not running\nstore: {} ({size})", store.display()))?,
            }
            Ok(())
        }
        LocalCommand::Stop => {
            match local::stop().await? {
                Some(info) => out.text(&format!("stopped the local server (pid {})", info.pid))?,
                None => out.text("not running")?,
            }
            Ok(())
        }
    }
}
