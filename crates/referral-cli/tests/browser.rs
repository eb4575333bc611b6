//! The emulator's inspector and the HTML report in a real browser: Debian's `chromium`, driven
//! through `chromedriver` (WebDriver) with fantoccini. One test, bounded to two minutes.
//!
//! Skipped, saying so, where no browser is installed; in CI (`CI` set) a missing browser fails
//! the test instead (`.ci/run` installs `chromium` and `chromium-driver`). Screenshots of every
//! page are saved under `target/browser-screenshots/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use referral_domain::{ContactId, ReferralProgramsExt, ReferringCustomers};
use referral_testkit::{Dataset, TestSite};
use serde_json::{Value, json};

/// The whole browser session may take this long.
const BUDGET: Duration = Duration::from_secs(120);
/// One wait for something to appear.
const WAIT: Duration = Duration::from_secs(15);

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// chromedriver, and the browsers it started, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
    /// The browser's profile folder: it names the browser's processes, so they can be ended
    /// too when the test fails before closing its session.
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("pkill")
            .args(["-KILL", "-f"])
            .arg(self.profile.path())
            .status();
    }
}

fn start_driver(driver: &Path) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profile: tempfile::tempdir().expect("a profile folder"),
    }
}

async fn connect(driver: &Driver, chromium: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                     format!("--user-data-dir={}", driver.profile.path().display())],
        }),
    );
    capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let attempt = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await;
        match attempt {
            Ok(client) => return client,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("chromedriver did not take a session: {e}"),
        }
    }
}

