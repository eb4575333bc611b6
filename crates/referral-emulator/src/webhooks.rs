//! Webhook delivery: each domain event becomes an RS256 JWT whose `data` claim is the Wix
//! three-layer envelope (docs/platform.md §5, docs/decisions.md item 25), POSTed to every
//! registered URL, with retries on failure.
//!
//! Webhooks never slow the API down (docs/decisions.md item 34). A write hands its events over
//! as plain data ([`Dispatcher::dispatch`]: a queue push, no signing, no I/O); one delivery
//! thread of its own, at the lowest CPU priority, signs and sends them. What waits is bounded
//! ([`DeliverySettings`]): deliveries in flight per receiver and in all, and the pending ones,
//! of which the oldest are dropped (and shown as dropped) when the queue is full.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use uuid::Uuid;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::auth::Identity;
use crate::model::wix_date;
use crate::site::{DomainEvent, Site, now, random_uuid};

/// How webhooks are delivered, and the bounds on what waits (`Settings::webhooks`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliverySettings {
    /// Attempts per delivery (default 5).
    pub attempts: u32,
    /// The wait before the second attempt, doubling after each (default 100 ms).
    pub first_backoff: Duration,
    /// How long one attempt may take, connecting included (default 1.25 s).
    pub timeout: Duration,
    /// Deliveries in flight to one receiver at once (default 8); a receiver that never answers
    /// holds no more than this many.
    pub per_receiver: usize,
    /// Deliveries in flight in all (default 64).
    pub in_flight: usize,
    /// Deliveries waiting to be sent, across receivers (default 10 000); when a new one comes
    /// and the queue is full, the oldest waiting one is dropped.
    pub queue: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_backoff: Duration::from_millis(100),
            timeout: Duration::from_millis(1250),
            per_receiver: 8,
            in_flight: 64,
            queue: 10_000,
        }
    }
}

impl DeliverySettings {
    /// At least one attempt, one delivery in flight and one waiting.
    fn bounded(mut self) -> Self {
        self.attempts = self.attempts.max(1);
        self.per_receiver = self.per_receiver.max(1);
        self.in_flight = self.in_flight.max(1);
        self.queue = self.queue.max(1);
        self
    }
}

/// Receivers a site may register: each holds its own queue.
pub(crate) const MAX_RECEIVERS_PER_SITE: usize = 20;

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

/// One event on its way out: everything its envelope is made of, fixed when it was queued, so
/// that the delivery and the inspector show the same envelope.
pub(crate) struct OutgoingEvent {
    id: Uuid,
    time: DateTime<Utc>,
    instance_id: Uuid,
    identity: Value,
    event: DomainEvent,
    /// Signed once, by the delivery thread, for every receiver.
    jwt: OnceLock<Result<String, String>>,
}

/// What a write hands to the webhooks: its events and what their envelopes need of the site,
/// taken under the state lock (plain data, no rendering beyond the entities) and dispatched
/// after it is released.
pub(crate) struct Outgoing {
    site: Uuid,
    instance_id: Uuid,
    identity: Value,
    urls: Vec<Arc<str>>,
    events: Vec<DomainEvent>,
}

impl Outgoing {
    /// Takes `site`'s queued events, if it has any and a receiver to send them to. `caller` is
    /// who made the change; `None` for the emulator's own (control API) changes.
    pub(crate) fn take(site: &mut Site, caller: Option<&Identity>) -> Option<Self> {
        if site.outbox.is_empty() {
            return None;
        }
        let events = std::mem::take(&mut site.outbox);
        if site.webhooks.is_empty() {
            return None;
        }
        Some(Self {
            site: site.id,
            instance_id: site.instance_id,
            identity: identity_json(site, caller),
            urls: site
                .webhooks
                .iter()
                .map(|url| Arc::from(url.as_str()))
                .collect(),
            events,
        })
    }
}

impl OutgoingEvent {
    fn new(instance_id: Uuid, identity: Value, event: DomainEvent) -> Self {
        Self {
            id: random_uuid(&mut rand::thread_rng()),
            time: now(),
            instance_id,
            identity,
            event,
            jwt: OnceLock::new(),
        }
    }

