//! The README's table from SDK methods to Wix operations is what the methods send: each row's
//! method is called against a stub that records the request line, and the request is matched
//! to the operation table generated from the spec.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use referral_api::operations;
use referral_domain::query::{customers, events, friend_actions, friends, rewards, totals};
use referral_domain::{
    Auth, ContactId, FriendStatus, NewReferredFriend, ProgramUpdate, ReferralCode, ReferralEventId,
    ReferralPrograms, ReferralRewardId, ReferralRewards, ReferralTracker, ReferredFriend,
    ReferredFriendId, ReferredFriends, ReferringCustomerId, ReferringCustomers, RetryPolicy,
    Revision, WixReferralClient,
};

const GUID: &str = "3857d039-b129-4393-b983-947078b6a007";

/// The rows of the README's table: (SDK method, Wix method, operation id).
fn documented_rows() -> Vec<(String, String, String)> {
    let readme = include_str!("../README.md");
    let table = readme
        .split("| SDK method | Wix method | operation id |")
        .nth(1)
        .expect("the README has the method table");
    table
        .lines()
        .skip(2) // the header's separator row
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect();
            assert_eq!(cells.len(), 3, "a row of three cells: {line}");
            (cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect()
}

/// Whether `path` is an instance of the template `/a/{x}/b`.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

/// Calls the SDK method `name` once (its answer, a 404, does not matter here).
async fn call(client: &WixReferralClient, name: &str) {
    let guid = || GUID.to_owned();
    let contact = ContactId::parse(guid()).unwrap();
    let code = ReferralCode::parse("GxpxwAoMqxH8").unwrap();
    let revision = Revision::new(3);
    let customer = ReferringCustomerId::parse(guid()).unwrap();
    let friend = ReferredFriendId::parse(guid()).unwrap();
    let _ = match name {
        "ReferralPrograms::get_program" => client.get_program().await.map(drop),
        "ReferralPrograms::update_program" => client
            .update_program(&ProgramUpdate::new(revision).name("A program"))
            .await
            .map(drop),
        "ReferralPrograms::activate_program" => client.activate_program().await.map(drop),
        "ReferralPrograms::pause_program" => client.pause_program().await.map(drop),
        "ReferralPrograms::get_ai_social_media_posts" => {
            client.get_ai_social_media_posts(None).await.map(drop)
        }
        "ReferralPrograms::generate_ai_social_media_posts" => {
            client.generate_ai_social_media_posts(None).await.map(drop)
        }
        "ReferralPrograms::get_premium_features" => client.get_premium_features().await.map(drop),
        "ReferringCustomers::generate_referring_customer" => {
            client.generate_referring_customer(&contact).await.map(drop)
        }
        "ReferringCustomers::get_referring_customer" => {
            client.get_referring_customer(&customer).await.map(drop)
        }
        "ReferringCustomers::get_referring_customer_by_code" => {
            client.get_referring_customer_by_code(&code).await.map(drop)
        }
        "ReferringCustomers::query_referring_customers" => client
            .query_referring_customers(&customers::query())
            .await
            .map(drop),
        "ReferringCustomers::delete_referring_customer" => {
            client.delete_referring_customer(&customer, revision).await
        }
        "ReferredFriends::create_referred_friend" => client
            .create_referred_friend(&NewReferredFriend::WithCode(code))
            .await
            .map(drop),
        "ReferredFriends::get_referred_friend" => {
            client.get_referred_friend(&friend).await.map(drop)
        }
        "ReferredFriends::get_referred_friend_by_contact" => client
            .get_referred_friend_by_contact(&contact)
            .await
            .map(drop),
        "ReferredFriends::update_referred_friend" => client
            .update_referred_friend(
                &ReferredFriend {
                    id: friend.clone(),
                    contact_id: contact.clone(),
                    referring_customer_id: customer.clone(),
                    status: FriendStatus::SignUpCompleted,
                    revision: Some(revision),
                    created_date: None,
                    updated_date: None,
                },
                FriendStatus::ActionsCompleted,
            )
            .await
            .map(drop),
        "ReferredFriends::delete_referred_friend" => {
            client.delete_referred_friend(&friend, revision).await
        }
        "ReferredFriends::query_referred_friends" => client
            .query_referred_friends(&friends::query())
            .await
            .map(drop),
        "ReferralRewards::get_referral_reward" => client
            .get_referral_reward(&ReferralRewardId::parse(guid()).unwrap())
            .await
            .map(drop),
        "ReferralRewards::query_referral_rewards" => client
            .query_referral_rewards(&rewards::query())
            .await
            .map(drop),
        "ReferralTracker::get_referral_event" => client
            .get_referral_event(&ReferralEventId::parse(guid()).unwrap())
            .await
            .map(drop),
        "ReferralTracker::query_referral_events" => client
            .query_referral_events(&events::query())
            .await
            .map(drop),
        "ReferralTracker::get_referral_statistics" => {
            client.get_referral_statistics().await.map(drop)
        }
        "ReferralTracker::query_referring_customer_totals" => client
            .query_referring_customer_totals(&totals::query())
            .await
            .map(drop),
        "ReferralTracker::query_referred_friend_actions" => client
            .query_referred_friend_actions(&friend_actions::query())
            .await
            .map(drop),
        other => panic!("the README names a method this test does not know: {other}"),
    };
}

#[tokio::test]
async fn every_row_names_the_operation_its_method_sends() {
    let seen: Arc<Mutex<Vec<(Method, String)>>> = Arc::default();
    let recorder = seen.clone();
    let router = Router::new().fallback(move |method: Method, uri: Uri| {
        recorder
            .lock()
            .unwrap()
            .push((method, uri.path().to_owned()));
        async { (StatusCode::NOT_FOUND, r#"{"message":"not here"}"#) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = WixReferralClient::builder()
        .base_url(base)
        .auth(Auth::api_key("key", GUID))
        .retries(RetryPolicy::none())
        .build()
        .unwrap();

    let rows = documented_rows();
    let mut ids: Vec<&str> = rows.iter().map(|(_, _, id)| id.as_str()).collect();
    ids.sort_unstable();
    let mut all: Vec<&str> = operations::ALL.iter().map(|op| op.id).collect();
    all.sort_unstable();
    assert_eq!(ids, all, "the table lists each of the 25 operations once");

    for (method, wix, id) in &rows {
        seen.lock().unwrap().clear();
        call(&client, method).await;
        let requests = seen.lock().unwrap().clone();
        let sent: Vec<&str> = requests
            .iter()
            .map(|(verb, path)| {
                operations::ALL
                    .iter()
                    .find(|op| op.method == verb.as_str() && matches(op.path, path))
                    .unwrap_or_else(|| panic!("{method} sent {verb} {path}, which is no operation"))
                    .id
            })
            .collect();
        // A 404 is final; settled writes may read after it, but the first request is theirs.
        assert_eq!(
            sent.first(),
            Some(&id.as_str()),
            "{method} ({wix}) sent {sent:?}"
        );
        assert!(!wix.is_empty());
    }
}