/// ChromeDriver's browser log (`POST /session/{id}/se/log`): the console's messages.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// Console messages at SEVERE since the last call.
async fn console_errors(client: &Client) -> Vec<String> {
    let log = client.issue_cmd(BrowserLog).await.expect("the browser log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

async fn visit(client: &Client, url: &str, shot: &str) {
    client
        .goto(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(screenshots().join(format!("{shot}.png")), png).expect("saved");
    let errors = console_errors(client).await;
    assert!(errors.is_empty(), "{url}: console errors {errors:?}");
}

/// The text of the first element matching `css`, once there is one. An element that a
/// navigation replaced while it was read is looked up again (bounded by [`WAIT`]).
async fn text_of(client: &Client, css: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let element = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        match element.text().await {
            Ok(text) => return text,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{css}: {e}"),
        }
    }
}

/// Waits (bounded by [`WAIT`]) until the text of `css` contains `needle`: after a form's
/// submission the old page may still be the one shown.
async fn wait_for_text(client: &Client, css: &str, needle: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = text_of(client, css).await;
        if text.contains(needle) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{css} never showed {needle:?}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_and_the_html_report_in_chromium() {
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser tests: install chromium and chromium-driver"
        );
        eprintln!(
            "skipped: no chromium and chromedriver on PATH (apt-get install chromium chromium-driver)"
        );
        return;
    };
    tokio::time::timeout(BUDGET, run(&chromium, &driver))
        .await
        .expect("the browser tests finish within two minutes");
}

async fn run(chromium: &Path, driver_path: &Path) {
    let site = TestSite::start().await.unwrap();
    site.seed(&Dataset::small()).await.unwrap();
    // At most 50 characters, as Wix allows.
    let hostile = "<script>window.__pwned=1</script>";
    site.client()
        .update_program_with(|p| p.name = Some(hostile.to_owned()))
        .await
        .unwrap();
    let base = format!("{}/_emulator/ui", site.emulator().base_url());
    let site_id = site.site_id().to_owned();

    let driver = start_driver(driver_path);
    let client = connect(&driver, chromium).await;

    // The sites page and a site's overview: the hostile name is text, and inert.
    visit(&client, &base, "sites").await;
    assert!(text_of(&client, "table").await.contains(&site_id));
    visit(&client, &format!("{base}/sites/{site_id}"), "site").await;
    assert_eq!(text_of(&client, "#program-name").await, hostile);
    let pwned = client
        .execute("return window.__pwned ?? null", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, Value::Null, "a <script> in the data never runs");

    // What a person reads: at a laptop's and a phone's width, no value of the overview and the
    // record tables is squeezed narrower than its longest word (the program card once drew its
    // values one letter per line).
    for (width, height, device) in [(1400, 900, "laptop"), (390, 844, "phone")] {
        client.set_window_size(width, height).await.unwrap();
        for (page, path, values) in [
            (
                "site",
                format!("/sites/{site_id}"),
                "#program dd, .card p.big",
            ),
            (
                "customers",
                format!("/sites/{site_id}/records/customers"),
                "#records td",
            ),
            (
                "friends",
                format!("/sites/{site_id}/records/friends"),
                "#records td",
            ),
            (
                "rewards",
                format!("/sites/{site_id}/records/rewards"),
                "#records td",
            ),
            (
                "events",
                format!("/sites/{site_id}/records/events"),
                "#records td",
            ),
        ] {
            let shot = format!("{page}-{device}");
            visit(&client, &format!("{base}{path}"), &shot).await;
            assert_words_fit(&client, values, &shot).await;
        }
    }
    client.set_window_size(1280, 900).await.unwrap();

    // A table of seeded data, and a row's JSON.
    visit(
        &client,
        &format!("{base}/sites/{site_id}/records/customers"),
        "customers",
    )
    .await;
    let first_link = client
        .find(Locator::Css("#records tbody tr td a"))
        .await
        .expect("a customer row");
    first_link.click().await.unwrap();
    assert!(
        text_of(&client, "#record")
            .await
            .contains("\"referralCode\"")
    );
    visit(
        &client,
        &format!("{base}/sites/{site_id}/records/friends?filter=%7B%22status%22%3A%22SIGN_UP_COMPLETED%22%7D"),
        "friends-filtered",
    )
    .await;
    let statuses = client
        .find_all(Locator::Css("#records tbody tr"))
        .await
        .unwrap();
    assert!(!statuses.is_empty(), "seeded friends that signed up");
    // A friend's page offers the "the friend did something" form, laid out to be read.
    client
        .find(Locator::Css("#records tbody tr td a"))
        .await
        .expect("a friend row")
        .click()
        .await
        .unwrap();
    text_of(&client, "#friend-action").await;
    let shot = client.screenshot().await.expect("a screenshot");
    std::fs::write(screenshots().join("friend.png"), shot).expect("saved");
    let errors = console_errors(&client).await;
    assert!(
        errors.is_empty(),
        "a friend's page: console errors {errors:?}"
    );

    // A fault rule added in the page fires on the next SDK call, and its count shows.
    visit(&client, &format!("{base}/faults"), "faults-empty").await;
    let form = client.form(Locator::Css("#add-fault")).await.unwrap();
    form.set_by_name("route", "/referral-customers")
        .await
        .unwrap();
    form.set_by_name("status", "503").await.unwrap();
    form.set_by_name("times", "1").await.unwrap();
    form.submit().await.unwrap();
    wait_for_text(&client, "#faults tbody", "status 503").await;
    let contact = ContactId::parse("5f0c1c2e-1111-4222-8333-444455556666").unwrap();
    site.client()
        .with_retries(referral_domain::RetryPolicy::none())
        .generate_referring_customer(&contact)
        .await
        .expect_err("the rule fails the call");
    visit(&client, &format!("{base}/faults"), "faults-fired").await;
    assert_eq!(text_of(&client, "#faults td.failed").await, "1");
    visit(
        &client,
        &format!("{base}/sites/{site_id}/requests"),
        "requests",
    )
    .await;
    assert!(
        text_of(&client, "#requests tbody")
            .await
            .contains("rule 0: status 503")
    );

    // A webhook delivery shows, with its outcome.
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
        let _ = axum::serve(receiver, app).await;
    });
    site.register_webhook(&hook).await.unwrap();
    site.client()
        .generate_referring_customer(&contact)
        .await
        .unwrap();
    let deliveries = format!("{base}/sites/{site_id}/webhooks");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        visit(&client, &deliveries, "webhooks").await;
        let table = text_of(&client, "#deliveries").await;
        if table.contains("referring_customer_created") && table.contains("200") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery shown: {table}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The HTML report, made by the CLI, renders its charts.
    let report = screenshots().join("report.html");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_wix-referral"))
        .args(["--format", "html", "report", "-o"])
        .arg(&report)
        .env("WIX_BASE_URL", site.base_url())
        .env("WIX_API_KEY", site.api_key())
        .env("WIX_SITE_ID", site.site_id())
        .env_remove("WIX_ACCESS_TOKEN")
        .env_remove("WIX_APP_ID")
        .status()
        .unwrap();
    assert!(status.success());
    visit(&client, &format!("file://{}", report.display()), "report").await;
    assert_charts_drawn(&client).await;
    let cli_figures = text_of(&client, "section.figures").await;

    // The inspector shows the same report for the site, asked for in its form.
    visit(&client, &format!("{base}/sites/{site_id}"), "site-again").await;
    let form = client.form(Locator::Css("#report-form")).await.unwrap();
    form.set_by_name("top", "3").await.unwrap();
    form.submit().await.unwrap();
    // The submission navigates after `submit` returns: wait for the report's URL (bounded).
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let url = client.current_url().await.unwrap();
        if url.as_str().contains("/report?") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the form leads to the report, not {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_charts_drawn(&client).await;
    let shot = client.screenshot().await.expect("a screenshot");
    std::fs::write(screenshots().join("inspector-report.png"), shot).expect("saved");
    assert_eq!(
        text_of(&client, "section.figures").await,
        cli_figures,
        "the inspector's figures are the CLI's"
    );
    let top_rows = client
        .find_all(Locator::Css("table tbody tr"))
        .await
        .unwrap();
    assert_eq!(top_rows.len(), 3, "top=3 from the form");
    let errors = console_errors(&client).await;
    assert!(
        errors.is_empty(),
        "console errors on the inspector's report: {errors:?}"
    );
    client.close().await.unwrap();
    drop(driver);
}

