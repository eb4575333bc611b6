//! One error type for every call. The HTTP status survives every failure that had a response
//! (an empty-bodied 5xx, an HTML page from a proxy, an undecodable body), and no error carries a
//! credential: requests are never formatted with their headers.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::enums::OpenEnum;

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Caught before sending: what the user asked for breaks a documented input rule.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),

    /// 404: the entity does not exist (or not on this site).
    #[error("{0}")]
    NotFound(Box<ApiError>),

    /// 409: the entity changed since the revision that was sent. Re-read and try again (the
    /// `*_with` helpers do it for you).
    #[error("{0}")]
    RevisionConflict(Box<ApiError>),

    /// 428: a business precondition failed, such as an inactive program or an unknown code.
    #[error("{api}")]
    #[non_exhaustive]
    FailedPrecondition {
        /// What the server says failed, as far as this SDK knows the code.
        precondition: Precondition,
        /// The error response.
        api: Box<ApiError>,
    },

    /// 429: too many requests. `retry_after` is the server's `Retry-After`, when it sent one.
    #[error("{api}{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    #[non_exhaustive]
    RateLimited {
        /// How long the server asked to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
        /// The error response.
        api: Box<ApiError>,
    },

    /// 401: missing, unknown or expired credentials.
    #[error("{0}")]
    Unauthenticated(Box<ApiError>),

    /// 403: the credentials do not reach this site or method.
    #[error("{0}")]
    Forbidden(Box<ApiError>),

    /// Any other error response: 400 validation errors (with their field violations), other 4xx
    /// and 5xx (whose bodies may be empty).
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The app's OAuth token could not be obtained.
    #[error("{operation}: could not get an access token: {message}")]
    #[non_exhaustive]
    TokenRequest {
        /// The operation the token was needed for.
        operation: &'static str,
        /// The token endpoint's HTTP status; `None` when no response arrived.
        status: Option<u16>,
        /// What went wrong, with the endpoint's own description (credentials masked).
        message: String,
    },

    /// No response: the connection failed or broke. `request_sent` says whether the request
    /// may have reached the server (a write might then have been applied).
    #[error("{operation}: transport error ({}): {source}", if *request_sent { "the request may have reached the server" } else { "the request was not sent" })]
    #[non_exhaustive]
    Transport {
        /// The operation, such as `get_referral_reward`.
        operation: &'static str,
        /// Whether the request may have reached the server.
        request_sent: bool,
        /// The transport's error.
        #[source]
        source: reqwest::Error,
    },

    /// The overall time limit of the call ran out (over `attempts` attempts).
    #[error("{operation}: timed out after {} ms ({attempts} attempt(s))", elapsed.as_millis())]
    #[non_exhaustive]
    Timeout {
        /// The operation, such as `get_referral_reward`.
        operation: &'static str,
        /// How long the call ran.
        elapsed: Duration,
        /// Attempts started.
        attempts: u32,
    },

    /// A response arrived but its body is not what the operation documents.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// The server answered with a redirect. Wix does not redirect, and following one could carry
    /// the request (and, for the token request, the app secret) to another origin, so the client
    /// follows none. `location` is where it pointed, without its query or credentials.
    #[error(
        "{operation}: the server answered {status}, a redirect to {location}; Wix does not redirect, so it is not followed"
    )]
    Redirected {
        /// The operation, such as `get_referral_reward`.
        operation: &'static str,
        /// The redirect's status (301, 302, 303, 307, 308).
        status: u16,
        /// Where it pointed, without its query or credentials.
        location: String,
    },

    /// The response body was larger than the client's bound
    /// ([`crate::WixReferralClientBuilder::max_response_bytes`]); reading stopped there.
    #[error(
        "{operation}: the response body (HTTP {status}) exceeds the bound of {limit} bytes (max_response_bytes)"
    )]
    ResponseTooLarge {
        /// The operation, such as `get_referral_reward`.
        operation: &'static str,
        /// The status of the response whose body was too large.
        status: u16,
        /// The bound, in bytes.
        limit: u64,
    },

    /// Wix answered 404 on a method whose REST path Wix does not document (Query Referring
    /// Customer Totals, Query Referred Friend Actions; docs/decisions.md item 2): the path this
    /// SDK inferred may be wrong, rather than anything missing.
    #[error(
        "{api} — Wix documents no REST path for this method and the path this SDK uses is inferred, not verified: it may be wrong"
    )]
    #[non_exhaustive]
    UnverifiedPath {
        /// The 404.
        api: Box<ApiError>,
    },

    /// A stream of pages stopped before the server said it was done: see [`PagingError`]. Every
    /// item received before it was handed over first.
    #[error(transparent)]
    Paging(#[from] PagingError),

    /// A flow asked for items sorted (the performance report: referred friends by
    /// `referringCustomerId`) and the server sent them out of order. Counting on would give
    /// wrong numbers, so the flow stops instead.
    #[error(
        "{entity} query: the server did not sort by {field} as asked (item {item} came out of order), so the counts would be wrong"
    )]
    #[non_exhaustive]
    Unsorted {
        /// The entity queried, as Wix names it (`referredFriend`).
        entity: &'static str,
        /// The field the items were to be sorted by.
        field: &'static str,
        /// Which item (1-based) broke the order.
        item: u64,
    },
}

