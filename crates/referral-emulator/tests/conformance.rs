//! Every one of the 25 methods through the generated client (referral-api): the emulator's
//! responses decode into the types generated from openapi/, so they conform to the specs.

mod common;

use common::*;
use referral_api::types::*;
use referral_api::wire::Int64String;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;

fn client(api: &Api, token: Option<&str>) -> referral_api::Client {
    let mut headers = HeaderMap::new();
    match token {
        Some(token) => {
            headers.insert("authorization", HeaderValue::from_str(token).unwrap());
        }
        None => {
            headers.insert(
                "authorization",
                HeaderValue::from_str(api.emulator.api_key()).unwrap(),
            );
            headers.insert("wix-site-id", HeaderValue::from_str(&api.site()).unwrap());
        }
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    referral_api::Client::new_with_client(
        api.emulator.base_url(),
        http,
        referral_api::transport::Sender::plain(),
    )
}

fn query(value: serde_json::Value) -> CursorQuery {
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn all_25_methods_answer_in_the_shapes_of_the_spec() {
    let api = Api::start().await;
    let admin = client(&api, None);

    // Referral Programs (7)
    let program = admin
        .get_referral_program()
        .send()
        .await
        .unwrap()
        .into_inner()
        .referral_program
        .unwrap();
    assert_eq!(program.status, Some(ProgramStatus::Draft));
    let update: UpdateReferralProgramRequest = serde_json::from_value(json!({"referralProgram": {
        "revision": "1", "name": "Share & Earn",
        "referredFriendReward": {"type": "COUPON", "couponOptions": {"name": "Welcome", "discountType": "FIXED_AMOUNT", "fixedAmountOptions": {"amount": 5}}},
        "referringCustomerReward": {"type": "LOYALTY_POINTS", "loyaltyPointsOptions": {"amount": 50}},
        "successfulReferralActions": ["STORE_ORDER_PLACED"],
        "emails": {"encourageToReferFriends": ["STORES"], "notifyCustomersAboutReward": true}
    }}))
    .unwrap();
    let updated = admin
        .update_referral_program()
        .body(update)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updated.referral_program.unwrap().revision,
        Some(Int64String(2))
    );
    let active = admin
        .activate_referral_program()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        active.referral_program.unwrap().status,
        Some(ProgramStatus::Active)
    );
    let paused = admin
        .pause_referral_program()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        paused.referral_program.unwrap().status,
        Some(ProgramStatus::Paused)
    );
    admin.activate_referral_program().send().await.unwrap();
    let stored = admin
        .get_ai_social_media_posts_suggestions()
        .topic("yoga")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!stored.suggestions.is_empty());
    let generated = admin
        .generate_ai_social_media_posts_suggestions()
        .body(GenerateAiSocialMediaPostsSuggestionsRequest {
            topic: Some("yoga".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(generated.refer_friends_page_url.is_some());
    let premium = admin
        .get_referral_program_premium_features()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(premium.referral_program, Some(true));

    // Referring Customers (5)
    let contact_a = contact();
    let generate: GenerateReferringCustomerForContactRequest =
        serde_json::from_value(json!({"contactId": contact_a})).unwrap();
    let customer = admin
        .generate_referring_customer_for_contact()
        .body(generate)
        .send()
        .await
        .unwrap()
        .into_inner()
        .referring_customer
        .unwrap();
    let customer_id = customer.id.clone().unwrap();
    let code = customer.referral_code.clone().unwrap();
    let got = admin
        .get_referring_customer()
        .referring_customer_id(&customer_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        got.referring_customer.unwrap().referral_code,
        Some(code.clone())
    );
    let by_code = admin
        .get_referring_customer_by_referral_code()
        .referral_code(code.as_str())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_code.referring_customer.unwrap().id, customer.id);
    let page = admin
        .query_referring_customers()
        .body(QueryReferringCustomersRequest {
            query: query(json!({"filter": {"referralCode": {"$eq": code.as_str()}}})),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.referring_customers.len(), 1);
    assert_eq!(page.metadata.unwrap().has_next, Some(false));

    // Referred Friends (6), with the member shape for create.
    let friend_contact = contact();
    let member = api.member(&friend_contact).await;
    let Auth::Token(token) = member else {
        unreachable!()
    };
    let as_member = client(&api, Some(&token));
    let create: CreateReferredFriendRequest =
        serde_json::from_value(json!({"referralCode": code.as_str()})).unwrap();
    let friend = as_member
        .create_referred_friend()
        .body(create)
        .send()
        .await
        .unwrap()
        .into_inner()
        .referred_friend
        .unwrap();
    assert_eq!(friend.status, Some(ReferredFriendStatus::SignUpCompleted));
    let friend_id = friend.id.clone().unwrap();
    let mine = as_member
        .get_referred_friend_by_contact_id()
        .contact_id("me")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.referred_friend.unwrap().id, friend.id);
    let got = admin
        .get_referred_friend()
        .referred_friend_id(&friend_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        got.referred_friend.unwrap().contact_id.unwrap().to_string(),
        friend_contact
    );
    let update: UpdateReferredFriendRequest = serde_json::from_value(json!({"referredFriend": {
        "id": friend_id, "revision": "1", "status": "ACTIONS_COMPLETED",
        "contactId": friend_contact, "referringCustomerId": customer_id,
    }}))
    .unwrap();
    let updated = admin
        .update_referred_friend()
        .referred_friend_id(&friend_id)
        .body(update)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updated.referred_friend.unwrap().revision,
        Some(Int64String(2))
    );
    let friends = admin
        .query_referred_friend()
        .body(QueryReferredFriendRequest {
            query: query(json!({"filter": {"referringCustomerId": customer_id}})),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(friends.referred_friends.len(), 1);

    // Actions through the control API, then Rewards (2) and the Tracker (5).
    api.action(&friend_contact, "STORE_ORDER_PLACED", "12.30")
        .await
        .ok();
    let rewards = admin
        .query_referral_rewards()
        .body(QueryReferralRewardsRequest {
            query: query(json!({})),
            contact_id: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rewards.referral_rewards.len(),
        2,
        "the friend's coupon and the customer's points"
    );
    for reward in &rewards.referral_rewards {
        let id = reward.id.clone().unwrap();
        let got = admin
            .get_referral_reward()
            .id(&id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.referral_reward.unwrap().reward_type, reward.reward_type);
    }
    let events = admin
        .query_referral_event()
        .body(QueryReferralEventRequest {
            query: query(json!({"cursorPaging": {"limit": 100}})),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        events.referral_events.len(),
        5,
        "signup, friend reward, action, success, customer reward"
    );
    let event_id = events.referral_events[0].id.clone().unwrap();
    admin
        .get_referral_event()
        .referral_event_id(&event_id)
        .send()
        .await
        .unwrap();
    let stats = admin
        .get_referral_statistics()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stats
            .total_amount_generated
            .map(|d| d.to_string())
            .as_deref(),
        Some("12.30")
    );
    let totals = admin
        .query_referring_customer_totals()
        .body(QueryReferringCustomerTotalsRequest {
            query: None,
            contact_ids: vec![contact_a.clone()],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        totals.referring_customer_totals[0].total_successful_referrals,
        Some(1)
    );
    let actions = admin
        .query_referred_friend_actions()
        .body(QueryReferredFriendActionsRequest {
            query: None,
            contact_ids: vec![],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(actions.referred_friend_actions[0].total_actions, Some(1));

    // Deletes (2) with their revisions.
    admin
        .delete_referred_friend()
        .referred_friend_id(&friend_id)
        .revision(Int64String(2))
        .send()
        .await
        .unwrap();
    admin
        .delete_referring_customer()
        .referring_customer_id(&customer_id)
        .revision(Int64String(1))
        .send()
        .await
        .unwrap();
    let gone = admin
        .get_referring_customer()
        .referring_customer_id(&customer_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(404));
}

/// docs/decisions.md item 3: the `@internal` methods are not part of the public surface.
#[tokio::test]
async fn internal_methods_are_not_served() {
    let api = Api::start().await;
    let create_event = api
        .post(
            &format!("{TRACKER}/referral-events"),
            json!({"referralEvent": {}}),
        )
        .await;
    create_event.expect(404);
    assert_eq!(create_event.application_code(), Some("NOT_FOUND"));
    api.post(&format!("{REWARDS}/validate"), json!({"reward": {}}))
        .await
        .expect(405);
    api.get(&format!("{PROGRAM}/bulk")).await.expect(404);
}
