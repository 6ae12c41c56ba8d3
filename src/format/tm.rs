//! Time-machine JSONL (formats.md 1a): `diff_time_machine.jsonl`, one change per
//! line `{"timestamp", "change_type", "entity_type", "data"}`, and
//! `state_time_machine.jsonl`, one snapshot per line.
//!
//! Timestamps are naive UTC with 0 or 6 fraction digits. Only the fields the
//! analyses use are decoded, borrowed from the line; the rest is skipped.

use super::lax::{Num, Text};
use super::lazy::{self, Fields, Schema};
use super::summary::{clip, framed, present, text};
use super::{ActionSet, Ctx, Framing, Needs, Prefilter, Reader};
use crate::model::{
    time::parse_timestamp, Action, Event, Format, Loc, Metrics, Nanos, Severity, SnapshotCounts,
    Tokens,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The diff fields read (formats.md 1a), by slot. `D_*` are under `data`.
pub const DIFF_PATHS: &[&str] = &[
    "timestamp",
    "change_type",
    "entity_type",
    "data.message_id",
    "data.source_agent",
    "data.target_agent",
    "data.message_type",
    "data.priority",
    "data.parent_message_id",
    "data.trace_id",
    "data.severity",
    "data.category",
    "data.error_message",
    "data.error_id",
    "data.agent_name",
    "data.status",
    "data.event_type",
    "data.span_kind",
    "data.span_id",
    "data.source_agent_name",
    "data.target_agent_name",
    "data.root_agent_name",
    "data.reason",
    "data.token_usage.total_tokens",
    "data.payload.error",
    "data.payload.error_type",
];

/// Slots of [`DIFF_PATHS`].
mod slot {
    pub const TIMESTAMP: usize = 0;
    pub const CHANGE_TYPE: usize = 1;
    pub const ENTITY_TYPE: usize = 2;
    pub const MESSAGE_ID: usize = 3;
    pub const SOURCE_AGENT: usize = 4;
    pub const TARGET_AGENT: usize = 5;
    pub const MESSAGE_TYPE: usize = 6;
    pub const PRIORITY: usize = 7;
    pub const PARENT: usize = 8;
    pub const TRACE_ID: usize = 9;
    pub const SEVERITY: usize = 10;
    pub const CATEGORY: usize = 11;
    pub const ERROR_MESSAGE: usize = 12;
    pub const ERROR_ID: usize = 13;
    pub const AGENT_NAME: usize = 14;
    pub const STATUS: usize = 15;
    pub const EVENT_TYPE: usize = 16;
    pub const SPAN_KIND: usize = 17;
    pub const SPAN_ID: usize = 18;
    pub const SOURCE_AGENT_NAME: usize = 19;
    pub const TARGET_AGENT_NAME: usize = 20;
    pub const ROOT_AGENT_NAME: usize = 21;
    pub const REASON: usize = 22;
    pub const TOTAL_TOKENS: usize = 23;
    pub const PAYLOAD_ERROR: usize = 24;
    pub const PAYLOAD_ERROR_TYPE: usize = 25;
}

fn diff_schema() -> &'static Schema {
    static S: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    S.get_or_init(|| Schema::new(DIFF_PATHS))
}

/// Parses one `diff_time_machine.jsonl` line. `Ok(None)` for blank lines.
///
/// One validating pass over the whole line ([`super::lazy`]) reads the fields
/// by name, whatever the writer's key order, spacing or extra fields; a key
/// given twice reads as its last value. A line that is not UTF-8 is read with
/// U+FFFD for the bad bytes.
///
/// Errors: not JSON (anywhere in the line), not an object, or no readable `timestamp`.
pub fn parse_diff(line: &[u8], loc: Loc) -> Result<Option<Event<'_>>, String> {
    let mut got = None;
    parse_diff_into(line, loc, &mut |ev| got = Some(ev))?;
    Ok(got)
}

