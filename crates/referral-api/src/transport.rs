//! How the generated client sends a request. By default it sends it once, plainly; the SDK layer
//! (`referral-domain`) plugs in a [`Transport`] that adds authentication, retries, rate limiting
//! and per-attempt tracing. The generated `Client` holds a [`Sender`] as its inner value, and the
//! `exec` hook (`hooks.rs`) hands every request to it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, sendable future, the return type of [`Transport::execute`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one logical call of `operation` (the operation id, such as `get_referral_reward`) and
/// returns the response that the generated code decodes. An implementation may send the request
/// several times (`reqwest::Request::try_clone`), change its headers, and buffer the body.
pub trait Transport: Send + Sync {
    /// Sends `request` (once or more) with `http`, for the operation `operation`.
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// The generated client's inner value: a plug-in [`Transport`], or none (send once, plainly).
#[derive(Clone, Default)]
pub struct Sender(Option<Arc<dyn Transport>>);

impl Sender {
    /// Sends every request once, as built.
    pub fn plain() -> Self {
        Self(None)
    }

    /// Sends every request through `transport`.
    pub fn through(transport: Arc<dyn Transport>) -> Self {
        Self(Some(transport))
    }

    pub(crate) fn transport(&self) -> Option<&dyn Transport> {
        self.0.as_deref()
    }
}

impl fmt::Debug for Sender {
    // A transport may hold credentials: say only which kind of sender this is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "Sender::Transport",
            None => "Sender::Plain",
        })
    }
}
