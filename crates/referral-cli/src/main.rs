//! `wix-referral`: the command line of the wix-referral SDK.

// The argument docs are clap's --help text, where a URL reads best bare.
#![allow(rustdoc::bare_urls)]
// Shipped code returns errors instead of panicking (its own unit tests may unwrap).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
// Everything goes out through `output`, which handles closed pipes and escapes what it shows.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod connect;
mod error;
mod input;
mod local;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with exit 0; usage errors to stderr with exit 2.
            // (clap writes them itself and ignores a closed pipe.)
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            output::note(format!("error: no async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_closed_pipe() {
                output::note(format!("error: {e}"));
            }
            ExitCode::from(e.exit_code())
        }
    }
}
