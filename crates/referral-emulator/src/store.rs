//! The durable store behind `--state FILE` (feature `store`): SQLite in WAL mode with
//! `synchronous = FULL`, one row per entity, written by one thread with group commit.
//!
//! - Every write's changes ([`Batch`]) go to the writer thread in the order the state applied
//!   them (they are submitted under the state's write lock), each with a sequence number.
//! - The writer takes every batch waiting, applies them in one transaction and commits; the
//!   commit is durable (fsync) before the durable sequence number moves on.
//! - A response waits until every change it could have seen is durable
//!   ([`Store::wait_durable`], narrowed by [`crate::durability`]), so an answer is never sent for a change a crash could take back,
//!   not even a read's.
//! - A write costs the rows it changed; the tokio workers never touch the file.
//!
//! One process at a time keeps a store: an exclusive lock on `FILE.lock`. A file in the
//! emulator's earlier JSON format is imported once (the JSON is kept beside it as
//! `FILE.imported.json`); anything else is refused, naming the file.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use rusqlite::{Connection, params};
use tokio::sync::watch;
use uuid::Uuid;

use crate::journal::{Batch, RowChange, RowKind, SiteHeader};
use crate::state::{SiteCredentials, State, Token};

/// `PRAGMA application_id` of a store: "WXRF".
const APPLICATION_ID: i64 = 0x5758_5246;
/// `PRAGMA user_version`: the layout below. A newer version is refused, never rewritten.
const FORMAT_VERSION: i64 = 1;
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

const SCHEMA: &str = "
CREATE TABLE sites (
    site BLOB PRIMARY KEY,
    header TEXT NOT NULL,
    credentials TEXT
) WITHOUT ROWID;
CREATE TABLE rows (
    site BLOB NOT NULL,
    kind INTEGER NOT NULL,
    id BLOB NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (site, kind, id)
) WITHOUT ROWID;
CREATE TABLE tokens (
    token TEXT PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;
";

/// Why a store could not be opened or kept: always names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process keeps this store.
    #[error("{path}: the store is in use by another emulator process (lock {lock})")]
    Locked {
        /// The store.
        path: PathBuf,
        /// The lock file held by the other process.
        lock: PathBuf,
    },
    /// The file is not a store of this emulator nor a JSON state file of an earlier version.
    #[error("{path}: {reason}")]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        reason: String,
    },
    /// The store holds data that does not decode (a damaged or hand-edited file).
    #[error("{path}: {what} does not decode: {error}")]
    Corrupt {
        /// The store.
        path: PathBuf,
        /// The record.
        what: String,
        /// The decoder's message.
        error: String,
    },
    /// SQLite refused (a damaged file, a full disk, no permission).
    #[error("{path}: {error}")]
    Sqlite {
        /// The store.
        path: PathBuf,
        /// SQLite's message.
        error: rusqlite::Error,
    },
    /// The file system refused.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
}

impl From<StoreError> for std::io::Error {
    fn from(error: StoreError) -> Self {
        let kind = match &error {
            StoreError::Locked { .. } => std::io::ErrorKind::WouldBlock,
            StoreError::Io { error, .. } => error.kind(),
            _ => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, error.to_string())
    }
}

/// How far the writer got: every batch up to `durable` is committed; `failure` ends it.
#[derive(Clone, Debug, Default)]
struct Progress {
    durable: u64,
    failure: Option<Arc<str>>,
}

enum Job {
    Batch(u64, Batch),
    Stop,
}

/// What the writer did, for benchmarks and the inspector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Transactions committed (each holds one or more writes' batches).
    pub commits: u64,
    /// Batches (writes) made durable.
    pub batches: u64,
    /// Rows and records written or deleted.
    pub records: u64,
    /// The longest commit (transaction and fsync), in microseconds.
    pub longest_commit_micros: u64,
    /// Commits by duration: `commits_by_duration[i]` took less than
    /// `COMMIT_BUCKETS_MS[i]` milliseconds (and at least the bound before); the last counts
    /// the rest.
    pub commits_by_duration: [u64; COMMIT_BUCKETS_MS.len() + 1],
}

