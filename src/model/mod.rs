//! The one event model every input format is parsed into.
//!
//! Owns: [`Event`] (borrowed from the input buffer, built once per record on the
//! scan path), [`Record`] (its owned, serialisable form, built only for events an
//! analysis keeps), [`Severity`] and [`Format`].
//! Must not: do I/O or know any command-line flag.
//! Invariant: times are UTC nanoseconds; `None` means the record carried no
//! readable time (Claude Code hook payloads carry none).

/// What output says of an agent, tool or session the data does not name
/// (never a bare `?` or an empty field).
pub const UNNAMED: &str = "(unnamed)";

/// What output says of a model or value the data does not give.
pub const UNKNOWN: &str = "(unknown)";

pub mod action;
pub mod time;

use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;

pub use self::action::{
    Action, AgentKind, QueueChange, QueueReading, SnapshotCounts, TestScope, Tokens,
};
pub use self::time::Nanos;

/// The telemetry formats `oracle` reads (formats.md sections 1a, 2a, 3a/3b).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Teamsters / Dante pipe log: `ts | event_type | agent_id | status | {json}`.
    Pipe,
    /// Time-machine `diff_time_machine.jsonl`: one change per line.
    Diff,
    /// Time-machine `state_time_machine.jsonl`: periodic snapshots.
    State,
    /// Hook JSON: one object per tool call (schema A, schema B, or Claude Code's
    /// own hook payloads), compact or pretty-printed, or a JSON array of them.
    Hook,
    /// Claude Code session transcript (`projects/<slug>/<session>.jsonl` and its
    /// `subagents/agent-<id>.jsonl`): one JSON object a line (claude-code.md §1).
    Transcript,
    /// Claude Code agent-team files: team `config.json`, `inboxes/<agent>.json`
    /// mailboxes, `tasks/<team>/<n>.json` task files (claude-code.md §3).
    Team,
    /// OpenTelemetry OTLP JSON: traces, logs and metrics export requests, one a
    /// line (the collector's file exporter) or one document (claude-code.md §4).
    Otlp,
}

impl Format {
    /// The lowercase name used in flags and JSON (`pipe`, `diff`, `state`, `hook`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Pipe => "pipe",
            Format::Diff => "diff",
            Format::State => "state",
            Format::Hook => "hook",
            Format::Transcript => "transcript",
            Format::Team => "team",
            Format::Otlp => "otlp",
        }
    }
}

/// How bad an error-like event is; ordered so that `Critical > Error > Warning > Info`.
///
/// Mapping from each format (documented in the README's severity table):
/// time-machine error entities keep their `severity`; agent messages of type
/// `error` are `error` (`critical` when their priority is critical); pipe
/// `lifecycle/team_failed` is critical, `lifecycle/failed`, `resource/timeout`
/// and failed tests are `error`, `error/error_classified` takes
/// `classified_severity`; hook `telemetry_error` / level `ERROR` is `error`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    JsonSchema,
    Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational: worth a look, not a failure.
    #[default]
    Info,
    /// Something degraded; the run may still succeed.
    Warning,
    /// A failure of one operation, agent or test.
    Error,
    /// A failure of the whole run, or one the writer marked critical.
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Info,
    ];

    /// Reads a writer's severity word, case-insensitively. Accepts the
    /// time-machine words and common aliases (`fatal`, `high`, `medium`, `low`, `warn`).
    pub fn parse(s: &str) -> Option<Severity> {
        let s = s.trim();
        let eq = |w: &str| s.eq_ignore_ascii_case(w);
        if eq("critical") || eq("fatal") || eq("crit") {
            Some(Severity::Critical)
        } else if eq("error") || eq("high") || eq("err") {
            Some(Severity::Error)
        } else if eq("warning") || eq("warn") || eq("medium") {
            Some(Severity::Warning)
        } else if eq("info") || eq("low") || eq("debug") || eq("notice") {
            Some(Severity::Info)
        } else {
            None
        }
    }

    /// The lowercase name (`critical`, `error`, `warning`, `info`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where a record was read: input index, chunk, line within the chunk, byte offset.
///
/// Lines are counted per chunk on the scan path and resolved to file line numbers
/// (1-based) once at the end with [`crate::scan::LineIndex`], so no pre-pass over
/// the input is needed.
#[derive(
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
)]
pub struct Loc {
    /// Index into the run's input list.
    pub file: u32,
    /// Chunk number within its input (0-based, in byte order).
    pub chunk: u32,
    /// 0-based line within the chunk.
    pub line_in_chunk: u32,
    /// Byte offset of the record's first byte within its input.
    pub offset: u64,
    /// Which of the record's events this is (0-based; a transcript line with
    /// three tool calls gives three events).
    pub sub: u32,
}

/// Flags a record may carry, read once on the scan path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// The writer flagged the action as outside the project (seed 003's
    /// `outside_project_scope: true`).
    pub scope_violation: bool,
}

