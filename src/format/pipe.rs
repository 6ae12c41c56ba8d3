//! Teamsters / Dante pipe logs (formats.md 2a-2b):
//! `<timestamp> | <event_type> | <agent_id> | <status> | <metadata_json>`.
//!
//! Header lines (`#`), the `---` line and blank lines are skipped. The line is
//! split on the first four `" | "` only (metadata strings may contain `" | "`).
//! Timestamps take `Z` or any offset. Unknown event types and statuses are kept.

use super::lax::{Flag, Num, Text};
use super::summary::{framed, present, text};
use super::{Ctx, Needs, Prefilter, Reader};
use crate::model::{
    time::parse_timestamp, Action, AgentKind, Event, Format, Loc, Metrics, Nanos, QueueChange,
    QueueReading, Severity, TestScope, Tokens,
};
use memchr::memmem;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The 14 event types of the teamsters spec (the 5 Dante types are a subset).
pub const EVENT_TYPES: [&str; 14] = [
    "lifecycle",
    "coordination",
    "progress",
    "test",
    "resource",
    "config",
    "dependency",
    "agent_io",
    "approval",
    "timing",
    "error",
    "cost",
    "data_flow",
    "environment",
];

/// Metadata fields the analyses read; everything else is skipped unparsed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Meta<'a> {
    #[serde(borrow)]
    pub reason: Text<'a>,
    #[serde(borrow)]
    pub last_error: Text<'a>,
    #[serde(borrow)]
    pub failure_reason: Text<'a>,
    #[serde(borrow)]
    pub failure_category: Text<'a>,
    #[serde(borrow)]
    pub failure_message: Text<'a>,
    #[serde(borrow)]
    pub raw_error: Text<'a>,
    #[serde(borrow)]
    pub error_category: Text<'a>,
    #[serde(borrow)]
    pub classified_severity: Text<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    #[serde(borrow)]
    pub test_name: Text<'a>,
    #[serde(borrow)]
    pub agent: Text<'a>,
    #[serde(borrow)]
    pub to_agent: Text<'a>,
    #[serde(borrow)]
    pub parent: Text<'a>,
    #[serde(borrow)]
    pub agent_type: Text<'a>,
    #[serde(borrow)]
    pub model: Text<'a>,
    #[serde(borrow)]
    pub model_used: Text<'a>,
    #[serde(borrow)]
    pub result: Text<'a>,
    pub passed: Num,
    pub failed: Num,
    pub skipped: Num,
    pub input_tokens: Num,
    pub output_tokens: Num,
    pub total_tokens: Num,
    pub cost_estimate_usd: Num,
    pub active_agents: Num,
    pub queued_agents: Num,
    pub max_agents: Num,
    #[serde(borrow)]
    pub transition_valid: Text<'a>,
    pub should_retry: Flag,
}

/// Parses one line. `Ok(None)` for header, separator and blank lines;
/// `Err(reason)` when the line is not a readable event.
pub fn parse_line<'a>(
    line: &'a [u8],
    loc: Loc,
    team: Option<&'a str>,
) -> Result<Option<Event<'a>>, String> {
    let Some(line) = super::content(line) else {
        return Ok(None);
    };
    if line[0] == b'#' || line == b"---" {
        return Ok(None);
    }
    static DELIM: std::sync::OnceLock<memmem::Finder<'static>> = std::sync::OnceLock::new();
    let delim = DELIM.get_or_init(|| memmem::Finder::new(b" | "));
    let mut fields: [&[u8]; 4] = [&[]; 4];
    let mut rest = line;
    for f in fields.iter_mut() {
        let Some(i) = delim.find(rest) else {
            return Err("expected 5 fields separated by ' | '".into());
        };
        *f = &rest[..i];
        rest = &rest[i + 3..];
    }
    let ts = parse_timestamp(fields[0].trim_ascii())
        .ok_or_else(|| "unreadable timestamp".to_string())?;
    let kind = utf8(fields[1].trim_ascii());
    let agent = utf8(fields[2].trim_ascii());
    let status = utf8(fields[3].trim_ascii());
    let raw = rest.trim_ascii();
    let mut meta: Meta = if raw.first() == Some(&b'{') {
        super::lax::from_slice(raw).map_err(|e| format!("metadata is not valid JSON: {e}"))?
    } else {
        // Metadata that is valid JSON but not an object: keep the event, read no fields.
        super::lax::from_slice::<serde::de::IgnoredAny>(raw)
            .map_err(|e| format!("metadata is not valid JSON: {e}"))?;
        Meta::default()
    };
    let (severity, message) = classify(&kind, &status, &meta);
    let category = meta
        .error_category
        .0
        .clone()
        .or_else(|| meta.failure_category.0.clone())
        .or_else(|| severity.map(|_| kind.clone()));
    let action = action_of(&kind, &status, &mut meta)?;
    let target = meta.agent.0.or(meta.to_agent.0);
    Ok(Some(Event {
        ts: Some(ts),
        loc,
        format: Format::Pipe,
        action,
        kind,
        status,
        agent: Some(agent),
        target,
        severity,
        category,
        message,
        session: team.map(Cow::Borrowed),
        id: None,
        parent_id: None,
        metrics: Metrics::default(),
        place: Default::default(),
        raw,
        record: line,
    }))
}

