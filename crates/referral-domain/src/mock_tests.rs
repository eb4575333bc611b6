//! The service traits are object-safe and mockable: code written against `&dyn Trait` runs on a
//! mock, and a mock of the one-page query method gives a working stream.

use futures::TryStreamExt;

use crate::mock::{MockReferralPrograms, MockReferredFriends};
use crate::query::friends;
use crate::{
    Error, FriendStatus, Page, Program, ProgramStatus, ReferralPrograms, ReferralProgramsExt,
    ReferredFriend, ReferredFriendId, ReferredFriends, ReferredFriendsExt, ReferringCustomerId,
    Revision,
};

fn friend(n: u32) -> ReferredFriend {
    ReferredFriend {
        id: ReferredFriendId::from_server(format!("friend-{n}")),
        contact_id: crate::ContactId::from_server(format!("contact-{n}")),
        referring_customer_id: ReferringCustomerId::from_server("customer".into()),
        status: FriendStatus::SignUpCompleted,
        revision: Some(Revision::new(1)),
        created_date: None,
        updated_date: None,
    }
}

async fn count_friends(service: &dyn ReferredFriends) -> Result<usize, Error> {
    let all: Vec<ReferredFriend> = service
        .referred_friends_stream(friends::query().page_size(2))
        .try_collect()
        .await?;
    Ok(all.len())
}

#[tokio::test]
async fn a_mock_of_the_page_method_drives_a_stream_through_dyn() {
    let mut mock = MockReferredFriends::new();
    mock.expect_query_referred_friends()
        .times(3)
        .returning(|query| {
            let start: u32 = query.cursor().map_or(0, |c| c.as_str().parse().unwrap());
            let end = (start + 2).min(5);
            let next = (end < 5).then(|| crate::Cursor::new(end.to_string()));
            Ok(Page::new((start..end).map(friend).collect(), next))
        });
    assert_eq!(count_friends(&mock).await.unwrap(), 5);
}

fn program(revision: i64, name: &str) -> Program {
    Program {
        name: Some(name.into()),
        status: ProgramStatus::Draft,
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

fn conflict() -> Error {
    Error::RevisionConflict(Box::new(crate::ApiError {
        operation: "update_referral_program",
        status: 409,
        message: "entity has already changed since the requested revision".into(),
        code: Some("REVISION_MISMATCH".into()),
        description: None,
        field_violations: Vec::new(),
        request_id: None,
    }))
}

#[tokio::test]
async fn update_program_with_rereads_and_reapplies_on_conflict_and_gives_up_when_bounded() {
    let mut mock = MockReferralPrograms::new();
    let mut reads = 0;
    mock.expect_get_program().times(2).returning(move || {
        reads += 1;
        Ok(program(reads, "Old"))
    });
    let mut writes = mockall::Sequence::new();
    mock.expect_update_program()
        .times(1)
        .in_sequence(&mut writes)
        .withf(|u| u.revision == Revision::new(1) && u.name.as_deref() == Some("New"))
        .returning(|_| Err(conflict()));
    mock.expect_update_program()
        .times(1)
        .in_sequence(&mut writes)
        .withf(|u| u.revision == Revision::new(2) && u.name.as_deref() == Some("New"))
        .returning(|_| Ok(program(3, "New")));
    let updated = mock
        .update_program_with(|p| p.name = Some("New".into()))
        .await
        .unwrap();
    assert_eq!(updated.revision, Some(Revision::new(3)));

    let mut busy = MockReferralPrograms::new();
    busy.expect_get_program()
        .times(crate::EDIT_ATTEMPTS as usize)
        .returning(|| Ok(program(1, "Old")));
    busy.expect_update_program()
        .times(crate::EDIT_ATTEMPTS as usize)
        .returning(|_| Err(conflict()));
    let err = busy
        .update_program_with(|p| p.name = Some("New".into()))
        .await
        .unwrap_err();
    assert!(err.is_revision_conflict());

    let mut idle = MockReferralPrograms::new();
    idle.expect_get_program()
        .times(1)
        .returning(|| Ok(program(1, "Same")));
    idle.expect_update_program().never();
    let service: &dyn ReferralPrograms = &idle;
    service
        .update_program_with(|p| p.name = Some("Same".into()))
        .await
        .unwrap();
}
