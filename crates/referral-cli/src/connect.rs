//! Which API a command talks to: the environment's credentials, a profile of config.toml, or
//! (with neither) the local server that keeps the user's local store (`crate::local`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use referral_domain::{Auth, WixReferralClient};
use serde::Deserialize;

use crate::cli::Global;
use crate::error::CliError;

/// A client for the command.
pub struct Connection {
    pub client: WixReferralClient,
}

impl Connection {
    /// Nothing to release: a local server outlives the command (it stops when idle).
    pub async fn close(self) {}
}

/// One profile of `config.toml`.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
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
    /// The credentials of the `WIX_*` variables, if any.
    pub fn from_env() -> Option<Self> {
        let profile = Self {
            base_url: env_var("WIX_BASE_URL"),
            api_key: env_var("WIX_API_KEY"),
            site_id: env_var("WIX_SITE_ID"),
            account_id: env_var("WIX_ACCOUNT_ID"),
            app_id: env_var("WIX_APP_ID"),
            app_secret: env_var("WIX_APP_SECRET"),
            instance_id: env_var("WIX_INSTANCE_ID"),
            access_token: env_var("WIX_ACCESS_TOKEN"),
        };
        profile_auth(&profile).map(|_| profile)
    }

    /// What kind of credentials, and for which site: nothing secret.
    pub fn describe(&self) -> String {
        let target = self
            .site_id
            .as_deref()
            .map(|s| format!("site {s}"))
            .or_else(|| self.account_id.as_deref().map(|a| format!("account {a}")))
            .or_else(|| self.instance_id.as_deref().map(|i| format!("instance {i}")))
            .unwrap_or_default();
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
pub fn read_config() -> Result<ConfigFile, CliError> {
    let Some(path) = config_path() else {
        return Ok(ConfigFile::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            toml::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(CliError::runtime(format!("{}: {e}", path.display()))),
    }
}

/// Writes config.toml readable and writable by its owner only.
pub fn write_config(config: &ConfigFile) -> Result<PathBuf, CliError> {
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
pub struct ConfigFile {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

pub fn config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("wix-referral").join("config.toml"))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Reads the profile `name`; warns when the file is readable by others (it holds secrets).
fn profile(name: &str) -> Result<Option<Profile>, CliError> {
    let Some(path) = config_path() else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CliError::runtime(format!("{}: {e}", path.display()))),
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

fn profile_auth(profile: &Profile) -> Option<Auth> {
    if let Some(key) = &profile.api_key {
        return Some(match (&profile.site_id, &profile.account_id) {
            (_, Some(account)) if profile.site_id.is_none() => {
                Auth::api_key_for_account(key.clone(), account.clone())
            }
            (site, _) => Auth::api_key(key.clone(), site.clone().unwrap_or_default()),
        });
    }
    if let (Some(id), Some(secret), Some(instance)) =
        (&profile.app_id, &profile.app_secret, &profile.instance_id)
    {
        return Some(Auth::app(id.clone(), secret.clone(), instance.clone()));
    }
    profile
        .access_token
        .as_ref()
        .map(|t| Auth::access_token(t.clone()))
}

pub async fn connect(global: &Global) -> Result<Connection, CliError> {
    let has_env = ["WIX_API_KEY", "WIX_APP_ID", "WIX_ACCESS_TOKEN"]
        .iter()
        .any(|n| env_var(n).is_some());
    if has_env {
        let base_url = global.base_url.clone();
        let client = WixReferralClient::from_env_with(|name| match (name, &base_url) {
            ("WIX_BASE_URL", Some(url)) => Some(url.clone()),
            _ => env_var(name),
        })?;
        return Ok(Connection { client });
    }
    let name = global.profile.as_deref().unwrap_or("default");
    match profile(name)? {
        Some(profile) => {
            let auth = profile_auth(&profile)
                .ok_or_else(|| CliError::usage(format!("profile {name:?} has no credentials")))?;
            let mut builder = WixReferralClient::builder().auth(auth);
            if let Some(url) = global.base_url.clone().or(profile.base_url) {
                builder = builder.base_url(url);
            }
            return Ok(Connection {
                client: builder.build()?,
            });
        }
        None if global.profile.is_some() => {
            return Err(CliError::usage(format!(
                "no profile {name:?} in {}",
                config_path().map_or_else(|| "config.toml".into(), |p| p.display().to_string())
            )));
        }
        None => {}
    }
    let server = crate::local::connect().await?;
    crate::output::note(format!(
        "(no credentials: using the local server; its store is {})",
        server.store.display()
    ));
    let client = WixReferralClient::builder()
        .base_url(server.base_url.clone())
        .auth(Auth::api_key(
            server.api_key.clone(),
            server.site_id.to_string(),
        ))
        .build()?;
    Ok(Connection { client })
}
