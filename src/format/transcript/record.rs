//! The borrowed shape of one transcript line: only the fields the events need,
//! and the one read that fills it ([`read`]).
//!
//! Owns: the structs a line is read into, the lax field meanings (presence of
//! a `null`, an object only when it is one, message content that is a string
//! or blocks), and the line's paths for the lazy reader. Must not: build events.
//!
//! Speed: the line is read by [`crate::format::lazy`] in one validating pass;
//! values the events do not need (tool results, thinking, file snapshots, a
//! subagent's nested messages in `progress.data`, the bulk of `toolUseResult`)
//! are skipped by their brackets and quotes, never decoded; the few big values
//! that are needed only sometimes (a tool result's text, an assistant's text,
//! an error object, a tool call's input) are kept as raw JSON text and decoded
//! on demand.

use crate::format::lax::{Flag, Num, Obj, Text};
use crate::format::lazy::{self, Fields, JsonError, Schema};
use std::borrow::Cow;

/// One transcript line.
#[derive(Default)]
pub struct Line<'a> {
    /// `type`.
    pub kind: Text<'a>,
    /// `subtype` (`system` lines).
    pub subtype: Text<'a>,
    /// `operation` (`queue-operation` lines).
    pub operation: Text<'a>,
    /// `sessionId`.
    pub session_id: Text<'a>,
    /// `agentId` (subagent files).
    pub agent_id: Text<'a>,
    /// `timestamp` (RFC 3339).
    pub timestamp: Text<'a>,
    /// `uuid`.
    pub uuid: Text<'a>,
    /// `parentUuid` (`null` on a conversation's or subagent's first line).
    pub parent_uuid: Nullable<'a>,
    /// `isSidechain`.
    pub is_sidechain: Flag,
    /// `isMeta`.
    pub is_meta: Flag,
    /// `isCompactSummary`.
    pub is_compact_summary: Flag,
    /// `isApiErrorMessage`.
    pub is_api_error: Flag,
    /// `requestId` (assistant lines).
    pub request_id: Text<'a>,
    /// `cwd`: the working directory of that moment.
    pub cwd: Text<'a>,
    /// `permissionMode` (user lines, `permission-mode` lines).
    pub permission_mode: Text<'a>,
    /// `parentToolUseID` (progress lines: the tool call they report on).
    pub parent_tool_use_id: Text<'a>,
    /// `message`: an Anthropic Messages API message.
    pub message: Obj<Message<'a>>,
    /// `toolUseResult`: the tool's structured result (an object or a string).
    pub tool_use_result: Obj<ToolUseResult<'a>>,
    /// `data` (progress lines).
    pub data: Obj<Data<'a>>,
    /// `compactMetadata` (compact_boundary lines).
    pub compact: Obj<CompactMeta>,
    /// `error`: a string on an assistant API-error line, an object on a
    /// `system/api_error` line; `None` when absent or `null`.
    pub error: Option<&'a str>,
    /// `content` (system lines).
    pub content: Option<&'a str>,
    /// `cause` (some `system/api_error` lines).
    pub cause: Option<&'a str>,
}

/// An Anthropic Messages API message (`message`).
#[derive(Default)]
pub struct Message<'a> {
    /// `msg_…` (assistant).
    pub id: Text<'a>,
    /// Model id (assistant).
    pub model: Text<'a>,
    /// The content: a string or blocks.
    pub content: Content<'a>,
    /// `usage` (assistant), when it is an object.
    pub usage: Maybe<Usage>,
}

/// `message.usage`.
#[derive(Default)]
pub struct Usage {
    /// Uncached input.
    pub input_tokens: Num,
    /// Output (partial on lines written while streaming).
    pub output_tokens: Num,
    /// Read from the cache.
    pub cache_read_input_tokens: Num,
    /// Written to the cache (all durations).
    pub cache_creation_input_tokens: Num,
    /// Cache writes by duration, when the writer splits them.
    pub cache_creation: Maybe<CacheCreation>,
}

/// `message.usage.cache_creation`.
#[derive(Default)]
pub struct CacheCreation {
    /// 5-minute cache writes.
    pub ephemeral_5m_input_tokens: Num,
    /// 1-hour cache writes.
    pub ephemeral_1h_input_tokens: Num,
}

/// One content block.
#[derive(Default)]
pub struct Block<'a> {
    /// `text`, `thinking`, `tool_use`, `tool_result`, `image`, ...
    pub kind: Text<'a>,
    /// A `tool_use` block's id.
    pub id: Text<'a>,
    /// A `tool_use` block's tool name.
    pub name: Text<'a>,
    /// A `tool_use` block's input, kept as written (JSON text; not `null`).
    pub input_raw: Option<&'a str>,
    /// The arguments of that input that events name (empty when it is not an object).
    pub input: Input<'a>,
    /// A `tool_result` block's tool-use id.
    pub tool_use_id: Text<'a>,
    /// A `tool_result` block's error flag.
    pub is_error: Flag,
    /// A `tool_result` block's content (JSON text: a string or blocks; not
    /// `null`), decoded only for errors.
    pub content: Option<&'a str>,
    /// A `text` block's text (JSON text; not `null`), decoded only when needed.
    pub text: Option<&'a str>,
}

