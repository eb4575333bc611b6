//! Bad input, as property tests (the stable twins of the fuzz targets): whatever a server or a
//! webhook sender puts in a body, decoding ends in a value or an error, never a panic.

use proptest::prelude::*;
use referral_domain::api::types as api;
use referral_domain::{
    Program, ReferralEvent, ReferralReward, ReferredFriend, ReferredFriendAction,
    ReferringCustomer, ReferringCustomerTotal, WebhookVerifier,
};
use serde_json::{Map, Value, json};

/// Field names the Wix bodies use, so that random values land where the decoders look.
const KEYS: &[&str] = &[
    "id",
    "revision",
    "createdDate",
    "updatedDate",
    "name",
    "status",
    "contactId",
    "referralCode",
    "referringCustomerId",
    "referredFriendId",
    "rewardType",
    "type",
    "coupon",
    "couponOptions",
    "loyaltyPoints",
    "loyaltyPointsOptions",
    "amount",
    "percentage",
    "percentageOptions",
    "fixedAmountOptions",
    "discountType",
    "minimumSubtotal",
    "scope",
    "namespace",
    "group",
    "rewardedReferringCustomerId",
    "rewardedReferredFriendId",
    "referredFriendSignupEvent",
    "successfulReferralEvent",
    "actionEvent",
    "rewardEvent",
    "trigger",
    "currency",
    "totalAmountGenerated",
    "totalAmountSpent",
    "totalActions",
    "successfulReferralActions",
    "emails",
    "encourageToReferFriends",
    "referredFriendReward",
    "referringCustomerReward",
    "premiumFeatures",
    "couponSpecification",
    "code",
    "transactionId",
    "entityEventSequence",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9 .:_-]{0,16}".prop_map(Value::String),
        Just(json!("2024-07-08T11:22:00.728Z")),
        Just(json!("COUPON")),
        Just(json!("12.50")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Decodes `value` as the generated type `W` and converts it: the result does not matter, only
/// that there is one.
fn decode<W: serde::de::DeserializeOwned, T: From<W>>(value: &Value) {
    if let Ok(wire) = serde_json::from_value::<W>(value.clone()) {
        let _typed: T = wire.into();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_json_decodes_into_every_entity_or_fails_cleanly(value in json_value()) {
        decode::<api::ReferralProgram, Program>(&value);
        decode::<api::ReferringCustomer, ReferringCustomer>(&value);
        decode::<api::ReferredFriend, ReferredFriend>(&value);
        decode::<api::ReferralReward, ReferralReward>(&value);
        decode::<api::ReferralEvent, ReferralEvent>(&value);
        decode::<api::ReferringCustomerTotal, ReferringCustomerTotal>(&value);
        decode::<api::ReferredFriendAction, ReferredFriendAction>(&value);
        decode::<api::Coupon, referral_domain::CouponSpec>(&value);
    }

    #[test]
    fn any_bytes_as_a_webhook_are_refused_not_a_panic(body in prop::collection::vec(any::<u8>(), 0..512), dots in 0usize..4) {
        let verifier = WebhookVerifier::from_public_key_pem(public_pem()).unwrap();
        prop_assert!(verifier.verify(&body).is_err());
        // Shaped like a JWT: three base64url parts.
        let part = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b);
        let token = std::iter::repeat_n(part(&body), dots + 1).collect::<Vec<_>>().join(".");
        prop_assert!(verifier.verify(token.as_bytes()).is_err());
    }

    #[test]
    fn any_header_json_as_a_webhook_is_refused(header in json_value(), claims in json_value()) {
        let verifier = WebhookVerifier::from_public_key_pem(public_pem()).unwrap();
        let part = |v: &Value| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v.to_string());
        let token = format!("{}.{}.c2ln", part(&header), part(&claims));
        prop_assert!(verifier.verify(token.as_bytes()).is_err());
    }
}

/// A fresh public key for the verifier, made once (its private half is not needed).
fn public_pem() -> &'static str {
    static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PEM.get_or_init(|| {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        key.to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    })
}
