//! The stored entities, their JSON as Wix sends it, and their query schemas (docs/referral-api.md §7.3).
//!
//! Rows are kept compact (enums and ids rather than strings and JSON) because a benchmark site
//! holds millions of them; JSON is rendered only when a response or a webhook needs it.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::query::{
    Alias, DATE_OPS, Departure, ENUM_OPS, EntitySchema, FieldKind, FieldSpec, FieldValue, ID_OPS,
    MEMBER_OPS, NUMBER_OPS, Order, Row, STRING_OPS, canonical_json,
};
use crate::table::IndexKey;

/// RFC 3339 with milliseconds and `Z`, as Wix writes dates.
pub(crate) fn wix_date(date: &DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `"815.00"` from 81500 cents.
pub(crate) fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

fn str_value(s: &str) -> Option<FieldValue> {
    Some(FieldValue::Str(s.to_owned()))
}

fn id_value(id: &Uuid) -> Option<FieldValue> {
    Some(FieldValue::Str(id.to_string()))
}

fn date_value(d: &DateTime<Utc>) -> Option<FieldValue> {
    Some(FieldValue::Date(*d))
}

/// Revision and dates every stored entity carries.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub id: Uuid,
    pub revision: i64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl Meta {
    pub fn new(id: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            id,
            revision: 1,
            created: now,
            updated: now,
        }
    }

    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.revision += 1;
        self.updated = now.max(self.created);
    }

    /// The fields every entity has: its dates, and its revision (a document sorts by it).
    fn meta_field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "revision" => Some(FieldValue::Number(self.revision)),
            "createdDate" => date_value(&self.created),
            "updatedDate" => date_value(&self.updated),
            _ => None,
        }
    }

    fn insert_json(&self, object: &mut Map<String, Value>) {
        object.insert("revision".into(), json!(self.revision.to_string()));
        object.insert("createdDate".into(), json!(wix_date(&self.created)));
        object.insert("updatedDate".into(), json!(wix_date(&self.updated)));
    }
}

const fn string_field(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Str,
        ops: STRING_OPS,
        sortable: true,
    }
}

/// An id or code: the strings' operators and ranges (docs/decisions.md item 11).
const fn id_field(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Str,
        ops: ID_OPS,
        sortable: true,
    }
}

const fn member_field(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Object,
        ops: MEMBER_OPS,
        sortable: true,
    }
}

const fn date_field(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Date,
        ops: DATE_OPS,
        sortable: true,
    }
}

pub(crate) const FRIEND_STATUSES: &[&str] = &["UNKNOWN", "SIGN_UP_COMPLETED", "ACTIONS_COMPLETED"];
pub(crate) const REWARD_TYPES: &[&str] = &["UNKNOWN", "COUPON", "LOYALTY_POINTS", "NOTHING"];
pub(crate) const EVENT_TYPES: &[&str] = &[
    "REFERRED_FRIEND_SIGNUP",
    "SUCCESSFUL_REFERRAL",
    "ACTION",
    "REWARD",
];

/// The program's successful-referral actions (the `ReferralAction` enum of the spec).
pub(crate) const ACTION_NAMES: &[&str] = &[
    "UNKNOWN",
    "STORE_ORDER_PLACED",
    "PLAN_ORDERED",
    "TICKET_ORDERED",
    "SESSION_BOOKED",
    "RESTAURANT_ORDER_PLACED",
    "ONLINE_PROGRAM_JOINED",
];

/// The app and activity that report each action of [`ACTION_NAMES`], in the same order, as the
/// loyalty APIs name them.
const TRIGGERS: &[(&str, &str)] = &[
    ("00000000-0000-0000-0000-000000000000", "unknown"),
    ("215238eb-22a5-4c36-9e7b-e7c08025e04e", "stores/OrderPaid"),
    (
        "1522827f-c56c-a5c9-2ac9-00f9e6ae12d3",
        "pricing-plans/OrderPaid",
    ),
    (
        "140603ad-af8d-84a5-2c80-a0f60cb47351",
        "events/TicketOrderPaid",
    ),
    (
        "13d21c63-b5ec-5912-8397-c3a5ddb27a97",
        "bookings/SessionBooked",
    ),
    (
        "9a5d83fd-8570-482e-81ab-cfa88942ee60",
        "restaurants/OrderPaid",
    ),
    (
        "2bef2abe-7abe-43ec-a8ec-d5d4e2ab7fd9",
        "online-programs/ParticipantJoined",
    ),
];

