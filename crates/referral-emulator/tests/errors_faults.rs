//! Error envelopes, request ids and fault injection: docs/decisions.md items 22–23.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let api = Api::start().await;
    let replies = [
        api.get(PROGRAM).await,
        api.send(&Auth::None, Method::GET, PROGRAM, None).await,
        api.get("/no/such/path").await,
        api.send(&api.admin, Method::PUT, PROGRAM, None).await,
        api.control(Method::POST, "/sites", None).await,
        api.post(CUSTOMERS, json!({})).await,
    ];
    let mut ids = std::collections::HashSet::new();
    for reply in &replies {
        let id = reply
            .request_id
            .clone()
            .unwrap_or_else(|| panic!("no request id: {}", reply.raw));
        assert!(ids.insert(id), "request ids are unique");
    }
    replies[2].expect(404);
    assert_eq!(replies[2].application_code(), Some("NOT_FOUND"));
    replies[3].expect(405);
}

#[tokio::test]
async fn malformed_bodies_and_wrong_types_are_400s_never_500s() {
    let api = Api::start().await;
    let raw = |body: &'static str| {
        let http = api.http.clone();
        let url = api.url(CUSTOMERS);
        let key = api.emulator.api_key().to_owned();
        let site = api.site();
        async move {
            let response = http
                .post(url)
                .header("Authorization", key)
                .header("wix-site-id", site)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    for body in ["{", "[]", "null", "\"x\"", "{\"contactId\": }", "\u{0}"] {
        let (status, envelope) = raw(body).await;
        assert_eq!(status, 400, "{body:?}");
        assert_eq!(
            envelope["details"]["validationError"]["fieldViolations"][0]["field"], "body",
            "{body:?}"
        );
    }
    let (status, _) = raw("{\"contactId\": [1]}").await;
    assert_eq!(status, 400);
    // A body sent as anything but JSON is a 415 naming what it was sent as; none is refused.
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = api
            .http
            .post(api.url(CUSTOMERS))
            .header("Authorization", api.emulator.api_key())
            .header("wix-site-id", api.site())
            .body(r#"{"contactId": "0f3c8a52-7a61-4d3e-9a3b-000000000001"}"#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 415, "{content_type:?}");
        let envelope: serde_json::Value = response.json().await.unwrap();
        let message = envelope["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(content_type.unwrap_or("none")),
            "{content_type:?}: {message}"
        );
    }
    let customers = api
        .post(
            &format!("{CUSTOMERS}/query"),
            serde_json::json!({"query": {}}),
        )
        .await
        .ok();
    assert_eq!(customers["referringCustomers"], serde_json::json!([]));
}

#[tokio::test]
async fn hostile_inputs_on_every_route_never_produce_a_5xx() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let bodies = [
        json!(null),
        json!({"query": {"filter": {"$and": [[]]}}}),
        json!({"query": {"filter": {"createdDate": {"$gt": null}}}}),
        json!({"query": {"sort": "createdDate"}}),
        json!({"query": {"cursorPaging": {"cursor": 5}}}),
        json!({"query": {"cursorPaging": {"limit": 1e300}}}),
        json!({"referralProgram": {"revision": {"value": "1"}}}),
        json!({"referredFriend": {"revision": [], "status": null}}),
        json!({"referralCode": 123456789012u64}),
        json!({"contactId": "me", "query": 1}),
        json!({"contactIds": [null]}),
    ];
    let routes = [
        (Method::POST, format!("{CUSTOMERS}/query")),
        (Method::POST, format!("{FRIENDS}/query")),
        (Method::POST, format!("{REWARDS}/query")),
        (Method::POST, format!("{TRACKER}/referral-events/query")),
        (
            Method::POST,
            format!("{TRACKER}/referring-customer-totals/query"),
        ),
        (
            Method::POST,
            format!("{TRACKER}/referred-friend-actions/query"),
        ),
        (Method::PATCH, PROGRAM.to_owned()),
        (Method::PATCH, format!("{FRIENDS}/{}", contact())),
        (Method::POST, FRIENDS.to_owned()),
        (Method::POST, CUSTOMERS.to_owned()),
    ];
    for (method, path) in &routes {
        for body in &bodies {
            let reply = api
                .send(&api.admin, method.clone(), path, Some(body.clone()))
                .await;
            assert!(
                !reply.status.is_server_error(),
                "{method} {path} {body}: {} {}",
                reply.status,
                reply.raw
            );
            if reply.status.is_client_error() {
                assert!(
                    reply.body["message"].is_string(),
                    "an envelope: {}",
                    reply.raw
                );
            } else {
                // Unknown request members are ignored, as Wix services do: only the optional-query
                // aggregates accept such bodies.
                assert!(
                    path.contains("totals") || path.contains("actions"),
                    "{method} {path} {body}: {}",
                    reply.raw
                );
            }
        }
    }
}

