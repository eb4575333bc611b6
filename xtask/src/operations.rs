//! The operation table of `referral-api` (`src/operations.rs`): every operation's id (as the
//! generated client names it), method, path and replay class, from the spec's `operationId` and
//! `x-wix-replay`. An operation without a valid class fails codegen: no method is ever replayed
//! by a default nobody chose.

use anyhow::{Result, bail};
use openapiv3::{OpenAPI, ReferenceOr};

/// The classes `x-wix-replay` may name, and the `Replay` variant each becomes.
const CLASSES: [(&str, &str); 3] = [("safe", "Safe"), ("settle", "Settle"), ("never", "Never")];

/// One row of the table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OperationRow {
    /// snake_case, as progenitor names the method and `OperationInfo::operation_id`.
    pub id: String,
    pub method: &'static str,
    pub path: String,
    /// The `Replay` variant.
    pub replay: &'static str,
    /// `x-wix-path-inferred: true`: Wix documents the method but not its REST path.
    pub path_inferred: bool,
}

/// Every operation of `spec`, in path and method order.
pub(crate) fn rows(spec: &OpenAPI) -> Result<Vec<OperationRow>> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (path, item) in spec.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            bail!("{path}: a $ref path item is not supported");
        };
        for (method, operation) in item.iter() {
            let Some(operation_id) = &operation.operation_id else {
                problems.push(format!("{method} {path}: no operationId"));
                continue;
            };
            let class = operation.extensions.get("x-wix-replay");
            let replay = class
                .and_then(|value| value.as_str())
                .and_then(|name| CLASSES.iter().find(|(class, _)| *class == name))
                .map(|(_, variant)| *variant);
            let Some(replay) = replay else {
                problems.push(format!(
                    "{operation_id} ({method} {path}): x-wix-replay must be one of safe, settle, \
                     never; found {}",
                    class.map_or_else(|| "nothing".to_owned(), ToString::to_string)
                ));
                continue;
            };
            rows.push(OperationRow {
                id: snake_case(operation_id),
                method: http_method(method)?,
                path: path.clone(),
                replay,
                path_inferred: operation
                    .extensions
                    .get("x-wix-path-inferred")
                    .and_then(|value| value.as_bool())
                    .unwrap_or(false),
            });
        }
    }
    if !problems.is_empty() {
        bail!(
            "{} operation(s) cannot be generated:\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

fn http_method(method: &str) -> Result<&'static str> {
    Ok(match method {
        "get" => "GET",
        "put" => "PUT",
        "post" => "POST",
        "delete" => "DELETE",
        "patch" => "PATCH",
        "head" => "HEAD",
        "options" => "OPTIONS",
        "trace" => "TRACE",
        other => bail!("unknown HTTP method {other}"),
    })
}

/// `getReferralProgram` → `get_referral_program` (the spec's ids are lowerCamelCase words).
fn snake_case(id: &str) -> String {
    let mut snake = String::with_capacity(id.len() + 8);
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

/// The Rust module, before formatting.
pub(crate) fn module(rows: &[OperationRow]) -> String {
    let mut out = String::from(
        "//! Every operation of the API: its id (the generated method's name, and the\n\
         //! `operation_id` a [`crate::transport::Transport`] receives), HTTP method, path and\n\
         //! [`Replay`] class, from the spec's `x-wix-replay`.\n\n\
         /// Whether an operation may be sent again after an attempt whose effect is unknown.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n\
         pub enum Replay {\n\
         /// Reads, queries and create-or-return methods: a replay changes nothing or returns the\n\
         /// record the first attempt made.\n\
         Safe,\n\
         /// Revision-guarded writes and state transitions: a replay can answer 409, 404 (delete)\n\
         /// or 400 (transition) because the lost first attempt was applied; the caller settles the\n\
         /// call by reading the entity again.\n\
         Settle,\n\
         /// Not idempotent (each call makes something new): sent again only when it surely did\n\
         /// not reach the server.\n\
         Never,\n\
         }\n\n\
         /// One operation of the API.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n\
         pub struct Operation {\n\
         /// The generated method's name, e.g. `get_referral_program`.\n\
         pub id: &'static str,\n\
         /// The HTTP method, e.g. `GET`.\n\
         pub method: &'static str,\n\
         /// The path template, e.g. `/_api/referral-programs/v1/program`.\n\
         pub path: &'static str,\n\
         /// How it may be replayed.\n\
         pub replay: Replay,\n\
         /// Wix documents the method but not its REST path: the path is this project's\n\
         /// inference (`x-wix-path-inferred` in the spec).\n\
         pub path_inferred: bool,\n\
         }\n\n",
    );
    for row in rows {
        out.push_str(&format!(
            "/// `{} {}`\npub const {}: Operation = Operation {{ id: {:?}, method: {:?}, path: {:?}, replay: Replay::{}, path_inferred: {} }};\n\n",
            row.method,
            row.path,
            row.id.to_ascii_uppercase(),
            row.id,
            row.method,
            row.path,
            row.replay,
            row.path_inferred
        ));
    }
    out.push_str(&format!(
        "/// Every operation, by id.\npub const ALL: [Operation; {}] = [{}];\n\n",
        rows.len(),
        rows.iter()
            .map(|row| row.id.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push_str(
        "/// The operation `id` names, if the API has one.\n\
         pub fn by_id(id: &str) -> Option<&'static Operation> {\n\
         ALL.binary_search_by(|operation| operation.id.cmp(id)).ok().map(|i| &ALL[i])\n\
         }\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_the_generated_method_names() {
        let cases = [
            ("getReferralProgram", "get_referral_program"),
            (
                "getAiSocialMediaPostsSuggestions",
                "get_ai_social_media_posts_suggestions",
            ),
            ("queryReferredFriend", "query_referred_friend"),
        ];
        for (id, snake) in cases {
            assert_eq!(snake_case(id), snake);
        }
    }

    fn spec(operations: &str) -> OpenAPI {
        let yaml = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n{operations}"
        );
        serde_norway::from_str(&yaml).unwrap()
    }

    #[test]
    fn every_operation_needs_a_valid_replay_class() {
        let good = spec(
            "    get: {operationId: getA, x-wix-replay: safe, responses: {}}\n    \
             post: {operationId: makeA, x-wix-replay: never, responses: {}}\n",
        );
        let rows = rows(&good).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.id.as_str(), r.replay))
                .collect::<Vec<_>>(),
            [("get_a", "Safe"), ("make_a", "Never")]
        );
        assert!(rows.iter().all(|r| !r.path_inferred));
        let inferred = spec(
            "    get: {operationId: getA, x-wix-replay: safe, x-wix-path-inferred: true, responses: {}}\n",
        );
        assert!(super::rows(&inferred).unwrap()[0].path_inferred);
        let missing = spec("    get: {operationId: getA, responses: {}}\n");
        let error = super::rows(&missing).unwrap_err().to_string();
        assert!(
            error.contains("getA") && error.contains("found nothing"),
            "{error}"
        );
        let wrong = spec("    get: {operationId: getA, x-wix-replay: sometimes, responses: {}}\n");
        let error = super::rows(&wrong).unwrap_err().to_string();
        assert!(error.contains("\"sometimes\""), "{error}");
    }
}