/// Index of an action name in [`ACTION_NAMES`].
pub(crate) fn action_index(name: &str) -> Option<u8> {
    ACTION_NAMES
        .iter()
        .position(|n| *n == name)
        .and_then(|i| u8::try_from(i).ok())
}

fn trigger_json(action: u8) -> Value {
    let (app_id, activity_type) = TRIGGERS
        .get(usize::from(action))
        .copied()
        .unwrap_or(TRIGGERS[0]);
    json!({"appId": app_id, "activityType": activity_type})
}

// ---------------------------------------------------------------------------------------------
// Referring customers

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Customer {
    pub meta: Meta,
    pub contact_id: Uuid,
    pub referral_code: String,
}

pub static CUSTOMER_SCHEMA: EntitySchema = EntitySchema {
    name: "referringCustomer",
    fields: &[
        id_field("contactId"),
        id_field("referralCode"),
        date_field("createdDate"),
        date_field("updatedDate"),
    ],
    default_sort: &[("createdDate", Order::Desc)],
    indexed: &["contactId", "referralCode"],
    departures: &[],
    aliases: &[],
};

impl Row for Customer {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "contactId" => id_value(&self.contact_id),
            "referralCode" => str_value(&self.referral_code),
            other => self.meta.meta_field(other),
        }
    }
    fn index_key(&self, field: &str) -> Option<IndexKey> {
        match field {
            "contactId" => Some(IndexKey::Id(self.contact_id)),
            "referralCode" => Some(IndexKey::Text(Cow::Owned(self.referral_code.clone()))),
            _ => None,
        }
    }
}

impl Customer {
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.meta.id));
        object.insert("contactId".into(), json!(self.contact_id));
        object.insert("referralCode".into(), json!(self.referral_code));
        self.meta.insert_json(&mut object);
        Value::Object(object)
    }
}

// ---------------------------------------------------------------------------------------------
// Referred friends

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FriendStatus {
    #[serde(rename = "SIGN_UP_COMPLETED")]
    SignUpCompleted,
    #[serde(rename = "ACTIONS_COMPLETED")]
    ActionsCompleted,
}

impl FriendStatus {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "SIGN_UP_COMPLETED" => Some(Self::SignUpCompleted),
            "ACTIONS_COMPLETED" => Some(Self::ActionsCompleted),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUpCompleted => "SIGN_UP_COMPLETED",
            Self::ActionsCompleted => "ACTIONS_COMPLETED",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Friend {
    pub meta: Meta,
    pub contact_id: Uuid,
    pub referring_customer_id: Uuid,
    pub status: FriendStatus,
}

pub static FRIEND_SCHEMA: EntitySchema = EntitySchema {
    name: "referredFriend",
    fields: &[
        id_field("referringCustomerId"),
        FieldSpec {
            name: "status",
            kind: FieldKind::Enum(FRIEND_STATUSES),
            ops: STRING_OPS,
            sortable: true,
        },
        date_field("createdDate"),
        date_field("updatedDate"),
    ],
    default_sort: &[("createdDate", Order::Desc)],
    // contactId is not filterable (not in the table) but indexed for Get By Contact.
    indexed: &["referringCustomerId", "contactId"],
    departures: &[Departure {
        field: id_field("contactId"),
        page: "the Query Referred Friend page's table of filters does not list contactId (Get Referred Friend By Contact reads one)",
    }],
    aliases: &[],
};

impl Row for Friend {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "referringCustomerId" => id_value(&self.referring_customer_id),
            "status" => str_value(self.status.as_str()),
            "contactId" => id_value(&self.contact_id),
            other => self.meta.meta_field(other),
        }
    }
    fn index_key(&self, field: &str) -> Option<IndexKey> {
        match field {
            "referringCustomerId" => Some(IndexKey::Id(self.referring_customer_id)),
            "contactId" => Some(IndexKey::Id(self.contact_id)),
            _ => None,
        }
    }
}