    fn event_type(&self) -> String {
        format!("{}_{}", self.event.entity_fqdn, self.event.slug)
    }

    /// The parsed `data.data` body.
    fn body(&self) -> Value {
        let event = &self.event;
        let payload = match event.slug {
            "created" => json!({"createdEvent": {"entity": event.entity}}),
            "deleted" => json!({"deletedEvent": {"deletedEntity": event.entity}}),
            _ => json!({"updatedEvent": {"currentEntity": event.entity}}),
        };
        let mut body = json!({
            "id": self.id,
            "entityFqdn": event.entity_fqdn,
            "slug": event.slug,
            "eventTime": wix_date(&self.time),
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

    /// The envelope, decoded (in the token, `identity` and `data` are JSON strings).
    pub(crate) fn envelope(&self) -> Value {
        json!({
            "eventType": self.event_type(),
            "instanceId": self.instance_id,
            "identity": self.identity,
            "data": self.body(),
        })
    }
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

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum DeliveryState {
    /// Waiting for a free slot.
    Queued,
    /// Being attempted (or waiting between attempts).
    Sending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt failed.
    GaveUp,
    /// Never sent: the queue was full and newer deliveries came.
    Dropped,
}

impl DeliveryState {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Delivered => "delivered",
            Self::GaveUp => "gave up",
            Self::Dropped => "dropped",
        }
    }
}

#[derive(Clone, Debug)]
struct Progress {
    state: DeliveryState,
    attempts: u32,
    last_outcome: Option<String>,
}

/// One event for one receiver.
pub(crate) struct Delivery {
    site: Uuid,
    url: Arc<str>,
    event: Arc<OutgoingEvent>,
    progress: Mutex<Progress>,
}

impl Delivery {
    fn set(&self, state: DeliveryState) {
        self.progress.lock().state = state;
    }
}

/// One webhook delivery as the inspector shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryRecord {
    pub time: DateTime<Utc>,
    pub event_type: String,
    pub entity_id: Option<Uuid>,
    pub url: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The receiver's last status, or why the last attempt failed.
    pub last_outcome: Option<String>,
    /// The decoded envelope: `eventType`, `instanceId`, `identity` and the body.
    pub envelope: Value,
}

impl DeliveryRecord {
    fn of(delivery: &Delivery) -> Self {
        let progress = delivery.progress.lock().clone();
        Self {
            time: delivery.event.time,
            event_type: delivery.event.event_type(),
            entity_id: delivery.event.event.entity_id,
            url: delivery.url.to_string(),
            state: progress.state,
            attempts: progress.attempts,
            last_outcome: progress.last_outcome,
            envelope: delivery.event.envelope(),
        }
    }
}

/// Deliveries kept per site for the inspector.
pub(crate) const DELIVERIES_PER_SITE: usize = 100;

/// The last deliveries of each site.
#[derive(Default)]
pub(crate) struct DeliveryLog {
    by_site: Mutex<HashMap<Uuid, VecDeque<Arc<Delivery>>>>,
}

impl DeliveryLog {
    fn add(&self, delivery: &Arc<Delivery>) {
        let mut by_site = self.by_site.lock();
        let ring = by_site.entry(delivery.site).or_default();
        if ring.len() == DELIVERIES_PER_SITE {
            ring.pop_front();
        }
        ring.push_back(delivery.clone());
    }

    /// `site`'s deliveries, newest first (their envelopes are built here, not when queued).
    pub(crate) fn of(&self, site: Uuid) -> Vec<DeliveryRecord> {
        let deliveries: Vec<Arc<Delivery>> = self
            .by_site
            .lock()
            .get(&site)
            .map(|ring| ring.iter().rev().cloned().collect())
            .unwrap_or_default();
        deliveries.iter().map(|d| DeliveryRecord::of(d)).collect()
    }

