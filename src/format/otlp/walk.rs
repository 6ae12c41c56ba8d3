//! The walk over one export request: every span, log record and data point,
//! turned into events as it is read.
//!
//! Owns: the request's nesting (`resource*` → `scope*` → items), what each item
//! means (the event contract in the module docs), and each item's one-line
//! summary. Must not: build a tree of the request — items are read one at a
//! time from the record's bytes (serde seeds), each into a small borrowed
//! struct, and given to the sink at once, so a 50 MB request costs one pass and
//! no more memory than its events.
//!
//! A resource's `service.name` applies to every item under it. Writers put
//! `resource` before its scopes (protobuf field order); when a scope list comes
//! first, or a metric's data before its `name`, that part is kept as a borrowed
//! raw slice and walked once the context is known.

use super::value::{ignore_rest, Attrs, SeverityNumber, StatusCode, UnixNano, Val};
use crate::format::lax::{Obj, Text};
use crate::format::summary::{clip, UNKNOWN, UNNAMED};
use crate::model::{Action, AgentKind, Event, Format, Loc, Severity, Tokens};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Where the walk's events go, and (for a summary) which one is wanted.
pub(super) struct Sink<'s, 'a> {
    record: &'a [u8],
    loc: Loc,
    out: &'s mut dyn FnMut(Event<'a>),
    /// Events given so far (the next one's `loc.sub`).
    n: u32,
    /// Summary mode: the event whose summary is wanted; no event is given to `out`.
    want: Option<u32>,
    summary: Option<String>,
}

/// The error that stops a summary walk once its event is found.
const DONE: &str = "otlp summary found";

impl<'a> Sink<'_, 'a> {
    /// An event of this record with every optional field empty.
    fn base(&self, kind: &'static str, status: Cow<'a, str>) -> Event<'a> {
        Event {
            kind: Cow::Borrowed(kind),
            status,
            ..Event::untimed(self.loc, Format::Otlp, self.record)
        }
    }

    /// Gives one event (or, in summary mode, its summary when it is the one wanted).
    fn emit<E: de::Error>(
        &mut self,
        ev: Event<'a>,
        say: impl FnOnce(&Event<'a>) -> String,
    ) -> Result<(), E> {
        match self.want {
            Some(w) if w == self.n => {
                self.summary = Some(say(&ev));
                return Err(E::custom(DONE));
            }
            Some(_) => {}
            None => (self.out)(ev),
        }
        self.n += 1;
        Ok(())
    }
}

/// Walks one request, giving its events to `out` in order (`want: None`), or
/// returning the summary of event number `want`. Returns the number of events.
///
/// Errors: the JSON error when the record is not JSON (or has a duplicate key
/// in a struct, or invalid UTF-8: the caller then reads it normalised).
pub(super) fn walk<'a>(
    record: &'a [u8],
    loc: Loc,
    want: Option<u32>,
    out: &mut dyn FnMut(Event<'a>),
) -> Result<(u32, Option<String>), serde_json::Error> {
    let mut sink = Sink {
        record,
        loc,
        out,
        n: 0,
        want,
        summary: None,
    };
    let mut de = serde_json::Deserializer::from_slice(record);
    let res = One(&mut Request { sink: &mut sink })
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match res {
        Ok(()) => Ok((sink.n, None)),
        Err(_) if sink.summary.is_some() => Ok((sink.n, sink.summary)),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------
// Generic seeds: an array of objects, one object.

/// Something read from one JSON object.
trait Item<'de> {
    fn object<A: MapAccess<'de>>(&mut self, a: A) -> Result<(), A::Error>;
}

/// An array of objects, each given to the item (other elements and a value
/// that is not an array are skipped).
struct Each<'t, T>(&'t mut T);
/// One object given to the item (anything else is skipped).
struct One<'t, T>(&'t mut T);

