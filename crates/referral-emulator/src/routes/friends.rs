//! Referred Friends (docs/referral-api.md §3).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::extract::{Caller, QueryBody, WixJson};
use crate::app::JsonResult;
use crate::auth::{Identity, parse_uuid};
use crate::error::ApiError;
use crate::lenience::Lenient;
use crate::model::{FRIEND_SCHEMA, Friend, FriendStatus};
use crate::site::{FriendIdentity, now};
use crate::state::AppState;
use crate::table::IndexKey;

/// The body of Create Referred Friend: one of the two shapes of docs/decisions.md item 6.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateFriend {
    /// The admin shape (the sample flows).
    referred_friend: Option<NewFriend>,
    /// The member shape (the reference page): exactly 12 characters.
    referral_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewFriend {
    // Optional here so that "both shapes" is reported before a missing member.
    contact_id: Option<String>,
    referring_customer_id: Option<String>,
}

impl NewFriend {
    fn ids(self) -> Result<(Uuid, Uuid), ApiError> {
        let required = |value: Option<String>, field: &str| {
            value.ok_or_else(|| ApiError::invalid(field, "required string"))
        };
        let contact = required(self.contact_id, "referredFriend.contactId")?;
        let customer = required(
            self.referring_customer_id,
            "referredFriend.referringCustomerId",
        )?;
        Ok((
            parse_uuid(&contact, "referredFriend.contactId")?,
            parse_uuid(&customer, "referredFriend.referringCustomerId")?,
        ))
    }
}

/// The body of Update Referred Friend (docs/decisions.md item 9): `id`, `contactId`,
/// `referringCustomerId` and `revision` are required; only `status` (optional) changes, and the
/// two ids must be the stored ones.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateFriend {
    referred_friend: FriendPatch,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FriendPatch {
    // Optional here so that each missing one is a 400 naming it, in the page's order.
    id: Option<String>,
    contact_id: Option<String>,
    referring_customer_id: Option<String>,
    status: Option<String>,
    /// A string or a number (docs/decisions.md item 8); checked against the stored one.
    revision: Option<Value>,
}

pub(crate) async fn create(
    State(app): State<AppState>,
    Caller(identity): Caller,
    WixJson(body): WixJson<CreateFriend>,
) -> JsonResult {
    let (contact, referral_code, referring_customer) = match (
        body.referred_friend,
        body.referral_code,
        &identity,
    ) {
        (Some(_), Some(_), _) => {
            return Err(ApiError::invalid(
                "referralCode",
                "send either referredFriend or referralCode, not both",
            ));
        }
        // The member's scope carries the code (the newest method page allows an empty body).
        (
            None,
            None,
            Identity::Member {
                contact,
                referral_code: Some(code),
                ..
            },
        ) => (*contact, Some(code.clone()), None),
        (None, None, _) => {
            return Err(ApiError::invalid(
                "referralCode",
                "required in the body or the member's scope (or referredFriend with contactId and referringCustomerId)",
            ));
        }
        (None, Some(code), _) if code.chars().count() != 12 => {
            return Err(ApiError::invalid(
                "referralCode",
                "must be exactly 12 characters",
            ));
        }
        (None, Some(code), Identity::Member { contact, .. }) => (*contact, Some(code), None),
        (None, Some(_), Identity::Admin { .. }) => {
            return Err(ApiError::forbidden(
                "the referralCode shape needs a member identity; admins send referredFriend",
            ));
        }
        (Some(friend), None, Identity::Admin { .. }) => {
            let (contact, customer) = friend.ids()?;
            (contact, None, Some(customer))
        }
        (Some(_), None, Identity::Member { .. }) => {
            return Err(ApiError::forbidden(
                "members create themselves as friends with referralCode",
            ));
        }
    };
    app.write_as(&identity, |site| {
        let referring_customer = match referral_code {
            Some(code) => site
                .customers
                .find("referralCode", &IndexKey::Text(code.into()))
                .map(|c| c.meta.id),
            None => referring_customer,
        };
        let id = site.create_friend(contact, referring_customer, &mut rand::thread_rng(), now())?;
        let friend = site.friends.get(&id).map(Friend::to_json);
        Ok(Json(json!({"referredFriend": friend})))
    })
}

pub(crate) async fn get(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Path(id): Path<String>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let friend = super::by_id(&site.friends, &id, "referred friend")?;
        Ok(Json(json!({"referredFriend": friend.to_json()})))
    })
}

pub(crate) async fn get_by_contact(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Path(contact): Path<String>,
) -> JsonResult {
    let contact = identity.contact(&contact, "contactId")?;
    app.read_as(&identity, |site| {
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
    Caller(identity): Caller,
    Path(id): Path<String>,
    WixJson(body): WixJson<UpdateFriend>,
) -> JsonResult {
    let friend = body.referred_friend;
    let required = |value: Option<String>, field: &str| {
        value.ok_or_else(|| ApiError::invalid(field, "required string"))
    };
    let body_id = required(friend.id, "referredFriend.id")?;
    if body_id != id {
        return Err(ApiError::invalid(
            "referredFriend.id",
            "differs from the id in the path",
        ));
    }
    let claimed = FriendIdentity {
        contact: parse_uuid(
            &required(friend.contact_id, "referredFriend.contactId")?,
            "referredFriend.contactId",
        )?,
        referring_customer: parse_uuid(
            &required(
                friend.referring_customer_id,
                "referredFriend.referringCustomerId",
            )?,
            "referredFriend.referringCustomerId",
        )?,
    };
    let status = friend
        .status
        .map(|status| {
            FriendStatus::parse(&status).ok_or_else(|| {
                ApiError::invalid(
                    "referredFriend.status",
                    &format!("{status:?} is not SIGN_UP_COMPLETED or ACTIONS_COMPLETED"),
                )
            })
        })
        .transpose()?;
    identity.require_admin()?;
    let id = super::path_id(&id, "referred friend")?;
    app.write_as(&identity, |site| {
        Ok(Json(json!({
            "referredFriend": site.update_friend(id, friend.revision.as_ref(), &claimed, status)?
        })))
    })
}

pub(crate) async fn delete(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> JsonResult {
    identity.require_admin()?;
    let revision = super::revision_param(raw.as_deref())?;
    let id = super::path_id(&id, "referred friend")?;
    app.write_as(&identity, |site| {
        site.delete_friend(id, revision.as_deref())?;
        Ok(Json(json!({})))
    })
}

pub(crate) async fn query(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Lenient(lenience): Lenient,
    WixJson(body): WixJson<QueryBody>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let (items, metadata) = super::query_page(
            site,
            &site.friends,
            &FRIEND_SCHEMA,
            &body.query,
            &lenience,
            |row| row.to_json(),
        )?;
        Ok(Json(
            json!({"referredFriends": items, "metadata": metadata}),
        ))
    })
}
