//! mockall mocks of the five service traits, and [`MockServices`](crate::mock::MockServices): one value that implements
//! all five by handing each call to its service's mock, for code (such as the flows) that needs
//! several services at once.

use async_trait::async_trait;

pub use crate::customers::MockReferringCustomers;
pub use crate::friends::MockReferredFriends;
pub use crate::programs::MockReferralPrograms;
use crate::query::{
    CustomerQuery, EventQuery, FriendActionsQuery, FriendQuery, RewardQuery, TotalsQuery,
};
pub use crate::rewards::MockReferralRewards;
pub use crate::tracker::MockReferralTracker;
use crate::*;

/// The five mocks as one service. Set expectations on the field of the service a call belongs to.
#[derive(Default)]
pub struct MockServices {
    /// Referral Programs.
    pub programs: MockReferralPrograms,
    /// Referring Customers.
    pub customers: MockReferringCustomers,
    /// Referred Friends.
    pub friends: MockReferredFriends,
    /// Referral Rewards.
    pub rewards: MockReferralRewards,
    /// The Referral Tracker.
    pub tracker: MockReferralTracker,
}

impl MockServices {
    /// Five mocks without expectations (any call panics until one is set).
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ReferralPrograms for MockServices {
    async fn get_program(&self) -> Result<Program, Error> {
        self.programs.get_program().await
    }
    async fn update_program(&self, update: &ProgramUpdate) -> Result<Program, Error> {
        self.programs.update_program(update).await
    }
    async fn activate_program(&self) -> Result<Program, Error> {
        self.programs.activate_program().await
    }
    async fn pause_program(&self) -> Result<Program, Error> {
        self.programs.pause_program().await
    }
    async fn get_ai_social_media_posts(
        &self,
        topic: Option<String>,
    ) -> Result<SocialMediaPosts, Error> {
        self.programs.get_ai_social_media_posts(topic).await
    }
    async fn generate_ai_social_media_posts(
        &self,
        topic: Option<String>,
    ) -> Result<SocialMediaPosts, Error> {
        self.programs.generate_ai_social_media_posts(topic).await
    }
    async fn get_premium_features(&self) -> Result<PremiumFeatures, Error> {
        self.programs.get_premium_features().await
    }
}

#[async_trait]
impl ReferringCustomers for MockServices {
    async fn generate_referring_customer(
        &self,
        contact: &ContactId,
    ) -> Result<ReferringCustomer, Error> {
        self.customers.generate_referring_customer(contact).await
    }
    async fn get_referring_customer(
        &self,
        id: &ReferringCustomerId,
    ) -> Result<ReferringCustomer, Error> {
        self.customers.get_referring_customer(id).await
    }
    async fn get_referring_customer_by_code(
        &self,
        code: &ReferralCode,
    ) -> Result<ReferringCustomer, Error> {
        self.customers.get_referring_customer_by_code(code).await
    }
    async fn query_referring_customers(
        &self,
        query: &CustomerQuery,
    ) -> Result<Page<ReferringCustomer>, Error> {
        self.customers.query_referring_customers(query).await
    }
    async fn delete_referring_customer(
        &self,
        id: &ReferringCustomerId,
        revision: Revision,
    ) -> Result<(), Error> {
        self.customers.delete_referring_customer(id, revision).await
    }
}

#[async_trait]
impl ReferredFriends for MockServices {
    async fn create_referred_friend(
        &self,
        new: &NewReferredFriend,
    ) -> Result<ReferredFriend, Error> {
        self.friends.create_referred_friend(new).await
    }
    async fn get_referred_friend(&self, id: &ReferredFriendId) -> Result<ReferredFriend, Error> {
        self.friends.get_referred_friend(id).await
    }
    async fn get_referred_friend_by_contact(
        &self,
        contact: &ContactId,
    ) -> Result<ReferredFriend, Error> {
        self.friends.get_referred_friend_by_contact(contact).await
    }
    async fn update_referred_friend(
        &self,
        friend: &ReferredFriend,
        status: FriendStatus,
    ) -> Result<ReferredFriend, Error> {
        self.friends.update_referred_friend(friend, status).await
    }
    async fn delete_referred_friend(
        &self,
        id: &ReferredFriendId,
        revision: Revision,
    ) -> Result<(), Error> {
        self.friends.delete_referred_friend(id, revision).await
    }
    async fn query_referred_friends(
        &self,
        query: &FriendQuery,
    ) -> Result<Page<ReferredFriend>, Error> {
        self.friends.query_referred_friends(query).await
    }
}

#[async_trait]
impl ReferralRewards for MockServices {
    async fn get_referral_reward(&self, id: &ReferralRewardId) -> Result<ReferralReward, Error> {
        self.rewards.get_referral_reward(id).await
    }
    async fn query_referral_rewards(
        &self,
        query: &RewardQuery,
    ) -> Result<Page<ReferralReward>, Error> {
        self.rewards.query_referral_rewards(query).await
    }
}

#[async_trait]
impl ReferralTracker for MockServices {
    async fn get_referral_event(&self, id: &ReferralEventId) -> Result<ReferralEvent, Error> {
        self.tracker.get_referral_event(id).await
    }
    async fn query_referral_events(
        &self,
        query: &EventQuery,
    ) -> Result<Page<ReferralEvent>, Error> {
        self.tracker.query_referral_events(query).await
    }
    async fn get_referral_statistics(&self) -> Result<ReferralStatistics, Error> {
        self.tracker.get_referral_statistics().await
    }
    async fn query_referring_customer_totals(
        &self,
        query: &TotalsQuery,
    ) -> Result<Page<ReferringCustomerTotal>, Error> {
        self.tracker.query_referring_customer_totals(query).await
    }
    async fn query_referred_friend_actions(
        &self,
        query: &FriendActionsQuery,
    ) -> Result<Page<ReferredFriendAction>, Error> {
        self.tracker.query_referred_friend_actions(query).await
    }
}
