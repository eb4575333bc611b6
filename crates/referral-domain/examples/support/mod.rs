//! Where the examples run: against the API named by the `WIX_*` variables when they are set
//! (see `WixReferralClient::from_env`), else against an embedded emulator seeded with demo data.

use referral_domain::{Auth, WixReferralClient};

pub(crate) struct Target {
    pub client: WixReferralClient,
    /// Keeps the embedded emulator running.
    _emulator: Option<referral_emulator::EmulatorHandle>,
}

pub(crate) async fn target() -> Result<Target, Box<dyn std::error::Error>> {
    if std::env::var_os("WIX_API_KEY").is_some() || std::env::var_os("WIX_APP_ID").is_some() {
        return Ok(Target {
            client: WixReferralClient::from_env()?,
            _emulator: None,
        });
    }
    let emulator = referral_emulator::Emulator::start_with(referral_emulator::EmulatorConfig {
        seed: Some(referral_emulator::SeedRequest {
            customers: 25,
            friends_per_customer: 3,
            action_rate: 0.4,
            seed: 42,
        }),
        ..Default::default()
    })
    .await?;
    eprintln!(
        "(no WIX_* credentials: using an embedded emulator at {})",
        emulator.base_url()
    );
    let client = WixReferralClient::builder()
        .base_url(emulator.base_url())
        .auth(Auth::api_key(
            emulator.api_key(),
            emulator.site_id().to_string(),
        ))
        .build()?;
    Ok(Target {
        client,
        _emulator: Some(emulator),
    })
}
