//! Peak memory of one call by the size of its response: a query whose answer is 1 MiB or 15 MiB
//! of rewards (a hostile server's page: Wix pages hold at most 100 items), and answers refused
//! at the client's bound (16 MiB by default): one that declares 64 MiB, one that never ends.
//! Not a test: it reports.
//!
//! `cargo bench -p referral-domain --bench response_memory`
//!
//! Memory is counted by a global allocator (`peak_alloc`) that tracks the bytes allocated now and
//! their peak: exact and repeatable, unlike RSS. The figure is the peak during the call less what
//! was allocated before it. The stub server runs in the same process but serves one shared
//! `Bytes` (reference-counted, never copied), so what is counted is the client's.

use axum::Router;
use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use axum::routing::post;
use peak_alloc::PeakAlloc;
use referral_domain::query::rewards;
use referral_domain::{Auth, ReferralRewards, RetryPolicy, WixReferralClient};

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const MIB: usize = 1024 * 1024;

/// A query-rewards answer of about `bytes` bytes: as many rewards as fit.
fn rewards_page(bytes: usize) -> Vec<u8> {
    let reward = |i: usize| {
        format!(
            r#"{{"id":"{:08x}-0000-4000-8000-{:012x}","revision":"1","createdDate":"2026-01-01T00:00:00.000Z","updatedDate":"2026-01-01T00:00:00.000Z","rewardType":"LOYALTY_POINTS","referringCustomerId":"3857d039-b129-4393-b983-947078b6a007","loyaltyPoints":{{"transactionId":"3857d039-b129-4393-b983-947078b6a008","amount":100}}}}"#,
            i >> 16,
            i
        )
    };
    let mut body = String::from(r#"{"referralRewards":["#);
    let mut i = 0;
    while body.len() + 400 < bytes {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&reward(i));
        i += 1;
    }
    body.push_str(r#"],"metadata":{"count":0,"hasNext":false}}"#);
    body.into_bytes()
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

const QUERY: &str = "/_api/referral-rewards/v1/referral-rewards/query";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let one = bytes::Bytes::from(rewards_page(MIB));
    let fifteen = bytes::Bytes::from(rewards_page(15 * MIB));
    let declared = bytes::Bytes::from(vec![b' '; 64 * MIB]);
    let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
    let cases: Vec<(&str, Router)> = vec![
        ("1 MiB of rewards", fixed(one)),
        ("15 MiB of rewards", fixed(fifteen)),
        (
            "64 MiB declared (refused from Content-Length)",
            fixed(declared),
        ),
        (
            "a body that never ends (refused at 16 MiB read)",
            Router::new().route(
                QUERY,
                post(move || {
                    let chunk = chunk.clone();
                    async move {
                        Response::builder()
                            .header(header::CONTENT_TYPE, "application/json")
                            .body(Body::from_stream(futures::stream::repeat_with(move || {
                                Ok::<_, std::io::Error>(chunk.clone())
                            })))
                            .unwrap()
                    }
                }),
            ),
        ),
    ];
    println!("| response | outcome | peak memory of the call (MiB) | peak / body size |");
    println!("|---|---|---|---|");
    for (label, router) in cases {
        let base = serve(router).await;
        let client = WixReferralClient::builder()
            .base_url(base)
            .auth(Auth::api_key("key", "site"))
            .retries(RetryPolicy::none())
            .build()
            .unwrap();
        // One call first so that connections, TLS-free pools and lazy statics exist before.
        let _ = client.query_referral_rewards(&rewards::query()).await;
        let before = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let result = client.query_referral_rewards(&rewards::query()).await;
        let peak = ALLOCATOR.peak_usage().saturating_sub(before);
        let outcome = match &result {
            Ok(page) => format!("{} rewards", page.items.len()),
            Err(e) => format!("error: {}", e.to_string().replace('|', "/")),
        };
        let size = label
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<f64>().ok())
            .filter(|_| label.contains("MiB of"));
        let ratio = size.map_or("–".to_owned(), |mib| {
            format!("{:.2}×", peak as f64 / (mib * MIB as f64))
        });
        println!(
            "| {label} | {outcome} | {:.1} | {ratio} |",
            peak as f64 / MIB as f64
        );
        drop(result);
    }
}

fn fixed(body: bytes::Bytes) -> Router {
    Router::new().route(
        QUERY,
        post(move || {
            let body = body.clone();
            async move {
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .unwrap()
            }
        }),
    )
}
