//! The one way out. Everything the CLI writes goes through [`Output`] (stdout) or [`note`]
//! (stderr); nothing else prints (`clippy::print_stdout` and `print_stderr` are denied).
//!
//! - Every write returns `io::Result`: a closed pipe (`wix-referral customers list | head -1`)
//!   becomes [`CliError::Output`], which `main` ends quietly with status 141, as a program killed
//!   by SIGPIPE would; a full disk (`> /dev/full`) is an error naming stdout.
//! - What came from a server, a file or an argument is written for a person (tables, text,
//!   errors, CSV on a terminal) with control characters escaped: C0, DEL, C1 and the bidi
//!   controls, as `\x1b` / `\u{202e}`, so data cannot drive the terminal. JSON escapes the same
//!   characters as `\u` sequences, so the data stays exact and the text inert. CSV written to a
//!   file or a pipe stays exact data.
//! - Listings stream: JSON arrays and CSV rows are written item by item, tables in blocks of
//!   [`TABLE_BLOCK_ROWS`] rows, so memory stays flat in the size of the listing. A table cell
//!   shows at most [`TABLE_CELL_CHARS`] characters, with a marker saying how many more there are.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use futures::{Stream, StreamExt};
use serde::Serialize;

use crate::cli::Format;
use crate::error::CliError;

