//! Table and JSON Lines views of each report.

use super::{Block, Sources, Tone, View};
use crate::analysis::agents::{AgentsReport, NodeStatus};
use crate::analysis::audit::AuditReport;
use crate::analysis::cost::{CostBy, CostReport};
use crate::analysis::diagnose::{named_list, DiagnoseReport};
use crate::analysis::diffs::DiffsReport;
use crate::analysis::errors::ErrorsReport;
use crate::analysis::queues::QueuesReport;
use crate::analysis::replay::ReplayReport;
use crate::model::{time::format_duration_ms, Record, Severity};
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

/// The UTC day of every timed record, when they all share one (the table then
/// shows the time of day only: see [`record_table`]).
fn one_day(records: &[Record]) -> Option<&str> {
    let mut days = records
        .iter()
        .filter_map(|r| r.time.as_deref().and_then(|t| t.get(..10)));
    let first = days.next()?;
    days.all(|d| d == first).then_some(first)
}

/// The table of records, preceded (when they share one UTC day) by a line
/// naming the day.
fn record_table(records: &[Record], with_severity: bool, empty: &str) -> Vec<Block> {
    let mut out = Vec::new();
    if let Some(d) = one_day(records) {
        out.push(Block::Line(Tone::Dim, format!("times are UTC, on {d}")));
    }
    let (headers, rows) = record_rows(records, with_severity);
    out.push(Block::Table {
        headers,
        rows,
        empty: empty.to_string(),
    });
    out
}

