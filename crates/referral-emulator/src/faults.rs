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

use crate::connection::Connection;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// One rule: requests whose path starts with `route` (or every request, for `*`) are failed,
/// delayed or stalled with `probability`. Rules are tried in order; the first that matches the
/// path *and fires* decides, so a spent (`times`) rule or one whose roll did not fire lets the
/// next rule decide.
///
/// Build one with [`FaultRule::on`] (or [`FaultRule::everywhere`]) and its builder methods:
///
/// ```
/// use std::time::Duration;
/// use referral_emulator::FaultRule;
///
/// let rules = [
///     FaultRule::on("/referral-customers").lose_response().times(1),
///     FaultRule::everywhere().status(503).probability(0.2),
///     FaultRule::on("/_api/referral-programs").latency(Duration::from_millis(50)),
/// ];
/// assert!(rules.iter().all(|rule| rule.check().is_ok()));
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// A path prefix (starting with `/`), or `*` for every request.
    pub route: String,
    /// The status to answer (400–599): 5xx with an empty body, 429 with `retryAfter`, 4xx with
    /// a Wix envelope whose code is `INJECTED_FAULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How likely the rule fires for a matching request (0 to 1; default 1).
    #[serde(default = "always")]
    pub probability: f64,
    /// Delay before the rule's effect (a rule with only a latency delays the requests it fires
    /// for, then lets them through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Close the connection before any response byte; the request is not processed.
    #[serde(default)]
    pub drop_connection: bool,
    /// Process the request, then close the connection before any response byte: the change is
    /// made but its response is lost, as when a network fails on the way back.
    #[serde(default)]
    pub lose_response: bool,
    /// Seconds for a `Retry-After` header on a 429.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Hold a failing request for `latencyMs`, then process it normally: the answer comes late,
    /// after a client's timeout perhaps, and the change is made. Requests that pass are not held.
    #[serde(default)]
    pub stall: bool,
    /// The rule fails at most this many requests, then lets every request pass (so a test can
    /// fail exactly the first attempt of a call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

fn always() -> f64 {
    1.0
}

impl FaultRule {
    /// A rule for requests whose path starts with `route`; by itself it does nothing (add a
    /// status, a dropped connection, a lost response, a stall or a latency).
    pub fn on(route: impl Into<String>) -> Self {
        Self {
            route: route.into(),
            status: None,
            probability: 1.0,
            latency_ms: None,
            drop_connection: false,
            lose_response: false,
            retry_after: None,
            stall: false,
            times: None,
        }
    }

    /// A rule for every request.
    pub fn everywhere() -> Self {
        Self::on("*")
    }

    /// Answers `status` (400–599).
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Fires for this share of matching requests (0 to 1).
    pub fn probability(mut self, probability: f64) -> Self {
        self.probability = probability;
        self
    }

    /// Waits this long first (milliseconds on the wire).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency_ms = Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Closes the connection before any response byte; the request is not processed.
    pub fn drop_connection(mut self) -> Self {
        self.drop_connection = true;
        self
    }

    /// Processes the request, then closes the connection before any response byte.
    pub fn lose_response(mut self) -> Self {
        self.lose_response = true;
        self
    }

    /// Sends `Retry-After: seconds` with a 429.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Holds the requests it fires for (for the latency), then processes them.
    pub fn stall(mut self) -> Self {
        self.stall = true;
        self
    }

    /// Fires for at most `times` requests, then never again.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Whether the rule can ever apply: the field at fault and why, if not.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if self.route != "*" && !self.route.starts_with('/') {
            return Err((
                "route",
                "can never match: a path prefix starting with / (such as /referral-customers), or * for every route",
            ));
        }
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(("probability", "must be 0 to 1"));
        }
        if self.status.is_some_and(|s| !(400..=599).contains(&s)) {
            return Err(("status", "must be 400 to 599"));
        }
        Ok(())
    }

    fn fails(&self) -> bool {
        self.status.is_some() || self.drop_connection || self.lose_response || self.stall
    }
}

