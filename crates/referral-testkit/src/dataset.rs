//! Seeded datasets of consistent customers, friends, rewards and events: on an emulator site
//! ([`crate::TestSite::seed`]) or in memory, for mocks ([`Dataset::generate`]).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use referral_domain::{
    FriendStatus, ReferralEvent, ReferralReward, ReferredFriend, ReferringCustomer,
};

use crate::fixtures;

/// How big a dataset is, and its seed: the same values give the same data.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Referring customers to make.
    pub customers: u32,
    /// Referred friends per customer.
    pub friends_per_customer: u32,
    /// The share of friends who order (and so complete a successful referral).
    pub action_rate: f64,
    /// The seed of the generator: the same seed gives the same ids, codes and dates.
    pub seed: u64,
}

impl Dataset {
    /// 25 customers, 3 friends each, 40 % of them ordering.
    pub fn small() -> Self {
        Self {
            customers: 25,
            friends_per_customer: 3,
            action_rate: 0.4,
            seed: 42,
        }
    }

    /// 2 000 customers, 4 friends each, 25 % ordering: 10 000 rows and their rewards and events.
    pub fn large() -> Self {
        Self {
            customers: 2_000,
            friends_per_customer: 4,
            action_rate: 0.25,
            seed: 42,
        }
    }

    /// The same dataset with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The dataset in memory, consistent like the emulator's: each friend has a signup event and
    /// a coupon; each ordering friend is `ACTIONS_COMPLETED` and earns its customer 100 points.
    /// Ids are random; the shape (who referred whom, who ordered) follows the seed.
    pub fn generate(&self) -> Generated {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut data = Generated::default();
        for _ in 0..self.customers {
            let customer = fixtures::referring_customer();
            for _ in 0..self.friends_per_customer {
                let mut friend = fixtures::referred_friend_of(&customer);
                data.events.push(fixtures::signup_event(&friend));
                data.rewards.push(fixtures::coupon_reward_for(&friend));
                if rng.gen_bool(self.action_rate.clamp(0.0, 1.0)) {
                    friend.status = FriendStatus::ActionsCompleted;
                    data.rewards
                        .push(fixtures::points_reward_for(&customer, 100));
                }
                data.friends.push(friend);
            }
            data.customers.push(customer);
        }
        data
    }
}

/// An in-memory dataset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Generated {
    /// The referring customers.
    pub customers: Vec<ReferringCustomer>,
    /// Their referred friends, customer by customer.
    pub friends: Vec<ReferredFriend>,
    /// The rewards the friends' sign-ups and orders earned.
    pub rewards: Vec<ReferralReward>,
    /// The tracker's events of those sign-ups, orders and rewards.
    pub events: Vec<ReferralEvent>,
}
