//! Retries never apply a write twice (docs/decisions.md item 28): with the emulator losing the answer
//! of a call's first attempt (the change is made, the connection closes before any response),
//! the SDK replays what is safe to replay and settles revision-guarded writes by reading.

mod common;

use common::{Env, activate_with_rewards, contact, referral};
use futures::TryStreamExt;
use referral_domain::query::{customers, events, friends};
use referral_domain::{
    Error, EventType, FriendStatus, NewReferredFriend, ProgramStatus, ProgramUpdate,
    ReferralPrograms, ReferralTrackerExt, ReferredFriends, ReferredFriendsExt, ReferringCustomers,
    ReferringCustomersExt, RetryPolicy,
};
use referral_emulator::FaultRule;

/// The next call to `route` is processed but its answer is lost, once.
async fn lose_first_answer(env: &Env, route: &str) {
    env.faults([FaultRule::on(route).lose_response().times(1)])
        .await;
}

/// The lost answer really happened (so the call that follows was a replay).
async fn assert_lost_once(env: &Env) {
    assert_eq!(env.faults_fired().await, [1], "the first answer was lost");
}

const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";
const FRIENDS: &str = "/referral_friends/v1/referred-friends";
const PROGRAM: &str = "/_api/referral-programs/v1/program";

#[tokio::test]
async fn a_create_or_return_replayed_after_a_lost_answer_leaves_one_record() {
    let env = Env::start().await;
    let client = env.client();
    let who = contact();
    lose_first_answer(&env, CUSTOMERS).await;
    let customer = client.generate_referring_customer(&who).await.unwrap();
    assert_lost_once(&env).await;
    let all: Vec<_> = client
        .referring_customers_stream(customers::query().filter(customers::contact_id().eq(&who)))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, customer.id);

    activate_with_rewards(&client).await;
    let friend_contact = contact();
    lose_first_answer(&env, FRIENDS).await;
    let friend = client
        .create_referred_friend(&NewReferredFriend::Contact {
            contact_id: friend_contact.clone(),
            referring_customer_id: customer.id.clone(),
        })
        .await
        .unwrap();
    assert_lost_once(&env).await;
    env.clear_faults().await;
    let friends: Vec<_> = client
        .referred_friends_stream(
            friends::query().filter(friends::referring_customer_id().eq(&customer.id)),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(friends.len(), 1);
    assert_eq!(friends[0].id, friend.id);
    let signups: Vec<_> = client
        .referral_events_stream(
            events::query().filter(events::event_type().eq(EventType::ReferredFriendSignup)),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(signups.len(), 1, "one signup event, no second");
}

#[tokio::test]
async fn concurrent_duplicate_creates_leave_one_record() {
    let env = Env::start().await;
    let client = env.client();
    let who = contact();
    let calls = (0..8).map(|_| {
        let client = client.clone();
        let who = who.clone();
        tokio::spawn(async move { client.generate_referring_customer(&who).await })
    });
    let results = futures::future::join_all(calls).await;
    let ids: std::collections::HashSet<_> = results
        .into_iter()
        .map(|r| r.unwrap().unwrap().id)
        .collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn an_update_replayed_after_a_lost_answer_is_applied_once_and_settled_by_reading() {
    let env = Env::start().await;
    let client = env.client();
    let program = client.get_program().await.unwrap();
    let update = ProgramUpdate::new(program.revision.unwrap()).name("Applied once");
    lose_first_answer(&env, PROGRAM).await;
    // The replay finds revision 2 and answers 409: the client reads and sees its own change.
    let before = client.stats();
    let updated = client.update_program(&update).await.unwrap();
    assert_lost_once(&env).await;
    let after = client.stats();
    assert_eq!(
        after.settled_by_reading - before.settled_by_reading,
        1,
        "{after:?}"
    );
    assert_eq!(after.retries - before.retries, 1, "one replay");
    assert_eq!(updated.name.as_deref(), Some("Applied once"));
    assert_eq!(updated.revision.unwrap().get(), 2, "one write, not two");
    env.clear_faults().await;
    assert_eq!(
        client.get_program().await.unwrap().revision.unwrap().get(),
        2
    );

    // Without retries the caller sees the honest outcome: the request may have been applied.
    let once = env.builder().retries(RetryPolicy::none()).build().unwrap();
    lose_first_answer(&env, PROGRAM).await;
    let err = once
        .update_program(&ProgramUpdate::new(updated.revision.unwrap()).name("Unknown fate"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                request_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_real_conflict_is_still_reported_after_a_lost_answer() {
    let env = Env::start().await;
    let client = env.client();
    let program = client.get_program().await.unwrap();
    // Someone else moved the program on first: our stale update loses its answer, and the
    // replay's 409 is not ours to settle.
    let stale = program.revision.unwrap();
    client
        .update_program(&ProgramUpdate::new(stale).name("Someone else"))
        .await
        .unwrap();
    lose_first_answer(&env, PROGRAM).await;
    let err = client
        .update_program(&ProgramUpdate::new(stale).name("Mine"))
        .await
        .unwrap_err();
    assert_lost_once(&env).await;
    assert!(err.is_revision_conflict(), "{err:?}");
    assert_eq!(err.code(), Some("REVISION_MISMATCH"));
}

#[tokio::test]
async fn friend_updates_deletes_and_transitions_settle_after_a_lost_answer() {
    let env = Env::start().await;
    let client = env.client();
    let (customer, friend) = referral(&client).await;

    lose_first_answer(&env, FRIENDS).await;
    let updated = client
        .update_referred_friend(&friend, FriendStatus::ActionsCompleted)
        .await
        .unwrap();
    assert_lost_once(&env).await;
    assert_eq!(updated.revision, Some(friend.revision.unwrap().next()));

    lose_first_answer(&env, FRIENDS).await;
    client
        .delete_referred_friend(&friend.id, updated.revision.unwrap())
        .await
        .unwrap();
    assert_lost_once(&env).await;
    env.clear_faults().await;
    assert!(
        client
            .get_referred_friend(&friend.id)
            .await
            .unwrap_err()
            .is_not_found()
    );

    lose_first_answer(&env, CUSTOMERS).await;
    client
        .delete_referring_customer(&customer.id, customer.revision.unwrap())
        .await
        .unwrap();
    assert_lost_once(&env).await;
    env.clear_faults().await;
    assert!(
        client
            .get_referring_customer(&customer.id)
            .await
            .unwrap_err()
            .is_not_found()
    );

    // Pause, then activate with the answer lost: the replay is refused (already ACTIVE), and the
    // client settles by reading.
    client.pause_program().await.unwrap();
    lose_first_answer(&env, &format!("{PROGRAM}/activate")).await;
    let active = client.activate_program().await.unwrap();
    assert_lost_once(&env).await;
    assert_eq!(active.status, ProgramStatus::Active);
}

#[tokio::test]
async fn a_call_that_creates_something_new_each_time_is_never_replayed_after_a_lost_answer() {
    let env = Env::start().await;
    let client = env.client();
    lose_first_answer(
        &env,
        &format!("{PROGRAM}/ai-social-media-posts-suggestions"),
    )
    .await;
    let err = client
        .generate_ai_social_media_posts(None)
        .await
        .unwrap_err();
    assert_lost_once(&env).await;
    assert!(
        matches!(
            err,
            Error::Transport {
                request_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    // A read of the same path whose first answer is lost is replayed.
    lose_first_answer(
        &env,
        &format!("{PROGRAM}/ai-social-media-posts-suggestions"),
    )
    .await;
    client.get_ai_social_media_posts(None).await.unwrap();
    assert_lost_once(&env).await;
}
