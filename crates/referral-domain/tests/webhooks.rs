//! Webhooks end to end: the emulator delivers its domain events as RS256 JWTs to an axum
//! handler that takes `VerifiedWebhook`; and every forgery is refused.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine;
use common::{Env, referral};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use referral_domain::webhooks::domain_event_body;
use referral_domain::{
    FriendStatus, Identity, ReferredFriends, ReferringCustomers, VerifiedWebhook, Webhook,
    WebhookError, WebhookEvent, WebhookSigner, WebhookVerifier,
};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[derive(Clone)]
struct Receiver {
    verifier: Arc<WebhookVerifier>,
    webhooks: mpsc::UnboundedSender<Webhook>,
}

impl FromRef<Receiver> for Arc<WebhookVerifier> {
    fn from_ref(receiver: &Receiver) -> Self {
        receiver.verifier.clone()
    }
}

/// A user's webhook handler: one function, given a verified, typed event.
async fn handle(
    State(receiver): State<Receiver>,
    VerifiedWebhook(webhook): VerifiedWebhook,
) -> StatusCode {
    let _ = receiver.webhooks.send(webhook);
    StatusCode::OK
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

async fn receiver_for(pem: &str) -> (String, mpsc::UnboundedReceiver<Webhook>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let receiver = Receiver {
        verifier: Arc::new(WebhookVerifier::from_public_key_pem(pem).unwrap()),
        webhooks: tx,
    };
    let url = serve(
        Router::new()
            .route("/hooks", post(handle))
            .with_state(receiver),
    )
    .await;
    (format!("{url}/hooks"), rx)
}

#[tokio::test]
async fn the_seven_emulator_webhooks_arrive_verified_and_typed() {
    let env = Env::start().await;
    let (url, mut received) = receiver_for(env.emulator.webhook_public_key()).await;
    env.control(
        reqwest::Method::POST,
        &format!("/sites/{}/webhooks", env.emulator.site_id()),
        Some(json!({"url": url})),
    )
    .await;

    let client = env.client();
    let (customer, friend) = referral(&client).await;
    let updated = client
        .update_referred_friend(&friend, FriendStatus::ActionsCompleted)
        .await
        .unwrap();
    client
        .delete_referred_friend(&friend.id, updated.revision.unwrap())
        .await
        .unwrap();
    client
        .delete_referring_customer(&customer.id, customer.revision.unwrap())
        .await
        .unwrap();

    let mut kinds = HashSet::new();
    let mut ids = HashSet::new();
    let mut deliveries = 0;
    while kinds.len() < 7 {
        deliveries += 1;
        let webhook = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .unwrap_or_else(|_| panic!("only {kinds:?} arrived"))
            .unwrap();
        assert_eq!(
            webhook.instance_id,
            Some(env.emulator.instance_id().to_string())
        );
        assert!(
            matches!(webhook.identity, Some(Identity::App { .. })),
            "{:?}",
            webhook.identity
        );
        assert!(webhook.event_time.is_some() && webhook.entity_event_sequence.is_some());
        ids.insert(webhook.event_id.clone());
        let kind = match &webhook.event {
            WebhookEvent::ProgramUpdated { program } => {
                assert!(program.revision.is_some());
                "program_updated"
            }
            WebhookEvent::ReferringCustomerCreated { customer: c } => {
                assert_eq!(c.id, customer.id);
                "customer_created"
            }
            WebhookEvent::ReferringCustomerDeleted { .. } => "customer_deleted",
            WebhookEvent::ReferredFriendCreated { friend: f } => {
                assert_eq!(f.id, friend.id);
                "friend_created"
            }
            WebhookEvent::ReferredFriendUpdated { friend: f } => {
                assert_eq!(f.id, friend.id);
                "friend_updated"
            }
            WebhookEvent::ReferredFriendDeleted { .. } => "friend_deleted",
            WebhookEvent::ReferralEventCreated { event } => {
                assert!(event.id.is_well_formed());
                "event_created"
            }
            other => panic!("an event the emulator does not send: {other:?}"),
        };
        kinds.insert(kind);
    }
    assert_eq!(ids.len(), deliveries, "every event has its own id");
}

/// A fresh RSA key pair: (private PEM, public PEM).
fn key_pair() -> (String, String) {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    (private_pem, public_pem)
}

fn friend_created_body() -> Value {
    domain_event_body(
        "evt-1",
        "wix.loyalty.referral.v1.referred_friend",
        "created",
        "3857d039-b129-4393-b983-947078b6a007",
        &json!({"id": "3857d039-b129-4393-b983-947078b6a007", "contactId": "661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3",
                "referringCustomerId": "07a3306c-b311-466e-92dd-c635c4145d1c", "status": "SIGN_UP_COMPLETED",
                "revision": "1"}),
    )
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn forgeries_are_refused_and_the_signer_round_trips() {
    let (private_pem, public_pem) = key_pair();
    let signer = WebhookSigner::from_private_key_pem(&private_pem)
        .unwrap()
        .with_key_id("k1");
    let verifier = WebhookVerifier::from_public_key_pem(&public_pem).unwrap();
    let identity = json!({"identityType": "MEMBER", "memberId": "m-1"});
    let good = signer
        .sign(
            "wix.loyalty.referral.v1.referred_friend_created",
            "inst-1",
            &identity,
            &friend_created_body(),
            Duration::from_secs(3600),
        )
        .unwrap();
    let webhook = verifier.verify(&good).unwrap();
    assert_eq!(webhook.event_id, "evt-1");
    assert_eq!(
        webhook.identity,
        Some(Identity::Member {
            member_id: "m-1".into()
        })
    );
    assert!(
        matches!(&webhook.event, WebhookEvent::ReferredFriendCreated { friend } if friend.status == FriendStatus::SignUpCompleted)
    );

    // Another key.
    let (_, other_public) = key_pair();
    let other = WebhookVerifier::from_public_key_pem(&other_public).unwrap();
    assert!(matches!(
        other.verify(&good),
        Err(WebhookError::Signature(_))
    ));

    // A changed payload under the original signature.
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    claims["data"] = Value::String(claims["data"].as_str().unwrap().replace("inst-1", "inst-2"));
    let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    assert!(matches!(
        verifier.verify(&tampered),
        Err(WebhookError::Signature(_))
    ));

    // `alg: none`, unsigned.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        parts[1]
    );
    assert!(matches!(verifier.verify(&none), Err(WebhookError::Algorithm(a)) if a == "none"));

    // HMAC "signed" with the public key as the secret, in every HMAC flavour.
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let forged = jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(public_pem.as_bytes()),
        )
        .unwrap();
        assert!(
            matches!(verifier.verify(&forged), Err(WebhookError::Algorithm(_))),
            "{alg:?}"
        );
    }

    // Expired, beyond the leeway.
    let expired = signer
        .sign_claims(&json!({"data": claims["data"], "exp": 1_000_000_000, "iat": 999_999_000}))
        .unwrap();
    assert!(matches!(
        verifier.verify(&expired),
        Err(WebhookError::Expired)
    ));

    // Not a JWT at all.
    assert!(matches!(
        verifier.verify("hello"),
        Err(WebhookError::Signature(_))
    ));

    // Verified but malformed: the failing path is named.
    let bad_entity = signer
        .sign(
            "wix.loyalty.referral.v1.referred_friend_created",
            "inst-1",
            &identity,
            &json!({"id": "e", "createdEvent": {"entity": {"createdDate": 5}}}),
            Duration::from_secs(60),
        )
        .unwrap();
    let err = verifier.verify(&bad_entity).unwrap_err();
    assert!(
        matches!(&err, WebhookError::Envelope { path, .. } if path == "data.data.createdEvent.entity.createdDate"),
        "{err:?}"
    );

    // The body is read with the spec's webhook types: the proto's `*AsJson` string form too,
    // and what is missing or malformed is named by its path.
    let sign = |event_type: &str, body: Value| {
        signer
            .sign(
                &format!("wix.loyalty.referral.v1.{event_type}"),
                "inst-1",
                &identity,
                &body,
                Duration::from_secs(60),
            )
            .unwrap()
    };
    let friend = json!({"id": "f-1", "contactId": "c-1", "referringCustomerId": "rc-1",
        "status": "SIGN_UP_COMPLETED", "revision": "2"});
    let as_json = verifier
        .verify(sign(
            "referred_friend_updated",
            json!({"id": "e3", "entityEventSequence": 7,
                "updatedEvent": {"currentEntityAsJson": friend.to_string()}}),
        ))
        .unwrap();
    assert!(
        matches!(&as_json.event, WebhookEvent::ReferredFriendUpdated { friend } if friend.id.as_str() == "f-1"),
        "{as_json:?}"
    );
    assert_eq!(
        as_json.entity_event_sequence,
        Some(7),
        "a number is read too"
    );
    let deleted = verifier
        .verify(sign("referred_friend_deleted", json!({"id": "e4"})))
        .unwrap();
    assert_eq!(
        deleted.event,
        WebhookEvent::ReferredFriendDeleted { friend: None }
    );
    for (event_type, body, path) in [
        (
            "referred_friend_created",
            json!({"createdEvent": {"entity": friend}}),
            "data.data.id",
        ),
        (
            "referred_friend_created",
            json!({"id": "e5"}),
            "data.data.createdEvent",
        ),
        (
            "referred_friend_created",
            json!({"id": "e5", "createdEvent": {}}),
            "data.data.createdEvent.entity",
        ),
        (
            "referring_customer_created",
            json!({"id": "e6", "createdEvent": {"entityAsJson": "{not json"}}),
            "data.data.createdEvent.entityAsJson",
        ),
        (
            "program_updated",
            json!({"id": "e7", "updatedEvent": {"currentEntityAsJson": "{\"revision\": []}"}}),
            "data.data.updatedEvent.currentEntityAsJson.revision",
        ),
        (
            "referral_event_created",
            json!({"id": "e8", "eventTime": "yesterday", "createdEvent": {"entity": {"id": "x"}}}),
            "data.data.eventTime",
        ),
    ] {
        let err = verifier.verify(sign(event_type, body)).unwrap_err();
        assert!(
            matches!(&err, WebhookError::Envelope { path: at, .. } if at == path),
            "{event_type}: {err:?}, expected {path}"
        );
    }

    // An event type this SDK does not know is delivered as Unknown, with its body.
    let later = signer
        .sign(
            "wix.loyalty.referral.v1.referral_reward_created",
            "inst-1",
            &identity,
            &json!({"id": "e2", "createdEvent": {"entity": {"id": "r"}}}),
            Duration::from_secs(60),
        )
        .unwrap();
    let webhook = verifier.verify(&later).unwrap();
    assert!(
        matches!(webhook.event, WebhookEvent::Unknown { ref event_type, .. } if event_type.ends_with("reward_created"))
    );
}

