//! Referral Programs: the site's one program, its rewards and lifecycle, and the AI posts that
//! promote it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use referral_api::operations::{self, Operation};
use referral_api::types as api;
use serde::{Deserialize, Serialize};

use crate::client::WixReferralClient;
use crate::coupons::CouponSpec;
use crate::enums::{EmailApp, ProgramStatus, ReferralAction, RewardType};
use crate::error::{Error, FieldViolation, InvalidInput};
use crate::ids::Revision;

/// The site's referral program. A site has exactly one, so it has no id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Program {
    /// The program's name.
    pub name: Option<String>,
    /// `Unknown("")` if the server sent none.
    pub status: ProgramStatus,
    /// Increases by 1 on every write; an update must send the current one.
    pub revision: Option<Revision>,
    /// When the program was created.
    pub created_date: Option<DateTime<Utc>>,
    /// When the program last changed.
    pub updated_date: Option<DateTime<Utc>>,
    /// What a referred friend receives; `None` until configured.
    pub referred_friend_reward: Option<RewardConfig>,
    /// What the referring customer receives for a successful referral.
    pub referring_customer_reward: Option<RewardConfig>,
    /// Actions that make a referral successful.
    pub successful_referral_actions: Vec<ReferralAction>,
    /// The emails the program sends.
    pub emails: Option<Emails>,
    /// What the site's plan includes.
    pub premium_features: Option<PremiumFeatures>,
}

impl Program {
    /// The changes that turn `self` into `edited`, as an update at `self`'s revision; `None`
    /// when nothing editable differs. (Status, dates and premium features are not editable.)
    pub fn changes_to(&self, edited: &Program) -> Option<ProgramUpdate> {
        let mut update = ProgramUpdate::new(self.revision.unwrap_or(Revision::new(0)));
        if edited.name != self.name {
            update.name = edited.name.clone();
        }
        if edited.referred_friend_reward != self.referred_friend_reward {
            update.referred_friend_reward = edited.referred_friend_reward.clone();
        }
        if edited.referring_customer_reward != self.referring_customer_reward {
            update.referring_customer_reward = edited.referring_customer_reward.clone();
        }
        if edited.successful_referral_actions != self.successful_referral_actions {
            update.successful_referral_actions = Some(edited.successful_referral_actions.clone());
        }
        if edited.emails != self.emails {
            update.emails = edited.emails.clone();
        }
        (!update.is_empty()).then_some(update)
    }

    /// Whether every field `update` sets has that value here.
    pub fn reflects(&self, update: &ProgramUpdate) -> bool {
        (update.name.is_none() || update.name == self.name)
            && (update.referred_friend_reward.is_none()
                || update.referred_friend_reward == self.referred_friend_reward)
            && (update.referring_customer_reward.is_none()
                || update.referring_customer_reward == self.referring_customer_reward)
            && update
                .successful_referral_actions
                .as_ref()
                .is_none_or(|a| *a == self.successful_referral_actions)
            && (update.emails.is_none() || update.emails == self.emails)
    }
}

/// A program reward (Wix's `type` with its one-of options).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[non_exhaustive]
pub enum RewardConfig {
    /// A coupon, as specified.
    Coupon(CouponSpec),
    /// Loyalty points.
    LoyaltyPoints {
        /// How many points.
        points: i32,
    },
    /// No reward.
    Nothing,
    /// A reward type this SDK does not know; sent back as it came (type only).
    #[cfg_attr(feature = "schemars", schemars(skip))]
    Unknown {
        /// The type as Wix sent it.
        reward_type: String,
    },
    /// The type and the options disagree, both options are set, or there is no type.
    #[cfg_attr(feature = "schemars", schemars(skip))]
    Inconsistent {
        /// The type Wix sent, if any.
        reward_type: Option<RewardType>,
        /// `couponOptions`, if sent.
        coupon: Option<CouponSpec>,
        /// `loyaltyPointsOptions.points`, if sent.
        points: Option<i32>,
    },
}

impl RewardConfig {
    /// A coupon reward.
    pub fn coupon(spec: CouponSpec) -> Self {
        Self::Coupon(spec)
    }

    /// A loyalty-points reward.
    pub fn loyalty_points(points: i32) -> Self {
        Self::LoyaltyPoints { points }
    }

