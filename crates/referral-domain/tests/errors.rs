//! Each kind of error, produced by the emulator over HTTP and mapped to the SDK's one `Error`.

mod common;

use referral_emulator::FaultRule;
use std::time::{Duration, Instant};

use common::{Env, activate_with_rewards, contact};
use referral_domain::query::{Filter, friends};
use referral_domain::{
    Auth, ContactId, Error, NewReferredFriend, Precondition, ProgramUpdate, ReferralCode,
    ReferralPrograms, ReferralRewardId, ReferredFriends, ReferringCustomerId, ReferringCustomers,
    RetryPolicy, Revision,
};
use serde_json::json;

const PROGRAM: &str = "/_api/referral-programs/v1/program";

#[tokio::test]
async fn a_429_keeps_its_retry_after_and_the_client_waits_it_out() {
    let env = Env::start().await;
    let once = env.builder().retries(RetryPolicy::none()).build().unwrap();

    env.faults([FaultRule::on(PROGRAM).status(429).retry_after(1)])
        .await;
    let err = once.get_program().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(1)),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(429));
    assert!(err.is_retryable());
    assert!(
        err.request_id().is_some(),
        "every response carries a request id"
    );

    env.faults([FaultRule::on(PROGRAM).status(429)]).await;
    let err = once.get_program().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );

    // With retries, the client waits the second the server asked for, then succeeds.
    env.faults([FaultRule::on(PROGRAM).status(429).retry_after(1).times(1)])
        .await;
    let started = Instant::now();
    env.client().get_program().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // A wait longer than the policy's bound ends the call at once, with the wait in the error.
    env.faults([FaultRule::on(PROGRAM).status(429).retry_after(120)])
        .await;
    let started = Instant::now();
    let err = env.client().get_program().await.unwrap_err();
    // Not slept out: far less than the 120 s asked for, with room for a slow machine.
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_empty_bodied_5xx_keeps_its_status_and_is_retried_where_safe() {
    let env = Env::start().await;
    let once = env.builder().retries(RetryPolicy::none()).build().unwrap();
    env.faults([FaultRule::on(PROGRAM).status(503)]).await;
    let err = once.get_program().await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert!(
        matches!(&err, Error::Api(api) if api.message.is_empty()),
        "{err:?}"
    );
    assert!(err.is_retryable());

    env.faults([FaultRule::on(PROGRAM).status(500).times(2)])
        .await;
    let program = env.client().get_program().await.unwrap();
    assert_eq!(
        env.faults_fired().await,
        [2],
        "two failures, then the third attempt"
    );
    assert_eq!(program.revision.unwrap().get(), 1);

    // Attempts are bounded: a server that keeps failing ends the call with its status.
    env.faults([FaultRule::on(PROGRAM).status(502)]).await;
    let err = env.client().get_program().await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        env.faults_fired().await,
        [4],
        "RetryPolicy::default() makes 4 attempts"
    );
}

#[tokio::test]
async fn dropped_connections_are_transport_errors_and_retried_where_safe() {
    let env = Env::start().await;
    env.faults([FaultRule::on(PROGRAM).drop_connection().times(1)])
        .await;
    env.client().get_program().await.unwrap();
    assert_eq!(env.faults_fired().await, [1]);

    let once = env.builder().retries(RetryPolicy::none()).build().unwrap();
    env.faults([FaultRule::on(PROGRAM).drop_connection()]).await;
    let err = once.get_program().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.status(), None);
    assert!(err.is_retryable());

    // Nobody listening: the request was never sent.
    let nowhere = env
        .builder()
        .base_url("http://127.0.0.1:9")
        .retries(RetryPolicy::none())
        .build()
        .unwrap();
    let err = nowhere.get_program().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                request_sent: false,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_overall_timeout_bounds_a_call_and_its_retries() {
    let env = Env::start().await;
    env.faults([FaultRule::on(PROGRAM).latency(Duration::from_millis(2000))])
        .await;
    let impatient = env
        .builder()
        .attempt_timeout(Some(Duration::from_millis(300)))
        .timeout(Some(Duration::from_millis(800)))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = impatient.get_program().await.unwrap_err();
    // Ended by the timeouts, not by the server's 2 s per attempt (generous for a slow machine).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, Error::Timeout { attempts, .. } if attempts >= 2),
        "{err:?}"
    );
}

