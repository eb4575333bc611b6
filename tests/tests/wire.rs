//! What the generated types accept from a server: int64 in both encodings, values and fields Wix
//! adds later, and malformed bodies as errors rather than panics.

use referral_api::types::*;
use referral_api::wire::Int64String;
use serde_json::json;

#[test]
fn revision_decodes_from_a_string_and_from_a_number_and_encodes_as_a_string() {
    for revision in [json!("2"), json!(2)] {
        let friend: ReferredFriend = serde_json::from_value(json!({"revision": revision})).unwrap();
        assert_eq!(friend.revision, Some(Int64String(2)));
        assert_eq!(
            serde_json::to_value(&friend).unwrap(),
            json!({"revision": "2"})
        );
    }
}

#[test]
fn an_unknown_enum_value_decodes_and_re_encodes_unchanged() {
    let body = json!({"referralProgram": {
        "status": "ARCHIVED",
        "successfulReferralActions": ["STORE_ORDER_PLACED", "GIFT_CARD_BOUGHT"],
        "referredFriendReward": {"type": "CASHBACK"}
    }});
    let decoded: GetReferralProgramResponse = serde_json::from_value(body.clone()).unwrap();
    let program = decoded.referral_program.as_ref().unwrap();
    assert_eq!(
        program.status,
        Some(ProgramStatus::Unrecognized("ARCHIVED".into()))
    );
    assert!(program.status.as_ref().unwrap().is_unrecognized());
    assert_eq!(
        program.successful_referral_actions,
        vec![
            ReferralAction::StoreOrderPlaced,
            ReferralAction::Unrecognized("GIFT_CARD_BOUGHT".into())
        ]
    );
    assert_eq!(serde_json::to_value(&decoded).unwrap(), body);
}

#[test]
fn known_enum_values_parse_display_and_serialize_alike() {
    for status in ProgramStatus::KNOWN {
        let wire = serde_json::to_value(status).unwrap();
        assert_eq!(wire, json!(status.as_str()));
        assert_eq!(
            &status.to_string().parse::<ProgramStatus>().unwrap(),
            status
        );
        assert!(!status.is_unrecognized());
    }
    assert_eq!("NEW".parse::<ProgramStatus>().unwrap().as_str(), "NEW");
}

#[test]
fn an_unknown_extra_field_is_ignored() {
    let body = json!({"referringCustomer": {
        "id": "5cc0b472-e488-4de3-92ba-bd718a44933a",
        "referralCode": "9zb9JvjwrvQF",
        "tier": {"name": "gold"}
    }});
    let decoded: GetReferringCustomerResponse = serde_json::from_value(body).unwrap();
    assert_eq!(
        decoded
            .referring_customer
            .unwrap()
            .referral_code
            .unwrap()
            .as_str(),
        "9zb9JvjwrvQF"
    );
}

#[test]
fn malformed_bodies_are_errors_not_panics() {
    let bodies = [
        "",
        "{",
        "null",
        "[]",
        r#"{"referralProgram": "yes"}"#,
        r#"{"referralProgram": {"revision": "two"}}"#,
        r#"{"referralProgram": {"revision": 1.5}}"#,
        r#"{"referralProgram": {"createdDate": "yesterday"}}"#,
        r#"{"referralProgram": {"status": 7}}"#,
        r#"{"referralProgram": {"successfulReferralActions": "STORE_ORDER_PLACED"}}"#,
    ];
    for body in bodies {
        let result =
            std::panic::catch_unwind(|| serde_json::from_str::<GetReferralProgramResponse>(body));
        let decoded = result.unwrap_or_else(|_| panic!("decoding {body:?} panicked"));
        assert!(decoded.is_err(), "{body:?} should not decode");
    }
}

#[test]
fn an_error_envelope_decodes_with_its_field_violations() {
    let body = json!({
        "message": "invalid limit",
        "details": {"validationError": {"fieldViolations": [
            {"field": "query.cursorPaging.limit", "description": "must be 1..=100", "violatedRule": "MAX"}
        ]}}
    });
    let error: WixError = serde_json::from_value(body).unwrap();
    let violation = &error
        .details
        .unwrap()
        .validation_error
        .unwrap()
        .field_violations[0];
    assert_eq!(violation.field.as_deref(), Some("query.cursorPaging.limit"));
}