impl<'de, T: Item<'de>> DeserializeSeed<'de> for Each<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Item<'de>> Visitor<'de> for Each<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let t = self.0;
        while a.next_element_seed(One(&mut *t))?.is_some() {}
        Ok(())
    }
    ignore_rest!((); bool, i64, u64, f64, str, unit, map);
}

impl<'de, T: Item<'de>> DeserializeSeed<'de> for One<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Item<'de>> Visitor<'de> for One<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<(), A::Error> {
        self.0.object(a)
    }
    ignore_rest!((); bool, i64, u64, f64, str, unit, seq);
}

/// Walks a part kept for later (see the module docs).
fn later<'a, S, E>(raw: &'a RawValue, seed: S) -> Result<(), E>
where
    S: DeserializeSeed<'a, Value = ()>,
    E: de::Error,
{
    let mut de = serde_json::Deserializer::from_str(raw.get());
    seed.deserialize(&mut de).map_err(E::custom)
}

/// Declares an object-key enum read without allocating; unknown keys are `Other`.
macro_rules! keys {
    ($name:ident { $($var:ident: $($s:literal)|+),* $(,)? }) => {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum $name {
            $($var,)*
            Other,
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a key")
                    }
                    fn visit_str<E>(self, v: &str) -> Result<$name, E> {
                        Ok(match v {
                            $($($s)|+ => $name::$var,)*
                            _ => $name::Other,
                        })
                    }
                }
                d.deserialize_identifier(V)
            }
        }
    };
}

keys!(TopKey {
    Resources: "resourceSpans"
        | "resourceLogs"
        | "resourceMetrics"
        | "resource_spans"
        | "resource_logs"
        | "resource_metrics",
});
keys!(ResourceKey {
    Resource: "resource",
    Scopes: "scopeSpans"
        | "scopeLogs"
        | "scopeMetrics"
        | "scope_spans"
        | "scope_logs"
        | "scope_metrics"
        | "instrumentationLibrarySpans"
        | "instrumentationLibraryLogs"
        | "instrumentationLibraryMetrics",
});
keys!(ScopeKey {
    Spans: "spans",
    Logs: "logRecords" | "log_records",
    Metrics: "metrics",
});
keys!(MetricKey {
    Name: "name",
    Data: "sum"
        | "gauge"
        | "histogram"
        | "exponentialHistogram"
        | "exponential_histogram"
        | "summary",
});
keys!(DataKey {
    Points: "dataPoints" | "data_points",
});

// ---------------------------------------------------------------------------
// The nesting.

struct Request<'t, 's, 'a> {
    sink: &'t mut Sink<'s, 'a>,
}

impl<'a> Item<'a> for Request<'_, '_, 'a> {
    fn object<A: MapAccess<'a>>(&mut self, mut a: A) -> Result<(), A::Error> {
        while let Some(k) = a.next_key::<TopKey>()? {
            match k {
                TopKey::Resources => a.next_value_seed(Each(&mut Resource {
                    sink: &mut *self.sink,
                }))?,
                TopKey::Other => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResourceObj<'a> {
    #[serde(borrow)]
    attributes: Attrs<'a>,
}

struct Resource<'t, 's, 'a> {
    sink: &'t mut Sink<'s, 'a>,
}

impl<'a> Item<'a> for Resource<'_, '_, 'a> {
    fn object<A: MapAccess<'a>>(&mut self, mut a: A) -> Result<(), A::Error> {
        let mut service: Option<Cow<'a, str>> = None;
        let mut seen = false;
        let mut kept: Vec<&'a RawValue> = Vec::new();
        while let Some(k) = a.next_key::<ResourceKey>()? {
            match k {
                ResourceKey::Resource => {
                    let r: Obj<ResourceObj<'a>> = a.next_value()?;
                    service = r.0.attributes.service_name.into_text();
                    seen = true;
                }
                ResourceKey::Scopes if seen => a.next_value_seed(Each(&mut Scope {
                    sink: &mut *self.sink,
                    service: service.clone(),
                }))?,
                ResourceKey::Scopes => kept.push(a.next_value()?),
                ResourceKey::Other => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        for raw in kept {
            later(
                raw,
                Each(&mut Scope {
                    sink: &mut *self.sink,
                    service: service.clone(),
                }),
            )?;
        }
        Ok(())
    }
}

