//! Typed queries in the Wix query language. Each queryable entity has a module
//! ([`customers`], [`friends`], [`rewards`], [`events`], [`totals`], [`friend_actions`]) whose
//! field functions offer exactly the operators of that entity's filter table (docs/referral-api.md
//! §7.3, docs/decisions.md items 11 and 26); everything there is sortable. A misuse does not compile:
//!
//! ```
//! use referral_domain::query::friends;
//! let q = friends::query()
//!     .filter(friends::status().starts_with("SIGN").and(friends::created_date().exists(true)))
//!     .sort(friends::created_date().desc())
//!     .page_size(100);
//! ```
//!
//! ```compile_fail,E0277
//! use referral_domain::query::friends;
//! // `createdDate` has no `$startsWith` in the Wix table.
//! let f = friends::created_date().starts_with("2024");
//! ```
//!
//! ```compile_fail,E0277
//! use referral_domain::query::rewards;
//! // `rewardType` takes no comparisons.
//! let f = rewards::reward_type().gt(referral_domain::RewardType::Coupon);
//! ```
//!
//! ```compile_fail,E0277
//! use referral_domain::query::totals;
//! // Number fields take no `$hasSome`.
//! let f = totals::total_successful_referrals().has_some([1i64]);
//! ```
//!
//! ```compile_fail,E0277
//! use referral_domain::query::friends;
//! // No page lists ranges on a status (ids and codes take them: `referring_customer_id().gt(..)`).
//! let f = friends::status().gt(referral_domain::FriendStatus::SignUpCompleted);
//! ```
//!
//! ```compile_fail,E0277
//! use referral_domain::query::events;
//! // No page lists `$nin` for an event's one-of members.
//! let f = events::reward_event().nin([referral_domain::api::types::RewardEvent::default()]);
//! ```
//!
//! ```compile_fail,E0277
//! use referral_domain::query::events;
//! // Members are objects: no prefix search.
//! let f = events::action_event().starts_with("a");
//! ```
//!
//! ```compile_fail,E0599
//! use referral_domain::query::events;
//! // An event's kind is a test of its member, not a sortable field.
//! let s = events::event_type().asc();
//! ```
//!
//! What the newest method pages add compiles:
//!
//! ```
//! use referral_domain::query::{customers, events, rewards};
//! use referral_domain::{EventType, ReferralCode, ReferredFriendId};
//! let code = ReferralCode::parse("AAAAAAAAAAAA").unwrap();
//! let friend = ReferredFriendId::parse("11111111-2222-4333-8444-555555555555").unwrap();
//! let c = customers::query().filter(customers::referral_code().gte(code));
//! let r = rewards::query().filter(rewards::rewarded_referred_friend_id().lt(friend));
//! let e = events::query()
//!     .filter(events::reward_event().exists(true).or(events::event_type().eq(EventType::Action)))
//!     .sort(events::action_event().desc());
//! ```
//!
//! ```compile_fail,E0308
//! use referral_domain::query::{customers, friends};
//! // Entities do not mix: a friends filter in a customers query.
//! let q = customers::query().filter(friends::created_date().exists(true));
//! ```
//!
//! The raw JSON stays available for what the typed layer does not cover: [`Filter::raw`] and
//! [`Query::raw_sort`].

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, SecondsFormat, Utc};
use referral_api::types as api;
use serde_json::{Map, Value, json};

use crate::enums::OpenEnum;
use crate::error::InvalidInput;
use crate::ids::Cursor;

mod entities;
pub use entities::*;

/// The largest page Wix serves (docs/decisions.md item 10). Not documented by Wix: 100 is what
/// its other APIs allow, and what the emulator enforces.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A queryable entity (a marker type).
pub trait Entity: Send + Sync + 'static {
    /// The entity's name, for messages.
    const NAME: &'static str;
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

impl SortOrder {
    fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }
}

