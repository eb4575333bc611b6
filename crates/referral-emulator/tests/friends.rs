//! Referred Friends: both create shapes and create-or-return (item 6), the 428 cases (item 7),
//! update with revision (items 8–9), delete, get by contact with `me`, query.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn events_of_type(api: &Api, event_type: &str) -> Vec<Value> {
    let page = api
        .query(
            &format!("{TRACKER}/referral-events/query"),
            json!({"filter": {"eventType": event_type}}),
        )
        .await
        .ok();
    page["referralEvents"].as_array().unwrap().clone()
}

#[tokio::test]
async fn admin_shape_creates_once_and_returns_the_same_record_after() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let (customer, friend_contact, first) = api.customer_and_friend().await;
    assert_eq!(first["status"], "SIGN_UP_COMPLETED");
    assert_eq!(first["referringCustomerId"], customer["id"]);
    let second = api
        .friend(&friend_contact, customer["id"].as_str().unwrap())
        .await;
    assert_eq!(second.status.as_u16(), 200);
    assert_eq!(second.body["referredFriend"], first);
    assert_eq!(
        events_of_type(&api, "REFERRED_FRIEND_SIGNUP").await.len(),
        1,
        "no second event"
    );
    let friends = api.query(&format!("{FRIENDS}/query"), json!({})).await.ok();
    assert_eq!(
        friends["referredFriends"].as_array().unwrap().len(),
        1,
        "no second record"
    );
}

#[tokio::test]
async fn member_shape_uses_the_code_and_the_callers_contact() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let customer = api.customer(&contact()).await;
    let friend_contact = contact();
    let member = api.member(&friend_contact).await;
    let body = json!({"referralCode": customer["referralCode"]});
    let created = api
        .send(&member, Method::POST, FRIENDS, Some(body.clone()))
        .await
        .ok();
    assert_eq!(
        created["referredFriend"]["contactId"],
        friend_contact.as_str()
    );
    let again = api
        .send(&member, Method::POST, FRIENDS, Some(body))
        .await
        .ok();
    assert_eq!(again, created);
    let mine = api
        .send(&member, Method::GET, &format!("{FRIENDS}/contact/me"), None)
        .await
        .ok();
    assert_eq!(mine, created);
    // The shapes belong to their identities.
    api.post(FRIENDS, json!({"referralCode": customer["referralCode"]}))
        .await
        .expect(403);
    let admin_shape = json!({"referredFriend": {"contactId": friend_contact, "referringCustomerId": customer["id"]}});
    api.send(&member, Method::POST, FRIENDS, Some(admin_shape))
        .await
        .expect(403);
}

#[tokio::test]
async fn the_three_failed_preconditions_are_428_with_their_codes() {
    let api = Api::start().await;
    let customer_contact = contact();
    let customer = api.customer(&customer_contact).await;
    let id = customer["id"].as_str().unwrap().to_owned();

    let reply = api.friend(&contact(), &id).await;
    reply.expect(428);
    assert_eq!(reply.application_code(), Some("PROGRAM_NOT_ACTIVE"));

    api.activate_with_rewards().await;
    let reply = api.friend(&contact(), &common::contact()).await;
    reply.expect(428);
    assert_eq!(reply.application_code(), Some("INVALID_REFERRAL_CODE"));

    let member = api.member(&contact()).await;
    let reply = api
        .send(
            &member,
            Method::POST,
            FRIENDS,
            Some(json!({"referralCode": "AAAAAAAAAAAA"})),
        )
        .await;
    reply.expect(428);
    assert_eq!(reply.application_code(), Some("INVALID_REFERRAL_CODE"));

    let reply = api.friend(&customer_contact, &id).await;
    reply.expect(428);
    assert_eq!(reply.application_code(), Some("SELF_REFERRAL"));

    api.patch(&format!("{PROGRAM}/pause"), None).await.ok();
    let reply = api.friend(&contact(), &id).await;
    assert_eq!(reply.application_code(), Some("PROGRAM_NOT_ACTIVE"));
    let friends = api.query(&format!("{FRIENDS}/query"), json!({})).await.ok();
    assert_eq!(
        friends["referredFriends"],
        json!([]),
        "no failed create left a record"
    );
}

#[tokio::test]
async fn create_validates_its_shapes_by_field() {
    let api = Api::start().await;
    let member = api.member(&contact()).await;
    api.send(
        &member,
        Method::POST,
        FRIENDS,
        Some(json!({"referralCode": "short"})),
    )
    .await
    .expect_violation("referralCode");
    api.post(FRIENDS, json!({}))
        .await
        .expect_violation("referralCode");
    api.post(
        FRIENDS,
        json!({"referralCode": "AAAAAAAAAAAA", "referredFriend": {}}),
    )
    .await
    .expect_violation("referralCode");
    api.post(FRIENDS, json!({"referredFriend": {"contactId": contact()}}))
        .await
        .expect_violation("referredFriend.referringCustomerId");
    api.post(
        FRIENDS,
        json!({"referredFriend": {"contactId": "x", "referringCustomerId": contact()}}),
    )
    .await
    .expect_violation("referredFriend.contactId");
}