/// [`parse_diff`] handing the line's event (none for a blank line) to `out`:
/// the event is built in place for the scan, not moved through `Result`s (an
/// event is several hundred bytes, and a diff file has millions of lines).
pub fn parse_diff_into<'a>(
    line: &'a [u8],
    loc: Loc,
    out: &mut dyn FnMut(Event<'a>),
) -> Result<(), String> {
    let Some(line) = super::content(line) else {
        return Ok(());
    };
    if line[0] != b'{' {
        return Err("not a JSON object".into());
    }
    match lazy::utf8(line) {
        Some(text) => {
            let f = lazy::scan(diff_schema(), text).map_err(|e| e.to_string())?;
            from_fields(&f, line, loc, out)
        }
        None => {
            let text = String::from_utf8_lossy(line);
            let f = lazy::scan(diff_schema(), &text).map_err(|e| e.to_string())?;
            from_fields(&f, line, loc, &mut |ev| out(ev.detach(line)))
        }
    }
}

/// Builds the event of a diff line's fields and hands it to `out`.
fn from_fields<'f>(
    f: &Fields<'f>,
    line: &'f [u8],
    loc: Loc,
    out: &mut dyn FnMut(Event<'f>),
) -> Result<(), String> {
    use slot::*;
    let ts = f
        .text(TIMESTAMP)
        .and_then(|t| parse_timestamp(t.as_bytes()))
        .ok_or_else(|| "missing or unreadable timestamp".to_string())?;
    let kind = f.text(ENTITY_TYPE).unwrap_or(Cow::Borrowed("unknown"));
    let status = f
        .text(MESSAGE_TYPE)
        .or_else(|| f.text(STATUS))
        .or_else(|| f.text(EVENT_TYPE))
        .or_else(|| f.text(SPAN_KIND))
        .or_else(|| f.text(CHANGE_TYPE))
        .unwrap_or(Cow::Borrowed(""));
    let (severity, category, message) = match &*kind {
        "error" => (
            Some(
                f.text(SEVERITY)
                    .as_deref()
                    .and_then(Severity::parse)
                    .unwrap_or(Severity::Error),
            ),
            f.text(CATEGORY),
            f.text(ERROR_MESSAGE),
        ),
        "agent_message" if status == "error" => (
            Some(if f.text(PRIORITY).as_deref() == Some("critical") {
                Severity::Critical
            } else {
                Severity::Error
            }),
            Some(
                f.text(PAYLOAD_ERROR_TYPE)
                    .unwrap_or(Cow::Borrowed("agent_error")),
            ),
            f.text(PAYLOAD_ERROR).or_else(|| f.text(REASON)),
        ),
        _ => (None, None, None),
    };
    let agent = f
        .text(SOURCE_AGENT)
        .or_else(|| f.text(AGENT_NAME))
        .or_else(|| f.text(SOURCE_AGENT_NAME))
        .or_else(|| f.text(ROOT_AGENT_NAME));
    // Span `token_usage` only: a trace's `total_tokens` sums its spans' and would count them twice.
    let tokens = Num(f.num(TOTAL_TOKENS)).count();
    let parent = f.text(PARENT);
    let action = match (&*kind, tokens) {
        ("agent_message", _) => message_action(&status, parent.is_some()),
        (_, Some(t)) => Action::Usage {
            model: None,
            tokens: Tokens {
                other: t,
                ..Tokens::default()
            },
            cost_usd: None,
            key: None,
        },
        _ => Action::Other,
    };
    out(Event {
        ts: Some(ts),
        loc,
        format: Format::Diff,
        action,
        kind,
        status,
        agent,
        target: f.text(TARGET_AGENT).or_else(|| f.text(TARGET_AGENT_NAME)),
        severity,
        category,
        message,
        session: f.text(TRACE_ID),
        id: f
            .text(MESSAGE_ID)
            .or_else(|| f.text(ERROR_ID))
            .or_else(|| f.text(SPAN_ID)),
        parent_id: parent,
        metrics: Metrics::default(),
        place: Default::default(),
        raw: line,
        record: line,
    });
    Ok(())
}

