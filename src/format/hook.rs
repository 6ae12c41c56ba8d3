//! Hook JSON (formats.md 3a/3b): one object per Claude Code tool call.
//!
//! Accepts schema A (`jq -n` pretty-printed objects concatenated over many lines),
//! schema B (compact, one per line), and Claude Code's own hook payloads
//! (`hook_event_name`, `tool_input`; often saved as a JSON array). Objects are
//! framed by a brace scanner (strings and escapes aware, no recursion), so
//! compact, pretty-printed and array forms all read the same way.
//!
//! Both vocabularies map to schema A's event types: `task_delegation` →
//! `sub_agent_delegation`, `web_request` → `web_fetch`/`web_search`, `other` →
//! `tool_usage`, schema B's `file_search` for Grep → `code_search`.
//!
//! `PreToolUse` → `ToolStarted` whose `input` is the JSON text of `tool_input`
//! as written (else seed 003's `raw_input.tool_input`, else its
//! `action_details` when that is an object);
//! `PostToolUse` → `ToolEnded` whose `output` is `tool_response`. `place`:
//! `cwd`, `permission_mode` (or those of `raw_input`) and seed 003's `project_path`.

use super::lax::{Flag, Obj, Text};
use super::summary::{framed, present, text};
use super::{ActionSet, Ctx, Framing, Reader};
use crate::model::{
    time::parse_timestamp, Action, AgentKind, Event, Format, Loc, Metrics, Severity,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(default)]
struct HookRecord<'a> {
    #[serde(borrow)]
    timestamp: Text<'a>,
    #[serde(borrow)]
    level: Text<'a>,
    #[serde(borrow)]
    event_type: Text<'a>,
    #[serde(borrow)]
    hook_event: Text<'a>,
    #[serde(borrow)]
    hook_event_name: Text<'a>,
    #[serde(borrow)]
    session_id: Text<'a>,
    #[serde(borrow)]
    tool_name: Text<'a>,
    #[serde(borrow)]
    agent_id: Text<'a>,
    #[serde(borrow)]
    tool_use_id: Text<'a>,
    #[serde(borrow)]
    error: Text<'a>,
    #[serde(borrow)]
    message: Text<'a>,
    #[serde(borrow)]
    agent_type: Text<'a>,
    #[serde(borrow)]
    cwd: Text<'a>,
    #[serde(borrow)]
    permission_mode: Text<'a>,
    #[serde(borrow)]
    project_path: Text<'a>,
    #[serde(borrow)]
    tool_input: Option<&'a RawValue>,
    #[serde(borrow)]
    raw_input: Obj<RawInput<'a>>,
    #[serde(borrow)]
    action_details: Option<&'a RawValue>,
    security_flags: Obj<Scope>,
    #[serde(borrow)]
    tool_response: Option<&'a RawValue>,
}

/// Seed 003's `raw_input`: the hook's own stdin payload.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawInput<'a> {
    #[serde(borrow)]
    tool_input: Option<&'a RawValue>,
    #[serde(borrow)]
    tool_response: Option<&'a RawValue>,
    #[serde(borrow)]
    cwd: Text<'a>,
    #[serde(borrow)]
    permission_mode: Text<'a>,
}

/// A nested object's JSON text read as `T` (default when absent or not an object).
fn read_obj<'a, T: Deserialize<'a> + Default>(raw: Option<&'a RawValue>) -> T {
    raw.and_then(|r| serde_json::from_str::<Obj<T>>(r.get()).ok())
        .map(|o| o.0)
        .unwrap_or_default()
}

/// The JSON text of a raw value that is an object.
fn object_text(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    raw.filter(|r| r.get().starts_with('{'))
        .map(|r| Cow::Borrowed(r.get()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Response {
    is_error: Flag,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Scope {
    outside_project_scope: Flag,
}

/// Schema A's event type for a tool name (the hook's own mapping, formats.md 3a).
pub fn event_type_for_tool(tool: &str) -> &'static str {
    match tool {
        "Read" => "file_read",
        "Write" => "file_write",
        "Edit" | "MultiEdit" => "file_edit",
        "Bash" => "command_execution",
        "Grep" => "code_search",
        "Glob" => "file_search",
        "LS" => "directory_list",
        "TodoWrite" => "task_management",
        "Task" | "Agent" => "sub_agent_delegation",
        "WebFetch" => "web_fetch",
        "WebSearch" => "web_search",
        "NotebookRead" | "NotebookEdit" => "notebook_operation",
        _ => "tool_usage",
    }
}

/// Maps schema B's vocabulary onto schema A's.
fn normalise<'a>(event_type: Cow<'a, str>, tool: Option<&str>) -> Cow<'a, str> {
    match &*event_type {
        "task_delegation" => Cow::Borrowed("sub_agent_delegation"),
        "other" => Cow::Borrowed("tool_usage"),
        "web_request" | "file_search" => match tool {
            Some(t) => Cow::Borrowed(event_type_for_tool(t)),
            None => event_type,
        },
        _ => event_type,
    }
}

/// `PreToolUse` → `pre_tool_use`.
fn snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses one hook object.
///
/// The typed, borrowing read runs first; JSON that is valid in substance but
/// refused by it (a key given twice, invalid UTF-8 inside a string) is read
/// again through a [`serde_json::Value`] (the last of duplicate keys wins, bad
/// bytes become U+FFFD) and the event is detached from that temporary.
pub fn parse_object(obj: &[u8], loc: Loc) -> Result<Event<'_>, String> {
    let err = match serde_json::from_slice::<HookRecord>(obj) {
        Ok(h) => return event_of(h, obj, loc),
        Err(e) => e,
    };
    if err.is_eof() {
        return Err(format!("invalid JSON: {err}"));
    }
    let value = serde_json::from_slice::<Value>(obj)
        .or_else(|_| serde_json::from_str::<Value>(&String::from_utf8_lossy(obj)))
        .map_err(|_| format!("invalid JSON: {err}"))?;
    let text = value.to_string();
    let h: HookRecord = serde_json::from_str(&text).map_err(|_| format!("invalid JSON: {err}"))?;
    let ev = event_of(h, text.as_bytes(), loc)?;
    Ok(ev.detach(obj))
}

