//! The Wix query language over one entity's rows: filter validation against the entity's
//! documented table (docs/decisions.md items 10–14), evaluation, multi-key sort with `id` as the last
//! tie-breaker, and opaque keyset cursors that stay correct while rows are inserted between pages.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Unbounded};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, Violation};
use crate::lenience::Lenience;
use crate::table::IndexKey;

/// Default and maximum page size (docs/decisions.md item 10).
pub(crate) const DEFAULT_LIMIT: u32 = 50;
pub(crate) const MAX_LIMIT: u32 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    HasSome,
    StartsWith,
    Exists,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "$eq" => Op::Eq,
            "$ne" => Op::Ne,
            "$gt" => Op::Gt,
            "$gte" => Op::Gte,
            "$lt" => Op::Lt,
            "$lte" => Op::Lte,
            "$in" => Op::In,
            "$nin" => Op::Nin,
            "$hasSome" => Op::HasSome,
            "$startsWith" => Op::StartsWith,
            "$exists" => Op::Exists,
            _ => return None,
        })
    }
}

/// Operator sets of the documented filter tables: for each field, the union of what any Wix page
/// lists for it (docs/decisions.md item 11).
pub(crate) const STRING_OPS: &[Op] = &[
    Op::Eq,
    Op::Ne,
    Op::HasSome,
    Op::StartsWith,
    Op::In,
    Op::Nin,
    Op::Exists,
];
/// Ids and codes: the strings' operators, and the ranges the newest method pages add.
pub(crate) const ID_OPS: &[Op] = &[
    Op::Eq,
    Op::Ne,
    Op::HasSome,
    Op::StartsWith,
    Op::In,
    Op::Nin,
    Op::Exists,
    Op::Lt,
    Op::Lte,
    Op::Gt,
    Op::Gte,
];
/// The one-of members of a referral event (Query Referral Event's REST page).
pub(crate) const MEMBER_OPS: &[Op] = &[Op::Eq, Op::Ne, Op::Exists, Op::In, Op::HasSome];
pub(crate) const ENUM_OPS: &[Op] = &[Op::Eq, Op::Ne, Op::HasSome, Op::In, Op::Nin, Op::Exists];
pub(crate) const DATE_OPS: &[Op] = &[
    Op::Eq,
    Op::Ne,
    Op::HasSome,
    Op::In,
    Op::Nin,
    Op::Exists,
    Op::Lt,
    Op::Lte,
    Op::Gt,
    Op::Gte,
];
pub(crate) const NUMBER_OPS: &[Op] = &[
    Op::Eq,
    Op::Ne,
    Op::In,
    Op::Nin,
    Op::Exists,
    Op::Lt,
    Op::Lte,
    Op::Gt,
    Op::Gte,
];

#[derive(Clone, Copy, Debug)]
pub enum FieldKind {
    Str,
    Enum(&'static [&'static str]),
    Date,
    Number,
    /// A JSON object (a one-of member), compared as a whole in its canonical form
    /// ([`canonical_json`]).
    Object,
}

#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub ops: &'static [Op],
    pub sortable: bool,
}

/// What the query language knows of one entity.
#[derive(Debug)]
pub struct EntitySchema {
    pub name: &'static str,
    pub fields: &'static [FieldSpec],
    pub default_sort: &'static [(&'static str, Order)],
    /// Fields with an equality index: `$eq` on them never scans.
    pub indexed: &'static [&'static str],
    /// Fields that Wix's reference page does not list but its documents use (a filter or a
    /// sort): accepted with a warning, refused in strict mode (crate::lenience).
    pub departures: &'static [Departure],
    /// Enum values a document writes by another name (`"CouponReward"` for `COUPON`).
    pub aliases: &'static [Alias],
}

/// A field the reference page leaves out, and what the page says instead.
#[derive(Debug)]
pub struct Departure {
    pub field: FieldSpec,
    pub page: &'static str,
}

/// Another name for an enum value of `field`, and what the page says instead.
#[derive(Debug)]
pub struct Alias {
    pub field: &'static str,
    pub alias: &'static str,
    pub value: &'static str,
    pub page: &'static str,
}

impl EntitySchema {
    fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// `name` as a field the page lists, or else as a departure the lenience accepts at `part`.
    fn field_or_departure(
        &self,
        name: &str,
        part: &str,
        lenience: &Lenience,
    ) -> Result<Option<&FieldSpec>, ApiError> {
        if let Some(field) = self.field(name) {
            return Ok(Some(field));
        }
        match self.departures.iter().find(|d| d.field.name == name) {
            Some(departure) => {
                lenience.depart(
                    part,
                    &format!("{} is not a documented field of {}", name, self.name),
                    departure.page,
                )?;
                Ok(Some(&departure.field))
            }
            None => Ok(None),
        }
    }
}

/// A field's value in a row, as the query language compares it.
#[derive(Clone, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Number(i64),
    Date(DateTime<Utc>),
    Str(String),
}

impl FieldValue {
    /// Same-kind values compare naturally; the query never mixes kinds for one field.
    fn compare(&self, other: &FieldValue) -> Ordering {
        self.partial_cmp(other).unwrap_or(Ordering::Equal)
    }
}

