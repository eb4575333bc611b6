//! The way back: SDK entities as the generated wire types, so a test that answers with an
//! httpmock mock (the testkit's `MockServerExt`) can answer with an entity it already has:
//!
//! ```
//! # fn demo(customer: &referral_domain::ReferringCustomer) {
//! use referral_api::types as api;
//! let body = api::GetReferringCustomerResponse {
//!     referring_customer: Some(customer.into()),
//! };
//! # let _ = body; }
//! ```
//!
//! Each conversion keeps what the entity holds: a value this SDK does not know goes back as it
//! came, and the `Inconsistent` variants of the one-of groups set every member they carry, so an
//! entity read from the wire converts back to the same JSON (a test below checks it).

use referral_api::types as api;

use crate::coupons::{AwardedPoints, IssuedCoupon};
use crate::customers::ReferringCustomer;
use crate::friends::ReferredFriend;
use crate::programs::{PremiumFeatures, Program};
use crate::rewards::{IssuedReward, ReferralReward, RewardReceiver};
use crate::tracker::{ActionEvent, EventKind, ReferralEvent, RewardEvent, Trigger};

fn id(value: &impl AsRef<str>) -> Option<String> {
    Some(value.as_ref().to_owned())
}

impl From<&ReferringCustomer> for api::ReferringCustomer {
    fn from(c: &ReferringCustomer) -> Self {
        Self {
            id: id(&c.id),
            contact_id: id(&c.contact_id),
            referral_code: id(&c.referral_code),
            revision: c.revision.map(Into::into),
            created_date: c.created_date,
            updated_date: c.updated_date,
        }
    }
}

impl From<&ReferredFriend> for api::ReferredFriend {
    fn from(f: &ReferredFriend) -> Self {
        Self {
            id: id(&f.id),
            contact_id: id(&f.contact_id),
            referring_customer_id: id(&f.referring_customer_id),
            // `Unknown("")` is what a missing status became.
            status: (!f.status.as_str().is_empty()).then(|| (&f.status).into()),
            revision: f.revision.map(Into::into),
            created_date: f.created_date,
            updated_date: f.updated_date,
        }
    }
}

impl From<&PremiumFeatures> for api::PremiumFeatures {
    fn from(p: &PremiumFeatures) -> Self {
        Self {
            referral_program: p.referral_program,
        }
    }
}

impl From<&Program> for api::ReferralProgram {
    fn from(p: &Program) -> Self {
        Self {
            name: p.name.clone(),
            status: (!p.status.as_str().is_empty()).then(|| (&p.status).into()),
            revision: p.revision.map(Into::into),
            created_date: p.created_date,
            updated_date: p.updated_date,
            referred_friend_reward: p.referred_friend_reward.as_ref().map(Into::into),
            referring_customer_reward: p.referring_customer_reward.as_ref().map(Into::into),
            successful_referral_actions: p
                .successful_referral_actions
                .iter()
                .map(Into::into)
                .collect(),
            emails: p.emails.as_ref().map(Into::into),
            premium_features: p.premium_features.as_ref().map(Into::into),
        }
    }
}

impl From<&IssuedCoupon> for api::IssuedCoupon {
    fn from(c: &IssuedCoupon) -> Self {
        Self {
            id: c.id.clone(),
            code: c.code.clone(),
            status: c.status.as_ref().map(Into::into),
            coupon_specification: c.specification.as_ref().map(Into::into),
        }
    }
}

impl From<&AwardedPoints> for api::AwardedLoyaltyPoints {
    /// The wire's amount is an int32: points beyond it saturate (none read from Wix do).
    fn from(p: &AwardedPoints) -> Self {
        let amount =
            i32::try_from(p.points).unwrap_or(if p.points < 0 { i32::MIN } else { i32::MAX });
        Self {
            transaction_id: p.transaction_id.clone(),
            amount: Some(amount),
        }
    }
}

/// The receiver's two ids, as the wire names them.
fn receiver_ids(receiver: &RewardReceiver) -> (Option<String>, Option<String>) {
    match receiver {
        RewardReceiver::ReferringCustomer(c) => (id(c), None),
        RewardReceiver::ReferredFriend(f) => (None, id(f)),
        RewardReceiver::Inconsistent {
            referring_customer,
            referred_friend,
        } => (
            referring_customer.as_ref().and_then(id),
            referred_friend.as_ref().and_then(id),
        ),
    }
}

