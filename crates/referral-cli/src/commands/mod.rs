//! One module per group of commands.

mod customers;
mod demo;
mod emulator;
mod events;
mod friends;
mod local;
mod profile;
mod program;
pub(crate) mod report;
mod rewards;
mod webhooks;

use crate::cli::{Cli, Command};
use crate::connect::connect;
use crate::error::CliError;
use crate::output::Output;

/// Runs `command` with a connection (credentials, or the local server), closing it after.
macro_rules! connected {
    ($global:expr, |$client:ident| $body:expr) => {{
        let connection = connect($global).await?;
        let $client = &connection.client;
        let result = $body.await;
        connection.close().await;
        result
    }};
}

pub(crate) async fn run(cli: Cli) -> Result<(), CliError> {
    let global = &cli.global;
    if global.format == crate::cli::Format::Html && !matches!(cli.command, Command::Report(_)) {
        return Err(CliError::usage(
            "--format html is for `wix-referral report` only",
        ));
    }
    let mut out = Output::stdout(global.format);
    let out = &mut out;
    // Every command is named here: one that needs a connection says so with `connected!`.
    match cli.command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "wix-referral", &mut script);
            out.raw(&script)?;
        }
        Command::Emulator(args) => emulator::run(args, out).await?,
        Command::Demo(args) => demo::run(args, out).await?,
        Command::Webhooks(command) => webhooks::run(command, out)?,
        Command::Profile(command) => profile::run(command, global, out)?,
        Command::Local(command) => local::run(command, out).await?,
        // The schema is the CLI's own: no connection.
        Command::Program(crate::cli::ProgramCommand::Schema) => {
            out.json(&program::config_schema())?;
        }
        Command::Program(c) => connected!(global, |client| program::run(client, c, out))?,
        Command::Customers(c) => connected!(global, |client| customers::run(client, c, out))?,
        Command::Friends(c) => {
            let connection = connect(global).await?;
            let result = friends::run(&connection, c, out).await;
            connection.close().await;
            result?;
        }
        Command::Rewards(c) => {
            let connection = connect(global).await?;
            let result = rewards::run(&connection, c, out).await;
            connection.close().await;
            result?;
        }
        Command::Events(c) => connected!(global, |client| events::run(client, c, out))?,
        Command::Report(args) => connected!(global, |client| report::run(client, args, out))?,
    }
    out.flush()?;
    Ok(())
}
