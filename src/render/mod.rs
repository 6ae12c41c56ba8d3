//! The one way out: reports become tables and text lines, JSON, or JSON Lines.
//!
//! Owns: the JSON envelope (the published contract, `schema/*.json`), table
//! layout (tabled), colour, and escaping of control characters from the data.
//! Must not: compute anything an analysis should.
//! Invariants: nothing from the data reaches a terminal raw (control characters are
//! shown as `\u{..}`-style escapes); colour only when asked or on a TTY without `NO_COLOR`.

pub mod html;
pub mod live;
pub mod redact;
pub mod views;

use crate::model::{Format, Severity};
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
    /// `diffs --unfinished`.
    pub unfinished: bool,
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
    /// A line of text (clipped to the width).
    Line(Tone, String),
    /// A line never clipped: a command to copy and run.
    Whole(Tone, String),
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
            let clipped = clip_right(&line, style.width.max(20));
            writeln!(out, "{}", paint(style, *tone, &clipped))
        }
        Block::Whole(tone, text) => writeln!(out, "{}", paint(style, *tone, &escape(text))),
        Block::Table {
            headers,
            rows,
            empty,
        } => {
            if rows.is_empty() {
                return writeln!(out, "{}", paint(style, Tone::Dim, empty));
            }
            use tabled::settings::Style as TStyle;
            let mut cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| escape(c).into_owned()).collect())
                .collect();
            let width = style.width.max(40);
            let mut headers = headers.clone();
            shorten_headers(&mut headers, &cells, width);
            let (mut headers, below) = move_locations_below(&headers, &mut cells, width);
            shorten_headers(&mut headers, &cells, width);
            let headers = &headers;
            let widths = fit_columns(headers, &cells, width);
            let severity = headers.iter().position(|h| h == "severity");
            let sev_cells: Vec<Option<String>> = cells
                .iter()
                .map(|r| severity.and_then(|i| r.get(i).cloned()))
                .collect();
            // Cells are cut to their column's display width here (never inside a
            // wide character); locations from the left, so the file name and
            // line stay.
            for (i, w) in widths.iter().enumerate() {
                let Some(w) = *w else { continue };
                let left = matches!(headers[i].as_str(), "at" | "file");
                for r in &mut cells {
                    if let Some(c) = r.get_mut(i) {
                        *c = if left {
                            clip_left(c, w)
                        } else {
                            clip_right(c, w)
                        };
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
            let text = t.to_string();
            let mut lines = text.lines();
            let header = lines.next().unwrap_or("").trim_end();
            writeln!(out, "{header}")?;
            // Where the severity column starts (in characters; headers are plain ASCII).
            let sev_at = severity.and_then(|i| header.find(headers[i].as_str()));
            for (k, line) in lines.enumerate() {
                let line = line.trim_end();
                match (sev_at, sev_cells.get(k).cloned().flatten()) {
                    (Some(at), Some(cell)) if style.color => {
                        writeln!(out, "{}", paint_severity(style, line, at, &cell))?
                    }
                    _ => writeln!(out, "{line}")?,
                }
                if let Some(moved) = below.get(k) {
                    for l in below_lines(moved, width) {
                        writeln!(out, "{}", paint(style, Tone::Dim, &l))?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// Colours the severity word of a table line that starts at character `at`
/// (left as it is when the line does not hold `cell` there, e.g. after wide
/// characters in an earlier column).
fn paint_severity(style: &Style, line: &str, at: usize, cell: &str) -> String {
    let start = line.char_indices().nth(at).map(|(b, _)| b);
    let Some(start) = start.filter(|b| line[*b..].starts_with(cell)) else {
        return line.to_string();
    };
    let tone = match Severity::parse(cell) {
        Some(Severity::Critical) => Tone::Critical,
        Some(Severity::Error) => Tone::Error,
        Some(Severity::Warning) => Tone::Warning,
        _ => return line.to_string(),
    };
    let end = start + cell.len();
    format!(
        "{}{}{}",
        &line[..start],
        paint(style, tone, cell),
        &line[end..]
    )
}

/// Short forms of long headers over narrow columns (numbers, durations).
const SHORT_HEADERS: [(&str, &str); 9] = [
    ("oldest pending", "oldest"),
    ("oldest unread", "unread age"),
    ("in progress", "in prog"),
    ("tool calls", "tools"),
    ("cache read", "c.read"),
    ("cache write", "c.write"),
    ("duration", "dur"),
    ("pending", "pend"),
    ("errors", "errs"),
];

/// Each column's natural width: its widest cell or header, in characters.
fn natural_widths(headers: &[String], cells: &[Vec<String>]) -> Vec<usize> {
    (0..headers.len())
        .map(|i| {
            cells
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| display_width(c.as_str()))
                .chain([display_width(&headers[i])])
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The width a table takes at its natural column widths (light style).
fn natural_width(headers: &[String], cells: &[Vec<String>]) -> usize {
    natural_widths(headers, cells).iter().map(|w| w + 2).sum()
}

/// Replaces long headers by their short forms, one at a time, while the table
/// is wider than `width`.
fn shorten_headers(headers: &mut [String], cells: &[Vec<String>], width: usize) {
    for (long, short) in SHORT_HEADERS {
        if natural_width(headers, cells) <= width {
            return;
        }
        for h in headers.iter_mut().filter(|h| h.as_str() == long) {
            *h = short.to_string();
        }
    }
}

/// Whether a table laid out in one line per row would be poor at `width`: wider
/// than the terminal even after cutting what may be cut (ids are never cut), or
/// its text column (summary, message) cut to fewer than 24 characters.
fn too_narrow(headers: &[String], cells: &[Vec<String>], width: usize) -> bool {
    if natural_width(headers, cells) <= width {
        return false;
    }
    let fitted = fit_columns(headers, cells, width);
    let natural = natural_widths(headers, cells);
    let total: usize = (0..headers.len())
        .map(|i| fitted[i].unwrap_or(natural[i]) + 2)
        .sum();
    let text_cut = (0..headers.len()).any(|i| {
        matches!(headers[i].as_str(), "summary" | "message" | "example")
            && fitted[i].is_some_and(|w| w < natural[i].min(24))
    });
    total > width || text_cut
}

/// What moved out of one table row onto the line below it.
struct Moved {
    /// Ids, kinds, models, then columns moved as `header value`: never cut
    /// (wrapped between parts when they do not fit on one line).
    lead: Vec<String>,
    /// The location (`at`), cut from the left to what room is left.
    at: Option<String>,
}

/// The lines printed under a row for what moved out of it: `  ↳ ` then the
/// parts, two spaces apart, wrapped between parts (never inside one) at
/// `width`, continuation lines indented by four; the location last, cut from
/// the left to the room left on its line (at least 12 columns).
fn below_lines(moved: &Moved, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::from("  ↳ ");
    let mut empty = true;
    for part in &moved.lead {
        let need = display_width(part) + if empty { 0 } else { 2 };
        if !empty && display_width(&line) + need > width {
            lines.push(std::mem::replace(&mut line, String::from("    ")));
            empty = true;
        }
        if !empty {
            line.push_str("  ");
        }
        line.push_str(part);
        empty = false;
    }
    if let Some(at) = &moved.at {
        let used = display_width(&line) + if empty { 0 } else { 2 };
        if !empty && width.saturating_sub(used) < 12 {
            lines.push(std::mem::replace(&mut line, String::from("    ")));
            empty = true;
        }
        if !empty {
            line.push_str("  ");
        }
        let room = width.saturating_sub(display_width(&line)).max(12);
        line.push_str(&clip_left(at, room));
        empty = false;
    }
    if !empty {
        lines.push(line);
    }
    lines
}

/// When a table does not fit in `width`, columns move out of it onto a line
/// below each row (as compilers print `--> file:line`): first the location
/// (`at`) with the record kind, so the text gets the room, then models, then
/// ids, which are never cut; then, while the row is still too wide even after
/// cutting what may be cut (see [`too_narrow`]), its rightmost columns but the
/// first two (each written `header value`, as
/// `cost $0.52`), when the table has no text column to cut instead. Returns the headers left and what moved, by row.
fn move_locations_below(
    headers: &[String],
    cells: &mut [Vec<String>],
    width: usize,
) -> (Vec<String>, Vec<Moved>) {
    let keep = |moved: &[&str]| -> Vec<usize> {
        (0..headers.len())
            .filter(|i| !moved.contains(&headers[*i].as_str()))
            .collect()
    };
    let only = |cols: &[usize]| {
        let h: Vec<String> = cols.iter().map(|i| headers[*i].clone()).collect();
        let c: Vec<Vec<String>> = cells
            .iter()
            .map(|r| cols.iter().filter_map(|i| r.get(*i).cloned()).collect())
            .collect();
        (h, c)
    };
    let width_of = |cols: &[usize]| {
        let (h, c) = only(cols);
        natural_width(&h, &c)
    };
    let poor = |cols: &[usize]| {
        let (h, c) = only(cols);
        too_narrow(&h, &c, width)
    };
    let order = ["id", "kind", "models"];
    let named = |h: &str| order.contains(&h) || h == "at";
    if !headers.iter().any(|h| named(h)) || !too_narrow(headers, cells, width) {
        return (headers.to_vec(), Vec::new());
    }
    let mut moved: Vec<&str> = vec!["at", "kind"];
    for next in ["models", "id"] {
        if width_of(&keep(&moved)) > width {
            moved.push(next);
        }
    }
    let has_text = headers
        .iter()
        .any(|h| matches!(h.as_str(), "summary" | "message" | "example"));
    // Columns moved as `header value`, rightmost first, in column order below.
    let mut labelled: Vec<usize> = Vec::new();
    loop {
        let kept = keep(&moved);
        let kept: Vec<usize> = kept.into_iter().filter(|i| !labelled.contains(i)).collect();
        // A table with a text column cuts the text instead (it gets the rest
        // of the line); only tables of ids and numbers move columns below.
        if kept.len() <= 2 || has_text || !poor(&kept) {
            break;
        }
        labelled.insert(0, kept[kept.len() - 1]);
    }
    let kept: Vec<usize> = keep(&moved)
        .into_iter()
        .filter(|i| !labelled.contains(i))
        .collect();
    let position = |name: &str| headers.iter().position(|h| h == name);
    let below = cells
        .iter_mut()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().filter(|c| !c.is_empty());
            let mut lead: Vec<String> = order
                .iter()
                .filter(|name| moved.contains(name))
                .filter_map(|name| position(name))
                .filter_map(cell)
                .collect();
            lead.extend(
                labelled
                    .iter()
                    .filter_map(|i| cell(*i).filter(|c| c != "-").map(|c| (*i, c)))
                    .map(|(i, c)| format!("{} {c}", headers[i])),
            );
            let at = position("at")
                .filter(|_| moved.contains(&"at"))
                .and_then(cell);
            let left: Vec<String> = kept.iter().filter_map(|i| r.get(*i).cloned()).collect();
            *r = left;
            Moved { lead, at }
        })
        .collect();
    (kept.iter().map(|i| headers[*i].clone()).collect(), below)
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
    let cw = display_width;
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

/// Terminal columns `s` takes (East Asian wide characters take two).
fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// The longest run of `chars` that fits in `w` columns.
fn fitting(chars: impl Iterator<Item = char>, w: usize) -> String {
    let mut used = 0;
    chars
        .take_while(|c| {
            used += unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
            used <= w
        })
        .collect()
}

/// Cuts `s` to `w` terminal columns, ending with `…`; never inside a wide character.
fn clip_right(s: &str, w: usize) -> String {
    if display_width(s) <= w {
        return s.to_string();
    }
    format!("{}…", fitting(s.chars(), w.saturating_sub(1)))
}

/// Cuts `s` to `w` terminal columns from the left (`…ures/pipe/x.log:12`), so
/// that the end of a path and its line number stay visible.
fn clip_left(s: &str, w: usize) -> String {
    if display_width(s) <= w {
        return s.to_string();
    }
    let keep: String = fitting(s.chars().rev(), w.saturating_sub(1));
    format!("…{}", keep.chars().rev().collect::<String>())
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

    #[test]
    fn clips_by_display_width_never_inside_a_wide_character() {
        let s = "ab代理人cd";
        assert_eq!(display_width(s), 10);
        assert_eq!(clip_right(s, 10), s);
        for w in 1..10 {
            let c = clip_right(s, w);
            assert!(display_width(&c) <= w, "{w}: {c}");
            assert!(display_width(&c) + 1 >= w, "{w}: {c} uses the room");
            assert!(c.ends_with('…') && !c.contains('\u{fffd}'));
            let l = clip_left(s, w);
            assert!(display_width(&l) <= w && l.starts_with('…'), "{w}: {l}");
        }
        assert_eq!(clip_right(s, 4), "ab…");
        assert_eq!(clip_left(s, 4), "…cd");
        assert_eq!(clip_left(s, 6), "…人cd");
    }
}
