//! A bare axum server that answers the emulator's GET-by-id and query paths with fixed bytes:
//! the ceiling the emulator is measured against by `benches/wrk.sh`. Same runtime as the
//! emulator binary (`#[tokio::main]`, one worker per core).
//!
//! `bare_server ADDR GET_BODY_FILE QUERY_BODY_FILE`; prints `listening on http://ADDR`.

use axum::Router;
use axum::routing::{get, post};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, get_body, query_body] = args.as_slice() else {
        eprintln!("usage: bare_server ADDR GET_BODY_FILE QUERY_BODY_FILE");
        std::process::exit(2);
    };
    let get_body = std::fs::read(get_body)?;
    let query_body = std::fs::read(query_body)?;
    let json = [("content-type", "application/json")];
    let app = Router::new()
        .route(
            "/referral-customers/v1/referring-customers/{id}",
            get(move || {
                let body = get_body.clone();
                async move { (json, body) }
            }),
        )
        .route(
            "/referral_friends/v1/referred-friends/query",
            post(move || {
                let body = query_body.clone();
                async move { (json, body) }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, app).await
}
