//! A table of rows keyed by id, with equality indexes on the fields its schema names, so that
//! indexed queries never scan (the benchmark holds the 1M-row query within 2× of the 10k one).

use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::durability;
use crate::query::{self, EntitySchema, OrderKey, Page, Plan, Row, order_key};

/// A key of an equality index: ids as ids (16 bytes), everything else as text.
// `pub`: it appears in `query::Row`, which the benchmarks reach through the hidden `engine` module.
#[allow(unreachable_pub)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IndexKey {
    Id(Uuid),
    Text(Cow<'static, str>),
}

impl IndexKey {
    /// The key a filter operand or path segment looks up.
    pub fn parse(value: &str) -> Self {
        match Uuid::parse_str(value) {
            Ok(id) => IndexKey::Id(id),
            Err(_) => IndexKey::Text(Cow::Owned(value.to_owned())),
        }
    }
}

/// Most indexed fields of any schema.
const MAX_INDEXES: usize = 3;

// Fx hashing: keys are random ids or short codes on a local test double, and SipHash's DoS
// resistance costs a third of the seeding time here.
pub struct Table<T> {
    schema: &'static EntitySchema,
    rows: FxHashMap<Uuid, T>,
    indexes: FxHashMap<&'static str, FxHashMap<IndexKey, Ids>>,
    /// Every row by `(createdDate, id)`: the default sort pages without sorting all matches.
    created: BTreeSet<OrderKey>,
    /// While bulk loading, new `created` keys wait here and are merged in one build at the end
    /// (one by one they cost a third of the seeding time).
    pending_created: Option<Vec<OrderKey>>,
    /// Every row by `(field, id)` for each other sortable field: built by the first query sorted
    /// by that field alone, kept up to date after, so that its pages cost what they read.
    ordered: Vec<(&'static str, OnceLock<BTreeSet<OrderKey>>)>,
    /// Ids inserted, changed or removed since the store last took them; `None` when no store
    /// keeps the table (the in-memory emulator pays one branch per write for it).
    changed: Option<FxHashSet<Uuid>>,
    /// Which batch last changed what, while the store keeps the table ([`crate::durability`]).
    stamps: Stamps,
}

/// The batches that last changed a table's rows, for answers that wait until what they saw is
/// durable. Only stamps of batches not yet known durable are kept: memory follows what is in
/// flight, not what the table holds.
#[derive(Default)]
struct Stamps {
    rows: FxHashMap<Uuid, u64>,
    /// `rows`' entries in stamp order, to forget them once durable.
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    order: VecDeque<(u64, Uuid)>,
    /// The last batch that changed any row (what a query or a scan sees).
    any: u64,
    /// The last batch that removed a row or took a row off an index key (what not finding a
    /// row sees).
    loss: u64,
    /// A row left an index key since the last batch.
    lost_key: bool,
}

impl Stamps {
    fn row(&self, id: &Uuid) -> u64 {
        self.rows.get(id).copied().unwrap_or(0)
    }

    /// Forgets the stamps of batches up to `durable`.
    #[cfg(feature = "store")]
    fn settle(&mut self, durable: u64) {
        while let Some(&(stamp, id)) = self.order.front()
            && stamp <= durable
        {
            self.order.pop_front();
            if self.rows.get(&id) == Some(&stamp) {
                self.rows.remove(&id);
            }
        }
    }
}

const CREATED: &str = "createdDate";

/// The ids under one index key: most keys (codes, contacts) have one, kept inline.
type Ids = SmallVec<[Uuid; 1]>;

impl<T: Row> Table<T> {
    pub fn new(schema: &'static EntitySchema) -> Self {
        debug_assert!(
            schema.indexed.len() <= MAX_INDEXES,
            "{} has too many indexes",
            schema.name
        );
        Self {
            schema,
            rows: FxHashMap::default(),
            indexes: FxHashMap::default(),
            created: BTreeSet::new(),
            pending_created: None,
            ordered: schema
                .fields
                .iter()
                .filter(|f| f.sortable && f.name != CREATED)
                .map(|f| (f.name, OnceLock::new()))
                .collect(),
            changed: None,
            stamps: Stamps::default(),
        }
    }

    /// Whether a store keeps this table (then reads report what they saw).
    fn tracked(&self) -> bool {
        self.changed.is_some()
    }

