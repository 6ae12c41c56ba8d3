//! From one read transcript line to its events (the event contract of the
//! module's documentation).
//!
//! Owns: the mapping of record types, subtypes and content blocks onto
//! [`Action`]s, severities and ids. Must not: read bytes (see [`super::record`]).

use super::record::{raw_str, result_text, Content, Input, Line, Nullable, StrKind};
use crate::format::lax::Text;
use crate::model::{
    time::parse_timestamp, Action, AgentKind, Event, Format, Loc, Severity, Tokens,
};
use std::borrow::Cow;

/// Longest error message kept on an event, in characters.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// Gives the events of `line` (read from `record`) to `out`: always at least one.
pub fn emit<'a>(line: Line<'a>, record: &'a [u8], loc: Loc, out: &mut dyn FnMut(Event<'a>)) {
    let kind = line.kind.0.clone().unwrap_or(Cow::Borrowed("unknown"));
    let base = Event {
        ts: line
            .timestamp
            .get()
            .and_then(|t| parse_timestamp(t.trim().as_bytes())),
        loc,
        format: Format::Transcript,
        action: Action::Other,
        kind,
        status: Cow::Borrowed(""),
        agent: line.agent_id.0.clone(),
        target: None,
        severity: None,
        category: None,
        message: None,
        session: line.session_id.0.clone(),
        id: line.uuid.0.clone(),
        parent_id: line.parent_uuid.text(),
        metrics: Default::default(),
        place: crate::model::Place {
            cwd: line.cwd.0.clone(),
            project: None,
            permission_mode: line.permission_mode.0.clone(),
        },
        raw: record,
        record,
    };
    let mut e = Emitter { base, out, n: 0 };
    match &*e.base.kind {
        "assistant" => {
            first_of_subagent(&line, &mut e);
            assistant(&line, &mut e);
        }
        "user" => {
            first_of_subagent(&line, &mut e);
            user(&line, &mut e);
        }
        "progress" => progress(&line, &mut e),
        "system" => system(&line, &mut e),
        _ => {
            let status = line.subtype.0.clone().or(line.operation.0.clone());
            e.other(status.unwrap_or(Cow::Borrowed("")));
        }
    }
}

/// Builds events from the line's common fields and counts them.
struct Emitter<'a, 'o> {
    base: Event<'a>,
    out: &'o mut dyn FnMut(Event<'a>),
    n: u32,
}

impl<'a> Emitter<'a, '_> {
    /// An event of this line with `action` and `status`.
    fn event(&self, action: Action<'a>, status: Cow<'a, str>) -> Event<'a> {
        let mut ev = self.base.clone();
        ev.action = action;
        ev.status = status;
        ev
    }
    fn push(&mut self, ev: Event<'a>) {
        self.n += 1;
        (self.out)(ev);
    }
    fn other(&mut self, status: Cow<'a, str>) {
        let ev = self.event(Action::Other, status);
        self.push(ev);
    }
    /// An error-like event of its own.
    fn error(
        &mut self,
        status: &'static str,
        category: &'static str,
        message: Option<Cow<'a, str>>,
    ) {
        let mut ev = self.event(Action::Other, Cow::Borrowed(status));
        ev.severity = Some(Severity::Error);
        ev.category = Some(Cow::Borrowed(category));
        ev.message = message.map(clip_message);
        self.push(ev);
    }
}

/// The type of the first content block (`""` when none).
fn first_block_kind<'a>(line: &Line<'a>) -> Cow<'a, str> {
    line.message
        .0
        .content
        .blocks()
        .first()
        .and_then(|b| b.0.kind.0.clone())
        .unwrap_or(Cow::Borrowed(""))
}

/// A subagent's first message (`isSidechain`, an `agentId`, and `parentUuid:
/// null` or the first record of its file): the agent was spawned.
fn first_of_subagent<'a>(line: &Line<'a>, e: &mut Emitter<'a, '_>) {
    let Some(agent) = line.agent_id.0.clone() else {
        return;
    };
    // The compaction agent's first line names the parent conversation's last
    // message as its parent (real files, Claude Code 2.1.39): the file's first
    // record is then the first message.
    let first = line.parent_uuid == Nullable::Null || e.base.loc.offset == 0;
    if !line.is_sidechain.0 || !first {
        return;
    }
    let kind = if agent.starts_with("acompact") {
        AgentKind::Compaction
    } else {
        AgentKind::Subagent
    };
    let mut ev = e.event(
        Action::AgentSpawned {
            kind,
            parent: line.session_id.0.clone(),
            role: None,
            via: None,
        },
        Cow::Borrowed(""),
    );
    ev.agent = Some(agent);
    e.push(ev);
}

fn count(n: crate::format::lax::Num) -> u64 {
    n.count().unwrap_or(0)
}

