//! What every request shares: the state behind its lock, the settings, the store, the fault
//! rules, the webhook signer and dispatcher, and the caller's way in ([`Shared::authenticate`],
//! then [`Shared::read_as`] and [`Shared::write_as`]: the site, and the hand-off of what a write
//! changed to the webhooks and the store).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parking_lot::{Mutex, RwLock, RwLockWriteGuard};

use super::{SiteCredentials, State};
use crate::auth::{Identity, authenticate};
use crate::durability::{self, Need};
use crate::error::{ApiError, ApiResult};
use crate::faults::Faults;
use crate::site::Site;
use crate::webhooks::{Dispatcher, Outgoing, Signer};

/// The header that carries the control key, when the emulator has one.
pub const CONTROL_KEY_HEADER: &str = "x-wix-emulator-control-key";

/// Settings that stay fixed while the emulator runs.
#[derive(Clone)]
pub struct Settings {
    /// Lifetime of app OAuth tokens (Wix: 14400 s).
    pub token_ttl: Duration,
    /// Requests per minute per app instance; `None` disables the limit (docs/decisions.md item 24).
    pub rate_limit_per_minute: Option<u32>,
    /// Whether the control API (`/_emulator/v1`, which can read every site's credentials and
    /// reset everything) answers peers outside loopback. Off: only `127.0.0.0/8` and `::1`.
    pub allow_remote_control: bool,
    /// When set, the control API answers only requests that carry this key in
    /// `x-wix-emulator-control-key` (a local server shared by one user's processes).
    pub control_key: Option<String>,
    /// Wix API requests the request log keeps per site (`GET /_emulator/v1/requests`); 0 keeps
    /// none.
    pub request_log_per_site: usize,
    /// The `Host` names every route answers (a DNS-rebinding guard): by default loopback names
    /// and IP addresses only.
    pub allowed_hosts: crate::access::AllowedHosts,
    /// How webhooks are delivered: attempts, time-outs, and the bounds on what waits.
    pub webhooks: crate::webhooks::DeliverySettings,
    /// Refuse, with a 400 naming it, what the emulator otherwise accepts because Wix's
    /// documents show it though its reference pages do not (docs/decisions.md item 35); off by
    /// default, when each such request is answered with an `x-wix-emulator-warning`. The
    /// control API's `PUT /_emulator/v1/strict` changes it while the emulator runs.
    pub strict: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("token_ttl", &self.token_ttl)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("allow_remote_control", &self.allow_remote_control)
            .field(
                "control_key",
                &self.control_key.as_ref().map(|_| "<redacted>"),
            )
            .field("request_log_per_site", &self.request_log_per_site)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("webhooks", &self.webhooks)
            .field("strict", &self.strict)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(14_400),
            rate_limit_per_minute: Some(200),
            allow_remote_control: false,
            control_key: None,
            request_log_per_site: crate::requests::DEFAULT_REQUESTS_PER_SITE,
            allowed_hosts: crate::access::AllowedHosts::loopback(),
            webhooks: crate::webhooks::DeliverySettings::default(),
            strict: false,
        }
    }
}

pub(crate) struct Shared {
    /// Reached through [`Shared::read_as`], [`Shared::write_as`] or [`Shared::lock_state`].
    state: RwLock<State>,
    pub settings: Settings,
    pub default_site: SiteCredentials,
    pub faults: Mutex<Faults>,
    /// Whether any fault rule is set: lets requests skip the faults lock.
    pub faults_armed: AtomicBool,
    pub signer: Arc<Signer>,
    pub dispatcher: Dispatcher,
    /// The last requests of each site.
    pub(crate) requests: crate::requests::RequestLog,
    /// The durable store, when the emulator keeps one (`--state FILE`).
    #[cfg(feature = "store")]
    pub(crate) store: Option<crate::store::Store>,
    /// Per app instance (docs/decisions.md item 24): a burst of the whole minute's quota, then an
    /// even refill.
    rate_limiter: Option<DefaultKeyedRateLimiter<String>>,
    request_counter: AtomicU64,
    /// Set by `POST /_emulator/v1/shutdown`; the process that runs the emulator decides.
    shutdown_requested: AtomicBool,
    /// Strict mode (`Settings::strict`, then `PUT /_emulator/v1/strict`).
    strict: AtomicBool,
    shutdown_notify: tokio::sync::Notify,
}

pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub(crate) fn new(
        state: State,
        settings: Settings,
        default_site: SiteCredentials,
        signer: Arc<Signer>,
        dispatcher: Dispatcher,
    ) -> Self {
        let strict = settings.strict;
        let rate_limiter = settings
            .rate_limit_per_minute
            .and_then(NonZeroU32::new)
            .map(|per_minute| RateLimiter::keyed(Quota::per_minute(per_minute)));
        Self {
            rate_limiter,
            requests: crate::requests::RequestLog::new(settings.request_log_per_site),
            state: RwLock::new(state),
            settings,
            default_site,
            faults: Mutex::new(Faults::default()),
            faults_armed: AtomicBool::new(false),
            signer,
            dispatcher,
            #[cfg(feature = "store")]
            store: None,
            request_counter: AtomicU64::new(0),
            shutdown_requested: AtomicBool::new(false),
            strict: AtomicBool::new(strict),
            shutdown_notify: tokio::sync::Notify::new(),
        }
    }

    fn check_rate(&self, identity: &Identity) -> ApiResult<()> {
        let (Some(limiter), Some(key)) = (&self.rate_limiter, identity.rate_key()) else {
            return Ok(());
        };
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Whole seconds, rounded up: a client that waits that long gets through.
            ApiError::too_many_requests(Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)))
        })
    }

    /// Who is calling, within the rate limit (the [`crate::routes::extract::Caller`] extractor).
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> ApiResult<Identity> {
        let identity = authenticate(&self.state.read(), headers)?;
        self.check_rate(&identity)?;
        Ok(identity)
    }

    /// Runs a read on the site of an authenticated caller. The answer waits only for the
    /// changes the read saw to be durable ([`crate::durability`]).
    pub(crate) fn read_as<T>(
        &self,
        identity: &Identity,
        f: impl FnOnce(&Site) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let state = self.state.read();
        let (result, seen) = durability::observing(|| {
            // Not finding the site, or anything older than the last reset, sees the reset.
            durability::observe(state.reset_stamp());
            let site = state
                .sites
                .get(&identity.site())
                .ok_or_else(|| ApiError::unauthenticated("unknown site"))?;
            durability::observe(site.header_stamp());
            f(site)
        });
        durability::require_up_to(seen);
        result
    }

    /// Runs a write on the site of an authenticated caller, then hands what it changed to the
    /// webhooks and the store. The answer waits for its own change and for what it read.
    pub(crate) fn write_as<T>(
        &self,
        identity: &Identity,
        f: impl FnOnce(&mut Site) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let mut state = self.state.write();
        let mut outgoing = None;
        let (result, seen) = durability::observing(|| {
            durability::observe(state.reset_stamp());
            let site = state
                .sites
                .get_mut(&identity.site())
                .ok_or_else(|| ApiError::unauthenticated("unknown site"))?;
            durability::observe(site.header_stamp());
            let result = f(site);
            outgoing = self.after_write(site, Some(identity));
            Ok(result)
        });
        let result = match result {
            Ok(result) => result,
            Err(unknown_site) => {
                durability::require_up_to(seen);
                return Err(unknown_site);
            }
        };
        state.touch_site(identity.site());
        let submitted = self.commit(&mut state);
        drop(state);
        self.dispatch(outgoing);
        durability::require_up_to(seen.max(submitted));
        result
    }

    /// The whole state, for the control API, token issuing and start-up. Whoever takes it
    /// may see anything, so the request's answer waits for every batch submitted.
    pub(crate) fn lock_state(&self) -> RwLockWriteGuard<'_, State> {
        durability::require_everything();
        self.state.write()
    }

    /// Hands what changed in `state` to the store (a no-op without one), returning the sequence
    /// number of the last batch submitted (0 without a store). Call it before the write lock is
    /// released: batches must reach the store in the order they were applied, and every change
    /// a reader can see must carry its stamp.
    pub(crate) fn commit(&self, state: &mut State) -> u64 {
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            let sequence = store.next_sequence();
            match state.take_batch(sequence, store.durable_sequence()) {
                Ok(Some(batch)) => store.submit(sequence, batch),
                Ok(None) => {}
                Err(error) => {
                    // Rows are plain data; if one ever fails to serialize, the change must not
                    // be acknowledged as durable: the store fails every later wait.
                    store.fail(format!("a change could not be serialized: {error}"));
                }
            }
            return store.submitted_sequence();
        }
        #[cfg(not(feature = "store"))]
        let _ = state;
        0
    }

    /// Whether answers wait for a durable store at all.
    pub(crate) fn keeps_store(&self) -> bool {
        #[cfg(feature = "store")]
        return self.store.is_some();
        #[cfg(not(feature = "store"))]
        false
    }

    /// Waits until every change a response may have seen is durable.
    pub(crate) async fn durable(&self) -> Result<(), std::sync::Arc<str>> {
        self.durable_for(Need::Everything).await
    }

    /// Waits until the batches `need` names are durable.
    pub(crate) async fn durable_for(&self, need: Need) -> Result<(), std::sync::Arc<str>> {
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            let target = match need {
                Need::Everything | Need::Undecided => store.submitted_sequence(),
                Need::UpTo(sequence) => sequence,
            };
            return store.wait_durable(target).await;
        }
        let _ = need;
        Ok(())
    }

    /// Replaces the fault rules (an empty list disarms injection).
    pub(crate) fn set_faults(&self, rules: Vec<crate::faults::FaultRule>, seed: u64) {
        let armed = !rules.is_empty();
        let mut faults = self.faults.lock();
        faults.set(rules, seed);
        self.faults_armed.store(armed, Ordering::Release);
    }

    /// Bookkeeping after any change of a site, under the state lock: its webhook events, taken
    /// as plain data for [`Shared::dispatch`] once the lock is released.
    pub(crate) fn after_write(
        &self,
        site: &mut Site,
        caller: Option<&Identity>,
    ) -> Option<Outgoing> {
        Outgoing::take(site, caller)
    }

    /// Queues a write's webhook events (call it with the state lock released).
    pub(crate) fn dispatch(&self, outgoing: Option<Outgoing>) {
        if let Some(outgoing) = outgoing {
            self.dispatcher.dispatch(outgoing);
        }
    }

    /// Reads the whole state for the inspector (which answers nothing a client acts on, so it
    /// does not wait for durability).
    pub(crate) fn inspect<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.read())
    }

    /// Adds a fault rule after the others, keeping their counts.
    pub(crate) fn add_fault(&self, rule: crate::faults::FaultRule) {
        let mut faults = self.faults.lock();
        faults.push(rule);
        self.faults_armed.store(true, Ordering::Release);
    }

    /// Whether a site of this id exists (without waiting on durability: nothing is answered
    /// from it).
    pub(crate) fn site_exists(&self, id: uuid::Uuid) -> bool {
        self.state.read().sites.contains_key(&id)
    }

    /// Requests answered so far.
    pub(crate) fn requests_served(&self) -> u64 {
        self.request_counter.load(Ordering::Relaxed)
    }

    /// Whether departures from Wix's reference pages are refused (crate::lenience).
    pub(crate) fn strict(&self) -> bool {
        self.strict.load(Ordering::Relaxed)
    }

    pub(crate) fn set_strict(&self, strict: bool) {
        self.strict.store(strict, Ordering::Relaxed);
    }

    pub(crate) fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::Release);
        self.shutdown_notify.notify_waiters();
    }

    /// Resolves once someone asked the emulator to stop.
    pub(crate) async fn shutdown_requested(&self) {
        loop {
            let notified = self.shutdown_notify.notified();
            if self.shutdown_requested.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        let now = chrono::Utc::now();
        format!(
            "{}.{:09}{:09}",
            now.timestamp(),
            now.timestamp_subsec_nanos(),
            n % 1_000_000_000
        )
    }
}