struct Scope<'t, 's, 'a> {
    sink: &'t mut Sink<'s, 'a>,
    service: Option<Cow<'a, str>>,
}

impl<'a> Item<'a> for Scope<'_, '_, 'a> {
    fn object<A: MapAccess<'a>>(&mut self, mut a: A) -> Result<(), A::Error> {
        while let Some(k) = a.next_key::<ScopeKey>()? {
            let mut item = Leaf {
                sink: &mut *self.sink,
                service: &self.service,
                metric: None,
            };
            match k {
                ScopeKey::Spans => a.next_value_seed(Each(&mut Spans(item)))?,
                ScopeKey::Logs => a.next_value_seed(Each(&mut Logs(item)))?,
                ScopeKey::Metrics => a.next_value_seed(Each(&mut MetricItem(&mut item)))?,
                ScopeKey::Other => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What every item under one scope shares.
struct Leaf<'t, 's, 'a, 'r> {
    sink: &'t mut Sink<'s, 'a>,
    service: &'r Option<Cow<'a, str>>,
    /// For data points: the metric's name.
    metric: Option<Cow<'a, str>>,
}

struct Spans<'t, 's, 'a, 'r>(Leaf<'t, 's, 'a, 'r>);
struct Logs<'t, 's, 'a, 'r>(Leaf<'t, 's, 'a, 'r>);
struct MetricItem<'l, 't, 's, 'a, 'r>(&'l mut Leaf<'t, 's, 'a, 'r>);
struct Data<'l, 't, 's, 'a, 'r>(&'l mut Leaf<'t, 's, 'a, 'r>);
struct Points<'l, 't, 's, 'a, 'r>(&'l mut Leaf<'t, 's, 'a, 'r>);

impl<'a> Item<'a> for Spans<'_, '_, 'a, '_> {
    fn object<A: MapAccess<'a>>(&mut self, a: A) -> Result<(), A::Error> {
        let s = SpanObj::deserialize(de::value::MapAccessDeserializer::new(a))?;
        span(&mut self.0, s)
    }
}

impl<'a> Item<'a> for Logs<'_, '_, 'a, '_> {
    fn object<A: MapAccess<'a>>(&mut self, a: A) -> Result<(), A::Error> {
        let l = LogObj::deserialize(de::value::MapAccessDeserializer::new(a))?;
        log(&mut self.0, l)
    }
}

impl<'a> Item<'a> for MetricItem<'_, '_, '_, 'a, '_> {
    fn object<A: MapAccess<'a>>(&mut self, mut a: A) -> Result<(), A::Error> {
        let leaf = &mut *self.0;
        leaf.metric = None;
        let mut named = false;
        let mut kept: Vec<&'a RawValue> = Vec::new();
        while let Some(k) = a.next_key::<MetricKey>()? {
            match k {
                MetricKey::Name => {
                    leaf.metric = a.next_value::<Text<'a>>()?.0;
                    named = true;
                }
                MetricKey::Data if named => a.next_value_seed(One(&mut Data(&mut *leaf)))?,
                MetricKey::Data => kept.push(a.next_value()?),
                MetricKey::Other => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        for raw in kept {
            later(raw, One(&mut Data(&mut *leaf)))?;
        }
        Ok(())
    }
}

impl<'a> Item<'a> for Data<'_, '_, '_, 'a, '_> {
    fn object<A: MapAccess<'a>>(&mut self, mut a: A) -> Result<(), A::Error> {
        while let Some(k) = a.next_key::<DataKey>()? {
            match k {
                DataKey::Points => a.next_value_seed(Each(&mut Points(&mut *self.0)))?,
                DataKey::Other => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'a> Item<'a> for Points<'_, '_, '_, 'a, '_> {
    fn object<A: MapAccess<'a>>(&mut self, a: A) -> Result<(), A::Error> {
        let p = PointObj::deserialize(de::value::MapAccessDeserializer::new(a))?;
        point(&mut *self.0, p)
    }
}