/// One column: its header and how a row shows in it.
pub(crate) type Column<T> = (&'static str, fn(&T) -> String);

/// Rows per table block of a listing.
pub(crate) const TABLE_BLOCK_ROWS: usize = 500;

/// Characters a table cell shows before it is cut with a marker.
pub(crate) const TABLE_CELL_CHARS: usize = 200;

/// Whether `c` may not reach a terminal as it is: C0 (tab and newline included), DEL, C1, and
/// the bidirectional controls that reorder what follows them.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character escaped (`\x1b`, `\u{202e}`), for a person to read.
pub(crate) fn escaped(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`escaped`], leaving tabs (our own column separators in text lines; harmless to a terminal).
fn escape(text: &str, keep_tabs: bool) -> Cow<'_, str> {
    let unsafe_here = |c: char| is_unsafe(c) && !(keep_tabs && c == '\t');
    if !text.contains(unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' if keep_tabs => shown.push('\t'),
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x100 => {
                let _ = write!(shown, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(shown, "\\u{{{:x}}}", c as u32);
            }
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// A table cell: escaped, and cut at [`TABLE_CELL_CHARS`] with a marker.
fn cell(text: &str) -> String {
    let shown = escaped(text);
    match shown.char_indices().nth(TABLE_CELL_CHARS) {
        None => shown.into_owned(),
        Some((cut, _)) => {
            let more = shown[cut..].chars().count();
            format!("{}… (+{more} characters)", &shown[..cut])
        }
    }
}

/// Writes `message` to stderr for a person, escaped line by line. A closed stderr is ignored:
/// there is nowhere left to say anything.
pub(crate) fn note(message: impl std::fmt::Display) {
    let text = message.to_string();
    let mut err = io::stderr().lock();
    for line in text.split('\n') {
        let _ = writeln!(err, "{}", escaped(line));
    }
}

/// stdout, in the format the user chose.
pub(crate) struct Output {
    format: Format,
    out: Box<dyn Write + Send>,
    terminal: bool,
}

impl Output {
    /// Standard output, buffered.
    pub(crate) fn stdout(format: Format) -> Self {
        let stdout = io::stdout();
        let terminal = stdout.is_terminal();
        Self {
            format,
            out: Box::new(io::BufWriter::new(stdout)),
            terminal,
        }
    }

    /// A new file at `path` (replaced if it exists), never a terminal.
    pub(crate) fn file(path: &std::path::Path, format: Format) -> io::Result<Self> {
        let file = std::fs::File::create(path)?;
        Ok(Self {
            format,
            out: Box::new(io::BufWriter::new(file)),
            terminal: false,
        })
    }

    /// Into any writer (tests), as if it were (`terminal`) or were not a terminal.
    #[cfg(test)]
    fn to(format: Format, out: impl Write + Send + 'static, terminal: bool) -> Self {
        Self {
            format,
            out: Box::new(out),
            terminal,
        }
    }

    /// The format the user chose.
    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Writes what is buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Bytes we made ourselves (a completion script), as they are.
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    /// Lines for a person: each escaped.
    pub(crate) fn text(&mut self, text: &str) -> io::Result<()> {
        for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            writeln!(self.out, "{}", escape(line, true))?;
        }
        Ok(())
    }

    /// `value` as pretty JSON, with C1 and bidi controls escaped too.
    pub(crate) fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        write_json(&mut self.out, value, true)?;
        writeln!(self.out)
    }

    /// A CSV record, exact data unless stdout is a terminal.
    fn csv_record<I, S>(&mut self, record: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::with_capacity(256));
        let terminal = self.terminal;
        writer
            .write_record(record.into_iter().map(|field| {
                if terminal {
                    escaped(field.as_ref()).into_owned()
                } else {
                    field.as_ref().to_owned()
                }
            }))
            .map_err(io::Error::other)?;
        let bytes = writer
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.out.write_all(&bytes)
    }

    /// Rows of two cells (`metric`, `value`) as a two-column table, or as CSV with `header`.
    pub(crate) fn pairs(&mut self, header: [&str; 2], rows: &[(String, String)]) -> io::Result<()> {
        match self.format {
            Format::Csv => {
                self.csv_record(header)?;
                for (a, b) in rows {
                    self.csv_record([a, b])?;
                }
                Ok(())
            }
            Format::Json => {
                let object: serde_json::Map<String, serde_json::Value> = rows
                    .iter()
                    .map(|(a, b)| (a.clone(), serde_json::Value::String(b.clone())))
                    .collect();
                self.json(&object)
            }
            // `--format html` reaches only `report`; anything else would show as a table.
            Format::Table | Format::Html => {
                let mut table = Table::new();
                table.load_preset(UTF8_FULL_CONDENSED);
                for (a, b) in rows {
                    table.add_row(vec![cell(a), cell(b)]);
                }
                writeln!(self.out, "{table}")
            }
        }
    }

    /// One item: a two-column table of `fields`, JSON, or CSV of `fields`.
    pub(crate) fn item<T: Serialize>(&mut self, item: &T, fields: &[Column<T>]) -> io::Result<()> {
        match self.format {
            Format::Json => self.json(item),
            Format::Csv => {
                self.csv_record(fields.iter().map(|(name, _)| *name))?;
                self.csv_record(fields.iter().map(|(_, show)| show(item)))
            }
            // `--format html` reaches only `report`; anything else would show as a table.
            Format::Table | Format::Html => {
                let rows: Vec<(String, String)> = fields
                    .iter()
                    .map(|(name, show)| ((*name).to_owned(), show(item)))
                    .collect();
                let mut table = Table::new();
                table.load_preset(UTF8_FULL_CONDENSED);
                for (name, value) in &rows {
                    table.add_row(vec![cell(name), cell(value)]);
                }
                writeln!(self.out, "{table}")
            }
        }
    }

    /// Streams `items` as they arrive: a JSON array (one item per line), CSV rows, or tables
    /// of [`TABLE_BLOCK_ROWS`] rows. When the stream fails after some items, what was received
    /// stays printed (the JSON array is closed) and the error says how many items came before.
    pub(crate) async fn list<T, S>(
        &mut self,
        items: S,
        columns: &[Column<T>],
    ) -> Result<u64, CliError>
    where
        T: Serialize,
        S: Stream<Item = Result<T, referral_domain::Error>>,
    {
        let mut items = std::pin::pin!(items);
        let mut count = 0u64;
        let mut block: Option<Table> = None;
        let failure = loop {
            let item = match items.next().await {
                None => break None,
                Some(Err(error)) => break Some(error),
                Some(Ok(item)) => item,
            };
            match self.format {
                Format::Json => {
                    self.out
                        .write_all(if count == 0 { b"[\n  " } else { b",\n  " })?;
                    write_json(&mut self.out, &item, false)?;
                }
                Format::Csv => {
                    if count == 0 {
                        self.csv_record(columns.iter().map(|(name, _)| *name))?;
                    }
                    self.csv_record(columns.iter().map(|(_, show)| show(&item)))?;
                }
                // `--format html` reaches only `report`; anything else would show as a table.
                Format::Table | Format::Html => {
                    let table = block.get_or_insert_with(|| {
                        let mut table = Table::new();
                        table.load_preset(UTF8_FULL_CONDENSED);
                        table.set_header(columns.iter().map(|(name, _)| *name));
                        table
                    });
                    table.add_row(columns.iter().map(|(_, show)| cell(&show(&item))));
                    if table.row_count() == TABLE_BLOCK_ROWS {
                        writeln!(self.out, "{table}")?;
                        block = None;
                    }
                }
            }
            count += 1;
        };
        match self.format {
            Format::Json => self
                .out
                .write_all(if count == 0 { b"[]\n" } else { b"\n]\n" })?,
            Format::Csv => {
                if count == 0 {
                    self.csv_record(columns.iter().map(|(name, _)| *name))?;
                }
            }
            // `--format html` reaches only `report`; anything else would show as a table.
            Format::Table | Format::Html => {
                if let Some(table) = block {
                    writeln!(self.out, "{table}")?;
                }
                writeln!(self.out, "{count} item(s)")?;
            }
        }
        self.out.flush()?;
        match failure {
            None => Ok(count),
            Some(error) => Err(CliError::Partial {
                printed: count,
                error: Box::new(error),
            }),
        }
    }
}

