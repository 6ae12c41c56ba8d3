//! Claude Code session transcripts (claude-code.md §1): `projects/<slug>/<session>.jsonl`
//! (the main conversation) and `<session>/subagents/agent-<id>.jsonl` (one file per
//! subagent; `agent-acompact-*` is the compaction agent), one JSON object a line, or
//! the same records saved as one (pretty-printed) JSON array.
//!
//! Owns: recognising a transcript from its head ([`sniff`]), reading each line into
//! its events, and their one-line summaries. Must not: deduplicate usage, pair tool
//! calls with results, build the agent tree or price tokens (the analyses do, from
//! the events below), nor copy a line's large values (tool results, thinking,
//! snapshots, a subagent's messages nested in `progress`) that no event needs.
//!
//! # Event contract
//!
//! Every event of a line: `format` transcript; `kind` the line's `type` as written
//! (`unknown` when it has none); `session` its `sessionId`; `agent` its `agentId`
//! (subagent files); `ts` its `timestamp` (none when absent or unreadable); `id` its
//! `uuid` and `parent_id` its `parentUuid`, except where said; `place` its `cwd`
//! and `permissionMode`; `raw` = `record` = the line.
//!
//! - `assistant`: with `message.usage`, one `Usage` (model `message.model` as
//!   written, `<synthetic>` too; key `<message.id>:<requestId>`, or `message.id`
//!   alone, or none; cache writes split 5m/1h by `usage.cache_creation` when given,
//!   else all of `cache_creation_input_tokens` as 5m; status the first block's
//!   type); one `ToolStarted` per `tool_use` block (`id` the block's id, status
//!   `tool_use`, subject the call's main argument, input the JSON text of the
//!   block's `input`); with `isApiErrorMessage: true`
//!   or an `error` field, an event of its own with status `api_error`, severity
//!   error, category `api_error`, message the first text block or the error text.
//!   Without any of these: one `Other` (status the first block's type).
//! - `user`: a string content that is not meta, not a compact summary and not a
//!   harness wrapper (`<command-name>`, `<command-message>`, `<command-args>`,
//!   `<local-command-stdout|stderr|caveat>`, `<bash-input|stdout|stderr>`): `Prompt`
//!   (status `prompt`). Each `tool_result` block: `ToolEnded { tool: None, error }`
//!   (status `tool_result`, `id` its `tool_use_id`, output the JSON text of its
//!   `content`; an error has severity error,
//!   category `tool_error`, message its text clipped to 300 characters). A
//!   `toolUseResult.agentId`: `AgentFinished { ok: status completed or absent }`
//!   with that agent and `id` the tool_use_id, status the result's status; but a
//!   status `async_launched` (a background agent just started) gives
//!   `AgentSpawned { kind: Background, parent: agentId or sessionId, via: the
//!   tool_use_id }` instead. A `<task-notification>` (string content or text block)
//!   whose summary starts with `Agent` and that names `<task-id>` and `<status>`:
//!   `AgentFinished { ok: status completed }` for that agent (`id` its
//!   `<tool-use-id>` when given); other notifications (background shell commands)
//!   and everything else: `Other` (status `compact_summary`, `meta`, the wrapper's
//!   tag, `task-notification`, or the first block's type).
//! - A subagent's first message (`user`/`assistant` with `isSidechain: true`, an
//!   `agentId`, and `parentUuid: null`, or at byte offset 0 of its input: the
//!   compaction agent's first line names a parent in the main file): first, `AgentSpawned { kind: Compaction when
//!   the id starts with `acompact`, else Subagent; parent: sessionId }` (status `""`).
//! - `progress` with `data.type` `agent_progress` and a `data.agentId`:
//!   `AgentSpawned { kind: Subagent, parent: the line's agentId or sessionId, via:
//!   parentToolUseID }` with agent `data.agentId` (one per such line). Other
//!   progress: `Other` (status `data.type`).
//! - `system`: `compact_boundary` → `Compaction { pre_tokens:
//!   compactMetadata.preTokens }`; `api_error` → `Other` with severity error,
//!   category `api_error`, message from `error` (a string, or `status: message` of
//!   the object, looking in `error`, `error.error` and `cause`), else `cause`, else
//!   `content`; other subtypes: `Other` (status the subtype).
//! - Any other type (summary, file-history-snapshot, queue-operation, attachment,
//!   mode, ..., unknown ones): one `Other` (status its `subtype` or `operation`, else `""`).
//!
//! A line that is not JSON or not an object is an error; a known type of an
//! unexpected shape is read as far as it goes.

mod describe;
mod events;
mod lean;
mod record;
#[cfg(test)]
mod tests;

use super::{ActionSet, Ctx, Framing, Reader};
use crate::model::{Event, Format, Loc};
use memchr::memmem;
/// The lazy reader's paths for one transcript line (for benches: `benches/stages.rs`, group `parsers`).
pub use record::PATHS as LINE_PATHS;

pub use events::{clip_message, MAX_MESSAGE_CHARS};

