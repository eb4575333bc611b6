//! The four documented flows, three ways: on mocks (every branch, errors, concurrent edits), on
//! the emulator over HTTP with faults on, and as snapshots of the reports they produce on a
//! seeded dataset.

mod common;

use referral_emulator::FaultRule;
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use common::{Env, contact};
use futures::StreamExt;
use futures::TryStreamExt;
use referral_domain::flows::{self, ProgramConfig, ReportOptions, SignupOutcome};
use referral_domain::mock::MockServices;
use referral_domain::query::{customers, friends};
use referral_domain::{
    ApiError, ContactId, Error, FriendStatus, Page, Precondition, Program, ProgramStatus,
    ReferralAction, ReferralCode, ReferralPrograms, ReferredFriend, ReferredFriendId,
    ReferredFriendsExt, ReferringCustomer, ReferringCustomerId, ReferringCustomersExt, Revision,
};
use serde_json::json;

fn config() -> ProgramConfig {
    ProgramConfig::sample_flows()
}

fn make_api(status: u16, code: &str) -> ApiError {
    let mut api = ApiError::new("test", status);
    api.code = Some(code.to_owned());
    api
}

fn program(revision: i64, status: ProgramStatus) -> Program {
    Program {
        name: None,
        status,
        revision: Some(Revision::new(revision)),
        created_date: None,
        updated_date: None,
        referred_friend_reward: None,
        referring_customer_reward: None,
        successful_referral_actions: Vec::new(),
        emails: None,
        premium_features: None,
    }
}

fn customer(contact: &ContactId) -> ReferringCustomer {
    ReferringCustomer {
        id: ReferringCustomerId::parse("07a3306c-b311-466e-92dd-c635c4145d1c").unwrap(),
        contact_id: contact.clone(),
        referral_code: ReferralCode::parse("GxpxwAoMqxH8").unwrap(),
        revision: Some(Revision::new(1)),
        created_date: None,
        updated_date: None,
    }
}

fn friend(contact: &ContactId, customer: &ReferringCustomerId) -> ReferredFriend {
    ReferredFriend {
        id: ReferredFriendId::parse("3857d039-b129-4393-b983-947078b6a007").unwrap(),
        contact_id: contact.clone(),
        referring_customer_id: customer.clone(),
        status: FriendStatus::SignUpCompleted,
        revision: Some(Revision::new(1)),
        created_date: None,
        updated_date: None,
    }
}

// ---- 1. Set up a referral program ----

#[tokio::test]
async fn set_up_on_mocks_writes_once_activates_and_rereads_after_a_conflict() {
    let mut mocks = MockServices::new();
    let reads = Arc::new(Mutex::new(0));
    let counter = reads.clone();
    mocks
        .programs
        .expect_get_program()
        .times(2)
        .returning(move || {
            *counter.lock().unwrap() += 1;
            Ok(program(*counter.lock().unwrap(), ProgramStatus::Draft))
        });
    let mut order = mockall::Sequence::new();
    mocks
        .programs
        .expect_update_program()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| {
            Err(Error::RevisionConflict(Box::new(make_api(
                409,
                "REVISION_MISMATCH",
            ))))
        });
    mocks
        .programs
        .expect_update_program()
        .times(1)
        .in_sequence(&mut order)
        .withf(|u| {
            u.revision == Revision::new(2) && u.name.as_deref() == Some("Holiday Referral Program")
        })
        .returning(|_| Ok(program(3, ProgramStatus::Draft)));
    mocks
        .programs
        .expect_activate_program()
        .times(1)
        .returning(|| Ok(program(4, ProgramStatus::Active)));
    let done = flows::set_up_program(&mocks, &config()).await.unwrap();
    assert_eq!(done.status, ProgramStatus::Active);

    // Already configured and active: one read, no write, no activation.
    let mut settled = MockServices::new();
    settled
        .programs
        .expect_get_program()
        .times(1)
        .returning(|| {
            let mut p = program(4, ProgramStatus::Active);
            config().apply_to(&mut p);
            Ok(p)
        });
    settled.programs.expect_update_program().never();
    settled.programs.expect_activate_program().never();
    flows::set_up_program(&settled, &config()).await.unwrap();

    // Someone else activated it between our write and our activation: the 400 is settled by a read.
    let mut raced = MockServices::new();
    let mut reads = 0;
    raced
        .programs
        .expect_get_program()
        .times(2)
        .returning(move || {
            reads += 1;
            let mut p = program(
                4,
                if reads == 1 {
                    ProgramStatus::Draft
                } else {
                    ProgramStatus::Active
                },
            );
            config().apply_to(&mut p);
            Ok(p)
        });
    raced
        .programs
        .expect_activate_program()
        .times(1)
        .returning(|| Err(Error::Api(Box::new(make_api(400, "")))));
    assert_eq!(
        flows::set_up_program(&raced, &config())
            .await
            .unwrap()
            .status,
        ProgramStatus::Active
    );

    // Other failures come through.
    let mut down = MockServices::new();
    down.programs
        .expect_get_program()
        .returning(|| Err(Error::Api(Box::new(make_api(503, "")))));
    assert_eq!(
        flows::set_up_program(&down, &config())
            .await
            .unwrap_err()
            .status(),
        Some(503)
    );
}