/// A query of entity `E`: filter, sort, page size, and the cursor of the page to fetch. A query
/// with a cursor sends only the cursor and the page size: the cursor carries the rest.
pub struct Query<E> {
    filter: Option<Value>,
    sort: Vec<(String, SortOrder)>,
    limit: Option<u32>,
    cursor: Option<Cursor>,
    contacts: Vec<crate::ContactId>,
    stream_limits: crate::paging::StreamLimits,
    entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Query<E> {
    fn clone(&self) -> Self {
        Self {
            filter: self.filter.clone(),
            sort: self.sort.clone(),
            limit: self.limit,
            cursor: self.cursor.clone(),
            contacts: self.contacts.clone(),
            stream_limits: self.stream_limits.clone(),
            entity: PhantomData,
        }
    }
}

impl<E> PartialEq for Query<E> {
    fn eq(&self, other: &Self) -> bool {
        self.filter == other.filter
            && self.sort == other.sort
            && self.limit == other.limit
            && self.cursor == other.cursor
            && self.contacts == other.contacts
            && self.stream_limits == other.stream_limits
    }
}

impl<E: Entity> fmt::Debug for Query<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Query<{}>({})", E::NAME, self.to_json())
    }
}

impl<E: Entity> Default for Query<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Entity> Query<E> {
    /// Everything, in the entity's default order, 50 per page.
    pub fn new() -> Self {
        Self {
            filter: None,
            sort: Vec::new(),
            limit: None,
            cursor: None,
            contacts: Vec::new(),
            stream_limits: crate::paging::StreamLimits::default(),
            entity: PhantomData,
        }
    }

    /// How far a stream of this query may go ([`crate::StreamLimits`]; client-side only, never
    /// sent).
    pub fn stream_limits(mut self, limits: crate::paging::StreamLimits) -> Self {
        self.stream_limits = limits;
        self
    }

    /// The limits a stream of this query keeps to.
    pub fn limits(&self) -> &crate::paging::StreamLimits {
        &self.stream_limits
    }

    /// Adds a filter; several are combined with `$and`.
    pub fn filter(mut self, filter: Filter<E>) -> Self {
        self.filter = Some(match self.filter.take() {
            None => filter.json,
            // A second `.filter` joins the `$and` the first pair made, rather than nesting.
            Some(Value::Object(mut and)) if and.len() == 1 && and.contains_key("$and") => {
                if let Some(Value::Array(clauses)) = and.get_mut("$and") {
                    clauses.push(filter.json);
                }
                Value::Object(and)
            }
            Some(existing) => json!({"$and": [existing, filter.json]}),
        });
        self
    }

    /// Adds a sort key; keys apply in order. `id` breaks ties on the server.
    pub fn sort(mut self, sort: Sort<E>) -> Self {
        self.sort.push((sort.field.to_owned(), sort.order));
        self
    }

    /// Sorts by a field the typed layer does not know (checked only by the server).
    pub fn raw_sort(mut self, field: impl Into<String>, order: SortOrder) -> Self {
        self.sort.push((field.into(), order));
        self
    }

    /// Items per page, 1 to 100 (checked before sending); 50 when unset.
    pub fn page_size(mut self, size: u32) -> Self {
        self.limit = Some(size);
        self
    }

    /// The page that `cursor` points to (from an earlier page's [`crate::Page::next_cursor`]).
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.cursor = Some(cursor);
        self
    }

    /// The cursor the query resumes at, if any.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }

    /// The page size, if set (the server's default otherwise: 50).
    pub fn limit(&self) -> Option<u32> {
        self.limit
    }

    pub(crate) fn contacts(&self) -> &[crate::ContactId] {
        &self.contacts
    }

    pub(crate) fn with_contacts(mut self, contacts: Vec<crate::ContactId>) -> Self {
        self.contacts = contacts;
        self
    }

    /// The `query` object as it is sent.
    pub fn to_json(&self) -> Value {
        let mut query = Map::new();
        if self.cursor.is_none() {
            if let Some(filter) = &self.filter {
                query.insert("filter".into(), filter.clone());
            }
            if !self.sort.is_empty() {
                let sort = self
                    .sort
                    .iter()
                    .map(|(field, order)| json!({"fieldName": field, "order": order.as_str()}))
                    .collect();
                query.insert("sort".into(), Value::Array(sort));
            }
        }
        let mut paging = Map::new();
        if let Some(limit) = self.limit {
            paging.insert("limit".into(), limit.into());
        }
        if let Some(cursor) = &self.cursor {
            paging.insert("cursor".into(), cursor.as_str().into());
        }
        if !paging.is_empty() {
            query.insert("cursorPaging".into(), Value::Object(paging));
        }
        Value::Object(query)
    }

    /// The generated request type, after the input rules.
    pub(crate) fn to_wire(&self) -> Result<api::CursorQuery, InvalidInput> {
        if let Some(limit) = self.limit
            && !(1..=MAX_PAGE_SIZE).contains(&limit)
        {
            return Err(InvalidInput::new(
                "query.cursorPaging.limit",
                format!("must be 1 to {MAX_PAGE_SIZE}, got {limit}"),
            ));
        }
        if self.cursor.as_ref().is_some_and(|c| c.as_str().is_empty()) {
            // An empty cursor would quietly mean "the first page" to a server.
            return Err(InvalidInput::new(
                "query.cursorPaging.cursor",
                "empty: pass the `next_cursor` of an earlier page",
            ));
        }
        serde_json::from_value(self.to_json())
            .map_err(|e| InvalidInput::new("query", e.to_string()))
    }
}

