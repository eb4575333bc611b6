//! One site (tenant): its program, entities, aggregates and the business rules of
//! DECISIONS.md items 4–9 and 18–21. Nothing here knows about HTTP or identities.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Violation};
use crate::model::*;
use crate::query::{self, Plan};
use crate::table::{Table, load_table};

pub const PROGRAM_ACTIONS: &[&str] = &[
    "UNKNOWN",
    "STORE_ORDER_PLACED",
    "PLAN_ORDERED",
    "TICKET_ORDERED",
    "SESSION_BOOKED",
    "RESTAURANT_ORDER_PLACED",
    "ONLINE_PROGRAM_JOINED",
];
const EMAIL_APPS: &[&str] = &[
    "UNKNOWN",
    "STORES",
    "PRICING_PLANS",
    "EVENTS",
    "BOOKINGS",
    "RESTAURANTS",
];
const DISCOUNT_TYPES: &[&str] = &["UNKNOWN", "FIXED_AMOUNT", "PERCENTAGE", "FREE_SHIPPING"];
const REFERRAL_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// Milliseconds, as Wix dates carry.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// A domain event for the webhooks (DECISIONS.md item 25).
#[derive(Clone, Debug)]
pub struct DomainEvent {
    pub entity_fqdn: &'static str,
    pub slug: &'static str,
    pub entity_id: Option<Uuid>,
    pub entity: Value,
    pub sequence: i64,
}

pub const PROGRAM_FQDN: &str = "wix.loyalty.referral.v1.program";
pub const CUSTOMER_FQDN: &str = "wix.loyalty.referral.v1.referring_customer";
pub const FRIEND_FQDN: &str = "wix.loyalty.referral.v1.referred_friend";
pub const EVENT_FQDN: &str = "wix.loyalty.referral.v1.referral_event";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Program {
    pub name: Option<String>,
    pub status: String,
    pub revision: i64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub referred_friend_reward: Option<Value>,
    pub referring_customer_reward: Option<Value>,
    pub successful_referral_actions: Vec<String>,
    pub emails: Option<Value>,
}

