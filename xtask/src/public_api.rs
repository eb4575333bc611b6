//! `cargo xtask public-api [--check]`: the public Rust API of the crates users build on
//! (`referral-domain`, `referral-testkit`), one item per line in `api/CRATE.txt`, so that every
//! API change shows in review. `--check` fails when the checked-in listing differs.
//!
//! The listing comes from rustdoc's JSON output, which the stable toolchain emits when told that
//! unstable options are fine (`RUSTC_BOOTSTRAP=1`): no nightly toolchain is needed. Each line is
//! an item's path and signature: functions and methods with their parameters and result,
//! structs with their public fields, enums with their variants, traits with their methods,
//! trait implementations (auto traits and blanket implementations left out), re-exports.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// The crates whose API is listed, with the features their docs are built with.
const CRATES: &[(&str, &str)] = &[
    ("referral-domain", "mock,axum,test-util"),
    ("referral-testkit", ""),
];

pub(crate) fn run(root: &Path, check: bool) -> Result<()> {
    let mut stale = Vec::new();
    for (name, features) in CRATES {
        let listing = listing(root, name, features)?;
        let path = root.join("api").join(format!("{name}.txt"));
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == listing {
            println!("unchanged api/{name}.txt");
            continue;
        }
        if check {
            eprintln!("the public API of {name} changed:");
            print_difference(&current, &listing);
            stale.push(*name);
        } else {
            std::fs::create_dir_all(path.parent().context("api/")?)?;
            std::fs::write(&path, &listing)?;
            println!("wrote     api/{name}.txt");
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        bail!(
            "the public API of {} differs from api/; review it, then run `cargo xtask public-api`",
            stale.join(", ")
        )
    }
}

fn print_difference(current: &str, new: &str) {
    let diff = similar::TextDiff::from_lines(current, new);
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal => continue,
        };
        eprint!("    {sign} {change}");
    }
}

fn listing(root: &Path, name: &str, features: &str) -> Result<String> {
    let target = root.join("target").join("public-api");
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(root)
        .args(["doc", "--quiet", "--no-deps", "--lib", "-p", name])
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTDOCFLAGS", "-Z unstable-options --output-format json");
    if !features.is_empty() {
        command.args(["--features", features]);
    }
    let status = command.status().context("running cargo doc")?;
    if !status.success() {
        bail!("cargo doc (JSON) of {name} failed");
    }
    let file = target
        .join("doc")
        .join(format!("{}.json", name.replace('-', "_")));
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?,
    )?;
    let mut lines = BTreeSet::new();
    let crate_name = name.replace('-', "_");
    PATHS.with(|paths| *paths.borrow_mut() = json["paths"].clone());
    Walker {
        json: &json,
        lines: &mut lines,
    }
    .module(&json["root"], &crate_name);
    let mut out =
        format!("# The public API of {name} (`cargo xtask public-api`; do not edit by hand).\n");
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

struct Walker<'a> {
    json: &'a Value,
    lines: &'a mut BTreeSet<String>,
}

