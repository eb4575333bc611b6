//! Seeded, reproducible fault injection on the Wix routes (`PUT /_emulator/v1/faults`).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppState;
use crate::connection::Connection;
use crate::error::{ApiError, ApiResult};

/// One rule: requests whose path starts with `route` (or every request, for `*`) fail with
/// `probability`, after `latency_ms`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    pub route: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default = "always")]
    pub probability: f64,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Close the connection before any response byte; the request is not processed.
    #[serde(default)]
    pub drop_connection: bool,
    /// Process the request, then close the connection before any response byte: the change is
    /// made but its response is lost, as when a network fails on the way back.
    #[serde(default)]
    pub lose_response: bool,
    /// Seconds for a `Retry-After` header on a 429.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Hold a failing request for `latencyMs`, then process it normally: the answer comes late,
    /// after a client's timeout perhaps, and the change is made. Requests that pass are not held.
    #[serde(default)]
    pub stall: bool,
    /// The rule fails at most this many requests, then lets every request pass (so a test can
    /// fail exactly the first attempt of a call).
    #[serde(default)]
    pub times: Option<u32>,
}

fn always() -> f64 {
    1.0
}

pub struct Faults {
    rules: Vec<FaultRule>,
    /// Failures caused so far, per rule (for `times`).
    failed: Vec<u32>,
    rng: ChaCha8Rng,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            failed: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }
}

/// What to do with one request.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Pass {
        latency: Option<Duration>,
    },
    Fail {
        latency: Option<Duration>,
        status: Option<u16>,
        drop_connection: bool,
        lose_response: bool,
        retry_after: Option<u64>,
    },
}

impl Faults {
    /// Replaces the rules; the random sequence restarts from `seed`, so a run is reproducible.
    pub fn set(&mut self, rules: Vec<FaultRule>, seed: u64) {
        self.failed = vec![0; rules.len()];
        self.rules = rules;
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Requests each rule has failed so far, in rule order.
    pub fn failed(&self) -> &[u32] {
        &self.failed
    }

    pub fn verdict(&mut self, path: &str) -> Verdict {
        let Some(index) = self
            .rules
            .iter()
            .position(|r| r.route == "*" || path.starts_with(&r.route))
        else {
            return Verdict::Pass { latency: None };
        };
        let rule = &self.rules[index];
        let roll: f64 = self.rng.r#gen();
        let spent = rule.times.is_some_and(|times| self.failed[index] >= times);
        let fails =
            (rule.status.is_some() || rule.drop_connection || rule.lose_response || rule.stall)
                && roll < rule.probability
                && !spent;
        // A stall holds only the requests it fails; plain latency holds every request.
        let latency = rule
            .latency_ms
            .filter(|_| fails || !rule.stall)
            .map(Duration::from_millis);
        if fails && rule.stall {
            self.failed[index] += 1;
            return Verdict::Pass { latency };
        }
        if fails {
            self.failed[index] += 1;
            Verdict::Fail {
                latency,
                status: rule.status,
                drop_connection: rule.drop_connection,
                lose_response: rule.lose_response,
                retry_after: rule.retry_after,
            }
        } else {
            Verdict::Pass { latency }
        }
    }
}

/// Parses and checks the body of `PUT /faults`.
pub fn parse_rules(body: &Value) -> ApiResult<Vec<FaultRule>> {
    let items = body
        .as_array()
        .ok_or_else(|| ApiError::invalid("body", "expected an array of fault rules"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let rule: FaultRule = serde_json::from_value(item.clone())
                .map_err(|e| ApiError::invalid(&format!("[{i}]"), &e.to_string()))?;
            if !(0.0..=1.0).contains(&rule.probability) {
                return Err(ApiError::invalid(
                    &format!("[{i}].probability"),
                    "must be 0 to 1",
                ));
            }
            if rule.status.is_some_and(|s| !(400..=599).contains(&s)) {
                return Err(ApiError::invalid(
                    &format!("[{i}].status"),
                    "must be 400 to 599",
                ));
            }
            if rule.route.is_empty() {
                return Err(ApiError::invalid(
                    &format!("[{i}].route"),
                    "a path prefix, or * for every route",
                ));
            }
            Ok(rule)
        })
        .collect()
}

pub async fn inject(State(app): State<AppState>, request: Request, next: Next) -> Response {
    // Without rules (the usual case) a request takes no lock.
    if !app.faults_armed.load(std::sync::atomic::Ordering::Acquire) {
        return next.run(request).await;
    }
    let verdict = app.faults.lock().verdict(request.uri().path());
    let latency = match &verdict {
        Verdict::Pass { latency } | Verdict::Fail { latency, .. } => *latency,
    };
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    match verdict {
        Verdict::Pass { .. } => next.run(request).await,
        Verdict::Fail {
            drop_connection: true,
            ..
        } => match request.extensions().get::<ConnectInfo<Connection>>() {
            Some(ConnectInfo(connection)) => {
                connection.drop_now();
                // Never written: the connection fails its first write.
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            None => dropped_connection(),
        },
        Verdict::Fail {
            lose_response: true,
            ..
        } => {
            let connection = request
                .extensions()
                .get::<ConnectInfo<Connection>>()
                .cloned();
            let response = next.run(request).await;
            match connection {
                Some(ConnectInfo(connection)) => {
                    connection.drop_now();
                    // Never written: the connection fails its first write.
                    response
                }
                None => dropped_connection(),
            }
        }
        Verdict::Fail {
            status: Some(429),
            retry_after,
            ..
        } => ApiError::too_many_requests(retry_after).into_response(),
        Verdict::Fail {
            status: Some(status),
            ..
        } if status >= 500 => {
            // Wix sends system errors with an empty body.
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Body::empty()).into_response()
        }
        Verdict::Fail { status, .. } => {
            let status = status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::BAD_REQUEST);
            ApiError::application(status, "INJECTED_FAULT", "fault injected by the emulator")
                .into_response()
        }
    }
}

