//! The stored entities, their JSON as Wix sends it, and their query schemas (referral-api.md §7.3).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::query::{
    DATE_OPS, ENUM_OPS, EntitySchema, FieldKind, FieldSpec, FieldValue, NUMBER_OPS, Order, Row,
    STRING_OPS,
};

/// RFC 3339 with milliseconds and `Z`, as Wix writes dates.
pub fn wix_date(date: &DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
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

    fn date_field(&self, name: &str) -> Option<Option<FieldValue>> {
        match name {
            "createdDate" => Some(date_value(&self.created)),
            "updatedDate" => Some(date_value(&self.updated)),
            _ => None,
        }
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

const fn date_field(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Date,
        ops: DATE_OPS,
        sortable: true,
    }
}

pub const FRIEND_STATUSES: &[&str] = &["UNKNOWN", "SIGN_UP_COMPLETED", "ACTIONS_COMPLETED"];
pub const REWARD_TYPES: &[&str] = &["UNKNOWN", "COUPON", "LOYALTY_POINTS", "NOTHING"];
pub const EVENT_TYPES: &[&str] = &[
    "REFERRED_FRIEND_SIGNUP",
    "SUCCESSFUL_REFERRAL",
    "ACTION",
    "REWARD",
];

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
        string_field("contactId"),
        string_field("referralCode"),
        date_field("createdDate"),
        date_field("updatedDate"),
    ],
    default_sort: &[("createdDate", Order::Desc)],
    indexed: &["contactId", "referralCode"],
};

impl Row for Customer {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "contactId" => id_value(&self.contact_id),
            "referralCode" => str_value(&self.referral_code),
            other => self.meta.date_field(other).flatten(),
        }
    }
}

impl Customer {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.meta.id,
            "contactId": self.contact_id,
            "referralCode": self.referral_code,
            "revision": self.meta.revision.to_string(),
            "createdDate": wix_date(&self.meta.created),
            "updatedDate": wix_date(&self.meta.updated),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Referred friends

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Friend {
    pub meta: Meta,
    pub contact_id: Uuid,
    pub referring_customer_id: Uuid,
    pub status: String,
}

pub static FRIEND_SCHEMA: EntitySchema = EntitySchema {
    name: "referredFriend",
    fields: &[
        string_field("referringCustomerId"),
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
    indexed: &["referringCustomerId", "contactId"],
};

impl Row for Friend {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "referringCustomerId" => id_value(&self.referring_customer_id),
            "status" => str_value(&self.status),
            // Not filterable (not in the table) but indexed for Get By Contact.
            "contactId" => id_value(&self.contact_id),
            other => self.meta.date_field(other).flatten(),
        }
    }
}

