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
    pub config: Value,
    pub coupon: Option<Arc<Value>>,
}

impl ProgramReward {
    pub(super) fn new(config: Value) -> Self {
        let coupon = config.get("couponOptions").cloned().map(Arc::new);
        Self { config, coupon }
    }

    pub(super) fn reward_type(&self) -> Option<&str> {
        self.config.get("type").and_then(Value::as_str)
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
    pub emails: Option<Value>,
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
            object.insert("referredFriendReward".into(), reward.config.clone());
        }
        if let Some(reward) = &self.referring_customer_reward {
            object.insert("referringCustomerReward".into(), reward.config.clone());
        }
        object.insert(
            "successfulReferralActions".into(),
            json!(self.successful_referral_actions),
        );
        if let Some(emails) = &self.emails {
            object.insert("emails".into(), emails.clone());
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
    pub fn update_program(&mut self, body: &Value) -> ApiResult<Value> {
        let patch = body
            .get("referralProgram")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ApiError::invalid("referralProgram", "required: the program fields to change")
            })?;
        self.patch_program(patch)
    }

    /// Update Referral Program with the fields of `referralProgram` (its `revision` required).
    pub(crate) fn patch_program(&mut self, patch: &Map<String, Value>) -> ApiResult<Value> {
        check_revision(
            patch.get("revision"),
            self.program.revision,
            "referralProgram.revision",
        )?;
        let mut next = self.program.clone();
        for (key, value) in patch {
            let field = format!("referralProgram.{key}");
            match key.as_str() {
                "revision" | "createdDate" | "updatedDate" | "premiumFeatures" => {}
                "name" => next.name = validate_name(value, &field)?,
                "status" => {
                    let to = value
                        .as_str()
                        .ok_or_else(|| ApiError::invalid(&field, "expected ACTIVE or PAUSED"))?;
                    if to != next.status {
                        next.transition(to, &field)?;
                    }
                }
                "referredFriendReward" => {
                    next.referred_friend_reward =
                        validate_reward(value, &field)?.map(ProgramReward::new)
                }
                "referringCustomerReward" => {
                    next.referring_customer_reward =
                        validate_reward(value, &field)?.map(ProgramReward::new)
                }
                "successfulReferralActions" => {
                    next.successful_referral_actions =
                        validate_enum_list(value, ACTION_NAMES, 100, &field)?;
                }
                "emails" => next.emails = validate_emails(value, &field)?,
                _ => {} // Unknown request fields are ignored, as Wix services do.
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

fn validate_name(value: &Value, field: &str) -> ApiResult<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => {
            let len = s.chars().count();
            if (2..=50).contains(&len) {
                Ok(Some(s.clone()))
            } else {
                Err(ApiError::validation(vec![Violation::new(
                    field,
                    &format!("must be 2 to 50 characters, got {len}"),
                    "MAX_LENGTH",
                )]))
            }
        }
        _ => Err(ApiError::invalid(field, "expected a string")),
    }
}

fn validate_enum(value: &Value, allowed: &[&str], field: &str) -> ApiResult<String> {
    match value.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s.to_owned()),
        Some(s) => Err(ApiError::invalid(
            field,
            &format!("{s:?} is not one of {}", allowed.join(", ")),
        )),
        None => Err(ApiError::invalid(field, "expected a string")),
    }
}

fn validate_enum_list(
    value: &Value,
    allowed: &[&str],
    max: usize,
    field: &str,
) -> ApiResult<Vec<String>> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid(field, "expected an array"))?;
    if items.len() > max {
        return Err(ApiError::validation(vec![Violation::new(
            field,
            &format!("at most {max} items"),
            "MAX_ITEMS",
        )]));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| validate_enum(v, allowed, &format!("{field}[{i}]")))
        .collect()
}

