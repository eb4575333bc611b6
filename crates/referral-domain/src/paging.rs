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

use std::time::Duration;

use crate::error::{Error, PagingError, PagingStop};
use crate::ids::Cursor;
use crate::query::Query;

/// One page of a query.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items, in the query's order.
    pub items: Vec<T>,
    /// The cursor of the following page, if the server says there is one.
    pub next_cursor: Option<Cursor>,
    /// The server said more pages follow (`hasNext: true`) but sent no cursor for them: a
    /// stream ends after this page with [`PagingStop::MissingCursor`].
    pub more_without_cursor: bool,
}

impl<T> Page<T> {
    /// A page and the cursor of the next one (`None`: the last page).
    pub fn new(items: Vec<T>, next_cursor: Option<Cursor>) -> Self {
        Self {
            items,
            next_cursor,
            more_without_cursor: false,
        }
    }

    /// A page whose server said more follow but gave no cursor (for mocks of that server).
    pub fn with_missing_cursor(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
            more_without_cursor: true,
        }
    }

    /// Items converted from the generated type, and the next cursor from the paging metadata:
    /// `hasNext: false` is the last page; a cursor without `hasNext` is followed; `hasNext:
    /// true` without a (non-empty) cursor is marked [`Page::more_without_cursor`].
    pub(crate) fn from_wire<W>(items: Vec<W>, metadata: Option<api::CursorPagingMetadata>) -> Self
    where
        T: From<W>,
    {
        let metadata = metadata.unwrap_or_default();
        let next = metadata
            .cursors
            .and_then(|c| c.next)
            .filter(|c| !c.is_empty());
        let items = items.into_iter().map(T::from).collect();
        match (metadata.has_next, next) {
            (Some(false), _) | (None, None) => Self::new(items, None),
            (_, Some(next)) => Self::new(items, Some(Cursor::new(next))),
            (Some(true), None) => Self::with_missing_cursor(items),
        }
    }
}

/// How far a stream of pages may go, on top of the checks every stream makes (a repeated or
/// cycling cursor, `hasNext` without a cursor). Set per query with
/// [`crate::query::Query::stream_limits`]. Defaults: 10 empty pages in a row, no page budget,
/// no deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamLimits {
    /// Pages in a row without items before the stream gives up
    /// ([`PagingStop::EmptyPages`]).
    pub max_empty_pages: u32,
    /// Pages fetched at most ([`PagingStop::PageBudget`]); `None`: no budget.
    pub max_pages: Option<u64>,
    /// The longest a stream may take from its first fetch ([`PagingStop::Deadline`]); `None`:
    /// no deadline (each call still has the client's timeouts).
    pub deadline: Option<Duration>,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            max_empty_pages: 10,
            max_pages: None,
            deadline: None,
        }
    }
}

impl StreamLimits {
    /// Gives up after `pages` pages in a row without items (at least 1).
    pub fn max_empty_pages(mut self, pages: u32) -> Self {
        self.max_empty_pages = pages.max(1);
        self
    }

    /// Fetches at most `pages` pages.
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = Some(pages);
        self
    }

    /// Stops `deadline` after the first fetch began.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }
}

/// What a stream does after a page: follow its cursor, or stop and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextPage {
    /// Fetch the page at this cursor.
    Fetch(Cursor),
    /// The server says this was the last page.
    Done,
    /// The stream must stop before the server said it was done.
    Stop(PagingStop),
}

/// The pure policy of a walk over pages: which cursors it followed (as hashes, so memory stays
/// small), how many pages and empty pages in a row it saw, against its [`StreamLimits`].
#[derive(Debug, Default)]
pub struct CursorGuard {
    seen: HashSet<u64>,
    limits: StreamLimits,
    pages: u64,
    empty_in_a_row: u32,
}

