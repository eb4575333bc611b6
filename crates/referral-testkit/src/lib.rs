#![doc = include_str!("../README.md")]
// Shipped code returns errors instead of panicking (its own unit tests may unwrap).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
#![deny(missing_docs)]

pub mod dataset;
pub mod fixtures;
mod site;
pub mod snapshot;
pub mod webhooks;

pub use dataset::{Dataset, Generated};
pub use referral_emulator::FaultRule;
pub use site::{TestSite, TestkitError, fast_retries};

/// mockall mocks of the five service traits, and `MockServices` that bundles them.
pub use referral_domain::mock::{
    MockReferralPrograms, MockReferralRewards, MockReferralTracker, MockReferredFriends,
    MockReferringCustomers, MockServices,
};

/// Typed [`httpmock`] mocks of every operation, generated from the specs by
/// `cargo xtask codegen`: `server.get_referral_program(|when, then| { then.ok(&body); })`.
// Generated code documents what the spec documents; the rest is progenitor's plumbing.
#[allow(
    clippy::all,
    clippy::pedantic,
    rustdoc::broken_intra_doc_links,
    missing_docs,
    // Generated code is held to its generator, not to the hand-written crates' lints.
    clippy::unwrap_used
)]
#[path = "generated_httpmock.rs"]
pub mod httpmock_ext;

pub use httpmock_ext::MockServerExt;

/// The stateful local emulator of the Wix Referral API: `emulator::Emulator::start().await`.
pub use referral_emulator as emulator;
