use std::io::IsTerminal;

use futures::{StreamExt, TryStreamExt};
use referral_domain::flows::{self, SignupOutcome};
use referral_domain::query::friends;
use referral_domain::{ReferralTracker, ReferredFriend, ReferredFriends, ReferredFriendsExt};

use crate::cli::{Format, FriendOrder, FriendsCommand};
use crate::connect::Connection;
use crate::error::CliError;
use crate::output::{self, Column, Output, date, or_dash};

pub(super) const COLUMNS: &[Column<ReferredFriend>] = &[
    ("id", |f| f.id.to_string()),
    ("contact", |f| f.contact_id.to_string()),
    ("referring customer", |f| {
        f.referring_customer_id.to_string()
    }),
    ("status", |f| f.status.to_string()),
    ("revision", |f| or_dash(f.revision)),
    ("created", |f| date(f.created_date)),
];

pub(super) async fn run(
    connection: &Connection,
    command: FriendsCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    let client = &connection.client;
    match command {
        FriendsCommand::Order {
            contact,
            action,
            amount,
            currency,
            order_id,
        } => {
            let control = connection.control("a friend's order")?;
            let contact = uuid::Uuid::parse_str(contact.as_str()).map_err(|_| {
                CliError::usage("an order needs the friend's contact id as a GUID, not `me`")
            })?;
            let outcome = control
                .client
                .record_action(
                    control.site,
                    &referral_emulator::FriendActionInput {
                        contact_id: contact,
                        action: action.as_str().to_owned(),
                        amount,
                        currency,
                        order_id,
                    },
                )
                .await
                .map_err(|e| CliError::runtime(e.to_string()))?;
            out.text(&format!(
                "recorded: {} event(s), {} reward(s)",
                outcome.events.len(),
                outcome.rewards.len()
            ))?;
            for note in &outcome.notes {
                output::note(note);
            }
            Ok(())
        }
        FriendsCommand::Signup { code, contact } => {
            let outcome = flows::process_friend_signup(client, &code, &contact).await?;
            match (&outcome, out.format()) {
                (_, Format::Json) => Ok(out.json(&outcome)?),
                (SignupOutcome::Created(f) | SignupOutcome::AlreadyReferred(f), _) => {
                    let what = if matches!(outcome, SignupOutcome::Created(_)) {
                        "created"
                    } else {
                        "already referred"
                    };
                    output::note(what);
                    Ok(out.item(f, COLUMNS)?)
                }
                (SignupOutcome::InvalidCode, _) => Err(CliError::runtime(format!(
                    "no referring customer has the code {code} — check it with `wix-referral customers find {code}`"
                ))),
                (SignupOutcome::SelfReferral, _) => Err(CliError::runtime(
                    "the code belongs to this contact: a customer cannot refer themselves",
                )),
            }
        }
        FriendsCommand::Get { id } => {
            let friend = client.get_referred_friend(&id).await?;
            Ok(out.item(&friend, COLUMNS)?)
        }
        FriendsCommand::List {
            customer,
            contact: Some(contact),
            limit,
            ..
        } => {
            // The reference pages read one friend by contact; no friend is an empty listing.
            let friend = match client.get_referred_friend_by_contact(&contact).await {
                Ok(friend) => Some(Ok(friend)),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e.into()),
            };
            let _ = customer;
            let stream = futures::stream::iter(friend).take(limit.items());
            out.list(stream, COLUMNS).await.map(drop)
        }
        FriendsCommand::List {
            customer,
            contact: None,
            sort,
            limit,
        } => {
            let mut query = match sort {
                FriendOrder::Created => friends::query().sort(friends::created_date().asc()),
                FriendOrder::Customer => friends::query()
                    .sort(friends::referring_customer_id().asc())
                    .sort(friends::created_date().asc()),
            }
            .page_size(limit.page_size());
            let customer_filtered = customer.is_some();
            if let Some(customer) = customer {
                query = query.filter(friends::referring_customer_id().eq(customer));
            }
            // Every referred friend is counted by the tracker: a bar, unless filtered.
            let progress = if customer_filtered || !std::io::stderr().is_terminal() {
                crate::progress::Progress::counting("referred friends")
            } else {
                let total = client
                    .get_referral_statistics()
                    .await?
                    .total_sign_ups_completed;
                let bar = crate::progress::Progress::bar(total.max(0) as u64);
                bar.message("referred friends");
                bar
            };
            let stream = client
                .referred_friends_stream(query)
                .take(limit.items())
                .inspect_ok(|_| progress.inc());
            out.list(stream, COLUMNS).await.map(drop)
        }
        FriendsCommand::SetStatus { id, status } => {
            let friend = client
                .update_referred_friend_with(&id, |_| status.clone())
                .await?;
            Ok(out.item(&friend, COLUMNS)?)
        }
        FriendsCommand::Delete { id } => {
            let friend = client.get_referred_friend(&id).await?;
            client
                .delete_referred_friend(
                    &id,
                    friend.revision.unwrap_or(referral_domain::Revision::new(0)),
                )
                .await?;
            output::note(format!("deleted referred friend {id}"));
            Ok(())
        }
    }
}