/// Upper bounds (milliseconds) of [`StoreStats::commits_by_duration`].
pub const COMMIT_BUCKETS_MS: [u64; 8] = [1, 2, 5, 10, 20, 50, 100, 200];

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    batches: AtomicU64,
    records: AtomicU64,
    longest_commit_micros: AtomicU64,
    commits_by_duration: [AtomicU64; COMMIT_BUCKETS_MS.len() + 1],
    /// Held by a test to keep the writer from committing.
    #[cfg(test)]
    gate: parking_lot::Mutex<()>,
}

/// A durable store, open and locked by this process.
pub(crate) struct Store {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
    /// Sequence number of the last batch submitted.
    submitted: AtomicU64,
    progress: watch::Receiver<Progress>,
    counters: Arc<Counters>,
    writer: parking_lot::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Set when a change could not even be handed to the writer: every later wait fails.
    broken: parking_lot::Mutex<Option<Arc<str>>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating, or importing a JSON state file) the store at `path` and loads it.
    /// Blocking: call it from `spawn_blocking`.
    pub(crate) fn open(path: &Path) -> Result<(State, Store), StoreError> {
        let lock = lock(path)?;
        if matches!(sniff(path)?, Format::Json) {
            import_json(path)?;
        }
        let conn = connect(path)?;
        prepare(&conn, path)?;
        let state = load(&conn, path)?;
        // The writer never checkpoints (a checkpoint inside a commit would hold every answer
        // waiting on it); a second connection copies the WAL into the file beside it.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(sqlite(path))?;
        let checkpointer = Checkpointer::start(path)?;
        let (progress_tx, progress) = watch::channel(Progress::default());
        let (jobs, inbox) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let writer = {
            let owned = path.to_owned();
            let counters = counters.clone();
            std::thread::Builder::new()
                .name("emulator-store".into())
                .spawn(move || {
                    write_loop(
                        conn,
                        &owned,
                        inbox,
                        progress_tx,
                        &counters,
                        checkpointer,
                        lock,
                    );
                })
                .map_err(|error| StoreError::Io {
                    path: path.to_owned(),
                    error,
                })?
        };
        Ok((
            state,
            Store {
                path: path.to_owned(),
                jobs,
                submitted: AtomicU64::new(0),
                progress,
                counters,
                writer: parking_lot::Mutex::new(Some(writer)),
                broken: parking_lot::Mutex::new(None),
            },
        ))
    }

    /// The sequence number the next batch gets (the stamp of the changes it carries).
    pub(crate) fn next_sequence(&self) -> u64 {
        self.submitted.load(Ordering::Acquire) + 1
    }

    /// The sequence number of the last batch submitted.
    pub(crate) fn submitted_sequence(&self) -> u64 {
        self.submitted.load(Ordering::Acquire)
    }

    /// Every batch up to this sequence number is durable.
    pub(crate) fn durable_sequence(&self) -> u64 {
        self.progress.borrow().durable
    }

    /// Hands a write's changes to the writer as batch `sequence` ([`Store::next_sequence`]).
    /// Call both under the state's write lock, so that batches reach the file in the order the
    /// state applied them.
    pub(crate) fn submit(&self, sequence: u64, batch: Batch) {
        debug_assert_eq!(sequence, self.next_sequence(), "batches out of order");
        self.submitted.store(sequence, Ordering::Release);
        // A stopped writer has recorded why; `wait_durable` reports it.
        let _ = self.jobs.send(Job::Batch(sequence, batch));
    }

    /// Marks the store broken: the state holds a change that is not on disk.
    pub(crate) fn fail(&self, why: String) {
        let why = format!("{}: {why}", self.path.display());
        tracing::error!(failure = %why);
        self.broken.lock().get_or_insert_with(|| Arc::from(why));
    }

    /// Waits until every batch up to `target` is durable: what a response has seen.
    pub(crate) async fn wait_durable(&self, target: u64) -> Result<(), Arc<str>> {
        if let Some(broken) = self.broken.lock().clone() {
            return Err(broken);
        }
        let settled = |p: &Progress| p.durable >= target || p.failure.is_some();
        // Each borrow of the progress is judged and released on the spot: a second read guard
        // taken while one is held deadlocks as soon as the writer thread waits to publish.
        let now = outcome(&self.progress.borrow(), target);
        if let Some(now) = now {
            return now;
        }
        let mut progress = self.progress.clone();
        let judged = match progress.wait_for(settled).await {
            Ok(current) => outcome(&current, target),
            Err(_) => None,
        };
        judged.unwrap_or_else(|| {
            Err(Arc::from(format!(
                "{}: the store's writer has stopped",
                self.path.display()
            )))
        })
    }

    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            batches: self.counters.batches.load(Ordering::Relaxed),
            records: self.counters.records.load(Ordering::Relaxed),
            longest_commit_micros: self.counters.longest_commit_micros.load(Ordering::Relaxed),
            commits_by_duration: std::array::from_fn(|i| {
                self.counters.commits_by_duration[i].load(Ordering::Relaxed)
            }),
        }
    }

    /// Keeps the writer from committing until the guard is dropped.
    #[cfg(test)]
    pub(crate) fn hold_commits(&self) -> parking_lot::MutexGuard<'_, ()> {
        self.counters.gate.lock()
    }

    /// Asks the writer to stop after what it has; does not wait (safe in `Drop`).
    pub(crate) fn request_stop(&self) {
        let _ = self.jobs.send(Job::Stop);
    }

    /// Stops the writer and waits for it (and the file lock) to be released. Blocking.
    pub(crate) fn close(&self) {
        self.request_stop();
        if let Some(writer) = self.writer.lock().take() {
            let _ = writer.join();
        }
    }
}

