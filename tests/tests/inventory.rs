//! A snapshot of the API surface: any change to an operation shows up in review.

use referral_conformance::bundled_spec;

#[test]
fn operation_inventory() {
    let spec = bundled_spec();
    let mut rows = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            let inferred = if op["x-wix-path-inferred"] == true {
                "  (path inferred)"
            } else {
                ""
            };
            rows.push(format!(
                "{:<20} {:<38} {:<6} {path}{inferred}",
                op["tags"][0].as_str().unwrap_or("?"),
                op["operationId"].as_str().unwrap_or("?"),
                verb.to_uppercase(),
            ));
        }
    }
    rows.sort();
    assert_eq!(
        rows.len(),
        25,
        "the 25 public methods of docs/referral-api.md §1–§5"
    );
    insta::assert_snapshot!(rows.join("\n"));
}
