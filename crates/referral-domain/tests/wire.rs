//! What the SDK does with what a server sends that the emulator never would: odd values that
//! must not fail a response (the tolerant reader), bodies that do not decode, pages that loop;
//! and the app token cache against a token endpoint that counts its calls. Each test serves a
//! small axum stub on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use futures::{StreamExt, TryStreamExt};
use referral_domain::query::friends;
use referral_domain::{
    Auth, CouponAppliesTo, Discount, Error, EventKind, FriendStatus, IssuedReward, ProgramStatus,
    ReferralPrograms, ReferralRewardId, ReferralRewards, ReferredFriendsExt, RetryPolicy,
    RewardConfig, RewardReceiver, WixReferralClient,
};
use serde_json::{Value, json};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A server that answers every request with `status` and `body`.
async fn answering(status: u16, body: &'static str) -> WixReferralClient {
    let router = Router::new().fallback(move || async move {
        (
            StatusCode::from_u16(status).unwrap(),
            [
                ("content-type", "application/json"),
                ("x-wix-request-id", "req-1"),
            ],
            body,
        )
    });
    client(serve(router).await, RetryPolicy::none())
}

fn client(base_url: String, retries: RetryPolicy) -> WixReferralClient {
    WixReferralClient::builder()
        .base_url(base_url)
        .auth(Auth::api_key("key", "site"))
        .retries(retries)
        .build()
        .unwrap()
}

#[tokio::test]
async fn values_that_break_input_rules_or_one_ofs_never_fail_a_response() {
    let client = answering(
        200,
        r#"{"referralProgram": {
            "name": "X", "status": "ARCHIVED", "revision": 4, "someFieldWixAddsLater": {"a": 1},
            "referredFriendReward": {"type": "COUPON", "loyaltyPointsOptions": {"amount": 5},
                "couponOptions": {"discountType": "PERCENTAGE", "percentageOptions": {"percentage": 10},
                                  "fixedAmountOptions": {"amount": 3}, "minimumSubtotal": 20,
                                  "scope": {"namespace": "stores"}}},
            "referringCustomerReward": {"type": "GIFT_CARD"},
            "successfulReferralActions": ["STORE_ORDER_PLACED", "NEW_ACTION"],
            "emails": {"encourageToReferFriends": ["STORES", "BLOG"]}
        }}"#,
    )
    .await;
    let program = client.get_program().await.unwrap();
    assert_eq!(
        program.name.as_deref(),
        Some("X"),
        "a 1-character name is read"
    );
    assert_eq!(program.status, ProgramStatus::Unknown("ARCHIVED".into()));
    assert_eq!(
        program.revision.unwrap().get(),
        4,
        "a number revision is read"
    );
    let Some(RewardConfig::Inconsistent {
        coupon: Some(coupon),
        points: Some(5),
        ..
    }) = &program.referred_friend_reward
    else {
        panic!("both options set: {:?}", program.referred_friend_reward)
    };
    assert!(matches!(coupon.discount, Discount::Inconsistent { .. }));
    assert!(matches!(
        coupon.applies_to,
        CouponAppliesTo::Inconsistent { .. }
    ));
    assert_eq!(
        program.referring_customer_reward,
        Some(RewardConfig::Unknown {
            reward_type: "GIFT_CARD".into()
        })
    );
    assert_eq!(
        program.successful_referral_actions[1].as_str(),
        "NEW_ACTION"
    );
    assert_eq!(
        program.emails.unwrap().encourage_to_refer_friends[1].as_str(),
        "BLOG"
    );
}

#[tokio::test]
async fn odd_ids_codes_and_receivers_are_kept_and_visible() {
    let client = answering(
        200,
        r#"{"referralReward": {"id": "legacy-7", "rewardType": "LOYALTY_POINTS",
            "rewardedReferringCustomerId": "c-1", "rewardedReferredFriendId": "f-1",
            "loyaltyPoints": {"transactionId": "t", "amount": 10}}}"#,
    )
    .await;
    let id = ReferralRewardId::parse("8934b045-7052-4a90-be2b-832c70afc9da").unwrap();
    let reward = client.get_referral_reward(&id).await.unwrap();
    assert_eq!(reward.id.as_str(), "legacy-7");
    assert!(!reward.id.is_well_formed());
    assert!(
        matches!(reward.receiver, RewardReceiver::Inconsistent { .. }),
        "{:?}",
        reward.receiver
    );
    assert!(matches!(reward.kind, IssuedReward::LoyaltyPoints(ref p) if p.points == 10));

    let client = answering(
        200,
        r#"{"referredFriends": [{"id": "f", "status": "ON_HOLD"}], "metadata": {"count": 1}}"#,
    )
    .await;
    let all: Vec<_> = client
        .referred_friends_stream(friends::query())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all[0].status, FriendStatus::Unknown("ON_HOLD".into()));
    assert_eq!(
        all[0].contact_id.as_str(),
        "",
        "a missing id is empty, not an error"
    );
}

