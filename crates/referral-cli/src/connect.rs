//! Which API a command talks to: the local server that keeps the user's local store when asked
//! (`--local`, or a profile with `local = true`), else the environment's credentials, else a
//! profile of config.toml; with none of them, a usage error that says what to set. Credentials
//! follow one set of rules, the SDK's (`WixReferralClient::from_env_with`), for profiles too.

use std::collections::BTreeMap;
use std::path::PathBuf;

use referral_domain::{Auth, WixReferralClient};
use referral_emulator::ControlClient;
use serde::Deserialize;
use uuid::Uuid;

use crate::cli::Global;
use crate::error::CliError;

/// A client for the command.
pub(crate) struct Connection {
    pub client: WixReferralClient,
    /// The emulator's control API, when the command talks to one: the local store, or an
    /// emulator on this machine (`WIX_BASE_URL` on loopback, with `WIX_SITE_ID`, and
    /// `WIX_EMULATOR_CONTROL_KEY` if it has a key).
    pub control: Option<Control>,
}

/// An emulator's control API and the site the command works on.
pub(crate) struct Control {
    pub client: ControlClient,
    pub site: Uuid,
}

impl Connection {
    /// The emulator's control API, or a usage error saying where it exists: what a store or a
    /// checkout does (an order, a coupon used) is the emulator's to simulate, not Wix's API.
    pub(crate) fn control(&self, what: &str) -> Result<&Control, CliError> {
        self.control.as_ref().ok_or_else(|| {
            CliError::usage(format!(
                "{what} is simulated by the emulator: use --local, or point WIX_BASE_URL at an \
                 emulator on this machine (with WIX_SITE_ID, and WIX_EMULATOR_CONTROL_KEY if it \
                 has a control key)"
            ))
        })
    }

    /// Nothing to release: a local server outlives the command (it stops when idle).
    pub(crate) async fn close(self) {}
}

/// The control API of the emulator at `base_url`, if it is on this machine.
fn emulator_control(base_url: Option<&str>, site: Option<&str>) -> Option<Control> {
    let url = reqwest::Url::parse(base_url?).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return None;
    }
    let site = Uuid::parse_str(site?.trim()).ok()?;
    let client = ControlClient::new(url.as_str().trim_end_matches('/'));
    let client = match std::env::var("WIX_EMULATOR_CONTROL_KEY") {
        Ok(key) if !key.is_empty() => client.with_key(key),
        _ => client,
    };
    Some(Control { client, site })
}

/// One profile of `config.toml`.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// Work on the local store instead of Wix (`local = true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub local: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
}

impl Profile {
    /// The credentials of the `WIX_*` variables, checked by the SDK's own rules (the error names
    /// the variable); `None` when none is set.
    pub(crate) fn from_env() -> Result<Option<Self>, CliError> {
        let vars = Vars::read()?;
        if !vars.has_credentials() {
            return Ok(None);
        }
        let profile = Self {
            local: false,
            base_url: vars.get("WIX_BASE_URL"),
            api_key: vars.get("WIX_API_KEY"),
            site_id: vars.get("WIX_SITE_ID"),
            account_id: vars.get("WIX_ACCOUNT_ID"),
            app_id: vars.get("WIX_APP_ID"),
            app_secret: vars.get("WIX_APP_SECRET"),
            instance_id: vars.get("WIX_INSTANCE_ID"),
            access_token: vars.get("WIX_ACCESS_TOKEN"),
        };
        profile.client(None)?;
        Ok(Some(profile))
    }

