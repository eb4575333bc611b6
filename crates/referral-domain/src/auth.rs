//! Credentials, and the OAuth token cache of apps.
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` print a placeholder; they reach only
//! the `Authorization` header, which is marked sensitive.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::error::{Error, InvalidInput};
use crate::retry::{AttemptOutcome, Decision, Replay};
use crate::transport::{TokenFetch, TooLarge, read_bounded, remaining, shown_location};

/// A credential. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential so it is never printed.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: for sending it, never for logging it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Who the client calls as.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Auth {
    /// An API key from the API Keys Manager, for one site (`wix-site-id`) or one account
    /// (`wix-account-id`).
    ApiKey {
        /// The key.
        key: Secret,
        /// The site or account it acts on.
        scope: KeyScope,
    },
    /// An app: its id, secret and the instance (installation) it acts for. The client fetches
    /// an OAuth token, caches it, and refreshes it before it expires.
    App {
        /// The app's id (its client id).
        app_id: String,
        /// The app's secret key, sent only to the token endpoint.
        app_secret: Secret,
        /// The app instance (installation on one site) to act for.
        instance_id: String,
    },
    /// A ready access token: a site member's or a visitor's (it carries its site).
    AccessToken(Secret),
}

/// What an API key acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyScope {
    /// The site id, sent as `wix-site-id`.
    Site(String),
    /// The account id, sent as `wix-account-id`.
    Account(String),
}

impl Auth {
    /// An API key acting on one site.
    pub fn api_key(key: impl Into<Secret>, site_id: impl Into<String>) -> Self {
        Self::ApiKey {
            key: key.into(),
            scope: KeyScope::Site(site_id.into()),
        }
    }

    /// An API key acting on an account (account-level calls).
    pub fn api_key_for_account(key: impl Into<Secret>, account_id: impl Into<String>) -> Self {
        Self::ApiKey {
            key: key.into(),
            scope: KeyScope::Account(account_id.into()),
        }
    }

    /// OAuth client credentials of an app installed on a site.
    pub fn app(
        app_id: impl Into<String>,
        app_secret: impl Into<Secret>,
        instance_id: impl Into<String>,
    ) -> Self {
        Self::App {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            instance_id: instance_id.into(),
        }
    }

    /// A member's or visitor's access token.
    pub fn access_token(token: impl Into<Secret>) -> Self {
        Self::AccessToken(token.into())
    }
}

/// The token endpoint's answer (docs/platform.md §4.3).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

struct CachedToken {
    token: Secret,
    refresh_at: Instant,
}

#[derive(Default)]
struct TokenState {
    token: Option<CachedToken>,
    /// After a failed fetch: no new fetch before this instant; callers get the same error.
    backoff_until: Option<(Instant, String, Option<u16>)>,
    failures: u32,
}

/// App tokens: one fetch at a time, shared by every concurrent caller; reused until shortly
/// before expiry; a failed fetch is not repeated for a short, growing while.
pub(crate) struct TokenCache {
    url: reqwest::Url,
    app_id: String,
    app_secret: Secret,
    instance_id: String,
    state: Mutex<TokenState>,
}

/// The first wait after a failed token fetch; it doubles up to [`MAX_TOKEN_BACKOFF`].
const FIRST_TOKEN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_TOKEN_BACKOFF: Duration = Duration::from_secs(30);

/// When to refresh a token that lives `lifetime`: a tenth of its life early, at most 5 minutes.
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

impl TokenCache {
    pub(crate) fn new(
        base_url: &str,
        app_id: String,
        app_secret: Secret,
        instance_id: String,
    ) -> Result<Self, InvalidInput> {
        let url = reqwest::Url::parse(&format!("{}/oauth2/token", base_url.trim_end_matches('/')))
            .map_err(|_| {
                InvalidInput::new("base_url", "is not a URL the token endpoint can be under")
            })?;
        Ok(Self {
            url,
            app_id,
            app_secret,
            instance_id,
            state: Mutex::new(TokenState::default()),
        })
    }

    /// A valid token. `rejected` is a token the server just refused: it is not handed out again.
    pub(crate) async fn token(
        &self,
        fetch: &TokenFetch<'_>,
        rejected: Option<&Secret>,
    ) -> Result<Secret, Error> {
        let operation = fetch.operation;
        // Holding the lock across the fetch is the point: concurrent callers wait for the one
        // fetch in flight and then find its token.
        let mut state = self.state.lock().await;
        let now = Instant::now();
        if let Some(cached) = &state.token
            && now < cached.refresh_at
            && Some(&cached.token) != rejected
        {
            return Ok(cached.token.clone());
        }
        if let Some((until, message, status)) = &state.backoff_until
            && now < *until
        {
            return Err(Error::TokenRequest {
                operation,
                status: *status,
                message: format!(
                    "{message} (not retried for another {} ms)",
                    (*until - now).as_millis()
                ),
            });
        }
        match self.fetch_with_retries(fetch).await {
            Ok((token, lifetime)) => {
                state.token = Some(CachedToken {
                    token: token.clone(),
                    refresh_at: Instant::now() + lifetime - refresh_margin(lifetime),
                });
                state.backoff_until = None;
                state.failures = 0;
                Ok(token)
            }
            Err((message, status)) => {
                state.failures = state.failures.saturating_add(1);
                let wait = FIRST_TOKEN_BACKOFF
                    .saturating_mul(1 << state.failures.saturating_sub(1).min(10))
                    .min(MAX_TOKEN_BACKOFF);
                state.token = None;
                state.backoff_until = Some((Instant::now() + wait, message.clone(), status));
                tracing::warn!(
                    status,
                    wait_ms = wait.as_millis() as u64,
                    "app token request failed: {message}"
                );
                Err(Error::TokenRequest {
                    operation,
                    status,
                    message,
                })
            }
        }
    }

    /// The token request, retried as an API call would be: a refused connection, a lost
    /// answer, a 429 (honouring `Retry-After`) or a 5xx is tried again within the policy's
    /// attempts and the call's time; anything else is final.
    async fn fetch_with_retries(
        &self,
        fetch: &TokenFetch<'_>,
    ) -> Result<(Secret, Duration), (String, Option<u16>)> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (result, outcome) = self.fetch_once(fetch).await;
            let failure = match result {
                Ok(token) => return Ok(token),
                Err(failure) => failure,
            };
            // Asking for a token twice is harmless: the request is safe to replay.
            let decision = fetch.retry.decide(
                Replay::Safe,
                &outcome,
                attempt,
                rand::thread_rng().r#gen::<f64>(),
                remaining(fetch.deadline),
            );
            match decision {
                Decision::Retry(wait) => {
                    tracing::debug!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        ?outcome,
                        "retrying the token request"
                    );
                    tokio::time::sleep(wait).await;
                }
                Decision::Return | Decision::RefreshAndRetry => return Err(failure),
            }
        }
    }

    /// One token request, and how it ended (for the retry policy).
    async fn fetch_once(
        &self,
        fetch: &TokenFetch<'_>,
    ) -> (
        Result<(Secret, Duration), (String, Option<u16>)>,
        AttemptOutcome,
    ) {
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self.app_secret.expose(),
            "instance_id": self.instance_id,
        });
        let response = match fetch.http.post(self.url.clone()).json(&body).send().await {
            Ok(response) => response,
            Err(e) => {
                let outcome = if e.is_connect() {
                    AttemptOutcome::NotSent
                } else {
                    AttemptOutcome::Lost
                };
                let message = format!("token endpoint unreachable: {}", e.without_url());
                return (Err((message, None)), outcome);
            }
        };
        let status = response.status().as_u16();
        let final_answer =
            |message: String| (Err((message, Some(status))), AttemptOutcome::Answered);
        if response.status().is_redirection() || response.url().origin() != self.url.origin() {
            // Following would re-post the secret wherever the server says (a 307/308 keeps the
            // body): never.
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map_or_else(
                    || shown_location(&self.url, response.url().as_str()),
                    |to| shown_location(&self.url, to),
                );
            return final_answer(format!(
                "the token endpoint answered HTTP {status}, a redirect to {location}; not followed"
            ));
        }
        let retry_after = crate::transport::retry_after(response.headers(), SystemTime::now());
        let bytes = match read_bounded(response, fetch.max_body).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(TooLarge)) => {
                return final_answer(format!(
                    "the token response exceeds the bound of {} bytes (max_response_bytes)",
                    fetch.max_body
                ));
            }
            Err(e) => {
                let message = format!("token response broke off: {}", e.without_url());
                return (Err((message, Some(status))), AttemptOutcome::Lost);
            }
        };
        if !(200..300).contains(&status) {
            // OAuth errors are `{error, error_description}`. A server may echo the request in
            // them: the secret is masked, and the text is shortened.
            let detail: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let text = detail["error_description"]
                .as_str()
                .or(detail["error"].as_str())
                .unwrap_or("no description");
            let text = crate::error::DecodeError::excerpt(self.redact(text).as_bytes());
            let outcome = match status {
                429 => AttemptOutcome::Throttled { retry_after },
                500..=599 => AttemptOutcome::ServerError { status },
                _ => AttemptOutcome::Answered,
            };
            return (
                Err((format!("HTTP {status}: {text}"), Some(status))),
                outcome,
            );
        }
        let parsed: TokenResponse = match serde_json::from_slice(&bytes) {
            Ok(parsed) => parsed,
            Err(e) => return final_answer(format!("token response does not decode: {e}")),
        };
        // Wix tokens live 4 hours; a missing lifetime is taken as that, and an absurd one is
        // capped (a day) so that no instant arithmetic can overflow.
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(14_400).clamp(1, 86_400));
        (
            Ok((Secret(parsed.access_token), lifetime)),
            AttemptOutcome::Answered,
        )
    }

    /// `text` with the app secret masked.
    fn redact(&self, text: &str) -> String {
        let secret = self.app_secret.expose();
        if secret.is_empty() {
            text.to_owned()
        } else {
            text.replace(secret, "***")
        }
    }
}

/// The credentials a client holds, as the header values they become (checked once, at build).
pub(crate) enum Credentials {
    /// An API key (with its scope header) or a ready access token.
    Fixed {
        authorization: HeaderValue,
        scope: Option<(&'static str, HeaderValue)>,
        kind: &'static str,
    },
    App(TokenCache),
}

fn sensitive(secret: &Secret, field: &'static str) -> Result<HeaderValue, InvalidInput> {
    let mut value = HeaderValue::from_str(secret.expose())
        .map_err(|_| InvalidInput::new(field, "has characters a header cannot carry"))?;
    value.set_sensitive(true);
    Ok(value)
}

impl Credentials {
    pub(crate) fn new(auth: Auth, base_url: &str) -> Result<Self, InvalidInput> {
        Ok(match auth {
            Auth::ApiKey { key, scope } => {
                let (name, id) = match &scope {
                    KeyScope::Site(id) => ("wix-site-id", id),
                    KeyScope::Account(id) => ("wix-account-id", id),
                };
                let id = HeaderValue::from_str(id)
                    .map_err(|_| InvalidInput::new(name, "has characters a header cannot carry"))?;
                Self::Fixed {
                    authorization: sensitive(&key, "auth.key")?,
                    scope: Some((name, id)),
                    kind: "ApiKey",
                }
            }
            Auth::App {
                app_id,
                app_secret,
                instance_id,
            } => Self::App(TokenCache::new(base_url, app_id, app_secret, instance_id)?),
            Auth::AccessToken(token) => Self::Fixed {
                authorization: sensitive(&token, "auth.token")?,
                scope: None,
                kind: "AccessToken",
            },
        })
    }

    /// The secrets these credentials send (an API key, a fixed token, an app secret), to mask
    /// wherever a server echoes them.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Self::Fixed { authorization, .. } => authorization.to_str().ok().into_iter().collect(),
            Self::App(cache) => vec![cache.app_secret.expose()],
        }
    }

    pub(crate) fn refreshable(&self) -> bool {
        matches!(self, Self::App(_))
    }

    /// Puts the credentials on `headers`; returns the token used, for a refresh after a 401.
    pub(crate) async fn apply(
        &self,
        headers: &mut HeaderMap,
        fetch: &TokenFetch<'_>,
        rejected: Option<&Secret>,
    ) -> Result<Option<Secret>, Error> {
        let operation = fetch.operation;
        match self {
            Self::Fixed {
                authorization,
                scope,
                ..
            } => {
                headers.insert(AUTHORIZATION, authorization.clone());
                if let Some((name, value)) = scope {
                    headers.insert(*name, value.clone());
                }
                Ok(None)
            }
            Self::App(cache) => {
                let token = cache.token(fetch, rejected).await?;
                let value = sensitive(&token, "access_token").map_err(|_| Error::TokenRequest {
                    operation,
                    status: None,
                    message: "the token endpoint returned a token a header cannot carry".into(),
                })?;
                headers.insert(AUTHORIZATION, value);
                Ok(Some(token))
            }
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed { scope, kind, .. } => {
                write!(f, "{kind}")?;
                if let Some((name, value)) = scope {
                    write!(f, "({name}: {value:?})")?;
                }
                Ok(())
            }
            Self::App(cache) => write!(
                f,
                "App {{ app_id: {:?}, instance_id: {:?} }}",
                cache.app_id, cache.instance_id
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let auth = Auth::app("app-1", "s3cr3t-app", "inst-1");
        let key = Auth::api_key("s3cr3t-key", "site-1");
        let token = Auth::access_token("s3cr3t-token");
        for text in [
            format!("{auth:?}"),
            format!("{key:?}"),
            format!("{token:?}"),
            format!("{:?}", Credentials::new(auth.clone(), "http://x").unwrap()),
            format!("{:?}", Credentials::new(key.clone(), "http://x").unwrap()),
            format!("{}", Secret::new("s3cr3t-x")),
        ] {
            assert!(!text.contains("s3cr3t"), "{text}");
        }
        assert!(format!("{auth:?}").contains("app-1"), "ids are not secrets");
    }

    #[test]
    fn tokens_are_refreshed_a_tenth_of_their_life_early_at_most_five_minutes() {
        let cases = [(14_400, 300), (600, 60), (2, 0), (0, 0)];
        for (lifetime, margin) in cases {
            assert_eq!(
                refresh_margin(Duration::from_secs(lifetime)).as_secs(),
                margin,
                "{lifetime}"
            );
        }
        assert_eq!(
            refresh_margin(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
    }
}