    /// Wix's `type` for this reward; `None` when it is inconsistent and sent none.
    pub fn reward_type(&self) -> Option<RewardType> {
        match self {
            Self::Coupon(_) => Some(RewardType::Coupon),
            Self::LoyaltyPoints { .. } => Some(RewardType::LoyaltyPoints),
            Self::Nothing => Some(RewardType::Nothing),
            Self::Unknown { reward_type } => Some(RewardType::Unknown(reward_type.clone())),
            Self::Inconsistent { reward_type, .. } => reward_type.clone(),
        }
    }

    fn violations(&self, prefix: &str) -> Vec<FieldViolation> {
        match self {
            Self::Coupon(spec) => spec.violations(&format!("{prefix}.couponOptions")),
            Self::Inconsistent { .. } => vec![FieldViolation::new(
                format!("{prefix}.type"),
                "a reward that breaks its one-of cannot be sent; pick a coupon, points or nothing",
            )],
            _ => Vec::new(),
        }
    }
}

impl From<api::ProgramReward> for RewardConfig {
    fn from(r: api::ProgramReward) -> Self {
        let reward_type = r.type_.map(RewardType::from);
        let coupon = r.coupon_options.map(CouponSpec::from);
        // proto3 leaves out a zero: no amount is 0 points.
        let points = r.loyalty_points_options.map(|o| o.amount.unwrap_or(0));
        match (reward_type, coupon, points) {
            (Some(RewardType::Coupon), Some(spec), None) => Self::Coupon(spec),
            (Some(RewardType::LoyaltyPoints), None, Some(points)) => Self::LoyaltyPoints { points },
            (Some(RewardType::Nothing), None, None) => Self::Nothing,
            (Some(RewardType::Unknown(t)), None, None) => Self::Unknown { reward_type: t },
            (reward_type, coupon, points) => Self::Inconsistent {
                reward_type,
                coupon,
                points,
            },
        }
    }
}

impl From<&RewardConfig> for api::ProgramReward {
    fn from(r: &RewardConfig) -> Self {
        let wire_type = r.reward_type().map(|t| api::RewardType::from(&t));
        match r {
            RewardConfig::Coupon(spec) => Self {
                type_: wire_type,
                coupon_options: Some(spec.into()),
                loyalty_points_options: None,
            },
            RewardConfig::LoyaltyPoints { points } => Self {
                type_: wire_type,
                coupon_options: None,
                loyalty_points_options: Some(api::LoyaltyPointsOptions {
                    amount: Some(*points),
                }),
            },
            RewardConfig::Nothing | RewardConfig::Unknown { .. } => Self {
                type_: wire_type,
                ..Default::default()
            },
            RewardConfig::Inconsistent { coupon, points, .. } => Self {
                type_: wire_type,
                coupon_options: coupon.as_ref().map(Into::into),
                loyalty_points_options: points
                    .map(|p| api::LoyaltyPointsOptions { amount: Some(p) }),
            },
        }
    }
}

/// Email notifications of the program.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Emails {
    /// Apps whose customers get emails inviting them to refer friends.
    pub encourage_to_refer_friends: Vec<EmailApp>,
    /// Whether referring customers get an email when they receive a reward.
    pub notify_customers_about_reward: Option<bool>,
}

impl From<api::ProgramEmails> for Emails {
    fn from(e: api::ProgramEmails) -> Self {
        Self {
            encourage_to_refer_friends: e
                .encourage_to_refer_friends
                .into_iter()
                .map(Into::into)
                .collect(),
            notify_customers_about_reward: e.notify_customers_about_reward,
        }
    }
}

impl From<&Emails> for api::ProgramEmails {
    fn from(e: &Emails) -> Self {
        Self {
            encourage_to_refer_friends: e
                .encourage_to_refer_friends
                .iter()
                .map(Into::into)
                .collect(),
            notify_customers_about_reward: e.notify_customers_about_reward,
        }
    }
}

/// What the site's premium plan includes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PremiumFeatures {
    /// Whether the site's plan includes the referral program.
    pub referral_program: Option<bool>,
}

impl From<api::PremiumFeatures> for PremiumFeatures {
    fn from(p: api::PremiumFeatures) -> Self {
        Self {
            referral_program: p.referral_program,
        }
    }
}

