//! Who may reach a local emulator (docs/decisions.md item 33). The emulator runs beside the
//! browser its user reads mail in, so it answers only that user's programs:
//!
//! - every route checks `Host` against an allow-list ([`AllowedHosts`]): a page whose name was
//!   rebound to 127.0.0.1 (DNS rebinding) sends its own name, and is refused;
//! - the control API and the inspector refuse cross-site requests ([`cross_site`]), except a
//!   top-level `GET` navigation, so a link to the inspector from elsewhere still opens it;
//! - control requests that change something must be JSON ([`control_body_is_json`]): a page can
//!   send a `text/plain` `POST` without asking, but not an `application/json` one;
//! - the inspector's pages may not be framed, sniffed, or leak their URL through a referrer
//!   ([`page_headers`]).

use std::fmt;
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::error::ApiError;

/// The command-line option that adds allowed host names, named in refusals.
pub(crate) const ALLOWED_HOST_OPTION: &str = "--allowed-host";

/// The `Host` names a local emulator answers.
///
/// Always: IP literals (a page cannot rebind a name to one: its origin would then be the
/// emulator's own address), `localhost` and names under `.localhost` (browsers resolve those to
/// loopback themselves, never through DNS: RFC 6761 §6.3). Beside those, the names added with
/// [`AllowedHosts::allow`] (a Compose service name, say), or anything with [`AllowedHosts::any`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    any: bool,
    /// Lower-case names, each with or without a port.
    extra: Vec<String>,
}

impl AllowedHosts {
    /// The loopback names and addresses only.
    pub fn loopback() -> Self {
        Self::default()
    }

    /// No check at all (`--allowed-host '*'`): any page a browser on this machine opens may
    /// reach the emulator through a rebound name.
    pub fn any() -> Self {
        Self {
            any: true,
            extra: Vec::new(),
        }
    }

    /// Adds `name` (`emulator`, or `emulator:8787` for that port only); `*` turns the check off.
    pub fn allow(mut self, name: &str) -> Self {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if name == "*" {
            self.any = true;
        } else if !name.is_empty() && !self.extra.contains(&name) {
            self.extra.push(name);
        }
        self
    }

    /// Whether the check is off.
    pub fn allows_any(&self) -> bool {
        self.any
    }

    /// Whether a request whose `Host` (or `Origin` authority) is `authority` is answered.
    pub fn allows(&self, authority: &str) -> bool {
        if self.any {
            return true;
        }
        let Some((name, port)) = split_authority(authority) else {
            return false;
        };
        if name.parse::<IpAddr>().is_ok() || name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        self.extra.iter().any(|allowed| match port {
            Some(port) => *allowed == name || *allowed == format!("{name}:{port}"),
            None => *allowed == name,
        })
    }
}

impl fmt::Display for AllowedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            return f.write_str("any host");
        }
        f.write_str("localhost, IP addresses")?;
        for name in &self.extra {
            write!(f, ", {name}")?;
        }
        Ok(())
    }
}

/// `Host: Name.Example.:8080` → (`name.example`, Some(8080)); `[::1]:80` → (`::1`, Some(80)).
/// `None` when it is not a host name or address with an optional port.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    let (name, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (address, port)
    } else {
        match authority.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'));
    valid.then_some((name, port))
}