pub(crate) struct Faults {
    /// The rule that decided the last verdict, if one did.
    last_rule: Option<usize>,
    rules: Vec<FaultRule>,
    /// Failures caused so far, per rule (for `times`).
    failed: Vec<u32>,
    rng: ChaCha8Rng,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            last_rule: None,
            rules: Vec::new(),
            failed: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }
}

/// What to do with one request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verdict {
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

impl Verdict {
    /// What the verdict does to a request, for the request log.
    pub(crate) fn effect(&self) -> String {
        let delay = |latency: &Option<Duration>| {
            latency.map_or(String::new(), |l| format!(" after {} ms", l.as_millis()))
        };
        match self {
            Verdict::Pass { latency } => format!("passed{}", delay(latency)),
            Verdict::Fail {
                latency,
                drop_connection: true,
                ..
            } => format!("connection dropped{}", delay(latency)),
            Verdict::Fail {
                latency,
                lose_response: true,
                ..
            } => format!("response lost{}", delay(latency)),
            Verdict::Fail {
                latency, status, ..
            } => format!("status {}{}", status.unwrap_or(400), delay(latency)),
        }
    }
}

impl Faults {
    /// The rule that decided the last [`Faults::verdict`], if one did.
    pub(crate) fn last_rule(&self) -> Option<usize> {
        self.last_rule
    }

    /// Replaces the rules; the random sequence restarts from `seed`, so a run is reproducible.
    pub(crate) fn set(&mut self, rules: Vec<FaultRule>, seed: u64) {
        self.failed = vec![0; rules.len()];
        self.rules = rules;
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    /// Adds `rule` after the others; their counts and the random sequence go on.
    pub(crate) fn push(&mut self, rule: FaultRule) {
        self.rules.push(rule);
        self.failed.push(0);
    }

    pub(crate) fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Requests each rule has failed so far, in rule order.
    pub(crate) fn failed(&self) -> &[u32] {
        &self.failed
    }

    /// What to do with a request to `path`: the first rule that matches and fires decides.
    pub(crate) fn verdict(&mut self, path: &str) -> Verdict {
        self.last_rule = None;
        for index in 0..self.rules.len() {
            let rule = &self.rules[index];
            if !(rule.route == "*" || path.starts_with(&rule.route)) {
                continue;
            }
            if rule.times.is_some_and(|times| self.failed[index] >= times) {
                continue;
            }
            let roll: f64 = self.rng.r#gen();
            if roll >= rule.probability {
                continue;
            }
            self.failed[index] += 1;
            self.last_rule = Some(index);
            let latency = rule.latency_ms.map(Duration::from_millis);
            if !rule.fails() || rule.stall {
                return Verdict::Pass { latency };
            }
            return Verdict::Fail {
                latency,
                status: rule.status,
                drop_connection: rule.drop_connection,
                lose_response: rule.lose_response,
                retry_after: rule.retry_after,
            };
        }
        Verdict::Pass { latency: None }
    }
}

/// Checks the rules of `PUT /faults` (decoded by `routes::extract::JsonList`), naming the first
/// bad field as `[i].field`.
pub(crate) fn check_rules(rules: &[FaultRule]) -> ApiResult<()> {
    for (i, rule) in rules.iter().enumerate() {
        rule.check().map_err(|(field, why)| {
            let why = if field == "route" {
                format!("{why}; got {:?}", rule.route)
            } else {
                why.to_owned()
            };
            ApiError::invalid(&format!("[{i}].{field}"), &why)
        })?;
    }
    Ok(())
}

pub(crate) async fn inject(State(app): State<AppState>, request: Request, next: Next) -> Response {
    // Without rules (the usual case) a request takes no lock.
    if !app.faults_armed.load(std::sync::atomic::Ordering::Acquire) {
        return next.run(request).await;
    }
    let (verdict, rule) = {
        let mut faults = app.faults.lock();
        let verdict = faults.verdict(request.uri().path());
        (verdict, faults.last_rule())
    };
    if let (Some(rule), Some(note)) = (
        rule,
        request
            .extensions()
            .get::<std::sync::Arc<crate::requests::RequestNote>>(),
    ) {
        note.faulted(rule, verdict.effect());
    }
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
        FaultRule::on(route).status(503).probability(probability)
    }

