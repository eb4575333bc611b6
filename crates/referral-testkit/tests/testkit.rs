//! The testkit's own promises: a one-line site with clients for every identity, seeding,
//! fixtures that decode the documented examples, consistent generated datasets.

use futures::TryStreamExt;
use referral_domain::query::{friends, rewards};
use referral_domain::{
    ContactId, FriendStatus, IssuedReward, NewReferredFriend, ProgramStatus, ReferralPrograms,
    ReferralRewardsExt, ReferredFriends, ReferredFriendsExt, ReferringCustomers, RewardReceiver,
};
use referral_testkit::{Dataset, TestSite, fixtures};

#[tokio::test]
async fn a_site_in_one_line_with_clients_for_every_identity() {
    let site = TestSite::start().await.unwrap();
    let program = site.client().get_program().await.unwrap();
    assert_eq!(program.status, ProgramStatus::Draft);
    let counts = site.seed(&Dataset::small()).await.unwrap();
    assert_eq!(counts.customers, 25);
    assert_eq!(counts.friends, 75);

    // A second site on the same emulator sees none of it.
    let other = TestSite::on(site.emulator().clone()).await.unwrap();
    let page = other
        .client()
        .query_referred_friends(&friends::query())
        .await
        .unwrap();
    assert!(page.items.is_empty());

    let app = site.app_client().unwrap();
    assert_eq!(
        app.get_program().await.unwrap().status,
        ProgramStatus::Active,
        "seeding activates"
    );

    let customer = site
        .client()
        .generate_referring_customer(&fixtures::contact())
        .await
        .unwrap();
    let newcomer = fixtures::contact();
    let member = site.member_client(&newcomer).await.unwrap();
    let friend = member
        .create_referred_friend(&NewReferredFriend::WithCode(customer.referral_code.clone()))
        .await
        .unwrap();
    assert_eq!(
        member
            .get_referred_friend_by_contact(&ContactId::me())
            .await
            .unwrap()
            .id,
        friend.id
    );

    site.record_order(&newcomer, "19.99", "USD").await.unwrap();
    let done = site.client().get_referred_friend(&friend.id).await.unwrap();
    assert_eq!(done.status, FriendStatus::ActionsCompleted);
    let theirs: Vec<_> = site
        .client()
        .referral_rewards_stream(rewards::query().for_contact(customer.contact_id.clone()))
        .try_collect()
        .await
        .unwrap();
    assert!(
        matches!(theirs[..], [ref r] if r.receiver == RewardReceiver::ReferringCustomer(customer.id.clone()))
    );
}

#[test]
fn the_documented_examples_decode_into_sdk_types() {
    let program = fixtures::documented::program();
    assert_eq!(program.status, ProgramStatus::Active);
    assert_eq!(program.revision.unwrap().get(), 3);
    assert_eq!(
        fixtures::documented::activated_program().name.as_deref(),
        Some("Share & Earn")
    );
    assert!(
        fixtures::documented::referring_customer()
            .referral_code
            .is_well_formed()
    );
    assert_eq!(
        fixtures::documented::referred_friend().status,
        FriendStatus::ActionsCompleted
    );
    assert!(matches!(
        fixtures::documented::referral_reward().kind,
        IssuedReward::Coupon(_)
    ));
    let _event = fixtures::documented::referral_event();
    assert_eq!(
        fixtures::documented::statistics()
            .total_amount_generated
            .to_string(),
        "815.00"
    );
}

#[test]
fn generated_datasets_are_consistent_and_follow_their_seed() {
    let data = Dataset::small().generate();
    assert_eq!(
        (data.customers.len(), data.friends.len(), data.events.len()),
        (25, 75, 75)
    );
    for friend in &data.friends {
        assert!(
            data.customers
                .iter()
                .any(|c| c.id == friend.referring_customer_id)
        );
    }
    let completed = data
        .friends
        .iter()
        .filter(|f| f.status == FriendStatus::ActionsCompleted)
        .count();
    assert_eq!(
        data.rewards.len(),
        75 + completed,
        "a coupon each, points per completed friend"
    );
    let again = Dataset::small().generate();
    let shape = |d: &referral_testkit::Generated| {
        d.friends
            .iter()
            .map(|f| f.status.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&data), shape(&again), "the same seed, the same shape");
    assert_ne!(
        shape(&data),
        shape(&Dataset::small().with_seed(7).generate())
    );
}

