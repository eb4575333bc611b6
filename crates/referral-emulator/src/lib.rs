#![doc = include_str!("../README.md")]
// Shipped code returns errors instead of panicking (its own unit tests may unwrap).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod access;
mod app;
#[cfg(feature = "cli")]
mod args;
mod auth;
mod connection;
mod control;
mod durability;
mod error;
mod faults;
mod inspector;
#[cfg_attr(not(feature = "store"), allow(dead_code))]
mod journal;
mod lenience;
mod model;
#[cfg(feature = "store")]
mod persist;
mod query;
mod requests;
mod routes;
mod seed;
mod site;
mod state;
#[cfg(feature = "store")]
mod store;
mod table;
mod webhooks;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use access::{AllowedHosts, random_key};
#[cfg(feature = "cli")]
pub use args::EmulatorArgs;
pub use control::{
    ActionOutcome, ControlClient, ControlError, FaultState, FriendActionInput, SiteKeys,
};
pub use faults::FaultRule;
pub use lenience::WARNING_HEADER;
pub use requests::{
    AppliedFault, BODY_PREVIEW_BYTES, DEFAULT_REQUESTS_PER_SITE, RequestIdentity, RequestRecord,
};
pub use seed::{SeedCounts, SeedRequest};
pub use state::{CONTROL_KEY_HEADER, Settings};
#[cfg(feature = "store")]
pub use store::{COMMIT_BUCKETS_MS, StoreError, StoreStats, store_is_free, store_lock_holder};
pub use webhooks::DeliverySettings;

/// Defaults of the `wix-referral-emulator` binary.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8787";
pub const DEFAULT_API_KEY: &str = "local-emulator-key";
pub const DEFAULT_SITE_ID: &str = "11111111-1111-4111-8111-111111111111";

/// How to start an emulator.
#[derive(Clone)]
pub struct EmulatorConfig {
    pub addr: SocketAddr,
    pub api_key: String,
    pub site_id: Uuid,
    /// Persist the state here (atomically) and reload it on start.
    pub state_file: Option<PathBuf>,
    /// Seed the default site with deterministic demo data on start.
    pub seed: Option<SeedRequest>,
    pub settings: Settings,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: DEFAULT_API_KEY.to_owned(),
            site_id: Uuid::parse_str(DEFAULT_SITE_ID).unwrap_or_default(),
            state_file: None,
            seed: None,
            settings: Settings::default(),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("addr", &self.addr)
            .field("api_key", &"<redacted>")
            .field("site_id", &self.site_id)
            .field("state_file", &self.state_file)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The in-process emulator.
pub struct Emulator;

impl Emulator {
    /// Starts on `127.0.0.1:0` with the default site, key and settings.
    pub async fn start() -> std::io::Result<EmulatorHandle> {
        Self::start_with(EmulatorConfig::default()).await
    }

    pub async fn start_with(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let signer = tokio::task::spawn_blocking(webhooks::Signer::generate)
            .await
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?;
        let signer = Arc::new(signer);

        #[cfg(feature = "store")]
        let (loaded, store) = match config.state_file.clone() {
            Some(path) => {
                let (state, store) = tokio::task::spawn_blocking(move || store::Store::open(&path))
                    .await
                    .map_err(std::io::Error::other)??;
                (Some(state), Some(store))
            }
            None => (None, None),
        };
        #[cfg(not(feature = "store"))]
        let loaded: Option<state::State> = match &config.state_file {
            Some(path) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    format!(
                        "{}: this build of referral-emulator keeps no store (enable its `store` feature)",
                        path.display()
                    ),
                ));
            }
            None => None,
        };
        // A reloaded state keeps the default site's app credentials; a new one makes them.
        let mut rng = rand::thread_rng();
        let default_site = loaded
            .as_ref()
            .and_then(|s| s.credentials.get(&config.site_id).cloned())
            .map(|mut c| {
                c.api_key.clone_from(&config.api_key);
                c
            })
            .unwrap_or_else(|| state::SiteCredentials {
                site_id: config.site_id,
                api_key: config.api_key.clone(),
                app_id: site::random_uuid(&mut rng).to_string(),
                app_secret: state::secret(&mut rng),
                instance_id: site::random_uuid(&mut rng),
            });
        let mut state = loaded.unwrap_or_default();
        state.forget_expired_tokens(chrono::Utc::now());
        state.ensure_site(&default_site);

        #[allow(unused_mut)]
        let mut shared = state::Shared::new(
            state,
            config.settings.clone(),
            default_site.clone(),
            signer.clone(),
            webhooks::Dispatcher::new(config.settings.webhooks.clone(), signer),
        );
        #[cfg(feature = "store")]
        {
            shared.store = store;
        }
        let shared = Arc::new(shared);
        {
            let mut state = shared.lock_state();
            if let Some(request) = &config.seed
                && let Some(site) = state.sites.get_mut(&default_site.site_id)
                && site.customers.is_empty()
            {
                seed::seed(site, request)
                    .map_err(|e| std::io::Error::other(format!("seeding: {:?}", e.body())))?;
                state.touch_site(default_site.site_id);
            }
            shared.commit(&mut state);
        }
        // What start-up changed (the default site, a seed) is durable before anyone is told
        // the emulator is up.
        shared
            .durable()
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;

        let (shutdown, shutdown_signal) = oneshot::channel::<()>();
        let router = app::router(shared.clone());
        let server = tokio::spawn(async move {
            let listener = connection::DroppableListener::new(listener);
            let service = router.into_make_service_with_connect_info::<connection::Connection>();
            let serve = axum::serve(listener, service).with_graceful_shutdown(async {
                let _ = shutdown_signal.await;
            });
            if let Err(err) = serve.await {
                tracing::error!(%err, "emulator server stopped");
            }
        });
        Ok(EmulatorHandle {
            base_url: format!("http://{addr}"),
            addr,
            credentials: default_site,
            shared,
            shutdown: Some(shutdown),
            server: Some(server),
        })
    }
}

