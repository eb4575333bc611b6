//! The generated client against the generated httpmock mocks: paths, query parameters, bodies,
//! error envelopes and the hooks' header clean-up.

use httpmock::MockServer;
use referral_api::types::*;
use referral_api::wire::Int64String;
use referral_api::{Client, Error};
use referral_testkit::MockServerExt;

fn client(server: &MockServer) -> Client {
    Client::new_with_client(
        &server.base_url(),
        referral_api::tls::http_client().unwrap(),
        referral_api::transport::Sender::plain(),
    )
}

#[tokio::test]
async fn get_program_hits_the_program_path_without_an_api_version_header() {
    let server = MockServer::start_async().await;
    let body: GetReferralProgramResponse = serde_json::from_value(serde_json::json!({
        "referralProgram": {"name": "Share & Earn", "status": "ACTIVE", "revision": "3"}
    }))
    .unwrap();
    let mock = server.get_referral_program(|when, then| {
        when.into_inner().header_missing("api-version");
        then.ok(&body);
    });
    let program = client(&server)
        .get_referral_program()
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    let program = program.referral_program.unwrap();
    assert_eq!(program.status, Some(ProgramStatus::Active));
    assert_eq!(program.revision, Some(Int64String(3)));
}

#[tokio::test]
async fn delete_sends_the_revision_as_a_query_parameter() {
    let server = MockServer::start_async().await;
    let mock = server.delete_referred_friend(|when, then| {
        when.referred_friend_id("3857d039-b129-4393-b983-947078b6a007")
            .revision(&Int64String(4));
        then.ok(&DeleteReferredFriendResponse(Default::default()));
    });
    client(&server)
        .delete_referred_friend()
        .referred_friend_id("3857d039-b129-4393-b983-947078b6a007")
        .revision(Int64String(4))
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn a_409_decodes_into_the_wix_error_envelope() {
    let server = MockServer::start_async().await;
    let envelope: WixError = serde_json::from_value(serde_json::json!({
        "message": "entity has already changed since the requested revision",
        "details": {"applicationError": {"code": "REVISION_MISMATCH", "description": "stale"}}
    }))
    .unwrap();
    server.update_referral_program(|_, then| {
        then.client_error(409, &envelope);
    });
    let request = UpdateReferralProgramRequest {
        referral_program: serde_json::from_value(serde_json::json!({"revision": "1"})).unwrap(),
    };
    let err = client(&server)
        .update_referral_program()
        .body(request)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    let Error::ErrorResponse(response) = err else {
        panic!("expected an error response, got {err:?}")
    };
    let code = response
        .into_inner()
        .details
        .unwrap()
        .application_error
        .unwrap()
        .code;
    assert_eq!(code.as_deref(), Some("REVISION_MISMATCH"));
}

#[tokio::test]
async fn a_query_sends_its_body_and_decodes_the_page() {
    let server = MockServer::start_async().await;
    let query: QueryReferringCustomersRequest = serde_json::from_value(serde_json::json!({
        "query": {"filter": {"referralCode": {"$eq": "GxpxwAoMqxH8"}}, "cursorPaging": {"limit": 10}}
    }))
    .unwrap();
    let page: QueryReferringCustomersResponse = serde_json::from_value(serde_json::json!({
        "referringCustomers": [{"id": "5cc0b472-e488-4de3-92ba-bd718a44933a", "referralCode": "GxpxwAoMqxH8"}],
        "metadata": {"count": 1, "hasNext": false, "cursors": {}}
    }))
    .unwrap();
    let mock = server.query_referring_customers(|when, then| {
        when.body(&query);
        then.ok(&page);
    });
    let got = client(&server)
        .query_referring_customers()
        .body(query.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(got.referring_customers.len(), 1);
    assert_eq!(got.metadata.as_ref().unwrap().has_next, Some(false));
}

#[tokio::test]
async fn malformed_and_non_json_bodies_are_error_values() {
    let server = MockServer::start_async().await;
    server.get_referral_statistics(|_, then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body("{\"totalSignUpsCompleted\": ");
    });
    server.get_referral_program(|_, then| {
        then.into_inner()
            .status(502)
            .header("content-type", "text/html")
            .body("<html>Bad Gateway</html>");
    });
    let client = client(&server);
    let truncated = client.get_referral_statistics().send().await.unwrap_err();
    assert!(
        matches!(truncated, Error::InvalidResponsePayload(..)),
        "{truncated:?}"
    );
    let gateway = client.get_referral_program().send().await.unwrap_err();
    assert!(
        matches!(gateway, Error::InvalidResponsePayload(..)),
        "{gateway:?}"
    );
}
