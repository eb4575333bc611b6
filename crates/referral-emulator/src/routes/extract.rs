//! Typed extractors for the Wix routes: who is calling ([`Caller`]), and a Wix-shaped JSON body
//! ([`WixJson`]) whose serde errors become the usual 400 naming the field path.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::Identity;
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a Wix route, within the rate limit (docs/decisions.md items
/// 15–17, 24). Rejected with the 401/403/429 of the Wix envelope.
pub(crate) struct Caller(pub(crate) Identity);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let identity = app.authenticate(&parts.headers)?;
        if let Some(note) = parts
            .extensions
            .get::<std::sync::Arc<crate::requests::RequestNote>>()
        {
            note.identified(&identity);
        }
        Ok(Caller(identity))
    }
}

/// A JSON request body decoded as `T`. An empty body reads as `{}`; a body sent as anything but
/// `application/json` is a 415 (as Wix's endpoints expect JSON); a body that is not JSON, or does
/// not fit `T`, is a 400 validation error naming the field (`referredFriend.contactId`), or
/// `body` for the whole.
pub(crate) struct WixJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WixJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let declared_json = crate::access::is_json(request.headers());
        let refusal = (!declared_json).then(|| crate::access::not_json(request.headers()));
        // axum's default body limit (2 MiB) bounds what is read.
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::invalid("body", &e.body_text()))?;
        if let Some(refusal) = refusal
            && !bytes.iter().all(u8::is_ascii_whitespace)
        {
            return Err(refusal);
        }
        decode(&bytes).map(WixJson)
    }
}

/// A JSON array body decoded as a list of `T` (the control API's fault rules); errors name the
/// item and field (`[0].probability`), or `body` for the whole.
pub(crate) struct JsonList<T>(pub(crate) Vec<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonList<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::invalid("body", &e.body_text()))?;
        decode_list(&bytes).map(JsonList)
    }
}

/// The body of a query method: `{"query": CursorQuery}`. The query itself stays JSON: the query
/// language is planned (and its errors named) by `crate::query`.
#[derive(serde::Deserialize)]
pub(crate) struct QueryBody {
    pub(crate) query: serde_json::Value,
}

/// Decodes a Wix request body, naming the field a serde error is about.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    // A Wix body is an object (serde would also read a struct from an array).
    decode_shaped(text, b'{', "expected a JSON object")
}

/// Decodes a JSON array body, naming the item and field a serde error is about.
pub(crate) fn decode_list<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, ApiError> {
    decode_shaped(bytes, b'[', "expected a JSON array")
}

/// Decodes `text`, which must open with `opening`, naming the field of any error.
fn decode_shaped<T: DeserializeOwned>(
    text: &[u8],
    opening: u8,
    expected: &str,
) -> Result<T, ApiError> {
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&opening) {
        return Err(ApiError::invalid("body", expected));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        // The position is of no use to a caller that names the field.
        let message = match inner.line() {
            0 => inner.to_string(),
            line => inner
                .to_string()
                .trim_end_matches(&format!(" at line {line} column {}", inner.column()))
                .to_owned(),
        };
        let malformed = inner.is_syntax() || inner.is_eof();
        // serde names a missing field in the message, at its parent's path.
        let field = match missing_field(&message) {
            _ if malformed => "body".to_owned(),
            Some(name) if path == "." => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let message = if malformed {
            format!("malformed JSON: {message}")
        } else {
            message
        };
        ApiError::invalid(&field, &message)
    })
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")?
        .split('`')
        .next()
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::decode;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Inner {
        contact_id: String,
        count: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Outer {
        referred_friend: Inner,
    }

    /// (body, the field the 400 names, a word of its description)
    #[test]
    fn errors_name_the_field_path() {
        let cases: [(&[u8], &str, &str); 6] = [
            (b"", "referredFriend", "missing field"),
            (
                b"{\"referredFriend\": {}}",
                "referredFriend.contactId",
                "missing field",
            ),
            (
                b"{\"referredFriend\": {\"contactId\": 7}}",
                "referredFriend.contactId",
                "expected a string",
            ),
            (
                b"{\"referredFriend\": {\"contactId\": \"a\", \"count\": -1}}",
                "referredFriend.count",
                "invalid value",
            ),
            (b"{\"referredFriend\": ", "body", "malformed JSON"),
            (b"[1, 2]", "body", "expected a JSON object"),
        ];
        for (body, field, words) in cases {
            let error = decode::<Outer>(body).unwrap_err();
            let violation = &error.violations()[0];
            assert_eq!(violation.field, field, "{}", String::from_utf8_lossy(body));
            assert!(
                violation.description.contains(words),
                "{}: {}",
                String::from_utf8_lossy(body),
                violation.description
            );
        }
        assert!(decode::<Outer>(b"{\"referredFriend\": {\"contactId\": \"x\"}}").is_ok());
    }
}