fn assistant<'a>(line: &Line<'a>, e: &mut Emitter<'a, '_>) {
    let before = e.n;
    let msg = &line.message.0;
    let first = first_block_kind(line);
    if let Some(u) = &msg.usage.0 {
        let (w5, w1) = match &u.cache_creation.0 {
            Some(cc) => (
                count(cc.ephemeral_5m_input_tokens),
                count(cc.ephemeral_1h_input_tokens),
            ),
            None => (count(u.cache_creation_input_tokens), 0),
        };
        let tokens = Tokens {
            input: count(u.input_tokens),
            output: count(u.output_tokens),
            cache_read: count(u.cache_read_input_tokens),
            cache_write_5m: w5,
            cache_write_1h: w1,
            other: 0,
        };
        let key = match (msg.id.get(), line.request_id.get()) {
            (Some(id), Some(req)) => Some(Cow::Owned(format!("{id}:{req}"))),
            (Some(_), None) => msg.id.0.clone(),
            (None, _) => None,
        };
        let mut ev = e.event(
            Action::Usage {
                model: msg.model.0.clone(),
                tokens,
                cost_usd: None,
                key,
            },
            first.clone(),
        );
        // A negative counter reads as absent (never summed); the response is kept,
        // flagged as a warning naming the fields, so it is located.
        let mut fields = vec![
            ("input_tokens", u.input_tokens),
            ("output_tokens", u.output_tokens),
            ("cache_read_input_tokens", u.cache_read_input_tokens),
            ("cache_creation_input_tokens", u.cache_creation_input_tokens),
        ];
        if let Some(cc) = &u.cache_creation.0 {
            fields.push(("ephemeral_5m_input_tokens", cc.ephemeral_5m_input_tokens));
            fields.push(("ephemeral_1h_input_tokens", cc.ephemeral_1h_input_tokens));
        }
        let negative: Vec<&str> = fields
            .iter()
            .filter(|(_, n)| n.0.is_some_and(|v| v < 0.0))
            .map(|(k, _)| *k)
            .collect();
        if ev.severity.is_none() {
            ev.flag_negative(&negative);
        }
        e.push(ev);
    }
    for b in msg.content.blocks() {
        let b = &b.0;
        if b.kind.get() != Some("tool_use") {
            continue;
        }
        let tool = b.name.0.clone().unwrap_or(Cow::Borrowed("?"));
        let subject = subject(&tool, &b.input);
        let input = b.input_raw.map(Cow::Borrowed);
        let mut ev = e.event(
            Action::ToolStarted {
                tool,
                subject,
                input,
            },
            Cow::Borrowed("tool_use"),
        );
        ev.id = b.id.0.clone();
        e.push(ev);
    }
    if line.is_api_error.0 || line.error.is_some() {
        let text = msg
            .content
            .blocks()
            .iter()
            .find(|b| b.0.kind.get() == Some("text"))
            .and_then(|b| b.0.text)
            .and_then(raw_str)
            .or_else(|| line.error.and_then(error_text));
        e.error("api_error", "api_error", text);
    }
    if e.n == before {
        e.other(first);
    }
}

/// The main argument of a tool call.
fn subject<'a>(tool: &str, i: &Input<'a>) -> Option<Cow<'a, str>> {
    let t: &Text<'a> = match tool {
        "Bash" => &i.command,
        "Read" | "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => {
            if i.file_path.0.is_some() {
                &i.file_path
            } else {
                &i.notebook_path
            }
        }
        "Glob" | "Grep" => &i.pattern,
        "WebFetch" => &i.url,
        "WebSearch" => &i.query,
        "Task" | "Agent" => &i.subagent_type,
        _ => return None,
    };
    t.0.clone()
}

fn user<'a>(line: &Line<'a>, e: &mut Emitter<'a, '_>) {
    let before = e.n;
    let msg = &line.message.0;
    let mut first_result: Option<Cow<'a, str>> = None;
    match &msg.content {
        Content::Str(kind) => match kind {
            _ if line.is_compact_summary.0 => e.other(Cow::Borrowed("compact_summary")),
            _ if line.is_meta.0 => e.other(Cow::Borrowed("meta")),
            StrKind::Plain => {
                let ev = e.event(Action::Prompt, Cow::Borrowed("prompt"));
                e.push(ev);
            }
            StrKind::Wrapper(tag) => e.other(Cow::Borrowed(tag)),
            StrKind::Notification(n) => notification(n, e),
        },
        Content::Blocks(blocks) => {
            for b in blocks {
                let b = &b.0;
                match b.kind.get() {
                    Some("tool_result") => {
                        if first_result.is_none() {
                            first_result = b.tool_use_id.0.clone();
                        }
                        let error = b.is_error.0;
                        let mut ev = e.event(
                            Action::ToolEnded {
                                tool: None,
                                error,
                                input: None,
                                output: b.content.map(Cow::Borrowed),
                            },
                            Cow::Borrowed("tool_result"),
                        );
                        ev.id = b.tool_use_id.0.clone();
                        if error {
                            ev.severity = Some(Severity::Error);
                            ev.category = Some(Cow::Borrowed("tool_error"));
                            ev.message = b.content.and_then(result_text).map(clip_message);
                        }
                        e.push(ev);
                    }
                    Some("text") => {
                        // A background agent's completion may come as a text block.
                        let Some(raw) = b.text else { continue };
                        if !raw.starts_with("\"<task-notification>") {
                            continue;
                        }
                        if let Some(StrKind::Notification(n)) =
                            raw_str(raw).map(|s| StrKind::of(&s))
                        {
                            notification(&n, e);
                        }
                    }
                    _ => {}
                }
            }
        }
        Content::None => {}
    }
    let r = &line.tool_use_result.0;
    if let Some(agent) = r.agent_id.0.clone() {
        let status = r.status.0.clone().unwrap_or(Cow::Borrowed("tool_result"));
        let action = if status == "async_launched" {
            // A background launch: the agent starts now and ends with a
            // `<task-notification>` later; reading it as an end would report a
            // running agent as failed.
            Action::AgentSpawned {
                kind: AgentKind::Background,
                parent: line.agent_id.0.clone().or(line.session_id.0.clone()),
                role: None,
                via: first_result.clone(),
            }
        } else {
            Action::AgentFinished {
                ok: r.status.get().is_none_or(|s| s == "completed"),
            }
        };
        let mut ev = e.event(action, status);
        ev.agent = Some(agent);
        ev.id = first_result;
        e.push(ev);
    }
    if e.n == before {
        let status = match &msg.content {
            Content::Str(_) => Cow::Borrowed("text"),
            _ => first_block_kind(line),
        };
        e.other(status);
    }
}

