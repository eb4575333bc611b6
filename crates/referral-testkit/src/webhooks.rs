//! Webhooks for a user's handler tests: a test RSA key pair, a verifier and a signer for it,
//! and [`signed_webhook`], which turns a typed [`WebhookEvent`] into the body Wix would POST.
//!
//! ```
//! use referral_domain::WebhookEvent;
//! use referral_testkit::{fixtures, webhooks};
//!
//! let friend = fixtures::referred_friend_of(&fixtures::referring_customer());
//! let body = webhooks::signed_webhook(&WebhookEvent::ReferredFriendCreated { friend: friend.clone() });
//! // ... POST `body` to the handler under test, which verifies it with TEST_PUBLIC_KEY_PEM ...
//! let webhook = webhooks::test_verifier().verify(&body).unwrap();
//! assert_eq!(webhook.event, WebhookEvent::ReferredFriendCreated { friend });
//! ```
//!
//! The key pair is public knowledge (it is in this crate's source): never trust it outside
//! tests.

use std::time::Duration;

use referral_api::types as api;
use referral_api::webhooks as hooks;
use referral_domain::webhooks::domain_event_body;
use referral_domain::{Identity, WebhookError, WebhookEvent, WebhookSigner, WebhookVerifier};
use serde_json::{Value, json};

/// The test key pair's private half (PKCS#8 PEM, RSA 2048).
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("../keys/webhook-test-private.pem");

/// The test key pair's public half (SPKI PEM): give it to the handler under test as the app's
/// webhook public key.
pub const TEST_PUBLIC_KEY_PEM: &str = include_str!("../keys/webhook-test-public.pem");

/// A verifier for webhooks signed with the test key.
pub fn test_verifier() -> WebhookVerifier {
    WebhookVerifier::from_public_key_pem(TEST_PUBLIC_KEY_PEM).expect("the test public key parses")
}

/// A signer with the test key.
pub fn test_signer() -> WebhookSigner {
    WebhookSigner::from_private_key_pem(TEST_PRIVATE_KEY_PEM)
        .expect("the test private key parses")
        .with_key_id("referral-testkit")
}

/// The body Wix would POST for `event`, signed with the test key, with [`Delivery`]'s defaults.
pub fn signed_webhook(event: &WebhookEvent) -> String {
    Delivery::new(event.clone()).sign()
}

/// One webhook delivery to sign: the typed event and what the envelope says around it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Delivery {
    /// The event.
    pub event: WebhookEvent,
    /// The event id (default `evt-1`); the same id twice is the same event redelivered.
    pub event_id: String,
    /// The app instance it is for (default: the nil GUID).
    pub instance_id: String,
    /// Who made the change (default: an app, `referral-testkit`).
    pub identity: Identity,
    /// The entity's event sequence (default 1).
    pub entity_event_sequence: i64,
    /// How long the token is valid (default an hour; [`Duration::ZERO`] with the verifier's
    /// leeway passed makes an expired one).
    pub lifetime: Duration,
}

impl Delivery {
    /// `event` with the defaults.
    pub fn new(event: WebhookEvent) -> Self {
        Self {
            event,
            event_id: "evt-1".to_owned(),
            instance_id: "00000000-0000-0000-0000-000000000000".to_owned(),
            identity: Identity::App {
                app_id: "referral-testkit".to_owned(),
            },
            entity_event_sequence: 1,
            lifetime: Duration::from_secs(3600),
        }
    }

    /// Sets the event id.
    pub fn event_id(mut self, id: impl Into<String>) -> Self {
        self.event_id = id.into();
        self
    }

    /// Sets the app instance.
    pub fn instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance_id = id.into();
        self
    }

    /// Sets who made the change.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Sets the entity's event sequence.
    pub fn entity_event_sequence(mut self, sequence: i64) -> Self {
        self.entity_event_sequence = sequence;
        self
    }

    /// Signs with the test key.
    pub fn sign(&self) -> String {
        self.sign_with(&test_signer())
            .expect("signing with the test key cannot fail")
    }

    /// Signs with `signer` (a key of the user's own).
    pub fn sign_with(&self, signer: &WebhookSigner) -> Result<String, WebhookError> {
        let (event_type, body) = self.event_type_and_body();
        signer.sign(
            &event_type,
            &self.instance_id,
            &identity_json(&self.identity),
            &body,
            self.lifetime,
        )
    }

    /// The envelope's event type and the domain event body (`data.data`). Event types, entities
    /// and slugs come from the spec's webhook table ([`referral_api::webhooks`]).
    fn event_type_and_body(&self) -> (String, Value) {
        fn wire(value: impl serde::Serialize) -> Value {
            serde_json::to_value(value).unwrap_or(Value::Null)
        }
        // The webhook, and the id and JSON of the entity it carries (a delete may carry none).
        let (webhook, entity) = match &self.event {
            WebhookEvent::ProgramUpdated { program } => (
                hooks::PROGRAM_UPDATED,
                Some((String::new(), wire(api::ReferralProgram::from(&**program)))),
            ),
            WebhookEvent::ReferringCustomerCreated { customer } => (
                hooks::REFERRING_CUSTOMER_CREATED,
                Some((
                    customer.id.to_string(),
                    wire(api::ReferringCustomer::from(customer)),
                )),
            ),
            WebhookEvent::ReferringCustomerDeleted { customer } => (
                hooks::REFERRING_CUSTOMER_DELETED,
                customer
                    .as_ref()
                    .map(|c| (c.id.to_string(), wire(api::ReferringCustomer::from(c)))),
            ),
            WebhookEvent::ReferredFriendCreated { friend } => (
                hooks::REFERRED_FRIEND_CREATED,
                Some((
                    friend.id.to_string(),
                    wire(api::ReferredFriend::from(friend)),
                )),
            ),
            WebhookEvent::ReferredFriendUpdated { friend } => (
                hooks::REFERRED_FRIEND_UPDATED,
                Some((
                    friend.id.to_string(),
                    wire(api::ReferredFriend::from(friend)),
                )),
            ),
            WebhookEvent::ReferredFriendDeleted { friend } => (
                hooks::REFERRED_FRIEND_DELETED,
                friend
                    .as_ref()
                    .map(|f| (f.id.to_string(), wire(api::ReferredFriend::from(f)))),
            ),
            WebhookEvent::ReferralEventCreated { event } => (
                hooks::REFERRAL_EVENT_CREATED,
                Some((event.id.to_string(), wire(api::ReferralEvent::from(event)))),
            ),
            WebhookEvent::Unknown { event_type, body } => {
                return (event_type.clone(), body.clone());
            }
            // A variant added to the SDK after this testkit: sent as an unknown event.
            _ => return ("wix.loyalty.referral.v1.unknown".to_owned(), json!({})),
        };
        let (entity_id, entity_json) = entity.unwrap_or_default();
        let mut body = domain_event_body(
            &self.event_id,
            webhook.entity_fqdn,
            webhook.slug,
            &entity_id,
            &entity_json,
        );
        if let Some(object) = body.as_object_mut() {
            object.insert(
                "entityEventSequence".into(),
                json!(self.entity_event_sequence.to_string()),
            );
            if entity_json.is_null() {
                // A deleted event that does not carry the entity.
                object.insert("deletedEvent".into(), json!({}));
            }
        }
        (webhook.event_type.to_owned(), body)
    }
}

