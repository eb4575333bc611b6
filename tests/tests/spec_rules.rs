//! House rules of the specs that neither the validator nor progenitor checks.

use referral_conformance::bundled_spec;
use serde_json::Value;

fn walk<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            out.push((path.clone(), value));
            for (key, child) in map {
                walk(child, format!("{path}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_operation_answers_200_and_the_shared_4xx_and_5xx_envelopes() {
    let spec = bundled_spec();
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let codes: Vec<&str> = responses.keys().map(String::as_str).collect();
            // Create Referred Friend also documents its 428 (docs/decisions.md item 7), with the envelope.
            if op["operationId"] == "createReferredFriend" {
                assert_eq!(codes, ["200", "428", "4XX", "5XX"], "{verb} {path}");
                assert_eq!(
                    responses["428"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/WixError"
                );
            } else {
                assert_eq!(codes, ["200", "4XX", "5XX"], "{verb} {path}");
            }
            assert_eq!(
                responses["4XX"]["$ref"], "#/components/responses/ClientError",
                "{verb} {path}"
            );
            assert_eq!(
                responses["5XX"]["$ref"], "#/components/responses/ServerError",
                "{verb} {path}"
            );
            assert!(
                op["description"].as_str().is_some_and(|d| d.len() > 20),
                "{verb} {path} is described"
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 25);
    for kind in ["ClientError", "ServerError"] {
        let schema =
            &spec["components"]["responses"][kind]["content"]["application/json"]["schema"];
        assert_eq!(schema["$ref"], "#/components/schemas/WixError");
    }
}

#[test]
fn int64_values_are_strings_and_enums_are_named_string_schemas() {
    let spec = bundled_spec();
    let mut nodes = Vec::new();
    walk(&spec["components"], "components".into(), &mut nodes);
    let mut revisions = 0;
    for (path, node) in &nodes {
        if path.ends_with("/properties/revision") || path.ends_with("/parameters/Revision/schema") {
            assert_eq!(node["type"], "string", "{path}");
            assert_eq!(node["format"], "int64", "{path}");
            revisions += 1;
        }
        if node.get("format").and_then(Value::as_str) == Some("int64") {
            assert_eq!(node["type"], "string", "{path}: int64 travels as a string");
        }
        if node.get("enum").is_some() {
            let parts: Vec<&str> = path.split('/').collect();
            assert!(
                parts.len() == 3 && parts[1] == "schemas",
                "{path}: enums are named component schemas, so they are generated once and opened"
            );
            assert_eq!(node["type"], "string", "{path}");
        }
    }
    assert!(
        revisions >= 6,
        "revision on the five entities and the delete parameter, found {revisions}"
    );
}

/// Every fact the specs state that Wix does not document is flagged (docs/decisions.md item 36):
/// each listed place carries `x-wix-undocumented`, and every flagged place says so in its
/// description, which the generated client's rustdoc repeats.
#[test]
fn what_wix_does_not_document_is_flagged_where_it_is_said() {
    let spec = bundled_spec();
    let must_flag = [
        "/paths/~1_api~1referral-programs~1v1~1program/get",
        "/components/parameters/Revision",
        "/components/schemas/ApplicationError/properties/code",
        "/components/schemas/CursorPaging/properties/limit",
        "/paths/~1referral_friends~1v1~1referred-friends/post/responses/428",
        "/components/schemas/WebhookEventMetadata/properties/entityFqdn",
        "/components/schemas/Trigger/properties/appId",
        "/paths/~1_api~1referral-programs~1v1~1program/patch",
        "/paths/~1referral_friends~1v1~1referred-friends/post",
        "/paths/~1referral_friends~1v1~1referred-friends~1{referredFriendId}/patch",
    ];
    for pointer in must_flag {
        let node = spec
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{pointer} is not in the bundled spec"));
        assert!(
            node.get("x-wix-undocumented").is_some_and(Value::is_string),
            "{pointer} is not flagged"
        );
    }
    let mut nodes = Vec::new();
    walk(&spec, String::new(), &mut nodes);
    let flagged: Vec<_> = nodes
        .iter()
        .filter(|(_, node)| node.get("x-wix-undocumented").is_some())
        .collect();
    // The default sort lives on the query schema's `sort` property.
    assert!(
        flagged
            .iter()
            .any(|(path, _)| path.ends_with("/properties/sort")),
        "the default sort is not flagged"
    );
    for (path, node) in &flagged {
        // Line breaks of the YAML source are incidental.
        let description = node["description"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            description.contains("Not documented by Wix"),
            "{path} is flagged but its description does not say so: {description}"
        );
    }
}
