//! The webhook table of `referral-api` (`src/webhooks.rs`): every webhook the specs list in their
//! `x-webhooks` extension (OpenAPI 3.0 has no `webhooks` member), with its event type, entity,
//! slug and the component schema of its body. A listing whose event type is not
//! `<entityFqdn>_<slug>`, or whose schema is not a component, fails codegen.

use anyhow::{Result, bail};
use serde_json::Value;

/// One row of the table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WebhookRow {
    pub event_type: String,
    pub summary: String,
    pub entity_fqdn: String,
    pub slug: String,
    /// The component schema of the body, such as `ReferredFriendCreatedWebhook`.
    pub schema: String,
}

impl WebhookRow {
    /// `ReferredFriendCreatedWebhook` → `REFERRED_FRIEND_CREATED`.
    fn const_name(&self) -> String {
        let name = self.schema.strip_suffix("Webhook").unwrap_or(&self.schema);
        let mut out = String::with_capacity(name.len() + 8);
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }
}

/// Every webhook of the bundled spec, by event type.
pub(crate) fn rows(bundled: &Value) -> Result<Vec<WebhookRow>> {
    let Some(listing) = bundled.get("x-webhooks").and_then(Value::as_object) else {
        bail!("the bundled spec has no x-webhooks object");
    };
    let schemas = bundled
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (event_type, webhook) in listing {
        let text = |key: &str| webhook.get(key).and_then(Value::as_str).map(str::to_owned);
        let (Some(summary), Some(entity_fqdn), Some(slug)) =
            (text("summary"), text("entityFqdn"), text("slug"))
        else {
            problems.push(format!("{event_type}: needs summary, entityFqdn and slug"));
            continue;
        };
        if *event_type != format!("{entity_fqdn}_{slug}") {
            problems.push(format!(
                "{event_type}: the event type must be {entity_fqdn}_{slug}"
            ));
            continue;
        }
        let reference = webhook
            .pointer("/schema/$ref")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(schema) = reference.strip_prefix("#/components/schemas/") else {
            problems.push(format!(
                "{event_type}: schema must be a $ref to a component schema"
            ));
            continue;
        };
        if !schemas.is_some_and(|s| s.contains_key(schema)) {
            problems.push(format!("{event_type}: no component schema {schema}"));
            continue;
        }
        rows.push(WebhookRow {
            event_type: event_type.clone(),
            summary,
            entity_fqdn,
            slug,
            schema: schema.to_owned(),
        });
    }
    if !problems.is_empty() {
        bail!(
            "{} webhook(s) cannot be generated:\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    rows.sort_by(|a, b| a.event_type.cmp(&b.event_type));
    Ok(rows)
}

/// The Rust module, before formatting.
pub(crate) fn module(rows: &[WebhookRow]) -> String {
    let mut out = String::from(
        "//! Every webhook of the API, from the specs' `x-webhooks` listing: the event type a\n\
         //! delivery names, the entity and slug its body carries, and the generated type of the\n\
         //! body (the `data.data` of the delivery).\n\n\
         /// One webhook of the API.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n\
         pub struct Webhook {\n\
         /// The delivery's `eventType`, e.g. `wix.loyalty.referral.v1.referred_friend_created`.\n\
         pub event_type: &'static str,\n\
         /// The Wix name of the webhook, e.g. `Referred Friend Created`.\n\
         pub summary: &'static str,\n\
         /// The body's `entityFqdn`.\n\
         pub entity_fqdn: &'static str,\n\
         /// The body's `slug`.\n\
         pub slug: &'static str,\n\
         /// The component schema of the body, also the name of its type in [`crate::types`].\n\
         pub schema: &'static str,\n\
         }\n\n",
    );
    for row in rows {
        out.push_str(&format!(
            "/// {} (body: [`crate::types::{}`])\npub const {}: Webhook = Webhook {{ event_type: {:?}, summary: {:?}, entity_fqdn: {:?}, slug: {:?}, schema: {:?} }};\n\n",
            row.summary,
            row.schema,
            row.const_name(),
            row.event_type,
            row.summary,
            row.entity_fqdn,
            row.slug,
            row.schema,
        ));
    }
    out.push_str(&format!(
        "/// Every webhook, by event type.\npub const ALL: [Webhook; {}] = [{}];\n\n",
        rows.len(),
        rows.iter()
            .map(WebhookRow::const_name)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push_str(
        "/// The webhook whose deliveries name `event_type`, if the API has one.\n\
         pub fn by_event_type(event_type: &str) -> Option<&'static Webhook> {\n\
         ALL.binary_search_by(|webhook| webhook.event_type.cmp(event_type)).ok().map(|i| &ALL[i])\n\
         }\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(webhooks: Value) -> Value {
        json!({
            "x-webhooks": webhooks,
            "components": {"schemas": {"ThingCreatedWebhook": {"type": "object"}}},
        })
    }

    #[test]
    fn a_listing_becomes_a_row_named_after_its_schema() {
        let rows = rows(&spec(json!({
            "a.thing_created": {
                "summary": "Thing Created", "entityFqdn": "a.thing", "slug": "created",
                "schema": {"$ref": "#/components/schemas/ThingCreatedWebhook"},
            }
        })))
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].const_name(), "THING_CREATED");
        assert_eq!(rows[0].schema, "ThingCreatedWebhook");
    }

    #[test]
    fn inconsistent_listings_fail_naming_the_webhook() {
        let cases = [
            (
                json!({"a.thing_created": {"summary": "T", "entityFqdn": "a.thing", "slug": "updated",
                    "schema": {"$ref": "#/components/schemas/ThingCreatedWebhook"}}}),
                "must be a.thing_updated",
            ),
            (
                json!({"a.thing_created": {"summary": "T", "entityFqdn": "a.thing", "slug": "created",
                    "schema": {"$ref": "#/components/schemas/Missing"}}}),
                "no component schema Missing",
            ),
            (
                json!({"a.thing_created": {"summary": "T", "entityFqdn": "a.thing", "slug": "created",
                    "schema": {"type": "object"}}}),
                "must be a $ref",
            ),
            (
                json!({"a.thing_created": {"entityFqdn": "a.thing", "slug": "created"}}),
                "needs summary",
            ),
        ];
        for (listing, expected) in cases {
            let error = rows(&spec(listing)).unwrap_err().to_string();
            assert!(
                error.contains("a.thing_created") && error.contains(expected),
                "{error}"
            );
        }
    }
}
