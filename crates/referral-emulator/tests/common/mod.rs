//! Black-box helpers: plain reqwest + serde_json against a running emulator, as any Wix client.
#![allow(dead_code)]

use referral_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub(crate) const PROGRAM: &str = "/_api/referral-programs/v1/program";
pub(crate) const CUSTOMERS: &str = "/referral-customers/v1/referring-customers";
pub(crate) const FRIENDS: &str = "/referral_friends/v1/referred-friends";
pub(crate) const REWARDS: &str = "/_api/referral-rewards/v1/referral-rewards";
pub(crate) const TRACKER: &str = "/_api/referral-tracker/v1";

/// A response: status, request id header, JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub request_id: Option<String>,
    pub retry_after: Option<String>,
    pub body: Value,
    pub raw: String,
}

impl Reply {
    #[track_caller]
    pub(crate) fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.raw);
        self.body
    }

    #[track_caller]
    pub(crate) fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.raw);
        self
    }

    /// The first field violation's `field`.
    pub(crate) fn violation_field(&self) -> Option<&str> {
        self.body
            .pointer("/details/validationError/fieldViolations/0/field")
            .and_then(Value::as_str)
    }

    pub(crate) fn application_code(&self) -> Option<&str> {
        self.body
            .pointer("/details/applicationError/code")
            .and_then(Value::as_str)
    }

    #[track_caller]
    pub(crate) fn expect_violation(&self, field: &str) {
        self.expect(400);
        assert_eq!(self.violation_field(), Some(field), "{}", self.raw);
    }
}

/// Who a request is sent as.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    ApiKey { key: String, site: String },
    Token(String),
    Raw(Vec<(String, String)>),
    None,
}

pub(crate) struct Api {
    pub emulator: EmulatorHandle,
    pub http: reqwest::Client,
    pub admin: Auth,
}

impl Api {
    pub(crate) async fn start() -> Api {
        Self::start_with(EmulatorConfig::default()).await
    }

