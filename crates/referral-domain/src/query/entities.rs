//! The fields of each queryable entity, as its filter table lists them.

macro_rules! entity {
    (
        $(#[$doc:meta])*
        $module:ident, $marker:ident, $alias:ident, $name:literal {
            $( $(#[$fdoc:meta])* $field:ident = $wire:literal: $value:ty, $ops:ident; )+
        }
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
        }
        pub use $module::$alias;
    };
}

entity! {
    /// Referring customers (default order: newest first).
    customers, CustomerEntity, CustomerQuery, "referringCustomer" {
        contact_id = "contactId": crate::ContactId, TextField;
        referral_code = "referralCode": crate::ReferralCode, TextField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
    }
}

entity! {
    /// Referred friends (default order: newest first).
    friends, FriendEntity, FriendQuery, "referredFriend" {
        referring_customer_id = "referringCustomerId": crate::ReferringCustomerId, TextField;
        status = "status": crate::FriendStatus, TextField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
    }
}

entity! {
    /// Referral rewards (default order: newest first).
    rewards, RewardEntity, RewardQuery, "referralReward" {
        rewarded_referring_customer_id = "rewardedReferringCustomerId": crate::ReferringCustomerId, TextField;
        rewarded_referred_friend_id = "rewardedReferredFriendId": crate::ReferredFriendId, TextField;
        reward_type = "rewardType": crate::RewardType, ChoiceField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
    }
}

entity! {
    /// Referral events (default order: newest first). `eventType` is the pseudo-field of
    /// docs/decisions.md item 11.
    events, EventEntity, EventQuery, "referralEvent" {
        event_type = "eventType": crate::EventType, TextField;
        created_date = "createdDate": DateTime<Utc>, DateField;
        updated_date = "updatedDate": DateTime<Utc>, DateField;
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
