//! Referred Friends: contacts who joined through a referring customer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use referral_api::operations::{self, Operation};
use referral_api::types as api;
use serde::{Deserialize, Serialize};

use crate::client::WixReferralClient;
use crate::enums::FriendStatus;
use crate::error::{Error, InvalidInput, missing};
use crate::ids::{ContactId, ReferralCode, ReferredFriendId, ReferringCustomerId, Revision};
use crate::paging::{self, Page};
use crate::programs::EDIT_ATTEMPTS;
use crate::query::FriendQuery;

/// A contact who joined through a referring customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferredFriend {
    /// The referred friend's id.
    pub id: ReferredFriendId,
    /// The site contact who was referred.
    pub contact_id: ContactId,
    /// Who referred them.
    pub referring_customer_id: ReferringCustomerId,
    /// `Unknown("")` if the server sent none.
    pub status: FriendStatus,
    /// Increases by 1 on every write; updates and deletes must send the current one.
    pub revision: Option<Revision>,
    /// When the friend was created.
    pub created_date: Option<DateTime<Utc>>,
    /// When the friend last changed.
    pub updated_date: Option<DateTime<Utc>>,
}

impl From<api::ReferredFriend> for ReferredFriend {
    fn from(f: api::ReferredFriend) -> Self {
        Self {
            id: ReferredFriendId::from_server(f.id.unwrap_or_default()),
            contact_id: ContactId::from_server(f.contact_id.unwrap_or_default()),
            referring_customer_id: ReferringCustomerId::from_server(
                f.referring_customer_id.unwrap_or_default(),
            ),
            status: f
                .status
                .map_or(FriendStatus::Unknown(String::new()), Into::into),
            revision: f.revision.map(Into::into),
            created_date: f.created_date,
            updated_date: f.updated_date,
        }
    }
}

/// Who becomes a referred friend, in the two shapes of docs/decisions.md item 6.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NewReferredFriend {
    /// As an app or API key: link a contact to a referring customer.
    Contact {
        /// The contact who joins.
        contact_id: ContactId,
        /// The referring customer who referred them.
        referring_customer_id: ReferringCustomerId,
    },
    /// As a member: the calling member joins with a referral code.
    WithCode(ReferralCode),
    /// As a member whose identity's scope carries the referral code (a member who arrived
    /// through a referral link): the request has an empty body, as the newest method page
    /// allows. Without a code in the scope the server refuses it (400 naming `referralCode`).
    FromScope,
}

impl NewReferredFriend {
    fn to_wire(&self) -> Result<api::CreateReferredFriendRequest, InvalidInput> {
        Ok(match self {
            Self::Contact {
                contact_id,
                referring_customer_id,
            } => {
                if contact_id.is_me() {
                    return Err(InvalidInput::new(
                        "referredFriend.contactId",
                        "\"me\" is only for members; a member joins with NewReferredFriend::WithCode",
                    ));
                }
                api::CreateReferredFriendRequest {
                    referred_friend: Some(api::NewReferredFriend {
                        contact_id: contact_id.as_str().to_owned(),
                        referring_customer_id: referring_customer_id.as_str().to_owned(),
                    }),
                    referral_code: None,
                }
            }
            Self::WithCode(code) => api::CreateReferredFriendRequest {
                referred_friend: None,
                referral_code: Some(
                    api::CreateReferredFriendRequestReferralCode::try_from(code.as_str())
                        .map_err(|e| InvalidInput::new("referralCode", e.to_string()))?,
                ),
            },
            Self::FromScope => api::CreateReferredFriendRequest {
                referred_friend: None,
                referral_code: None,
            },
        })
    }
}

/// The Referred Friends service: one method per Wix method.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ReferredFriends: Send + Sync {
    /// Create Referred Friend: creates the link, or returns the friend the contact already is
    /// (so a retry never makes a second). 428 [`crate::Precondition`]s: inactive program,
    /// unknown code, self-referral.
    async fn create_referred_friend(
        &self,
        new: &NewReferredFriend,
    ) -> Result<ReferredFriend, Error>;
    /// Get Referred Friend.
    async fn get_referred_friend(&self, id: &ReferredFriendId) -> Result<ReferredFriend, Error>;
    /// Get Referred Friend By Contact ID (`ContactId::me()` for the calling member).
    async fn get_referred_friend_by_contact(
        &self,
        contact: &ContactId,
    ) -> Result<ReferredFriend, Error>;
    /// Update Referred Friend: `friend` (as read: its id, revision, contact and referring
    /// customer, which the method requires) with a new `status`. A replay whose first attempt
    /// was applied unseen is settled by reading.
    async fn update_referred_friend(
        &self,
        friend: &ReferredFriend,
        status: FriendStatus,
    ) -> Result<ReferredFriend, Error>;
    /// Delete Referred Friend at its current revision (settled by reading after a lost answer).
    async fn delete_referred_friend(
        &self,
        id: &ReferredFriendId,
        revision: Revision,
    ) -> Result<(), Error>;
    /// Query Referred Friend: one page.
    async fn query_referred_friends(
        &self,
        query: &FriendQuery,
    ) -> Result<Page<ReferredFriend>, Error>;
}

