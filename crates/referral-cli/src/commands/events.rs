use futures::{StreamExt, TryStreamExt};
use referral_domain::query::events;
use referral_domain::{
    EventKind, ReferralEvent, ReferralStatistics, ReferralTracker, ReferralTrackerExt,
    WixReferralClient,
};

use crate::cli::EventsCommand;
use crate::error::CliError;
use crate::output::{Column, Output, date, or_dash};

fn kind(e: &ReferralEvent) -> String {
    match &e.kind {
        EventKind::FriendSignup { .. } => "friend signup".into(),
        EventKind::SuccessfulReferral { .. } => "successful referral".into(),
        EventKind::Action(a) => format!(
            "action {} {}",
            or_dash(a.amount),
            a.currency.clone().unwrap_or_default()
        ),
        EventKind::Reward(r) => format!("reward {}", or_dash(r.reward_type.clone())),
        EventKind::Unknown => "unknown".into(),
        other => format!("{other:?}"),
    }
}

pub(super) const COLUMNS: &[Column<ReferralEvent>] = &[
    ("id", |e| e.id.to_string()),
    ("event", kind),
    ("created", |e| date(e.created_date)),
];

const STATS: &[Column<ReferralStatistics>] = &[
    ("sign-ups completed", |s| {
        s.total_sign_ups_completed.to_string()
    }),
    ("actions completed", |s| {
        s.total_actions_completed.to_string()
    }),
    ("amount generated", |s| s.total_amount_generated.to_string()),
];

pub(super) async fn run(
    client: &WixReferralClient,
    command: EventsCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    match command {
        EventsCommand::List { event_type, limit } => {
            let mut query = events::query()
                .sort(events::created_date().asc())
                .page_size(limit.page_size());
            if let Some(kind) = event_type {
                query = query.filter(events::event_type().eq(kind));
            }
            let progress = crate::progress::Progress::counting("events");
            let stream = client
                .referral_events_stream(query)
                .take(limit.items())
                .inspect_ok(|_| progress.inc());
            out.list(stream, COLUMNS).await.map(drop)
        }
        EventsCommand::Stats => Ok(out.item(&client.get_referral_statistics().await?, STATS)?),
    }
}
