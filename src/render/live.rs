//! Rows printed while following (`--follow`): one record at a time, after the report.
//!
//! Owns: the line layout of a live row (table mode) and its JSON Lines form.
//! Must not: decide what is new (see `crate::follow`).
//! Invariants: every row is escaped like table cells; in JSON Lines mode each row is
//! one line, flushed as soon as it is written (agents read it as it comes); a row's
//! columns have fixed widths, so rows printed seconds apart line up.

use super::{clip_left, clip_right, display_width, escape, paint, OutputFormat, Style, Tone};
use crate::analysis::audit::AuditFinding;
use crate::model::{Record, Severity};
use std::io::{self, Write};

/// One new row: a record (`errors`, `diffs`, `replay`) or an audit finding.
#[derive(Debug, Clone)]
pub enum Row {
    /// A record; `severity` says whether the command shows the severity column.
    Record {
        /// The record, file and line resolved.
        record: Record,
        /// Show the severity column (`errors`, `replay`).
        severity: bool,
    },
    /// An audit finding of the new records (its `count`: occurrences among them).
    Finding(AuditFinding),
}

impl Row {
    /// RFC 3339 UTC time, if any.
    fn time(&self) -> Option<&str> {
        match self {
            Row::Record { record, .. } => record.time.as_deref(),
            Row::Finding(f) => f.time.as_deref(),
        }
    }
}

/// Writes live rows in the run's output format.
#[derive(Debug)]
pub struct Printer {
    format: OutputFormat,
    style: Style,
    /// The UTC day (`YYYY-MM-DD`) last said above the rows.
    day: Option<String>,
    redact: bool,
}

/// Columns of the fixed part of a table row.
const TIME_W: usize = 12;
const SEV_W: usize = 8;
const KIND_W: usize = 18;
const AGENT_W: usize = 12;
/// Narrowest summary a one-line row keeps; below it the kind and location move
/// to a line under the row (as the report's tables do).
const MIN_SUMMARY: usize = 30;
/// Widths above this mean "not a terminal": nothing is cut or padded.
const UNBOUNDED: usize = 1000;

impl Printer {
    /// A printer for `format` (table or JSON Lines) drawn with `style`. `day` is the
    /// UTC day the report above already named (its records all on one day), so it
    /// is not said again; `redact` masks secrets in every row (`--redact`).
    pub fn new(format: OutputFormat, style: Style, day: Option<String>, redact: bool) -> Printer {
        Printer {
            format,
            style,
            day,
            redact,
        }
    }

    /// The day a report's records share, for [`Printer::new`].
    pub fn day_of(records: &[Record]) -> Option<String> {
        let mut days = records
            .iter()
            .filter_map(|r| r.time.as_deref().and_then(|t| t.get(..10)));
        let first = days.next()?;
        days.all(|d| d == first).then(|| first.to_string())
    }

    /// Writes `rows` (already in time order) and flushes: after each row in JSON
    /// Lines mode, after the last one in table mode.
    ///
    /// Errors: I/O errors of `out` (a closed pipe among them: the caller exits quietly).
    pub fn print(&mut self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        for row in rows {
            let mut buf = Vec::with_capacity(256);
            match self.format {
                OutputFormat::Jsonl | OutputFormat::Json => {
                    // Through a `Value`, as `--format jsonl` prints items: a record's
                    // `raw` as written may span lines (pretty-printed hook JSON).
                    let v = match row {
                        Row::Record { record, .. } => serde_json::to_value(record)?,
                        Row::Finding(f) => serde_json::to_value(f)?,
                    };
                    serde_json::to_writer(&mut buf, &v)?;
                    buf.push(b'\n');
                }
                OutputFormat::Table => self.table_row(row, &mut buf)?,
            }
            if self.redact {
                buf = super::redact::redact(&buf).0;
            }
            out.write_all(&buf)?;
            if self.format != OutputFormat::Table {
                out.flush()?;
            }
        }
        out.flush()
    }

    /// `line` with the severity word at byte `at` coloured (when colour is on).
    fn paint_severity(&self, line: String, sev_at: Option<(usize, &str)>) -> String {
        match sev_at {
            Some((at, s)) if self.style.color && line.get(at..at + s.len()) == Some(s) => {
                let tone = match Severity::parse(s) {
                    Some(Severity::Critical) => Tone::Critical,
                    Some(Severity::Error) => Tone::Error,
                    Some(Severity::Warning) => Tone::Warning,
                    _ => Tone::Plain,
                };
                format!(
                    "{}{}{}",
                    &line[..at],
                    paint(&self.style, tone, s),
                    &line[at + s.len()..]
                )
            }
            _ => line,
        }
    }

