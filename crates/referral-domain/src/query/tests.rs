//! The JSON that representative typed queries produce, as snapshots, and the input rules.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::{
    ContactId, EventType, FriendStatus, ReferringCustomerId, RewardType, api::types as api,
};

fn customer() -> ReferringCustomerId {
    ReferringCustomerId::parse("07a3306c-b311-466e-92dd-c635c4145d1c").unwrap()
}

#[test]
fn representative_queries_produce_the_documented_json() {
    let since = Utc.with_ymd_and_hms(2024, 7, 8, 11, 22, 0).unwrap();
    let snapshots = [
        (
            "friends_of_a_customer_with_completed_actions_newest_first",
            friends::query()
                .filter(
                    friends::referring_customer_id()
                        .eq(customer())
                        .and(friends::status().in_([FriendStatus::ActionsCompleted])),
                )
                .sort(friends::created_date().desc())
                .page_size(100)
                .to_json(),
        ),
        (
            "friends_sorted_by_referrer_for_the_performance_flow",
            friends::query()
                .sort(friends::referring_customer_id().asc())
                .page_size(100)
                .to_json(),
        ),
        (
            "customers_by_code_prefix_or_contact_not_in",
            customers::query()
                .filter(
                    customers::referral_code()
                        .starts_with("gx")
                        .or(customers::contact_id()
                            .nin([
                                ContactId::parse("661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3").unwrap()
                            ])),
                )
                .to_json(),
        ),
        (
            "coupon_rewards_since_a_date_not_for_friends",
            rewards::query()
                .filter(rewards::reward_type().eq(RewardType::Coupon))
                .filter(rewards::created_date().gte(since))
                .filter(rewards::rewarded_referred_friend_id().exists(false))
                .sort(rewards::created_date().asc())
                .to_json(),
        ),
        (
            "events_of_two_kinds_not_before_a_date",
            events::query()
                .filter(Filter::all([
                    events::event_type().in_([EventType::Action, EventType::Reward]),
                    events::created_date().lt(since).not(),
                ]))
                .to_json(),
        ),
        (
            "events_by_member_existence_and_kind",
            events::query()
                .filter(events::reward_event().exists(true))
                .filter(events::event_type().ne(EventType::Action))
                .filter(events::event_type().eq(EventType::Unknown("REFUND".into())))
                .sort(events::reward_event().desc())
                .to_json(),
        ),
        (
            "events_by_whole_member_values",
            events::query()
                .filter(
                    events::referred_friend_signup_event()
                        .eq(api::ReferredFriendSignupEvent {
                            referred_friend_id: Some("11111111-2222-4333-8444-555555555555".into()),
                        })
                        .or(events::action_event().has_some([api::ActionEvent {
                            order_id: Some("order-7".into()),
                            ..Default::default()
                        }])),
                )
                .to_json(),
        ),
        (
            "ranges_on_ids_and_codes",
            customers::query()
                .filter(
                    customers::referral_code()
                        .gte(crate::ReferralCode::parse("AAAAAAAAAAAA").unwrap()),
                )
                .filter(
                    customers::contact_id()
                        .lt(ContactId::parse("661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3").unwrap()),
                )
                .sort(customers::referral_code().asc())
                .to_json(),
        ),
        (
            "friends_between_two_referrer_ids",
            friends::query()
                .filter(friends::referring_customer_id().gt(customer()))
                .filter(friends::referring_customer_id().lte(
                    ReferringCustomerId::parse("f7a3306c-b311-466e-92dd-c635c4145d1c").unwrap(),
                ))
                .to_json(),
        ),
        (
            "totals_with_at_least_three_successes",
            totals::query()
                .filter(totals::total_successful_referrals().gte(3i64))
                .sort(totals::total_successful_referrals().desc())
                .sort(totals::last_friend_action().desc())
                .to_json(),
        ),
        (
            "friend_actions_raw_escape_hatch",
            friend_actions::query()
                .filter(Filter::raw(json!({"totalAmountSpent": {"$gt": "10.00"}})))
                .raw_sort("totalAmountSpent", SortOrder::Desc)
                .to_json(),
        ),
        (
            "a_cursor_page_sends_only_the_cursor_and_limit",
            friends::query()
                .filter(friends::status().eq(FriendStatus::SignUpCompleted))
                .sort(friends::created_date().asc())
                .page_size(20)
                .after(crate::Cursor::new("eyJmaWx0ZXIiOnt9fQ"))
                .to_json(),
        ),
    ];
    for (name, json) in snapshots {
        insta::assert_json_snapshot!(name, json);
    }
}

#[test]
fn event_kinds_are_tests_of_their_members() {
    for (kind, member) in [
        (EventType::ReferredFriendSignup, "referredFriendSignupEvent"),
        (EventType::SuccessfulReferral, "successfulReferralEvent"),
        (EventType::Action, "actionEvent"),
        (EventType::Reward, "rewardEvent"),
    ] {
        assert_eq!(
            events::event_type().eq(&kind).to_json(),
            &json!({member: {"$exists": true}})
        );
        assert_eq!(
            events::event_type().ne(&kind).to_json(),
            &json!({member: {"$exists": false}})
        );
    }
    assert_eq!(
        events::event_type().in_(Vec::<EventType>::new()).to_json(),
        &json!({"$or": []}),
        "no kind matches nothing"
    );
}

#[test]
fn the_page_size_is_checked_before_sending() {
    for (size, ok) in [(0, false), (1, true), (100, true), (101, false)] {
        let result = friends::query().page_size(size).to_wire();
        match result {
            Ok(wire) => {
                assert!(ok, "{size}");
                assert_eq!(wire.cursor_paging.unwrap().limit.unwrap().get(), size);
            }
            Err(e) => {
                assert!(!ok, "{size}");
                assert_eq!(e.violations()[0].field, "query.cursorPaging.limit");
            }
        }
    }
    let err = friends::query()
        .after(crate::Cursor::new(""))
        .to_wire()
        .unwrap_err();
    assert_eq!(err.violations()[0].field, "query.cursorPaging.cursor");
    let empty = friends::query().to_wire().unwrap();
    assert!(empty.filter.is_none() && empty.sort.is_empty() && empty.cursor_paging.is_none());
}

#[test]
fn every_field_has_its_wix_name() {
    let names = [
        customers::contact_id().name(),
        customers::referral_code().name(),
        friends::referring_customer_id().name(),
        friends::status().name(),
        rewards::rewarded_referring_customer_id().name(),
        rewards::rewarded_referred_friend_id().name(),
        rewards::reward_type().name(),
        events::referred_friend_signup_event().name(),
        events::successful_referral_event().name(),
        events::action_event().name(),
        events::reward_event().name(),
        totals::total_friends_with_actions().name(),
        totals::last_successful_referral().name(),
        friend_actions::referred_friend_id().name(),
        friend_actions::total_actions().name(),
        friend_actions::action_date().name(),
        friend_actions::signup_date().name(),
    ];
    assert_eq!(
        names,
        [
            "contactId",
            "referralCode",
            "referringCustomerId",
            "status",
            "rewardedReferringCustomerId",
            "rewardedReferredFriendId",
            "rewardType",
            "referredFriendSignupEvent",
            "successfulReferralEvent",
            "actionEvent",
            "rewardEvent",
            "totalFriendsWithActions",
            "lastSuccessfulReferral",
            "referredFriendId",
            "totalActions",
            "actionDate",
            "signupDate",
        ]
    );
}