/// A `<task-notification>`: a background agent's end when it names one, else `Other`.
fn notification(n: &super::record::Notification, e: &mut Emitter<'_, '_>) {
    match (&n.task_id, &n.status) {
        (Some(agent), Some(status)) if n.is_agent() => {
            let mut ev = e.event(
                Action::AgentFinished {
                    ok: status == "completed",
                },
                Cow::Owned(status.clone()),
            );
            ev.agent = Some(Cow::Owned(agent.clone()));
            if let Some(t) = &n.tool_use_id {
                ev.id = Some(Cow::Owned(t.clone()));
            }
            e.push(ev);
        }
        _ => e.other(Cow::Borrowed("task-notification")),
    }
}

fn progress<'a>(line: &Line<'a>, e: &mut Emitter<'a, '_>) {
    let d = &line.data.0;
    let status = d.kind.0.clone().unwrap_or(Cow::Borrowed(""));
    match (d.kind.get(), d.agent_id.0.clone()) {
        (Some("agent_progress"), Some(agent)) => {
            let mut ev = e.event(
                Action::AgentSpawned {
                    kind: AgentKind::Subagent,
                    parent: line.agent_id.0.clone().or(line.session_id.0.clone()),
                    role: None,
                    via: line.parent_tool_use_id.0.clone(),
                },
                status,
            );
            ev.agent = Some(agent);
            e.push(ev);
        }
        _ => e.other(status),
    }
}

fn system<'a>(line: &Line<'a>, e: &mut Emitter<'a, '_>) {
    let status = line.subtype.0.clone().unwrap_or(Cow::Borrowed(""));
    match &*status {
        "compact_boundary" => {
            let ev = e.event(
                Action::Compaction {
                    pre_tokens: line.compact.0.pre_tokens.count(),
                },
                status,
            );
            e.push(ev);
        }
        "api_error" => {
            let text = line
                .error
                .and_then(error_text)
                .or_else(|| line.cause.and_then(error_text))
                .or_else(|| line.content.and_then(raw_str));
            e.error("api_error", "api_error", text);
        }
        _ => e.other(status),
    }
}

/// The text of an API error: a string as is; of an object, the first of
/// `message`, `error.message`, `error.error.message`, `cause.message`,
/// `cause.code`, `code`, `type`, with `status` in front when given (`529: overloaded`).
pub fn error_text(raw: &str) -> Option<Cow<'_, str>> {
    if raw.starts_with('"') {
        return raw_str(raw);
    }
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    let o = v.as_object()?;
    let s = |v: &serde_json::Value, path: &[&str]| -> Option<String> {
        let mut cur = v;
        for k in path {
            cur = cur.get(k)?;
        }
        cur.as_str().map(str::to_string)
    };
    let text = [
        &["message"][..],
        &["error", "message"],
        &["error", "error", "message"],
        &["cause", "message"],
        &["cause", "code"],
        &["code"],
        &["error", "type"],
        &["type"],
    ]
    .iter()
    .find_map(|p| s(&v, p));
    let status = o
        .get("status")
        .filter(|s| !s.is_null())
        .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string));
    match (status, text) {
        (Some(st), Some(t)) => Some(Cow::Owned(format!("{st}: {t}"))),
        (Some(st), None) => Some(Cow::Owned(format!("status {st}"))),
        (None, Some(t)) => Some(Cow::Owned(t)),
        (None, None) => None,
    }
}

/// Cuts a message to [`MAX_MESSAGE_CHARS`] characters (on a char boundary,
/// without copying a borrowed one).
pub fn clip_message(m: Cow<'_, str>) -> Cow<'_, str> {
    match m.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => m,
        Some((at, _)) => match m {
            Cow::Borrowed(s) => Cow::Borrowed(&s[..at]),
            Cow::Owned(mut s) => {
                s.truncate(at);
                Cow::Owned(s)
            }
        },
    }
}