impl From<api::ReferralProgram> for Program {
    fn from(p: api::ReferralProgram) -> Self {
        Self {
            name: p.name,
            status: p
                .status
                .map_or(ProgramStatus::Unknown(String::new()), Into::into),
            revision: p.revision.map(Into::into),
            created_date: p.created_date,
            updated_date: p.updated_date,
            referred_friend_reward: p.referred_friend_reward.map(Into::into),
            referring_customer_reward: p.referring_customer_reward.map(Into::into),
            successful_referral_actions: p
                .successful_referral_actions
                .into_iter()
                .map(Into::into)
                .collect(),
            emails: p.emails.map(Into::into),
            premium_features: p.premium_features.map(Into::into),
        }
    }
}

/// A partial update of the program: fields left `None` keep their value. `revision` must be the
/// program's current one (409 otherwise).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgramUpdate {
    /// The program's current revision (409 otherwise).
    pub revision: Revision,
    /// 2 to 50 characters.
    pub name: Option<String>,
    /// What a referred friend receives.
    pub referred_friend_reward: Option<RewardConfig>,
    /// What the referring customer receives for a successful referral.
    pub referring_customer_reward: Option<RewardConfig>,
    /// At most 100.
    pub successful_referral_actions: Option<Vec<ReferralAction>>,
    /// The program's emails.
    pub emails: Option<Emails>,
}

impl ProgramUpdate {
    /// An update at `revision` that changes nothing yet.
    pub fn new(revision: Revision) -> Self {
        Self {
            revision,
            name: None,
            referred_friend_reward: None,
            referring_customer_reward: None,
            successful_referral_actions: None,
            emails: None,
        }
    }

    /// Sets the name (2 to 50 characters, checked before sending).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the referred friend's reward.
    pub fn referred_friend_reward(mut self, reward: RewardConfig) -> Self {
        self.referred_friend_reward = Some(reward);
        self
    }

    /// Sets the referring customer's reward.
    pub fn referring_customer_reward(mut self, reward: RewardConfig) -> Self {
        self.referring_customer_reward = Some(reward);
        self
    }

    /// Sets the successful referral actions (at most 100).
    pub fn successful_referral_actions(
        mut self,
        actions: impl IntoIterator<Item = ReferralAction>,
    ) -> Self {
        self.successful_referral_actions = Some(actions.into_iter().collect());
        self
    }

    /// Sets the emails.
    pub fn emails(mut self, emails: Emails) -> Self {
        self.emails = Some(emails);
        self
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.referred_friend_reward.is_none()
            && self.referring_customer_reward.is_none()
            && self.successful_referral_actions.is_none()
            && self.emails.is_none()
    }

    /// The documented input rules, checked before sending.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        let mut violations = Vec::new();
        if let Some(name) = &self.name {
            let len = name.chars().count();
            if !(2..=50).contains(&len) {
                violations.push(FieldViolation::new(
                    "referralProgram.name",
                    format!("must be 2 to 50 characters, got {len}"),
                ));
            }
        }
        if let Some(actions) = &self.successful_referral_actions
            && actions.len() > 100
        {
            violations.push(FieldViolation::new(
                "referralProgram.successfulReferralActions",
                format!("at most 100 actions, got {}", actions.len()),
            ));
        }
        for (field, reward) in [
            (
                "referralProgram.referredFriendReward",
                &self.referred_friend_reward,
            ),
            (
                "referralProgram.referringCustomerReward",
                &self.referring_customer_reward,
            ),
        ] {
            if let Some(reward) = reward {
                violations.extend(reward.violations(field));
            }
        }
        InvalidInput::from_violations(violations).map_or(Ok(()), Err)
    }

    fn to_wire(&self) -> Result<api::UpdateReferralProgramRequest, InvalidInput> {
        self.validate()?;
        let name = match &self.name {
            Some(name) => Some(
                api::ReferralProgramUpdateName::try_from(name.clone())
                    .map_err(|e| InvalidInput::new("referralProgram.name", e.to_string()))?,
            ),
            None => None,
        };
        Ok(api::UpdateReferralProgramRequest {
            referral_program: api::ReferralProgramUpdate {
                revision: self.revision.into(),
                name,
                status: None,
                referred_friend_reward: self.referred_friend_reward.as_ref().map(Into::into),
                referring_customer_reward: self.referring_customer_reward.as_ref().map(Into::into),
                successful_referral_actions: self
                    .successful_referral_actions
                    .iter()
                    .flatten()
                    .map(Into::into)
                    .collect(),
                emails: self.emails.as_ref().map(Into::into),
            },
        })
    }
}