    fn table_row(&mut self, row: &Row, out: &mut Vec<u8>) -> io::Result<()> {
        let width = self.style.width.max(40);
        let time = match row.time() {
            Some(t) => {
                let day = t.get(..10).unwrap_or(t);
                if self.day.as_deref() != Some(day) {
                    self.day = Some(day.to_string());
                    let line = format!("times are UTC, on {day}");
                    writeln!(out, "{}", paint(&self.style, Tone::Dim, &line))?;
                }
                t.get(11..23).unwrap_or(t).to_string()
            }
            None => "untimed".to_string(),
        };
        let (severity, kind, agent, summary, at) = match row {
            Row::Record {
                record: r,
                severity,
            } => (
                severity.then(|| r.severity.map_or("-", Severity::name)),
                if r.status.is_empty() {
                    r.kind.clone()
                } else {
                    format!("{}/{}", r.kind, r.status)
                },
                r.agent.clone().unwrap_or_else(|| "-".into()),
                r.summary.clone(),
                format!("{}:{}", r.file, r.line),
            ),
            Row::Finding(f) => (
                Some(f.severity.name()),
                f.rule.id().to_string(),
                f.chain.last().cloned().unwrap_or_else(|| "-".into()),
                if f.count > 1 {
                    format!("{} (×{})", f.target, f.count)
                } else {
                    f.target.clone()
                },
                format!("{}:{}", f.file, f.line),
            ),
        };
        let (kind, agent, summary, at) =
            (escape(&kind), escape(&agent), escape(&summary), escape(&at));
        let pad = |s: &str, w: usize| {
            let s = clip_right(s, w);
            let n = w.saturating_sub(display_width(&s));
            format!("{s}{}", " ".repeat(n))
        };
        let mut line = pad(&time, TIME_W);
        let mut sev_at = None;
        if let Some(s) = severity {
            line.push_str("  ");
            sev_at = Some((line.len(), s));
            line.push_str(&pad(s, SEV_W));
        }
        // Not a terminal and no COLUMNS: nothing is cut (as the report's tables).
        if self.style.width > UNBOUNDED {
            line.push_str(&format!(
                "  {}  {agent}  {summary}  {at}",
                pad(&kind, KIND_W)
            ));
            writeln!(out, "{}", self.paint_severity(line, sev_at))?;
            return Ok(());
        }
        let fixed = display_width(&line) + 2 + KIND_W + 2 + AGENT_W.max(display_width(&agent)) + 2;
        let at_w = display_width(&at).min(40);
        let one_line = width >= fixed + MIN_SUMMARY + 2 + at_w;
        if one_line {
            line.push_str("  ");
            line.push_str(&pad(&kind, KIND_W));
        }
        line.push_str("  ");
        // An agent id is never cut (it is copied into the next command): a long
        // one pushes the summary right.
        let agent_pad = AGENT_W.saturating_sub(display_width(&agent));
        line.push_str(&format!("{agent}{}", " ".repeat(agent_pad)));
        line.push_str("  ");
        let used = display_width(&line);
        let room = if one_line {
            width - used - 2 - at_w
        } else {
            width.saturating_sub(used).max(12)
        };
        line.push_str(&clip_right(&summary, room));
        if one_line {
            let n = room.saturating_sub(display_width(&clip_right(&summary, room)));
            line.push_str(&" ".repeat(n + 2));
            line.push_str(&clip_left(&at, at_w));
        }
        let line = self.paint_severity(line.trim_end().to_string(), sev_at);
        writeln!(out, "{line}")?;
        if !one_line {
            let room = width.saturating_sub(6 + display_width(&kind)).max(12);
            let below = format!("  ↳ {kind}  {}", clip_left(&at, room));
            writeln!(out, "{}", paint(&self.style, Tone::Dim, &below))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(summary: &str) -> Record {
        Record {
            time: Some("2026-02-13T14:30:01.123000Z".into()),
            file: "logs/a.log".into(),
            line: 7,
            offset: 0,
            format: crate::model::Format::Pipe,
            kind: "lifecycle".into(),
            status: "failed".into(),
            agent: Some("Coder".into()),
            target: None,
            severity: Some(Severity::Error),
            category: None,
            session: None,
            summary: summary.into(),
            raw: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
            ts: Some(0),
            loc: crate::model::Loc::default(),
        }
    }

    fn table(width: usize, rows: &[Row], day: Option<String>) -> String {
        let mut p = Printer::new(
            OutputFormat::Table,
            Style {
                color: false,
                width,
            },
            day,
            false,
        );
        let mut out = Vec::new();
        p.print(rows, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rows_fit_the_width_and_say_the_day_once() {
        let long = "x".repeat(300);
        let rows = vec![
            Row::Record {
                record: record("short"),
                severity: true,
            },
            Row::Record {
                record: record(&long),
                severity: true,
            },
        ];
        for width in [80, 120, 200] {
            let text = table(width, &rows, None);
            assert_eq!(text.matches("times are UTC, on 2026-02-13").count(), 1);
            for l in text.lines() {
                assert!(display_width(l) <= width, "{width}: {l}");
            }
            assert!(text.contains("14:30:01.123  error"), "{text}");
            assert!(text.contains("logs/a.log:7"), "{text}");
        }
        // The day the report named is not said again; the narrow layout moves
        // the kind and location under the row.
        let narrow = table(80, &rows[..1], Some("2026-02-13".into()));
        assert!(!narrow.contains("times are UTC"));
        assert!(
            narrow.contains("↳ lifecycle/failed  logs/a.log:7"),
            "{narrow}"
        );
    }

    #[test]
    fn agent_ids_are_never_cut() {
        let mut r = record("x");
        r.agent = Some("handler-agent-2-with-a-long-id".into());
        let text = table(
            80,
            &[Row::Record {
                record: r,
                severity: true,
            }],
            None,
        );
        assert!(text.contains("handler-agent-2-with-a-long-id  x"), "{text}");
    }

    #[test]
    fn jsonl_rows_are_one_record_a_line() {
        let mut p = Printer::new(
            OutputFormat::Jsonl,
            Style {
                color: false,
                width: 80,
            },
            None,
            false,
        );
        let mut out = Vec::new();
        let mut r = record("a\nb");
        r.raw = serde_json::value::RawValue::from_string("{\n  \"a\": 1\n}".into()).unwrap();
        let rows = vec![
            Row::Record {
                record: r,
                severity: false,
            };
            2
        ];
        p.print(&rows, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 2);
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["summary"], "a\nb");
            assert_eq!(v["raw"]["a"], 1);
        }
    }
}
