//! Referring Customers (docs/referral-api.md §2).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::app::{JsonResult, parse_body};
use crate::auth::parse_uuid;
use crate::error::ApiError;
use crate::model::{CUSTOMER_SCHEMA, Customer};
use crate::site::now;
use crate::state::AppState;
use crate::table::IndexKey;

pub(crate) async fn generate(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let body = parse_body(&body)?;
    let raw = match body.get("contactId") {
        Some(Value::String(s)) if s.chars().count() >= 2 => s.clone(),
        Some(Value::String(_)) => {
            return Err(ApiError::invalid(
                "contactId",
                "must be at least 2 characters",
            ));
        }
        Some(_) => return Err(ApiError::invalid("contactId", "expected a string")),
        None => return Err(ApiError::invalid("contactId", "required")),
    };
    app.write(&headers, |identity, site| {
        let contact = identity.contact(&raw, "contactId")?;
        let id = site.generate_customer(contact, &mut rand::thread_rng(), now());
        let customer = site.customers.get(&id).map(Customer::to_json);
        Ok(Json(json!({"referringCustomer": customer})))
    })
}

pub(crate) async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> JsonResult {
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let customer = super::by_id(&site.customers, &id, "referring customer")?;
        Ok(Json(json!({"referringCustomer": customer.to_json()})))
    })
}

pub(crate) async fn get_by_code(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> JsonResult {
    app.read(&headers, |identity, site| {
        identity.require_admin()?;
        let customer = site
            .customers
            .find("referralCode", &IndexKey::Text(code.clone().into()))
            .ok_or_else(|| ApiError::not_found("referral code", &code))?;
        Ok(Json(json!({"referringCustomer": customer.to_json()})))
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
            super::query_page(site, &site.customers, &CUSTOMER_SCHEMA, &body, |row| {
                row.to_json()
            })?;
        Ok(Json(
            json!({"referringCustomers": items, "metadata": metadata}),
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
        let id = parse_uuid(&id, "referringCustomerId")
            .map_err(|_| ApiError::not_found("referring customer", &id))?;
        site.delete_customer(id, revision.as_deref())?;
        Ok(Json(json!({})))
    })
}
