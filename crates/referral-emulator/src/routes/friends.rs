//! Referred Friends (docs/referral-api.md §3).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::app::{JsonResult, parse_body};
use crate::auth::{Identity, parse_uuid};
use crate::error::ApiError;
use crate::model::{FRIEND_SCHEMA, Friend, FriendStatus};
use crate::site::now;
use crate::state::AppState;
use crate::table::IndexKey;

/// Which of the two request shapes of docs/decisions.md item 6 was sent.
enum CreateShape {
    Admin {
        contact: String,
        referring_customer: String,
    },
    Member {
        referral_code: String,
    },
}

fn create_shape(body: &Value) -> Result<CreateShape, ApiError> {
    let friend = body.get("referredFriend").filter(|v| !v.is_null());
    let code = body.get("referralCode").filter(|v| !v.is_null());
    match (friend, code) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "referralCode",
            "send either referredFriend or referralCode, not both",
        )),
        (None, None) => Err(ApiError::invalid(
            "referralCode",
            "required (or referredFriend with contactId and referringCustomerId)",
        )),
        (None, Some(code)) => {
            let code = code
                .as_str()
                .ok_or_else(|| ApiError::invalid("referralCode", "expected a string"))?;
            if code.chars().count() != 12 {
                return Err(ApiError::invalid(
                    "referralCode",
                    "must be exactly 12 characters",
                ));
            }
            Ok(CreateShape::Member {
                referral_code: code.to_owned(),
            })
        }
        (Some(friend), None) => {
            let text = |name: &str| -> Result<String, ApiError> {
                let field = format!("referredFriend.{name}");
                friend
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::invalid(&field, "required string"))
            };
            if !friend.is_object() {
                return Err(ApiError::invalid("referredFriend", "expected an object"));
            }
            Ok(CreateShape::Admin {
                contact: text("contactId")?,
                referring_customer: text("referringCustomerId")?,
            })
        }
    }
}

pub(crate) async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let shape = create_shape(&body)?;
    app.write(&headers, |identity, site| {
        let (contact, referring_customer) = match (&shape, identity) {
            (CreateShape::Member { referral_code }, Identity::Member { contact, .. }) => (
                *contact,
                site.customers
                    .find(
                        "referralCode",
                        &IndexKey::Text(referral_code.clone().into()),
                    )
                    .map(|c| c.meta.id),
            ),
            (CreateShape::Member { .. }, Identity::Admin { .. }) => {
                return Err(ApiError::forbidden(
                    "the referralCode shape needs a member identity; admins send referredFriend",
                ));
            }
            (
                CreateShape::Admin {
                    contact,
                    referring_customer,
                },
                Identity::Admin { .. },
            ) => {
                let contact = parse_uuid(contact, "referredFriend.contactId")?;
                let customer =
                    parse_uuid(referring_customer, "referredFriend.referringCustomerId")?;
                (contact, Some(customer))
            }
            (CreateShape::Admin { .. }, Identity::Member { .. }) => {
                return Err(ApiError::forbidden(
                    "members create themselves as friends with referralCode",
                ));
            }
        };
        let id = site.create_friend(contact, referring_customer, &mut rand::thread_rng(), now())?;
        let friend = site.friends.get(&id).map(Friend::to_json);
        Ok(Json(json!({"referredFriend": friend})))
    })
}

pub(crate) async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> JsonResult {
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let friend = super::by_id(&site.friends, &id, "referred friend")?;
        Ok(Json(json!({"referredFriend": friend.to_json()})))
    })
}

pub(crate) async fn get_by_contact(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(contact): Path<String>,
) -> JsonResult {
    app.read(&headers, |identity, site| {
        let contact = identity.contact(&contact, "contactId")?;
        let friend = site
            .friends
            .find("contactId", &IndexKey::Id(contact))
            .ok_or_else(|| {
                ApiError::not_found("referred friend for contact", &contact.to_string())
            })?;
        Ok(Json(json!({"referredFriend": friend.to_json()})))
    })
}

pub(crate) async fn update(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let friend = body
        .get("referredFriend")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::invalid("referredFriend", "required object"))?;
    if let Some(body_id) = friend.get("id").and_then(Value::as_str)
        && body_id != id
    {
        return Err(ApiError::invalid(
            "referredFriend.id",
            "differs from the id in the path",
        ));
    }
    let status = match friend.get("status") {
        Some(Value::String(s)) if FriendStatus::parse(s).is_some() => {
            FriendStatus::parse(s).unwrap_or(FriendStatus::SignUpCompleted)
        }
        Some(Value::String(s)) => {
            return Err(ApiError::invalid(
                "referredFriend.status",
                &format!("{s:?} is not SIGN_UP_COMPLETED or ACTIONS_COMPLETED"),
            ));
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "referredFriend.status",
                "expected a string",
            ));
        }
        None => return Err(ApiError::invalid("referredFriend.status", "required")),
    };
    let revision = friend.get("revision").cloned();
    app.write(&headers, |identity, site| {
        identity.require_admin()?;
        let id = parse_uuid(&id, "referredFriendId")
            .map_err(|_| ApiError::not_found("referred friend", &id))?;
        Ok(Json(
            json!({"referredFriend": site.update_friend(id, revision.as_ref(), status)?}),
        ))
    })
}

pub(crate) async fn delete(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> JsonResult {
    let revision = super::revision_param(raw.as_deref())?;
    app.write(&headers, |identity, site| {
        identity.require_admin()?;
        let id = parse_uuid(&id, "referredFriendId")
            .map_err(|_| ApiError::not_found("referred friend", &id))?;
        site.delete_friend(id, revision.as_deref())?;
        Ok(Json(json!({})))
    })
}

pub(crate) async fn query(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let (items, metadata) =
            super::query_page(site, &site.friends, &FRIEND_SCHEMA, &body, |row| {
                row.to_json()
            })?;
        Ok(Json(
            json!({"referredFriends": items, "metadata": metadata}),
        ))
    })
}