/// A filter on entity `E`, built from its fields; combine with [`Filter::and`], [`Filter::or`]
/// and [`Filter::not`].
pub struct Filter<E> {
    json: Value,
    entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Filter<E> {
    fn clone(&self) -> Self {
        Self::from_json(self.json.clone())
    }
}

impl<E> PartialEq for Filter<E> {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl<E: Entity> fmt::Debug for Filter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Filter<{}>({})", E::NAME, self.json)
    }
}

impl<E> Filter<E> {
    fn from_json(json: Value) -> Self {
        Self {
            json,
            entity: PhantomData,
        }
    }

    /// A filter in raw Wix JSON, for what the typed fields do not cover (checked only by the
    /// server).
    pub fn raw(json: Value) -> Self {
        Self::from_json(json)
    }

    /// This filter and `other` (`$and`).
    pub fn and(self, other: Filter<E>) -> Self {
        Self::from_json(json!({"$and": [self.json, other.json]}))
    }

    /// This filter or `other` (`$or`).
    pub fn or(self, other: Filter<E>) -> Self {
        Self::from_json(json!({"$or": [self.json, other.json]}))
    }

    /// Everything this filter does not match (`$not`).
    #[allow(clippy::should_implement_trait)] // `!filter` would read worse than `.not()` here
    pub fn not(self) -> Self {
        Self::from_json(json!({"$not": self.json}))
    }

    /// All of `filters` (`$and`).
    pub fn all(filters: impl IntoIterator<Item = Filter<E>>) -> Self {
        Self::from_json(json!({"$and": filters.into_iter().map(|f| f.json).collect::<Vec<_>>()}))
    }

    /// Any of `filters` (`$or`).
    pub fn any(filters: impl IntoIterator<Item = Filter<E>>) -> Self {
        Self::from_json(json!({"$or": filters.into_iter().map(|f| f.json).collect::<Vec<_>>()}))
    }

    /// The filter as the query language's JSON.
    pub fn to_json(&self) -> &Value {
        &self.json
    }
}

/// A sort key of entity `E`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort<E> {
    field: &'static str,
    order: SortOrder,
    entity: PhantomData<fn() -> E>,
}

/// A value a filter compares a field with.
pub trait FilterValue {
    /// The value as the query language's JSON.
    fn to_filter_json(&self) -> Value;
}

macro_rules! string_filter_values {
    ($($ty:ty),*) => {$(
        impl FilterValue for $ty {
            fn to_filter_json(&self) -> Value {
                Value::String(self.as_str().to_owned())
            }
        }
    )*};
}
string_filter_values!(
    crate::ContactId,
    crate::ReferringCustomerId,
    crate::ReferredFriendId,
    crate::ReferralCode
);

macro_rules! enum_filter_values {
    ($($ty:ty),*) => {$(
        impl FilterValue for $ty {
            fn to_filter_json(&self) -> Value {
                Value::String(OpenEnum::as_str(self).to_owned())
            }
        }
    )*};
}
enum_filter_values!(crate::FriendStatus, crate::RewardType);

