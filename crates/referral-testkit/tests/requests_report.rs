//! A failing test that holds a `TestSite` shows the site's last requests on stderr.

use std::process::Command;

use referral_domain::{ReferralPrograms, ReferringCustomerId, ReferringCustomers};
use referral_testkit::TestSite;

const CHILD: &str = "REFERRAL_TESTKIT_PANICKING_CHILD";

/// Runs as the child: a test that makes two requests and then fails.
fn failing_test() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let site = TestSite::start().await.unwrap();
        site.client().get_program().await.unwrap();
        let missing = ReferringCustomerId::parse("0b0b0b0b-0000-4000-8000-000000000001").unwrap();
        let answer = site.client().get_referring_customer(&missing).await;
        assert!(answer.is_ok(), "the test under test fails here");
    });
}

#[test]
fn a_panicking_test_prints_the_sites_last_requests() {
    if std::env::var_os(CHILD).is_some() {
        failing_test();
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_panicking_test_prints_the_sites_last_requests",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child test fails");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report_at = stderr
        .find("the last 2 request(s) to emulator site")
        .unwrap_or_else(|| panic!("no request report in:\n{stderr}"));
    let report = &stderr[report_at..];
    let program = report
        .find("GET /_api/referral-programs/v1/program -> 200")
        .expect("the program read");
    let customer = report
        .find("GET /referral-customers/v1/referring-customers/0b0b0b0b-0000-4000-8000-000000000001 -> 404")
        .expect("the failed read, with its status");
    assert!(program < customer, "oldest first:\n{report}");
    assert!(
        report.contains("(ApiKey)") && report.contains("NOT_FOUND"),
        "{report}"
    );
}

#[tokio::test]
async fn the_report_lists_the_requests_of_its_own_site_only() {
    let site = TestSite::start().await.unwrap();
    let other = TestSite::on(site.emulator().clone()).await.unwrap();
    site.client().get_program().await.unwrap();
    other.client().get_program().await.unwrap();
    other.client().get_program().await.unwrap();
    assert_eq!(site.recent_requests(10).len(), 1);
    assert_eq!(other.recent_requests(10).len(), 2);
    assert!(
        other
            .requests_report(1)
            .starts_with("the last 1 request(s)")
    );
}
