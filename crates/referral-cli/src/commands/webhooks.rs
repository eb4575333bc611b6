use referral_domain::{WebhookEvent, WebhookVerifier};
use serde_json::json;

use crate::cli::{Format, WebhooksCommand};
use crate::error::CliError;
use crate::input;
use crate::output::Output;

pub(super) fn run(command: WebhooksCommand, out: &mut Output) -> Result<(), CliError> {
    let WebhooksCommand::Verify { key, file } = command;
    let pem = input::read_text(&key, input::KEY_BYTES, "--key")?;
    let body = input::read(&file, input::WEBHOOK_BYTES, "the webhook body")?;
    let verifier = WebhookVerifier::from_public_key_pem(&pem)
        .map_err(|e| CliError::usage(format!("--key: {e}")))?;
    let webhook = verifier
        .verify(&body)
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let (kind, entity) = match &webhook.event {
        WebhookEvent::ProgramUpdated { program } => {
            ("program updated", serde_json::to_value(program))
        }
        WebhookEvent::ReferringCustomerCreated { customer } => {
            ("referring customer created", serde_json::to_value(customer))
        }
        WebhookEvent::ReferringCustomerDeleted { customer } => {
            ("referring customer deleted", serde_json::to_value(customer))
        }
        WebhookEvent::ReferredFriendCreated { friend } => {
            ("referred friend created", serde_json::to_value(friend))
        }
        WebhookEvent::ReferredFriendUpdated { friend } => {
            ("referred friend updated", serde_json::to_value(friend))
        }
        WebhookEvent::ReferredFriendDeleted { friend } => {
            ("referred friend deleted", serde_json::to_value(friend))
        }
        WebhookEvent::ReferralEventCreated { event } => {
            ("referral event created", serde_json::to_value(event))
        }
        WebhookEvent::Unknown { body, .. } => ("unknown", Ok(body.clone())),
        _ => ("unknown", Ok(serde_json::Value::Null)),
    };
    let entity = entity.map_err(|e| CliError::runtime(format!("{e}")))?;
    let summary = json!({
        "event": kind,
        "eventType": webhook.event_type,
        "eventId": webhook.event_id,
        "instanceId": webhook.instance_id,
        "identity": webhook.identity,
        "entityId": webhook.entity_id,
        "eventTime": webhook.event_time,
        "entityEventSequence": webhook.entity_event_sequence,
        "entity": entity,
    });
    match out.format() {
        Format::Table => {
            out.text(&format!("verified: {kind} ({})", webhook.event_type))?;
            out.text(&format!("event id {}", webhook.event_id))?;
            Ok(out.json(&summary["entity"])?)
        }
        _ => Ok(out.json(&summary)?),
    }
}
