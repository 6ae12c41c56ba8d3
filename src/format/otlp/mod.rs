//! OpenTelemetry OTLP JSON (claude-code.md §4): traces, logs and metrics export
//! requests (`ExportTraceServiceRequest`, `ExportLogsServiceRequest`,
//! `ExportMetricsServiceRequest`), one a line as the collector's `file` exporter
//! writes them, or one (pretty-printed) document as SDKs and tests write them.
//!
//! Owns: recognising a request, and turning every span, log record and metric
//! data point of it into events. Must not: keep anything across records, or
//! price usage (Claude Code's own `cost_usd` is passed on as written).
//!
//! Source: the OTLP specification's JSON encoding (opentelemetry-proto
//! `docs/specification.md`: lowerCamelCase keys, hex `traceId`/`spanId`, 64-bit
//! integers — `intValue`, `*UnixNano` — as decimal strings or numbers, enums as
//! integers; receivers ignore unknown fields), its `examples/*.json`, the GenAI
//! semantic conventions (`gen_ai.*`) and Claude Code's monitoring docs (log
//! events named by the body `claude_code.<event>` and the `event.name`
//! attribute `<event>`, numbers often written as strings). snake_case keys
//! (`resource_spans`) and the pre-1.0 `instrumentationLibrary*` scope keys are
//! read too; so is an attribute object `{"key": value}` in place of the list.
//!
//! One record is one request (framing: [`Framing::Objects`]), and
//! `Event::raw` = `Event::record` = the whole request; events come in the
//! request's order, so `Event::loc.sub` names the item. Event contract:
//!
//! | item | events |
//! |---|---|
//! | span | `Span { end }`, kind `span`, status = name, ts = start, id = spanId, parent_id = parentSpanId (none when empty or zeros), session = traceId, agent = `gen_ai.agent.name` else the resource's `service.name` (an agent span's: its `gen_ai.agent.id` first, as its agent event); status code 2 / `STATUS_CODE_ERROR` → Error, category `span_error`, message = status message, else the first span event's `exception.message`, else the name |
//! | span with `gen_ai.usage.input_tokens`/`output_tokens` (or the deprecated `prompt_tokens`/`completion_tokens`) | + `Usage { model: gen_ai.response.model else gen_ai.request.model, tokens, cost_usd: None, key: "<traceId>:<spanId>" }`, kind `usage`, same status/ts/session/agent. Cache reads/writes (`gen_ai.usage.cache_read.input_tokens`, `cache_creation.input_tokens` and their older names) are taken out of the input, which the conventions say includes them |
//! | span with `gen_ai.operation.name` `invoke_agent` / `create_agent` | + `AgentSpawned { Worker, parent: None, role: gen_ai.agent.name, via: spanId }`, kind `agent`, agent = `gen_ai.agent.id` else the name, id/parent_id as the span's |
//! | log record | kind `log`, ts = timeUnixNano else observedTimeUnixNano, session = `session.id` else traceId, agent = `agent.name` / `gen_ai.agent.name` else `service.name`; status = the event name (`event.name` attribute, else `eventName`, else a string body `claude_code.<event>` or one of Claude Code's five event names; `claude_code.` stripped) else severityText |
//! | `api_request` | `Usage { model, tokens { input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens → 5m writes }, cost_usd, key: None }` |
//! | `api_error` | Error, category `api_error`, message = `error` (+ ` (status <status_code>)`) |
//! | `tool_result` | `ToolEnded { tool: tool_name, error: success false, input: tool_parameters (or tool_input) when it is a JSON object text }`, id = `tool_use_id`; failed → Error, category `tool_error`, message = `error` |
//! | `user_prompt` | `Prompt` |
//! | any other | `Other`. Every log record not made an error above: severityNumber 21–24 (or severityText FATAL/CRITICAL) → Critical, 17–20 (ERROR) → Error, 13–16 (WARN) → Warning, message = the body text, category = `exception.type` else the event name else `log` |
//! | metric data point | `Other`, kind `metric`, status = metric name, ts = timeUnixNano, session = `session.id`, agent = `service.name`. Never `Usage`: `claude_code.token.usage` / `cost.usage` repeat the `api_request` numbers |
//! | request with none of these | one `Other`, kind `otlp`, untimed |
//!
//! A record that is not JSON is refused. One with a key given twice or invalid
//! UTF-8 is read as JSON readers do (the last value wins, U+FFFD), via a
//! normalised copy. Items whose fields have the wrong types are read as far as
//! they go, never refused.

