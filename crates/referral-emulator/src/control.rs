//! A client of the emulator's control API (`/_emulator/v1`: sites, seeding, faults, webhooks,
//! orders), for the testkit, the CLI's demo and tests that drive an emulator they did not start.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::faults::FaultRule;
use crate::seed::{SeedCounts, SeedRequest};

/// A site's credentials, as `POST /sites` hands them out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteKeys {
    pub site_id: Uuid,
    /// Send as `Authorization` with `wix-site-id`.
    pub api_key: String,
    /// The app installed on the site (OAuth `client_id`).
    pub app_id: String,
    /// Its `client_secret`.
    pub app_secret: String,
    /// Its instance (OAuth `instance_id`).
    pub instance_id: Uuid,
}

impl std::fmt::Debug for SiteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteKeys")
            .field("site_id", &self.site_id)
            .field("api_key", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .field("instance_id", &self.instance_id)
            .finish()
    }
}

/// Something a referred friend did (an order, a booking…), for `record_action`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FriendActionInput {
    /// The friend's contact.
    pub contact_id: Uuid,
    /// One of the program's action names, e.g. `STORE_ORDER_PLACED`.
    pub action: String,
    /// A decimal string with at most two decimals, e.g. `"25.00"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// ISO 4217, e.g. `USD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

impl FriendActionInput {
    /// A paid store order.
    pub fn order(contact_id: Uuid, amount: impl Into<String>, currency: impl Into<String>) -> Self {
        Self {
            contact_id,
            action: "STORE_ORDER_PLACED".into(),
            amount: Some(amount.into()),
            currency: Some(currency.into()),
            order_id: Some(format!("order-{}", Uuid::new_v4())),
        }
    }
}

