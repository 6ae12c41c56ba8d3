//! The one way out: reports become tables and text lines, JSON, or JSON Lines.
//!
//! Owns: the JSON envelope (the published contract, `schema/*.json`), table
//! layout (tabled), colour, and escaping of control characters from the data.
//! Must not: compute anything an analysis should.
//! Invariants: nothing from the data reaches a terminal raw (control characters are
//! shown as `\u{..}`-style escapes); colour only when asked or on a TTY without `NO_COLOR`.

pub mod redact;
pub mod views;

use crate::model::Format;
use crate::scan::{describe_bad, LineIndex, SourceStats};
use crate::source::Skipped;
use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

/// Version of the JSON contract. Bumped on any change of shape; additive changes bump the minor.
pub const SCHEMA_VERSION: &str = "1.2.0";

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Tables and text for people.
    Table,
    /// One JSON envelope.
    Json,
    /// One JSON record per line (the report's list items).
    Jsonl,
}

/// How tables and text are drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// ANSI colour on.
    pub color: bool,
    /// Terminal width in columns.
    pub width: usize,
}

/// The JSON envelope every command prints with `--format json`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope<D> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// The subcommand.
    pub command: String,
    /// The query as understood (times resolved to RFC 3339 UTC).
    pub query: QueryEcho,
    /// What was read.
    pub sources: Sources,
    /// The command's report.
    pub data: D,
}

/// The query, echoed with every value resolved. Fields a command does not take are null.
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueryEcho {
    /// Inclusive lower time bound (RFC 3339 UTC).
    pub after: Option<String>,
    /// Inclusive upper time bound (RFC 3339 UTC).
    pub before: Option<String>,
    /// `replay --at` (RFC 3339 UTC).
    pub at: Option<String>,
    /// Severities kept.
    pub severity: Vec<String>,
    /// Agent filter.
    pub agent: Option<String>,
    /// Category filter.
    pub category: Option<String>,
    /// Regex filter.
    pub grep: Option<String>,
    /// Entity/event type filter.
    pub entity_type: Option<String>,
    /// Grouping.
    pub by: Option<String>,
    /// List limit.
    pub limit: Option<u64>,
    /// `--fail-on` threshold.
    pub fail_on: Option<String>,
    /// `queues --pending`.
    pub pending: bool,
    /// `audit`: the rules on.
    pub rules: Vec<String>,
    /// `audit --session`.
    pub sessions: Vec<String>,
}

/// The `sources` block: what was read, and what could not be.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    /// Inputs read.
    pub files: Vec<SourceFile>,
    /// Inputs passed over, with why.
    pub skipped: Vec<SkippedFile>,
    /// Well-formed records in all.
    pub records: u64,
    /// Unreadable records in all (torn tails not included).
    pub malformed: u64,
}

/// One input read.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    /// Path as named (`-` is stdin).
    pub file: String,
    /// Detected format.
    pub format: Option<Format>,
    /// Bytes read.
    pub bytes: u64,
    /// Well-formed records.
    pub records: u64,
    /// Unreadable records.
    pub malformed: u64,
    /// The first unreadable records, `file:line (reason)`.
    pub first_malformed: Vec<String>,
    /// The last record is cut short (`file:line`), as when a writer is mid-line.
    pub torn_tail: Option<String>,
    /// Lines skipped unparsed by the query's literal prefilter.
    pub prefiltered: u64,
    /// Notes (damaged archive, file changed during the scan).
    pub notes: Vec<String>,
}

/// An input passed over.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SkippedFile {
    /// Path.
    pub file: String,
    /// Why.
    pub reason: String,
}

impl Sources {
    /// Builds the block from scan statistics.
    pub fn new(stats: &[SourceStats], skipped: &[Skipped], index: &LineIndex) -> Sources {
        let files: Vec<SourceFile> = stats
            .iter()
            .map(|s| SourceFile {
                file: s.display.clone(),
                format: s.format,
                bytes: s.bytes,
                records: s.records,
                malformed: s.malformed,
                first_malformed: s.first_bad.iter().map(|b| describe_bad(index, b)).collect(),
                torn_tail: s.torn_tail.as_ref().map(|b| index.at(&b.loc)),
                prefiltered: s.prefiltered,
                notes: s.notes.clone(),
            })
            .collect();
        Sources {
            records: files.iter().map(|f| f.records).sum(),
            malformed: files.iter().map(|f| f.malformed).sum(),
            files,
            skipped: skipped
                .iter()
                .map(|s| SkippedFile {
                    file: s.display.clone(),
                    reason: s.reason.clone(),
                })
                .collect(),
        }
    }
}