// ---------------------------------------------------------------------------
// The items.

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SpanObj<'a> {
    #[serde(borrow, alias = "trace_id")]
    trace_id: Text<'a>,
    #[serde(borrow, alias = "span_id")]
    span_id: Text<'a>,
    #[serde(borrow, alias = "parent_span_id")]
    parent_span_id: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(alias = "start_time_unix_nano")]
    start_time_unix_nano: UnixNano,
    #[serde(alias = "end_time_unix_nano")]
    end_time_unix_nano: UnixNano,
    #[serde(borrow)]
    attributes: Attrs<'a>,
    #[serde(borrow)]
    status: Obj<StatusObj<'a>>,
    #[serde(borrow)]
    events: ExceptionMessage<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusObj<'a> {
    code: StatusCode,
    #[serde(borrow)]
    message: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpanEventObj<'a> {
    #[serde(borrow)]
    attributes: Attrs<'a>,
}

/// The `exception.message` of a span's first event that has one.
#[derive(Default)]
struct ExceptionMessage<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for ExceptionMessage<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ExceptionMessage<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("span events")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = None;
                while let Some(ev) = a.next_element::<Obj<SpanEventObj<'a>>>()? {
                    if out.is_none() {
                        out = ev.0.attributes.exception_message.into_text();
                    }
                }
                Ok(ExceptionMessage(out))
            }
            ignore_rest!(ExceptionMessage(None); bool, i64, u64, f64, str, unit, map);
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LogObj<'a> {
    #[serde(alias = "time_unix_nano")]
    time_unix_nano: UnixNano,
    #[serde(alias = "observed_time_unix_nano")]
    observed_time_unix_nano: UnixNano,
    #[serde(alias = "severity_number")]
    severity_number: SeverityNumber,
    #[serde(borrow, alias = "severity_text")]
    severity_text: Text<'a>,
    #[serde(borrow)]
    body: Val<'a>,
    #[serde(borrow)]
    attributes: Attrs<'a>,
    #[serde(borrow, alias = "trace_id")]
    trace_id: Text<'a>,
    #[serde(borrow, alias = "event_name")]
    event_name: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PointObj<'a> {
    #[serde(alias = "time_unix_nano")]
    time_unix_nano: UnixNano,
    #[serde(borrow)]
    attributes: Attrs<'a>,
    #[serde(borrow, alias = "as_double")]
    as_double: Val<'a>,
    #[serde(borrow, alias = "as_int")]
    as_int: Val<'a>,
    #[serde(borrow)]
    sum: Val<'a>,
    #[serde(borrow)]
    count: Val<'a>,
}

/// An id as written, `None` when empty or all zeros (the "no parent" of some writers).
fn id(t: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    t.filter(|s| s.bytes().any(|b| b != b'0'))
}

