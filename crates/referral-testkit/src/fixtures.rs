//! Entities with realistic defaults, to build in one line and adjust with struct update syntax,
//! and the documented Wix example payloads as named fixtures.
//!
//! ```
//! use referral_domain::FriendStatus;
//! use referral_testkit::fixtures;
//! let customer = fixtures::referring_customer();
//! let friend = fixtures::referred_friend_of(&customer);
//! let done = referral_domain::ReferredFriend { status: FriendStatus::ActionsCompleted, ..friend };
//! assert_eq!(done.referring_customer_id, customer.id);
//! ```

use chrono::{DateTime, TimeZone, Utc};
use rand::Rng;
use referral_domain::{
    ActionEvent, AwardedPoints, ContactId, CouponAppliesTo, CouponScope, CouponSpec, CouponStatus,
    Decimal, Discount, EmailApp, Emails, EventKind, FriendStatus, IssuedCoupon, IssuedReward,
    Program, ProgramStatus, ReferralAction, ReferralCode, ReferralEvent, ReferralEventId,
    ReferralReward, ReferralRewardId, ReferralStatistics, ReferredFriend, ReferredFriendAction,
    ReferredFriendId, ReferringCustomer, ReferringCustomerId, ReferringCustomerTotal, Revision,
    RewardConfig, RewardEvent, RewardReceiver, Trigger,
};

/// A random version-4 GUID.
pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A random 12-character referral code.
pub fn referral_code() -> ReferralCode {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    // Letters and digits only: every draw parses, the loop is for the type system.
    loop {
        let code: String = (0..ReferralCode::LEN)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        if let Ok(code) = ReferralCode::parse(code) {
            return code;
        }
    }
}

/// A fresh contact id.
pub fn contact() -> ContactId {
    id(ContactId::parse)
}

/// A random id of the kind `make` parses (a GUID always does).
fn id<T, E>(make: impl Fn(String) -> Result<T, E>) -> T {
    loop {
        if let Ok(id) = make(guid()) {
            return id;
        }
    }
}

/// The instant fixtures are created at: 2024-07-08 11:22 UTC, so snapshots stay stable.
pub fn created_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, 8, 11, 22, 0)
        .single()
        .unwrap_or_default()
}

/// A new site's program: `DRAFT`, revision 1, no rewards (docs/decisions.md item 5).
pub fn draft_program() -> Program {
    Program {
        name: None,
        status: ProgramStatus::Draft,
        revision: Some(Revision::new(1)),
        created_date: Some(created_at()),
        updated_date: Some(created_at()),
        referred_friend_reward: None,
        referring_customer_reward: None,
        successful_referral_actions: Vec::new(),
        emails: None,
        premium_features: None,
    }
}

/// An active program as the sample flows configure it: a 10 % store coupon for friends, 100
/// points for customers, store orders count.
pub fn active_program() -> Program {
    Program {
        name: Some("Holiday Referral Program".into()),
        status: ProgramStatus::Active,
        revision: Some(Revision::new(3)),
        referred_friend_reward: Some(RewardConfig::Coupon(coupon_spec())),
        referring_customer_reward: Some(RewardConfig::loyalty_points(100)),
        successful_referral_actions: vec![ReferralAction::StoreOrderPlaced],
        emails: Some(Emails {
            encourage_to_refer_friends: vec![EmailApp::Stores],
            notify_customers_about_reward: Some(true),
        }),
        ..draft_program()
    }
}

/// A 10 % coupon on stores.
pub fn coupon_spec() -> CouponSpec {
    CouponSpec::new("Welcome gift", Discount::Percentage(Decimal::new(10, 0)))
        .applies_to(CouponAppliesTo::Scope(CouponScope::namespace("stores")))
}

/// A referring customer of a new random contact.
pub fn referring_customer() -> ReferringCustomer {
    referring_customer_for(&contact())
}

/// A referring customer of `contact`, with a random id and referral code.
pub fn referring_customer_for(contact: &ContactId) -> ReferringCustomer {
    ReferringCustomer {
        id: id(ReferringCustomerId::parse),
        contact_id: contact.clone(),
        referral_code: referral_code(),
        revision: Some(Revision::new(1)),
        created_date: Some(created_at()),
        updated_date: Some(created_at()),
    }
}

