use futures::{StreamExt, TryStreamExt};
use referral_domain::query::customers;
use referral_domain::{
    ReferringCustomer, ReferringCustomers, ReferringCustomersExt, WixReferralClient, flows,
};

use crate::cli::CustomersCommand;
use crate::error::CliError;
use crate::output::{self, Column, Output, date, or_dash};

pub(super) const COLUMNS: &[Column<ReferringCustomer>] = &[
    ("id", |c| c.id.to_string()),
    ("contact", |c| c.contact_id.to_string()),
    ("referral code", |c| c.referral_code.to_string()),
    ("revision", |c| or_dash(c.revision)),
    ("created", |c| date(c.created_date)),
];

pub(super) async fn run(
    client: &WixReferralClient,
    command: CustomersCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    match command {
        CustomersCommand::Enroll { contact } => {
            let customer = flows::enroll_referring_customer(client, &contact).await?;
            Ok(out.item(&customer, COLUMNS)?)
        }
        CustomersCommand::Get { id } => {
            let customer = client.get_referring_customer(&id).await?;
            Ok(out.item(&customer, COLUMNS)?)
        }
        CustomersCommand::Find { code } => {
            let customer = client.get_referring_customer_by_code(&code).await?;
            Ok(out.item(&customer, COLUMNS)?)
        }
        CustomersCommand::List {
            code,
            contact,
            limit,
        } => {
            let mut query = customers::query()
                .sort(customers::created_date().asc())
                .page_size(limit.page_size());
            if let Some(code) = code {
                query = query.filter(customers::referral_code().eq(code));
            }
            if let Some(contact) = contact {
                query = query.filter(customers::contact_id().eq(contact));
            }
            let progress = crate::progress::Progress::counting("referring customers");
            let stream = client
                .referring_customers_stream(query)
                .take(limit.items())
                .inspect_ok(|_| progress.inc());
            out.list(stream, COLUMNS).await.map(drop)
        }
        CustomersCommand::Delete { id } => {
            let customer = client.get_referring_customer(&id).await?;
            client
                .delete_referring_customer(
                    &id,
                    customer
                        .revision
                        .unwrap_or(referral_domain::Revision::new(0)),
                )
                .await?;
            output::note(format!("deleted referring customer {id}"));
            Ok(())
        }
    }
}