/// A span → its span event, plus a usage event (GenAI token attributes) and an
/// agent event (`invoke_agent` / `create_agent`).
fn span<'a, E: de::Error>(leaf: &mut Leaf<'_, '_, 'a, '_>, s: SpanObj<'a>) -> Result<(), E> {
    let a = &s.attributes;
    let trace = id(s.trace_id.0);
    let span_id = id(s.span_id.0);
    let parent = id(s.parent_span_id.0);
    let name = s.name.0.unwrap_or(Cow::Borrowed(""));
    let agent_span = matches!(a.operation.as_str(), Some("invoke_agent" | "create_agent"));
    // An agent's own span, its usage and its spawn name the agent one way: its
    // id (`gen_ai.agent.id`) when it has one, else its name.
    let agent = match a.agent_id.text().filter(|_| agent_span) {
        Some(id) => Some(id),
        None => a.agent_name.text().or_else(|| leaf.service.clone()),
    };
    let status = s.status.0;
    let ts = s.start_time_unix_nano.0;
    let end = s.end_time_unix_nano.0;

    let mut ev = leaf.sink.base("span", name.clone());
    ev.ts = ts;
    ev.action = Action::Span { end };
    ev.agent = agent.clone();
    ev.session = trace.clone();
    ev.id = span_id.clone();
    ev.parent_id = parent.clone();
    if status.code.error {
        ev.severity = Some(Severity::Error);
        ev.category = Some(Cow::Borrowed("span_error"));
        ev.message = Some(
            status
                .message
                .0
                .filter(|m| !m.is_empty())
                .or(s.events.0)
                .unwrap_or_else(|| name.clone()),
        );
    }
    let service = leaf.service;
    let ok = status.code.ok;
    leaf.sink
        .emit(ev, |ev| say_span(ev, end, service.as_deref(), ok))?;

    let input = a.gen_input.count().or_else(|| a.gen_prompt.count());
    let output = a.gen_output.count().or_else(|| a.gen_completion.count());
    if input.is_some() || output.is_some() {
        let tokens = gen_ai_tokens(
            input,
            output,
            a.gen_cache_read.count(),
            a.gen_cache_write.count(),
        );
        let key = match (&trace, &span_id) {
            (Some(t), Some(s)) => Some(Cow::Owned(format!("{t}:{s}"))),
            _ => None,
        };
        let mut ev = leaf.sink.base("usage", name.clone());
        ev.ts = ts;
        ev.agent = agent.clone();
        ev.session = trace.clone();
        ev.id = span_id.clone();
        ev.action = Action::Usage {
            model: a.response_model.text().or_else(|| a.request_model.text()),
            tokens,
            cost_usd: None,
            key,
        };
        leaf.sink.emit(ev, |ev| say_usage(ev, None))?;
    }

    if agent_span {
        let mut ev = leaf.sink.base("agent", name.clone());
        ev.ts = ts;
        ev.agent = agent;
        ev.session = trace;
        ev.id = span_id.clone();
        ev.parent_id = parent;
        ev.action = Action::AgentSpawned {
            kind: AgentKind::Worker,
            parent: None,
            role: a.agent_name.text(),
            via: span_id,
        };
        let op = a.operation.as_str().unwrap_or_default();
        let finished = end.map(|end| {
            // The agent span's end is the agent's end: ok unless the span failed.
            let mut f = ev.clone();
            f.ts = Some(end);
            f.action = Action::AgentFinished {
                ok: !status.code.error,
            };
            f
        });
        leaf.sink.emit(ev, |ev| {
            format!(
                "agent {} ({op}{})",
                ev.agent.as_deref().unwrap_or(UNNAMED),
                match &ev.action {
                    Action::AgentSpawned { role: Some(r), .. }
                        if Some(&**r) != ev.agent.as_deref() =>
                        format!(", {r}"),
                    _ => String::new(),
                }
            )
        })?;
        if let Some(f) = finished {
            leaf.sink.emit(f, |ev| {
                format!(
                    "agent {} ended ({op}, {})",
                    ev.agent.as_deref().unwrap_or(UNNAMED),
                    if matches!(ev.action, Action::AgentFinished { ok: true }) {
                        "ok"
                    } else {
                        "failed"
                    }
                )
            })?;
        }
    }
    Ok(())
}

/// GenAI token attributes → [`Tokens`]. The semantic conventions count cached
/// input tokens inside `gen_ai.usage.input_tokens`; they are taken out (so that
/// `input` is uncached, as [`Tokens`] means it) unless they exceed it, which
/// says the writer did not count them in.
fn gen_ai_tokens(
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_write: Option<u64>,
) -> Tokens {
    let (input, cr, cw) = (
        input.unwrap_or(0),
        cache_read.unwrap_or(0),
        cache_write.unwrap_or(0),
    );
    let cached = cr.saturating_add(cw);
    Tokens {
        input: input.checked_sub(cached).unwrap_or(input),
        output: output.unwrap_or(0),
        cache_read: cr,
        cache_write_5m: cw,
        ..Tokens::default()
    }
}