    /// The profile's value of a `WIX_*` variable.
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "WIX_BASE_URL" => self.base_url.clone(),
            "WIX_API_KEY" => self.api_key.clone(),
            "WIX_SITE_ID" => self.site_id.clone(),
            "WIX_ACCOUNT_ID" => self.account_id.clone(),
            "WIX_APP_ID" => self.app_id.clone(),
            "WIX_APP_SECRET" => self.app_secret.clone(),
            "WIX_INSTANCE_ID" => self.instance_id.clone(),
            "WIX_ACCESS_TOKEN" => self.access_token.clone(),
            _ => None,
        }
    }

    /// A client by the SDK's rules (`WixReferralClient::from_env_with`), the profile's fields
    /// standing for the variables; `base_url` overrides the profile's.
    fn client(&self, base_url: Option<&str>) -> Result<WixReferralClient, CliError> {
        Ok(WixReferralClient::from_env_with(|name| {
            match (name, base_url) {
                ("WIX_BASE_URL", Some(url)) => Some(url.to_owned()),
                _ => self.var(name).filter(|v| !v.is_empty()),
            }
        })?)
    }

    /// What kind of credentials, and for which site: nothing secret.
    pub(crate) fn describe(&self) -> String {
        let target = self
            .site_id
            .as_deref()
            .map(|s| format!("site {s}"))
            .or_else(|| self.account_id.as_deref().map(|a| format!("account {a}")))
            .or_else(|| self.instance_id.as_deref().map(|i| format!("instance {i}")))
            .unwrap_or_default();
        if self.local {
            return "the local store".to_owned();
        }
        let kind = if self.api_key.is_some() {
            "API key"
        } else if self.app_id.is_some() {
            "app"
        } else {
            "access token"
        };
        format!("{kind} {target}").trim().to_owned()
    }
}

/// Reads config.toml (an empty configuration when there is none).
pub(crate) fn read_config() -> Result<ConfigFile, CliError> {
    let Some(path) = config_path() else {
        return Ok(ConfigFile::default());
    };
    match crate::input::read_text_if_exists(&path, crate::input::PROFILES_BYTES, "the profiles")? {
        Some(text) => {
            toml::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
        }
        None => Ok(ConfigFile::default()),
    }
}

/// Writes config.toml readable and writable by its owner only.
pub(crate) fn write_config(config: &ConfigFile) -> Result<PathBuf, CliError> {
    let path =
        config_path().ok_or_else(|| CliError::runtime("no config directory on this system"))?;
    let failed = |e: std::io::Error| CliError::runtime(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let text = toml::to_string_pretty(config)
        .map_err(|e| CliError::runtime(format!("config.toml: {e}")))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut file = options.open(&path).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An existing file keeps its mode on open: tighten it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    file.write_all(text.as_bytes()).map_err(failed)?;
    Ok(path)
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

pub(crate) fn config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("wix-referral").join("config.toml"))
}

/// The variables the CLI reads, each checked once: set but not UTF-8 is an error naming it.
struct Vars(BTreeMap<&'static str, String>);

/// Every variable of the SDK's credential rules.
const VARIABLES: [&str; 8] = [
    "WIX_BASE_URL",
    "WIX_API_KEY",
    "WIX_SITE_ID",
    "WIX_ACCOUNT_ID",
    "WIX_APP_ID",
    "WIX_APP_SECRET",
    "WIX_INSTANCE_ID",
    "WIX_ACCESS_TOKEN",
];

impl Vars {
    fn read() -> Result<Self, CliError> {
        let mut vars = BTreeMap::new();
        for name in VARIABLES {
            match std::env::var(name) {
                Ok(value) if !value.is_empty() => {
                    vars.insert(name, value);
                }
                Ok(_) | Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(CliError::usage(format!(
                        "{name} is set but is not UTF-8 text"
                    )));
                }
            }
        }
        Ok(Self(vars))
    }

    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    /// Whether a credential (not only a site or a base URL) is set.
    fn has_credentials(&self) -> bool {
        ["WIX_API_KEY", "WIX_APP_ID", "WIX_ACCESS_TOKEN"]
            .iter()
            .any(|name| self.0.contains_key(name))
    }
}