/// A row the query language can read.
pub trait Row {
    fn id(&self) -> Uuid;
    /// `None` when the field is absent or null.
    fn field(&self, name: &str) -> Option<FieldValue>;
    /// Whether [`Row::field`] would be `Some` (rows override this where the value is costly).
    fn has_field(&self, name: &str) -> bool {
        self.field(name).is_some()
    }
    /// The row's key in the equality index of `field` (rows override this to skip the string).
    fn index_key(&self, field: &str) -> Option<IndexKey> {
        match self.field(field) {
            Some(FieldValue::Str(s)) => Some(IndexKey::parse(&s)),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    #[serde(rename = "ASC")]
    Asc,
    #[serde(rename = "DESC")]
    Desc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        field: &'static str,
        op: Op,
        operand: Operand,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    One(Option<FieldValue>),
    Many(Vec<FieldValue>),
    Flag(bool),
}

impl Filter {
    pub fn matches(&self, row: &dyn Row) -> bool {
        match self {
            Filter::All(parts) => parts.iter().all(|f| f.matches(row)),
            Filter::Any(parts) => parts.iter().any(|f| f.matches(row)),
            Filter::Not(inner) => !inner.matches(row),
            Filter::Compare {
                field,
                op: Op::Exists,
                operand: Operand::Flag(expected),
            } => row.has_field(field) == *expected,
            Filter::Compare { field, op, operand } => compare(row.field(field), *op, operand),
        }
    }

    /// Values an equality on an indexed field pins the result to: rows outside them never match.
    pub fn index_lookup(&self, indexed: &[&str]) -> Option<(&'static str, Vec<IndexKey>)> {
        match self {
            Filter::Compare {
                field,
                op: Op::Eq,
                operand: Operand::One(Some(FieldValue::Str(v))),
            } if indexed.contains(field) => Some((field, vec![IndexKey::parse(v)])),
            Filter::Compare {
                field,
                op: Op::In | Op::HasSome,
                operand: Operand::Many(values),
            } if indexed.contains(field) => {
                let keys = values
                    .iter()
                    .map(|v| match v {
                        FieldValue::Str(s) => Some(IndexKey::parse(s)),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some((field, keys))
            }
            Filter::All(parts) => parts.iter().find_map(|p| p.index_lookup(indexed)),
            _ => None,
        }
    }
}

fn compare(value: Option<FieldValue>, op: Op, operand: &Operand) -> bool {
    match (op, operand) {
        (Op::Exists, Operand::Flag(expected)) => value.is_some() == *expected,
        (Op::Eq, Operand::One(expected)) => value == *expected,
        (Op::Ne, Operand::One(expected)) => value != *expected,
        (Op::In | Op::HasSome, Operand::Many(set)) => value.is_some_and(|v| set.contains(&v)),
        (Op::Nin, Operand::Many(set)) => !value.is_some_and(|v| set.contains(&v)),
        (Op::StartsWith, Operand::One(Some(FieldValue::Str(prefix)))) => match value {
            Some(FieldValue::Str(s)) => starts_with_ignore_case(&s, prefix),
            _ => false,
        },
        (Op::Gt | Op::Gte | Op::Lt | Op::Lte, Operand::One(Some(bound))) => {
            let Some(v) = value else { return false };
            let ord = v.compare(bound);
            match op {
                Op::Gt => ord == Ordering::Greater,
                Op::Gte => ord != Ordering::Less,
                Op::Lt => ord == Ordering::Less,
                _ => ord != Ordering::Greater,
            }
        }
        _ => false,
    }
}

/// One text for equal JSON objects: keys sorted, null members dropped (an absent and a null member
/// read the same, docs/decisions.md item 12), no whitespace.
pub(crate) fn canonical_json(value: &Value) -> String {
    fn canonical(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut members: Vec<_> = map.iter().filter(|(_, v)| !v.is_null()).collect();
                members.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.clone(), canonical(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }
    canonical(value).to_string()
}

/// `$startsWith` is case-insensitive (docs/platform.md §1.2).
pub(crate) fn starts_with_ignore_case(value: &str, prefix: &str) -> bool {
    value.to_lowercase().starts_with(&prefix.to_lowercase())
}

/// Parses and validates a filter against the entity's table.
pub(crate) fn parse_filter(
    schema: &EntitySchema,
    filter: &Value,
    lenience: &Lenience,
) -> Result<Filter, ApiError> {
    match filter {
        Value::Null => Ok(Filter::All(vec![])),
        Value::Object(map) => parse_object(schema, map, "query.filter", lenience),
        _ => Err(invalid("query.filter", "the filter must be a JSON object")),
    }
}

fn parse_object(
    schema: &EntitySchema,
    map: &Map<String, Value>,
    path: &str,
    lenience: &Lenience,
) -> Result<Filter, ApiError> {
    let mut parts = Vec::with_capacity(map.len());
    for (key, value) in map {
        let part = match key.as_str() {
            "$and" | "$or" => {
                let items = value.as_array().ok_or_else(|| {
                    invalid(&format!("{path}.{key}"), "expected an array of filters")
                })?;
                let parsed = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::Object(inner) => {
                            parse_object(schema, inner, &format!("{path}.{key}[{i}]"), lenience)
                        }
                        _ => Err(invalid(
                            &format!("{path}.{key}[{i}]"),
                            "expected a filter object",
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "$and" {
                    Filter::All(parsed)
                } else {
                    Filter::Any(parsed)
                }
            }
            "$not" => match value {
                Value::Object(inner) => Filter::Not(Box::new(parse_object(
                    schema,
                    inner,
                    &format!("{path}.$not"),
                    lenience,
                )?)),
                _ => return Err(invalid(&format!("{path}.$not"), "expected a filter object")),
            },
            op if op.starts_with('$') => {
                return Err(invalid(
                    &format!("{path}.{op}"),
                    &format!("unsupported logical operator {op}"),
                ));
            }
            field_name => {
                let field_path = format!("{path}.{field_name}");
                let field = schema
                    .field_or_departure(field_name, &field_path, lenience)?
                    .ok_or_else(|| {
                        invalid(
                            &field_path,
                            &format!("{} cannot be filtered by {field_name}", schema.name),
                        )
                    })?;
                parse_field_condition(schema, field, value, &field_path, lenience)?
            }
        };
        parts.push(part);
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Filter::All(parts)
    })
}

fn parse_field_condition(
    schema: &EntitySchema,
    field: &FieldSpec,
    value: &Value,
    path: &str,
    lenience: &Lenience,
) -> Result<Filter, ApiError> {
    let Value::Object(ops) = value else {
        // `{"field": value}` is `$eq`.
        return parse_op(schema, field, Op::Eq, "$eq", value, path, lenience);
    };
    // An object field's value is an object too: one without operators is that value.
    if matches!(field.kind, FieldKind::Object) {
        let operators = ops.keys().filter(|k| k.starts_with('$')).count();
        if operators == 0 && !ops.is_empty() {
            return parse_op(schema, field, Op::Eq, "$eq", value, path, lenience);
        }
        if operators != ops.len() {
            return Err(invalid(
                path,
                "operators and member values cannot be mixed in one condition",
            ));
        }
    }
    let mut parts = Vec::with_capacity(ops.len());
    for (name, operand) in ops {
        if name == "$not" {
            parts.push(Filter::Not(Box::new(parse_field_condition(
                schema,
                field,
                operand,
                &format!("{path}.$not"),
                lenience,
            )?)));
            continue;
        }
        let op = match Op::parse(name) {
            Some(op) => op,
            // The Sample Flows article writes `{"eq": …}` and `{"gte": …}`.
            None if !name.starts_with('$') && Op::parse(&format!("${name}")).is_some() => {
                lenience.depart(
                    &format!("{path}.{name}"),
                    &format!("the operator {name} is written without $"),
                    "the API Query Language page writes every operator with $ ($eq, $gte, ...)",
                )?;
                Op::parse(&format!("${name}")).ok_or_else(|| invalid(path, "unknown operator"))?
            }
            None => return Err(invalid(path, &format!("unknown operator {name}"))),
        };
        parts.push(parse_op(schema, field, op, name, operand, path, lenience)?);
    }
    if parts.is_empty() {
        return Err(invalid(path, "expected at least one operator"));
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Filter::All(parts)
    })
}

fn parse_op(
    schema: &EntitySchema,
    field: &FieldSpec,
    op: Op,
    op_name: &str,
    operand: &Value,
    path: &str,
    lenience: &Lenience,
) -> Result<Filter, ApiError> {
    if !field.ops.contains(&op) {
        return Err(invalid(
            path,
            &format!("operator {op_name} is not supported on {}", field.name),
        ));
    }
    let operand = match op {
        Op::Exists => Operand::Flag(
            operand
                .as_bool()
                .ok_or_else(|| invalid(path, "$exists takes true or false"))?,
        ),
        Op::In | Op::Nin | Op::HasSome => {
            let items = operand
                .as_array()
                .ok_or_else(|| invalid(path, &format!("{op_name} takes an array")))?;
            Operand::Many(
                items
                    .iter()
                    .map(|v| parse_value(schema, field, v, path, lenience))
                    .collect::<Result<_, _>>()?,
            )
        }
        Op::StartsWith => match operand {
            Value::String(s) => Operand::One(Some(FieldValue::Str(s.clone()))),
            _ => return Err(invalid(path, "$startsWith takes a string")),
        },
        Op::Eq | Op::Ne if operand.is_null() => Operand::One(None),
        _ => Operand::One(Some(parse_value(schema, field, operand, path, lenience)?)),
    };
    Ok(Filter::Compare {
        field: field.name,
        op,
        operand,
    })
}

fn parse_value(
    schema: &EntitySchema,
    field: &FieldSpec,
    value: &Value,
    path: &str,
    lenience: &Lenience,
) -> Result<FieldValue, ApiError> {
    match (field.kind, value) {
        (FieldKind::Str, Value::String(s)) => Ok(FieldValue::Str(s.clone())),
        (FieldKind::Enum(allowed), Value::String(s)) => {
            let alias = schema
                .aliases
                .iter()
                .find(|a| a.field == field.name && a.alias == s);
            if allowed.contains(&s.as_str()) {
                Ok(FieldValue::Str(s.clone()))
            } else if let Some(alias) = alias {
                lenience.depart(
                    path,
                    &format!("{s:?} is read as {:?}", alias.value),
                    alias.page,
                )?;
                Ok(FieldValue::Str(alias.value.to_owned()))
            } else {
                Err(invalid(
                    path,
                    &format!("{s:?} is not one of {}", allowed.join(", ")),
                ))
            }
        }
        (FieldKind::Date, Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|d| FieldValue::Date(d.with_timezone(&Utc)))
            .map_err(|_| invalid(path, &format!("{s:?} is not an RFC 3339 date-time"))),
        (FieldKind::Number, Value::Number(n)) => n
            .as_i64()
            .map(FieldValue::Number)
            .ok_or_else(|| invalid(path, "expected a whole number")),
        (FieldKind::Object, Value::Object(_)) => Ok(FieldValue::Str(canonical_json(value))),
        (FieldKind::Object, _) => Err(invalid(path, "expected a JSON object")),
        (FieldKind::Str | FieldKind::Enum(_), _) => Err(invalid(path, "expected a string")),
        (FieldKind::Date, _) => Err(invalid(path, "expected an RFC 3339 date-time string")),
        (FieldKind::Number, _) => Err(invalid(path, "expected a number")),
    }
}

pub(crate) type Sort = Vec<(&'static str, Order)>;

pub(crate) fn parse_sort(
    schema: &EntitySchema,
    sort: &Value,
    lenience: &Lenience,
) -> Result<Sort, ApiError> {
    let items = match sort {
        Value::Null => return Ok(default_sort(schema)),
        Value::Array(items) => items,
        _ => {
            return Err(invalid(
                "query.sort",
                "expected an array of {fieldName, order}",
            ));
        }
    };
    if items.is_empty() {
        return Ok(default_sort(schema));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let name = item
                .get("fieldName")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    invalid(
                        &format!("query.sort[{i}].fieldName"),
                        "expected a field name",
                    )
                })?;
            let part = format!("query.sort[{i}].fieldName");
            let field = schema
                .field_or_departure(name, &part, lenience)?
                .filter(|f| f.sortable)
                .ok_or_else(|| invalid(&part, &format!("{name} is not sortable")))?;
            let order = match item.get("order") {
                None | Some(Value::Null) => Order::Asc,
                Some(Value::String(s)) if s == "ASC" => Order::Asc,
                Some(Value::String(s)) if s == "DESC" => Order::Desc,
                Some(_) => {
                    return Err(invalid(
                        &format!("query.sort[{i}].order"),
                        "expected ASC or DESC",
                    ));
                }
            };
            Ok((field.name, order))
        })
        .collect()
}

fn default_sort(schema: &EntitySchema) -> Sort {
    schema.default_sort.to_vec()
}

/// The sort position of a row: its sort-key values, then its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SortKey {
    values: Vec<Option<FieldValue>>,
    id: Uuid,
}

pub(crate) fn sort_key(row: &dyn Row, sort: &Sort) -> SortKey {
    SortKey {
        values: sort.iter().map(|(f, _)| row.field(f)).collect(),
        id: row.id(),
    }
}

/// Orders two keys under `sort`. Absent values sort before present ones; `id` breaks ties in
/// the direction of the last sort key, so every order is total and paging is stable.
pub(crate) fn compare_keys(a: &SortKey, b: &SortKey, sort: &Sort) -> Ordering {
    for ((av, bv), (_, order)) in a.values.iter().zip(&b.values).zip(sort) {
        let ord = match (av, bv) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.compare(y),
        };
        let ord = if *order == Order::Desc {
            ord.reverse()
        } else {
            ord
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    let id_order = sort.last().map(|(_, o)| *o).unwrap_or(Order::Asc);
    let ord = a.id.cmp(&b.id);
    if id_order == Order::Desc {
        ord.reverse()
    } else {
        ord
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Direction {
    #[serde(rename = "n")]
    Next,
    #[serde(rename = "p")]
    Prev,
}

/// What a cursor carries: enough to continue the query without `filter` or `sort`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CursorPayload {
    v: u8,
    /// Entity and site the cursor belongs to: a cursor of another is rejected.
    e: String,
    s: String,
    /// Scope beyond the filter (the contact of a rewards query), checked like the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    f: Value,
    o: Vec<(String, Order)>,
    k: SortKey,
    d: Direction,
    l: u32,
}

const CURSOR_VERSION: u8 = 1;
const CURSOR_FIELD: &str = "query.cursorPaging.cursor";

/// A validated query, ready to run.
#[derive(Debug)]
pub struct Plan {
    pub filter: Filter,
    raw_filter: Value,
    pub sort: Sort,
    pub limit: u32,
    after: Option<(SortKey, Direction)>,
    site: String,
    scope: Option<String>,
}

/// Parses a `CursorQuery` JSON (`{filter, sort, cursorPaging}`) for `site`.
/// `scope` is any extra request parameter that narrows the rows (it must match the cursor's).
pub(crate) fn plan(
    schema: &EntitySchema,
    query: &Value,
    site: &str,
    scope: Option<String>,
    lenience: &Lenience,
) -> Result<Plan, ApiError> {
    let query = match query {
        Value::Null => &Value::Object(Map::new()),
        Value::Object(_) => query,
        _ => return Err(invalid("query", "expected a query object")),
    };
    if let Some(extra) = query.as_object().and_then(|m| {
        m.keys()
            .find(|k| !["filter", "sort", "cursorPaging"].contains(&k.as_str()))
    }) {
        return Err(invalid(
            &format!("query.{extra}"),
            "unsupported query member (paging is cursorPaging only)",
        ));
    }
    let paging = query.get("cursorPaging").unwrap_or(&Value::Null);
    if !paging.is_null() && !paging.is_object() {
        return Err(invalid("query.cursorPaging", "expected an object"));
    }
    let limit = match paging.get("limit") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(l) if (1..=u64::from(MAX_LIMIT)).contains(&l) => Some(l as u32),
            _ => {
                return Err(invalid_rule(
                    "query.cursorPaging.limit",
                    &format!("limit must be 1..={MAX_LIMIT}, got {n}"),
                    "MAX",
                ));
            }
        },
        Some(_) => return Err(invalid("query.cursorPaging.limit", "expected an integer")),
    };
    let cursor = match paging.get("cursor") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(invalid(CURSOR_FIELD, "expected a string")),
    };
    let filter_value = query.get("filter").cloned().unwrap_or(Value::Null);
    let sort_value = query.get("sort").cloned().unwrap_or(Value::Null);

    let Some(cursor) = cursor else {
        return Ok(Plan {
            filter: parse_filter(schema, &filter_value, lenience)?,
            sort: parse_sort(schema, &sort_value, lenience)?,
            raw_filter: filter_value,
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            after: None,
            site: site.to_owned(),
            scope,
        });
    };
    let has_filter = !filter_value.is_null() && filter_value != Value::Object(Map::new());
    let has_sort = sort_value.as_array().is_some_and(|a| !a.is_empty());
    if has_filter || has_sort {
        let field = if has_filter {
            "query.filter"
        } else {
            "query.sort"
        };
        return Err(invalid(
            field,
            "a request with a cursor must not carry filter or sort: the cursor holds them",
        ));
    }
    let payload = decode_cursor(cursor)?;
    if payload.v != CURSOR_VERSION
        || payload.e != schema.name
        || payload.s != site
        || payload.x != scope
    {
        return Err(invalid(CURSOR_FIELD, "the cursor belongs to another query"));
    }
    let sort_json = Value::Array(
        payload
            .o
            .iter()
            .map(|(f, o)| serde_json::json!({"fieldName": f, "order": o}))
            .collect(),
    );
    // What the first page accepted (and warned about) is not told again on the next ones.
    let continued = Lenience::new(false);
    let sort = parse_sort(schema, &sort_json, &continued)
        .map_err(|_| invalid(CURSOR_FIELD, "malformed cursor"))?;
    if payload.k.values.len() != sort.len() || !(1..=MAX_LIMIT).contains(&payload.l) {
        return Err(invalid(CURSOR_FIELD, "malformed cursor"));
    }
    Ok(Plan {
        filter: parse_filter(schema, &payload.f, &continued)
            .map_err(|_| invalid(CURSOR_FIELD, "malformed cursor"))?,
        raw_filter: payload.f,
        sort,
        limit: limit.unwrap_or(payload.l),
        after: Some((payload.k, payload.d)),
        site: site.to_owned(),
        scope,
    })
}

fn decode_cursor(cursor: &str) -> Result<CursorPayload, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .map_err(|_| invalid(CURSOR_FIELD, "malformed cursor"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid(CURSOR_FIELD, "malformed cursor"))
}

impl Plan {
    fn cursor(&self, entity: &str, key: &SortKey, direction: Direction) -> String {
        let payload = CursorPayload {
            v: CURSOR_VERSION,
            e: entity.to_owned(),
            s: self.site.clone(),
            x: self.scope.clone(),
            f: self.raw_filter.clone(),
            o: self
                .sort
                .iter()
                .map(|(f, o)| ((*f).to_owned(), *o))
                .collect(),
            k: key.clone(),
            d: direction,
            l: self.limit,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap_or_default())
    }
}

/// One page of results and its paging metadata.
#[derive(Debug)]
pub struct Page<'a, R> {
    pub rows: Vec<&'a R>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

impl<R> Page<'_, R> {
    pub fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// `metadata` of a query response (docs/decisions.md item 14).
    pub fn metadata(&self) -> Value {
        let mut cursors = Map::new();
        if let Some(next) = &self.next {
            cursors.insert("next".into(), Value::String(next.clone()));
        }
        if let Some(prev) = &self.prev {
            cursors.insert("prev".into(), Value::String(prev.clone()));
        }
        serde_json::json!({"count": self.rows.len(), "cursors": cursors, "hasNext": self.has_next()})
    }
}

