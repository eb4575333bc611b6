//! An emulator, its control API, and SDK clients for it. Every test here talks real HTTP.

#![allow(dead_code)] // each test binary uses a different part

use std::time::Duration;

use referral_domain::{
    Auth, ContactId, NewReferredFriend, ReferralProgramsExt, ReferredFriend, ReferredFriends,
    ReferringCustomer, ReferringCustomers, RetryPolicy, RewardConfig, WixReferralClient,
    WixReferralClientBuilder,
};
use referral_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Settings};
use serde_json::{Value, json};

pub(crate) struct Env {
    pub emulator: EmulatorHandle,
    pub http: reqwest::Client,
}

/// Retries fast enough for tests: the policy is the default's, with millisecond waits.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_delays(Duration::from_millis(1), Duration::from_millis(20))
}

impl Env {
    pub(crate) async fn start() -> Env {
        Self::start_with(Settings::default()).await
    }

    pub(crate) async fn start_with(settings: Settings) -> Env {
        let config = EmulatorConfig {
            settings,
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::start_with(config)
            .await
            .expect("the emulator starts");
        Env {
            emulator,
            http: reqwest::Client::new(),
        }
    }

    /// A builder pointed at the emulator with the default site's API key and fast retries.
    pub(crate) fn builder(&self) -> WixReferralClientBuilder {
        WixReferralClient::builder()
            .base_url(self.emulator.base_url())
            .retries(fast_retries())
            .auth(Auth::api_key(
                self.emulator.api_key(),
                self.emulator.site_id().to_string(),
            ))
    }

    pub(crate) fn client(&self) -> WixReferralClient {
        self.builder().build().expect("a client")
    }

    /// The same site as its app (OAuth client credentials).
    pub(crate) fn app_client(&self) -> WixReferralClient {
        self.builder()
            .auth(Auth::app(
                self.emulator.app_id(),
                self.emulator.app_secret(),
                self.emulator.instance_id().to_string(),
            ))
            .build()
            .expect("a client")
    }

    /// A client acting as the member whose contact is `contact`.
    pub(crate) async fn member_client(&self, contact: &ContactId) -> WixReferralClient {
        self.scoped_member_client(contact, None).await
    }

    /// [`Self::member_client`] whose token scope carries `referral_code`.
    pub(crate) async fn scoped_member_client(
        &self,
        contact: &ContactId,
        referral_code: Option<&str>,
    ) -> WixReferralClient {
        let reply = self
            .control(
                reqwest::Method::POST,
                &format!("/sites/{}/members", self.emulator.site_id()),
                Some(json!({"contactId": contact.as_str(), "referralCode": referral_code})),
            )
            .await;
        let token = reply["token"].as_str().expect("a member token").to_owned();
        self.builder()
            .auth(Auth::access_token(token))
            .build()
            .expect("a client")
    }

    pub(crate) async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        self.emulator
            .control()
            .send(method, path, body.as_ref())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) async fn faults(
        &self,
        rules: impl IntoIterator<Item = referral_emulator::FaultRule>,
    ) {
        let rules: Vec<_> = rules.into_iter().collect();
        self.emulator
            .control()
            .set_faults(&rules, 7)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// How many requests each fault rule has failed.
    pub(crate) async fn faults_fired(&self) -> Vec<u64> {
        let state = self
            .emulator
            .control()
            .faults()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        state.failed.into_iter().map(u64::from).collect()
    }

    pub(crate) async fn clear_faults(&self) {
        self.emulator
            .control()
            .clear_faults()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Records an order of the friend whose contact is `contact`.
    pub(crate) async fn order(&self, contact: &ContactId, amount: &str) -> Value {
        self.control(
            reqwest::Method::POST,
            &format!("/sites/{}/actions", self.emulator.site_id()),
            Some(
                json!({"contactId": contact.as_str(), "action": "STORE_ORDER_PLACED",
                "amount": amount, "currency": "USD", "orderId": format!("order-{amount}")}),
            ),
        )
        .await
    }

    pub(crate) async fn seed(&self, customers: u32, friends_per_customer: u32) -> Value {
        self.control(
            reqwest::Method::POST,
            &format!("/sites/{}/seed", self.emulator.site_id()),
            Some(
                json!({"customers": customers, "friendsPerCustomer": friends_per_customer,
                "actionRate": 0.5, "seed": 42}),
            ),
        )
        .await
    }
}

/// Configures a coupon for friends and points for customers, then activates the program.
pub(crate) async fn activate_with_rewards(client: &WixReferralClient) {
    use referral_domain::{
        CouponAppliesTo, CouponScope, CouponSpec, Decimal, Discount, ReferralAction,
        ReferralPrograms,
    };
    client
        .update_program_with(|p| {
            p.name = Some("Share & Earn".into());
            p.referred_friend_reward = Some(RewardConfig::Coupon(
                CouponSpec::new("Welcome", Discount::Percentage(Decimal::new(10, 0)))
                    .applies_to(CouponAppliesTo::Scope(CouponScope::namespace("stores"))),
            ));
            p.referring_customer_reward = Some(RewardConfig::loyalty_points(100));
            p.successful_referral_actions = vec![ReferralAction::StoreOrderPlaced];
        })
        .await
        .expect("the program is configured");
    client
        .activate_program()
        .await
        .expect("the program activates");
}

/// A referral on an active program with rewards: a referring customer and the friend they
/// referred, each on a fresh contact.
pub(crate) async fn referral(client: &WixReferralClient) -> (ReferringCustomer, ReferredFriend) {
    activate_with_rewards(client).await;
    let customer = client
        .generate_referring_customer(&contact())
        .await
        .expect("a referring customer");
    let friend = client
        .create_referred_friend(&NewReferredFriend::Contact {
            contact_id: contact(),
            referring_customer_id: customer.id.clone(),
        })
        .await
        .expect("a referred friend");
    (customer, friend)
}

/// A fresh contact.
pub(crate) fn contact() -> ContactId {
    ContactId::parse(uuid::Uuid::new_v4().to_string()).unwrap()
}
