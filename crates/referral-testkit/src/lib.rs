#![doc = include_str!("../README.md")]

/// Typed [`httpmock`] mocks of every operation, generated from the specs by
/// `cargo xtask codegen`: `server.get_referral_program(|when, then| { then.ok(&body); })`.
#[allow(clippy::all, clippy::pedantic, rustdoc::broken_intra_doc_links)]
#[path = "generated_httpmock.rs"]
pub mod httpmock_ext;

pub use httpmock_ext::MockServerExt;

/// The stateful local emulator of the Wix Referral API: `emulator::Emulator::start().await`.
pub use referral_emulator as emulator;
