//! The inspector's report page is the SDK's report: the numbers `flows::performance_report`
//! computes over HTTP, drawn by the same `ReportPage`, and looking at it touches neither the
//! fault rules nor the request log.
#![cfg(feature = "report")]

mod common;

use common::*;
use referral_domain::flows::{self, ReportOptions};
use referral_domain::{Auth, RetryPolicy, WixReferralClient};
use referral_emulator::{EmulatorConfig, SeedRequest};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn client(api: &Api) -> WixReferralClient {
    WixReferralClient::builder()
        .base_url(api.emulator.base_url())
        .retries(RetryPolicy::none())
        .auth(Auth::api_key(
            api.emulator.api_key(),
            api.emulator.site_id().to_string(),
        ))
        .build()
        .unwrap()
}

async fn report_json(api: &Api, query: &str) -> Value {
    let url = api.url(&format!(
        "/_emulator/ui/sites/{}/report?format=json&{query}",
        api.site()
    ));
    let response = api.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn logged_requests(api: &Api, site: Uuid) -> usize {
    api.emulator
        .control()
        .requests(Some(site), 1000)
        .await
        .unwrap()
        .len()
}

/// A seeded site (January 2026, more friends than one read chunk) plus referrals made now.
async fn busy_site() -> Api {
    let api = Api::start_with(EmulatorConfig {
        seed: Some(SeedRequest {
            customers: 400,
            friends_per_customer: 3,
            action_rate: 0.5,
            seed: 7,
        }),
        ..EmulatorConfig::default()
    })
    .await;
    let customer = api.customer(&contact()).await;
    let customer_id = customer["id"].as_str().unwrap();
    for _ in 0..5 {
        api.friend(&contact(), customer_id).await.expect(200);
    }
    api
}

#[tokio::test]
async fn the_inspectors_report_is_the_sdks_report() {
    let api = busy_site().await;
    let sdk = client(&api);
    for (options, query) in [
        (ReportOptions::default(), String::new()),
        (
            ReportOptions::default()
                .top(3)
                .since("2026-06-01T00:00:00Z".parse().unwrap()),
            "top=3&since=2026-06-01".to_owned(),
        ),
        (ReportOptions::default().top(0), "top=0&since=".to_owned()),
    ] {
        let expected = flows::performance_report(&sdk, options).await.unwrap();
        assert_eq!(
            report_json(&api, &query).await,
            serde_json::to_value(&expected).unwrap(),
            "?{query}"
        );
    }

    let everything = flows::performance_report(&sdk, ReportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        everything.total_referrals, 1205,
        "the seed and the five made now"
    );
    assert!(
        everything.referrals_per_week.len() > 40,
        "January to now, week by week"
    );
    assert_eq!(everything.top_referrers[0].referrals, 5);

    // The page names the top referrers as the CLI does, by code.
    let labels = flows::top_referrer_labels(&sdk, &everything).await.unwrap();
    let html = api
        .http
        .get(api.url(&format!("/_emulator/ui/sites/{}/report", api.site())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for label in &labels {
        assert!(html.contains(&label.code), "{}", label.code);
    }
    for chart in ["funnel", "weekly", "top-referrers", "rewards-by-type"] {
        assert!(html.contains(&format!(r#"<svg id="{chart}""#)), "{chart}");
    }
    assert!(html.contains(&format!(r#"href="/_emulator/ui/sites/{}""#, api.site())));
}

#[tokio::test]
async fn looking_at_the_report_fires_no_fault_and_logs_no_request() {
    let api = busy_site().await;
    let site: Uuid = api.site().parse().unwrap();
    api.control(
        Method::PUT,
        "/faults",
        Some(json!([{"route": FRIENDS, "status": 503, "times": 1}])),
    )
    .await
    .expect(200);
    let logged = logged_requests(&api, site).await;

    report_json(&api, "").await;
    assert_eq!(page(&api, &format!("/sites/{site}/report")).await.0, 200);

    let after = logged_requests(&api, site).await;
    assert_eq!(after, logged, "the report is read from the store");
    let sdk = client(&api);
    let err = flows::performance_report(&sdk, ReportOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "the rule is still armed: {err}");
}

#[tokio::test]
async fn bad_parameters_are_named_and_an_unknown_site_is_404() {
    let api = Api::start().await;
    let site = api.site();
    for (query, status, says) in [
        ("since=yesterday", 400, "since:"),
        ("top=101", 400, "top: at most 100"),
    ] {
        let (got, html) = page(&api, &format!("/sites/{site}/report?{query}")).await;
        assert_eq!(got, status, "{query}");
        assert!(html.contains(says), "{query}");
    }
    for path in [
        format!("/_emulator/ui/sites/{}/report", Uuid::new_v4()),
        "/_emulator/ui/sites/not-a-site/report".to_owned(),
    ] {
        let response = api.http.get(api.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // An empty site draws an empty report, not an error.
    let empty = report_json(&api, "").await;
    assert_eq!(empty["totalReferrals"], 0);
    assert_eq!(empty["referralsPerWeek"], json!([]));
}
