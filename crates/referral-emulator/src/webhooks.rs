//! Webhook delivery: each domain event becomes an RS256 JWT whose `data` claim is the Wix
//! three-layer envelope (docs/platform.md §5, docs/decisions.md item 25), POSTed to every registered URL,
//! with retries on failure.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use uuid::Uuid;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::auth::Identity;
use crate::model::wix_date;
use crate::site::{DomainEvent, Site, now, random_uuid};

/// Attempts per delivery, and the first back-off (doubling each time).
pub(crate) const DELIVERY_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The emulator's signing key. Generated at start; the public half is served as PEM.
pub(crate) struct Signer {
    key: EncodingKey,
    pub kid: String,
    pub public_pem: String,
}

impl Signer {
    pub(crate) fn generate() -> Result<Self, String> {
        let mut rng = rand::thread_rng();
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| e.to_string())?;
        let private_pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let public_pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).map_err(|e| e.to_string())?;
        let kid: String = (0..8)
            .map(|_| char::from(b'a' + rng.gen_range(0..26)))
            .collect();
        Ok(Self {
            key,
            kid,
            public_pem,
        })
    }

    pub(crate) fn sign(&self, claims: &Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| e.to_string())
    }
}

/// The parsed `data.data` body of one event.
pub(crate) fn event_body(event: &DomainEvent) -> Value {
    let payload = match event.slug {
        "created" => json!({"createdEvent": {"entity": event.entity}}),
        "deleted" => json!({"deletedEvent": {"deletedEntity": event.entity}}),
        _ => json!({"updatedEvent": {"currentEntity": event.entity}}),
    };
    let mut body = json!({
        "id": random_uuid(&mut rand::thread_rng()),
        "entityFqdn": event.entity_fqdn,
        "slug": event.slug,
        "eventTime": wix_date(&now()),
        "triggeredByAnonymizeRequest": false,
        "entityEventSequence": event.sequence.to_string(),
    });
    if let (Some(object), Value::Object(extra)) = (body.as_object_mut(), payload) {
        if let Some(id) = event.entity_id {
            object.insert("entityId".into(), json!(id));
        }
        object.extend(extra);
    }
    body
}

/// The envelope's `identity`: the member who made the change, or else the site's app (an app
/// token's own, and the app that stands for API-key and emulator-made changes).
fn identity_json(site: &Site, caller: Option<&Identity>) -> Value {
    match caller {
        Some(Identity::Member { contact, .. }) => {
            json!({"identityType": "MEMBER", "memberId": contact})
        }
        Some(Identity::Admin {
            app_id: Some(app_id),
            ..
        }) => json!({"identityType": "APP", "appId": app_id}),
        _ => json!({"identityType": "APP", "appId": site.app_id}),
    }
}

/// The envelope of one delivery, decoded (in the token, `identity` and `data` are JSON strings).
fn envelope(site: &Site, event: &DomainEvent, caller: Option<&Identity>) -> Value {
    json!({
        "eventType": format!("{}_{}", event.entity_fqdn, event.slug),
        "instanceId": site.instance_id,
        "identity": identity_json(site, caller),
        "data": event_body(event),
    })
}

/// The JWT claims of a decoded envelope: `data` is a JSON string holding eventType, instanceId,
/// identity (a JSON string) and data (the event body, a JSON string).
fn claims_of(decoded: &Value) -> Value {
    let envelope = json!({
        "eventType": decoded["eventType"],
        "instanceId": decoded["instanceId"],
        "identity": decoded["identity"].to_string(),
        "data": decoded["data"].to_string(),
    });
    let iat = chrono::Utc::now().timestamp();
    json!({"data": envelope.to_string(), "iat": iat, "exp": iat + 3600})
}

struct Delivery {
    url: String,
    jwt: String,
    record: Arc<Mutex<DeliveryRecord>>,
}

/// Deliveries kept per site for the inspector.
pub(crate) const DELIVERIES_PER_SITE: usize = 100;

/// One webhook delivery as the inspector shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryRecord {
    pub time: DateTime<Utc>,
    pub event_type: String,
    pub entity_id: Option<Uuid>,
    pub url: String,
    pub attempts: u32,
    /// The receiver's last status, or why the last attempt failed.
    pub last_outcome: Option<String>,
    pub delivered: bool,
    /// The decoded envelope: `eventType`, `instanceId`, `identity` and the body.
    pub envelope: Value,
}

