//! Rewards, events and statistics (docs/decisions.md items 18–21), totals and friend actions.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

struct Referral {
    customer: Value,
    customer_contact: String,
    friend: Value,
    friend_contact: String,
}

async fn referral(api: &Api) -> Referral {
    let customer_contact = contact();
    let customer = api.customer(&customer_contact).await;
    let friend_contact = contact();
    let friend = api
        .friend(&friend_contact, customer["id"].as_str().unwrap())
        .await
        .ok()["referredFriend"]
        .clone();
    Referral {
        customer,
        customer_contact,
        friend,
        friend_contact,
    }
}

async fn all(api: &Api, path: &str, key: &str, query: Value) -> Vec<Value> {
    api.query(path, query).await.ok()[key]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_new_friend_gets_the_friend_reward_and_a_signup_event() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r = referral(&api).await;
    let rewards = all(
        &api,
        &format!("{REWARDS}/query"),
        "referralRewards",
        json!({}),
    )
    .await;
    assert_eq!(rewards.len(), 1);
    let reward = &rewards[0];
    assert_eq!(reward["rewardType"], "COUPON");
    assert_eq!(reward["rewardedReferredFriendId"], r.friend["id"]);
    assert!(
        reward.get("rewardedReferringCustomerId").is_none(),
        "exactly one receiver"
    );
    let coupon = &reward["coupon"];
    assert_eq!(coupon["code"].as_str().unwrap().len(), 12);
    assert_eq!(coupon["status"], "ACTIVE");
    assert_eq!(
        coupon["couponSpecification"]["percentageOptions"]["percentage"],
        10
    );
    let by_id = api
        .get(&format!("{REWARDS}/{}", reward["id"].as_str().unwrap()))
        .await
        .ok();
    assert_eq!(&by_id["referralReward"], reward);

    let events = all(
        &api,
        &format!("{TRACKER}/referral-events/query"),
        "referralEvents",
        json!({"sort": [{"fieldName": "eventType"}]}),
    )
    .await;
    let types: Vec<&str> = events.iter().map(event_type).collect();
    assert_eq!(types, ["REFERRED_FRIEND_SIGNUP", "REWARD"]);
    assert_eq!(
        events[0]["referredFriendSignupEvent"]["referredFriendId"],
        r.friend["id"]
    );
    assert_eq!(events[1]["rewardEvent"]["referralRewardId"], reward["id"]);
}

fn event_type(event: &Value) -> &'static str {
    for (field, name) in [
        ("referredFriendSignupEvent", "REFERRED_FRIEND_SIGNUP"),
        ("successfulReferralEvent", "SUCCESSFUL_REFERRAL"),
        ("actionEvent", "ACTION"),
        ("rewardEvent", "REWARD"),
    ] {
        if event.get(field).is_some() {
            return name;
        }
    }
    panic!("event without a type: {event}")
}

