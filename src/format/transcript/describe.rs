//! One-line summaries of transcript events (printed records only, so the line is
//! re-read as a [`Value`] here, never on the scan path).

use crate::format::summary::{clip, present, text, UNKNOWN, UNNAMED};
use crate::model::{Action, AgentKind, Event};
use serde_json::{Map, Value};

/// The first `text` of a content value: the string itself, or the first block
/// with a `text` (or `thinking`) field.
fn content_text(c: Option<&Value>) -> Option<String> {
    match c? {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => blocks.iter().find_map(|b| {
            b.get("text")
                .or_else(|| b.get("content"))
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        _ => None,
    }
}

fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

fn num(v: &Value, path: &[&str]) -> Option<String> {
    get(v, path).filter(|v| !v.is_null()).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// The summary of one event of a transcript line `o`.
pub fn summary(ev: &Event<'_>, o: &Map<String, Value>) -> String {
    let line = Value::Object(o.clone());
    let who = ev.agent.as_deref().unwrap_or(UNNAMED);
    if ev.severity.is_some() {
        let msg = ev.message.as_deref().unwrap_or("(no message)");
        return match &*ev.status {
            "api_error" => {
                let status = num(&line, &["apiErrorStatus"])
                    .or_else(|| num(&line, &["retryAttempt"]).map(|a| format!("retry {a}")));
                match status {
                    Some(s) => format!("API error ({s}): {}", clip(msg, 120)),
                    None => format!("API error: {}", clip(msg, 120)),
                }
            }
            _ if ev.category.as_deref() == Some("malformed_field") => clip(msg, 140),
            _ => format!("tool error: {}", clip(msg, 140)),
        };
    }
    match &ev.action {
        Action::Usage { model, tokens, .. } => format!(
            "{}: in {} out {} cache read {} write {}",
            model.as_deref().unwrap_or(UNKNOWN),
            tokens.input,
            tokens.output,
            tokens.cache_read,
            tokens.cache_write_5m.saturating_add(tokens.cache_write_1h)
        ),
        Action::ToolStarted { tool, subject, .. } => {
            let desc = ev
                .id
                .as_deref()
                .and_then(|id| tool_input(&line, id))
                .and_then(|i| text(i, "description"));
            match (subject, desc) {
                (Some(s), Some(d)) if tool == "Task" || tool == "Agent" => {
                    format!("{tool} {s}: {}", clip(&d, 100))
                }
                (Some(s), _) => format!("{tool}: {}", clip(s, 120)),
                (None, Some(d)) => format!("{tool}: {}", clip(&d, 120)),
                (None, None) => tool.to_string(),
            }
        }
        Action::ToolEnded { .. } => {
            let path = num(&line, &["toolUseResult", "filePath"])
                .or_else(|| num(&line, &["toolUseResult", "file", "filePath"]));
            let id = ev.id.as_deref().unwrap_or("an unnamed tool call");
            match path {
                Some(p) => format!("result of {id} ({p})"),
                None => format!("result of {id}"),
            }
        }
        Action::Prompt => format!(
            "prompt: {}",
            clip(
                &content_text(get(&line, &["message", "content"])).unwrap_or_default(),
                140
            )
        ),
        Action::AgentSpawned { kind, via, .. } => match (kind, via) {
            (AgentKind::Compaction, _) => format!("compaction agent {who} started"),
            (AgentKind::Background, Some(v)) => format!("background agent {who} launched by {v}"),
            (_, Some(v)) => format!("subagent {who} running for {v}"),
            (_, None) => format!(
                "subagent {who} started in session {}",
                ev.session.as_deref().unwrap_or(UNNAMED)
            ),
        },
        Action::AgentFinished { .. } => {
            let mut s = format!("agent {who} {}", ev.status);
            if let Some(t) = num(&line, &["toolUseResult", "totalTokens"]) {
                s.push_str(&format!(", {t} tokens"));
            }
            if let Some(t) = num(&line, &["toolUseResult", "totalDurationMs"]) {
                s.push_str(&format!(", {t} ms"));
            }
            s
        }
        Action::Compaction { pre_tokens } => present(
            ", ",
            [
                Some(match num(&line, &["compactMetadata", "trigger"]) {
                    Some(t) => format!("conversation compacted ({t})"),
                    None => "conversation compacted".into(),
                }),
                pre_tokens.map(|n| format!("{n} tokens before")),
            ],
        ),
        _ => other(ev, &line, o),
    }
}

/// The `input` of the `tool_use` block `id` of an assistant line.
fn tool_input<'v>(line: &'v Value, id: &str) -> Option<&'v Map<String, Value>> {
    get(line, &["message", "content"])?
        .as_array()?
        .iter()
        .find(|b| b.get("id").and_then(Value::as_str) == Some(id))?
        .get("input")?
        .as_object()
}

fn other(ev: &Event<'_>, line: &Value, o: &Map<String, Value>) -> String {
    let status = &*ev.status;
    match &*ev.kind {
        "summary" => format!("summary: {}", text(o, "summary").unwrap_or_default()),
        "assistant" | "user" => {
            let t = content_text(get(line, &["message", "content"])).unwrap_or_default();
            match status {
                "" => format!("{}: {}", ev.kind, clip(&t, 140)),
                _ => format!("{} {status}: {}", ev.kind, clip(&t, 140)),
            }
        }
        "system" => match text(o, "content") {
            Some(c) => format!("{status}: {}", clip(&c, 140)),
            None => match num(line, &["durationMs"]) {
                Some(ms) => format!("{status}: {ms} ms"),
                None => status.to_string(),
            },
        },
        "progress" => {
            let d = line.get("data").and_then(Value::as_object);
            let what = d.and_then(|d| {
                ["hookName", "command", "taskDescription", "output"]
                    .iter()
                    .find_map(|k| text(d, k))
            });
            match what {
                Some(w) => format!("{status}: {}", clip(&w, 140)),
                None => status.to_string(),
            }
        }
        "file-history-snapshot" => {
            let n = get(line, &["snapshot", "trackedFileBackups"])
                .and_then(Value::as_object)
                .map_or(0, Map::len);
            format!("file history snapshot ({n} files)")
        }
        "queue-operation" => format!(
            "queue {}: {}",
            text(o, "operation").unwrap_or_else(|| UNKNOWN.into()),
            clip(&text(o, "content").unwrap_or_default(), 120)
        ),
        kind => match status {
            "" => kind.to_string(),
            s => format!("{kind} {s}"),
        },
    }
}