/// A fresh secret for a local server: `prefix` and 32 random bytes, base64url (the control key of
/// a durable emulator, the keys of the CLI's local store).
pub fn random_key(prefix: &str) -> String {
    use base64::Engine;
    use rand::Rng;
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The refusal of a request whose `Host` is not allowed; `None` when it is. A request without
/// `Host` (HTTP/1.0 tools; never a browser, which always sends one) is answered.
pub(crate) fn host_refusal(
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    allowed: &AllowedHosts,
) -> Option<ApiError> {
    if allowed.allows_any() {
        return None;
    }
    let host = match headers.get(header::HOST) {
        Some(value) => Some(value.to_str().unwrap_or("(not text)")),
        // A request in absolute form names its host in the target.
        None => uri.authority().map(|a| a.as_str()),
    }?;
    if allowed.allows(host) {
        return None;
    }
    let shown: String = host.chars().take(100).collect();
    Some(ApiError::application(
        StatusCode::FORBIDDEN,
        "HOST_NOT_ALLOWED",
        &format!(
            "this emulator answers requests for {allowed} only, not for Host {shown:?}; \
             start it with {ALLOWED_HOST_OPTION} NAME to add a name (as a DNS-rebinding guard, \
             a local server refuses names it does not know)"
        ),
    ))
}

/// Why a control or inspector request is refused as cross-site; `None` when it may go on.
///
/// A browser marks every request with `Sec-Fetch-Site`; only `same-origin` and `none` (typed
/// in the address bar, a bookmark) are the user's own, and where it is sent it decides. Without
/// it (older browsers) an `Origin` must be an allowed host; `Origin: null` (a sandboxed page, a
/// `data:` URL) never is. A
/// top-level `GET` navigation is let through from anywhere: it cannot read the answer, and a
/// link to the inspector in another page must open it.
pub(crate) fn cross_site(
    method: &Method,
    headers: &HeaderMap,
    allowed: &AllowedHosts,
) -> Option<String> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let navigation = *method == Method::GET
        && text("sec-fetch-mode") == Some("navigate")
        && text("sec-fetch-dest").is_none_or(|dest| dest == "document");
    if navigation {
        return None;
    }
    // Where the browser sends Fetch Metadata, it decides: a same-origin form of a page served
    // with `Referrer-Policy: no-referrer` is sent with `Origin: null`.
    if let Some(site) = text("sec-fetch-site") {
        return (!matches!(site, "same-origin" | "none"))
            .then(|| format!("Sec-Fetch-Site: {site}"));
    }
    match headers.get(header::ORIGIN).map(HeaderValue::to_str) {
        None => None,
        Some(Ok("null")) => Some("Origin: null".to_owned()),
        Some(Ok(origin)) => {
            let authority = origin
                .split_once("://")
                .map(|(_, authority)| authority)
                .unwrap_or("");
            (!allowed.allows(authority)).then(|| format!("Origin: {origin}"))
        }
        Some(Err(_)) => Some("an Origin that is not text".to_owned()),
    }
}

/// The 403 for [`cross_site`]'s reason.
pub(crate) fn cross_site_refusal(reason: &str) -> ApiError {
    ApiError::application(
        StatusCode::FORBIDDEN,
        "CROSS_SITE_REQUEST",
        &format!(
            "the emulator's control API and inspector answer the user's own programs and pages \
             only; refused a cross-site request ({reason})"
        ),
    )
}

/// Whether `headers` declare a JSON body (`application/json`, any parameters, or a `+json`
/// type).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The 415 for a body that is not declared JSON.
pub(crate) fn not_json(headers: &HeaderMap) -> ApiError {
    let given = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"))
        .unwrap_or("none");
    let shown: String = given.chars().take(100).collect();
    ApiError::application(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        &format!("the body must be JSON, sent with Content-Type: application/json (got {shown})"),
    )
}

/// Whether a control request may change something only if declared JSON: every `POST` (the one
/// state-changing method a page may send without a preflight, body or not), and any request with
/// a body.
pub(crate) fn control_body_is_json(method: &Method, headers: &HeaderMap) -> bool {
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|length| length.trim() != "0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    let needs_json = *method == Method::POST || has_body;
    !needs_json || is_json(headers)
}

/// Headers of every inspector and control answer: never framed, never sniffed, no referrer (a
/// `?key=` link must not travel on).
pub(crate) fn page_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// The Content-Security-Policy of an HTML page whose `<style>` elements hold `styles`: nothing
/// but itself, its own styles (by hash), forms to itself, never framed.
pub(crate) fn content_security_policy<'a>(styles: impl IntoIterator<Item = &'a str>) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut policy = String::from("default-src 'self'; style-src 'self'");
    for style in styles {
        let digest = sha2::Sha256::digest(style.as_bytes());
        policy.push_str(" 'sha256-");
        policy.push_str(&base64::engine::general_purpose::STANDARD.encode(digest));
        policy.push('\'');
    }
    policy.push_str(
        "; img-src 'self' data:; script-src 'none'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
    );
    policy
}