/// `claude_code.api_request` → `api_request` (the prefix is optional).
fn strip_prefix(c: Cow<'_, str>) -> Cow<'_, str> {
    const P: &str = "claude_code.";
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_prefix(P).unwrap_or(s)),
        Cow::Owned(s) => match s.strip_prefix(P) {
            Some(t) => Cow::Owned(t.to_string()),
            None => Cow::Owned(s),
        },
    }
}

/// Claude Code's log events, as named without the `claude_code.` prefix.
const CLAUDE_CODE_EVENTS: [&str; 5] = [
    "user_prompt",
    "api_request",
    "api_error",
    "tool_result",
    "tool_decision",
];

/// A body that names an event (Claude Code writes `claude_code.<event>` there,
/// sometimes without the prefix); any other body is a message.
fn body_name<'a>(body: &Val<'a>) -> Option<Cow<'a, str>> {
    let s = body.as_str()?;
    (s.starts_with("claude_code.") || CLAUDE_CODE_EVENTS.contains(&s)).then(|| body.text())?
}

/// A log record → one event (see the module docs for the Claude Code events).
fn log<'a, E: de::Error>(leaf: &mut Leaf<'_, '_, 'a, '_>, l: LogObj<'a>) -> Result<(), E> {
    let a = &l.attributes;
    let name = a
        .event_name
        .text()
        .or_else(|| l.event_name.0.clone().filter(|s| !s.is_empty()))
        .or_else(|| body_name(&l.body))
        .map(strip_prefix);
    let status = name
        .clone()
        .or_else(|| l.severity_text.0.clone())
        .unwrap_or(Cow::Borrowed(""));
    let mut ev = leaf.sink.base("log", status);
    ev.ts = l.time_unix_nano.0.or(l.observed_time_unix_nano.0);
    ev.session = a.session_id.text().or_else(|| id(l.trace_id.0.clone()));
    ev.agent = a
        .log_agent
        .text()
        .or_else(|| a.agent_name.text())
        .or_else(|| leaf.service.clone());
    match name.as_deref() {
        Some("api_request") => {
            ev.action = Action::Usage {
                model: a.model.text(),
                tokens: Tokens {
                    input: a.input_tokens.count().unwrap_or(0),
                    output: a.output_tokens.count().unwrap_or(0),
                    cache_read: a.cache_read_tokens.count().unwrap_or(0),
                    cache_write_5m: a.cache_creation_tokens.count().unwrap_or(0),
                    ..Tokens::default()
                },
                cost_usd: a.cost_usd.num().filter(|c| *c >= 0.0),
                key: None,
            };
            // A negative counter is never summed (it reads as absent above); the
            // record stays, flagged as a warning naming the field, so it is located.
            let negative: Vec<&str> = [
                ("input_tokens", &a.input_tokens),
                ("output_tokens", &a.output_tokens),
                ("cache_read_tokens", &a.cache_read_tokens),
                ("cache_creation_tokens", &a.cache_creation_tokens),
                ("cost_usd", &a.cost_usd),
            ]
            .into_iter()
            .filter(|(_, v)| v.num().is_some_and(|n| n < 0.0))
            .map(|(k, _)| k)
            .collect();
            ev.flag_negative(&negative);
        }
        Some("api_error") => {
            ev.severity = Some(Severity::Error);
            ev.category = Some(Cow::Borrowed("api_error"));
            ev.message = Some(match (a.error.text(), a.status_code.text()) {
                (Some(e), Some(c)) => Cow::Owned(format!("{e} (status {c})")),
                (Some(e), None) => e,
                (None, Some(c)) => Cow::Owned(format!("API error (status {c})")),
                (None, None) => Cow::Borrowed("API error"),
            });
        }
        Some("tool_result") => {
            let failed = a.success.is_false();
            ev.action = Action::ToolEnded {
                tool: a.tool_name.text(),
                error: failed,
                input: a
                    .tool_parameters
                    .text()
                    .filter(|t| t.trim_start().starts_with('{')),
                output: None,
            };
            ev.id = a.tool_use_id.text();
            if failed {
                ev.severity = Some(Severity::Error);
                ev.category = Some(Cow::Borrowed("tool_error"));
                ev.message = a.error.text();
            }
        }
        Some("user_prompt") => ev.action = Action::Prompt,
        _ => {}
    }
    if ev.severity.is_none() {
        let by_number = match l.severity_number.0 {
            Some(21..=24) => Some(Severity::Critical),
            Some(17..=20) => Some(Severity::Error),
            Some(13..=16) => Some(Severity::Warning),
            _ => None,
        };
        let by_text = l
            .severity_text
            .get()
            .and_then(Severity::parse)
            .filter(|s| *s >= Severity::Warning);
        if let Some(sev) = by_number.max(by_text) {
            ev.severity = Some(sev);
            ev.category = a
                .exception_type
                .text()
                .or_else(|| name.clone())
                .or(Some(Cow::Borrowed("log")));
            ev.message = l
                .body
                .text()
                .or_else(|| a.exception_message.text())
                .or_else(|| name.clone());
        }
    }
    let body = &l.body;
    leaf.sink.emit(ev, |ev| say_log(ev, a, body))
}