/// `Some(answer)` once the batches up to `target` are settled: durable, or failed first.
fn outcome(progress: &Progress, target: u64) -> Option<Result<(), Arc<str>>> {
    if progress.durable >= target {
        return Some(Ok(()));
    }
    progress.failure.clone().map(Err)
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |error| StoreError::Sqlite {
        path: path.to_owned(),
        error,
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io {
        path: path.to_owned(),
        error,
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn lock_path(path: &Path) -> PathBuf {
    sibling(path, ".lock")
}

/// Whether no process keeps the store at `path` (its lock is taken and released at once).
pub fn store_is_free(path: &Path) -> bool {
    File::options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path(path))
        .is_ok_and(|file| file.try_lock().is_ok())
}

/// The process id that last took the lock of the store at `path` (its keeper, while the lock
/// is held): for tools that wait for one process to let go.
pub fn store_lock_holder(path: &Path) -> Option<u32> {
    let file = File::open(lock_path(path)).ok()?;
    let mut text = String::new();
    file.take(64).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Takes the store's process lock, `FILE.lock`, held for as long as the returned file is open;
/// the file holds the holder's process id.
fn lock(path: &Path) -> Result<File, StoreError> {
    let lock_path = lock_path(path);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for tools that wait for a particular process to let go.
            use std::io::Write;
            let mut holder = &file;
            let _ = file.set_len(0);
            let _ = writeln!(holder, "{}", std::process::id());
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.to_owned(),
            lock: lock_path,
        }),
        Err(std::fs::TryLockError::Error(error)) => Err(StoreError::Io {
            path: lock_path,
            error,
        }),
    }
}

enum Format {
    Missing,
    Sqlite,
    Json,
}

/// What the file at `path` holds, from its first bytes.
fn sniff(path: &Path) -> Result<Format, StoreError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Format::Missing),
        Err(e) => return Err(io(path)(e)),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]).map_err(io(path))? {
            0 => break,
            n => read += n,
        }
    }
    let head = &head[..read];
    if head.is_empty() {
        // An empty file (created by hand, or `touch`): a new store.
        return Ok(Format::Missing);
    }
    if head == SQLITE_MAGIC {
        return Ok(Format::Sqlite);
    }
    if head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
    {
        return Ok(Format::Json);
    }
    Err(StoreError::Foreign {
        path: path.to_owned(),
        reason: "neither an emulator store (SQLite) nor an emulator state file (JSON)".into(),
    })
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(sqlite(path))?;
    // A crash at any moment leaves the last committed transaction: WAL, and FULL so that the
    // commit is on disk (not only in the OS's cache) before we say so.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite(path))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite(path))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sqlite(path))?;
    // 64 MiB of page cache: a large batch (a seed) then writes each page once, not each time
    // the cache spills.
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(sqlite(path))?;
    Ok(conn)
}

