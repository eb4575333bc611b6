//! Tenant isolation (RELIABILITY.md, security): another site's API key, app token or member
//! token cannot read, query, page into, update or delete anything of this site, by id or by
//! cursor, and a cursor edited by hand reaches nothing of another site.

mod common;

use base64::Engine;
use common::{Env, contact, referral};
use referral_domain::query::{customers, friends};
use referral_domain::{
    Auth, Cursor, Error, FriendStatus, NewReferredFriend, ReferralRewards, ReferredFriends,
    ReferringCustomers, WixReferralClient,
};
use serde_json::{Value, json};

struct Intruders {
    by_key: WixReferralClient,
    by_app: WixReferralClient,
    by_member: WixReferralClient,
    key_for_this_site: WixReferralClient,
}

async fn intruders(env: &Env) -> Intruders {
    let other: Value = env.control(reqwest::Method::POST, "/sites", None).await;
    let text = |k: &str| other[k].as_str().unwrap().to_owned();
    let token: Value = env
        .control(
            reqwest::Method::POST,
            &format!("/sites/{}/members", text("siteId")),
            Some(json!({"contactId": contact().as_str()})),
        )
        .await;
    let build = |auth: Auth| env.builder().auth(auth).build().unwrap();
    Intruders {
        by_key: build(Auth::api_key(text("apiKey"), text("siteId"))),
        by_app: build(Auth::app(
            text("appId"),
            text("appSecret"),
            text("instanceId"),
        )),
        by_member: build(Auth::access_token(token["token"].as_str().unwrap())),
        // The other site's key, naming this site: a key only reaches its own sites.
        key_for_this_site: build(Auth::api_key(
            text("apiKey"),
            env.emulator.site_id().to_string(),
        )),
    }
}

#[tokio::test]
async fn another_sites_identities_reach_nothing_here() {
    let env = Env::start().await;
    let owner = env.client();
    let (customer, friend) = referral(&owner).await;
    let reward = referral_domain::ReferralRewards::query_referral_rewards(
        &owner,
        &referral_domain::query::rewards::query(),
    )
    .await
    .unwrap()
    .items
    .remove(0);
    let them = intruders(&env).await;

    let forbidden = them
        .key_for_this_site
        .get_referring_customer(&customer.id)
        .await
        .unwrap_err();
    assert!(matches!(forbidden, Error::Forbidden(_)), "{forbidden:?}");

    for (who, client) in [("key", &them.by_key), ("app", &them.by_app)] {
        assert!(
            client
                .get_referring_customer(&customer.id)
                .await
                .unwrap_err()
                .is_not_found(),
            "{who}"
        );
        assert!(
            client
                .get_referring_customer_by_code(&customer.referral_code)
                .await
                .unwrap_err()
                .is_not_found(),
            "{who}"
        );
        assert!(
            client
                .get_referred_friend(&friend.id)
                .await
                .unwrap_err()
                .is_not_found(),
            "{who}"
        );
        assert!(
            client
                .get_referred_friend_by_contact(&friend.contact_id)
                .await
                .unwrap_err()
                .is_not_found(),
            "{who}"
        );
        assert!(
            client
                .get_referral_reward(&reward.id)
                .await
                .unwrap_err()
                .is_not_found(),
            "{who}"
        );
        let page = client
            .query_referred_friends(
                &friends::query().filter(friends::referring_customer_id().eq(&customer.id)),
            )
            .await
            .unwrap();
        assert!(page.items.is_empty(), "{who}");
        let page = client
            .query_referring_customers(
                &customers::query().filter(customers::referral_code().eq(&customer.referral_code)),
            )
            .await
            .unwrap();
        assert!(page.items.is_empty(), "{who}");
        let err = client
            .update_referred_friend(&friend, FriendStatus::ActionsCompleted)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{who}: {err:?}");
        assert!(
            client
                .delete_referred_friend(&friend.id, friend.revision.unwrap())
                .await
                .unwrap_err()
                .is_not_found(),
            "{who}"
        );
        assert!(
            client
                .delete_referring_customer(&customer.id, customer.revision.unwrap())
                .await
                .unwrap_err()
                .is_not_found(),
            "{who}"
        );
    }
    // A member of the other site joining with this site's code: the code is unknown there.
    let err = them
        .by_member
        .create_referred_friend(&NewReferredFriend::WithCode(customer.referral_code.clone()))
        .await
        .unwrap_err();
    assert!(
        err.status() == Some(428) || err.status() == Some(404),
        "{err:?}"
    );

    // Everything is still here, unchanged.
    assert_eq!(owner.get_referred_friend(&friend.id).await.unwrap(), friend);
    assert_eq!(
        owner.get_referring_customer(&customer.id).await.unwrap(),
        customer
    );
}

fn decode(cursor: &Cursor) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.as_str())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn encode(payload: &Value) -> Cursor {
    Cursor::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string()))
}

#[tokio::test]
async fn cursors_do_not_cross_sites_even_when_edited() {
    let env = Env::start().await;
    let owner = env.client();
    for _ in 0..5 {
        owner.generate_referring_customer(&contact()).await.unwrap();
    }
    let them = intruders(&env).await;
    let theirs = &them.by_key;
    for _ in 0..3 {
        theirs
            .generate_referring_customer(&contact())
            .await
            .unwrap();
    }
    let ours = owner
        .query_referring_customers(&customers::query().page_size(2))
        .await
        .unwrap();
    let our_cursor = ours.next_cursor.clone().unwrap();

    // Our cursor, replayed by the other site: refused.
    let err = theirs
        .query_referring_customers(&customers::query().page_size(2).after(our_cursor.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");

    // Their own cursor, edited to name our site: refused.
    let their_page = theirs
        .query_referring_customers(&customers::query().page_size(2))
        .await
        .unwrap();
    let mut edited = decode(&their_page.next_cursor.unwrap());
    edited["s"] = Value::String(env.emulator.site_id().to_string());
    let err = theirs
        .query_referring_customers(&customers::query().after(encode(&edited)))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");

    // Our cursor, edited to name their site (and so accepted by it): it pages their rows only.
    let mut rehomed = decode(&our_cursor);
    let their_site = decode(
        &theirs
            .query_referring_customers(&customers::query().page_size(1))
            .await
            .unwrap()
            .next_cursor
            .unwrap(),
    )["s"]
        .clone();
    rehomed["s"] = their_site;
    if let Ok(page) = theirs
        .query_referring_customers(&customers::query().after(encode(&rehomed)))
        .await
    {
        let our_ids: Vec<_> = ours.items.iter().map(|c| c.id.clone()).collect();
        assert!(
            page.items.iter().all(|c| !our_ids.contains(&c.id)),
            "no row of ours"
        );
        assert!(page.items.len() <= 3);
    }

    // Garbage is a 400, never a 500.
    for junk in ["", "%%%", "eyJ9", &"A".repeat(5000)] {
        let err = owner
            .query_referring_customers(&customers::query().after(Cursor::new(junk)))
            .await
            .unwrap_err();
        assert!(
            err.status() == Some(400) || matches!(err, Error::InvalidInput(_)),
            "{junk:.10}: {err:?}"
        );
    }
}
