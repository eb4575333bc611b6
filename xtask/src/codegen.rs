//! `cargo xtask codegen`: specs → bundled spec → progenitor → open enums → formatted files.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use schemars::schema::{InstanceType, SchemaObject};
use sha2::{Digest, Sha256};

use crate::bundle::{self, SpecFile};
use crate::open_enums;

/// Where the int64-as-string wire type lives. Spelled through the crate name so that the same
/// path resolves inside referral-api (`extern crate self as referral_api`) and in the mocks.
const INT64_WIRE_TYPE: &str = "::referral_api::wire::Int64String";

/// Money is a decimal string on the wire (`"815.00"`): an exact decimal, never a float.
const DECIMAL_TYPE: &str = "::rust_decimal::Decimal";

/// The generated `Client` carries a hand-written `Sender` (crates/referral-api/src/transport.rs):
/// its `exec` hook hands every request to the transport the SDK layer plugs in (auth, retries,
/// rate limit, per-attempt tracing). The hook impl has to live in referral-api (orphan rule);
/// the inner type is what lets a downstream crate supply the behaviour all the same.
const INNER_TYPE: &str = "::referral_api::transport::Sender";

/// A file this task owns, relative to the workspace root.
struct GeneratedFile {
    path: &'static str,
    contents: String,
}

pub(crate) fn run(root: &Path, check: bool) -> Result<()> {
    let files = bundle::read_spec_dir(&root.join("openapi"))?;
    let outputs = generate_all(&files)?;
    if check {
        check_files(root, &outputs)
    } else {
        write_files(root, &outputs)
    }
}

fn generate_all(files: &[SpecFile]) -> Result<Vec<GeneratedFile>> {
    let hash = spec_hash(files);
    let bundled = bundle::bundle(files)?;
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(bundled.clone()).context("the bundled spec is not OpenAPI 3.0")?;

    let client = Generator::new(&settings())
        .generate_tokens(&spec)
        .map_err(|e| anyhow::anyhow!("progenitor (client): {e}"))?;
    let client = open_enums::open_all_enums(parse(client)?);

    let mocks = Generator::new(&settings())
        .httpmock(&spec, "referral_api")
        .map_err(|e| anyhow::anyhow!("progenitor (httpmock): {e}"))?;
    let mocks = parse(mocks)?;

    let operations = crate::operations::module(&crate::operations::rows(&spec)?);
    let operations = syn::parse_file(&operations).context("the operation table is not Rust")?;
    let webhooks = crate::webhooks::module(&crate::webhooks::rows(&bundled)?);
    let webhooks = syn::parse_file(&webhooks).context("the webhook table is not Rust")?;

    // JSON has no comments: the bundled document says it is generated, and from what, in `info`.
    let mut bundled = bundled;
    if let Some(info) = bundled.get_mut("info").and_then(|i| i.as_object_mut()) {
        info.insert(
            "x-generated".into(),
            "by `cargo xtask codegen` from openapi/*.yaml; do not edit".into(),
        );
        info.insert("x-spec-sha256".into(), hash.clone().into());
    }
    let mut bundled_text = serde_json::to_string_pretty(&bundled)?;
    bundled_text.push('\n');

    Ok(vec![
        GeneratedFile {
            path: "crates/referral-api/src/generated_client.rs",
            contents: rust_file(&client, &hash)?,
        },
        GeneratedFile {
            path: "crates/referral-testkit/src/generated_httpmock.rs",
            contents: rust_file(&mocks, &hash)?,
        },
        GeneratedFile {
            path: "crates/referral-api/src/operations.rs",
            contents: rust_file(&operations, &hash)?,
        },
        GeneratedFile {
            path: "crates/referral-api/src/webhooks.rs",
            contents: rust_file(&webhooks, &hash)?,
        },
        GeneratedFile {
            path: "crates/referral-api/openapi.json",
            contents: bundled_text,
        },
    ])
}

fn settings() -> GenerationSettings {
    let int64_as_string = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: Some("int64".to_owned()),
        ..Default::default()
    };
    let decimal = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: Some("decimal".to_owned()),
        ..Default::default()
    };
    // `nullable: true` reaches typify as the type pair [string, null].
    let nullable_decimal = SchemaObject {
        instance_type: Some(vec![InstanceType::String, InstanceType::Null].into()),
        ..decimal.clone()
    };
    let decimal_impls = || [TypeImpl::Display, TypeImpl::FromStr].into_iter();
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // referral-api implements ClientHooks by hand (crates/referral-api/src/hooks.rs); a
        // missing impl must be a compile error rather than a silent default.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(INNER_TYPE.parse().expect("INNER_TYPE is a Rust path"))
        .with_conversion(
            int64_as_string,
            INT64_WIRE_TYPE,
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        )
        .with_conversion(decimal, DECIMAL_TYPE, decimal_impls())
        .with_conversion(nullable_decimal, DECIMAL_TYPE, decimal_impls());
    settings
}