fn validate_reward(value: &Value, field: &str) -> ApiResult<Option<Value>> {
    let object = match value {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err(ApiError::invalid(field, "expected an object")),
    };
    let reward_type = validate_enum(
        object.get("type").unwrap_or(&Value::Null),
        REWARD_TYPES,
        &format!("{field}.type"),
    )?;
    let mut clean = Map::new();
    clean.insert("type".into(), json!(reward_type));
    if let Some(points) = object.get("loyaltyPointsOptions").filter(|v| !v.is_null()) {
        let amount = points
            .get("amount")
            .and_then(Value::as_i64)
            .filter(|a| (0..=i64::from(i32::MAX)).contains(a));
        let amount = amount.ok_or_else(|| {
            ApiError::invalid(
                &format!("{field}.loyaltyPointsOptions.amount"),
                "expected a whole number of points",
            )
        })?;
        clean.insert("loyaltyPointsOptions".into(), json!({"amount": amount}));
    }
    if let Some(coupon) = object.get("couponOptions").filter(|v| !v.is_null()) {
        clean.insert(
            "couponOptions".into(),
            validate_coupon(coupon, &format!("{field}.couponOptions"))?,
        );
    }
    if clean.contains_key("couponOptions") && clean.contains_key("loyaltyPointsOptions") {
        return Err(ApiError::invalid(
            field,
            "set at most one of couponOptions and loyaltyPointsOptions",
        ));
    }
    Ok(Some(Value::Object(clean)))
}

fn validate_coupon(value: &Value, field: &str) -> ApiResult<Value> {
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::invalid(field, "expected an object"))?;
    let mut clean = Map::new();
    for (key, v) in object {
        let path = format!("{field}.{key}");
        match key.as_str() {
            "name" => {
                v.as_str()
                    .ok_or_else(|| ApiError::invalid(&path, "expected a string"))?;
            }
            "discountType" => {
                validate_enum(v, DISCOUNT_TYPES, &path)?;
            }
            "fixedAmountOptions" | "percentageOptions" => {
                let inner = if key == "fixedAmountOptions" {
                    "amount"
                } else {
                    "percentage"
                };
                let number = v.get(inner).and_then(Value::as_f64).filter(|n| *n >= 0.0);
                number.ok_or_else(|| {
                    ApiError::invalid(&format!("{path}.{inner}"), "expected a non-negative number")
                })?;
            }
            "minimumSubtotal" => {
                v.as_f64()
                    .ok_or_else(|| ApiError::invalid(&path, "expected a number"))?;
            }
            "scope" => {
                v.get("namespace").and_then(Value::as_str).ok_or_else(|| {
                    ApiError::invalid(&format!("{path}.namespace"), "expected a string")
                })?;
            }
            "limitedToOneItem" | "appliesToSubscriptions" => {
                if !(v.is_boolean() || v.is_null()) {
                    return Err(ApiError::invalid(&path, "expected a boolean"));
                }
            }
            "discountedCycleCount" => {
                if !v.is_null() && !v.as_i64().is_some_and(|n| (0..=999).contains(&n)) {
                    return Err(ApiError::validation(vec![Violation::new(
                        &path,
                        "must be 0 to 999",
                        "MAX",
                    )]));
                }
            }
            _ => continue,
        }
        clean.insert(key.clone(), v.clone());
    }
    Ok(Value::Object(clean))
}

fn validate_emails(value: &Value, field: &str) -> ApiResult<Option<Value>> {
    let object = match value {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err(ApiError::invalid(field, "expected an object")),
    };
    let mut clean = Map::new();
    if let Some(apps) = object.get("encourageToReferFriends") {
        let apps = validate_enum_list(
            apps,
            EMAIL_APPS,
            100,
            &format!("{field}.encourageToReferFriends"),
        )?;
        clean.insert("encourageToReferFriends".into(), json!(apps));
    }
    if let Some(notify) = object.get("notifyCustomersAboutReward") {
        let notify = notify.as_bool().ok_or_else(|| {
            ApiError::invalid(
                &format!("{field}.notifyCustomersAboutReward"),
                "expected a boolean",
            )
        })?;
        clean.insert("notifyCustomersAboutReward".into(), json!(notify));
    }
    Ok(Some(Value::Object(clean)))
}
