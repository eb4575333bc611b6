//! Flow 1: set up a referral program.

use serde::{Deserialize, Serialize};

use crate::{
    CouponAppliesTo, CouponScope, CouponSpec, Decimal, Discount, EmailApp, Emails, Error, Program,
    ProgramStatus, ReferralAction, ReferralPrograms, ReferralProgramsExt, RewardConfig,
};

/// A program configuration, as [`set_up_program`] applies it and a `program.toml` holds it:
/// the fields left out keep the program's value.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProgramConfig {
    /// The program's name (2 to 50 characters).
    pub name: Option<String>,
    /// What a referred friend receives.
    pub referred_friend_reward: Option<RewardConfig>,
    /// What the referring customer receives for a successful referral.
    pub referring_customer_reward: Option<RewardConfig>,
    /// The actions that make a referral successful.
    pub successful_referral_actions: Option<Vec<ReferralAction>>,
    /// The program's emails.
    pub emails: Option<Emails>,
}

impl ProgramConfig {
    /// The configuration of the Wix sample flows' set-up step: "Holiday Referral Program", a
    /// 10 % store coupon for referred friends, 100 loyalty points for referring customers, store
    /// orders as the successful action, invitation emails for Stores and reward notifications.
    pub fn sample_flows() -> Self {
        Self {
            name: Some("Holiday Referral Program".into()),
            referred_friend_reward: Some(RewardConfig::Coupon(
                CouponSpec::new("Welcome gift", Discount::Percentage(Decimal::new(10, 0)))
                    .applies_to(CouponAppliesTo::Scope(CouponScope::namespace("stores"))),
            )),
            referring_customer_reward: Some(RewardConfig::loyalty_points(100)),
            successful_referral_actions: Some(vec![ReferralAction::StoreOrderPlaced]),
            emails: Some(Emails {
                encourage_to_refer_friends: vec![EmailApp::Stores],
                notify_customers_about_reward: Some(true),
            }),
        }
    }

    /// Sets on `program` every field this configuration has.
    pub fn apply_to(&self, program: &mut Program) {
        if let Some(name) = &self.name {
            program.name = Some(name.clone());
        }
        if let Some(reward) = &self.referred_friend_reward {
            program.referred_friend_reward = Some(reward.clone());
        }
        if let Some(reward) = &self.referring_customer_reward {
            program.referring_customer_reward = Some(reward.clone());
        }
        if let Some(actions) = &self.successful_referral_actions {
            program.successful_referral_actions = actions.clone();
        }
        if let Some(emails) = &self.emails {
            program.emails = Some(emails.clone());
        }
    }
}

/// Reads the program, writes what `config` changes with the current revision, and activates it.
///
/// Converges: run twice, it makes no second write and no new revision. A concurrent edit between
/// the read and the write (409) is handled by reading again and re-applying `config`, never by
/// overwriting the other edit's fields that `config` does not set.
///
/// ```no_run
/// # async fn demo(client: referral_domain::WixReferralClient) -> Result<(), referral_domain::Error> {
/// use referral_domain::flows::{self, ProgramConfig};
/// use referral_domain::{ReferralAction, RewardConfig};
/// let config = ProgramConfig {
///     name: Some("Holiday Referral Program".into()),
///     referring_customer_reward: Some(RewardConfig::loyalty_points(100)),
///     successful_referral_actions: Some(vec![ReferralAction::StoreOrderPlaced]),
///     ..ProgramConfig::default()
/// };
/// let program = flows::set_up_program(&client, &config).await?;
/// assert_eq!(program.status, referral_domain::ProgramStatus::Active);
/// # Ok(()) }
/// ```
pub async fn set_up_program<S>(programs: &S, config: &ProgramConfig) -> Result<Program, Error>
where
    S: ReferralPrograms + ?Sized,
{
    let configured = programs
        .update_program_with(|program| config.apply_to(program))
        .await?;
    if configured.status == ProgramStatus::Active {
        return Ok(configured);
    }
    match programs.activate_program().await {
        Ok(active) => Ok(active),
        // Someone activated it in between: the server refuses ACTIVE→ACTIVE.
        Err(e) if e.status() == Some(400) => {
            let program = programs.get_program().await?;
            if program.status == ProgramStatus::Active {
                Ok(program)
            } else {
                Err(e)
            }
        }
        Err(e) => Err(e),
    }
}
