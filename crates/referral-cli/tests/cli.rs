//! `wix-referral` as a user runs it: every command against an emulator site, the output formats,
//! the help tree, bad input of every kind, and the demo.

use std::path::Path;
use std::process::Output;

use referral_domain::{ReferredFriends, ReferringCustomers, WebhookSigner};
use referral_testkit::{Dataset, TestSite, fixtures};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

/// The command, isolated from the user's machine: its own config and data directories, and
/// the site's credentials (or none).
fn command(site: Option<&TestSite>, home: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("wix-referral").expect("the binary");
    cmd.env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("HOME", home)
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_SITE_ID")
        .env_remove("WIX_ACCOUNT_ID")
        .env_remove("WIX_APP_ID")
        .env_remove("WIX_ACCESS_TOKEN")
        .env_remove("WIX_BASE_URL")
        .env_remove("WIX_REFERRAL_DATA_DIR")
        // A local server a test starts stops soon after the test.
        .env("WIX_REFERRAL_LOCAL_IDLE_SECS", "15")
        .args(args);
    if let Some(site) = site {
        cmd.env("WIX_BASE_URL", site.base_url())
            .env("WIX_API_KEY", site.api_key())
            .env("WIX_SITE_ID", site.site_id());
    }
    cmd
}

/// Runs the command off the async runtime (the emulator keeps serving meanwhile).
async fn run(site: Option<&TestSite>, home: &Path, args: &[&str]) -> Output {
    let mut cmd = command(site, home, args);
    tokio::task::spawn_blocking(move || cmd.output().expect("it runs"))
        .await
        .expect("the command thread")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        stderr(output)
    );
    stdout(output)
}

#[track_caller]
fn exit(output: &Output, code: i32, message: &str) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
    assert!(
        stderr(output).contains(message),
        "{message:?} not in {}",
        stderr(output)
    );
    assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
}