    /// From now on, remembers which rows change, for [`Table::take_changes`].
    pub(crate) fn track_changes(&mut self) {
        self.changed.get_or_insert_with(FxHashSet::default);
    }

    #[cfg(feature = "store")]
    /// The rows changed since the last call: each id with its row now, or `None` if removed.
    /// They are stamped as changed by batch `sequence`; stamps up to `durable` are forgotten
    /// (a `sequence` already durable stamps nothing).
    pub(crate) fn take_changes(&mut self, sequence: u64, durable: u64) -> Vec<(Uuid, Option<&T>)> {
        let Some(changed) = &mut self.changed else {
            return Vec::new();
        };
        let ids = std::mem::take(changed);
        let stamps = &mut self.stamps;
        stamps.settle(durable);
        if !ids.is_empty() {
            stamps.any = sequence;
        }
        if std::mem::take(&mut stamps.lost_key) {
            stamps.loss = sequence;
        }
        let stamping = sequence > durable;
        ids.into_iter()
            .map(|id| {
                let row = self.rows.get(&id);
                if row.is_none() {
                    stamps.loss = sequence;
                }
                if stamping {
                    stamps.rows.insert(id, sequence);
                    stamps.order.push_back((sequence, id));
                }
                (id, row)
            })
            .collect()
    }

    #[cfg(feature = "store")]
    /// Marks every row changed (an import writes them all).
    pub(crate) fn mark_all_changed(&mut self) {
        if let Some(changed) = &mut self.changed {
            changed.extend(self.rows.keys().copied());
        }
    }

    fn mark_changed(&mut self, id: Uuid) {
        if let Some(changed) = &mut self.changed {
            changed.insert(id);
        }
    }

    /// Starts a bulk load: see [`Table::end_bulk`]. The lazily built orders are dropped (and
    /// built again when a query needs them) rather than updated row by row.
    pub fn begin_bulk(&mut self) {
        self.pending_created.get_or_insert_with(Vec::new);
        for (_, keys) in &mut self.ordered {
            *keys = OnceLock::new();
        }
    }

    /// Ends a bulk load, building the created-date order of everything it added at once.
    pub fn end_bulk(&mut self) {
        if let Some(pending) = self.pending_created.take()
            && !pending.is_empty()
        {
            let mut keys: Vec<OrderKey> = std::mem::take(&mut self.created).into_iter().collect();
            keys.extend(pending);
            keys.sort_unstable();
            self.created = keys.into_iter().collect();
        }
    }

    fn add_created(&mut self, key: OrderKey) {
        match &mut self.pending_created {
            Some(pending) => pending.push(key),
            None => {
                self.created.insert(key);
            }
        }
    }

    fn remove_created(&mut self, key: &OrderKey) {
        if !self.created.remove(key)
            && let Some(pending) = &mut self.pending_created
        {
            pending.retain(|k| k != key);
        }
    }

    /// Makes room for `additional` more rows (seeding knows how many are coming).
    pub fn reserve(&mut self, additional: usize) {
        self.rows.reserve(additional);
    }

    // Every read below reports what it saw to `durability::observe` (one branch when no store
    // keeps the table): a row its stamp, an absence the last loss, a scan the last change.

    pub fn len(&self) -> usize {
        self.observe_any();
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.observe_any();
        self.rows.is_empty()
    }

    pub fn get(&self, id: &Uuid) -> Option<&T> {
        let row = self.rows.get(id);
        if self.tracked() {
            durability::observe(match row {
                Some(_) => self.stamps.row(id),
                None => self.stamps.loss,
            });
        }
        row
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.observe_any();
        self.rows.values()
    }

    /// Ids of the rows whose indexed `field` equals `value`.
    pub fn lookup(&self, field: &str, key: &IndexKey) -> &[Uuid] {
        let ids = self
            .indexes
            .get(field)
            .and_then(|index| index.get(key))
            .map_or(&[][..], |ids| ids.as_slice());
        if self.tracked() {
            // A key's ids change by a row arriving (then it is among them) or leaving.
            let seen = ids.iter().map(|id| self.stamps.row(id)).max().unwrap_or(0);
            durability::observe(seen.max(self.stamps.loss));
        }
        ids
    }