/// The meaning of a pipe event: lifecycle → agent spawned / finished, resource
/// token usage → usage, tests, and the agent pool's queue events.
///
/// Errors: a summed counter (tokens, cost) that is negative or out of range.
fn action_of<'a>(kind: &str, status: &str, m: &mut Meta<'a>) -> Result<Action<'a>, String> {
    Ok(match (kind, status) {
        ("lifecycle", "spawned" | "start") => Action::AgentSpawned {
            kind: AgentKind::Worker,
            parent: m.parent.0.take(),
            role: m.agent_type.0.take(),
            via: None,
        },
        ("lifecycle", "completed" | "team_complete") => Action::AgentFinished { ok: true },
        ("lifecycle", "failed" | "team_failed") => Action::AgentFinished { ok: false },
        ("resource", "token_usage") => {
            let input = m.input_tokens.counter("input_tokens")?;
            let output = m.output_tokens.counter("output_tokens")?;
            let total = m.total_tokens.counter("total_tokens")?;
            let cost_usd = m.cost_estimate_usd.amount("cost_estimate_usd")?;
            if input.is_none() && output.is_none() && total.is_none() {
                return Ok(Action::Other);
            }
            let (i, o) = (input.unwrap_or(0), output.unwrap_or(0));
            Action::Usage {
                model: m.model.0.take().or(m.model_used.0.take()),
                tokens: Tokens {
                    input: i,
                    output: o,
                    other: total.map_or(0, |t| t.saturating_sub(i.saturating_add(o))),
                    ..Tokens::default()
                },
                cost_usd,
                key: None,
            }
        }
        ("resource", "queue_status" | "agent_queued" | "agent_dequeued") => {
            Action::Queue(QueueReading {
                change: match status {
                    "agent_queued" => QueueChange::Queued,
                    "agent_dequeued" => QueueChange::Dequeued,
                    _ => QueueChange::Status,
                },
                active: m.active_agents.count(),
                queued: m.queued_agents.count(),
                max_agents: m.max_agents.count(),
            })
        }
        ("test", "execution_complete" | "test_summary") => Action::Tests {
            scope: if status == "execution_complete" {
                TestScope::Run
            } else {
                TestScope::Summary
            },
            passed: m.passed.count().unwrap_or(0),
            failed: m.failed.count().unwrap_or(0),
            skipped: m.skipped.count().unwrap_or(0),
        },
        ("test", "test_case_result") => Action::TestCase {
            ok: !matches!(
                m.status.get(),
                Some("failed" | "error" | "FAILED" | "ERROR")
            ),
        },
        _ => Action::Other,
    })
}

/// The pipe-log reader.
pub struct Pipe;

impl Reader for Pipe {
    fn format(&self) -> Format {
        Format::Pipe
    }