#[tokio::test]
async fn update_needs_the_ids_and_revision_and_may_leave_the_status() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let customer = api.customer(&contact()).await;
    let friend = api
        .friend(&contact(), customer["id"].as_str().unwrap())
        .await
        .ok()["referredFriend"]
        .clone();
    let id = friend["id"].as_str().unwrap();
    let path = format!("{FRIENDS}/{id}");
    // What the newest method page requires: id, contactId, referringCustomerId, revision.
    let update = |revision: &str, extra: serde_json::Value| {
        let mut body = json!({
            "id": id, "revision": revision,
            "contactId": friend["contactId"], "referringCustomerId": friend["referringCustomerId"],
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"referredFriend": body})
    };
    let body = update("1", json!({"status": "ACTIONS_COMPLETED"}));
    let updated = api.patch(&path, Some(body.clone())).await.ok()["referredFriend"].clone();
    assert_eq!(updated["status"], "ACTIONS_COMPLETED");
    assert_eq!(updated["revision"], "2");
    let stale = api.patch(&path, Some(body)).await;
    stale.expect(409);
    assert_eq!(stale.application_code(), Some("REVISION_MISMATCH"));

    // Without a status: the status stays, the update is still a write.
    let kept = api.patch(&path, Some(update("2", json!({})))).await.ok()["referredFriend"].clone();
    assert_eq!(kept["status"], "ACTIONS_COMPLETED");
    assert_eq!(kept["revision"], "3");

    // Each required field, missing, is a 400 naming it; a changed id is a 400 naming it.
    for field in ["id", "contactId", "referringCustomerId"] {
        let mut body = update("3", json!({"status": "SIGN_UP_COMPLETED"}));
        body["referredFriend"]
            .as_object_mut()
            .unwrap()
            .remove(field);
        api.patch(&path, Some(body))
            .await
            .expect_violation(&format!("referredFriend.{field}"));
    }
    for field in ["contactId", "referringCustomerId"] {
        let mut body = update("3", json!({"status": "SIGN_UP_COMPLETED"}));
        body["referredFriend"][field] = json!(contact());
        api.patch(&path, Some(body))
            .await
            .expect_violation(&format!("referredFriend.{field}"));
    }
    api.patch(&path, Some(update("3", json!({"status": "GONE"}))))
        .await
        .expect_violation("referredFriend.status");
    let mut no_revision = update("3", json!({"status": "SIGN_UP_COMPLETED"}));
    no_revision["referredFriend"]
        .as_object_mut()
        .unwrap()
        .remove("revision");
    api.patch(&path, Some(no_revision)).await.expect(409);
    let other = common::contact();
    let mut unknown = update("3", json!({"status": "SIGN_UP_COMPLETED"}));
    unknown["referredFriend"]["id"] = json!(other);
    api.patch(&format!("{FRIENDS}/{other}"), Some(unknown))
        .await
        .expect(404);
}

#[tokio::test]
async fn get_get_by_contact_and_delete() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let (_, friend_contact, friend) = api.customer_and_friend().await;
    let id = friend["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("{FRIENDS}/{id}")).await.ok()["referredFriend"],
        friend
    );
    assert_eq!(
        api.get(&format!("{FRIENDS}/contact/{friend_contact}"))
            .await
            .ok()["referredFriend"],
        friend
    );
    api.get(&format!("{FRIENDS}/contact/me"))
        .await
        .expect_violation("contactId");
    api.delete(&format!("{FRIENDS}/{id}?revision=9"))
        .await
        .expect(409);
    api.delete(&format!("{FRIENDS}/{id}?revision=1")).await.ok();
    api.get(&format!("{FRIENDS}/{id}")).await.expect(404);
    api.get(&format!("{FRIENDS}/contact/{friend_contact}"))
        .await
        .expect(404);
}

#[tokio::test]
async fn query_by_referring_customer() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let a = api.customer(&contact()).await;
    let b = api.customer(&contact()).await;
    for (customer, n) in [(&a, 3), (&b, 2)] {
        for _ in 0..n {
            api.friend(&contact(), customer["id"].as_str().unwrap())
                .await
                .ok();
        }
    }
    let page = api
        .query(&format!("{FRIENDS}/query"), json!({"filter": {"referringCustomerId": a["id"]}, "sort": [{"fieldName": "createdDate", "order": "ASC"}]}))
        .await
        .ok();
    let friends = page["referredFriends"].as_array().unwrap();
    assert_eq!(friends.len(), 3);
    assert!(friends.iter().all(|f| f["referringCustomerId"] == a["id"]));
    let dates: Vec<&str> = friends
        .iter()
        .map(|f| f["createdDate"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
}

/// docs/decisions.md item 6: a member token's scope may carry the referral code; Create
/// Referred Friend then takes an empty body.
#[tokio::test]
async fn a_member_scope_with_a_code_allows_an_empty_body() {
    let api = Api::start().await;
    api.activate_with_rewards().await;
    let customer = api.customer(&contact()).await;
    let code = customer["referralCode"].as_str().unwrap();
    let friend_contact = contact();
    let reply = api
        .control(
            Method::POST,
            &format!("/sites/{}/members", api.site()),
            Some(json!({"contactId": friend_contact, "referralCode": code})),
        )
        .await;
    let member = Auth::Token(reply.ok()["token"].as_str().unwrap().to_owned());
    let created =
        api.send(&member, Method::POST, FRIENDS, None).await.ok()["referredFriend"].clone();
    assert_eq!(created["contactId"], json!(friend_contact));
    assert_eq!(created["referringCustomerId"], customer["id"]);

    // A code of the wrong length is refused when the token is made.
    api.control(
        Method::POST,
        &format!("/sites/{}/members", api.site()),
        Some(json!({"contactId": contact(), "referralCode": "short"})),
    )
    .await
    .expect_violation("referralCode");
    // A member without a code in its scope: the empty body names the field.
    let plain = api.member(&contact()).await;
    api.send(&plain, Method::POST, FRIENDS, Some(json!({})))
        .await
        .expect_violation("referralCode");
}