/// Outside the emulator's own listener (a router served by other means): a response whose body
/// fails at once, so hyper aborts the connection mid-response. The request was not processed.
fn dropped_connection() -> Response {
    let stream = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
    });
    Response::new(Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(route: &str, probability: f64) -> FaultRule {
        FaultRule {
            route: route.into(),
            status: Some(503),
            probability,
            latency_ms: None,
            drop_connection: false,
            lose_response: false,
            retry_after: None,
            stall: false,
            times: None,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let run = || {
            let mut faults = Faults::default();
            faults.set(vec![rule("*", 0.5)], 7);
            (0..64)
                .map(|_| matches!(faults.verdict("/x"), Verdict::Fail { .. }))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let failures = first.iter().filter(|f| **f).count();
        assert!((16..=48).contains(&failures), "{failures} of 64 at p=0.5");
    }

    #[test]
    fn rules_match_by_prefix_and_probability_bounds_hold() {
        let mut faults = Faults::default();
        faults.set(vec![rule("/a", 1.0), rule("/b", 0.0)], 1);
        assert!(matches!(
            faults.verdict("/a/1"),
            Verdict::Fail {
                status: Some(503),
                ..
            }
        ));
        assert_eq!(faults.verdict("/b/1"), Verdict::Pass { latency: None });
        assert_eq!(faults.verdict("/c"), Verdict::Pass { latency: None });
    }

    #[test]
    fn a_rule_with_times_fails_that_many_requests_then_passes() {
        let mut faults = Faults::default();
        let mut twice = rule("/a", 1.0);
        twice.times = Some(2);
        faults.set(vec![twice], 1);
        let failed: Vec<bool> = (0..4)
            .map(|_| matches!(faults.verdict("/a"), Verdict::Fail { .. }))
            .collect();
        assert_eq!(failed, [true, true, false, false]);
    }

    #[test]
    fn a_stall_holds_only_the_requests_it_fails() {
        let mut faults = Faults::default();
        let mut stall = rule("/a", 0.5);
        stall.status = None;
        stall.stall = true;
        stall.latency_ms = Some(300);
        faults.set(vec![stall], 3);
        let verdicts: Vec<Verdict> = (0..32).map(|_| faults.verdict("/a")).collect();
        let held = verdicts
            .iter()
            .filter(|v| {
                **v == Verdict::Pass {
                    latency: Some(Duration::from_millis(300)),
                }
            })
            .count();
        let free = verdicts
            .iter()
            .filter(|v| **v == Verdict::Pass { latency: None })
            .count();
        assert_eq!(held + free, 32, "a stall never fails the request itself");
        assert!(held > 4 && free > 4, "{held} held, {free} free");
        assert_eq!(faults.failed(), [held as u32]);
    }

    #[test]
    fn bad_rules_are_rejected_by_field() {
        let cases = [
            (serde_json::json!({}), "body"),
            (
                serde_json::json!([{"route": "*", "probability": 2.0}]),
                "[0].probability",
            ),
            (
                serde_json::json!([{"route": "*", "status": 200}]),
                "[0].status",
            ),
            (serde_json::json!([{"route": "*", "bogus": 1}]), "[0]"),
        ];
        for (body, field) in cases {
            let err = parse_rules(&body).unwrap_err();
            assert_eq!(err.violations()[0].field, field, "{body}");
        }
    }
}
