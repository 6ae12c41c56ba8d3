//! The usage-only read of a transcript line, for queries that read nothing but
//! usage ([`crate::format::Ctx::only`]: `cost`).
//!
//! Owns: the fields a `Usage` event needs, read with the validating lazy reader
//! ([`crate::format::lazy`]): one pass that checks the whole line is JSON and
//! skips every value but these, whatever their order or spacing. Must not: build
//! any other event than the line's `Usage` (or one bare event for a line without
//! usage, so that records are counted as the full read counts them).
//!
//! The events are those of the full read ([`super::events`]) for what `cost`
//! reads: time, session, agent, model, tokens (cache writes split 5m/1h by
//! `usage.cache_creation` when it is an object, else all of
//! `cache_creation_input_tokens` as 5m), the key `<message.id>:<requestId>`
//! (or `message.id` alone), and a negative counter flagged as a malformed field
//! and never summed. Status, ids and places are left empty.
//!
//! Why: the full read ([`super::record::read`]) walks every content block and
//! tool input of the line; this one skips them by their brackets. On a 124 MB
//! project of the 1 GB bench dir, `oracle --threads 1 cost` ran 422 M
//! instructions with it and 496 M with the full read (cachegrind, 2026-12-02).

use crate::format::lazy::{self, Fields, Schema};
use crate::model::{time::parse_timestamp, Action, Event, Format, Loc, Tokens};
use std::borrow::Cow;

/// The wanted paths; their slots are the constants below.
const PATHS: &[&str] = &[
    "type",
    "timestamp",
    "sessionId",
    "agentId",
    "requestId",
    "message",
    "message.id",
    "message.model",
    "message.usage",
    "message.usage.input_tokens",
    "message.usage.output_tokens",
    "message.usage.cache_read_input_tokens",
    "message.usage.cache_creation_input_tokens",
    "message.usage.cache_creation",
    "message.usage.cache_creation.ephemeral_5m_input_tokens",
    "message.usage.cache_creation.ephemeral_1h_input_tokens",
];

const TYPE: usize = 0;
const TIMESTAMP: usize = 1;
const SESSION: usize = 2;
const AGENT: usize = 3;
const REQUEST: usize = 4;
const MESSAGE: usize = 5;
const MESSAGE_ID: usize = 6;
const MODEL: usize = 7;
const USAGE: usize = 8;
const INPUT: usize = 9;
const OUTPUT: usize = 10;
const CACHE_READ: usize = 11;
const CACHE_CREATION: usize = 12;
const SPLIT: usize = 13;
const SPLIT_5M: usize = 14;
const SPLIT_1H: usize = 15;

fn schema() -> &'static Schema {
    static S: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    S.get_or_init(|| Schema::new(PATHS))
}

/// Whether slot `i` holds an object.
fn object(f: &Fields<'_>, i: usize) -> bool {
    f.raw(i).is_some_and(|v| v.starts_with('{'))
}

/// A counter as the full read takes it ([`crate::format::lax::Num`]): a finite
/// number or numeric string, else absent.
fn counter(f: &Fields<'_>, i: usize) -> Option<f64> {
    f.num(i).filter(|v| v.is_finite())
}

fn count(v: Option<f64>) -> u64 {
    v.filter(|v| *v >= 0.0).map_or(0, |v| v.round() as u64)
}

/// Reads `record` (a line that is one JSON object) as the usage-only read.
/// `None` when the line needs the full read: not UTF-8, or not JSON (the full
/// read then gives the same events, or the error that locates it).
pub fn parse<'a>(record: &'a [u8], loc: Loc, out: &mut dyn FnMut(Event<'a>)) -> Option<()> {
    let text = lazy::utf8(record)?;
    let f = lazy::scan(schema(), text).ok()?;
    let mut ev = Event::untimed(loc, Format::Transcript, record);
    ev.ts = f
        .text(TIMESTAMP)
        .and_then(|t| parse_timestamp(t.trim().as_bytes()));
    ev.kind = f.text(TYPE).unwrap_or(Cow::Borrowed("unknown"));
    ev.session = f.text(SESSION);
    ev.agent = f.text(AGENT);
    let usage = ev.kind == "assistant" && object(&f, MESSAGE) && object(&f, USAGE);
    if !usage {
        out(ev);
        return Some(());
    }
    let split = object(&f, SPLIT);
    // The counters, named as written; the split ones only when it is an object.
    const FIELDS: [(&str, usize); 6] = [
        ("input_tokens", INPUT),
        ("output_tokens", OUTPUT),
        ("cache_read_input_tokens", CACHE_READ),
        ("cache_creation_input_tokens", CACHE_CREATION),
        ("ephemeral_5m_input_tokens", SPLIT_5M),
        ("ephemeral_1h_input_tokens", SPLIT_1H),
    ];
    let fields = &FIELDS[..if split { 6 } else { 4 }];
    let (w5, w1) = if split {
        (count(counter(&f, SPLIT_5M)), count(counter(&f, SPLIT_1H)))
    } else {
        (count(counter(&f, CACHE_CREATION)), 0)
    };
    let tokens = Tokens {
        input: count(counter(&f, INPUT)),
        output: count(counter(&f, OUTPUT)),
        cache_read: count(counter(&f, CACHE_READ)),
        cache_write_5m: w5,
        cache_write_1h: w1,
        other: 0,
    };
    let key = match (f.text(MESSAGE_ID), f.text(REQUEST)) {
        (Some(id), Some(req)) => Some(Cow::Owned(format!("{id}:{req}"))),
        (id, None) => id,
        (None, Some(_)) => None,
    };
    ev.action = Action::Usage {
        model: f.text(MODEL),
        tokens,
        cost_usd: None,
        key,
    };
    // An empty collect allocates nothing: the common case costs no heap.
    let negative: Vec<&str> = fields
        .iter()
        .filter(|(_, i)| counter(&f, *i).is_some_and(|v| v < 0.0))
        .map(|(k, _)| *k)
        .collect();
    ev.flag_negative(&negative);
    out(ev);
    Some(())
}
