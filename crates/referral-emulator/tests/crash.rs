//! Acknowledged means durable: the emulator binary with its store is killed with SIGKILL at
//! random moments while writers are mid-flight, over many rounds, and restarted each time.
//! After every restart the store opens, every write that was acknowledged is there, and no
//! contact has two referring customers (create-or-return stays create-or-return).
//!
//! `CRASH_ROUNDS` sets the rounds (CI runs the default, 6); `CRASH_SEED` replays a run. The
//! large run of RELIABILITY.md: `CRASH_ROUNDS=200 cargo test --release -p referral-emulator --test crash -- --nocapture`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";
const PROGRAM: &str = "/_api/referral-programs/v1/program";
const WRITERS: usize = 4;

struct Running {
    child: Child,
    base: String,
}

/// A failing assertion must not leave the emulator running.
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(store: &Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wix-referral-emulator"))
        .args(["--addr", "127.0.0.1:0", "--rate-limit", "0", "--state"])
        .arg(store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(base) = line.trim().strip_prefix("listening on ") else {
        let mut errors = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut errors);
        panic!("the store did not open: {errors}");
    };
    Running {
        base: base.to_owned(),
        child,
    }
}

/// What the writers were told succeeded.
#[derive(Clone, Default)]
struct Acknowledged {
    /// Contact → the referring customer's id.
    customers: HashMap<String, String>,
    /// The newest acknowledged program update: revision and name.
    program: Option<(i64, String)>,
    writes: u64,
}

fn request(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
) -> reqwest::RequestBuilder {
    client
        .request(method, url)
        .header("Authorization", "local-emulator-key")
        .header("wix-site-id", "11111111-1111-4111-8111-111111111111")
}

fn revision(program: &Value) -> i64 {
    program["revision"].as_str().unwrap().parse().unwrap()
}

/// Writes until the emulator stops answering; records every 200.
async fn writer(
    base: String,
    seed: u64,
    contacts: Arc<Vec<String>>,
    acked: Arc<Mutex<Acknowledged>>,
) {
    let client = reqwest::Client::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for op in 0..10_000u32 {
        if rng.gen_bool(0.75) {
            // Create-or-return, often for a contact another writer uses too.
            let contact = &contacts[rng.gen_range(0..contacts.len())];
            let Ok(reply) = request(&client, reqwest::Method::POST, format!("{base}{CUSTOMERS}"))
                .json(&json!({"contactId": contact}))
                .send()
                .await
            else {
                return;
            };
            if reply.status() != 200 {
                panic!("create-or-return answered {}", reply.status());
            }
            let Ok(body) = reply.json::<Value>().await else {
                return;
            };
            let id = body["referringCustomer"]["id"].as_str().unwrap().to_owned();
            let mut acked = acked.lock().unwrap();
            acked.writes += 1;
            if let Some(known) = acked.customers.insert(contact.clone(), id.clone()) {
                assert_eq!(known, id, "contact {contact} got two referring customers");
            }
        } else {
            // A revision-guarded update; a 409 (another writer won the revision) is fine.
            let Ok(reply) = request(&client, reqwest::Method::GET, format!("{base}{PROGRAM}"))
                .send()
                .await
            else {
                return;
            };
            let Ok(current) = reply.json::<Value>().await else {
                return;
            };
            let name = format!("Round {seed} op {op}");
            let body = json!({"referralProgram": {
                "revision": current["referralProgram"]["revision"], "name": name}});
            let Ok(reply) = request(&client, reqwest::Method::PATCH, format!("{base}{PROGRAM}"))
                .json(&body)
                .send()
                .await
            else {
                return;
            };
            let status = reply.status();
            let Ok(answer) = reply.json::<Value>().await else {
                return;
            };
            match status.as_u16() {
                200 => {
                    let revision = revision(&answer["referralProgram"]);
                    let mut acked = acked.lock().unwrap();
                    acked.writes += 1;
                    if acked.program.as_ref().is_none_or(|(r, _)| revision > *r) {
                        acked.program = Some((revision, name));
                    }
                }
                409 => {}
                other => panic!("the update answered {other}: {answer}"),
            }
        }
    }
}

/// Every customer of the default site, by paging.
async fn all_customers(base: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut customers = Vec::new();
    let mut query = json!({"query": {"cursorPaging": {"limit": 100}}});
    loop {
        let page: Value = request(
            &client,
            reqwest::Method::POST,
            format!("{base}{CUSTOMERS}/query"),
        )
        .json(&query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        customers.extend(
            page["referringCustomers"]
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
        match page["metadata"]["cursors"]["next"].as_str() {
            Some(next) if page["metadata"]["hasNext"] == json!(true) => {
                query = json!({"query": {"cursorPaging": {"limit": 100, "cursor": next}}});
            }
            _ => return customers,
        }
    }
}

/// Everything acknowledged is there, and no contact has two customers.
async fn check(base: &str, acked: &Acknowledged) {
    let customers = all_customers(base).await;
    let mut by_contact: HashMap<&str, Vec<&str>> = HashMap::new();
    for customer in &customers {
        by_contact
            .entry(customer["contactId"].as_str().unwrap())
            .or_default()
            .push(customer["id"].as_str().unwrap());
    }
    for (contact, ids) in &by_contact {
        assert_eq!(
            ids.len(),
            1,
            "contact {contact} has {} customers",
            ids.len()
        );
    }
    for (contact, id) in &acked.customers {
        assert_eq!(
            by_contact.get(contact.as_str()).map(|ids| ids[0]),
            Some(id.as_str()),
            "the acknowledged customer of {contact} is lost"
        );
    }
    if let Some((acked_revision, name)) = &acked.program {
        let program: Value = request(
            &reqwest::Client::new(),
            reqwest::Method::GET,
            format!("{base}{PROGRAM}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let program = &program["referralProgram"];
        let revision = revision(program);
        assert!(
            revision >= *acked_revision,
            "revision {acked_revision} was acknowledged, the store has {revision}"
        );
        if revision == *acked_revision {
            assert_eq!(
                program["name"],
                json!(name),
                "the acknowledged update is lost"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_write_is_lost_when_killed_at_random_moments() {
    let rounds: u32 = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(6);
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    // A pool of contacts shared by the writers and the rounds, so that the same contact is
    // enrolled from several writers at once and again after restarts.
    let contacts: Arc<Vec<String>> =
        Arc::new((0..400).map(|_| uuid::Uuid::new_v4().to_string()).collect());
    for round in 0..rounds {
        let mut running = start(&store);
        let so_far = acked.lock().unwrap().clone();
        check(&running.base, &so_far).await;
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(writer(
                    running.base.clone(),
                    seed ^ (u64::from(round) << 8) ^ w as u64,
                    contacts.clone(),
                    acked.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(5..400))).await;
        running.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        running.child.wait().unwrap();
        for writer in writers {
            writer.await.expect("a writer saw an impossible answer");
        }
    }
    let mut running = start(&store);
    let acked = acked.lock().unwrap().clone();
    check(&running.base, &acked).await;
    running.child.kill().unwrap();
    running.child.wait().unwrap();
    println!(
        "crash test: {rounds} rounds (seed {seed}), {} writes acknowledged, {} contacts enrolled, lost: 0, duplicated: 0",
        acked.writes,
        acked.customers.len()
    );
}
