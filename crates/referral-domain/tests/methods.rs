//! All 25 methods through the SDK against the emulator, over HTTP, plus the streams and the
//! read-modify-write helpers built on them.

mod common;

use common::{Env, activate_with_rewards, contact, referral};
use futures::TryStreamExt;
use referral_domain::query::{customers, events, friend_actions, friends, rewards, totals};
use referral_domain::{
    ContactId, EventKind, EventType, FriendStatus, IssuedReward, NewReferredFriend, OptionalExt,
    ProgramStatus, ProgramUpdate, ReferralCode, ReferralPrograms, ReferralProgramsExt,
    ReferralRewards, ReferralRewardsExt, ReferralTracker, ReferralTrackerExt, ReferredFriends,
    ReferredFriendsExt, ReferringCustomers, ReferringCustomersExt, RewardConfig, RewardReceiver,
    RewardType,
};

#[tokio::test]
async fn the_seven_program_methods() {
    let env = Env::start().await;
    let client = env.client();

    let program = client.get_program().await.unwrap();
    assert_eq!(program.status, ProgramStatus::Draft);
    let revision = program.revision.unwrap();
    assert_eq!(revision.get(), 1);
    assert_eq!(program.referred_friend_reward, None);

    let update = ProgramUpdate::new(revision)
        .name("Holiday Referral Program")
        .referring_customer_reward(RewardConfig::loyalty_points(100))
        .referred_friend_reward(RewardConfig::Nothing);
    let updated = client.update_program(&update).await.unwrap();
    assert_eq!(updated.name.as_deref(), Some("Holiday Referral Program"));
    assert_eq!(updated.revision, Some(revision.next()));
    assert_eq!(
        updated.referring_customer_reward,
        Some(RewardConfig::loyalty_points(100))
    );
    assert!(updated.reflects(&update));

    let active = client.activate_program().await.unwrap();
    assert_eq!(active.status, ProgramStatus::Active);
    let paused = client.pause_program().await.unwrap();
    assert_eq!(paused.status, ProgramStatus::Paused);

    let generated = client
        .generate_ai_social_media_posts(Some("fitness".into()))
        .await
        .unwrap();
    assert!(!generated.suggestions.is_empty());
    let stored = client.get_ai_social_media_posts(None).await.unwrap();
    assert!(!stored.suggestions.is_empty());

    let premium = client.get_premium_features().await.unwrap();
    assert!(premium.referral_program.is_some());
}

#[tokio::test]
async fn the_five_referring_customer_methods_and_their_stream() {
    let env = Env::start().await;
    let client = env.client();
    let contact = contact();

    let customer = client.generate_referring_customer(&contact).await.unwrap();
    assert_eq!(customer.contact_id, contact);
    assert!(
        customer.referral_code.is_well_formed(),
        "{:?}",
        customer.referral_code
    );
    let again = client.generate_referring_customer(&contact).await.unwrap();
    assert_eq!(again.id, customer.id, "create-or-return");

    assert_eq!(
        client.get_referring_customer(&customer.id).await.unwrap(),
        customer
    );
    let by_code = client
        .get_referring_customer_by_code(&customer.referral_code)
        .await
        .unwrap();
    assert_eq!(by_code.id, customer.id);

    let page = client
        .query_referring_customers(&customers::query().filter(customers::contact_id().eq(&contact)))
        .await
        .unwrap();
    assert_eq!(page.items, std::slice::from_ref(&customer));
    assert_eq!(page.next_cursor, None);

    for _ in 0..6 {
        client
            .generate_referring_customer(&common::contact())
            .await
            .unwrap();
    }
    let all: Vec<_> = client
        .referring_customers_stream(
            customers::query()
                .sort(customers::created_date().asc())
                .page_size(2),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].id, customer.id, "oldest first");
    // Ranges on codes (the newest method pages): the codes after the middle one, in order.
    let mut codes: Vec<_> = all.iter().map(|c| c.referral_code.clone()).collect();
    codes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let after_middle: Vec<_> = client
        .referring_customers_stream(
            customers::query()
                .filter(customers::referral_code().gt(&codes[3]))
                .sort(customers::referral_code().asc()),
        )
        .map_ok(|c| c.referral_code)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(after_middle, codes[4..]);

    client
        .delete_referring_customer(&customer.id, customer.revision.unwrap())
        .await
        .unwrap();
    let gone = client
        .get_referring_customer(&customer.id)
        .await
        .optional()
        .unwrap();
    assert_eq!(gone, None);
}

