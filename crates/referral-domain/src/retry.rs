//! When to send a request again: a pure policy, table-tested below.
//!
//! Whether a call may be replayed is a property of the operation, not of its HTTP verb (every Wix
//! query is a POST): see [`Replay`]. What happened to an attempt is an [`AttemptOutcome`]; the
//! policy turns both, with the attempt number and a jitter draw, into a [`Decision`].

use std::time::Duration;

/// Full-jitter exponential backoff with a cap, a bounded number of attempts, and the server's
/// `Retry-After` honoured up to a bound.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per call, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Backoff before the first retry, before jitter; it doubles per retry.
    pub base_delay: Duration,
    /// The largest backoff, before jitter.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client waits out; a longer one ends the call with
    /// [`crate::Error::RateLimited`], so the caller decides.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt per call.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff and the cap of the exponential backoff (full jitter).
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The longest `Retry-After` the client waits out; a longer one returns
    /// [`Error::RateLimited`](crate::Error::RateLimited) at once.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The wait before retry number `retry` (1 for the first): a uniform draw in
    /// `[0, min(max_delay, base_delay * 2^(retry-1))]`, `jitter` being the draw in `[0, 1)`.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        // A NaN draw (from a caller's own jitter source) counts as the full ceiling.
        let jitter = if jitter.is_nan() {
            1.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        ceiling.mul_f64(jitter)
    }

    /// What to do after attempt number `attempt` (1-based) ended with `outcome`, with
    /// `remaining` of the call's time left (`None`: no limit). A wait that would outlast the
    /// call is not started: the call returns what it has (a 429 becomes
    /// [`crate::Error::RateLimited`] with the server's wait) instead of sleeping into a timeout.
    pub(crate) fn decide(
        &self,
        replay: Replay,
        outcome: &AttemptOutcome,
        attempt: u32,
        jitter: f64,
        remaining: Option<Duration>,
    ) -> Decision {
        match self.decide_unbounded(replay, outcome, attempt, jitter) {
            Decision::Retry(wait) if remaining.is_some_and(|left| wait >= left) => Decision::Return,
            decision => decision,
        }
    }

    fn decide_unbounded(
        &self,
        replay: Replay,
        outcome: &AttemptOutcome,
        attempt: u32,
        jitter: f64,
    ) -> Decision {
        let budget_left = attempt < self.max_attempts;
        match outcome {
            AttemptOutcome::Answered => Decision::Return,
            AttemptOutcome::Unauthorized { can_refresh } => {
                // A refresh is not a retry of a failure: it is allowed once, whatever the budget.
                if *can_refresh {
                    Decision::RefreshAndRetry
                } else {
                    Decision::Return
                }
            }
            // Refused before processing: any operation may be sent again.
            AttemptOutcome::NotSent if budget_left => {
                Decision::Retry(self.backoff(attempt, jitter))
            }
            AttemptOutcome::Throttled { retry_after } if budget_left => match retry_after {
                Some(wait) if *wait > self.max_retry_after => Decision::Return,
                Some(wait) => Decision::Retry(*wait),
                None => Decision::Retry(self.backoff(attempt, jitter)),
            },
            // The request may have been processed: only operations that are safe to replay.
            AttemptOutcome::ServerError { .. } | AttemptOutcome::Lost
                if budget_left && replay != Replay::Never =>
            {
                Decision::Retry(self.backoff(attempt, jitter))
            }
            _ => Decision::Return,
        }
    }
}

/// Whether an operation may be replayed: a property of the operation, from the spec's
/// `x-wix-replay` (the generated `referral_api::operations` table).
pub(crate) use referral_api::operations::Replay;

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// A response the call returns as it is (success, or an error retrying cannot fix).
    Answered,
    /// No connection was made: the server never saw the request.
    NotSent,
    /// 429: refused before processing.
    Throttled { retry_after: Option<Duration> },
    /// 401; `can_refresh` when the credentials are a refreshable token not yet refreshed for
    /// this call.
    Unauthorized { can_refresh: bool },
    /// 5xx: the request may have been processed.
    ServerError { status: u16 },
    /// Sent, but no complete response came back (connection broke, attempt timed out): the
    /// request may have been processed.
    Lost,
}

