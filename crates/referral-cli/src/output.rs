//! Tables for people; JSON and CSV for scripts.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::cli::Format;
use crate::error::CliError;

/// One column: its header and how a row shows in it.
pub type Column<T> = (&'static str, fn(&T) -> String);

/// Prints `items`: a table with `columns`, the items as a JSON array, or CSV with `columns`.
pub fn list<T: Serialize>(
    format: Format,
    items: &[T],
    columns: &[Column<T>],
) -> Result<(), CliError> {
    match format {
        Format::Json => json(&items),
        Format::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout());
            let failed = |e: csv::Error| CliError::runtime(format!("writing CSV: {e}"));
            out.write_record(columns.iter().map(|(name, _)| *name))
                .map_err(failed)?;
            for item in items {
                out.write_record(columns.iter().map(|(_, cell)| cell(item)))
                    .map_err(failed)?;
            }
            out.flush()
                .map_err(|e| CliError::runtime(format!("writing CSV: {e}")))
        }
        Format::Table => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header(columns.iter().map(|(name, _)| *name));
            for item in items {
                table.add_row(columns.iter().map(|(_, cell)| cell(item)));
            }
            println!("{table}");
            println!("{} item(s)", items.len());
            Ok(())
        }
    }
}

/// Prints one item: a two-column table of `fields`, JSON, or CSV of `fields`.
pub fn item<T: Serialize>(format: Format, item: &T, fields: &[Column<T>]) -> Result<(), CliError> {
    match format {
        Format::Json => json(item),
        Format::Csv => list(Format::Csv, std::slice::from_ref(item), fields),
        Format::Table => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            for (name, cell) in fields {
                table.add_row(vec![name.to_string(), cell(item)]);
            }
            println!("{table}");
            Ok(())
        }
    }
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::runtime(format!("writing JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// An optional value, or a dash.
pub fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A date as `YYYY-MM-DD HH:MM`.
pub fn date(value: Option<chrono::DateTime<chrono::Utc>>) -> String {
    or_dash(value.map(|d| d.format("%Y-%m-%d %H:%M").to_string()))
}
