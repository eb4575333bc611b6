//! Pages, and streams that follow cursors over any page-fetching function: the service traits
//! return one page, and the `*_stream` helpers of the `*Ext` traits turn any implementation (the
//! client, a mock of one page method) into a stream.
//!
//! Streams are lazy (nothing is fetched until polled, nothing more once the caller stops),
//! send filter and sort only on the first request, stop on a missing or repeated cursor rather
//! than loop, and hand over every item received before a later page fails, then the error.

use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::future::Future;
use std::hash::{Hash, Hasher};

use futures::stream::{self, Stream, StreamExt};
use referral_api::types as api;

use crate::error::Error;
use crate::ids::Cursor;
use crate::query::Query;

/// One page of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the following page, if the server says there is one.
    pub next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, next_cursor: Option<Cursor>) -> Self {
        Self { items, next_cursor }
    }

    /// Items converted from the generated type, and the next cursor from the paging metadata
    /// (`hasNext: false` or an empty cursor means the last page).
    pub(crate) fn from_wire<W>(items: Vec<W>, metadata: Option<api::CursorPagingMetadata>) -> Self
    where
        T: From<W>,
    {
        let metadata = metadata.unwrap_or_default();
        let next = metadata
            .cursors
            .and_then(|c| c.next)
            .filter(|c| !c.is_empty());
        let next_cursor = match metadata.has_next {
            Some(false) => None,
            _ => next.map(Cursor::new),
        };
        Self {
            items: items.into_iter().map(T::from).collect(),
            next_cursor,
        }
    }
}

/// What a stream does after a page: follow its cursor, or stop and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextPage {
    Fetch(Cursor),
    /// The server says this was the last page.
    Done,
    /// The server returned a cursor it had returned before: following it would loop.
    RepeatedCursor,
}

/// Remembers the cursors a walk has followed (as hashes, so memory stays small).
#[derive(Debug, Default)]
pub struct CursorGuard {
    seen: HashSet<u64>,
}

impl CursorGuard {
    /// The step after a page whose next cursor is `next`.
    pub fn next_page(&mut self, next: Option<&Cursor>) -> NextPage {
        let Some(cursor) = next else {
            return NextPage::Done;
        };
        let mut hasher = DefaultHasher::new();
        cursor.hash(&mut hasher);
        if self.seen.insert(hasher.finish()) {
            NextPage::Fetch(cursor.clone())
        } else {
            NextPage::RepeatedCursor
        }
    }
}

struct Walk<E, F> {
    query: Option<Query<E>>,
    fetch: F,
    guard: CursorGuard,
}

/// The pages of `query`, fetched one at a time as the stream is polled.
pub fn pages<E, T, F, Fut>(query: Query<E>, fetch: F) -> impl Stream<Item = Result<Page<T>, Error>>
where
    E: crate::query::Entity,
    F: FnMut(Query<E>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let walk = Walk {
        query: Some(query),
        fetch,
        guard: CursorGuard::default(),
    };
    stream::unfold(walk, |mut walk| async move {
        let query = walk.query.take()?;
        let page = match (walk.fetch)(query.clone()).await {
            Ok(page) => page,
            // The error ends the stream: `query` stays taken.
            Err(e) => return Some((Err(e), walk)),
        };
        match walk.guard.next_page(page.next_cursor.as_ref()) {
            NextPage::Fetch(cursor) => walk.query = Some(query.after(cursor)),
            NextPage::Done => {}
            NextPage::RepeatedCursor => {
                tracing::warn!("the server repeated a cursor; the walk stops instead of looping");
            }
        }
        Some((Ok(page), walk))
    })
}