impl Walker<'_> {
    fn item(&self, id: &Value) -> Option<&Value> {
        self.json["index"].get(id.to_string().trim_matches('"'))
    }

    fn module(&mut self, id: &Value, path: &str) {
        let Some(module) = self.item(id) else { return };
        let items = module["inner"]["module"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for child in items {
            self.member(&child, path);
        }
    }

    fn member(&mut self, id: &Value, path: &str) {
        let Some(item) = self.item(id).cloned() else {
            return;
        };
        let name = item["name"].as_str().unwrap_or("_");
        let inner = &item["inner"];
        let here = format!("{path}::{name}");
        if let Some(reexport) = inner.get("use") {
            let target = &reexport["id"];
            let glob = reexport["is_glob"].as_bool().unwrap_or(false);
            match self.item(target).cloned() {
                Some(target_item) if glob => {
                    if target_item["inner"].get("module").is_some() {
                        self.module(target, path);
                    }
                }
                Some(_) => {
                    let alias = reexport["name"].as_str().unwrap_or(name);
                    self.member_as(target, path, alias);
                }
                None => {
                    self.lines.insert(format!(
                        "pub use {}{} (in {path})",
                        reexport["source"].as_str().unwrap_or("?"),
                        if glob { "::*" } else { "" }
                    ));
                }
            }
            return;
        }
        self.describe(&item, &here);
    }

    fn member_as(&mut self, id: &Value, path: &str, alias: &str) {
        if let Some(mut item) = self.item(id).cloned() {
            item["name"] = Value::String(alias.to_owned());
            let here = format!("{path}::{alias}");
            self.describe(&item, &here);
        }
    }

    fn describe(&mut self, item: &Value, here: &str) {
        let inner = &item["inner"];
        let (kind, body) = match inner.as_object().and_then(|o| o.iter().next()) {
            Some((kind, body)) => (kind.as_str(), body),
            None => return,
        };
        match kind {
            "module" => {
                self.lines.insert(format!("pub mod {here}"));
                let items = body["items"].as_array().cloned().unwrap_or_default();
                for child in items {
                    self.member(&child, here);
                }
            }
            "function" => {
                self.lines.insert(format!("pub {}", function(here, body)));
            }
            "struct" => {
                let generics = generics(&body["generics"]);
                self.lines.insert(format!("pub struct {here}{generics}"));
                if let Some(fields) = body["kind"]["plain"]["fields"].as_array() {
                    for field in fields {
                        if let Some(field) = self.item(field) {
                            self.lines.insert(format!(
                                "pub {here}::{}: {}",
                                field["name"].as_str().unwrap_or("_"),
                                ty(&field["inner"]["struct_field"])
                            ));
                        }
                    }
                }
                if let Some(fields) = body["kind"]["tuple"].as_array() {
                    let shown: Vec<String> = fields
                        .iter()
                        .map(|f| match self.item(f) {
                            Some(field) => ty(&field["inner"]["struct_field"]),
                            None => "_".into(),
                        })
                        .collect();
                    self.lines
                        .insert(format!("pub struct {here}({})", shown.join(", ")));
                }
                self.impls(&body["impls"], here);
            }
            "enum" => {
                let generics = generics(&body["generics"]);
                self.lines.insert(format!("pub enum {here}{generics}"));
                for variant in body["variants"].as_array().cloned().unwrap_or_default() {
                    if let Some(variant) = self.item(&variant).cloned() {
                        let fields = self.variant_fields(&variant["inner"]["variant"]["kind"]);
                        self.lines.insert(format!(
                            "pub {here}::{}{fields}",
                            variant["name"].as_str().unwrap_or("_")
                        ));
                    }
                }
                self.impls(&body["impls"], here);
            }
            "trait" => {
                self.lines.insert(format!("pub trait {here}"));
                for member in body["items"].as_array().cloned().unwrap_or_default() {
                    if let Some(member) = self.item(&member).cloned()
                        && let Some(f) = member["inner"].get("function")
                    {
                        let name = member["name"].as_str().unwrap_or("_");
                        self.lines.insert(format!("{here}: {}", function(name, f)));
                    }
                }
            }
            "constant" => {
                self.lines
                    .insert(format!("pub const {here}: {}", ty(&body["type"])));
            }
            "static" => {
                self.lines
                    .insert(format!("pub static {here}: {}", ty(&body["type"])));
            }
            "type_alias" => {
                self.lines
                    .insert(format!("pub type {here} = {}", ty(&body["type"])));
            }
            "macro" => {
                self.lines.insert(format!("macro {here}!"));
            }
            other => {
                self.lines.insert(format!("{other} {here}"));
            }
        }
    }

    fn variant_fields(&self, kind: &Value) -> String {
        if let Some(fields) = kind["tuple"].as_array() {
            let shown: Vec<String> = fields
                .iter()
                .map(|f| match self.item(f) {
                    Some(field) => ty(&field["inner"]["struct_field"]),
                    None => "_".into(),
                })
                .collect();
            return format!("({})", shown.join(", "));
        }
        if let Some(fields) = kind["struct"]["fields"].as_array() {
            let shown: Vec<String> = fields
                .iter()
                .filter_map(|f| self.item(f))
                .map(|field| {
                    format!(
                        "{}: {}",
                        field["name"].as_str().unwrap_or("_"),
                        ty(&field["inner"]["struct_field"])
                    )
                })
                .collect();
            let more = if kind["struct"]["has_stripped_fields"].as_bool() == Some(true) {
                ", .."
            } else {
                ""
            };
            return format!(" {{ {}{more} }}", shown.join(", "));
        }
        String::new()
    }

    fn impls(&mut self, impls: &Value, here: &str) {
        for id in impls.as_array().cloned().unwrap_or_default() {
            let Some(block) = self.item(&id).cloned() else {
                continue;
            };
            let body = &block["inner"]["impl"];
            if body["is_synthetic"].as_bool() == Some(true) || !body["blanket_impl"].is_null() {
                continue;
            }
            if let Some(tr) = body["trait"].as_object() {
                self.lines.insert(format!(
                    "impl {} for {here}",
                    path_of(&Value::Object(tr.clone()))
                ));
                continue;
            }
            for member in body["items"].as_array().cloned().unwrap_or_default() {
                let Some(member) = self.item(&member).cloned() else {
                    continue;
                };
                if member["visibility"].as_str() != Some("public") {
                    continue;
                }
                let name = member["name"].as_str().unwrap_or("_");
                if let Some(f) = member["inner"].get("function") {
                    self.lines
                        .insert(format!("pub {}", function(&format!("{here}::{name}"), f)));
                } else if let Some(c) = member["inner"].get("assoc_const") {
                    self.lines
                        .insert(format!("pub const {here}::{name}: {}", ty(&c["type"])));
                }
            }
        }
    }
}