impl Friend {
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.meta.id));
        object.insert("contactId".into(), json!(self.contact_id));
        object.insert(
            "referringCustomerId".into(),
            json!(self.referring_customer_id),
        );
        object.insert("status".into(), json!(self.status.as_str()));
        self.meta.insert_json(&mut object);
        Value::Object(object)
    }
}

// ---------------------------------------------------------------------------------------------
// Rewards

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Receiver {
    Customer(Uuid),
    Friend(Uuid),
}

impl Receiver {
    fn json(&self) -> (&'static str, Uuid) {
        match self {
            Receiver::Customer(id) => ("rewardedReferringCustomerId", *id),
            Receiver::Friend(id) => ("rewardedReferredFriendId", *id),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Granted {
    /// `specification` is shared by every coupon granted under one program configuration.
    Coupon {
        id: Uuid,
        code: String,
        applied: bool,
        specification: Arc<Value>,
    },
    LoyaltyPoints {
        transaction_id: Uuid,
        amount: i64,
    },
}

impl Granted {
    pub fn reward_type(&self) -> &'static str {
        match self {
            Granted::Coupon { .. } => "COUPON",
            Granted::LoyaltyPoints { .. } => "LOYALTY_POINTS",
        }
    }

    fn insert_json(&self, object: &mut Map<String, Value>) {
        match self {
            Granted::Coupon {
                id,
                code,
                applied,
                specification,
            } => {
                let status = if *applied { "APPLIED" } else { "ACTIVE" };
                object.insert(
                    "coupon".into(),
                    json!({"id": id, "code": code, "status": status, "couponSpecification": specification}),
                );
            }
            Granted::LoyaltyPoints {
                transaction_id,
                amount,
            } => {
                object.insert(
                    "loyaltyPoints".into(),
                    json!({"transactionId": transaction_id, "amount": amount}),
                );
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reward {
    pub meta: Meta,
    pub receiver: Receiver,
    pub granted: Granted,
    /// The contact of the receiver, for `contactId` scoping of Query Referral Rewards.
    pub contact_id: Uuid,
}

pub(crate) static REWARD_SCHEMA: EntitySchema = EntitySchema {
    name: "referralReward",
    fields: &[
        id_field("rewardedReferringCustomerId"),
        id_field("rewardedReferredFriendId"),
        FieldSpec {
            name: "rewardType",
            kind: FieldKind::Enum(REWARD_TYPES),
            ops: ENUM_OPS,
            sortable: true,
        },
        date_field("createdDate"),
        date_field("updatedDate"),
    ],
    default_sort: &[("createdDate", Order::Desc)],
    indexed: &[
        "rewardedReferringCustomerId",
        "rewardedReferredFriendId",
        "contactId",
    ],
    departures: &[Departure {
        field: FieldSpec {
            name: "revision",
            kind: FieldKind::Number,
            ops: &[],
            sortable: true,
        },
        page: "the Referral Reward page's table of filters and sorting does not list revision",
    }],
    aliases: &[
        Alias {
            field: "rewardType",
            alias: "CouponReward",
            value: "COUPON",
            page: "the Referral Reward object's rewardType values are COUPON, LOYALTY_POINTS and NOTHING",
        },
        Alias {
            field: "rewardType",
            alias: "LoyaltyPointsReward",
            value: "LOYALTY_POINTS",
            page: "the Referral Reward object's rewardType values are COUPON, LOYALTY_POINTS and NOTHING",
        },
    ],
};

impl Row for Reward {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match (name, self.receiver) {
            ("rewardedReferringCustomerId", Receiver::Customer(id)) => id_value(&id),
            ("rewardedReferredFriendId", Receiver::Friend(id)) => id_value(&id),
            ("rewardType", _) => str_value(self.granted.reward_type()),
            ("contactId", _) => id_value(&self.contact_id),
            (other, _) => self.meta.meta_field(other),
        }
    }
    fn index_key(&self, field: &str) -> Option<IndexKey> {
        match (field, self.receiver) {
            ("rewardedReferringCustomerId", Receiver::Customer(id)) => Some(IndexKey::Id(id)),
            ("rewardedReferredFriendId", Receiver::Friend(id)) => Some(IndexKey::Id(id)),
            ("contactId", _) => Some(IndexKey::Id(self.contact_id)),
            _ => None,
        }
    }
}

impl Reward {
    pub fn to_json(&self) -> Value {
        let (receiver_field, receiver_id) = self.receiver.json();
        let mut object = Map::new();
        object.insert("id".into(), json!(self.meta.id));
        self.meta.insert_json(&mut object);
        object.insert("rewardType".into(), json!(self.granted.reward_type()));
        object.insert(receiver_field.into(), json!(receiver_id));
        self.granted.insert_json(&mut object);
        Value::Object(object)
    }
}

// ---------------------------------------------------------------------------------------------
// Referral events

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum EventKind {
    Signup {
        friend: Uuid,
    },
    Successful {
        friend: Uuid,
        customer: Uuid,
    },
    Action {
        friend: Uuid,
        customer: Uuid,
        /// Index in [`ACTION_NAMES`].
        action: u8,
        amount_cents: i64,
        currency: Option<String>,
        order_id: Option<String>,
    },
    Reward {
        receiver: Receiver,
        reward: Uuid,
        coupon: bool,
    },
}

impl EventKind {
    pub fn event_type(&self) -> &'static str {
        match self {
            EventKind::Signup { .. } => "REFERRED_FRIEND_SIGNUP",
            EventKind::Successful { .. } => "SUCCESSFUL_REFERRAL",
            EventKind::Action { .. } => "ACTION",
            EventKind::Reward { .. } => "REWARD",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub meta: Meta,
    pub kind: EventKind,
}

/// The one-of members of an event, in the order of [`EVENT_TYPES`].
pub(crate) const EVENT_MEMBERS: &[&str] = &[
    "referredFriendSignupEvent",
    "successfulReferralEvent",
    "actionEvent",
    "rewardEvent",
];

pub(crate) static EVENT_SCHEMA: EntitySchema = EntitySchema {
    name: "referralEvent",
    fields: &[
        member_field("referredFriendSignupEvent"),
        member_field("successfulReferralEvent"),
        member_field("actionEvent"),
        member_field("rewardEvent"),
        // The emulator's own shorthand for "which member" (docs/decisions.md item 11).
        FieldSpec {
            name: "eventType",
            kind: FieldKind::Enum(EVENT_TYPES),
            ops: STRING_OPS,
            sortable: true,
        },
        date_field("createdDate"),
        date_field("updatedDate"),
    ],
    default_sort: &[("createdDate", Order::Desc)],
    indexed: &["eventType"],
    departures: &[],
    aliases: &[],
};

impl Row for Event {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "eventType" => str_value(self.kind.event_type()),
            member if EVENT_MEMBERS.contains(&member) => {
                let (own, body) = self.kind.member();
                (own == member).then(|| FieldValue::Str(canonical_json(&body)))
            }
            other => self.meta.meta_field(other),
        }
    }
    fn has_field(&self, name: &str) -> bool {
        match name {
            member if EVENT_MEMBERS.contains(&member) => self.kind.member_name() == member,
            other => self.field(other).is_some(),
        }
    }
    fn index_key(&self, field: &str) -> Option<IndexKey> {
        (field == "eventType").then(|| IndexKey::Text(Cow::Borrowed(self.kind.event_type())))
    }
}

impl EventKind {
    /// The name of the one-of member this kind fills.
    pub fn member_name(&self) -> &'static str {
        match self {
            EventKind::Signup { .. } => EVENT_MEMBERS[0],
            EventKind::Successful { .. } => EVENT_MEMBERS[1],
            EventKind::Action { .. } => EVENT_MEMBERS[2],
            EventKind::Reward { .. } => EVENT_MEMBERS[3],
        }
    }

    /// The one-of member: its name and its JSON.
    pub fn member(&self) -> (&'static str, Value) {
        let body = match self {
            EventKind::Signup { friend } => json!({"referredFriendId": friend}),
            EventKind::Successful { friend, customer } => {
                json!({"referredFriendId": friend, "referringCustomerId": customer})
            }
            EventKind::Action {
                friend,
                customer,
                action,
                amount_cents,
                currency,
                order_id,
            } => json!({
                "referredFriendId": friend,
                "referringCustomerId": customer,
                "trigger": trigger_json(*action),
                "amount": money(*amount_cents),
                "currency": currency,
                "orderId": order_id,
            }),
            EventKind::Reward {
                receiver,
                reward,
                coupon,
            } => {
                let (field, id) = receiver.json();
                let reward_type = if *coupon { "COUPON" } else { "LOYALTY_POINTS" };
                json!({field: id, "referralRewardId": reward, "rewardType": reward_type})
            }
        };
        (self.member_name(), body)
    }
}

impl Event {
    pub fn to_json(&self) -> Value {
        let (name, body) = self.kind.member();
        let mut object = Map::new();
        object.insert("id".into(), json!(self.meta.id));
        self.meta.insert_json(&mut object);
        object.insert(name.into(), body);
        Value::Object(object)
    }
}

// ---------------------------------------------------------------------------------------------
// Tracker aggregates: no filter table is documented, so these are this project's (README).

/// Totals of one referring customer, kept up to date as events happen.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CustomerTotals {
    pub referring_customer_id: Uuid,
    pub contact_id: Uuid,
    pub last_successful_referral: Option<DateTime<Utc>>,
    pub total_successful_referrals: i64,
    pub amount_cents: i64,
    pub last_friend_action: Option<DateTime<Utc>>,
    pub total_friends_with_actions: i64,
}

pub(crate) static TOTALS_SCHEMA: EntitySchema = EntitySchema {
    name: "referringCustomerTotal",
    fields: &[
        string_field("referringCustomerId"),
        string_field("contactId"),
        FieldSpec {
            name: "totalSuccessfulReferrals",
            kind: FieldKind::Number,
            ops: NUMBER_OPS,
            sortable: true,
        },
        FieldSpec {
            name: "totalFriendsWithActions",
            kind: FieldKind::Number,
            ops: NUMBER_OPS,
            sortable: true,
        },
        date_field("lastSuccessfulReferral"),
        date_field("lastFriendAction"),
    ],
    default_sort: &[("totalSuccessfulReferrals", Order::Desc)],
    indexed: &["referringCustomerId", "contactId"],
    departures: &[],
    aliases: &[],
};

impl Row for CustomerTotals {
    fn id(&self) -> Uuid {
        self.referring_customer_id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "referringCustomerId" => id_value(&self.referring_customer_id),
            "contactId" => id_value(&self.contact_id),
            "totalSuccessfulReferrals" => Some(FieldValue::Number(self.total_successful_referrals)),
            "totalFriendsWithActions" => Some(FieldValue::Number(self.total_friends_with_actions)),
            "lastSuccessfulReferral" => self.last_successful_referral.as_ref().and_then(date_value),
            "lastFriendAction" => self.last_friend_action.as_ref().and_then(date_value),
            _ => None,
        }
    }
    fn index_key(&self, field: &str) -> Option<IndexKey> {
        match field {
            "referringCustomerId" => Some(IndexKey::Id(self.referring_customer_id)),
            "contactId" => Some(IndexKey::Id(self.contact_id)),
            _ => None,
        }
    }
}

impl CustomerTotals {
    pub fn to_json(&self) -> Value {
        json!({
            "referringCustomerId": self.referring_customer_id,
            "contactId": self.contact_id,
            "lastSuccessfulReferral": self.last_successful_referral.as_ref().map(wix_date),
            "totalSuccessfulReferrals": self.total_successful_referrals,
            "totalAmountGenerated": money(self.amount_cents),
            "lastFriendAction": self.last_friend_action.as_ref().map(wix_date),
            "totalFriendsWithActions": self.total_friends_with_actions,
        })
    }
}

/// Actions of one referred friend, kept up to date as events happen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FriendActions {
    pub referred_friend_id: Uuid,
    pub contact_id: Uuid,
    pub signup_date: DateTime<Utc>,
    /// Date and [`ACTION_NAMES`] index of the first action.
    pub first_action: Option<(DateTime<Utc>, u8)>,
    pub total_actions: i64,
    pub amount_cents: i64,
    /// The reward the friend received, if any.
    pub reward: Option<Granted>,
    /// When the friend's first successful referral action happened (it happens once).
    #[serde(default)]
    pub successful_at: Option<DateTime<Utc>>,
    /// The order ids of the friend's actions: an order told twice is recorded once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_ids: Vec<String>,
}

