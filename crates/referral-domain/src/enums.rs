//! The server-controlled enums, open to values Wix adds later: every enum is `#[non_exhaustive]`
//! and keeps an unknown value in `Unknown(String)`, which re-encodes unchanged. `FromStr`,
//! `Display` and serde all go through the same table of names, so they always agree.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use referral_api::types as api;
use serde::{Deserialize, Serialize};

/// What every open enum offers; used by generic code and by the agreement tests.
pub trait OpenEnum: FromStr<Err = Infallible> + fmt::Display + Clone + PartialEq + 'static {
    /// The known values, in declaration order.
    const KNOWN: &'static [Self];
    /// The wire name.
    fn as_str(&self) -> &str;
    /// Whether this value is one this version of the SDK does not know.
    fn is_unknown(&self) -> bool;
}

macro_rules! open_enum {
    (
        $(#[$doc:meta])*
        $name:ident mirrors $api:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vdoc])*
                #[doc = concat!("\n\nOn the wire: `", $wire, "`.")]
                $variant,
            )+
            /// A value this version of the SDK does not know (including Wix's own `UNKNOWN`).
            Unknown(String),
        }

        // The known values: what a configuration file should hold (a value Wix adds later still
        // parses, but an editor is right to question it).
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                schemars::schema::SchemaObject {
                    instance_type: Some(schemars::schema::InstanceType::String.into()),
                    enum_values: Some(vec![$(serde_json::Value::from($wire)),+]),
                    ..Default::default()
                }
                .into()
            }
        }

        impl OpenEnum for $name {
            const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }

            fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl $name {
            /// The wire name, as Wix spells it.
            pub fn as_str(&self) -> &str {
                OpenEnum::as_str(self)
            }
        }

        impl FromStr for $name {
            type Err = Infallible;
            fn from_str(s: &str) -> Result<Self, Infallible> {
                Ok(match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                let Ok(value) = s.parse();
                value
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
                Ok(Self::from(name.as_ref()))
            }
        }

        // The generated enum is open too; both convert through the wire name, so a value that
        // neither knows passes through unchanged.
        impl From<api::$api> for $name {
            fn from(value: api::$api) -> Self {
                Self::from(value.as_str())
            }
        }

        impl From<&$name> for api::$api {
            fn from(value: &$name) -> Self {
                api::$api::from(value.as_str())
            }
        }
    };
}

open_enum! {
    /// Lifecycle of the referral program: a new site's program is `Draft`.
    ProgramStatus mirrors ProgramStatus {
        Draft = "DRAFT",
        Active = "ACTIVE",
        Paused = "PAUSED",
    }
}

open_enum! {
    /// Where a referred friend stands.
    FriendStatus mirrors ReferredFriendStatus {
        /// The friend joined the site as a member.
        SignUpCompleted = "SIGN_UP_COMPLETED",
        /// The friend completed a successful referral action, such as a paid order.
        ActionsCompleted = "ACTIONS_COMPLETED",
    }
}

open_enum! {
    /// Kind of reward.
    RewardType mirrors RewardType {
        Coupon = "COUPON",
        LoyaltyPoints = "LOYALTY_POINTS",
        /// No reward is given.
        Nothing = "NOTHING",
    }
}

open_enum! {
    /// Something a referred friend ordered and paid for, which can make a referral successful.
    ReferralAction mirrors ReferralAction {
        StoreOrderPlaced = "STORE_ORDER_PLACED",
        PlanOrdered = "PLAN_ORDERED",
        TicketOrdered = "TICKET_ORDERED",
        SessionBooked = "SESSION_BOOKED",
        RestaurantOrderPlaced = "RESTAURANT_ORDER_PLACED",
        OnlineProgramJoined = "ONLINE_PROGRAM_JOINED",
    }
}

open_enum! {
    /// An app whose customers get emails inviting them to refer friends.
    EmailApp mirrors EmailApp {
        Stores = "STORES",
        PricingPlans = "PRICING_PLANS",
        Events = "EVENTS",
        Bookings = "BOOKINGS",
        Restaurants = "RESTAURANTS",
    }
}

open_enum! {
    /// State of an issued coupon.
    CouponStatus mirrors CouponStatus {
        /// Can be used.
        Active = "ACTIVE",
        /// Was used and cannot be used again.
        Applied = "APPLIED",
        Deleted = "DELETED",
    }
}

