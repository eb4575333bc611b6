//! One line per failure: what went wrong, the Wix code and request id, and what to do next.
//! Exit code 1 for API and runtime errors, 2 for usage errors.

use std::fmt;

use referral_domain::{Error, Precondition};

#[derive(Debug)]
pub(crate) enum CliError {
    /// The command line or a file it names is wrong: exit code 2.
    Usage(String),
    /// The API (or the SDK before sending) refused: exit code 1.
    Api(Box<Error>),
    /// Anything else at run time (files, the local emulator): exit code 1.
    Runtime(String),
    /// Writing the output failed: a closed pipe ends quietly with 141 (as SIGPIPE would),
    /// anything else (a full disk) is exit code 1.
    Output(std::io::Error),
    /// A listing stopped after `printed` items, which were printed: exit code 1.
    Partial {
        /// Items printed before the error.
        printed: u64,
        /// Why the listing stopped.
        error: Box<Error>,
    },
}

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    pub(crate) fn runtime(message: impl Into<String>) -> Self {
        Self::Runtime(message.into())
    }

    /// Whether stdout's reader went away (`| head`): nothing is worth saying then.
    pub(crate) fn is_closed_pipe(&self) -> bool {
        matches!(self, Self::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ if self.is_closed_pipe() => 141,
            Self::Api(e) if matches!(**e, Error::InvalidInput(_)) => 2,
            _ => 1,
        }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        Self::Api(Box::new(e))
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self::Output(e)
    }
}

impl From<referral_emulator::ControlError> for CliError {
    fn from(e: referral_emulator::ControlError) -> Self {
        Self::runtime(e.to_string())
    }
}

impl From<referral_domain::InvalidInput> for CliError {
    fn from(e: referral_domain::InvalidInput) -> Self {
        Self::Api(Box::new(Error::InvalidInput(e)))
    }
}

/// What to try next for an API error.
fn hint(e: &Error) -> Option<String> {
    Some(match e {
        Error::NotFound(_) => "check the id; `list` shows what exists".into(),
        Error::UnverifiedPath { .. } => {
            "this method's path is not documented by Wix; please report it with the request id"
                .into()
        }
        Error::RevisionConflict(_) => "it changed meanwhile: run the command again".into(),
        Error::FailedPrecondition {
            precondition: Precondition::ProgramNotActive,
            ..
        } => "activate it first: wix-referral program activate".into(),
        Error::FailedPrecondition { .. } => {
            "check the referral code and the friend's contact".into()
        }
        Error::RateLimited {
            retry_after: Some(wait),
            ..
        } => format!("wait {} s and try again", wait.as_secs()),
        Error::RateLimited { .. } => "wait a minute and try again".into(),
        Error::Unauthenticated(_) | Error::TokenRequest { .. } => {
            "check WIX_API_KEY (or the app's WIX_APP_ID and WIX_APP_SECRET, or the profile)".into()
        }
        Error::Forbidden(_) => "the credentials do not reach this site: check WIX_SITE_ID".into(),
        Error::Transport { .. } | Error::Timeout { .. } => {
            "is the server reachable? see --base-url".into()
        }
        Error::Api(api) if api.status >= 500 => "a server error: try again later".into(),
        Error::Decode(_) => {
            "the server sent something unexpected: report it with the request id".into()
        }
        _ => return None,
    })
}

/// An SDK error with its request id and what to try next.
fn write_api(f: &mut fmt::Formatter<'_>, e: &Error) -> fmt::Result {
    write!(f, "{e}")?;
    if let (Some(id), false) = (e.request_id(), e.to_string().contains("[request ")) {
        write!(f, " [request {id}]")?;
    }
    if let Some(hint) = hint(e) {
        write!(f, " — {hint}")?;
    }
    Ok(())
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) | Self::Runtime(message) => f.write_str(message),
            Self::Output(e) => write!(f, "writing to standard output: {e}"),
            Self::Partial { printed, error } => {
                write!(
                    f,
                    "the listing is incomplete ({printed} item(s) printed above): "
                )?;
                write_api(f, error)
            }
            Self::Api(e) => write_api(f, e),
        }
    }
}