/// The last deliveries of each site.
#[derive(Default)]
pub(crate) struct DeliveryLog {
    by_site: Mutex<HashMap<Uuid, VecDeque<Arc<Mutex<DeliveryRecord>>>>>,
}

impl DeliveryLog {
    fn add(&self, site: Uuid, record: DeliveryRecord) -> Arc<Mutex<DeliveryRecord>> {
        let record = Arc::new(Mutex::new(record));
        let mut by_site = self.by_site.lock();
        let ring = by_site.entry(site).or_default();
        if ring.len() == DELIVERIES_PER_SITE {
            ring.pop_front();
        }
        ring.push_back(record.clone());
        record
    }

    /// `site`'s deliveries, newest first.
    pub(crate) fn of(&self, site: Uuid) -> Vec<DeliveryRecord> {
        self.by_site
            .lock()
            .get(&site)
            .map(|ring| ring.iter().rev().map(|r| r.lock().clone()).collect())
            .unwrap_or_default()
    }

    pub(crate) fn clear(&self) {
        self.by_site.lock().clear();
    }
}

/// Hands signed deliveries to a background task so that requests never wait on webhooks.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    sender: Option<mpsc::UnboundedSender<Delivery>>,
    /// What was sent, for the inspector.
    pub(crate) log: Arc<DeliveryLog>,
}

impl Dispatcher {
    /// Starts the delivery task on the current runtime.
    pub(crate) fn start() -> Self {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Delivery>();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(1250))
            .build()
            .ok();
        tokio::spawn(async move {
            let Some(client) = client else { return };
            while let Some(delivery) = receiver.recv().await {
                let client = client.clone();
                tokio::spawn(deliver(client, delivery));
            }
        });
        Self {
            sender: Some(sender),
            log: Arc::default(),
        }
    }

    /// `caller` is who made the change; `None` for the emulator's own (control API) changes.
    pub(crate) fn dispatch(
        &self,
        site: &Site,
        events: Vec<DomainEvent>,
        signer: &Signer,
        caller: Option<&Identity>,
    ) {
        let Some(sender) = &self.sender else { return };
        for event in &events {
            let decoded = envelope(site, event, caller);
            let Ok(jwt) = signer.sign(&claims_of(&decoded)) else {
                tracing::warn!("could not sign a webhook");
                continue;
            };
            for url in &site.webhooks {
                let record = self.log.add(
                    site.id,
                    DeliveryRecord {
                        time: Utc::now(),
                        event_type: decoded["eventType"].as_str().unwrap_or("").to_owned(),
                        entity_id: event.entity_id,
                        url: url.clone(),
                        attempts: 0,
                        last_outcome: None,
                        delivered: false,
                        envelope: decoded.clone(),
                    },
                );
                let _closed = sender.send(Delivery {
                    url: url.clone(),
                    jwt: jwt.clone(),
                    record,
                });
            }
        }
    }
}

async fn deliver(client: reqwest::Client, delivery: Delivery) {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=DELIVERY_ATTEMPTS {
        let sent = client
            .post(&delivery.url)
            .header("content-type", "text/plain")
            .body(delivery.jwt.clone())
            .send()
            .await;
        let outcome = match &sent {
            Ok(response) => response.status().as_u16().to_string(),
            Err(err) => format!("not delivered: {err}"),
        };
        let delivered = matches!(&sent, Ok(response) if response.status().is_success());
        {
            let mut record = delivery.record.lock();
            record.attempts = attempt;
            record.last_outcome = Some(outcome);
            record.delivered = delivered;
        }
        if delivered {
            return;
        }
        match sent {
            Ok(response) => {
                tracing::debug!(url = %delivery.url, attempt, status = response.status().as_u16(), "webhook refused")
            }
            Err(err) => tracing::debug!(url = %delivery.url, attempt, %err, "webhook failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff *= 2;
    }
    tracing::warn!(url = %delivery.url, "webhook given up after {DELIVERY_ATTEMPTS} attempts");
}
