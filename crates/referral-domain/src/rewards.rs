//! Referral Rewards: what participants received (read-only; the system creates them).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use referral_api::operations::{self, Operation};
use referral_api::types as api;
use serde::{Deserialize, Serialize};

use crate::client::WixReferralClient;
use crate::coupons::{AwardedPoints, IssuedCoupon};
use crate::enums::RewardType;
use crate::error::{Error, InvalidInput, missing};
use crate::ids::{ReferralRewardId, ReferredFriendId, ReferringCustomerId, Revision};
use crate::paging::{self, Page};
use crate::query::RewardQuery;

/// A reward given to one participant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralReward {
    /// The reward's id.
    pub id: ReferralRewardId,
    /// Increases by 1 on every write.
    pub revision: Option<Revision>,
    /// When the reward was given.
    pub created_date: Option<DateTime<Utc>>,
    /// When the reward last changed.
    pub updated_date: Option<DateTime<Utc>>,
    /// Who received it.
    pub receiver: RewardReceiver,
    /// What was given.
    pub kind: IssuedReward,
}

/// Who received a reward (Wix's `receiver` one-of).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "id")]
#[non_exhaustive]
pub enum RewardReceiver {
    /// A referring customer.
    ReferringCustomer(ReferringCustomerId),
    /// A referred friend.
    ReferredFriend(ReferredFriendId),
    /// Both ids or neither were sent.
    Inconsistent {
        /// `rewardedReferringCustomerId`, if sent.
        referring_customer: Option<ReferringCustomerId>,
        /// `rewardedReferredFriendId`, if sent.
        referred_friend: Option<ReferredFriendId>,
    },
}

impl RewardReceiver {
    pub(crate) fn from_wire(customer: Option<String>, friend: Option<String>) -> Self {
        match (customer, friend) {
            (Some(c), None) => Self::ReferringCustomer(ReferringCustomerId::from_server(c)),
            (None, Some(f)) => Self::ReferredFriend(ReferredFriendId::from_server(f)),
            (c, f) => Self::Inconsistent {
                referring_customer: c.map(ReferringCustomerId::from_server),
                referred_friend: f.map(ReferredFriendId::from_server),
            },
        }
    }
}

/// What a reward gave (Wix's `rewardType` with the `rewardTypeOptions` one-of).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[non_exhaustive]
pub enum IssuedReward {
    /// A coupon.
    Coupon(IssuedCoupon),
    /// Loyalty points.
    LoyaltyPoints(AwardedPoints),
    /// Nothing (`NOTHING`).
    Nothing,
    /// A reward type this SDK does not know.
    Unknown {
        /// The type as Wix sent it.
        reward_type: String,
    },
    /// The type and the options disagree, or both options are set.
    Inconsistent {
        /// The type Wix sent, if any.
        reward_type: Option<RewardType>,
        /// `coupon`, if sent.
        coupon: Option<IssuedCoupon>,
        /// `loyaltyPoints`, if sent.
        loyalty_points: Option<AwardedPoints>,
    },
}

impl IssuedReward {
    pub(crate) fn from_wire(
        reward_type: Option<api::RewardType>,
        coupon: Option<api::IssuedCoupon>,
        points: Option<api::AwardedLoyaltyPoints>,
    ) -> Self {
        let reward_type = reward_type.map(RewardType::from);
        let coupon = coupon.map(IssuedCoupon::from);
        let points = points.map(AwardedPoints::from);
        match (reward_type, coupon, points) {
            (Some(RewardType::Coupon), Some(c), None) => Self::Coupon(c),
            (Some(RewardType::LoyaltyPoints), None, Some(p)) => Self::LoyaltyPoints(p),
            (Some(RewardType::Nothing), None, None) => Self::Nothing,
            (Some(RewardType::Unknown(t)), None, None) => Self::Unknown { reward_type: t },
            (reward_type, coupon, loyalty_points) => Self::Inconsistent {
                reward_type,
                coupon,
                loyalty_points,
            },
        }
    }

    /// Wix's `rewardType` for this reward; `None` when it is inconsistent and sent none.
    pub fn reward_type(&self) -> Option<RewardType> {
        match self {
            Self::Coupon(_) => Some(RewardType::Coupon),
            Self::LoyaltyPoints(_) => Some(RewardType::LoyaltyPoints),
            Self::Nothing => Some(RewardType::Nothing),
            Self::Unknown { reward_type } => Some(RewardType::Unknown(reward_type.clone())),
            Self::Inconsistent { reward_type, .. } => reward_type.clone(),
        }
    }
}

impl From<api::ReferralReward> for ReferralReward {
    fn from(r: api::ReferralReward) -> Self {
        Self {
            id: ReferralRewardId::from_server(r.id.unwrap_or_default()),
            revision: r.revision.map(Into::into),
            created_date: r.created_date,
            updated_date: r.updated_date,
            receiver: RewardReceiver::from_wire(
                r.rewarded_referring_customer_id,
                r.rewarded_referred_friend_id,
            ),
            kind: IssuedReward::from_wire(r.reward_type, r.coupon, r.loyalty_points),
        }
    }
}

/// The Referral Rewards service: one method per Wix method.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ReferralRewards: Send + Sync {
    /// Get Referral Reward.
    async fn get_referral_reward(&self, id: &ReferralRewardId) -> Result<ReferralReward, Error>;
    /// Query Referral Rewards: one page (`RewardQuery::for_contact` narrows to one contact).
    async fn query_referral_rewards(
        &self,
        query: &RewardQuery,
    ) -> Result<Page<ReferralReward>, Error>;
}

/// Streams over any [`ReferralRewards`].
pub trait ReferralRewardsExt: ReferralRewards {
    /// Every reward `query` matches, following cursors lazily.
    fn referral_rewards_stream(
        &self,
        query: RewardQuery,
    ) -> BoxStream<'_, Result<ReferralReward, Error>> {
        Box::pin(paging::items(query, move |q| async move {
            self.query_referral_rewards(&q).await
        }))
    }
}

impl<T: ReferralRewards + ?Sized> ReferralRewardsExt for T {}

#[async_trait]
impl ReferralRewards for WixReferralClient {
    async fn get_referral_reward(&self, id: &ReferralRewardId) -> Result<ReferralReward, Error> {
        const OP: &Operation = &operations::GET_REFERRAL_REWARD;
        let id = id.as_str().to_owned();
        let response = self
            .call(OP, |api| async move {
                api.get_referral_reward().id(id).send().await
            })
            .await
            .result?;
        response
            .referral_reward
            .map(ReferralReward::from)
            .ok_or_else(|| missing(OP.id, "referralReward"))
    }

    async fn query_referral_rewards(
        &self,
        query: &RewardQuery,
    ) -> Result<Page<ReferralReward>, Error> {
        let contact_id = match query.contacts() {
            [] => None,
            [one] => Some(one.as_str().to_owned()),
            _ => {
                return Err(InvalidInput::new(
                    "contactId",
                    "rewards are queried for one contact at a time",
                )
                .into());
            }
        };
        let body = api::QueryReferralRewardsRequest {
            query: query.to_wire()?,
            contact_id,
        };
        let response = self
            .call(&operations::QUERY_REFERRAL_REWARDS, |api| async move {
                api.query_referral_rewards().body(body).send().await
            })
            .await
            .result?;
        Ok(Page::from_wire(
            response.referral_rewards,
            response.metadata,
        ))
    }
}