impl From<&ReferralReward> for api::ReferralReward {
    fn from(r: &ReferralReward) -> Self {
        let (rewarded_referring_customer_id, rewarded_referred_friend_id) =
            receiver_ids(&r.receiver);
        let (reward_type, coupon, loyalty_points) = match &r.kind {
            IssuedReward::Coupon(c) => (Some("COUPON".to_owned()), Some(c.into()), None),
            IssuedReward::LoyaltyPoints(p) => {
                (Some("LOYALTY_POINTS".to_owned()), None, Some(p.into()))
            }
            IssuedReward::Nothing => (Some("NOTHING".to_owned()), None, None),
            IssuedReward::Unknown { reward_type } => (Some(reward_type.clone()), None, None),
            IssuedReward::Inconsistent {
                reward_type,
                coupon,
                loyalty_points,
            } => (
                reward_type.as_ref().map(|t| t.as_str().to_owned()),
                coupon.as_ref().map(Into::into),
                loyalty_points.as_ref().map(Into::into),
            ),
        };
        Self {
            id: id(&r.id),
            revision: r.revision.map(Into::into),
            created_date: r.created_date,
            updated_date: r.updated_date,
            rewarded_referring_customer_id,
            rewarded_referred_friend_id,
            reward_type: reward_type.map(|t| api::RewardType::from(t.as_str())),
            coupon,
            loyalty_points,
        }
    }
}

impl From<&Trigger> for api::Trigger {
    fn from(t: &Trigger) -> Self {
        Self {
            app_id: t.app_id.clone(),
            activity_type: t.activity_type.clone(),
        }
    }
}

impl From<&ActionEvent> for api::ActionEvent {
    fn from(a: &ActionEvent) -> Self {
        Self {
            referred_friend_id: a.referred_friend_id.as_ref().and_then(id),
            referring_customer_id: a.referring_customer_id.as_ref().and_then(id),
            trigger: a.trigger.as_ref().map(Into::into),
            amount: a.amount,
            currency: a.currency.clone(),
            order_id: a.order_id.clone(),
        }
    }
}

impl From<&RewardEvent> for api::RewardEvent {
    fn from(r: &RewardEvent) -> Self {
        let (rewarded_referring_customer_id, rewarded_referred_friend_id) =
            receiver_ids(&r.receiver);
        Self {
            rewarded_referring_customer_id,
            rewarded_referred_friend_id,
            referral_reward_id: r.referral_reward_id.as_ref().and_then(id),
            reward_type: r.reward_type.as_ref().map(Into::into),
        }
    }
}

/// Sets the one-of member of `kind` on `event` (each member, for an inconsistent event).
fn set_kind(event: &mut api::ReferralEvent, kind: &EventKind) {
    match kind {
        EventKind::FriendSignup { referred_friend_id } => {
            event.referred_friend_signup_event = Some(api::ReferredFriendSignupEvent {
                referred_friend_id: referred_friend_id.as_ref().and_then(id),
            });
        }
        EventKind::SuccessfulReferral {
            referred_friend_id,
            referring_customer_id,
        } => {
            event.successful_referral_event = Some(api::SuccessfulReferralEvent {
                referred_friend_id: referred_friend_id.as_ref().and_then(id),
                referring_customer_id: referring_customer_id.as_ref().and_then(id),
            });
        }
        EventKind::Action(action) => event.action_event = Some(action.into()),
        EventKind::Reward(reward) => event.reward_event = Some(reward.into()),
        // A kind this SDK does not know was not kept: no member is set.
        EventKind::Unknown => {}
        EventKind::Inconsistent { kinds } => {
            for kind in kinds {
                set_kind(event, kind);
            }
        }
    }
}