/// The transcript reader.
pub struct Transcript;

/// What a line holding a negative token counter holds, as a regex: a key
/// ending in `_tokens`, a `:` with any JSON whitespace around it, then a `-`
/// (a number) or `"` and a `-` (a numeric string, which both reads trim).
/// Escapes in the key or the sign (`\u002d`) are not seen, as no literal
/// prefilter sees escapes.
const NEGATIVE_COUNTER: &str = r#"_tokens"\s*:\s*"?\s*-"#;

/// The record types Claude Code writes (claude-code.md §1).
pub const KNOWN_TYPES: [&str; 16] = [
    "user",
    "assistant",
    "system",
    "progress",
    "summary",
    "file-history-snapshot",
    "queue-operation",
    "attachment",
    "mode",
    "permission-mode",
    "ai-title",
    "custom-title",
    "agent-name",
    "last-prompt",
    "pr-link",
    "worktree-state",
];

/// True when `key` appears in `head` as an object key: `"key"`, optional
/// whitespace, `:`.
fn has_key(head: &[u8], key: &str) -> bool {
    let needle = format!("\"{key}\"");
    memmem::find_iter(head, needle.as_bytes()).any(|i| {
        head[i + needle.len()..]
            .iter()
            .find(|c| !c.is_ascii_whitespace())
            == Some(&b':')
    })
}

/// True when some `"type"` key of `head` has a known record type as its value.
fn has_known_type(head: &[u8]) -> bool {
    memmem::find_iter(head, b"\"type\"").any(|i| {
        let mut rest = &head[i + 6..];
        rest = rest.trim_ascii_start();
        let Some(r) = rest.strip_prefix(b":") else {
            return false;
        };
        let Some(r) = r.trim_ascii_start().strip_prefix(b"\"") else {
            return false;
        };
        let Some(end) = memchr::memchr(b'"', r) else {
            return false;
        };
        KNOWN_TYPES.iter().any(|t| t.as_bytes() == &r[..end])
    })
}

/// Recognises a transcript from its head: an object (or array of objects) with a
/// known record `type` and one of the envelope keys `sessionId`, `uuid`,
/// `parentUuid`, `leafUuid`, or `messageId` with `snapshot`; or, for a first line
/// whose `type` comes after a long `message`, `parentUuid` with `sessionId`.
/// Never a hook payload (`hook_event_name`).
pub fn sniff(head: &[u8]) -> bool {
    if !matches!(head.first(), Some(b'{' | b'[')) || has_key(head, "hook_event_name") {
        return false;
    }
    if is_meta(head) {
        return true;
    }
    let envelope = has_key(head, "sessionId")
        || has_key(head, "uuid")
        || has_key(head, "parentUuid")
        || has_key(head, "leafUuid")
        || (has_key(head, "messageId") && has_key(head, "snapshot"));
    (envelope && has_known_type(head))
        || (has_key(head, "parentUuid") && has_key(head, "sessionId"))
}

/// How far into its file (bytes) a `.meta.json` object may start: leading
/// whitespace or a byte-order mark, never a line of a transcript before it.
const META_AT_MOST: u64 = 4096;

/// A subagent's `agent-<id>.meta.json` (newer Claude Code versions):
/// `{"agentType", "description"}` and no record `type`.
fn is_meta(head: &[u8]) -> bool {
    // One prebuilt search first (a transcript line rarely names
    // `agentType`), the key checks only when it is there.
    static AGENT_TYPE: std::sync::OnceLock<memmem::Finder<'static>> = std::sync::OnceLock::new();
    let finder = AGENT_TYPE.get_or_init(|| memmem::Finder::new(b"\"agentType\""));
    head.first() == Some(&b'{')
        && head.len() < 64 << 10
        && finder.find(head).is_some()
        && has_key(head, "agentType")
        && !has_key(head, "type")
        && !has_key(head, "sessionId")
        && !has_key(head, "members")
}

/// A `.meta.json` names its subagent's type: one `AgentSpawned` carrying the
/// role, for the agent named by the file (`agent-<id>.meta.json`) in the session
/// of the folder (`<session>/subagents/`).
fn parse_meta<'a>(
    record: &'a [u8],
    loc: Loc,
    ctx: &Ctx<'a>,
    out: &mut dyn FnMut(Event<'a>),
) -> Result<(), String> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Meta<'a> {
        #[serde(borrow, rename = "agentType")]
        agent_type: super::lax::Text<'a>,
    }
    let m: Meta = super::lax::from_slice(record).map_err(|e| format!("invalid JSON: {e}"))?;
    let path = std::path::Path::new(ctx.path);
    let agent = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("agent-"))
        .and_then(|n| n.strip_suffix(".meta.json"));
    let session = path
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "subagents"))
        .and_then(|p| p.parent())
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    let kind = if agent.is_some_and(|a| a.starts_with("acompact")) {
        crate::model::AgentKind::Compaction
    } else {
        crate::model::AgentKind::Subagent
    };
    out(Event {
        action: crate::model::Action::AgentSpawned {
            kind,
            parent: session.map(std::borrow::Cow::Borrowed),
            role: m.agent_type.0.clone(),
            via: None,
        },
        kind: std::borrow::Cow::Borrowed("subagent_meta"),
        status: m.agent_type.0.unwrap_or(std::borrow::Cow::Borrowed("")),
        agent: agent.map(std::borrow::Cow::Borrowed),
        session: session.map(std::borrow::Cow::Borrowed),
        ts: None,
        ..Event::bare(0, loc, Format::Transcript, record)
    });
    Ok(())
}