/// Why a stream of pages stopped early. The stream has yielded every item of the `pages` pages
/// it received (`items` in all) before this error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{entity} query: the stream stopped after {pages} page(s) and {items} item(s): {reason}")]
#[non_exhaustive]
pub struct PagingError {
    /// The entity queried, as Wix names it (`referredFriend`).
    pub entity: &'static str,
    /// Why it stopped.
    pub reason: PagingStop,
    /// Pages received before it stopped.
    pub pages: u64,
    /// Items yielded before it stopped.
    pub items: u64,
}

/// What made a stream stop early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagingStop {
    /// The server returned a cursor it had returned before (a repeat or a cycle): following it
    /// would loop.
    #[error("the server returned a cursor it had returned before")]
    RepeatedCursor,
    /// The server said there were more pages (`hasNext`) but gave no cursor to fetch them.
    #[error("the server said more pages follow but gave no cursor")]
    MissingCursor,
    /// Too many pages in a row had no items ([`crate::StreamLimits::max_empty_pages`]).
    #[error("{0} pages in a row had no items")]
    EmptyPages(u32),
    /// The stream's page budget ran out ([`crate::StreamLimits::max_pages`]).
    #[error("the budget of {0} pages ran out")]
    PageBudget(u64),
    /// The stream's deadline passed ([`crate::StreamLimits::deadline`]).
    #[error("its deadline of {} ms passed", .0.as_millis())]
    Deadline(Duration),
}

/// The error a response with this status and envelope is, as the client classifies it: 401
/// `Unauthenticated`, 403 `Forbidden`, 404 `NotFound`, 409 `RevisionConflict`, 428
/// `FailedPrecondition` (by `api.code`), 429 `RateLimited` (no `Retry-After`), anything else
/// `Api`. For mocks: `Error::from(ApiError::new("get_referral_program", 404))`.
impl From<ApiError> for Error {
    fn from(api: ApiError) -> Self {
        let api = Box::new(api);
        match api.status {
            401 => Error::Unauthenticated(api),
            403 => Error::Forbidden(api),
            404 => Error::NotFound(api),
            409 => Error::RevisionConflict(api),
            428 => {
                let Ok(precondition) = api.code.as_deref().unwrap_or("").parse::<Precondition>();
                Error::FailedPrecondition { precondition, api }
            }
            429 => Error::RateLimited {
                retry_after: None,
                api,
            },
            _ => Error::Api(api),
        }
    }
}

