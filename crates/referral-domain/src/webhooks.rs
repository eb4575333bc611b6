//! Webhooks: verify the RS256 JWT Wix delivers, unwrap the nested JSON strings of its envelope
//! (docs/platform.md §5.3, docs/decisions.md item 25), and return a typed event with the event id for
//! de-duplication. `WebhookSigner` (feature `test-util`) makes signed payloads for a
//! user's own tests.
//!
//! Only RS256 with the app's public key is accepted: `alg: none`, every HMAC algorithm
//! (including HS256 "signed" with the public key as its secret), another key, a changed payload
//! and an expired token are all refused.

use std::time::Duration;
#[cfg(feature = "test-util")]
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
#[cfg(feature = "test-util")]
use jsonwebtoken::{EncodingKey, Header};
use referral_api::types as api;
use serde::de::DeserializeOwned;
use serde_json::Value;
#[cfg(feature = "test-util")]
use serde_json::json;

use crate::{Program, ReferralEvent, ReferredFriend, ReferringCustomer};

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The PEM is not an RSA key.
    #[error("webhook key: {0}")]
    Key(String),
    /// The token is not RS256 (`none`, HMAC, another asymmetric algorithm).
    #[error("webhook refused: algorithm {0} (only RS256 is accepted)")]
    Algorithm(String),
    /// Bad signature, wrong key, changed payload, or not a JWT at all.
    #[error("webhook refused: {0}")]
    Signature(String),
    /// The token's `exp` has passed.
    #[error("webhook refused: the token has expired")]
    Expired,
    /// Verified, but the envelope is not what Wix sends.
    #[error("webhook envelope: `{path}`: {message}")]
    Envelope {
        /// Where in the envelope, such as `data.entityFqdn`.
        path: String,
        /// What is wrong there.
        message: String,
    },
}

/// Who made the change (the envelope's `identity`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "identityType")]
#[non_exhaustive]
pub enum Identity {
    /// A site member.
    Member {
        /// The member's id.
        member_id: String,
    },
    /// A Wix user (the site's owner or a collaborator).
    WixUser {
        /// The user's id.
        wix_user_id: String,
    },
    /// An app.
    App {
        /// The app's id.
        app_id: String,
    },
    /// A visitor who is not logged in.
    AnonymousVisitor {
        /// The visitor's id.
        anonymous_visitor_id: String,
    },
    /// An identity type this SDK does not know.
    Unknown {
        /// The type as sent.
        identity_type: String,
    },
}

impl Identity {
    fn from_json(value: &Value) -> Self {
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
        match value["identityType"].as_str().unwrap_or_default() {
            "MEMBER" => Self::Member {
                member_id: text("memberId"),
            },
            "WIX_USER" => Self::WixUser {
                wix_user_id: text("wixUserId"),
            },
            "APP" => Self::App {
                app_id: text("appId"),
            },
            "ANONYMOUS_VISITOR" => Self::AnonymousVisitor {
                anonymous_visitor_id: text("anonymousVisitorId"),
            },
            other => Self::Unknown {
                identity_type: other.to_owned(),
            },
        }
    }
}

/// The seven referral webhooks (docs/referral-api.md §8); any other as `Unknown`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// Boxed: a program is much larger than the other entities.
    ProgramUpdated {
        /// The program after the change.
        program: Box<Program>,
    },
    /// A referring customer was created.
    ReferringCustomerCreated {
        /// The new customer.
        customer: ReferringCustomer,
    },
    /// The deleted customer, when the event carries it.
    ReferringCustomerDeleted {
        /// The customer deleted.
        customer: Option<ReferringCustomer>,
    },
    /// A referred friend was created.
    ReferredFriendCreated {
        /// The new friend.
        friend: ReferredFriend,
    },
    /// A referred friend was updated.
    ReferredFriendUpdated {
        /// The friend after the change.
        friend: ReferredFriend,
    },
    /// A referred friend was deleted; the friend, when the event carries it.
    ReferredFriendDeleted {
        /// The friend deleted.
        friend: Option<ReferredFriend>,
    },
    /// A referral event was created.
    ReferralEventCreated {
        /// The new event.
        event: ReferralEvent,
    },
    /// An event type this SDK does not know, with its body.
    Unknown {
        /// The type as sent.
        event_type: String,
        /// The domain event's JSON, as decoded from the token.
        body: Value,
    },
}