impl FilterValue for DateTime<Utc> {
    fn to_filter_json(&self) -> Value {
        Value::String(self.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl FilterValue for i64 {
    fn to_filter_json(&self) -> Value {
        Value::from(*self)
    }
}

/// Member values of a referral event: the generated wire types, compared by the server as whole
/// objects (docs/decisions.md item 11).
macro_rules! member_filter_values {
    ($($ty:ty),*) => {$(
        impl FilterValue for $ty {
            fn to_filter_json(&self) -> Value {
                serde_json::to_value(self).unwrap_or(Value::Null)
            }
        }
    )*};
}
member_filter_values!(
    api::ReferredFriendSignupEvent,
    api::SuccessfulReferralEvent,
    api::ActionEvent,
    api::RewardEvent
);

/// The operator sets of the Wix filter tables. A field's set decides which operator methods
/// compile for it. Each set is the union of what the Wix pages list for such a field
/// (docs/decisions.md item 11): the older filter-and-sort pages (which list `$nin`, and
/// `$startsWith` on statuses) and the newest method pages (which list no `$nin` and add ranges on
/// ids and codes). An operator only one kind of page lists may be refused by the live API.
pub mod ops {
    /// Ids and referral codes: `$eq $ne $in $nin $exists $hasSome $startsWith $lt $lte $gt $gte`
    /// (the ranges from the newest method pages, `$nin` from the older ones; compared as strings).
    #[derive(Debug)]
    pub struct IdField;
    /// Statuses: `$eq $ne $in $nin $exists $hasSome $startsWith` (`$nin` and `$startsWith` from the
    /// older pages only).
    #[derive(Debug)]
    pub struct TextField;
    /// Enums without prefix search (`rewardType`): `$eq $ne $in $nin $exists $hasSome` (`$nin`
    /// from the older pages only).
    #[derive(Debug)]
    pub struct ChoiceField;
    /// Dates: `$eq $ne $in $nin $exists $hasSome $lt $lte $gt $gte`.
    #[derive(Debug)]
    pub struct DateField;
    /// Counts: `$eq $ne $in $nin $exists $lt $lte $gt $gte`.
    #[derive(Debug)]
    pub struct NumberField;
    /// A referral event's one-of member: `$eq $ne $exists $in $hasSome` (Query Referral Event's
    /// REST page), the value a whole member object.
    #[derive(Debug)]
    pub struct MemberField;

    /// Fields whose table lists `$startsWith`.
    #[diagnostic::on_unimplemented(
        message = "`$startsWith` is not in the Wix filter table for a `{Self}`",
        label = "this field takes no prefix search",
        note = "only ids, codes and statuses take `starts_with` (docs/referral-api.md §7.3)"
    )]
    pub trait StartsWith {}
    impl StartsWith for IdField {}
    impl StartsWith for TextField {}

    /// Fields whose table lists `$lt $lte $gt $gte`.
    #[diagnostic::on_unimplemented(
        message = "comparisons (`$lt`, `$lte`, `$gt`, `$gte`) are not in the Wix filter table for a `{Self}`",
        label = "this field cannot be compared",
        note = "only ids, codes, dates and counts take `lt`, `lte`, `gt` and `gte` (docs/referral-api.md §7.3, §12)"
    )]
    pub trait Compare {}
    impl Compare for IdField {}
    impl Compare for DateField {}
    impl Compare for NumberField {}

    /// Fields whose table lists `$hasSome`.
    #[diagnostic::on_unimplemented(
        message = "`$hasSome` is not in the Wix filter table for a `{Self}`",
        label = "this field takes no `$hasSome`",
        note = "count fields take `in_` instead"
    )]
    pub trait HasSome {}
    impl HasSome for IdField {}
    impl HasSome for TextField {}
    impl HasSome for ChoiceField {}
    impl HasSome for DateField {}
    impl HasSome for MemberField {}

    /// Fields whose table lists `$nin` (only the older filter-and-sort pages list it).
    #[diagnostic::on_unimplemented(
        message = "`$nin` is not in the Wix filter table for a `{Self}`",
        label = "this field takes no `$nin`",
        note = "no page lists `$nin` for an event's one-of members: use `ne`, or `in_(..).not()`"
    )]
    pub trait NotIn {}
    impl NotIn for IdField {}
    impl NotIn for TextField {}
    impl NotIn for ChoiceField {}
    impl NotIn for DateField {}
    impl NotIn for NumberField {}
}