impl Friend {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.meta.id,
            "contactId": self.contact_id,
            "referringCustomerId": self.referring_customer_id,
            "status": self.status,
            "revision": self.meta.revision.to_string(),
            "createdDate": wix_date(&self.meta.created),
            "updatedDate": wix_date(&self.meta.updated),
        })
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
    Coupon {
        id: Uuid,
        code: String,
        status: String,
        specification: Value,
    },
    LoyaltyPoints {
        transaction_id: String,
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

    fn insert_json(&self, object: &mut serde_json::Map<String, Value>) {
        match self {
            Granted::Coupon {
                id,
                code,
                status,
                specification,
            } => {
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

pub static REWARD_SCHEMA: EntitySchema = EntitySchema {
    name: "referralReward",
    fields: &[
        FieldSpec {
            name: "rewardedReferringCustomerId",
            kind: FieldKind::Str,
            ops: STRING_OPS,
            sortable: true,
        },
        FieldSpec {
            name: "rewardedReferredFriendId",
            kind: FieldKind::Str,
            ops: STRING_OPS,
            sortable: true,
        },
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
            (other, _) => self.meta.date_field(other).flatten(),
        }
    }
}

impl Reward {
    pub fn to_json(&self) -> Value {
        let (receiver_field, receiver_id) = self.receiver.json();
        let mut object = serde_json::Map::new();
        object.insert("id".into(), json!(self.meta.id));
        object.insert("revision".into(), json!(self.meta.revision.to_string()));
        object.insert("createdDate".into(), json!(wix_date(&self.meta.created)));
        object.insert("updatedDate".into(), json!(wix_date(&self.meta.updated)));
        object.insert("rewardType".into(), json!(self.granted.reward_type()));
        object.insert(receiver_field.into(), json!(receiver_id));
        self.granted.insert_json(&mut object);
        Value::Object(object)
    }
}

// ---------------------------------------------------------------------------------------------
// Referral events

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trigger {
    pub app_id: String,
    pub activity_type: String,
}

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
        trigger: Trigger,
        amount: Option<String>,
        currency: Option<String>,
        order_id: Option<String>,
    },
    Reward {
        receiver: Receiver,
        reward: Uuid,
        reward_type: String,
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

pub static EVENT_SCHEMA: EntitySchema = EntitySchema {
    name: "referralEvent",
    fields: &[
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
};

impl Row for Event {
    fn id(&self) -> Uuid {
        self.meta.id
    }
    fn field(&self, name: &str) -> Option<FieldValue> {
        match name {
            "eventType" => str_value(self.kind.event_type()),
            other => self.meta.date_field(other).flatten(),
        }
    }
}

impl Event {
    pub fn to_json(&self) -> Value {
        let body = match &self.kind {
            EventKind::Signup { friend } => (
                "referredFriendSignupEvent",
                json!({"referredFriendId": friend}),
            ),
            EventKind::Successful { friend, customer } => (
                "successfulReferralEvent",
                json!({"referredFriendId": friend, "referringCustomerId": customer}),
            ),
            EventKind::Action {
                friend,
                customer,
                trigger,
                amount,
                currency,
                order_id,
            } => (
                "actionEvent",
                json!({
                    "referredFriendId": friend,
                    "referringCustomerId": customer,
                    "trigger": {"appId": trigger.app_id, "activityType": trigger.activity_type},
                    "amount": amount,
                    "currency": currency,
                    "orderId": order_id,
                }),
            ),
            EventKind::Reward {
                receiver,
                reward,
                reward_type,
            } => {
                let (field, id) = receiver.json();
                (
                    "rewardEvent",
                    json!({field: id, "referralRewardId": reward, "rewardType": reward_type}),
                )
            }
        };
        json!({
            "id": self.meta.id,
            "revision": self.meta.revision.to_string(),
            "createdDate": wix_date(&self.meta.created),
            "updatedDate": wix_date(&self.meta.updated),
            body.0: body.1,
        })
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

pub static TOTALS_SCHEMA: EntitySchema = EntitySchema {
    name: "referringCustomerTotal",
    fields: &[
        FieldSpec {
            name: "referringCustomerId",
            kind: FieldKind::Str,
            ops: STRING_OPS,
            sortable: true,
        },
        FieldSpec {
            name: "contactId",
            kind: FieldKind::Str,
            ops: STRING_OPS,
            sortable: true,
        },
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
}

/// `"815.00"` from 81500 cents.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
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
    pub first_action: Option<(DateTime<Utc>, Trigger)>,
    pub total_actions: i64,
    pub amount_cents: i64,
    /// The reward the friend received, if any.
    pub reward: Option<Granted>,
    /// When the friend's first successful referral action happened (it happens once).
    #[serde(default)]
    pub successful_at: Option<DateTime<Utc>>,
}

pub static FRIEND_ACTIONS_SCHEMA: EntitySchema = EntitySchema {
    name: "referredFriendAction",
    fields: &[
        FieldSpec {
            name: "referredFriendId",
            kind: FieldKind::Str,
            ops: STRING_OPS,
            sortable: true,
        },
        FieldSpec {
            name: "contactId",
            kind: FieldKind::Str,
            ops: STRING_OPS,
            sortable: true,
        },
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
}

impl FriendActions {
    pub fn to_json(&self) -> Value {
        let mut object = serde_json::Map::new();
        object.insert("referredFriendId".into(), json!(self.referred_friend_id));
        object.insert("contactId".into(), json!(self.contact_id));
        if let Some((date, trigger)) = &self.first_action {
            object.insert("actionDate".into(), json!(wix_date(date)));
            object.insert(
                "trigger".into(),
                json!({"appId": trigger.app_id, "activityType": trigger.activity_type}),
            );
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
    use super::money;

    #[test]
    fn money_has_two_places() {
        for (cents, text) in [(0, "0.00"), (5, "0.05"), (81500, "815.00"), (-125, "-1.25")] {
            assert_eq!(money(cents), text);
        }
    }
}
