//! The store behind `--state`: today's JSON state files are imported once, and a corrupt,
//! foreign or busy file is a clear error naming it, never a silent reset.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use referral_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

/// A state file written by the emulator before the store (`--state FILE` saved JSON).
const LEGACY: &str = include_str!("fixtures/legacy-state.json");
const LEGACY_CUSTOMER: &str = "e88440f6-4c7d-49f1-badb-ec6d79676db8";
const LEGACY_CODE: &str = "U7Wpq45BvmNm";
const LEGACY_FRIEND: &str = "2588132f-1ea1-4df3-ab15-3a73565faba7";
const LEGACY_MEMBER: &str = "MEMBER.bN7ts17o1EQdr_WQfBkxy65BOkso9LEXg6el3IvQSKU";
const LEGACY_SECOND_SITE: &str = "b38b79aa-ace8-42f2-b68e-ea2129e6afc4";
const LEGACY_SECOND_KEY: &str = "emk_p5a5wWOjAfokHG907fHaDCbgG3LDBAmydf_usGBe6q4";

fn config(file: &Path) -> EmulatorConfig {
    EmulatorConfig {
        state_file: Some(file.to_owned()),
        ..EmulatorConfig::default()
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

async fn check_legacy_data(api: &Api) {
    let program = api.program().await;
    assert_eq!(program["name"], json!("Legacy Program"));
    assert_eq!(program["status"], json!("ACTIVE"));
    let by_code = api
        .get(&format!("{CUSTOMERS}/code/{LEGACY_CODE}"))
        .await
        .ok();
    assert_eq!(
        by_code["referringCustomer"]["id"],
        json!(LEGACY_CUSTOMER),
        "indexes rebuilt"
    );
    let friend = api.get(&format!("{FRIENDS}/{LEGACY_FRIEND}")).await.ok();
    assert_eq!(
        friend["referredFriend"]["status"],
        json!("ACTIONS_COMPLETED")
    );
    let events = api
        .query(&format!("{TRACKER}/referral-events/query"), json!({}))
        .await
        .ok();
    assert_eq!(events["referralEvents"].as_array().unwrap().len(), 5);
    let stats = api
        .get(&format!("{TRACKER}/referral-statistics"))
        .await
        .ok();
    assert_eq!(stats["totalAmountGenerated"], json!("42.50"));
    // The member token and the second site's key still work.
    let member = api
        .send(
            &Auth::Token(LEGACY_MEMBER.into()),
            reqwest::Method::POST,
            CUSTOMERS,
            Some(json!({"contactId": "me"})),
        )
        .await;
    member.expect(200);
    let second = api
        .send(
            &Auth::ApiKey {
                key: LEGACY_SECOND_KEY.into(),
                site: LEGACY_SECOND_SITE.into(),
            },
            reqwest::Method::GET,
            PROGRAM,
            None,
        )
        .await;
    second.expect(200);
}

#[tokio::test]
async fn a_json_state_file_is_imported_once_and_kept_beside_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    std::fs::write(&file, LEGACY).unwrap();

    let api = Api::start_with(config(&file)).await;
    check_legacy_data(&api).await;
    // A write after the import lands in the store.
    let added = api.customer(&contact()).await;
    api.emulator.shutdown().await;

    let head = std::fs::read(&file).unwrap();
    assert!(
        head.starts_with(b"SQLite format 3\0"),
        "the store replaced the JSON"
    );
    let backup = with_suffix(&file, ".imported.json");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        LEGACY,
        "the JSON is kept"
    );

    // Opened again: the store, not a second import.
    let again = Api::start_with(config(&file)).await;
    check_legacy_data(&again).await;
    let id = added["id"].as_str().unwrap();
    assert_eq!(
        again.get(&format!("{CUSTOMERS}/{id}")).await.ok()["referringCustomer"],
        added
    );
    again.emulator.shutdown().await;
}

async fn refused(file: &Path) -> String {
    match Emulator::start_with(config(file)).await {
        Ok(_) => panic!("{} was opened", file.display()),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn a_file_that_is_no_store_is_refused_naming_it_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "bytes.bin",
            b"\x00\x01 not a store at all",
            "neither an emulator store",
        ),
        (
            "notes.txt",
            b"remember the milk\n",
            "neither an emulator store",
        ),
        (
            "other.json",
            br#"{"hello": "world"}"#,
            "does not read as one",
        ),
        ("torn.json", br#"{"sites": {"#, "does not read as one"),
    ];
    for (name, bytes, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let error = refused(&file).await;
        assert!(
            error.contains(&file.display().to_string()),
            "{name}: {error}"
        );
        assert!(error.contains(expected), "{name}: {error}");
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "{name} was changed");
    }
}