    /// Header lines (`#`, naming the telemetry log) and `---`, then event lines
    /// `timestamp | …`. A Markdown file that merely starts with `#` is not one.
    fn sniff(&self, head: &[u8]) -> bool {
        if !matches!(head.first(), Some(b'#' | b'-' | b'0'..=b'9')) {
            return false;
        }
        for line in head.split(|&b| b == b'\n') {
            let line = line.trim_ascii();
            if line.is_empty() || line == b"---" {
                continue;
            }
            if line[0] == b'#' {
                if memmem::find(line, b"Telemetry").is_some()
                    || memmem::find(line, b"[timestamp] | [event_type]").is_some()
                {
                    return true;
                }
                continue;
            }
            let Some(ts_end) = memmem::find(line, b" | ") else {
                return false;
            };
            return parse_timestamp(line[..ts_end].trim_ascii()).is_some();
        }
        false
    }

    fn framing(&self) -> super::Framing {
        super::Framing::Lines
    }
    fn produces(&self) -> super::ActionSet {
        super::ActionSet::AGENTS
            .or(super::ActionSet::USAGE)
            .or(super::ActionSet::TESTS)
            .or(super::ActionSet::QUEUE)
    }

    /// Every `# Team: NAME` line, wherever it appears (concatenated logs).
    fn headers(&self, bytes: &[u8]) -> Vec<(usize, String)> {
        team_headers(bytes)
    }

    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        if let Some(ev) = parse_line(record, loc, ctx.header)? {
            out(ev);
        }
        Ok(())
    }

    /// The first field, before ` | `.
    fn time_only(&self, line: &[u8]) -> Option<Nanos> {
        let line = super::content(line)?;
        let end = memmem::find(line, b" | ")?;
        parse_timestamp(line[..end].trim_ascii())
    }

    fn summarize(&self, ev: &Event<'_>) -> String {
        pipe(ev, &super::summary::raw_object(ev))
    }

    /// `errors -s critical`: a critical event names a critical severity or is a
    /// `team_failed`.
    fn prefilter(&self, needs: &Needs) -> Option<Prefilter> {
        super::literal_prefilter(
            needs,
            || {
                Some(Prefilter::any_of(
                    super::critical_words().chain([b"team_failed".to_vec()]),
                ))
            },
            || None,
        )
    }
}

