//! Flow 2: enrol a referring customer.

use crate::{ContactId, Error, ReferringCustomer, ReferringCustomers};

/// Creates the referring customer of `contact`, or returns the one it already is, with the
/// referral code to share. Safe to retry and to run concurrently: the method is create-or-return.
///
/// ```no_run
/// # async fn demo(client: referral_domain::WixReferralClient) -> Result<(), referral_domain::Error> {
/// use referral_domain::{ContactId, flows};
/// let contact = ContactId::parse("661f5bb3-0723-4aa4-87d7-a21ebd1d0fa3")?;
/// let customer = flows::enroll_referring_customer(&client, &contact).await?;
/// println!("share {}", customer.referral_code);
/// # Ok(()) }
/// ```
pub async fn enroll_referring_customer<S>(
    customers: &S,
    contact: &ContactId,
) -> Result<ReferringCustomer, Error>
where
    S: ReferringCustomers + ?Sized,
{
    let customer = customers.generate_referring_customer(contact).await?;
    tracing::info!(customer = %customer.id, code = %customer.referral_code, "referring customer enrolled");
    Ok(customer)
}