/// The envelope's `identity`, as Wix writes it.
fn identity_json(identity: &Identity) -> Value {
    match identity {
        Identity::Member { member_id } => json!({"identityType": "MEMBER", "memberId": member_id}),
        Identity::WixUser { wix_user_id } => {
            json!({"identityType": "WIX_USER", "wixUserId": wix_user_id})
        }
        Identity::App { app_id } => json!({"identityType": "APP", "appId": app_id}),
        Identity::AnonymousVisitor {
            anonymous_visitor_id,
        } => {
            json!({"identityType": "ANONYMOUS_VISITOR", "anonymousVisitorId": anonymous_visitor_id})
        }
        Identity::Unknown { identity_type } => json!({"identityType": identity_type}),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn every_typed_event_verifies_back_to_itself() {
        let customer = fixtures::referring_customer();
        let friend = fixtures::referred_friend_of(&customer);
        let events = [
            WebhookEvent::ProgramUpdated {
                program: Box::new(fixtures::active_program()),
            },
            WebhookEvent::ReferringCustomerCreated {
                customer: customer.clone(),
            },
            WebhookEvent::ReferringCustomerDeleted {
                customer: Some(customer.clone()),
            },
            WebhookEvent::ReferringCustomerDeleted { customer: None },
            WebhookEvent::ReferredFriendCreated {
                friend: friend.clone(),
            },
            WebhookEvent::ReferredFriendUpdated {
                friend: friend.clone(),
            },
            WebhookEvent::ReferredFriendDeleted {
                friend: Some(friend.clone()),
            },
            WebhookEvent::ReferralEventCreated {
                event: fixtures::documented::referral_event(),
            },
            WebhookEvent::Unknown {
                event_type: "wix.loyalty.referral.v1.referral_reward_created".into(),
                body: json!({"id": "evt-1", "createdEvent": {"entity": {"id": "r"}}}),
            },
        ];
        let verifier = test_verifier();
        let mut listed = Vec::new();
        for event in events {
            let body = signed_webhook(&event);
            let webhook = verifier.verify(&body).unwrap();
            assert_eq!(webhook.event, event);
            assert_eq!(webhook.event_id, "evt-1");
            if let Some(known) = hooks::by_event_type(&webhook.event_type) {
                listed.push(known.event_type);
            }
        }
        listed.sort_unstable();
        listed.dedup();
        let every: Vec<&str> = hooks::ALL.iter().map(|w| w.event_type).collect();
        assert_eq!(listed, every, "every webhook of the spec");
    }

    #[test]
    fn the_envelope_says_what_the_delivery_sets() {
        let friend = fixtures::referred_friend_of(&fixtures::referring_customer());
        let body = Delivery::new(WebhookEvent::ReferredFriendUpdated {
            friend: friend.clone(),
        })
        .event_id("evt-42")
        .instance_id("inst-7")
        .identity(Identity::Member {
            member_id: "m-1".into(),
        })
        .entity_event_sequence(5)
        .sign();
        let webhook = test_verifier().verify(&body).unwrap();
        assert_eq!(webhook.event_id, "evt-42");
        assert_eq!(
            webhook.event_type,
            "wix.loyalty.referral.v1.referred_friend_updated"
        );
        assert_eq!(webhook.instance_id.as_deref(), Some("inst-7"));
        assert_eq!(
            webhook.identity,
            Some(Identity::Member {
                member_id: "m-1".into()
            })
        );
        assert_eq!(webhook.entity_event_sequence, Some(5));
        assert_eq!(webhook.entity_id.as_deref(), Some(friend.id.as_str()));
    }

    #[test]
    fn a_changed_signature_does_not_verify() {
        let body = signed_webhook(&WebhookEvent::ReferringCustomerDeleted { customer: None });
        // Change one character well inside the signature (every bit there is signature data).
        let mut tampered = body.into_bytes();
        let at = tampered.len() - 10;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        assert!(matches!(
            test_verifier().verify(&tampered),
            Err(WebhookError::Signature(_))
        ));
    }
}