/// Every `# Team: NAME` line of a pipe log: (offset of the line, NAME). A line
/// with an empty name ends the previous team (value `""`).
pub fn team_headers(bytes: &[u8]) -> Vec<(usize, String)> {
    static FIND: std::sync::OnceLock<memmem::Finder<'static>> = std::sync::OnceLock::new();
    let find = FIND.get_or_init(|| memmem::Finder::new(b"# Team:"));
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = find.find(&bytes[from..]).map(|i| from + i) {
        from = i + 7;
        let line_start = memchr::memrchr(b'\n', &bytes[..i]).map_or(0, |n| n + 1);
        // Only a line that starts with the header (a BOM or spaces before it allowed).
        let before = crate::source::strip_bom(&bytes[line_start..i]);
        if !before.iter().all(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
        let t = String::from_utf8_lossy(bytes[i + 7..end].trim_ascii()).into_owned();
        out.push((line_start, t));
    }
    out
}

/// The severity mapping for pipe events (see [`Severity`]) and the failure text.
fn classify<'a>(
    kind: &str,
    status: &str,
    m: &Meta<'a>,
) -> (Option<Severity>, Option<Cow<'a, str>>) {
    let first = |c: &[&Text<'a>]| c.iter().find_map(|t| t.0.clone());
    match (kind, status) {
        ("lifecycle", "team_failed") => (
            Some(Severity::Critical),
            first(&[&m.failure_reason, &m.reason, &m.last_error]),
        ),
        ("lifecycle", "failed") => (
            Some(Severity::Error),
            first(&[&m.reason, &m.last_error, &m.failure_reason]),
        ),
        ("resource", "timeout") => (Some(Severity::Error), Some(Cow::Borrowed("run timed out"))),
        ("resource", "timeout_warning" | "limit_reached" | "depth_limit_exceeded") => {
            (Some(Severity::Warning), first(&[&m.reason]))
        }
        ("error", "error_classified") => (
            Some(
                m.classified_severity
                    .get()
                    .and_then(Severity::parse)
                    .unwrap_or(Severity::Error),
            ),
            first(&[&m.raw_error, &m.reason]),
        ),
        ("error", "validation_check") => {
            let ok = matches!(m.result.get(), Some(r) if r.eq_ignore_ascii_case("pass") || r.eq_ignore_ascii_case("passed") || r.eq_ignore_ascii_case("ok"));
            (
                Some(if ok {
                    Severity::Info
                } else {
                    Severity::Warning
                }),
                first(&[&m.reason]),
            )
        }
        ("error", "retry_decision") => (Some(Severity::Warning), first(&[&m.reason, &m.raw_error])),
        ("error", _) => {
            let invalid = m.transition_valid.get() == Some("false");
            (
                Some(if invalid {
                    Severity::Warning
                } else {
                    Severity::Info
                }),
                first(&[&m.reason]),
            )
        }
        ("test", "test_case_result")
            if matches!(
                m.status.get(),
                Some("failed" | "error" | "FAILED" | "ERROR")
            ) =>
        {
            (
                Some(Severity::Error),
                first(&[&m.failure_message, &m.test_name]),
            )
        }
        ("test", "execution_complete" | "test_summary") if m.failed.count().unwrap_or(0) > 0 => (
            Some(Severity::Error),
            Some(Cow::Owned(format!(
                "{} test(s) failed",
                m.failed.count().unwrap_or(0)
            ))),
        ),
        ("cost", "model_fallback") => (Some(Severity::Warning), first(&[&m.reason])),
        _ => (None, None),
    }
}

/// Borrows valid UTF-8, replaces invalid bytes otherwise.
pub(crate) fn utf8(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn pipe(ev: &Event<'_>, m: &Map<String, Value>) -> String {
    let t = |k: &str| text(m, k);
    let f = |k: &str, pre: &str, post: &str| framed(m, k, pre, post);
    match (&*ev.kind, &*ev.status) {
        ("lifecycle", "completed") => present(
            ", ",
            [
                f("duration_seconds", "", "s"),
                f("model_used", "model=", ""),
            ],
        ),
        ("lifecycle", "spawned") => present(
            ", ",
            [
                t("agent_type"),
                f("depth", "depth=", ""),
                f("parent", "parent=", ""),
            ],
        ),
        ("lifecycle", "failed") => present(" ", [t("reason"), f("retries", "(retries=", ")")]),
        ("lifecycle", "team_failed") => present(
            " ",
            [
                t("failure_reason").or_else(|| t("reason")),
                f("failure_category", "[", "]"),
            ],
        ),
        ("timing", "phase_transition") => {
            present("  ", [phases(m), f("transition_duration_seconds", "", "s")])
        }
        ("timing", "overhead_summary") => present(
            ", ",
            [
                f("total_wall_clock_seconds", "", "s wall"),
                f("total_agent_work_seconds", "", "s work"),
                f("framework_tax_percent", "", "% tax"),
            ],
        ),
        ("cost", "cumulative_cost") => {
            let count = |k: &str| m.get(k).and_then(Value::as_u64);
            let agents = match (count("agents_completed"), count("agents_remaining")) {
                (None, None) => None,
                (d, r) => {
                    let (d, r) = (d.unwrap_or(0), r.unwrap_or(0));
                    Some(format!("({d}/{} agents)", d.saturating_add(r)))
                }
            };
            present(" ", [f("estimated_cost_usd", "$", ""), agents])
        }
        ("agent_io", "prompt_constructed") => {
            present(" → ", [f("prompt_length_chars", "", " chars"), t("model")])
        }
        ("agent_io", "output_received") => present(
            ", ",
            [
                f("output_length_chars", "", " chars"),
                f("duration_seconds", "", "s"),
            ],
        ),
        ("config", "config_loaded") => present(" ", [t("team_name"), f("file_path", "(", ")")]),
        ("dependency", "graph_constructed") => {
            let cycles = m
                .get("has_cycles")
                .and_then(Value::as_bool)
                .map(|c| if c { "CYCLES!" } else { "no cycles" }.to_string());
            present(
                ", ",
                [
                    f("total_nodes", "", " nodes"),
                    f("total_edges", "", " edges"),
                    cycles,
                ],
            )
        }
        ("approval", "user_response_received") => present(
            " ",
            [
                t("decision"),
                t("gate_type"),
                f("response_time_seconds", "(", "s)"),
            ],
        ),
        ("environment", "session_start") => present(
            " ",
            [
                f("platform", "platform=", ""),
                f("git_branch", "branch=", ""),
            ],
        ),
        ("environment", "session_end") => present(
            ", ",
            [
                t("exit_status"),
                f("total_estimated_cost_usd", "$", " total"),
            ],
        ),
        ("test", "test_case_result") => present(
            " ",
            [
                t("test_name"),
                t("status"),
                f("duration_seconds", "(", "s)"),
            ],
        ),
        ("error", "error_classified") => present(
            " ",
            [t("error_category"), f("classified_severity", "[", "]")],
        ),
        ("data_flow", "data_passed") => {
            present(" ", [f("data_size_chars", "", " chars"), phases(m)])
        }
        _ => m
            .iter()
            .take(3)
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `phase a→b` from `from_phase` and `to_phase`, with either end missing left
/// out (`phase →b`); `None` when the record names neither.
fn phases(m: &Map<String, Value>) -> Option<String> {
    let (from, to) = (text(m, "from_phase"), text(m, "to_phase"));
    (from.is_some() || to.is_some()).then(|| {
        format!(
            "phase {}→{}",
            from.unwrap_or_default(),
            to.unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Option<Event<'_>>, String> {
        parse_line(line.as_bytes(), Loc::default(), Some("t"))
    }

    #[test]
    fn splits_on_the_first_four_delimiters_only() {
        let ev = parse(r#"2026-02-13T14:30:01.123+00:00 | lifecycle | a-1 | failed | {"reason":"x | y","retries":2}"#)
            .unwrap()
            .unwrap();
        assert_eq!(ev.kind, "lifecycle");
        assert_eq!(ev.status, "failed");
        assert_eq!(ev.severity, Some(Severity::Error));
        assert_eq!(ev.message.as_deref(), Some("x | y"));
        assert_eq!(ev.session.as_deref(), Some("t"));
    }

    #[test]
    fn headers_and_blanks_are_skipped_and_garbage_is_reported() {
        assert!(parse("# Team: x").unwrap().is_none());
        assert!(parse("---").unwrap().is_none());
        assert!(parse("   ").unwrap().is_none());
        assert!(parse("2026-02-13T14:30:01Z | lifecycle | a").is_err());
        assert!(parse("yesterday | lifecycle | a | spawned | {}").is_err());
        assert!(parse("2026-02-13T14:30:01Z | lifecycle | a | spawned | {broken").is_err());
    }

    #[test]
    fn reads_tokens_tests_and_unknown_types() {
        let ev = parse(r#"2026-02-13T14:30:30.100Z | resource | w | token_usage | {"input_tokens":1500,"output_tokens":800,"total_tokens":2300}"#).unwrap().unwrap();
        let Action::Usage { tokens, .. } = ev.action else {
            panic!("token_usage is usage");
        };
        assert_eq!(
            (tokens.input, tokens.output, tokens.total()),
            (1500, 800, 2300)
        );
        let ev = parse(r#"2026-02-13T14:30:48.500Z | test | e | execution_complete | {"passed":12,"failed":3}"#).unwrap().unwrap();
        assert!(matches!(ev.action, Action::Tests { failed: 3, .. }));
        assert_eq!(ev.severity, Some(Severity::Error));
        let ev = parse(r#"2026-02-13T14:30:48.500Z | mystery | e | whatever | "not an object""#)
            .unwrap()
            .unwrap();
        assert_eq!(ev.kind, "mystery");
        assert_eq!(ev.severity, None);
    }
}