/// A metric data point → one event.
fn point<'a, E: de::Error>(leaf: &mut Leaf<'_, '_, 'a, '_>, p: PointObj<'a>) -> Result<(), E> {
    let a = &p.attributes;
    let mut ev = leaf
        .sink
        .base("metric", leaf.metric.clone().unwrap_or(Cow::Borrowed("")));
    ev.ts = p.time_unix_nano.0;
    ev.session = a.session_id.text();
    ev.agent = leaf.service.clone();
    let value = p.as_double.num().or_else(|| p.as_int.num());
    let (sum, count) = (p.sum.num(), p.count.num());
    leaf.sink.emit(ev, |ev| {
        let mut s = format!("metric {}", ev.status);
        match (value, sum, count) {
            (Some(v), _, _) => s.push_str(&format!(" = {}", number(v))),
            (None, Some(sum), Some(n)) => {
                s.push_str(&format!(" count={} sum={}", number(n), number(sum)))
            }
            (None, None, Some(n)) => s.push_str(&format!(" count={}", number(n))),
            _ => {}
        }
        for (k, v) in [("type", &a.token_type), ("model", &a.model)] {
            if let Some(v) = v.as_str() {
                s.push_str(&format!(" {k}={v}"));
            }
        }
        s
    })
}

// ---------------------------------------------------------------------------
// Summaries.

/// A number without a needless `.0`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A duration in nanoseconds, short (`850ms`, `1.25s`, `2m05s`).
pub(super) fn duration(ns: i64) -> String {
    let ms = ns / 1_000_000;
    match ms {
        _ if ns < 0 => "ends before it starts".into(),
        0..=999 => format!("{ms}ms"),
        1000..=59_999 => format!("{:.2}s", ms as f64 / 1000.0),
        _ => format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60),
    }
}

fn say_span(ev: &Event<'_>, end: Option<i64>, service: Option<&str>, ok: bool) -> String {
    // A span without both ends has no duration to show: it is left out.
    let mut s = format!("span {}", ev.status);
    if let (Some(start), Some(e)) = (ev.ts, end) {
        s.push_str(&format!(" ({})", duration(e.saturating_sub(start))));
    }
    if let Some(svc) = service {
        s.push_str(&format!(" [{svc}]"));
    }
    if let Some(a) = ev.agent.as_deref().filter(|a| Some(*a) != service) {
        s.push_str(&format!(" agent={a}"));
    }
    if ev.severity.is_some() {
        s.push_str(&format!(
            " error: {}",
            clip(ev.message.as_deref().unwrap_or("(no message)"), 100)
        ));
    } else if ok {
        s.push_str(" ok");
    }
    s
}

