//! Referral Programs: docs/decisions.md items 4, 5 and 8, and the seven program methods.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_new_site_has_one_draft_program_at_revision_1_without_rewards() {
    let api = Api::start().await;
    let program = api.program().await;
    assert_eq!(program["status"], "DRAFT");
    assert_eq!(program["revision"], "1");
    assert!(program.get("referredFriendReward").is_none());
    assert!(program.get("referringCustomerReward").is_none());
    assert!(program.get("id").is_none(), "the program has no id");
}

#[tokio::test]
async fn update_is_partial_and_bumps_the_revision() {
    let api = Api::start().await;
    let updated = api
        .patch(
            PROGRAM,
            Some(json!({"referralProgram": {"revision": "1", "name": "Holiday Referral Program"}})),
        )
        .await
        .ok()["referralProgram"]
        .clone();
    assert_eq!(updated["name"], "Holiday Referral Program");
    assert_eq!(updated["revision"], "2");
    // A number is read as a revision too (item 8).
    let again = api
        .patch(PROGRAM, Some(json!({"referralProgram": {"revision": 2, "successfulReferralActions": ["PLAN_ORDERED"]}})))
        .await
        .ok()["referralProgram"]
        .clone();
    assert_eq!(
        again["name"], "Holiday Referral Program",
        "absent fields keep their value"
    );
    assert_eq!(again["successfulReferralActions"], json!(["PLAN_ORDERED"]));
    assert_eq!(again["revision"], "3");
}

#[tokio::test]
async fn a_stale_revision_is_a_409_revision_mismatch() {
    let api = Api::start().await;
    let reply = api
        .patch(
            PROGRAM,
            Some(json!({"referralProgram": {"revision": "7", "name": "Nope"}})),
        )
        .await;
    reply.expect(409);
    assert_eq!(reply.application_code(), Some("REVISION_MISMATCH"));
    assert_eq!(
        reply.body["message"],
        "entity has already changed since the requested revision"
    );
    assert_eq!(api.program().await["revision"], "1", "nothing changed");
}

/// The Sample Flows article updates, then activates, a program without its revision: the
/// emulator does it (the last write wins) and says so; in strict mode it refuses, naming the
/// member (docs/decisions.md item 35).
#[tokio::test]
async fn an_update_without_a_revision_is_a_warned_last_write_or_in_strict_mode_a_400() {
    let api = Api::start().await;
    api.set_strict(true).await;
    let refused = api
        .patch(PROGRAM, Some(json!({"referralProgram": {"name": "Nope"}})))
        .await;
    refused.expect_violation("referralProgram.revision");
    assert_eq!(api.program().await["revision"], "1", "nothing changed");

    api.set_strict(false).await;
    let (status, warnings, _) = api
        .as_written(
            Method::PATCH,
            PROGRAM,
            r#"{"referralProgram": {"name": "Holiday Referral Program"}}"#,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("referralProgram.revision: ")
            && warnings[0].contains("Update Referral Program page"),
        "{warnings:?}"
    );
    let program = api.program().await;
    assert_eq!(program["name"], "Holiday Referral Program");
    assert_eq!(program["revision"], "2");
    // The request log keeps the warning.
    let logged = api.emulator.recent_requests(None, 10);
    let patch = logged
        .iter()
        .find(|r| r.method == "PATCH")
        .expect("the update is logged");
    assert_eq!(patch.warnings, warnings);
    // And so does the inspector's request page.
    let (status, html) = page(&api, &format!("/sites/{}/requests", api.site())).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<p class=\"warning\">referralProgram.revision: an update without"),
        "{html}"
    );
    // A request that departs from nothing carries no warning.
    let (status, plain, _) = api
        .as_written(
            Method::PATCH,
            PROGRAM,
            r#"{"referralProgram": {"revision": "2", "name": "Documented"}}"#,
        )
        .await;
    assert_eq!(status, 200);
    assert!(plain.is_empty(), "{plain:?}");
}

