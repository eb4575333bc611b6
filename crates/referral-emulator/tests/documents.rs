//! The user's documents are tests: every REST request of "Referral Program APIs: Sample Flows"
//! and of the Referral Rewards reference, copied as written into
//! `tests/fixtures/documents/requests.json`, sent in order to a fresh emulator, answers with the
//! status and the shape the documents show. A request the reference pages do not allow is
//! answered with a warning, and refused in strict mode (docs/decisions.md item 35).

mod common;

use std::collections::BTreeMap;

use common::*;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Documents {
    placeholders: BTreeMap<String, String>,
    fill: BTreeMap<String, String>,
    requests: Vec<DocumentRequest>,
}

#[derive(Deserialize)]
struct DocumentRequest {
    id: String,
    step: String,
    method: String,
    path: String,
    body: Option<String>,
    #[serde(default)]
    identity: Option<String>,
    departs: bool,
}

fn documents() -> Documents {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/documents/requests.json"
    );
    let text = std::fs::read_to_string(path).expect("the fixture is there");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

/// `text` with each known placeholder replaced by what it stands for.
fn substitute(text: &str, values: &BTreeMap<&str, String>) -> String {
    values
        .iter()
        .fold(text.to_owned(), |text, (placeholder, value)| {
            text.replace(placeholder, value)
        })
}

/// Sends one document request as written (placeholders substituted) as the site's admin, or,
/// when the document calls as a member, as the member whose token is `member`.
async fn send(
    api: &Api,
    request: &DocumentRequest,
    values: &BTreeMap<&str, String>,
    fill: &BTreeMap<String, String>,
    member: Option<&str>,
) -> (u16, Vec<String>, Value) {
    let method = Method::from_bytes(request.method.as_bytes()).unwrap();
    let path = substitute(&request.path, values);
    let member = member.filter(|_| request.identity.as_deref() == Some("member"));
    let mut http = api.http.request(method, api.url(&path));
    http = match member {
        Some(token) => http.header("Authorization", token),
        None => http
            .header("Authorization", api.emulator.api_key())
            .header("wix-site-id", api.site()),
    };
    if let Some(body) = &request.body {
        let body = fill
            .iter()
            .fold(substitute(body, values), |body, (gap, with)| {
                body.replace(gap, with)
            });
        http = http.header("content-type", "application/json").body(body);
    }
    answer_with_warnings(http.send().await.expect("the emulator answers")).await
}