impl Error {
    /// A 428 with this precondition (for mocks; the client makes these from responses).
    pub fn failed_precondition(precondition: Precondition, api: ApiError) -> Self {
        Error::FailedPrecondition {
            precondition,
            api: Box::new(api),
        }
    }

    /// A 429 asking to wait `retry_after` (for mocks).
    pub fn rate_limited(retry_after: Option<Duration>, api: ApiError) -> Self {
        Error::RateLimited {
            retry_after,
            api: Box::new(api),
        }
    }

    /// The HTTP status of the response behind this error, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Decode(decode) => Some(decode.status),
            Self::TokenRequest { status, .. } => *status,
            Self::Redirected { status, .. } | Self::ResponseTooLarge { status, .. } => {
                Some(*status)
            }
            // The variants that carry an error response: `api` lists them once.
            _ => self.api().map(|api| api.status),
        }
    }

    /// The Wix `applicationError.code`, such as `REVISION_MISMATCH` or `PROGRAM_NOT_ACTIVE`. Not
    /// documented by Wix: the referral APIs' code names (Wix documents the 409 and 428 statuses);
    /// the SDK decides by status, and by these names only where docs/decisions.md items 7–8 say.
    pub fn code(&self) -> Option<&str> {
        self.api().and_then(|api| api.code.as_deref())
    }

    /// The `x-wix-request-id` of the response, to quote in a Wix support request.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Decode(decode) => decode.request_id.as_deref(),
            _ => self.api().and_then(|api| api.request_id.as_deref()),
        }
    }

    /// The error response, for errors that have one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::NotFound(api)
            | Self::RevisionConflict(api)
            | Self::FailedPrecondition { api, .. }
            | Self::RateLimited { api, .. }
            | Self::Unauthenticated(api)
            | Self::Forbidden(api)
            | Self::UnverifiedPath { api }
            | Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The rule violations of a 400 (or of input refused before sending).
    pub fn field_violations(&self) -> &[FieldViolation] {
        match self {
            Self::InvalidInput(input) => input.violations(),
            _ => self.api().map_or(&[], |api| &api.field_violations),
        }
    }

    /// 404: the entity does not exist (see [`OptionalExt::optional`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound(_))
    }

    /// 409: the revision sent is not the entity's current one (someone else wrote first).
    pub fn is_revision_conflict(&self) -> bool {
        matches!(self, Self::RevisionConflict(_))
    }

    /// Whether the same call may succeed later without changes: 429, 5xx, transport failures
    /// and timeouts. (The client has already retried where replaying was safe.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Api(api) => api.status >= 500,
            Self::TokenRequest { status, .. } => status.is_none_or(|s| s >= 500 || s == 429),
            _ => false,
        }
    }

    /// Masks every occurrence of `secrets` in what the server sent (messages, descriptions,
    /// field violations, body excerpts): a server may echo a request's credentials back.
    pub(crate) fn redact(mut self, secrets: &[&str]) -> Self {
        let secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
        if secrets.is_empty() {
            return self;
        }
        let mask = |text: &mut String| {
            for secret in &secrets {
                if text.contains(secret) {
                    *text = text.replace(secret, "***");
                }
            }
        };
        match &mut self {
            Self::NotFound(api)
            | Self::RevisionConflict(api)
            | Self::FailedPrecondition { api, .. }
            | Self::RateLimited { api, .. }
            | Self::Unauthenticated(api)
            | Self::Forbidden(api)
            | Self::Api(api) => {
                mask(&mut api.message);
                for text in [&mut api.code, &mut api.description, &mut api.request_id]
                    .into_iter()
                    .flatten()
                {
                    mask(text);
                }
                for violation in &mut api.field_violations {
                    mask(&mut violation.field);
                    mask(&mut violation.description);
                }
            }
            Self::Decode(decode) => {
                mask(&mut decode.message);
                mask(&mut decode.excerpt);
                mask(&mut decode.path);
            }
            Self::TokenRequest { message, .. } => mask(message),
            Self::Redirected { location, .. } => mask(location),
            _ => {}
        }
        self
    }

    /// Turns a 404 into `Ok(None)`, for lookups where absence is an answer.
    pub(crate) fn not_found_as_none<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `Result<T, Error>` → `Result<Option<T>, Error>` with 404 as `None`.