#[tokio::test]
async fn set_up_on_the_emulator_converges_and_survives_faults() {
    let env = Env::start().await;
    let client = env.client();
    let first = flows::set_up_program(&client, &config()).await.unwrap();
    assert_eq!(first.status, ProgramStatus::Active);
    insta::assert_json_snapshot!("set_up_program", first, {
        ".createdDate" => "[date]",
        ".updatedDate" => "[date]",
    });
    assert_eq!(
        first.successful_referral_actions,
        [ReferralAction::StoreOrderPlaced]
    );
    let second = flows::set_up_program(&client, &config()).await.unwrap();
    assert_eq!(
        second.revision, first.revision,
        "no change, no new revision"
    );

    // With faults on: 30 % of the program calls answer an empty 503.
    let env = Env::start().await;
    env.faults([FaultRule::on("/_api/referral-programs/v1/program")
        .status(503)
        .probability(0.3)])
        .await;
    let client = env
        .builder()
        .retries(common::fast_retries().with_max_attempts(8))
        .build()
        .unwrap();
    let done = flows::set_up_program(&client, &config()).await.unwrap();
    env.clear_faults().await;
    assert_eq!(done.status, ProgramStatus::Active);
    assert_eq!(client.get_program().await.unwrap(), done);
}

// ---- 2. Enrol a referring customer ----

#[tokio::test]
async fn enrolment_returns_the_code_once_per_contact() {
    let mut mocks = MockServices::new();
    let who = contact();
    let expected = customer(&who);
    let returned = expected.clone();
    mocks
        .customers
        .expect_generate_referring_customer()
        .withf(move |c| *c == who)
        .returning(move |_| Ok(returned.clone()));
    assert_eq!(
        flows::enroll_referring_customer(&mocks, &expected.contact_id)
            .await
            .unwrap(),
        expected
    );

    let env = Env::start().await;
    let client = env.client();
    let who = contact();
    env.faults([FaultRule::on("/referral-customers")
        .lose_response()
        .times(1)])
        .await;
    let first = flows::enroll_referring_customer(&client, &who)
        .await
        .unwrap();
    let again = flows::enroll_referring_customer(&client, &who)
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    assert!(first.referral_code.is_well_formed());
}

// ---- 3. Process a friend signup ----