#[test]
fn the_help_tree() {
    let home = tempfile::tempdir().unwrap();
    let paths: &[&[&str]] = &[
        &[],
        &["program"],
        &["program", "configure"],
        &["customers"],
        &["customers", "enroll"],
        &["friends"],
        &["friends", "signup"],
        &["friends", "list"],
        &["friends", "set-status"],
        &["rewards"],
        &["rewards", "list"],
        &["events"],
        &["events", "list"],
        &["report"],
        &["webhooks", "verify"],
        &["profile"],
        &["profile", "save"],
        &["emulator"],
        &["local"],
        &["completions"],
        &["demo"],
    ];
    let mut all = String::new();
    for path in paths {
        let mut args: Vec<&str> = path.to_vec();
        args.push("--help");
        let output = command(None, home.path(), &args).output().unwrap();
        all.push_str(&format!(
            "$ wix-referral {}\n{}\n",
            args.join(" "),
            ok(&output)
        ));
    }
    insta::assert_snapshot!("help", all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_against_an_emulator_site() {
    let home = tempfile::tempdir().unwrap();
    let site = TestSite::start().await.unwrap();
    site.seed(&Dataset::small()).await.unwrap();
    let h = home.path();
    let s = Some(&site);

    // program
    let shown = ok(&run(s, h, &["program", "show"]).await);
    assert!(shown.contains("ACTIVE"), "{shown}");
    let toml = h.join("program.toml");
    std::fs::write(
        &toml,
        "name = \"Spring Referral Program\"\nsuccessfulReferralActions = [\"STORE_ORDER_PLACED\", \"PLAN_ORDERED\"]\n\n[referringCustomerReward]\nkind = \"loyaltyPoints\"\npoints = 250\n",
    )
    .unwrap();
    let configured = ok(&run(s, h, &["program", "configure", toml.to_str().unwrap()]).await);
    assert!(
        configured.contains("Spring Referral Program") && configured.contains("250 loyalty points"),
        "{configured}"
    );
    let json_file = h.join("program.json");
    std::fs::write(&json_file, r#"{"name": "Summer Referral Program"}"#).unwrap();
    let as_json: Value = serde_json::from_str(&ok(&run(
        s,
        h,
        &[
            "--format",
            "json",
            "program",
            "configure",
            json_file.to_str().unwrap(),
        ],
    )
    .await))
    .unwrap();
    assert_eq!(as_json["name"], "Summer Referral Program");
    assert!(ok(&run(s, h, &["program", "pause"]).await).contains("PAUSED"));
    assert!(ok(&run(s, h, &["program", "activate"]).await).contains("ACTIVE"));
    let csv = ok(&run(s, h, &["--format", "csv", "program", "show"]).await);
    assert!(csv.starts_with("name,status,revision"), "{csv}");

    // customers
    let contact = fixtures::contact();
    let enrolled: Value = serde_json::from_str(&ok(&run(
        s,
        h,
        &["--format", "json", "customers", "enroll", contact.as_str()],
    )
    .await))
    .unwrap();
    let id = enrolled["id"].as_str().unwrap().to_owned();
    let code = enrolled["referralCode"].as_str().unwrap().to_owned();
    assert!(ok(&run(s, h, &["customers", "get", &id]).await).contains(&code));
    assert!(ok(&run(s, h, &["customers", "find", &code]).await).contains(&id));
    let listed = ok(&run(s, h, &["--format", "csv", "customers", "list"]).await);
    assert_eq!(
        listed.lines().count(),
        1 + 25 + 1,
        "header, seeded, enrolled"
    );
    // The documents' queries, one command each; --limit prints the first N only.
    let first_three = ok(&run(
        s,
        h,
        &["--format", "csv", "customers", "list", "--limit", "3"],
    )
    .await);
    assert_eq!(first_three.lines().count(), 1 + 3);
    assert_eq!(
        first_three.lines().nth(1),
        listed.lines().nth(1),
        "the first of all"
    );
    let by_code = ok(&run(
        s,
        h,
        &["--format", "csv", "customers", "list", "--code", &code],
    )
    .await);
    assert_eq!(by_code.lines().count(), 2, "{by_code}");
    assert!(by_code.contains(&id));
    let by_contact = ok(&run(
        s,
        h,
        &[
            "--format",
            "csv",
            "customers",
            "list",
            "--contact",
            contact.as_str(),
        ],
    )
    .await);
    assert_eq!(by_contact.lines().count(), 2, "{by_contact}");
    exit(
        &run(s, h, &["customers", "list", "--limit", "0"]).await,
        2,
        "--limit",
    );

    // friends
    let friend_contact = fixtures::contact();
    let signed: Value = serde_json::from_str(&ok(&run(
        s,
        h,
        &[
            "--format",
            "json",
            "friends",
            "signup",
            "--code",
            &code,
            "--contact",
            friend_contact.as_str(),
        ],
    )
    .await))
    .unwrap();
    assert_eq!(signed["outcome"], "created");
    let friend_id = signed["friend"]["id"].as_str().unwrap().to_owned();
    let again = run(
        s,
        h,
        &[
            "friends",
            "signup",
            "--code",
            &code,
            "--contact",
            friend_contact.as_str(),
        ],
    )
    .await;
    assert!(
        stderr(&again).contains("already referred"),
        "{}",
        stderr(&again)
    );
    assert!(ok(&run(s, h, &["friends", "get", &friend_id]).await).contains("SIGN_UP_COMPLETED"));
    let of_customer = ok(&run(
        s,
        h,
        &["--format", "csv", "friends", "list", "--customer", &id],
    )
    .await);
    assert_eq!(of_customer.lines().count(), 2);
    let by_contact = ok(&run(
        s,
        h,
        &[
            "--format",
            "csv",
            "friends",
            "list",
            "--contact",
            friend_contact.as_str(),
        ],
    )
    .await);
    assert_eq!(by_contact.lines().count(), 2, "{by_contact}");
    assert!(by_contact.contains(&friend_id));
    let nobody = ok(&run(
        s,
        h,
        &[
            "--format",
            "csv",
            "friends",
            "list",
            "--contact",
            fixtures::contact().as_str(),
        ],
    )
    .await);
    assert_eq!(nobody.lines().count(), 1, "the header only: {nobody}");
    let by_customer = ok(&run(
        s,
        h,
        &[
            "--format", "json", "friends", "list", "--sort", "customer", "--limit", "40",
        ],
    )
    .await);
    let customers: Vec<String> = serde_json::from_str::<Value>(&by_customer)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["referringCustomerId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(customers.len(), 40);
    assert!(customers.is_sorted(), "{customers:?}");
    // The friend orders (what a store tells Wix, simulated by the emulator), twice: the same
    // order is recorded once. Then the friend uses the coupon it got.
    let order = [
        "friends",
        "order",
        "--contact",
        friend_contact.as_str(),
        "--amount",
        "30.00",
        "--currency",
        "USD",
        "--order-id",
        "cli-order-1",
    ];
    let ordered = run(s, h, &order).await;
    assert!(
        ok(&ordered).contains("recorded: 3 event(s), 1 reward(s)"),
        "{}",
        stdout(&ordered)
    );
    let repeated = run(s, h, &order).await;
    assert!(ok(&repeated).contains("recorded: 0 event(s)"));
    assert!(
        stderr(&repeated).contains("recorded before"),
        "{}",
        stderr(&repeated)
    );
    let rewards: Value = serde_json::from_str(&ok(&run(
        s,
        h,
        &[
            "--format", "json", "rewards", "list", "--type", "COUPON", "--limit", "1000",
        ],
    )
    .await))
    .unwrap();
    let coupon = rewards
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"]["status"] == "ACTIVE")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .expect("an unused coupon");
    let redeemed = ok(&run(s, h, &["--format", "json", "rewards", "redeem", &coupon]).await);
    assert!(redeemed.contains("APPLIED"), "{redeemed}");
    let twice = run(s, h, &["rewards", "redeem", &coupon]).await;
    exit(&twice, 1, "COUPON_ALREADY_APPLIED");
    assert!(
        ok(&run(
            s,
            h,
            &["friends", "set-status", &friend_id, "ACTIONS_COMPLETED"]
        )
        .await)
        .contains("ACTIONS_COMPLETED")
    );
    ok(&run(s, h, &["friends", "delete", &friend_id]).await);
    let gone = run(s, h, &["friends", "get", &friend_id]).await;
    exit(&gone, 1, "404");
    let all_friends = ok(&run(s, h, &["--format", "json", "friends", "list"]).await);
    assert_eq!(
        serde_json::from_str::<Value>(&all_friends)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        75
    );

    // rewards and events
    let coupons: Value = serde_json::from_str(&ok(&run(
        s,
        h,
        &[
            "--format",
            "json",
            "rewards",
            "list",
            "--type",
            "COUPON",
            "--since",
            "2026-01-01",
        ],
    )
    .await))
    .unwrap();
    let first = coupons[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        coupons.as_array().unwrap().len(),
        76,
        "one per friend ever signed up"
    );
    assert!(ok(&run(s, h, &["rewards", "get", &first]).await).contains("coupon"));
    let events = ok(&run(
        s,
        h,
        &["--format", "csv", "events", "list", "--type", "ACTION"],
    )
    .await);
    assert!(events.lines().count() > 1);
    assert!(ok(&run(s, h, &["events", "stats"]).await).contains("sign-ups completed"));

    // customers delete
    ok(&run(s, h, &["customers", "delete", &id]).await);
    assert!(
        site.client()
            .get_referring_customer(
                &referral_domain::ReferringCustomerId::parse(id.as_str()).unwrap()
            )
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        site.client()
            .get_referred_friend(
                &referral_domain::ReferredFriendId::parse(friend_id.as_str()).unwrap()
            )
            .await
            .is_err()
    );

    // report, three ways
    let table = ok(&run(s, h, &["report", "--top", "3"]).await);
    assert!(table.contains("funnel") && table.contains("█"), "{table}");
    let json: Value =
        serde_json::from_str(&ok(&run(s, h, &["--format", "json", "report"]).await)).unwrap();
    assert_eq!(json["totalReferrals"], 75);
    let csv = ok(&run(
        s,
        h,
        &[
            "--format",
            "csv",
            "report",
            "--since",
            "2026-01-01T00:00:00Z",
        ],
    )
    .await);
    assert!(
        csv.starts_with("metric,value\nreferring_customers,25"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_of_a_seeded_site_are_stable() {
    let home = tempfile::tempdir().unwrap();
    let site = TestSite::start().await.unwrap();
    site.seed(&Dataset::small()).await.unwrap();
    let (h, s) = (home.path(), Some(&site));
    insta::assert_snapshot!(
        "customers_table",
        ok(&run(s, h, &["customers", "list"]).await)
    );
    insta::assert_snapshot!(
        "customers_csv",
        ok(&run(s, h, &["--format", "csv", "customers", "list"]).await)
    );
    insta::assert_snapshot!(
        "report_table",
        ok(&run(s, h, &["report", "--top", "5"]).await)
    );
    insta::assert_snapshot!(
        "report_csv",
        ok(&run(s, h, &["--format", "csv", "report", "--top", "3"]).await)
    );
    insta::assert_snapshot!(
        "report_json",
        ok(&run(s, h, &["--format", "json", "report", "--top", "2"]).await)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_of_every_kind_is_a_usage_error_naming_it() {
    let home = tempfile::tempdir().unwrap();
    let site = TestSite::start().await.unwrap();
    let (h, s) = (home.path(), Some(&site));
    let cases: &[(&[&str], &str)] = &[
        (
            &["customers", "get", "not-a-guid"],
            "invalid value 'not-a-guid' for '<ID>': invalid input: referringCustomerId: expected a GUID",
        ),
        (
            &["customers", "enroll", "x"],
            "invalid value 'x' for '<CONTACT>'",
        ),
        (
            &["customers", "find", "short"],
            "invalid value 'short' for '<CODE>': invalid input: referralCode: expected exactly 12",
        ),
        (
            &[
                "friends",
                "signup",
                "--code",
                "GxpxwAoMqxH8",
                "--contact",
                "nope",
            ],
            "invalid value 'nope' for '--contact <CONTACT>'",
        ),
        (
            &["friends", "list", "--customer", "42"],
            "invalid value '42' for '--customer <ID>'",
        ),
        (
            &[
                "friends",
                "set-status",
                "3857d039-b129-4393-b983-947078b6a007",
                "DONE",
            ],
            "invalid value 'DONE' for '<STATUS>'",
        ),
        (
            &["rewards", "list", "--type", "GIFT"],
            "[possible values: COUPON, LOYALTY_POINTS, NOTHING]",
        ),
        (
            &["rewards", "list", "--since", "tomorrow"],
            "neither YYYY-MM-DD",
        ),
        (
            &["events", "list", "--type", "CLICK"],
            "[possible values: REFERRED_FRIEND_SIGNUP, SUCCESSFUL_REFERRAL, ACTION, REWARD]",
        ),
        (&["report", "--top", "1001"], "1001 is not in 0..=1000"),
        (&["report", "--top", "4611686018427387904"], "--top"),
        (&["report", "--top", "many"], "--top"),
        (
            &["program", "configure", "/no/such/file.toml"],
            "/no/such/file.toml",
        ),
        (&["nonsense"], "unrecognized subcommand"),
        (&["--format", "xml", "program", "show"], "xml"),
        (&["demo", "--customers", "0"], "--customers"),
        (
            &["webhooks", "verify", "--key", "/no/key.pem", "-"],
            "/no/key.pem",
        ),
    ];
    for (args, message) in cases {
        let output = run(s, h, args).await;
        exit(&output, 2, message);
    }
    let bad_config = h.join("bad.toml");
    std::fs::write(&bad_config, "name = \"x\"\nbogus = 1\n").unwrap();
    exit(
        &run(
            s,
            h,
            &["program", "configure", bad_config.to_str().unwrap()],
        )
        .await,
        2,
        "bogus",
    );
    let short_name = h.join("short.json");
    std::fs::write(&short_name, r#"{"name": "x"}"#).unwrap();
    exit(
        &run(
            s,
            h,
            &["program", "configure", short_name.to_str().unwrap()],
        )
        .await,
        2,
        "referralProgram.name",
    );

    // API errors: exit 1, with the code, the request id and a hint.
    let unknown = run(
        s,
        h,
        &["customers", "get", "3857d039-b129-4393-b983-947078b6a007"],
    )
    .await;
    exit(&unknown, 1, "HTTP 404");
    assert!(
        stderr(&unknown).contains("[request ") && stderr(&unknown).contains("`list`"),
        "{}",
        stderr(&unknown)
    );
    let inactive = run(
        s,
        h,
        &[
            "friends",
            "signup",
            "--code",
            "AAAAAAAAAAAA",
            "--contact",
            fixtures::contact().as_str(),
        ],
    )
    .await;
    exit(&inactive, 1, "no referring customer has the code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_verify_prints_the_typed_event() {
    let home = tempfile::tempdir().unwrap();
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let key = home.path().join("key.pem");
    std::fs::write(&key, &public_pem).unwrap();
    let body = referral_domain::webhooks::domain_event_body(
        "evt-7",
        "wix.loyalty.referral.v1.referring_customer",
        "created",
        "07a3306c-b311-466e-92dd-c635c4145d1c",
        &json!({"id": "07a3306c-b311-466e-92dd-c635c4145d1c", "contactId": "661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3", "referralCode": "GxpxwAoMqxH8"}),
    );
    let jwt = WebhookSigner::from_private_key_pem(&private_pem)
        .unwrap()
        .sign(
            "wix.loyalty.referral.v1.referring_customer_created",
            "inst-1",
            &json!({"identityType": "APP", "appId": "a"}),
            &body,
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    let file = home.path().join("webhook.jwt");
    std::fs::write(&file, &jwt).unwrap();
    let out = ok(&run(
        None,
        home.path(),
        &[
            "--format",
            "json",
            "webhooks",
            "verify",
            "--key",
            key.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    )
    .await);
    let event: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(event["event"], "referring customer created");
    assert_eq!(event["eventId"], "evt-7");
    assert_eq!(event["entity"]["referralCode"], "GxpxwAoMqxH8");
    std::fs::write(&file, format!("{jwt}x")).unwrap();
    exit(
        &run(
            None,
            home.path(),
            &[
                "webhooks",
                "verify",
                "--key",
                key.to_str().unwrap(),
                file.to_str().unwrap(),
            ],
        )
        .await,
        1,
        "webhook refused",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_nothing_runs_and_local_keeps_the_state() {
    let home = tempfile::tempdir().unwrap();
    let contact = fixtures::contact();
    // No credentials and no --local: nothing runs, and the error says what to do.
    let refused = run(
        None,
        home.path(),
        &["customers", "enroll", contact.as_str()],
    )
    .await;
    exit(
        &refused,
        2,
        "no credentials: set WIX_API_KEY with WIX_SITE_ID",
    );
    for hint in ["wix-referral profile save", "--local"] {
        assert!(stderr(&refused).contains(hint), "{}", stderr(&refused));
    }
    let first = run(
        None,
        home.path(),
        &[
            "--local",
            "--format",
            "json",
            "customers",
            "enroll",
            contact.as_str(),
        ],
    )
    .await;
    let enrolled: Value = serde_json::from_str(&ok(&first)).unwrap();
    let listed = ok(&run(
        None,
        home.path(),
        &["--local", "--format", "csv", "customers", "list"],
    )
    .await);
    assert!(
        listed.contains(enrolled["referralCode"].as_str().unwrap()),
        "the state persisted: {listed}"
    );
    // A named profile that does not exist is a usage error.
    exit(
        &run(None, home.path(), &["--profile", "work", "program", "show"]).await,
        2,
        "no profile \"work\"",
    );
    // The server is the user's: it shows in `local status`, stops on `local stop`, and the
    // next command starts it again on the same store.
    let status = ok(&run(None, home.path(), &["local", "status"]).await);
    assert!(status.starts_with("running: pid "), "{status}");
    let stopped = ok(&run(None, home.path(), &["local", "stop"]).await);
    assert!(stopped.starts_with("stopped the local server"), "{stopped}");
    let status = ok(&run(None, home.path(), &["local", "status"]).await);
    assert!(status.starts_with("not running"), "{status}");
    let listed = ok(&run(
        None,
        home.path(),
        &["--local", "--format", "csv", "customers", "list"],
    )
    .await);
    assert!(
        listed.contains(enrolled["referralCode"].as_str().unwrap()),
        "the store outlived the server: {listed}"
    );
    ok(&run(None, home.path(), &["local", "stop"]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_from_config_toml_and_a_warning_when_others_can_read_it() {
    let home = tempfile::tempdir().unwrap();
    let site = TestSite::start().await.unwrap();
    let dir = home.path().join("config").join("wix-referral");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.work]\nbase_url = \"{}\"\napi_key = \"{}\"\nsite_id = \"{}\"\n",
            site.base_url(),
            site.api_key(),
            site.site_id()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let shown = run(None, home.path(), &["--profile", "work", "program", "show"]).await;
    assert!(ok(&shown).contains("DRAFT"));
    assert!(
        stderr(&shown).contains("readable by others"),
        "{}",
        stderr(&shown)
    );
    assert!(
        !stderr(&shown).contains(site.api_key()),
        "no secret in the warning"
    );
}

#[test]
fn completions_and_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let bash = command(None, home.path(), &["completions", "bash"])
        .output()
        .unwrap();
    assert!(ok(&bash).contains("wix-referral"));
    for args in [
        &["demo", "--customers", "20", "--friends", "3"][..],
        &["demo", "--chaos", "--customers", "20", "--friends", "3"],
    ] {
        let output = command(None, home.path(), args).output().unwrap();
        let out = ok(&output);
        assert!(out.contains("duplicate friends            0"), "{out}");
        assert!(out.contains("lost writes                  0"), "{out}");
        assert!(out.contains("signups attempted          400"), "{out}");
        if args.contains(&"--chaos") {
            assert!(out.contains("under chaos"), "{out}");
            let retries: u64 = out
                .lines()
                .find(|l| l.contains("retries"))
                .and_then(|l| l.split('(').nth(1))
                .and_then(|l| l.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            assert!(retries > 0, "faults were met with retries: {out}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_command_serves_until_stopped() {
    use std::io::{BufRead, BufReader};
    let home = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("wix-referral");
    let mut child = std::process::Command::new(binary)
        .args(["emulator", "--addr", "127.0.0.1:0", "--seed", "1"])
        .env("XDG_DATA_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let client = referral_domain::WixReferralClient::builder()
        .base_url(url)
        .auth(referral_domain::Auth::api_key(
            referral_emulator::DEFAULT_API_KEY,
            referral_emulator::DEFAULT_SITE_ID,
        ))
        .build()
        .unwrap();
    let page = client
        .query_referring_customers(&referral_domain::query::customers::query())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 25, "seeded");
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_profile_is_owner_only_and_works_without_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let site = TestSite::start().await.unwrap();
    let h = home.path();
    let saved = run(Some(&site), h, &["profile", "save", "shop"]).await;
    ok(&saved);
    assert!(
        stderr(&saved).contains("saved profile \"shop\" (API key site"),
        "{}",
        stderr(&saved)
    );
    assert!(
        !stderr(&saved).contains(site.api_key()),
        "the key is not echoed"
    );
    let path = h.join("config").join("wix-referral").join("config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let listed = ok(&run(None, h, &["profile", "list"]).await);
    assert!(listed.starts_with("shop\tAPI key site"), "{listed}");
    assert!(!listed.contains(site.api_key()));
    let shown = run(None, h, &["--profile", "shop", "program", "show"]).await;
    assert!(ok(&shown).contains("DRAFT"));
    assert_eq!(
        stderr(&shown),
        "",
        "no warning for an owner-only file, no emulator notice"
    );
    exit(
        &run(None, h, &["profile", "save"]).await,
        2,
        "no credentials to save",
    );
}
