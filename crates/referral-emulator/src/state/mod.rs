//! Everything the emulator holds: sites, and the credentials that lead to them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "store")]
use crate::journal::{self, Batch, SiteRecord, TokenChange};
use crate::site::{Site, random_uuid};

mod shared;

pub(crate) use shared::{AppState, Shared};
pub use shared::{CONTROL_KEY_HEADER, Settings};

/// An app installed on one site (docs/decisions.md item 16).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct App {
    pub secret: String,
    pub instance_id: Uuid,
    pub site_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Subject {
    App(String),
    Member(Uuid),
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Token {
    pub site_id: Uuid,
    pub subject: Subject,
    pub expires_at: Option<DateTime<Utc>>,
    /// A member token's scope may carry a referral code (docs/decisions.md item 6): Create
    /// Referred Friend with no code in the body uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_code: Option<String>,
}

/// Credentials of one site, as the control API hands them out.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SiteCredentials {
    pub site_id: Uuid,
    pub api_key: String,
    pub app_id: String,
    pub app_secret: String,
    pub instance_id: Uuid,
}

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct State {
    pub sites: HashMap<Uuid, Site>,
    pub api_keys: HashMap<String, Uuid>,
    pub apps: HashMap<String, App>,
    pub tokens: HashMap<String, Token>,
    pub credentials: HashMap<Uuid, SiteCredentials>,
    /// What changed since the store last took a batch; `None` without a store.
    #[serde(skip)]
    journal: Option<Journal>,
    /// The batch of the last reset: not finding something may be its doing
    /// ([`crate::durability`]).
    #[serde(skip)]
    reset_stamp: u64,
    /// How many tokens there may be before expired ones are next forgotten (doubling, so the
    /// sweep costs O(1) per token issued).
    #[serde(skip)]
    token_sweep_at: usize,
}

/// Tokens held before the first sweep of expired ones.
const FIRST_TOKEN_SWEEP: usize = 1024;

/// The sites and tokens touched since the last batch (rows are tracked by their tables).
#[derive(Default)]
struct Journal {
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    reset: bool,
    sites: HashSet<Uuid>,
    tokens: HashSet<String>,
}

