//! What a write changed, in the form the durable store keeps: one record per changed row, the
//! changed sites' small header records and the changed tokens. A batch costs what the write
//! touched, never what the state holds.
//!
//! The state collects changes only once a store asked for them ([`crate::state::State::start_journal`]);
//! the in-memory emulator never builds a batch.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::site::{Program, Site};
use crate::state::{SiteCredentials, Token};

/// The kinds of rows a site holds; the number is the store's `kind` column and never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowKind {
    Customer = 0,
    Friend = 1,
    Reward = 2,
    Event = 3,
    Totals = 4,
    FriendActions = 5,
}

impl RowKind {
    pub(crate) const ALL: [RowKind; 6] = [
        RowKind::Customer,
        RowKind::Friend,
        RowKind::Reward,
        RowKind::Event,
        RowKind::Totals,
        RowKind::FriendActions,
    ];

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| *kind as i64 == code)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            RowKind::Customer => "customer",
            RowKind::Friend => "friend",
            RowKind::Reward => "reward",
            RowKind::Event => "event",
            RowKind::Totals => "referring customer totals",
            RowKind::FriendActions => "friend actions",
        }
    }
}

/// One row as it is now (`body`), or its removal (`None`).
#[derive(Debug)]
pub(crate) struct RowChange {
    pub site: Uuid,
    pub kind: RowKind,
    pub id: Uuid,
    pub body: Option<String>,
}

/// A site's header (everything but its tables) and its credentials.
#[derive(Debug)]
pub(crate) struct SiteRecord {
    pub site: Uuid,
    pub header: String,
    pub credentials: Option<String>,
}

/// A token as it is now, or its removal.
#[derive(Debug)]
pub(crate) struct TokenChange {
    pub token: String,
    pub body: Option<String>,
}

/// Everything one write changed, applied by the store in one transaction.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Everything before this batch is gone (the control API's reset).
    pub reset: bool,
    pub sites: Vec<SiteRecord>,
    pub rows: Vec<RowChange>,
    pub tokens: Vec<TokenChange>,
}

impl Batch {
    pub(crate) fn is_empty(&self) -> bool {
        !self.reset && self.sites.is_empty() && self.rows.is_empty() && self.tokens.is_empty()
    }

    /// Rows and records in the batch, for the store's statistics.
    pub(crate) fn len(&self) -> usize {
        self.sites.len() + self.rows.len() + self.tokens.len()
    }
}

/// A site without its tables: what the store keeps in the `sites` table.
#[derive(Serialize)]
pub(crate) struct SiteHeaderRef<'a> {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub app_id: &'a str,
    pub program: &'a Program,
    pub signups: i64,
    pub actions: i64,
    pub amount_cents: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<&'a str>,
    pub webhooks: &'a [String],
    pub suggestions: &'a [Value],
}

/// The owned form of [`SiteHeaderRef`], read back when the store opens.
#[derive(Deserialize)]
pub(crate) struct SiteHeader {
    pub id: Uuid,
    pub instance_id: Uuid,
    #[serde(default)]
    pub app_id: String,
    pub program: Program,
    pub signups: i64,
    pub actions: i64,
    pub amount_cents: i64,
    /// The currency of the site's amounts (absent in stores written before it was kept).
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub webhooks: Vec<String>,
    #[serde(default)]
    pub suggestions: Vec<Value>,
}

impl SiteHeader {
    /// A site with this header and empty tables.
    pub(crate) fn into_site(self) -> Site {
        let mut site = Site::new(self.id, self.instance_id);
        site.app_id = self.app_id;
        site.program = self.program;
        site.signups = self.signups;
        site.actions = self.actions;
        site.amount_cents = self.amount_cents;
        site.currency = self.currency;
        site.webhooks = self.webhooks;
        site.suggestions = self.suggestions;
        site
    }
}

pub(crate) fn header_json(site: &Site) -> serde_json::Result<String> {
    serde_json::to_string(&SiteHeaderRef {
        id: site.id,
        instance_id: site.instance_id,
        app_id: &site.app_id,
        program: &site.program,
        signups: site.signups,
        actions: site.actions,
        amount_cents: site.amount_cents,
        currency: site.currency.as_deref(),
        webhooks: &site.webhooks,
        suggestions: &site.suggestions,
    })
}

pub(crate) fn credentials_json(credentials: &SiteCredentials) -> serde_json::Result<String> {
    serde_json::to_string(credentials)
}

pub(crate) fn token_json(token: &Token) -> serde_json::Result<String> {
    serde_json::to_string(token)
}
