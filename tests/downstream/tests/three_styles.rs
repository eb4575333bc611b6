//! The user's code tested the three ways referral-testkit offers, using only public APIs.

use downstream_example::{Welcome, after_checkout, converted_friends};
use referral_domain::{ContactId, Error, FriendStatus, Page, ReferralCode, WixReferralClient};
use referral_testkit::{MockServerExt, MockServices, TestSite, fixtures};

/// 1. mockall: every branch, no network.
#[tokio::test]
async fn with_mocks() {
    let customer = fixtures::referring_customer();
    let buyer = fixtures::contact();

    assert_eq!(
        after_checkout(&MockServices::new(), &buyer, None)
            .await
            .unwrap(),
        Welcome::Invite
    );

    let mut mocks = MockServices::new();
    let found = customer.clone();
    mocks
        .customers
        .expect_get_referring_customer_by_code()
        .returning(move |_| Ok(found.clone()));
    mocks
        .friends
        .expect_get_referred_friend_by_contact()
        .returning(|_| {
            Err(Error::NotFound(Box::new(referral_domain::ApiError::new(
                "get", 404,
            ))))
        });
    let linked = fixtures::referred_friend_of(&customer);
    mocks
        .friends
        .expect_create_referred_friend()
        .times(1)
        .returning(move |_| Ok(linked.clone()));
    assert_eq!(
        after_checkout(&mocks, &buyer, Some(&customer.referral_code))
            .await
            .unwrap(),
        Welcome::Referred {
            by: customer.referral_code.clone()
        }
    );

    let mut mocks = MockServices::new();
    let found = customer.clone();
    mocks
        .customers
        .expect_get_referring_customer_by_code()
        .returning(move |_| Ok(found.clone()));
    let ordered = referral_domain::ReferredFriend {
        status: FriendStatus::ActionsCompleted,
        ..fixtures::referred_friend_of(&customer)
    };
    mocks
        .friends
        .expect_query_referred_friends()
        .returning(move |_| Ok(Page::new(vec![ordered.clone(); 3], None)));
    assert_eq!(
        converted_friends(&mocks, &customer.referral_code)
            .await
            .unwrap(),
        3
    );
}

/// 2. The emulator over HTTP: real state, real paging.
#[tokio::test]
async fn with_an_emulator_site() {
    let site = TestSite::start().await.unwrap();
    let client = site.client();
    let config = referral_domain::flows::ProgramConfig {
        successful_referral_actions: Some(vec![referral_domain::ReferralAction::StoreOrderPlaced]),
        ..Default::default()
    };
    referral_domain::flows::set_up_program(client, &config)
        .await
        .unwrap();
    let customer = referral_domain::flows::enroll_referring_customer(client, &fixtures::contact())
        .await
        .unwrap();
    let mut buyers: Vec<ContactId> = Vec::new();
    for _ in 0..3 {
        let buyer = fixtures::contact();
        let welcome = after_checkout(client, &buyer, Some(&customer.referral_code))
            .await
            .unwrap();
        assert!(matches!(welcome, Welcome::Referred { .. }));
        buyers.push(buyer);
    }
    site.record_order(&buyers[0], "12.00", "USD").await.unwrap();
    site.record_order(&buyers[2], "30.00", "USD").await.unwrap();
    assert_eq!(
        converted_friends(client, &customer.referral_code)
            .await
            .unwrap(),
        2
    );
    let unknown = ReferralCode::parse("AAAAAAAAAAAA").unwrap();
    assert_eq!(converted_friends(client, &unknown).await.unwrap(), 0);
}

/// 3. Typed HTTP mocks: the exact requests the code sends.
#[tokio::test]
async fn with_typed_http_mocks() {
    let server = httpmock::MockServer::start_async().await;
    let code = "GxpxwAoMqxH8";
    let customer_json = serde_json::json!({"referringCustomer": {
        "id": "07a3306c-b311-466e-92dd-c635c4145d1c", "contactId": "661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3",
        "referralCode": code, "revision": "1"}});
    let by_code = server.get_referring_customer_by_referral_code(|when, then| {
        // Only a request for this code matches.
        let _ = when.referral_code(code);
        then.ok(&serde_json::from_value(customer_json.clone()).unwrap());
    });
    let query = server.query_referred_friend(|_, then| {
        then.ok(&serde_json::from_value(
            serde_json::json!({"referredFriends": [], "metadata": {"count": 0}}),
        )
        .unwrap());
    });
    let client = WixReferralClient::builder()
        .base_url(server.base_url())
        .auth(referral_domain::Auth::api_key("key", "site"))
        .build()
        .unwrap();
    let converted = converted_friends(&client, &ReferralCode::parse(code).unwrap())
        .await
        .unwrap();
    assert_eq!(converted, 0);
    by_code.assert_async().await;
    query.assert_async().await;
}

/// 4. Snapshots: what the code did on a fresh emulator site, redacted of what the server makes
/// up, is the same snapshot every run (here: twice in one test).
#[tokio::test]
async fn a_snapshot_of_a_flow_on_a_fresh_site_is_the_same_every_run() {
    for _ in 0..2 {
        let site = TestSite::start().await.unwrap();
        let client = site.client();
        let config = referral_domain::flows::ProgramConfig {
            successful_referral_actions: Some(vec![
                referral_domain::ReferralAction::StoreOrderPlaced,
            ]),
            ..Default::default()
        };
        let program = referral_domain::flows::set_up_program(client, &config)
            .await
            .unwrap();
        let customer =
            referral_domain::flows::enroll_referring_customer(client, &fixtures::contact())
                .await
                .unwrap();
        let buyer = fixtures::contact();
        after_checkout(client, &buyer, Some(&customer.referral_code))
            .await
            .unwrap();
        site.record_order(&buyer, "12.00", "USD").await.unwrap();
        let friend =
            referral_domain::ReferredFriends::get_referred_friend_by_contact(client, &buyer)
                .await
                .unwrap();
        let report = referral_domain::flows::performance_report(
            client,
            referral_domain::flows::ReportOptions::default(),
        )
        .await
        .unwrap();
        referral_testkit::snapshot::redacted().bind(|| {
            insta::assert_json_snapshot!(
                "referral_flow_on_a_fresh_site",
                serde_json::json!({
                    "program": program,
                    "customer": customer,
                    "friend": friend,
                    "report": report,
                })
            );
        });
    }
}