impl CursorGuard {
    /// A guard that keeps to `limits`.
    pub fn with_limits(limits: StreamLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The step after a page of `items` items whose next cursor is `next` (and whose server
    /// said more follow without a cursor, when `more_without_cursor`).
    pub fn after_page(
        &mut self,
        items: usize,
        next: Option<&Cursor>,
        more_without_cursor: bool,
    ) -> NextPage {
        self.pages += 1;
        self.empty_in_a_row = if items == 0 {
            self.empty_in_a_row.saturating_add(1)
        } else {
            0
        };
        let Some(cursor) = next else {
            return if more_without_cursor {
                NextPage::Stop(PagingStop::MissingCursor)
            } else {
                NextPage::Done
            };
        };
        let mut hasher = DefaultHasher::new();
        cursor.hash(&mut hasher);
        if !self.seen.insert(hasher.finish()) {
            return NextPage::Stop(PagingStop::RepeatedCursor);
        }
        if self.empty_in_a_row >= self.limits.max_empty_pages {
            return NextPage::Stop(PagingStop::EmptyPages(self.empty_in_a_row));
        }
        if let Some(budget) = self.limits.max_pages
            && self.pages >= budget
        {
            return NextPage::Stop(PagingStop::PageBudget(budget));
        }
        NextPage::Fetch(cursor.clone())
    }

    /// The step after a page whose next cursor is `next` (a page with items, marked as
    /// complete): [`CursorGuard::after_page`] for callers that track nothing else.
    pub fn next_page(&mut self, next: Option<&Cursor>) -> NextPage {
        self.after_page(1, next, false)
    }
}

struct Walk<E, F> {
    query: Option<Query<E>>,
    fetch: F,
    guard: CursorGuard,
    /// An early stop, told once after the page that caused it.
    stop: Option<PagingStop>,
    /// When the deadline runs out (set at the first fetch).
    deadline: Option<tokio::time::Instant>,
    pages: u64,
    items: u64,
}

impl<E: crate::query::Entity, F> Walk<E, F> {
    fn error(&self, reason: PagingStop) -> Error {
        PagingError {
            entity: E::NAME,
            reason,
            pages: self.pages,
            items: self.items,
        }
        .into()
    }
}

/// The pages of `query`, fetched one at a time as the stream is polled. The stream ends after
/// the last page, after the first error, or (with a [`PagingError`], once every item received
/// has been handed over) when the server's paging cannot be trusted or the query's
/// [`StreamLimits`] run out.
pub fn pages<E, T, F, Fut>(query: Query<E>, fetch: F) -> impl Stream<Item = Result<Page<T>, Error>>
where
    E: crate::query::Entity,
    F: FnMut(Query<E>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let walk = Walk {
        guard: CursorGuard::with_limits(query.limits().clone()),
        query: Some(query),
        fetch,
        stop: None,
        deadline: None,
        pages: 0,
        items: 0,
    };
    stream::unfold(walk, |mut walk| async move {
        if let Some(stop) = walk.stop.take() {
            let error = walk.error(stop);
            return Some((Err(error), walk));
        }
        let query = walk.query.take()?;
        let limit = query.limits().deadline;
        let deadline = match (walk.deadline, limit) {
            (Some(at), _) => Some(at),
            (None, Some(limit)) => {
                let at = tokio::time::Instant::now() + limit;
                walk.deadline = Some(at);
                Some(at)
            }
            (None, None) => None,
        };
        let fetched = match deadline {
            Some(at) => match tokio::time::timeout_at(at, (walk.fetch)(query.clone())).await {
                Ok(fetched) => fetched,
                Err(_) => {
                    let error = walk.error(PagingStop::Deadline(limit.unwrap_or_default()));
                    return Some((Err(error), walk));
                }
            },
            None => (walk.fetch)(query.clone()).await,
        };
        let page = match fetched {
            Ok(page) => page,
            // The error ends the stream: `query` stays taken.
            Err(e) => return Some((Err(e), walk)),
        };
        walk.pages += 1;
        walk.items += page.items.len() as u64;
        match walk.guard.after_page(
            page.items.len(),
            page.next_cursor.as_ref(),
            page.more_without_cursor,
        ) {
            NextPage::Fetch(cursor) => walk.query = Some(query.after(cursor)),
            NextPage::Done => {}
            NextPage::Stop(stop) => {
                tracing::warn!(reason = %stop, "a stream of pages stops early");
                walk.stop = Some(stop);
            }
        }
        Some((Ok(page), walk))
    })
}

/// The items of every page of `query`, in order, then the error that ended the stream early,
/// if one did (see [`pages`]).
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
                    NextPage::Stop(PagingStop::RepeatedCursor),
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
        let dangling = [
            (serde_json::json!({"hasNext": true}), true),
            (
                serde_json::json!({"cursors": {"next": ""}, "hasNext": true}),
                true,
            ),
            (serde_json::json!({"cursors": {}, "hasNext": false}), false),
            (serde_json::json!({}), false),
            (
                serde_json::json!({"cursors": {"next": "n"}, "hasNext": true}),
                false,
            ),
        ];
        for (json, expected) in dangling {
            let page: Page<i32> = Page::from_wire(Vec::<i32>::new(), meta(json.clone()));
            assert_eq!(page.more_without_cursor, expected, "{json}");
        }
    }