/// Parses one line (an object) into its events.
///
/// The line is read by `record::read` (the lazy reader: one UTF-8 check, one
/// validating pass). A line that is not UTF-8 is read with its bad bytes as
/// U+FFFD and its events detached from that temporary.
///
/// Errors: not a JSON object, or malformed JSON ([`crate::format::lazy`]'s rules).
pub fn parse_line<'a>(
    record: &'a [u8],
    loc: Loc,
    out: &mut dyn FnMut(Event<'a>),
) -> Result<(), String> {
    if record.first() != Some(&b'{') {
        return Err("not a JSON object".into());
    }
    if let Some(text) = super::lazy::utf8(record) {
        let line = record::read(text).map_err(|e| e.to_string())?;
        events::emit(line, record, loc, out);
        return Ok(());
    }
    let text = String::from_utf8_lossy(record);
    let line = record::read(&text).map_err(|e| e.to_string())?;
    let mut held = Vec::new();
    events::emit(line, text.as_bytes(), loc, &mut |ev| held.push(ev));
    for ev in held {
        out(ev.detach(record));
    }
    Ok(())
}

impl Reader for Transcript {
    fn format(&self) -> Format {
        Format::Transcript
    }
    fn sniff(&self, head: &[u8]) -> bool {
        sniff(head)
    }
    fn framing(&self) -> Framing {
        Framing::Objects
    }
    fn produces(&self) -> ActionSet {
        ActionSet::AGENTS
            .or(ActionSet::TOOLS)
            .or(ActionSet::USAGE)
            .or(ActionSet::CONVERSATION)
    }
    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        // A `.meta.json` is one object at its file's start: later records are
        // not searched for `agentType` (a search over every byte of every line).
        if loc.offset < META_AT_MOST && is_meta(record) {
            return parse_meta(record, loc, ctx, out);
        }
        // A query of usage alone reads only what usage needs.
        let usage_only = ctx
            .only
            .is_some_and(|a| ActionSet::USAGE.or(a).eq(&ActionSet::USAGE));
        if usage_only && record.first() == Some(&b'{') && lean::parse(record, loc, out).is_some() {
            return Ok(());
        }
        parse_line(record, loc, out)
    }
    fn summarize(&self, ev: &Event<'_>) -> String {
        describe::summary(ev, &super::summary::raw_object(ev))
    }

    /// Usage lives on lines holding `"usage"`; tool calls on lines holding
    /// `"tool_use"` (the block type) and their results on lines holding
    /// `"tool_result"`; a permission mode on lines holding `permissionMode`;
    /// errors on lines holding `"is_error"`, `isApiErrorMessage`, `api_error`
    /// or an `"error"` key or value, or a negative token counter (a number or
    /// numeric string below zero: `NEGATIVE_COUNTER`). No transcript event is
    /// critical. Any spacing around `:` passes.
    fn prefilter(&self, needs: &super::Needs) -> Option<super::Prefilter> {
        use super::{ActionSet, ErrorNeed, Prefilter};
        let known = ActionSet::USAGE.or(ActionSet::TOOLS);
        if needs.all || needs.kind.is_some() || !known.or(needs.actions).eq(&known) {
            return None;
        }
        let mut lits: Vec<Vec<u8>> = Vec::new();
        let mut patterns: &[&str] = &[];
        if needs.actions.any(ActionSet::USAGE) {
            lits.push(b"\"usage\"".to_vec());
        }
        if needs.actions.any(ActionSet::TOOLS) {
            lits.extend([b"\"tool_use\"".to_vec(), b"\"tool_result\"".to_vec()]);
        }
        if needs.place {
            lits.push(b"\"permissionMode\"".to_vec());
        }
        match needs.errors {
            Some(ErrorNeed::Any) => {
                lits.extend(
                    [
                        &b"\"is_error\""[..],
                        b"isApiErrorMessage",
                        b"api_error",
                        b"\"error\"",
                    ]
                    .map(<[u8]>::to_vec),
                );
                // A negative token count (flagged as a malformed field).
                patterns = &[NEGATIVE_COUNTER];
            }
            Some(ErrorNeed::CriticalOnly) | None => {}
        }
        Some(if lits.is_empty() && patterns.is_empty() {
            Prefilter::nothing()
        } else {
            Prefilter::any_of_or_matching(lits, patterns)
        })
    }
}
