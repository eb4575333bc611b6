//! The local store: one emulator server per user and data directory, shared by every local
//! command, as sccache or Gradle keep a server.
//!
//! Why a server and not a lock around each command: the store is an SQLite file that a server
//! loads once and keeps in memory, so a local command costs a few requests (milliseconds) however
//! large the store is, instead of a full load each time; and the server's single writer keeps
//! create-or-return what it is across processes (two commands enrolling one contact get one
//! customer), since every write goes through one state.
//!
//! - The first local command starts `wix-referral local serve` in the background and waits for
//!   it; later commands find it through `server.json` in the data directory.
//! - The store (`store.sqlite`) has a process lock, so two servers started at once cannot both
//!   open it: the second one exits and the waiting commands find the first.
//! - Only its user can talk to it: the data directory is owner-only (0700), `server.json` (0600)
//!   holds the server's random API key and control key, which every request must carry.
//! - It stops after an idle time (10 minutes by default), on `wix-referral local stop`, or on
//!   SIGINT/SIGTERM; all acknowledged writes are already durable, so stopping loses nothing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use referral_emulator::{ControlClient, Emulator, EmulatorConfig, Settings, random_key};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CliError;

/// How long a started server may take to open its store (a 1M-row store opens in seconds).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// The default idle time after which a server stops.
pub(crate) const DEFAULT_IDLE: Duration = Duration::from_secs(600);
/// `server.json` is small; anything larger is not ours.
const SERVER_FILE_LIMIT: u64 = 64 * 1024;

const SERVER_FILE: &str = "server.json";
const STORE_FILE: &str = "store.sqlite";
const LOG_FILE: &str = "server.log";
const LEGACY_STATE: &str = "emulator-state.json";

/// Where a running local server is, and the keys it answers to.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerInfo {
    pub pid: u32,
    pub base_url: String,
    pub api_key: String,
    pub site_id: Uuid,
    pub control_key: String,
    pub store: PathBuf,
    pub started: DateTime<Utc>,
    pub idle_stop_secs: u64,
}

impl std::fmt::Debug for ServerInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerInfo")
            .field("pid", &self.pid)
            .field("base_url", &self.base_url)
            .field("site_id", &self.site_id)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl ServerInfo {
    pub(crate) fn control(&self) -> ControlClient {
        ControlClient::new(self.base_url.clone()).with_key(self.control_key.clone())
    }
}

/// The data directory: `WIX_REFERRAL_DATA_DIR`, or `wix-referral` in the platform's data
/// directory. Created owner-only; an existing one readable by others is tightened.
pub(crate) fn data_dir() -> Result<PathBuf, CliError> {
    let dir = match std::env::var_os("WIX_REFERRAL_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::data_dir()
            .ok_or_else(|| {
                CliError::runtime("no data directory on this system (set WIX_REFERRAL_DATA_DIR)")
            })?
            .join("wix-referral"),
    };
    let failed = |e: std::io::Error| CliError::runtime(format!("{}: {e}", dir.display()));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(&dir).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir)
            .map_err(failed)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(failed)?;
        }
    }
    Ok(dir)
}

/// Reads `server.json`, bounded; `None` when there is none or it is not ours.
fn read_server_file(dir: &Path) -> Option<ServerInfo> {
    let file = std::fs::File::open(dir.join(SERVER_FILE)).ok()?;
    let mut text = String::new();
    file.take(SERVER_FILE_LIMIT)
        .read_to_string(&mut text)
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes `server.json` owner-only and atomically (readers never see half a file).
fn write_server_file(dir: &Path, info: &ServerInfo) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = dir.join(format!(".{SERVER_FILE}.{}", std::process::id()));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(&serde_json::to_vec_pretty(info).map_err(std::io::Error::other)?)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, dir.join(SERVER_FILE))
}

