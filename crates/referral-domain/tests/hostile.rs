//! The SDK against servers that misbehave on purpose: stub servers on loopback (axum) that
//! redirect, send bodies without end, fail the token request for a while, ask for long waits,
//! echo secrets, or page forever. Each class ends in a typed error (or, for transient failures,
//! a success after retries), never a hang, a leak or unbounded memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use referral_domain::{Auth, Error, ReferralPrograms, RetryPolicy, WixReferralClient};
use serde_json::json;

const SECRET: &str = "app-secret-7c1f0e";

/// Serves `router` on a loopback port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A server that counts what reaches it (where a redirect would have sent the request).
async fn elsewhere() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let base = serve(Router::new().fallback(any(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { (StatusCode::OK, "{}") }
    })))
    .await;
    (base, hits)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_delays(Duration::from_millis(1), Duration::from_millis(5))
}

fn app_client(base: &str) -> WixReferralClient {
    WixReferralClient::builder()
        .base_url(base)
        .auth(Auth::app("app-id", SECRET, "instance-id"))
        .retries(fast_retries())
        .build()
        .unwrap()
}

fn key_client(base: &str) -> referral_domain::WixReferralClientBuilder {
    WixReferralClient::builder()
        .base_url(base)
        .auth(Auth::api_key("key-9d2a", "site-1"))
        .retries(fast_retries())
}

fn program_json() -> serde_json::Value {
    json!({"referralProgram": {"name": "P", "status": "ACTIVE", "revision": "3"}})
}

fn token_json() -> serde_json::Value {
    json!({"access_token": "tok-1", "token_type": "Bearer", "expires_in": 14400})
}

#[tokio::test]
async fn the_token_request_follows_no_redirect_and_the_secret_stays_home() {
    let (other, hits) = elsewhere().await;
    for status in [
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ] {
        let target = format!("{other}/oauth2/token?client_secret={SECRET}");
        let base = serve(Router::new().route(
            "/oauth2/token",
            post(move || {
                let target = target.clone();
                async move { (status, [(header::LOCATION, target)]) }
            }),
        ))
        .await;
        let err = app_client(&base).get_program().await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::TokenRequest { .. }), "{err:?}");
        assert!(text.contains("redirect") && text.contains(&other), "{text}");
        assert!(!text.contains(SECRET), "the query is not shown: {text}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the other origin"
    );
}

#[tokio::test]
async fn api_requests_follow_no_redirect_and_name_where_it_pointed() {
    let (other, hits) = elsewhere().await;
    let target = format!("{other}/steal?token=abc");
    let base = serve(Router::new().fallback(any(move || {
        let target = target.clone();
        async move { (StatusCode::FOUND, [(header::LOCATION, target)]) }
    })))
    .await;
    let err = key_client(&base).build().unwrap().get_program().await;
    let err = err.unwrap_err();
    match &err {
        Error::Redirected {
            status, location, ..
        } => {
            assert_eq!(*status, 302);
            assert_eq!(location, &format!("{other}/steal"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(302));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

/// A body that never ends (1 KiB chunks, forever).
fn endless() -> Body {
    let chunk = bytes::Bytes::from(vec![b' '; 1024]);
    Body::from_stream(futures::stream::repeat_with(move || {
        Ok::<_, std::io::Error>(chunk.clone())
    }))
}

#[tokio::test]
async fn a_body_without_end_is_refused_at_the_bound() {
    let base = serve(
        Router::new()
            .route("/oauth2/token", post(|| async { Response::new(endless()) }))
            .fallback(any(|| async { Response::new(endless()) })),
    )
    .await;
    let limit = 256 * 1024;
    let by_key = key_client(&base).max_response_bytes(limit).build().unwrap();
    let err = tokio::time::timeout(Duration::from_secs(60), by_key.get_program())
        .await
        .expect("the read stops at the bound")
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { status: 200, limit: l, .. } if l == limit),
        "{err:?}"
    );
    assert!(err.to_string().contains("262144 bytes"), "{err}");

    let by_app = WixReferralClient::builder()
        .base_url(&base)
        .auth(Auth::app("app-id", SECRET, "instance-id"))
        .max_response_bytes(limit)
        .retries(fast_retries())
        .build()
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(60), by_app.get_program())
        .await
        .expect("the token read stops at the bound")
        .unwrap_err();
    assert!(matches!(err, Error::TokenRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("262144 bytes"), "{err}");
}

#[tokio::test]
async fn a_declared_length_beyond_the_bound_is_refused_before_reading() {
    let served = Arc::new(AtomicUsize::new(0));
    let counted = served.clone();
    let base = serve(Router::new().fallback(any(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            // 2 MiB declared; the bound is 1 MiB.
            let body = vec![b' '; 2 * 1024 * 1024];
            (StatusCode::INTERNAL_SERVER_ERROR, body)
        }
    })))
    .await;
    let client = key_client(&base)
        .max_response_bytes(1024 * 1024)
        .build()
        .unwrap();
    let err = client.get_program().await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1, "refused, not retried");
    // Within the bound, the same body is read: an ordinary 500.
    let roomy = key_client(&base)
        .retries(RetryPolicy::none())
        .build()
        .unwrap();
    let err = roomy.get_program().await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
}