fn event_of<'a>(h: HookRecord<'a>, obj: &'a [u8], loc: Loc) -> Result<Event<'a>, String> {
    let ts = match h.timestamp.get() {
        Some(t) => Some(parse_timestamp(t.as_bytes()).ok_or("unreadable timestamp")?),
        None => None,
    };
    let tool = h.tool_name.get();
    let hook_event = h.hook_event.0.or(h.hook_event_name.0);
    let kind = match (h.event_type.0, tool, &hook_event) {
        (Some(et), _, _) => normalise(et, tool),
        (None, Some(t), _) => Cow::Borrowed(event_type_for_tool(t)),
        (None, None, Some(he)) => Cow::Owned(snake(he)),
        (None, None, None) => Cow::Borrowed("unknown"),
    };
    let is_error = kind == "telemetry_error"
        || h.level
            .get()
            .is_some_and(|l| l.eq_ignore_ascii_case("error"));
    let scope = read_obj::<Scope>(h.action_details).outside_project_scope.0
        || h.security_flags.0.outside_project_scope.0;
    let raw_input = h.raw_input.0;
    let response = h.tool_response.or(raw_input.tool_response);
    let action = match hook_event.as_deref() {
        Some("PreToolUse") => Action::ToolStarted {
            tool: h.tool_name.0.clone().unwrap_or(Cow::Borrowed("?")),
            subject: None,
            // `tool_input` as written, whatever it is (a consumer counts one
            // that is not an object); seed 003's `action_details` only when it
            // is an object.
            input: h
                .tool_input
                .or(raw_input.tool_input)
                .map(|r| Cow::Borrowed(r.get()))
                .or_else(|| object_text(h.action_details)),
        },
        Some("PostToolUse" | "PostToolUseFailure") => Action::ToolEnded {
            tool: h.tool_name.0.clone(),
            error: hook_event.as_deref() == Some("PostToolUseFailure")
                || read_obj::<Response>(response).is_error.0,
            input: None,
            output: response.map(|r| Cow::Borrowed(r.get())),
        },
        Some("UserPromptSubmit") => Action::Prompt,
        Some("SubagentStop") if h.agent_id.0.is_some() => Action::AgentFinished { ok: true },
        Some("SubagentStart") if h.agent_id.0.is_some() => Action::AgentSpawned {
            kind: AgentKind::Subagent,
            parent: h.session_id.0.clone(),
            role: h.agent_type.0.clone(),
            via: None,
        },
        _ => Action::Other,
    };
    Ok(Event {
        ts,
        loc,
        format: Format::Hook,
        action,
        kind,
        status: hook_event.unwrap_or(Cow::Borrowed("")),
        agent: h.agent_id.0,
        target: None,
        severity: is_error.then_some(Severity::Error),
        category: is_error.then_some(Cow::Borrowed("telemetry_error")),
        message: if is_error {
            h.error.0.or(h.message.0)
        } else {
            None
        },
        session: h.session_id.0,
        id: h.tool_use_id.0,
        parent_id: None,
        metrics: Metrics {
            scope_violation: scope,
        },
        place: crate::model::Place {
            cwd: h.cwd.0.or(raw_input.cwd.0),
            project: h.project_path.0,
            permission_mode: h.permission_mode.0.or(raw_input.permission_mode.0),
        },
        raw: obj,
        record: obj,
    })
}

/// The hook JSON reader.
pub struct Hook;

impl Reader for Hook {
    fn format(&self) -> Format {
        Format::Hook
    }
    /// A JSON object (or array of them) with `hook_event`, `hook_event_name`,
    /// `action_details` or `tool_name`.
    fn sniff(&self, head: &[u8]) -> bool {
        let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
        matches!(head.first(), Some(b'{' | b'['))
            && (has(b"\"hook_event\"")
                || has(b"\"hook_event_name\"")
                || has(b"\"action_details\"")
                || has(b"\"tool_name\""))
    }
    fn framing(&self) -> Framing {
        Framing::Objects
    }
    fn produces(&self) -> ActionSet {
        ActionSet::TOOLS
            .or(ActionSet::AGENTS)
            .or(ActionSet::CONVERSATION)
    }
    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        _ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        out(parse_object(record, loc)?);
        Ok(())
    }
    fn summarize(&self, ev: &Event<'_>) -> String {
        hook(ev, &super::summary::raw_object(ev))
    }
}