/// Runs `plan` over `candidates` (all rows, or the rows an index pinned).
pub(crate) fn execute<'a, R: Row>(
    schema: &EntitySchema,
    plan: &Plan,
    candidates: impl Iterator<Item = &'a R>,
) -> Page<'a, R> {
    let mut matched: Vec<(SortKey, &'a R)> = candidates
        .filter(|r| plan.filter.matches(*r))
        .map(|r| (sort_key(r, &plan.sort), r))
        .collect();
    matched.sort_by(|a, b| compare_keys(&a.0, &b.0, &plan.sort));
    let limit = plan.limit as usize;
    let (start, end) = match &plan.after {
        None => (0, limit.min(matched.len())),
        Some((anchor, Direction::Next)) => {
            let start = matched
                .partition_point(|(k, _)| compare_keys(k, anchor, &plan.sort) != Ordering::Greater);
            (start, (start + limit).min(matched.len()))
        }
        Some((anchor, Direction::Prev)) => {
            let end = matched
                .partition_point(|(k, _)| compare_keys(k, anchor, &plan.sort) == Ordering::Less);
            (end.saturating_sub(limit), end)
        }
    };
    let next = (end < matched.len() && end > start)
        .then(|| plan.cursor(schema.name, &matched[end - 1].0, Direction::Next));
    let prev = (start > 0 && start < matched.len())
        .then(|| plan.cursor(schema.name, &matched[start].0, Direction::Prev));
    Page {
        rows: matched[start..end].iter().map(|(_, r)| *r).collect(),
        next,
        prev,
    }
}