fn say_usage(ev: &Event<'_>, duration_ms: Option<f64>) -> String {
    let Action::Usage {
        model,
        tokens,
        cost_usd,
        ..
    } = &ev.action
    else {
        return ev.status.to_string();
    };
    // A span's usage event says so; a log's status already names the event.
    let what = match &*ev.kind {
        "log" => ev.status.to_string(),
        kind => format!("{kind} {}", ev.status),
    };
    let mut s = format!(
        "{what} model={} tokens in={} out={} cache_read={} cache_write={}",
        model.as_deref().unwrap_or(UNKNOWN),
        tokens.input,
        tokens.output,
        tokens.cache_read,
        tokens.cache_write_5m
    );
    if let Some(c) = cost_usd {
        s.push_str(&format!(" ${c:.4}"));
    }
    if let Some(ms) = duration_ms {
        s.push_str(&format!(" ({})", duration((ms * 1e6) as i64)));
    }
    if let Some(m) = ev.message.as_deref().filter(|_| ev.severity.is_some()) {
        s.push_str(&format!("; {m}"));
    }
    s
}

fn say_log(ev: &Event<'_>, a: &Attrs<'_>, body: &Val<'_>) -> String {
    let ms = a.duration_ms.num();
    let dur = || {
        ms.map(|m| format!(" ({})", duration((m * 1e6) as i64)))
            .unwrap_or_default()
    };
    match (&ev.action, &*ev.status) {
        (Action::Usage { .. }, _) => say_usage(ev, ms),
        (Action::ToolEnded { tool, error, .. }, _) => {
            let tool = tool.as_deref().unwrap_or(UNNAMED);
            match (error, &ev.message) {
                (true, Some(m)) => format!("tool_result {tool} failed: {m}"),
                (true, None) => format!("tool_result {tool} failed{}", dur()),
                (false, _) => format!("tool_result {tool} ok{}", dur()),
            }
        }
        (Action::Prompt, _) => match a.prompt_length.count() {
            Some(n) => format!("user_prompt ({n} chars)"),
            None => "user_prompt".into(),
        },
        (_, "api_error") => {
            let mut s = format!(
                "api_error: {}",
                ev.message.as_deref().unwrap_or("(no message)")
            );
            if let Some(m) = a.model.as_str() {
                s.push_str(&format!(" model={m}"));
            }
            if let Some(n) = a.attempt.text() {
                s.push_str(&format!(" attempt={n}"));
            }
            s
        }
        (_, "tool_decision") => format!(
            "tool_decision {} {}{}",
            a.tool_name.as_str().unwrap_or(UNNAMED),
            a.decision.as_str().unwrap_or(UNKNOWN),
            a.source
                .as_str()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        _ => {
            let text = body.text().filter(|t| Some(&**t) != Some(&*ev.status));
            match (ev.status.is_empty(), text) {
                (false, Some(t)) => format!("{}: {t}", ev.status),
                (true, Some(t)) => t.into_owned(),
                (_, None) if ev.status.is_empty() => "log".into(),
                (_, None) => format!("log {}", ev.status),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_ai_input_tokens_lose_the_cached_ones_they_include() {
        let t = gen_ai_tokens(Some(1000), Some(50), Some(600), Some(100));
        assert_eq!((t.input, t.cache_read, t.cache_write_5m), (300, 600, 100));
        // Cached tokens beyond the input: the writer did not include them.
        let t = gen_ai_tokens(Some(10), None, Some(600), None);
        assert_eq!((t.input, t.output, t.cache_read), (10, 0, 600));
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(duration(850_000_000), "850ms");
        assert_eq!(duration(1_250_000_000), "1.25s");
        assert_eq!(duration(125_000_000_000), "2m05s");
        assert_eq!(duration(-1), "ends before it starts");
    }
}