#[tokio::test]
async fn the_six_referred_friend_methods_as_admin_and_as_member() {
    let env = Env::start().await;
    let client = env.client();
    activate_with_rewards(&client).await;
    let customer = client
        .generate_referring_customer(&contact())
        .await
        .unwrap();

    // Admin shape: link a contact to a referring customer.
    let friend_contact = contact();
    let new = NewReferredFriend::Contact {
        contact_id: friend_contact.clone(),
        referring_customer_id: customer.id.clone(),
    };
    let friend = client.create_referred_friend(&new).await.unwrap();
    assert_eq!(friend.status, FriendStatus::SignUpCompleted);
    assert_eq!(friend.referring_customer_id, customer.id);
    assert_eq!(
        client.create_referred_friend(&new).await.unwrap().id,
        friend.id,
        "create-or-return"
    );

    // Member shape: the member joins with the code.
    let member_contact = contact();
    let member = env.member_client(&member_contact).await;
    let joined = member
        .create_referred_friend(&NewReferredFriend::WithCode(customer.referral_code.clone()))
        .await
        .unwrap();
    assert_eq!(joined.contact_id, member_contact);
    let mine = member
        .get_referred_friend_by_contact(&ContactId::me())
        .await
        .unwrap();
    assert_eq!(mine.id, joined.id);

    assert_eq!(
        client.get_referred_friend(&friend.id).await.unwrap(),
        friend
    );
    assert_eq!(
        client
            .get_referred_friend_by_contact(&friend_contact)
            .await
            .unwrap()
            .id,
        friend.id
    );

    let updated = client
        .update_referred_friend(&friend, FriendStatus::ActionsCompleted)
        .await
        .unwrap();
    assert_eq!(updated.status, FriendStatus::ActionsCompleted);
    assert_eq!(updated.revision, Some(friend.revision.unwrap().next()));

    // The read-modify-write helper: no write when nothing changes.
    let unchanged = client
        .update_referred_friend_with(&friend.id, |f| f.status.clone())
        .await
        .unwrap();
    assert_eq!(unchanged.revision, updated.revision);
    let back = client
        .update_referred_friend_with(&friend.id, |_| FriendStatus::SignUpCompleted)
        .await
        .unwrap();
    assert_eq!(back.status, FriendStatus::SignUpCompleted);

    let of_customer: Vec<_> = client
        .referred_friends_stream(
            friends::query()
                .filter(friends::referring_customer_id().eq(&customer.id))
                .sort(friends::created_date().asc())
                .page_size(1),
        )
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = of_customer.iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids, [friend.id.clone(), joined.id.clone()]);
    let page = client
        .query_referred_friends(&friends::query().filter(friends::status().starts_with("sign")))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2, "case-insensitive prefix");

    client
        .delete_referred_friend(&joined.id, joined.revision.unwrap())
        .await
        .unwrap();
    assert!(
        client
            .get_referred_friend(&joined.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn rewards_and_the_five_tracker_methods_after_a_successful_referral() {
    let env = Env::start().await;
    let client = env.client();
    let (customer, friend) = referral(&client).await;
    let (customer_contact, friend_contact) =
        (customer.contact_id.clone(), friend.contact_id.clone());
    env.order(&friend_contact, "25.50").await;

    // Rewards: a coupon for the friend, points for the customer.
    let all: Vec<_> = client
        .referral_rewards_stream(rewards::query().sort(rewards::created_date().asc()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "{all:#?}");
    let coupon = &all[0];
    assert_eq!(
        coupon.receiver,
        RewardReceiver::ReferredFriend(friend.id.clone())
    );
    let IssuedReward::Coupon(issued) = &coupon.kind else {
        panic!("a coupon: {coupon:?}")
    };
    assert_eq!(issued.code.as_ref().map(String::len), Some(12));
    assert_eq!(
        all[1].receiver,
        RewardReceiver::ReferringCustomer(customer.id.clone())
    );
    assert!(matches!(&all[1].kind, IssuedReward::LoyaltyPoints(p) if p.points == 100));
    assert_eq!(
        client.get_referral_reward(&coupon.id).await.unwrap(),
        *coupon
    );
    let points_only = client
        .query_referral_rewards(
            &rewards::query().filter(rewards::reward_type().eq(RewardType::LoyaltyPoints)),
        )
        .await
        .unwrap();
    assert_eq!(points_only.items.len(), 1);
    let of_friend = client
        .query_referral_rewards(&rewards::query().for_contact(friend_contact.clone()))
        .await
        .unwrap();
    assert_eq!(of_friend.items.len(), 1);

    // Events: signup, action, successful referral, two rewards.
    let events: Vec<_> = client
        .referral_events_stream(
            events::query()
                .sort(events::created_date().asc())
                .page_size(2),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events.len(), 5, "{events:#?}");
    let signup = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::FriendSignup { .. }))
        .expect("a signup event");
    let action = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Action(a) => Some(a),
            _ => None,
        })
        .expect("an action event");
    assert_eq!(action.amount, Some("25.50".parse().unwrap()));
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::SuccessfulReferral { .. }))
    );
    assert_eq!(
        client.get_referral_event(&signup.id).await.unwrap(),
        *signup
    );
    let reward_events = client
        .query_referral_events(&events::query().filter(events::event_type().eq(EventType::Reward)))
        .await
        .unwrap();
    assert_eq!(reward_events.items.len(), 2);
    assert!(
        reward_events
            .items
            .iter()
            .all(|e| matches!(e.kind, EventKind::Reward(_)))
    );
    let not_actions = client
        .query_referral_events(&events::query().filter(events::event_type().ne(EventType::Action)))
        .await
        .unwrap();
    assert_eq!(not_actions.items.len(), 4);
    // A whole member value, as the event carries it, finds that event.
    let signup_member = referral_domain::api::types::ReferredFriendSignupEvent {
        referred_friend_id: match &signup.kind {
            EventKind::FriendSignup { referred_friend_id } => {
                referred_friend_id.as_ref().map(|id| id.as_str().to_owned())
            }
            _ => unreachable!(),
        },
    };
    let by_member = client
        .query_referral_events(
            &events::query().filter(events::referred_friend_signup_event().eq(&signup_member)),
        )
        .await
        .unwrap();
    assert_eq!(by_member.items, std::slice::from_ref(signup));
    let rewards_last: Vec<_> = client
        .referral_events_stream(
            events::query()
                .sort(events::reward_event().asc())
                .page_size(2),
        )
        .try_collect()
        .await
        .unwrap();
    let kinds: Vec<bool> = rewards_last
        .iter()
        .map(|e| matches!(e.kind, EventKind::Reward(_)))
        .collect();
    assert_eq!(kinds, [false, false, false, true, true]);

    let stats = client.get_referral_statistics().await.unwrap();
    assert_eq!(stats.total_sign_ups_completed, 1);
    assert_eq!(stats.total_actions_completed, 1);
    assert_eq!(stats.total_amount_generated.to_string(), "25.50");

    let totals: Vec<_> = client
        .referring_customer_totals_stream(
            totals::query().filter(totals::total_successful_referrals().gte(1i64)),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].referring_customer_id, customer.id);
    assert_eq!(totals[0].total_amount_generated.to_string(), "25.50");
    let scoped = client
        .query_referring_customer_totals(&totals::query().for_contacts([customer_contact]))
        .await
        .unwrap();
    assert_eq!(scoped.items.len(), 1);

    let actions: Vec<_> = client
        .referred_friend_actions_stream(
            friend_actions::query().filter(friend_actions::total_actions().gt(0i64)),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].referred_friend_id, friend.id);
    assert_eq!(actions[0].total_actions, 1);
    assert!(matches!(actions[0].reward, IssuedReward::Coupon(_)));
    let scoped = client
        .query_referred_friend_actions(&friend_actions::query().for_contacts([friend_contact]))
        .await
        .unwrap();
    assert_eq!(scoped.items.len(), 1);
}

