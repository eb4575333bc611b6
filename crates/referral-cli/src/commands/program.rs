use std::path::Path;

use referral_domain::flows::ProgramConfig;
use referral_domain::{
    Program, ReferralPrograms, ReferralProgramsExt, RewardConfig, WixReferralClient,
};

use crate::cli::{Format, ProgramCommand};
use crate::error::CliError;
use crate::output::{self, Column, date, or_dash};

fn reward(reward: &Option<RewardConfig>) -> String {
    match reward {
        None => "-".into(),
        Some(RewardConfig::Coupon(spec)) => {
            format!("coupon {:?}", spec.name.as_deref().unwrap_or(""))
        }
        Some(RewardConfig::LoyaltyPoints { points }) => format!("{points} loyalty points"),
        Some(RewardConfig::Nothing) => "nothing".into(),
        Some(other) => format!("{other:?}"),
    }
}

const FIELDS: &[Column<Program>] = &[
    ("name", |p| or_dash(p.name.clone())),
    ("status", |p| p.status.to_string()),
    ("revision", |p| or_dash(p.revision)),
    ("referred friend reward", |p| {
        reward(&p.referred_friend_reward)
    }),
    ("referring customer reward", |p| {
        reward(&p.referring_customer_reward)
    }),
    ("successful actions", |p| {
        p.successful_referral_actions
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }),
    ("created", |p| date(p.created_date)),
    ("updated", |p| date(p.updated_date)),
];

/// A configuration file: JSON by its extension or its first character, TOML otherwise.
pub fn read_config(path: &Path) -> Result<ProgramConfig, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    if is_json {
        serde_json::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
    } else {
        toml::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
    }
}

pub async fn run(
    client: &WixReferralClient,
    command: ProgramCommand,
    format: Format,
) -> Result<(), CliError> {
    let program = match command {
        ProgramCommand::Show => client.get_program().await?,
        ProgramCommand::Configure { file } => {
            let config = read_config(&file)?;
            client.update_program_with(|p| config.apply_to(p)).await?
        }
        ProgramCommand::Activate => client.activate_program().await?,
        ProgramCommand::Pause => client.pause_program().await?,
    };
    output::item(format, &program, FIELDS)
}
