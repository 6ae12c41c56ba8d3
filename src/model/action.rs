//! What a record means, whatever format wrote it.
//!
//! Owns: [`Action`] and the typed payloads it carries ([`Tokens`], [`AgentKind`],
//! [`SnapshotCounts`], [`QueueReading`]). Parsers map their own fields and status
//! words onto these meanings once; analyses match on them and never on a format,
//! an event type or a status string.
//! Must not: do I/O or know any format's field names.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Token counts of one model response (or one usage report), by kind.
///
/// Units: tokens. `other` holds tokens whose kind the writer did not say (a pipe
/// log's `total_tokens` beyond its input and output, a span's `total_tokens`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the 5-minute prompt cache.
    pub cache_write_5m: u64,
    /// Input tokens written to the 1-hour prompt cache.
    pub cache_write_1h: u64,
    /// Tokens of an unstated kind.
    pub other: u64,
}

impl Tokens {
    /// Every token counted once, saturating at `u64::MAX`.
    pub fn total(&self) -> u64 {
        [
            self.input,
            self.output,
            self.cache_read,
            self.cache_write_5m,
            self.cache_write_1h,
            self.other,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// Counter-wise sum, saturating.
    pub fn add(&self, o: &Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_add(o.input),
            output: self.output.saturating_add(o.output),
            cache_read: self.cache_read.saturating_add(o.cache_read),
            cache_write_5m: self.cache_write_5m.saturating_add(o.cache_write_5m),
            cache_write_1h: self.cache_write_1h.saturating_add(o.cache_write_1h),
            other: self.other.saturating_add(o.other),
        }
    }

    /// Counter-wise maximum: the deduplication rule for one API response written
    /// as several lines (claude-code.md §1, "the last, largest value of each counter").
    pub fn max(&self, o: &Tokens) -> Tokens {
        Tokens {
            input: self.input.max(o.input),
            output: self.output.max(o.output),
            cache_read: self.cache_read.max(o.cache_read),
            cache_write_5m: self.cache_write_5m.max(o.cache_write_5m),
            cache_write_1h: self.cache_write_1h.max(o.cache_write_1h),
            other: self.other.max(o.other),
        }
    }
}

/// What kind of agent a node of the delegation tree is.
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
pub enum AgentKind {
    /// A top-level Claude Code session (a transcript's main conversation).
    Session,
    /// A subagent launched by a Task/Agent tool call.
    Subagent,
    /// A subagent launched with `run_in_background`.
    Background,
    /// Claude Code's compaction agent (`agent-acompact-*`).
    Compaction,
    /// The lead of an agent team.
    TeamLead,
    /// A member of an agent team.
    TeamMember,
    /// An agent of an orchestration log (pipe log, observer, OTel span).
    Worker,
}

/// Counts read from a time-machine state snapshot (`*_count` fields).
#[derive(Deserialize, Default, Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SnapshotCounts {
    /// `traces_count`.
    pub traces_count: u64,
    /// `spans_count`.
    pub spans_count: u64,
    /// `events_count`.
    pub events_count: u64,
    /// `handoffs_count`.
    pub handoffs_count: u64,
    /// `errors_count`.
    pub errors_count: u64,
    /// `metrics_count`.
    pub metrics_count: u64,
    /// `agent_messages_count`.
    pub agent_messages_count: u64,
}

/// What a queue sample reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueChange {
    /// A reading of the queue's state.
    Status,
    /// One agent entered the queue.
    Queued,
    /// One agent left the queue.
    Dequeued,
}

/// One reading of an agent pool's occupancy (agents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueReading {
    /// What the record reports.
    pub change: QueueChange,
    /// Agents running.
    pub active: Option<u64>,
    /// Agents waiting for a slot.
    pub queued: Option<u64>,
    /// The slot limit.
    pub max_agents: Option<u64>,
}

/// Which test totals a record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestScope {
    /// Totals of a whole test run (the authoritative count).
    Run,
    /// A summary written beside the run (used when no run totals exist).
    Summary,
}