// Multi-threaded: the edit closure blocks its thread on another client's write, which the
// emulator must serve meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_program_with_converges_and_survives_a_concurrent_edit() {
    let env = Env::start().await;
    let client = env.client();
    let first = client
        .update_program_with(|p| p.name = Some("Share & Earn".into()))
        .await
        .unwrap();
    let same = client
        .update_program_with(|p| p.name = Some("Share & Earn".into()))
        .await
        .unwrap();
    assert_eq!(same.revision, first.revision, "no change, no write");

    // Someone else writes between our read and our write: the first attempt gets a 409, the
    // helper reads again and re-applies.
    let other = env.client();
    let mut interfered = false;
    let edited = client
        .update_program_with(|p| {
            if !interfered {
                interfered = true;
                let revision = p.revision.unwrap();
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(
                        other.update_program(&ProgramUpdate::new(revision).name("Someone else")),
                    )
                })
                .unwrap();
            }
            p.successful_referral_actions = vec![referral_domain::ReferralAction::PlanOrdered];
        })
        .await
        .unwrap();
    assert!(interfered);
    assert_eq!(
        edited.name.as_deref(),
        Some("Someone else"),
        "the other edit is kept"
    );
    assert_eq!(
        edited.successful_referral_actions,
        [referral_domain::ReferralAction::PlanOrdered]
    );
    assert_eq!(edited.revision, Some(first.revision.unwrap().next().next()));
}

