//! Identities, OAuth and tenant isolation: docs/decisions.md items 15–17.

mod common;

use std::time::Duration;

use common::*;
use referral_emulator::{EmulatorConfig, Settings};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn missing_and_unknown_credentials_are_401_and_a_foreign_site_is_403() {
    let api = Api::start().await;
    api.send(&Auth::None, Method::GET, PROGRAM, None)
        .await
        .expect(401);
    let unknown = Auth::ApiKey {
        key: "nope".into(),
        site: api.site(),
    };
    api.send(&unknown, Method::GET, PROGRAM, None)
        .await
        .expect(401);
    let other = api.control(Method::POST, "/sites", None).await.ok();
    let foreign = Auth::ApiKey {
        key: api.emulator.api_key().into(),
        site: other["siteId"].as_str().unwrap().into(),
    };
    let reply = api.send(&foreign, Method::GET, PROGRAM, None).await;
    reply.expect(403);
    assert_eq!(reply.application_code(), Some("PERMISSION_DENIED"));
    let no_site = Auth::Raw(vec![(
        "Authorization".into(),
        api.emulator.api_key().into(),
    )]);
    api.send(&no_site, Method::GET, PROGRAM, None)
        .await
        .expect_violation("wix-site-id");
}

#[tokio::test]
async fn bearer_prefix_is_tolerated() {
    let api = Api::start().await;
    let bearer = Auth::Raw(vec![
        (
            "Authorization".into(),
            format!("Bearer {}", api.emulator.api_key()),
        ),
        ("wix-site-id".into(), api.site()),
    ]);
    api.send(&bearer, Method::GET, PROGRAM, None)
        .await
        .expect(200);
}

async fn app_token(api: &Api) -> serde_json::Value {
    let body = json!({
        "grant_type": "client_credentials",
        "client_id": api.emulator.app_id(),
        "client_secret": api.emulator.app_secret(),
        "instance_id": api.emulator.instance_id(),
    });
    api.send(&Auth::None, Method::POST, "/oauth2/token", Some(body))
        .await
        .ok()
}

#[tokio::test]
async fn client_credentials_give_a_bearer_token_for_the_instances_site() {
    let api = Api::start().await;
    let token = app_token(&api).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 14400);
    let auth = Auth::Token(token["access_token"].as_str().unwrap().into());
    let program = api.send(&auth, Method::GET, PROGRAM, None).await.ok();
    assert_eq!(program["referralProgram"]["status"], "DRAFT");
    let bad = json!({"grant_type": "client_credentials", "client_id": api.emulator.app_id(), "client_secret": "x", "instance_id": api.emulator.instance_id()});
    let refused = api
        .send(&Auth::None, Method::POST, "/oauth2/token", Some(bad))
        .await;
    refused.expect(401);
    assert_eq!(refused.body["error"], "invalid_client");
    let wrong_grant = json!({"grant_type": "password"});
    assert_eq!(
        api.send(
            &Auth::None,
            Method::POST,
            "/oauth2/token",
            Some(wrong_grant)
        )
        .await
        .body["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test]
async fn an_expired_app_token_is_401() {
    let settings = Settings {
        token_ttl: Duration::from_secs(2),
        ..Settings::default()
    };
    let api = Api::start_with(EmulatorConfig {
        settings,
        ..EmulatorConfig::default()
    })
    .await;
    let token = app_token(&api).await;
    let auth = Auth::Token(token["access_token"].as_str().unwrap().into());
    api.send(&auth, Method::GET, PROGRAM, None)
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let reply = api.send(&auth, Method::GET, PROGRAM, None).await;
    reply.expect(401);
    assert!(reply.body["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn app_tokens_are_rate_limited_per_instance_with_retry_after() {
    let settings = Settings {
        rate_limit_per_minute: Some(5),
        ..Settings::default()
    };
    let api = Api::start_with(EmulatorConfig {
        settings,
        ..EmulatorConfig::default()
    })
    .await;
    let auth = Auth::Token(
        app_token(&api).await["access_token"]
            .as_str()
            .unwrap()
            .into(),
    );
    for _ in 0..5 {
        api.send(&auth, Method::GET, PROGRAM, None)
            .await
            .expect(200);
    }
    let limited = api.send(&auth, Method::GET, PROGRAM, None).await;
    limited.expect(429);
    let wait: u64 = limited.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    api.get(PROGRAM).await.expect(200);
}

#[tokio::test]
async fn nothing_of_one_site_is_visible_through_another() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let customer = api.customer(&contact()).await;
    let friend = api
        .friend(&contact(), customer["id"].as_str().unwrap())
        .await
        .ok()["referredFriend"]
        .clone();
    let other = api.control(Method::POST, "/sites", None).await.ok();
    let b = Auth::ApiKey {
        key: other["apiKey"].as_str().unwrap().into(),
        site: other["siteId"].as_str().unwrap().into(),
    };
    let id = customer["id"].as_str().unwrap();
    let code = customer["referralCode"].as_str().unwrap();
    api.send(&b, Method::GET, &format!("{CUSTOMERS}/{id}"), None)
        .await
        .expect(404);
    api.send(&b, Method::GET, &format!("{CUSTOMERS}/code/{code}"), None)
        .await
        .expect(404);
    api.send(
        &b,
        Method::GET,
        &format!("{FRIENDS}/{}", friend["id"].as_str().unwrap()),
        None,
    )
    .await
    .expect(404);
    api.send(
        &b,
        Method::DELETE,
        &format!("{CUSTOMERS}/{id}?revision=1"),
        None,
    )
    .await
    .expect(404);
    let query = json!({"query": {"filter": {"referralCode": code}}});
    let empty = api
        .send(&b, Method::POST, &format!("{CUSTOMERS}/query"), Some(query))
        .await
        .ok();
    assert_eq!(empty["referringCustomers"], json!([]));
    let stats = api
        .send(
            &b,
            Method::GET,
            &format!("{TRACKER}/referral-statistics"),
            None,
        )
        .await
        .ok();
    assert_eq!(stats["totalSignUpsCompleted"], 0);
    let program = api.send(&b, Method::GET, PROGRAM, None).await.ok();
    assert_eq!(program["referralProgram"]["status"], "DRAFT");
    // A member of site B cannot use site A's referral code either.
    api.send(&b, Method::PATCH, &format!("{PROGRAM}/activate"), None)
        .await
        .ok();
    let member_b = api
        .control(
            Method::POST,
            &format!("/sites/{}/members", other["siteId"].as_str().unwrap()),
            Some(json!({"contactId": contact()})),
        )
        .await
        .ok();
    let member_b = Auth::Token(member_b["token"].as_str().unwrap().into());
    let reply = api
        .send(
            &member_b,
            Method::POST,
            FRIENDS,
            Some(json!({"referralCode": code})),
        )
        .await;
    assert_eq!(reply.application_code(), Some("INVALID_REFERRAL_CODE"));
}