/// An agent message's meaning: a `task`, a reply (`result` or `error` naming its
/// task in `parent_message_id`), or another message.
fn message_action<'a>(message_type: &str, has_parent: bool) -> Action<'a> {
    match message_type {
        "task" => Action::TaskSent,
        "result" | "error" if has_parent => Action::TaskReplied {
            ok: message_type == "result",
        },
        _ => Action::Message { read: None },
    }
}

/// The fields of a snapshot line that are read (formats.md 1a): its time and the
/// observer's in-memory totals since its start.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Snapshot<'a> {
    #[serde(borrow)]
    timestamp: Text<'a>,
    traces_count: Num,
    spans_count: Num,
    events_count: Num,
    handoffs_count: Num,
    errors_count: Num,
    metrics_count: Num,
    agent_messages_count: Num,
}

impl Snapshot<'_> {
    fn counts(&self) -> SnapshotCounts {
        let n = |x: &Num| x.count().unwrap_or(0);
        SnapshotCounts {
            traces_count: n(&self.traces_count),
            spans_count: n(&self.spans_count),
            events_count: n(&self.events_count),
            handoffs_count: n(&self.handoffs_count),
            errors_count: n(&self.errors_count),
            metrics_count: n(&self.metrics_count),
            agent_messages_count: n(&self.agent_messages_count),
        }
    }
}

/// Parses one `state_time_machine.jsonl` line into a `snapshot` event carrying its
/// counts (fields of other types read as 0).
pub fn parse_state(line: &[u8], loc: Loc) -> Result<Option<Event<'_>>, String> {
    let Some(line) = super::content(line) else {
        return Ok(None);
    };
    if line[0] != b'{' {
        return Err("not a JSON object".into());
    }
    let (ts, counts) = match serde_json::from_slice::<Snapshot>(line) {
        Ok(snap) => (
            snap.timestamp
                .get()
                .and_then(|t| parse_timestamp(t.as_bytes())),
            snap.counts(),
        ),
        Err(e) if e.to_string().contains("duplicate field") => {
            let v: serde_json::Value =
                serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
            let snap = Snapshot::deserialize(&v).unwrap_or_default();
            (
                snap.timestamp
                    .get()
                    .and_then(|t| parse_timestamp(t.as_bytes())),
                snap.counts(),
            )
        }
        Err(e) => return Err(format!("invalid JSON: {e}")),
    };
    let ts = ts.ok_or_else(|| "missing or unreadable timestamp".to_string())?;
    Ok(Some(Event {
        action: Action::Snapshot(counts),
        kind: Cow::Borrowed("snapshot"),
        status: Cow::Borrowed("snapshot"),
        ..Event::bare(ts, loc, Format::State, line)
    }))
}

/// `{"timestamp": "…"` opening a time-machine line: its time.
fn leading_timestamp(line: &[u8]) -> Option<Nanos> {
    let line = super::content(line)?;
    let rest = line
        .strip_prefix(b"{\"timestamp\": \"")
        .or_else(|| line.strip_prefix(b"{\"timestamp\":\""))?;
    let end = memchr::memchr(b'"', rest)?;
    parse_timestamp(&rest[..end])
}

/// The `diff_time_machine.jsonl` reader.
pub struct Diff;

