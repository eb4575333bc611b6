//! A fresh, isolated site on a local emulator, with ready SDK clients for each identity.

use std::sync::Arc;

use referral_domain::{Auth, ContactId, ReferralRewardId, RetryPolicy, WixReferralClient};
use referral_emulator::{
    ControlClient, ControlError, Emulator, EmulatorConfig, EmulatorHandle, FaultRule,
    FriendActionInput, RequestRecord, SeedCounts, SeedRequest, Settings, SiteKeys,
};
use serde_json::Value;
use uuid::Uuid;

use crate::dataset::Dataset;

/// What can go wrong while setting up a test site.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// The in-memory emulator did not start (no free port, say).
    #[error("the emulator did not start: {0}")]
    Emulator(#[from] std::io::Error),
    /// A call to the emulator's control API failed.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// A call through the SDK failed.
    #[error(transparent)]
    Sdk(#[from] referral_domain::Error),
}

/// An isolated site on an emulator: its credentials and clients. Sites on one emulator never
/// see each other's data; the emulator stops when its last site is dropped.
///
/// ```no_run
/// # async fn demo() -> Result<(), referral_testkit::TestkitError> {
/// use referral_domain::ReferralPrograms;
/// let site = referral_testkit::TestSite::start().await?;
/// site.seed(&referral_testkit::Dataset::small()).await?;
/// let program = site.client().get_program().await?;
/// # Ok(()) }
/// ```
pub struct TestSite {
    emulator: Arc<EmulatorHandle>,
    control: ControlClient,
    keys: SiteKeys,
    site_id: String,
    client: WixReferralClient,
}

impl std::fmt::Debug for TestSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestSite")
            .field("base_url", &self.emulator.base_url())
            .field("site_id", &self.site_id)
            .finish_non_exhaustive()
    }
}

impl TestSite {
    /// A new emulator on `127.0.0.1:0` and a fresh site on it, in strict mode: what Wix's
    /// documents show but its reference pages do not (an operator without `$`, an update without
    /// a revision, …) is a 400 naming it, so code under test is held to the reference pages.
    /// [`Self::set_strict`]`(false)` accepts such requests with an `x-wix-emulator-warning`.
    pub async fn start() -> Result<Self, TestkitError> {
        let emulator = Arc::new(
            Emulator::start_with(EmulatorConfig {
                settings: Settings {
                    strict: true,
                    ..Settings::default()
                },
                ..EmulatorConfig::default()
            })
            .await?,
        );
        Self::on(emulator).await
    }

    /// A fresh site on a running emulator (share one emulator between many tests).
    pub async fn on(emulator: Arc<EmulatorHandle>) -> Result<Self, TestkitError> {
        let control = emulator.control();
        let keys = control.create_site().await?;
        let site_id = keys.site_id.to_string();
        let client = WixReferralClient::builder()
            .base_url(emulator.base_url())
            .auth(Auth::api_key(keys.api_key.clone(), site_id.clone()))
            .retries(fast_retries())
            .build()?;
        Ok(Self {
            control,
            keys,
            site_id,
            client,
            emulator,
        })
    }

    /// The site's client, as an API key (an admin identity), with [`fast_retries`] and the
    /// builder's other defaults (30 s per attempt, 90 s per call, no client-side rate limit).
    pub fn client(&self) -> &WixReferralClient {
        &self.client
    }

    /// A client acting as the site's app (OAuth client credentials; tokens cached and refreshed).
    pub fn app_client(&self) -> Result<WixReferralClient, TestkitError> {
        Ok(WixReferralClient::builder()
            .base_url(self.emulator.base_url())
            .auth(Auth::app(
                self.keys.app_id.clone(),
                self.keys.app_secret.clone(),
                self.keys.instance_id.to_string(),
            ))
            .retries(fast_retries())
            .build()?)
    }

    /// A client acting as the site member whose contact is `contact` (`ContactId::me()` is theirs).
    pub async fn member_client(
        &self,
        contact: &ContactId,
    ) -> Result<WixReferralClient, TestkitError> {
        let contact = Uuid::parse_str(contact.as_str()).map_err(|e| ControlError {
            method: reqwest::Method::POST,
            path: format!("/sites/{}/members", self.site_id),
            status: None,
            detail: format!("the emulator's members need a GUID contact: {e}"),
        })?;
        let token = self
            .control
            .create_member(self.keys.site_id, contact)
            .await?;
        Ok(WixReferralClient::builder()
            .base_url(self.emulator.base_url())
            .auth(Auth::access_token(token))
            .retries(fast_retries())
            .build()?)
    }

    /// The newest `limit` Wix API requests made to this site, newest first (the emulator's request
    /// log keeps the last 200).
    pub fn recent_requests(&self, limit: usize) -> Vec<RequestRecord> {
        self.emulator
            .recent_requests(Some(self.keys.site_id), limit)
    }

    /// The newest `limit` requests as text, oldest first, one line each: time, method, path,
    /// status, latency, identity, the fault that applied, and the start of an error's body.
    /// A `TestSite` dropped while its test panics prints this (the last 20) to stderr, so a
    /// failing test shows what happened on the wire.
    pub fn requests_report(&self, limit: usize) -> String {
        let mut records = self.recent_requests(limit);
        records.reverse();
        let mut report = format!(
            "the last {} request(s) to emulator site {}:\n",
            records.len(),
            self.site_id
        );
        for record in &records {
            report.push_str(&request_line(record));
            report.push('\n');
        }
        report
    }

    /// Fills the site with a deterministic dataset (customers, friends, orders, rewards, events).
    pub async fn seed(&self, dataset: &Dataset) -> Result<SeedCounts, TestkitError> {
        let request = SeedRequest {
            customers: dataset.customers,
            friends_per_customer: dataset.friends_per_customer,
            action_rate: dataset.action_rate,
            seed: dataset.seed,
        };
        Ok(self.control.seed(self.keys.site_id, &request).await?)
    }