    pub(crate) fn clear(&self) {
        self.by_site.lock().clear();
    }
}

/// What waits for each receiver, and what is in flight: the delivery thread's schedule.
#[derive(Default)]
struct Queues {
    receivers: HashMap<Arc<str>, ReceiverQueue>,
    waiting: usize,
    in_flight: usize,
    /// Stamps deliveries in arrival order, so the oldest waiting one can be found.
    arrivals: u64,
    closed: bool,
}

#[derive(Default)]
struct ReceiverQueue {
    waiting: VecDeque<(u64, Arc<Delivery>)>,
    in_flight: usize,
}

/// What [`Queues::push`] did.
struct Pushed {
    /// The delivery dropped to make room, if the queue was full.
    dropped: Option<Arc<Delivery>>,
    /// Whether the new delivery's receiver, and the whole, have room in flight: only then is
    /// the delivery thread worth waking (otherwise a delivery ending wakes it).
    startable: bool,
}

impl Queues {
    /// Queues `delivery`.
    fn push(&mut self, delivery: Arc<Delivery>, limits: &DeliverySettings) -> Pushed {
        let arrival = self.arrivals;
        self.arrivals += 1;
        let queue = self.receivers.entry(delivery.url.clone()).or_default();
        let startable = queue.in_flight < limits.per_receiver && self.in_flight < limits.in_flight;
        queue.waiting.push_back((arrival, delivery));
        self.waiting += 1;
        Pushed {
            dropped: self.drop_oldest_beyond(limits.queue),
            startable,
        }
    }

    /// Drops the oldest waiting delivery while more than `limit` wait (a scan of the
    /// receivers, only when full).
    fn drop_oldest_beyond(&mut self, limit: usize) -> Option<Arc<Delivery>> {
        if self.waiting <= limit {
            return None;
        }
        // Full: the oldest waiting delivery goes (a scan of the receivers, only when full).
        let oldest = self
            .receivers
            .iter()
            .filter_map(|(url, queue)| queue.waiting.front().map(|(at, _)| (*at, url.clone())))
            .min_by_key(|(at, _)| *at)
            .map(|(_, url)| url)?;
        let queue = self.receivers.get_mut(&oldest)?;
        let (_, dropped) = queue.waiting.pop_front()?;
        self.waiting -= 1;
        self.forget_if_idle(&oldest);
        Some(dropped)
    }

    /// The deliveries that may start now: round the receivers, within both in-flight bounds.
    fn take_ready(&mut self, limits: &DeliverySettings) -> Vec<Arc<Delivery>> {
        let mut ready = Vec::new();
        let mut progress = true;
        while progress && self.in_flight < limits.in_flight {
            progress = false;
            for queue in self.receivers.values_mut() {
                if self.in_flight >= limits.in_flight {
                    break;
                }
                if queue.in_flight >= limits.per_receiver {
                    continue;
                }
                if let Some((_, delivery)) = queue.waiting.pop_front() {
                    queue.in_flight += 1;
                    self.in_flight += 1;
                    self.waiting -= 1;
                    ready.push(delivery);
                    progress = true;
                }
            }
        }
        ready
    }

    /// A delivery to `url` ended (delivered or given up).
    fn finished(&mut self, url: &Arc<str>) {
        if let Some(queue) = self.receivers.get_mut(url) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        self.forget_if_idle(url);
    }

    fn forget_if_idle(&mut self, url: &Arc<str>) {
        if self
            .receivers
            .get(url)
            .is_some_and(|queue| queue.waiting.is_empty() && queue.in_flight == 0)
        {
            self.receivers.remove(url);
        }
    }
}

/// What the requests and the delivery thread share.
struct Inner {
    settings: DeliverySettings,
    signer: Arc<Signer>,
    queues: Mutex<Queues>,
    wake: tokio::sync::Notify,
}

/// Takes events from writes and hands them to the delivery thread, started with the first
/// delivery; dropping the dispatcher ends the thread.
pub(crate) struct Dispatcher {
    inner: Arc<Inner>,
    worker: OnceLock<()>,
    /// What was sent, for the inspector.
    pub(crate) log: Arc<DeliveryLog>,
}

impl Dispatcher {
    pub(crate) fn new(settings: DeliverySettings, signer: Arc<Signer>) -> Self {
        let log = Arc::new(DeliveryLog::default());
        Self {
            inner: Arc::new(Inner {
                settings: settings.bounded(),
                signer,
                queues: Mutex::new(Queues::default()),
                wake: tokio::sync::Notify::new(),
            }),
            worker: OnceLock::new(),
            log,
        }
    }