/// Creates the tables of a new store, or checks that an existing one is ours.
fn prepare(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let application_id: i64 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(sqlite(path))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sqlite(path))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(sqlite(path))?;
    if application_id == 0 && tables == 0 {
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {FORMAT_VERSION}; COMMIT;"
        ))
        .map_err(sqlite(path))?;
        return Ok(());
    }
    if application_id != APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
            reason: format!(
                "a SQLite database of another application (application_id {application_id:#x}), not an emulator store"
            ),
        });
    }
    if version > FORMAT_VERSION {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
            reason: format!(
                "a store of format {version}, written by a newer emulator (this one reads {FORMAT_VERSION})"
            ),
        });
    }
    Ok(())
}

fn corrupt(path: &Path, what: String) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |error| StoreError::Corrupt {
        path: path.to_owned(),
        what: what.clone(),
        error: error.to_string(),
    }
}

fn uuid_of(bytes: &[u8], path: &Path, what: &str) -> Result<Uuid, StoreError> {
    Uuid::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        path: path.to_owned(),
        what: what.to_owned(),
        error: e.to_string(),
    })
}

/// Reads the whole store into a state whose journal is on.
fn load(conn: &Connection, path: &Path) -> Result<State, StoreError> {
    let mut state = State::default();
    let mut sites = conn
        .prepare("SELECT site, header, credentials FROM sites")
        .map_err(sqlite(path))?;
    let mut rows = sites.query([]).map_err(sqlite(path))?;
    while let Some(row) = rows.next().map_err(sqlite(path))? {
        let id = uuid_of(
            row.get_ref(0)
                .map_err(sqlite(path))?
                .as_blob()
                .unwrap_or(&[]),
            path,
            "a site id",
        )?;
        let header: String = row.get(1).map_err(sqlite(path))?;
        let credentials: Option<String> = row.get(2).map_err(sqlite(path))?;
        let header: SiteHeader =
            serde_json::from_str(&header).map_err(corrupt(path, format!("site {id}")))?;
        let credentials: Option<SiteCredentials> = credentials
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(corrupt(path, format!("the credentials of site {id}")))?;
        let mut site = header.into_site();
        site.bulk(true);
        state.restore_site(site, credentials);
    }
    drop(rows);
    let mut select = conn
        .prepare("SELECT site, kind, id, body FROM rows")
        .map_err(sqlite(path))?;
    let mut rows = select.query([]).map_err(sqlite(path))?;
    while let Some(row) = rows.next().map_err(sqlite(path))? {
        let site = uuid_of(
            row.get_ref(0)
                .map_err(sqlite(path))?
                .as_blob()
                .unwrap_or(&[]),
            path,
            "a row's site",
        )?;
        let code: i64 = row.get(1).map_err(sqlite(path))?;
        let id = uuid_of(
            row.get_ref(2)
                .map_err(sqlite(path))?
                .as_blob()
                .unwrap_or(&[]),
            path,
            "a row id",
        )?;
        let body = row
            .get_ref(3)
            .map_err(sqlite(path))?
            .as_str()
            .map_err(|e| StoreError::Corrupt {
                path: path.to_owned(),
                what: format!("row {id}"),
                error: e.to_string(),
            })?;
        let kind = RowKind::from_code(code).ok_or_else(|| StoreError::Corrupt {
            path: path.to_owned(),
            what: format!("row {id}"),
            error: format!("unknown kind {code}"),
        })?;
        let target = state
            .sites
            .get_mut(&site)
            .ok_or_else(|| StoreError::Corrupt {
                path: path.to_owned(),
                what: format!("{} {id}", kind.name()),
                error: format!("its site {site} is not in the store"),
            })?;
        // The error's text is only built for a row that fails (5M rows load here).
        target
            .load_row(kind, body)
            .map_err(|error| StoreError::Corrupt {
                path: path.to_owned(),
                what: format!("{} {id}", kind.name()),
                error: error.to_string(),
            })?;
    }
    drop(rows);
    for site in state.sites.values_mut() {
        site.bulk(false);
    }
    let mut select = conn
        .prepare("SELECT token, body FROM tokens")
        .map_err(sqlite(path))?;
    let mut rows = select.query([]).map_err(sqlite(path))?;
    while let Some(row) = rows.next().map_err(sqlite(path))? {
        let token: String = row.get(0).map_err(sqlite(path))?;
        let body: String = row.get(1).map_err(sqlite(path))?;
        let value: Token =
            serde_json::from_str(&body).map_err(corrupt(path, "a token".to_owned()))?;
        state.tokens.insert(token, value);
    }
    state.start_journal();
    Ok(state)
}

