//! Table and JSON Lines views of each report.

use super::{Block, Sources, Tone, View};
use crate::analysis::diagnose::DiagnoseReport;
use crate::analysis::diffs::DiffsReport;
use crate::analysis::errors::ErrorsReport;
use crate::analysis::queues::QueuesReport;
use crate::analysis::replay::ReplayReport;
use crate::model::{time::format_duration, Record, Severity};
use serde_json::Value;

fn items<T: serde::Serialize>(v: &[T]) -> Vec<Value> {
    v.iter()
        .map(|x| serde_json::to_value(x).expect("reports serialise"))
        .collect()
}

fn short_time(t: &Option<String>) -> String {
    // `2026-02-13T14:30:01.123000Z` -> `2026-02-13 14:30:01.123`
    t.as_deref().map_or_else(
        || "untimed".into(),
        |s| s.get(..23).unwrap_or(s).replace('T', " "),
    )
}

fn sev_tone(s: Option<Severity>) -> Tone {
    match s {
        Some(Severity::Critical) => Tone::Critical,
        Some(Severity::Error) => Tone::Error,
        Some(Severity::Warning) => Tone::Warning,
        _ => Tone::Plain,
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".into(), |x| x.to_string())
}

fn record_rows(records: &[Record], with_severity: bool) -> (Vec<String>, Vec<Vec<String>>) {
    let mut headers = vec!["time".to_string()];
    if with_severity {
        headers.push("severity".into());
    }
    headers.extend(["kind", "agent", "summary", "at"].map(String::from));
    let rows = records
        .iter()
        .map(|r| {
            let mut row = vec![short_time(&r.time)];
            if with_severity {
                row.push(r.severity.map_or("-", |s| s.name()).to_string());
            }
            row.push(if r.status.is_empty() {
                r.kind.clone()
            } else {
                format!("{}/{}", r.kind, r.status)
            });
            row.push(opt(&r.agent));
            row.push(r.summary.clone());
            row.push(format!("{}:{}", r.file, r.line));
            row
        })
        .collect();
    (headers, rows)
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format_duration((x * 1e6) as i64))
}

impl View for ErrorsReport {
    fn blocks(&self, _: &Sources) -> Vec<Block> {
        let mut out = Vec::new();
        if self.total == 0 {
            out.push(Block::Line(Tone::Good, "No errors found.".into()));
            return out;
        }
        let s = &self.by_severity;
        out.push(Block::Line(
            Tone::Heading,
            format!(
                "Errors ({}): {} critical, {} error, {} warning, {} info",
                self.total, s.critical, s.error, s.warning, s.info
            ),
        ));
        if let Some(by) = self.group_by {
            let name = serde_json::to_value(by)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            out.push(Block::Table {
                headers: [
                    "count",
                    "severity",
                    name.as_str(),
                    "first",
                    "last",
                    "example",
                ]
                .map(String::from)
                .to_vec(),
                rows: self
                    .groups
                    .iter()
                    .map(|g| {
                        vec![
                            g.count.to_string(),
                            g.max_severity.name().to_string(),
                            g.key.clone(),
                            short_time(&g.first_seen),
                            short_time(&g.last_seen),
                            g.example.clone(),
                        ]
                    })
                    .collect(),
                empty: "No groups.".into(),
            });
        } else {
            let (headers, rows) = record_rows(&self.errors, true);
            out.push(Block::Table {
                headers,
                rows,
                empty: String::new(),
            });
            if self.total > self.errors.len() as u64 {
                out.push(Block::Line(
                    Tone::Dim,
                    format!(
                        "showing the newest {} of {}; use -l to see more",
                        self.errors.len(),
                        self.total
                    ),
                ));
            }
        }
        out
    }
    fn items(&self) -> Vec<Value> {
        if self.group_by.is_some() {
            items(&self.groups)
        } else {
            items(&self.errors)
        }
    }
}

impl View for DiffsReport {
    fn blocks(&self, _: &Sources) -> Vec<Block> {
        if self.total == 0 {
            return vec![Block::Line(Tone::Dim, "No diffs found.".into())];
        }
        let kinds = self
            .by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (headers, rows) = record_rows(&self.diffs, false);
        let mut out = vec![
            Block::Line(Tone::Heading, format!("Diffs ({}): {kinds}", self.total)),
            Block::Table {
                headers,
                rows,
                empty: String::new(),
            },
        ];
        if self.total > self.diffs.len() as u64 {
            out.push(Block::Line(
                Tone::Dim,
                format!(
                    "showing the newest {} of {}; use -l to see more",
                    self.diffs.len(),
                    self.total
                ),
            ));
        }
        out
    }
    fn items(&self) -> Vec<Value> {
        items(&self.diffs)
    }
}