/// How a line of text is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// No colour.
    Plain,
    /// Bold.
    Heading,
    /// Red, bold.
    Critical,
    /// Red.
    Error,
    /// Yellow.
    Warning,
    /// Green.
    Good,
    /// Dim.
    Dim,
}

/// A piece of table output.
#[derive(Debug, Clone)]
pub enum Block {
    /// A line of text.
    Line(Tone, String),
    /// A table; `empty` is printed instead when there are no rows.
    Table {
        /// Column headers.
        headers: Vec<String>,
        /// Rows of cells (escaped at render time).
        rows: Vec<Vec<String>>,
        /// Text when there are no rows.
        empty: String,
    },
}

/// A report that can be shown as a table and as JSON Lines.
pub trait View: Serialize {
    /// The blocks of the table view.
    fn blocks(&self, sources: &Sources) -> Vec<Block>;
    /// The items printed one per line by `--format jsonl`.
    fn items(&self) -> Vec<serde_json::Value>;
}

/// Escapes control characters (ESC, CR, BEL, …) and other non-printing characters
/// so that data can never drive the terminal. Tabs become spaces.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters, bidi controls and the default-ignorable code points
/// (invisible, or able to reorder or hide text on a terminal).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

fn paint(style: &Style, tone: Tone, s: &str) -> String {
    if !style.color {
        return s.to_string();
    }
    let code = match tone {
        Tone::Plain => return s.to_string(),
        Tone::Heading => "1",
        Tone::Critical => "1;31",
        Tone::Error => "31",
        Tone::Warning => "33",
        Tone::Good => "32",
        Tone::Dim => "2",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// Writes a report in the chosen format. `envelope` is the JSON form.
///
/// Errors: I/O errors from `out` (a closed pipe is handled by the caller).
pub fn emit<V: View>(
    envelope: &Envelope<V>,
    format: OutputFormat,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, envelope)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            for item in envelope.data.items() {
                serde_json::to_writer(&mut *out, &item)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Table => {
            for block in envelope.data.blocks(&envelope.sources) {
                write_block(&block, style, out)?;
            }
        }
    }
    out.flush()
}

fn write_block(block: &Block, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    match block {
        Block::Line(tone, text) => {
            let line = escape(text);
            let clipped = crate::format::summary::clip(&line, style.width.max(20));
            writeln!(out, "{}", paint(style, *tone, &clipped))
        }
        Block::Table {
            headers,
            rows,
            empty,
        } => {
            if rows.is_empty() {
                return writeln!(out, "{}", paint(style, Tone::Dim, empty));
            }
            use tabled::settings::{object::Columns, Modify, Style as TStyle, Width};
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| escape(c).into_owned()).collect())
                .collect();
            let widths = fit_columns(headers, &cells, style.width.max(40));
            // Locations are cut from the left, so the file name and line stay.
            let mut cells = cells;
            for (i, w) in widths.iter().enumerate() {
                if let (Some(w), "at" | "file") = (w, headers[i].as_str()) {
                    for r in &mut cells {
                        if let Some(c) = r.get_mut(i) {
                            *c = clip_left(c, *w);
                        }
                    }
                }
            }
            let mut b = tabled::builder::Builder::default();
            b.push_record(headers.iter().cloned());
            for r in cells {
                b.push_record(r);
            }
            let mut t = b.build();
            // A light style, as log viewers print: no borders, two spaces between columns.
            t.with(TStyle::blank());
            t.with(tabled::settings::Padding::new(0, 1, 0, 0));
            for (i, w) in widths.iter().enumerate() {
                if let (Some(w), false) = (w, matches!(headers[i].as_str(), "at" | "file")) {
                    t.with(Modify::new(Columns::new(i..=i)).with(Width::truncate(*w).suffix("…")));
                }
            }
            for line in t.to_string().lines() {
                writeln!(out, "{}", line.trim_end())?;
            }
            Ok(())
        }
    }
}