/// JSON with C1 and bidi controls escaped as `\u` sequences on top of what serde_json escapes.
fn write_json<T: Serialize + ?Sized>(
    out: &mut dyn Write,
    value: &T,
    pretty: bool,
) -> io::Result<()> {
    if pretty {
        let mut serializer = serde_json::Serializer::with_formatter(
            out,
            Inert(serde_json::ser::PrettyFormatter::new()),
        );
        value.serialize(&mut serializer).map_err(io::Error::from)
    } else {
        let mut serializer =
            serde_json::Serializer::with_formatter(out, Inert(serde_json::ser::CompactFormatter));
        value.serialize(&mut serializer).map_err(io::Error::from)
    }
}

/// A JSON formatter that escapes, inside strings, what [`is_unsafe`] names and serde_json leaves
/// raw (DEL, C1, bidi controls); the layout is the inner formatter's.
struct Inert<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for Inert<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// An optional value, or a dash.
pub(crate) fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A date as `YYYY-MM-DD HH:MM`.
pub(crate) fn date(value: Option<chrono::DateTime<chrono::Utc>>) -> String {
    or_dash(value.map(|d| d.format("%Y-%m-%d %H:%M").to_string()))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn escaping_leaves_text_and_escapes_controls() {
        let cases = [
            ("plain ünïcödé 名前", "plain ünïcödé 名前"),
            ("\u{1b}]0;owned\u{7}", "\\x1b]0;owned\\x07"),
            ("\u{1b}[2J", "\\x1b[2J"),
            ("a\nb\tc\r", "a\\nb\\tc\\r"),
            ("\u{9b}31m", "\\x9b31m"),
            ("\u{7f}", "\\x7f"),
            ("abc\u{202e}fed", "abc\\u{202e}fed"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
        ];
        for (raw, shown) in cases {
            assert_eq!(escaped(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn json_keeps_the_data_and_escapes_every_control() {
        let value = serde_json::json!({"name": "x\u{1b}[2J\u{9b}\u{202e}y"});
        let mut out = Vec::new();
        write_json(&mut out, &value, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"name":"x\u001b[2J\u009b\u202ey"}"#);
        assert!(!text.contains(is_unsafe));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value, "the data is exact");
    }

    #[test]
    fn a_long_cell_is_cut_with_a_marker_in_linear_time() {
        let long = "n".repeat(16 * 1024 * 1024);
        let shown = cell(&long);
        assert!(shown.starts_with(&"n".repeat(TABLE_CELL_CHARS)));
        assert!(shown.ends_with(&format!(
            "… (+{} characters)",
            long.len() - TABLE_CELL_CHARS
        )));
        assert_eq!(cell("short"), "short");
    }

    fn items(n: usize, fail: bool) -> impl Stream<Item = Result<String, referral_domain::Error>> {
        let mut all: Vec<Result<String, referral_domain::Error>> =
            (0..n).map(|i| Ok(format!("item {i}"))).collect();
        if fail {
            all.push(Err(referral_domain::ApiError::new(
                "query_referring_customers",
                503,
            )
            .into()));
        }
        futures::stream::iter(all)
    }

    const COLUMNS: &[Column<String>] = &[("value", |s| s.clone())];

    #[tokio::test]
    async fn listings_stream_in_every_format_and_keep_what_came_before_a_failure() {
        for format in [Format::Json, Format::Csv, Format::Table] {
            let captured = Captured::default();
            let mut out = Output::to(format, captured.clone(), false);
            let count = out.list(items(1203, false), COLUMNS).await.unwrap();
            assert_eq!(count, 1203);
            let text = captured.text();
            match format {
                Format::Json => {
                    let parsed: Vec<String> = serde_json::from_str(&text).unwrap();
                    assert_eq!(parsed.len(), 1203);
                }
                Format::Csv => assert_eq!(text.lines().count(), 1204),
                Format::Table | Format::Html => {
                    assert_eq!(
                        text.matches("│ value").count(),
                        3,
                        "three blocks: {}",
                        &text[..200]
                    );
                    assert!(text.ends_with("1203 item(s)\n"));
                }
            }

            let captured = Captured::default();
            let mut out = Output::to(format, captured.clone(), false);
            let err = out.list(items(3, true), COLUMNS).await.unwrap_err();
            assert!(
                matches!(err, CliError::Partial { printed: 3, .. }),
                "{err:?}"
            );
            let text = captured.text();
            assert!(text.contains("item 2"), "{format:?}: {text}");
            if format == Format::Json {
                let parsed: Vec<String> = serde_json::from_str(&text).unwrap();
                assert_eq!(parsed.len(), 3, "a valid, closed array");
            }
        }
    }

    #[test]
    fn csv_is_exact_in_a_pipe_and_escaped_on_a_terminal() {
        for (terminal, expected) in [(false, "a\u{1b}[2J\n"), (true, "a\\x1b[2J\n")] {
            let captured = Captured::default();
            let mut out = Output::to(Format::Csv, captured.clone(), terminal);
            out.csv_record(["a\u{1b}[2J"]).unwrap();
            assert_eq!(captured.text(), expected, "terminal: {terminal}");
        }
    }
}