/// A friend who just signed up through `customer`.
pub fn referred_friend_of(customer: &ReferringCustomer) -> ReferredFriend {
    ReferredFriend {
        id: id(ReferredFriendId::parse),
        contact_id: contact(),
        referring_customer_id: customer.id.clone(),
        status: FriendStatus::SignUpCompleted,
        revision: Some(Revision::new(1)),
        created_date: Some(created_at()),
        updated_date: Some(created_at()),
    }
}

/// The coupon a friend receives on signing up.
pub fn coupon_reward_for(friend: &ReferredFriend) -> ReferralReward {
    ReferralReward {
        id: id(ReferralRewardId::parse),
        revision: Some(Revision::new(1)),
        created_date: Some(created_at()),
        updated_date: Some(created_at()),
        receiver: RewardReceiver::ReferredFriend(friend.id.clone()),
        kind: IssuedReward::Coupon(IssuedCoupon {
            id: Some(guid()),
            code: Some(referral_code().to_string().to_uppercase()),
            status: Some(CouponStatus::Active),
            specification: Some(coupon_spec()),
        }),
    }
}

/// The points a customer receives for a successful referral.
pub fn points_reward_for(customer: &ReferringCustomer, points: i64) -> ReferralReward {
    ReferralReward {
        receiver: RewardReceiver::ReferringCustomer(customer.id.clone()),
        kind: IssuedReward::LoyaltyPoints(AwardedPoints {
            transaction_id: Some(guid()),
            points,
        }),
        ..coupon_reward_for(&referred_friend_of(customer))
    }
}

/// The event recorded when `friend` signed up.
pub fn signup_event(friend: &ReferredFriend) -> ReferralEvent {
    ReferralEvent {
        id: id(ReferralEventId::parse),
        revision: Some(Revision::new(1)),
        created_date: Some(created_at()),
        updated_date: Some(created_at()),
        kind: EventKind::FriendSignup {
            referred_friend_id: Some(friend.id.clone()),
        },
    }
}

/// The event recorded when `friend` ordered for `amount` (a decimal string such as `"25.00"`).
pub fn action_event(friend: &ReferredFriend, amount: &str) -> ReferralEvent {
    ReferralEvent {
        kind: EventKind::Action(ActionEvent {
            referred_friend_id: Some(friend.id.clone()),
            referring_customer_id: Some(friend.referring_customer_id.clone()),
            trigger: Some(Trigger {
                app_id: Some(guid()),
                activity_type: Some("stores/OrderPaid".into()),
            }),
            amount: amount.parse().ok(),
            currency: Some("USD".into()),
            order_id: Some(guid()),
        }),
        ..signup_event(friend)
    }
}

/// The event recorded when `friend`'s referral became successful.
pub fn successful_referral_event(friend: &ReferredFriend) -> ReferralEvent {
    ReferralEvent {
        kind: EventKind::SuccessfulReferral {
            referred_friend_id: Some(friend.id.clone()),
            referring_customer_id: Some(friend.referring_customer_id.clone()),
        },
        ..signup_event(friend)
    }
}

/// The event recorded when `reward` was given.
pub fn reward_event(reward: &ReferralReward) -> ReferralEvent {
    ReferralEvent {
        id: id(ReferralEventId::parse),
        revision: Some(Revision::new(1)),
        created_date: Some(created_at()),
        updated_date: Some(created_at()),
        kind: EventKind::Reward(RewardEvent {
            receiver: reward.receiver.clone(),
            referral_reward_id: Some(reward.id.clone()),
            reward_type: reward.kind.reward_type(),
        }),
    }
}

/// A customer's totals: `friends` referred, `with_actions` of them ordered for `amount`.
pub fn customer_total(
    customer: &ReferringCustomer,
    with_actions: i64,
    amount: &str,
) -> ReferringCustomerTotal {
    ReferringCustomerTotal {
        referring_customer_id: customer.id.clone(),
        contact_id: customer.contact_id.clone(),
        last_successful_referral: (with_actions > 0).then(created_at),
        total_successful_referrals: with_actions,
        total_amount_generated: amount.parse().unwrap_or_default(),
        last_friend_action: (with_actions > 0).then(created_at),
        total_friends_with_actions: with_actions,
    }
}