pub trait OptionalExt<T> {
    /// `Ok(None)` for a 404, everything else as it was.
    fn optional(self) -> Result<Option<T>, Error>;
}

impl<T> OptionalExt<T> for Result<T, Error> {
    fn optional(self) -> Result<Option<T>, Error> {
        Error::not_found_as_none(self)
    }
}

/// An error response of the Wix API (the envelope of docs/platform.md §3.1).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation, such as `get_referral_reward`.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The envelope's `message` (empty for the empty-bodied 5xx Wix sends).
    pub message: String,
    /// `details.applicationError.code`.
    pub code: Option<String>,
    /// `details.applicationError.description`.
    pub description: Option<String>,
    /// `details.validationError.fieldViolations`.
    pub field_violations: Vec<FieldViolation>,
    /// `x-wix-request-id`.
    pub request_id: Option<String>,
}

impl ApiError {
    /// An error response with only its status, for mocks and tests; set the other fields as
    /// needed (`code`, `message`, `field_violations`...).
    pub fn new(operation: &'static str, status: u16) -> Self {
        Self {
            operation,
            status,
            message: String::new(),
            code: None,
            description: None,
            field_violations: Vec::new(),
            request_id: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(description) = self.description.as_ref().filter(|d| **d != self.message) {
            write!(f, " ({description})")?;
        }
        for violation in &self.field_violations {
            write!(f, "; {violation}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

/// One broken rule of a request field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldViolation {
    /// Path of the field, such as `query.cursorPaging.limit` or `referralProgram.name`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
    /// The rule family when the server names one (`FORMAT`, `MAX`, ...).
    pub rule: Option<String>,
}

impl FieldViolation {
    /// A violation of `field` (a path such as `referralProgram.name`).
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
            rule: None,
        }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Input refused before sending, naming each field and the rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidInput {
    violations: Vec<FieldViolation>,
}

impl InvalidInput {
    /// Input refused for one field.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            violations: vec![FieldViolation::new(field, description)],
        }
    }

    /// `None` when there is nothing to report.
    pub(crate) fn from_violations(violations: Vec<FieldViolation>) -> Option<Self> {
        (!violations.is_empty()).then_some(Self { violations })
    }

    /// Each field refused and why.
    pub fn violations(&self) -> &[FieldViolation] {
        &self.violations
    }
}

/// A successful response that lacks the entity the operation returns.
pub(crate) fn missing(operation: &'static str, field: &str) -> Error {
    Error::Decode(DecodeError {
        operation,
        status: 200,
        path: field.to_owned(),
        message: "missing: the response does not carry it".to_owned(),
        excerpt: String::new(),
        request_id: None,
    })
}

/// A response body that does not decode: where it failed and what it looked like.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{operation}: HTTP {status} response does not decode at `{path}`: {message}; body starts {excerpt:?}"
)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation, such as `get_referral_reward`.
    pub operation: &'static str,
    /// The HTTP status of the response.
    pub status: u16,
    /// The JSON path that failed, such as `referralReward.createdDate` (`.` for the root).
    pub path: String,
    /// What the decoder said.
    pub message: String,
    /// The start of the body, at most [`DecodeError::EXCERPT_LEN`] bytes.
    pub excerpt: String,
    /// `x-wix-request-id`, for Wix support.
    pub request_id: Option<String>,
}

impl DecodeError {
    /// How much of the body `excerpt` keeps, in bytes.
    pub const EXCERPT_LEN: usize = 256;

