//! Time-machine JSONL (formats.md 1a): `diff_time_machine.jsonl`, one change per
//! line `{"timestamp", "change_type", "entity_type", "data"}`, and
//! `state_time_machine.jsonl`, one snapshot per line.
//!
//! Timestamps are naive UTC with 0 or 6 fraction digits. Only the fields the
//! analyses use are decoded, borrowed from the line; the rest is skipped.

use super::lax::{Num, Obj, Text};
use super::summary::{clip, or_q};
use super::{ActionSet, Ctx, Framing, Needs, Prefilter, Reader};
use crate::model::{
    time::parse_timestamp, Action, Event, Format, Loc, Metrics, Nanos, Severity, SnapshotCounts,
    Tokens,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Envelope<'a> {
    #[serde(borrow)]
    timestamp: Text<'a>,
    #[serde(borrow)]
    change_type: Text<'a>,
    #[serde(borrow)]
    entity_type: Text<'a>,
    #[serde(borrow)]
    data: Obj<Data<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Data<'a> {
    #[serde(borrow)]
    message_id: Text<'a>,
    #[serde(borrow)]
    source_agent: Text<'a>,
    #[serde(borrow)]
    target_agent: Text<'a>,
    #[serde(borrow)]
    message_type: Text<'a>,
    #[serde(borrow)]
    priority: Text<'a>,
    #[serde(borrow)]
    parent_message_id: Text<'a>,
    #[serde(borrow)]
    trace_id: Text<'a>,
    #[serde(borrow)]
    severity: Text<'a>,
    #[serde(borrow)]
    category: Text<'a>,
    #[serde(borrow)]
    error_message: Text<'a>,
    #[serde(borrow)]
    error_id: Text<'a>,
    #[serde(borrow)]
    agent_name: Text<'a>,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    event_type: Text<'a>,
    #[serde(borrow)]
    span_kind: Text<'a>,
    #[serde(borrow)]
    span_id: Text<'a>,
    #[serde(borrow)]
    source_agent_name: Text<'a>,
    #[serde(borrow)]
    target_agent_name: Text<'a>,
    #[serde(borrow)]
    root_agent_name: Text<'a>,
    #[serde(borrow)]
    reason: Text<'a>,
    token_usage: Obj<SpanTokens>,
    #[serde(borrow)]
    payload: Obj<Payload<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpanTokens {
    total_tokens: Num,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Payload<'a> {
    #[serde(borrow)]
    error: Text<'a>,
    #[serde(borrow)]
    error_type: Text<'a>,
}

/// Parses one `diff_time_machine.jsonl` line. `Ok(None)` for blank lines.
///
/// Errors: not JSON, not an object, or no readable `timestamp`.
pub fn parse_diff(line: &[u8], loc: Loc) -> Result<Option<Event<'_>>, String> {
    let Some(line) = super::content(line) else {
        return Ok(None);
    };
    if line[0] != b'{' {
        return Err("not a JSON object".into());
    }
    if let Some(ev) = fast::agent_message(line, loc) {
        return Ok(Some(ev));
    }
    // One UTF-8 check for the whole line (word-at-a-time on ASCII) instead of one per string.
    let parsed: Result<Envelope, _> = match std::str::from_utf8(line) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(line),
    };
    match parsed {
        Ok(env) => from_envelope(env, line, loc).map(Some),
        Err(e) if e.to_string().contains("duplicate field") => {
            // Duplicate keys: read it as JSON does (the last value wins) through a
            // `Value`, which holds each key once, then own the strings.
            let v: serde_json::Value =
                serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
            let env = Envelope::deserialize(&v).map_err(|e| format!("invalid JSON: {e}"))?;
            from_envelope(env, line, loc).map(|ev| Some(ev.detach(line)))
        }
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// Builds the event of a decoded diff envelope.
fn from_envelope<'a>(env: Envelope<'a>, line: &'a [u8], loc: Loc) -> Result<Event<'a>, String> {
    let ts = env
        .timestamp
        .get()
        .and_then(|t| parse_timestamp(t.as_bytes()))
        .ok_or_else(|| "missing or unreadable timestamp".to_string())?;
    let d = env.data.0;
    let kind = env.entity_type.0.unwrap_or(Cow::Borrowed("unknown"));
    let status = d
        .message_type
        .0
        .clone()
        .or(d.status.0.clone())
        .or(d.event_type.0.clone())
        .or(d.span_kind.0.clone())
        .or(env.change_type.0)
        .unwrap_or(Cow::Borrowed(""));
    let (severity, category, message) = match &*kind {
        "error" => (
            Some(
                d.severity
                    .get()
                    .and_then(Severity::parse)
                    .unwrap_or(Severity::Error),
            ),
            d.category.0.clone(),
            d.error_message.0.clone(),
        ),
        "agent_message" if status == "error" => (
            Some(if d.priority.get() == Some("critical") {
                Severity::Critical
            } else {
                Severity::Error
            }),
            Some(
                d.payload
                    .0
                    .error_type
                    .0
                    .clone()
                    .unwrap_or(Cow::Borrowed("agent_error")),
            ),
            d.payload.0.error.0.clone().or(d.reason.0.clone()),
        ),
        _ => (None, None, None),
    };
    let agent = d
        .source_agent
        .0
        .or(d.agent_name.0)
        .or(d.source_agent_name.0)
        .or(d.root_agent_name.0);
    // Span `token_usage` only: a trace's `total_tokens` sums its spans' and would count them twice.
    let tokens = d.token_usage.0.total_tokens.count();
    let action = match (&*kind, tokens) {
        ("agent_message", _) => message_action(&status, d.parent_message_id.0.is_some()),
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
    Ok(Event {
        ts: Some(ts),
        loc,
        format: Format::Diff,
        action,
        kind,
        status,
        agent,
        target: d.target_agent.0.or(d.target_agent_name.0),
        severity,
        category,
        message,
        session: d.trace_id.0,
        id: d.message_id.0.or(d.error_id.0).or(d.span_id.0),
        parent_id: d.parent_message_id.0,
        metrics: Metrics::default(),
        place: Default::default(),
        raw: line,
        record: line,
    })
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

/// The fast path for the observer's own layout of agent messages.
///
/// `TelemetryStore` writes every agent message as `json.dumps` of a fixed dict
/// (formats.md 1a): envelope keys `timestamp, change_type, entity_type, data`, and
/// data keys `message_id, source_agent, target_agent, message_type, priority,
/// payload, trace_id, span_id, parent_message_id, reason, timestamp, ttl_seconds`,
/// separators `", "` and `": "`. A line that matches that layout exactly, up to
/// `payload` from the front and from `trace_id` to the end from the back, is read
/// without scanning the payload. The back is found with the *last* `, "trace_id": `;
/// since the tail must then run to the end of the line through exactly those keys
/// and close with `}}`, that key belongs to `data`, not to something nested in the
/// payload. Anything else (escapes in the strings read, `error` messages, which need
/// the payload, other layouts) returns `None` and takes the general path. The
/// payload itself is not validated.
mod fast {
    use crate::model::{time::parse_timestamp, Event, Format, Loc, Metrics};
    use std::borrow::Cow;

    struct Cur<'a> {
        b: &'a [u8],
        /// The same line, checked as UTF-8 once.
        s: &'a str,
        i: usize,
    }

    impl<'a> Cur<'a> {
        fn lit(&mut self, l: &[u8]) -> Option<()> {
            if self.b[self.i..].starts_with(l) {
                self.i += l.len();
                Some(())
            } else {
                None
            }
        }

        /// A JSON string without escapes: its text.
        fn string(&mut self) -> Option<&'a str> {
            if self.b.get(self.i) != Some(&b'"') {
                return None;
            }
            let start = self.i + 1;
            let end = start + memchr::memchr2(b'"', b'\\', &self.b[start..])?;
            if self.b[end] != b'"' {
                return None;
            }
            self.i = end + 1;
            self.s.get(start..end)
        }

        /// A string without escapes, or `null`.
        fn string_or_null(&mut self) -> Option<Option<&'a str>> {
            if self.lit(b"null").is_some() {
                Some(None)
            } else {
                self.string().map(Some)
            }
        }

        /// `null` or a plain number.
        fn number_or_null(&mut self) -> Option<()> {
            if self.lit(b"null").is_some() {
                return Some(());
            }
            let n = self.b[self.i..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
                .count();
            (n > 0).then(|| self.i += n)
        }
    }

    pub(super) fn agent_message(line: &[u8], loc: Loc) -> Option<Event<'_>> {
        static TAIL: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
            std::sync::OnceLock::new();
        let tail_finder = TAIL.get_or_init(|| memchr::memmem::Finder::new(b", \"trace_id\": "));
        let text = std::str::from_utf8(line).ok()?;
        let mut c = Cur {
            b: line,
            s: text,
            i: 0,
        };
        c.lit(b"{\"timestamp\": ")?;
        let ts = parse_timestamp(c.string()?.as_bytes())?;
        c.lit(b", \"change_type\": ")?;
        c.string()?;
        c.lit(b", \"entity_type\": \"agent_message\", \"data\": {\"message_id\": ")?;
        let id = c.string_or_null()?;
        c.lit(b", \"source_agent\": ")?;
        let from = c.string()?;
        c.lit(b", \"target_agent\": ")?;
        let to = c.string()?;
        c.lit(b", \"message_type\": ")?;
        let kind = c.string()?;
        if kind == "error" {
            return None;
        }
        c.lit(b", \"priority\": ")?;
        c.string_or_null()?;
        c.lit(b", \"payload\": {")?;
        let payload_start = c.i - 1;
        // The last occurrence, found forwards (the SIMD searcher; payloads rarely hold one).
        let mut tail = payload_start + tail_finder.find(&line[payload_start..])?;
        while let Some(k) = tail_finder.find(&line[tail + 1..]) {
            tail += 1 + k;
        }
        if tail == payload_start || line[tail - 1] != b'}' {
            return None;
        }
        let mut t = Cur {
            b: line,
            s: text,
            i: tail,
        };
        t.lit(b", \"trace_id\": ")?;
        let trace = t.string_or_null()?;
        t.lit(b", \"span_id\": ")?;
        t.string_or_null()?;
        t.lit(b", \"parent_message_id\": ")?;
        let parent = t.string_or_null()?;
        t.lit(b", \"reason\": ")?;
        t.string_or_null()?;
        t.lit(b", \"timestamp\": ")?;
        t.string_or_null()?;
        t.lit(b", \"ttl_seconds\": ")?;
        t.number_or_null()?;
        t.lit(b"}}")?;
        if t.i != line.len() {
            return None;
        }
        Some(Event {
            ts: Some(ts),
            loc,
            format: Format::Diff,
            action: super::message_action(kind, parent.is_some()),
            kind: Cow::Borrowed("agent_message"),
            status: Cow::Borrowed(kind),
            agent: Some(Cow::Borrowed(from)),
            target: Some(Cow::Borrowed(to)),
            severity: None,
            category: None,
            message: None,
            session: trace.map(Cow::Borrowed),
            id: id.map(Cow::Borrowed),
            parent_id: parent.map(Cow::Borrowed),
            metrics: Metrics::default(),
            place: Default::default(),
            raw: line,
            record: line,
        })
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
        if let Some(ev) = parse_diff(record, loc)? {
            out(ev);
        }
        Ok(())
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
    match &*ev.kind {
        "error" => format!(
            "[{}] {}: {}",
            or_q(d, "severity"),
            or_q(d, "agent_name"),
            clip(&or_q(d, "error_message"), 80)
        ),
        "agent_message" => {
            let base = format!(
                "[{}] {} -> {}",
                or_q(d, "message_type"),
                or_q(d, "source_agent"),
                or_q(d, "target_agent")
            );
            match ev.message.as_deref() {
                Some(m) if ev.severity.is_some() => format!("{base}: {}", clip(m, 80)),
                _ => base,
            }
        }
        "trace" => format!(
            "trace {} {} {}",
            clip(&or_q(d, "trace_id"), 12),
            or_q(d, "root_agent_name"),
            or_q(d, "status")
        ),
        "span" => format!(
            "span {} by {} ({})",
            or_q(d, "span_kind"),
            or_q(d, "agent_name"),
            or_q(d, "status")
        ),
        "handoff" => format!(
            "handoff {} -> {}: {}",
            or_q(d, "source_agent_name"),
            or_q(d, "target_agent_name"),
            or_q(d, "reason")
        ),
        "event" => format!(
            "{} by {}: {}",
            or_q(d, "event_type"),
            or_q(d, "agent_name"),
            or_q(d, "message")
        ),
        _ => clip(&Value::Object(d.clone()).to_string(), 100),
    }
}

fn state(o: &Map<String, Value>) -> String {
    format!(
        "snapshot: {} messages, {} errors, {} traces, {} spans",
        or_q(o, "agent_messages_count"),
        or_q(o, "errors_count"),
        or_q(o, "traces_count"),
        or_q(o, "spans_count")
    )
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

    /// The general path, bypassing the fast one.
    fn general(line: &[u8]) -> Option<String> {
        let env: Envelope = serde_json::from_slice(line).ok()?;
        from_envelope(env, line, Loc::default())
            .ok()
            .map(|e| format!("{e:?}"))
    }

    #[test]
    fn the_fast_path_reads_what_the_general_path_reads() {
        let fixture = include_str!("../../fixtures/timemachine/diff_time_machine.jsonl");
        let mut fast_hits = 0;
        let tricky = [
            // A payload that nests the tail keys must not fool the back search.
            r#"{"timestamp": "2026-02-09T11:30:12.000001", "change_type": "added", "entity_type": "agent_message", "data": {"message_id": "m1", "source_agent": "A", "target_agent": "B", "message_type": "result", "priority": "normal", "payload": {"x": {"trace_id": "t0", "span_id": null, "parent_message_id": "WRONG", "reason": "r", "timestamp": "t", "ttl_seconds": 1}}, "trace_id": "t1", "span_id": null, "parent_message_id": "RIGHT", "reason": "r", "timestamp": "2026", "ttl_seconds": null}}"#,
            // Escapes and other layouts go the general way.
            r#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "agent_message", "data": {"message_id": "m\u0032", "source_agent": "A", "target_agent": "B", "message_type": "task", "priority": "normal", "payload": {}, "trace_id": null, "span_id": null, "parent_message_id": null, "reason": "", "timestamp": "x", "ttl_seconds": 5}}"#,
            r#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "agent_message", "data": {"message_id": "m3", "source_agent": "A", "target_agent": "B", "message_type": "task", "priority": "normal", "payload": {}, "trace_id": null, "span_id": null, "parent_message_id": null, "reason": "", "timestamp": "x", "ttl_seconds": 5, "extra": {"parent_message_id": "p"}}}"#,
        ];
        for line in fixture.lines().chain(tricky) {
            let b = line.as_bytes();
            if let Some(ev) = fast::agent_message(b, Loc::default()) {
                fast_hits += 1;
                assert_eq!(Some(format!("{ev:?}")), general(b), "{line}");
            }
            let full = parse_diff(b, Loc::default())
                .ok()
                .flatten()
                .map(|e| format!("{e:?}"));
            assert_eq!(full, general(b), "{line}");
        }
        assert!(
            fast_hits >= 40,
            "the fixture's agent messages take the fast path ({fast_hits})"
        );
        let ev = parse_diff(tricky[0].as_bytes(), Loc::default())
            .unwrap()
            .unwrap();
        assert_eq!(ev.parent_id.as_deref(), Some("RIGHT"));
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