/// The arguments of a `tool_use` block that name what the call touches.
#[derive(Default)]
pub struct Input<'a> {
    /// Bash.
    pub command: Text<'a>,
    /// Read, Write, Edit, MultiEdit, NotebookEdit.
    pub file_path: Text<'a>,
    /// NotebookEdit (older versions).
    pub notebook_path: Text<'a>,
    /// Glob, Grep.
    pub pattern: Text<'a>,
    /// WebFetch.
    pub url: Text<'a>,
    /// WebSearch.
    pub query: Text<'a>,
    /// Task, Agent.
    pub subagent_type: Text<'a>,
}

/// `toolUseResult`, when it is an object: a Task/Agent call's result names its agent.
#[derive(Default)]
pub struct ToolUseResult<'a> {
    /// The subagent's id.
    pub agent_id: Text<'a>,
    /// `completed`, ...
    pub status: Text<'a>,
}

/// `data` of a progress line.
#[derive(Default)]
pub struct Data<'a> {
    /// `agent_progress`, `hook_progress`, `bash_progress`, ...
    pub kind: Text<'a>,
    /// The subagent reporting (agent_progress).
    pub agent_id: Text<'a>,
}

/// `compactMetadata`.
#[derive(Default)]
pub struct CompactMeta {
    /// Context tokens before compaction.
    pub pre_tokens: Num,
}

/// A field that may be absent, `null`, a string, or something else.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Nullable<'a> {
    /// Not in the record.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A string.
    Str(Cow<'a, str>),
    /// Any other value.
    Other,
}

impl<'a> Nullable<'a> {
    /// The string, if it is one.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Nullable::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// A nested object read as `T` when it is an object; `None` when absent, `null`
/// or of another type (unlike [`Obj`], which cannot tell).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Maybe<T>(pub Option<T>);

/// What a string `message.content` is, read from its opening.
#[derive(Debug, Clone, PartialEq)]
pub enum StrKind {
    /// Plain text: a prompt, unless the line is meta or a compact summary.
    Plain,
    /// A harness wrapper (`<command-name>`, `<local-command-stdout>`, ...): its tag.
    Wrapper(&'static str),
    /// A `<task-notification>`, with what could be read from it.
    Notification(Notification),
}

/// The fields of a `<task-notification>` (a background task's completion).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notification {
    /// `<task-id>`: the agent id for a background agent.
    pub task_id: Option<String>,
    /// `<tool-use-id>` (newer versions): the call that launched it.
    pub tool_use_id: Option<String>,
    /// `<status>`: `completed`, `failed`, `killed`, ...
    pub status: Option<String>,
    /// `<summary>`: `Agent "…" completed` for agents, `Background command "…"` for shells.
    pub summary: Option<String>,
}

impl Notification {
    /// Reads the tags of a notification's text (no nesting, first of each).
    pub fn read(s: &str) -> Notification {
        let tag = |name: &str| -> Option<String> {
            let open = format!("<{name}>");
            let close = format!("</{name}>");
            let start = s.find(&open)? + open.len();
            let len = s[start..].find(&close)?;
            Some(s[start..start + len].trim().to_string())
        };
        Notification {
            task_id: tag("task-id"),
            tool_use_id: tag("tool-use-id"),
            status: tag("status"),
            summary: tag("summary"),
        }
    }

    /// True when it reports a background agent (not a background shell command):
    /// its summary starts with `Agent`.
    pub fn is_agent(&self) -> bool {
        self.summary
            .as_deref()
            .is_some_and(|s| s.starts_with("Agent ") || s.starts_with("Agent\""))
    }
}

/// The harness wrappers a string content may open with: not a person's prompt.
const WRAPPERS: [&str; 9] = [
    "command-name",
    "command-message",
    "command-args",
    "local-command-stdout",
    "local-command-stderr",
    "local-command-caveat",
    "bash-input",
    "bash-stdout",
    "bash-stderr",
];

impl StrKind {
    /// [`StrKind::of`] a raw JSON string (a validated string token, quotes
    /// included), decoding only its first [`KIND_PREFIX`] bytes unless their
    /// text is blank or opens a tag: a prompt of megabytes is not copied to
    /// learn that it is plain.
    pub fn of_raw(raw: &str) -> StrKind {
        let b = raw.as_bytes();
        if b.len() > KIND_PREFIX + 2 {
            // A cut past the prefix, outside any escape (`\x` or `\uXXXX`;
            // the reader validated every escape) and on a char boundary.
            let mut i = 1;
            while i < KIND_PREFIX {
                i += match (b[i], b[i + 1]) {
                    (b'\\', b'u') => 6,
                    (b'\\', _) => 2,
                    _ => 1,
                };
            }
            while i < b.len() && !raw.is_char_boundary(i) {
                i += 1;
            }
            if i < b.len() - 1 {
                let head = format!("{}\"", &raw[..i]);
                let text = lazy::text_of(&head).unwrap_or_default();
                let t = text.trim_start();
                if !t.is_empty() && !t.starts_with('<') {
                    return StrKind::Plain;
                }
            }
        }
        StrKind::of(&lazy::text_of(raw).unwrap_or_default())
    }