#[tokio::test]
async fn codes_and_ids_from_users_are_checked_before_sending() {
    let env = Env::start().await;
    let client = env.client();
    assert_eq!(
        ReferralCode::parse("short").unwrap_err().violations()[0].field,
        "referralCode"
    );
    let err = client
        .update_program(&ProgramUpdate::new(referral_domain::Revision::new(1)).name("x"))
        .await
        .unwrap_err();
    assert_eq!(err.field_violations()[0].field, "referralProgram.name");
    assert_eq!(err.status(), None, "refused before sending");
    let err = client
        .query_referred_friends(&friends::query().page_size(500))
        .await
        .unwrap_err();
    assert_eq!(err.field_violations()[0].field, "query.cursorPaging.limit");
    let err = client
        .create_referred_friend(&NewReferredFriend::Contact {
            contact_id: ContactId::me(),
            referring_customer_id: referral_domain::ReferringCustomerId::parse(
                "07a3306c-b311-466e-92dd-c635c4145d1c",
            )
            .unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.field_violations()[0].field, "referredFriend.contactId");
    // The program is untouched.
    assert_eq!(
        client.get_program().await.unwrap().revision.unwrap().get(),
        1
    );
}

/// The newest Create Referred Friend page: a member may send an empty body when the scope of
/// its identity carries the referral code (docs/decisions.md item 6).
#[tokio::test]
async fn a_member_whose_scope_carries_the_code_joins_with_an_empty_body() {
    let env = Env::start().await;
    let client = env.client();
    activate_with_rewards(&client).await;
    let customer = client
        .generate_referring_customer(&contact())
        .await
        .unwrap();
    let friend_contact = contact();
    let member = env
        .scoped_member_client(&friend_contact, Some(customer.referral_code.as_str()))
        .await;
    let joined = member
        .create_referred_friend(&NewReferredFriend::FromScope)
        .await
        .unwrap();
    assert_eq!(joined.contact_id, friend_contact);
    assert_eq!(joined.referring_customer_id, customer.id);

    // Without a code in the scope, the empty body is refused, naming the field.
    let other = env.member_client(&contact()).await;
    let refused = other
        .create_referred_friend(&NewReferredFriend::FromScope)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused:?}");
    assert_eq!(refused.field_violations()[0].field, "referralCode");
}