#[tokio::test]
async fn no_reward_is_given_when_the_type_is_nothing() {
    let api = Api::start().await;
    api.patch(PROGRAM, Some(json!({"referralProgram": {"revision": "1", "referredFriendReward": {"type": "NOTHING"}}}))).await.ok();
    api.patch(&format!("{PROGRAM}/activate"), None).await.ok();
    referral(&api).await;
    assert!(
        all(
            &api,
            &format!("{REWARDS}/query"),
            "referralRewards",
            json!({})
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn a_successful_action_completes_the_friend_and_rewards_the_customer_once() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r = referral(&api).await;
    let outcome = api
        .action(&r.friend_contact, "STORE_ORDER_PLACED", "25.50")
        .await
        .ok();
    let types: Vec<&str> = outcome["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(event_type)
        .collect();
    assert_eq!(types, ["ACTION", "SUCCESSFUL_REFERRAL", "REWARD"]);
    let action = &outcome["events"][0]["actionEvent"];
    assert_eq!(action["amount"], "25.50");
    assert_eq!(action["currency"], "USD");
    assert_eq!(action["referringCustomerId"], r.customer["id"]);
    let reward = &outcome["rewards"][0];
    assert_eq!(reward["rewardType"], "LOYALTY_POINTS");
    assert_eq!(reward["rewardedReferringCustomerId"], r.customer["id"]);
    assert_eq!(reward["loyaltyPoints"]["amount"], 100);
    assert!(reward["loyaltyPoints"]["transactionId"].is_string());

    let friend = api
        .get(&format!("{FRIENDS}/{}", r.friend["id"].as_str().unwrap()))
        .await
        .ok();
    assert_eq!(friend["referredFriend"]["status"], "ACTIONS_COMPLETED");
    assert_eq!(friend["referredFriend"]["revision"], "2");

    // A second successful action is an action, nothing more.
    let again = api
        .action(&r.friend_contact, "STORE_ORDER_PLACED", "10")
        .await
        .ok();
    assert_eq!(again["events"].as_array().unwrap().len(), 1);
    assert_eq!(again["rewards"], json!([]));
    // An action outside successfulReferralActions is recorded but completes nothing.
    let plan = api
        .action(&r.friend_contact, "PLAN_ORDERED", "1.05")
        .await
        .ok();
    assert_eq!(plan["events"].as_array().unwrap().len(), 1);

    let stats = api
        .get(&format!("{TRACKER}/referral-statistics"))
        .await
        .ok();
    assert_eq!(
        stats,
        json!({"totalSignUpsCompleted": 1, "totalActionsCompleted": 3, "totalAmountGenerated": "36.55"})
    );
}

#[tokio::test]
async fn an_unsuccessful_first_action_leaves_the_friend_signed_up() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r = referral(&api).await;
    let outcome = api
        .action(&r.friend_contact, "TICKET_ORDERED", "5")
        .await
        .ok();
    assert_eq!(outcome["rewards"], json!([]));
    let friend = api
        .get(&format!("{FRIENDS}/contact/{}", r.friend_contact))
        .await
        .ok();
    assert_eq!(friend["referredFriend"]["status"], "SIGN_UP_COMPLETED");
}

#[tokio::test]
async fn action_input_is_validated_by_field() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r = referral(&api).await;
    let site = api.site();
    let cases = [
        (
            json!({"contactId": r.friend_contact, "action": "FLY"}),
            "action",
        ),
        (
            json!({"contactId": r.friend_contact, "action": "STORE_ORDER_PLACED", "amount": "-1"}),
            "amount",
        ),
        (
            json!({"contactId": r.friend_contact, "action": "STORE_ORDER_PLACED", "amount": "1.005"}),
            "amount",
        ),
        (
            json!({"contactId": r.friend_contact, "action": "STORE_ORDER_PLACED", "currency": "usd"}),
            "currency",
        ),
        (
            json!({"contactId": "x", "action": "STORE_ORDER_PLACED"}),
            "contactId",
        ),
    ];
    for (body, field) in cases {
        api.control(Method::POST, &format!("/sites/{site}/actions"), Some(body))
            .await
            .expect_violation(field);
    }
    api.action(&contact(), "STORE_ORDER_PLACED", "1")
        .await
        .expect(404);
    assert_eq!(
        api.get(&format!("{TRACKER}/referral-statistics"))
            .await
            .ok()["totalActionsCompleted"],
        0
    );
}

#[tokio::test]
async fn rewards_query_by_contact_and_me() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r1 = referral(&api).await;
    let _r2 = referral(&api).await;
    let path = format!("{REWARDS}/query");
    let mine = api
        .post(&path, json!({"query": {}, "contactId": r1.friend_contact}))
        .await
        .ok();
    let rewards = mine["referralRewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 1);
    assert_eq!(rewards[0]["rewardedReferredFriendId"], r1.friend["id"]);
    let member = api.member(&r1.friend_contact).await;
    let as_member = api
        .send(
            &member,
            Method::POST,
            &path,
            Some(json!({"query": {}, "contactId": "me"})),
        )
        .await
        .ok();
    assert_eq!(as_member["referralRewards"], mine["referralRewards"]);
    let everyone = api
        .send(&member, Method::POST, &path, Some(json!({"query": {}})))
        .await;
    everyone.expect(403);
    let typed = api.query(&path, json!({"filter": {"rewardType": {"$in": ["COUPON"]}, "rewardedReferredFriendId": {"$exists": true}}})).await.ok();
    assert_eq!(typed["referralRewards"].as_array().unwrap().len(), 2);
    api.query(&path, json!({"filter": {"rewardType": "CASH"}}))
        .await
        .expect_violation("query.filter.rewardType");
}

#[tokio::test]
async fn totals_and_friend_actions_follow_the_events() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r = referral(&api).await;
    let customer_id = r.customer["id"].as_str().unwrap();
    let second_friend = contact();
    api.friend(&second_friend, customer_id).await.ok();
    api.action(&r.friend_contact, "STORE_ORDER_PLACED", "20.00")
        .await
        .ok();
    api.action(&r.friend_contact, "STORE_ORDER_PLACED", "5.25")
        .await
        .ok();
    api.action(&second_friend, "PLAN_ORDERED", "1").await.ok();

    let totals = api
        .post(
            &format!("{TRACKER}/referring-customer-totals/query"),
            json!({"contactIds": [r.customer_contact]}),
        )
        .await
        .ok();
    let total = &totals["referringCustomerTotals"][0];
    assert_eq!(
        totals["referringCustomerTotals"].as_array().unwrap().len(),
        1
    );
    assert_eq!(total["referringCustomerId"], customer_id);
    assert_eq!(total["totalSuccessfulReferrals"], 1);
    assert_eq!(total["totalFriendsWithActions"], 2);
    assert_eq!(total["totalAmountGenerated"], "26.25");
    assert!(total["lastSuccessfulReferral"].is_string() && total["lastFriendAction"].is_string());

    let actions = api
        .post(
            &format!("{TRACKER}/referred-friend-actions/query"),
            json!({"query": {"filter": {"totalActions": {"$gte": 2}}}}),
        )
        .await
        .ok();
    let action = &actions["referredFriendActions"][0];
    assert_eq!(
        actions["referredFriendActions"].as_array().unwrap().len(),
        1
    );
    assert_eq!(action["referredFriendId"], r.friend["id"]);
    assert_eq!(action["totalActions"], 2);
    assert_eq!(action["totalAmountSpent"], "25.25");
    assert_eq!(action["rewardType"], "COUPON");
    assert_eq!(action["trigger"]["activityType"], "stores/OrderPaid");
    api.post(
        &format!("{TRACKER}/referred-friend-actions/query"),
        json!({"contactIds": ["x"]}),
    )
    .await
    .expect_violation("contactIds[0]");
}