open_enum! {
    /// How a coupon discounts.
    DiscountType mirrors DiscountType {
        FixedAmount = "FIXED_AMOUNT",
        Percentage = "PERCENTAGE",
        FreeShipping = "FREE_SHIPPING",
    }
}

/// The four kinds of referral event, as the query pseudo-field `eventType` names them
/// (docs/decisions.md item 11). Open like the others: a kind Wix adds later stays `Unknown`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum EventType {
    /// `REFERRED_FRIEND_SIGNUP`: a referred friend signed up.
    ReferredFriendSignup,
    /// `SUCCESSFUL_REFERRAL`: a referral became successful.
    SuccessfulReferral,
    /// `ACTION`: a referred friend did something, such as ordering.
    Action,
    /// `REWARD`: a reward was given.
    Reward,
    /// A kind this version of the SDK does not know.
    Unknown(String),
}

impl OpenEnum for EventType {
    const KNOWN: &'static [Self] = &[
        Self::ReferredFriendSignup,
        Self::SuccessfulReferral,
        Self::Action,
        Self::Reward,
    ];

    fn as_str(&self) -> &str {
        match self {
            Self::ReferredFriendSignup => "REFERRED_FRIEND_SIGNUP",
            Self::SuccessfulReferral => "SUCCESSFUL_REFERRAL",
            Self::Action => "ACTION",
            Self::Reward => "REWARD",
            Self::Unknown(other) => other,
        }
    }

    fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl FromStr for EventType {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(Self::KNOWN
            .iter()
            .find(|known| known.as_str() == s)
            .cloned()
            .unwrap_or_else(|| Self::Unknown(s.to_owned())))
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        let Ok(value) = name.parse();
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For every known value and two unknown ones: `FromStr`, `Display`, `as_str` and serde
    /// agree, and an unknown value survives a round trip unchanged.
    fn agree<E: OpenEnum + Serialize + for<'de> Deserialize<'de> + fmt::Debug>(wire: &[&str]) {
        let known: Vec<&str> = E::KNOWN.iter().map(OpenEnum::as_str).collect();
        assert_eq!(known, wire, "the table of names");
        for name in wire
            .iter()
            .copied()
            .chain(["UNKNOWN", "SOMETHING_WIX_ADDS_LATER"])
        {
            let Ok(parsed) = name.parse::<E>();
            assert_eq!(parsed.to_string(), name);
            assert_eq!(parsed.as_str(), name);
            assert_eq!(parsed.is_unknown(), !wire.contains(&name), "{name}");
            let json = serde_json::to_value(&parsed).unwrap();
            assert_eq!(json, serde_json::Value::String(name.to_owned()));
            let back: E = serde_json::from_value(json).unwrap();
            assert_eq!(back, parsed);
        }
    }

    #[test]
    fn from_str_display_and_serde_agree_for_every_open_enum() {
        agree::<ProgramStatus>(&["DRAFT", "ACTIVE", "PAUSED"]);
        agree::<FriendStatus>(&["SIGN_UP_COMPLETED", "ACTIONS_COMPLETED"]);
        agree::<RewardType>(&["COUPON", "LOYALTY_POINTS", "NOTHING"]);
        agree::<ReferralAction>(&[
            "STORE_ORDER_PLACED",
            "PLAN_ORDERED",
            "TICKET_ORDERED",
            "SESSION_BOOKED",
            "RESTAURANT_ORDER_PLACED",
            "ONLINE_PROGRAM_JOINED",
        ]);
        agree::<EmailApp>(&[
            "STORES",
            "PRICING_PLANS",
            "EVENTS",
            "BOOKINGS",
            "RESTAURANTS",
        ]);
        agree::<CouponStatus>(&["ACTIVE", "APPLIED", "DELETED"]);
        agree::<DiscountType>(&["FIXED_AMOUNT", "PERCENTAGE", "FREE_SHIPPING"]);
        agree::<EventType>(&[
            "REFERRED_FRIEND_SIGNUP",
            "SUCCESSFUL_REFERRAL",
            "ACTION",
            "REWARD",
        ]);
    }

    #[test]
    fn values_pass_through_the_generated_enums_unchanged() {
        let later = ProgramStatus::from("ARCHIVED");
        let wire: api::ProgramStatus = (&later).into();
        assert_eq!(ProgramStatus::from(wire), later);
        let wire: api::ReferredFriendStatus = (&FriendStatus::ActionsCompleted).into();
        assert_eq!(wire.as_str(), "ACTIONS_COMPLETED");
    }
}