/// Social media posts that promote the program.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialMediaPosts {
    /// The suggested posts.
    pub suggestions: Vec<PostSuggestion>,
    /// The site's refer-friends page, for the posts to link to.
    pub refer_friends_page_url: Option<String>,
}

/// One suggested social media post.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostSuggestion {
    /// The post's text.
    pub content: Option<String>,
    /// Hashtags to add to it.
    pub hashtags: Vec<String>,
}

impl From<api::AiSocialMediaPostsSuggestionsResponse> for SocialMediaPosts {
    fn from(r: api::AiSocialMediaPostsSuggestionsResponse) -> Self {
        Self {
            suggestions: r
                .suggestions
                .into_iter()
                .map(|s| PostSuggestion {
                    content: s.post_content,
                    hashtags: s.hashtags,
                })
                .collect(),
            refer_friends_page_url: r.refer_friends_page_url,
        }
    }
}

/// The Referral Programs service: one method per Wix method.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ReferralPrograms: Send + Sync {
    /// Get Referral Program (`GET /_api/referral-programs/v1/program`). Not documented by Wix:
    /// that path, which no Wix page shows; it comes from a third-party inventory of the API.
    async fn get_program(&self) -> Result<Program, Error>;
    /// Update Referral Program: the fields `update` sets, at its revision. A replay whose first
    /// attempt was applied unseen is settled by reading the program again.
    async fn update_program(&self, update: &ProgramUpdate) -> Result<Program, Error>;
    /// Activate Referral Program (`ACTIVE`).
    async fn activate_program(&self) -> Result<Program, Error>;
    /// Pause Referral Program (`PAUSED`).
    async fn pause_program(&self) -> Result<Program, Error>;
    /// Get AI Social Media Posts Suggestions: those already generated.
    async fn get_ai_social_media_posts(
        &self,
        topic: Option<String>,
    ) -> Result<SocialMediaPosts, Error>;
    /// Generate AI Social Media Posts Suggestions: new ones on every call (never replayed
    /// after an attempt that may have reached the server).
    async fn generate_ai_social_media_posts(
        &self,
        topic: Option<String>,
    ) -> Result<SocialMediaPosts, Error>;
    /// Get Referral Program Premium Features.
    async fn get_premium_features(&self) -> Result<PremiumFeatures, Error>;
}

/// Read-modify-write helpers over any [`ReferralPrograms`] (the client, a mock, a test double).
#[async_trait]
pub trait ReferralProgramsExt: ReferralPrograms {
    /// Reads the program, applies `edit`, and writes what changed with the revision it read.
    /// On a revision conflict (someone else wrote in between) it reads again and re-applies
    /// `edit`, up to [`EDIT_ATTEMPTS`] times. Writes nothing when `edit` changes nothing.
    async fn update_program_with<F>(&self, edit: F) -> Result<Program, Error>
    where
        F: FnMut(&mut Program) + Send,
    {
        self.update_program_with_attempts(EDIT_ATTEMPTS, edit).await
    }

    /// [`Self::update_program_with`] with its own bound on read-apply-write rounds, for many
    /// writers contending for the one program.
    async fn update_program_with_attempts<F>(
        &self,
        attempts: u32,
        mut edit: F,
    ) -> Result<Program, Error>
    where
        F: FnMut(&mut Program) + Send,
    {
        crate::edit::read_modify_write(
            "referral program",
            attempts,
            || self.get_program(),
            |current| {
                let mut edited = current.clone();
                edit(&mut edited);
                current.changes_to(&edited)
            },
            move |update| async move { self.update_program(&update).await },
        )
        .await
    }
}

impl<T: ReferralPrograms + ?Sized> ReferralProgramsExt for T {}

/// How often the `*_with` helpers read, apply and write before giving up on a busy entity.
pub const EDIT_ATTEMPTS: u32 = 5;

