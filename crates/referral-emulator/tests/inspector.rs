//! The inspector's pages over HTTP (the browser tests in referral-testkit drive them in Chromium).

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

async fn post_form(api: &Api, path: &str, form: &str) -> reqwest::Response {
    api.http
        .post(api.url(&format!("/_emulator/ui{path}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_page_shows_the_sites_data_and_escapes_it() {
    let api = Api::start().await;
    let site = api.site();
    let hostile = "<script>alert(1)</script>&\"'";
    api.patch(
        PROGRAM,
        Some(json!({"referralProgram": {"revision": "1", "name": hostile}})),
    )
    .await
    .ok();
    let customer = api.customer(&contact()).await;
    let customer_id = customer["id"].as_str().unwrap();

    let (status, index) = page(&api, "").await;
    assert_eq!(status, 200);
    assert!(index.contains(&site));
    let (status, overview) = page(&api, &format!("/sites/{site}")).await;
    assert_eq!(status, 200);
    assert!(
        overview.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;'"),
        "the name is shown as text"
    );
    for html in [&index, &overview] {
        assert!(
            !html.contains("<script>alert"),
            "no data reaches the page as markup"
        );
    }

    let (status, customers) = page(&api, &format!("/sites/{site}/records/customers")).await;
    assert_eq!(status, 200);
    assert!(customers.contains(customer_id));
    assert!(customers.contains(customer["referralCode"].as_str().unwrap()));
    let (status, record) = page(
        &api,
        &format!("/sites/{site}/records/customers/{customer_id}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        record.contains("&quot;referralCode&quot;"),
        "the record as JSON"
    );

    // The query language filters the tables; a bad filter is explained, not a 500.
    let (status, filtered) = page(
        &api,
        &format!("/sites/{site}/records/customers?filter=%7B%22referralCode%22%3A%22nope%22%7D"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!filtered.contains(customer_id) && filtered.contains("nothing matches"));
    let (_, bad) = page(
        &api,
        &format!("/sites/{site}/records/friends?filter=%7B%22id%22%3A1%7D"),
    )
    .await;
    assert!(bad.contains("cannot be filtered by id"), "{bad}");

    let (status, requests) = page(&api, &format!("/sites/{site}/requests")).await;
    assert_eq!(status, 200);
    assert!(requests.contains("/referral-customers/v1/referring-customers"));

    for missing in [
        "/sites/not-a-site".to_owned(),
        format!("/sites/{}", contact()),
        format!("/sites/{site}/records/nothing"),
        format!("/sites/{site}/records/customers/{}", contact()),
    ] {
        assert_eq!(page(&api, &missing).await.0, 404, "{missing}");
    }
}

#[tokio::test]
async fn a_rule_added_in_the_page_fails_the_next_call_and_is_counted() {
    let api = Api::start().await;
    let form = "route=%2Freferral-customers%2Fv1%2Freferring-customers&status=503&times=1&probability=1&latency_ms=";
    let added = post_form(&api, "/faults", form).await;
    assert!(added.status().is_success(), "{}", added.status());
    api.post(CUSTOMERS, json!({"contactId": contact()}))
        .await
        .expect(503);
    let (_, faults) = page(&api, "/faults").await;
    assert!(faults.contains("status 503"));
    assert!(
        faults.contains(r#"<td class="num failed">1</td>"#),
        "{faults}"
    );

    // A bad rule is explained; a form from another site is refused.
    let bad = post_form(&api, "/faults", "route=customers&status=503").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("can never match"));
    let cross = api
        .http
        .post(api.url("/_emulator/ui/faults/clear"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let cleared = api
        .http
        .post(api.url("/_emulator/ui/faults/clear"))
        .send()
        .await
        .unwrap();
    assert!(cleared.status().is_success());
    assert_eq!(
        api.control(Method::GET, "/faults", None).await.ok()["rules"],
        json!([])
    );
}

#[tokio::test]
async fn deliveries_show_with_their_decoded_envelope() {
    let api = Api::start().await;
    let (url, _deliveries) = webhook_receiver().await;
    api.register_webhook(&url).await;
    let customer = api.customer(&contact()).await;
    let mut html = String::new();
    for _ in 0..100 {
        html = page(&api, &format!("/sites/{}/webhooks", api.site()))
            .await
            .1;
        if html.contains(r#"class="ok""#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        html.contains("wix.loyalty.referral.v1.referring_customer_created"),
        "{html}"
    );
    assert!(html.contains(customer["id"].as_str().unwrap()));
    assert!(html.contains(r#"<span class="ok">200</span>"#), "{html}");
}

/// "A friend placed an order" and "the coupon was used" are one form each in the inspector
/// (issue 24): on the friend's page and on the reward's page.
#[tokio::test]
async fn a_friends_order_and_a_used_coupon_are_one_form_each() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let (_, _, friend) = api.customer_and_friend().await;
    let friend_id = friend["id"].as_str().unwrap();
    let site = api.site();
    let page_path = format!("/sites/{site}/records/friends/{friend_id}");
    let (status, html) = page(&api, &page_path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<form class="filter" id="friend-action""#),
        "{html}"
    );

    // A bad amount is refused, naming it, and changes nothing.
    let refused = post_form(
        &api,
        &format!("{page_path}/action"),
        "action=STORE_ORDER_PLACED&amount=ten&currency=USD&order_id=",
    )
    .await;
    assert_eq!(refused.status().as_u16(), 400);
    assert!(refused.text().await.unwrap().contains("amount:"));

    let recorded = post_form(
        &api,
        &format!("{page_path}/action"),
        "action=STORE_ORDER_PLACED&amount=25.00&currency=USD&order_id=web-1",
    )
    .await;
    assert_eq!(recorded.status().as_u16(), 200);
    let html = recorded.text().await.unwrap();
    assert!(
        html.contains("Recorded: 3 event(s), 1 reward(s)."),
        "{html}"
    );
    assert!(
        html.contains("ACTIONS_COMPLETED"),
        "the page shows the friend as it is now"
    );

    // The friend's coupon, used at checkout from its page.
    let rewards = api
        .query(
            "/_api/referral-rewards/v1/referral-rewards/query",
            json!({"filter": {"rewardType": "COUPON"}}),
        )
        .await
        .ok();
    let coupon = rewards["referralRewards"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reward_path = format!("/sites/{site}/records/rewards/{coupon}");
    let (_, html) = page(&api, &reward_path).await;
    assert!(html.contains(r#"<form id="redeem""#), "{html}");
    let used = post_form(&api, &format!("{reward_path}/redeem"), "").await;
    assert_eq!(used.status().as_u16(), 200);
    let html = used.text().await.unwrap();
    assert!(html.contains("The coupon is APPLIED."), "{html}");
    assert!(
        !html.contains(r#"<form id="redeem""#),
        "no second use offered"
    );
    let again = post_form(&api, &format!("{reward_path}/redeem"), "").await;
    assert_eq!(again.status().as_u16(), 400);
    let html = again.text().await.unwrap();
    assert!(html.contains("was applied and can"), "{html}");
}