/// A verified webhook: the typed event and what identifies it.
#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    /// The event id: the same event delivered twice has the same id.
    pub event_id: String,
    /// Such as `wix.loyalty.referral.v1.referred_friend_created`. Not documented by Wix: the
    /// referral event types are derived from the proto package (docs/decisions.md item 25).
    pub event_type: String,
    /// The app instance (site) where it happened.
    pub instance_id: Option<String>,
    /// Who made the change.
    pub identity: Option<Identity>,
    /// The entity's id.
    pub entity_id: Option<String>,
    /// When it happened.
    pub event_time: Option<DateTime<Utc>>,
    /// Per-entity order: ignore an event whose sequence is lower than one already handled.
    pub entity_event_sequence: Option<i64>,
    /// Whether a GDPR anonymize request caused it.
    pub triggered_by_anonymize_request: bool,
    /// The typed event.
    pub event: WebhookEvent,
}

/// Verifies webhooks with the app's public key.
pub struct WebhookVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookVerifier(RS256)")
    }
}

impl WebhookVerifier {
    /// Clock skew allowed on `exp`.
    pub const LEEWAY: Duration = Duration::from_secs(60);

    /// From the app's public key (app dashboard → Webhooks → Get Public Key), as PEM.
    pub fn from_public_key_pem(pem: &str) -> Result<Self, WebhookError> {
        let key = DecodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| WebhookError::Key(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = vec![Algorithm::RS256];
        validation.leeway = Self::LEEWAY.as_secs();
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp"]);
        Ok(Self { key, validation })
    }

    /// Verifies `body` (the JWT Wix POSTs) and decodes the event.
    pub fn verify(&self, body: impl AsRef<[u8]>) -> Result<Webhook, WebhookError> {
        let token = std::str::from_utf8(body.as_ref())
            .map_err(|_| WebhookError::Signature("the body is not text".into()))?
            .trim();
        // The algorithm is checked on its own first, so that the error names it.
        let header = header_algorithm(token)?;
        if header != "RS256" {
            return Err(WebhookError::Algorithm(header));
        }
        let claims = jsonwebtoken::decode::<Value>(token, &self.key, &self.validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => WebhookError::Expired,
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                    WebhookError::Algorithm(header.clone())
                }
                _ => WebhookError::Signature(e.to_string()),
            },
        )?;
        decode_envelope(&claims.claims)
    }
}

/// The `alg` of a JWT header, read without trusting anything else in it.
fn header_algorithm(token: &str) -> Result<String, WebhookError> {
    use base64::Engine;
    let header = token
        .split('.')
        .next()
        .ok_or_else(|| WebhookError::Signature("not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .map_err(|_| WebhookError::Signature("not a JWT: the header is not base64url".into()))?;
    let header: Value = serde_json::from_slice(&bytes)
        .map_err(|_| WebhookError::Signature("not a JWT: the header is not JSON".into()))?;
    Ok(header["alg"].as_str().unwrap_or("(none given)").to_owned())
}

fn envelope_error(path: &str, message: impl Into<String>) -> WebhookError {
    WebhookError::Envelope {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// A JSON value that Wix sends either as a JSON string or as the object itself.
fn nested(value: &Value, path: &str) -> Result<Value, WebhookError> {
    match value {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|e| envelope_error(path, e.to_string()))
        }
        Value::Object(_) => Ok(value.clone()),
        Value::Null => Err(envelope_error(path, "missing")),
        _ => Err(envelope_error(path, "expected a JSON string or object")),
    }
}

/// Decodes `value` as `T`, an error naming the path under `at`.
fn typed<T: DeserializeOwned>(value: &Value, at: &str) -> Result<T, WebhookError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let mut path = at.to_owned();
        let inner = e.path().to_string();
        if inner != "." {
            path = format!("{path}.{inner}");
        }
        // serde names a missing field in its message and stops the path at its parent.
        let message = e.inner().to_string();
        match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) => envelope_error(&format!("{path}.{field}"), "missing"),
            None => envelope_error(&path, message),
        }
    })
}