#[tokio::test]
async fn signup_on_mocks_covers_every_outcome() {
    let code = ReferralCode::parse("GxpxwAoMqxH8").unwrap();
    let owner = contact();
    let newcomer = contact();

    // Unknown code.
    let mut mocks = MockServices::new();
    mocks
        .customers
        .expect_get_referring_customer_by_code()
        .returning(|_| Err(Error::NotFound(Box::new(make_api(404, "")))));
    assert_eq!(
        flows::process_friend_signup(&mocks, &code, &newcomer)
            .await
            .unwrap(),
        SignupOutcome::InvalidCode
    );

    // The code's owner signing up with their own code.
    let mut mocks = MockServices::new();
    let own = customer(&owner);
    mocks
        .customers
        .expect_get_referring_customer_by_code()
        .returning(move |_| Ok(own.clone()));
    assert_eq!(
        flows::process_friend_signup(&mocks, &code, &owner)
            .await
            .unwrap(),
        SignupOutcome::SelfReferral
    );

    // Already a friend: nothing is created.
    let mut mocks = MockServices::new();
    let own = customer(&owner);
    let existing = friend(&newcomer, &own.id);
    let found = existing.clone();
    mocks
        .customers
        .expect_get_referring_customer_by_code()
        .returning(move |_| Ok(own.clone()));
    mocks
        .friends
        .expect_get_referred_friend_by_contact()
        .returning(move |_| Ok(found.clone()));
    mocks.friends.expect_create_referred_friend().never();
    assert_eq!(
        flows::process_friend_signup(&mocks, &code, &newcomer)
            .await
            .unwrap(),
        SignupOutcome::AlreadyReferred(existing)
    );

    // New: created, linked to the code's customer.
    let mut mocks = MockServices::new();
    let own = customer(&owner);
    let customer_id = own.id.clone();
    let created = friend(&newcomer, &own.id);
    let made = created.clone();
    mocks
        .customers
        .expect_get_referring_customer_by_code()
        .returning(move |_| Ok(own.clone()));
    mocks
        .friends
        .expect_get_referred_friend_by_contact()
        .returning(|_| Err(Error::NotFound(Box::new(make_api(404, "")))));
    let who = newcomer.clone();
    mocks
        .friends
        .expect_create_referred_friend()
        .withf(move |new| {
            *new == referral_domain::NewReferredFriend::Contact {
                contact_id: who.clone(),
                referring_customer_id: customer_id.clone(),
            }
        })
        .times(1)
        .returning(move |_| Ok(made.clone()));
    assert_eq!(
        flows::process_friend_signup(&mocks, &code, &newcomer)
            .await
            .unwrap(),
        SignupOutcome::Created(created)
    );

    // The program is not active: a typed error, not an outcome; 428 codes map to outcomes.
    for (precondition, outcome) in [
        (Precondition::ProgramNotActive, None),
        (
            Precondition::InvalidReferralCode,
            Some(SignupOutcome::InvalidCode),
        ),
        (
            Precondition::SelfReferral,
            Some(SignupOutcome::SelfReferral),
        ),
    ] {
        let mut mocks = MockServices::new();
        let own = customer(&owner);
        mocks
            .customers
            .expect_get_referring_customer_by_code()
            .returning(move |_| Ok(own.clone()));
        mocks
            .friends
            .expect_get_referred_friend_by_contact()
            .returning(|_| Err(Error::NotFound(Box::new(make_api(404, "")))));
        let p = precondition.clone();
        mocks
            .friends
            .expect_create_referred_friend()
            .returning(move |_| Err(Error::failed_precondition(p.clone(), make_api(428, ""))));
        let result = flows::process_friend_signup(&mocks, &code, &newcomer).await;
        match outcome {
            Some(outcome) => assert_eq!(result.unwrap(), outcome),
            None => assert!(
                matches!(
                    result,
                    Err(Error::FailedPrecondition {
                        precondition: Precondition::ProgramNotActive,
                        ..
                    })
                ),
                "{result:?}"
            ),
        }
    }
}

#[tokio::test]
async fn signup_on_the_emulator_leaves_one_friend_under_duplicates_concurrency_and_lost_answers() {
    let env = Env::start().await;
    let client = env.client();
    let owner = contact();
    let customer = flows::enroll_referring_customer(&client, &owner)
        .await
        .unwrap();
    let newcomer = contact();

    let err = flows::process_friend_signup(&client, &customer.referral_code, &newcomer)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::FailedPrecondition {
                precondition: Precondition::ProgramNotActive,
                ..
            }
        ),
        "{err:?}"
    );
    flows::set_up_program(&client, &config()).await.unwrap();

    assert_eq!(
        flows::process_friend_signup(
            &client,
            &ReferralCode::parse("AAAAAAAAAAAA").unwrap(),
            &newcomer
        )
        .await
        .unwrap(),
        SignupOutcome::InvalidCode
    );
    assert_eq!(
        flows::process_friend_signup(&client, &customer.referral_code, &owner)
            .await
            .unwrap(),
        SignupOutcome::SelfReferral
    );

    // Lost answers on friend creation, and eight concurrent submissions of the same contact.
    env.faults([FaultRule::on("/referral_friends/v1/referred-friends")
        .lose_response()
        .probability(0.3)])
        .await;
    let submissions = (0..8).map(|_| {
        let client = client.clone();
        let code = customer.referral_code.clone();
        let who = newcomer.clone();
        tokio::spawn(async move { flows::process_friend_signup(&client, &code, &who).await })
    });
    for outcome in futures::future::join_all(submissions).await {
        let outcome = outcome.unwrap().unwrap();
        assert!(
            matches!(
                outcome,
                SignupOutcome::Created(_) | SignupOutcome::AlreadyReferred(_)
            ),
            "{outcome:?}"
        );
    }
    env.clear_faults().await;
    let again = flows::process_friend_signup(&client, &customer.referral_code, &newcomer)
        .await
        .unwrap();
    assert!(
        matches!(again, SignupOutcome::AlreadyReferred(_)),
        "{again:?}"
    );
    let linked: Vec<_> = client
        .referred_friends_stream(
            friends::query().filter(friends::referring_customer_id().eq(&customer.id)),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(linked.len(), 1, "exactly one referred friend");
    assert_eq!(linked[0].contact_id, newcomer);
}