    /// Classifies a string content by its opening tag.
    pub fn of(s: &str) -> StrKind {
        let t = s.trim_start();
        if let Some(rest) = t.strip_prefix("<task-notification>") {
            return StrKind::Notification(Notification::read(rest));
        }
        if let Some(rest) = t.strip_prefix('<') {
            for w in WRAPPERS {
                if rest.starts_with(w) && rest[w.len()..].starts_with('>') {
                    return StrKind::Wrapper(w);
                }
            }
        }
        StrKind::Plain
    }
}

/// How many raw bytes of a string content [`StrKind::of_raw`] decodes first.
const KIND_PREFIX: usize = 256;

/// `message.content`: a string (classified, not kept) or blocks.
#[derive(Default)]
pub enum Content<'a> {
    /// Absent, `null`, or another type.
    #[default]
    None,
    /// A string.
    Str(StrKind),
    /// Blocks (non-object elements read as empty blocks).
    Blocks(Vec<Obj<Block<'a>>>),
}

impl<'a> Content<'a> {
    /// The blocks (empty for a string or no content).
    pub fn blocks(&self) -> &[Obj<Block<'a>>] {
        match self {
            Content::Blocks(b) => b,
            _ => &[],
        }
    }
}

/// A raw JSON value as text ([`lazy::text_of`]: a string's value, borrowed
/// when unescaped; a number or boolean as written), `None` for anything else.
pub fn raw_str(raw: &str) -> Option<Cow<'_, str>> {
    lazy::text_of(raw)
}

/// The text of a tool result's `content`: the string, or the first `text` block.
pub fn result_text(raw: &str) -> Option<Cow<'_, str>> {
    match raw.as_bytes().first() {
        Some(b'"') => raw_str(raw),
        Some(b'[') => {
            let blocks: Vec<serde_json::Value> = serde_json::from_str(raw).ok()?;
            blocks
                .iter()
                .find(|b| b.get("type").and_then(|t| t.as_str()) == Some("text"))
                .and_then(|b| b.get("text")?.as_str())
                .map(|t| Cow::Owned(t.to_string()))
        }
        _ => None,
    }
}

/// The paths of a line, for the lazy reader (what `read` reads); their slots are the constants below.
pub const PATHS: [&str; 55] = [
    "type",
    "subtype",
    "operation",
    "sessionId",
    "agentId",
    "timestamp",
    "uuid",
    "parentUuid",
    "isSidechain",
    "isMeta",
    "isCompactSummary",
    "isApiErrorMessage",
    "requestId",
    "cwd",
    "permissionMode",
    "parentToolUseID",
    "message",
    "message.id",
    "message.model",
    "message.content",
    "message.usage",
    "message.usage.input_tokens",
    "message.usage.output_tokens",
    "message.usage.cache_read_input_tokens",
    "message.usage.cache_creation_input_tokens",
    "message.usage.cache_creation",
    "message.usage.cache_creation.ephemeral_5m_input_tokens",
    "message.usage.cache_creation.ephemeral_1h_input_tokens",
    "toolUseResult",
    "toolUseResult.agentId",
    "toolUseResult.status",
    "data",
    "data.type",
    "data.agentId",
    "compactMetadata",
    "compactMetadata.preTokens",
    "error",
    "content",
    "cause",
    "message.content[]",
    "message.content[].type",
    "message.content[].id",
    "message.content[].name",
    "message.content[].input",
    "message.content[].input.command",
    "message.content[].input.file_path",
    "message.content[].input.notebook_path",
    "message.content[].input.pattern",
    "message.content[].input.url",
    "message.content[].input.query",
    "message.content[].input.subagent_type",
    "message.content[].tool_use_id",
    "message.content[].is_error",
    "message.content[].content",
    "message.content[].text",
];

fn schema() -> &'static Schema {
    static S: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    S.get_or_init(|| Schema::new(&PATHS))
}