/// A random secret: 32 bytes, URL-safe base64.
pub(crate) fn secret(rng: &mut impl Rng) -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rng.r#gen();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl State {
    #[cfg(feature = "store")]
    /// From now on, collects what changes, for [`State::take_batch`].
    pub(crate) fn start_journal(&mut self) {
        self.journal.get_or_insert_with(Journal::default);
        for site in self.sites.values_mut() {
            site.track_changes();
        }
    }

    /// Notes that a site (its header, credentials or rows) may have changed.
    pub(crate) fn touch_site(&mut self, id: Uuid) {
        if let Some(journal) = &mut self.journal {
            journal.sites.insert(id);
        }
    }

    /// Forgets everything: the next batch starts with a reset.
    pub(crate) fn clear(&mut self) {
        let journal = self.journal.take().map(|_| Journal {
            reset: true,
            ..Journal::default()
        });
        *self = State::default();
        self.journal = journal;
    }

    /// The batch of the last reset (0: none since the store opened).
    pub(crate) fn reset_stamp(&self) -> u64 {
        self.reset_stamp
    }

    #[cfg(feature = "store")]
    /// What changed since the last call, as batch `sequence` (every batch up to `durable` is
    /// on disk), or `None` without a journal or without a change. What changed is stamped with
    /// `sequence`, for the answers that see it ([`crate::durability`]).
    pub(crate) fn take_batch(
        &mut self,
        sequence: u64,
        durable: u64,
    ) -> serde_json::Result<Option<Batch>> {
        let Some(journal) = self.journal.as_mut().map(std::mem::take) else {
            return Ok(None);
        };
        let mut batch = Batch {
            reset: journal.reset,
            ..Batch::default()
        };
        if journal.reset {
            self.reset_stamp = sequence;
        }
        for id in journal.sites {
            let Some(site) = self.sites.get_mut(&id) else {
                continue;
            };
            site.take_changes(&mut batch.rows, sequence, durable)?;
            let credentials = self
                .credentials
                .get(&id)
                .map(journal::credentials_json)
                .transpose()?;
            if let Some(header) =
                site.header_changed(journal::header_json(site)?, credentials, sequence)
            {
                batch.sites.push(SiteRecord {
                    site: id,
                    header: header.0,
                    credentials: header.1,
                });
            }
        }
        for token in journal.tokens {
            let body = self
                .tokens
                .get(&token)
                .map(journal::token_json)
                .transpose()?;
            batch.tokens.push(TokenChange { token, body });
        }
        Ok((!batch.is_empty()).then_some(batch))
    }

    #[cfg(feature = "store")]
    /// Adds a site read back from the store, with its credentials and the keys they imply.
    pub(crate) fn restore_site(&mut self, site: Site, credentials: Option<SiteCredentials>) {
        if let Some(credentials) = credentials {
            self.install_credentials(&credentials);
        }
        self.sites.insert(site.id, site);
    }

    /// The API key and app of a site's credentials, and the credentials themselves.
    pub(crate) fn install_credentials(&mut self, credentials: &SiteCredentials) {
        let site_id = credentials.site_id;
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
        self.touch_site(site_id);
    }

    /// Adds a site: its tables track changes when a store keeps this state.
    pub(crate) fn insert_site(&mut self, mut site: Site) {
        if self.journal.is_some() {
            site.track_changes();
        }
        self.touch_site(site.id);
        self.sites.insert(site.id, site);
    }

    /// Makes sure the default site and its credentials exist (after loading a state file too).
    pub(crate) fn ensure_site(&mut self, credentials: &SiteCredentials) {
        let id: Uuid = credentials.site_id;
        if !self.sites.contains_key(&id) {
            let mut site = Site::new(id, credentials.instance_id);
            site.app_id = credentials.app_id.clone();
            self.insert_site(site);
        }
        // A key given at start (`--api-key`) replaces the one the state had for this site.
        if let Some(previous) = self.credentials.get(&id)
            && previous.api_key != credentials.api_key
        {
            let stale = previous.api_key.clone();
            self.api_keys.remove(&stale);
        }
        self.install_credentials(credentials);
    }

    /// Creates a site with its program, an API key and an installed app.
    pub(crate) fn create_site(
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
        self.insert_site(site);
        self.install_credentials(&credentials);
        credentials
    }

    pub(crate) fn issue_token(
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
        if self.tokens.len() >= self.token_sweep_at.max(FIRST_TOKEN_SWEEP) {
            self.forget_expired_tokens(Utc::now());
            self.token_sweep_at = self.tokens.len().saturating_mul(2);
        }
        let token = format!("{prefix}.{}", secret(rng));
        if let Some(journal) = &mut self.journal {
            journal.tokens.insert(token.clone());
        }
        self.tokens.insert(
            token.clone(),
            Token {
                site_id,
                subject,
                expires_at,
                referral_code: None,
            },
        );
        token
    }

    /// Forgets the tokens expired at `now` (in memory and, through the journal, in the store);
    /// returns how many. An expired token is refused either way: this bounds what a service that
    /// asks for a token per call leaves behind.
    pub(crate) fn forget_expired_tokens(&mut self, now: DateTime<Utc>) -> usize {
        let before = self.tokens.len();
        let journal = &mut self.journal;
        self.tokens.retain(|token, issued| {
            let live = issued.expires_at.is_none_or(|at| at > now);
            if !live && let Some(journal) = journal {
                journal.tokens.insert(token.clone());
            }
            live
        });
        before - self.tokens.len()
    }
}

#[cfg(test)]
mod token_tests {
    use chrono::{Duration, Utc};

    use super::{FIRST_TOKEN_SWEEP, State, Subject};

    #[test]
    fn expired_tokens_are_forgotten_as_new_ones_are_issued() {
        let mut state = State::default();
        let site = uuid::Uuid::nil();
        let mut rng = rand::thread_rng();
        let past = Some(Utc::now() - Duration::seconds(1));
        let future = Some(Utc::now() + Duration::hours(4));
        let live: Vec<String> = (0..10)
            .map(|_| state.issue_token(site, Subject::App("app".into()), future, &mut rng))
            .collect();
        // A service asking for a token per call, each expired by the time of the next.
        for _ in 0..20 * FIRST_TOKEN_SWEEP {
            state.issue_token(site, Subject::App("app".into()), past, &mut rng);
        }
        assert!(
            state.tokens.len() <= FIRST_TOKEN_SWEEP + 10,
            "{} tokens kept",
            state.tokens.len()
        );
        for token in &live {
            assert!(
                state.tokens.contains_key(token),
                "a live token was forgotten"
            );
        }
        let later = Utc::now() + Duration::hours(5);
        let forgotten = state.forget_expired_tokens(later);
        assert!(forgotten >= 10);
        assert!(state.tokens.is_empty());
    }
}