impl FriendActions {
    pub fn new(referred_friend_id: Uuid, contact_id: Uuid, signup_date: DateTime<Utc>) -> Self {
        Self {
            referred_friend_id,
            contact_id,
            signup_date,
            first_action: None,
            total_actions: 0,
            amount_cents: 0,
            reward: None,
            successful_at: None,
            order_ids: Vec::new(),
        }
    }
}

pub(crate) static FRIEND_ACTIONS_SCHEMA: EntitySchema = EntitySchema {
    name: "referredFriendAction",
    fields: &[
        string_field("referredFriendId"),
        string_field("contactId"),
        FieldSpec {
            name: "totalActions",
            kind: FieldKind::Number,
            ops: NUMBER_OPS,
            sortable: true,
        },
        FieldSpec {
            name: "rewardType",
            kind: FieldKind::Enum(REWARD_TYPES),
            ops: ENUM_OPS,
            sortable: true,
        },
        date_field("actionDate"),
        date_field("signupDate"),
    ],
    default_sort: &[("signupDate", Order::Desc)],
    indexed: &["referredFriendId", "contactId"],
    departures: &[],
    aliases: &[],
};

impl Row for FriendActions {
    fn id(&self) -> Uuid {
        self.referred_friend_id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "referredFriendId" => id_value(&self.referred_friend_id),
            "contactId" => id_value(&self.contact_id),
            "totalActions" => Some(FieldValue::Number(self.total_actions)),
            "rewardType" => str_value(self.reward.as_ref().map_or("NOTHING", Granted::reward_type)),
            "actionDate" => self.first_action.as_ref().and_then(|(d, _)| date_value(d)),
            "signupDate" => date_value(&self.signup_date),
            _ => None,
        }
    }
    fn index_key(&self, field: &str) -> Option<IndexKey> {
        match field {
            "referredFriendId" => Some(IndexKey::Id(self.referred_friend_id)),
            "contactId" => Some(IndexKey::Id(self.contact_id)),
            _ => None,
        }
    }
}

