//! Every documented Wix example decodes into the generated types and re-encodes to the same JSON,
//! up to the differences `normalize` names (null ≡ absent, `10` ≡ `10.0`).

use std::collections::BTreeMap;

use referral_api::types::*;
use referral_conformance::{bundled_spec, examples_dir, normalize, round_trip, round_trip_schema};
use serde_json::{Value, json};

/// Which response type each documented JSON example is.
fn example_types() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        (
            "customers.get.response.json",
            "GetReferringCustomerResponse",
        ),
        ("customers.object.json", "GetReferringCustomerResponse"),
        (
            "friends.get-by-contact-id.response.json",
            "GetReferredFriendByContactIdResponse",
        ),
        ("friends.object.json", "GetReferredFriendResponse"),
        (
            "program.activate.response.json",
            "ActivateReferralProgramResponse",
        ),
        ("program.object.json", "GetReferralProgramResponse"),
        ("rewards.get.response.json", "GetReferralRewardResponse"),
        (
            "tracker.get-referral-statistics.response.json",
            "GetReferralStatisticsResponse",
        ),
        (
            "tracker.referral-event.object.json",
            "GetReferralEventResponse",
        ),
    ])
}

fn read_json(name: &str) -> Value {
    let path = examples_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

#[test]
fn every_documented_json_example_round_trips() {
    let types = example_types();
    let mut seen = 0;
    for entry in std::fs::read_dir(examples_dir()).expect("tests/fixtures/wix-examples exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let schema = types.get(name.as_str()).unwrap_or_else(|| {
            panic!("{name} is a new example: map it to its type in example_types()")
        });
        let original = read_json(&name);
        let encoded = round_trip_schema(schema, &original)
            .expect("every mapped schema is decodable")
            .unwrap_or_else(|e| panic!("{name} does not decode as {schema}: {e}"));
        assert_eq!(
            normalize(&encoded),
            normalize(&original),
            "{name} changed in a round trip"
        );
        seen += 1;
    }
    assert_eq!(seen, types.len(), "every mapped example file exists");
}

#[test]
fn the_round_trip_differences_are_exactly_the_named_ones() {
    // The reward example carries both: nulls for empty wrappers and a whole-number float.
    let original = read_json("rewards.get.response.json");
    let encoded = round_trip::<GetReferralRewardResponse>(&original).unwrap();
    assert_ne!(
        encoded, original,
        "the raw round trip is expected to differ only in the named ways"
    );
    let spec = &encoded["referralReward"]["coupon"]["couponSpecification"];
    assert!(
        spec.get("appliesToSubscriptions").is_none(),
        "null is re-encoded as absent"
    );
    assert_eq!(spec["fixedAmountOptions"]["amount"], json!(10.0));
}

#[test]
fn documents_that_are_invalid_as_published_fail_cleanly() {
    for name in [
        "customers.get.response.asdocumented.txt",
        "program.update.request.sample-flows.asdocumented.txt",
    ] {
        let text = std::fs::read_to_string(examples_dir().join(name)).unwrap();
        let decoded = serde_json::from_str::<GetReferringCustomerResponse>(&text);
        assert!(decoded.is_err(), "{name} is invalid JSON as published");
    }
}

/// Every example embedded in the specs decodes as the schema its operation names.
#[test]
fn every_example_in_the_spec_round_trips() {
    let spec = bundled_spec();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            let bodies = op["requestBody"]["content"]["application/json"].clone();
            let responses = op["responses"]["200"]["content"]["application/json"].clone();
            for media in [bodies, responses] {
                let Some(schema_ref) = media["schema"]["$ref"].as_str() else {
                    continue;
                };
                let schema = schema_ref.rsplit('/').next().unwrap();
                for (example_name, example) in media["examples"].as_object().into_iter().flatten() {
                    let value = &example["value"];
                    let encoded = round_trip_schema(schema, value)
                        .unwrap_or_else(|| panic!("{schema} is not listed in round_trip_schema"))
                        .unwrap_or_else(|e| panic!("{verb} {path} example {example_name}: {e}"));
                    assert_eq!(
                        normalize(&encoded),
                        normalize(value),
                        "{verb} {path} {example_name}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 15, "only {checked} spec examples were found");
}

/// The spec's copies of the documented responses are the documented ones.
#[test]
fn the_spec_embeds_the_documented_examples_unchanged() {
    let spec = bundled_spec();
    let embedded = |path: &str, verb: &str| {
        let examples = &spec["paths"][path][verb]["responses"]["200"]["content"]["application/json"]
            ["examples"];
        examples.as_object().unwrap().values().next().unwrap()["value"].clone()
    };
    let cases = [
        (
            "program.object.json",
            "/_api/referral-programs/v1/program",
            "get",
        ),
        (
            "program.activate.response.json",
            "/_api/referral-programs/v1/program/activate",
            "patch",
        ),
        (
            "customers.get.response.json",
            "/referral-customers/v1/referring-customers/{referringCustomerId}",
            "get",
        ),
        (
            "friends.object.json",
            "/referral_friends/v1/referred-friends/{referredFriendId}",
            "get",
        ),
        (
            "friends.get-by-contact-id.response.json",
            "/referral_friends/v1/referred-friends/contact/{contactId}",
            "get",
        ),
        (
            "rewards.get.response.json",
            "/_api/referral-rewards/v1/referral-rewards/{id}",
            "get",
        ),
        (
            "tracker.get-referral-statistics.response.json",
            "/_api/referral-tracker/v1/referral-statistics",
            "get",
        ),
        (
            "tracker.referral-event.object.json",
            "/_api/referral-tracker/v1/referral-events/{referralEventId}",
            "get",
        ),
    ];
    for (file, path, verb) in cases {
        assert_eq!(
            embedded(path, verb),
            read_json(file),
            "{verb} {path} vs {file}"
        );
    }
}
