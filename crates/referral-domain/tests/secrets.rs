//! API keys, app secrets and tokens never appear in logs, `Debug`, `Display` or errors: every
//! log line of a run (SDK and emulator, at TRACE, with span fields) is captured and searched.

mod common;

use referral_emulator::FaultRule;
use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Env, contact};
use referral_domain::{Auth, ReferralPrograms, ReferredFriends, ReferringCustomers, RetryPolicy};
use referral_emulator::{EmulatorConfig, Settings};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_logs_debug_or_errors() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    const API_KEY: &str = "api-key-5f1d9c0e-do-not-log";
    let emulator = referral_emulator::Emulator::start_with(EmulatorConfig {
        api_key: API_KEY.into(),
        settings: Settings::default(),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let env = Env {
        emulator,
        http: reqwest::Client::new(),
    };
    let app_secret = env.emulator.app_secret().to_owned();
    let mut texts = Vec::new();

    let by_key = env.client();
    by_key.get_program().await.unwrap();
    texts.push(format!("{by_key:?}"));

    let by_app = env.app_client();
    let customer = by_app
        .generate_referring_customer(&contact())
        .await
        .unwrap();
    texts.push(format!("{by_app:?} {customer:?}"));

    let member_contact = contact();
    let member_token = env
        .control(
            reqwest::Method::POST,
            &format!("/sites/{}/members", env.emulator.site_id()),
            Some(json!({"contactId": member_contact.as_str()})),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let as_member = env
        .builder()
        .auth(Auth::access_token(member_token.clone()))
        .build()
        .unwrap();
    as_member.get_program().await.unwrap();
    // The member is no referred friend: an error whose text is searched too.
    let err = as_member
        .get_referred_friend_by_contact(&referral_domain::ContactId::me())
        .await
        .unwrap_err();
    texts.push(format!("{as_member:?} {err} {err:?}"));

    // Failures: a wrong key, a wrong app secret, with retries so every attempt logs.
    const WRONG_KEY: &str = "wrong-key-77c1-do-not-log";
    const WRONG_SECRET: &str = "wrong-secret-3b2a-do-not-log";
    let wrong_key = env
        .builder()
        .auth(Auth::api_key(WRONG_KEY, env.emulator.site_id().to_string()))
        .retries(RetryPolicy::default())
        .build()
        .unwrap();
    let err = wrong_key.get_program().await.unwrap_err();
    texts.push(format!("{wrong_key:?} {err} {err:?}"));
    let wrong_secret = env
        .builder()
        .auth(Auth::app(
            env.emulator.app_id(),
            WRONG_SECRET,
            env.emulator.instance_id().to_string(),
        ))
        .build()
        .unwrap();
    let err = wrong_secret.get_program().await.unwrap_err();
    texts.push(format!("{wrong_secret:?} {err} {err:?}"));
    texts.push(format!("{:?}", env.builder()));

    // A retried call: its second attempt has its own span.
    env.faults([FaultRule::on("/_api/referral-programs/v1/program")
        .status(503)
        .times(1)])
        .await;
    by_key.get_program().await.unwrap();

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("wix_referral.attempt") && logs.contains("wix_referral.call"),
        "the capture works: spans of calls and attempts are there"
    );
    assert!(
        logs.contains("request_id="),
        "attempts record the request id"
    );
    for secret in [
        API_KEY,
        app_secret.as_str(),
        member_token.as_str(),
        WRONG_KEY,
        WRONG_SECRET,
    ] {
        assert!(!logs.contains(secret), "a secret in the logs");
        for text in &texts {
            assert!(!text.contains(secret), "a secret in {text}");
        }
    }
}
