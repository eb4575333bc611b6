//! Referring Customers: create-or-return, `me` (item 17), get, get by code, delete (item 8), query.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn generate_is_create_or_return_with_a_12_character_code() {
    let api = Api::start().await;
    let contact = contact();
    let first = api.customer(&contact).await;
    let code = first["referralCode"].as_str().unwrap();
    assert_eq!(code.chars().count(), 12);
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(first["contactId"], contact.as_str());
    assert_eq!(first["revision"], "1");
    let second = api.customer(&contact).await;
    assert_eq!(second, first, "the existing record comes back");
    let all = api
        .query(&format!("{CUSTOMERS}/query"), json!({}))
        .await
        .ok();
    assert_eq!(all["referringCustomers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn generate_validates_the_contact() {
    let api = Api::start().await;
    api.post(CUSTOMERS, json!({}))
        .await
        .expect_violation("contactId");
    api.post(CUSTOMERS, json!({"contactId": "x"}))
        .await
        .expect_violation("contactId");
    api.post(CUSTOMERS, json!({"contactId": "not-a-guid"}))
        .await
        .expect_violation("contactId");
    api.post(CUSTOMERS, json!({"contactId": 12}))
        .await
        .expect_violation("contactId");
}

#[tokio::test]
async fn me_is_the_calling_members_contact_and_a_400_for_admins() {
    let api = Api::start().await;
    let contact = contact();
    let member = api.member(&contact).await;
    let mine = api
        .send(
            &member,
            Method::POST,
            CUSTOMERS,
            Some(json!({"contactId": "me"})),
        )
        .await
        .ok();
    assert_eq!(mine["referringCustomer"]["contactId"], contact.as_str());
    api.post(CUSTOMERS, json!({"contactId": "me"}))
        .await
        .expect_violation("contactId");
    let other = api
        .send(
            &member,
            Method::POST,
            CUSTOMERS,
            Some(json!({"contactId": common::contact()})),
        )
        .await;
    other.expect(403);
}

#[tokio::test]
async fn get_and_get_by_code() {
    let api = Api::start().await;
    let customer = api.customer(&contact()).await;
    let id = customer["id"].as_str().unwrap();
    let code = customer["referralCode"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("{CUSTOMERS}/{id}")).await.ok()["referringCustomer"],
        customer
    );
    assert_eq!(
        api.get(&format!("{CUSTOMERS}/code/{code}")).await.ok()["referringCustomer"],
        customer
    );
    api.get(&format!("{CUSTOMERS}/{}", common::contact()))
        .await
        .expect(404);
    api.get(&format!("{CUSTOMERS}/not-a-guid"))
        .await
        .expect(404);
    api.get(&format!("{CUSTOMERS}/code/AAAAAAAAAAAA"))
        .await
        .expect(404);
}

#[tokio::test]
async fn delete_needs_the_current_revision() {
    let api = Api::start().await;
    let customer = api.customer(&contact()).await;
    let id = customer["id"].as_str().unwrap();
    for query in ["", "?revision=2", "?revision=x"] {
        let reply = api.delete(&format!("{CUSTOMERS}/{id}{query}")).await;
        if query.ends_with('x') {
            reply.expect_violation("revision");
        } else {
            reply.expect(409);
            assert_eq!(reply.application_code(), Some("REVISION_MISMATCH"));
        }
    }
    assert_eq!(
        api.delete(&format!("{CUSTOMERS}/{id}?revision=1"))
            .await
            .ok(),
        json!({})
    );
    api.get(&format!("{CUSTOMERS}/{id}")).await.expect(404);
    api.delete(&format!("{CUSTOMERS}/{id}?revision=1"))
        .await
        .expect(404);
}

#[tokio::test]
async fn query_by_referral_code_finds_the_customer() {
    let api = Api::start().await;
    let customers: Vec<_> = futures_join(&api, 5).await;
    let code = customers[3]["referralCode"].as_str().unwrap();
    let found = api
        .query(
            &format!("{CUSTOMERS}/query"),
            json!({"filter": {"referralCode": {"$eq": code}}}),
        )
        .await
        .ok();
    assert_eq!(found["referringCustomers"], json!([customers[3]]));
    assert_eq!(found["metadata"]["count"], 1);
    assert_eq!(found["metadata"]["hasNext"], false);
}

async fn futures_join(api: &Api, n: usize) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(api.customer(&contact()).await);
    }
    out
}

#[tokio::test]
async fn admin_methods_refuse_members() {
    let api = Api::start().await;
    let member = api.member(&contact()).await;
    api.send(
        &member,
        Method::POST,
        &format!("{CUSTOMERS}/query"),
        Some(json!({"query": {}})),
    )
    .await
    .expect(403);
}