impl Program {
    /// A new site's program (DECISIONS.md item 5).
    fn new(at: DateTime<Utc>) -> Self {
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
            object.insert("referredFriendReward".into(), reward.clone());
        }
        if let Some(reward) = &self.referring_customer_reward {
            object.insert("referringCustomerReward".into(), reward.clone());
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

    fn transition(&mut self, to: &str, field: &str) -> ApiResult<()> {
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

fn load_customers<'de, D: Deserializer<'de>>(d: D) -> Result<Table<Customer>, D::Error> {
    load_table(&CUSTOMER_SCHEMA, d)
}
fn load_friends<'de, D: Deserializer<'de>>(d: D) -> Result<Table<Friend>, D::Error> {
    load_table(&FRIEND_SCHEMA, d)
}
fn load_rewards<'de, D: Deserializer<'de>>(d: D) -> Result<Table<Reward>, D::Error> {
    load_table(&REWARD_SCHEMA, d)
}
fn load_events<'de, D: Deserializer<'de>>(d: D) -> Result<Table<Event>, D::Error> {
    load_table(&EVENT_SCHEMA, d)
}
fn load_totals<'de, D: Deserializer<'de>>(d: D) -> Result<Table<CustomerTotals>, D::Error> {
    load_table(&TOTALS_SCHEMA, d)
}
fn load_actions<'de, D: Deserializer<'de>>(d: D) -> Result<Table<FriendActions>, D::Error> {
    load_table(&FRIEND_ACTIONS_SCHEMA, d)
}

#[derive(Serialize, Deserialize)]
pub struct Site {
    pub id: Uuid,
    pub instance_id: Uuid,
    /// The app installed on the site: the identity webhooks name.
    #[serde(default)]
    pub app_id: String,
    pub program: Program,
    #[serde(deserialize_with = "load_customers")]
    pub customers: Table<Customer>,
    #[serde(deserialize_with = "load_friends")]
    pub friends: Table<Friend>,
    #[serde(deserialize_with = "load_rewards")]
    pub rewards: Table<Reward>,
    #[serde(deserialize_with = "load_events")]
    pub events: Table<Event>,
    #[serde(deserialize_with = "load_totals")]
    pub totals: Table<CustomerTotals>,
    #[serde(deserialize_with = "load_actions")]
    pub friend_actions: Table<FriendActions>,
    pub signups: i64,
    pub actions: i64,
    pub amount_cents: i64,
    pub webhooks: Vec<String>,
    pub suggestions: Vec<Value>,
    sequences: HashMap<Uuid, i64>,
    #[serde(skip)]
    pub outbox: Vec<DomainEvent>,
}

/// Something a referred friend did, that the emulator is told about (DECISIONS.md item 19).
#[derive(Clone, Debug)]
pub struct FriendAction {
    pub contact: Uuid,
    pub action: String,
    pub amount_cents: i64,
    pub currency: Option<String>,
    pub order_id: Option<String>,
}

/// What a friend's action caused (DECISIONS.md item 19).
#[derive(Debug, Default)]
pub struct ActionOutcome {
    pub events: Vec<Value>,
    pub rewards: Vec<Value>,
}

impl Site {
    pub fn new(id: Uuid, instance_id: Uuid) -> Self {
        Self {
            id,
            instance_id,
            app_id: String::new(),
            program: Program::new(now()),
            customers: Table::new(&CUSTOMER_SCHEMA),
            friends: Table::new(&FRIEND_SCHEMA),
            rewards: Table::new(&REWARD_SCHEMA),
            events: Table::new(&EVENT_SCHEMA),
            totals: Table::new(&TOTALS_SCHEMA),
            friend_actions: Table::new(&FRIEND_ACTIONS_SCHEMA),
            signups: 0,
            actions: 0,
            amount_cents: 0,
            webhooks: Vec::new(),
            suggestions: Vec::new(),
            sequences: HashMap::new(),
            outbox: Vec::new(),
        }
    }

    fn emit(
        &mut self,
        entity_fqdn: &'static str,
        slug: &'static str,
        entity_id: Option<Uuid>,
        entity: Value,
    ) {
        let key = entity_id.unwrap_or(self.id);
        let sequence = self.sequences.entry(key).or_insert(0);
        *sequence += 1;
        let sequence = *sequence;
        if !self.webhooks.is_empty() {
            self.outbox.push(DomainEvent {
                entity_fqdn,
                slug,
                entity_id,
                entity,
                sequence,
            });
        }
    }

    pub fn plan(
        &self,
        schema: &crate::query::EntitySchema,
        query: &Value,
        scope: Option<String>,
    ) -> ApiResult<Plan> {
        query::plan(schema, query, &self.id.to_string(), scope)
    }

    // ------------------------------------------------------------------------------------------
    // Program

    pub fn update_program(&mut self, body: &Value) -> ApiResult<Value> {
        let patch = body
            .get("referralProgram")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ApiError::invalid("referralProgram", "required: the program fields to change")
            })?;
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
                    next.referred_friend_reward = validate_reward(value, &field)?
                }
                "referringCustomerReward" => {
                    next.referring_customer_reward = validate_reward(value, &field)?
                }
                "successfulReferralActions" => {
                    next.successful_referral_actions =
                        validate_enum_list(value, PROGRAM_ACTIONS, 100, &field)?;
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

    fn commit_program(&mut self, mut next: Program) -> ApiResult<Value> {
        next.revision += 1;
        next.updated = now();
        self.program = next;
        let json = self.program.to_json();
        self.emit(PROGRAM_FQDN, "updated", None, json.clone());
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

    // ------------------------------------------------------------------------------------------
    // Referring customers

    /// Create-or-return for a contact.
    pub fn generate_customer(
        &mut self,
        contact: Uuid,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> Value {
        if let Some(existing) = self.customers.find("contactId", &contact.to_string()) {
            return existing.to_json();
        }
        let code = loop {
            let candidate: String = (0..12)
                .map(|_| {
                    REFERRAL_CODE_ALPHABET[rng.gen_range(0..REFERRAL_CODE_ALPHABET.len())] as char
                })
                .collect();
            if self.customers.find("referralCode", &candidate).is_none() {
                break candidate;
            }
        };
        let customer = Customer {
            meta: Meta::new(random_uuid(rng), at),
            contact_id: contact,
            referral_code: code,
        };
        let json = customer.to_json();
        self.totals.insert(CustomerTotals {
            referring_customer_id: customer.meta.id,
            contact_id: contact,
            ..Default::default()
        });
        let id = customer.meta.id;
        self.customers.insert(customer);
        self.emit(CUSTOMER_FQDN, "created", Some(id), json.clone());
        json
    }

    pub fn delete_customer(&mut self, id: Uuid, revision: Option<&str>) -> ApiResult<()> {
        let customer = self
            .customers
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referring customer", &id.to_string()))?;
        check_revision_text(revision, customer.meta.revision)?;
        let removed = self
            .customers
            .remove(&id)
            .map(|c| c.to_json())
            .unwrap_or_default();
        self.totals.remove(&id);
        self.emit(CUSTOMER_FQDN, "deleted", Some(id), removed);
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // Referred friends

    /// Create-or-return (DECISIONS.md items 6–7, 18).
    pub fn create_friend(
        &mut self,
        contact: Uuid,
        referring_customer: Option<Uuid>,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> ApiResult<Value> {
        if let Some(existing) = self.friends.find("contactId", &contact.to_string()) {
            return Ok(existing.to_json());
        }
        if self.program.status != "ACTIVE" {
            return Err(ApiError::precondition(
                "PROGRAM_NOT_ACTIVE",
                "the referral program is not active",
            ));
        }
        let customer = referring_customer
            .and_then(|id| self.customers.get(&id))
            .ok_or_else(|| {
                ApiError::precondition(
                    "INVALID_REFERRAL_CODE",
                    "no referring customer has that code or id",
                )
            })?;
        if customer.contact_id == contact {
            return Err(ApiError::precondition(
                "SELF_REFERRAL",
                "a contact cannot refer itself",
            ));
        }
        let customer_id = customer.meta.id;
        let friend = Friend {
            meta: Meta::new(random_uuid(rng), at),
            contact_id: contact,
            referring_customer_id: customer_id,
            status: "SIGN_UP_COMPLETED".into(),
        };
        let friend_id = friend.meta.id;
        let json = friend.to_json();
        self.friends.insert(friend);
        self.friend_actions.insert(FriendActions {
            referred_friend_id: friend_id,
            contact_id: contact,
            signup_date: at,
            first_action: None,
            total_actions: 0,
            amount_cents: 0,
            reward: None,
            successful_at: None,
        });
        self.signups += 1;
        self.emit(FRIEND_FQDN, "created", Some(friend_id), json.clone());
        self.record_event(EventKind::Signup { friend: friend_id }, rng, at);
        if let Some(reward) = self.program.referred_friend_reward.clone() {
            self.grant(&reward, Receiver::Friend(friend_id), contact, rng, at);
        }
        Ok(json)
    }

    pub fn update_friend(
        &mut self,
        id: Uuid,
        revision: Option<&Value>,
        status: &str,
    ) -> ApiResult<Value> {
        let friend = self
            .friends
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referred friend", &id.to_string()))?;
        check_revision(revision, friend.meta.revision, "referredFriend.revision")?;
        let at = now();
        let json = self
            .friends
            .update(&id, |f| {
                f.status = status.to_owned();
                f.meta.touch(at);
                f.to_json()
            })
            .unwrap_or_default();
        self.emit(FRIEND_FQDN, "updated", Some(id), json.clone());
        Ok(json)
    }

    pub fn delete_friend(&mut self, id: Uuid, revision: Option<&str>) -> ApiResult<()> {
        let friend = self
            .friends
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referred friend", &id.to_string()))?;
        check_revision_text(revision, friend.meta.revision)?;
        let removed = self
            .friends
            .remove(&id)
            .map(|f| f.to_json())
            .unwrap_or_default();
        self.friend_actions.remove(&id);
        self.emit(FRIEND_FQDN, "deleted", Some(id), removed);
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // Actions, rewards and events (DECISIONS.md items 18–21)

    pub fn record_action(
        &mut self,
        action: &FriendAction,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> ApiResult<ActionOutcome> {
        let FriendAction {
            contact,
            action,
            amount_cents,
            currency,
            order_id,
        } = action.clone();
        let action = action.as_str();
        let friend = self
            .friends
            .find("contactId", &contact.to_string())
            .cloned()
            .ok_or_else(|| {
                ApiError::not_found("referred friend for contact", &contact.to_string())
            })?;
        let mut outcome = ActionOutcome::default();
        let trigger = trigger_for(action);
        let amount = money(amount_cents);
        let event = self.record_event(
            EventKind::Action {
                friend: friend.meta.id,
                customer: friend.referring_customer_id,
                trigger: trigger.clone(),
                amount: Some(amount),
                currency,
                order_id,
            },
            rng,
            at,
        );
        outcome.events.push(event);
        self.actions += 1;
        self.amount_cents += amount_cents;
        let first_action = self
            .friend_actions
            .update(&friend.meta.id, |fa| {
                let first = fa.first_action.is_none();
                if first {
                    fa.first_action = Some((at, trigger.clone()));
                }
                fa.total_actions += 1;
                fa.amount_cents += amount_cents;
                first
            })
            .unwrap_or(false);
        self.totals.update(&friend.referring_customer_id, |t| {
            t.amount_cents += amount_cents;
            t.last_friend_action = Some(at);
            if first_action {
                t.total_friends_with_actions += 1;
            }
        });

        let successful = self
            .program
            .successful_referral_actions
            .iter()
            .any(|a| a == action);
        // Only the friend's first successful action completes the referral and rewards.
        let first_success = successful
            && self
                .friend_actions
                .update(&friend.meta.id, |fa| fa.successful_at.replace(at).is_none())
                .unwrap_or(false);
        if first_success {
            if friend.status != "ACTIONS_COMPLETED" {
                let json = self
                    .friends
                    .update(&friend.meta.id, |f| {
                        f.status = "ACTIONS_COMPLETED".into();
                        f.meta.touch(at);
                        f.to_json()
                    })
                    .unwrap_or_default();
                self.emit(FRIEND_FQDN, "updated", Some(friend.meta.id), json);
            }
            let event = self.record_event(
                EventKind::Successful {
                    friend: friend.meta.id,
                    customer: friend.referring_customer_id,
                },
                rng,
                at,
            );
            outcome.events.push(event);
            self.totals.update(&friend.referring_customer_id, |t| {
                t.total_successful_referrals += 1;
                t.last_successful_referral = Some(at);
            });
            if let (Some(reward), Some(customer)) = (
                self.program.referring_customer_reward.clone(),
                self.customers
                    .get(&friend.referring_customer_id)
                    .map(|c| c.contact_id),
            ) && let Some((reward_json, event_json)) = self.grant(
                &reward,
                Receiver::Customer(friend.referring_customer_id),
                customer,
                rng,
                at,
            ) {
                outcome.rewards.push(reward_json);
                outcome.events.push(event_json);
            }
        }
        Ok(outcome)
    }

    fn record_event(&mut self, kind: EventKind, rng: &mut impl Rng, at: DateTime<Utc>) -> Value {
        let event = Event {
            meta: Meta::new(random_uuid(rng), at),
            kind,
        };
        let json = event.to_json();
        let id = event.meta.id;
        self.events.insert(event);
        self.emit(EVENT_FQDN, "created", Some(id), json.clone());
        json
    }

    /// Grants the configured reward; `NOTHING` (or no type) grants none.
    fn grant(
        &mut self,
        config: &Value,
        receiver: Receiver,
        contact: Uuid,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> Option<(Value, Value)> {
        let granted = match config.get("type").and_then(Value::as_str) {
            Some("COUPON") => {
                let code: String = (0..12)
                    .map(|_| b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"[rng.gen_range(0..34)] as char)
                    .collect();
                Granted::Coupon {
                    id: random_uuid(rng),
                    code,
                    status: "ACTIVE".into(),
                    specification: config
                        .get("couponOptions")
                        .cloned()
                        .unwrap_or_else(|| json!({})),
                }
            }
            Some("LOYALTY_POINTS") => Granted::LoyaltyPoints {
                transaction_id: random_uuid(rng).to_string(),
                amount: config
                    .pointer("/loyaltyPointsOptions/amount")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
            },
            _ => return None,
        };
        let reward = Reward {
            meta: Meta::new(random_uuid(rng), at),
            receiver,
            granted: granted.clone(),
            contact_id: contact,
        };
        let reward_id = reward.meta.id;
        let reward_json = reward.to_json();
        let reward_type = granted.reward_type().to_owned();
        self.rewards.insert(reward);
        if let Receiver::Friend(friend) = receiver {
            self.friend_actions
                .update(&friend, |fa| fa.reward = Some(granted));
        }
        let event_json = self.record_event(
            EventKind::Reward {
                receiver,
                reward: reward_id,
                reward_type,
            },
            rng,
            at,
        );
        Some((reward_json, event_json))
    }

    pub fn statistics(&self) -> Value {
        json!({
            "totalSignUpsCompleted": self.signups,
            "totalActionsCompleted": self.actions,
            "totalAmountGenerated": money(self.amount_cents),
        })
    }
}

pub fn random_uuid(rng: &mut impl Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid()
}

/// The app and activity behind an action, as the loyalty APIs name them.
fn trigger_for(action: &str) -> Trigger {
    let (app_id, activity_type) = match action {
        "STORE_ORDER_PLACED" => ("215238eb-22a5-4c36-9e7b-e7c08025e04e", "stores/OrderPaid"),
        "PLAN_ORDERED" => (
            "1522827f-c56c-a5c9-2ac9-00f9e6ae12d3",
            "pricing-plans/OrderPaid",
        ),
        "TICKET_ORDERED" => (
            "140603ad-af8d-84a5-2c80-a0f60cb47351",
            "events/TicketOrderPaid",
        ),
        "SESSION_BOOKED" => (
            "13d21c63-b5ec-5912-8397-c3a5ddb27a97",
            "bookings/SessionBooked",
        ),
        "RESTAURANT_ORDER_PLACED" => (
            "9a5d83fd-8570-482e-81ab-cfa88942ee60",
            "restaurants/OrderPaid",
        ),
        "ONLINE_PROGRAM_JOINED" => (
            "2bef2abe-7abe-43ec-a8ec-d5d4e2ab7fd9",
            "online-programs/ParticipantJoined",
        ),
        _ => ("00000000-0000-0000-0000-000000000000", "unknown"),
    };
    Trigger {
        app_id: app_id.into(),
        activity_type: activity_type.into(),
    }
}

/// A revision from a JSON body: string or number (DECISIONS.md item 8). Missing or stale: 409.
fn check_revision(value: Option<&Value>, current: i64, field: &str) -> ApiResult<()> {
    let given = match value {
        None | Some(Value::Null) => return Err(ApiError::revision_mismatch()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid(field, "expected an int64"))?,
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| ApiError::invalid(field, "expected an int64"))?,
        Some(_) => return Err(ApiError::invalid(field, "expected an int64 as a string")),
    };
    if given == current {
        Ok(())
    } else {
        Err(ApiError::revision_mismatch())
    }
}

fn check_revision_text(value: Option<&str>, current: i64) -> ApiResult<()> {
    match value {
        None => Err(ApiError::revision_mismatch()),
        Some(text) => {
            let given = text
                .trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("revision", "expected an int64"))?;
            if given == current {
                Ok(())
            } else {
                Err(ApiError::revision_mismatch())
            }
        }
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
