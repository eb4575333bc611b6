//! A local emulator answers only its owner's programs (docs/decisions.md item 33): the attacks a
//! web page open in the same browser can make, each written as raw HTTP (a browser's `fetch`
//! would rewrite `Host`, so the test writes the request itself), are refused, and a durable
//! store is intact afterwards.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";
const PROGRAM: &str = "/_api/referral-programs/v1/program";
const SITE: &str = "11111111-1111-4111-8111-111111111111";
const API_KEY: &str = "local-emulator-key";

/// One answer, as read off the socket.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["details"]["applicationError"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body` as written, and
/// reads the whole answer (the connection is closed after it). Bounded in time and size.
async fn raw(addr: &str, head: &str, body: &str) -> Answer {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut bytes = Vec::new();
        (&mut stream)
            .take(8 * 1024 * 1024)
            .read_to_end(&mut bytes)
            .await
            .unwrap();
        bytes
    };
    let bytes = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("the emulator answers within 30 s");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect::<Vec<_>>();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// The emulator binary on a durable store, with the lines it printed at start.
struct Durable {
    child: Child,
    addr: String,
    inspector: String,
    notices: String,
}

impl Drop for Durable {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_durable(store: &Path, extra: &[&str]) -> Durable {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wix-referral-emulator"))
        .args(["--addr", "127.0.0.1:0", "--rate-limit", "0", "--state"])
        .arg(store)
        .args(extra)
        .env_remove("WIX_EMULATOR_CONTROL_KEY")
        .env_remove("WIX_EMULATOR_ALLOWED_HOSTS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the emulator starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut listening = String::new();
    let mut inspector = String::new();
    stdout.read_line(&mut listening).unwrap();
    stdout.read_line(&mut inspector).unwrap();
    // The notices come before the site line on stderr.
    let mut notices = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 || line.starts_with("site ") {
            break;
        }
        notices.push_str(&line);
    }
    let base = listening
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("not started: {listening}{notices}"))
        .to_owned();
    Durable {
        child,
        addr: base,
        inspector: inspector
            .trim()
            .strip_prefix("inspector at ")
            .unwrap()
            .to_owned(),
        notices,
    }
}

fn wix_head(method: &str, path: &str, host: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {API_KEY}\r\nwix-site-id: {SITE}"
    )
}