/// Applies batches in one transaction.
fn apply(conn: &mut Connection, batches: &[(u64, Batch)]) -> rusqlite::Result<u64> {
    let tx = conn.transaction()?;
    let mut records = 0u64;
    {
        let mut put_site = tx.prepare(
            "INSERT OR REPLACE INTO sites (site, header, credentials) VALUES (?1, ?2, ?3)",
        )?;
        let mut rows = RowWriter {
            put: tx.prepare(
                "INSERT OR REPLACE INTO rows (site, kind, id, body) VALUES (?1, ?2, ?3, ?4)",
            )?,
            delete: tx.prepare("DELETE FROM rows WHERE site = ?1 AND kind = ?2 AND id = ?3")?,
            pending: Vec::new(),
        };
        let mut put_token =
            tx.prepare("INSERT OR REPLACE INTO tokens (token, body) VALUES (?1, ?2)")?;
        let mut delete_token = tx.prepare("DELETE FROM tokens WHERE token = ?1")?;
        for (_, batch) in batches {
            if batch.reset {
                rows.flush()?;
                tx.execute_batch("DELETE FROM rows; DELETE FROM sites; DELETE FROM tokens;")?;
            }
            for site in &batch.sites {
                put_site.execute(params![site.site.as_bytes(), site.header, site.credentials])?;
            }
            rows.pending.extend(&batch.rows);
            for token in &batch.tokens {
                match &token.body {
                    Some(body) => put_token.execute(params![token.token, body])?,
                    None => delete_token.execute(params![token.token])?,
                };
            }
            records += batch.len() as u64;
        }
        rows.flush()?;
    }
    tx.commit()?;
    Ok(records)
}

/// Row changes of a transaction, written in key order: a large group (a seed) then touches each
/// B-tree page once instead of at random. The sort is stable, so a row changed twice still ends
/// with its later change.
struct RowWriter<'conn, 'batch> {
    put: rusqlite::Statement<'conn>,
    delete: rusqlite::Statement<'conn>,
    pending: Vec<&'batch RowChange>,
}

impl RowWriter<'_, '_> {
    fn flush(&mut self) -> rusqlite::Result<()> {
        self.pending
            .sort_by_key(|row| (row.site, row.kind as i64, row.id));
        for row in self.pending.drain(..) {
            let key = (row.site.as_bytes(), row.kind as i64, row.id.as_bytes());
            match &row.body {
                Some(body) => self.put.execute(params![key.0, key.1, key.2, body])?,
                None => self.delete.execute(params![key.0, key.1, key.2])?,
            };
        }
        Ok(())
    }
}

fn write_loop(
    mut conn: Connection,
    path: &Path,
    inbox: mpsc::Receiver<Job>,
    progress: watch::Sender<Progress>,
    counters: &Counters,
    checkpointer: Checkpointer,
    _lock: File,
) {
    let mut stopping = false;
    while !stopping {
        let mut batches = Vec::new();
        match inbox.recv() {
            Ok(Job::Batch(sequence, batch)) => batches.push((sequence, batch)),
            Ok(Job::Stop) | Err(_) => break,
        }
        // Group commit: everything that queued up meanwhile goes into the same transaction.
        while let Ok(job) = inbox.try_recv() {
            match job {
                Job::Batch(sequence, batch) => batches.push((sequence, batch)),
                Job::Stop => {
                    stopping = true;
                    break;
                }
            }
        }
        let last = batches.last().map_or(0, |(sequence, _)| *sequence);
        #[cfg(test)]
        let _gate = counters.gate.lock();
        let started = std::time::Instant::now();
        match apply(&mut conn, &batches) {
            Ok(records) => {
                let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                counters
                    .longest_commit_micros
                    .fetch_max(took, Ordering::Relaxed);
                let bucket = COMMIT_BUCKETS_MS
                    .iter()
                    .position(|bound| took < bound * 1000)
                    .unwrap_or(COMMIT_BUCKETS_MS.len());
                counters.commits_by_duration[bucket].fetch_add(1, Ordering::Relaxed);
                counters.commits.fetch_add(1, Ordering::Relaxed);
                counters
                    .batches
                    .fetch_add(batches.len() as u64, Ordering::Relaxed);
                counters.records.fetch_add(records, Ordering::Relaxed);
                progress.send_modify(|p| p.durable = last);
            }
            Err(error) => {
                let failure = format!("{}: the store could not commit: {error}", path.display());
                tracing::error!(%failure);
                progress.send_modify(|p| p.failure = Some(Arc::from(failure)));
                // Later writes would build on a change that is not on disk: stop here.
                break;
            }
        }
    }
    checkpointer.stop();
    // Closing the last connection checkpoints the WAL into the main file.
    let _ = conn.close();
}

