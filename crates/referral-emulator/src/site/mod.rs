//! One site (tenant): its program, entities, aggregates and the business rules of
//! docs/decisions.md items 4–9 and 18–21. Nothing here knows about HTTP or identities.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::model::*;
use crate::query::{self, Plan};
use crate::table::{Table, load_table};

mod customers;
mod friends;
pub use friends::FriendIdentity;
mod programs;
mod rewards;

pub(crate) use programs::{
    ActionName, CouponOptions, CouponScope, DiscountType, EmailApp, Emails, LoyaltyPointsOptions,
    NonNegative, PercentageOptions, Points, Program, ProgramPatch, ProgramReward, Revision,
    RewardConfig, RewardType,
};

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
pub(crate) fn now() -> DateTime<Utc> {
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

pub(crate) const PROGRAM_FQDN: &str = "wix.loyalty.referral.v1.program";
pub(crate) const CUSTOMER_FQDN: &str = "wix.loyalty.referral.v1.referring_customer";
pub(crate) const FRIEND_FQDN: &str = "wix.loyalty.referral.v1.referred_friend";
pub(crate) const EVENT_FQDN: &str = "wix.loyalty.referral.v1.referral_event";

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
    /// The currency of the site's amounts: that of its first action with one (docs/decisions.md
    /// item 37).
    #[serde(default)]
    pub currency: Option<String>,
    pub webhooks: Vec<String>,
    pub suggestions: Vec<Value>,
    #[serde(skip)]
    pub outbox: Vec<DomainEvent>,
    /// The header record the store holds, and the batch that wrote it.
    #[serde(skip)]
    written: WrittenHeader,
}

/// The site's header (program, counters, webhooks) and credentials as last handed to the store:
/// a write that left them as they were writes no record, and reads of the site wait only for
/// the batch that last changed them.
#[derive(Default)]
struct WrittenHeader {
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    record: Option<(String, Option<String>)>,
    stamp: u64,
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

/// What a friend's action caused (docs/decisions.md item 19): ids of events and rewards, and
/// why something a caller might expect did not happen (docs/decisions.md item 37).
#[derive(Debug, Default)]
pub struct ActionOutcome {
    pub events: Vec<Uuid>,
    pub rewards: Vec<Uuid>,
    pub notes: Vec<String>,
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
            currency: None,
            actions: 0,
            amount_cents: 0,
            webhooks: Vec::new(),
            suggestions: Vec::new(),
            outbox: Vec::new(),
            written: WrittenHeader::default(),
        }
    }

    /// The batch that last changed the site's header or credentials.
    pub(crate) fn header_stamp(&self) -> u64 {
        self.written.stamp
    }

    #[cfg(feature = "store")]
    /// The header record to write in batch `sequence`, unless the store already holds it.
    pub(crate) fn header_changed(
        &mut self,
        header: String,
        credentials: Option<String>,
        sequence: u64,
    ) -> Option<(String, Option<String>)> {
        let record = (header, credentials);
        if self.written.record.as_ref() == Some(&record) {
            return None;
        }
        self.written.record = Some(record.clone());
        self.written.stamp = sequence;
        Some(record)
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
    /// They are stamped with `sequence` (see [`Table::take_changes`]).
    pub(crate) fn take_changes(
        &mut self,
        out: &mut Vec<crate::journal::RowChange>,
        sequence: u64,
        durable: u64,
    ) -> serde_json::Result<()> {
        use crate::journal::RowKind;
        let stamps = (sequence, durable);
        fn take<T: crate::query::Row + Serialize>(
            site: Uuid,
            kind: RowKind,
            table: &mut Table<T>,
            out: &mut Vec<crate::journal::RowChange>,
            (sequence, durable): (u64, u64),
        ) -> serde_json::Result<()> {
            for (id, row) in table.take_changes(sequence, durable) {
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
        take(id, RowKind::Customer, &mut self.customers, out, stamps)?;
        take(id, RowKind::Friend, &mut self.friends, out, stamps)?;
        take(id, RowKind::Reward, &mut self.rewards, out, stamps)?;
        take(id, RowKind::Event, &mut self.events, out, stamps)?;
        take(id, RowKind::Totals, &mut self.totals, out, stamps)?;
        take(
            id,
            RowKind::FriendActions,
            &mut self.friend_actions,
            out,
            stamps,
        )?;
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

    /// A query's plan, accepting what Wix's documents write without telling anyone (the
    /// benchmarks' way in; requests use [`Site::plan_with`]).
    pub fn plan(
        &self,
        schema: &crate::query::EntitySchema,
        query: &Value,
        scope: Option<String>,
    ) -> ApiResult<Plan> {
        self.plan_with(schema, query, scope, &crate::lenience::Lenience::default())
    }

    /// A query's plan; what departs from Wix's reference pages goes to `lenience`.
    pub(crate) fn plan_with(
        &self,
        schema: &crate::query::EntitySchema,
        query: &Value,
        scope: Option<String>,
        lenience: &crate::lenience::Lenience,
    ) -> ApiResult<Plan> {
        query::plan(schema, query, &self.id.to_string(), scope, lenience)
    }
}

pub(crate) fn random_uuid(rng: &mut impl Rng) -> Uuid {
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