mod value;
mod walk;

use super::{ActionSet, Ctx, Framing, Reader};
use crate::model::{Event, Format, Loc};
use std::borrow::Cow;

/// The reader.
pub struct Otlp;

/// The top-level keys of the three requests, camelCase and snake_case.
const REQUEST_KEYS: [&[u8]; 6] = [
    b"\"resourceSpans\"",
    b"\"resourceLogs\"",
    b"\"resourceMetrics\"",
    b"\"resource_spans\"",
    b"\"resource_logs\"",
    b"\"resource_metrics\"",
];

/// True when `key` occurs in `head` as an object key opening an array
/// (`"resourceSpans": [`), or at the very end of the head.
fn key_opens_array(head: &[u8], key: &[u8]) -> bool {
    memchr::memmem::find_iter(head, key).any(|at| {
        let mut rest = head[at + key.len()..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace());
        match rest.next() {
            None => true,
            Some(b':') => matches!(rest.find(|b| !b.is_ascii_whitespace()), None | Some(b'[')),
            Some(_) => false,
        }
    })
}

/// Reads a record the typed walk refused (a key given twice, invalid UTF-8) as
/// JSON readers do, into a normalised copy; `None` when it is not a JSON object.
fn normalised(record: &[u8]) -> Option<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(record)
        .ok()
        .or_else(|| serde_json::from_str(&String::from_utf8_lossy(record)).ok())?;
    if !v.is_object() {
        return None;
    }
    serde_json::to_vec(&v).ok()
}

/// The one event of a request that holds no span, log record or data point.
fn empty<'a>(record: &'a [u8], loc: Loc) -> Event<'a> {
    Event {
        kind: Cow::Borrowed("otlp"),
        ..Event::untimed(loc, Format::Otlp, record)
    }
}

impl Reader for Otlp {
    fn format(&self) -> Format {
        Format::Otlp
    }
    /// An object (or an array of them) whose head has `"resourceSpans": [`,
    /// `"resourceLogs": [` or `"resourceMetrics": [` (or the snake_case keys).
    fn sniff(&self, head: &[u8]) -> bool {
        matches!(head.first(), Some(b'{' | b'['))
            && REQUEST_KEYS.iter().any(|k| key_opens_array(head, k))
    }
    fn framing(&self) -> Framing {
        Framing::Objects
    }
    fn produces(&self) -> ActionSet {
        ActionSet::SPANS
            .or(ActionSet::USAGE)
            .or(ActionSet::AGENTS)
            .or(ActionSet::TOOLS)
            .or(ActionSet::CONVERSATION)
    }
    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        _ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        if crate::format::content(record).and_then(|r| r.first()) != Some(&b'{') {
            return Err("not a JSON object".into());
        }
        // Held until the whole request has parsed: a request cut short gives no
        // events, only its error.
        let mut events = Vec::new();
        let res = walk::walk(record, loc, None, &mut |ev| events.push(ev));
        if let Err(e) = res {
            events.clear();
            let buf = match e.is_eof() {
                true => None,
                false => normalised(record),
            }
            .ok_or_else(|| format!("invalid JSON: {e}"))?;
            walk::walk(&buf, loc, None, &mut |ev| events.push(ev.detach(record)))
                .map_err(|e| format!("invalid JSON: {e}"))?;
        }
        if events.is_empty() {
            events.push(empty(record, loc));
        }
        for ev in events {
            out(ev);
        }
        Ok(())
    }
    fn summarize(&self, ev: &Event<'_>) -> String {
        if ev.kind == "otlp" {
            return "OTLP request with no spans, log records or data points".into();
        }
        let found = match walk::walk(ev.record, ev.loc, Some(ev.loc.sub), &mut |_| {}) {
            Ok((_, Some(s))) => Some(s),
            Ok(_) => None,
            Err(_) => normalised(ev.record).and_then(|buf| {
                walk::walk(&buf, ev.loc, Some(ev.loc.sub), &mut |_| {})
                    .ok()
                    .and_then(|(_, s)| s)
            }),
        };
        found.unwrap_or_else(|| format!("{} {}", ev.kind, ev.status))
    }
}

#[cfg(test)]
mod tests;