#[tokio::test]
async fn status_through_update_is_a_transition_request() {
    let api = Api::start().await;
    let active = api
        .patch(
            PROGRAM,
            Some(json!({"referralProgram": {"revision": "1", "status": "ACTIVE"}})),
        )
        .await
        .ok();
    assert_eq!(active["referralProgram"]["status"], "ACTIVE");
    let paused = api
        .patch(
            PROGRAM,
            Some(json!({"referralProgram": {"revision": "2", "status": "PAUSED"}})),
        )
        .await
        .ok();
    assert_eq!(paused["referralProgram"]["status"], "PAUSED");
    for bad in ["DRAFT", "UNKNOWN", "ARCHIVED"] {
        let reply = api
            .patch(
                PROGRAM,
                Some(json!({"referralProgram": {"revision": "3", "status": bad}})),
            )
            .await;
        reply.expect_violation("referralProgram.status");
    }
}

#[tokio::test]
async fn activate_and_pause_do_the_same_transitions() {
    let api = Api::start().await;
    api.patch(&format!("{PROGRAM}/pause"), None)
        .await
        .expect_violation("status");
    let active = api.patch(&format!("{PROGRAM}/activate"), None).await.ok();
    assert_eq!(active["referralProgram"]["status"], "ACTIVE");
    assert_eq!(active["referralProgram"]["revision"], "2");
    let paused = api.patch(&format!("{PROGRAM}/pause"), None).await.ok();
    assert_eq!(paused["referralProgram"]["status"], "PAUSED");
    let again = api.patch(&format!("{PROGRAM}/activate"), None).await.ok();
    assert_eq!(again["referralProgram"]["status"], "ACTIVE");
}

#[tokio::test]
async fn update_validates_every_documented_constraint_by_field() {
    let api = Api::start().await;
    let cases = [
        (json!({"name": "x"}), "referralProgram.name"),
        (json!({"name": "x".repeat(51)}), "referralProgram.name"),
        (json!({"name": 5}), "referralProgram.name"),
        (
            json!({"successfulReferralActions": ["BUY_CAR"]}),
            "referralProgram.successfulReferralActions[0]",
        ),
        (
            json!({"successfulReferralActions": vec!["PLAN_ORDERED"; 101]}),
            "referralProgram.successfulReferralActions",
        ),
        (
            json!({"referredFriendReward": {"type": "CASH"}}),
            "referralProgram.referredFriendReward.type",
        ),
        (
            json!({"referredFriendReward": {"type": "COUPON", "couponOptions": {"discountedCycleCount": 1000}}}),
            "referralProgram.referredFriendReward.couponOptions.discountedCycleCount",
        ),
        (
            json!({"referringCustomerReward": {"type": "LOYALTY_POINTS", "loyaltyPointsOptions": {"amount": "many"}}}),
            "referralProgram.referringCustomerReward.loyaltyPointsOptions.amount",
        ),
        (
            json!({"emails": {"encourageToReferFriends": ["FAX"]}}),
            "referralProgram.emails.encourageToReferFriends[0]",
        ),
    ];
    for (patch, field) in cases {
        let mut program = patch.clone();
        program["revision"] = json!("1");
        api.patch(PROGRAM, Some(json!({"referralProgram": program})))
            .await
            .expect_violation(field);
    }
    api.patch(PROGRAM, Some(json!({"program": {}})))
        .await
        .expect_violation("referralProgram");
    assert_eq!(api.program().await["revision"], "1");
}

#[tokio::test]
async fn premium_features_and_ai_suggestions() {
    let api = Api::start().await;
    assert_eq!(
        api.get(&format!("{PROGRAM}/premium-features")).await.ok(),
        json!({"referralProgram": true})
    );
    let path = format!("{PROGRAM}/ai-social-media-posts-suggestions");
    let stored = api.get(&format!("{path}?topic=fitness")).await.ok();
    assert_eq!(stored["suggestions"].as_array().unwrap().len(), 2);
    assert_eq!(
        api.get(&path).await.ok()["suggestions"],
        stored["suggestions"],
        "GET returns the stored set"
    );
    let fresh = api.post(&path, json!({"topic": "fitness"})).await.ok();
    assert!(
        fresh["suggestions"][0]["postContent"]
            .as_str()
            .unwrap()
            .contains("fitness")
    );
    assert!(fresh["referFriendsPageUrl"].is_string());
    api.post(&path, json!({"topic": 3}))
        .await
        .expect_violation("topic");
}

#[tokio::test]
async fn members_may_read_the_program_but_not_change_it() {
    let api = Api::start().await;
    let member = api.member(&contact()).await;
    api.send(&member, Method::GET, PROGRAM, None)
        .await
        .expect(200);
    api.send(&member, Method::PATCH, &format!("{PROGRAM}/activate"), None)
        .await
        .expect(403);
}
