use futures::{StreamExt, TryStreamExt};
use referral_domain::query::rewards;
use referral_domain::{
    IssuedReward, ReferralReward, ReferralRewards, ReferralRewardsExt, RewardReceiver,
};

use crate::cli::RewardsCommand;
use crate::connect::Connection;
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

pub(super) const COLUMNS: &[Column<ReferralReward>] = &[
    ("id", |r| r.id.to_string()),
    ("type", |r| or_dash(r.kind.reward_type())),
    ("receiver", receiver),
    ("reward", detail),
    ("created", |r| date(r.created_date)),
];

pub(super) async fn run(
    connection: &Connection,
    command: RewardsCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    let client = &connection.client;
    match command {
        RewardsCommand::Redeem { id } => {
            let control = connection.control("using a coupon")?;
            let reward = uuid::Uuid::parse_str(id.as_str())
                .map_err(|_| CliError::usage("a reward id is a GUID"))?;
            control
                .client
                .redeem_coupon(control.site, reward)
                .await
                .map_err(|e| CliError::runtime(e.to_string()))?;
            let reward = client.get_referral_reward(&id).await?;
            Ok(out.item(&reward, COLUMNS)?)
        }
        RewardsCommand::Get { id } => {
            let reward = client.get_referral_reward(&id).await?;
            Ok(out.item(&reward, COLUMNS)?)
        }
        RewardsCommand::List {
            since,
            reward_type,
            limit,
        } => {
            let mut query = rewards::query()
                .sort(rewards::created_date().asc())
                .page_size(limit.page_size());
            if let Some(since) = since {
                query = query.filter(rewards::created_date().gte(since));
            }
            if let Some(kind) = reward_type {
                query = query.filter(rewards::reward_type().eq(kind));
            }
            let progress = crate::progress::Progress::counting("rewards");
            let stream = client
                .referral_rewards_stream(query)
                .take(limit.items())
                .inspect_ok(|_| progress.inc());
            out.list(stream, COLUMNS).await.map(drop)
        }
    }
}
