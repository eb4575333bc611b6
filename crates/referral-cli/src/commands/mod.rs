//! One module per group of commands.

mod customers;
mod demo;
mod emulator;
mod events;
mod friends;
mod local;
mod profile;
mod program;
mod report;
mod rewards;
mod webhooks;

use std::str::FromStr;

use crate::cli::{Cli, Command};
use crate::connect::connect;
use crate::error::CliError;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let format = cli.global.format;
    match cli.command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "wix-referral", &mut std::io::stdout());
            Ok(())
        }
        Command::Emulator(args) => emulator::run(args).await,
        Command::Demo(args) => demo::run(args, format).await,
        Command::Webhooks(command) => webhooks::run(command, format),
        Command::Profile(command) => profile::run(command, &cli.global),
        Command::Local(command) => local::run(command, format).await,
        command => {
            let connection = connect(&cli.global).await?;
            let client = &connection.client;
            let result = match command {
                Command::Program(c) => program::run(client, c, format).await,
                Command::Customers(c) => customers::run(client, c, format).await,
                Command::Friends(c) => friends::run(client, c, format).await,
                Command::Rewards(c) => rewards::run(client, c, format).await,
                Command::Events(c) => events::run(client, c, format).await,
                Command::Report(args) => report::run(client, args, format).await,
                _ => Ok(()),
            };
            connection.close().await;
            result
        }
    }
}

/// Parses a command-line value, naming the argument when it is wrong.
pub fn arg<T>(name: &str, value: &str) -> Result<T, CliError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| CliError::usage(format!("invalid {name} {value:?}: {e}")))
}