fn record_rows(records: &[Record], with_severity: bool) -> (Vec<String>, Vec<Vec<String>>) {
    // All on one UTC day: the time of day only (the day is said above the table).
    let one_day = one_day(records);
    let time_of = |t: &Option<String>| match (one_day, t.as_deref()) {
        (Some(_), Some(s)) => s.get(11..23).unwrap_or(s).to_string(),
        _ => short_time(t),
    };
    let mut headers = vec!["time".to_string()];
    if with_severity {
        headers.push("severity".into());
    }
    headers.extend(["kind", "agent", "summary", "at"].map(String::from));
    let rows = records
        .iter()
        .map(|r| {
            let mut row = vec![time_of(&r.time)];
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
    v.map_or_else(|| "-".into(), |x| format_duration_ms(x as i64))
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
            out.extend(record_table(&self.errors, true, ""));
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
        let mut out = vec![Block::Line(
            Tone::Heading,
            format!("Diffs ({}): {kinds}", self.total),
        )];
        out.extend(record_table(&self.diffs, false, ""));
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
        out.extend(record_table(
            &self.events,
            true,
            "No events in this time window.",
        ));
        if self.total > self.events.len() as u64 {
            out.push(Block::Line(
                Tone::Dim,
                format!(
                    "showing the newest {} of {}; use -l or --before to see earlier ones",
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
        if self.clock_skew_replies > 0 {
            out.push(Block::Line(
                Tone::Warning,
                format!(
                    "{} {} dated before {} task (clock skew): counted, no latency",
                    self.clock_skew_replies,
                    if self.clock_skew_replies == 1 {
                        "reply"
                    } else {
                        "replies"
                    },
                    if self.clock_skew_replies == 1 {
                        "its"
                    } else {
                        "their"
                    },
                ),
            ));
        }
        // A team's mailbox and task board columns appear only when there is one.
        let team =
            self.agents.iter().any(|a| a.unread > 0 || a.open_tasks > 0) || self.open_tasks > 0;
        let mut headers: Vec<String> = [
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
        .to_vec();
        if team {
            headers.extend(["unread", "oldest unread", "open tasks"].map(String::from));
        }
        out.push(Block::Table {
            headers,
            rows: self
                .agents
                .iter()
                .map(|a| {
                    let mut row = vec![
                        a.agent.clone(),
                        a.sent.to_string(),
                        a.received.to_string(),
                        a.pending.to_string(),
                        a.oldest_pending_age_ms
                            .map_or("-".into(), format_duration_ms),
                        a.errors.to_string(),
                        ms(a.latency_p50_ms),
                        ms(a.latency_p95_ms),
                    ];
                    if team {
                        row.push(a.unread.to_string());
                        row.push(
                            a.oldest_unread_age_ms
                                .map_or("-".into(), format_duration_ms),
                        );
                        row.push(if a.in_progress_tasks > 0 {
                            format!("{} ({} active)", a.open_tasks, a.in_progress_tasks)
                        } else {
                            a.open_tasks.to_string()
                        });
                    }
                    row
                })
                .collect(),
            empty: "No agent messages.".into(),
        });
        if self.open_tasks > 0 {
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Team task board: {} open task(s), {} without an owner",
                    self.open_tasks, self.unowned_open_tasks
                ),
            ));
        }
        if !self.pending.is_empty() {
            // All sent on one UTC day: the time of day only, the day in the heading.
            let day = {
                let mut days = self
                    .pending
                    .iter()
                    .filter_map(|p| p.time.as_deref()?.get(..10));
                let first = days.next();
                first.filter(|f| days.all(|d| d == *f))
            };
            out.push(Block::Line(
                Tone::Heading,
                match day {
                    Some(d) => format!("Pending tasks ({}), sent on {d} (UTC)", self.pending.len()),
                    None => format!("Pending tasks ({})", self.pending.len()),
                },
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
                            match (day, p.time.as_deref()) {
                                (Some(_), Some(t)) => t.get(11..23).unwrap_or(t).to_string(),
                                _ => short_time(&p.time),
                            },
                            p.age_ms.map_or("-".into(), format_duration_ms),
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
                    f.format.map_or("format not known", |x| x.name()),
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
        if self.span.first.is_some() {
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Span: {} → {} ({})",
                    short_time(&self.span.first),
                    short_time(&self.span.last),
                    self.span.duration_ms.map_or("-".into(), format_duration_ms)
                ),
            ));
        } else {
            out.push(Block::Line(
                Tone::Plain,
                "Span: no record carries a time (hook payloads); file order is kept".into(),
            ));
        }
        if !self.sessions.is_empty() {
            let n = |f: fn(&crate::analysis::diagnose::SessionSummary) -> u64| {
                self.sessions.iter().map(f).fold(0u64, u64::saturating_add)
            };
            let open = n(|s| s.incomplete_tool_calls);
            let mut parts = Vec::new();
            for (v, what) in [
                (n(|s| s.subagents), "subagent(s)"),
                (n(|s| s.compaction_agents), "compaction agent(s)"),
                (n(|s| s.prompts), "prompt(s)"),
                (n(|s| s.tool_calls), "tool call(s)"),
                (open, "never completed"),
                (n(|s| s.tool_errors), "tool error(s)"),
                (n(|s| s.api_errors), "API error(s)"),
                (n(|s| s.compactions), "compaction(s)"),
            ] {
                if v > 0 {
                    parts.push(format!("{} {what}", group_digits(v)));
                }
            }
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Sessions: {}{}{}",
                    self.sessions_total,
                    if self.sessions_total > self.sessions.len() as u64 {
                        format!(" (first {} listed)", self.sessions.len())
                    } else {
                        String::new()
                    },
                    if parts.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", parts.join(", "))
                    }
                ),
            ));
            out.push(Block::Table {
                headers: [
                    "session",
                    "start",
                    "length",
                    "events",
                    "subagents",
                    "tools",
                    "errors",
                    "tokens",
                ]
                .map(String::from)
                .to_vec(),
                rows: self
                    .sessions
                    .iter()
                    .map(|s| {
                        vec![
                            format!("{}{}", s.session, if s.orphan { " (orphan)" } else { "" }),
                            // `MM-DD HH:MM`: the day and minute are enough to tell sessions apart.
                            s.first
                                .as_deref()
                                .and_then(|t| t.get(5..16))
                                .map_or("untimed".into(), |t| t.replace('T', " ")),
                            s.duration_ms.map_or("-".into(), format_duration_ms),
                            group_digits(s.events),
                            s.subagents.to_string(),
                            if s.incomplete_tool_calls > 0 {
                                format!("{} ({} open)", s.tool_calls, s.incomplete_tool_calls)
                            } else {
                                s.tool_calls.to_string()
                            },
                            (s.tool_errors + s.api_errors).to_string(),
                            si(s.tokens.total()),
                        ]
                    })
                    .collect(),
                empty: String::new(),
            });
        }
        let a = &self.agents;
        if a.total > 0 {
            let kinds = a
                .by_kind
                .iter()
                .map(|k| format!("{} {}", k.count, k.key))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Agents: {} seen ({kinds}), {} spawned, {} completed, {} failed{}{}",
                    a.total,
                    a.spawned,
                    a.completed,
                    a.failed,
                    if a.failed_agents.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", named_list(&a.failed_agents, a.failed as usize))
                    },
                    if a.never_finished.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; never finished: {}",
                            named_list(&a.never_finished, a.never_finished_total as usize)
                        )
                    }
                ),
            ));
        }
        if !self.delegation.is_empty() {
            let tops = self
                .delegation
                .iter()
                .map(|t| {
                    format!(
                        "{} → {} ({} below, {} level(s))",
                        t.root, t.children, t.descendants, t.depth
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            out.push(Block::Line(
                Tone::Plain,
                format!("Delegation: {tops} (the tree: oracle agents)"),
            ));
        }
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
                format!(
                    "  {}x [{}] {}",
                    g.count,
                    g.max_severity.name(),
                    crate::format::summary::clip(&g.key, 120)
                ),
            ));
        }
        let q = &self.queues;
        let queue_data = q.messages > 0
            || q.total_pending > 0
            || q.occupancy.is_some()
            || q.unread > 0
            || q.open_tasks > 0;
        if queue_data && (q.unread > 0 || q.open_tasks > 0) {
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Team queue: {} unread message(s), {} open task(s)",
                    q.unread, q.open_tasks
                ),
            ));
        }
        if queue_data {
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Queues: {} pending{}; reply latency p95 {}",
                    q.total_pending,
                    if q.stuck.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({}{})",
                            q.stuck
                                .iter()
                                .map(|s| format!("{} {}", s.agent, s.pending))
                                .collect::<Vec<_>>()
                                .join(", "),
                            match q.stuck_total.saturating_sub(q.stuck.len() as u64) {
                                0 => String::new(),
                                more => format!(" and {more} more"),
                            }
                        )
                    },
                    ms(q.latency_p95_ms)
                ),
            ));
        }
        let t = &self.tests;
        if t.passed + t.failed + t.skipped + self.failed_test_cases > 0 {
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Tests: {} passed / {} failed / {} skipped",
                    t.passed, t.failed, t.skipped
                ),
            ));
        }
        let u = &self.usage;
        if u.token_events > 0 {
            let k = &u.by_kind;
            let mut parts = Vec::new();
            for (n, name) in [
                (k.input, "input"),
                (k.output, "output"),
                (k.cache_read, "cache read"),
                (k.cache_write_5m, "cache write 5m"),
                (k.cache_write_1h, "cache write 1h"),
                (k.other, "unsplit"),
            ] {
                if n > 0 {
                    parts.push(format!("{} {name}", group_digits(n)));
                }
            }
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Usage: {} tokens from {} response(s){}{}",
                    token_total(u.tokens),
                    u.token_events,
                    if parts.len() > 1 {
                        format!(" ({})", parts.join(", "))
                    } else {
                        String::new()
                    },
                    if u.cost_usd > 0.0 {
                        format!(", {} as logged", dollars(u.cost_usd, 4))
                    } else {
                        String::new()
                    }
                ),
            ));
        }
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
        if self.audit.total_findings > 0 {
            let c = &self.audit.by_severity;
            out.push(Block::Line(
                Tone::Plain,
                format!(
                    "Audit: {} finding(s): {} critical, {} error, {} warning, {} info (oracle audit)",
                    self.audit.total_findings, c.critical, c.error, c.warning, c.info
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
                out.push(Block::Whole(Tone::Dim, format!("      next: {}", f.next)));
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
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `$1.2346`, or `unpriced` when there is no price.
fn usd(v: Option<f64>) -> String {
    v.map_or_else(|| "unpriced".into(), |c| dollars(c, 4))
}

/// `$12.3457` (with `places` decimals); `$1.235e15` beyond a trillion; a total
/// that saturated at `f64::MAX` says so.
fn dollars(c: f64, places: usize) -> String {
    if crate::analysis::usage::saturated_usd(Some(c)) {
        format!("${c:.3e} (saturated)")
    } else if c >= 1e12 {
        format!("${c:.3e}")
    } else {
        format!("${c:.places$}")
    }
}

/// A token total with digits grouped; one that saturated at `u64::MAX` says so.
fn token_total(n: u64) -> String {
    if crate::analysis::usage::saturated_tokens(n) {
        format!("{} (saturated)", group_digits(n))
    } else {
        group_digits(n)
    }
}

impl View for CostReport {
    fn blocks(&self, _: &Sources) -> Vec<Block> {
        let by = serde_json::to_value(self.by)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let t = &self.total;
        let mut out = vec![Block::Line(
            Tone::Heading,
            format!(
                "Cost by {by}: {} over {} response(s), {} tokens (prices: {})",
                usd(t.cost_usd),
                group_digits(t.responses),
                token_total(t.total_tokens),
                self.prices
            ),
        )];
        let mut headers = vec![by.clone()];
        if self.by == CostBy::Agent {
            headers.push("session".into());
        }
        if self.by != CostBy::Model {
            headers.push("models".into());
        }
        headers.extend(["input", "output", "cache read", "cache write", "cost"].map(String::from));
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![r.key.clone()];
                if self.by == CostBy::Agent {
                    row.push(opt(&r.session));
                }
                if self.by != CostBy::Model {
                    row.push(r.models.join(" "));
                }
                row.push(group_digits(r.tokens.input.saturating_add(r.tokens.other)));
                row.push(group_digits(r.tokens.output));
                row.push(group_digits(r.tokens.cache_read));
                row.push(group_digits(
                    r.tokens
                        .cache_write_5m
                        .saturating_add(r.tokens.cache_write_1h),
                ));
                row.push(if r.unpriced_tokens > 0 && r.cost_usd.is_some() {
                    format!("{} + unpriced", usd(r.cost_usd))
                } else {
                    usd(r.cost_usd)
                });
                row
            })
            .collect();
        out.push(Block::Table {
            headers,
            rows,
            empty: "No token usage found.".into(),
        });
        for n in &self.notes {
            out.push(Block::Line(Tone::Dim, format!("note: {n}")));
        }
        out
    }
    fn items(&self) -> Vec<Value> {
        items(&self.rows)
    }
}

/// `15,405,777` → `15.4M`, `1234` → `1.2k`.
fn si(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", n as f64 / 1e6),
        _ if crate::analysis::usage::saturated_tokens(n) => "max (saturated)".into(),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

impl View for AgentsReport {
    fn blocks(&self, _: &Sources) -> Vec<Block> {
        let mut out = vec![Block::Line(
            Tone::Heading,
            format!(
                "Agents: {} node(s) in {} tree(s){}",
                self.total_nodes,
                self.roots,
                if (self.nodes.len() as u64) < self.total_nodes {
                    format!(", {} listed", self.nodes.len())
                } else {
                    String::new()
                }
            ),
        )];
        // Tree prefixes like `cargo tree`: whether each ancestor level has a
        // later sibling decides `│   ` or `    `.
        let mut rows = Vec::new();
        let mut open: Vec<bool> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let d = n.depth as usize;
            let later_sibling = self.nodes[i + 1..]
                .iter()
                .take_while(|m| m.depth as usize >= d)
                .any(|m| m.depth as usize == d);
            open.truncate(d);
            let mut prefix = String::new();
            for (lvl, o) in open.iter().enumerate() {
                if lvl == 0 {
                    continue;
                }
                prefix.push_str(if *o { "│   " } else { "    " });
            }
            if d > 0 {
                prefix.push_str(if later_sibling {
                    "├── "
                } else {
                    "└── "
                });
            }
            open.push(later_sibling);
            let kind = serde_json::to_value(n.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let what = match &n.role {
                Some(r) => format!("{kind} {r}"),
                None => kind,
            };
            let status = match n.status {
                NodeStatus::Completed => "completed",
                NodeStatus::Failed => "failed",
                NodeStatus::Running => "running",
                NodeStatus::NeverFinished => "never finished",
            };
            let t = &n.total;
            rows.push(vec![
                format!("{prefix}{}", n.id),
                what,
                n.models.join(" "),
                n.duration_ms.map_or("-".into(), format_duration_ms),
                status.to_string(),
                t.tool_calls.to_string(),
                t.errors.to_string(),
                si(t.tokens.total()),
                t.cost_usd.map_or_else(|| "-".into(), |c| dollars(c, 2)),
            ]);
        }
        out.push(Block::Table {
            headers: [
                "agent", "kind", "models", "time", "status", "tools", "errors", "tokens", "cost",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            empty: "No agents found.".into(),
        });
        out.push(Block::Line(
            Tone::Dim,
            "tools, errors, tokens and cost are rolled up over each sub-tree (own values: --format json)".into(),
        ));
        out
    }
    fn items(&self) -> Vec<Value> {
        items(&self.nodes)
    }
}

/// Findings shown with their evidence and next command under the table.
const AUDIT_DETAILS: usize = 5;

impl View for AuditReport {
    fn blocks(&self, _: &Sources) -> Vec<Block> {
        let c = &self.by_severity;
        let tone = sev_tone(self.worst());
        let mut out = vec![Block::Line(
            if self.total_findings == 0 {
                Tone::Good
            } else {
                tone
            },
            format!(
                "Audit: {} finding(s): {} critical, {} error, {} warning, {} info ({} tool call(s), {} output(s), {} session(s))",
                self.total_findings,
                c.critical,
                c.error,
                c.warning,
                c.info,
                self.tool_calls,
                self.tool_outputs,
                self.sessions
            ),
        )];
        let rows = self
            .findings
            .iter()
            .map(|f| {
                vec![
                    format!(
                        "{}{}",
                        f.severity.name(),
                        if f.session_bypassed_permissions {
                            "*"
                        } else {
                            ""
                        }
                    ),
                    f.rule.id().to_string(),
                    f.count.to_string(),
                    f.target.clone(),
                    format!("{}:{}", f.file, f.line),
                ]
            })
            .collect();
        out.push(Block::Table {
            // `summary` gives up room before `at` does (see `fit_columns`).
            headers: ["severity", "rule", "n", "summary", "at"]
                .map(String::from)
                .to_vec(),
            rows,
            empty: "No findings.".into(),
        });
        if !self.bypass_sessions.is_empty() {
            out.push(Block::Line(
                Tone::Dim,
                format!(
                    "* the session ran in bypassPermissions mode ({} session(s))",
                    self.bypass_sessions.len()
                ),
            ));
        }
        if let Some(more) = &self.more {
            out.push(Block::Line(
                Tone::Dim,
                format!(
                    "{} more finding(s): {more}",
                    self.total_findings - self.findings.len() as u64
                ),
            ));
        }
        for (i, f) in self.findings.iter().take(AUDIT_DETAILS).enumerate() {
            if i == 0 {
                out.push(Block::Line(Tone::Heading, "Top findings:".into()));
            }
            out.push(Block::Line(
                sev_tone(Some(f.severity)),
                format!(
                    "{:>2}. {} {}: {}",
                    i + 1,
                    f.severity.name(),
                    f.rule.id(),
                    f.target
                ),
            ));
            out.push(Block::Line(Tone::Plain, format!("    {}", f.evidence)));
            out.push(Block::Line(Tone::Dim, {
                // Only what the finding has: no empty field between separators.
                let chain = if f.chain.is_empty() {
                    "no session".to_string()
                } else {
                    f.chain.join(" → ")
                };
                let parts: Vec<String> = [short_time(&f.time), f.tool.clone(), chain]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect();
                format!("    {}", parts.join(" · "))
            }));
            // The location and the command are copied as they are: never cut
            // (as diagnose's `next:` lines).
            out.push(Block::Whole(
                Tone::Dim,
                format!(
                    "    at {}:{}{}",
                    f.file,
                    f.line,
                    if f.count > 1 {
                        format!(" (first of {})", f.count)
                    } else {
                        String::new()
                    }
                ),
            ));
            out.push(Block::Whole(Tone::Dim, format!("    next: {}", f.next)));
        }
        for b in &self.bad_inputs {
            let kind = serde_json::to_value(b.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            out.push(Block::Line(
                Tone::Warning,
                format!(
                    "Bad tool input: {kind} × {} (first: {})",
                    b.count,
                    b.first.join(", ")
                ),
            ));
        }
        if self.allowed > 0 {
            out.push(Block::Line(
                Tone::Dim,
                format!("{} hit(s) accepted by the --allow file", self.allowed),
            ));
        }
        out
    }
    fn items(&self) -> Vec<Value> {
        items(&self.findings)
    }
}