#[tokio::test]
async fn the_axum_extractor_answers_forgeries_without_calling_the_handler() {
    let (private_pem, public_pem) = key_pair();
    let (url, mut received) = receiver_for(&public_pem).await;
    let http = reqwest::Client::new();
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"data": "{}", "exp": 9_999_999_999u64}),
        &EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .unwrap();
    let answer = http.post(&url).body(forged).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    // In the Wix error shape, as JSON.
    let refusal: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        refusal["details"]["applicationError"]["code"],
        "WEBHOOK_SIGNATURE"
    );
    assert!(refusal["message"].as_str().unwrap().contains("HS256"));

    let signer = WebhookSigner::from_private_key_pem(&private_pem).unwrap();
    let no_event_type = signer
        .sign_claims(&json!({"data": "{}", "exp": 9_999_999_999u64}))
        .unwrap();
    let answer = http.post(&url).body(no_event_type).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let refusal: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        refusal["details"]["applicationError"]["code"],
        "WEBHOOK_ENVELOPE"
    );

    // A body over axum's default limit (2 MB) is refused before it is verified.
    let answer = http
        .post(&url)
        .body(vec![b'a'; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let refusal: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        refusal["details"]["applicationError"]["code"],
        "WEBHOOK_BODY"
    );

    let good = signer
        .sign(
            "wix.loyalty.referral.v1.referred_friend_created",
            "inst-1",
            &json!({"identityType": "APP", "appId": "a"}),
            &friend_created_body(),
            Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        http.post(&url).body(good).send().await.unwrap().status(),
        200
    );
    let webhook = received.recv().await.unwrap();
    assert_eq!(
        webhook.event_id, "evt-1",
        "only the genuine one reached the handler"
    );
    assert!(received.try_recv().is_err());
}