#[tokio::test]
async fn a_foreign_or_damaged_database_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();

    // Another application's SQLite database.
    let foreign = dir.path().join("foreign.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let error = refused(&foreign).await;
    assert!(error.contains("another application"), "{error}");
    assert!(error.contains("foreign.db"), "{error}");

    // A store with a row that no longer decodes.
    let store = dir.path().join("store.sqlite");
    let api = Api::start_with(config(&store)).await;
    let customer = api.customer(&contact()).await;
    api.emulator.shutdown().await;
    {
        let conn = rusqlite::Connection::open(&store).unwrap();
        conn.execute("UPDATE rows SET body = '{\"id\": 7'", [])
            .unwrap();
    }
    let error = refused(&store).await;
    assert!(error.contains("store.sqlite"), "{error}");
    assert!(error.contains("does not decode"), "{error}");
    assert!(
        error.contains(customer["id"].as_str().unwrap()),
        "names the row: {error}"
    );

    // A store cut short (a disk that lost its tail).
    let cut = dir.path().join("cut.sqlite");
    let api = Api::start_with(config(&cut)).await;
    for _ in 0..200 {
        api.customer(&contact()).await;
    }
    api.emulator.shutdown().await;
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let error = refused(&cut).await;
    assert!(error.contains("cut.sqlite"), "{error}");
}

#[tokio::test]
async fn one_process_at_a_time_keeps_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    let first = Api::start_with(config(&store)).await;
    let error = refused(&store).await;
    assert!(
        error.contains("in use by another emulator process"),
        "{error}"
    );
    // The first is unaffected, and once it stops the store opens again.
    first.customer(&contact()).await;
    first.emulator.shutdown().await;
    let second = Api::start_with(config(&store)).await;
    let customers = second
        .query(&format!("{CUSTOMERS}/query"), json!({}))
        .await
        .ok();
    assert_eq!(customers["referringCustomers"].as_array().unwrap().len(), 1);
    second.emulator.shutdown().await;
}

#[tokio::test]
async fn a_reset_and_new_sites_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    let api = Api::start_with(config(&store)).await;
    api.customer(&contact()).await;
    api.control(reqwest::Method::POST, "/reset", None)
        .await
        .expect(200);
    let site: Value = api
        .control(reqwest::Method::POST, "/sites", None)
        .await
        .ok();
    api.emulator.shutdown().await;

    let again = Api::start_with(config(&store)).await;
    let customers = again
        .query(&format!("{CUSTOMERS}/query"), json!({}))
        .await
        .ok();
    assert_eq!(
        customers["referringCustomers"],
        json!([]),
        "the reset is durable"
    );
    let on_new_site = again
        .send(
            &Auth::ApiKey {
                key: site["apiKey"].as_str().unwrap().into(),
                site: site["siteId"].as_str().unwrap().into(),
            },
            reqwest::Method::GET,
            PROGRAM,
            None,
        )
        .await;
    on_new_site.expect(200);
    again.emulator.shutdown().await;
}

/// Many writers at once with the store: every answer arrives. (Waiting for durability once
/// took a second read guard on the writer's progress while holding one, which deadlocked as
/// soon as the writer thread waited to publish; the store benchmark hung on it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_all_get_their_answers() {
    let dir = tempfile::tempdir().unwrap();
    let api = std::sync::Arc::new(Api::start_with(config(&dir.path().join("store.sqlite"))).await);
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                for _ in 0..150 {
                    api.customer(&contact()).await;
                }
            })
        })
        .collect();
    let all = futures::future::join_all(writers);
    // A hang detector, not a timing: 2 400 writes take a second or two.
    let finished = tokio::time::timeout(std::time::Duration::from_secs(300), all).await;
    for writer in finished.expect("every writer got its answers") {
        writer.unwrap();
    }
    let stats = api.emulator.store_stats().unwrap();
    assert!(stats.batches >= 2_400, "{stats:?}");
    assert!(stats.commits <= stats.batches, "{stats:?}");
}