/// Every element matching `selector` is laid out at least as wide as the longest word of its
/// text (each word measured in its own font), and there is at least one.
async fn assert_words_fit(client: &Client, selector: &str, page: &str) {
    let found = client
        .execute(
            "const canvas = document.createElement('canvas').getContext('2d');
             const checked = [];
             const squeezed = [];
             for (const el of document.querySelectorAll(arguments[0])) {
                 if (el.getClientRects().length === 0) continue;
                 const style = getComputedStyle(el);
                 const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                 const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                 let widest = 0, word = '';
                 while (walker.nextNode()) {
                     const node = walker.currentNode;
                     canvas.font = getComputedStyle(node.parentElement).font;
                     for (const w of node.textContent.split(/\\s+/)) {
                         const width = canvas.measureText(w).width;
                         if (width > widest) { widest = width; word = w; }
                     }
                 }
                 if (word === '') continue;
                 checked.push(word);
                 if (widest > room + 1) squeezed.push(`${JSON.stringify(word)} needs ${Math.ceil(widest)}px, has ${Math.floor(room)}px`);
             }
             return [checked.length, squeezed];",
            vec![json!(selector)],
        )
        .await
        .unwrap();
    let checked = found[0].as_u64().unwrap_or(0);
    assert!(checked > 0, "{page}: nothing matched {selector}");
    let squeezed = found[1].as_array().cloned().unwrap_or_default();
    assert!(
        squeezed.is_empty(),
        "{page}: values narrower than their longest word (screenshot {page}.png): {squeezed:?}"
    );
}

/// Every chart of a report page has a size on screen and bars drawn.
async fn assert_charts_drawn(client: &Client) {
    let sizes = client
        .execute(
            "return ['funnel','weekly','top-referrers','rewards-by-type','rewards-by-receiver'].map(id => {
                 const svg = document.getElementById(id);
                 if (!svg) return [id, 0, 0, 0];
                 const box = svg.getBoundingClientRect();
                 const bars = [...svg.querySelectorAll('rect.bar')].filter(r => r.getBoundingClientRect().width > 0).length;
                 return [id, box.width, box.height, bars];
             })",
            vec![],
        )
        .await
        .unwrap();
    for chart in sizes.as_array().unwrap() {
        let (id, width, height, bars) = (&chart[0], &chart[1], &chart[2], &chart[3]);
        assert!(
            width.as_f64().unwrap() > 100.0 && height.as_f64().unwrap() > 20.0,
            "{id} is drawn: {chart}"
        );
        assert!(bars.as_u64().unwrap() > 0, "{id} has bars: {chart}");
    }
}
