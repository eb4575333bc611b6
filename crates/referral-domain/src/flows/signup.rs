//! Flow 3: process a friend signup.

use serde::Serialize;

use crate::{
    ContactId, Error, NewReferredFriend, OptionalExt, Precondition, ProgramStatus, ReferralCode,
    ReferralPrograms, ReferredFriend, ReferredFriends, ReferringCustomers,
};

/// What became of a signup with a referral code.
///
/// Its JSON names the outcome in `outcome` and carries the friend, when there is one, in
/// `friend` (a [`ReferredFriend`] as it serializes):
///
/// ```json
/// {"outcome": "created", "friend": {"id": "…", "contactId": "…", "referringCustomerId": "…",
///   "status": "SIGN_UP_COMPLETED", "revision": "1", "createdDate": "…", "updatedDate": "…"}}
/// {"outcome": "alreadyReferred", "friend": {…}}
/// {"outcome": "invalidCode"}
/// {"outcome": "selfReferral"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome", content = "friend")]
pub enum SignupOutcome {
    /// The contact is now a referred friend of the code's customer. (Concurrent submissions of
    /// the same contact with the same code may each be told so: there is still one friend.)
    Created(ReferredFriend),
    /// The contact already was a referred friend (of this or another customer): nothing changed.
    AlreadyReferred(ReferredFriend),
    /// No referring customer has that code.
    InvalidCode,
    /// The code is the friend's own.
    SelfReferral,
}

/// Validates `code`, checks whether `friend` already is a referred friend, and links it to the
/// code's referring customer if not. A program that is not active is an error
/// ([`Precondition::ProgramNotActive`]), not an outcome. A 428 with a code this SDK does not
/// know (Wix does not name them) is explained by reading the code, the contacts and the program
/// again, so the outcome is the same whatever the server calls it.
///
/// Exactly one referred friend exists afterwards, whatever the duplicates, concurrent calls and
/// retries for the same contact: the check is an optimisation, the create is create-or-return.
///
/// ```no_run
/// # async fn demo(client: referral_domain::WixReferralClient) -> Result<(), referral_domain::Error> {
/// use referral_domain::flows::{self, SignupOutcome};
/// use referral_domain::{ContactId, ReferralCode};
/// let code = ReferralCode::parse("GxpxwAoMqxH8")?;
/// let friend = ContactId::parse("661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3")?;
/// match flows::process_friend_signup(&client, &code, &friend).await? {
///     SignupOutcome::Created(f) | SignupOutcome::AlreadyReferred(f) => println!("friend {}", f.id),
///     SignupOutcome::InvalidCode | SignupOutcome::SelfReferral => println!("no referral"),
/// }
/// # Ok(()) }
/// ```
pub async fn process_friend_signup<S>(
    service: &S,
    code: &ReferralCode,
    friend: &ContactId,
) -> Result<SignupOutcome, Error>
where
    S: ReferralPrograms + ReferringCustomers + ReferredFriends + ?Sized,
{
    let Some(customer) = service
        .get_referring_customer_by_code(code)
        .await
        .optional()?
    else {
        return Ok(SignupOutcome::InvalidCode);
    };
    if customer.contact_id == *friend {
        return Ok(SignupOutcome::SelfReferral);
    }
    if let Some(existing) = service
        .get_referred_friend_by_contact(friend)
        .await
        .optional()?
    {
        return Ok(SignupOutcome::AlreadyReferred(existing));
    }
    let link = NewReferredFriend::Contact {
        contact_id: friend.clone(),
        referring_customer_id: customer.id.clone(),
    };
    match service.create_referred_friend(&link).await {
        // A concurrent signup of the same contact may have won: create-or-return hands back
        // its record, which may name another customer.
        Ok(created) if created.referring_customer_id != customer.id => {
            Ok(SignupOutcome::AlreadyReferred(created))
        }
        Ok(created) => Ok(SignupOutcome::Created(created)),
        Err(Error::FailedPrecondition {
            precondition: Precondition::InvalidReferralCode,
            ..
        }) => Ok(SignupOutcome::InvalidCode),
        Err(Error::FailedPrecondition {
            precondition: Precondition::SelfReferral,
            ..
        }) => Ok(SignupOutcome::SelfReferral),
        // Wix documents the 428 without naming its codes (docs/decisions.md item 7): a code this
        // SDK does not know is settled by reading again what decides it.
        Err(Error::FailedPrecondition {
            precondition: Precondition::Unknown(unknown),
            api,
        }) => explain_precondition(service, code, friend, unknown, api).await,
        Err(e) => Err(e),
    }
}

/// After a 428 with a code this SDK does not know: the code, the contacts, a concurrent signup
/// and the program's status decide the outcome, in that order; if none explains it, the 428
/// stands as it came.
async fn explain_precondition<S>(
    service: &S,
    code: &ReferralCode,
    friend: &ContactId,
    unknown: String,
    api: Box<crate::ApiError>,
) -> Result<SignupOutcome, Error>
where
    S: ReferralPrograms + ReferringCustomers + ReferredFriends + ?Sized,
{
    match service
        .get_referring_customer_by_code(code)
        .await
        .optional()?
    {
        None => return Ok(SignupOutcome::InvalidCode),
        Some(customer) if customer.contact_id == *friend => {
            return Ok(SignupOutcome::SelfReferral);
        }
        Some(_) => {}
    }
    if let Some(existing) = service
        .get_referred_friend_by_contact(friend)
        .await
        .optional()?
    {
        return Ok(SignupOutcome::AlreadyReferred(existing));
    }
    let precondition = if service.get_program().await?.status == ProgramStatus::Active {
        Precondition::Unknown(unknown)
    } else {
        Precondition::ProgramNotActive
    };
    Err(Error::FailedPrecondition { precondition, api })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{FriendStatus, ReferredFriendId, ReferringCustomerId, Revision};

    #[test]
    fn the_documented_json_shapes() {
        let friend = ReferredFriend {
            id: ReferredFriendId::from_server("f".into()),
            contact_id: ContactId::from_server("c".into()),
            referring_customer_id: ReferringCustomerId::from_server("r".into()),
            status: FriendStatus::SignUpCompleted,
            revision: Some(Revision::new(1)),
            created_date: None,
            updated_date: None,
        };
        let friend_json = json!({"id": "f", "contactId": "c", "referringCustomerId": "r",
            "status": "SIGN_UP_COMPLETED", "revision": "1", "createdDate": null, "updatedDate": null});
        let cases = [
            (
                SignupOutcome::Created(friend.clone()),
                json!({"outcome": "created", "friend": friend_json}),
            ),
            (
                SignupOutcome::AlreadyReferred(friend),
                json!({"outcome": "alreadyReferred", "friend": friend_json}),
            ),
            (
                SignupOutcome::InvalidCode,
                json!({"outcome": "invalidCode"}),
            ),
            (
                SignupOutcome::SelfReferral,
                json!({"outcome": "selfReferral"}),
            ),
        ];
        for (outcome, expected) in cases {
            assert_eq!(
                serde_json::to_value(&outcome).unwrap(),
                expected,
                "{outcome:?}"
            );
        }
    }
}
