//! The fields of each queryable entity, as its filter table lists them.

macro_rules! entity {
    (
        $(#[$doc:meta])*
        $module:ident, $marker:ident, $alias:ident, $name:literal {
            $( $(#[$fdoc:meta])* $field:ident = $wire:literal: $value:ty, $ops:ident; )+
        }
        $($extra:item)*
    ) => {
        $(#[$doc])*
        pub mod $module {
            use super::super::{Entity, Field, Query, ops};
            #[allow(unused_imports)]
            use chrono::{DateTime, Utc};

            /// The entity marker of these queries.
            #[derive(Debug)]
            pub enum $marker {}

            impl Entity for $marker {
                const NAME: &'static str = $name;
            }

            /// A query of this entity.
            pub type $alias = Query<$marker>;

            /// Everything, in the default order.
            pub fn query() -> $alias {
                Query::new()
            }

            $(
                $(#[$fdoc])*
                #[doc = concat!("\n\nThe query language's `", $wire, "`.")]
                pub const fn $field() -> Field<$marker, $value, ops::$ops> {
                    Field::new($wire)
                }
            )+

            $($extra)*
        }
        pub use $module::$alias;
    };
}

entity! {
    /// Referring customers (default order: newest first, which Wix does not document).
    customers, CustomerEntity, CustomerQuery, "referringCustomer" {
        contact_id = "contactId": crate::ContactId, IdField;
        referral_code = "referralCode": crate::ReferralCode, IdField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
    }
}

entity! {
    /// Referred friends (default order: newest first, which Wix does not document).
    friends, FriendEntity, FriendQuery, "referredFriend" {
        referring_customer_id = "referringCustomerId": crate::ReferringCustomerId, IdField;
        status = "status": crate::FriendStatus, TextField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
    }
}

entity! {
    /// Referral rewards (default order: newest first, which Wix does not document).
    rewards, RewardEntity, RewardQuery, "referralReward" {
        rewarded_referring_customer_id = "rewardedReferringCustomerId": crate::ReferringCustomerId, IdField;
        rewarded_referred_friend_id = "rewardedReferredFriendId": crate::ReferredFriendId, IdField;
        reward_type = "rewardType": crate::RewardType, ChoiceField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
    }
}

entity! {
    /// Referral events (default order: newest first, which Wix does not document). An event has exactly one of four members;
    /// filter on which with [`event_type`](events::event_type), or on a member's whole value
    /// (docs/decisions.md item 11).
    events, EventEntity, EventQuery, "referralEvent" {
        /// The sign-up member (`$eq` and `$in` compare the whole object).
        referred_friend_signup_event = "referredFriendSignupEvent": crate::api::types::ReferredFriendSignupEvent, MemberField;
        /// The successful-referral member.
        successful_referral_event = "successfulReferralEvent": crate::api::types::SuccessfulReferralEvent, MemberField;
        /// The action member.
        action_event = "actionEvent": crate::api::types::ActionEvent, MemberField;
        /// The reward member.
        reward_event = "rewardEvent": crate::api::types::RewardEvent, MemberField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
    }

    use super::super::Filter;

    /// The kind of an event, as a filter on which one-of member it has: `eq(EventType::Reward)`
    /// is `{"rewardEvent": {"$exists": true}}`. A kind this SDK does not know
    /// ([`crate::EventType::Unknown`]) has no member name to test, so it is sent as the
    /// emulator's pseudo-field `eventType` (docs/decisions.md item 11).
    pub const fn event_type() -> KindField {
        KindField
    }

    /// Filters on an event's kind (see [`event_type`]).
    #[derive(Clone, Copy, Debug)]
    pub struct KindField;

    impl KindField {
        fn member(kind: &crate::EventType) -> Option<&'static str> {
            use crate::EventType;
            Some(match kind {
                EventType::ReferredFriendSignup => referred_friend_signup_event().name(),
                EventType::SuccessfulReferral => successful_referral_event().name(),
                EventType::Action => action_event().name(),
                EventType::Reward => reward_event().name(),
                _ => return None,
            })
        }

        fn has(kind: &crate::EventType, has: bool) -> Filter<EventEntity> {
            let json = match Self::member(kind) {
                Some(member) => serde_json::json!({member: {"$exists": has}}),
                None => {
                    let op = if has { "$eq" } else { "$ne" };
                    serde_json::json!({"eventType": {op: crate::OpenEnum::as_str(kind)}})
                }
            };
            Filter::from_json(json)
        }

        /// Events of this kind.
        pub fn eq(&self, kind: impl std::borrow::Borrow<crate::EventType>) -> Filter<EventEntity> {
            Self::has(kind.borrow(), true)
        }

        /// Events of any other kind.
        pub fn ne(&self, kind: impl std::borrow::Borrow<crate::EventType>) -> Filter<EventEntity> {
            Self::has(kind.borrow(), false)
        }

        /// Events of any of these kinds (`$or` of one member test each; none matches nothing).
        pub fn in_<T: std::borrow::Borrow<crate::EventType>>(
            &self,
            kinds: impl IntoIterator<Item = T>,
        ) -> Filter<EventEntity> {
            Filter::any(kinds.into_iter().map(|k| Self::has(k.borrow(), true)))
        }
    }
}

entity! {
    /// Referring customer totals (docs/decisions.md item 26; default order: most successful first).
    totals, TotalsEntity, TotalsQuery, "referringCustomerTotal" {
        referring_customer_id = "referringCustomerId": crate::ReferringCustomerId, TextField;
        contact_id = "contactId": crate::ContactId, TextField;
        total_successful_referrals = "totalSuccessfulReferrals": i64, NumberField;
        total_friends_with_actions = "totalFriendsWithActions": i64, NumberField;
        last_successful_referral = "lastSuccessfulReferral": DateTime<Utc>, DateField;
        last_friend_action = "lastFriendAction": DateTime<Utc>, DateField;
    }
}

entity! {
    /// Referred friend actions (docs/decisions.md item 26; default order: newest sign-up first).
    friend_actions, FriendActionEntity, FriendActionsQuery, "referredFriendAction" {
        referred_friend_id = "referredFriendId": crate::ReferredFriendId, TextField;
        contact_id = "contactId": crate::ContactId, TextField;
        total_actions = "totalActions": i64, NumberField;
        reward_type = "rewardType": crate::RewardType, ChoiceField;
        action_date = "actionDate": DateTime<Utc>, DateField;
        signup_date = "signupDate": DateTime<Utc>, DateField;
    }
}

impl rewards::RewardQuery {
    /// Only the rewards of this contact (`ContactId::me()` for the calling member's).
    pub fn for_contact(self, contact: crate::ContactId) -> Self {
        self.with_contacts(vec![contact])
    }
}

impl totals::TotalsQuery {
    /// Only the totals of these contacts.
    pub fn for_contacts(self, contacts: impl IntoIterator<Item = crate::ContactId>) -> Self {
        self.with_contacts(contacts.into_iter().collect())
    }
}

impl friend_actions::FriendActionsQuery {
    /// Only the actions of these contacts.
    pub fn for_contacts(self, contacts: impl IntoIterator<Item = crate::ContactId>) -> Self {
        self.with_contacts(contacts.into_iter().collect())
    }
}