impl View for ReplayReport {
    fn blocks(&self, _: &Sources) -> Vec<Block> {
        let span = match (&self.from, &self.to) {
            (None, None) => String::new(),
            (f, t) => format!(
                ", {} → {}",
                f.as_ref().map_or("start".into(), |_| short_time(f)),
                t.as_ref().map_or("end".into(), |_| short_time(t))
            ),
        };
        let mut out = vec![Block::Line(
            Tone::Heading,
            format!("Timeline Replay ({} events{span})", self.total),
        )];
        if self.untimed > 0 {
            out.push(Block::Line(
                Tone::Dim,
                format!(
                    "{} record(s) carry no time (Claude Code hook payloads, task files): listed after the timed ones, in file order, and never dropped by a time window",
                    self.untimed
                ),
            ));
        }
        if let Some(s) = &self.snapshot {
            let c = &s.counts;
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "state from snapshot {} ({}): {} messages, {} errors, {} traces, {} spans; then {} change(s)",
                    short_time(&Some(s.time.clone())),
                    s.at,
                    c.agent_messages_count,
                    c.errors_count,
                    c.traces_count,
                    c.spans_count,
                    self.events.len()
                ),
            ));
        }
        let (headers, rows) = record_rows(&self.events, true);
        out.push(Block::Table {
            headers,
            rows,
            empty: "No events in this time window.".into(),
        });
        if self.total > self.events.len() as u64 {
            out.push(Block::Line(
                Tone::Dim,
                format!(
                    "showing the first {} of {}; use -l or --after to see more",
                    self.events.len(),
                    self.total
                ),
            ));
        }
        out
    }
    fn items(&self) -> Vec<Value> {
        items(&self.events)
    }
}

impl View for QueuesReport {
    fn blocks(&self, _: &Sources) -> Vec<Block> {
        let mut out = Vec::new();
        if self.agents.is_empty() && self.occupancy.is_none() {
            return vec![Block::Line(Tone::Dim, "No queue data yet.".into())];
        }
        out.push(Block::Line(
            Tone::Heading,
            format!(
                "Queues as of {}: {} pending, {} replies, latency p50 {} p95 {}",
                short_time(&self.as_of),
                self.total_pending,
                self.replies,
                ms(self.latency_p50_ms),
                ms(self.latency_p95_ms)
            ),
        ));
        out.push(Block::Table {
            headers: [
                "agent",
                "sent",
                "recv",
                "pending",
                "oldest pending",
                "errors",
                "p50",
                "p95",
            ]
            .map(String::from)
            .to_vec(),
            rows: self
                .agents
                .iter()
                .map(|a| {
                    vec![
                        a.agent.clone(),
                        a.sent.to_string(),
                        a.received.to_string(),
                        a.pending.to_string(),
                        a.oldest_pending_age_ms
                            .map_or("-".into(), |m| format_duration(m * 1_000_000)),
                        a.errors.to_string(),
                        ms(a.latency_p50_ms),
                        ms(a.latency_p95_ms),
                    ]
                })
                .collect(),
            empty: "No agent messages.".into(),
        });
        if !self.pending.is_empty() {
            out.push(Block::Line(
                Tone::Heading,
                format!("Pending tasks ({})", self.pending.len()),
            ));
            out.push(Block::Table {
                headers: ["sent", "age", "from", "to", "id", "at"]
                    .map(String::from)
                    .to_vec(),
                rows: self
                    .pending
                    .iter()
                    .map(|p| {
                        vec![
                            short_time(&p.time),
                            p.age_ms
                                .map_or("-".into(), |m| format_duration(m * 1_000_000)),
                            p.from.clone(),
                            p.to.clone(),
                            p.id.clone(),
                            p.at.clone(),
                        ]
                    })
                    .collect(),
                empty: String::new(),
            });
        }
        if let Some(o) = &self.occupancy {
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Pipe-log occupancy: {} events; peak {} queued at {}; last {} active / {} queued / max {} at {}",
                    o.events,
                    o.peak_queued,
                    short_time(&o.peak_at),
                    opt(&o.last_active),
                    opt(&o.last_queued),
                    opt(&o.max_agents),
                    short_time(&o.last_at)
                ),
            ));
        }
        out
    }
    fn items(&self) -> Vec<Value> {
        if self.pending.is_empty() {
            items(&self.agents)
        } else {
            items(&self.pending)
        }
    }
}