/// Streams and read-modify-write over any [`ReferredFriends`].
#[async_trait]
pub trait ReferredFriendsExt: ReferredFriends {
    /// Every referred friend `query` matches, following cursors lazily.
    fn referred_friends_stream(
        &self,
        query: FriendQuery,
    ) -> BoxStream<'_, Result<ReferredFriend, Error>> {
        Box::pin(paging::items(query, move |q| async move {
            self.query_referred_friends(&q).await
        }))
    }

    /// Reads the friend, lets `edit` choose its status, and writes it with the revision it
    /// read; on a revision conflict reads again and re-applies, up to [`EDIT_ATTEMPTS`] times.
    /// Writes nothing when the status does not change.
    async fn update_referred_friend_with<F>(
        &self,
        id: &ReferredFriendId,
        mut edit: F,
    ) -> Result<ReferredFriend, Error>
    where
        F: FnMut(&ReferredFriend) -> FriendStatus + Send,
    {
        crate::edit::read_modify_write(
            "referred friend",
            EDIT_ATTEMPTS,
            || self.get_referred_friend(id),
            |current| {
                let status = edit(current);
                (status != current.status).then(|| (current.clone(), status))
            },
            move |(current, status)| async move {
                self.update_referred_friend(&current, status).await
            },
        )
        .await
    }
}

impl<T: ReferredFriends + ?Sized> ReferredFriendsExt for T {}

fn friend_of(
    operation: &'static str,
    friend: Option<api::ReferredFriend>,
) -> Result<ReferredFriend, Error> {
    friend
        .map(ReferredFriend::from)
        .ok_or_else(|| missing(operation, "referredFriend"))
}

#[async_trait]
impl ReferredFriends for WixReferralClient {
    async fn create_referred_friend(
        &self,
        new: &NewReferredFriend,
    ) -> Result<ReferredFriend, Error> {
        const OP: &Operation = &operations::CREATE_REFERRED_FRIEND;
        let body = new.to_wire()?;
        let response = self
            .call(OP, |api| async move {
                api.create_referred_friend().body(body).send().await
            })
            .await
            .result?;
        friend_of(OP.id, response.referred_friend)
    }

    async fn get_referred_friend(&self, id: &ReferredFriendId) -> Result<ReferredFriend, Error> {
        const OP: &Operation = &operations::GET_REFERRED_FRIEND;
        let id = id.as_str().to_owned();
        let response = self
            .call(OP, |api| async move {
                api.get_referred_friend()
                    .referred_friend_id(id)
                    .send()
                    .await
            })
            .await
            .result?;
        friend_of(OP.id, response.referred_friend)
    }

    async fn get_referred_friend_by_contact(
        &self,
        contact: &ContactId,
    ) -> Result<ReferredFriend, Error> {
        const OP: &Operation = &operations::GET_REFERRED_FRIEND_BY_CONTACT_ID;
        let contact = contact.as_str().to_owned();
        let response = self
            .call(OP, |api| async move {
                api.get_referred_friend_by_contact_id()
                    .contact_id(contact)
                    .send()
                    .await
            })
            .await
            .result?;
        friend_of(OP.id, response.referred_friend)
    }

    async fn update_referred_friend(
        &self,
        friend: &ReferredFriend,
        status: FriendStatus,
    ) -> Result<ReferredFriend, Error> {
        const OP: &Operation = &operations::UPDATE_REFERRED_FRIEND;
        // A status this SDK does not know is sent as it is (Wix may have added it), but an
        // empty one is no status at all.
        if status.as_str().is_empty() {
            return Err(InvalidInput::new("referredFriend.status", "a status is required").into());
        }
        let id = &friend.id;
        let revision = friend.revision.unwrap_or(Revision::new(0));
        let path_id = id.as_str().to_owned();
        // The method requires the two ids beside id and revision (docs/decisions.md item 9).
        let body = api::UpdateReferredFriendRequest {
            referred_friend: api::ReferredFriendUpdate {
                id: path_id.clone(),
                revision: revision.into(),
                // Sent as it is, so a status Wix adds later still goes through.
                status: Some(api::ReferredFriendUpdateStatus::from(status.as_str())),
                contact_id: friend.contact_id.as_str().to_owned(),
                referring_customer_id: friend.referring_customer_id.as_str().to_owned(),
            },
        };
        self.call(OP, |api| async move {
            api.update_referred_friend()
                .referred_friend_id(path_id)
                .body(body)
                .send()
                .await
        })
        .await
        .and_then(|response| friend_of(OP.id, response.referred_friend))
        .settle(self, OP, Error::is_revision_conflict, || async move {
            let friend = self.get_referred_friend(id).await.ok()?;
            (friend.revision == Some(revision.next()) && friend.status == status).then_some(friend)
        })
        .await
    }

    async fn delete_referred_friend(
        &self,
        id: &ReferredFriendId,
        revision: Revision,
    ) -> Result<(), Error> {
        const OP: &Operation = &operations::DELETE_REFERRED_FRIEND;
        let path_id = id.as_str().to_owned();
        let called = self
            .call(OP, |api| async move {
                api.delete_referred_friend()
                    .referred_friend_id(path_id)
                    .revision(referral_api::wire::Int64String::from(revision))
                    .send()
                    .await
            })
            .await;
        called
            .settle_delete(self, OP, || self.get_referred_friend(id))
            .await
    }

    async fn query_referred_friends(
        &self,
        query: &FriendQuery,
    ) -> Result<Page<ReferredFriend>, Error> {
        let body = api::QueryReferredFriendRequest {
            query: query.to_wire()?,
        };
        let response = self
            .call(&operations::QUERY_REFERRED_FRIEND, |api| async move {
                api.query_referred_friend().body(body).send().await
            })
            .await
            .result?;
        Ok(Page::from_wire(
            response.referred_friends,
            response.metadata,
        ))
    }
}