#[tokio::test]
async fn events_by_id_and_by_type() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r = referral(&api).await;
    api.action(&r.friend_contact, "STORE_ORDER_PLACED", "3")
        .await
        .ok();
    let path = format!("{TRACKER}/referral-events/query");
    let rewards = all(
        &api,
        &path,
        "referralEvents",
        json!({"filter": {"eventType": {"$in": ["REWARD"]}}}),
    )
    .await;
    assert_eq!(rewards.len(), 2);
    let not_rewards = all(
        &api,
        &path,
        "referralEvents",
        json!({"filter": {"eventType": {"$ne": "REWARD"}}}),
    )
    .await;
    assert_eq!(not_rewards.len(), 3);
    let starts = all(
        &api,
        &path,
        "referralEvents",
        json!({"filter": {"eventType": {"$startsWith": "re"}}}),
    )
    .await;
    assert_eq!(
        starts.len(),
        3,
        "REFERRED_FRIEND_SIGNUP and the two REWARDs, case-insensitively"
    );
    let id = rewards[0]["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("{TRACKER}/referral-events/{id}"))
            .await
            .ok()["referralEvent"],
        rewards[0]
    );
    api.get(&format!("{TRACKER}/referral-events/{}", contact()))
        .await
        .expect(404);
}

/// docs/decisions.md item 11: events filter and sort on their four one-of members (Query Referral
/// Event's REST page), `$eq $ne $exists $in $hasSome`, members compared as whole objects.
#[tokio::test]
async fn events_by_one_of_member() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let r = referral(&api).await;
    api.action(&r.friend_contact, "STORE_ORDER_PLACED", "3")
        .await
        .ok();
    let path = format!("{TRACKER}/referral-events/query");
    let events = |filter: Value| all(&api, &path, "referralEvents", json!({"filter": filter}));
    let every = events(json!({})).await;
    assert_eq!(every.len(), 5);

    let rewards = events(json!({"rewardEvent": {"$exists": true}})).await;
    assert_eq!(rewards.len(), 2);
    assert!(rewards.iter().all(|e| event_type(e) == "REWARD"));
    let no_action = events(json!({"actionEvent": {"$exists": false}})).await;
    assert_eq!(no_action.len(), 4);
    assert!(no_action.iter().all(|e| event_type(e) != "ACTION"));

    let signup = every
        .iter()
        .find(|e| event_type(e) == "REFERRED_FRIEND_SIGNUP")
        .unwrap();
    let member = signup["referredFriendSignupEvent"].clone();
    let found = events(json!({"referredFriendSignupEvent": member})).await;
    assert_eq!(
        found,
        std::slice::from_ref(signup),
        "{{member: object}} is $eq"
    );
    // Key order and null members do not matter; another friend's id does.
    let action = every.iter().find(|e| event_type(e) == "ACTION").unwrap();
    let mut reordered = serde_json::Map::new();
    let action_member = action["actionEvent"].as_object().unwrap();
    for (k, v) in action_member.iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    reordered.insert("couponCode".into(), Value::Null);
    assert_eq!(
        events(json!({"actionEvent": {"$eq": reordered}})).await,
        std::slice::from_ref(action)
    );
    assert!(
        events(json!({"referredFriendSignupEvent": {"referredFriendId": contact()}}))
            .await
            .is_empty()
    );
    assert_eq!(
        events(json!({"referredFriendSignupEvent": {"$ne": member}}))
            .await
            .len(),
        4
    );
    for op in ["$in", "$hasSome"] {
        let two = json!([member, action["actionEvent"]]);
        assert_eq!(
            events(json!({"referredFriendSignupEvent": {op: two}}))
                .await
                .len(),
            1,
            "{op} on one member matches only events with that member"
        );
    }
    let either = json!({"$or": [
        {"referredFriendSignupEvent": {"$exists": true}},
        {"actionEvent": {"$exists": true}},
    ]});
    assert_eq!(events(either).await.len(), 2);

    // Sorting by a member puts the events without it first (ascending).
    for (order, rewards_first) in [("ASC", false), ("DESC", true)] {
        let sorted = all(
            &api,
            &path,
            "referralEvents",
            json!({"sort": [{"fieldName": "rewardEvent", "order": order}]}),
        )
        .await;
        let is_reward: Vec<bool> = sorted.iter().map(|e| event_type(e) == "REWARD").collect();
        let expected = if rewards_first {
            [true, true, false, false, false]
        } else {
            [false, false, false, true, true]
        };
        assert_eq!(is_reward, expected, "{order}");
    }
    // Paging through a member sort visits every event once.
    let mut seen = Vec::new();
    let mut page = api
        .query(
            &path,
            json!({"sort": [{"fieldName": "actionEvent"}], "cursorPaging": {"limit": 2}}),
        )
        .await
        .ok();
    loop {
        for e in page["referralEvents"].as_array().unwrap() {
            seen.push(e["id"].as_str().unwrap().to_owned());
        }
        let Some(next) = page["metadata"]["cursors"]["next"].as_str() else {
            break;
        };
        page = api
            .query(&path, json!({"cursorPaging": {"cursor": next, "limit": 2}}))
            .await
            .ok();
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);

    for (filter, field) in [
        (
            json!({"rewardEvent": {"$nin": [{}]}}),
            "query.filter.rewardEvent",
        ),
        (
            json!({"rewardEvent": {"$startsWith": "a"}}),
            "query.filter.rewardEvent",
        ),
        (
            json!({"actionEvent": {"$gt": {}}}),
            "query.filter.actionEvent",
        ),
        (json!({"actionEvent": "ACTION"}), "query.filter.actionEvent"),
        (
            json!({"actionEvent": {"$in": ["ACTION"]}}),
            "query.filter.actionEvent",
        ),
        (
            json!({"actionEvent": {"$exists": true, "orderId": "x"}}),
            "query.filter.actionEvent",
        ),
    ] {
        api.query(&path, json!({"filter": filter}))
            .await
            .expect_violation(field);
    }
}