/// The error when nothing says where to work: the variables, `profile save` and `--local`, and
/// what is set that looks like a mistyped variable.
fn no_credentials(vars: &Vars) -> CliError {
    let mut message = "no credentials: set WIX_API_KEY with WIX_SITE_ID (or WIX_ACCOUNT_ID), or \
        WIX_APP_ID, WIX_APP_SECRET and WIX_INSTANCE_ID, or WIX_ACCESS_TOKEN; or save them with \
        `wix-referral profile save`; or pass --local to work on the local store"
        .to_owned();
    let partial: Vec<&str> = vars.0.keys().copied().collect();
    if !partial.is_empty() {
        message.push_str(&format!(
            " ({} set, but no key or token)",
            partial.join(", ")
        ));
    }
    let unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("WIX_") && !VARIABLES.contains(&name.as_str()))
        .filter(|name| !name.starts_with("WIX_REFERRAL_") && !name.starts_with("WIX_EMULATOR_"))
        .collect();
    if !unknown.is_empty() {
        message.push_str(&format!(
            " ({} set: not a variable the CLI reads; a typo?)",
            unknown.join(", ")
        ));
    }
    CliError::usage(message)
}

/// Reads the profile `name`; warns when the file is readable by others (it holds secrets).
fn profile(name: &str) -> Result<Option<Profile>, CliError> {
    let Some(path) = config_path() else {
        return Ok(None);
    };
    let Some(text) =
        crate::input::read_text_if_exists(&path, crate::input::PROFILES_BYTES, "the profiles")?
    else {
        return Ok(None);
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.permissions().mode() & 0o077 != 0
        {
            crate::output::note(format!(
                "warning: {} holds credentials and is readable by others: chmod 600 it",
                path.display()
            ));
        }
    }
    let mut config: ConfigFile =
        toml::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    Ok(config.profiles.remove(name))
}

pub(crate) async fn connect(global: &Global) -> Result<Connection, CliError> {
    if global.local {
        return local().await;
    }
    let vars = Vars::read()?;
    if vars.has_credentials() {
        let base_url = global.base_url.clone();
        let client = WixReferralClient::from_env_with(|name| match (name, &base_url) {
            ("WIX_BASE_URL", Some(url)) => Some(url.clone()),
            _ => vars.get(name),
        })?;
        let control = emulator_control(
            base_url.or_else(|| vars.get("WIX_BASE_URL")).as_deref(),
            vars.get("WIX_SITE_ID").as_deref(),
        );
        return Ok(Connection { client, control });
    }
    let name = global.profile.as_deref().unwrap_or("default");
    match profile(name)? {
        Some(profile) if profile.local => local().await,
        Some(profile) => Ok(Connection {
            control: emulator_control(
                global.base_url.as_deref().or(profile.base_url.as_deref()),
                profile.site_id.as_deref(),
            ),
            client: profile
                .client(global.base_url.as_deref())
                .map_err(|e| CliError::usage(format!("profile {name:?}: {e}")))?,
        }),
        None if global.profile.is_some() => Err(CliError::usage(format!(
            "no profile {name:?} in {}",
            config_path().map_or_else(|| "config.toml".into(), |p| p.display().to_string())
        ))),
        None => Err(no_credentials(&vars)),
    }
}

/// The local server that keeps the user's local store.
async fn local() -> Result<Connection, CliError> {
    let server = crate::local::connect().await?;
    let client = WixReferralClient::builder()
        .base_url(server.base_url.clone())
        .auth(Auth::api_key(
            server.api_key.clone(),
            server.site_id.to_string(),
        ))
        .build()?;
    Ok(Connection {
        client,
        control: Some(Control {
            client: server.control(),
            site: server.site_id,
        }),
    })
}

#[cfg(test)]
mod control_tests {
    use super::emulator_control;

    /// Orders and coupons go to an emulator's control API only when it is on this machine.
    #[test]
    fn only_an_emulator_on_this_machine_has_a_control_api() {
        let site = Some("11111111-1111-4111-8111-111111111111");
        let cases = [
            (Some("http://127.0.0.1:8787"), site, true),
            (Some("http://localhost:8787/"), site, true),
            (Some("http://[::1]:8787"), site, true),
            (Some("https://www.wixapis.com"), site, false),
            (Some("http://10.0.0.5:8787"), site, false),
            (Some("http://127.0.0.1:8787"), None, false),
            (Some("http://127.0.0.1:8787"), Some("not-a-guid"), false),
            (None, site, false),
            (Some("not a url"), site, false),
        ];
        for (base_url, site, expected) in cases {
            assert_eq!(
                emulator_control(base_url, site).is_some(),
                expected,
                "{base_url:?} {site:?}"
            );
        }
    }
}
