//! The emulator's command-line options, defined once and flattened into both binaries
//! (`wix-referral-emulator` and `wix-referral emulator`).

use std::net::SocketAddr;
use std::path::PathBuf;

use uuid::Uuid;

use crate::{
    DEFAULT_ADDR, DEFAULT_API_KEY, DEFAULT_SITE_ID, EmulatorConfig, SeedRequest, Settings,
};

/// How to run the emulator as a process.
#[derive(Clone, Debug, clap::Args)]
#[non_exhaustive]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// API key of the default site (send it as `Authorization` with `wix-site-id`).
    #[arg(long, default_value = DEFAULT_API_KEY, env = "WIX_EMULATOR_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Id of the default site.
    #[arg(long, default_value = DEFAULT_SITE_ID)]
    pub site_id: Uuid,
    /// Keep the state durably in this store (SQLite; a JSON state file is imported once).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Seed the default site with deterministic demo data (25 customers, 3 friends each).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Requests per minute per app instance; 0 disables the limit.
    #[arg(long, default_value_t = 200)]
    pub rate_limit: u32,
    /// Let peers outside loopback use the control API (it can reset everything).
    #[arg(long)]
    pub allow_remote_control: bool,
    /// Wix API requests the request log keeps per site (the inspector, `GET
    /// /_emulator/v1/requests`); 0 keeps none.
    #[arg(long, value_name = "N", default_value_t = crate::DEFAULT_REQUESTS_PER_SITE)]
    pub request_log: usize,
}

impl EmulatorArgs {
    /// The configuration these options describe.
    pub fn into_config(self) -> EmulatorConfig {
        EmulatorConfig {
            addr: self.addr,
            api_key: self.api_key,
            site_id: self.site_id,
            state_file: self.state,
            seed: self.seed.map(SeedRequest::demo),
            settings: Settings {
                rate_limit_per_minute: (self.rate_limit > 0).then_some(self.rate_limit),
                allow_remote_control: self.allow_remote_control,
                request_log_per_site: self.request_log,
                ..Settings::default()
            },
        }
    }
}