/// docs/decisions.md item 30: three methods take an optional body; none at all, an empty one
/// and `{}` are the default request.
#[tokio::test]
async fn optional_bodies_may_be_left_out() {
    let api = Api::start().await;
    for path in [
        format!("{TRACKER}/referring-customer-totals/query"),
        format!("{TRACKER}/referred-friend-actions/query"),
        format!("{PROGRAM}/ai-social-media-posts-suggestions"),
    ] {
        api.send(&api.admin, Method::POST, &path, None).await.ok();
        api.post(&path, json!({})).await.ok();
    }
}

/// What a friend's action does depends on the program's status and on the action itself
/// (docs/decisions.md item 37): a program that is not ACTIVE records it but completes nothing
/// and rewards nobody; an order told twice is recorded once; one site, one currency; a deleted
/// referring customer is rewarded by nobody; `UNKNOWN` is no action.
#[tokio::test]
async fn the_programs_status_and_the_action_decide_what_an_action_does() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let first = referral(&api).await;
    let friend = first.friend_contact.clone();
    async fn statistics(api: &Api) -> Value {
        api.get("/_api/referral-tracker/v1/referral-statistics")
            .await
            .ok()
    }
    async fn friend_status(api: &Api, id: String) -> Value {
        api.get(&format!("{FRIENDS}/{id}")).await.ok()["referredFriend"]["status"].clone()
    }
    let friend_id = first.friend["id"].as_str().unwrap().to_owned();

    // Paused: the order is recorded, nothing completes, nobody is rewarded.
    api.patch(&format!("{PROGRAM}/pause"), None)
        .await
        .expect(200);
    let paused = api
        .action_as(&friend, "STORE_ORDER_PLACED", "20.00", "USD", "order-1")
        .await
        .ok();
    assert_eq!(paused["events"].as_array().unwrap().len(), 1, "{paused}");
    assert_eq!(paused["rewards"], json!([]), "{paused}");
    assert!(
        paused["notes"][0].as_str().unwrap().contains("PAUSED"),
        "{paused}"
    );
    assert_eq!(
        friend_status(&api, friend_id.clone()).await,
        "SIGN_UP_COMPLETED"
    );
    let after_pause = statistics(&api).await;
    assert_eq!(after_pause["totalActionsCompleted"], 1);
    assert_eq!(after_pause["totalAmountGenerated"], "20.00");

    // The same order told again (a retried store webhook) changes nothing.
    let again = api
        .action_as(&friend, "STORE_ORDER_PLACED", "20.00", "USD", "order-1")
        .await
        .ok();
    assert_eq!(again["events"], json!([]), "{again}");
    assert!(
        again["notes"][0]
            .as_str()
            .unwrap()
            .contains("recorded before")
    );
    assert_eq!(statistics(&api).await, after_pause);

    // Active again: the next order completes the referral and rewards the customer.
    api.patch(&format!("{PROGRAM}/activate"), None)
        .await
        .expect(200);
    let active = api
        .action_as(&friend, "STORE_ORDER_PLACED", "5.00", "USD", "order-2")
        .await
        .ok();
    assert_eq!(active["rewards"].as_array().unwrap().len(), 1, "{active}");
    assert_eq!(active["notes"], json!([]), "{active}");
    assert_eq!(friend_status(&api, friend_id).await, "ACTIONS_COMPLETED");

    // Another currency would be summed with dollars: refused, naming the field.
    api.action_as(&friend, "STORE_ORDER_PLACED", "9.00", "EUR", "order-3")
        .await
        .expect_violation("currency");
    assert_eq!(
        statistics(&api).await["totalAmountGenerated"],
        "25.00",
        "the euros were not added"
    );

    // UNKNOWN is no action.
    api.action_as(&friend, "UNKNOWN", "1.00", "USD", "order-4")
        .await
        .expect_violation("action");

    // A friend whose referring customer was deleted completes the referral; nobody is rewarded.
    let orphan = referral(&api).await;
    let customer_id = orphan.customer["id"].as_str().unwrap();
    let revision = orphan.customer["revision"].as_str().unwrap();
    api.delete(&format!("{CUSTOMERS}/{customer_id}?revision={revision}"))
        .await
        .expect(200);
    let orphaned = api
        .action_as(
            &orphan.friend_contact,
            "STORE_ORDER_PLACED",
            "1.00",
            "USD",
            "order-5",
        )
        .await
        .ok();
    assert_eq!(orphaned["rewards"], json!([]), "{orphaned}");
    assert!(
        orphaned["notes"][0]
            .as_str()
            .unwrap()
            .contains("was deleted"),
        "{orphaned}"
    );
    let orphan_id = orphan.friend["id"].as_str().unwrap().to_owned();
    assert_eq!(friend_status(&api, orphan_id).await, "ACTIONS_COMPLETED");
}