/// Column headers whose values are identifiers or times: never cut (an id that
/// is cut cannot be copied into the next command).
const KEEP_WHOLE: [&str; 10] = [
    "status", "session", "agent", "id", "time", "start", "sent", "severity", "key", "to",
];

/// Chooses a width for each column so that the table fits in `width` terminal
/// columns. Columns of identifiers, times, statuses and numbers keep their
/// natural width. The others give up room in phases, widest first within a
/// phase: locations (`at`, cut from the left later), then models and examples,
/// then kinds down to 12, then summaries down to 24, then anything down to its
/// header (at least 6). `None`: not cut.
fn fit_columns(headers: &[String], rows: &[Vec<String>], width: usize) -> Vec<Option<usize>> {
    let n = headers.len();
    let cw = |s: &str| s.chars().count();
    let mut nat: Vec<usize> = headers.iter().map(|h| cw(h)).collect();
    let mut numeric = vec![true; n];
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            nat[i] = nat[i].max(cw(c));
            if !c
                .chars()
                .all(|ch| ch.is_ascii_digit() || ",.$%-+ kMGsmhd()".contains(ch))
            {
                numeric[i] = false;
            }
        }
    }
    // The light style: a blank separator and one space of padding per column.
    let frame = 2 * n;
    let mut total: usize = nat.iter().sum::<usize>() + frame;
    let mut w = nat.clone();
    let shrinkable = |i: usize| !numeric[i] && !KEEP_WHOLE.contains(&headers[i].as_str());
    // (columns, floor) per phase; a column shrinks widest first within a phase.
    let phases: [(&[&str], usize); 6] = [
        (&["at", "file"], 20),
        (&["models", "example", "role"], 12),
        (&["kind"], 20),
        (&["summary", "message"], 24),
        (&["at", "file", "kind", "models"], 10),
        (&[], 6),
    ];
    for (names, floor) in phases {
        let floor = |i: usize| floor.max(cw(&headers[i])).max(6);
        let in_phase = |i: usize| names.is_empty() || names.contains(&headers[i].as_str());
        while total > width {
            let Some(i) = (0..n)
                .filter(|i| shrinkable(*i) && in_phase(*i) && w[*i] > floor(*i))
                .max_by_key(|i| (w[*i], std::cmp::Reverse(*i)))
            else {
                break;
            };
            w[i] -= 1;
            total -= 1;
        }
    }
    (0..n).map(|i| (w[i] < nat[i]).then_some(w[i])).collect()
}

/// Cuts `s` to `w` characters from the left (`…ures/pipe/x.log:12`), so that
/// the end of a path and its line number stay visible.
fn clip_left(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    let keep: String = s.chars().skip(n - w.saturating_sub(1)).collect();
    format!("…{keep}")
}

/// Writes the per-input problems (bad records, skipped inputs, notes) to stderr
/// as `oracle: file:line: reason` lines. Never fails the run.
pub fn report_problems(sources: &Sources, err: &mut dyn Write) {
    for f in &sources.files {
        if f.malformed > 0 {
            let _ = writeln!(
                err,
                "oracle: {}: {} unreadable record(s); first: {}",
                escape(&f.file),
                f.malformed,
                escape(&f.first_malformed.join("; "))
            );
        }
        if let Some(t) = &f.torn_tail {
            let _ = writeln!(
                err,
                "oracle: {}: last record is cut short (file still being written?)",
                escape(t)
            );
        }
        for n in &f.notes {
            let _ = writeln!(err, "oracle: {}: {}", escape(&f.file), escape(n));
        }
    }
    for s in &sources.skipped {
        let _ = writeln!(
            err,
            "oracle: {}: skipped: {}",
            escape(&s.file),
            escape(&s.reason)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_control_sequences() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\x1b[31mred\rb"), "a\\u{1b}[31mred\\rb");
        assert_eq!(escape("x\u{202e}y"), "x\\u{202e}y");
    }
}