    /// The first bytes of a body, cut at a character boundary.
    pub(crate) fn excerpt(body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let mut end = text.len().min(Self::EXCERPT_LEN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text[..end].to_owned()
    }
}

/// The reason of a 428 (docs/decisions.md item 7), open to codes Wix adds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Precondition {
    /// The referral program is not `ACTIVE`.
    ProgramNotActive,
    /// No referring customer has that referral code.
    InvalidReferralCode,
    /// The friend's contact is the referring customer's own.
    SelfReferral,
    /// Another code, or none.
    Unknown(String),
}

impl OpenEnum for Precondition {
    const KNOWN: &'static [Self] = &[
        Self::ProgramNotActive,
        Self::InvalidReferralCode,
        Self::SelfReferral,
    ];

    fn as_str(&self) -> &str {
        match self {
            Self::ProgramNotActive => "PROGRAM_NOT_ACTIVE",
            Self::InvalidReferralCode => "INVALID_REFERRAL_CODE",
            Self::SelfReferral => "SELF_REFERRAL",
            Self::Unknown(other) => other,
        }
    }

    fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl FromStr for Precondition {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::KNOWN
            .iter()
            .find(|known| known.as_str() == s)
            .cloned()
            .unwrap_or_else(|| Self::Unknown(s.to_owned())))
    }
}

impl fmt::Display for Precondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Box<ApiError> {
        Box::new(ApiError {
            operation: "get_referral_reward",
            status,
            message: String::new(),
            code: None,
            description: None,
            field_violations: Vec::new(),
            request_id: Some("1734427301.19".into()),
        })
    }

    #[test]
    fn every_kind_keeps_its_status_and_says_whether_to_retry() {
        let cases: Vec<(Error, Option<u16>, bool)> = vec![
            (Error::NotFound(api(404)), Some(404), false),
            (Error::RevisionConflict(api(409)), Some(409), false),
            (
                Error::FailedPrecondition {
                    precondition: Precondition::SelfReferral,
                    api: api(428),
                },
                Some(428),
                false,
            ),
            (
                Error::RateLimited {
                    retry_after: None,
                    api: api(429),
                },
                Some(429),
                true,
            ),
            (Error::Unauthenticated(api(401)), Some(401), false),
            (Error::Forbidden(api(403)), Some(403), false),
            (Error::Api(api(400)), Some(400), false),
            (Error::Api(api(503)), Some(503), true),
            (
                Error::Timeout {
                    operation: "x",
                    elapsed: Duration::from_secs(1),
                    attempts: 2,
                },
                None,
                true,
            ),
            (
                DecodeError {
                    operation: "x",
                    status: 200,
                    path: "a.b".into(),
                    message: "bad".into(),
                    excerpt: "{".into(),
                    request_id: None,
                }
                .into(),
                Some(200),
                false,
            ),
            (InvalidInput::new("name", "too short").into(), None, false),
        ];
        for (error, status, retryable) in cases {
            assert_eq!(error.status(), status, "{error}");
            assert_eq!(error.is_retryable(), retryable, "{error}");
        }
    }

    #[test]
    fn the_message_names_status_code_and_request() {
        let mut e = api(409);
        e.code = Some("REVISION_MISMATCH".into());
        e.message = "entity has already changed since the requested revision".into();
        assert_eq!(
            Error::RevisionConflict(e).to_string(),
            "get_referral_reward: HTTP 409 REVISION_MISMATCH: entity has already changed since \
             the requested revision [request 1734427301.19]"
        );
    }

    #[test]
    fn excerpts_are_bounded_and_cut_on_a_character() {
        let body = "é".repeat(300);
        let excerpt = DecodeError::excerpt(body.as_bytes());
        assert!(excerpt.len() <= DecodeError::EXCERPT_LEN);
        assert!(excerpt.chars().all(|c| c == 'é'));
    }
}
