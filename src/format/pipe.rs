//! Teamsters / Dante pipe logs (formats.md 2a-2b):
//! `<timestamp> | <event_type> | <agent_id> | <status> | <metadata_json>`.
//!
//! Header lines (`#`), the `---` line and blank lines are skipped. The line is
//! split on the first four `" | "` only (metadata strings may contain `" | "`).
//! Timestamps take `Z` or any offset. Unknown event types and statuses are kept.

use super::lax::{Flag, Num, Text};
use crate::model::{time::parse_timestamp, Event, Format, Loc, Metrics, Severity};
use memchr::memmem;
use serde::Deserialize;
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
    let meta: Meta = if raw.first() == Some(&b'{') {
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
    let tokens = meta.total_tokens.count().or_else(|| {
        match (meta.input_tokens.count(), meta.output_tokens.count()) {
            (None, None) => None,
            (i, o) => Some(i.unwrap_or(0) + o.unwrap_or(0)),
        }
    });
    let is_resource = kind == "resource" || kind == "cost";
    let metrics = Metrics {
        tokens: (kind == "resource" && status == "token_usage")
            .then_some(tokens)
            .flatten(),
        cost_usd: (kind == "resource" && status == "token_usage")
            .then_some(meta.cost_estimate_usd.0)
            .flatten(),
        tests_passed: (kind == "test").then(|| meta.passed.count()).flatten(),
        tests_failed: (kind == "test").then(|| meta.failed.count()).flatten(),
        tests_skipped: (kind == "test").then(|| meta.skipped.count()).flatten(),
        active: is_resource.then(|| meta.active_agents.count()).flatten(),
        queued: is_resource.then(|| meta.queued_agents.count()).flatten(),
        max_agents: is_resource.then(|| meta.max_agents.count()).flatten(),
        ..Metrics::default()
    };
    let target = meta.agent.0.or(meta.to_agent.0);
    Ok(Some(Event {
        ts: Some(ts),
        loc,
        format: Format::Pipe,
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
        metrics,
        raw,
        record: line,
    }))
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
        assert_eq!(ev.metrics.tokens, Some(2300));
        let ev = parse(r#"2026-02-13T14:30:48.500Z | test | e | execution_complete | {"passed":12,"failed":3}"#).unwrap().unwrap();
        assert_eq!(ev.metrics.tests_failed, Some(3));
        assert_eq!(ev.severity, Some(Severity::Error));
        let ev = parse(r#"2026-02-13T14:30:48.500Z | mystery | e | whatever | "not an object""#)
            .unwrap()
            .unwrap();
        assert_eq!(ev.kind, "mystery");
        assert_eq!(ev.severity, None);
    }
}