/// A value of an ordered index: absent sorts before present, same-kind values naturally (the
/// order of [`compare_keys`] for one sort field).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OrderValue(pub Option<FieldValue>);

impl Eq for OrderValue {}

impl PartialOrd for OrderValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderValue {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => a.compare(b),
        }
    }
}

/// A row's place in a table's order by one field: `(value, id)`. Walking it forwards gives that
/// field ascending, backwards descending, with `id` breaking ties in the same direction, as
/// [`compare_keys`] orders a single-field sort.
pub(crate) type OrderKey = (OrderValue, Uuid);

/// The key of `row` in the order of `field`.
pub(crate) fn order_key(row: &dyn Row, field: &str) -> OrderKey {
    (OrderValue(row.field(field)), row.id())
}

/// Runs `plan` by walking the `(field, id)`-ordered `index` of its one sort field instead of
/// sorting every match: a page costs what it reads, not what the table holds. Returns `None`
/// when the sort is not on `field` alone. The page and its cursors are the ones [`execute`]
/// would give.
pub(crate) fn execute_ordered<'a, R: Row>(
    schema: &EntitySchema,
    plan: &Plan,
    field: &str,
    index: &BTreeSet<OrderKey>,
    get: impl Fn(&Uuid) -> Option<&'a R>,
) -> Option<Page<'a, R>> {
    let [(sorted, order)] = plan.sort.as_slice() else {
        return None;
    };
    if *sorted != field {
        return None;
    }
    let ascending = *order == Order::Asc;
    let anchor = match &plan.after {
        None => None,
        Some((key, direction)) => match key.values.as_slice() {
            [value] => Some(((OrderValue(value.clone()), key.id), *direction)),
            _ => return None,
        },
    };
    let after = |from| keys_after(index, from, ascending);
    let before = |from| keys_before(index, from, ascending);
    let matching = |keys| matching_rows(keys, &get, &plan.filter);
    let limit = plan.limit as usize;
    let rows: Vec<&'a R> = match anchor.clone() {
        Some((key, Direction::Prev)) => {
            let mut rows: Vec<&'a R> = matching(before(key)).take(limit).collect();
            rows.reverse();
            rows
        }
        _ => matching(after(anchor.map(|(key, _)| key)))
            .take(limit)
            .collect(),
    };
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Some(Page {
            rows,
            next: None,
            prev: None,
        });
    };
    let (first_key, last_key) = (order_key(*first, field), order_key(*last, field));
    let next = matching(after(Some(last_key)))
        .next()
        .is_some()
        .then(|| plan.cursor(schema.name, &sort_key(*last, &plan.sort), Direction::Next));
    let prev = matching(before(first_key))
        .next()
        .is_some()
        .then(|| plan.cursor(schema.name, &sort_key(*first, &plan.sort), Direction::Prev));
    Some(Page { rows, next, prev })
}

