//! TLS backend selection.
//!
//! The default feature `rustls-aws-lc` is reqwest's own rustls set-up and needs nothing at run
//! time. `native-tls` uses the platform's TLS library. `rustls-ring` avoids aws-lc-sys's C build
//! (about 40 s of a cold build on 2 cores) but reqwest then needs a process-wide rustls crypto
//! provider: call `install_ring_provider` (or build the `reqwest::Client` with `http_client`),
//! both of that feature, before `Client::new`, which otherwise panics inside reqwest.

/// Installs ring as rustls's process-wide crypto provider. Idempotent; keeps a provider that
/// another crate installed first.
#[cfg(feature = "rustls-ring")]
pub fn install_ring_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

/// A `reqwest::Client` with the timeouts of the generated `Client::new`, built with whichever
/// TLS backend is enabled, for [`crate::Client::new_with_client`].
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    #[cfg(feature = "rustls-ring")]
    install_ring_provider();
    let timeout = std::time::Duration::from_secs(15);
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
}