fn hook(ev: &Event<'_>, o: &Map<String, Value>) -> String {
    if ev.severity.is_some() {
        return present(
            " ",
            [
                Some(
                    ev.message
                        .as_deref()
                        .unwrap_or("telemetry error")
                        .to_string(),
                ),
                framed(o, "tool_name", "(", ")"),
            ],
        );
    }
    let empty = Map::new();
    let ad = o
        .get("action_details")
        .or_else(|| o.get("tool_input"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let what = [
        "command",
        "file_path",
        "search_pattern",
        "pattern",
        "url",
        "description",
        "path",
    ]
    .iter()
    .find_map(|k| text(ad, k).filter(|s| !s.is_empty()))
    .or_else(|| text(o, "message"))
    .unwrap_or_default();
    let scope = if ev.metrics.scope_violation {
        " [outside project scope]"
    } else {
        ""
    };
    match text(o, "tool_name") {
        Some(tool) => format!("{} {tool}: {what}{scope}", ev.status),
        None => format!("{} {what}{scope}", ev.status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Bad, Chunk, Sink};

    #[derive(Default)]
    struct Collect {
        events: Vec<(u32, String, String)>,
        bad: Vec<Bad>,
    }
    impl Sink for Collect {
        fn event(&mut self, ev: &Event<'_>) {
            self.events.push((
                ev.loc.line_in_chunk,
                ev.kind.to_string(),
                ev.status.to_string(),
            ));
        }
        fn bad(&mut self, bad: Bad) {
            self.bad.push(bad);
        }
    }

    fn run(buf: &[u8]) -> Collect {
        let mut c = Collect::default();
        crate::format::parse_chunk(
            &Chunk {
                input: 0,
                index: 0,
                base: 0,
                bytes: buf,
                format: Format::Hook,
                ctx: Ctx::default(),
                at_eof: true,
            },
            None,
            false,
            &mut c,
        );
        c
    }

    #[test]
    fn reads_pretty_compact_and_array_forms() {
        let pretty = b"{\n  \"timestamp\": \"2025-08-03T18:03:02-04:00\",\n  \"event_type\": \"file_read\",\n  \"hook_event\": \"PreToolUse\",\n  \"action_details\": {\n    \"file_path\": \"/a}{\"\n  }\n}\n{\"event_type\": \"task_delegation\", \"hook_event\": \"PostToolUse\"}\n";
        let c = run(pretty);
        assert!(c.bad.is_empty(), "{:?}", c.bad);
        assert_eq!(c.events[0], (0, "file_read".into(), "PreToolUse".into()));
        assert_eq!(
            c.events[1],
            (8, "sub_agent_delegation".into(), "PostToolUse".into())
        );
        let arr = b"[\n  {\"hook_event_name\": \"PreToolUse\", \"tool_name\": \"Grep\"},\n  {\"hook_event_name\": \"SubagentStop\", \"agent_id\": \"98\"}\n]\n";
        let c = run(arr);
        assert_eq!(c.events.len(), 2);
        assert_eq!(c.events[0].1, "code_search");
        assert_eq!(c.events[1].1, "subagent_stop");
    }

    #[test]
    fn nul_runs_and_unclosed_strings_do_not_swallow_the_next_record() {
        let mut buf = b"{\"event_type\": \"a\"}\n".to_vec();
        buf.extend_from_slice(&[0; 100]);
        buf.extend_from_slice(
            b"{\"event_type\": \"b\"}\n{\"error\": \"never closed\n{\"event_type\": \"c\"}\n",
        );
        let c = run(&buf);
        let kinds: Vec<&str> = c.events.iter().map(|e| e.1.as_str()).collect();
        assert_eq!(kinds, ["a", "b", "c"]);
        assert_eq!(c.bad.len(), 2, "{:?}", c.bad);
        assert_eq!(c.bad[0].reason, "100 NUL bytes");
        assert_eq!(
            (c.bad[0].loc.line_in_chunk, c.bad[1].loc.line_in_chunk),
            (1, 2)
        );
        assert_eq!(c.events[2].0, 3);
    }

    #[test]
    fn a_torn_record_does_not_swallow_the_next() {
        let buf = b"{\n  \"event_type\": \"file_read\",\n  \"action_details\": {\n{\n  \"event_type\": \"file_edit\"\n}\ngarbage here\n{\"event_type\": \"x\"";
        let c = run(buf);
        assert_eq!(c.events.len(), 1);
        assert_eq!(c.events[0].1, "file_edit");
        assert_eq!(c.bad.len(), 3);
        assert!(!c.bad[0].torn);
        assert_eq!(c.bad[1].loc.line_in_chunk, 6);
        assert!(c.bad[2].torn);
    }
}
