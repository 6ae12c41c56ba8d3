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

use super::lax::{Flag, Obj, Text};
use super::{Bad, Chunk, ChunkCounts, Sink};
use crate::model::{time::parse_timestamp, Event, Format, Loc, Metrics, Severity};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Hook<'a> {
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
    action_details: Obj<Scope>,
    security_flags: Obj<Scope>,
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
pub fn parse_object(obj: &[u8], loc: Loc) -> Result<Event<'_>, String> {
    let h: Hook = super::lax::from_slice(obj).map_err(|e| format!("invalid JSON: {e}"))?;
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
    let scope =
        h.action_details.0.outside_project_scope.0 || h.security_flags.0.outside_project_scope.0;
    Ok(Event {
        ts,
        loc,
        format: Format::Hook,
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
            ..Metrics::default()
        },
        raw: obj,
        record: obj,
    })
}

/// Frames and parses every top-level object of a hook chunk.
///
/// Between objects, whitespace, `,`, `[` and `]` are skipped (so a JSON array of
/// objects reads as its elements). Anything else is garbage, reported once per
/// line; a run of NUL bytes (what a crash leaves in a file) is reported once and
/// framing resumes right after it, so a record written just after the NULs is
/// read. A `{` at the start of a line while an object is still open (even inside
/// one of its strings, which cannot hold a raw newline) means the open object was
/// cut short (a torn record): it is reported and framing restarts there, so one
/// torn record never swallows the next.
pub fn parse_stream(chunk: &Chunk<'_>, sink: &mut dyn Sink) -> ChunkCounts {
    let buf = chunk.bytes;
    let mut counts = ChunkCounts::default();
    let mut i = 0usize;
    let mut line = 0u32;
    let loc_at = |pos: usize, line: u32| Loc {
        file: chunk.input,
        chunk: chunk.index,
        line_in_chunk: line,
        offset: chunk.base + pos as u64,
    };
    while i < buf.len() {
        match buf[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b',' | b'[' | b']' => i += 1,
            0xEF if buf[i..].starts_with(b"\xEF\xBB\xBF") => i += 3,
            b'{' => {
                // Compact JSONL (schema B, `jq -c`): a whole object on its own line
                // parses as is, without the byte-by-byte framing.
                if i == 0 || buf[i - 1] == b'\n' {
                    let end = memchr::memchr(b'\n', &buf[i..]).map_or(buf.len(), |n| i + n);
                    if let Some(Ok(ev)) =
                        compact_object(&buf[i..end]).map(|o| parse_object(o, loc_at(i, line)))
                    {
                        counts.records += 1;
                        sink.event(&ev);
                        i = end;
                        continue;
                    }
                }
                i = frame(buf, i, &mut line, chunk, sink, &mut counts, &loc_at);
            }
            0 => {
                // A run of NULs: one bad record; framing resumes after it.
                let start = i;
                while i < buf.len() && buf[i] == 0 {
                    i += 1;
                }
                sink.bad(Bad {
                    loc: loc_at(start, line),
                    reason: format!("{} NUL bytes", i - start),
                    torn: false,
                });
            }
            _ => {
                // Garbage: report it and skip to the next line.
                sink.bad(Bad {
                    loc: loc_at(i, line),
                    reason: "not a JSON object".into(),
                    torn: false,
                });
                match memchr::memchr(b'\n', &buf[i..]) {
                    Some(n) => i += n,
                    None => i = buf.len(),
                }
            }
        }
    }
    counts.lines = line + u32::from(!buf.is_empty() && !buf.ends_with(b"\n"));
    counts
}

/// Frames one object starting at `buf[i] == b'{'` with the brace scanner (strings
/// and escapes aware, no recursion), parses it, and returns where framing goes on.
fn frame(
    buf: &[u8],
    mut i: usize,
    line: &mut u32,
    chunk: &Chunk<'_>,
    sink: &mut dyn Sink,
    counts: &mut ChunkCounts,
    loc_at: &dyn Fn(usize, u32) -> Loc,
) -> usize {
    let (start, start_line) = (i, *line);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut end = None;
    let mut torn_at = None;
    while i < buf.len() {
        let c = buf[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                b'\n' => {
                    // Raw newline inside a string: invalid JSON. A `{` opening
                    // the next line starts the next record; otherwise let the
                    // parser say what is wrong.
                    *line += 1;
                    if buf.get(i + 1) == Some(&b'{') {
                        torn_at = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' | b'[' => {
                    if c == b'{' && depth > 0 && i > 0 && buf[i - 1] == b'\n' {
                        torn_at = Some(i);
                        break;
                    }
                    depth += 1;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i + 1);
                        i += 1;
                        break;
                    }
                }
                b'\n' => *line += 1,
                _ => {}
            }
        }
        i += 1;
    }
    let loc = loc_at(start, start_line);
    match end {
        Some(end) => match parse_object(&buf[start..end], loc) {
            Ok(ev) => {
                counts.records += 1;
                sink.event(&ev);
            }
            Err(reason) => sink.bad(Bad {
                loc,
                reason,
                torn: false,
            }),
        },
        None => {
            let at_end = torn_at.is_none();
            if let Some(t) = torn_at {
                i = t;
            }
            sink.bad(Bad {
                loc,
                reason: "object cut short".into(),
                torn: at_end && chunk.at_eof,
            });
        }
    }
    i
}

/// A line that looks like one whole compact object (`{` … `}`), trailing spaces
/// and `\r` trimmed.
fn compact_object(line: &[u8]) -> Option<&[u8]> {
    let t = line.trim_ascii_end();
    (t.len() >= 2 && t[0] == b'{' && t[t.len() - 1] == b'}').then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        parse_stream(
            &Chunk {
                input: 0,
                index: 0,
                base: 0,
                bytes: buf,
                format: Format::Hook,
                team: None,
                at_eof: true,
            },
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
