//! The program: its configuration, status transitions and AI post suggestions (docs/referral-api.md §1, docs/decisions.md items 4–5).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::*;
use crate::error::{ApiError, ApiResult, Violation};

/// A reward as the program configures it. The coupon specification is shared (`Arc`) by every
/// coupon granted under this configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProgramReward {
    pub config: RewardConfig,
    pub coupon: Option<Arc<Value>>,
}

impl ProgramReward {
    pub(super) fn new(config: RewardConfig) -> Self {
        let coupon = config
            .coupon_options
            .as_ref()
            // A struct of plain fields always serializes.
            .and_then(|coupon| serde_json::to_value(coupon).ok())
            .map(Arc::new);
        Self { config, coupon }
    }

    pub(super) fn reward_type(&self) -> &str {
        &self.config.reward_type.0
    }

    pub(super) fn loyalty_points(&self) -> i64 {
        self.config
            .loyalty_points_options
            .as_ref()
            .map_or(0, |points| i64::from(points.amount.0))
    }
}

/// A text field that must be one of a table's values (the tables in `crate::model` and above,
/// which the query schemas use too).
macro_rules! one_of {
    ($(#[$doc:meta])* $name:ident, $table:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(pub String);

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, String> {
                if $table.contains(&value.as_str()) {
                    Ok($name(value))
                } else {
                    Err(format!("{value:?} is not one of {}", $table.join(", ")))
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

one_of!(
    /// `COUPON`, `LOYALTY_POINTS`, `NOTHING` (or `UNKNOWN`).
    RewardType,
    REWARD_TYPES
);
one_of!(
    /// How a coupon discounts.
    DiscountType,
    DISCOUNT_TYPES
);
one_of!(
    /// An app whose emails encourage customers to refer friends.
    EmailApp,
    EMAIL_APPS
);
one_of!(
    /// One of the actions that can make a referral successful.
    ActionName,
    ACTION_NAMES
);

/// `referredFriendReward` / `referringCustomerReward` of a program (docs/referral-api.md §1),
/// kept and shown as given (fields the emulator does not know are dropped).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardConfig {
    #[serde(rename = "type")]
    pub reward_type: RewardType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty_points_options: Option<LoyaltyPointsOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_options: Option<CouponOptions>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyPointsOptions {
    pub amount: Points,
}

/// A whole number of loyalty points, 0 to 2^31 − 1 (an int32 on Wix's side).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Points(pub u32);

impl TryFrom<i64> for Points {
    type Error = &'static str;

    fn try_from(amount: i64) -> Result<Self, &'static str> {
        u32::try_from(amount)
            .ok()
            .filter(|a| i32::try_from(*a).is_ok())
            .map(Points)
            .ok_or("expected a whole number of points, 0 to 2147483647")
    }
}

impl From<Points> for i64 {
    fn from(points: Points) -> i64 {
        i64::from(points.0)
    }
}

/// A coupon's specification (Wix's `couponOptions`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_type: Option<DiscountType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_amount_options: Option<FixedAmountOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage_options: Option<PercentageOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_subtotal: Option<serde_json::Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<CouponScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_to_one_item: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to_subscriptions: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discounted_cycle_count: Option<CycleCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixedAmountOptions {
    pub amount: NonNegative,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PercentageOptions {
    pub percentage: NonNegative,
}

/// A number of zero or more, kept as written (`10` stays `10`, not `10.0`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Number", into = "serde_json::Number")]
pub struct NonNegative(pub serde_json::Number);

impl TryFrom<serde_json::Number> for NonNegative {
    type Error = &'static str;

    fn try_from(number: serde_json::Number) -> Result<Self, &'static str> {
        if number.as_f64().is_some_and(|n| n >= 0.0) {
            Ok(NonNegative(number))
        } else {
            Err("expected a non-negative number")
        }
    }
}

impl From<NonNegative> for serde_json::Number {
    fn from(number: NonNegative) -> serde_json::Number {
        number.0
    }
}

/// How many billing cycles a subscription discount lasts: 0 to 999.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct CycleCount(pub u16);

impl TryFrom<i64> for CycleCount {
    type Error = &'static str;

    fn try_from(count: i64) -> Result<Self, &'static str> {
        u16::try_from(count)
            .ok()
            .filter(|c| *c <= 999)
            .map(CycleCount)
            .ok_or("must be 0 to 999")
    }
}

impl From<CycleCount> for i64 {
    fn from(count: CycleCount) -> i64 {
        i64::from(count.0)
    }
}

/// What a coupon applies to: a namespace (`stores`, `bookings`…) and, as Wix gives it, more.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CouponScope {
    pub namespace: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The program's emails.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Emails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encourage_to_refer_friends: Option<Vec<EmailApp>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_customers_about_reward: Option<bool>,
}

/// The fields of Update Referral Program's `referralProgram`: `None` leaves a field as it is,
/// `Some(None)` (a JSON `null`) clears it. Fields the emulator does not know are ignored, as
/// Wix services do.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProgramPatch {
    #[serde(default)]
    pub revision: Option<Revision>,
    #[serde(default, deserialize_with = "nullable")]
    pub name: Option<Option<String>>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub referred_friend_reward: Option<Option<RewardConfig>>,
    #[serde(default, deserialize_with = "nullable")]
    pub referring_customer_reward: Option<Option<RewardConfig>>,
    #[serde(default)]
    pub successful_referral_actions: Option<Vec<ActionName>>,
    #[serde(default, deserialize_with = "nullable")]
    pub emails: Option<Option<Emails>>,
}

