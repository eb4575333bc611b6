use std::path::Path;

use referral_domain::flows::ProgramConfig;
use referral_domain::{
    Program, ReferralPrograms, ReferralProgramsExt, RewardConfig, WixReferralClient,
};

use crate::cli::ProgramCommand;
use crate::error::CliError;
use crate::output::{Column, Output, date, or_dash};

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

/// The JSON Schema of a configuration file, derived from the type that reads it.
pub(super) fn config_schema() -> schemars::schema::RootSchema {
    schemars::schema_for!(ProgramConfig)
}

/// A configuration file: JSON by its extension or its first character, TOML otherwise.
pub(super) fn read_config(path: &Path) -> Result<ProgramConfig, CliError> {
    let text = crate::input::read_text(path, crate::input::CONFIG_BYTES, "the configuration file")?;
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    parse_config(&text, is_json).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

/// The configuration in `text`, or what is wrong with it (the field, the line).
pub(super) fn parse_config(text: &str, is_json: bool) -> Result<ProgramConfig, String> {
    if is_json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

pub(super) async fn run(
    client: &WixReferralClient,
    command: ProgramCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    let program = match command {
        ProgramCommand::Schema => return Ok(out.json(&config_schema())?),
        ProgramCommand::Show => client.get_program().await?,
        ProgramCommand::Configure { file } => {
            let config = read_config(&file)?;
            client.update_program_with(|p| config.apply_to(p)).await?
        }
        ProgramCommand::Activate => client.activate_program().await?,
        ProgramCommand::Pause => client.pause_program().await?,
    };
    Ok(out.item(&program, FIELDS)?)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::parse_config;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// Any text, and any text with the right keys, parses or fails with a message.
        #[test]
        fn any_configuration_text_parses_or_says_why(
            text in ".{0,200}",
            key in prop::sample::select(vec!["name", "successfulReferralActions", "referringCustomerReward", "kind", "points", "emails"]),
            value in ".{0,20}",
        ) {
            for is_json in [false, true] {
                if let Err(message) = parse_config(&text, is_json) {
                    prop_assert!(!message.is_empty());
                }
            }
            let toml = format!("{key} = {value}\n");
            let _ = parse_config(&toml, false);
            let json = format!("{{\"{key}\": {value}}}");
            let _ = parse_config(&json, true);
        }
    }

    #[test]
    fn the_schema_describes_what_the_reader_accepts() {
        let schema = serde_json::to_value(super::config_schema()).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "emails",
                "name",
                "referredFriendReward",
                "referringCustomerReward",
                "successfulReferralActions"
            ]
        );
        assert_eq!(
            schema["additionalProperties"], false,
            "unknown keys are refused"
        );
        let text = schema.to_string();
        for known in [
            "STORE_ORDER_PLACED",
            "loyaltyPoints",
            "coupon",
            "PRICING_PLANS",
        ] {
            assert!(text.contains(known), "{known} in {text}");
        }
        assert!(
            !text.contains("inconsistent"),
            "only what a file should hold"
        );
    }

    #[test]
    fn a_documented_configuration_parses() {
        let toml = "name = \"Holiday\"\nsuccessfulReferralActions = [\"STORE_ORDER_PLACED\"]\n\n[referringCustomerReward]\nkind = \"loyaltyPoints\"\npoints = 100\n";
        let config = parse_config(toml, false).unwrap();
        assert_eq!(config.name.as_deref(), Some("Holiday"));
        let err = parse_config("name = \"x\"\nbogus = 1\n", false).unwrap_err();
        assert!(err.contains("bogus"), "{err}");
    }
}
