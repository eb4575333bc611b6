//! The request log: the last requests of each site's Wix API traffic, in one bounded ring per site
//! (`GET /_emulator/v1/requests`, the inspector, and `TestSite`'s report of a failing test).
//!
//! A record keeps what explains a call (method, path, status, latency, request id, the fault rule
//! that applied, the kind of identity), the start of the request body and, for an error, of the
//! response body. Secrets never enter it: the
//! `Authorization` header is not read; in request bodies and query strings every JSON member,
//! form field or parameter whose name says it is a secret (`appSecret`, `client_secret`, `token`,
//! `apiKey`...) is masked before the body is cut to [`BODY_PREVIEW_BYTES`]; the token endpoint's
//! errors are masked as they leave. The emulator's other error bodies name no secret, so they are
//! kept as they are (no parsing on the request path), and one whose kept start names a secret
//! anyway is withheld when the log is read. A success's body is not read at all: the log costs
//! little (BENCHMARKS.md). The control API's own requests are not logged (the
//! inspector's polling would push out what it shows).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Identity;
use crate::state::AppState;

/// Requests kept per site unless configured otherwise (`--request-log`).
pub const DEFAULT_REQUESTS_PER_SITE: usize = 200;
/// How much of each body a record keeps.
pub const BODY_PREVIEW_BYTES: usize = 1024;
/// Request bodies up to this size (by `Content-Length`) are previewed; larger or unsized ones
/// are passed through untouched and noted as not captured.
const CAPTURE_LIMIT: u64 = 64 * 1024;
/// What a masked secret reads as.
pub(crate) const MASK: &str = "<redacted>";

/// Who made a request, as far as the log says (never the credential itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum RequestIdentity {
    /// An API key with `wix-site-id`.
    ApiKey,
    /// An app's OAuth token.
    App,
    /// A site member's token.
    Member,
    /// No identity was established (missing or refused credentials, or an injected fault that
    /// answered first).
    Unknown,
}

/// The fault rule that applied to a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedFault {
    /// The rule's index in the fault list.
    pub rule: usize,
    /// What it did, such as `status 503` or `latency 200 ms`.
    pub effect: String,
}

/// One logged request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequestRecord {
    /// Grows by one per logged request, across sites.
    pub sequence: u64,
    /// When the request arrived.
    pub time: DateTime<Utc>,
    /// The site it was for, if the emulator could tell.
    pub site: Option<Uuid>,
    /// HTTP method.
    pub method: String,
    /// The path and the query string, secrets masked.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// From arrival to the answer's head, in microseconds.
    pub latency_micros: u64,
    /// The answer's `x-wix-request-id`.
    pub request_id: Option<String>,
    /// The kind of identity that made it.
    pub identity: RequestIdentity,
    /// The fault rule that applied, if any.
    pub fault: Option<AppliedFault>,
    /// The start of the request body, secrets masked (`None`: empty or not captured).
    pub request_body: Option<String>,
    /// The start of the response body of an error (status 400 or more), secrets masked; `None`
    /// for a success, whose entity the inspector's tables show.
    pub response_body: Option<String>,
    /// Where the request departed from Wix's reference pages and was accepted as Wix's documents
    /// show (the answer's `x-wix-emulator-warning` headers; docs/decisions.md item 35).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What the handlers learn about a request while it runs (the `Caller` extractor, the fault
/// layer), for the log to read afterwards.
#[derive(Debug, Default)]
pub(crate) struct RequestNote {
    inner: Mutex<NoteInner>,
}

#[derive(Debug, Default)]
struct NoteInner {
    site: Option<Uuid>,
    identity: Option<RequestIdentity>,
    fault: Option<AppliedFault>,
    warnings: Vec<String>,
}

impl RequestNote {
    /// What the request departed from Wix's reference pages in (crate::lenience).
    pub(crate) fn warned(&self, warnings: Vec<String>) {
        self.inner.lock().warnings = warnings;
    }

    /// The authenticated caller.
    pub(crate) fn identified(&self, identity: &Identity) {
        let kind = match identity {
            Identity::Admin { app_id: None, .. } => RequestIdentity::ApiKey,
            Identity::Admin {
                app_id: Some(_), ..
            } => RequestIdentity::App,
            Identity::Member { .. } => RequestIdentity::Member,
        };
        let mut inner = self.inner.lock();
        inner.site = Some(identity.site());
        inner.identity = Some(kind);
    }

    /// The fault rule `rule` applied, doing `effect`.
    pub(crate) fn faulted(&self, rule: usize, effect: String) {
        self.inner.lock().fault = Some(AppliedFault { rule, effect });
    }
}

