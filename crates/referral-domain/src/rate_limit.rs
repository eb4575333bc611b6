//! The client-side rate limit: governor's GCRA limiter on tokio's clock.
//!
//! The limiter reads time from `tokio::time::Instant` and waits with `tokio::time::sleep`, so
//! under paused tokio time (`#[tokio::test(start_paused = true)]`) its spacing is exact and does
//! not depend on how fast the machine runs the calls.

use std::num::NonZeroU32;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// Time as tokio sees it (virtual under paused time), as a `std::time::Instant`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    fn now(&self) -> Self::Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// A direct (unkeyed) limiter of `per_minute` calls a minute with a burst of as many.
pub(crate) struct ClientRateLimiter {
    limiter: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<std::time::Instant>>,
}

impl ClientRateLimiter {
    pub(crate) fn per_minute(per_minute: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::direct_with_clock(Quota::per_minute(per_minute), TokioClock),
        }
    }

    /// Waits until one more call is allowed, then takes it.
    pub(crate) async fn until_ready(&self) {
        // Each round either takes a cell or sleeps until one is due; a cell is due after at
        // most one replenish interval, so the loop ends.
        while let Err(not_until) = self.limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;

    fn limiter(per_minute: u32) -> ClientRateLimiter {
        ClientRateLimiter::per_minute(NonZeroU32::new(per_minute).unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn the_burst_passes_at_once_and_later_calls_are_spaced_by_the_refill() {
        let limiter = limiter(120);
        let started = Instant::now();
        for _ in 0..120 {
            limiter.until_ready().await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO, "the burst does not wait");
        limiter.until_ready().await;
        limiter.until_ready().await;
        // 120 a minute refills one every 500 ms.
        assert_eq!(started.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_refills_its_burst() {
        let limiter = limiter(60);
        for _ in 0..60 {
            limiter.until_ready().await;
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
        let started = Instant::now();
        for _ in 0..60 {
            limiter.until_ready().await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
        limiter.until_ready().await;
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_of_one_a_minute_waits_a_minute() {
        let limiter = limiter(1);
        let started = Instant::now();
        limiter.until_ready().await;
        limiter.until_ready().await;
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }
}