impl Reader for Diff {
    fn format(&self) -> Format {
        Format::Diff
    }
    /// A JSON object (or array of them) with `entity_type` and `change_type`.
    fn sniff(&self, head: &[u8]) -> bool {
        matches!(head.first(), Some(b'{' | b'['))
            && memchr::memmem::find(head, b"\"entity_type\"").is_some()
            && memchr::memmem::find(head, b"\"change_type\"").is_some()
    }
    fn framing(&self) -> Framing {
        Framing::Lines
    }
    fn produces(&self) -> ActionSet {
        ActionSet::TASKS
            .or(ActionSet::MESSAGES)
            .or(ActionSet::USAGE)
    }
    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        _ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        parse_diff_into(record, loc, out)
    }
    fn time_only(&self, line: &[u8]) -> Option<Nanos> {
        leading_timestamp(line)
    }
    fn summarize(&self, ev: &Event<'_>) -> String {
        diff(ev, &super::summary::raw_object(ev))
    }
    /// Error-like records are `error` entities or `error` messages: both hold the
    /// literal `"error"`; critical ones also a critical word.
    fn prefilter(&self, needs: &Needs) -> Option<Prefilter> {
        let error = || Prefilter::any_of([b"\"error\"".to_vec()]);
        super::literal_prefilter(
            needs,
            || Some(error().and_any_of(super::critical_words())),
            || Some(error()),
        )
    }
}

/// The `state_time_machine.jsonl` reader.
pub struct State;

impl Reader for State {
    fn format(&self) -> Format {
        Format::State
    }
    /// A JSON object with `agent_messages_count` or `traces_count`.
    fn sniff(&self, head: &[u8]) -> bool {
        matches!(head.first(), Some(b'{' | b'['))
            && (memchr::memmem::find(head, b"\"agent_messages_count\"").is_some()
                || memchr::memmem::find(head, b"\"traces_count\"").is_some())
    }
    fn framing(&self) -> Framing {
        Framing::Lines
    }
    fn produces(&self) -> ActionSet {
        ActionSet::SNAPSHOTS
    }
    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        _ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        if let Some(ev) = parse_state(record, loc)? {
            out(ev);
        }
        Ok(())
    }
    fn time_only(&self, line: &[u8]) -> Option<Nanos> {
        leading_timestamp(line)
    }
    fn summarize(&self, ev: &Event<'_>) -> String {
        state(&super::summary::raw_object(ev))
    }
    /// Snapshots carry no errors and no other action.
    fn prefilter(&self, needs: &Needs) -> Option<Prefilter> {
        let wanted = needs.all || needs.kind.is_some() || needs.actions.any(ActionSet::SNAPSHOTS);
        (!wanted).then(Prefilter::nothing)
    }
}

fn diff(ev: &Event<'_>, env: &Map<String, Value>) -> String {
    let empty = Map::new();
    let d = env.get("data").and_then(Value::as_object).unwrap_or(&empty);
    let t = |k: &str| text(d, k);
    let f = |k: &str, pre: &str, post: &str| framed(d, k, pre, post);
    // `a -> b`, either end left out when the record lacks it.
    let arrow = |a: &str, b: &str| present(" ", [t(a), f(b, "-> ", "")]);
    match &*ev.kind {
        "error" => present(
            " ",
            [
                f("severity", "[", "]"),
                f("agent_name", "", ":"),
                t("error_message").map(|m| clip(&m, 80)),
            ],
        ),
        "agent_message" => {
            let base = present(
                " ",
                [
                    f("message_type", "[", "]"),
                    Some(arrow("source_agent", "target_agent")),
                ],
            );
            match ev.message.as_deref() {
                Some(m) if ev.severity.is_some() => format!("{base}: {}", clip(m, 80)),
                _ => base,
            }
        }
        "trace" => present(
            " ",
            [
                Some("trace".into()),
                t("trace_id").map(|id| clip(&id, 12)),
                t("root_agent_name"),
                t("status"),
            ],
        ),
        "span" => present(
            " ",
            [
                Some("span".into()),
                t("span_kind"),
                f("agent_name", "by ", ""),
                f("status", "(", ")"),
            ],
        ),
        "handoff" => {
            let who = arrow("source_agent_name", "target_agent_name");
            let who = present(" ", [Some("handoff".into()), Some(who)]);
            present(": ", [Some(who), t("reason")])
        }
        "event" => {
            let what = present(" ", [t("event_type"), f("agent_name", "by ", "")]);
            present(": ", [Some(what), t("message")])
        }
        _ => clip(&Value::Object(d.clone()).to_string(), 100),
    }
}