fn parse(tokens: proc_macro2::TokenStream) -> Result<syn::File> {
    syn::parse2(crate::doc_lines::split_multiline_docs(tokens))
        .context("progenitor produced tokens that are not a Rust file")
}

/// SHA-256 over every spec input, by name and content, in name order.
fn spec_hash(files: &[SpecFile]) -> String {
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.name.as_bytes());
        hasher.update([0]);
        hasher.update(file.text.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn rust_file(file: &syn::File, hash: &str) -> Result<String> {
    let body = rustfmt(&prettyplease::unparse(file))?;
    Ok(format!(
        "// @generated by `cargo xtask codegen` from openapi/*.yaml. Do not edit: change the spec\n\
         // or xtask/ and regenerate.\n\
         // spec-sha256: {hash}\n\n{body}"
    ))
}

/// Formats with the toolchain's stable rustfmt so that `cargo fmt --check` agrees with the output.
fn rustfmt(source: &str) -> Result<String> {
    let rustfmt = std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_owned());
    let mut child = Command::new(&rustfmt)
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {rustfmt} (rustup component add rustfmt)"))?;
    let mut stdin = child.stdin.take().context("rustfmt stdin")?;
    let input = source.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("rustfmt writer thread panicked"))??;
    if !output.status.success() {
        bail!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

fn write_files(root: &Path, outputs: &[GeneratedFile]) -> Result<()> {
    for file in outputs {
        let path = root.join(file.path);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(file.contents.as_str()) {
            println!("unchanged {}", file.path);
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.contents).with_context(|| format!("writing {}", file.path))?;
        println!("wrote     {}", file.path);
    }
    Ok(())
}

fn check_files(root: &Path, outputs: &[GeneratedFile]) -> Result<()> {
    let mut stale = Vec::new();
    for file in outputs {
        let current = std::fs::read_to_string(root.join(file.path)).unwrap_or_default();
        if current != file.contents {
            eprintln!(
                "stale: {}\n{}",
                file.path,
                first_difference(&current, &file.contents)
            );
            stale.push(file.path);
        }
    }
    if stale.is_empty() {
        println!("generated code is up to date ({} files)", outputs.len());
        Ok(())
    } else {
        bail!(
            "{} generated file(s) out of date: {}; run `cargo xtask codegen`",
            stale.len(),
            stale.join(", ")
        )
    }
}

/// The first hunk of a unified diff, checked-in (`-`) against regenerated (`+`), at most 20 lines.
fn first_difference(current: &str, expected: &str) -> String {
    let diff = similar::TextDiff::from_lines(current, expected);
    let hunk = diff
        .unified_diff()
        .context_radius(2)
        .header("checked in", "regenerated")
        .iter_hunks()
        .next()
        .map(|h| h.to_string())
        .unwrap_or_default();
    hunk.lines()
        .take(20)
        .map(|l| format!("    {l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_changes_with_content_and_name() {
        let a = [SpecFile {
            name: "a.yaml".into(),
            text: "x".into(),
        }];
        let b = [SpecFile {
            name: "a.yaml".into(),
            text: "y".into(),
        }];
        let c = [SpecFile {
            name: "b.yaml".into(),
            text: "x".into(),
        }];
        assert_ne!(spec_hash(&a), spec_hash(&b));
        assert_ne!(spec_hash(&a), spec_hash(&c));
        assert_eq!(spec_hash(&a), spec_hash(&a));
        assert_eq!(spec_hash(&a).len(), 64);
    }

    #[test]
    fn first_difference_shows_both_sides() {
        let shown = first_difference("a\nb\nc\n", "a\nB\nc\n");
        assert!(shown.contains("-b") && shown.contains("+B"), "{shown}");
    }

    #[test]
    fn generation_is_deterministic() {
        let root = crate::workspace_root();
        let files = bundle::read_spec_dir(&root.join("openapi")).unwrap();
        let first = generate_all(&files).unwrap();
        let second = generate_all(&files).unwrap();
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(
                a.contents, b.contents,
                "{} differs between two runs",
                a.path
            );
        }
    }
}