/// What an action caused: the events and rewards it recorded, as the Wix API shows them, and
/// why something one might expect did not happen (a program that is not active, a deleted
/// referring customer, an order recorded before).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ActionOutcome {
    pub events: Vec<Value>,
    pub rewards: Vec<Value>,
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The fault rules in force and how many requests each has failed so far.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FaultState {
    pub rules: Vec<FaultRule>,
    pub failed: Vec<u32>,
}

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

    /// Creates an isolated site with its own credentials.
    pub async fn create_site(&self) -> Result<SiteKeys, ControlError> {
        self.call(Method::POST, "/sites", None::<&()>).await
    }

    /// A member token for `contact` on `site`: calls made with it are that member's.
    pub async fn create_member(&self, site: Uuid, contact: Uuid) -> Result<String, ControlError> {
        self.create_member_with_scope(site, contact, None).await
    }

    /// [`Self::create_member`] whose token's scope carries `referral_code`, as a member who
    /// arrived through a referral link: Create Referred Friend may then send an empty body.
    pub async fn create_member_with_scope(
        &self,
        site: Uuid,
        contact: Uuid,
        referral_code: Option<&str>,
    ) -> Result<String, ControlError> {
        #[derive(Deserialize)]
        struct Member {
            token: String,
        }
        let body = serde_json::json!({"contactId": contact, "referralCode": referral_code});
        let member: Member = self
            .call(Method::POST, &format!("/sites/{site}/members"), Some(&body))
            .await?;
        Ok(member.token)
    }

    /// Records a referred friend's action: the events and rewards it causes.
    pub async fn record_action(
        &self,
        site: Uuid,
        action: &FriendActionInput,
    ) -> Result<ActionOutcome, ControlError> {
        self.call(
            Method::POST,
            &format!("/sites/{site}/actions"),
            Some(action),
        )
        .await
    }

    /// The receiver of `reward` used its coupon: the coupon becomes `APPLIED`. Returns the
    /// reward as the Wix API shows it.
    pub async fn redeem_coupon(&self, site: Uuid, reward: Uuid) -> Result<Value, ControlError> {
        self.call::<Value>(
            Method::POST,
            &format!("/sites/{site}/rewards/{reward}/redeem"),
            None::<&()>,
        )
        .await
        .map(|answer| answer["referralReward"].clone())
    }

    /// Seeds `site` with deterministic demo data.
    pub async fn seed(
        &self,
        site: Uuid,
        request: &SeedRequest,
    ) -> Result<SeedCounts, ControlError> {
        self.call(Method::POST, &format!("/sites/{site}/seed"), Some(request))
            .await
    }

    /// Replaces the fault rules; the random sequence starts again from `seed`.
    pub async fn set_faults(&self, rules: &[FaultRule], seed: u64) -> Result<(), ControlError> {
        self.call::<Value>(Method::PUT, &format!("/faults?seed={seed}"), Some(&rules))
            .await
            .map(drop)
    }

    /// Removes every fault rule.
    pub async fn clear_faults(&self) -> Result<(), ControlError> {
        self.call::<Value>(Method::DELETE, "/faults", None::<&()>)
            .await
            .map(drop)
    }

    /// The rules in force and how many requests each has failed.
    pub async fn faults(&self) -> Result<FaultState, ControlError> {
        self.call(Method::GET, "/faults", None::<&()>).await
    }

    /// The newest `limit` logged Wix API requests of `site` (of every site with `None`), newest
    /// first.
    pub async fn requests(
        &self,
        site: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<crate::RequestRecord>, ControlError> {
        let mut path = format!("/requests?limit={limit}");
        if let Some(site) = site {
            path.push_str(&format!("&site={site}"));
        }
        #[derive(serde::Deserialize)]
        struct Listing {
            requests: Vec<crate::RequestRecord>,
        }
        self.call::<Listing>(Method::GET, &path, None::<&()>)
            .await
            .map(|listing| listing.requests)
    }

    /// Forgets every logged request.
    pub async fn clear_requests(&self) -> Result<(), ControlError> {
        self.call::<Value>(Method::DELETE, "/requests", None::<&()>)
            .await
            .map(drop)
    }

    /// Sends `site`'s domain events to `url` as signed webhooks.
    pub async fn register_webhook(&self, site: Uuid, url: &str) -> Result<(), ControlError> {
        let body = serde_json::json!({"url": url});
        self.call::<Value>(
            Method::POST,
            &format!("/sites/{site}/webhooks"),
            Some(&body),
        )
        .await
        .map(drop)
    }

    /// Refuses (`true`) or accepts with a warning (`false`) what Wix's documents show but its
    /// reference pages do not: operators without `$`, an update without a revision, …
    pub async fn set_strict(&self, strict: bool) -> Result<(), ControlError> {
        let body = serde_json::json!({ "strict": strict });
        self.call::<Value>(Method::PUT, "/strict", Some(&body))
            .await
            .map(drop)
    }

    /// Forgets everything but the default site's credentials.
    pub async fn reset(&self) -> Result<(), ControlError> {
        self.call::<Value>(Method::POST, "/reset", None::<&()>)
            .await
            .map(drop)
    }

    /// Asks the process running the emulator to stop.
    pub async fn shutdown(&self) -> Result<(), ControlError> {
        self.call::<Value>(Method::POST, "/shutdown", None::<&()>)
            .await
            .map(drop)
    }

    /// One control call with a typed body and answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, ControlError> {
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| ControlError {
                method: method.clone(),
                path: path.to_owned(),
                status: None,
                detail: format!("the request does not serialize: {e}"),
            })?;
        let answer = self.send(method.clone(), path, body.as_ref()).await?;
        serde_json::from_value(answer).map_err(|e| ControlError {
            method,
            path: path.to_owned(),
            status: Some(200),
            detail: format!("unexpected answer: {e}"),
        })
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
        match body {
            Some(body) => request = request.json(body),
            // The emulator takes a state-changing call only as JSON (a page cannot send that
            // without a preflight), with or without a body.
            None if method != Method::GET => {
                request = request.header(reqwest::header::CONTENT_TYPE, "application/json");
            }
            None => {}
        }
        if let Some(key) = &self.key {
            request = request.header(crate::state::CONTROL_KEY_HEADER, key);
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