/// The rings, one per site (and one for requests of no known site).
#[derive(Debug)]
pub(crate) struct RequestLog {
    per_site: usize,
    rings: Mutex<Rings>,
}

#[derive(Debug, Default)]
struct Rings {
    next: u64,
    by_site: HashMap<Option<Uuid>, VecDeque<Entry>>,
}

/// A logged request as kept: cheap to make on the request path (no parsing, no copy of a short
/// body), rendered into a [`RequestRecord`] only when someone reads the log.
#[derive(Debug)]
struct Entry {
    sequence: u64,
    time: DateTime<Utc>,
    site: Option<Uuid>,
    method: Method,
    path: String,
    status: u16,
    latency_micros: u64,
    request_id: Option<HeaderValue>,
    identity: RequestIdentity,
    fault: Option<AppliedFault>,
    request_body: Option<String>,
    response_body: Option<KeptBody>,
    warnings: Vec<String>,
}

/// The start of a response body.
#[derive(Debug)]
enum KeptBody {
    /// As it came (the emulator's Wix answers name no secret but the token endpoint's), at most
    /// [`BODY_PREVIEW_BYTES`] of `total`.
    Raw { start: Bytes, total: usize },
    /// Masked as it came (the token endpoint's answer).
    Shown(String),
}

impl KeptBody {
    fn new(body: &Bytes, content_type: &str, mask_now: bool) -> Self {
        if mask_now {
            return Self::Shown(preview(body, content_type));
        }
        let start = if body.len() <= BODY_PREVIEW_BYTES {
            body.clone()
        } else {
            Bytes::copy_from_slice(&body[..BODY_PREVIEW_BYTES])
        };
        Self::Raw {
            start,
            total: body.len(),
        }
    }

    fn render(&self) -> String {
        match self {
            Self::Raw { start, total } if names_a_secret(start) => {
                format!("({total} bytes, not shown: it names a secret)")
            }
            Self::Raw { start, total } => plain_preview(start, *total),
            Self::Shown(text) => text.clone(),
        }
    }
}

impl Entry {
    fn record(&self) -> RequestRecord {
        RequestRecord {
            sequence: self.sequence,
            time: self.time,
            site: self.site,
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            latency_micros: self.latency_micros,
            request_id: self
                .request_id
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            identity: self.identity,
            fault: self.fault.clone(),
            request_body: self.request_body.clone(),
            response_body: self.response_body.as_ref().map(KeptBody::render),
            warnings: self.warnings.clone(),
        }
    }
}

