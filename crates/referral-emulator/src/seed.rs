//! Deterministic demo data: the same seed on a fresh site gives the same ids, codes and dates.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::site::{
    ActionName, CouponOptions, CouponScope, DiscountType, EmailApp, Emails, FriendAction,
    LoyaltyPointsOptions, NonNegative, PercentageOptions, Points, ProgramPatch, Revision,
    RewardConfig, RewardType, Site, random_uuid,
};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRequest {
    pub customers: u32,
    #[serde(default = "default_friends")]
    pub friends_per_customer: u32,
    #[serde(default = "default_action_rate")]
    pub action_rate: f64,
    #[serde(default)]
    pub seed: u64,
}

fn default_friends() -> u32 {
    3
}

fn default_action_rate() -> f64 {
    0.5
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedCounts {
    pub customers: u64,
    pub friends: u64,
    pub actions: u64,
    pub rewards: u64,
    pub events: u64,
}

/// The most rows one seed call makes (customers × (1 + friends)), to keep a typo from eating memory.
pub(crate) const MAX_SEED_ROWS: u64 = 5_000_000;

impl SeedRequest {
    /// The dataset `--seed N` loads (the emulator binary and `wix-referral emulator`): 25
    /// referring customers with 3 friends each, half of whom order.
    pub fn demo(seed: u64) -> Self {
        Self {
            customers: 25,
            friends_per_customer: default_friends(),
            action_rate: default_action_rate(),
            seed,
        }
    }

    pub fn validate(&self) -> ApiResult<()> {
        if !(0.0..=1.0).contains(&self.action_rate) {
            return Err(ApiError::invalid("actionRate", "must be 0 to 1"));
        }
        let rows = u64::from(self.customers) * (1 + u64::from(self.friends_per_customer));
        if rows > MAX_SEED_ROWS {
            return Err(ApiError::invalid(
                "customers",
                &format!("customers × (1 + friendsPerCustomer) must be at most {MAX_SEED_ROWS}"),
            ));
        }
        Ok(())
    }
}

/// Fills `site`: configures and activates a demo program when it is still a draft without
/// rewards, then adds customers, their friends and the friends' orders.
pub fn seed(site: &mut Site, request: &SeedRequest) -> ApiResult<SeedCounts> {
    request.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(request.seed);
    if site.program.status == "DRAFT" && site.program.referred_friend_reward.is_none() {
        let text = |s: &str| s.to_owned();
        let demo = ProgramPatch {
            revision: Some(Revision(site.program.revision)),
            name: Some(Some(text("Share & Earn"))),
            referred_friend_reward: Some(Some(RewardConfig {
                reward_type: RewardType(text("COUPON")),
                loyalty_points_options: None,
                coupon_options: Some(CouponOptions {
                    name: Some(text("Welcome gift")),
                    discount_type: Some(DiscountType(text("PERCENTAGE"))),
                    percentage_options: Some(PercentageOptions {
                        percentage: NonNegative(10.into()),
                    }),
                    scope: Some(CouponScope {
                        namespace: text("stores"),
                        rest: serde_json::Map::new(),
                    }),
                    ..CouponOptions::default()
                }),
            })),
            referring_customer_reward: Some(Some(RewardConfig {
                reward_type: RewardType(text("LOYALTY_POINTS")),
                loyalty_points_options: Some(LoyaltyPointsOptions {
                    amount: Points(100),
                }),
                coupon_options: None,
            })),
            successful_referral_actions: Some(vec![ActionName(text("STORE_ORDER_PLACED"))]),
            emails: Some(Some(Emails {
                encourage_to_refer_friends: Some(vec![EmailApp(text("STORES"))]),
                notify_customers_about_reward: Some(true),
            })),
            status: None,
        };
        site.patch_program(demo, &crate::lenience::Lenience::default())?;
    }
    if site.program.status != "ACTIVE" {
        site.set_program_status("ACTIVE")?;
    }
    // Reserve what the seed will add: a reward and a sign-up event (plus its reward event) per
    // friend, and an action, a success and a reward (plus its event) per acting friend.
    let customers = request.customers as usize;
    let friends = customers * request.friends_per_customer as usize;
    let acting = (friends as f64 * request.action_rate).ceil() as usize;
    site.customers.reserve(customers);
    site.totals.reserve(customers);
    site.friends.reserve(friends);
    site.friend_actions.reserve(friends);
    site.rewards.reserve(friends + acting);
    site.events.reserve(2 * friends + 4 * acting);
    site.customers.begin_bulk();
    site.friends.begin_bulk();
    site.rewards.begin_bulk();
    site.events.begin_bulk();
    let result = add_rows(site, request, &mut rng);
    site.customers.end_bulk();
    site.friends.end_bulk();
    site.rewards.end_bulk();
    site.events.end_bulk();
    result
}

/// The customers, friends and orders of one seed call.
fn add_rows(site: &mut Site, request: &SeedRequest, rng: &mut ChaCha8Rng) -> ApiResult<SeedCounts> {
    let before = (
        site.customers.len(),
        site.friends.len(),
        site.actions,
        site.rewards.len(),
        site.events.len(),
    );
    let start: DateTime<Utc> = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(); // 2026-01-01
    let mut clock = start + Duration::seconds(i64::from(site.customers.len() as u32));
    let mut tick = |rng: &mut ChaCha8Rng| {
        clock += Duration::milliseconds(rng.gen_range(1..60_000));
        clock
    };
    for _ in 0..request.customers {
        let contact = random_uuid(rng);
        let at = tick(rng);
        let customer_id = Some(site.generate_customer(contact, rng, at));
        for _ in 0..request.friends_per_customer {
            let friend_contact = random_uuid(rng);
            let at = tick(rng);
            site.create_friend(friend_contact, customer_id, rng, at)?;
            if rng.gen_bool(request.action_rate) {
                let cents = rng.gen_range(1_000..20_000);
                let order = format!("order-{}", random_uuid(rng).simple());
                let at = tick(rng);
                let action = FriendAction {
                    contact: friend_contact,
                    action: "STORE_ORDER_PLACED".into(),
                    amount_cents: cents,
                    currency: Some("USD".into()),
                    order_id: Some(order),
                };
                site.record_action(&action, rng, at)?;
            }
        }
    }
    Ok(SeedCounts {
        customers: (site.customers.len() - before.0) as u64,
        friends: (site.friends.len() - before.1) as u64,
        actions: (site.actions - before.2) as u64,
        rewards: (site.rewards.len() - before.3) as u64,
        events: (site.events.len() - before.4) as u64,
    })
}
