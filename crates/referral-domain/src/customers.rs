//! Referring Customers: contacts who share a referral code.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use referral_api::operations::{self, Operation};
use referral_api::types as api;
use serde::{Deserialize, Serialize};

use crate::client::WixReferralClient;
use crate::error::{Error, InvalidInput, missing};
use crate::ids::{ContactId, ReferralCode, ReferringCustomerId, Revision};
use crate::paging::{self, Page};
use crate::query::CustomerQuery;

/// A contact who takes part in the referral program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferringCustomer {
    /// The referring customer's id.
    pub id: ReferringCustomerId,
    /// The site contact who is the referring customer.
    pub contact_id: ContactId,
    /// The code to share with friends.
    pub referral_code: ReferralCode,
    /// Increases by 1 on every write; a delete must send the current one.
    pub revision: Option<Revision>,
    /// When the customer was created.
    pub created_date: Option<DateTime<Utc>>,
    /// When the customer last changed.
    pub updated_date: Option<DateTime<Utc>>,
}

impl From<api::ReferringCustomer> for ReferringCustomer {
    fn from(c: api::ReferringCustomer) -> Self {
        Self {
            id: ReferringCustomerId::from_server(c.id.unwrap_or_default()),
            contact_id: ContactId::from_server(c.contact_id.unwrap_or_default()),
            referral_code: ReferralCode::from_server(c.referral_code.unwrap_or_default()),
            revision: c.revision.map(Into::into),
            created_date: c.created_date,
            updated_date: c.updated_date,
        }
    }
}

/// The Referring Customers service: one method per Wix method.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ReferringCustomers: Send + Sync {
    /// Generate Referring Customer For Contact: creates one for the contact, or returns the one
    /// it has (so a retry never makes a second).
    async fn generate_referring_customer(
        &self,
        contact: &ContactId,
    ) -> Result<ReferringCustomer, Error>;
    /// Get Referring Customer.
    async fn get_referring_customer(
        &self,
        id: &ReferringCustomerId,
    ) -> Result<ReferringCustomer, Error>;
    /// Get Referring Customer By Referral Code.
    async fn get_referring_customer_by_code(
        &self,
        code: &ReferralCode,
    ) -> Result<ReferringCustomer, Error>;
    /// Query Referring Customers: one page.
    async fn query_referring_customers(
        &self,
        query: &CustomerQuery,
    ) -> Result<Page<ReferringCustomer>, Error>;
    /// Delete Referring Customer at its current revision. A replay whose first attempt was
    /// applied unseen (answered 404 or 409) is settled by reading.
    async fn delete_referring_customer(
        &self,
        id: &ReferringCustomerId,
        revision: Revision,
    ) -> Result<(), Error>;
}

/// Streams over any [`ReferringCustomers`].
pub trait ReferringCustomersExt: ReferringCustomers {
    /// Every referring customer `query` matches, following cursors lazily.
    fn referring_customers_stream(
        &self,
        query: CustomerQuery,
    ) -> BoxStream<'_, Result<ReferringCustomer, Error>> {
        Box::pin(paging::items(query, move |q| async move {
            self.query_referring_customers(&q).await
        }))
    }
}

impl<T: ReferringCustomers + ?Sized> ReferringCustomersExt for T {}

fn customer_of(
    operation: &'static str,
    customer: Option<api::ReferringCustomer>,
) -> Result<ReferringCustomer, Error> {
    customer
        .map(ReferringCustomer::from)
        .ok_or_else(|| missing(operation, "referringCustomer"))
}

#[async_trait]
impl ReferringCustomers for WixReferralClient {
    async fn generate_referring_customer(
        &self,
        contact: &ContactId,
    ) -> Result<ReferringCustomer, Error> {
        const OP: &Operation = &operations::GENERATE_REFERRING_CUSTOMER_FOR_CONTACT;
        let contact_id =
            api::GenerateReferringCustomerForContactRequestContactId::try_from(contact.as_str())
                .map_err(|e| InvalidInput::new("contactId", e.to_string()))?;
        let body = api::GenerateReferringCustomerForContactRequest { contact_id };
        let response = self
            .call(OP, |api| async move {
                api.generate_referring_customer_for_contact()
                    .body(body)
                    .send()
                    .await
            })
            .await
            .result?;
        customer_of(OP.id, response.referring_customer)
    }

    async fn get_referring_customer(
        &self,
        id: &ReferringCustomerId,
    ) -> Result<ReferringCustomer, Error> {
        const OP: &Operation = &operations::GET_REFERRING_CUSTOMER;
        let id = id.as_str().to_owned();
        let response = self
            .call(OP, |api| async move {
                api.get_referring_customer()
                    .referring_customer_id(id)
                    .send()
                    .await
            })
            .await
            .result?;
        customer_of(OP.id, response.referring_customer)
    }

    async fn get_referring_customer_by_code(
        &self,
        code: &ReferralCode,
    ) -> Result<ReferringCustomer, Error> {
        const OP: &Operation = &operations::GET_REFERRING_CUSTOMER_BY_REFERRAL_CODE;
        let code = code.as_str().to_owned();
        let response = self
            .call(OP, |api| async move {
                api.get_referring_customer_by_referral_code()
                    .referral_code(code)
                    .send()
                    .await
            })
            .await
            .result?;
        customer_of(OP.id, response.referring_customer)
    }

    async fn query_referring_customers(
        &self,
        query: &CustomerQuery,
    ) -> Result<Page<ReferringCustomer>, Error> {
        let body = api::QueryReferringCustomersRequest {
            query: query.to_wire()?,
        };
        let response = self
            .call(&operations::QUERY_REFERRING_CUSTOMERS, |api| async move {
                api.query_referring_customers().body(body).send().await
            })
            .await
            .result?;
        Ok(Page::from_wire(
            response.referring_customers,
            response.metadata,
        ))
    }

    async fn delete_referring_customer(
        &self,
        id: &ReferringCustomerId,
        revision: Revision,
    ) -> Result<(), Error> {
        const OP: &Operation = &operations::DELETE_REFERRING_CUSTOMER;
        let path_id = id.as_str().to_owned();
        let called = self
            .call(OP, |api| async move {
                api.delete_referring_customer()
                    .referring_customer_id(path_id)
                    .revision(referral_api::wire::Int64String::from(revision))
                    .send()
                    .await
            })
            .await;
        called
            .settle_delete(self, OP, || self.get_referring_customer(id))
            .await
    }
}