/// Where and how the agent that wrote a record was running, as the record says
/// (conversation formats only; every field `None` elsewhere).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place<'a> {
    /// Working directory of that moment: a transcript line's `cwd`, a hook
    /// payload's `cwd`. An absolute path as written.
    pub cwd: Option<Cow<'a, str>>,
    /// The project root when the writer states it (seed 003's `project_path`).
    pub project: Option<Cow<'a, str>>,
    /// Permission mode as written (`permissionMode`, `permission_mode`):
    /// `default`, `acceptEdits`, `plan`, `bypassPermissions`, ...
    pub permission_mode: Option<Cow<'a, str>>,
}

impl Place<'_> {
    /// Every string owned.
    pub fn owned<'b>(self) -> Place<'b> {
        fn o<'b>(c: Option<Cow<'_, str>>) -> Option<Cow<'b, str>> {
            c.map(|c| Cow::Owned(c.into_owned()))
        }
        Place {
            cwd: o(self.cwd),
            project: o(self.project),
            permission_mode: o(self.permission_mode),
        }
    }
}

/// One telemetry record, borrowed from the input buffer.
///
/// Field meaning per format:
///
/// `kind` and `status` are the writer's own words, for display and `diffs -e`;
/// what the record means is `action` (and `severity` for error-like events).
/// Each format's module documents how its fields map.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// UTC nanoseconds, `None` when the record has no readable time.
    pub ts: Option<Nanos>,
    /// Where it was read.
    pub loc: Loc,
    /// Which parser produced it (for output only: analyses read `action`).
    pub format: Format,
    /// What the record means.
    pub action: Action<'a>,
    /// Event or entity type.
    pub kind: Cow<'a, str>,
    /// Status, message type or hook event.
    pub status: Cow<'a, str>,
    /// The agent that emitted it.
    pub agent: Option<Cow<'a, str>>,
    /// The agent it is addressed to (agent messages, data flow).
    pub target: Option<Cow<'a, str>>,
    /// `Some` iff the event is error-like (see [`Severity`]).
    pub severity: Option<Severity>,
    /// Error category (time-machine `category`, pipe `error_category`, else the event type).
    pub category: Option<Cow<'a, str>>,
    /// Error or failure text.
    pub message: Option<Cow<'a, str>>,
    /// Team, trace or session the record belongs to.
    pub session: Option<Cow<'a, str>>,
    /// Message id (time-machine agent messages) or tool-use id (hooks).
    pub id: Option<Cow<'a, str>>,
    /// The id this record replies to (`parent_message_id`).
    pub parent_id: Option<Cow<'a, str>>,
    /// Numbers the record carries.
    pub metrics: Metrics,
    /// Where the agent ran (working directory, project, permission mode).
    pub place: Place<'a>,
    /// The record's bytes as read (pipe: the metadata JSON; JSON formats: the object).
    pub raw: &'a [u8],
    /// The whole record as read (the line, or the JSON object), for re-parsing later.
    pub record: &'a [u8],
}