/// The created, updated or deleted part of a webhook body (generated from the spec): the entity
/// as an object, or in the proto's form as a JSON string in `<member>AsJson`.
trait EntityPart {
    /// The entity's wire type.
    type Wire: DeserializeOwned;
    /// Where the entity is, such as `data.data.createdEvent.entity`.
    const PATH: &'static str;
    fn into_parts(self) -> (Option<Self::Wire>, Option<String>);
}

macro_rules! entity_parts {
    ($($part:ident: $wire:ident at $path:literal, $object:ident / $json:ident;)*) => {$(
        impl EntityPart for api::$part {
            type Wire = api::$wire;
            const PATH: &'static str = $path;
            fn into_parts(self) -> (Option<api::$wire>, Option<String>) {
                (self.$object, self.$json)
            }
        }
    )*};
}

entity_parts! {
    ProgramUpdatedWebhookUpdatedEvent: ReferralProgram
        at "data.data.updatedEvent.currentEntity", current_entity / current_entity_as_json;
    ReferringCustomerCreatedWebhookCreatedEvent: ReferringCustomer
        at "data.data.createdEvent.entity", entity / entity_as_json;
    ReferringCustomerDeletedWebhookDeletedEvent: ReferringCustomer
        at "data.data.deletedEvent.deletedEntity", deleted_entity / deleted_entity_as_json;
    ReferredFriendCreatedWebhookCreatedEvent: ReferredFriend
        at "data.data.createdEvent.entity", entity / entity_as_json;
    ReferredFriendUpdatedWebhookUpdatedEvent: ReferredFriend
        at "data.data.updatedEvent.currentEntity", current_entity / current_entity_as_json;
    ReferredFriendDeletedWebhookDeletedEvent: ReferredFriend
        at "data.data.deletedEvent.deletedEntity", deleted_entity / deleted_entity_as_json;
    ReferralEventCreatedWebhookCreatedEvent: ReferralEvent
        at "data.data.createdEvent.entity", entity / entity_as_json;
}

/// The entity a part carries, if any.
fn entity_of<P: EntityPart, T: From<P::Wire>>(part: Option<P>) -> Result<Option<T>, WebhookError> {
    let Some(part) = part else { return Ok(None) };
    match part.into_parts() {
        (Some(wire), _) => Ok(Some(T::from(wire))),
        (None, Some(text)) => {
            let path = format!("{}AsJson", P::PATH);
            let value: Value =
                serde_json::from_str(&text).map_err(|e| envelope_error(&path, e.to_string()))?;
            typed::<P::Wire>(&value, &path).map(|wire| Some(T::from(wire)))
        }
        (None, None) => Ok(None),
    }
}

/// The entity a part must carry.
fn required_entity<P: EntityPart, T: From<P::Wire>>(part: P) -> Result<T, WebhookError> {
    entity_of::<P, T>(Some(part))?.ok_or_else(|| envelope_error(P::PATH, "missing"))
}

