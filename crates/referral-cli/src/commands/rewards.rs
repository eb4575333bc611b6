use futures::TryStreamExt;
use referral_domain::query::rewards;
use referral_domain::{
    IssuedReward, ReferralReward, ReferralRewardId, ReferralRewards, ReferralRewardsExt,
    RewardReceiver, RewardType, WixReferralClient,
};

use super::arg;
use crate::cli::RewardsCommand;
use crate::error::CliError;
use crate::output::{Column, Output, date, or_dash};

fn receiver(r: &ReferralReward) -> String {
    match &r.receiver {
        RewardReceiver::ReferringCustomer(id) => format!("customer {id}"),
        RewardReceiver::ReferredFriend(id) => format!("friend {id}"),
        other => format!("{other:?}"),
    }
}

fn detail(r: &ReferralReward) -> String {
    match &r.kind {
        IssuedReward::Coupon(c) => format!(
            "coupon {} ({})",
            or_dash(c.code.clone()),
            or_dash(c.status.clone())
        ),
        IssuedReward::LoyaltyPoints(p) => format!("{} points", p.points),
        IssuedReward::Nothing => "nothing".into(),
        other => format!("{other:?}"),
    }
}

pub const COLUMNS: &[Column<ReferralReward>] = &[
    ("id", |r| r.id.to_string()),
    ("type", |r| or_dash(r.kind.reward_type())),
    ("receiver", receiver),
    ("reward", detail),
    ("created", |r| date(r.created_date)),
];

pub async fn run(
    client: &WixReferralClient,
    command: RewardsCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    match command {
        RewardsCommand::Get { id } => {
            let reward = client
                .get_referral_reward(&arg::<ReferralRewardId>("id", &id)?)
                .await?;
            Ok(out.item(&reward, COLUMNS)?)
        }
        RewardsCommand::List { since, reward_type } => {
            let mut query = rewards::query()
                .sort(rewards::created_date().asc())
                .page_size(100);
            if let Some(since) = since {
                query = query.filter(rewards::created_date().gte(since));
            }
            if let Some(kind) = reward_type {
                let kind = RewardType::from(kind.as_str());
                if matches!(kind, RewardType::Unknown(_)) {
                    return Err(CliError::usage(format!(
                        "invalid --type {:?}: COUPON, LOYALTY_POINTS or NOTHING",
                        kind.as_str()
                    )));
                }
                query = query.filter(rewards::reward_type().eq(kind));
            }
            let progress = crate::progress::Progress::counting("rewards");
            let stream = client
                .referral_rewards_stream(query)
                .inspect_ok(|_| progress.inc());
            out.list(stream, COLUMNS).await.map(drop)
        }
    }
}