/// A present field, `null` included (`Some(None)`); an absent one is the `default` (`None`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A revision as a body gives it: an int64 as a string, or a number (docs/decisions.md item 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RevisionJson")]
pub(crate) struct Revision(pub i64);

#[derive(Deserialize)]
#[serde(untagged, expecting = "an int64 as a string")]
enum RevisionJson {
    Number(i64),
    Text(String),
}

impl TryFrom<RevisionJson> for Revision {
    type Error = &'static str;

    fn try_from(value: RevisionJson) -> Result<Self, &'static str> {
        match value {
            RevisionJson::Number(n) => Ok(Revision(n)),
            RevisionJson::Text(text) => text
                .trim()
                .parse()
                .map(Revision)
                .map_err(|_| "expected an int64"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Program {
    pub name: Option<String>,
    pub status: String,
    pub revision: i64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub referred_friend_reward: Option<ProgramReward>,
    pub referring_customer_reward: Option<ProgramReward>,
    pub successful_referral_actions: Vec<String>,
    pub emails: Option<Emails>,
}

impl Program {
    /// A new site's program (docs/decisions.md item 5).
    pub(super) fn new(at: DateTime<Utc>) -> Self {
        Self {
            name: None,
            status: "DRAFT".into(),
            revision: 1,
            created: at,
            updated: at,
            referred_friend_reward: None,
            referring_customer_reward: None,
            successful_referral_actions: Vec::new(),
            emails: None,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        if let Some(name) = &self.name {
            object.insert("name".into(), json!(name));
        }
        object.insert("status".into(), json!(self.status));
        object.insert("revision".into(), json!(self.revision.to_string()));
        object.insert("createdDate".into(), json!(wix_date(&self.created)));
        object.insert("updatedDate".into(), json!(wix_date(&self.updated)));
        if let Some(reward) = &self.referred_friend_reward {
            object.insert("referredFriendReward".into(), json!(reward.config));
        }
        if let Some(reward) = &self.referring_customer_reward {
            object.insert("referringCustomerReward".into(), json!(reward.config));
        }
        object.insert(
            "successfulReferralActions".into(),
            json!(self.successful_referral_actions),
        );
        if let Some(emails) = &self.emails {
            object.insert("emails".into(), json!(emails));
        }
        object.insert("premiumFeatures".into(), json!({"referralProgram": true}));
        Value::Object(object)
    }

    pub(super) fn transition(&mut self, to: &str, field: &str) -> ApiResult<()> {
        let allowed = matches!(
            (self.status.as_str(), to),
            ("DRAFT", "ACTIVE") | ("PAUSED", "ACTIVE") | ("ACTIVE", "PAUSED")
        );
        if !allowed {
            return Err(ApiError::validation(vec![Violation::new(
                field,
                &format!("the program cannot go from {} to {to}", self.status),
                "CUSTOM",
            )]));
        }
        self.status = to.to_owned();
        Ok(())
    }
}

impl Site {
    /// Update Referral Program with the fields of `referralProgram` (its `revision` required).
    pub(crate) fn patch_program(
        &mut self,
        patch: ProgramPatch,
        lenience: &crate::lenience::Lenience,
    ) -> ApiResult<Value> {
        match patch.revision {
            Some(Revision(given)) if given == self.program.revision => {}
            Some(_) => return Err(ApiError::revision_mismatch()),
            // The Sample Flows article updates (and activates) a program without its revision.
            None => lenience.depart(
                "referralProgram.revision",
                "an update without the program's revision: the last write wins",
                "the Update Referral Program page requires referralProgram.revision",
            )?,
        }
        let mut next = self.program.clone();
        if let Some(name) = patch.name {
            next.name = name
                .map(|name| check_name(name, "referralProgram.name"))
                .transpose()?;
        }
        if let Some(to) = patch.status
            && to != next.status
        {
            next.transition(&to, "referralProgram.status")?;
        }
        if let Some(reward) = patch.referred_friend_reward {
            next.referred_friend_reward = reward.map(ProgramReward::new);
        }
        if let Some(reward) = patch.referring_customer_reward {
            next.referring_customer_reward = reward.map(ProgramReward::new);
        }
        if let Some(actions) = patch.successful_referral_actions {
            at_most(
                100,
                actions.len(),
                "referralProgram.successfulReferralActions",
            )?;
            next.successful_referral_actions = actions.into_iter().map(String::from).collect();
        }
        if let Some(emails) = patch.emails {
            if let Some(apps) = emails
                .as_ref()
                .and_then(|e| e.encourage_to_refer_friends.as_ref())
            {
                at_most(
                    100,
                    apps.len(),
                    "referralProgram.emails.encourageToReferFriends",
                )?;
            }
            next.emails = emails;
        }
        for (field, reward) in [
            (
                "referralProgram.referredFriendReward",
                &next.referred_friend_reward,
            ),
            (
                "referralProgram.referringCustomerReward",
                &next.referring_customer_reward,
            ),
        ] {
            if let Some(reward) = reward
                && reward.config.coupon_options.is_some()
                && reward.config.loyalty_points_options.is_some()
            {
                return Err(ApiError::invalid(
                    field,
                    "set at most one of couponOptions and loyaltyPointsOptions",
                ));
            }
        }
        self.commit_program(next)
    }

    pub fn set_program_status(&mut self, to: &str) -> ApiResult<Value> {
        let mut next = self.program.clone();
        if next.status != to {
            next.transition(to, "status")?;
        }
        self.commit_program(next)
    }

    pub(super) fn commit_program(&mut self, mut next: Program) -> ApiResult<Value> {
        next.revision += 1;
        next.updated = now();
        self.program = next;
        let json = self.program.to_json();
        self.emit(PROGRAM_FQDN, "updated", None, self.program.revision, || {
            json.clone()
        });
        Ok(json)
    }

    pub fn suggestions(&mut self, topic: Option<&str>, fresh: bool) -> Value {
        if fresh || self.suggestions.is_empty() {
            let topic = topic.unwrap_or("our shop");
            let name = self
                .program
                .name
                .clone()
                .unwrap_or_else(|| "our referral program".into());
            let salt: u32 = rand::thread_rng().gen_range(1000..10000);
            self.suggestions = vec![
                json!({"postContent": format!("Love {topic}? Join me through {name} and we both get a reward. #{salt}"), "hashtags": ["referral", "rewards"]}),
                json!({"postContent": format!("Sharing is caring: {name} gives friends a welcome gift for {topic}."), "hashtags": ["friends", "gift"]}),
            ];
        }
        json!({"suggestions": self.suggestions, "referFriendsPageUrl": format!("https://example.wixsite.com/{}/refer-friends", self.id)})
    }
}

/// A program name: 2 to 50 characters.
fn check_name(name: String, field: &str) -> ApiResult<String> {
    let len = name.chars().count();
    if (2..=50).contains(&len) {
        Ok(name)
    } else {
        Err(ApiError::validation(vec![Violation::new(
            field,
            &format!("must be 2 to 50 characters, got {len}"),
            "MAX_LENGTH",
        )]))
    }
}

fn at_most(max: usize, len: usize, field: &str) -> ApiResult<()> {
    if len <= max {
        Ok(())
    } else {
        Err(ApiError::validation(vec![Violation::new(
            field,
            &format!("at most {max} items"),
            "MAX_ITEMS",
        )]))
    }
}