#[tokio::test]
async fn transient_token_failures_are_retried_like_api_calls() {
    let token_hits = Arc::new(AtomicUsize::new(0));
    let counted = token_hits.clone();
    let base = serve(
        Router::new()
            .route(
                "/oauth2/token",
                post(move || {
                    let n = counted.fetch_add(1, Ordering::SeqCst);
                    async move {
                        match n {
                            0 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                            1 => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "0")])
                                .into_response(),
                            _ => axum::Json(token_json()).into_response(),
                        }
                    }
                }),
            )
            .fallback(any(|headers: HeaderMap| async move {
                match headers.get(header::AUTHORIZATION) {
                    Some(token) if token == "tok-1" => axum::Json(program_json()).into_response(),
                    _ => StatusCode::UNAUTHORIZED.into_response(),
                }
            })),
    )
    .await;
    let program = app_client(&base).get_program().await.unwrap();
    assert_eq!(program.name.as_deref(), Some("P"));
    assert_eq!(
        token_hits.load(Ordering::SeqCst),
        3,
        "503, 429, then the token"
    );

    // A token endpoint that stays down: the policy's attempts, then a retryable error.
    let down = Arc::new(AtomicUsize::new(0));
    let counted = down.clone();
    let base = serve(Router::new().route(
        "/oauth2/token",
        post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { StatusCode::BAD_GATEWAY }
        }),
    ))
    .await;
    let err = app_client(&base).get_program().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::TokenRequest {
                status: Some(502),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(down.load(Ordering::SeqCst), 4, "max_attempts of the policy");
}

#[tokio::test]
async fn a_wait_beyond_the_calls_budget_is_a_rate_limit_at_once() {
    // 20 s is within max_retry_after (30 s) but beyond the call's 3 s: not slept out.
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(20));
    for retry_after in ["20".to_owned(), date] {
        let value = retry_after.clone();
        let base = serve(Router::new().fallback(any(move || {
            let value = value.clone();
            async move {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, value)],
                )
            }
        })))
        .await;
        let client = key_client(&base)
            .timeout(Some(Duration::from_secs(3)))
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client.get_program().await.unwrap_err();
        match err {
            Error::RateLimited {
                retry_after: Some(wait),
                ..
            } => assert!(
                (Duration::from_secs(15)..=Duration::from_secs(20)).contains(&wait),
                "{retry_after}: {wait:?}"
            ),
            other => panic!("{retry_after}: {other:?}"),
        }
        // Not the 3 s timeout: the wait was never started (a generous bound for a busy machine).
        assert!(started.elapsed() < Duration::from_secs(3), "{retry_after}");
    }
}

#[tokio::test]
async fn what_a_token_endpoint_echoes_is_shown_without_the_secret() {
    let base = serve(Router::new().route(
        "/oauth2/token",
        post(|body: String| async move {
            // The whole request echoed back, the secret in it.
            let description = format!("bad request: {body} (client_secret={SECRET})");
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_request", "error_description": description})),
            )
        }),
    ))
    .await;
    let err = app_client(&base).get_program().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("invalid") || shown.contains("bad request"),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn a_base_url_with_credentials_is_refused_without_echoing_them() {
    for url in [
        "https://user:hunter2-pass@www.wixapis.com",
        "ht tp://user:hunter2-pass@bad host",
    ] {
        let err = WixReferralClient::builder()
            .base_url(url)
            .auth(Auth::api_key("k", "s"))
            .build()
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("base_url"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
    let builder = WixReferralClient::builder().base_url("https://u:hunter2-pass@h.example");
    assert!(!format!("{builder:?}").contains("hunter2"));
}

#[tokio::test]
async fn what_an_api_error_echoes_is_shown_without_the_key_or_the_token() {
    let echo = |headers: HeaderMap| async move {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "message": format!("rejected Authorization: {sent}"),
                "details": {
                    "applicationError": {"code": "BAD", "description": format!("you sent {sent}")},
                    "validationError": {"fieldViolations": [
                        {"field": "authorization", "description": format!("{sent} is not allowed")}
                    ]}
                }
            })),
        )
    };
    let base = serve(
        Router::new()
            .route("/oauth2/token", post(|| async { axum::Json(token_json()) }))
            .fallback(any(echo)),
    )
    .await;
    let by_key = key_client(&base).build().unwrap();
    let err = by_key.get_program().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert_eq!(err.status(), Some(400));
    assert!(shown.contains("***"), "{shown}");
    assert!(!shown.contains("key-9d2a"), "{shown}");
    let by_app = app_client(&base);
    let err = by_app.get_program().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("tok-1"),
        "the app token is masked too: {shown}"
    );
}