    fn observe_any(&self) {
        if self.tracked() {
            durability::observe(self.stamps.any);
        }
    }

    /// The first row whose indexed `field` equals `value`.
    pub fn find(&self, field: &str, key: &IndexKey) -> Option<&T> {
        self.lookup(field, key)
            .first()
            .and_then(|id| self.rows.get(id))
    }

    pub fn insert(&mut self, row: T) {
        let id = row.id();
        self.mark_changed(id);
        if let Some(old) = self.rows.remove(&id) {
            self.unindex(&old);
        }
        for field in self.schema.indexed {
            if let Some(key) = row.index_key(field) {
                self.indexes
                    .entry(field)
                    .or_default()
                    .entry(key)
                    .or_default()
                    .push(id);
            }
        }
        self.add_created(order_key(&row, CREATED));
        for (field, keys) in &mut self.ordered {
            if let Some(keys) = keys.get_mut() {
                keys.insert(order_key(&row, field));
            }
        }
        self.rows.insert(id, row);
    }

    pub fn remove(&mut self, id: &Uuid) -> Option<T> {
        let row = self.rows.remove(id)?;
        self.mark_changed(*id);
        self.unindex(&row);
        Some(row)
    }

    /// Changes a row in place; its index entries follow when an indexed field changed.
    pub fn update<R>(&mut self, id: &Uuid, change: impl FnOnce(&mut T) -> R) -> Option<R> {
        let row = self.rows.get_mut(id)?;
        if let Some(changed) = &mut self.changed {
            changed.insert(*id);
        }
        let keys_before = index_keys(self.schema, row);
        let created_before = order_key(&*row, CREATED);
        let ordered_before: Vec<Option<OrderKey>> = self
            .ordered
            .iter()
            .map(|(field, keys)| keys.get().map(|_| order_key(&*row, field)))
            .collect();
        let result = change(row);
        let created_after = order_key(&*row, CREATED);
        let ordered_after: Vec<Option<OrderKey>> = self
            .ordered
            .iter()
            .map(|(field, keys)| keys.get().map(|_| order_key(&*row, field)))
            .collect();
        if created_after != created_before {
            self.remove_created(&created_before);
            self.add_created(created_after);
        }
        for ((before, after), (_, keys)) in ordered_before
            .into_iter()
            .zip(ordered_after)
            .zip(&mut self.ordered)
        {
            if let (Some(before), Some(after), Some(keys)) = (before, after, keys.get_mut())
                && before != after
            {
                keys.remove(&before);
                keys.insert(after);
            }
        }
        let Some(row) = self.rows.get(id) else {
            return Some(result);
        };
        if index_keys(self.schema, row) != keys_before {
            let row = self.rows.remove(id)?;
            let mut old_keys = keys_before.into_iter();
            for field in self.schema.indexed {
                if let Some(key) = old_keys.next().flatten() {
                    self.unindex_key(field, &key, *id);
                }
            }
            self.insert(row);
        }
        Some(result)
    }

    fn unindex(&mut self, row: &T) {
        let id = row.id();
        self.remove_created(&order_key(row, CREATED));
        for (field, keys) in &mut self.ordered {
            if let Some(keys) = keys.get_mut() {
                keys.remove(&order_key(row, field));
            }
        }
        for field in self.schema.indexed {
            if let Some(key) = row.index_key(field) {
                self.unindex_key(field, &key, id);
            }
        }
    }

    fn unindex_key(&mut self, field: &str, key: &IndexKey, id: Uuid) {
        self.stamps.lost_key = self.tracked();
        if let Some(index) = self.indexes.get_mut(field)
            && let Some(ids) = index.get_mut(key)
        {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                index.remove(key);
            }
        }
    }