    #[test]
    fn the_guard_keeps_to_its_limits() {
        let limits = StreamLimits::default().max_empty_pages(2).max_pages(4);
        let cursor = |n: u32| Cursor::new(n.to_string());
        // (items, next cursor, more without cursor) per page → the step after it.
        type Pages<'a> = &'a [(usize, Option<Cursor>, bool)];
        let cases: [(&str, Pages<'_>, NextPage); 5] = [
            (
                "two empty pages in a row",
                &[(0, Some(cursor(1)), false), (0, Some(cursor(2)), false)],
                NextPage::Stop(PagingStop::EmptyPages(2)),
            ),
            (
                "an empty page between full ones is fine",
                &[
                    (0, Some(cursor(1)), false),
                    (5, Some(cursor(2)), false),
                    (0, Some(cursor(3)), false),
                ],
                NextPage::Fetch(cursor(3)),
            ),
            (
                "the page budget",
                &[
                    (1, Some(cursor(1)), false),
                    (1, Some(cursor(2)), false),
                    (1, Some(cursor(3)), false),
                    (1, Some(cursor(4)), false),
                ],
                NextPage::Stop(PagingStop::PageBudget(4)),
            ),
            (
                "hasNext without a cursor",
                &[(3, None, true)],
                NextPage::Stop(PagingStop::MissingCursor),
            ),
            (
                "a cycle A, B, A",
                &[
                    (1, Some(cursor(1)), false),
                    (1, Some(cursor(2)), false),
                    (1, Some(cursor(1)), false),
                ],
                NextPage::Stop(PagingStop::RepeatedCursor),
            ),
        ];
        for (what, pages, expected) in cases {
            let mut guard = CursorGuard::with_limits(limits.clone());
            let last = pages
                .iter()
                .map(|(items, next, more)| guard.after_page(*items, next.as_ref(), *more))
                .last()
                .unwrap();
            assert_eq!(last, expected, "{what}");
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

    /// Runs a stream of `query` over `server` (page number → page) to its end: the items, and
    /// the error it ended with, if any.
    async fn walk(
        query: friends::FriendQuery,
        mut server: impl FnMut(u64) -> Page<i32>,
    ) -> (Vec<i32>, Option<Error>, u64) {
        let mut calls = 0u64;
        let results: Vec<Result<i32, Error>> = items(query, |_q: friends::FriendQuery| {
            calls += 1;
            futures::future::ready(Ok::<_, Error>(server(calls)))
        })
        .collect()
        .await;
        let mut oks = Vec::new();
        let mut error = None;
        for result in results {
            match result {
                Ok(item) => oks.push(item),
                Err(e) => {
                    assert!(error.is_none(), "one error, at the end");
                    error = Some(e);
                }
            }
        }
        (oks, error, calls)
    }

    fn stop_of(error: Option<Error>) -> (PagingStop, u64, u64) {
        match error {
            Some(Error::Paging(e)) => {
                assert_eq!(e.entity, "referredFriend");
                (e.reason, e.pages, e.items)
            }
            other => panic!("expected a paging error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_untrustworthy_server_ends_the_stream_with_an_error_after_its_items() {
        // The same cursor every time: the first page, the one it led to, then the error.
        let (items, error, calls) = walk(friends::query(), |_| {
            Page::new(vec![1], Some(Cursor::new("same")))
        })
        .await;
        assert_eq!((items, calls), (vec![1, 1], 2));
        assert_eq!(stop_of(error), (PagingStop::RepeatedCursor, 2, 2));

        // A → B → A.
        let (items, error, _) = walk(friends::query(), |n| {
            Page::new(
                vec![n as i32],
                Some(Cursor::new(["A", "B"][(n as usize - 1) % 2])),
            )
        })
        .await;
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(stop_of(error), (PagingStop::RepeatedCursor, 3, 3));

        // hasNext without a cursor on page 2.
        let (items, error, _) = walk(friends::query(), |n| match n {
            1 => Page::new(vec![1, 2], Some(Cursor::new("c"))),
            _ => Page::with_missing_cursor(vec![3]),
        })
        .await;
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(stop_of(error), (PagingStop::MissingCursor, 2, 3));

        // Fresh cursors forever, no items: stops at the empty-page bound (10 by default).
        let (items, error, calls) = walk(friends::query(), |n| {
            Page::new(Vec::new(), Some(Cursor::new(n.to_string())))
        })
        .await;
        assert!(items.is_empty());
        assert_eq!(calls, 10);
        assert_eq!(stop_of(error), (PagingStop::EmptyPages(10), 10, 0));

        // Fresh cursors forever, with items: the query's page budget.
        let limited = friends::query().stream_limits(StreamLimits::default().max_pages(25));
        let (items, error, calls) = walk(limited, |n| {
            Page::new(vec![n as i32], Some(Cursor::new(n.to_string())))
        })
        .await;
        assert_eq!(items.len(), 25);
        assert_eq!(calls, 25);
        assert_eq!(stop_of(error), (PagingStop::PageBudget(25), 25, 25));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_past_its_deadline_stops_even_mid_fetch() {
        let limited = friends::query()
            .stream_limits(StreamLimits::default().deadline(Duration::from_secs(10)));
        // Each page takes 3 s (paused time): pages at 3, 6 and 9 s, the fourth is cut at 10 s.
        let results: Vec<Result<i32, Error>> =
            items(limited, |q: friends::FriendQuery| async move {
                tokio::time::sleep(Duration::from_secs(3)).await;
                let n: i32 = q.cursor().map_or(0, |c| c.as_str().parse().unwrap());
                Ok::<_, Error>(Page::new(vec![n], Some(Cursor::new((n + 1).to_string()))))
            })
            .collect()
            .await;
        let (oks, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
        assert_eq!(
            oks.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        let error = errors.into_iter().next().map(Result::unwrap_err);
        assert_eq!(
            stop_of(error),
            (PagingStop::Deadline(Duration::from_secs(10)), 3, 3)
        );
    }
}