#[tokio::test]
async fn injected_5xx_have_empty_bodies_and_429s_come_with_and_without_retry_after() {
    let api = Api::start().await;
    let rules = json!([
        {"route": "/_api/referral-programs/v1/program/premium-features", "status": 503},
        {"route": "/_api/referral-tracker", "status": 429, "retryAfter": 2},
        {"route": "/_api/referral-rewards", "status": 429}
    ]);
    api.control(Method::PUT, "/faults", Some(rules))
        .await
        .expect(200);
    let unavailable = api.get(&format!("{PROGRAM}/premium-features")).await;
    unavailable.expect(503);
    assert_eq!(unavailable.raw, "", "5xx bodies are empty");
    assert!(unavailable.request_id.is_some());
    let limited = api.get(&format!("{TRACKER}/referral-statistics")).await;
    limited.expect(429);
    assert_eq!(limited.retry_after.as_deref(), Some("2"));
    let bare = api.query(&format!("{REWARDS}/query"), json!({})).await;
    bare.expect(429);
    assert_eq!(bare.retry_after, None);
    api.get(PROGRAM).await.expect(200);
    api.control(Method::DELETE, "/faults", None)
        .await
        .expect(200);
    api.get(&format!("{PROGRAM}/premium-features"))
        .await
        .expect(200);
}

#[tokio::test]
async fn faults_are_reproducible_for_a_seed() {
    let api = Api::start().await;
    let run = || async {
        api.control(
            Method::PUT,
            "/faults?seed=11",
            Some(json!([{"route": "*", "status": 500, "probability": 0.5}])),
        )
        .await
        .expect(200);
        let mut outcome = Vec::new();
        for _ in 0..24 {
            outcome.push(api.get(PROGRAM).await.status.as_u16());
        }
        outcome
    };
    let first = run().await;
    assert_eq!(first, run().await);
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
}

#[tokio::test]
async fn dropped_connections_and_latency() {
    let api = Api::start().await;
    api.control(
        Method::PUT,
        "/faults",
        Some(json!([{"route": format!("{PROGRAM}/activate"), "dropConnection": true}])),
    )
    .await
    .expect(200);
    // The connection closes before any response: `send` itself fails, as on a network drop.
    let sent = api
        .http
        .patch(api.url(&format!("{PROGRAM}/activate")))
        .header("Authorization", api.emulator.api_key())
        .header("wix-site-id", api.site())
        .send()
        .await;
    let err = sent.expect_err("no response may arrive");
    assert!(
        !err.is_status() && !err.is_decode(),
        "a transport error: {err:?}"
    );
    // A new connection works, and the dropped request changed nothing.
    api.control(Method::DELETE, "/faults", None)
        .await
        .expect(200);
    let program = api.program().await;
    assert_eq!(
        (&program["status"], &program["revision"]),
        (&json!("DRAFT"), &json!("1"))
    );
    api.control(
        Method::PUT,
        "/faults",
        Some(json!([{"route": "*", "latencyMs": 150}])),
    )
    .await
    .expect(200);
    let started = Instant::now();
    api.get(PROGRAM).await.expect(200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    api.control(
        Method::PUT,
        "/faults",
        Some(json!([{"route": "*", "probability": 3}])),
    )
    .await
    .expect_violation("[0].probability");
}

#[tokio::test]
async fn a_lost_response_is_processed_but_never_answered() {
    let api = Api::start().await;
    api.control(
        Method::PUT,
        "/faults",
        Some(json!([{"route": format!("{PROGRAM}/activate"), "loseResponse": true}])),
    )
    .await
    .expect(200);
    let sent = api
        .http
        .patch(api.url(&format!("{PROGRAM}/activate")))
        .header("Authorization", api.emulator.api_key())
        .header("wix-site-id", api.site())
        .send()
        .await;
    let err = sent.expect_err("no response may arrive");
    assert!(
        !err.is_status() && !err.is_decode() && !err.is_connect(),
        "a transport error after the request was sent: {err:?}"
    );
    // Unlike a dropped connection, the change was made.
    api.control(Method::DELETE, "/faults", None)
        .await
        .expect(200);
    let program = api.program().await;
    assert_eq!(
        (&program["status"], &program["revision"]),
        (&json!("ACTIVE"), &json!("2"))
    );
}