impl AttemptOutcome {
    /// Whether the server may have applied the request although the caller got no answer.
    pub(crate) fn effect_unknown(&self) -> bool {
        matches!(self, Self::ServerError { .. } | Self::Lost)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Return,
    Retry(Duration),
    RefreshAndRetry,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn backoff_is_full_jitter_exponential_with_a_cap() {
        let policy = RetryPolicy::default().with_delays(MS(100), MS(1000));
        let cases = [
            // (retry, jitter, expected)
            (1, 1.0, MS(100)),
            (2, 1.0, MS(200)),
            (3, 1.0, MS(400)),
            (4, 1.0, MS(800)),
            (5, 1.0, MS(1000)),
            (40, 1.0, MS(1000)),
            (3, 0.5, MS(200)),
            (3, 0.0, MS(0)),
            (1, 7.0, MS(100)),
            (1, -1.0, MS(0)),
            (2, f64::NAN, MS(200)),
            (2, f64::INFINITY, MS(200)),
        ];
        for (retry, jitter, expected) in cases {
            assert_eq!(
                policy.backoff(retry, jitter),
                expected,
                "retry {retry}, jitter {jitter}"
            );
        }
    }

    #[test]
    fn decisions_follow_the_operation_and_the_outcome() {
        use AttemptOutcome::*;
        use Decision::*;
        use Replay::*;
        let policy = RetryPolicy::default()
            .with_max_attempts(3)
            .with_delays(MS(100), MS(1000))
            .with_max_retry_after(Duration::from_secs(10));
        let throttled = |s: Option<u64>| Throttled {
            retry_after: s.map(Duration::from_secs),
        };
        let cases = [
            // (replay, outcome, attempt, expected)
            (Safe, Answered, 1, Return),
            (Never, Answered, 1, Return),
            (Safe, NotSent, 1, Retry(MS(100))),
            (Never, NotSent, 2, Retry(MS(200))),
            (Safe, NotSent, 3, Return),
            (Never, throttled(None), 1, Retry(MS(100))),
            (Safe, throttled(Some(2)), 1, Retry(Duration::from_secs(2))),
            (Safe, throttled(Some(11)), 1, Return),
            (Safe, throttled(Some(2)), 3, Return),
            (Safe, ServerError { status: 503 }, 1, Retry(MS(100))),
            (Settle, ServerError { status: 500 }, 2, Retry(MS(200))),
            (Never, ServerError { status: 503 }, 1, Return),
            (Safe, Lost, 1, Retry(MS(100))),
            (Settle, Lost, 1, Retry(MS(100))),
            (Never, Lost, 1, Return),
            (Settle, Lost, 3, Return),
            (Safe, Unauthorized { can_refresh: true }, 3, RefreshAndRetry),
            (Safe, Unauthorized { can_refresh: false }, 1, Return),
        ];
        for (replay, outcome, attempt, expected) in cases {
            assert_eq!(
                policy.decide(replay, &outcome, attempt, 1.0, None),
                expected,
                "{replay:?} {outcome:?} attempt {attempt}"
            );
        }
        assert_eq!(
            RetryPolicy::none().decide(Safe, &NotSent, 1, 1.0, None),
            Return,
            "no retries"
        );
    }

    #[test]
    fn no_wait_starts_that_would_outlast_the_call() {
        use AttemptOutcome::*;
        use Decision::*;
        use Replay::*;
        let policy = RetryPolicy::default().with_delays(MS(100), MS(1000));
        let throttled = |s: u64| Throttled {
            retry_after: Some(Duration::from_secs(s)),
        };
        let cases = [
            // (outcome, time left, expected)
            (throttled(2), None, Retry(Duration::from_secs(2))),
            (
                throttled(2),
                Some(Duration::from_secs(3)),
                Retry(Duration::from_secs(2)),
            ),
            (throttled(2), Some(Duration::from_secs(2)), Return),
            (throttled(20), Some(Duration::from_secs(5)), Return),
            (ServerError { status: 503 }, Some(MS(150)), Retry(MS(100))),
            (ServerError { status: 503 }, Some(MS(50)), Return),
            (Lost, Some(Duration::ZERO), Return),
            (
                Unauthorized { can_refresh: true },
                Some(Duration::ZERO),
                RefreshAndRetry,
            ),
        ];
        for (outcome, left, expected) in cases {
            assert_eq!(
                policy.decide(Safe, &outcome, 1, 1.0, left),
                expected,
                "{outcome:?} with {left:?} left"
            );
        }
    }

    #[test]
    fn every_operation_has_the_replay_class_its_semantics_allow() {
        use referral_api::operations::{self, by_id};
        let cases = [
            ("get_referral_program", Replay::Safe),
            ("query_referred_friend", Replay::Safe),
            ("generate_referring_customer_for_contact", Replay::Safe),
            ("create_referred_friend", Replay::Safe),
            ("update_referral_program", Replay::Settle),
            ("activate_referral_program", Replay::Settle),
            ("pause_referral_program", Replay::Settle),
            ("update_referred_friend", Replay::Settle),
            ("delete_referred_friend", Replay::Settle),
            ("delete_referring_customer", Replay::Settle),
            ("generate_ai_social_media_posts_suggestions", Replay::Never),
        ];
        for (operation, replay) in cases {
            assert_eq!(
                by_id(operation).map(|op| op.replay),
                Some(replay),
                "{operation}"
            );
        }
        // Everything else is a read or a query: safe, and GET or a POST to a query path.
        for op in operations::ALL {
            if !cases.iter().any(|(id, _)| *id == op.id) {
                assert_eq!(op.replay, Replay::Safe, "{}", op.id);
                assert!(
                    op.method == "GET" || op.path.ends_with("/query"),
                    "{}",
                    op.id
                );
            }
        }
        assert!(AttemptOutcome::Lost.effect_unknown());
        assert!(!AttemptOutcome::NotSent.effect_unknown());
    }
}
