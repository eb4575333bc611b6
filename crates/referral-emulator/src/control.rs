//! A client of the emulator's control API (`/_emulator/v1`: sites, seeding, faults, webhooks,
//! orders), for the testkit, the CLI's demo and tests that drive an emulator they did not start.

use reqwest::Method;
use serde_json::Value;

/// The control API of one emulator.
#[derive(Clone)]
pub struct ControlClient {
    http: reqwest::Client,
    base_url: String,
    key: Option<String>,
}

impl std::fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlClient")
            .field("base_url", &self.base_url)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A control call that did not succeed: nothing answered, or the answer was not a 2xx.
#[derive(Debug, thiserror::Error)]
#[error("emulator control {method} {path}: {detail}")]
pub struct ControlError {
    pub method: Method,
    /// The path below `/_emulator/v1`, e.g. `/faults`.
    pub path: String,
    /// The HTTP status, when the emulator answered.
    pub status: Option<u16>,
    pub detail: String,
}

impl ControlClient {
    /// For the emulator at `base_url` (`http://127.0.0.1:PORT`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_http(reqwest::Client::new(), base_url)
    }

    /// Shares a `reqwest::Client` (and its connection pool) with the caller.
    pub fn with_http(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self {
            http,
            base_url,
            key: None,
        }
    }

    /// Sends the control key of an emulator started with one (`Settings::control_key`).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sends one control call; `path` is below `/_emulator/v1` and may carry a query string.
    /// Returns the JSON answer, or `Value::Null` for an empty or non-JSON 2xx body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ControlError> {
        let failed = |status: Option<u16>, detail: String| ControlError {
            method: method.clone(),
            path: path.to_owned(),
            status,
            detail,
        };
        let mut request = self.http.request(
            method.clone(),
            format!("{}/_emulator/v1{path}", self.base_url),
        );
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(key) = &self.key {
            request = request.header(crate::app::CONTROL_KEY_HEADER, key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| failed(None, e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| failed(Some(status.as_u16()), e.to_string()))?;
        if !status.is_success() {
            return Err(failed(
                Some(status.as_u16()),
                format!("HTTP {status}: {text}"),
            ));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Emulator;

    #[tokio::test]
    async fn answers_and_refusals_are_told_apart() {
        let emulator = Emulator::start().await.expect("the emulator starts");
        let control = emulator.control();

        let site = control
            .send(Method::POST, "/sites", None)
            .await
            .expect("a site is created");
        assert!(site["siteId"].as_str().is_some_and(|id| !id.is_empty()));

        let refused = control
            .send(
                Method::PUT,
                "/faults",
                Some(&serde_json::json!({"rules": "no"})),
            )
            .await
            .expect_err("a malformed rule set is refused");
        assert_eq!(refused.path, "/faults");
        assert_eq!(refused.status, Some(400));

        drop(emulator);
        let unreachable = control
            .send(Method::GET, "/faults", None)
            .await
            .expect_err("nothing answers once the emulator stopped");
        assert_eq!(unreachable.status, None);
    }
}