/// Slot `i` as text (lax: numbers and booleans as written).
fn text<'a>(f: &Fields<'a>, i: usize) -> Text<'a> {
    Text(f.text(i))
}

/// Slot `i` as a flag: `true`, or a number (or numeric string) other than 0.
fn flag(f: &Fields<'_>, i: usize) -> Flag {
    Flag(
        f.text(i)
            .is_some_and(|s| s == "true" || s.parse::<f64>().is_ok_and(|n| n != 0.0)),
    )
}

/// Slot `i` as a number: a finite JSON number or numeric string.
fn num(f: &Fields<'_>, i: usize) -> Num {
    Num(f.num(i).filter(|v| v.is_finite()))
}

/// Slot `i` as raw JSON text, `None` for `null`.
fn raw<'a>(f: &Fields<'a>, i: usize) -> Option<&'a str> {
    f.raw(i).filter(|v| *v != "null")
}

/// Whether slot `i` holds an object.
fn object(f: &Fields<'_>, i: usize) -> bool {
    f.raw(i).is_some_and(|v| v.starts_with('{'))
}

/// Reads one line (UTF-8 text holding one JSON object) into a [`Line`]:
/// strings as the lax types read them, a key given twice read as its last
/// value (whole, for objects).
///
/// Errors: malformed JSON ([`lazy`]'s rules).
pub fn read(text_: &str) -> Result<Line<'_>, JsonError> {
    let mut blocks: Vec<(usize, Obj<Block<'_>>)> = Vec::new();
    let f = lazy::scan_each(schema(), text_, &mut |e| {
        let f = e.fields;
        let block = if object(f, 39) {
            Block {
                kind: text(f, 40),
                id: text(f, 41),
                name: text(f, 42),
                input_raw: raw(f, 43),
                input: Input {
                    command: text(f, 44),
                    file_path: text(f, 45),
                    notebook_path: text(f, 46),
                    pattern: text(f, 47),
                    url: text(f, 48),
                    query: text(f, 49),
                    subagent_type: text(f, 50),
                },
                tool_use_id: text(f, 51),
                is_error: flag(f, 52),
                content: raw(f, 53),
                text: raw(f, 54),
            }
        } else {
            Block::default()
        };
        blocks.push((e.list_at, Obj(block)));
    })?;
    let content = match f.raw(19) {
        Some(v) if v.starts_with('"') => Content::Str(StrKind::of_raw(v)),
        Some(v) if v.starts_with('[') => {
            // Only the elements of the list that stands (a repeated key replaces a list).
            let at = lazy::offset_in(text_, v);
            Content::Blocks(
                blocks
                    .into_iter()
                    .filter(|(list, _)| *list == at)
                    .map(|(_, b)| b)
                    .collect(),
            )
        }
        _ => Content::None,
    };
    let usage = object(&f, 20).then(|| Usage {
        input_tokens: num(&f, 21),
        output_tokens: num(&f, 22),
        cache_read_input_tokens: num(&f, 23),
        cache_creation_input_tokens: num(&f, 24),
        cache_creation: Maybe(object(&f, 25).then(|| CacheCreation {
            ephemeral_5m_input_tokens: num(&f, 26),
            ephemeral_1h_input_tokens: num(&f, 27),
        })),
    });
    let parent_uuid = match f.raw(7) {
        None => Nullable::Absent,
        Some("null") => Nullable::Null,
        Some(v) if v.starts_with('"') => Nullable::Str(lazy::text_of(v).unwrap_or_default()),
        Some(_) => Nullable::Other,
    };
    Ok(Line {
        kind: text(&f, 0),
        subtype: text(&f, 1),
        operation: text(&f, 2),
        session_id: text(&f, 3),
        agent_id: text(&f, 4),
        timestamp: text(&f, 5),
        uuid: text(&f, 6),
        parent_uuid,
        is_sidechain: flag(&f, 8),
        is_meta: flag(&f, 9),
        is_compact_summary: flag(&f, 10),
        is_api_error: flag(&f, 11),
        request_id: text(&f, 12),
        cwd: text(&f, 13),
        permission_mode: text(&f, 14),
        parent_tool_use_id: text(&f, 15),
        message: Obj(Message {
            id: text(&f, 17),
            model: text(&f, 18),
            content,
            usage: Maybe(usage),
        }),
        tool_use_result: Obj(ToolUseResult {
            agent_id: text(&f, 29),
            status: text(&f, 30),
        }),
        data: Obj(Data {
            kind: text(&f, 32),
            agent_id: text(&f, 33),
        }),
        compact: Obj(CompactMeta {
            pre_tokens: num(&f, 35),
        }),
        error: raw(&f, 36),
        content: raw(&f, 37),
        cause: raw(&f, 38),
    })
}
