//! The borrowed shape of one transcript line: only the fields the events need.
//!
//! Owns: the serde structs a line is read into, and the lax field types that
//! [`super::super::lax`] lacks (presence of a `null`, an object only when it is
//! one, message content that is a string or blocks). Must not: build events.
//!
//! Speed: large values the events do not need (tool results, thinking, file
//! snapshots, a subagent's nested messages in `progress.data`) are never decoded:
//! unknown keys are skipped by serde, and the few big values that are needed
//! only sometimes (a tool result's text, an assistant's text, an error object)
//! are kept as borrowed [`RawValue`]s and decoded on demand.

use crate::format::lax::{Flag, Num, Obj, Text};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize as DeriveDeserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// One transcript line.
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct Line<'a> {
    /// `type`.
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    /// `subtype` (`system` lines).
    #[serde(borrow)]
    pub subtype: Text<'a>,
    /// `operation` (`queue-operation` lines).
    #[serde(borrow)]
    pub operation: Text<'a>,
    /// `sessionId`.
    #[serde(borrow, rename = "sessionId")]
    pub session_id: Text<'a>,
    /// `agentId` (subagent files).
    #[serde(borrow, rename = "agentId")]
    pub agent_id: Text<'a>,
    /// `timestamp` (RFC 3339).
    #[serde(borrow)]
    pub timestamp: Text<'a>,
    /// `uuid`.
    #[serde(borrow)]
    pub uuid: Text<'a>,
    /// `parentUuid` (`null` on a conversation's or subagent's first line).
    #[serde(borrow, rename = "parentUuid")]
    pub parent_uuid: Nullable<'a>,
    /// `isSidechain`.
    #[serde(rename = "isSidechain")]
    pub is_sidechain: Flag,
    /// `isMeta`.
    #[serde(rename = "isMeta")]
    pub is_meta: Flag,
    /// `isCompactSummary`.
    #[serde(rename = "isCompactSummary")]
    pub is_compact_summary: Flag,
    /// `isApiErrorMessage`.
    #[serde(rename = "isApiErrorMessage")]
    pub is_api_error: Flag,
    /// `apiErrorStatus` (an HTTP status).
    #[serde(borrow, rename = "apiErrorStatus")]
    pub api_error_status: Text<'a>,
    /// `requestId` (assistant lines).
    #[serde(borrow, rename = "requestId")]
    pub request_id: Text<'a>,
    /// `cwd`: the working directory of that moment.
    #[serde(borrow)]
    pub cwd: Text<'a>,
    /// `permissionMode` (user lines, `permission-mode` lines).
    #[serde(borrow, rename = "permissionMode")]
    pub permission_mode: Text<'a>,
    /// `parentToolUseID` (progress lines: the tool call they report on).
    #[serde(borrow, rename = "parentToolUseID")]
    pub parent_tool_use_id: Text<'a>,
    /// `message`: an Anthropic Messages API message.
    #[serde(borrow)]
    pub message: Obj<Message<'a>>,
    /// `toolUseResult`: the tool's structured result (an object or a string).
    #[serde(borrow, rename = "toolUseResult")]
    pub tool_use_result: Obj<ToolUseResult<'a>>,
    /// `data` (progress lines).
    #[serde(borrow)]
    pub data: Obj<Data<'a>>,
    /// `compactMetadata` (compact_boundary lines).
    #[serde(rename = "compactMetadata")]
    pub compact: Obj<CompactMeta>,
    /// `error`: a string on an assistant API-error line, an object on a
    /// `system/api_error` line; `None` when absent or `null`.
    #[serde(borrow)]
    pub error: Option<&'a RawValue>,
    /// `content` (system lines).
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
    /// `cause` (some `system/api_error` lines).
    #[serde(borrow)]
    pub cause: Option<&'a RawValue>,
}

/// An Anthropic Messages API message (`message`).
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct Message<'a> {
    /// `msg_…` (assistant).
    #[serde(borrow)]
    pub id: Text<'a>,
    /// Model id (assistant).
    #[serde(borrow)]
    pub model: Text<'a>,
    /// The content: a string or blocks.
    #[serde(borrow)]
    pub content: Content<'a>,
    /// `usage` (assistant), when it is an object.
    pub usage: Maybe<Usage>,
}

/// `message.usage`.
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
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
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct CacheCreation {
    /// 5-minute cache writes.
    pub ephemeral_5m_input_tokens: Num,
    /// 1-hour cache writes.
    pub ephemeral_1h_input_tokens: Num,
}