    /// Which rule decides, as (rules, path, expected verdicts of successive requests).
    #[test]
    fn the_first_rule_that_matches_and_fires_decides() {
        let fail = |status| Verdict::Fail {
            latency: None,
            status: Some(status),
            drop_connection: false,
            lose_response: false,
            retry_after: None,
        };
        let pass = Verdict::Pass { latency: None };
        let slow = Verdict::Pass {
            latency: Some(Duration::from_millis(20)),
        };
        let cases: Vec<(&str, Vec<FaultRule>, &str, Vec<Verdict>)> = vec![
            (
                "a spent rule lets the next one decide",
                vec![rule("/a", 1.0).times(1), FaultRule::on("/a").status(500)],
                "/a/1",
                vec![fail(503), fail(500), fail(500)],
            ),
            (
                "a rule that never fires lets the next one decide",
                vec![rule("/a", 0.0), FaultRule::on("*").status(502)],
                "/a",
                vec![fail(502), fail(502)],
            ),
            (
                "the first matching rule wins while it fires",
                vec![
                    FaultRule::on("/a").status(429),
                    FaultRule::on("/a").status(500),
                ],
                "/a",
                vec![fail(429), fail(429)],
            ),
            (
                "a rule for another route is skipped",
                vec![
                    FaultRule::on("/b").status(500),
                    FaultRule::on("/a").status(503),
                ],
                "/a",
                vec![fail(503)],
            ),
            (
                "a latency-only rule decides for as long as it fires",
                vec![
                    FaultRule::on("/a")
                        .latency(Duration::from_millis(20))
                        .times(2),
                    FaultRule::on("/a").status(500),
                ],
                "/a",
                vec![slow.clone(), slow, fail(500)],
            ),
            (
                "no rule matches",
                vec![FaultRule::on("/b").status(500)],
                "/a",
                vec![pass.clone(), pass],
            ),
        ];
        for (name, rules, path, expected) in cases {
            let mut faults = Faults::default();
            faults.set(rules, 1);
            let got: Vec<Verdict> = (0..expected.len()).map(|_| faults.verdict(path)).collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    /// The body of `PUT /faults` as the route reads it.
    fn parse_rules(body: &serde_json::Value) -> ApiResult<Vec<FaultRule>> {
        let rules = crate::routes::extract::decode_list(body.to_string().as_bytes())?;
        check_rules(&rules)?;
        Ok(rules)
    }

    #[test]
    fn a_route_that_can_never_match_is_refused_naming_it() {
        for route in ["referral-customers", "", "**", " /a"] {
            let err =
                parse_rules(&serde_json::json!([{"route": route, "status": 500}])).unwrap_err();
            let violation = &err.violations()[0];
            assert_eq!(violation.field, "[0].route", "{route:?}");
            assert!(
                violation.description.contains(&format!("{route:?}")),
                "{violation:?}"
            );
        }
        for route in ["*", "/", "/referral-customers"] {
            assert!(parse_rules(&serde_json::json!([{"route": route, "status": 500}])).is_ok());
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
        faults.set(vec![rule("/a", 1.0).times(2)], 1);
        let failed: Vec<bool> = (0..4)
            .map(|_| matches!(faults.verdict("/a"), Verdict::Fail { .. }))
            .collect();
        assert_eq!(failed, [true, true, false, false]);
    }

    #[test]
    fn a_stall_holds_only_the_requests_it_fails() {
        let mut faults = Faults::default();
        let stall = FaultRule::on("/a")
            .probability(0.5)
            .stall()
            .latency(Duration::from_millis(300));
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
            (serde_json::json!([{"route": "*", "bogus": 1}]), "[0].bogus"),
        ];
        for (body, field) in cases {
            let err = parse_rules(&body).unwrap_err();
            assert_eq!(err.violations()[0].field, field, "{body}");
        }
    }
}