impl From<&ReferralEvent> for api::ReferralEvent {
    fn from(e: &ReferralEvent) -> Self {
        let mut event = Self {
            id: id(&e.id),
            revision: e.revision.map(Into::into),
            created_date: e.created_date,
            updated_date: e.updated_date,
            referred_friend_signup_event: None,
            successful_referral_event: None,
            action_event: None,
            reward_event: None,
        };
        set_kind(&mut event, &e.kind);
        event
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    use super::*;

    /// wire JSON → generated type → SDK entity → generated type → the same JSON.
    fn round_trip<Wire, Entity>(wire: Value)
    where
        Wire: DeserializeOwned + Serialize,
        Entity: From<Wire>,
        for<'a> Wire: From<&'a Entity>,
    {
        let entity = Entity::from(serde_json::from_value::<Wire>(wire.clone()).unwrap());
        let back = serde_json::to_value(Wire::from(&entity)).unwrap();
        assert_eq!(back, wire);
    }

    const GUID_A: &str = "3857d039-b129-4393-b983-947078b6a007";
    const GUID_B: &str = "661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3";
    const TIME: &str = "2026-11-30T10:00:00Z";

    #[test]
    fn customers_and_friends_convert_back_to_the_json_they_came_from() {
        round_trip::<api::ReferringCustomer, ReferringCustomer>(json!({
            "id": GUID_A, "contactId": GUID_B, "referralCode": "GxpxwAoMqxH8",
            "revision": "2", "createdDate": TIME, "updatedDate": TIME,
        }));
        for status in [json!("SIGN_UP_COMPLETED"), json!("A_LATER_STATUS")] {
            round_trip::<api::ReferredFriend, ReferredFriend>(json!({
                "id": GUID_A, "contactId": GUID_B, "referringCustomerId": GUID_A,
                "status": status, "revision": "1", "createdDate": TIME, "updatedDate": TIME,
            }));
        }
        // No status stays no status.
        round_trip::<api::ReferredFriend, ReferredFriend>(json!({
            "id": GUID_A, "contactId": GUID_B, "referringCustomerId": GUID_A,
        }));
    }

    #[test]
    fn a_program_converts_back_to_the_json_it_came_from() {
        round_trip::<api::ReferralProgram, Program>(json!({
            "name": "Holiday", "status": "ACTIVE", "revision": "4",
            "createdDate": TIME, "updatedDate": TIME,
            "referredFriendReward": {"type": "COUPON", "couponOptions": {
                "name": "10 off", "discountType": "FIXED_AMOUNT",
                "fixedAmountOptions": {"amount": 10.0}, "minimumSubtotal": 50.0}},
            "referringCustomerReward": {"type": "LOYALTY_POINTS", "loyaltyPointsOptions": {"amount": 100}},
            "successfulReferralActions": ["STORE_ORDER_PLACED", "A_LATER_ACTION"],
            "emails": {"encourageToReferFriends": ["STORES"], "notifyCustomersAboutReward": true},
            "premiumFeatures": {"referralProgram": true},
        }));
    }

    #[test]
    fn rewards_convert_back_including_the_inconsistent_ones() {
        let base = |extra: Value| {
            let mut reward =
                json!({"id": GUID_A, "revision": "1", "createdDate": TIME, "updatedDate": TIME});
            reward
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            reward
        };
        for extra in [
            json!({"rewardedReferringCustomerId": GUID_B, "rewardType": "COUPON",
                   "coupon": {"id": "c1", "code": "SAVE10", "status": "ACTIVE"}}),
            json!({"rewardedReferredFriendId": GUID_B, "rewardType": "LOYALTY_POINTS",
                   "loyaltyPoints": {"transactionId": "t1", "amount": 50}}),
            json!({"rewardedReferredFriendId": GUID_B, "rewardType": "NOTHING"}),
            json!({"rewardedReferredFriendId": GUID_B, "rewardType": "A_LATER_TYPE"}),
            // Both receivers, and a coupon on a points reward: kept as they came.
            json!({"rewardedReferringCustomerId": GUID_A, "rewardedReferredFriendId": GUID_B,
                   "rewardType": "LOYALTY_POINTS", "coupon": {"code": "X"}}),
        ] {
            round_trip::<api::ReferralReward, ReferralReward>(base(extra));
        }
    }

    #[test]
    fn events_convert_back_including_the_inconsistent_ones() {
        let base = |extra: Value| {
            let mut event =
                json!({"id": GUID_A, "revision": "1", "createdDate": TIME, "updatedDate": TIME});
            event
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            event
        };
        for extra in [
            json!({"referredFriendSignupEvent": {"referredFriendId": GUID_B}}),
            json!({"successfulReferralEvent": {"referredFriendId": GUID_B, "referringCustomerId": GUID_A}}),
            json!({"actionEvent": {"referredFriendId": GUID_B, "referringCustomerId": GUID_A,
                   "trigger": {"appId": "app", "activityType": "stores/OrderPaid"},
                   "amount": "12.50", "currency": "EUR", "orderId": "o1"}}),
            json!({"rewardEvent": {"rewardedReferringCustomerId": GUID_A,
                   "referralRewardId": GUID_B, "rewardType": "COUPON"}}),
            json!({"referredFriendSignupEvent": {"referredFriendId": GUID_B},
                   "rewardEvent": {"rewardedReferredFriendId": GUID_B, "rewardType": "NOTHING"}}),
        ] {
            round_trip::<api::ReferralEvent, ReferralEvent>(base(extra));
        }
    }
}