/// The text of each `<style>` element of an HTML page (ours: maud writes `<style>` bare).
pub(crate) fn inline_styles(html: &str) -> Vec<&str> {
    let mut styles = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<style>") {
        let after = &rest[start + "<style>".len()..];
        let Some(end) = after.find("</style>") else {
            break;
        };
        styles.push(&after[..end]);
        rest = &after[end + "</style>".len()..];
    }
    styles
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, Method};

    use super::*;

    #[test]
    fn hosts_are_loopback_names_addresses_or_added_names() {
        let default = AllowedHosts::loopback();
        let compose = AllowedHosts::loopback()
            .allow("Emulator")
            .allow("api.test:8443");
        // (Host, allowed by default, allowed with the two added names)
        let cases = [
            ("127.0.0.1:8787", true, true),
            ("127.0.0.1", true, true),
            ("localhost:8787", true, true),
            ("LOCALHOST.:8787", true, true),
            ("app.localhost:3000", true, true),
            ("[::1]:8787", true, true),
            ("[::1]", true, true),
            ("10.0.0.5:8787", true, true),
            ("rebind.attacker.example:8787", false, false),
            ("localhost.attacker.example", false, false),
            ("127.0.0.1.nip.io:8787", false, false),
            ("emulator:8787", false, true),
            ("emulator", false, true),
            ("api.test:8443", false, true),
            ("api.test:8444", false, false),
            ("", false, false),
            ("localhost:99999", false, false),
            ("localhost:port", false, false),
            ("[::1", false, false),
            ("local host", false, false),
        ];
        for (host, by_default, with_names) in cases {
            assert_eq!(default.allows(host), by_default, "{host:?} by default");
            assert_eq!(compose.allows(host), with_names, "{host:?} with names");
        }
        assert!(
            AllowedHosts::loopback()
                .allow("*")
                .allows("anything.example")
        );
        assert!(AllowedHosts::any().allows("rebind.attacker.example:1"));
    }

    /// A request's headers, as (name, value) pairs.
    type Headers = &'static [(&'static str, &'static str)];

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cross_site_requests_are_refused_but_navigations_open() {
        let hosts = AllowedHosts::loopback();
        // (method, headers, refused)
        let cases: [(Method, Headers, bool); 14] = [
            // The inspector's own form, from a page with `Referrer-Policy: no-referrer`.
            (
                Method::POST,
                &[("origin", "null"), ("sec-fetch-site", "same-origin")],
                false,
            ),
            // A sandboxed frame of another page: Fetch Metadata says cross-site.
            (
                Method::POST,
                &[("origin", "null"), ("sec-fetch-site", "cross-site")],
                true,
            ),
            (Method::POST, &[], false),
            (Method::POST, &[("sec-fetch-site", "same-origin")], false),
            (Method::GET, &[("sec-fetch-site", "none")], false),
            (Method::POST, &[("sec-fetch-site", "cross-site")], true),
            (Method::POST, &[("sec-fetch-site", "same-site")], true),
            (
                Method::POST,
                &[
                    ("origin", "http://attacker.example"),
                    ("sec-fetch-site", "cross-site"),
                ],
                true,
            ),
            (Method::POST, &[("origin", "http://attacker.example")], true),
            (Method::POST, &[("origin", "null")], true),
            (Method::POST, &[("origin", "http://127.0.0.1:8787")], false),
            (
                Method::GET,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate"),
                    ("sec-fetch-dest", "document"),
                ],
                false,
            ),
            (
                Method::GET,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate"),
                    ("sec-fetch-dest", "iframe"),
                ],
                true,
            ),
            (
                Method::POST,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate"),
                ],
                true,
            ),
        ];
        for (method, pairs, refused) in cases {
            assert_eq!(
                cross_site(&method, &headers(pairs), &hosts).is_some(),
                refused,
                "{method} {pairs:?}"
            );
        }
    }

    #[test]
    fn control_posts_and_bodies_must_be_json() {
        let cases: [(Method, Headers, bool); 9] = [
            (Method::POST, &[], false),
            (Method::POST, &[("content-type", "text/plain")], false),
            (Method::POST, &[("content-type", "application/json")], true),
            (
                Method::POST,
                &[("content-type", "Application/JSON; charset=utf-8")],
                true,
            ),
            (
                Method::POST,
                &[("content-type", "application/x-www-form-urlencoded")],
                false,
            ),
            (Method::GET, &[], true),
            (Method::DELETE, &[], true),
            (
                Method::PUT,
                &[("content-length", "12"), ("content-type", "text/plain")],
                false,
            ),
            (Method::DELETE, &[("content-length", "0")], true),
        ];
        for (method, pairs, accepted) in cases {
            assert_eq!(
                control_body_is_json(&method, &headers(pairs)),
                accepted,
                "{method} {pairs:?}"
            );
        }
    }

    #[test]
    fn the_policy_names_each_style_by_its_hash() {
        let page = "<html><head><style>a{}</style></head><body><style>b{}</style></body></html>";
        let styles = inline_styles(page);
        assert_eq!(styles, ["a{}", "b{}"]);
        let policy = content_security_policy(styles);
        assert_eq!(policy.matches("'sha256-").count(), 2);
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.starts_with("default-src 'self'"));
        assert!(inline_styles("<style>unclosed").is_empty());
    }
}