/// The claims → envelope → body → typed event. The body is read with the generated types of the
/// spec's webhook schemas (`x-webhooks`, [`referral_api::webhooks`]).
fn decode_envelope(claims: &Value) -> Result<Webhook, WebhookError> {
    use referral_api::webhooks as hooks;

    let envelope = nested(&claims["data"], "data")?;
    let event_type = envelope["eventType"]
        .as_str()
        .ok_or_else(|| envelope_error("data.eventType", "missing"))?
        .to_owned();
    let body = nested(&envelope["data"], "data.data")?;
    let identity = match &envelope["identity"] {
        Value::Null => None,
        value => Some(Identity::from_json(&nested(value, "data.identity")?)),
    };
    let metadata: api::WebhookEventMetadata = typed(&body, "data.data")?;
    let event = match hooks::by_event_type(&event_type).copied() {
        Some(hooks::PROGRAM_UPDATED) => {
            let body: api::ProgramUpdatedWebhook = typed(&body, "data.data")?;
            WebhookEvent::ProgramUpdated {
                program: Box::new(required_entity::<_, Program>(body.updated_event)?),
            }
        }
        Some(hooks::REFERRING_CUSTOMER_CREATED) => {
            let body: api::ReferringCustomerCreatedWebhook = typed(&body, "data.data")?;
            WebhookEvent::ReferringCustomerCreated {
                customer: required_entity::<_, ReferringCustomer>(body.created_event)?,
            }
        }
        Some(hooks::REFERRING_CUSTOMER_DELETED) => {
            let body: api::ReferringCustomerDeletedWebhook = typed(&body, "data.data")?;
            WebhookEvent::ReferringCustomerDeleted {
                customer: entity_of::<_, ReferringCustomer>(body.deleted_event)?,
            }
        }
        Some(hooks::REFERRED_FRIEND_CREATED) => {
            let body: api::ReferredFriendCreatedWebhook = typed(&body, "data.data")?;
            WebhookEvent::ReferredFriendCreated {
                friend: required_entity::<_, ReferredFriend>(body.created_event)?,
            }
        }
        Some(hooks::REFERRED_FRIEND_UPDATED) => {
            let body: api::ReferredFriendUpdatedWebhook = typed(&body, "data.data")?;
            WebhookEvent::ReferredFriendUpdated {
                friend: required_entity::<_, ReferredFriend>(body.updated_event)?,
            }
        }
        Some(hooks::REFERRED_FRIEND_DELETED) => {
            let body: api::ReferredFriendDeletedWebhook = typed(&body, "data.data")?;
            WebhookEvent::ReferredFriendDeleted {
                friend: entity_of::<_, ReferredFriend>(body.deleted_event)?,
            }
        }
        Some(hooks::REFERRAL_EVENT_CREATED) => {
            let body: api::ReferralEventCreatedWebhook = typed(&body, "data.data")?;
            WebhookEvent::ReferralEventCreated {
                event: required_entity::<_, ReferralEvent>(body.created_event)?,
            }
        }
        // A webhook the spec lists but this version does not decode, or one Wix added since.
        Some(_) | None => WebhookEvent::Unknown {
            event_type: event_type.clone(),
            body: body.clone(),
        },
    };
    Ok(Webhook {
        event_id: metadata.id,
        event_type,
        instance_id: envelope["instanceId"].as_str().map(str::to_owned),
        identity,
        entity_id: metadata.entity_id,
        event_time: metadata.event_time,
        entity_event_sequence: metadata.entity_event_sequence.map(i64::from),
        triggered_by_anonymize_request: metadata.triggered_by_anonymize_request.unwrap_or(false),
        event,
    })
}

/// Signs webhook payloads as Wix does, for tests of a user's own webhook handlers (feature
/// `test-util`).
#[cfg(feature = "test-util")]
pub struct WebhookSigner {
    key: EncodingKey,
    kid: Option<String>,
}

#[cfg(feature = "test-util")]
impl std::fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSigner(RS256, key hidden)")
    }
}

#[cfg(feature = "test-util")]
impl WebhookSigner {
    /// From an RSA private key in PEM (PKCS#1 or PKCS#8).
    pub fn from_private_key_pem(pem: &str) -> Result<Self, WebhookError> {
        let key = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| WebhookError::Key(e.to_string()))?;
        Ok(Self { key, kid: None })
    }

    /// Adds a `kid` header (a key id) to the tokens it signs.
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// A JWT as Wix delivers it: `body` (the domain event: `id`, `entityFqdn`, `slug`,
    /// `createdEvent`...) becomes a JSON string inside the envelope, which becomes the JSON
    /// string of the `data` claim; the token expires after `lifetime`.
    pub fn sign(
        &self,
        event_type: &str,
        instance_id: &str,
        identity: &Value,
        body: &Value,
        lifetime: Duration,
    ) -> Result<String, WebhookError> {
        let envelope = json!({
            "eventType": event_type,
            "instanceId": instance_id,
            "identity": identity.to_string(),
            "data": body.to_string(),
        });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims =
            json!({"data": envelope.to_string(), "iat": now, "exp": now + lifetime.as_secs()});
        self.sign_claims(&claims)
    }

    /// Signs arbitrary claims (for tests of malformed envelopes).
    pub fn sign_claims(&self, claims: &Value) -> Result<String, WebhookError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.kid.clone();
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|e| WebhookError::Key(e.to_string()))
    }
}