/// Copies committed WAL frames into the main file, off the writer's path, every
/// [`CHECKPOINT_EVERY`]. PASSIVE: it never blocks the writer; the writer reuses the WAL from
/// its start once a checkpoint has caught up.
struct Checkpointer {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

impl Checkpointer {
    fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = connect(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let owned = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("emulator-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    if let Err(error) =
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(path = %owned.display(), %error, "checkpoint failed; the WAL keeps the data");
                    }
                }
            })
            .map_err(|error| StoreError::Io {
                path: path.to_owned(),
                error,
            })?;
        Ok(Self { stop, thread })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// Imports a JSON state file in place: the store replaces it atomically, and the JSON stays
/// beside it as `FILE.imported.json`. A crash at any point leaves either the JSON (imported
/// again next time) or the finished store.
fn import_json(path: &Path) -> Result<(), StoreError> {
    let state = crate::persist::load_json(path).map_err(|error| StoreError::Foreign {
        path: path.to_owned(),
        reason: format!(
            "starts like an emulator state file (JSON) but does not read as one: {error}"
        ),
    })?;
    let backup = sibling(path, ".imported.json");
    let _ = std::fs::remove_file(&backup);
    if std::fs::hard_link(path, &backup).is_err() {
        std::fs::copy(path, &backup).map_err(io(&backup))?;
    }
    let importing = sibling(path, ".importing");
    for leftover in [&importing, &sibling(&importing, "-journal")] {
        match std::fs::remove_file(leftover) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(leftover)(e)),
        }
    }
    {
        // A rollback journal while importing: nothing but the file itself is left when it closes.
        let mut conn = Connection::open(&importing).map_err(sqlite(&importing))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite(&importing))?;
        prepare(&conn, &importing)?;
        let mut state = state;
        state.start_journal();
        for site in state.sites.keys().copied().collect::<Vec<_>>() {
            state.touch_site(site);
            if let Some(site) = state.sites.get_mut(&site) {
                site.mark_all_changed();
            }
        }
        // Stamped as already durable: nothing reads this copy of the state.
        let mut batch = state
            .take_batch(1, u64::MAX)
            .map_err(|e| StoreError::Corrupt {
                path: path.to_owned(),
                what: "the state".into(),
                error: e.to_string(),
            })?
            .unwrap_or_default();
        batch.tokens = state
            .tokens
            .iter()
            .map(|(token, value)| {
                Ok(crate::journal::TokenChange {
                    token: token.clone(),
                    body: Some(crate::journal::token_json(value)?),
                })
            })
            .collect::<serde_json::Result<_>>()
            .map_err(|e| StoreError::Corrupt {
                path: path.to_owned(),
                what: "a token".into(),
                error: e.to_string(),
            })?;
        apply(&mut conn, &[(1, batch)]).map_err(sqlite(&importing))?;
        conn.close().map_err(|(_, e)| sqlite(&importing)(e))?;
    }
    File::open(&importing)
        .and_then(|f| f.sync_all())
        .map_err(io(&importing))?;
    std::fs::rename(&importing, path).map_err(io(path))?;
    sync_dir(path);
    tracing::info!(path = %path.display(), backup = %backup.display(), "imported the JSON state into the store");
    Ok(())
}

fn sync_dir(path: &Path) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
}
