//! A fresh, isolated site on a local emulator, with ready SDK clients for each identity.

use std::sync::Arc;

use referral_domain::{Auth, ContactId, RetryPolicy, WixReferralClient};
use referral_emulator::{ControlClient, ControlError, Emulator, EmulatorHandle};
use serde_json::{Value, json};

use crate::dataset::Dataset;

/// What can go wrong while setting up a test site.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    #[error("the emulator did not start: {0}")]
    Emulator(#[from] std::io::Error),
    #[error(transparent)]
    Control(#[from] ControlError),
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
    site_id: String,
    api_key: String,
    app_id: String,
    app_secret: String,
    instance_id: String,
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
    /// A new emulator on `127.0.0.1:0` and a fresh site on it.
    pub async fn start() -> Result<Self, TestkitError> {
        let emulator = Arc::new(Emulator::start().await?);
        Self::on(emulator).await
    }

    /// A fresh site on a running emulator (share one emulator between many tests).
    pub async fn on(emulator: Arc<EmulatorHandle>) -> Result<Self, TestkitError> {
        let control = emulator.control();
        let created = control.send(reqwest::Method::POST, "/sites", None).await?;
        let text = |key: &str| created[key].as_str().map(str::to_owned).unwrap_or_default();
        let (site_id, api_key) = (text("siteId"), text("apiKey"));
        let client = WixReferralClient::builder()
            .base_url(emulator.base_url())
            .auth(Auth::api_key(api_key.clone(), site_id.clone()))
            .retries(fast_retries())
            .build()?;
        Ok(Self {
            control,
            app_id: text("appId"),
            app_secret: text("appSecret"),
            instance_id: text("instanceId"),
            site_id,
            api_key,
            client,
            emulator,
        })
    }

    /// The site's client, as an API key (an admin identity).
    pub fn client(&self) -> &WixReferralClient {
        &self.client
    }

    /// A client acting as the site's app (OAuth client credentials; tokens cached and refreshed).
    pub fn app_client(&self) -> Result<WixReferralClient, TestkitError> {
        Ok(WixReferralClient::builder()
            .base_url(self.emulator.base_url())
            .auth(Auth::app(
                self.app_id.clone(),
                self.app_secret.clone(),
                self.instance_id.clone(),
            ))
            .retries(fast_retries())
            .build()?)
    }

    /// A client acting as the site member whose contact is `contact` (`ContactId::me()` is theirs).
    pub async fn member_client(
        &self,
        contact: &ContactId,
    ) -> Result<WixReferralClient, TestkitError> {
        let reply = self
            .control(
                reqwest::Method::POST,
                &format!("/sites/{}/members", self.site_id),
                Some(json!({"contactId": contact.as_str()})),
            )
            .await?;
        let token = reply["token"].as_str().unwrap_or_default().to_owned();
        Ok(WixReferralClient::builder()
            .base_url(self.emulator.base_url())
            .auth(Auth::access_token(token))
            .retries(fast_retries())
            .build()?)
    }

    /// Fills the site with a deterministic dataset (customers, friends, orders, rewards, events).
    pub async fn seed(&self, dataset: &Dataset) -> Result<Value, TestkitError> {
        self.control(
            reqwest::Method::POST,
            &format!("/sites/{}/seed", self.site_id),
            Some(json!({"customers": dataset.customers, "friendsPerCustomer": dataset.friends_per_customer,
                "actionRate": dataset.action_rate, "seed": dataset.seed})),
        )
        .await
    }

    /// Records an order of the referred friend whose contact is `contact`: the events and rewards
    /// it causes (docs/decisions.md item 19).
    pub async fn record_order(
        &self,
        contact: &ContactId,
        amount: &str,
        currency: &str,
    ) -> Result<Value, TestkitError> {
        self.control(
            reqwest::Method::POST,
            &format!("/sites/{}/actions", self.site_id),
            Some(json!({"contactId": contact.as_str(), "action": "STORE_ORDER_PLACED", "amount": amount,
                "currency": currency, "orderId": format!("order-{}", crate::fixtures::guid())})),
        )
        .await
    }

    /// Injects faults on the emulator's Wix routes (they apply to every site of the emulator):
    /// `[{route, status, probability, latencyMs, dropConnection, loseResponse, retryAfter, times}]`.
    pub async fn faults(&self, rules: Value) -> Result<(), TestkitError> {
        self.control(reqwest::Method::PUT, "/faults?seed=1", Some(rules))
            .await
            .map(drop)
    }

    pub async fn clear_faults(&self) -> Result<(), TestkitError> {
        self.control(reqwest::Method::DELETE, "/faults", None)
            .await
            .map(drop)
    }

    /// Delivers the site's webhooks to `url` (verify them with [`Self::webhook_public_key`]).
    pub async fn register_webhook(&self, url: &str) -> Result<(), TestkitError> {
        self.control(
            reqwest::Method::POST,
            &format!("/sites/{}/webhooks", self.site_id),
            Some(json!({"url": url})),
        )
        .await
        .map(drop)
    }

    pub fn webhook_public_key(&self) -> &str {
        self.emulator.webhook_public_key()
    }

    pub fn base_url(&self) -> &str {
        self.emulator.base_url()
    }

    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

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

/// Retries with millisecond waits: tests stay fast under injected faults.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_delays(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(20),
    )
}
