//! One site (tenant): its program, entities, aggregates and the business rules of
//! docs/decisions.md items 4–9 and 18–21. Nothing here knows about HTTP or identities.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Violation};
use crate::model::*;
use crate::query::{self, Plan};
use crate::table::{Table, load_table};

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
const COUPON_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

/// Milliseconds, as Wix dates carry.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// A domain event for the webhooks (docs/decisions.md item 25).
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

/// A reward as the program configures it. The coupon specification is shared (`Arc`) by every
/// coupon granted under this configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProgramReward {
    pub config: Value,
    pub coupon: Option<Arc<Value>>,
}

impl ProgramReward {
    fn new(config: Value) -> Self {
        let coupon = config.get("couponOptions").cloned().map(Arc::new);
        Self { config, coupon }
    }

    fn reward_type(&self) -> Option<&str> {
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
    #[serde(skip)]
    pub outbox: Vec<DomainEvent>,
}

/// Something a referred friend did, that the emulator is told about (docs/decisions.md item 19).
#[derive(Clone, Debug)]
pub struct FriendAction {
    pub contact: Uuid,
    pub action: String,
    pub amount_cents: i64,
    pub currency: Option<String>,
    pub order_id: Option<String>,
}

/// What a friend's action caused (docs/decisions.md item 19): ids of events and rewards.
#[derive(Debug, Default)]
pub struct ActionOutcome {
    pub events: Vec<Uuid>,
    pub rewards: Vec<Uuid>,
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
            outbox: Vec::new(),
        }
    }

    /// From now on, remembers which rows change, for [`Site::take_changes`].
    pub(crate) fn track_changes(&mut self) {
        self.customers.track_changes();
        self.friends.track_changes();
        self.rewards.track_changes();
        self.events.track_changes();
        self.totals.track_changes();
        self.friend_actions.track_changes();
    }

    #[cfg(feature = "store")]
    /// The rows changed since the last call, serialized for the store.
    pub(crate) fn take_changes(
        &mut self,
        out: &mut Vec<crate::journal::RowChange>,
    ) -> serde_json::Result<()> {
        use crate::journal::RowKind;
        fn take<T: crate::query::Row + Serialize>(
            site: Uuid,
            kind: RowKind,
            table: &mut Table<T>,
            out: &mut Vec<crate::journal::RowChange>,
        ) -> serde_json::Result<()> {
            for (id, row) in table.take_changes() {
                let body = row.map(serde_json::to_string).transpose()?;
                out.push(crate::journal::RowChange {
                    site,
                    kind,
                    id,
                    body,
                });
            }
            Ok(())
        }
        let id = self.id;
        take(id, RowKind::Customer, &mut self.customers, out)?;
        take(id, RowKind::Friend, &mut self.friends, out)?;
        take(id, RowKind::Reward, &mut self.rewards, out)?;
        take(id, RowKind::Event, &mut self.events, out)?;
        take(id, RowKind::Totals, &mut self.totals, out)?;
        take(id, RowKind::FriendActions, &mut self.friend_actions, out)?;
        Ok(())
    }

    #[cfg(feature = "store")]
    /// Adds a row read back from the store (during a bulk load: see [`Table::begin_bulk`]).
    pub(crate) fn load_row(
        &mut self,
        kind: crate::journal::RowKind,
        body: &str,
    ) -> serde_json::Result<()> {
        use crate::journal::RowKind;
        match kind {
            RowKind::Customer => self.customers.insert(serde_json::from_str(body)?),
            RowKind::Friend => self.friends.insert(serde_json::from_str(body)?),
            RowKind::Reward => self.rewards.insert(serde_json::from_str(body)?),
            RowKind::Event => self.events.insert(serde_json::from_str(body)?),
            RowKind::Totals => self.totals.insert(serde_json::from_str(body)?),
            RowKind::FriendActions => self.friend_actions.insert(serde_json::from_str(body)?),
        }
        Ok(())
    }

    #[cfg(feature = "store")]
    /// Marks every row changed (an import writes them all).
    pub(crate) fn mark_all_changed(&mut self) {
        self.customers.mark_all_changed();
        self.friends.mark_all_changed();
        self.rewards.mark_all_changed();
        self.events.mark_all_changed();
        self.totals.mark_all_changed();
        self.friend_actions.mark_all_changed();
    }

    #[cfg(feature = "store")]
    /// Starts or ends a bulk load of every table.
    pub(crate) fn bulk(&mut self, begin: bool) {
        macro_rules! each {
            ($($table:ident),*) => {$(
                if begin { self.$table.begin_bulk() } else { self.$table.end_bulk() }
            )*};
        }
        each!(customers, friends, rewards, events, totals, friend_actions);
    }

    /// Queues a domain event for the webhooks; the entity is rendered only when a webhook is
    /// registered. `sequence` is the entity's revision after the change (docs/decisions.md item 25).
    fn emit(
        &mut self,
        entity_fqdn: &'static str,
        slug: &'static str,
        entity_id: Option<Uuid>,
        sequence: i64,
        entity: impl FnOnce() -> Value,
    ) {
        if !self.webhooks.is_empty() {
            let entity = entity();
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

    fn commit_program(&mut self, mut next: Program) -> ApiResult<Value> {
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

    // ------------------------------------------------------------------------------------------
    // Referring customers

    /// Create-or-return for a contact; the customer's id.
    pub fn generate_customer(
        &mut self,
        contact: Uuid,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> Uuid {
        if let Some(existing) = self.customers.find("contactId", &IndexKey::Id(contact)) {
            return existing.meta.id;
        }
        let code = loop {
            let candidate: String = (0..12)
                .map(|_| {
                    REFERRAL_CODE_ALPHABET[rng.gen_range(0..REFERRAL_CODE_ALPHABET.len())] as char
                })
                .collect();
            if self
                .customers
                .find("referralCode", &IndexKey::Text(candidate.clone().into()))
                .is_none()
            {
                break candidate;
            }
        };
        let customer = Customer {
            meta: Meta::new(random_uuid(rng), at),
            contact_id: contact,
            referral_code: code,
        };
        let id = customer.meta.id;
        self.emit(CUSTOMER_FQDN, "created", Some(id), 1, || customer.to_json());
        self.totals.insert(CustomerTotals {
            referring_customer_id: id,
            contact_id: contact,
            ..Default::default()
        });
        self.customers.insert(customer);
        id
    }

    pub fn delete_customer(&mut self, id: Uuid, revision: Option<&str>) -> ApiResult<()> {
        let customer = self
            .customers
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referring customer", &id.to_string()))?;
        check_revision_text(revision, customer.meta.revision)?;
        if let Some(removed) = self.customers.remove(&id) {
            self.emit(
                CUSTOMER_FQDN,
                "deleted",
                Some(id),
                removed.meta.revision + 1,
                || removed.to_json(),
            );
        }
        self.totals.remove(&id);
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // Referred friends

    /// Create-or-return (docs/decisions.md items 6–7, 18); the friend's id.
    pub fn create_friend(
        &mut self,
        contact: Uuid,
        referring_customer: Option<Uuid>,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> ApiResult<Uuid> {
        if let Some(existing) = self.friends.find("contactId", &IndexKey::Id(contact)) {
            return Ok(existing.meta.id);
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
        let friend = Friend {
            meta: Meta::new(random_uuid(rng), at),
            contact_id: contact,
            referring_customer_id: customer.meta.id,
            status: FriendStatus::SignUpCompleted,
        };
        let friend_id = friend.meta.id;
        self.emit(FRIEND_FQDN, "created", Some(friend_id), 1, || {
            friend.to_json()
        });
        self.friends.insert(friend);
        self.friend_actions
            .insert(FriendActions::new(friend_id, contact, at));
        self.signups += 1;
        self.record_event(EventKind::Signup { friend: friend_id }, rng, at);
        if let Some(reward) = self.program.referred_friend_reward.clone() {
            self.grant(&reward, Receiver::Friend(friend_id), contact, rng, at);
        }
        Ok(friend_id)
    }

    pub fn update_friend(
        &mut self,
        id: Uuid,
        revision: Option<&Value>,
        status: FriendStatus,
    ) -> ApiResult<Value> {
        let friend = self
            .friends
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referred friend", &id.to_string()))?;
        check_revision(revision, friend.meta.revision, "referredFriend.revision")?;
        self.set_friend_status(id, status, now());
        Ok(self
            .friends
            .get(&id)
            .map(Friend::to_json)
            .unwrap_or_default())
    }

    fn set_friend_status(&mut self, id: Uuid, status: FriendStatus, at: DateTime<Utc>) {
        let revision = self.friends.update(&id, |f| {
            f.status = status;
            f.meta.touch(at);
            f.meta.revision
        });
        if let Some(revision) = revision {
            let friends = &self.friends;
            let render = || friends.get(&id).map(Friend::to_json).unwrap_or_default();
            let json = (!self.webhooks.is_empty()).then(render);
            if let Some(json) = json {
                self.emit(FRIEND_FQDN, "updated", Some(id), revision, || json);
            }
        }
    }

    pub fn delete_friend(&mut self, id: Uuid, revision: Option<&str>) -> ApiResult<()> {
        let friend = self
            .friends
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referred friend", &id.to_string()))?;
        check_revision_text(revision, friend.meta.revision)?;
        if let Some(removed) = self.friends.remove(&id) {
            self.emit(
                FRIEND_FQDN,
                "deleted",
                Some(id),
                removed.meta.revision + 1,
                || removed.to_json(),
            );
        }
        self.friend_actions.remove(&id);
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // Actions, rewards and events (docs/decisions.md items 18–21)

    pub fn record_action(
        &mut self,
        action: &FriendAction,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> ApiResult<ActionOutcome> {
        let friend = self
            .friends
            .find("contactId", &IndexKey::Id(action.contact))
            .cloned()
            .ok_or_else(|| {
                ApiError::not_found("referred friend for contact", &action.contact.to_string())
            })?;
        let action_index = action_index(&action.action).ok_or_else(|| {
            ApiError::invalid(
                "action",
                &format!("{:?} is not a referral action", action.action),
            )
        })?;
        let amount_cents = action.amount_cents;
        let mut outcome = ActionOutcome::default();
        let event = self.record_event(
            EventKind::Action {
                friend: friend.meta.id,
                customer: friend.referring_customer_id,
                action: action_index,
                amount_cents,
                currency: action.currency.clone(),
                order_id: action.order_id.clone(),
            },
            rng,
            at,
        );
        outcome.events.push(event);
        self.actions += 1;
        self.amount_cents = self.amount_cents.saturating_add(amount_cents);
        let successful = self
            .program
            .successful_referral_actions
            .contains(&action.action);
        let (first_action, first_success) = self
            .friend_actions
            .update(&friend.meta.id, |fa| {
                let first = fa.first_action.is_none();
                if first {
                    fa.first_action = Some((at, action_index));
                }
                fa.total_actions += 1;
                fa.amount_cents = fa.amount_cents.saturating_add(amount_cents);
                // Only the friend's first successful action completes the referral and rewards.
                let first_success = successful && fa.successful_at.is_none();
                if first_success {
                    fa.successful_at = Some(at);
                }
                (first, first_success)
            })
            .unwrap_or((false, false));
        self.totals.update(&friend.referring_customer_id, |t| {
            t.amount_cents = t.amount_cents.saturating_add(amount_cents);
            t.last_friend_action = Some(at);
            if first_action {
                t.total_friends_with_actions += 1;
            }
        });
        if !first_success {
            return Ok(outcome);
        }
        if friend.status != FriendStatus::ActionsCompleted {
            self.set_friend_status(friend.meta.id, FriendStatus::ActionsCompleted, at);
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
        let customer_contact = self
            .customers
            .get(&friend.referring_customer_id)
            .map(|c| c.contact_id);
        if let (Some(reward), Some(contact)) = (
            self.program.referring_customer_reward.clone(),
            customer_contact,
        ) && let Some((reward_id, event_id)) = self.grant(
            &reward,
            Receiver::Customer(friend.referring_customer_id),
            contact,
            rng,
            at,
        ) {
            outcome.rewards.push(reward_id);
            outcome.events.push(event_id);
        }
        Ok(outcome)
    }

    fn record_event(&mut self, kind: EventKind, rng: &mut impl Rng, at: DateTime<Utc>) -> Uuid {
        let event = Event {
            meta: Meta::new(random_uuid(rng), at),
            kind,
        };
        let id = event.meta.id;
        self.emit(EVENT_FQDN, "created", Some(id), 1, || event.to_json());
        self.events.insert(event);
        id
    }

    /// Grants the configured reward; `NOTHING` (or no type) grants none.
    /// Returns the ids of the reward and of its reward event.
    fn grant(
        &mut self,
        config: &ProgramReward,
        receiver: Receiver,
        contact: Uuid,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> Option<(Uuid, Uuid)> {
        let granted = match config.reward_type() {
            Some("COUPON") => {
                let code: String = (0..12)
                    .map(|_| {
                        COUPON_CODE_ALPHABET[rng.gen_range(0..COUPON_CODE_ALPHABET.len())] as char
                    })
                    .collect();
                Granted::Coupon {
                    id: random_uuid(rng),
                    code,
                    applied: false,
                    specification: config.coupon.clone().unwrap_or_else(|| Arc::new(json!({}))),
                }
            }
            Some("LOYALTY_POINTS") => Granted::LoyaltyPoints {
                transaction_id: random_uuid(rng),
                amount: config
                    .config
                    .pointer("/loyaltyPointsOptions/amount")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
            },
            _ => return None,
        };
        let coupon = matches!(granted, Granted::Coupon { .. });
        let reward = Reward {
            meta: Meta::new(random_uuid(rng), at),
            receiver,
            granted,
            contact_id: contact,
        };
        let reward_id = reward.meta.id;
        if let Receiver::Friend(friend) = receiver {
            let granted = reward.granted.clone();
            self.friend_actions
                .update(&friend, |fa| fa.reward = Some(granted));
        }
        self.rewards.insert(reward);
        let event_id = self.record_event(
            EventKind::Reward {
                receiver,
                reward: reward_id,
                coupon,
            },
            rng,
            at,
        );
        Some((reward_id, event_id))
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

/// A revision from a JSON body: string or number (docs/decisions.md item 8). Missing or stale: 409.
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
