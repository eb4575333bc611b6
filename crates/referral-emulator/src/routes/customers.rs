//! Referring Customers (docs/referral-api.md §2).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::json;

use super::extract::{Caller, QueryBody, WixJson};
use crate::app::JsonResult;
use crate::error::ApiError;
use crate::lenience::Lenient;
use crate::model::{CUSTOMER_SCHEMA, Customer};
use crate::site::now;
use crate::state::AppState;
use crate::table::IndexKey;

/// The body of Generate Referring Customer For Contact.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateCustomer {
    /// A GUID or `"me"`, at least 2 characters (docs/referral-api.md §2.1).
    contact_id: String,
}

pub(crate) async fn generate(
    State(app): State<AppState>,
    Caller(identity): Caller,
    WixJson(body): WixJson<GenerateCustomer>,
) -> JsonResult {
    if body.contact_id.chars().count() < 2 {
        return Err(ApiError::invalid(
            "contactId",
            "must be at least 2 characters",
        ));
    }
    let contact = identity.contact(&body.contact_id, "contactId")?;
    app.write_as(&identity, |site| {
        let id = site.generate_customer(contact, &mut rand::thread_rng(), now());
        let customer = site.customers.get(&id).map(Customer::to_json);
        Ok(Json(json!({"referringCustomer": customer})))
    })
}

pub(crate) async fn get(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Path(id): Path<String>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let customer = super::by_id(&site.customers, &id, "referring customer")?;
        Ok(Json(json!({"referringCustomer": customer.to_json()})))
    })
}

pub(crate) async fn get_by_code(
    State(app): State<AppState>,
    Caller(identity): Caller,
    Path(code): Path<String>,
) -> JsonResult {
    identity.require_admin()?;
    app.read_as(&identity, |site| {
        let customer = site
            .customers
            .find("referralCode", &IndexKey::Text(code.clone().into()))
            .ok_or_else(|| ApiError::not_found("referral code", &code))?;
        Ok(Json(json!({"referringCustomer": customer.to_json()})))
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
            &site.customers,
            &CUSTOMER_SCHEMA,
            &body.query,
            &lenience,
            |row| row.to_json(),
        )?;
        Ok(Json(
            json!({"referringCustomers": items, "metadata": metadata}),
        ))
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
    let id = super::path_id(&id, "referring customer")?;
    app.write_as(&identity, |site| {
        site.delete_customer(id, revision.as_deref())?;
        Ok(Json(json!({})))
    })
}