/// A running emulator. Dropping it stops the server too; [`EmulatorHandle::shutdown`] waits.
pub struct EmulatorHandle {
    base_url: String,
    addr: SocketAddr,
    credentials: state::SiteCredentials,
    shared: Arc<state::Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`, the base URL for any Wix client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The inspector's first page (`/_emulator/ui`), loopback-only like the control API; with
    /// `?key=` when the emulator has a control key (the link sets it as a cookie once).
    pub fn inspector_url(&self) -> String {
        match &self.shared.settings.control_key {
            Some(key) => format!("{}/_emulator/ui?key={key}", self.base_url),
            None => format!("{}/_emulator/ui", self.base_url),
        }
    }

    /// What a person starting this emulator should know beyond its address: the control key
    /// (printed once, so that scripts and the inspector can use it) and a Host check turned off.
    pub fn notices(&self) -> Vec<String> {
        let mut notices = Vec::new();
        if let Some(key) = self.control_key() {
            notices.push(format!(
                "control key {key} (send it as {CONTROL_KEY_HEADER}; fix it with --control-key or WIX_EMULATOR_CONTROL_KEY)"
            ));
        }
        if self.shared.settings.allowed_hosts.allows_any() {
            notices.push(
                "warning: --allowed-host '*': any Host name is answered, so a web page that rebinds its name to this machine can use the emulator".to_owned(),
            );
        }
        notices
    }

    /// The key the control API and the inspector ask for, if any (`Settings::control_key`).
    pub fn control_key(&self) -> Option<&str> {
        self.shared.settings.control_key.as_deref()
    }

    /// A client of this emulator's control API (with its control key, if any).
    pub fn control(&self) -> ControlClient {
        let client = ControlClient::new(self.base_url.clone());
        match self.control_key() {
            Some(key) => client.with_key(key),
            None => client,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn site_id(&self) -> Uuid {
        self.credentials.site_id
    }

    pub fn api_key(&self) -> &str {
        &self.credentials.api_key
    }

    pub fn app_id(&self) -> &str {
        &self.credentials.app_id
    }

    pub fn app_secret(&self) -> &str {
        &self.credentials.app_secret
    }

    pub fn instance_id(&self) -> Uuid {
        self.credentials.instance_id
    }

    /// The PEM of the key that signs webhooks.
    pub fn webhook_public_key(&self) -> &str {
        &self.shared.signer.public_pem
    }

    /// The newest `limit` Wix API requests of `site` (all sites with `None`), newest first.
    pub fn recent_requests(&self, site: Option<Uuid>, limit: usize) -> Vec<RequestRecord> {
        self.shared.requests.recent(site, limit)
    }

    /// Requests answered so far (an idle local server stops when this stops growing).
    pub fn requests_served(&self) -> u64 {
        self.shared.requests_served()
    }

    /// Resolves once `POST /_emulator/v1/shutdown` asked the emulator to stop; the caller then
    /// calls [`EmulatorHandle::shutdown`].
    pub async fn shutdown_requested(&self) {
        self.shared.shutdown_requested().await;
    }

    /// What the durable store has written so far (`None` without `--state`).
    #[cfg(feature = "store")]
    pub fn store_stats(&self) -> Option<StoreStats> {
        self.shared.store.as_ref().map(store::Store::stats)
    }

    /// Stops accepting requests, lets in-flight ones finish, and saves the state if persisted.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        // Every acknowledged write is already durable: closing only releases the file.
        #[cfg(feature = "store")]
        if self.shared.store.is_some() {
            let shared = self.shared.clone();
            let _ = tokio::task::spawn_blocking(move || {
                if let Some(store) = &shared.store {
                    store.close();
                }
            })
            .await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // No file work here: the writer thread finishes on its own.
        #[cfg(feature = "store")]
        if let Some(store) = &self.shared.store {
            store.request_stop();
        }
    }
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url)
            .field("site_id", &self.credentials.site_id)
            .field("api_key", &"<redacted>")
            .field("app_id", &self.credentials.app_id)
            .field("app_secret", &"<redacted>")
            .field("instance_id", &self.credentials.instance_id)
            .finish()
    }
}

/// Benchmark and test hooks into the engine, without HTTP.
#[doc(hidden)]
pub mod engine {
    pub use crate::model::{CUSTOMER_SCHEMA, FRIEND_SCHEMA};
    pub use crate::seed::seed;
    pub use crate::site::{FriendIdentity, Site};
}

#[cfg(all(test, feature = "store"))]
mod durability_tests {
    //! With the store's writer held, an answer that saw a pending change waits for it, and one
    //! that saw only settled rows does not (crate::durability).

    use std::time::Duration;

    use serde_json::{Value, json};

    use super::{Emulator, EmulatorConfig, EmulatorHandle};

    const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";

    fn call(
        emulator: &EmulatorHandle,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> impl std::future::Future<Output = Value> + Send + 'static {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", emulator.base_url()))
            .header("Authorization", emulator.api_key())
            .header("wix-site-id", emulator.site_id().to_string());
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("the emulator answers");
            assert!(response.status().is_success(), "{}", response.status());
            response.json().await.expect("JSON")
        }
    }

    fn enrol(
        emulator: &EmulatorHandle,
        contact: &str,
    ) -> impl std::future::Future<Output = Value> + Send + 'static {
        call(
            emulator,
            reqwest::Method::POST,
            CUSTOMERS,
            Some(json!({"contactId": contact})),
        )
    }

    /// Polls (bounded) until the store has been handed a batch after `after`.
    async fn until_submitted_after(emulator: &EmulatorHandle, after: u64) {
        let store = emulator.shared.store.as_ref().expect("a store");
        for _ in 0..2_000 {
            if store.submitted_sequence() > after {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the write never reached the store");
    }

    // Holding the store's gate across awaits is the point: the writer is an OS thread of its own.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_answers_that_saw_a_pending_change_wait_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = Emulator::start_with(EmulatorConfig {
            state_file: Some(dir.path().join("store.sqlite")),
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let settled = enrol(&emulator, "0f3c8a52-7a61-4d3e-9a3b-000000000001").await;
        let settled_id = settled["referringCustomer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let store = emulator.shared.store.as_ref().unwrap();

        let held = store.hold_commits();
        let before = store.submitted_sequence();
        let pending_write = tokio::spawn(enrol(&emulator, "0f3c8a52-7a61-4d3e-9a3b-000000000002"));
        until_submitted_after(&emulator, before).await;
        // The same contact again: create-or-return returns the pending row, so it waits too.
        let same_again = tokio::spawn(enrol(&emulator, "0f3c8a52-7a61-4d3e-9a3b-000000000002"));
        // A scan sees every change of the table.
        let scan = tokio::spawn(call(
            &emulator,
            reqwest::Method::POST,
            &format!("{CUSTOMERS}/query"),
            Some(json!({"query": {}})),
        ));
        // A settled customer read by id saw nothing pending: it answers while the writer is held.
        let read = tokio::time::timeout(
            Duration::from_secs(30),
            call(
                &emulator,
                reqwest::Method::GET,
                &format!("{CUSTOMERS}/{settled_id}"),
                None,
            ),
        )
        .await
        .expect("a read of a settled row does not wait for an unrelated commit");
        assert_eq!(read["referringCustomer"]["id"], json!(settled_id));
        // The others cannot answer while their change is not on disk. (Given time, a wrong
        // answer would have come by now; a slow machine can only make this check weaker.)
        tokio::time::sleep(Duration::from_millis(300)).await;
        for (what, task) in [
            ("the write", &pending_write),
            ("create-or-return", &same_again),
            ("the scan", &scan),
        ] {
            assert!(
                !task.is_finished(),
                "{what} answered before its change was durable"
            );
        }
        drop(held);
        let written = pending_write.await.unwrap();
        let again = same_again.await.unwrap();
        assert_eq!(
            written["referringCustomer"]["id"],
            again["referringCustomer"]["id"]
        );
        let listed = scan.await.unwrap();
        assert_eq!(
            listed["referringCustomers"].as_array().map(Vec::len),
            Some(2)
        );
        emulator.shutdown().await;
    }

    // See above: the gate is held across awaits on purpose.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn control_answers_wait_for_everything_even_from_the_blocking_pool() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = Emulator::start_with(EmulatorConfig {
            state_file: Some(dir.path().join("store.sqlite")),
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let store = emulator.shared.store.as_ref().unwrap();
        let held = store.hold_commits();
        // The seed runs on the blocking pool, where the request's scope is not.
        let request = reqwest::Client::new()
            .post(format!(
                "{}/_emulator/v1/sites/{}/seed",
                emulator.base_url(),
                emulator.site_id()
            ))
            .json(&json!({"customers": 3, "friendsPerCustomer": 1}))
            .send();
        let seed = tokio::spawn(request);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !seed.is_finished(),
            "the seed answered before it was durable"
        );
        drop(held);
        let answered = seed.await.unwrap().unwrap();
        assert!(answered.status().is_success(), "{}", answered.status());
        emulator.shutdown().await;
    }
}
