//! Bundles the per-service specs and `common.yaml` into one OpenAPI document.
//!
//! progenitor does not follow references into other files, so the service files' references of
//! the form `./common.yaml#/components/...` are rewritten to local ones and the shared components
//! are merged in. Every collision (two services defining the same path or a different schema
//! under one name) is an error, not a silent overwrite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

/// The shared file every service refers to.
pub(crate) const COMMON_FILE: &str = "common.yaml";

/// One spec file as read from disk: its name (for the hash and error messages) and text.
pub(crate) struct SpecFile {
    pub name: String,
    pub text: String,
}

/// Reads every `*.yaml` file of `dir`, sorted by name so that the hash and output are stable.
pub(crate) fn read_spec_dir(dir: &Path) -> Result<Vec<SpecFile>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    if !paths.iter().any(|p| p.ends_with(COMMON_FILE)) {
        bail!("{} has no {COMMON_FILE}", dir.display());
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(SpecFile { name, text })
        })
        .collect()
}

/// Merges the files into one OpenAPI 3.0.3 document (as JSON).
pub(crate) fn bundle(files: &[SpecFile]) -> Result<Value> {
    let mut paths = Map::new();
    let mut webhooks = Map::new();
    let mut tags = Vec::new();
    let mut components: BTreeMap<String, Map<String, Value>> = BTreeMap::new();

    for file in files {
        let mut doc: Value =
            serde_norway::from_str(&file.text).with_context(|| format!("parsing {}", file.name))?;
        rewrite_common_refs(&mut doc);

        if let Some(file_paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in file_paths {
                if paths.insert(path.clone(), item.clone()).is_some() {
                    bail!("{}: path {path} is defined by two files", file.name);
                }
            }
        }
        if let Some(file_webhooks) = doc.get("x-webhooks").and_then(Value::as_object) {
            for (event_type, webhook) in file_webhooks {
                if webhooks
                    .insert(event_type.clone(), webhook.clone())
                    .is_some()
                {
                    bail!(
                        "{}: webhook {event_type} is defined by two files",
                        file.name
                    );
                }
            }
        }
        if let Some(file_tags) = doc.get("tags").and_then(Value::as_array) {
            tags.extend(file_tags.iter().cloned());
        }
        if let Some(file_components) = doc.get("components").and_then(Value::as_object) {
            for (kind, entries) in file_components {
                let merged = components.entry(kind.clone()).or_default();
                for (name, value) in entries.as_object().into_iter().flatten() {
                    match merged.get(name) {
                        Some(existing) if existing != value => {
                            bail!(
                                "{}: components.{kind}.{name} differs from an earlier file",
                                file.name
                            )
                        }
                        _ => {
                            merged.insert(name.clone(), value.clone());
                        }
                    }
                }
            }
        }
    }

    Ok(json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Wix Referral Program APIs",
            "version": "1.0.0",
            "description": "The five Wix Referral Program services (programs, referring customers, \
                referred friends, rewards, tracker), bundled from openapi/ by `cargo xtask codegen`."
        },
        "servers": [{ "url": "https://www.wixapis.com" }],
        "security": [{ "authorization": [], "siteId": [] }, { "authorization": [] }],
        "tags": tags,
        "paths": paths,
        "components": components,
        "x-webhooks": webhooks,
    }))
}

/// Turns `./common.yaml#/x` (and `common.yaml#/x`) references into `#/x`, recursively.
fn rewrite_common_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(reference) = child
                {
                    let local = reference
                        .strip_prefix("./")
                        .unwrap_or(reference)
                        .strip_prefix(COMMON_FILE)
                        .map(str::to_owned);
                    if let Some(local) = local {
                        *reference = local;
                    }
                } else {
                    rewrite_common_refs(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_common_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_refs_become_local_and_others_stay() {
        let mut doc = json!({
            "a": {"$ref": "./common.yaml#/components/schemas/Coupon"},
            "b": [{"$ref": "common.yaml#/components/responses/ClientError"}],
            "c": {"$ref": "#/components/schemas/Local"},
        });
        rewrite_common_refs(&mut doc);
        assert_eq!(
            doc,
            json!({
                "a": {"$ref": "#/components/schemas/Coupon"},
                "b": [{"$ref": "#/components/responses/ClientError"}],
                "c": {"$ref": "#/components/schemas/Local"},
            })
        );
    }

    fn file(name: &str, text: &str) -> SpecFile {
        SpecFile {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_path_defined_twice_is_an_error() {
        let a = file("a.yaml", "paths:\n  /x:\n    get: {operationId: a}\n");
        let b = file("b.yaml", "paths:\n  /x:\n    get: {operationId: b}\n");
        let err = bundle(&[a, b]).unwrap_err().to_string();
        assert!(err.contains("/x"), "{err}");
    }

    #[test]
    fn a_schema_redefined_differently_is_an_error_but_an_identical_one_is_not() {
        let a = file("a.yaml", "components:\n  schemas:\n    S: {type: string}\n");
        let same = file("b.yaml", "components:\n  schemas:\n    S: {type: string}\n");
        let other = file(
            "c.yaml",
            "components:\n  schemas:\n    S: {type: integer}\n",
        );
        assert!(bundle(&[a, same]).is_ok());
        let a = file("a.yaml", "components:\n  schemas:\n    S: {type: string}\n");
        let err = bundle(&[a, other]).unwrap_err().to_string();
        assert!(err.contains("components.schemas.S"), "{err}");
    }
}
