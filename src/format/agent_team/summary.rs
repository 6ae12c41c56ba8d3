//! One-line summaries of team events, built only for printed events (so they
//! re-read the record as a [`serde_json::Value`]).
//!
//! Owns: the wording. Must not: be called on the scan path.

use crate::format::summary::{clip, present, raw_object, text, UNNAMED};
use crate::model::Event;
use serde_json::{Map, Value};

/// Longest message text quoted in a summary, in characters.
const TEXT_CHARS: usize = 100;

/// The summary of any team event.
pub(super) fn summarize(ev: &Event<'_>) -> String {
    let o = raw_object(ev);
    match &*ev.kind {
        "team_member" => member(ev, &o),
        "message" => message(ev, &o),
        "task" => task(ev, &o),
        "team_config" => format!(
            "team {} created, no members ({})",
            ev.session.as_deref().unwrap_or(UNNAMED),
            text(&o, "description").unwrap_or_default()
        ),
        _ => {
            let keys: Vec<&str> = o.keys().map(String::as_str).take(8).collect();
            format!("unrecognised team record: {}", keys.join(", "))
        }
    }
}

/// The part of `s` before `@` (`team-lead@api-team` → `team-lead`).
fn before_at(s: &str) -> &str {
    s.split_once('@').map_or(s, |(a, _)| a)
}

/// "name (agentType, model) joined team T".
fn member(ev: &Event<'_>, o: &Map<String, Value>) -> String {
    let name = ev.agent.as_deref().unwrap_or(UNNAMED);
    let m = o
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find(|m| {
            text(m, "name")
                .or_else(|| text(m, "agentId").map(|id| before_at(&id).to_string()))
                .as_deref()
                == Some(name)
        });
    let field = |k: &str| m.and_then(|m| text(m, k));
    let role = if ev.status.is_empty() {
        field("agentType")
    } else {
        Some(ev.status.to_string())
    };
    let about = present(", ", [role, field("model")]);
    let about = if about.is_empty() {
        String::new()
    } else {
        format!(" ({about})")
    };
    format!(
        "{name}{about} joined team {}",
        ev.session.as_deref().unwrap_or(UNNAMED)
    )
}

/// What a message says: its `summary`, else for a protocol message the field
/// that tells most, else its text.
fn gist(o: &Map<String, Value>) -> String {
    if let Some(s) = text(o, "summary").filter(|s| !s.is_empty()) {
        return s;
    }
    let body = o.get("text");
    let inner: Option<Map<String, Value>> = match body {
        Some(Value::String(s)) if s.trim_start().starts_with('{') => {
            match serde_json::from_str(s) {
                Ok(Value::Object(m)) => Some(m),
                _ => None,
            }
        }
        Some(Value::Object(m)) => Some(m.clone()),
        _ => None,
    };
    if let Some(m) = inner {
        let verdict = ["approve", "approved"]
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_bool))
            .map(|ok| if ok { "approved" } else { "rejected" });
        let detail = [
            "subject",
            "reason",
            "content",
            "message",
            "error",
            "feedback",
            "idleReason",
            "plan",
        ]
        .iter()
        .find_map(|k| text(&m, k).filter(|s| !s.is_empty()));
        let task = text(&m, "taskId").map(|t| format!("#{t} "));
        match (verdict, detail) {
            (Some(v), Some(d)) => return format!("{v}: {d}"),
            (Some(v), None) => return v.to_string(),
            (None, Some(d)) => return format!("{}{d}", task.unwrap_or_default()),
            (None, None) => {}
        }
    }
    match body {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// "from → to [type]: text" with "(unread)" when unread.
fn message(ev: &Event<'_>, o: &Map<String, Value>) -> String {
    let unread = if matches!(o.get("read"), Some(Value::Bool(false))) {
        " (unread)"
    } else {
        ""
    };
    format!(
        "{} → {} [{}]: {}{unread}",
        ev.agent.as_deref().unwrap_or(UNNAMED),
        ev.target.as_deref().unwrap_or(UNNAMED),
        ev.status,
        clip(&gist(o), TEXT_CHARS)
    )
}

/// "#id [status] subject (owner)", and what blocks an open task.
fn task(ev: &Event<'_>, o: &Map<String, Value>) -> String {
    let owner = ev.target.as_deref().unwrap_or("unowned");
    let blocked: Vec<String> = o
        .get("blockedBy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| match v {
            Value::String(s) => format!("#{s}"),
            other => format!("#{other}"),
        })
        .collect();
    // Only a pending task waits on its `blockedBy` (whether those are done is in
    // other files).
    let blocked = if blocked.is_empty() || ev.status != "pending" {
        String::new()
    } else {
        format!(", blockedBy {}", blocked.join(", "))
    };
    format!(
        "#{} [{}] {} ({owner}){blocked}",
        ev.id.as_deref().unwrap_or(UNNAMED),
        ev.status,
        text(o, "subject").unwrap_or_default()
    )
}
