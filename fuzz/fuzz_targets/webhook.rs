//! Any bytes as a webhook body: refused (no key signs them), never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use referral_domain::WebhookVerifier;

fn verifier() -> &'static WebhookVerifier {
    static VERIFIER: OnceLock<WebhookVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("a key");
        let pem = key.to_public_key().to_public_key_pem(LineEnding::LF).expect("PEM");
        WebhookVerifier::from_public_key_pem(&pem).expect("a verifier")
    })
}

fuzz_target!(|data: &[u8]| {
    assert!(verifier().verify(data).is_err());
});