fn state(o: &Map<String, Value>) -> String {
    let f = |k: &str, post: &str| framed(o, k, "", post);
    let counts = present(
        ", ",
        [
            f("agent_messages_count", " messages"),
            f("errors_count", " errors"),
            f("traces_count", " traces"),
            f("spans_count", " spans"),
        ],
    );
    present(": ", [Some("snapshot".into()), Some(counts)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_agent_message_reply() {
        let l = br#"{"timestamp": "2026-02-09T11:30:20.004512", "change_type": "added", "entity_type": "agent_message", "data": {"message_id": "m2", "source_agent": "Researcher", "target_agent": "Orchestrator", "message_type": "error", "priority": "high", "payload": {"error": "boom", "error_type": "tool_error"}, "parent_message_id": "m1", "timestamp": "x"}}"#;
        let ev = parse_diff(l, Loc::default()).unwrap().unwrap();
        assert_eq!(ev.kind, "agent_message");
        assert_eq!(ev.status, "error");
        assert_eq!(ev.severity, Some(Severity::Error));
        assert_eq!(ev.message.as_deref(), Some("boom"));
        assert_eq!(ev.parent_id.as_deref(), Some("m1"));
        assert_eq!(ev.agent.as_deref(), Some("Researcher"));
    }

    #[test]
    fn error_entities_keep_their_severity() {
        let l = br#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "error", "data": {"severity": "critical", "category": "llm_error", "agent_name": "Coder", "error_message": "rate limited"}}"#;
        let ev = parse_diff(l, Loc::default()).unwrap().unwrap();
        assert_eq!(ev.severity, Some(Severity::Critical));
        assert_eq!(ev.category.as_deref(), Some("llm_error"));
        assert_eq!(ev.agent.as_deref(), Some("Coder"));
    }

    /// What an event means, without the bytes it was read from.
    fn meaning(line: &[u8]) -> Option<String> {
        let e = parse_diff(line, Loc::default()).ok()??;
        Some(format!(
            "{:?}",
            (
                e.ts,
                &e.kind,
                &e.status,
                &e.agent,
                &e.target,
                e.severity,
                &e.category,
                &e.message,
                &e.session,
                &e.id,
                &e.parent_id,
                &e.action
            )
        ))
    }

    #[test]
    fn every_layout_of_a_record_reads_the_same() {
        let fixture = include_str!("../../fixtures/timemachine/diff_time_machine.jsonl");
        let mut read = 0;
        for line in fixture.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let want = meaning(line.as_bytes());
            assert!(want.is_some(), "{line}");
            read += 1;
            // serde_json's map is sorted: keys come back in another order.
            let compact_sorted = serde_json::to_string(&v).unwrap();
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            for other in [compact_sorted, pretty] {
                assert_eq!(meaning(other.as_bytes()), want, "{other}");
            }
        }
        assert!(read >= 60, "{read} records");
    }

    #[test]
    fn nested_lookalike_keys_do_not_fool_the_reader() {
        let l = r#"{"timestamp": "2026-02-09T11:30:12.000001", "change_type": "added", "entity_type": "agent_message", "data": {"payload": {"x": {"parent_message_id": "WRONG", "source_agent": "Z"}}, "labels": {"message_type": "task"}, "message_id": "m1", "source_agent": "A", "target_agent": "B", "message_type": "result", "parent_message_id": "RIGHT"}}"#;
        let ev = parse_diff(l.as_bytes(), Loc::default()).unwrap().unwrap();
        assert_eq!(ev.parent_id.as_deref(), Some("RIGHT"));
        assert_eq!(ev.agent.as_deref(), Some("A"));
        assert_eq!(ev.action, Action::TaskReplied { ok: true });
    }

    #[test]
    fn a_bad_payload_or_a_raw_control_byte_is_malformed_in_every_layout() {
        let good = r#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "agent_message", "data": {"message_id": "m1", "source_agent": "A", "target_agent": "B", "message_type": "task", "priority": "normal", "payload": {"task": "t"}, "trace_id": null, "span_id": null, "parent_message_id": null, "reason": "r", "timestamp": "2026-02-09T11:30:12", "ttl_seconds": null}}"#;
        assert!(parse_diff(good.as_bytes(), Loc::default()).is_ok());
        for bad in [
            good.replace(r#"{"task": "t"}"#, "{task: t}"),
            good.replace(r#""reason": "r""#, "\"reason\": \"r\u{1}\""),
            good.replace(r#""task": "t""#, "\"task\": \"a\tb\""),
            good.replace("null}}", "null}} trailing"),
            good.replace(r#""ttl_seconds": null"#, r#""ttl_seconds": 01"#),
        ] {
            assert!(parse_diff(bad.as_bytes(), Loc::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_line_that_is_not_json_is_refused_whatever_its_layout() {
        let line = |payload: &str, source: &str| {
            format!(
                "{{\"timestamp\": \"2026-02-09T11:30:12\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \"data\": {{\"message_id\": \"m1\", \"source_agent\": \"{source}\", \"target_agent\": \"B\", \"message_type\": \"task\", \"priority\": \"normal\", \"payload\": {payload}, \"trace_id\": null, \"span_id\": null, \"parent_message_id\": null, \"reason\": \"\", \"timestamp\": \"x\", \"ttl_seconds\": 5}}}}"
            )
        };
        let good = line("{\"q\": \"ok\"}", "A");
        assert!(parse_diff(good.as_bytes(), Loc::default()).is_ok());
        for bad in [
            line("{not json at all}", "A"),
            line("{\"q\": \"raw \u{1} control\"}", "A"),
            line("{\"q\": \"tab\there\"}", "A"),
            line("{\"q\": 1} {\"r\": 2}", "A"),
            line("{\"q\": ]}", "A"),
            line("{}", "A\u{7}B"),
            line("{}", "A\u{1b}[2J"),
        ] {
            let b = bad.as_bytes();
            assert!(
                serde_json::from_slice::<serde_json::Value>(b).is_err(),
                "not JSON: {bad:?}"
            );
            assert!(parse_diff(b, Loc::default()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn duplicate_keys_read_as_json_does_last_wins() {
        let l = br#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "span", "entity_type": "error", "data": {"severity": "warning", "severity": "critical", "agent_name": "Coder"}}"#;
        let ev = parse_diff(l, Loc::default()).unwrap().unwrap();
        assert_eq!(ev.kind, "error");
        assert_eq!(ev.severity, Some(Severity::Critical));
        assert_eq!(ev.agent.as_deref(), Some("Coder"));
        let s = br#"{"timestamp": "x", "timestamp": "2026-02-09T11:41:02", "traces_count": 1}"#;
        assert!(parse_state(s, Loc::default()).unwrap().is_some());
    }

    #[test]
    fn rejects_non_objects_and_missing_times() {
        assert!(parse_diff(b"[1,2]", Loc::default()).is_err());
        assert!(parse_diff(b"{\"entity_type\": \"span\"}", Loc::default()).is_err());
        assert!(parse_diff(b"   ", Loc::default()).unwrap().is_none());
    }

    #[test]
    fn snapshot_counts() {
        let l = br#"{"timestamp": "2026-02-09T11:41:02.551210", "traces_count": 1, "errors_count": 2, "agent_messages_count": 50, "errors": [], "agent_messages": []}"#;
        let ev = parse_state(l, Loc::default()).unwrap().unwrap();
        let Action::Snapshot(c) = ev.action else {
            panic!("a snapshot line is a snapshot");
        };
        assert_eq!(c.agent_messages_count, 50);
        assert_eq!(c.errors_count, 2);
    }
}