// ---- 4. Track referral program performance ----

#[tokio::test]
async fn the_report_of_a_seeded_site_is_stable() {
    let env = Env::start().await;
    env.control(
        reqwest::Method::POST,
        &format!("/sites/{}/seed", env.emulator.site_id()),
        Some(json!({"customers": 40, "friendsPerCustomer": 3, "actionRate": 0.4, "seed": 42})),
    )
    .await;
    // The seed gives every customer three friends: the three oldest customers sign up three, two
    // and one more through flow 3, so the top referrers differ.
    let client = env.client();
    let oldest: Vec<ReferringCustomer> = client
        .referring_customers_stream(
            customers::query()
                .sort(customers::created_date().asc())
                .page_size(3),
        )
        .take(3)
        .try_collect()
        .await
        .unwrap();
    for (customer, extra) in oldest.iter().zip([3, 2, 1]) {
        for _ in 0..extra {
            let outcome =
                flows::process_friend_signup(&client, &customer.referral_code, &contact())
                    .await
                    .unwrap();
            assert!(matches!(outcome, SignupOutcome::Created(_)), "{outcome:?}");
        }
    }
    let report = flows::performance_report(&client, ReportOptions::default().top(5).page_size(7))
        .await
        .unwrap();
    assert_eq!(report.total_referrals, 126);
    assert_eq!(report.most_referrals, 6);
    let top: Vec<_> = report.top_referrers.iter().map(|t| t.referrals).collect();
    assert_eq!(top, [6, 5, 4, 3, 3]);
    assert_eq!(report.top_referrers[0].referring_customer_id, oldest[0].id);
    assert_eq!(report.referring_customers, 40);
    assert_eq!(report.customers_who_referred, 40);
    assert_eq!(
        report.rewards.to_referred_friends + report.rewards.to_referring_customers,
        report.rewards.total
    );
    // The weeks run from the seed's (fixed) week to this week, when the six were made: checked
    // here, and left out of the snapshot, which must not change with the day it runs.
    let weeks = &report.referrals_per_week;
    assert_eq!(weeks[0].week, "2026-W01");
    assert_eq!(weeks[0].referrals, 120);
    assert_eq!(weeks.last().unwrap().referrals, 6, "{:?}", weeks.last());
    assert_eq!(weeks.iter().map(|w| w.referrals).sum::<u64>(), 126);
    assert!(
        weeks
            .windows(2)
            .all(|w| (w[1].starts - w[0].starts).num_days() == 7)
    );
    insta::with_settings!({redactions => vec![(".referralsPerWeek", "[checked above]".into())]}, {
        insta::assert_json_snapshot!("report_seed_42", report);
    });

    // Observed, the same report, and the progress ends at each stage's count.
    let mut last = std::collections::HashMap::new();
    let observed = flows::performance_report_observed(
        &client,
        ReportOptions::default().top(5).page_size(7),
        |progress| {
            let (stage, n) = match progress {
                flows::ReportProgress::Customers(n) => ("customers", n),
                flows::ReportProgress::Friends(n) => ("friends", n),
                flows::ReportProgress::Rewards(n) => ("rewards", n),
                _ => ("other", 0),
            };
            let previous = last.insert(stage, n).unwrap_or(0);
            assert_eq!(n, previous + 1, "one step per item");
        },
    )
    .await
    .unwrap();
    assert_eq!(observed, report);
    assert_eq!(last["customers"], report.referring_customers);
    assert_eq!(last["friends"], report.total_referrals);
    assert_eq!(last["rewards"], report.rewards.total);
    insta::assert_snapshot!("report_seed_42_display", report.to_string());

    // Since 01:00 on the seed's day: the seeded rows after it (the flow's friends are of today).
    let since = Utc.with_ymd_and_hms(2026, 1, 1, 1, 0, 0).unwrap();
    let later = flows::performance_report(&client, ReportOptions::default().since(since).top(3))
        .await
        .unwrap();
    assert!(
        0 < later.referring_customers && later.referring_customers < report.referring_customers,
        "{later:?}"
    );
    assert!(later.total_referrals < report.total_referrals);
    assert_eq!(
        later.referrals_per_week[0].week, "2026-W01",
        "from the week of `since`"
    );
    assert_eq!(
        later
            .referrals_per_week
            .iter()
            .map(|w| w.referrals)
            .sum::<u64>(),
        later.total_referrals
    );
    insta::with_settings!({redactions => vec![(".referralsPerWeek", "[checked above]".into())]}, {
        insta::assert_json_snapshot!("report_seed_42_since_one_am", later);
    });

    // The same numbers with faults on (a fifth of the calls answer an empty 503).
    env.faults([FaultRule::everywhere().status(503).probability(0.2)])
        .await;
    let resilient = env
        .builder()
        .retries(common::fast_retries().with_max_attempts(10))
        .build()
        .unwrap();
    let under_faults =
        flows::performance_report(&resilient, ReportOptions::default().top(5).page_size(7))
            .await
            .unwrap();
    env.clear_faults().await;
    assert_eq!(under_faults, report);
}