fn program_of(
    operation: &'static str,
    program: Option<api::ReferralProgram>,
) -> Result<Program, Error> {
    program
        .map(Program::from)
        .ok_or_else(|| crate::error::missing(operation, "referralProgram"))
}

#[async_trait]
impl ReferralPrograms for WixReferralClient {
    async fn get_program(&self) -> Result<Program, Error> {
        const OP: &Operation = &operations::GET_REFERRAL_PROGRAM;
        let response = self
            .call(
                OP,
                |api| async move { api.get_referral_program().send().await },
            )
            .await
            .result?;
        program_of(OP.id, response.referral_program)
    }

    async fn update_program(&self, update: &ProgramUpdate) -> Result<Program, Error> {
        const OP: &Operation = &operations::UPDATE_REFERRAL_PROGRAM;
        let body = update.to_wire()?;
        self.call(OP, |api| async move {
            api.update_referral_program().body(body).send().await
        })
        .await
        .and_then(|response| program_of(OP.id, response.referral_program))
        // A 409 on a replay after a lost answer can be our own first attempt.
        .settle(self, OP, Error::is_revision_conflict, || async move {
            let program = self.get_program().await.ok()?;
            (program.revision == Some(update.revision.next()) && program.reflects(update))
                .then_some(program)
        })
        .await
    }

    async fn activate_program(&self) -> Result<Program, Error> {
        self.transition(ProgramStatus::Active).await
    }

    async fn pause_program(&self) -> Result<Program, Error> {
        self.transition(ProgramStatus::Paused).await
    }

    async fn get_ai_social_media_posts(
        &self,
        topic: Option<String>,
    ) -> Result<SocialMediaPosts, Error> {
        let response = self
            .call(
                &operations::GET_AI_SOCIAL_MEDIA_POSTS_SUGGESTIONS,
                |api| async move {
                    let mut request = api.get_ai_social_media_posts_suggestions();
                    if let Some(topic) = topic {
                        request = request.topic(topic);
                    }
                    request.send().await
                },
            )
            .await
            .result?;
        Ok(response.into())
    }

    async fn generate_ai_social_media_posts(
        &self,
        topic: Option<String>,
    ) -> Result<SocialMediaPosts, Error> {
        let body = api::GenerateAiSocialMediaPostsSuggestionsRequest { topic };
        let response = self
            .call(
                &operations::GENERATE_AI_SOCIAL_MEDIA_POSTS_SUGGESTIONS,
                |api| async move {
                    api.generate_ai_social_media_posts_suggestions()
                        .body(body)
                        .send()
                        .await
                },
            )
            .await
            .result?;
        Ok(response.into())
    }

    async fn get_premium_features(&self) -> Result<PremiumFeatures, Error> {
        let response = self
            .call(
                &operations::GET_REFERRAL_PROGRAM_PREMIUM_FEATURES,
                |api| async move { api.get_referral_program_premium_features().send().await },
            )
            .await
            .result?;
        Ok(response.into())
    }
}

impl WixReferralClient {
    /// Activate or Pause. A replay after a lost answer can find the transition already made
    /// (the server refuses ACTIVE→ACTIVE): settled by reading the program.
    async fn transition(&self, target: ProgramStatus) -> Result<Program, Error> {
        let operation: &'static Operation = match target {
            ProgramStatus::Active => &operations::ACTIVATE_REFERRAL_PROGRAM,
            _ => &operations::PAUSE_REFERRAL_PROGRAM,
        };
        let called = match target {
            ProgramStatus::Active => self
                .call(operation, |api| async move {
                    api.activate_referral_program().send().await
                })
                .await
                .and_then(|r| program_of(operation.id, r.referral_program)),
            _ => self
                .call(operation, |api| async move {
                    api.pause_referral_program().send().await
                })
                .await
                .and_then(|r| program_of(operation.id, r.referral_program)),
        };
        called
            // The server refuses ACTIVE→ACTIVE: a 4xx on a replay can be our own transition.
            .settle(
                self,
                operation,
                |e| e.status().is_some_and(|s| (400..500).contains(&s)),
                || async move {
                    let program = self.get_program().await.ok()?;
                    (program.status == target).then_some(program)
                },
            )
            .await
    }
}