/// Removes `server.json` if it still names this process.
fn remove_server_file(dir: &Path) {
    if read_server_file(dir).is_some_and(|info| info.pid == std::process::id()) {
        let _ = std::fs::remove_file(dir.join(SERVER_FILE));
    }
}

/// Whether the server named in `server.json` answers with its key: a live server of ours.
async fn live(dir: &Path) -> Option<ServerInfo> {
    let info = read_server_file(dir)?;
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?
        .get(format!(
            "{}/_api/referral-programs/v1/program",
            info.base_url
        ))
        .header("Authorization", &info.api_key)
        .header("wix-site-id", info.site_id.to_string())
        .send()
        .await
        .ok()?;
    probe.status().is_success().then_some(info)
}

/// The running server, if any (for `local status`).
pub(crate) async fn running() -> Result<(PathBuf, Option<ServerInfo>), CliError> {
    let dir = data_dir()?;
    let info = live(&dir).await;
    Ok((dir, info))
}

/// The local server, started if none runs. Says on stderr when it starts one.
pub(crate) async fn connect() -> Result<ServerInfo, CliError> {
    let dir = data_dir()?;
    if let Some(info) = live(&dir).await {
        return Ok(info);
    }
    let idle = std::env::var("WIX_REFERRAL_LOCAL_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(DEFAULT_IDLE.as_secs());
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    let mut child = spawn_server(&dir, idle)?;
    loop {
        if let Some(info) = live(&dir).await {
            crate::output::note(format!(
                "(started the local server, pid {}, for the store {})",
                info.pid,
                info.store.display()
            ));
            return Ok(info);
        }
        if let Ok(Some(status)) = child.try_wait() {
            if !status.success() {
                return Err(CliError::runtime(format!(
                    "the local server stopped ({status}): {}",
                    last_line(&dir.join(LOG_FILE))
                )));
            }
            // Exit 0: another server held the store. It is either starting (and will answer)
            // or stopping (and will let go of the store): once the store is free, start again.
            if store_is_free(&dir) {
                child = spawn_server(&dir, idle)?;
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(CliError::runtime(format!(
                "the local server did not answer within {} s (log: {})",
                START_TIMEOUT.as_secs(),
                dir.join(LOG_FILE).display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn spawn_server(dir: &Path, idle: u64) -> Result<std::process::Child, CliError> {
    let exe = std::env::current_exe().map_err(|e| {
        CliError::runtime(format!(
            "cannot find this program to start the local server: {e}"
        ))
    })?;
    let log = dir.join(LOG_FILE);
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(|e| CliError::runtime(format!("{}: {e}", log.display())))?;
    let mut command = std::process::Command::new(exe);
    command
        .args(["local", "serve", "--idle-secs", &idle.to_string()])
        .env("WIX_REFERRAL_DATA_DIR", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file));
    #[cfg(unix)]
    {
        // Its own process group: a Ctrl-C meant for this command does not stop the server.
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    command
        .spawn()
        .map_err(|e| CliError::runtime(format!("the local server did not start: {e}")))
}

/// Whether no process keeps the local store.
fn store_is_free(dir: &Path) -> bool {
    referral_emulator::store_is_free(&dir.join(STORE_FILE))
}

/// The process that keeps (or last kept) the local store.
fn lock_holder(dir: &Path) -> Option<u32> {
    referral_emulator::store_lock_holder(&dir.join(STORE_FILE))
}

/// The last line of the server's log, bounded.
fn last_line(log: &Path) -> String {
    let Ok(file) = std::fs::File::open(log) else {
        return "no log".into();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut tail = String::new();
    let mut file = file;
    let _ = std::io::Seek::seek(
        &mut file,
        std::io::SeekFrom::Start(len.saturating_sub(4096)),
    );
    let _ = file.take(4096).read_to_string(&mut tail);
    tail.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no log")
        .to_owned()
}

/// `wix-referral local serve`: the server itself, in the foreground.
pub(crate) async fn serve(idle: Duration) -> Result<(), CliError> {
    let dir = data_dir()?;
    let store = dir.join(STORE_FILE);
    let legacy = dir.join(LEGACY_STATE);
    if legacy.is_file() && !store.exists() {
        // The store imports a JSON state found at its own path; the original stays as it was.
        std::fs::hard_link(&legacy, &store)
            .or_else(|_| std::fs::copy(&legacy, &store).map(|_| ()))
            .map_err(|e| CliError::runtime(format!("{}: {e}", store.display())))?;
    }
    // Started for a command that found another server meanwhile: nothing to do.
    if live(&dir).await.is_some() {
        return Ok(());
    }
    let api_key = random_key("lk_");
    let control_key = random_key("ck_");
    let handle = match Emulator::start_with(EmulatorConfig {
        state_file: Some(store.clone()),
        api_key: api_key.clone(),
        settings: Settings {
            rate_limit_per_minute: None,
            control_key: Some(control_key.clone()),
            ..Settings::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    {
        Ok(handle) => handle,
        // Another server opened the store first: the commands waiting will find that one.
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
        Err(e) => {
            return Err(CliError::runtime(format!(
                "the local server did not start: {e}"
            )));
        }
    };
    let info = ServerInfo {
        pid: std::process::id(),
        base_url: handle.base_url().to_owned(),
        api_key,
        site_id: handle.site_id(),
        control_key,
        store,
        started: Utc::now(),
        idle_stop_secs: idle.as_secs(),
    };
    if let Err(e) = write_server_file(&dir, &info) {
        handle.shutdown().await;
        return Err(CliError::runtime(format!(
            "{}: {e}",
            dir.join(SERVER_FILE).display()
        )));
    }
    crate::output::note(format!(
        "local server {} for {} (pid {})",
        info.base_url,
        info.store.display(),
        info.pid
    ));
    let idle_watch = async {
        let mut seen = handle.requests_served();
        let mut quiet_since = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(Duration::from_secs(1).min(idle)).await;
            let now = handle.requests_served();
            if now != seen {
                seen = now;
                quiet_since = tokio::time::Instant::now();
            } else if quiet_since.elapsed() >= idle {
                return "idle";
            }
        }
    };
    let reason = tokio::select! {
        reason = idle_watch => reason,
        () = handle.shutdown_requested() => "asked to stop",
        () = terminated() => "signalled",
    };
    // New commands start a new server from here on; ones that already found this one get
    // their answers while the server drains.
    remove_server_file(&dir);
    crate::output::note(format!("local server stopping: {reason}"));
    // Every acknowledged write is already durable, so a connection that does not finish does
    // not get to keep the store locked: past the grace period the process exits and the lock
    // goes with it.
    match tokio::time::timeout(SHUTDOWN_GRACE, handle.shutdown()).await {
        Ok(()) => crate::output::note("local server stopped"),
        Err(_) => crate::output::note(format!(
            "local server stopped after {} s with connections still open",
            SHUTDOWN_GRACE.as_secs()
        )),
    }
    Ok(())
}

/// How long a stopping server waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `wix-referral local stop`: asks the server to stop and waits until it has.
pub(crate) async fn stop() -> Result<Option<ServerInfo>, CliError> {
    let dir = data_dir()?;
    let Some(info) = live(&dir).await else {
        return Ok(None);
    };
    info.control()
        .send(reqwest::Method::POST, "/shutdown", None)
        .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // Stopped means this server let go of the store (a new one may have it by now: a command
    // started meanwhile, or a server started for a command that no longer needed it).
    while !store_is_free(&dir) && lock_holder(&dir) == Some(info.pid) {
        if tokio::time::Instant::now() >= deadline {
            return Err(CliError::runtime(format!(
                "the local server (pid {}) did not stop within 30 s (its log: {})",
                info.pid,
                last_line(&dir.join(LOG_FILE))
            )));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(Some(info))
}
