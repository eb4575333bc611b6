//! Everything the emulator holds: sites, and the credentials that lead to them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::site::{Site, random_uuid};

/// An app installed on one site (docs/decisions.md item 16).
#[derive(Clone, Serialize, Deserialize)]
pub struct App {
    pub secret: String,
    pub instance_id: Uuid,
    pub site_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    App(String),
    Member(Uuid),
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Token {
    pub site_id: Uuid,
    pub subject: Subject,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Credentials of one site, as the control API hands them out.
#[derive(Clone, Serialize, Deserialize)]
pub struct SiteCredentials {
    pub site_id: Uuid,
    pub api_key: String,
    pub app_id: String,
    pub app_secret: String,
    pub instance_id: Uuid,
}

#[derive(Default, Serialize, Deserialize)]
pub struct State {
    pub sites: HashMap<Uuid, Site>,
    pub api_keys: HashMap<String, Uuid>,
    pub apps: HashMap<String, App>,
    pub tokens: HashMap<String, Token>,
    pub credentials: HashMap<Uuid, SiteCredentials>,
}

/// A random secret: 32 bytes, URL-safe base64.
pub fn secret(rng: &mut impl Rng) -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rng.r#gen();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl State {
    /// Creates a site with its program, an API key and an installed app.
    pub fn create_site(
        &mut self,
        site_id: Uuid,
        api_key: Option<String>,
        rng: &mut impl Rng,
    ) -> SiteCredentials {
        let credentials = SiteCredentials {
            site_id,
            api_key: api_key.unwrap_or_else(|| format!("emk_{}", secret(rng))),
            app_id: random_uuid(rng).to_string(),
            app_secret: secret(rng),
            instance_id: random_uuid(rng),
        };
        let mut site = Site::new(site_id, credentials.instance_id);
        site.app_id = credentials.app_id.clone();
        self.sites.insert(site_id, site);
        self.api_keys.insert(credentials.api_key.clone(), site_id);
        self.apps.insert(
            credentials.app_id.clone(),
            App {
                secret: credentials.app_secret.clone(),
                instance_id: credentials.instance_id,
                site_id,
            },
        );
        self.credentials.insert(site_id, credentials.clone());
        credentials
    }

    pub fn issue_token(
        &mut self,
        site_id: Uuid,
        subject: Subject,
        expires_at: Option<DateTime<Utc>>,
        rng: &mut impl Rng,
    ) -> String {
        let prefix = match subject {
            Subject::App(_) => "OAUTH2",
            Subject::Member(_) => "MEMBER",
        };
        let token = format!("{prefix}.{}", secret(rng));
        self.tokens.insert(
            token.clone(),
            Token {
                site_id,
                subject,
                expires_at,
            },
        );
        token
    }
}