/// The items of every page of `query`, in order.
pub fn items<E, T, F, Fut>(query: Query<E>, fetch: F) -> impl Stream<Item = Result<T, Error>>
where
    E: crate::query::Entity,
    F: FnMut(Query<E>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    pages(query, fetch).flat_map(|page| {
        let items: Vec<Result<T, Error>> = match page {
            Ok(page) => page.items.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        stream::iter(items)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures::TryStreamExt;

    use super::*;
    use crate::query::friends;

    #[test]
    fn the_guard_follows_new_cursors_and_stops_on_missing_or_repeated_ones() {
        let a = Cursor::new("a");
        let b = Cursor::new("b");
        let cases: [(&[Option<&Cursor>], &[NextPage]); 3] = [
            (&[None], &[NextPage::Done]),
            (
                &[Some(&a), Some(&b), None],
                &[
                    NextPage::Fetch(a.clone()),
                    NextPage::Fetch(b.clone()),
                    NextPage::Done,
                ],
            ),
            (
                &[Some(&a), Some(&b), Some(&a)],
                &[
                    NextPage::Fetch(a.clone()),
                    NextPage::Fetch(b.clone()),
                    NextPage::RepeatedCursor,
                ],
            ),
        ];
        for (cursors, expected) in cases {
            let mut guard = CursorGuard::default();
            let steps: Vec<NextPage> = cursors.iter().map(|c| guard.next_page(*c)).collect();
            assert_eq!(steps, expected);
        }
    }

    #[test]
    fn metadata_decides_the_next_cursor() {
        let meta = |json: serde_json::Value| -> Option<api::CursorPagingMetadata> {
            Some(serde_json::from_value(json).unwrap())
        };
        let cases = [
            (
                meta(serde_json::json!({"cursors": {"next": "n"}, "hasNext": true})),
                Some("n"),
            ),
            (
                meta(serde_json::json!({"cursors": {"next": "n"}})),
                Some("n"),
            ),
            (
                meta(serde_json::json!({"cursors": {"next": "n"}, "hasNext": false})),
                None,
            ),
            (
                meta(serde_json::json!({"cursors": {"next": ""}, "hasNext": true})),
                None,
            ),
            (meta(serde_json::json!({"hasNext": true})), None),
            (None, None),
        ];
        for (metadata, expected) in cases {
            let page: Page<i32> = Page::from_wire(Vec::<i32>::new(), metadata);
            assert_eq!(page.next_cursor.as_ref().map(Cursor::as_str), expected);
        }
    }

    /// A fake server of `total` items in pages of `size`; records every query it was sent.
    fn server(
        total: i32,
        fail_on_page: Option<usize>,
        log: Arc<Mutex<Vec<serde_json::Value>>>,
    ) -> impl FnMut(friends::FriendQuery) -> futures::future::Ready<Result<Page<i32>, Error>> {
        move |query| {
            let sent = query.to_json();
            let mut log = log.lock().unwrap();
            log.push(sent.clone());
            let page_no = log.len();
            if Some(page_no) == fail_on_page {
                return futures::future::ready(Err(Error::Api(Box::new(crate::error::ApiError {
                    operation: "query_referred_friend",
                    status: 503,
                    message: String::new(),
                    code: None,
                    description: None,
                    field_violations: Vec::new(),
                    request_id: None,
                }))));
            }
            let start: i32 = query.cursor().map_or(0, |c| c.as_str().parse().unwrap());
            let size = query.limit().unwrap_or(50) as i32;
            let end = (start + size).min(total);
            let next = (end < total).then(|| Cursor::new(end.to_string()));
            futures::future::ready(Ok(Page::new((start..end).collect(), next)))
        }
    }

    #[tokio::test]
    async fn a_stream_walks_every_page_sending_filter_and_sort_only_first() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let query = friends::query()
            .filter(friends::status().eq(crate::FriendStatus::ActionsCompleted))
            .sort(friends::created_date().asc())
            .page_size(3);
        let all: Vec<i32> = items(query, server(8, None, log.clone()))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, (0..8).collect::<Vec<_>>());
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 3);
        assert!(log[0].get("filter").is_some() && log[0].get("sort").is_some());
        for later in &log[1..] {
            assert_eq!(
                later.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["cursorPaging"]
            );
            assert_eq!(later["cursorPaging"]["limit"], 3);
        }
    }

    #[tokio::test]
    async fn nothing_is_fetched_until_polled_nor_after_the_caller_stops() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let stream = items(
            friends::query().page_size(2),
            server(100, None, log.clone()),
        );
        assert_eq!(log.lock().unwrap().len(), 0, "lazy");
        let first_three: Vec<i32> = stream.take(3).try_collect().await.unwrap();
        assert_eq!(first_three, [0, 1, 2]);
        assert_eq!(
            log.lock().unwrap().len(),
            2,
            "two pages for three items, no more"
        );
    }

    #[tokio::test]
    async fn items_before_a_failing_page_arrive_then_the_error_then_the_end() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let results: Vec<Result<i32, Error>> =
            items(friends::query().page_size(2), server(10, Some(3), log))
                .collect()
                .await;
        let oks: Vec<i32> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(oks, [0, 1, 2, 3]);
        assert_eq!(results.len(), 5);
        assert_eq!(results[4].as_ref().unwrap_err().status(), Some(503));
    }

    #[tokio::test]
    async fn a_repeated_cursor_ends_the_walk() {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let looping = move |_query: friends::FriendQuery| {
            *counter.lock().unwrap() += 1;
            futures::future::ready(Ok::<_, Error>(Page::new(
                vec![1],
                Some(Cursor::new("same")),
            )))
        };
        let all: Vec<i32> = items(friends::query(), looping)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            all,
            [1, 1],
            "the first page, and the page its cursor led to"
        );
        assert_eq!(*calls.lock().unwrap(), 2);
    }
}
