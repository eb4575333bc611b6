//! Many `wix-referral` processes on one local store: started all at once (so they also race to
//! start the local server), enrolling and signing up the same contacts from several processes.
//! Nothing is lost and nothing is duplicated.
//!
//! `LOCAL_PROCESSES` sets how many run at once (default 40).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn command(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("wix-referral"));
    cmd.env("WIX_REFERRAL_DATA_DIR", data)
        .env("WIX_REFERRAL_LOCAL_IDLE_SECS", "30")
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_SITE_ID")
        .env_remove("WIX_ACCOUNT_ID")
        .env_remove("WIX_APP_ID")
        .env_remove("WIX_ACCESS_TOKEN")
        .env_remove("WIX_BASE_URL")
        .stdin(Stdio::null())
        .arg("--local")
        .args(args);
    cmd
}

#[track_caller]
fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run(data: &Path, args: &[&str]) -> String {
    ok(&command(data, args).output().expect("it runs"))
}

fn contact(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

#[test]
fn forty_processes_at_once_lose_nothing_and_enrol_no_one_twice() {
    let processes: usize = std::env::var("LOCAL_PROCESSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let referrers = (processes / 8).max(2);
    let enrolled_contacts = processes / 4; // each enrolled by two processes
    let friend_contacts = processes / 4; // each signed up by two processes

    // Round 1, all at once: enrolments only (no server runs yet: they race to start it).
    let mut children: Vec<(String, std::process::Child)> = (0..processes)
        .map(|i| {
            let who = contact(i % (referrers + enrolled_contacts));
            let child = command(&data, &["--format", "json", "customers", "enroll", &who])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("it starts");
            (who, child)
        })
        .collect();
    let mut codes: HashMap<String, String> = HashMap::new();
    for (who, child) in children.drain(..) {
        let output = child.wait_with_output().unwrap();
        let customer: Value = serde_json::from_str(&ok(&output)).unwrap();
        let code = customer["referralCode"].as_str().unwrap().to_owned();
        if let Some(other) = codes.insert(who.clone(), code.clone()) {
            assert_eq!(other, code, "{who} was told two different referral codes");
        }
    }

    // The program must be active for signups.
    run(&data, &["program", "activate"]);

    // Round 2, all at once: signups (two processes per friend) and more enrolments.
    let friend = |i: usize| contact(1_000 + i % friend_contacts);
    let referrer_code = |i: usize| codes[&contact(i % referrers)].clone();
    let mut children: Vec<(usize, std::process::Child)> = (0..processes)
        .map(|i| {
            let args: Vec<String> = if i % 2 == 0 {
                let who = contact(i % (referrers + enrolled_contacts));
                ["--format", "json", "customers", "enroll", &who]
                    .map(String::from)
                    .to_vec()
            } else {
                let code = referrer_code(i / 2 % friend_contacts);
                let contact = friend(i / 2);
                [
                    "--format",
                    "json",
                    "friends",
                    "signup",
                    "--code",
                    &code,
                    "--contact",
                    &contact,
                ]
                .map(String::from)
                .to_vec()
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let child = command(&data, &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("it starts");
            (i, child)
        })
        .collect();
    let mut friend_ids: HashMap<String, String> = HashMap::new();
    for (i, child) in children.drain(..) {
        let output = child.wait_with_output().unwrap();
        let answer: Value = serde_json::from_str(&ok(&output)).unwrap();
        if i % 2 == 1 {
            let id = answer["friend"]["id"].as_str().unwrap().to_owned();
            let contact = answer["friend"]["contactId"].as_str().unwrap().to_owned();
            if let Some(other) = friend_ids.insert(contact.clone(), id.clone()) {
                assert_eq!(other, id, "friend {contact} was created twice");
            }
        } else {
            let who = answer["contactId"].as_str().unwrap();
            assert_eq!(
                codes.get(who).map(String::as_str),
                answer["referralCode"].as_str(),
                "{who} got a second customer"
            );
        }
    }

    // What the store holds: every contact once, every acknowledged answer there.
    let customers: Value =
        serde_json::from_str(&run(&data, &["--format", "json", "customers", "list"])).unwrap();
    let customers = customers.as_array().unwrap();
    assert_eq!(customers.len(), codes.len(), "one customer per contact");
    for customer in customers {
        let who = customer["contactId"].as_str().unwrap();
        assert_eq!(
            codes.get(who).map(String::as_str),
            customer["referralCode"].as_str()
        );
    }
    let friends: Value =
        serde_json::from_str(&run(&data, &["--format", "json", "friends", "list"])).unwrap();
    let friends = friends.as_array().unwrap();
    assert_eq!(friends.len(), friend_ids.len(), "one friend per contact");
    for friend in friends {
        let contact = friend["contactId"].as_str().unwrap();
        assert_eq!(
            friend_ids.get(contact).map(String::as_str),
            friend["id"].as_str()
        );
    }

    // Stopped and started again, the store holds the same.
    assert!(run(&data, &["local", "stop"]).starts_with("stopped"));
    let again: Value =
        serde_json::from_str(&run(&data, &["--format", "json", "customers", "list"])).unwrap();
    assert_eq!(again.as_array().unwrap().len(), codes.len());
    run(&data, &["local", "stop"]);
    println!(
        "local store: {processes} processes at once, twice; {} customers, {} friends; lost: 0, duplicated: 0",
        codes.len(),
        friend_ids.len()
    );
}

#[test]
fn the_local_server_answers_its_user_only() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    run(&data, &["customers", "list"]);
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("server.json")).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700, "the data directory is owner-only");
        assert_eq!(
            mode(&data.join("server.json")),
            0o600,
            "server.json is owner-only"
        );
    }
    let base = info["baseUrl"].as_str().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        // Without the server's key: neither the API (even with the well-known emulator key)
        // nor the control API answers.
        for key in [None, Some(referral_emulator::DEFAULT_API_KEY)] {
            let mut request = http
                .get(format!("{base}/_api/referral-programs/v1/program"))
                .header("wix-site-id", referral_emulator::DEFAULT_SITE_ID);
            if let Some(key) = key {
                request = request.header("Authorization", key);
            }
            assert_eq!(request.send().await.unwrap().status(), 401, "{key:?}");
        }
        let control = http
            .post(format!("{base}/_emulator/v1/sites"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            control.status(),
            401,
            "the control API needs the control key"
        );
        let shutdown = http
            .post(format!("{base}/_emulator/v1/shutdown"))
            .send()
            .await
            .unwrap();
        assert_eq!(shutdown.status(), 401);
    });
    assert!(run(&data, &["local", "status"]).starts_with("running"));
    run(&data, &["local", "stop"]);
}
