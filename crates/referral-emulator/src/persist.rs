//! Optional persistence (`--state FILE`): the whole state as JSON, written atomically
//! (temporary file, fsync, rename, fsync of the folder), so a kill -9 at any moment leaves
//! either the previous file or the new one, never a torn one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::app::Shared;
use crate::state::State;

/// How often a changed state is written.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(250);

pub fn load(path: &Path) -> std::io::Result<Option<State>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let temporary: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Saves whenever the state changed, every [`SAVE_INTERVAL`].
pub fn spawn_saver(shared: Arc<Shared>, path: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(SAVE_INTERVAL);
        loop {
            ticker.tick().await;
            save_if_dirty(&shared, &path);
        }
    })
}

pub fn save_if_dirty(shared: &Shared, path: &Path) {
    if !shared.dirty.swap(false, Ordering::AcqRel) {
        return;
    }
    let bytes = {
        let state = shared.state.read();
        serde_json::to_vec(&*state)
    };
    let result = bytes
        .map_err(std::io::Error::other)
        .and_then(|b| write_atomically(path, &b));
    if let Err(err) = result {
        shared.dirty.store(true, Ordering::Release);
        tracing::error!(path = %path.display(), %err, "could not save the state");
    }
}
