//! `wix-referral` as a Unix tool: a closed pipe ends it quietly, a full disk is an error, what a
//! server sends cannot drive the terminal, a partial listing says so, and local inputs are read
//! within bounds. Real pipes, `/dev/full`, and hostile stub servers (axum) on loopback.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use referral_domain::{ProgramUpdate, ReferralPrograms};
use referral_testkit::{Dataset, TestSite};
use serde_json::json;

/// The binary with a clean environment: no credentials but the ones given.
fn command(home: &Path, base_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("wix-referral"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("WIX_BASE_URL", base_url)
        .env("WIX_API_KEY", "key")
        .env("WIX_SITE_ID", "3857d039-b129-4393-b983-947078b6a007")
        .args(args);
    cmd
}

fn site_command(home: &Path, site: &TestSite, args: &[&str]) -> Command {
    let mut cmd = command(home, site.base_url(), args);
    cmd.env("WIX_API_KEY", site.api_key())
        .env("WIX_SITE_ID", site.site_id());
    cmd
}

/// Runs `cmd` off the async runtime, so that an emulator or stub in this process keeps serving.
async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("it runs"))
        .await
        .unwrap()
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_every_output_quietly_with_141() {
    let site = TestSite::start().await.unwrap();
    site.seed(&Dataset {
        customers: 1500,
        ..Dataset::small()
    })
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["customers", "list"],
        &["--format", "json", "customers", "list"],
        &["--format", "csv", "customers", "list"],
        &["program", "show"],
        &["--format", "json", "program", "show"],
        &["report"],
        &["completions", "bash"],
    ];
    for args in cases {
        let mut cmd = site_command(home.path(), &site, args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let (status, stderr) = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().unwrap();
            // `| head -c 1`: read one byte (or nothing), then close the pipe.
            let mut stdout = child.stdout.take().unwrap();
            let mut one = [0u8; 1];
            let _ = stdout.read(&mut one);
            drop(stdout);
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            (child.wait().unwrap(), stderr)
        })
        .await
        .unwrap();
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        // Small outputs may fit the pipe before it closes: then they succeed.
        assert!(
            status.code() == Some(141) || status.success(),
            "{args:?}: {status:?} {stderr}"
        );
    }
    // A listing far larger than a pipe's buffer always meets the closed pipe.
    let mut cmd = site_command(home.path(), &site, &["customers", "list"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let status = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        drop(child.stdout.take());
        child.wait().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(141));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_is_an_error_naming_stdout() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let site = TestSite::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["program", "show"][..],
        &["--format", "json", "customers", "list"],
    ] {
        let mut cmd = site_command(home.path(), &site, args);
        cmd.stdout(std::fs::File::create("/dev/full").unwrap());
        let out = output(cmd).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: writing to standard output: No space left on device"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn data_cannot_drive_the_terminal_in_any_output() {
    let site = TestSite::start().await.unwrap();
    let program = site.client().get_program().await.unwrap();
    let hostile = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}1m\u{202e}x";
    site.client()
        .update_program(&ProgramUpdate::new(program.revision.unwrap()).name(hostile))
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let raw = |text: &[u8]| {
        let text = String::from_utf8_lossy(text);
        text.chars()
            .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{9b}' || c == '\u{202e}')
    };
    let table = output(site_command(home.path(), &site, &["program", "show"])).await;
    assert!(table.status.success());
    assert!(!raw(&table.stdout));
    assert!(String::from_utf8_lossy(&table.stdout).contains("\\x1b]0;owned\\x07"));

    let json_out = output(site_command(
        home.path(),
        &site,
        &["--format", "json", "program", "show"],
    ))
    .await;
    assert!(!raw(&json_out.stdout), "JSON escapes C1 and bidi too");
    let parsed: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(parsed["name"], hostile, "the data stays exact");

    let csv_out = output(site_command(
        home.path(),
        &site,
        &["--format", "csv", "program", "show"],
    ))
    .await;
    assert!(
        String::from_utf8_lossy(&csv_out.stdout).contains(hostile),
        "CSV into a pipe is exact data"
    );

    // An error message, code and violation from a server, on stderr.
    let stub = serve(Router::new().route(
        "/_api/referral-programs/v1/program",
        get(|| async {
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "message": "bad \u{1b}[2J\u{1b}]0;pwned\u{7}",
                    "details": {
                        "applicationError": {"code": "X\u{1b}[31m", "description": "d\u{9b}"},
                        "validationError": {"fieldViolations": [
                            {"field": "f\u{202e}", "description": "v\u{1b}[1m"}
                        ]}
                    }
                })),
            )
        }),
    ))
    .await;
    let err = output(command(home.path(), &stub, &["program", "show"])).await;
    assert_eq!(err.status.code(), Some(1));
    assert!(
        !raw(&err.stderr),
        "{:?}",
        String::from_utf8_lossy(&err.stderr)
    );
    assert!(String::from_utf8_lossy(&err.stderr).contains("\\x1b[2J"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partial_listing_prints_what_came_then_fails() {
    // Every page points at the cursor `same`: the second page repeats it, and the SDK stops
    // with a paging error after both pages' items.
    let customer = |n: u32| {
        json!({"id": format!("3857d039-b129-4393-b983-94707800{n:04}"),
               "contactId": format!("661f5bb3-0723-4aa4-87d7-a21ebd1d{n:04}"),
               "referralCode": format!("CODE{n:08}"), "revision": "1"})
    };
    let page = json!({
        "referringCustomers": [customer(1), customer(2)],
        "metadata": {"count": 2, "cursors": {"next": "same"}, "hasNext": true},
    });
    let stub = serve(Router::new().route(
        "/referral-customers/v1/referring-customers/query",
        post(move || {
            let page = page.clone();
            async move { axum::Json(page) }
        }),
    ))
    .await;
    let home = tempfile::tempdir().unwrap();
    for format in ["table", "json", "csv"] {
        let out = output(command(
            home.path(),
            &stub,
            &["--format", format, "customers", "list"],
        ))
        .await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stdout.contains("CODE00000002"), "{format}: {stdout}");
        assert!(
            stderr.contains("the listing is incomplete (4 item(s) printed above)"),
            "{format}: {stderr}"
        );
        if format == "json" {
            let items: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
            assert_eq!(items.len(), 4);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn local_inputs_are_read_within_bounds() {
    let home = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["program", "configure", "/dev/zero"],
            "the configuration file /dev/zero: larger than the bound of 1048576 bytes",
        ),
        (
            &["webhooks", "verify", "--key", "/dev/zero", "/dev/null"],
            "--key /dev/zero: larger than the bound of 65536 bytes",
        ),
        (
            &["webhooks", "verify", "--key", "/dev/null", "/dev/zero"],
            "the webhook body /dev/zero: larger than the bound of 2097152 bytes",
        ),
    ];
    // Nothing answers there: the inputs are refused before any request.
    for (args, message) in cases {
        if !Path::new("/dev/zero").exists() {
            break;
        }
        let out = output(command(home.path(), "http://127.0.0.1:9", args)).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    // A webhook body from standard input that never ends.
    let mut cmd = command(
        home.path(),
        "http://127.0.0.1:9",
        &["webhooks", "verify", "--key", "/dev/null", "-"],
    );
    cmd.stdin(std::fs::File::open("/dev/zero").unwrap());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the webhook body standard input: larger than the bound"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_follow_the_sdks_rules_and_name_the_variable() {
    use std::os::unix::ffi::OsStrExt;
    let home = tempfile::tempdir().unwrap();
    let bare = |args: &[&str]| {
        let mut cmd = command(home.path(), "http://127.0.0.1:9", args);
        for name in ["WIX_API_KEY", "WIX_SITE_ID", "WIX_BASE_URL"] {
            cmd.env_remove(name);
        }
        cmd
    };
    // Set but not UTF-8.
    let mut cmd = bare(&["program", "show"]);
    cmd.env("WIX_API_KEY", std::ffi::OsStr::from_bytes(b"key\xff"));
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WIX_API_KEY is set but is not UTF-8"));

    // A mistyped variable, and a site without a key: nothing runs, and both are named.
    let mut cmd = bare(&["program", "show"]);
    cmd.env("WIX_APIKEY", "k").env("WIX_SITE_ID", "s");
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("WIX_SITE_ID set, but no key or token"),
        "{stderr}"
    );
    assert!(
        stderr.contains("WIX_APIKEY set: not a variable the CLI reads"),
        "{stderr}"
    );

    // The SDK's rules, for the environment and for a profile alike.
    let mut cmd = bare(&["program", "show"]);
    cmd.env("WIX_API_KEY", "k")
        .env("WIX_SITE_ID", "s")
        .env("WIX_ACCOUNT_ID", "a");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not both"));
    let dir = home.path().join("config").join("wix-referral");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[profiles.both]\napi_key = \"k\"\nsite_id = \"s\"\naccount_id = \"a\"\n\n[profiles.nosite]\napi_key = \"k\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    for (profile, message) in [
        (
            "both",
            "profile \"both\": invalid input: WIX_SITE_ID: set WIX_SITE_ID or WIX_ACCOUNT_ID, not both",
        ),
        (
            "nosite",
            "profile \"nosite\": invalid input: WIX_SITE_ID: WIX_API_KEY needs WIX_SITE_ID",
        ),
    ] {
        let out = output(bare(&["--profile", profile, "program", "show"])).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
    }
}

/// What a terminal receives from `args`, run on a pseudo-terminal by util-linux `script`.
/// `None` where `script` is missing.
async fn on_a_terminal(home: &Path, site: &TestSite, args: &[&str]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        return None;
    }
    let binary = assert_cmd::cargo::cargo_bin("wix-referral");
    let line = std::iter::once(binary.display().to_string())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = site_command(home, site, &[]);
    cmd.env_remove("WIX_REFERRAL_DATA_DIR");
    let mut script = Command::new("script");
    script
        .args(["-qec", &line, "/dev/null"])
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("TERM", "xterm")
        .stdin(Stdio::null());
    let out = output(script).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_real_terminal_no_raw_escape_from_data_arrives() {
    let site = TestSite::start().await.unwrap();
    let program = site.client().get_program().await.unwrap();
    site.client()
        .update_program(
            &ProgramUpdate::new(program.revision.unwrap())
                .name("\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}1m\u{202e}x"),
        )
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["program", "show"][..],
        &["--format", "csv", "program", "show"],
        &["--format", "json", "program", "show"],
    ] {
        let Some(screen) = on_a_terminal(home.path(), &site, args).await else {
            eprintln!("skipped: util-linux `script` is not installed");
            return;
        };
        for raw in ["\u{1b}]0;owned", "\u{1b}[2J", "\u{9b}", "\u{202e}"] {
            assert!(
                !screen.contains(raw),
                "{args:?} let {raw:?} through: {screen:?}"
            );
        }
        assert!(
            screen.contains("owned"),
            "{args:?} showed the name: {screen:?}"
        );
    }
}