impl RequestLog {
    /// `per_site` requests per ring; 0 keeps none.
    pub(crate) fn new(per_site: usize) -> Self {
        Self {
            per_site,
            rings: Mutex::new(Rings::default()),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.per_site > 0
    }

    fn push(&self, mut record: Entry) {
        if self.per_site == 0 {
            return;
        }
        let pushed_out = {
            let mut rings = self.rings.lock();
            record.sequence = rings.next;
            rings.next += 1;
            let ring = rings.by_site.entry(record.site).or_default();
            let pushed_out = if ring.len() == self.per_site {
                ring.pop_front()
            } else {
                None
            };
            ring.push_back(record);
            pushed_out
        };
        // Freed after the lock: requests on other threads do not wait for it.
        drop(pushed_out);
    }

    /// The newest `limit` records, newest first: of one site (`Some`), or of all (`None`).
    pub(crate) fn recent(&self, site: Option<Uuid>, limit: usize) -> Vec<RequestRecord> {
        let rings = self.rings.lock();
        let mut records: Vec<&Entry> = match site {
            Some(site) => rings
                .by_site
                .get(&Some(site))
                .map(|ring| ring.iter().collect())
                .unwrap_or_default(),
            None => rings.by_site.values().flatten().collect(),
        };
        records.sort_unstable_by_key(|record| std::cmp::Reverse(record.sequence));
        records.into_iter().take(limit).map(Entry::record).collect()
    }

    /// Forgets every record (a reset).
    pub(crate) fn clear(&self) {
        self.rings.lock().by_site.clear();
    }
}

/// The middleware that logs each Wix API request (outermost, so it sees the request id header
/// and the whole latency).
pub(crate) async fn log_requests(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !app.requests.enabled() || request.uri().path().starts_with("/_emulator/") {
        return next.run(request).await;
    }
    let started = Instant::now();
    let time = Utc::now();
    let method = request.method().clone();
    let path = match request.uri().query() {
        Some(query) => format!("{}?{}", request.uri().path(), mask_query(query)),
        None => request.uri().path().to_owned(),
    };
    let header_site = request
        .headers()
        .get("wix-site-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok());
    let note = Arc::new(RequestNote::default());
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(note.clone());
    let sized = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (body, request_body) = match sized {
        Some(0) => (body, None),
        Some(length) if length <= CAPTURE_LIMIT => {
            match axum::body::to_bytes(body, CAPTURE_LIMIT as usize).await {
                Ok(bytes) => {
                    let preview = preview(&bytes, content_type(&parts.headers));
                    (Body::from(bytes), Some(preview))
                }
                // A body shorter than announced: the handler meets the same failure.
                Err(_) => (
                    Body::empty(),
                    Some("(the body could not be read)".to_owned()),
                ),
            }
        }
        Some(length) => (body, Some(format!("(not captured: {length} bytes)"))),
        None => (body, None),
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    let latency_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);

    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get(crate::app::REQUEST_ID_HEADER)
        .cloned();
    // An error's body explains it; a success's is the entity, which the inspector's tables show.
    // Only errors are read here, so a successful call pays nothing for its body (BENCHMARKS.md).
    let (response, response_body) = if status >= 400 {
        let (parts, body) = response.into_parts();
        // The emulator's answers are whole buffers, so this takes them rather than reading a
        // stream.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_else(|_| Bytes::new());
        // The token endpoint's refusals name no token, but it is masked as it leaves all the same.
        let mask_now = path.starts_with("/oauth2/");
        let kept = (!bytes.is_empty())
            .then(|| KeptBody::new(&bytes, content_type(&parts.headers), mask_now));
        (Response::from_parts(parts, Body::from(bytes)), kept)
    } else {
        (response, None)
    };

    let (site, identity, fault, warnings) = {
        let mut inner = note.inner.lock();
        (
            inner.site,
            inner.identity.take(),
            inner.fault.take(),
            std::mem::take(&mut inner.warnings),
        )
    };
    // A site named only by a header counts if it exists: a made-up id must not grow the rings.
    let site = site.or_else(|| header_site.filter(|id| app.site_exists(*id)));
    app.requests.push(Entry {
        sequence: 0,
        time,
        site,
        method,
        path,
        status,
        latency_micros,
        request_id,
        identity: identity.unwrap_or(RequestIdentity::Unknown),
        fault,
        request_body,
        response_body,
        warnings,
    });
    response
}

fn content_type(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether a member, field or parameter name says its value is a secret.
fn is_secret(name: &str) -> bool {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "secret",
        "token",
        "password",
        "apikey",
        "authorization",
        "key",
    ]
    .iter()
    .any(|word| name.contains(word))
        && name != "publickey"
}

/// A body as the log keeps it: secrets masked, then cut to [`BODY_PREVIEW_BYTES`].
///
/// Only the kept part can hold a secret, and a secret's value follows its name: a body whose
/// kept part names no secret is kept as it is, without parsing (the usual case, and the cheap
/// one); only the others are parsed and masked.
pub(crate) fn preview(bytes: &[u8], content_type: &str) -> String {
    let kept = &bytes[..bytes.len().min(BODY_PREVIEW_BYTES)];
    if !names_a_secret(kept) {
        return plain_preview(kept, bytes.len());
    }
    let masked = if let Ok(mut json) = serde_json::from_slice::<Value>(bytes) {
        mask_json(&mut json);
        json.to_string()
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        mask_query(&String::from_utf8_lossy(bytes))
    } else {
        // Neither JSON nor a form, yet naming a secret: nothing of it is kept.
        return format!("({} bytes, not kept: it names a secret)", bytes.len());
    };
    truncate(masked, BODY_PREVIEW_BYTES)
}

/// `kept`, the start of a body of `total` bytes, as text saying how much was left out.
fn plain_preview(kept: &[u8], total: usize) -> String {
    // A cut inside a character drops the character (it continues beyond the kept part).
    let whole = match std::str::from_utf8(kept) {
        Err(e) if e.error_len().is_none() && kept.len() < total => &kept[..e.valid_up_to()],
        _ => kept,
    };
    let mut text = String::from_utf8_lossy(whole).into_owned();
    if whole.len() < total {
        text.push_str(&format!("… (+{} bytes)", total - whole.len()));
    }
    text
}

/// Whether `bytes` contain a word [`is_secret`] looks for, in any case (a fast, conservative
/// test: a match only sends the body the slow, exact way).
fn names_a_secret(bytes: &[u8]) -> bool {
    const WORDS: [&[u8]; 6] = [
        b"secret",
        b"token",
        b"password",
        b"apikey",
        b"authorization",
        b"key",
    ];
    bytes.windows(3).enumerate().any(|(at, window)| {
        // Every word starts with one of these letters: test the words only there.
        matches!(window[0] | 0x20, b's' | b't' | b'p' | b'a' | b'k')
            && WORDS.iter().any(|word| {
                bytes.len() - at >= word.len()
                    && bytes[at..at + word.len()].eq_ignore_ascii_case(word)
            })
    })
}

fn mask_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if is_secret(key) && !member.is_null() {
                    *member = Value::String(MASK.to_owned());
                } else {
                    mask_json(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// `a=1&client_secret=x` → `a=1&client_secret=<redacted>`.
fn mask_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => format!("{name}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Cuts `text` to at most `limit` bytes on a character boundary, saying how much was left out.
fn truncate(mut text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let left = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… (+{left} bytes)"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_wherever_they_are_named() {
        let cases = [
            (
                r#"{"grant_type":"client_credentials","client_id":"app","client_secret":"s3"}"#,
                "",
                r#"{"client_id":"app","client_secret":"<redacted>","grant_type":"client_credentials"}"#,
            ),
            (
                r#"{"siteId":"x","apiKey":"k","appSecret":"s","nested":[{"access_token":"t"}]}"#,
                "",
                r#"{"apiKey":"<redacted>","appSecret":"<redacted>","nested":[{"access_token":"<redacted>"}],"siteId":"x"}"#,
            ),
            (
                "grant_type=client_credentials&client_secret=s3&client_id=a",
                "application/x-www-form-urlencoded",
                "grant_type=client_credentials&client_secret=<redacted>&client_id=a",
            ),
            (
                r#"{"publicKey":"pem","token":null}"#,
                "",
                r#"{"publicKey":"pem","token":null}"#,
            ),
            (
                "plain text, nothing hidden",
                "text/plain",
                "plain text, nothing hidden",
            ),
            (
                "plain text naming a SECRET",
                "text/plain",
                "(26 bytes, not kept: it names a secret)",
            ),
        ];
        for (body, content_type, expected) in cases {
            let kept = preview(body.as_bytes(), content_type);
            match serde_json::from_str::<Value>(expected) {
                // JSON is compared as JSON: member order is serde_json's business.
                Ok(expected) => assert_eq!(
                    serde_json::from_str::<Value>(&kept).unwrap(),
                    expected,
                    "{body}"
                ),
                Err(_) => assert_eq!(kept, expected, "{body}"),
            }
        }
        assert_eq!(
            mask_query("revision=2&key=abc"),
            "revision=2&key=<redacted>"
        );
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary_saying_how_much_is_left() {
        assert_eq!(truncate("short".into(), 10), "short");
        assert_eq!(truncate("abcdef".into(), 4), "abcd… (+2 bytes)");
        // "é" is two bytes: a cut inside it moves back.
        assert_eq!(truncate("aé".into(), 2), "a… (+2 bytes)");
        let long = "x".repeat(5000);
        let kept = preview(long.as_bytes(), "text/plain");
        assert!(kept.starts_with(&"x".repeat(BODY_PREVIEW_BYTES)));
        assert!(kept.ends_with("… (+3976 bytes)"), "{kept}");
    }

    fn record(site: Option<Uuid>) -> Entry {
        Entry {
            sequence: 0,
            time: Utc::now(),
            site,
            method: Method::GET,
            path: "/x".into(),
            status: 200,
            latency_micros: 1,
            request_id: None,
            identity: RequestIdentity::ApiKey,
            fault: None,
            request_body: None,
            response_body: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn each_site_keeps_its_newest_requests_and_no_more() {
        let log = RequestLog::new(3);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        for _ in 0..5 {
            log.push(record(Some(a)));
        }
        log.push(record(Some(b)));
        log.push(record(None));
        let of_a = log.recent(Some(a), 10);
        assert_eq!(
            of_a.iter().map(|r| r.sequence).collect::<Vec<_>>(),
            [4, 3, 2],
            "newest first, the two oldest pushed out"
        );
        assert_eq!(log.recent(Some(b), 10).len(), 1);
        assert_eq!(
            log.recent(None, 2)
                .iter()
                .map(|r| r.sequence)
                .collect::<Vec<_>>(),
            [6, 5]
        );
        log.clear();
        assert!(log.recent(None, 10).is_empty());
        assert!(!RequestLog::new(0).enabled());
    }
}