    /// Queues a write's events for every receiver: no signing and no I/O, and the delivery
    /// thread is woken only when it has room to start one.
    pub(crate) fn dispatch(&self, outgoing: Outgoing) {
        let Outgoing {
            site,
            instance_id,
            identity,
            urls,
            events,
        } = outgoing;
        let mut dropped = Vec::new();
        let mut startable = false;
        {
            let mut queues = self.inner.queues.lock();
            for event in events {
                let event = Arc::new(OutgoingEvent::new(instance_id, identity.clone(), event));
                for url in &urls {
                    let delivery = Arc::new(Delivery {
                        site,
                        url: url.clone(),
                        event: event.clone(),
                        progress: Mutex::new(Progress {
                            state: DeliveryState::Queued,
                            attempts: 0,
                            last_outcome: None,
                        }),
                    });
                    self.log.add(&delivery);
                    let pushed = queues.push(delivery, &self.inner.settings);
                    dropped.extend(pushed.dropped);
                    startable |= pushed.startable;
                }
            }
        }
        if !dropped.is_empty() {
            tracing::debug!(
                count = dropped.len(),
                "webhooks dropped: the delivery queue is full"
            );
        }
        for delivery in dropped {
            delivery.set(DeliveryState::Dropped);
        }
        self.worker.get_or_init(|| start_worker(self.inner.clone()));
        if startable {
            self.inner.wake.notify_one();
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.inner.queues.lock().closed = true;
        self.inner.wake.notify_one();
    }
}

/// The delivery thread: a runtime of its own at the lowest CPU priority, so signing and
/// sending only use what the API leaves.
fn start_worker(inner: Arc<Inner>) {
    let started = std::thread::Builder::new()
        .name("webhook-delivery".into())
        .spawn(move || {
            lower_priority();
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(run(inner)),
                Err(err) => tracing::warn!(%err, "webhooks cannot be delivered"),
            }
        });
    if let Err(err) = started {
        tracing::warn!(%err, "webhooks cannot be delivered: no delivery thread");
    }
}

/// `SCHED_IDLE` on this thread: it runs on CPU that no other thread wants, and any request's
/// thread that wakes up takes the core from it at once (nice 19 alone still took a third of a
/// core under load: BENCHMARKS.md).
#[cfg(target_os = "linux")]
fn lower_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(err) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle)
    {
        tracing::debug!(?err, "the delivery thread keeps its priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

async fn run(inner: Arc<Inner>) {
    let client = match reqwest::Client::builder()
        .timeout(inner.settings.timeout)
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            tracing::warn!(%err, "webhooks cannot be delivered: no HTTP client");
            return;
        }
    };
    loop {
        let ready = {
            let mut queues = inner.queues.lock();
            if queues.closed {
                return;
            }
            queues.take_ready(&inner.settings)
        };
        for delivery in ready {
            let inner = inner.clone();
            let client = client.clone();
            tokio::spawn(async move {
                deliver(&inner, &client, &delivery).await;
                inner.queues.lock().finished(&delivery.url);
                inner.wake.notify_one();
            });
        }
        // A wake-up that came since the queues were read is kept as a permit: none is lost.
        inner.wake.notified().await;
    }
}

