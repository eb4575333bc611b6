use crate::cli::{Global, ProfileCommand};
use crate::connect::{Profile, read_config, write_config};
use crate::error::CliError;
use crate::output::{self, Output};

const NOTHING_TO_SAVE: &str = "no credentials to save: set WIX_API_KEY and WIX_SITE_ID (or \
    WIX_ACCOUNT_ID), or WIX_APP_ID, WIX_APP_SECRET and WIX_INSTANCE_ID, or WIX_ACCESS_TOKEN; or \
    pass --local for a profile of the local store";

pub(super) fn run(
    command: ProfileCommand,
    global: &Global,
    out: &mut Output,
) -> Result<(), CliError> {
    match command {
        ProfileCommand::Save { name } => {
            let mut profile = if global.local {
                Profile {
                    local: true,
                    ..Profile::default()
                }
            } else {
                Profile::from_env()?.ok_or_else(|| CliError::usage(NOTHING_TO_SAVE))?
            };
            if let Some(url) = &global.base_url {
                profile.base_url = Some(url.clone());
            }
            let described = profile.describe();
            let mut config = read_config()?;
            config.profiles.insert(name.clone(), profile);
            let path = write_config(&config)?;
            output::note(format!(
                "saved profile {name:?} ({described}) in {} (owner-only)",
                path.display()
            ));
            Ok(())
        }
        ProfileCommand::List => {
            for (name, profile) in read_config()?.profiles {
                out.text(&format!("{name}\t{}", profile.describe()))?;
            }
            Ok(())
        }
    }
}
