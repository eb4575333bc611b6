//! A user's referral logic, written against the SDK's traits so that tests can swap the client
//! for a mock, an emulator site or an HTTP mock.

use futures::TryStreamExt;
use referral_domain::query::friends;
use referral_domain::{
    ContactId, Error, FriendStatus, OptionalExt, ReferralCode, ReferralPrograms, ReferredFriends,
    ReferredFriendsExt, ReferringCustomers,
    flows::{self, SignupOutcome},
};

/// What the shop shows a new customer after checkout.
#[derive(Debug, PartialEq, Eq)]
pub enum Welcome {
    /// They came through a friend: thank them both.
    Referred { by: ReferralCode },
    /// They may join the program themselves.
    Invite,
}

/// Links a buyer who entered `code` at checkout, and decides what to show them.
pub async fn after_checkout<S>(
    service: &S,
    buyer: &ContactId,
    code: Option<&ReferralCode>,
) -> Result<Welcome, Error>
where
    S: ReferralPrograms + ReferringCustomers + ReferredFriends + ?Sized,
{
    let Some(code) = code else {
        return Ok(Welcome::Invite);
    };
    match flows::process_friend_signup(service, code, buyer).await? {
        SignupOutcome::Created(_) | SignupOutcome::AlreadyReferred(_) => {
            Ok(Welcome::Referred { by: code.clone() })
        }
        SignupOutcome::InvalidCode | SignupOutcome::SelfReferral => Ok(Welcome::Invite),
    }
}

/// How many of a customer's friends have ordered, streaming every page.
pub async fn converted_friends<S>(service: &S, code: &ReferralCode) -> Result<usize, Error>
where
    S: ReferralPrograms + ReferringCustomers + ReferredFriends + ?Sized,
{
    let Some(customer) = service
        .get_referring_customer_by_code(code)
        .await
        .optional()?
    else {
        return Ok(0);
    };
    let query = friends::query()
        .filter(
            friends::referring_customer_id()
                .eq(&customer.id)
                .and(friends::status().eq(FriendStatus::ActionsCompleted)),
        )
        .page_size(50);
    service
        .referred_friends_stream(query)
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
}
