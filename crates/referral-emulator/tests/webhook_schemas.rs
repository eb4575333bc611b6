//! The emulator's webhook deliveries against the spec (issue: webhooks in the specs): every body it
//! sends for the seven webhooks validates against the component schema the spec's `x-webhooks`
//! listing names, with no member the schema does not document, and decodes into the generated type.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use referral_api::webhooks as hooks;
use reqwest::Method;
use serde_json::{Map, Value, json};

/// OpenAPI 3.0 schema → JSON Schema 2020-12, made strict: `nullable` becomes a `null` type, and
/// every object that lists its properties (and does not allow others) refuses undocumented ones.
fn strict(schema: &Value, in_all_of: bool) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let converted = match key.as_str() {
                    "allOf" => Value::Array(
                        value
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|branch| strict(branch, true))
                            .collect(),
                    ),
                    "nullable" => continue,
                    _ => strict(value, false),
                };
                out.insert(key.clone(), converted);
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                let inner = Value::Object(out);
                return json!({"anyOf": [inner, {"type": "null"}]});
            }
            let lists_properties = map.contains_key("properties") || map.contains_key("allOf");
            if lists_properties && !in_all_of && !map.contains_key("additionalProperties") {
                out.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| strict(v, false)).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn every_delivery_matches_its_webhook_schema() {
    let spec: Value = serde_json::from_str(referral_api::OPENAPI_JSON).unwrap();
    // A schema that is a branch of an `allOf` (the metadata) cannot refuse the other branches'
    // members itself: the `allOf` holding it does.
    let branches: Vec<String> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["allOf"].as_array())
        .flatten()
        .filter_map(|b| b["$ref"].as_str())
        .map(|r| r.trim_start_matches("#/components/schemas/").to_owned())
        .collect();
    let mut components = spec["components"].clone();
    for (name, schema) in components["schemas"].as_object_mut().unwrap() {
        *schema = strict(schema, branches.contains(name));
    }
    let validator_for = |schema: &str| {
        let root = json!({
            "$ref": format!("#/components/schemas/{schema}"),
            "components": components,
        });
        jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{schema}: {e}"))
    };
    assert_eq!(hooks::ALL.len(), 7);
    for webhook in hooks::ALL {
        assert_eq!(
            spec["x-webhooks"][webhook.event_type]["schema"]["$ref"],
            format!("#/components/schemas/{}", webhook.schema),
            "the generated table follows the spec"
        );
    }

    let api = Api::start().await;
    let (url, mut deliveries) = webhook_receiver().await;
    api.register_webhook(&url).await;
    let pem = api
        .control(Method::GET, "/webhooks/public-key", None)
        .await
        .raw;
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();

    // What makes each of the seven: program updated (the update and the activation), customer
    // and friend created, referral events, the friend updated by a successful action, and the
    // two deletes.
    api.activate_with_rewards().await;
    let (customer, friend_contact, friend) = api.customer_and_friend().await;
    api.action(&friend_contact, "STORE_ORDER_PLACED", "12.50")
        .await
        .ok();
    let friend_id = friend["id"].as_str().unwrap();
    let revision =
        api.get(&format!("{FRIENDS}/{friend_id}")).await.ok()["referredFriend"]["revision"]
            .as_str()
            .unwrap()
            .to_owned();
    api.delete(&format!("{FRIENDS}/{friend_id}?revision={revision}"))
        .await
        .ok();
    let customer_id = customer["id"].as_str().unwrap();
    let revision = customer["revision"].as_str().unwrap();
    api.delete(&format!("{CUSTOMERS}/{customer_id}?revision={revision}"))
        .await
        .ok();

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.len() < hooks::ALL.len() {
        let jwt = tokio::time::timeout_at(deadline, deliveries.recv())
            .await
            .unwrap_or_else(|_| panic!("only these webhooks arrived: {seen:?}"))
            .expect("the receiver runs");
        let claims = jsonwebtoken::decode::<Value>(&jwt, &key, &Validation::new(Algorithm::RS256))
            .unwrap()
            .claims;
        let envelope: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
        let event_type = envelope["eventType"].as_str().unwrap();
        let body: Value = serde_json::from_str(envelope["data"].as_str().unwrap()).unwrap();
        let webhook = hooks::by_event_type(event_type)
            .unwrap_or_else(|| panic!("{event_type} is not in the spec's x-webhooks"));
        assert_eq!(body["entityFqdn"], webhook.entity_fqdn, "{event_type}");
        assert_eq!(body["slug"], webhook.slug, "{event_type}");
        let errors: Vec<String> = validator_for(webhook.schema)
            .iter_errors(&body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{event_type} does not match {}:\n  {}\n{body:#}",
            webhook.schema,
            errors.join("\n  ")
        );
        decodes_as(webhook.schema, &body);
        *seen.entry(webhook.event_type).or_default() += 1;
    }
}

/// The body decodes into the generated type of its schema.
fn decodes_as(schema: &str, body: &Value) {
    use referral_api::types::*;
    fn decode<T: serde::de::DeserializeOwned>(schema: &str, body: &Value) {
        if let Err(e) = serde_json::from_value::<T>(body.clone()) {
            panic!("{schema}: {e}\n{body:#}");
        }
    }
    match schema {
        "ProgramUpdatedWebhook" => decode::<ProgramUpdatedWebhook>(schema, body),
        "ReferringCustomerCreatedWebhook" => {
            decode::<ReferringCustomerCreatedWebhook>(schema, body);
        }
        "ReferringCustomerDeletedWebhook" => {
            decode::<ReferringCustomerDeletedWebhook>(schema, body);
        }
        "ReferredFriendCreatedWebhook" => decode::<ReferredFriendCreatedWebhook>(schema, body),
        "ReferredFriendUpdatedWebhook" => decode::<ReferredFriendUpdatedWebhook>(schema, body),
        "ReferredFriendDeletedWebhook" => decode::<ReferredFriendDeletedWebhook>(schema, body),
        "ReferralEventCreatedWebhook" => decode::<ReferralEventCreatedWebhook>(schema, body),
        other => panic!("{other}: a new webhook schema, add it here"),
    }
}