/// The body of a referral domain event, for [`WebhookSigner::sign`]: `entity` is the Wix JSON of
/// the entity, `slug` is `created`, `updated` or `deleted` (feature `test-util`).
#[cfg(feature = "test-util")]
pub fn domain_event_body(
    event_id: &str,
    entity_fqdn: &str,
    slug: &str,
    entity_id: &str,
    entity: &Value,
) -> Value {
    let payload = match slug {
        "created" => json!({"createdEvent": {"entity": entity}}),
        "deleted" => json!({"deletedEvent": {"deletedEntity": entity}}),
        _ => json!({"updatedEvent": {"currentEntity": entity}}),
    };
    let mut body = json!({
        "id": event_id,
        "entityFqdn": entity_fqdn,
        "slug": slug,
        "entityId": entity_id,
        "eventTime": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "triggeredByAnonymizeRequest": false,
        "entityEventSequence": "1",
    });
    if let (Some(body), Value::Object(payload)) = (body.as_object_mut(), payload) {
        body.extend(payload);
    }
    body
}

#[cfg(feature = "axum")]
mod extractor {
    use std::sync::Arc;

    use axum::body::Bytes;
    use axum::extract::{FromRef, FromRequest, Request};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    use super::{Webhook, WebhookError, WebhookVerifier};

    /// An axum extractor: the request body verified and decoded. The handler's state provides
    /// the verifier (`Arc<WebhookVerifier>: FromRef<S>`). A refused webhook is answered without
    /// reaching the handler, as [`WebhookRejection`] describes.
    #[derive(Debug)]
    pub struct VerifiedWebhook(pub Webhook);

    /// Why the extractor refused a request. It answers in the Wix error shape, so that a
    /// sender's logs read the same as Wix's own errors:
    ///
    /// ```json
    /// {"message": "webhook refused: the token has expired",
    ///  "details": {"applicationError": {"code": "WEBHOOK_SIGNATURE",
    ///                                   "description": "webhook refused: the token has expired"}}}
    /// ```
    ///
    /// | refusal | status | `code` |
    /// |---|---|---|
    /// | bad signature, wrong key, algorithm other than RS256, expired, not a JWT | 401 | `WEBHOOK_SIGNATURE` |
    /// | verified, but the envelope is not what Wix sends | 400 | `WEBHOOK_ENVELOPE` |
    /// | the body could not be read (over axum's body limit: 413) | 400 or 413 | `WEBHOOK_BODY` |
    #[derive(Debug)]
    pub struct WebhookRejection {
        /// The answer's status: see the table above.
        pub status: StatusCode,
        /// What was wrong; `None` when the body could not be read.
        pub error: Option<WebhookError>,
    }

    impl WebhookRejection {
        /// The `code` of the answer: see the table above.
        pub fn code(&self) -> &'static str {
            match &self.error {
                None => "WEBHOOK_BODY",
                Some(WebhookError::Envelope { .. }) => "WEBHOOK_ENVELOPE",
                Some(_) => "WEBHOOK_SIGNATURE",
            }
        }
    }

    impl IntoResponse for WebhookRejection {
        fn into_response(self) -> Response {
            let message = self.error.as_ref().map_or_else(
                || "webhook refused: the body could not be read".to_owned(),
                ToString::to_string,
            );
            let body = serde_json::json!({
                "message": message,
                "details": {"applicationError": {"code": self.code(), "description": message}},
            });
            (self.status, axum::Json(body)).into_response()
        }
    }

    impl<S> FromRequest<S> for VerifiedWebhook
    where
        S: Send + Sync,
        Arc<WebhookVerifier>: FromRef<S>,
    {
        type Rejection = WebhookRejection;

        async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
            let verifier = Arc::<WebhookVerifier>::from_ref(state);
            let body = Bytes::from_request(request, state)
                .await
                .map_err(|rejection| WebhookRejection {
                    status: rejection.status(),
                    error: None,
                })?;
            match verifier.verify(&body) {
                Ok(webhook) => Ok(Self(webhook)),
                Err(error @ WebhookError::Envelope { .. }) => Err(WebhookRejection {
                    status: StatusCode::BAD_REQUEST,
                    error: Some(error),
                }),
                Err(error) => Err(WebhookRejection {
                    status: StatusCode::UNAUTHORIZED,
                    error: Some(error),
                }),
            }
        }
    }
}

#[cfg(feature = "axum")]
pub use extractor::{VerifiedWebhook, WebhookRejection};