#[tokio::test]
async fn every_request_of_the_documents_answers_as_they_show() {
    let documents = documents();
    assert_eq!(documents.requests.len(), 13);
    let api = Api::start().await;
    let customer_contact = contact();
    let friend_contact = contact();
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    values.insert("contact-id-123", customer_contact.clone());
    values.insert("friend-contact-id-456", friend_contact.clone());
    for placeholder in values.keys() {
        assert!(documents.placeholders.contains_key(*placeholder));
    }
    let mut member = None;

    for request in &documents.requests {
        let (status, warnings, body) =
            send(&api, request, &values, &documents.fill, member.as_deref()).await;
        let step = &request.step;
        assert_eq!(status, 200, "{step}: {body}");
        assert_eq!(
            !warnings.is_empty(),
            request.departs,
            "{step}: warnings {warnings:?}"
        );
        match request.id.as_str() {
            "get-program" => {
                assert_eq!(body["referralProgram"]["status"], "DRAFT", "{step}");
            }
            "configure-program" => {
                let program = &body["referralProgram"];
                assert_eq!(program["name"], "Holiday Referral Program", "{step}");
                assert_eq!(program["referredFriendReward"]["type"], "COUPON");
                assert_eq!(
                    program["referringCustomerReward"]["loyaltyPointsOptions"]["amount"],
                    100
                );
                assert_eq!(
                    program["successfulReferralActions"],
                    json!(["STORE_ORDER_PLACED"])
                );
                assert_eq!(program["emails"]["notifyCustomersAboutReward"], true);
            }
            "activate-program" => {
                assert_eq!(body["referralProgram"]["status"], "ACTIVE", "{step}");
            }
            "generate-customer" => {
                let customer = &body["referringCustomer"];
                assert_eq!(customer["contactId"], json!(customer_contact), "{step}");
                let code = customer["referralCode"].as_str().unwrap().to_owned();
                assert_eq!(code.chars().count(), 12, "{step}: {code}");
                values.insert("GxpxwAoMqxH8", code);
            }
            "customer-by-code" => {
                let found = body["referringCustomers"].as_array().unwrap();
                assert_eq!(found.len(), 1, "{step}: {body}");
                assert_eq!(found[0]["referralCode"], json!(values["GxpxwAoMqxH8"]));
                // "The response includes the referringCustomerId that you'll need in step 3."
                values.insert(
                    "referring-customer-id-789",
                    found[0]["id"].as_str().unwrap().to_owned(),
                );
            }
            "friend-by-contact-before" => {
                assert_eq!(body["referredFriends"], json!([]), "{step}");
            }
            "create-friend" => {
                let friend = &body["referredFriend"];
                assert_eq!(friend["contactId"], json!(friend_contact), "{step}");
                assert_eq!(
                    friend["referringCustomerId"],
                    json!(values["referring-customer-id-789"])
                );
            }
            "friend-by-contact-after" => {
                let found = body["referredFriends"].as_array().unwrap();
                assert_eq!(found.len(), 1, "{step}: {body}");
                assert_eq!(found[0]["contactId"], json!(friend_contact));
            }
            "all-customers" => {
                assert_eq!(
                    body["referringCustomers"].as_array().map(Vec::len),
                    Some(1),
                    "{step}"
                );
            }
            "friends-by-customer" => {
                let ids: Vec<&str> = body["referredFriends"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["referringCustomerId"].as_str().unwrap())
                    .collect();
                assert!(!ids.is_empty() && ids.is_sorted(), "{step}: {ids:?}");
                // The friend places an order (no document shows this as REST: it is what a
                // store does), which completes the referral and rewards both sides.
                api.control(
                    Method::POST,
                    &format!("/sites/{}/actions", api.site()),
                    Some(
                        json!({"contactId": friend_contact, "action": "STORE_ORDER_PLACED",
                                "amount": "25.00", "currency": "USD", "orderId": "order-1"}),
                    ),
                )
                .await
                .expect(200);
            }
            "rewards-since" => {
                let rewards = body["referralRewards"].as_array().unwrap();
                assert_eq!(rewards.len(), 2, "{step}: both sides rewarded: {body}");
                let friends_reward = rewards
                    .iter()
                    .find(|r| r["rewardedReferredFriendId"].is_string())
                    .expect("the friend's reward");
                assert_eq!(friends_reward["rewardType"], "COUPON");
                values.insert(
                    "c8c732cf-2ca2-4025-9b1c-3be02f099cdb",
                    friends_reward["id"].as_str().unwrap().to_owned(),
                );
                // The next request is a member's: the friend, signed in.
                let token = api
                    .control(
                        Method::POST,
                        &format!("/sites/{}/members", api.site()),
                        Some(json!({"contactId": friend_contact})),
                    )
                    .await
                    .ok()["token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                member = Some(token);
            }
            "get-reward" => {
                let reward = &body["referralReward"];
                assert_eq!(
                    reward["id"],
                    json!(values["c8c732cf-2ca2-4025-9b1c-3be02f099cdb"])
                );
                assert_eq!(reward["rewardType"], "COUPON", "{step}");
                assert!(reward["coupon"]["code"].is_string(), "{step}: {body}");
                assert!(reward["revision"].is_string() && reward["createdDate"].is_string());
            }
            "my-coupon-rewards" => {
                let rewards = body["referralRewards"].as_array().unwrap();
                assert_eq!(rewards.len(), 1, "{step}: {body}");
                assert_eq!(rewards[0]["rewardType"], "COUPON");
                assert_eq!(body["metadata"]["count"], 1, "{step}: {body}");
            }
            other => panic!("{other}: a new request in the fixture; say what it shows"),
        }
    }

    // In strict mode each departure is a 400 naming the part it departs in.
    api.set_strict(true).await;
    for request in documents.requests.iter().filter(|r| r.departs) {
        let (status, _, body) =
            send(&api, request, &values, &documents.fill, member.as_deref()).await;
        assert_eq!(status, 400, "{} in strict mode: {body}", request.step);
        let field = body["details"]["validationError"]["fieldViolations"][0]["field"]
            .as_str()
            .unwrap_or_default();
        assert!(!field.is_empty(), "{}: {body}", request.step);
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("strict mode"),
            "{}: {body}",
            request.step
        );
    }
}