    /// Records an order of the referred friend whose contact is `contact`: the events and rewards
    /// it causes (docs/decisions.md item 19).
    pub async fn record_order(
        &self,
        contact: &ContactId,
        amount: &str,
        currency: &str,
    ) -> Result<referral_emulator::ActionOutcome, TestkitError> {
        let contact = Uuid::parse_str(contact.as_str()).map_err(|e| ControlError {
            method: reqwest::Method::POST,
            path: format!("/sites/{}/actions", self.site_id),
            status: None,
            detail: format!("the emulator's orders need a GUID contact: {e}"),
        })?;
        let order = FriendActionInput::order(contact, amount, currency);
        Ok(self
            .control
            .record_action(self.keys.site_id, &order)
            .await?)
    }

    /// Records any action of a referred friend (an order, a booking, a plan bought…, with its
    /// amount, currency and order id): the events and rewards it causes, and in
    /// `ActionOutcome::notes` why something did not happen (a program that is not active, an
    /// order recorded before; docs/decisions.md item 37).
    pub async fn record_action(
        &self,
        action: &FriendActionInput,
    ) -> Result<referral_emulator::ActionOutcome, TestkitError> {
        Ok(self
            .control
            .record_action(self.keys.site_id, action)
            .await?)
    }

    /// The receiver of `reward` used its coupon at checkout: the coupon becomes `APPLIED`, as
    /// the performance report's "coupons applied" then counts. A reward that is no coupon, or
    /// a coupon already applied, is an error.
    pub async fn redeem_coupon(&self, reward: &ReferralRewardId) -> Result<(), TestkitError> {
        let id = Uuid::parse_str(reward.as_str()).map_err(|e| ControlError {
            method: reqwest::Method::POST,
            path: format!("/sites/{}/rewards/{reward}/redeem", self.site_id),
            status: None,
            detail: format!("a reward id is a GUID: {e}"),
        })?;
        self.control
            .redeem_coupon(self.keys.site_id, id)
            .await
            .map(drop)
            .map_err(TestkitError::from)
    }

    /// Injects faults on the emulator's Wix routes (they apply to every site of the emulator),
    /// in order: the first rule that matches a request and fires decides. The random sequence
    /// is seeded, so a test is reproducible.
    ///
    /// ```no_run
    /// # async fn example(site: &referral_testkit::TestSite) -> Result<(), referral_testkit::TestkitError> {
    /// use referral_testkit::FaultRule;
    /// site.faults([
    ///     FaultRule::on("/referral-customers").lose_response().times(1),
    ///     FaultRule::everywhere().status(503).probability(0.1),
    /// ])
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn faults(
        &self,
        rules: impl IntoIterator<Item = FaultRule>,
    ) -> Result<(), TestkitError> {
        let rules: Vec<FaultRule> = rules.into_iter().collect();
        Ok(self.control.set_faults(&rules, 1).await?)
    }

    /// Removes every fault rule.
    pub async fn clear_faults(&self) -> Result<(), TestkitError> {
        Ok(self.control.clear_faults().await?)
    }

    /// Refuses (`true`, what [`Self::start`] begins with) or accepts with a warning (`false`)
    /// what Wix's documents show but its reference pages do not. It is the emulator's setting:
    /// every site of a shared emulator follows it.
    pub async fn set_strict(&self, strict: bool) -> Result<(), TestkitError> {
        Ok(self.control.set_strict(strict).await?)
    }

    /// Delivers the site's webhooks to `url` (verify them with [`Self::webhook_public_key`]).
    pub async fn register_webhook(&self, url: &str) -> Result<(), TestkitError> {
        Ok(self
            .control
            .register_webhook(self.keys.site_id, url)
            .await?)
    }

    /// The PEM of the key the emulator signs webhooks with (give it to `WebhookVerifier`).
    pub fn webhook_public_key(&self) -> &str {
        self.emulator.webhook_public_key()
    }

    /// The emulator's base URL, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        self.emulator.base_url()
    }

    /// This site's id (send it as `wix-site-id` with [`TestSite::api_key`]).
    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    /// This site's API key.
    pub fn api_key(&self) -> &str {
        &self.keys.api_key
    }

    /// The emulator the site lives on (shared by sites started with [`TestSite::on`]).
    pub fn emulator(&self) -> &Arc<EmulatorHandle> {
        &self.emulator
    }

    /// A call of the emulator's control API (`/_emulator/v1`).
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, TestkitError> {
        Ok(self.control.send(method, path, body.as_ref()).await?)
    }
}

/// Retries with millisecond waits, so tests stay fast under injected faults: 4 attempts, the
/// backoff starting at 1 ms and doubling up to 20 ms (full jitter), `Retry-After` waited out up to
/// 30 s as by default.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_delays(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(20),
    )
}

impl Drop for TestSite {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.requests_report(20));
        }
    }
}

/// One request as a line of text; what came from the wire is escaped.
fn request_line(record: &RequestRecord) -> String {
    let mut line = format!(
        "  {} {} {} -> {} in {:.1} ms ({:?})",
        record.time.format("%H:%M:%S%.3f"),
        record.method,
        record.path.escape_debug(),
        record.status,
        record.latency_micros as f64 / 1000.0,
        record.identity,
    );
    if let Some(fault) = &record.fault {
        line.push_str(&format!(" fault rule {}: {}", fault.rule, fault.effect));
    }
    if record.status >= 400
        && let Some(body) = &record.response_body
    {
        let start: String = body.chars().take(200).collect();
        line.push_str(&format!(" {}", start.escape_debug()));
    }
    line
}
