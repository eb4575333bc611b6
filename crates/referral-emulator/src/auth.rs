//! Who is calling (docs/decisions.md items 15–17).

use axum::http::HeaderMap;
use chrono::Utc;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::{State, Subject};

pub(crate) const SITE_HEADER: &str = "wix-site-id";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Identity {
    /// An API key, or an app's OAuth token: the admin identities.
    Admin { site: Uuid, app_id: Option<String> },
    /// A site member, acting as its own contact.
    Member {
        site: Uuid,
        contact: Uuid,
        /// The referral code the token's scope carries, if any.
        referral_code: Option<String>,
    },
}

impl Identity {
    pub(crate) fn site(&self) -> Uuid {
        match self {
            Identity::Admin { site, .. } | Identity::Member { site, .. } => *site,
        }
    }

    pub(crate) fn is_member(&self) -> bool {
        matches!(self, Identity::Member { .. })
    }

    /// Fails for members: the method is for Wix apps, users and API keys only.
    pub(crate) fn require_admin(&self) -> ApiResult<()> {
        if self.is_member() {
            Err(ApiError::forbidden(
                "this method needs an app, API key or Wix user identity",
            ))
        } else {
            Ok(())
        }
    }

    /// Resolves `"me"` and checks that a member asks only about itself.
    pub(crate) fn contact(&self, raw: &str, field: &str) -> ApiResult<Uuid> {
        match (self, raw) {
            (Identity::Member { contact, .. }, "me") => Ok(*contact),
            (Identity::Admin { .. }, "me") => Err(ApiError::invalid(
                field,
                "\"me\" needs a member identity; pass a contact id",
            )),
            _ => {
                let id = parse_uuid(raw, field)?;
                match self {
                    Identity::Member { contact, .. } if *contact != id => Err(ApiError::forbidden(
                        "a member may only act on its own contact",
                    )),
                    _ => Ok(id),
                }
            }
        }
    }

    /// Key for the per-app-instance rate limit (docs/decisions.md item 24).
    pub(crate) fn rate_key(&self) -> Option<String> {
        match self {
            Identity::Admin {
                app_id: Some(app),
                site,
            } => Some(format!("{site}/{app}")),
            _ => None,
        }
    }
}

pub(crate) fn parse_uuid(raw: &str, field: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::invalid(field, &format!("{raw:?} is not a GUID")))
}

/// The bare credential: `Bearer <token>` is tolerated.
fn credential(headers: &HeaderMap) -> Option<&str> {
    let raw = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let bare = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .unwrap_or(raw)
        .trim();
    (!bare.is_empty()).then_some(bare)
}

pub(crate) fn authenticate(state: &State, headers: &HeaderMap) -> ApiResult<Identity> {
    let credential = credential(headers)
        .ok_or_else(|| ApiError::unauthenticated("missing Authorization header"))?;
    if let Some(owner) = state.api_keys.get(credential) {
        let site_header = headers.get(SITE_HEADER).ok_or_else(|| {
            ApiError::invalid(SITE_HEADER, "an API key needs the wix-site-id header")
        })?;
        let site = site_header
            .to_str()
            .ok()
            .and_then(|s| Uuid::parse_str(s.trim()).ok())
            .ok_or_else(|| ApiError::invalid(SITE_HEADER, "expected a site GUID"))?;
        if site != *owner {
            return Err(ApiError::forbidden("this API key does not own that site"));
        }
        return Ok(Identity::Admin { site, app_id: None });
    }
    let token = state
        .tokens
        .get(credential)
        .ok_or_else(|| ApiError::unauthenticated("unknown API key or token"))?;
    if token.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(ApiError::unauthenticated("the access token has expired"));
    }
    if !state.sites.contains_key(&token.site_id) {
        return Err(ApiError::unauthenticated(
            "the token's site no longer exists",
        ));
    }
    Ok(match &token.subject {
        Subject::App(app_id) => Identity::Admin {
            site: token.site_id,
            app_id: Some(app_id.clone()),
        },
        Subject::Member(contact) => Identity::Member {
            site: token.site_id,
            contact: *contact,
            referral_code: token.referral_code.clone(),
        },
    })
}
