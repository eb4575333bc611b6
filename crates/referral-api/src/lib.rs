#![doc = include_str!("../README.md")]
// Shipped code returns errors instead of panicking (its own unit tests may unwrap).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
// The hand-written part is documented; the generated client documents what the spec does.
#![deny(missing_docs)]

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
    rustdoc::invalid_html_tags,
    missing_docs,
    // Generated code is held to its generator, not to the hand-written crates' lints.
    clippy::unwrap_used
)]
mod generated_client;
mod hooks;
pub mod operations;
pub mod tls;
pub mod transport;
pub mod webhooks;
pub mod wire;

pub use generated_client::*;

/// The production base URL of every Wix REST API.
pub const WIX_BASE_URL: &str = "https://www.wixapis.com";

/// The bundled OpenAPI document the client was generated from (all five services).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

#[cfg(test)]
mod tests {
    /// The table (from the spec's `x-wix-replay`) and the generated client name the same
    /// operations: a method the table missed would have no replay class.
    #[test]
    fn the_operation_table_names_every_generated_operation() {
        let source = include_str!("generated_client.rs");
        let marker = "operation_id: \"";
        let mut generated: Vec<&str> = source
            .match_indices(marker)
            .filter_map(|(at, _)| {
                let rest = &source[at + marker.len()..];
                rest.find('"').map(|end| &rest[..end])
            })
            .collect();
        generated.sort_unstable();
        generated.dedup();
        let table: Vec<&str> = crate::operations::ALL.iter().map(|op| op.id).collect();
        assert_eq!(generated, table);
        assert_eq!(table.len(), 25);
        for op in crate::operations::ALL {
            assert_eq!(crate::operations::by_id(op.id), Some(&op));
        }
        assert_eq!(crate::operations::by_id("no_such_operation"), None);
    }
}
