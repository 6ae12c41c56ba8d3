//! Helpers for one-line summaries of events, built only for events that are
//! printed. Each format writes its own ([`super::Reader::summarize`]).

use crate::model::Event;
use serde_json::{Map, Value};

pub use crate::model::{UNKNOWN, UNNAMED};

/// Longest summary, in characters.
pub const MAX_CHARS: usize = 160;

/// Parses an event's `raw` bytes as a JSON object for a summary (empty when they
/// are not one).
pub fn raw_object(ev: &Event<'_>) -> Map<String, Value> {
    match serde_json::from_slice(ev.raw) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// A summary made printable on one line: newlines become spaces, then it is
/// clipped to [`MAX_CHARS`].
pub fn one_line(s: &str) -> String {
    clip(&s.replace(['\n', '\r'], " "), MAX_CHARS)
}

/// Cuts `s` to at most `n` characters, marking the cut with `…`.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A field of a JSON object as text: strings as is, other values as JSON;
/// `None` when missing or null.
pub fn text(o: &Map<String, Value>, k: &str) -> Option<String> {
    match o.get(k)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Joins the pieces that are present with `sep`: a summary says what the
/// record says and leaves no placeholder (`?`) for a field it lacks.
pub fn present<const N: usize>(sep: &str, pieces: [Option<String>; N]) -> String {
    let mut out = String::new();
    for p in pieces.into_iter().flatten().filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(&p);
    }
    out
}

/// Field `k` of `o` written inside `pre` and `post` (`[error]`, `12s`), or
/// `None` when the record lacks it.
pub fn framed(o: &Map<String, Value>, k: &str, pre: &str, post: &str) -> Option<String> {
    text(o, k).map(|v| format!("{pre}{v}{post}"))
}