async fn customer_count(addr: &str) -> usize {
    let answer = raw(
        addr,
        &format!(
            "{}\r\nContent-Type: application/json",
            wix_head("POST", &format!("{CUSTOMERS}/query"), addr)
        ),
        r#"{"query": {"cursorPaging": {"limit": 100}}}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["referringCustomers"]
        .as_array()
        .map_or(0, Vec::len)
}

/// The attacks of a page in the user's browser on a durable emulator: none changes anything.
#[tokio::test]
async fn a_web_page_cannot_wipe_read_or_drive_a_durable_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    let emulator = start_durable(&store, &[]);
    let addr = emulator.addr.clone();
    // The store has a key, printed at start, in the inspector's link too.
    let key = emulator
        .inspector
        .split_once("?key=")
        .map(|(_, key)| key.to_owned())
        .expect("the inspector link carries the control key");
    assert!(key.starts_with("ck_") && key.len() > 40, "{key}");
    assert!(emulator.notices.contains(&key), "{}", emulator.notices);

    for contact in [
        "0f3c8a52-7a61-4d3e-9a3b-000000000001",
        "0f3c8a52-7a61-4d3e-9a3b-000000000002",
        "0f3c8a52-7a61-4d3e-9a3b-000000000003",
    ] {
        let answer = raw(
            &addr,
            &format!(
                "{}\r\nContent-Type: application/json",
                wix_head("POST", CUSTOMERS, &addr)
            ),
            &json!({"contactId": contact}).to_string(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_eq!(customer_count(&addr).await, 3);

    // (what, request head, body, status, code)
    let rebind = format!(
        "rebind.attacker.example:{}",
        addr.rsplit(':').next().unwrap()
    );
    let attacks: Vec<(&str, String, &str, u16, &str)> = vec![
        (
            "a cross-site reset, as a page sends it without asking",
            format!(
                "POST /_emulator/v1/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
                 Origin: http://attacker.example\r\nSec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors"
            ),
            "",
            403,
            "CROSS_SITE_REQUEST",
        ),
        (
            "a cross-site reset from an old browser (Origin only)",
            format!(
                "POST /_emulator/v1/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
                 Origin: http://attacker.example"
            ),
            "",
            403,
            "CROSS_SITE_REQUEST",
        ),
        (
            "a reset from a sandboxed page (Origin: null)",
            format!(
                "POST /_emulator/v1/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
                 Origin: null"
            ),
            "",
            403,
            "CROSS_SITE_REQUEST",
        ),
        (
            "a reset with the key but a text/plain body",
            format!(
                "POST /_emulator/v1/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
                 x-wix-emulator-control-key: {key}"
            ),
            "",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "a seed sent as text/plain",
            format!(
                "POST /_emulator/v1/sites/{SITE}/seed HTTP/1.1\r\nHost: {addr}\r\n\
                 Content-Type: text/plain\r\nx-wix-emulator-control-key: {key}"
            ),
            r#"{"customers": 2}"#,
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "a reset without the key",
            format!(
                "POST /_emulator/v1/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json"
            ),
            "",
            401,
            "CONTROL_KEY_REQUIRED",
        ),
        (
            "a shutdown without the key",
            format!(
                "POST /_emulator/v1/shutdown HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json"
            ),
            "",
            401,
            "CONTROL_KEY_REQUIRED",
        ),
        (
            "DNS rebinding: the request log",
            format!(
                "GET /_emulator/v1/requests HTTP/1.1\r\nHost: {rebind}\r\n\
                 x-wix-emulator-control-key: {key}"
            ),
            "",
            403,
            "HOST_NOT_ALLOWED",
        ),
        (
            "DNS rebinding: a reset",
            format!(
                "POST /_emulator/v1/reset HTTP/1.1\r\nHost: {rebind}\r\n\
                 Content-Type: application/json\r\nx-wix-emulator-control-key: {key}"
            ),
            "",
            403,
            "HOST_NOT_ALLOWED",
        ),
        (
            "DNS rebinding: the inspector",
            format!("GET /_emulator/ui?key={key} HTTP/1.1\r\nHost: {rebind}"),
            "",
            403,
            "HOST_NOT_ALLOWED",
        ),
        (
            "DNS rebinding: the Wix API",
            wix_head("GET", PROGRAM, &rebind),
            "",
            403,
            "HOST_NOT_ALLOWED",
        ),
        (
            "DNS rebinding: a Wix API delete",
            format!(
                "{}\r\nContent-Type: application/json",
                wix_head("POST", &format!("{CUSTOMERS}/query"), &rebind)
            ),
            r#"{"query": {}}"#,
            403,
            "HOST_NOT_ALLOWED",
        ),
    ];
    for (what, head, body, status, code) in &attacks {
        let answer = raw(&addr, head, body).await;
        assert_eq!(answer.status, *status, "{what}: {}", answer.body);
        assert_eq!(answer.code(), *code, "{what}: {}", answer.body);
        if *code == "HOST_NOT_ALLOWED" {
            let message = answer.json()["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                message.contains("rebind.attacker.example") && message.contains("--allowed-host"),
                "{what}: the refusal names the host and the option: {message}"
            );
            assert!(
                !answer.body.contains(SITE),
                "{what}: nothing of the data leaks"
            );
        }
    }
    assert_eq!(
        customer_count(&addr).await,
        3,
        "the attacks changed nothing"
    );

    // The owner's own requests still work: by every loopback name, with the key.
    let port = addr.rsplit(':').next().unwrap();
    for host in [
        addr.clone(),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let answer = raw(&addr, &wix_head("GET", PROGRAM, &host), "").await;
        assert_eq!(answer.status, 200, "{host}: {}", answer.body);
        let answer = raw(
            &addr,
            &format!(
                "GET /_emulator/v1/requests?limit=1 HTTP/1.1\r\nHost: {host}\r\n\
                 x-wix-emulator-control-key: {key}"
            ),
            "",
        )
        .await;
        assert_eq!(answer.status, 200, "{host}: {}", answer.body);
    }
    // A link to the inspector from another site opens it (a top-level navigation).
    let answer = raw(
        &addr,
        &format!(
            "GET /_emulator/ui?key={key} HTTP/1.1\r\nHost: {addr}\r\nSec-Fetch-Site: cross-site\r\n\
             Sec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document"
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(
        answer
            .header("set-cookie")
            .is_some_and(|c| c.contains("HttpOnly") && c.contains("SameSite=Strict"))
    );
    assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));

    // After a restart, the three customers are there.
    drop(emulator);
    let emulator = start_durable(&store, &["--control-key", "fixed-key-for-scripts"]);
    assert_eq!(customer_count(&emulator.addr).await, 3);
    assert!(emulator.inspector.ends_with("?key=fixed-key-for-scripts"));
    let answer = raw(
        &emulator.addr,
        &format!(
            "GET /_emulator/v1/requests?limit=1 HTTP/1.1\r\nHost: {}\r\n\
             x-wix-emulator-control-key: fixed-key-for-scripts",
            emulator.addr
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "a fixed key works: {}", answer.body);
}

/// `--control-key none` opens a durable store's control API on purpose; `--allowed-host` adds a
/// name, and `*` turns the check off and says so.
#[tokio::test]
async fn the_owner_chooses_the_key_and_the_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    let emulator = start_durable(
        &store,
        &["--control-key", "none", "--allowed-host", "emulator"],
    );
    assert!(
        !emulator.inspector.contains("key="),
        "{}",
        emulator.inspector
    );
    let port = emulator.addr.rsplit(':').next().unwrap().to_owned();
    let answer = raw(
        &emulator.addr,
        &format!("GET /_emulator/v1/requests?limit=1 HTTP/1.1\r\nHost: emulator:{port}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = raw(
        &emulator.addr,
        &wix_head("GET", PROGRAM, &format!("elsewhere:{port}")),
        "",
    )
    .await;
    assert_eq!(answer.status, 403);
    drop(emulator);

    let open = start_durable(&store, &["--allowed-host", "*"]);
    assert!(
        open.notices.contains("any Host name is answered"),
        "{}",
        open.notices
    );
    let answer = raw(
        &open.addr,
        &wix_head("GET", PROGRAM, "anything.example"),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The inspector may not be framed, sniffed or followed by a referrer, and loads nothing but
/// itself: its policy names its own stylesheet by hash.
#[tokio::test]
async fn inspector_pages_carry_a_policy_that_matches_them() {
    let emulator = referral_emulator::Emulator::start().await.unwrap();
    let addr = emulator.addr().to_string();
    for path in [
        "/_emulator/ui".to_owned(),
        format!("/_emulator/ui/sites/{SITE}"),
        format!("/_emulator/ui/sites/{SITE}/records/customers"),
        "/_emulator/ui/faults".to_owned(),
        "/_emulator/ui/sites/not-a-site".to_owned(),
    ] {
        let answer = raw(&addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}"), "").await;
        assert!(
            answer.status == 200 || answer.status == 404,
            "{path}: {}",
            answer.status
        );
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            answer.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        let policy = answer
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no policy"));
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "script-src 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        // Every inline stylesheet of the page is allowed by its hash, and nothing else is.
        let styles: Vec<&str> = answer
            .body
            .split("<style>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</style>").map(|(style, _)| style))
            .collect();
        assert!(!styles.is_empty(), "{path}: the page has its stylesheet");
        for style in styles {
            use base64::Engine;
            use sha2::Digest;
            let hash = base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha256::digest(style.as_bytes()));
            assert!(
                policy.contains(&format!("'sha256-{hash}'")),
                "{path}: {policy}"
            );
        }
    }
    // The control API's answers carry the same frame and sniffing guards.
    let answer = raw(
        &addr,
        &format!("GET /_emulator/v1/faults HTTP/1.1\r\nHost: {addr}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-frame-options"), Some("DENY"));
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

/// A form posted to the inspector from another site changes nothing.
#[tokio::test]
async fn inspector_forms_refuse_other_sites() {
    let emulator = referral_emulator::Emulator::start().await.unwrap();
    let addr = emulator.addr().to_string();
    let form = "route=%2Freferral-customers&status=503&latency_ms=&probability=&times=";
    for origin in [
        "Origin: http://attacker.example\r\nSec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document",
        "Origin: null",
        "Origin: http://127.0.0.1:9\r\nSec-Fetch-Site: same-site",
    ] {
        let answer = raw(
            &addr,
            &format!(
                "POST /_emulator/ui/faults HTTP/1.1\r\nHost: {addr}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n{origin}"
            ),
            form,
        )
        .await;
        assert_eq!(answer.status, 403, "{origin}: {}", answer.body);
    }
    let state = emulator.control().faults().await.unwrap();
    assert!(state.rules.is_empty(), "{:?}", state.rules);
    // The inspector's own form still works.
    let answer = raw(
        &addr,
        &format!(
            "POST /_emulator/ui/faults HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nOrigin: http://{addr}\r\n\
             Sec-Fetch-Site: same-origin"
        ),
        form,
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(emulator.control().faults().await.unwrap().rules.len(), 1);
}