type Keys<'k> = Box<dyn Iterator<Item = &'k OrderKey> + 'k>;

/// Keys in sort order strictly after `from` (from the first one when `None`).
fn keys_after(index: &BTreeSet<OrderKey>, from: Option<OrderKey>, ascending: bool) -> Keys<'_> {
    match (from, ascending) {
        (None, true) => Box::new(index.iter()),
        (None, false) => Box::new(index.iter().rev()),
        (Some(key), true) => Box::new(index.range((Excluded(key), Unbounded))),
        (Some(key), false) => Box::new(index.range(..key).rev()),
    }
}

/// Keys in reverse sort order strictly before `from`.
fn keys_before(index: &BTreeSet<OrderKey>, from: OrderKey, ascending: bool) -> Keys<'_> {
    if ascending {
        Box::new(index.range(..from).rev())
    } else {
        Box::new(index.range((Excluded(from), Unbounded)))
    }
}

/// The rows behind `keys` that match `filter`, in the order of `keys`.
fn matching_rows<'k, 'a: 'k, R: Row + 'a>(
    keys: Keys<'k>,
    get: &'k impl Fn(&Uuid) -> Option<&'a R>,
    filter: &'k Filter,
) -> impl Iterator<Item = &'a R> + 'k {
    keys.filter_map(move |(_, id)| get(id))
        .filter(move |row| filter.matches(*row))
}

