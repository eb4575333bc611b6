//! A webhook receiver for `benches/wrk_webhooks.py`, in one of two moods:
//!
//! - `answer`: every POST gets 200 at once; `GET /count` says how many came.
//! - `silent`: accepts connections and never reads or answers (a receiver that hangs), holding
//!   at most 10 000 connections (the oldest are closed beyond).
//!
//! `webhook_receiver ADDR answer|silent`; prints `listening on http://ADDR`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::routing::{get, post};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, mood] = args.as_slice() else {
        eprintln!("usage: webhook_receiver ADDR answer|silent");
        std::process::exit(2);
    };
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on http://{}", listener.local_addr()?);
    match mood.as_str() {
        "answer" => {
            let count = Arc::new(AtomicU64::new(0));
            let counted = count.clone();
            let app = Router::new()
                .route(
                    "/count",
                    get(move || {
                        let count = count.clone();
                        async move { count.load(Ordering::Relaxed).to_string() }
                    }),
                )
                .route(
                    "/{*path}",
                    post(move || {
                        counted.fetch_add(1, Ordering::Relaxed);
                        async { "ok" }
                    }),
                );
            axum::serve(listener, app).await
        }
        "silent" => {
            let mut held = VecDeque::new();
            loop {
                let (stream, _) = listener.accept().await?;
                if held.len() == 10_000 {
                    held.pop_front();
                }
                held.push_back(stream);
            }
        }
        other => {
            eprintln!("unknown mood {other:?}: answer or silent");
            std::process::exit(2);
        }
    }
}