    /// Runs a query, through an index when the filter pins an indexed field.
    /// `scope` narrows the rows further (an indexed field and its value) before the filter.
    pub fn query(&self, plan: &Plan, scope: Option<(&str, &IndexKey)>) -> Page<'_, T> {
        if let Some((field, value)) = scope {
            let rows = self
                .lookup(field, value)
                .iter()
                .filter_map(|id| self.rows.get(id));
            return query::execute(self.schema, plan, rows);
        }
        match plan.filter.index_lookup(self.schema.indexed) {
            Some((field, keys)) => {
                let mut ids: Vec<Uuid> = keys
                    .iter()
                    .flat_map(|k| self.lookup(field, k).iter().copied())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                query::execute(
                    self.schema,
                    plan,
                    ids.iter().filter_map(|id| self.rows.get(id)),
                )
            }
            None => {
                self.observe_any();
                self.ordered_walk(plan)
                    .unwrap_or_else(|| query::execute(self.schema, plan, self.rows.values()))
            }
        }
    }

    /// The page of a query sorted by one field, by walking that field's order.
    fn ordered_walk(&self, plan: &Plan) -> Option<Page<'_, T>> {
        let [(field, _)] = plan.sort.as_slice() else {
            return None;
        };
        let get = |id: &Uuid| self.rows.get(id);
        if *field == CREATED {
            return query::execute_ordered(self.schema, plan, CREATED, &self.created, get);
        }
        let (_, keys) = self.ordered.iter().find(|(name, _)| name == field)?;
        let keys = keys.get_or_init(|| {
            self.rows
                .values()
                .map(|row| order_key(row, field))
                .collect()
        });
        query::execute_ordered(self.schema, plan, field, keys, get)
    }
}

impl<T: Row> Table<T> {
    #[cfg(test)]
    fn ordered_keys(&self, field: &str) -> Option<&BTreeSet<OrderKey>> {
        self.ordered
            .iter()
            .find(|(name, _)| *name == field)
            .and_then(|(_, k)| k.get())
    }
}

fn index_keys<T: Row>(schema: &EntitySchema, row: &T) -> Vec<Option<IndexKey>> {
    schema
        .indexed
        .iter()
        .map(|field| row.index_key(field))
        .collect()
}

impl<T: Serialize> Serialize for Table<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Rows only, in id order so that state files are stable; indexes are rebuilt on load.
        let mut rows: Vec<(&Uuid, &T)> = self.rows.iter().collect();
        rows.sort_by_key(|(id, _)| **id);
        serializer.collect_seq(rows.into_iter().map(|(_, row)| row))
    }
}