fn invalid(field: &str, description: &str) -> ApiError {
    invalid_rule(field, description, "INVALID_ARGUMENT")
}

fn invalid_rule(field: &str, description: &str, rule: &str) -> ApiError {
    ApiError::validation(vec![Violation::new(field, description, rule)])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Clone)]
    struct T {
        id: Uuid,
        code: Option<String>,
        at: DateTime<Utc>,
        status: &'static str,
    }

    impl Row for T {
        fn id(&self) -> Uuid {
            self.id
        }
        fn field(&self, name: &str) -> Option<FieldValue> {
            match name {
                "code" => self.code.clone().map(FieldValue::Str),
                "createdDate" => Some(FieldValue::Date(self.at)),
                "status" => Some(FieldValue::Str(self.status.into())),
                _ => None,
            }
        }
    }

    const SCHEMA: EntitySchema = EntitySchema {
        name: "t",
        fields: &[
            FieldSpec {
                name: "code",
                kind: FieldKind::Str,
                ops: STRING_OPS,
                sortable: true,
            },
            FieldSpec {
                name: "createdDate",
                kind: FieldKind::Date,
                ops: DATE_OPS,
                sortable: true,
            },
            FieldSpec {
                name: "status",
                kind: FieldKind::Enum(&["A", "B"]),
                ops: ENUM_OPS,
                sortable: false,
            },
        ],
        default_sort: &[("createdDate", Order::Desc)],
        indexed: &["code"],
        departures: &[],
        aliases: &[],
    };

    fn rows() -> Vec<T> {
        (0..10u128)
            .map(|i| T {
                id: Uuid::from_u128(i + 1),
                code: (i % 3 != 0).then(|| format!("Code{i}")),
                at: DateTime::from_timestamp(1_700_000_000 + (i as i64 % 4) * 60, 0).unwrap(),
                status: if i % 2 == 0 { "A" } else { "B" },
            })
            .collect()
    }

    fn ids(page: &Page<'_, T>) -> Vec<u128> {
        page.rows.iter().map(|r| r.id.as_u128()).collect()
    }

    fn run(query: Value) -> Result<Vec<u128>, ApiError> {
        let data = rows();
        let plan = plan(&SCHEMA, &query, "site", None, &Lenience::default())?;
        Ok(ids(&execute(&SCHEMA, &plan, data.iter())))
    }

    #[test]
    fn filter_table() {
        let cases: &[(Value, &[u128])] = &[
            (json!({"code": "Code1"}), &[2]),
            (json!({"code": {"$eq": "Code1"}}), &[2]),
            (json!({"code": {"$startsWith": "code1"}}), &[2]),
            (json!({"code": {"$exists": false}}), &[1, 4, 7, 10]),
            (json!({"code": {"$in": ["Code1", "Code2"]}}), &[2, 3]),
            (
                json!({"$or": [{"code": "Code1"}, {"code": "Code2"}]}),
                &[2, 3],
            ),
            (json!({"$not": {"code": {"$exists": true}}}), &[1, 4, 7, 10]),
            (
                json!({"status": "A", "code": {"$exists": true}}),
                &[3, 5, 9],
            ),
            (
                json!({"createdDate": {"$gte": "2023-11-14T22:16:20Z"}}),
                &[4, 8],
            ),
            (
                json!({"createdDate": {"$gte": "2023-11-14T23:16:20+01:00"}}),
                &[4, 8],
            ),
            (
                json!({"code": {"$nin": ["Code1"], "$exists": true}}),
                &[3, 5, 6, 8, 9],
            ),
        ];
        for (filter, expected) in cases {
            let mut got = run(json!({"filter": filter})).unwrap();
            got.sort();
            assert_eq!(&got, expected, "filter {filter}");
        }
    }

    #[test]
    fn rejections_name_the_field() {
        let cases: &[(Value, &str)] = &[
            (json!({"filter": {"nope": 1}}), "query.filter.nope"),
            (
                json!({"filter": {"createdDate": {"$startsWith": "2"}}}),
                "query.filter.createdDate",
            ),
            (json!({"filter": {"status": "C"}}), "query.filter.status"),
            (
                json!({"filter": {"createdDate": {"$gt": "yesterday"}}}),
                "query.filter.createdDate",
            ),
            (json!({"filter": {"$where": "x"}}), "query.filter.$where"),
            (
                json!({"sort": [{"fieldName": "status"}]}),
                "query.sort[0].fieldName",
            ),
            (
                json!({"sort": [{"fieldName": "code", "order": "UP"}]}),
                "query.sort[0].order",
            ),
            (
                json!({"cursorPaging": {"limit": 0}}),
                "query.cursorPaging.limit",
            ),
            (
                json!({"cursorPaging": {"limit": 101}}),
                "query.cursorPaging.limit",
            ),
            (
                json!({"cursorPaging": {"cursor": "!!"}}),
                "query.cursorPaging.cursor",
            ),
            (
                json!({"cursorPaging": {"cursor": "eyJ4IjoxfQ"}}),
                "query.cursorPaging.cursor",
            ),
            (json!({"paging": {"offset": 1}}), "query.paging"),
        ];
        for (query, field) in cases {
            let err = run(query.clone()).unwrap_err();
            assert_eq!(err.violations()[0].field, *field, "query {query}");
        }
    }

    #[test]
    fn pages_follow_and_return_with_cursors() {
        let data = rows();
        let first = plan(
            &SCHEMA,
            &json!({"cursorPaging": {"limit": 4}}),
            "site",
            None,
            &Lenience::default(),
        )
        .unwrap();
        let page1 = execute(&SCHEMA, &first, data.iter());
        assert_eq!(ids(&page1), [8, 4, 7, 3]);
        assert!(page1.prev.is_none());
        let next = json!({"cursorPaging": {"cursor": page1.next.clone().unwrap()}});
        let page2 = execute(
            &SCHEMA,
            &plan(&SCHEMA, &next, "site", None, &Lenience::default()).unwrap(),
            data.iter(),
        );
        assert_eq!(ids(&page2), [10, 6, 2, 9]);
        let back = json!({"cursorPaging": {"cursor": page2.prev.clone().unwrap()}});
        let again = execute(
            &SCHEMA,
            &plan(&SCHEMA, &back, "site", None, &Lenience::default()).unwrap(),
            data.iter(),
        );
        assert_eq!(ids(&again), ids(&page1));
        let wrong_site =
            plan(&SCHEMA, &next, "other-site", None, &Lenience::default()).unwrap_err();
        assert_eq!(wrong_site.violations()[0].field, CURSOR_FIELD);
        let with_filter =
            json!({"filter": {"code": "x"}, "cursorPaging": {"cursor": page1.next.unwrap()}});
        assert!(plan(&SCHEMA, &with_filter, "site", None, &Lenience::default()).is_err());
    }

    #[test]
    fn index_lookup_only_for_indexed_equalities_under_and() {
        let f = parse_filter(
            &SCHEMA,
            &json!({"code": "Code1", "status": "A"}),
            &Lenience::default(),
        )
        .unwrap();
        assert_eq!(
            f.index_lookup(SCHEMA.indexed),
            Some(("code", vec![IndexKey::parse("Code1")]))
        );
        let f = parse_filter(
            &SCHEMA,
            &json!({"$or": [{"code": "Code1"}, {"status": "A"}]}),
            &Lenience::default(),
        )
        .unwrap();
        assert_eq!(f.index_lookup(SCHEMA.indexed), None);
    }

    /// The query engine against a naive reference: same rows, same order, every row exactly
    /// once across pages, for random data, filters, sorts and page sizes.
    mod reference {
        use std::cmp::Ordering as CmpOrdering;

        use proptest::prelude::*;

        use super::*;

        const CODES: &[&str] = &["ab", "Ab", "abc", "b", "ba", "c"];

        fn arb_row() -> impl Strategy<Value = T> {
            (
                any::<u16>(),
                prop::option::of(prop::sample::select(CODES)),
                0i64..6,
                any::<bool>(),
            )
                .prop_map(|(id, code, minute, a)| T {
                    id: Uuid::from_u128(u128::from(id) + 1),
                    code: code.map(str::to_owned),
                    at: DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap(),
                    status: if a { "A" } else { "B" },
                })
        }

        fn date(minute: i64) -> String {
            DateTime::from_timestamp(1_700_000_000 + minute * 60, 0)
                .unwrap()
                .to_rfc3339()
        }

        fn arb_leaf() -> impl Strategy<Value = Value> {
            let code = prop::sample::select(CODES).prop_map(|c| json!(c));
            prop_oneof![
                code.clone().prop_map(|c| json!({"code": c})),
                code.clone().prop_map(|c| json!({"code": {"$ne": c}})),
                prop::collection::vec(code.clone(), 0..3)
                    .prop_map(|cs| json!({"code": {"$in": cs}})),
                prop::collection::vec(code.clone(), 0..3)
                    .prop_map(|cs| json!({"code": {"$nin": cs}})),
                code.clone()
                    .prop_map(|c| json!({"code": {"$startsWith": c}})),
                any::<bool>().prop_map(|b| json!({"code": {"$exists": b}})),
                (0i64..6).prop_map(|m| json!({"createdDate": {"$gt": date(m)}})),
                (0i64..6).prop_map(|m| json!({"createdDate": {"$lte": date(m)}})),
                prop::sample::select(&["A", "B"][..]).prop_map(|s| json!({"status": s})),
            ]
        }

        fn arb_filter() -> impl Strategy<Value = Value> {
            arb_leaf().prop_recursive(3, 12, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 1..3).prop_map(|fs| json!({"$and": fs})),
                    prop::collection::vec(inner.clone(), 1..3).prop_map(|fs| json!({"$or": fs})),
                    inner.prop_map(|f| json!({"$not": f})),
                ]
            })
        }

        fn arb_sort() -> impl Strategy<Value = Vec<(&'static str, Order)>> {
            let key = (
                prop::sample::select(&["code", "createdDate"][..]),
                any::<bool>(),
            )
                .prop_map(|(f, asc)| (f, if asc { Order::Asc } else { Order::Desc }));
            prop::collection::vec(key, 0..3)
        }

        /// Reads the filter JSON directly, with none of the engine's parsing.
        fn reference_matches(filter: &Value, row: &T) -> bool {
            filter
                .as_object()
                .unwrap()
                .iter()
                .all(|(key, cond)| match key.as_str() {
                    "$and" => cond
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|f| reference_matches(f, row)),
                    "$or" => cond
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|f| reference_matches(f, row)),
                    "$not" => !reference_matches(cond, row),
                    "status" => cond.as_str() == Some(row.status),
                    "code" => {
                        let value = row.code.as_deref();
                        match cond {
                            Value::String(s) => value == Some(s.as_str()),
                            Value::Object(ops) => ops.iter().all(|(op, arg)| match op.as_str() {
                                "$ne" => value != arg.as_str(),
                                "$in" => arg
                                    .as_array()
                                    .unwrap()
                                    .iter()
                                    .any(|a| value.is_some() && a.as_str() == value),
                                "$nin" => !arg
                                    .as_array()
                                    .unwrap()
                                    .iter()
                                    .any(|a| value.is_some() && a.as_str() == value),
                                "$startsWith" => value.is_some_and(|v| {
                                    v.to_lowercase()
                                        .starts_with(&arg.as_str().unwrap().to_lowercase())
                                }),
                                "$exists" => value.is_some() == arg.as_bool().unwrap(),
                                _ => unreachable!(),
                            }),
                            _ => unreachable!(),
                        }
                    }
                    "createdDate" => cond.as_object().unwrap().iter().all(|(op, arg)| {
                        let bound = DateTime::parse_from_rfc3339(arg.as_str().unwrap()).unwrap();
                        match op.as_str() {
                            "$gt" => row.at > bound,
                            "$lte" => row.at <= bound,
                            _ => unreachable!(),
                        }
                    }),
                    _ => unreachable!(),
                })
        }

        fn reference_order(a: &T, b: &T, sort: &[(&str, Order)]) -> CmpOrdering {
            for (field, order) in sort {
                let ord = match *field {
                    "code" => a.code.cmp(&b.code), // None < Some, as the engine documents
                    _ => a.at.cmp(&b.at),
                };
                let ord = if *order == Order::Desc {
                    ord.reverse()
                } else {
                    ord
                };
                if ord != CmpOrdering::Equal {
                    return ord;
                }
            }
            let ord = a.id.cmp(&b.id);
            if sort.last().is_some_and(|(_, o)| *o == Order::Desc) {
                ord.reverse()
            } else {
                ord
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn engine_agrees_with_the_reference(
                rows in prop::collection::vec(arb_row(), 0..40),
                filter in arb_filter(),
                sort in arb_sort(),
                limit in 1u32..8,
            ) {
                let mut rows = rows;
                rows.sort_by_key(|r| r.id);
                rows.dedup_by_key(|r| r.id);
                let effective_sort: Vec<(&str, Order)> =
                    if sort.is_empty() { vec![("createdDate", Order::Desc)] } else { sort.clone() };
                let mut expected: Vec<&T> = rows.iter().filter(|r| reference_matches(&filter, r)).collect();
                expected.sort_by(|a, b| reference_order(a, b, &effective_sort));
                let expected: Vec<Uuid> = expected.iter().map(|r| r.id).collect();

                let sort_json: Vec<Value> = sort.iter().map(|(f, o)| json!({"fieldName": f, "order": o})).collect();
                let mut query = json!({"filter": filter, "sort": sort_json, "cursorPaging": {"limit": limit}});
                let mut seen = Vec::new();
                let mut pages = 0;
                loop {
                    let plan = plan(&SCHEMA, &query, "site", None, &Lenience::default()).unwrap();
                    let page = execute(&SCHEMA, &plan, rows.iter());
                    prop_assert!(page.rows.len() <= limit as usize);
                    seen.extend(page.rows.iter().map(|r| r.id));
                    pages += 1;
                    prop_assert!(pages <= rows.len() + 1, "paging must end");
                    match page.next {
                        Some(next) => query = json!({"cursorPaging": {"cursor": next}}),
                        None => break,
                    }
                }
                prop_assert_eq!(seen, expected);
            }
        }
    }
}