impl FriendActions {
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("referredFriendId".into(), json!(self.referred_friend_id));
        object.insert("contactId".into(), json!(self.contact_id));
        if let Some((date, action)) = &self.first_action {
            object.insert("actionDate".into(), json!(wix_date(date)));
            object.insert("trigger".into(), trigger_json(*action));
        }
        object.insert("signupDate".into(), json!(wix_date(&self.signup_date)));
        object.insert("totalActions".into(), json!(self.total_actions));
        object.insert("totalAmountSpent".into(), json!(money(self.amount_cents)));
        let reward_type = self.reward.as_ref().map_or("NOTHING", Granted::reward_type);
        object.insert("rewardType".into(), json!(reward_type));
        if let Some(granted) = &self.reward {
            granted.insert_json(&mut object);
        }
        Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_places() {
        for (cents, text) in [(0, "0.00"), (5, "0.05"), (81500, "815.00"), (-125, "-1.25")] {
            assert_eq!(money(cents), text);
        }
    }

    #[test]
    fn index_keys_parse_ids_as_ids() {
        let id = Uuid::new_v4();
        assert_eq!(IndexKey::parse(&id.to_string()), IndexKey::Id(id));
        assert_eq!(
            IndexKey::parse("9zb9JvjwrvQF"),
            IndexKey::Text(Cow::Borrowed("9zb9JvjwrvQF"))
        );
    }

    #[test]
    fn every_action_has_its_trigger() {
        assert_eq!(ACTION_NAMES.len(), TRIGGERS.len());
        for (i, name) in ACTION_NAMES.iter().enumerate() {
            assert_eq!(action_index(name).map(usize::from), Some(i));
            let (app, activity) = TRIGGERS[i];
            assert!(Uuid::parse_str(app).is_ok(), "{name}");
            assert!(i == 0 || activity.contains('/'), "{name}");
        }
        assert_eq!(action_index("BUY_CAR"), None);
    }
}