async fn deliver(inner: &Inner, client: &reqwest::Client, delivery: &Delivery) {
    delivery.set(DeliveryState::Sending);
    let signed = delivery
        .event
        .jwt
        .get_or_init(|| inner.signer.sign(&claims_of(&delivery.event.envelope())));
    let jwt = match signed {
        Ok(jwt) => jwt.clone(),
        Err(err) => {
            let mut progress = delivery.progress.lock();
            progress.state = DeliveryState::GaveUp;
            progress.last_outcome = Some(format!("not signed: {err}"));
            return;
        }
    };
    let settings = &inner.settings;
    let mut backoff = settings.first_backoff;
    for attempt in 1..=settings.attempts {
        let sent = client
            .post(&*delivery.url)
            .header("content-type", "text/plain")
            .body(jwt.clone())
            .send()
            .await;
        let delivered = matches!(&sent, Ok(response) if response.status().is_success());
        {
            let mut progress = delivery.progress.lock();
            progress.attempts = attempt;
            progress.last_outcome = Some(match &sent {
                Ok(response) => response.status().as_u16().to_string(),
                Err(err) => format!("not delivered: {err}"),
            });
            progress.state = if delivered {
                DeliveryState::Delivered
            } else if attempt == settings.attempts {
                DeliveryState::GaveUp
            } else {
                DeliveryState::Sending
            };
        }
        if delivered {
            return;
        }
        if attempt < settings.attempts {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
    }
    tracing::warn!(url = %delivery.url, attempts = settings.attempts, "webhook given up");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(url: &str) -> Arc<Delivery> {
        let event = DomainEvent {
            entity_fqdn: crate::site::CUSTOMER_FQDN,
            slug: "created",
            entity_id: None,
            entity: json!({}),
            sequence: 1,
        };
        Arc::new(Delivery {
            site: Uuid::nil(),
            url: Arc::from(url),
            event: Arc::new(OutgoingEvent::new(Uuid::nil(), json!({}), event)),
            progress: Mutex::new(Progress {
                state: DeliveryState::Queued,
                attempts: 0,
                last_outcome: None,
            }),
        })
    }

    fn limits(per_receiver: usize, in_flight: usize, queue: usize) -> DeliverySettings {
        DeliverySettings {
            per_receiver,
            in_flight,
            queue,
            ..DeliverySettings::default()
        }
    }

    /// (receivers of the pushed deliveries in order, limits, what starts, what is dropped)
    #[test]
    fn the_schedule_keeps_every_bound_and_drops_the_oldest() {
        type Case = (
            &'static [&'static str],
            DeliverySettings,
            usize,
            &'static [usize],
        );
        let cases: [Case; 5] = [
            // Within every bound: all start.
            (&["a", "b", "a"], limits(8, 64, 100), 3, &[]),
            // One receiver: at most per_receiver in flight; the rest wait.
            (&["a", "a", "a", "a"], limits(2, 64, 100), 2, &[]),
            // Two receivers, in-flight bound 3 in all.
            (&["a", "a", "b", "b"], limits(2, 3, 100), 3, &[]),
            // A queue of 2: the third push drops the first, the fourth the second.
            (&["a", "b", "a", "b"], limits(8, 64, 2), 2, &[0, 1]),
            // The oldest across receivers goes, whichever receiver it waits for.
            (&["b", "a", "a"], limits(8, 64, 2), 2, &[0]),
        ];
        for (urls, limits, started, dropped_at) in cases {
            let mut queues = Queues::default();
            let pushed: Vec<Arc<Delivery>> = urls.iter().map(|url| delivery(url)).collect();
            let mut dropped = Vec::new();
            let mut startable = 0;
            for delivery in &pushed {
                let outcome = queues.push(delivery.clone(), &limits);
                dropped.extend(outcome.dropped);
                startable += usize::from(outcome.startable);
            }
            // Nothing is in flight yet: every push finds room.
            assert_eq!(startable, urls.len(), "{urls:?} startable");
            let expected: Vec<*const Delivery> = dropped_at
                .iter()
                .map(|i| Arc::as_ptr(&pushed[*i]))
                .collect();
            let got: Vec<*const Delivery> = dropped.iter().map(Arc::as_ptr).collect();
            assert_eq!(got, expected, "{urls:?} dropped");
            assert!(queues.waiting <= limits.queue, "{urls:?} queue bound");
            let ready = queues.take_ready(&limits);
            assert_eq!(ready.len(), started, "{urls:?} started");
            for (url, queue) in &queues.receivers {
                assert!(queue.in_flight <= limits.per_receiver, "{url} in flight");
            }
            assert!(queues.in_flight <= limits.in_flight);
            // Each that finishes lets one more start, until nothing waits; then the schedule
            // forgets the receivers.
            let mut running = ready;
            let mut total = running.len();
            while let Some(done) = running.pop() {
                queues.finished(&done.url);
                let more = queues.take_ready(&limits);
                total += more.len();
                running.extend(more);
            }
            assert_eq!(total, urls.len() - dropped_at.len(), "{urls:?} all sent");
            assert!(queues.receivers.is_empty() && queues.waiting == 0 && queues.in_flight == 0);
        }
    }
}