/// A friends query endpoint that answers `page(n)` to its n-th call (1-based).
async fn paging_server(
    page: impl Fn(usize) -> serde_json::Value + Clone + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let base = serve(Router::new().route(
        "/referral_friends/v1/referred-friends/query",
        post(move || {
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            let body = page(n);
            async move { axum::Json(body) }
        }),
    ))
    .await;
    (base, calls)
}

fn friends_page(ids: &[usize], metadata: serde_json::Value) -> serde_json::Value {
    let friends: Vec<_> = ids
        .iter()
        .map(|i| json!({"id": format!("00000000-0000-4000-8000-{i:012}")}))
        .collect();
    json!({"referredFriends": friends, "metadata": metadata})
}

/// The stream of `query` against `base`, to its end (bounded): items and the closing error.
async fn stream_to_end(
    base: &str,
    query: referral_domain::query::friends::FriendQuery,
) -> (usize, Option<Error>) {
    use futures::StreamExt;
    use referral_domain::ReferredFriendsExt;
    let client = key_client(base).build().unwrap();
    let results: Vec<_> = tokio::time::timeout(
        Duration::from_secs(60),
        client
            .referred_friends_stream(query)
            .take(10_000)
            .collect::<Vec<_>>(),
    )
    .await
    .expect("the stream ends");
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let error = results.into_iter().find_map(Result::err);
    (ok, error)
}

#[tokio::test]
async fn paging_that_never_ends_or_ends_wrongly_is_an_error_after_the_items() {
    use referral_domain::query::friends;
    use referral_domain::{PagingStop, StreamLimits};
    let stop = |error: Option<Error>| match error {
        Some(Error::Paging(e)) => (e.reason, e.pages, e.items),
        other => panic!("{other:?}"),
    };

    // A fresh cursor every time, no items: the empty-page bound.
    let (base, calls) = paging_server(|n| {
        friends_page(
            &[],
            json!({"cursors": {"next": format!("c{n}")}, "hasNext": true}),
        )
    })
    .await;
    let (items, error) = stream_to_end(&base, friends::query()).await;
    assert_eq!(
        (items, stop(error)),
        (0, (PagingStop::EmptyPages(10), 10, 0))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 10);

    // A fresh cursor and an item every time: the query's page budget.
    let (base, _) = paging_server(|n| {
        friends_page(
            &[n],
            json!({"cursors": {"next": format!("c{n}")}, "hasNext": true}),
        )
    })
    .await;
    let budget = friends::query().stream_limits(StreamLimits::default().max_pages(50));
    let (items, error) = stream_to_end(&base, budget).await;
    assert_eq!(
        (items, stop(error)),
        (50, (PagingStop::PageBudget(50), 50, 50))
    );

    // A → B → A.
    let (base, _) = paging_server(|n| {
        let next = if n % 2 == 1 { "A" } else { "B" };
        friends_page(&[n], json!({"cursors": {"next": next}, "hasNext": true}))
    })
    .await;
    let (items, error) = stream_to_end(&base, friends::query()).await;
    assert_eq!(
        (items, stop(error)),
        (3, (PagingStop::RepeatedCursor, 3, 3))
    );

    // hasNext without a cursor.
    let (base, _) = paging_server(|n| match n {
        1 => friends_page(&[1, 2], json!({"cursors": {"next": "x"}, "hasNext": true})),
        _ => friends_page(&[3], json!({"hasNext": true})),
    })
    .await;
    let (items, error) = stream_to_end(&base, friends::query()).await;
    assert_eq!((items, stop(error)), (3, (PagingStop::MissingCursor, 2, 3)));

    // The honest end: hasNext false.
    let (base, _) = paging_server(|n| match n {
        1 => friends_page(&[1], json!({"cursors": {"next": "x"}, "hasNext": true})),
        _ => friends_page(&[2], json!({"hasNext": false})),
    })
    .await;
    let (items, error) = stream_to_end(&base, friends::query()).await;
    assert_eq!(items, 2);
    assert!(error.is_none(), "{error:?}");
}