/// Loads a table's rows; the schema comes from the caller.
pub(crate) fn load_table<'de, T, D>(
    schema: &'static EntitySchema,
    deserializer: D,
) -> Result<Table<T>, D::Error>
where
    T: Row + Deserialize<'de>,
    D: Deserializer<'de>,
{
    let rows = Vec::<T>::deserialize(deserializer)?;
    let mut table = Table::new(schema);
    for row in rows {
        table.insert(row);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::query::{DATE_OPS, FieldKind, FieldSpec, FieldValue, Order, STRING_OPS};

    #[derive(Debug, Clone)]
    struct R {
        id: Uuid,
        tag: Option<&'static str>,
        minute: i64,
    }

    impl Row for R {
        fn id(&self) -> Uuid {
            self.id
        }
        fn field(&self, name: &str) -> Option<FieldValue> {
            match name {
                "tag" => self.tag.map(|t| FieldValue::Str(t.to_owned())),
                "createdDate" => DateTime::from_timestamp(1_700_000_000 + self.minute * 60, 0)
                    .map(FieldValue::Date),
                _ => None,
            }
        }
    }

    static SCHEMA: EntitySchema = EntitySchema {
        name: "r",
        fields: &[
            FieldSpec {
                name: "tag",
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
        ],
        default_sort: &[("createdDate", Order::Desc)],
        indexed: &[],
        departures: &[],
        aliases: &[],
    };

    fn ids(page: &Page<'_, R>) -> Vec<Uuid> {
        page.rows.iter().map(|r| r.id).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// The ordered walk of every sortable field (createdDate kept from the start, tag built
        /// by the first query sorted by it) gives the pages and cursors of the sort-everything
        /// path, forwards and backwards, whatever the data, filter, direction and page size; and
        /// stays right after rows change and go.
        #[test]
        fn the_ordered_walk_matches_the_generic_path(
            rows in prop::collection::vec((any::<u8>(), prop::option::of(prop::sample::select(&["a", "b", "c"][..])), 0i64..5), 0..30),
            filter in prop::sample::select(vec![json!(null), json!({"tag": "a"}), json!({"tag": {"$exists": false}}), json!({"tag": {"$ne": "b"}})]),
            sort_field in prop::sample::select(&["createdDate", "tag"][..]),
            ascending in any::<bool>(),
            limit in 1u32..6,
            changes in prop::collection::vec((any::<u8>(), prop::option::of(prop::sample::select(&["a", "b", "c"][..])), any::<bool>()), 0..8),
        ) {
            let mut table = Table::new(&SCHEMA);
            let mut all = Vec::new();
            for (id, tag, minute) in rows {
                let row = R { id: Uuid::from_u128(u128::from(id) + 1), tag, minute };
                table.insert(row.clone());
                all.retain(|r: &R| r.id != row.id);
                all.push(row);
            }
            let order = if ascending { "ASC" } else { "DESC" };
            let first_query = json!({"filter": filter, "sort": [{"fieldName": sort_field, "order": order}], "cursorPaging": {"limit": limit}});
            let mut query = first_query.clone();
            let mut pages = Vec::new();
            loop {
                let plan = query::plan(&SCHEMA, &query, "s", None, &crate::lenience::Lenience::default()).unwrap();
                let fast = table.query(&plan, None);
                let slow = query::execute(&SCHEMA, &plan, all.iter());
                prop_assert_eq!(ids(&fast), ids(&slow));
                prop_assert_eq!(fast.next.is_some(), slow.next.is_some());
                prop_assert_eq!(fast.prev.is_some(), slow.prev.is_some());
                pages.push((ids(&fast), fast.prev.clone()));
                match fast.next {
                    Some(next) => query = json!({"cursorPaging": {"cursor": next}}),
                    None => break,
                }
                prop_assert!(pages.len() <= all.len() + 1);
            }
            // Back from the last page: each prev cursor gives the page before it.
            for window in pages.windows(2).rev() {
                let (earlier, _) = &window[0];
                let Some(prev) = window[1].1.clone() else {
                    prop_assert!(window[1].0.is_empty());
                    continue;
                };
                let plan = query::plan(&SCHEMA, &json!({"cursorPaging": {"cursor": prev}}), "s", None, &crate::lenience::Lenience::default()).unwrap();
                let fast = table.query(&plan, None);
                let slow = query::execute(&SCHEMA, &plan, all.iter());
                prop_assert_eq!(ids(&fast), ids(&slow));
                prop_assert_eq!(&ids(&fast), earlier);
                prop_assert_eq!(fast.next.is_some(), slow.next.is_some());
                prop_assert_eq!(fast.prev.is_some(), slow.prev.is_some());
            }
            if sort_field == "tag" {
                prop_assert!(table.ordered_keys("tag").is_some(), "built by the first query");
            }
            // Rows change (tag and time) and go; the orders follow.
            for (id, tag, remove) in changes {
                let id = Uuid::from_u128(u128::from(id) % 31 + 1);
                if remove {
                    table.remove(&id);
                    all.retain(|r| r.id != id);
                } else {
                    table.update(&id, |r| { r.tag = tag; r.minute += 1; });
                    if let Some(r) = all.iter_mut().find(|r| r.id == id) {
                        r.tag = tag;
                        r.minute += 1;
                    }
                }
            }
            let plan = query::plan(&SCHEMA, &first_query, "s", None, &crate::lenience::Lenience::default()).unwrap();
            prop_assert_eq!(ids(&table.query(&plan, None)), ids(&query::execute(&SCHEMA, &plan, all.iter())));
            if let Some(keys) = table.ordered_keys("tag") {
                prop_assert_eq!(keys.len(), all.len());
            }
            prop_assert_eq!(table.created.len(), all.len());
        }
    }

    #[test]
    fn a_bulk_load_builds_the_same_created_order() {
        let rows: Vec<R> = (0..50u128)
            .map(|i| R {
                id: Uuid::from_u128(i * 7919 % 101 + 1),
                tag: None,
                minute: (i % 5) as i64,
            })
            .collect();
        let mut one_by_one = Table::new(&SCHEMA);
        let mut bulk = Table::new(&SCHEMA);
        one_by_one.insert(rows[0].clone());
        bulk.insert(rows[0].clone());
        bulk.begin_bulk();
        for row in &rows[1..] {
            one_by_one.insert(row.clone());
            bulk.insert(row.clone());
        }
        bulk.remove(&rows[3].id);
        one_by_one.remove(&rows[3].id);
        assert!(
            bulk.created.len() < one_by_one.created.len(),
            "keys wait until the end"
        );
        bulk.end_bulk();
        assert_eq!(bulk.created, one_by_one.created);
    }

    #[test]
    fn removing_and_updating_rows_keeps_the_created_order_in_step() {
        let mut table = Table::new(&SCHEMA);
        for i in 0..4u128 {
            table.insert(R {
                id: Uuid::from_u128(i + 1),
                tag: None,
                minute: i as i64,
            });
        }
        table.remove(&Uuid::from_u128(2));
        table.update(&Uuid::from_u128(3), |r| r.minute = 9);
        let plan = query::plan(
            &SCHEMA,
            &json!({"sort": [{"fieldName": "createdDate", "order": "ASC"}]}),
            "s",
            None,
            &crate::lenience::Lenience::default(),
        )
        .unwrap();
        let page = table.query(&plan, None);
        assert_eq!(
            ids(&page),
            [Uuid::from_u128(1), Uuid::from_u128(4), Uuid::from_u128(3)]
        );
        assert_eq!(table.created.len(), 3);
    }

    #[cfg(feature = "store")]
    #[test]
    fn reads_see_the_stamps_of_what_they_touched_and_forget_them_once_durable() {
        static INDEXED: EntitySchema = EntitySchema {
            indexed: &["tag"],
            departures: &[],
            aliases: &[],
            ..SCHEMA
        };
        let row = |id: u128, tag| R {
            id: Uuid::from_u128(id),
            tag: Some(tag),
            minute: 0,
        };
        type Read<'a> = dyn Fn(&Table<R>) + 'a;
        let seen =
            |table: &Table<R>, read: &Read<'_>| crate::durability::observing(|| read(table)).1;
        let mut table = Table::new(&INDEXED);
        table.track_changes();
        table.insert(row(1, "a"));
        table.insert(row(2, "b"));
        assert_eq!(table.take_changes(1, 0).len(), 2);
        table.insert(row(3, "c"));
        table.take_changes(2, 0);
        let (one, three, gone) = (Uuid::from_u128(1), Uuid::from_u128(3), Uuid::from_u128(9));
        let cases: [(&str, &Read<'_>, u64); 6] = [
            ("row of batch 1", &|t| _ = t.get(&one), 1),
            ("row of batch 2", &|t| _ = t.get(&three), 2),
            ("no such row, nothing removed", &|t| _ = t.get(&gone), 0),
            (
                "a key's rows",
                &|t| _ = t.lookup("tag", &IndexKey::parse("a")),
                1,
            ),
            (
                "a key nobody has",
                &|t| _ = t.lookup("tag", &IndexKey::parse("z")),
                0,
            ),
            ("a scan", &|t| _ = t.len(), 2),
        ];
        for (what, read, expected) in cases {
            assert_eq!(seen(&table, read), expected, "{what}");
        }
        // A removal and a key change are losses: not finding a row or a key sees them.
        table.remove(&Uuid::from_u128(2));
        table.update(&one, |r| r.tag = Some("z"));
        table.take_changes(3, 1);
        assert_eq!(seen(&table, &|t| _ = t.get(&gone)), 3);
        let lost_key = seen(&table, &|t| _ = t.lookup("tag", &IndexKey::parse("a")));
        assert_eq!(lost_key, 3);
        assert_eq!(seen(&table, &|t| _ = t.get(&three)), 2);
        // Once batch 3 is durable the rows' stamps are forgotten (memory follows what is in
        // flight); a read of them then needs nothing.
        table.take_changes(4, 3);
        assert!(table.stamps.rows.is_empty() && table.stamps.order.is_empty());
        assert_eq!(seen(&table, &|t| _ = t.get(&one)), 0);
        // A batch already durable when taken (an import) stamps nothing.
        table.insert(row(5, "e"));
        table.take_changes(5, u64::MAX);
        assert!(table.stamps.rows.is_empty());
    }

    #[test]
    fn an_untracked_table_reports_nothing() {
        let mut table = Table::new(&SCHEMA);
        table.insert(R {
            id: Uuid::from_u128(1),
            tag: None,
            minute: 0,
        });
        let ((), seen) = crate::durability::observing(|| {
            let _ = (table.get(&Uuid::from_u128(1)), table.len());
        });
        assert_eq!(seen, 0);
    }
}