impl<'a> Event<'a> {
    /// The same event with every string owned and `raw`/`record` set to `record`:
    /// for events parsed from a temporary (e.g. a JSON value built to resolve
    /// duplicate keys) that must outlive it.
    pub fn detach<'b>(self, record: &'b [u8]) -> Event<'b> {
        fn own<'b>(c: Cow<'_, str>) -> Cow<'b, str> {
            Cow::Owned(c.into_owned())
        }
        Event {
            ts: self.ts,
            loc: self.loc,
            format: self.format,
            action: own_action(self.action),
            kind: own(self.kind),
            status: own(self.status),
            agent: self.agent.map(own),
            target: self.target.map(own),
            severity: self.severity,
            category: self.category.map(own),
            message: self.message.map(own),
            session: self.session.map(own),
            id: self.id.map(own),
            parent_id: self.parent_id.map(own),
            metrics: self.metrics,
            place: self.place.owned(),
            raw: record,
            record,
        }
    }

    /// An event carrying only its time and location (other fields empty), for
    /// analyses that read nothing else.
    pub fn bare(ts: Nanos, loc: Loc, format: Format, record: &'a [u8]) -> Event<'a> {
        Event {
            ts: Some(ts),
            ..Event::untimed(loc, format, record)
        }
    }

    /// Flags a usage event whose counters `negative` (field names, as written)
    /// are below zero: a warning of category `malformed_field` that names
    /// them, so it is located; such counters are never summed. No-op when
    /// `negative` is empty.
    pub fn flag_negative(&mut self, negative: &[&str]) {
        if negative.is_empty() {
            return;
        }
        self.severity = Some(Severity::Warning);
        self.category = Some(Cow::Borrowed("malformed_field"));
        self.message = Some(Cow::Owned(format!(
            "negative {}: not summed",
            negative.join(", ")
        )));
    }

    /// An event with no time and every optional field empty (`raw` and `record`
    /// the record's bytes): the base parsers fill in.
    pub fn untimed(loc: Loc, format: Format, record: &'a [u8]) -> Event<'a> {
        Event {
            ts: None,
            loc,
            format,
            action: Action::Other,
            kind: Cow::Borrowed(""),
            status: Cow::Borrowed(""),
            agent: None,
            target: None,
            severity: None,
            category: None,
            message: None,
            session: None,
            id: None,
            parent_id: None,
            metrics: Metrics::default(),
            place: Place::default(),
            raw: record,
            record,
        }
    }
}

/// The same action with every string owned.
fn own_action<'b>(a: Action<'_>) -> Action<'b> {
    fn o<'b>(c: Option<Cow<'_, str>>) -> Option<Cow<'b, str>> {
        c.map(|c| Cow::Owned(c.into_owned()))
    }
    match a {
        Action::Other => Action::Other,
        Action::AgentSpawned {
            kind,
            parent,
            role,
            via,
        } => Action::AgentSpawned {
            kind,
            parent: o(parent),
            role: o(role),
            via: o(via),
        },
        Action::AgentFinished { ok } => Action::AgentFinished { ok },
        Action::TaskSent => Action::TaskSent,
        Action::TaskReplied { ok } => Action::TaskReplied { ok },
        Action::TaskState { done, started } => Action::TaskState { done, started },
        Action::Message { read } => Action::Message { read },
        Action::ToolStarted {
            tool,
            subject,
            input,
        } => Action::ToolStarted {
            tool: Cow::Owned(tool.into_owned()),
            subject: o(subject),
            input: o(input),
        },
        Action::ToolEnded {
            tool,
            error,
            input,
            output,
        } => Action::ToolEnded {
            tool: o(tool),
            error,
            input: o(input),
            output: o(output),
        },
        Action::Prompt => Action::Prompt,
        Action::Usage {
            model,
            tokens,
            cost_usd,
            key,
        } => Action::Usage {
            model: o(model),
            tokens,
            cost_usd,
            key: o(key),
        },
        Action::Tests {
            scope,
            passed,
            failed,
            skipped,
        } => Action::Tests {
            scope,
            passed,
            failed,
            skipped,
        },
        Action::TestCase { ok } => Action::TestCase { ok },
        Action::Queue(q) => Action::Queue(q),
        Action::Snapshot(c) => Action::Snapshot(c),
        Action::Compaction { pre_tokens } => Action::Compaction { pre_tokens },
        Action::Span { end } => Action::Span { end },
    }
}

/// An event an analysis keeps: owned, with its file line resolved. This is the
/// JSON contract for one event (`schema/*.json`, `$defs/Record`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// RFC 3339 UTC with microseconds, or null when the record has none.
    pub time: Option<String>,
    /// Path of the input (`-` for stdin).
    pub file: String,
    /// 1-based line where the record starts.
    pub line: u64,
    /// Byte offset where the record starts.
    pub offset: u64,
    /// Input format.
    pub format: Format,
    /// Event or entity type.
    pub kind: String,
    /// Status, message type or hook event.
    pub status: String,
    /// Emitting agent.
    pub agent: Option<String>,
    /// Addressed agent.
    pub target: Option<String>,
    /// Severity, for error-like events.
    pub severity: Option<Severity>,
    /// Error category.
    pub category: Option<String>,
    /// Team, trace or session.
    pub session: Option<String>,
    /// One-line summary (formats.md 2e console summaries for pipe logs).
    pub summary: String,
    /// The original record: pipe metadata or the JSON object, as parsed JSON.
    #[schemars(with = "serde_json::Value")]
    pub raw: Box<serde_json::value::RawValue>,
    #[serde(skip)]
    #[schemars(skip)]
    /// Sort key: UTC nanoseconds (not serialised; `time` carries it).
    pub ts: Option<Nanos>,
    #[serde(skip)]
    #[schemars(skip)]
    /// Unresolved location (not serialised).
    pub loc: Loc,
}

impl Record {
    /// Ordering key: time (missing times last, in input order), then input,
    /// offset and event within the record. Total and independent of the thread count.
    pub fn key(&self) -> SortKey {
        sort_key(self.ts, &self.loc)
    }
}

/// A total order over events: (time with missing times last, input, offset, event
/// within the record).
pub type SortKey = (i64, u32, u64, u32);

/// The [`SortKey`] of a time and a location.
pub fn sort_key(ts: Option<Nanos>, loc: &Loc) -> SortKey {
    (ts.unwrap_or(i64::MAX), loc.file, loc.offset, loc.sub)
}

/// Turns an optional borrowed string into an owned one.
pub fn own(s: &Option<Cow<'_, str>>) -> Option<String> {
    s.as_ref().map(|c| c.to_string())
}