/// The typed meaning of one event. An error is not an action: any event may
/// also be error-like ([`crate::model::Event::severity`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Action<'a> {
    /// Nothing an analysis interprets (shown by `replay` and `diffs` only).
    #[default]
    Other,
    /// An agent (`Event::agent`) started. `parent` is the agent or session that
    /// launched it, `via` the tool call that did (a Task/Agent `tool_use` id).
    AgentSpawned {
        /// Kind of agent.
        kind: AgentKind,
        /// The launching agent or session, when known.
        parent: Option<Cow<'a, str>>,
        /// Agent type or role (`subagent_type`, `agent_type`, `agentType`).
        role: Option<Cow<'a, str>>,
        /// The tool call that launched it.
        via: Option<Cow<'a, str>>,
    },
    /// An agent (`Event::agent`) ended: `ok` false when it failed.
    AgentFinished {
        /// Succeeded.
        ok: bool,
    },
    /// A task sent from `Event::agent` to `Event::target`, `Event::id` naming it.
    TaskSent,
    /// A reply (`Event::parent_id` names the task) from `Event::agent`.
    TaskReplied {
        /// False for an error reply.
        ok: bool,
    },
    /// A task on a team's task board (`Event::id`; `Event::target` its owner).
    TaskState {
        /// Finished (`completed`); otherwise it is open.
        done: bool,
        /// Being worked on (`in_progress`).
        started: bool,
    },
    /// A message from `Event::agent` to `Event::target` that is not a task or reply.
    Message {
        /// `Some(false)` for a mailbox message not yet read.
        read: Option<bool>,
    },
    /// A tool call started (`Event::id` the tool-use id).
    ToolStarted {
        /// Tool name.
        tool: Cow<'a, str>,
        /// Its main argument, when it has one: a Bash `command`, a file tool's
        /// `file_path`, a search `pattern`, a `url`; for a Task/Agent call, the
        /// `subagent_type` it launches.
        subject: Option<Cow<'a, str>>,
        /// The call's whole input as the writer gave it: the JSON text of the
        /// `input` / `tool_input` object (or of seed 003's `action_details`),
        /// for analyses that read every argument (`audit`). `None` when the
        /// record has none.
        input: Option<Cow<'a, str>>,
    },
    /// A tool call ended (`Event::id` the tool-use id).
    ToolEnded {
        /// Tool name, when the record gives it.
        tool: Option<Cow<'a, str>>,
        /// The tool reported an error.
        error: bool,
        /// The call's input (JSON text), only when the record gives it and no
        /// start record exists for the call (an OTel `tool_result` event's
        /// `tool_parameters`).
        input: Option<Cow<'a, str>>,
        /// What the tool returned, as the JSON text of the writer's field (a
        /// transcript `tool_result` block's `content`, a hook payload's
        /// `tool_response`); `None` when the record has none.
        output: Option<Cow<'a, str>>,
    },
    /// A person's prompt to an agent.
    Prompt,
    /// Model usage: tokens by kind and, when the writer gives it, cost.
    Usage {
        /// Model id as written.
        model: Option<Cow<'a, str>>,
        /// Tokens by kind.
        tokens: Tokens,
        /// Cost in USD as written by the source (never computed by the parser).
        cost_usd: Option<f64>,
        /// Deduplication key: lines with the same key report one response, and
        /// count once with each counter's largest value (`message.id` + `requestId`).
        key: Option<Cow<'a, str>>,
    },
    /// Test totals.
    Tests {
        /// Which totals.
        scope: TestScope,
        /// Passed.
        passed: u64,
        /// Failed.
        failed: u64,
        /// Skipped.
        skipped: u64,
    },
    /// One test case result.
    TestCase {
        /// Passed.
        ok: bool,
    },
    /// An agent pool's occupancy.
    Queue(QueueReading),
    /// A state snapshot.
    Snapshot(SnapshotCounts),
    /// A trace span (`Event::id` its span id, `Event::parent_id` its parent span,
    /// `Event::session` its trace id, `Event::ts` its start).
    Span {
        /// End time, UTC ns.
        end: Option<crate::model::Nanos>,
    },
    /// The conversation was compacted (`pre_tokens`: context size before, tokens).
    Compaction {
        /// Context tokens before compaction.
        pre_tokens: Option<u64>,
    },
}