#[tokio::test]
async fn an_event_with_no_known_kind_or_two_kinds_still_decodes() {
    let client = answering(
        200,
        r#"{"referralEvent": {"id": "e", "couponRedeemedEvent": {"code": "X"}}}"#,
    )
    .await;
    let id =
        referral_domain::ReferralEventId::parse("8934b045-7052-4a90-be2b-832c70afc9da").unwrap();
    let event = referral_domain::ReferralTracker::get_referral_event(&client, &id)
        .await
        .unwrap();
    assert_eq!(event.kind, EventKind::Unknown);

    let client = answering(
        200,
        r#"{"referralEvent": {"id": "e", "referredFriendSignupEvent": {"referredFriendId": "f"},
            "actionEvent": {"amount": "12.30"}}}"#,
    )
    .await;
    let event = referral_domain::ReferralTracker::get_referral_event(&client, &id)
        .await
        .unwrap();
    let EventKind::Inconsistent { kinds } = event.kind else {
        panic!("{:?}", event.kind)
    };
    assert_eq!(kinds.len(), 2);
}

#[tokio::test]
async fn a_body_that_does_not_decode_names_the_json_path_and_shows_its_start() {
    let client = answering(
        200,
        r#"{"referralProgram": {"name": "ok", "createdDate": 5}}"#,
    )
    .await;
    let err = client.get_program().await.unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(decode.path, "referralProgram.createdDate");
    assert_eq!(decode.status, 200);
    assert!(decode.excerpt.starts_with(r#"{"referralProgram""#));
    assert_eq!(err.request_id(), Some("req-1"));

    let client = answering(200, r#"{"referralProgram": {"name": "trunc"#).await;
    let err = client.get_program().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");

    let client = answering(
        200,
        r#"{"referralStatistics": 1, "totalAmountGenerated": "lots"}"#,
    )
    .await;
    let err = referral_domain::ReferralTracker::get_referral_statistics(&client)
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        decode.path, "totalAmountGenerated",
        "money is an exact decimal or an error"
    );
}

#[tokio::test]
async fn an_html_502_and_an_empty_500_keep_their_status() {
    let client = answering(502, "<html><body>Bad gateway</body></html>").await;
    let err = client.get_program().await.unwrap_err();
    assert_eq!(err.status(), Some(502), "{err:?}");
    assert!(err.to_string().contains("Bad gateway"), "{err}");
    let client = answering(500, "").await;
    let err = client.get_program().await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert_eq!(err.request_id(), Some("req-1"));
}

#[tokio::test]
async fn a_server_that_repeats_its_cursor_ends_the_stream_with_an_error_not_a_loop() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let router = Router::new().route(
        "/referral_friends/v1/referred-friends/query",
        post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({
                    "referredFriends": [{"id": "f"}],
                    "metadata": {"count": 1, "cursors": {"next": "again"}, "hasNext": true}
                }))
            }
        }),
    );
    let client = client(serve(router).await, RetryPolicy::none());
    let all: Vec<_> = client
        .referred_friends_stream(friends::query())
        .collect()
        .await;
    assert_eq!(all.len(), 3, "two pages' items, then the error");
    assert!(all[..2].iter().all(Result::is_ok));
    match &all[2] {
        Err(referral_domain::Error::Paging(stop)) => {
            assert_eq!(stop.reason, referral_domain::PagingStop::RepeatedCursor);
            assert_eq!((stop.pages, stop.items), (2, 2));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A token endpoint that counts its calls and a program endpoint that accepts only the newest
/// token.
struct TokenServer {
    issued: AtomicU32,
    failing: std::sync::atomic::AtomicBool,
    /// Refuse every token, new or not.
    refusing: std::sync::atomic::AtomicBool,
    lifetime_secs: u64,
}

async fn token_server(lifetime_secs: u64) -> (Arc<TokenServer>, String) {
    let state = Arc::new(TokenServer {
        issued: AtomicU32::new(0),
        failing: false.into(),
        refusing: false.into(),
        lifetime_secs,
    });
    let issuer = state.clone();
    let checker = state.clone();
    let router = Router::new()
        .route(
            "/oauth2/token",
            post(move |body: axum::Json<Value>| {
                let state = issuer.clone();
                async move {
                    assert_eq!(body["grant_type"], "client_credentials");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    if state.failing.load(Ordering::SeqCst) {
                        return (
                            StatusCode::BAD_REQUEST,
                            axum::Json(json!({"error": "invalid_client"})),
                        )
                            .into_response();
                    }
                    let n = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
                    axum::Json(
                        json!({"access_token": format!("tok-{n}"), "token_type": "Bearer",
                        "expires_in": state.lifetime_secs}),
                    )
                    .into_response()
                }
            }),
        )
        .route(
            "/_api/referral-programs/v1/program",
            get(move |headers: HeaderMap| {
                let state = checker.clone();
                async move {
                    let newest = format!("tok-{}", state.issued.load(Ordering::SeqCst));
                    let presented = headers.get("authorization").and_then(|v| v.to_str().ok());
                    if presented == Some(newest.as_str()) && !state.refusing.load(Ordering::SeqCst)
                    {
                        axum::Json(json!({"referralProgram": {"status": "DRAFT"}})).into_response()
                    } else {
                        (
                            StatusCode::UNAUTHORIZED,
                            axum::Json(json!({"message": "expired"})),
                        )
                            .into_response()
                    }
                }
            }),
        );
    (state, serve(router).await)
}

fn app_client(base_url: String) -> WixReferralClient {
    WixReferralClient::builder()
        .base_url(base_url)
        .auth(Auth::app("app", "secret", "instance"))
        .retries(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let (server, url) = token_server(14_400).await;
    let client = app_client(url);
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_program().await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    assert_eq!(server.issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries() {
    let (server, url) = token_server(14_400).await;
    let client = app_client(url);
    client.get_program().await.unwrap();
    // Another holder of the app's credentials gets a newer token: ours is now refused.
    server.issued.fetch_add(1, Ordering::SeqCst);
    client.get_program().await.unwrap();
    assert_eq!(
        server.issued.load(Ordering::SeqCst),
        3,
        "one refresh after the 401"
    );
    // A 401 that a fresh token does not cure is reported, after one refresh only.
    server.refusing.store(true, Ordering::SeqCst);
    let err = client.get_program().await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    assert_eq!(
        server.issued.load(Ordering::SeqCst),
        4,
        "exactly one more fetch"
    );
}

#[tokio::test]
async fn a_token_is_refreshed_before_it_expires() {
    let (server, url) = token_server(1).await;
    let client = app_client(url);
    client.get_program().await.unwrap();
    // The token lives 1 s and is refreshed a tenth early: after 950 ms a new one is fetched
    // before the call rather than after a 401.
    tokio::time::sleep(Duration::from_millis(950)).await;
    client.get_program().await.unwrap();
    assert_eq!(server.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failing_token_endpoint_is_not_hammered() {
    let (server, url) = token_server(14_400).await;
    server.failing.store(true, Ordering::SeqCst);
    let client = app_client(url);
    let err = client.get_program().await.unwrap_err();
    assert!(
        matches!(&err, Error::TokenRequest { status: Some(400), message, .. } if message.contains("invalid_client")),
        "{err:?}"
    );
    let again = client.get_program().await.unwrap_err();
    assert!(
        again.to_string().contains("not retried for another"),
        "{again}"
    );
    // After the back-off (500 ms first) the endpoint is asked again, and now it answers.
    server.failing.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.get_program().await.unwrap();
    assert_eq!(server.issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_absurd_token_lifetime_is_capped_not_a_panic() {
    let (server, url) = token_server(u64::MAX).await;
    let client = app_client(url);
    client.get_program().await.unwrap();
    client.get_program().await.unwrap();
    assert_eq!(
        server.issued.load(Ordering::SeqCst),
        1,
        "the token is reused"
    );
}
