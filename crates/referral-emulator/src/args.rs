//! The emulator's command-line options, defined once and flattened into both binaries
//! (`wix-referral-emulator` and `wix-referral emulator`).

use std::net::SocketAddr;
use std::path::PathBuf;

use uuid::Uuid;

use crate::{
    AllowedHosts, DEFAULT_ADDR, DEFAULT_API_KEY, DEFAULT_SITE_ID, DeliverySettings, EmulatorConfig,
    SeedRequest, Settings,
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
    /// Also answer requests for this Host name (repeatable, or comma-separated in the
    /// variable), e.g. a Compose service name; `*` turns the check off. By default only
    /// localhost, names under .localhost and IP addresses are answered: a page that rebinds its
    /// own name to this machine is refused.
    #[arg(
        long = "allowed-host",
        value_name = "NAME",
        env = "WIX_EMULATOR_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// The key the control API and the inspector ask for (header x-wix-emulator-control-key,
    /// or the inspector link's ?key=). With --state a random one is made and printed unless one
    /// is given; `none` turns the key off on purpose.
    #[arg(
        long,
        value_name = "KEY",
        env = "WIX_EMULATOR_CONTROL_KEY",
        hide_env_values = true
    )]
    pub control_key: Option<String>,
    /// Refuse, with a 400 naming it, what Wix's documents show but its reference pages do not
    /// (operators without $, an update without a revision, ...); without it such a request is
    /// answered with an x-wix-emulator-warning header.
    #[arg(long)]
    pub strict: bool,
    /// Attempts per webhook delivery.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub webhook_attempts: u32,
    /// How long one webhook attempt may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1250, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub webhook_timeout_ms: u64,
    /// Webhook deliveries that may wait to be sent; beyond it the oldest are dropped.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub webhook_queue: u64,
}

impl EmulatorArgs {
    /// The configuration these options describe.
    pub fn into_config(self) -> EmulatorConfig {
        let control_key = match self.control_key.as_deref().map(str::trim) {
            Some("none") => None,
            Some(key) if !key.is_empty() => Some(key.to_owned()),
            // Durable data deserves a key: any local process could otherwise wipe it.
            _ if self.state.is_some() => Some(crate::random_key("ck_")),
            _ => None,
        };
        let allowed_hosts = self
            .allowed_hosts
            .iter()
            .fold(AllowedHosts::loopback(), |hosts, name| hosts.allow(name));
        let webhooks = DeliverySettings {
            attempts: self.webhook_attempts,
            timeout: std::time::Duration::from_millis(self.webhook_timeout_ms),
            queue: usize::try_from(self.webhook_queue).unwrap_or(usize::MAX),
            ..DeliverySettings::default()
        };
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
                control_key,
                allowed_hosts,
                webhooks,
                strict: self.strict,
                ..Settings::default()
            },
        }
    }
}
