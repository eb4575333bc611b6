#![doc = include_str!("../README.md")]

// The generated code names shared hand-written types as `::referral_api::...` so that the same
// paths also resolve in the generated httpmock mocks of referral-testkit.
extern crate self as referral_api;

// `unreachable_patterns`: progenitor sorts the `4XX` range before an explicit code (Create
// Referred Friend's documented 428), so that arm is shadowed; both decode the same envelope.
#[allow(
    unreachable_patterns,
    clippy::all,
    clippy::pedantic,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]
mod generated_client;
mod hooks;
pub mod tls;
pub mod transport;
pub mod wire;

pub use generated_client::*;

/// The production base URL of every Wix REST API.
pub const WIX_BASE_URL: &str = "https://www.wixapis.com";

/// The bundled OpenAPI document the client was generated from (all five services).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");