/// One content block.
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct Block<'a> {
    /// `text`, `thinking`, `tool_use`, `tool_result`, `image`, ...
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    /// A `tool_use` block's id.
    #[serde(borrow)]
    pub id: Text<'a>,
    /// A `tool_use` block's tool name.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// A `tool_use` block's input, kept as written (read with [`Block::input`]).
    #[serde(borrow, rename = "input")]
    pub input_raw: Option<&'a RawValue>,
    /// A `tool_result` block's tool-use id.
    #[serde(borrow)]
    pub tool_use_id: Text<'a>,
    /// A `tool_result` block's error flag.
    pub is_error: Flag,
    /// A `tool_result` block's content: a string or blocks, decoded only for errors.
    #[serde(borrow)]
    pub content: Option<&'a RawValue>,
    /// A `text` block's text, decoded only when needed.
    #[serde(borrow)]
    pub text: Option<&'a RawValue>,
}

impl<'a> Block<'a> {
    /// A `tool_use` block's input read for the arguments events name (empty
    /// when absent or not an object).
    pub fn input(&self) -> Input<'a> {
        self.input_raw
            .and_then(|r| serde_json::from_str::<Obj<Input<'a>>>(r.get()).ok())
            .map(|o| o.0)
            .unwrap_or_default()
    }
}

/// The arguments of a `tool_use` block that name what the call touches.
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct Input<'a> {
    /// Bash.
    #[serde(borrow)]
    pub command: Text<'a>,
    /// Read, Write, Edit, MultiEdit, NotebookEdit.
    #[serde(borrow)]
    pub file_path: Text<'a>,
    /// NotebookEdit (older versions).
    #[serde(borrow)]
    pub notebook_path: Text<'a>,
    /// Glob, Grep.
    #[serde(borrow)]
    pub pattern: Text<'a>,
    /// WebFetch.
    #[serde(borrow)]
    pub url: Text<'a>,
    /// WebSearch.
    #[serde(borrow)]
    pub query: Text<'a>,
    /// Task, Agent.
    #[serde(borrow)]
    pub subagent_type: Text<'a>,
}

/// `toolUseResult`, when it is an object: a Task/Agent call's result names its agent.
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct ToolUseResult<'a> {
    /// The subagent's id.
    #[serde(borrow, rename = "agentId")]
    pub agent_id: Text<'a>,
    /// `completed`, ...
    #[serde(borrow)]
    pub status: Text<'a>,
}

/// `data` of a progress line.
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct Data<'a> {
    /// `agent_progress`, `hook_progress`, `bash_progress`, ...
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    /// The subagent reporting (agent_progress).
    #[serde(borrow, rename = "agentId")]
    pub agent_id: Text<'a>,
}

/// `compactMetadata`.
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
pub struct CompactMeta {
    /// Context tokens before compaction.
    #[serde(rename = "preTokens")]
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

impl<'de: 'a, 'a> Deserialize<'de> for Nullable<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = TextOrNull::deserialize(d)?;
        Ok(t.0)
    }
}

struct TextOrNull<'a>(Nullable<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for TextOrNull<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = TextOrNull<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Str(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Null))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Null))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Other))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Other))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Other))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(TextOrNull(Nullable::Other))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TextOrNull(Nullable::Other))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TextOrNull(Nullable::Other))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A nested object read as `T` when it is an object; `None` when absent, `null`
/// or of another type (unlike [`Obj`], which cannot tell).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Maybe<T>(pub Option<T>);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Maybe<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Maybe<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(a)).map(|t| Maybe(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Maybe<T>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Maybe(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Maybe<T>, E> {
                Ok(Maybe(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Maybe<T>, E> {
                Ok(Maybe(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Maybe<T>, E> {
                Ok(Maybe(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Maybe<T>, E> {
                Ok(Maybe(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Maybe<T>, E> {
                Ok(Maybe(None))
            }
            fn visit_unit<E>(self) -> Result<Maybe<T>, E> {
                Ok(Maybe(None))
            }
            fn visit_none<E>(self) -> Result<Maybe<T>, E> {
                Ok(Maybe(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

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

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Str(StrKind::of(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut blocks = Vec::with_capacity(a.size_hint().unwrap_or(2).min(16));
                while let Some(b) = a.next_element::<Obj<Block<'a>>>()? {
                    blocks.push(b);
                }
                Ok(Content::Blocks(blocks))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Content::None)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
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

/// A raw JSON value as text: a string's value (borrowed when unescaped), `None`
/// for anything else.
pub fn raw_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let t: Text = serde_json::from_str(raw.get()).ok()?;
    t.0
}

/// The text of a tool result's `content`: the string, or the first `text` block.
pub fn result_text(raw: &RawValue) -> Option<Cow<'_, str>> {
    match raw.get().as_bytes().first() {
        Some(b'"') => raw_str(raw),
        Some(b'[') => {
            let blocks: Vec<Obj<Block>> = serde_json::from_str(raw.get()).ok()?;
            blocks
                .into_iter()
                .find(|b| b.0.kind.get() == Some("text"))
                .and_then(|b| b.0.text)
                .and_then(raw_str)
        }
        _ => None,
    }
}