    pub(crate) async fn start_with(config: EmulatorConfig) -> Api {
        let emulator = Emulator::start_with(config)
            .await
            .expect("the emulator starts");
        let admin = Auth::ApiKey {
            key: emulator.api_key().to_owned(),
            site: emulator.site_id().to_string(),
        };
        Api {
            emulator,
            http: reqwest::Client::new(),
            admin,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    pub(crate) async fn send(
        &self,
        auth: &Auth,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        match auth {
            Auth::ApiKey { key, site } => {
                request = request
                    .header("Authorization", key)
                    .header("wix-site-id", site);
            }
            Auth::Token(token) => request = request.header("Authorization", token),
            Auth::Raw(headers) => {
                for (name, value) in headers {
                    request = request.header(name, value);
                }
            }
            Auth::None => {}
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the emulator answers");
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("x-wix-request-id");
        let retry_after = header("retry-after");
        let raw = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            request_id,
            retry_after,
            body,
            raw,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(&self.admin, Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(&self.admin, Method::POST, path, Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Option<Value>) -> Reply {
        self.send(&self.admin, Method::PATCH, path, body).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send(&self.admin, Method::DELETE, path, None).await
    }

    /// A control call; one that may change something is sent as JSON even without a body, as
    /// the emulator requires.
    pub(crate) async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let auth = if method == Method::GET || body.is_some() {
            Auth::None
        } else {
            Auth::Raw(vec![("content-type".into(), "application/json".into())])
        };
        self.send(&auth, method, &format!("/_emulator/v1{path}"), body)
            .await
    }

    /// Registers `url` as a webhook receiver of the default site.
    pub(crate) async fn register_webhook(&self, url: &str) {
        self.control(
            Method::POST,
            &format!("/sites/{}/webhooks", self.site()),
            Some(json!({"url": url})),
        )
        .await
        .expect(200);
    }

    /// Turns strict mode on or off (docs/decisions.md item 35).
    pub(crate) async fn set_strict(&self, strict: bool) {
        self.control(Method::PUT, "/strict", Some(json!({"strict": strict})))
            .await
            .expect(200);
    }

    /// A JSON body sent as written with the admin key: the status, the answer's
    /// `x-wix-emulator-warning` headers and the body.
    pub(crate) async fn as_written(
        &self,
        method: Method,
        path: &str,
        body: &str,
    ) -> (u16, Vec<String>, Value) {
        let response = self
            .http
            .request(method, self.url(path))
            .header("Authorization", self.emulator.api_key())
            .header("wix-site-id", self.site())
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the emulator answers");
        answer_with_warnings(response).await
    }

    /// A referring customer and a referred friend of it: (customer, friend's contact, friend).
    pub(crate) async fn customer_and_friend(&self) -> (Value, String, Value) {
        let customer = self.customer(&contact()).await;
        let friend_contact = contact();
        let friend = self
            .friend(&friend_contact, customer["id"].as_str().unwrap())
            .await
            .ok()["referredFriend"]
            .clone();
        (customer, friend_contact, friend)
    }

    pub(crate) fn site(&self) -> String {
        self.emulator.site_id().to_string()
    }

    pub(crate) async fn program(&self) -> Value {
        self.get(PROGRAM).await.ok()["referralProgram"].clone()
    }

    /// Configures rewards (coupon for friends, points for customers) and activates the program.
    pub(crate) async fn activate_with_rewards(&self) -> Value {
        let revision = self.program().await["revision"].clone();
        self.patch(PROGRAM, Some(json!({"referralProgram": {
            "revision": revision,
            "name": "Share & Earn",
            "referredFriendReward": {"type": "COUPON", "couponOptions": {
                "name": "Welcome", "discountType": "PERCENTAGE", "percentageOptions": {"percentage": 10},
                "scope": {"namespace": "stores"}
            }},
            "referringCustomerReward": {"type": "LOYALTY_POINTS", "loyaltyPointsOptions": {"amount": 100}},
            "successfulReferralActions": ["STORE_ORDER_PLACED"]
        }}))).await.ok();
        self.patch(&format!("{PROGRAM}/activate"), None).await.ok()["referralProgram"].clone()
    }

    pub(crate) async fn customer(&self, contact: &str) -> Value {
        self.post(CUSTOMERS, json!({"contactId": contact}))
            .await
            .ok()["referringCustomer"]
            .clone()
    }

    pub(crate) async fn friend(&self, contact: &str, customer_id: &str) -> Reply {
        self.post(
            FRIENDS,
            json!({"referredFriend": {"contactId": contact, "referringCustomerId": customer_id}}),
        )
        .await
    }

    pub(crate) async fn member(&self, contact: &str) -> Auth {
        let reply = self
            .control(
                Method::POST,
                &format!("/sites/{}/members", self.site()),
                Some(json!({"contactId": contact})),
            )
            .await;
        Auth::Token(reply.ok()["token"].as_str().unwrap().to_owned())
    }

    /// A friend's action in USD, as a new order each time.
    pub(crate) async fn action(&self, contact: &str, action: &str, amount: &str) -> Reply {
        let order = format!("o-{}", uuid::Uuid::new_v4());
        self.action_as(contact, action, amount, "USD", &order).await
    }

    /// A friend's action with its currency and order id.
    pub(crate) async fn action_as(
        &self,
        contact: &str,
        action: &str,
        amount: &str,
        currency: &str,
        order: &str,
    ) -> Reply {
        self.control(
            Method::POST,
            &format!("/sites/{}/actions", self.site()),
            Some(
                json!({"contactId": contact, "action": action, "amount": amount,
                        "currency": currency, "orderId": order}),
            ),
        )
        .await
    }

    pub(crate) async fn query(&self, path: &str, query: Value) -> Reply {
        self.post(path, json!({"query": query})).await
    }
}

/// An answer's status, its `x-wix-emulator-warning` headers and its JSON body.
pub(crate) async fn answer_with_warnings(response: reqwest::Response) -> (u16, Vec<String>, Value) {
    let status = response.status().as_u16();
    let warnings = response
        .headers()
        .get_all(referral_emulator::WARNING_HEADER)
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .collect();
    (
        status,
        warnings,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A fresh contact id.
pub(crate) fn contact() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A local webhook receiver that answers 200 to every delivery and hands over each body.
pub(crate) async fn webhook_receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use axum::routing::post;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), rx)
}

/// GET an inspector page (`path` under `/_emulator/ui`): its status and HTML.
pub(crate) async fn page(api: &Api, path: &str) -> (u16, String) {
    let response = api
        .http
        .get(api.url(&format!("/_emulator/ui{path}")))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}
