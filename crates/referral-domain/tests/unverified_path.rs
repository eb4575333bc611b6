//! Query Referring Customer Totals and Query Referred Friend Actions have no REST path in the
//! Wix docs (docs/decisions.md item 2): a 404 from Wix on either says the inferred path may be
//! wrong, while a 404 elsewhere (an emulator, another method) stays a 404.

use axum::Router;
use axum::http::StatusCode;
use referral_domain::query::{friend_actions, totals};
use referral_domain::{
    Auth, Error, ReferralRewardId, ReferralRewards, ReferralTracker, RetryPolicy, WixReferralClient,
};

const SITE: &str = "3857d039-b129-4393-b983-947078b6a007";

/// A server that answers 404 to everything, and its port.
async fn not_found_everywhere() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router =
        Router::new().fallback(|| async { (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#) });
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

/// A client for `host`, whose name resolves to the loopback stub.
fn client(host: &str, port: u16) -> WixReferralClient {
    let http = reqwest::Client::builder()
        .resolve(host, ([127, 0, 0, 1], port).into())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    WixReferralClient::builder()
        .base_url(format!("http://{host}:{port}"))
        .auth(Auth::api_key("key", SITE))
        .retries(RetryPolicy::none())
        .http_client(http)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_404_from_wix_on_an_inferred_path_says_the_path_is_unverified() {
    let port = not_found_everywhere().await;
    let wix = client("www.wixapis.com", port);
    for error in [
        wix.query_referring_customer_totals(&totals::query())
            .await
            .unwrap_err(),
        wix.query_referred_friend_actions(&friend_actions::query())
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(error, Error::UnverifiedPath { .. }), "{error:?}");
        assert_eq!(error.status(), Some(404));
        let text = error.to_string();
        assert!(text.contains("inferred, not verified"), "{text}");
    }
    // A documented path's 404 is an entity that is not there.
    let reward = wix
        .get_referral_reward(&ReferralRewardId::parse(SITE).unwrap())
        .await
        .unwrap_err();
    assert!(reward.is_not_found(), "{reward:?}");

    // Not Wix (an emulator on loopback): its 404 is a 404.
    let local = client("localhost", port);
    let error = local
        .query_referring_customer_totals(&totals::query())
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}