/// Bad input, as properties (the stable twins of the fuzz targets): any query body and any cursor
/// is planned or refused with a 400, never a panic.
#[cfg(test)]
mod bad_input {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::model::{CUSTOMER_SCHEMA, FRIEND_SCHEMA};

    const KEYS: &[&str] = &[
        "filter",
        "sort",
        "cursorPaging",
        "limit",
        "cursor",
        "fieldName",
        "order",
        "$and",
        "$or",
        "$not",
        "$eq",
        "$ne",
        "$in",
        "$nin",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$exists",
        "$hasSome",
        "$startsWith",
        "contactId",
        "referralCode",
        "createdDate",
        "status",
        "referringCustomerId",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9$:._-]{0,12}".prop_map(Value::String),
            Just(json!("2024-07-08T11:22:00Z")),
            Just(json!("ASC")),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(
                    |pairs| {
                        Value::Object(
                            pairs
                                .into_iter()
                                .map(|(k, v)| (k.to_owned(), v))
                                .collect::<Map<_, _>>(),
                        )
                    }
                ),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        #[test]
        fn any_query_is_planned_or_refused_with_a_400(query in json_value()) {
            for schema in [&CUSTOMER_SCHEMA, &FRIEND_SCHEMA] {
                if let Err(e) = plan(schema, &query, "site", None, &Lenience::default()) {
                    prop_assert_eq!(e.status.as_u16(), 400);
                }
            }
        }

        #[test]
        fn any_cursor_is_refused_with_a_400_unless_it_is_one_of_ours(cursor in ".{0,64}", raw in json_value()) {
            let encoded = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, raw.to_string());
            for cursor in [cursor, encoded] {
                let query = json!({"cursorPaging": {"cursor": cursor}});
                if let Err(e) = plan(&CUSTOMER_SCHEMA, &query, "site", None, &Lenience::default()) {
                    prop_assert_eq!(e.status.as_u16(), 400);
                }
            }
        }
    }
}
