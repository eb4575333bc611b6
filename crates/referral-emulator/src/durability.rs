//! What an answer has seen, so that it waits for the store only as long as it must.
//!
//! With a durable store every change carries a stamp: the sequence number of the batch that
//! wrote it. An answer may leave once every change it could have seen is durable. Reading a row
//! sees that row's stamp; not finding a row sees the table's last removal; a query sees the
//! table's last change; anything on the site itself sees the site's header. So a read of a
//! settled customer never waits behind the commits of unrelated writes (BENCHMARKS.md: the read
//! stall at 1M rows).
//!
//! Two scopes carry it, both invisible to handlers:
//! - [`observing`] collects, on the current thread, the largest stamp the tables report while a
//!   read or a write runs under the state's lock ([`observe`]). The closure is synchronous, so a
//!   thread-local is exact.
//! - [`scoped`] (the `durable` middleware) holds the request's [`Need`]. It starts undecided and
//!   ends as [`Need::Everything`] (every batch submitted) unless the request's own task narrowed
//!   it through [`crate::state::Shared::read_as`] or `write_as`; taking the whole state
//!   (`Shared::lock_state`) widens it back for good. Work the handler hands to another thread
//!   (a seed on the blocking pool) records nothing, so such a request waits for everything.

use std::cell::Cell;
use std::future::Future;

thread_local! {
    /// The largest stamp seen inside the innermost [`observing`], `None` outside one.
    static SEEN: Cell<Option<u64>> = const { Cell::new(None) };
}

tokio::task_local! {
    static NEED: Cell<Need>;
}

/// How much of the store an answer must wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing recorded yet: the answer waits for everything, unless narrowed.
    Undecided,
    /// Every batch submitted when the answer is ready (the safe default).
    Everything,
    /// The batches up to this sequence number (0: nothing).
    UpTo(u64),
}

impl Need {
    /// Both needs at once.
    fn and(self, other: Need) -> Need {
        match (self, other) {
            (Need::Everything, _) | (_, Need::Everything) => Need::Everything,
            (Need::UpTo(a), Need::UpTo(b)) => Need::UpTo(a.max(b)),
            (Need::UpTo(a), Need::Undecided) | (Need::Undecided, Need::UpTo(a)) => Need::UpTo(a),
            (Need::Undecided, Need::Undecided) => Need::Undecided,
        }
    }

    /// What an answer waits for: an undecided need is everything.
    fn settled(self) -> Need {
        match self {
            Need::Undecided => Need::Everything,
            need => need,
        }
    }
}

/// Notes that the running read or write saw a change stamped `stamp`.
pub(crate) fn observe(stamp: u64) {
    SEEN.with(|seen| {
        if let Some(so_far) = seen.get() {
            seen.set(Some(so_far.max(stamp)));
        }
    });
}

/// Runs `f`, returning what it returned and the largest stamp it saw. Nested calls also count
/// toward the outer one.
pub(crate) fn observing<R>(f: impl FnOnce() -> R) -> (R, u64) {
    /// Restores the outer scope even if `f` panics.
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let inner = SEEN.replace(self.0);
            if let (Some(_), Some(inner)) = (self.0, inner) {
                observe(inner);
            }
        }
    }
    let restore = Restore(SEEN.replace(Some(0)));
    let result = f();
    let seen = SEEN.get().unwrap_or(0);
    drop(restore);
    (result, seen)
}

/// Runs a request's handler in a scope of its own, returning its response and what it needs.
pub(crate) async fn scoped<R>(handler: impl Future<Output = R>) -> (R, Need) {
    NEED.scope(Cell::new(Need::Undecided), async {
        let response = handler.await;
        (response, NEED.with(Cell::get).settled())
    })
    .await
}

/// Records that the running request needs `need` (outside a request scope: nothing to do).
fn require(need: Need) {
    let _ = NEED.try_with(|current| current.set(current.get().and(need)));
}

/// The request read or wrote through `read_as`/`write_as`, which saw changes up to `stamp`.
pub(crate) fn require_up_to(stamp: u64) {
    require(Need::UpTo(stamp));
}

/// The request touched the state in a way no stamp describes.
pub(crate) fn require_everything() {
    require(Need::Everything);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observing_keeps_the_largest_stamp_and_counts_inner_scopes_outward() {
        observe(99); // outside any scope: ignored
        let ((), outer) = observing(|| {
            observe(3);
            let ((), inner) = observing(|| {
                observe(7);
                observe(5);
            });
            assert_eq!(inner, 7);
            observe(4);
        });
        assert_eq!(outer, 7);
        let ((), none) = observing(|| {});
        assert_eq!(none, 0);
    }

    #[test]
    fn a_panic_inside_observing_leaves_no_scope_open() {
        let caught = std::panic::catch_unwind(|| observing(|| panic!("boom")));
        assert!(caught.is_err());
        assert_eq!(SEEN.get(), None);
    }

    #[test]
    fn needs_combine_to_the_larger_and_everything_wins() {
        let table = [
            (Need::UpTo(0), Need::UpTo(0), Need::UpTo(0)),
            (Need::UpTo(2), Need::UpTo(9), Need::UpTo(9)),
            (Need::UpTo(9), Need::UpTo(2), Need::UpTo(9)),
            (Need::UpTo(4), Need::Everything, Need::Everything),
            (Need::Everything, Need::UpTo(4), Need::Everything),
            (Need::Undecided, Need::UpTo(4), Need::UpTo(4)),
            (Need::Undecided, Need::Everything, Need::Everything),
            (Need::Undecided, Need::Undecided, Need::Undecided),
        ];
        for (a, b, expected) in table {
            assert_eq!(a.and(b), expected, "{a:?} and {b:?}");
        }
    }

    #[tokio::test]
    async fn a_request_needs_everything_unless_its_own_task_narrowed_it() {
        let ((), need) = scoped(async {}).await;
        assert_eq!(need, Need::Everything, "nothing recorded: everything");
        let ((), need) = scoped(async {
            // Recorded on another thread: lost, so the request still waits for everything.
            tokio::task::spawn_blocking(|| require_up_to(3))
                .await
                .unwrap();
        })
        .await;
        assert_eq!(need, Need::Everything);
        let ((), need) = scoped(async { require_up_to(0) }).await;
        assert_eq!(need, Need::UpTo(0));
        let ((), need) = scoped(async { require_up_to(12) }).await;
        assert_eq!(need, Need::UpTo(12));
        let ((), need) = scoped(async {
            require_up_to(12);
            require_everything();
        })
        .await;
        assert_eq!(need, Need::Everything);
        require_everything(); // outside a request: no effect, no panic
    }
}
