//! Referred friends: create-or-return, status, delete (docs/decisions.md items 6–9).

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::Value;
use uuid::Uuid;

use super::*;
use crate::error::{ApiError, ApiResult};
use crate::table::IndexKey;

impl Site {
    /// Create-or-return (docs/decisions.md items 6–7, 18); the friend's id.
    pub fn create_friend(
        &mut self,
        contact: Uuid,
        referring_customer: Option<Uuid>,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> ApiResult<Uuid> {
        if let Some(existing) = self.friends.find("contactId", &IndexKey::Id(contact)) {
            return Ok(existing.meta.id);
        }
        if self.program.status != "ACTIVE" {
            return Err(ApiError::precondition(
                "PROGRAM_NOT_ACTIVE",
                "the referral program is not active",
            ));
        }
        let customer = referring_customer
            .and_then(|id| self.customers.get(&id))
            .ok_or_else(|| {
                ApiError::precondition(
                    "INVALID_REFERRAL_CODE",
                    "no referring customer has that code or id",
                )
            })?;
        if customer.contact_id == contact {
            return Err(ApiError::precondition(
                "SELF_REFERRAL",
                "a contact cannot refer itself",
            ));
        }
        let friend = Friend {
            meta: Meta::new(random_uuid(rng), at),
            contact_id: contact,
            referring_customer_id: customer.meta.id,
            status: FriendStatus::SignUpCompleted,
        };
        let friend_id = friend.meta.id;
        self.emit(FRIEND_FQDN, "created", Some(friend_id), 1, || {
            friend.to_json()
        });
        self.friends.insert(friend);
        self.friend_actions
            .insert(FriendActions::new(friend_id, contact, at));
        self.signups += 1;
        self.record_event(EventKind::Signup { friend: friend_id }, rng, at);
        if let Some(reward) = self.program.referred_friend_reward.clone() {
            self.grant(&reward, Receiver::Friend(friend_id), contact, rng, at);
        }
        Ok(friend_id)
    }

    /// Update Referred Friend: the two ids must be the stored ones; without a status only the
    /// revision and date advance (docs/decisions.md item 9).
    pub fn update_friend(
        &mut self,
        id: Uuid,
        revision: Option<&Value>,
        claimed: &FriendIdentity,
        status: Option<FriendStatus>,
    ) -> ApiResult<Value> {
        let friend = self
            .friends
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referred friend", &id.to_string()))?;
        if claimed.contact != friend.contact_id {
            return Err(ApiError::invalid(
                "referredFriend.contactId",
                "is not this friend's contact (it cannot change)",
            ));
        }
        if claimed.referring_customer != friend.referring_customer_id {
            return Err(ApiError::invalid(
                "referredFriend.referringCustomerId",
                "is not this friend's referring customer (it cannot change)",
            ));
        }
        check_revision(revision, friend.meta.revision, "referredFriend.revision")?;
        let status = status.unwrap_or(friend.status);
        self.set_friend_status(id, status, now());
        Ok(self
            .friends
            .get(&id)
            .map(Friend::to_json)
            .unwrap_or_default())
    }

    pub(super) fn set_friend_status(&mut self, id: Uuid, status: FriendStatus, at: DateTime<Utc>) {
        let revision = self.friends.update(&id, |f| {
            f.status = status;
            f.meta.touch(at);
            f.meta.revision
        });
        if let Some(revision) = revision {
            let friends = &self.friends;
            let render = || friends.get(&id).map(Friend::to_json).unwrap_or_default();
            let json = (!self.webhooks.is_empty()).then(render);
            if let Some(json) = json {
                self.emit(FRIEND_FQDN, "updated", Some(id), revision, || json);
            }
        }
    }

    pub fn delete_friend(&mut self, id: Uuid, revision: Option<&str>) -> ApiResult<()> {
        let friend = self
            .friends
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referred friend", &id.to_string()))?;
        check_revision_text(revision, friend.meta.revision)?;
        if let Some(removed) = self.friends.remove(&id) {
            self.emit(
                FRIEND_FQDN,
                "deleted",
                Some(id),
                removed.meta.revision + 1,
                || removed.to_json(),
            );
        }
        self.friend_actions.remove(&id);
        Ok(())
    }
}

/// Who an update says the friend is: checked against the stored one (docs/decisions.md item 9).
pub struct FriendIdentity {
    /// `referredFriend.contactId`.
    pub contact: Uuid,
    /// `referredFriend.referringCustomerId`.
    pub referring_customer: Uuid,
}