/// A friend's actions: one order of `amount`, and the coupon they got.
pub fn friend_action(friend: &ReferredFriend, amount: &str) -> ReferredFriendAction {
    let reward = coupon_reward_for(friend);
    ReferredFriendAction {
        referred_friend_id: friend.id.clone(),
        contact_id: friend.contact_id.clone(),
        trigger: Some(Trigger {
            app_id: Some(guid()),
            activity_type: Some("stores/OrderPaid".into()),
        }),
        action_date: Some(created_at()),
        reward: reward.kind,
        total_actions: 1,
        total_amount_spent: amount.parse().unwrap_or_default(),
        signup_date: Some(created_at()),
    }
}

/// Tracker statistics: sign-ups, actions and the amount generated (a decimal string).
pub fn statistics(sign_ups: i64, actions: i64, amount: &str) -> ReferralStatistics {
    ReferralStatistics {
        total_sign_ups_completed: sign_ups,
        total_actions_completed: actions,
        total_amount_generated: amount.parse().unwrap_or_default(),
    }
}

/// The example payloads the Wix docs publish, decoded into SDK types. They come from the
/// bundled OpenAPI document, where each is embedded in its operation.
pub mod documented {
    use referral_api::types as api;
    use referral_domain::{
        Program, ReferralEvent, ReferralReward, ReferralStatistics, ReferredFriend,
        ReferringCustomer,
    };
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    /// The example `name` of the 200 response of `operation`.
    fn example<T: DeserializeOwned>(operation: &str, name: &str) -> T {
        let spec: Value = serde_json::from_str(referral_api::OPENAPI_JSON).unwrap_or_default();
        let value = spec["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .flat_map(|item| item.as_object().into_iter().flat_map(|ops| ops.values()))
            .find(|op| op["operationId"] == operation)
            .map(|op| {
                op["responses"]["200"]["content"]["application/json"]["examples"][name]["value"]
                    .clone()
            })
            .unwrap_or_default();
        match serde_json::from_value(value) {
            Ok(decoded) => decoded,
            Err(e) => panic!("the documented example {operation}/{name} no longer decodes: {e}"),
        }
    }

    /// `program.object.json`: an active program with loyalty points on both sides.
    pub fn program() -> Program {
        let response: api::GetReferralProgramResponse =
            example("getReferralProgram", "programObject");
        response.referral_program.unwrap_or_default().into()
    }

    /// `program.activate.response.json`.
    pub fn activated_program() -> Program {
        let response: api::ActivateReferralProgramResponse =
            example("activateReferralProgram", "activated");
        response.referral_program.unwrap_or_default().into()
    }

    /// `customers.get.response.json`.
    pub fn referring_customer() -> ReferringCustomer {
        let response: api::GetReferringCustomerResponse =
            example("getReferringCustomer", "documented");
        response.referring_customer.unwrap_or_default().into()
    }

    /// `friends.get-by-contact-id.response.json`.
    pub fn referred_friend() -> ReferredFriend {
        let response: api::GetReferredFriendByContactIdResponse =
            example("getReferredFriendByContactId", "documented");
        response.referred_friend.unwrap_or_default().into()
    }

    /// `rewards.get.response.json`: a coupon reward.
    pub fn referral_reward() -> ReferralReward {
        let response: api::GetReferralRewardResponse = example("getReferralReward", "documented");
        response.referral_reward.unwrap_or_default().into()
    }

    /// `tracker.referral-event.object.json`.
    pub fn referral_event() -> ReferralEvent {
        let response: api::GetReferralEventResponse = example("getReferralEvent", "documented");
        response.referral_event.unwrap_or_default().into()
    }

    /// `tracker.get-referral-statistics.response.json`.
    pub fn statistics() -> ReferralStatistics {
        example::<api::GetReferralStatisticsResponse>("getReferralStatistics", "documented").into()
    }
}