impl View for DiagnoseReport {
    fn blocks(&self, sources: &Sources) -> Vec<Block> {
        let mut out = Vec::new();
        let head_tone = match self.status.as_str() {
            "ok" => Tone::Good,
            "critical" => Tone::Critical,
            "error" => Tone::Error,
            "warning" => Tone::Warning,
            _ => Tone::Plain,
        };
        out.push(Block::Line(
            head_tone,
            format!("Diagnostic Report: {}", self.status.to_uppercase()),
        ));
        let files = sources
            .files
            .iter()
            .map(|f| {
                format!(
                    "{} ({}, {} records)",
                    f.file,
                    f.format.map_or("?", |x| x.name()),
                    f.records
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Block::Line(
            Tone::Plain,
            format!(
                "Sources: {} file(s), {} events, {} malformed: {files}",
                sources.files.len(),
                self.events,
                self.malformed
            ),
        ));
        out.push(Block::Line(
            Tone::Plain,
            format!(
                "Span: {} → {} ({})",
                short_time(&self.span.first),
                short_time(&self.span.last),
                self.span
                    .duration_ms
                    .map_or("-".into(), |d| format_duration(d * 1_000_000))
            ),
        ));
        let a = &self.agents;
        out.push(Block::Line(
            Tone::Plain,
            format!(
                "Agents: {} seen, {} spawned, {} completed, {} failed{}{}",
                a.total,
                a.spawned,
                a.completed,
                a.failed,
                if a.failed_agents.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", a.failed_agents.join(", "))
                },
                if a.never_finished.is_empty() {
                    String::new()
                } else {
                    format!("; never finished: {}", a.never_finished.join(", "))
                }
            ),
        ));
        let e = &self.errors;
        let s = &e.by_severity;
        out.push(Block::Line(
            Tone::Plain,
            format!(
                "Errors: {} ({} critical, {} error, {} warning, {} info)",
                e.total, s.critical, s.error, s.warning, s.info
            ),
        ));
        if !e.by_category.is_empty() {
            let cats = e
                .by_category
                .iter()
                .map(|k| format!("{} {}", k.key, k.count))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(Block::Line(Tone::Plain, format!("  by category: {cats}")));
            let ags = e
                .by_agent
                .iter()
                .map(|k| format!("{} {}", k.key, k.count))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(Block::Line(Tone::Plain, format!("  by agent: {ags}")));
        }
        for g in &e.top_messages {
            out.push(Block::Line(
                sev_tone(Some(g.max_severity)),
                format!("  {}x [{}] {}", g.count, g.max_severity.name(), g.key),
            ));
        }
        let q = &self.queues;
        out.push(Block::Line(
            Tone::Plain,
            format!(
                "Queues: {} pending{}; reply latency p95 {}",
                q.total_pending,
                if q.stuck.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        q.stuck
                            .iter()
                            .map(|s| format!("{} {}", s.agent, s.pending))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                ms(q.latency_p95_ms)
            ),
        ));
        out.push(Block::Line(
            Tone::Plain,
            format!(
                "Tests: {} passed / {} failed / {} skipped",
                self.tests.passed, self.tests.failed, self.tests.skipped
            ),
        ));
        out.push(Block::Line(
            Tone::Plain,
            format!(
                "Usage: {} tokens from {} token-usage event(s), ${:.4}",
                group_digits(self.usage.tokens),
                self.usage.token_events,
                self.usage.cost_usd
            ),
        ));
        if let Some(snap) = &self.last_snapshot {
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Last snapshot: {} ({} messages, {} errors)",
                    short_time(&Some(snap.time.clone())),
                    snap.counts.agent_messages_count,
                    snap.counts.errors_count
                ),
            ));
        }
        if self.findings.is_empty() {
            out.push(Block::Line(Tone::Good, "No issues detected.".into()));
        } else {
            out.push(Block::Line(
                Tone::Heading,
                format!("Findings ({}):", self.findings.len()),
            ));
            for f in &self.findings {
                out.push(Block::Line(
                    sev_tone(Some(f.severity)),
                    format!("  [{}] {}", f.severity.name(), f.title),
                ));
                out.push(Block::Line(Tone::Dim, format!("      next: {}", f.next)));
            }
        }
        out
    }
    fn items(&self) -> Vec<Value> {
        items(&self.findings)
    }
}

/// `6900` → `6,900`.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
