//! The request log over HTTP: what a record says, what it never holds, and its bounds.

mod common;

use common::*;
use referral_emulator::{EmulatorConfig, FaultRule, RequestIdentity, RequestRecord, Settings};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

async fn logged(api: &Api, site: Option<Uuid>) -> Vec<RequestRecord> {
    api.emulator.control().requests(site, 1000).await.unwrap()
}

#[tokio::test]
async fn a_record_says_who_called_what_with_which_answer_and_never_a_secret() {
    let api = Api::start().await;
    let site: Uuid = api.site().parse().unwrap();
    let program = api.get(PROGRAM).await;
    let token = api
        .send(
            &Auth::None,
            Method::POST,
            "/oauth2/token",
            Some(json!({
                "grant_type": "client_credentials",
                "client_id": api.emulator.app_id(),
                "client_secret": api.emulator.app_secret(),
                "instance_id": api.emulator.instance_id(),
            })),
        )
        .await
        .ok();
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    api.send(
        &Auth::Token(access_token.clone()),
        Method::GET,
        PROGRAM,
        None,
    )
    .await
    .expect(200);
    let member = api.member(&contact()).await;
    api.send(&member, Method::GET, PROGRAM, None)
        .await
        .expect(200);
    api.get(&format!("{CUSTOMERS}/{}", contact()))
        .await
        .expect(404);
    // The control API's own requests are not in the log.
    api.emulator.control().faults().await.unwrap();

    let records = logged(&api, Some(site)).await;
    let summary: Vec<(&str, &str, u16, RequestIdentity)> = records
        .iter()
        .rev()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status, r.identity))
        .collect();
    let customer_path = records[0].path.clone();
    assert_eq!(
        summary,
        [
            ("GET", PROGRAM, 200, RequestIdentity::ApiKey),
            ("GET", PROGRAM, 200, RequestIdentity::App),
            ("GET", PROGRAM, 200, RequestIdentity::Member),
            ("GET", customer_path.as_str(), 404, RequestIdentity::ApiKey),
        ]
    );
    let first = records.last().unwrap();
    assert_eq!(first.request_id, program.request_id);
    assert_eq!(first.site, Some(site));
    assert!(first.latency_micros > 0);
    assert_eq!(
        first.response_body, None,
        "a success's body is the entity: not kept"
    );
    assert!(
        records[0]
            .response_body
            .as_deref()
            .unwrap()
            .contains("NOT_FOUND"),
        "an error's body is kept: {:?}",
        records[0]
    );
    assert!(
        records.windows(2).all(|w| w[0].sequence > w[1].sequence),
        "newest first"
    );

    // The token request names no site; it is logged with the others, its secrets masked.
    let everything = logged(&api, None).await;
    let oauth = everything
        .iter()
        .find(|r| r.path == "/oauth2/token")
        .expect("the token request is logged");
    assert_eq!(oauth.site, None);
    assert_eq!(oauth.identity, RequestIdentity::Unknown);
    assert!(
        oauth
            .request_body
            .as_deref()
            .unwrap()
            .contains("<redacted>")
    );
    let text = serde_json::to_string(&everything).unwrap();
    for secret in [
        api.emulator.app_secret(),
        api.emulator.api_key(),
        access_token.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
    if let Auth::Token(member_token) = &member {
        assert!(!text.contains(member_token.as_str()));
    }
}

#[tokio::test]
async fn the_fault_that_applied_is_named() {
    let api = Api::start().await;
    let site: Uuid = api.site().parse().unwrap();
    api.emulator
        .control()
        .set_faults(
            &[
                FaultRule::on("/nowhere").status(500),
                FaultRule::on(CUSTOMERS).status(503).times(1),
            ],
            1,
        )
        .await
        .unwrap();
    api.post(CUSTOMERS, json!({"contactId": contact()}))
        .await
        .expect(503);
    api.post(CUSTOMERS, json!({"contactId": contact()}))
        .await
        .expect(200);
    let records = logged(&api, Some(site)).await;
    assert_eq!(
        records.len(),
        2,
        "a faulted request counts for its site too"
    );
    let fault = records[1].fault.as_ref().expect("the first was faulted");
    assert_eq!((fault.rule, fault.effect.as_str()), (1, "status 503"));
    assert_eq!(records[1].status, 503);
    assert_eq!(records[0].fault, None);
    assert!(
        records[0]
            .request_body
            .as_deref()
            .unwrap()
            .contains("contactId")
    );
}

#[tokio::test]
async fn each_site_keeps_only_its_newest_requests_and_a_made_up_site_none() {
    let api = Api::start_with(EmulatorConfig {
        settings: Settings {
            request_log_per_site: 3,
            rate_limit_per_minute: None,
            ..Settings::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let site: Uuid = api.site().parse().unwrap();
    for _ in 0..7 {
        api.get(PROGRAM).await.expect(200);
    }
    assert_eq!(logged(&api, Some(site)).await.len(), 3);
    // A site id nobody created does not get a ring of its own.
    let stranger = Uuid::new_v4();
    let made_up = Auth::ApiKey {
        key: api.emulator.api_key().to_owned(),
        site: stranger.to_string(),
    };
    api.send(&made_up, Method::GET, PROGRAM, None).await;
    assert!(logged(&api, Some(stranger)).await.is_empty());
    assert_eq!(
        logged(&api, None)
            .await
            .iter()
            .filter(|r| r.site.is_none())
            .count(),
        1
    );
    // A long body is cut, saying how much was left out.
    let long_name = "n".repeat(3000);
    api.patch(
        PROGRAM,
        Some(json!({"referralProgram": {"revision": "1", "name": long_name}})),
    )
    .await;
    let newest = &logged(&api, Some(site)).await[0];
    let body = newest.request_body.as_deref().unwrap();
    assert!(body.len() < 1100 && body.ends_with("bytes)"), "{body}");

    api.emulator.control().clear_requests().await.unwrap();
    assert!(logged(&api, None).await.is_empty());
    api.control(Method::GET, "/requests?limit=0", None)
        .await
        .expect_violation("limit");
}
