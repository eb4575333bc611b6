//! The query language over HTTP: docs/decisions.md items 10–14.

mod common;

use std::collections::HashSet;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const QUERY: &str = "/referral-customers/v1/referring-customers/query";

async fn seeded(customers: u32) -> Api {
    let api = Api::start().await;
    let reply = api
        .control(
            Method::POST,
            &format!("/sites/{}/seed", api.site()),
            Some(json!({"customers": customers, "friendsPerCustomer": 0, "seed": 3})),
        )
        .await;
    reply.expect(200);
    api
}

fn ids(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn default_limit_is_50_and_the_limit_range_is_1_to_100() {
    let api = seeded(120).await;
    let page = api.query(QUERY, json!({})).await.ok();
    assert_eq!(page["referringCustomers"].as_array().unwrap().len(), 50);
    assert_eq!(page["metadata"]["count"], 50);
    assert_eq!(page["metadata"]["hasNext"], true);
    assert_eq!(
        api.query(QUERY, json!({"cursorPaging": {"limit": 100}}))
            .await
            .ok()["metadata"]["count"],
        100
    );
    for bad in [json!(0), json!(101), json!(-1), json!(2.5), json!("10")] {
        api.query(QUERY, json!({"cursorPaging": {"limit": bad}}))
            .await
            .expect_violation("query.cursorPaging.limit");
    }
}

#[tokio::test]
async fn default_sort_is_created_date_descending() {
    let api = seeded(30).await;
    let page = api
        .query(QUERY, json!({"cursorPaging": {"limit": 30}}))
        .await
        .ok();
    let dates: Vec<&str> = page["referringCustomers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["createdDate"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
}

#[tokio::test]
async fn fields_operators_and_sorts_outside_the_table_are_400s_naming_the_field() {
    let api = seeded(3).await;
    let cases = [
        (json!({"filter": {"id": "x"}}), "query.filter.id"),
        (
            json!({"filter": {"createdDate": {"$startsWith": "2026"}}}),
            "query.filter.createdDate",
        ),
        (
            json!({"filter": {"contactId": {"$gt": 5}}}),
            "query.filter.contactId",
        ),
        (
            json!({"filter": {"contactId": {"$regex": "a"}}}),
            "query.filter.contactId",
        ),
        (
            json!({"filter": {"createdDate": {"$gt": "last week"}}}),
            "query.filter.createdDate",
        ),
        (
            json!({"filter": {"contactId": {"$in": "a"}}}),
            "query.filter.contactId",
        ),
        (
            json!({"filter": {"$or": {"contactId": "a"}}}),
            "query.filter.$or",
        ),
        (json!({"filter": "contactId = a"}), "query.filter"),
        (
            json!({"sort": [{"fieldName": "id"}]}),
            "query.sort[0].fieldName",
        ),
        (
            json!({"sort": [{"fieldName": "contactId", "order": "UP"}]}),
            "query.sort[0].order",
        ),
        (json!({"paging": {"limit": 5, "offset": 5}}), "query.paging"),
    ];
    for (query, field) in cases {
        api.query(QUERY, query).await.expect_violation(field);
    }
    let friends = "/referral_friends/v1/referred-friends/query";
    api.query(friends, json!({"filter": {"status": "LOST"}}))
        .await
        .expect_violation("query.filter.status");
    api.query(friends, json!({"filter": {"updatedBy": "a"}}))
        .await
        .expect_violation("query.filter.updatedBy");
    // No page lists ranges on a status or a reward type.
    api.query(
        friends,
        json!({"filter": {"status": {"$gt": "SIGN_UP_COMPLETED"}}}),
    )
    .await
    .expect_violation("query.filter.status");
    api.query(
        "/_api/referral-rewards/v1/referral-rewards/query",
        json!({"filter": {"rewardType": {"$lte": "COUPON"}}}),
    )
    .await
    .expect_violation("query.filter.rewardType");
    api.post(QUERY, json!({})).await.expect_violation("query");
}

#[tokio::test]
async fn operator_semantics() {
    let api = seeded(20).await;
    let all = api
        .query(QUERY, json!({"cursorPaging": {"limit": 100}}))
        .await
        .ok();
    let customers = all["referringCustomers"].as_array().unwrap().clone();
    let code = customers[0]["referralCode"].as_str().unwrap();
    let count = |page: Value| page["referringCustomers"].as_array().unwrap().len();

    let starts = api
        .query(
            QUERY,
            json!({"filter": {"referralCode": {"$startsWith": code[..4].to_lowercase()}}}),
        )
        .await
        .ok();
    assert!(count(starts.clone()) >= 1);
    assert!(
        starts["referringCustomers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["referralCode"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .starts_with(&code[..4].to_lowercase()))
    );

    assert_eq!(
        count(
            api.query(QUERY, json!({"filter": {"referralCode": code}}))
                .await
                .ok()
        ),
        1,
        "{{field: value}} is $eq"
    );
    assert_eq!(
        count(
            api.query(QUERY, json!({"filter": {"referralCode": {"$ne": code}}}))
                .await
                .ok()
        ),
        19
    );
    assert_eq!(
        count(
            api.query(QUERY, json!({"filter": {"referralCode": {"$nin": [code]}}}))
                .await
                .ok()
        ),
        19
    );
    assert_eq!(
        count(
            api.query(QUERY, json!({"filter": {"$not": {"referralCode": code}}}))
                .await
                .ok()
        ),
        19
    );
    assert_eq!(
        count(
            api.query(
                QUERY,
                json!({"filter": {"referralCode": {"$exists": false}}})
            )
            .await
            .ok()
        ),
        0
    );
    let two = json!([customers[1]["referralCode"], customers[2]["referralCode"]]);
    assert_eq!(
        count(
            api.query(
                QUERY,
                json!({"filter": {"referralCode": {"$hasSome": two}}})
            )
            .await
            .ok()
        ),
        2
    );
    let either = json!({"$or": [{"referralCode": customers[1]["referralCode"]}, {"contactId": customers[2]["contactId"]}]});
    assert_eq!(
        count(api.query(QUERY, json!({"filter": either})).await.ok()),
        2
    );
    let both = json!({"$and": [{"referralCode": customers[1]["referralCode"]}, {"contactId": customers[2]["contactId"]}]});
    assert_eq!(
        count(api.query(QUERY, json!({"filter": both})).await.ok()),
        0
    );

    // Dates compare as instants, whatever the offset of the operand.
    let pivot = customers[9]["createdDate"].as_str().unwrap();
    let instant = chrono::DateTime::parse_from_rfc3339(pivot).unwrap();
    let shifted = instant
        .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600).unwrap())
        .to_rfc3339();
    let utc = api
        .query(QUERY, json!({"filter": {"createdDate": {"$lte": pivot}}}))
        .await
        .ok();
    let offset = api
        .query(QUERY, json!({"filter": {"createdDate": {"$lte": shifted}}}))
        .await
        .ok();
    assert_eq!(
        ids(&utc, "referringCustomers"),
        ids(&offset, "referringCustomers")
    );
    assert_eq!(count(utc), 11);
}

/// docs/decisions.md item 11: ids and codes take `$gt $gte $lt $lte` (the newest method pages),
/// compared as strings, code point by code point.
#[tokio::test]
async fn id_and_code_fields_take_ranges() {
    let api = Api::start().await;
    api.control(
        Method::POST,
        &format!("/sites/{}/seed", api.site()),
        Some(json!({"customers": 12, "friendsPerCustomer": 2, "seed": 5})),
    )
    .await
    .expect(200);
    let every = |path: &'static str, key: &'static str, filter: Value| {
        let api = &api;
        async move {
            let page = api
                .query(
                    path,
                    json!({"filter": filter, "cursorPaging": {"limit": 100}}),
                )
                .await
                .ok();
            assert_eq!(page["metadata"]["hasNext"], false, "{path} fits one page");
            page[key].as_array().unwrap().clone()
        }
    };
    let cases = [
        (QUERY, "referringCustomers", "referralCode"),
        (QUERY, "referringCustomers", "contactId"),
        (
            "/referral_friends/v1/referred-friends/query",
            "referredFriends",
            "referringCustomerId",
        ),
        (
            "/_api/referral-rewards/v1/referral-rewards/query",
            "referralRewards",
            "rewardedReferringCustomerId",
        ),
        (
            "/_api/referral-rewards/v1/referral-rewards/query",
            "referralRewards",
            "rewardedReferredFriendId",
        ),
    ];
    for (path, key, field) in cases {
        let rows = every(path, key, json!({})).await;
        let mut values: Vec<String> = rows
            .iter()
            .filter_map(|r| r[field].as_str().map(str::to_owned))
            .collect();
        values.sort();
        assert!(values.len() >= 4, "{field}: the seed made too few rows");
        let pivot = values[values.len() / 2].clone();
        for (op, keep) in [
            (
                "$gt",
                &(|v: &str, p: &str| v > p) as &dyn Fn(&str, &str) -> bool,
            ),
            ("$gte", &|v: &str, p: &str| v >= p),
            ("$lt", &|v: &str, p: &str| v < p),
            ("$lte", &|v: &str, p: &str| v <= p),
        ] {
            let found = every(path, key, json!({field: {op: pivot}})).await;
            let mut got: Vec<String> = found
                .iter()
                .map(|r| r[field].as_str().unwrap().to_owned())
                .collect();
            got.sort();
            let expected: Vec<String> =
                values.iter().filter(|v| keep(v, &pivot)).cloned().collect();
            assert_eq!(got, expected, "{field} {op} {pivot}");
            assert!(!got.is_empty() || op.starts_with("$lt"), "{field} {op}");
        }
    }
}

#[tokio::test]
async fn multi_key_sort_with_id_as_the_last_tie_breaker() {
    let api = seeded(40).await;
    let page = api
        .query(QUERY, json!({"sort": [{"fieldName": "referralCode", "order": "DESC"}, {"fieldName": "createdDate"}], "cursorPaging": {"limit": 100}}))
        .await
        .ok();
    let codes: Vec<&str> = page["referringCustomers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["referralCode"].as_str().unwrap())
        .collect();
    assert!(codes.windows(2).all(|w| w[0] >= w[1]), "{codes:?}");
}

#[tokio::test]
async fn cursors_walk_every_row_once_in_both_directions() {
    let api = seeded(57).await;
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut reply = api.query(QUERY, json!({"sort": [{"fieldName": "contactId", "order": "ASC"}], "cursorPaging": {"limit": 10}})).await.ok();
    loop {
        seen.extend(ids(&reply, "referringCustomers"));
        pages.push(reply.clone());
        let Some(next) = reply["metadata"]["cursors"]["next"]
            .as_str()
            .map(str::to_owned)
        else {
            assert_eq!(reply["metadata"]["hasNext"], false);
            break;
        };
        reply = api
            .query(QUERY, json!({"cursorPaging": {"cursor": next}}))
            .await
            .ok();
    }
    assert_eq!(seen.len(), 57);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        57,
        "no row repeated"
    );
    assert!(pages[0]["metadata"]["cursors"].get("prev").is_none());
    // Back from the last page, page by page.
    let mut back = pages.last().unwrap().clone();
    for expected in pages.iter().rev().skip(1) {
        let prev = back["metadata"]["cursors"]["prev"]
            .as_str()
            .unwrap()
            .to_owned();
        back = api
            .query(QUERY, json!({"cursorPaging": {"cursor": prev}}))
            .await
            .ok();
        assert_eq!(
            ids(&back, "referringCustomers"),
            ids(expected, "referringCustomers")
        );
    }
}

#[tokio::test]
async fn rows_inserted_between_pages_neither_lose_nor_repeat_rows() {
    let api = seeded(30).await;
    let first = api
        .query(
            QUERY,
            json!({"sort": [{"fieldName": "contactId"}], "cursorPaging": {"limit": 10}}),
        )
        .await
        .ok();
    let before: HashSet<String> = ids(
        &api.query(QUERY, json!({"cursorPaging": {"limit": 100}}))
            .await
            .ok(),
        "referringCustomers",
    )
    .into_iter()
    .collect();
    for _ in 0..15 {
        api.customer(&contact()).await;
    }
    let mut seen = ids(&first, "referringCustomers");
    let mut cursor = first["metadata"]["cursors"]["next"]
        .as_str()
        .map(str::to_owned);
    while let Some(c) = cursor {
        let page = api
            .query(QUERY, json!({"cursorPaging": {"cursor": c}}))
            .await
            .ok();
        seen.extend(ids(&page, "referringCustomers"));
        cursor = page["metadata"]["cursors"]["next"]
            .as_str()
            .map(str::to_owned);
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no row repeated");
    assert!(
        before.is_subset(&unique),
        "every row that existed throughout was seen"
    );
}

#[tokio::test]
async fn a_cursor_with_filter_or_sort_and_malformed_or_foreign_cursors_are_400s() {
    let api = seeded(12).await;
    let page = api
        .query(QUERY, json!({"cursorPaging": {"limit": 5}}))
        .await
        .ok();
    let next = page["metadata"]["cursors"]["next"]
        .as_str()
        .unwrap()
        .to_owned();
    api.query(
        QUERY,
        json!({"filter": {"referralCode": "x"}, "cursorPaging": {"cursor": next}}),
    )
    .await
    .expect_violation("query.filter");
    api.query(
        QUERY,
        json!({"sort": [{"fieldName": "contactId"}], "cursorPaging": {"cursor": next}}),
    )
    .await
    .expect_violation("query.sort");
    for bad in ["garbage", "eyJ2IjoxfQ", "%%%", &next[..next.len() / 2]] {
        api.query(QUERY, json!({"cursorPaging": {"cursor": bad}}))
            .await
            .expect_violation("query.cursorPaging.cursor");
    }
    // The customers cursor on the friends query, and on another site.
    api.query(
        "/referral_friends/v1/referred-friends/query",
        json!({"cursorPaging": {"cursor": next}}),
    )
    .await
    .expect_violation("query.cursorPaging.cursor");
    let other = api.control(Method::POST, "/sites", None).await.ok();
    let auth = Auth::ApiKey {
        key: other["apiKey"].as_str().unwrap().into(),
        site: other["siteId"].as_str().unwrap().into(),
    };
    let foreign = api
        .send(
            &auth,
            Method::POST,
            QUERY,
            Some(json!({"query": {"cursorPaging": {"cursor": next}}})),
        )
        .await;
    foreign.expect_violation("query.cursorPaging.cursor");
}

/// What Wix's documents write and its reference pages do not (docs/decisions.md item 35):
/// answered as the documented form would be, with a warning naming the part; in strict mode a
/// 400 naming it.
#[tokio::test]
async fn the_documents_query_forms_are_answered_with_a_warning_or_refused_when_strict() {
    let api = Api::start().await;
    api.control(
        Method::POST,
        &format!("/sites/{}/seed", api.site()),
        Some(json!({"customers": 12, "friendsPerCustomer": 2, "actionRate": 0.5, "seed": 5})),
    )
    .await
    .expect(200);
    let customers = "/referral-customers/v1/referring-customers/query";
    let friends = "/referral_friends/v1/referred-friends/query";
    let rewards = "/_api/referral-rewards/v1/referral-rewards/query";
    let all_customers = api
        .query(customers, json!({"cursorPaging": {"limit": 100}}))
        .await
        .ok();
    let code = all_customers["referringCustomers"][3]["referralCode"].clone();
    let all_friends = api
        .query(friends, json!({"cursorPaging": {"limit": 100}}))
        .await
        .ok();
    let friend_contact = all_friends["referredFriends"][5]["contactId"].clone();

    // (what, path, the document's form, the same query as the reference pages write it, the
    // part a warning names, the list member)
    let cases = [
        (
            "an operator without $",
            customers,
            json!({"filter": {"referralCode": {"eq": code}}}),
            json!({"filter": {"referralCode": {"$eq": code}}}),
            "query.filter.referralCode.eq",
            "referringCustomers",
        ),
        (
            "contactId on referred friends",
            friends,
            json!({"filter": {"contactId": {"eq": friend_contact}}}),
            json!({"filter": {"$and": []}}),
            "query.filter.contactId",
            "referredFriends",
        ),
        (
            "a date range without $",
            rewards,
            json!({"filter": {"createdDate": {"gte": "2024-01-01T00:00:00.000Z"}}}),
            json!({"filter": {"createdDate": {"$gte": "2024-01-01T00:00:00.000Z"}}}),
            "query.filter.createdDate.gte",
            "referralRewards",
        ),
        (
            "a reward type named after its one-of member",
            rewards,
            json!({"filter": {"rewardType": "CouponReward"}}),
            json!({"filter": {"rewardType": "COUPON"}}),
            "query.filter.rewardType",
            "referralRewards",
        ),
        (
            "a sort by revision",
            rewards,
            json!({"sort": [{"order": "DESC", "fieldName": "revision"}]}),
            json!({}),
            "query.sort[0].fieldName",
            "referralRewards",
        ),
    ];
    for (what, path, as_written, documented, part, member) in &cases {
        let (status, warnings, body) = api
            .as_written(
                Method::POST,
                path,
                &json!({"query": as_written}).to_string(),
            )
            .await;
        assert_eq!(status, 200, "{what}: {body}");
        assert!(
            warnings.iter().any(|w| w.starts_with(&format!("{part}: "))),
            "{what}: {warnings:?}"
        );
        let got = body[member].as_array().cloned().unwrap_or_default();
        assert!(!got.is_empty(), "{what}: nothing matched");
        if *what == "contactId on referred friends" {
            // The friend of that contact, and only it.
            assert_eq!(got.len(), 1, "{what}");
            assert_eq!(got[0]["contactId"], friend_contact, "{what}");
        } else if *what == "a sort by revision" {
            let revisions: Vec<i64> = got
                .iter()
                .map(|r| r["revision"].as_str().unwrap().parse().unwrap())
                .collect();
            assert!(revisions.windows(2).all(|w| w[0] >= w[1]), "{revisions:?}");
        } else {
            let (_, plain_warnings, plain) = api
                .as_written(
                    Method::POST,
                    path,
                    &json!({"query": documented}).to_string(),
                )
                .await;
            assert!(plain_warnings.is_empty(), "{what}: {plain_warnings:?}");
            assert_eq!(got, plain[*member].as_array().cloned().unwrap(), "{what}");
        }
    }

    api.set_strict(true).await;
    for (what, path, as_written, _, part, _) in &cases {
        let reply = api.query(path, as_written.clone()).await;
        assert_eq!(
            reply.violation_field(),
            Some(*part),
            "{what} in strict mode: {}",
            reply.raw
        );
        assert!(reply.raw.contains("strict mode"), "{what}: {}", reply.raw);
    }
    // A typo is no departure: refused either way.
    api.set_strict(false).await;
    api.query(
        customers,
        json!({"filter": {"referralCode": {"equals": code}}}),
    )
    .await
    .expect_violation("query.filter.referralCode");
}
