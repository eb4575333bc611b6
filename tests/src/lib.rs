//! Helpers for the workspace-level conformance tests in `tests/tests/`.
//!
//! The documented Wix examples are fixtures of this crate, in `tests/fixtures/wix-examples/`,
//! exactly as Wix published them (`INDEX.md` there names the page of each).

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The folder of documented example payloads.
pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/wix-examples")
}

/// The bundled spec the client was generated from.
pub fn bundled_spec() -> Value {
    serde_json::from_str(referral_api::OPENAPI_JSON).expect("openapi.json is JSON")
}

/// Decodes `value` as `T` and encodes it again.
pub fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// The differences a round trip may make, and no others:
/// - `null` ≡ absent: a null member is dropped (Wix sends nulls for empty wrappers; the types omit
///   `None` on encode);
/// - a whole number ≡ the same number as a float (`10` re-encodes as `10.0` from an f64 field).
pub fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalize(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => value.clone(),
        },
        other => other.clone(),
    }
}

/// Round-trips `value` through the generated type whose schema is named `schema`.
/// `None` when no type of that name is listed here.
pub fn round_trip_schema(schema: &str, value: &Value) -> Option<Result<Value, String>> {
    use referral_api::types::*;
    macro_rules! by_name {
        ($($ty:ident),* $(,)?) => {
            match schema {
                $(stringify!($ty) => Some(round_trip::<$ty>(value)),)*
                _ => None,
            }
        };
    }
    by_name!(
        GetReferralProgramResponse,
        UpdateReferralProgramRequest,
        UpdateReferralProgramResponse,
        ActivateReferralProgramResponse,
        PauseReferralProgramResponse,
        GenerateAiSocialMediaPostsSuggestionsRequest,
        AiSocialMediaPostsSuggestionsResponse,
        PremiumFeatures,
        GenerateReferringCustomerForContactRequest,
        GenerateReferringCustomerForContactResponse,
        GetReferringCustomerResponse,
        GetReferringCustomerByReferralCodeResponse,
        DeleteReferringCustomerResponse,
        QueryReferringCustomersRequest,
        QueryReferringCustomersResponse,
        CreateReferredFriendRequest,
        CreateReferredFriendResponse,
        GetReferredFriendResponse,
        GetReferredFriendByContactIdResponse,
        UpdateReferredFriendRequest,
        UpdateReferredFriendResponse,
        DeleteReferredFriendResponse,
        QueryReferredFriendRequest,
        QueryReferredFriendResponse,
        GetReferralRewardResponse,
        QueryReferralRewardsRequest,
        QueryReferralRewardsResponse,
        GetReferralEventResponse,
        QueryReferralEventRequest,
        QueryReferralEventResponse,
        GetReferralStatisticsResponse,
        QueryReferringCustomerTotalsRequest,
        QueryReferringCustomerTotalsResponse,
        QueryReferredFriendActionsRequest,
        QueryReferredFriendActionsResponse,
        WixError,
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::normalize;

    #[test]
    fn normalize_drops_nulls_and_unifies_whole_numbers_only() {
        assert_eq!(normalize(&json!({"a": null, "b": 10.0})), json!({"b": 10}));
        assert_eq!(normalize(&json!([{"c": null}])), json!([{}]));
        assert_ne!(normalize(&json!({"b": 10.5})), json!({"b": 10}));
        assert_ne!(normalize(&json!({"b": "10"})), json!({"b": 10}));
    }
}