#[tokio::test]
async fn the_report_counts_runs_on_mocks_and_passes_errors_through() {
    let mut mocks = MockServices::new();
    let ids: Vec<ReferringCustomerId> = (0..3)
        .map(|n| {
            ReferringCustomerId::parse(format!("00000000-0000-4000-8000-00000000000{n}")).unwrap()
        })
        .collect();
    mocks
        .customers
        .expect_query_referring_customers()
        .returning(move |_| {
            let who = contact();
            Ok(Page::new(vec![customer(&who); 4], None))
        });
    let runs = ids.clone();
    mocks
        .friends
        .expect_query_referred_friends()
        .returning(move |query| {
            let sorted = [0usize, 0, 0, 1, 2, 2];
            assert_eq!(
                query.to_json()["sort"][0]["fieldName"],
                "referringCustomerId"
            );
            let mut items: Vec<ReferredFriend> = sorted
                .iter()
                .map(|i| friend(&contact(), &runs[*i]))
                .collect();
            items[0].status = FriendStatus::ActionsCompleted;
            Ok(Page::new(items, None))
        });
    mocks
        .rewards
        .expect_query_referral_rewards()
        .returning(|_| Ok(Page::new(Vec::new(), None)));
    mocks
        .tracker
        .expect_get_referral_statistics()
        .returning(|| Ok(Default::default()));
    let report = flows::performance_report(&mocks, ReportOptions::default().top(2))
        .await
        .unwrap();
    assert_eq!(report.total_referrals, 6);
    assert_eq!(report.customers_who_referred, 3);
    assert_eq!(report.share_of_customers_who_referred, 0.75);
    assert_eq!(report.most_referrals, 3);
    assert!((report.conversion_rate - 1.0 / 6.0).abs() < 1e-9);
    let top: Vec<_> = report
        .top_referrers
        .iter()
        .map(|t| (t.referring_customer_id.clone(), t.referrals))
        .collect();
    assert_eq!(top, [(ids[0].clone(), 3), (ids[2].clone(), 2)]);

    let mut failing = MockServices::new();
    failing
        .customers
        .expect_query_referring_customers()
        .returning(|_| Err(Error::Api(Box::new(make_api(500, "")))));
    assert_eq!(
        flows::performance_report(&failing, ReportOptions::default())
            .await
            .unwrap_err()
            .status(),
        Some(500)
    );
}

#[tokio::test]
async fn a_server_that_ignores_the_sort_stops_the_report_instead_of_miscounting() {
    let mut mocks = MockServices::new();
    let ids: Vec<ReferringCustomerId> = (1..=2)
        .map(|n| {
            ReferringCustomerId::parse(format!("00000000-0000-4000-8000-00000000000{n}")).unwrap()
        })
        .collect();
    mocks
        .customers
        .expect_query_referring_customers()
        .returning(|_| Ok(Page::new(vec![customer(&contact()); 2], None)));
    mocks
        .friends
        .expect_query_referred_friends()
        .returning(move |_| {
            // 1, 2, 1: customer 1's referrals in two runs would count them twice.
            let items = [0usize, 1, 0]
                .iter()
                .map(|i| friend(&contact(), &ids[*i]))
                .collect();
            Ok(Page::new(items, None))
        });
    let err = flows::performance_report(&mocks, ReportOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsorted {
                entity: "referredFriend",
                field: "referringCustomerId",
                item: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("did not sort by referringCustomerId")
    );
}