#[tokio::test]
async fn conflicts_not_found_forbidden_and_unauthenticated() {
    let env = Env::start().await;
    let client = env.client();

    let err = client
        .update_program(&ProgramUpdate::new(Revision::new(7)).name("Stale"))
        .await
        .unwrap_err();
    assert!(err.is_revision_conflict(), "{err:?}");
    assert_eq!(
        (err.status(), err.code()),
        (Some(409), Some("REVISION_MISMATCH"))
    );

    let id = ReferralRewardId::parse("8934b045-7052-4a90-be2b-832c70afc9da").unwrap();
    let err = referral_domain::ReferralRewards::get_referral_reward(&client, &id)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.status(), Some(404));

    let other_site = env.control(reqwest::Method::POST, "/sites", None).await;
    let trespasser = env
        .builder()
        .auth(Auth::api_key(
            env.emulator.api_key(),
            other_site["siteId"].as_str().unwrap(),
        ))
        .build()
        .unwrap();
    let err = trespasser.get_program().await.unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");

    let stranger = env
        .builder()
        .auth(Auth::api_key(
            "not-a-key",
            env.emulator.site_id().to_string(),
        ))
        .build()
        .unwrap();
    let err = stranger.get_program().await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn the_three_failed_preconditions_are_typed() {
    let env = Env::start().await;
    let client = env.client();
    let customer_contact = contact();
    let customer = client
        .generate_referring_customer(&customer_contact)
        .await
        .unwrap();
    let link = |contact: ContactId| NewReferredFriend::Contact {
        contact_id: contact,
        referring_customer_id: customer.id.clone(),
    };

    let err = client
        .create_referred_friend(&link(contact()))
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
    assert_eq!(err.status(), Some(428));

    activate_with_rewards(&client).await;
    let err = client
        .create_referred_friend(&link(customer_contact))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::FailedPrecondition {
                precondition: Precondition::SelfReferral,
                ..
            }
        ),
        "{err:?}"
    );

    let member = env.member_client(&contact()).await;
    let err = member
        .create_referred_friend(&NewReferredFriend::WithCode(
            ReferralCode::parse("AAAAAAAAAAAA").unwrap(),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::FailedPrecondition {
                precondition: Precondition::InvalidReferralCode,
                ..
            }
        ),
        "{err:?}"
    );
    let unknown = client
        .create_referred_friend(&NewReferredFriend::Contact {
            contact_id: contact(),
            referring_customer_id: ReferringCustomerId::parse(
                "07a3306c-b311-466e-92dd-c635c4145d1c",
            )
            .unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(428));
}

#[tokio::test]
async fn a_400_carries_its_field_violations() {
    let env = Env::start().await;
    let client = env.client();
    let err = client
        .query_referred_friends(
            &friends::query().filter(Filter::raw(json!({"nickname": {"$eq": "x"}}))),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    assert!(matches!(err, Error::Api(_)));
    let violation = &err.field_violations()[0];
    assert!(violation.field.contains("nickname"), "{violation:?}");
    assert!(err.to_string().contains("nickname"), "{err}");

    // `me` with an admin identity (docs/decisions.md item 17).
    let err = client
        .get_referred_friend_by_contact(&ContactId::me())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
}

#[tokio::test]
async fn an_app_token_is_fetched_once_refreshed_after_a_401_and_a_bad_secret_is_named() {
    let env = Env::start().await;
    let app = env.app_client();
    app.get_program().await.unwrap();

    // The emulator forgets every token it issued: the next call gets a 401, the client
    // fetches a new token once and the call succeeds.
    env.control(reqwest::Method::POST, "/reset", None).await;
    app.get_program().await.unwrap();

    let wrong = env
        .builder()
        .auth(Auth::app(
            env.emulator.app_id(),
            "wrong-secret",
            env.emulator.instance_id().to_string(),
        ))
        .build()
        .unwrap();
    let err = wrong.get_program().await.unwrap_err();
    assert!(matches!(err, Error::TokenRequest { .. }), "{err:?}");
    assert!(!err.to_string().contains("wrong-secret"), "{err}");
    // Within the back-off the endpoint is not asked again; the error says so.
    let again = wrong.get_program().await.unwrap_err();
    assert!(
        again.to_string().contains("not retried for another"),
        "{again}"
    );
}

#[tokio::test]
async fn the_client_side_rate_limit_holds_a_call_beyond_its_burst() {
    // The spacing itself is measured on paused time next to the limiter
    // (`rate_limit.rs`); this checks that every call of the client goes through it.
    let env = Env::start().await;
    // One a minute: a burst of one, then one every 60 s.
    let limited = env.builder().rate_limit_per_minute(1).build().unwrap();
    limited.get_premium_features().await.unwrap();
    let held = tokio::time::timeout(Duration::from_secs(3), limited.get_premium_features()).await;
    assert!(held.is_err(), "the second call was not held: {held:?}");
    // Clones share the limiter.
    let clone = limited.clone();
    let held = tokio::time::timeout(Duration::from_secs(1), clone.get_premium_features()).await;
    assert!(held.is_err(), "a clone's call was not held: {held:?}");
    // Off by default: the same calls are not held.
    let free = env.client();
    for _ in 0..3 {
        free.get_premium_features().await.unwrap();
    }
}

#[tokio::test]
async fn a_handle_with_other_retries_or_timeouts_changes_only_its_own_calls() {
    let env = Env::start().await;
    let client = env.client();
    let once = client.with_retries(RetryPolicy::none());
    assert_eq!(once.retry_policy().max_attempts, 1);
    assert_eq!(
        client.retry_policy(),
        env.client().retry_policy(),
        "the client is unchanged"
    );

    env.faults([FaultRule::on(PROGRAM).status(503).times(1)])
        .await;
    let err = once.get_program().await.unwrap_err();
    assert_eq!(
        err.status(),
        Some(503),
        "one attempt: the fault's only failure"
    );
    env.faults([FaultRule::on(PROGRAM).status(503).times(1)])
        .await;
    client
        .get_program()
        .await
        .expect("the client itself still retries");

    // A handle's own overall timeout, shorter than a fault's latency.
    env.faults([FaultRule::on(PROGRAM).latency(Duration::from_secs(2))])
        .await;
    let hasty = client.with_timeout(Some(Duration::from_millis(300)));
    let err = hasty.get_program().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    env.clear_faults().await;

    // Handles share the client's statistics (and connections, token cache, rate limiter).
    let before = client.stats().calls;
    once.get_program().await.unwrap();
    assert_eq!(client.stats().calls, before + 1);
}