#[tokio::test]
async fn mock_services_stand_in_for_the_client() {
    let mut mocks = referral_testkit::MockServices::new();
    let customer = fixtures::referring_customer();
    let friend = fixtures::referred_friend_of(&customer);
    let page = referral_domain::Page::new(vec![friend.clone()], None);
    mocks
        .friends
        .expect_query_referred_friends()
        .returning(move |_| Ok(page.clone()));
    let all: Vec<_> = mocks
        .referred_friends_stream(friends::query())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, [friend]);
}

#[test]
fn every_entity_has_a_fixture_and_they_agree() {
    let customer = fixtures::referring_customer();
    let friend = fixtures::referred_friend_of(&customer);
    let reward = fixtures::points_reward_for(&customer, 100);
    let action = fixtures::action_event(&friend, "25.00");
    assert!(
        matches!(&action.kind, referral_domain::EventKind::Action(a) if a.amount == Some("25.00".parse().unwrap()))
    );
    assert!(matches!(
        fixtures::successful_referral_event(&friend).kind,
        referral_domain::EventKind::SuccessfulReferral { .. }
    ));
    let given = fixtures::reward_event(&reward);
    assert!(
        matches!(&given.kind, referral_domain::EventKind::Reward(r) if r.referral_reward_id == Some(reward.id.clone()))
    );
    let total = fixtures::customer_total(&customer, 2, "50.00");
    assert_eq!(
        (
            total.referring_customer_id,
            total.total_successful_referrals
        ),
        (customer.id.clone(), 2)
    );
    let acted = fixtures::friend_action(&friend, "25.00");
    assert_eq!(acted.referred_friend_id, friend.id);
    assert_eq!(fixtures::active_program().status, ProgramStatus::Active);
    assert_eq!(fixtures::draft_program().revision.unwrap().get(), 1);
    assert_eq!(
        fixtures::statistics(3, 1, "9.90").total_actions_completed,
        1
    );
}

/// Coupons are usable offline (issue 24): a friend's coupon redeemed through the testkit is
/// `APPLIED`, and the performance report counts it; any action, not only an order, is one call.
#[tokio::test]
async fn a_redeemed_coupon_is_applied_and_the_report_counts_it() {
    use referral_domain::ReferralRewards;
    use referral_domain::flows::{self, ProgramConfig, ReportOptions};

    let site = TestSite::start().await.unwrap();
    let client = site.client();
    flows::set_up_program(client, &ProgramConfig::sample_flows())
        .await
        .unwrap();
    let customer = client
        .generate_referring_customer(&fixtures::contact())
        .await
        .unwrap();
    let friend_contact = fixtures::contact();
    client
        .create_referred_friend(&NewReferredFriend::Contact {
            contact_id: friend_contact.clone(),
            referring_customer_id: customer.id.clone(),
        })
        .await
        .unwrap();
    let order = referral_emulator::FriendActionInput {
        contact_id: uuid::Uuid::parse_str(friend_contact.as_str()).unwrap(),
        action: "STORE_ORDER_PLACED".into(),
        amount: Some("40.00".into()),
        currency: Some("USD".into()),
        order_id: Some("checkout-1".into()),
    };
    let outcome = site.record_action(&order).await.unwrap();
    assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
    let again = site.record_action(&order).await.unwrap();
    assert!(
        again.events.is_empty(),
        "an order told twice is recorded once"
    );

    let rewards = client
        .query_referral_rewards(&referral_domain::query::rewards::query())
        .await
        .unwrap()
        .items;
    let coupon = rewards
        .iter()
        .find(|r| matches!(r.kind, IssuedReward::Coupon(_)))
        .expect("the friend's coupon");
    let points = rewards
        .iter()
        .find(|r| matches!(r.kind, IssuedReward::LoyaltyPoints(_)))
        .expect("the customer's points");
    let before = flows::performance_report(client, ReportOptions::default())
        .await
        .unwrap();
    assert_eq!(before.rewards.coupons_applied, 0);

    site.redeem_coupon(&coupon.id).await.unwrap();
    let after = flows::performance_report(client, ReportOptions::default())
        .await
        .unwrap();
    assert_eq!(after.rewards.coupons_applied, 1);
    let read = client.get_referral_reward(&coupon.id).await.unwrap();
    assert!(read.revision > coupon.revision, "the reward changed");

    let twice = site.redeem_coupon(&coupon.id).await.unwrap_err();
    assert!(twice.to_string().contains("409"), "{twice}");
    let not_a_coupon = site.redeem_coupon(&points.id).await.unwrap_err();
    assert!(not_a_coupon.to_string().contains("400"), "{not_a_coupon}");
}
