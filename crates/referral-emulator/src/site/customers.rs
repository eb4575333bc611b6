//! Referring customers: create-or-return for a contact, delete (docs/referral-api.md §2).

use chrono::{DateTime, Utc};
use rand::Rng;
use uuid::Uuid;

use super::*;
use crate::error::{ApiError, ApiResult};
use crate::table::IndexKey;

impl Site {
    /// Create-or-return for a contact; the customer's id.
    pub fn generate_customer(
        &mut self,
        contact: Uuid,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> Uuid {
        if let Some(existing) = self.customers.find("contactId", &IndexKey::Id(contact)) {
            return existing.meta.id;
        }
        let code = loop {
            let candidate: String = (0..12)
                .map(|_| {
                    REFERRAL_CODE_ALPHABET[rng.gen_range(0..REFERRAL_CODE_ALPHABET.len())] as char
                })
                .collect();
            if self
                .customers
                .find("referralCode", &IndexKey::Text(candidate.clone().into()))
                .is_none()
            {
                break candidate;
            }
        };
        let customer = Customer {
            meta: Meta::new(random_uuid(rng), at),
            contact_id: contact,
            referral_code: code,
        };
        let id = customer.meta.id;
        self.emit(CUSTOMER_FQDN, "created", Some(id), 1, || customer.to_json());
        self.totals.insert(CustomerTotals {
            referring_customer_id: id,
            contact_id: contact,
            ..Default::default()
        });
        self.customers.insert(customer);
        id
    }

    pub fn delete_customer(&mut self, id: Uuid, revision: Option<&str>) -> ApiResult<()> {
        let customer = self
            .customers
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referring customer", &id.to_string()))?;
        check_revision_text(revision, customer.meta.revision)?;
        if let Some(removed) = self.customers.remove(&id) {
            self.emit(
                CUSTOMER_FQDN,
                "deleted",
                Some(id),
                removed.meta.revision + 1,
                || removed.to_json(),
            );
        }
        self.totals.remove(&id);
        Ok(())
    }
}