fn function(name: &str, f: &Value) -> String {
    let header = &f["header"];
    let mut prefix = String::new();
    if header["is_const"].as_bool() == Some(true) {
        prefix.push_str("const ");
    }
    if header["is_async"].as_bool() == Some(true) {
        prefix.push_str("async ");
    }
    if header["is_unsafe"].as_bool() == Some(true) {
        prefix.push_str("unsafe ");
    }
    let inputs: Vec<String> = f["sig"]["inputs"]
        .as_array()
        .map(|inputs| {
            inputs
                .iter()
                .map(|pair| {
                    let name = pair[0].as_str().unwrap_or("_");
                    let t = ty(&pair[1]);
                    match name {
                        "self" => match t.as_str() {
                            "Self" => "self".to_owned(),
                            "&Self" => "&self".to_owned(),
                            "&mut Self" => "&mut self".to_owned(),
                            _ => format!("self: {t}"),
                        },
                        _ => format!("{name}: {t}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let output = match &f["sig"]["output"] {
        Value::Null => String::new(),
        t => format!(" -> {}", ty(t)),
    };
    format!(
        "{prefix}fn {name}{}({}){output}",
        generics(&f["generics"]),
        inputs.join(", ")
    )
}

fn generics(g: &Value) -> String {
    let params: Vec<String> = g["params"]
        .as_array()
        .map(|params| {
            params
                .iter()
                .filter(|p| {
                    // `impl Trait` arguments appear as synthetic parameters: shown in place.
                    p["kind"]["type"]["is_synthetic"].as_bool() != Some(true)
                })
                .map(|p| {
                    let name = p["name"].as_str().unwrap_or("_").to_owned();
                    match p["kind"]["type"]["bounds"].as_array() {
                        Some(bounds) if !bounds.is_empty() => {
                            format!("{name}: {}", bounds_of(bounds))
                        }
                        _ => name,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

fn bounds_of(bounds: &[Value]) -> String {
    bounds
        .iter()
        .map(|b| {
            if let Some(t) = b.get("trait_bound") {
                let modifier = if t["modifier"].as_str() == Some("maybe") {
                    "?"
                } else {
                    ""
                };
                format!("{modifier}{}", path_of(&t["trait"]))
            } else if let Some(l) = b.get("outlives") {
                l.as_str().unwrap_or("'_").to_owned()
            } else {
                "_".to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

thread_local! {
    /// rustdoc's `paths` table of the crate being listed: item ids to their canonical paths.
    static PATHS: std::cell::RefCell<Value> = const { std::cell::RefCell::new(Value::Null) };
}

/// A path as its item's canonical path (`referral_domain::ContactId`, `core::option::Option`)
/// rather than as the source spelled it (`crate::ContactId`, `super::Field`).
fn path_of(p: &Value) -> String {
    let written = p["path"].as_str().unwrap_or("?");
    let canonical = PATHS.with(|paths| {
        let paths = paths.borrow();
        let entry = &paths[p["id"].to_string().trim_matches('"')];
        entry["path"].as_array().map(|parts| {
            parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("::")
        })
    });
    let mut shown = canonical.unwrap_or_else(|| written.to_owned());
    // The standard library's types by their names: `Option`, not `core::option::Option`.
    if ["core::", "alloc::", "std::"]
        .iter()
        .any(|p| shown.starts_with(p))
        && let Some((_, last)) = shown.rsplit_once("::")
    {
        shown = last.to_owned();
    }
    format!("{shown}{}", args(&p["args"]))
}

fn args(a: &Value) -> String {
    if let Some(angle) = a.get("angle_bracketed") {
        let mut shown: Vec<String> = angle["args"]
            .as_array()
            .map(|args| {
                args.iter()
                    .map(|arg| {
                        if let Some(t) = arg.get("type") {
                            ty(t)
                        } else if let Some(l) = arg.get("lifetime") {
                            l.as_str().unwrap_or("'_").to_owned()
                        } else if let Some(c) = arg.get("const") {
                            c["expr"].as_str().unwrap_or("_").to_owned()
                        } else {
                            "_".to_owned()
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(constraints) = angle["constraints"].as_array() {
            for c in constraints {
                let name = c["name"].as_str().unwrap_or("_");
                if let Some(t) = c["binding"].get("equality").and_then(|e| e.get("type")) {
                    shown.push(format!("{name} = {}", ty(t)));
                } else if let Some(bounds) = c["binding"]["constraint"].as_array() {
                    shown.push(format!("{name}: {}", bounds_of(bounds)));
                }
            }
        }
        if shown.is_empty() {
            String::new()
        } else {
            format!("<{}>", shown.join(", "))
        }
    } else if let Some(paren) = a.get("parenthesized") {
        let inputs: Vec<String> = paren["inputs"]
            .as_array()
            .map(|i| i.iter().map(ty).collect())
            .unwrap_or_default();
        let output = match &paren["output"] {
            Value::Null => String::new(),
            t => format!(" -> {}", ty(t)),
        };
        format!("({}){output}", inputs.join(", "))
    } else {
        String::new()
    }
}

fn ty(t: &Value) -> String {
    let Some((kind, body)) = t.as_object().and_then(|o| o.iter().next()) else {
        return t.as_str().map_or_else(|| "_".to_owned(), str::to_owned);
    };
    match kind.as_str() {
        "resolved_path" => path_of(body),
        "generic" | "primitive" => body.as_str().unwrap_or("_").to_owned(),
        "borrowed_ref" => {
            let lifetime = body["lifetime"]
                .as_str()
                .map_or(String::new(), |l| format!("{l} "));
            let mutable = if body["is_mutable"].as_bool() == Some(true) {
                "mut "
            } else {
                ""
            };
            format!("&{lifetime}{mutable}{}", ty(&body["type"]))
        }
        "slice" => format!("[{}]", ty(body)),
        "array" => format!(
            "[{}; {}]",
            ty(&body["type"]),
            body["len"].as_str().unwrap_or("_")
        ),
        "tuple" => {
            let parts: Vec<String> = body
                .as_array()
                .map(|p| p.iter().map(ty).collect())
                .unwrap_or_default();
            format!("({})", parts.join(", "))
        }
        "impl_trait" => format!(
            "impl {}",
            bounds_of(body.as_array().map_or(&[][..], Vec::as_slice))
        ),
        "dyn_trait" => {
            let traits: Vec<String> = body["traits"]
                .as_array()
                .map(|ts| ts.iter().map(|t| path_of(&t["trait"])).collect())
                .unwrap_or_default();
            let lifetime = body["lifetime"]
                .as_str()
                .map_or(String::new(), |l| format!(" + {l}"));
            format!("dyn {}{lifetime}", traits.join(" + "))
        }
        "qualified_path" => {
            let name = body["name"].as_str().unwrap_or("_");
            match body["trait"].as_object() {
                Some(tr) => format!(
                    "<{} as {}>::{name}",
                    ty(&body["self_type"]),
                    path_of(&Value::Object(tr.clone()))
                ),
                None => format!("{}::{name}", ty(&body["self_type"])),
            }
        }
        "raw_pointer" => format!(
            "*{} {}",
            if body["is_mutable"].as_bool() == Some(true) {
                "mut"
            } else {
                "const"
            },
            ty(&body["type"])
        ),
        "function_pointer" => "fn(..)".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::ty;

    #[test]
    fn types_render_as_rust() {
        let cases = [
            (json!({"primitive": "u32"}), "u32"),
            (
                json!({"borrowed_ref": {"lifetime": null, "is_mutable": true, "type": {"slice": {"primitive": "u8"}}}}),
                "&mut [u8]",
            ),
            (
                json!({"borrowed_ref": {"lifetime": "'a", "is_mutable": false, "type": {"generic": "T"}}}),
                "&'a T",
            ),
            (
                json!({"tuple": [{"primitive": "u8"}, {"generic": "S"}]}),
                "(u8, S)",
            ),
            (
                json!({"resolved_path": {"path": "Option", "id": 999_999, "args": {"angle_bracketed": {"args": [{"type": {"primitive": "bool"}}], "constraints": []}}}}),
                "Option<bool>",
            ),
            (
                json!({"impl_trait": [{"trait_bound": {"trait": {"path": "Into", "id": 999_998, "args": {"angle_bracketed": {"args": [{"type": {"primitive": "str"}}], "constraints": []}}}, "modifier": "none"}}]}),
                "impl Into<str>",
            ),
        ];
        for (json, shown) in cases {
            assert_eq!(ty(&json), shown, "{json}");
        }
    }
}
