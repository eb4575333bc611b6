//! The control API: sites, members, seeding, reset, webhooks (docs/decisions.md item 25) and
//! persistence across restarts and kill -9.

mod common;

use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use referral_emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[tokio::test]
async fn seeding_is_deterministic_and_reports_counts() {
    let api = Api::start().await;
    let codes = |site: String, key: String| {
        let api = &api;
        async move {
            let seed =
                json!({"customers": 8, "friendsPerCustomer": 2, "actionRate": 0.5, "seed": 99});
            let counts = api
                .control(Method::POST, &format!("/sites/{site}/seed"), Some(seed))
                .await
                .ok();
            let auth = Auth::ApiKey { key, site };
            let page = api
                .send(
                    &auth,
                    Method::POST,
                    &format!("{CUSTOMERS}/query"),
                    Some(json!({"query": {"sort": [{"fieldName": "referralCode"}]}})),
                )
                .await
                .ok();
            let codes: Vec<Value> = page["referringCustomers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["referralCode"].clone())
                .collect();
            (counts, codes)
        }
    };
    let a = api.control(Method::POST, "/sites", None).await.ok();
    let b = api.control(Method::POST, "/sites", None).await.ok();
    let (counts_a, codes_a) = codes(
        a["siteId"].as_str().unwrap().into(),
        a["apiKey"].as_str().unwrap().into(),
    )
    .await;
    let (counts_b, codes_b) = codes(
        b["siteId"].as_str().unwrap().into(),
        b["apiKey"].as_str().unwrap().into(),
    )
    .await;
    assert_eq!(codes_a, codes_b);
    assert_eq!(counts_a, counts_b);
    assert_eq!(counts_a["customers"], 8);
    assert_eq!(counts_a["friends"], 16);
    let actions = counts_a["actions"].as_u64().unwrap();
    assert!((1..16).contains(&actions), "{counts_a}");
    assert_eq!(
        counts_a["rewards"].as_u64().unwrap(),
        16 + actions,
        "a coupon per friend, points per success"
    );
    let bad = json!({"customers": 1, "actionRate": 2.0});
    api.control(
        Method::POST,
        &format!("/sites/{}/seed", api.site()),
        Some(bad),
    )
    .await
    .expect_violation("actionRate");
    api.control(
        Method::POST,
        &format!("/sites/{}/seed", contact()),
        Some(json!({"customers": 1})),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn reset_forgets_everything_but_the_default_credentials() {
    let api = Api::start().await;
    api.customer(&contact()).await;
    api.control(Method::POST, "/reset", None).await.expect(200);
    let page = api
        .query(&format!("{CUSTOMERS}/query"), json!({}))
        .await
        .ok();
    assert_eq!(page["referringCustomers"], json!([]));
    assert_eq!(api.program().await["revision"], "1");
}

#[tokio::test]
async fn members_need_a_guid_contact_and_an_existing_site() {
    let api = Api::start().await;
    let path = format!("/sites/{}/members", api.site());
    api.control(Method::POST, &path, Some(json!({"contactId": "bob"})))
        .await
        .expect_violation("contactId");
    api.control(
        Method::POST,
        &format!("/sites/{}/members", contact()),
        Some(json!({"contactId": contact()})),
    )
    .await
    .expect(404);
}

/// A local receiver that fails the first delivery, to exercise retries.
async fn receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    use axum::routing::post;
    let (tx, rx) = mpsc::unbounded_channel();
    let failed_once = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let tx = tx.clone();
            let failed_once = failed_once.clone();
            async move {
                if !failed_once.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let _ = tx.send(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), rx)
}

#[tokio::test]
async fn domain_events_arrive_as_rs256_jwts_with_the_wix_envelope_after_retries() {
    let api = Api::start().await;
    let (url, mut deliveries) = receiver().await;
    api.register_webhook(&url).await;
    api.control(
        Method::POST,
        &format!("/sites/{}/webhooks", api.site()),
        Some(json!({"url": "ftp://x"})),
    )
    .await
    .expect_violation("url");
    let pem = api
        .control(Method::GET, "/webhooks/public-key", None)
        .await
        .raw;
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();

    let customer = api.customer(&contact()).await;
    let jwt = tokio::time::timeout(Duration::from_secs(10), deliveries.recv())
        .await
        .expect("delivered")
        .unwrap();
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert!(header.kid.is_some());
    let claims = jsonwebtoken::decode::<Value>(&jwt, &key, &Validation::new(Algorithm::RS256))
        .unwrap()
        .claims;
    let envelope: Value =
        serde_json::from_str(claims["data"].as_str().expect("data is a JSON string")).unwrap();
    assert_eq!(
        envelope["eventType"],
        "wix.loyalty.referral.v1.referring_customer_created"
    );
    assert_eq!(
        envelope["instanceId"],
        api.emulator.instance_id().to_string()
    );
    let identity: Value = serde_json::from_str(envelope["identity"].as_str().unwrap()).unwrap();
    assert_eq!(identity["identityType"], "APP");
    assert_eq!(
        identity["appId"],
        api.emulator.app_id(),
        "an API-key change is the site's app's"
    );
    let body: Value = serde_json::from_str(envelope["data"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["entityFqdn"],
        "wix.loyalty.referral.v1.referring_customer"
    );
    assert_eq!(body["slug"], "created");
    assert_eq!(body["entityId"], customer["id"]);
    assert_eq!(body["entityEventSequence"], "1");
    assert_eq!(body["createdEvent"]["entity"], customer);

    // A tampered token fails verification.
    let mut forged = jwt.clone();
    forged.insert(forged.len() / 2, 'x');
    assert!(
        jsonwebtoken::decode::<Value>(&forged, &key, &Validation::new(Algorithm::RS256)).is_err()
    );
}

#[tokio::test]
async fn a_members_change_names_the_member_in_the_webhook() {
    let api = Api::start().await;
    let (url, mut deliveries) = receiver().await;
    api.register_webhook(&url).await;
    let pem = api
        .control(Method::GET, "/webhooks/public-key", None)
        .await
        .raw;
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let contact = contact();
    let member = api.member(&contact).await;
    api.send(
        &member,
        Method::POST,
        CUSTOMERS,
        Some(json!({"contactId": "me"})),
    )
    .await
    .expect(200);
    let jwt = tokio::time::timeout(Duration::from_secs(10), deliveries.recv())
        .await
        .expect("delivered")
        .unwrap();
    let claims = jsonwebtoken::decode::<Value>(&jwt, &key, &Validation::new(Algorithm::RS256))
        .unwrap()
        .claims;
    let envelope: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
    let identity: Value = serde_json::from_str(envelope["identity"].as_str().unwrap()).unwrap();
    assert_eq!(
        identity,
        json!({"identityType": "MEMBER", "memberId": contact})
    );
}

#[tokio::test]
async fn the_state_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("emulator-state-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("store.sqlite");
    let config = || EmulatorConfig {
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    };
    let api = Api::start_with(config()).await;
    let customer = api.customer(&contact()).await;
    let app_secret = api.emulator.app_secret().to_owned();
    api.emulator.shutdown().await;
    let again = Api::start_with(config()).await;
    let id = customer["id"].as_str().unwrap();
    assert_eq!(
        again.get(&format!("{CUSTOMERS}/{id}")).await.ok()["referringCustomer"],
        customer
    );
    assert_eq!(
        again.emulator.app_secret(),
        app_secret,
        "the app credentials persist"
    );
    let code = customer["referralCode"].as_str().unwrap();
    let found = again
        .query(
            &format!("{CUSTOMERS}/query"),
            json!({"filter": {"referralCode": code}}),
        )
        .await
        .ok();
    assert_eq!(
        found["referringCustomers"].as_array().unwrap().len(),
        1,
        "indexes are rebuilt on load"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let api = Api::start().await;
    let shown = format!("{:?} {:?}", api.emulator, EmulatorConfig::default());
    assert!(!shown.contains(api.emulator.api_key()), "{shown}");
    assert!(!shown.contains(api.emulator.app_secret()), "{shown}");
    assert!(
        shown.contains(&api.site()),
        "non-secrets are shown: {shown}"
    );
}

/// A receiver that accepts connections and never answers holds at most its share of
/// deliveries in flight; the rest wait in a bounded queue whose oldest are dropped, the inspector
/// says which, and every write is answered meanwhile (docs/decisions.md item 34).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_holds_bounded_deliveries_and_writes_go_on() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let mut webhooks = referral_emulator::DeliverySettings::default();
    // No attempt ends within the test: the two in flight stay in flight.
    webhooks.timeout = Duration::from_secs(3600);
    webhooks.per_receiver = 2;
    webhooks.queue = 10;
    let api = Api::start_with(EmulatorConfig {
        settings: referral_emulator::Settings {
            webhooks,
            ..referral_emulator::Settings::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let silent = tokio::spawn({
        let accepted = accepted.clone();
        async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        }
    });
    api.register_webhook(&url).await;

    for n in 0..150 {
        api.post(
            CUSTOMERS,
            json!({"contactId": format!("0f3c8a52-7a61-4d3e-9a3b-{n:012}")}),
        )
        .await
        .expect(200);
    }
    // The delivery thread takes two, and no more, however long it waits.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while accepted.load(Ordering::SeqCst) < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the receiver never got its two deliveries"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, html) = page(&api, &format!("/sites/{}/webhooks", api.site())).await;
    assert_eq!(status, 200);
    let states: Vec<&str> = html
        .split("<td class=\"state\">")
        .skip(1)
        .filter_map(|rest| rest.split_once("</td>").map(|(state, _)| state))
        .collect();
    let count = |state: &str| states.iter().filter(|s| **s == state).count();
    // The newest 100 deliveries are shown: the 10 that wait (of which the delivery thread, which
    // runs only on idle CPU, may have taken one or two late), then the ones dropped for them.
    assert_eq!(states.len(), 100, "{states:?}");
    assert!(count("queued") <= 10, "{states:?}");
    assert!(count("sending") <= 2, "{states:?}");
    assert!(count("queued") + count("sending") >= 10, "{states:?}");
    assert_eq!(
        count("queued") + count("sending") + count("dropped"),
        100,
        "{states:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    // Reads still answer while the receiver holds its two.
    let listed = api
        .post(
            &format!("{CUSTOMERS}/query"),
            json!({"query": {"cursorPaging": {"limit": 100}}}),
        )
        .await
        .ok();
    assert_eq!(
        listed["referringCustomers"].as_array().map(Vec::len),
        Some(100)
    );
    silent.abort();
}