/// A field of entity `E` holding `V`s, with the operator set `O` of its filter table.
pub struct Field<E, V, O> {
    name: &'static str,
    marker: PhantomData<FieldTypes<E, V, O>>,
}

/// The types a [`Field`] is about, without owning any (so `Field` is `Send`, `Sync` and `Copy`).
type FieldTypes<E, V, O> = fn() -> (E, V, O);

impl<E, V, O> Clone for Field<E, V, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, V, O> Copy for Field<E, V, O> {}

impl<E, V, O> fmt::Debug for Field<E, V, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({})", self.name)
    }
}

impl<E, V: FilterValue, O> Field<E, V, O> {
    pub(crate) const fn new(name: &'static str) -> Self {
        Self {
            name,
            marker: PhantomData,
        }
    }

    /// The field's Wix name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn op(&self, op: &str, operand: Value) -> Filter<E> {
        let condition = Map::from_iter([(op.to_owned(), operand)]);
        Filter::from_json(Value::Object(Map::from_iter([(
            self.name.to_owned(),
            Value::Object(condition),
        )])))
    }

    fn list<T: Borrow<V>>(values: impl IntoIterator<Item = T>) -> Value {
        Value::Array(
            values
                .into_iter()
                .map(|v| v.borrow().to_filter_json())
                .collect(),
        )
    }

    /// `$eq`
    pub fn eq(&self, value: impl Borrow<V>) -> Filter<E> {
        self.op("$eq", value.borrow().to_filter_json())
    }

    /// `$ne`
    pub fn ne(&self, value: impl Borrow<V>) -> Filter<E> {
        self.op("$ne", value.borrow().to_filter_json())
    }

    /// `$in`
    pub fn in_<T: Borrow<V>>(&self, values: impl IntoIterator<Item = T>) -> Filter<E> {
        self.op("$in", Self::list(values))
    }

    /// `$nin`. Only the older filter-and-sort pages list it; the newest method pages do not
    /// (docs/referral-api.md §12), so the live API may refuse it: `in_(..).not()` says the same
    /// with operators every page lists.
    pub fn nin<T: Borrow<V>>(&self, values: impl IntoIterator<Item = T>) -> Filter<E>
    where
        O: ops::NotIn,
    {
        self.op("$nin", Self::list(values))
    }

    /// `$exists`: `false` matches an absent or null field.
    pub fn exists(&self, exists: bool) -> Filter<E> {
        self.op("$exists", Value::Bool(exists))
    }

    /// `$hasSome`
    pub fn has_some<T: Borrow<V>>(&self, values: impl IntoIterator<Item = T>) -> Filter<E>
    where
        O: ops::HasSome,
    {
        self.op("$hasSome", Self::list(values))
    }

    /// `$startsWith`, case-insensitive.
    pub fn starts_with(&self, prefix: &str) -> Filter<E>
    where
        O: ops::StartsWith,
    {
        self.op("$startsWith", Value::String(prefix.to_owned()))
    }

    /// `$lt`
    pub fn lt(&self, value: impl Borrow<V>) -> Filter<E>
    where
        O: ops::Compare,
    {
        self.op("$lt", value.borrow().to_filter_json())
    }

    /// `$lte`
    pub fn lte(&self, value: impl Borrow<V>) -> Filter<E>
    where
        O: ops::Compare,
    {
        self.op("$lte", value.borrow().to_filter_json())
    }

    /// `$gt`
    pub fn gt(&self, value: impl Borrow<V>) -> Filter<E>
    where
        O: ops::Compare,
    {
        self.op("$gt", value.borrow().to_filter_json())
    }

    /// `$gte`
    pub fn gte(&self, value: impl Borrow<V>) -> Filter<E>
    where
        O: ops::Compare,
    {
        self.op("$gte", value.borrow().to_filter_json())
    }

    /// Sort by this field, ascending.
    pub fn asc(&self) -> Sort<E> {
        Sort {
            field: self.name,
            order: SortOrder::Asc,
            entity: PhantomData,
        }
    }

    /// Sort by this field, descending.
    pub fn desc(&self) -> Sort<E> {
        Sort {
            field: self.name,
            order: SortOrder::Desc,
            entity: PhantomData,
        }
    }
}

#[cfg(test)]
mod tests;
