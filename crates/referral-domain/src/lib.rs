#![doc = include_str!("../README.md")]
// Shipped code returns errors instead of panicking (its own unit tests may unwrap).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
#![deny(missing_docs)]

mod auth;
mod client;
mod coupons;
mod customers;
mod edit;
mod enums;
mod error;
pub mod flows;
mod friends;
mod ids;
#[cfg(test)]
mod mock_tests;
mod paging;
mod programs;
pub mod query;
mod rate_limit;
mod retry;
mod rewards;
mod to_wire;
mod tracker;
mod transport;
pub mod webhooks;

pub use auth::{Auth, KeyScope, Secret};
pub use client::{
    ClientStats, DEFAULT_MAX_RESPONSE_BYTES, WIX_RATE_LIMIT_PER_MINUTE, WixReferralClient,
    WixReferralClientBuilder,
};
pub use coupons::{
    AwardedPoints, CouponAppliesTo, CouponScope, CouponScopeGroup, CouponSpec, Discount,
    IssuedCoupon,
};
pub use customers::{ReferringCustomer, ReferringCustomers, ReferringCustomersExt};
pub use enums::{
    CouponStatus, DiscountType, EmailApp, EventType, FriendStatus, OpenEnum, ProgramStatus,
    ReferralAction, RewardType,
};
pub use error::{
    ApiError, DecodeError, Error, FieldViolation, InvalidInput, OptionalExt, PagingError,
    PagingStop, Precondition,
};
pub use friends::{NewReferredFriend, ReferredFriend, ReferredFriends, ReferredFriendsExt};
pub use ids::{
    ContactId, Cursor, ReferralCode, ReferralEventId, ReferralRewardId, ReferredFriendId,
    ReferringCustomerId, Revision,
};
pub use paging::{CursorGuard, NextPage, Page, StreamLimits, items, pages};
pub use programs::{
    EDIT_ATTEMPTS, Emails, PostSuggestion, PremiumFeatures, Program, ProgramUpdate,
    ReferralPrograms, ReferralProgramsExt, RewardConfig, SocialMediaPosts,
};
pub use retry::RetryPolicy;
pub use rewards::{
    IssuedReward, ReferralReward, ReferralRewards, ReferralRewardsExt, RewardReceiver,
};
pub use tracker::{
    ActionEvent, EventKind, ReferralEvent, ReferralStatistics, ReferralTracker, ReferralTrackerExt,
    ReferredFriendAction, ReferringCustomerTotal, RewardEvent, Trigger,
};
pub use transport::REQUEST_ID_HEADER;
#[cfg(feature = "test-util")]
pub use webhooks::WebhookSigner;
pub use webhooks::{Identity, Webhook, WebhookError, WebhookEvent, WebhookVerifier};
#[cfg(feature = "axum")]
pub use webhooks::{VerifiedWebhook, WebhookRejection};

/// The five service traits and their `Ext` traits (streams, read-modify-write helpers) in one
/// line: `use referral_domain::prelude::*;`.
pub mod prelude {
    pub use crate::{
        OptionalExt, ReferralPrograms, ReferralProgramsExt, ReferralRewards, ReferralRewardsExt,
        ReferralTracker, ReferralTrackerExt, ReferredFriends, ReferredFriendsExt,
        ReferringCustomers, ReferringCustomersExt,
    };
}

/// Exact decimals, for money.
pub use rust_decimal::Decimal;

/// mockall mocks of the five service traits, and [`mock::MockServices`] that bundles them
/// (feature `mock`).
#[cfg(any(test, feature = "mock"))]
pub mod mock;

/// The generated low-level client this crate wraps, for what the SDK does not cover yet.
pub use referral_api as api;
