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

mod unknown_precondition {
    //! Wix documents the 428 of Create Referred Friend without naming its codes: the signup flow
    //! reaches the same outcome when the server answers a code this SDK does not know.

    use super::*;
    use crate::flows::{SignupOutcome, process_friend_signup};
    use crate::mock::MockServices;
    use crate::{ApiError, ContactId, Precondition, ReferralCode, ReferringCustomer};

    fn code() -> ReferralCode {
        ReferralCode::parse("GxpxwAoMqxH8").unwrap()
    }

    fn customer(contact: &str) -> ReferringCustomer {
        ReferringCustomer {
            id: ReferringCustomerId::from_server("customer".into()),
            contact_id: ContactId::from_server(contact.into()),
            referral_code: code(),
            revision: Some(Revision::new(1)),
            created_date: None,
            updated_date: None,
        }
    }

    fn unknown_428() -> Error {
        let mut api = ApiError::new("create_referred_friend", 428);
        api.code = Some("A_CODE_WIX_NEVER_DOCUMENTED".into());
        api.into()
    }

    fn not_found() -> Error {
        ApiError::new("get", 404).into()
    }

    /// What the re-reads after the 428 find.
    struct After {
        customer: Option<&'static str>,
        friend_exists: bool,
        program: ProgramStatus,
    }

    fn services(after: After) -> MockServices {
        let mut mock = MockServices::new();
        // Before the create: the code is a customer's, the friend is nobody's.
        let mut reads = 0;
        mock.customers
            .expect_get_referring_customer_by_code()
            .returning(move |_| {
                reads += 1;
                match (reads, after.customer) {
                    (1, _) => Ok(customer("customer-contact")),
                    (_, Some(contact)) => Ok(customer(contact)),
                    (_, None) => Err(not_found()),
                }
            });
        let mut friend_reads = 0;
        mock.friends
            .expect_get_referred_friend_by_contact()
            .returning(move |_| {
                friend_reads += 1;
                if friend_reads > 1 && after.friend_exists {
                    Ok(friend(7))
                } else {
                    Err(not_found())
                }
            });
        mock.friends
            .expect_create_referred_friend()
            .times(1)
            .returning(|_| Err(unknown_428()));
        let status = after.program;
        mock.programs.expect_get_program().returning(move || {
            Ok(Program {
                status: status.clone(),
                ..program(1, "p")
            })
        });
        mock
    }

    #[tokio::test]
    async fn an_unknown_code_is_explained_by_reading_again() {
        let friend_contact = ContactId::from_server("friend-contact".into());
        let cases: [(&str, After, Result<SignupOutcome, Precondition>); 5] = [
            (
                "the code went away",
                After {
                    customer: None,
                    friend_exists: false,
                    program: ProgramStatus::Active,
                },
                Ok(SignupOutcome::InvalidCode),
            ),
            (
                "the code is the friend's own",
                After {
                    customer: Some("friend-contact"),
                    friend_exists: false,
                    program: ProgramStatus::Active,
                },
                Ok(SignupOutcome::SelfReferral),
            ),
            (
                "another signup of the friend won",
                After {
                    customer: Some("customer-contact"),
                    friend_exists: true,
                    program: ProgramStatus::Active,
                },
                Ok(SignupOutcome::AlreadyReferred(friend(7))),
            ),
            (
                "the program is paused",
                After {
                    customer: Some("customer-contact"),
                    friend_exists: false,
                    program: ProgramStatus::Paused,
                },
                Err(Precondition::ProgramNotActive),
            ),
            (
                "nothing explains it",
                After {
                    customer: Some("customer-contact"),
                    friend_exists: false,
                    program: ProgramStatus::Active,
                },
                Err(Precondition::Unknown("A_CODE_WIX_NEVER_DOCUMENTED".into())),
            ),
        ];
        for (name, after, expected) in cases {
            let mock = services(after);
            let outcome = process_friend_signup(&mock, &code(), &friend_contact).await;
            match (outcome, expected) {
                (Ok(outcome), Ok(expected)) => assert_eq!(outcome, expected, "{name}"),
                (Err(Error::FailedPrecondition { precondition, api }), Err(expected)) => {
                    assert_eq!(precondition, expected, "{name}");
                    assert_eq!(api.status, 428, "{name}: the server's answer is kept");
                }
                (other, expected) => panic!("{name}: {other:?}, expected {expected:?}"),
            }
        }
    }
}
