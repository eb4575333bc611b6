//! Maintainer tasks for the wix-referral workspace.
//!
//! `cargo xtask codegen` regenerates the low-level client (`crates/referral-api`) and its typed
//! httpmock mocks (`crates/referral-testkit`) from the specs in `openapi/`.
//! `cargo xtask codegen --check` regenerates in memory and fails when a checked-in file differs.
//! `cargo xtask public-api [--check]` lists the public API of the crates users build on in `api/`.

mod bundle;
mod codegen;
mod doc_lines;
mod open_enums;
mod operations;
mod public_api;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "Maintainer tasks for wix-referral")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate referral-api and the httpmock mocks from openapi/.
    Codegen {
        /// Fail (naming each stale file) instead of writing when generated files are out of date.
        #[arg(long)]
        check: bool,
    },
    /// Write the public API of referral-domain and referral-testkit to api/ (from rustdoc JSON).
    PublicApi {
        /// Fail, showing the changes, when the API differs from api/.
        #[arg(long)]
        check: bool,
    },
}

fn workspace_root() -> PathBuf {
    // xtask/ sits directly under the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check } => codegen::run(&workspace_root(), check),
        Command::PublicApi { check } => public_api::run(&workspace_root(), check),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
