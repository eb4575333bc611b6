//! SDK overhead: the same calls through `WixReferralClient` and through hand-written reqwest +
//! serde_json, against the same emulator, interleaved in one run. Not a test: it reports.
//!
//! `cargo bench -p referral-domain --bench sdk_overhead` (add `-- --quick` for fewer calls).
//!
//! The SDK client has its defaults (retries, timeouts, tracing spans), as a user gets it.
//! The emulator runs on its own one-worker runtime thread; both clients run one call at a time
//! on another, so each side sees the same server and the same loopback. Each round measures
//! every operation on both sides back to back, alternating which side goes first; the report
//! gives the median time per call of each side and the median of the per-round ratios (which
//! cancels the machine's drift between rounds). Target: SDK ≤ 1.10× hand-written.

mod support;

use std::time::{Duration, Instant};

use referral_domain::query::rewards;
use referral_domain::{
    Auth, ContactId, ReferralRewardId, ReferralRewards, ReferringCustomers, RewardType,
    WixReferralClient,
};
use serde_json::{Value, json};

struct Raw {
    http: reqwest::Client,
    base: String,
    key: String,
    site: String,
}

impl Raw {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.key)
            .header("wix-site-id", &self.site)
    }

    async fn json(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.send().await.expect("sent");
        assert!(response.status().is_success(), "{}", response.status());
        serde_json::from_slice(&response.bytes().await.expect("a body")).expect("JSON")
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn contact(n: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", n >> 16, n)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    GetReward,
    QueryRewards,
    GenerateCustomer,
}

const OPS: [Op; 3] = [Op::GetReward, Op::QueryRewards, Op::GenerateCustomer];

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, calls) = if quick { (5, 100) } else { (21, 200) };

    let (base, key, site) = support::emulator_on_its_own_thread();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let raw = Raw {
            http: reqwest::Client::new(),
            base: base.clone(),
            key: key.clone(),
            site: site.clone(),
        };
        // Seed: rewards of every kind, at least 100 coupons.
        let seeded = raw
            .json(
                raw.http
                    .post(format!("{base}/_emulator/v1/sites/{site}/seed"))
                    .json(&json!({"customers": 300, "friendsPerCustomer": 3, "actionRate": 0.5, "seed": 7})),
            )
            .await;
        eprintln!("seeded: {seeded}");
        let sdk = WixReferralClient::builder()
            .base_url(&base)
            .auth(Auth::api_key(key.clone(), site.clone()))
            .build()
            .expect("a client");
        let coupons = rewards::query().filter(rewards::reward_type().eq(RewardType::Coupon)).page_size(100);
        let first = sdk.query_referral_rewards(&coupons).await.expect("coupons");
        assert_eq!(first.items.len(), 100, "the seed has 100 coupon rewards");
        let reward_id: ReferralRewardId = first.items[0].id.clone();
        let raw_query = json!({"query": {"filter": {"rewardType": {"$eq": "COUPON"}}, "cursorPaging": {"limit": 100}}});

        let mut next_contact = 1u64;
        let mut run = |op: Op, use_sdk: bool, n: usize| {
            let contacts: Vec<String> = (0..n)
                .map(|_| {
                    next_contact += 1;
                    contact(next_contact)
                })
                .collect();
            let sdk = &sdk;
            let raw = &raw;
            let coupons = &coupons;
            let reward_id = &reward_id;
            let raw_query = &raw_query;
            async move {
                let started = Instant::now();
                for contact_id in &contacts {
                    match (op, use_sdk) {
                        (Op::GetReward, true) => {
                            std::hint::black_box(sdk.get_referral_reward(reward_id).await.expect("a reward"));
                        }
                        (Op::GetReward, false) => {
                            let path = format!("/_api/referral-rewards/v1/referral-rewards/{reward_id}");
                            std::hint::black_box(raw.json(raw.request(reqwest::Method::GET, &path)).await);
                        }
                        (Op::QueryRewards, true) => {
                            let page = sdk.query_referral_rewards(coupons).await.expect("a page");
                            assert_eq!(page.items.len(), 100);
                            std::hint::black_box(page);
                        }
                        (Op::QueryRewards, false) => {
                            let page = raw
                                .json(
                                    raw.request(reqwest::Method::POST, "/_api/referral-rewards/v1/referral-rewards/query")
                                        .json(raw_query),
                                )
                                .await;
                            assert_eq!(page["referralRewards"].as_array().map(Vec::len), Some(100));
                            std::hint::black_box(page);
                        }
                        (Op::GenerateCustomer, true) => {
                            let contact = ContactId::parse(contact_id.as_str()).expect("a GUID");
                            std::hint::black_box(sdk.generate_referring_customer(&contact).await.expect("a customer"));
                        }
                        (Op::GenerateCustomer, false) => {
                            std::hint::black_box(
                                raw.json(
                                    raw.request(reqwest::Method::POST, "/referral-customers/v1/referring-customers")
                                        .json(&json!({"contactId": contact_id})),
                                )
                                .await,
                            );
                        }
                    }
                }
                started.elapsed()
            }
        };

        // Warm-up: connections, allocator, caches.
        for op in OPS {
            run(op, true, 50).await;
            run(op, false, 50).await;
        }
        let mut per_call: Vec<(Op, Vec<f64>, Vec<f64>)> = OPS.iter().map(|op| (*op, Vec::new(), Vec::new())).collect();
        for round in 0..rounds {
            for (op, sdk_times, raw_times) in per_call.iter_mut() {
                let sdk_first = round % 2 == 0;
                for use_sdk in [sdk_first, !sdk_first] {
                    let elapsed: Duration = run(*op, use_sdk, calls).await;
                    let micros = elapsed.as_secs_f64() * 1e6 / calls as f64;
                    if use_sdk { sdk_times.push(micros) } else { raw_times.push(micros) }
                }
            }
        }
        println!("| call | hand-written reqwest + serde_json (µs/call) | WixReferralClient (µs/call) | SDK / hand-written (median of per-round ratios) |");
        println!("|---|---|---|---|");
        for (op, mut sdk_times, mut raw_times) in per_call {
            // Each round's two sides ran back to back: their ratio cancels the machine's drift.
            let mut ratios: Vec<f64> = sdk_times.iter().zip(&raw_times).map(|(s, r)| s / r).collect();
            let ratio = median(&mut ratios);
            let (sdk_median, raw_median) = (median(&mut sdk_times), median(&mut raw_times));
            let name = match op {
                Op::GetReward => "get a reward",
                Op::QueryRewards => "query 100 rewards with a filter",
                Op::GenerateCustomer => "generate a referring customer",
            };
            println!("| {name} | {raw_median:.0} | {sdk_median:.0} | **{ratio:.3}×** |");
        }
    });
}
