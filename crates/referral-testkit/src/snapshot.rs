//! insta settings for snapshots of what your code did on a [`crate::TestSite`]: the values the
//! server makes up (ids, revisions, timestamps, referral and coupon codes) are redacted, so a
//! snapshot is the same run to run, while what relates to what stays visible: every GUID becomes
//! `[guid N]`, one number per distinct value (numbered field by field in the order of
//! [`GUID_FIELDS`], then in order of appearance), so a friend's `referringCustomerId` shows the
//! same number as its customer's `id`.
//!
//! ```no_run
//! # async fn demo(report: referral_domain::flows::PerformanceReport) {
//! referral_testkit::snapshot::redacted().bind(|| {
//!     insta::assert_json_snapshot!(report);
//! });
//! # }
//! ```
//!
//! It redacts by field name, in any SDK entity or report (and any other value serialized with the
//! Wix field names): GUIDs in [`GUID_FIELDS`], timestamps in [`TIME_FIELDS`], the report's weeks
//! in [`WEEK_FIELDS`], [`CODE_FIELDS`] numbered like GUIDs, and `revision`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use insta::internals::Content;

/// Fields that hold ids the server makes up, or contacts a test makes up at random.
pub const GUID_FIELDS: &[&str] = &[
    "id",
    "contactId",
    "referringCustomerId",
    "referredFriendId",
    "referralRewardId",
    "rewardId",
    "transactionId",
    "entityId",
    "instanceId",
];

/// Fields that hold instants.
pub const TIME_FIELDS: &[&str] = &["createdDate", "updatedDate", "eventTime", "since", "until"];

/// Fields that name the week of a count (the report's `referralsPerWeek`): they follow the day
/// a test runs.
pub const WEEK_FIELDS: &[&str] = &["week", "starts"];

/// Fields that hold codes the server makes up.
pub const CODE_FIELDS: &[&str] = &["referralCode", "code"];

/// Numbers each distinct value in order of first appearance.
#[derive(Default)]
struct Numbering(Mutex<HashMap<String, usize>>);

impl Numbering {
    fn label(&self, kind: &str, value: &str) -> String {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let next = seen.len() + 1;
        let n = *seen.entry(value.to_owned()).or_insert(next);
        format!("[{kind} {n}]")
    }
}

/// The current insta settings with the redactions above added; bind them around your
/// assertions (`redacted().bind(|| …)`). Each call numbers afresh.
pub fn redacted() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let guids = Arc::new(Numbering::default());
    for field in GUID_FIELDS {
        let guids = guids.clone();
        settings.add_dynamic_redaction(&format!(".**.{field}"), move |value, _| {
            match value.as_str() {
                Some(text) if !text.is_empty() => Content::from(guids.label("guid", text)),
                _ => value,
            }
        });
    }
    let codes = Arc::new(Numbering::default());
    for field in CODE_FIELDS {
        let codes = codes.clone();
        settings.add_dynamic_redaction(&format!(".**.{field}"), move |value, _| {
            match value.as_str() {
                Some(text) if !text.is_empty() => Content::from(codes.label("code", text)),
                _ => value,
            }
        });
    }
    for field in TIME_FIELDS {
        settings.add_dynamic_redaction(&format!(".**.{field}"), |value, _| {
            if value.as_str().is_some() {
                Content::from("[timestamp]")
            } else {
                value
            }
        });
    }
    for field in WEEK_FIELDS {
        settings.add_dynamic_redaction(&format!(".**.{field}"), |value, _| {
            if value.as_str().is_some() {
                Content::from("[week]")
            } else {
                value
            }
        });
    }
    settings.add_dynamic_redaction(".**.revision", |value, _| {
        if matches!(value, Content::None | Content::Unit) {
            value
        } else {
            Content::from("[revision]")
        }
    });
    settings
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn made_up_values_are_redacted_and_relations_kept() {
        let customer = "07a3306c-b311-466e-92dd-c635c4145d1c";
        let value = json!({
            "customer": {"id": customer, "referralCode": "GxpxwAoMqxH8", "revision": "3",
                         "createdDate": "2026-12-01T10:00:00Z", "contactId": "661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3"},
            "friends": [
                {"id": "11111111-0723-4aa4-87d7-a21ebd1d0fa3", "referringCustomerId": customer, "revision": null},
            ],
            "count": 1
        });
        super::redacted().bind(|| {
            insta::assert_json_snapshot!(value, @r#"
            {
              "count": 1,
              "customer": {
                "contactId": "[guid 3]",
                "createdDate": "[timestamp]",
                "id": "[guid 1]",
                "referralCode": "[code 1]",
                "revision": "[revision]"
              },
              "friends": [
                {
                  "id": "[guid 2]",
                  "referringCustomerId": "[guid 1]",
                  "revision": null
                }
              ]
            }
            "#);
        });
    }
}
