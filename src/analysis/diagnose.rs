//! `diagnose`: one screen that says what is wrong, and ranked findings, each with
//! a severity and the next command to run.

use super::audit::{AuditAcc, AuditFinding, AuditQuery};
use super::errors::{
    add_to_group, finish_groups, merge_groups, message_of, ErrorGroup, GroupAcc, SeverityCounts,
};
use super::mask_message;
use super::queues::{Occupancy, QueuesAcc};
use super::replay::SnapshotRef;
use super::usage::UsageAcc;
use crate::model::{
    time::{elapsed_ms, format_duration_ms, format_rfc3339},
    Action, AgentKind, Event, Loc, Nanos, Severity, SnapshotCounts, TestScope, Tokens,
};
use crate::scan::{Analysis, LineIndex, SourceStats};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use schemars::JsonSchema;
use serde::Serialize;

/// The typed `diagnose` query.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseQuery {
    /// The flags that change what is read or shown (`--input-format`, `--redact`,
    /// …) and the inputs as named, appended to suggested commands.
    pub paths_hint: String,
    /// Pending tasks older than this (ms, at the data's last event) are "stuck".
    pub stuck_after_ms: i64,
    /// The audit run alongside (every rule; its top findings are diagnose's too).
    pub audit: AuditQuery,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
struct Life {
    spawned: bool,
    completed: bool,
    failed: bool,
    /// The most specific kind a spawn event gave (`None`: never spawned).
    kind: Option<AgentKind>,
    /// The parent a spawn named, and where (the earliest wins).
    parent: Option<(Box<str>, crate::model::SortKey)>,
}

/// What one conversation session (Claude Code transcript, hook payloads, OTel
/// logs: readers that produce conversation events) shows.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
struct SessionAcc {
    first: Option<Nanos>,
    last: Option<Nanos>,
    events: u64,
    /// Events of the main conversation (no agent of their own).
    main_events: u64,
    /// A subagent's start was read in this session.
    spawns: bool,
    prompts: u64,
    compactions: u64,
    api_errors: u64,
    tool_errors: u64,
    /// Agents seen in the session, and whether one is a compaction agent.
    agents: HashMap<Box<str>, bool>,
}

impl SessionAcc {
    fn merge(&mut self, o: SessionAcc) {
        self.first = min_opt(self.first, o.first);
        self.last = self.last.max(o.last);
        self.events += o.events;
        self.main_events += o.main_events;
        self.spawns |= o.spawns;
        self.prompts += o.prompts;
        self.compactions += o.compactions;
        self.api_errors += o.api_errors;
        self.tool_errors += o.tool_errors;
        for (k, c) in o.agents {
            *self.agents.entry(k).or_default() |= c;
        }
    }
}

fn min_opt(a: Option<Nanos>, b: Option<Nanos>) -> Option<Nanos> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Where a tool call started: its session, and the writer's word for a start.
type ToolStart = (Option<Box<str>>, Box<str>);

/// The `diagnose` accumulator.
#[derive(serde::Serialize, serde::Deserialize, Default)]
pub struct DiagnoseAcc {
    events: u64,
    first: Option<Nanos>,
    last: Option<Nanos>,
    agents: HashMap<String, Life>,
    severities: SeverityCounts,
    by_category: HashMap<String, u64>,
    by_agent: HashMap<String, u64>,
    messages: HashMap<String, GroupAcc>,
    tests: TestTotals,
    summary_tests: TestTotals,
    failed_cases: u64,
    usage: UsageAcc,
    scope_violations: u64,
    queues: QueuesAcc,
    snapshot: Option<(Nanos, Loc, SnapshotCounts)>,
    /// Tool calls started: tool-use id → (session, the writer's word for a start).
    tool_pre: HashMap<Box<str>, ToolStart>,
    /// Tool-use ids that got a result.
    tool_post: HashSet<Box<str>>,
    sessions: HashMap<Box<str>, SessionAcc>,
    audit: AuditAcc,
}

/// The audit's summary in `diagnose` (`oracle audit` lists every finding).
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditSummary {
    /// Audit findings in all.
    pub total_findings: u64,
    /// Per severity.
    pub by_severity: SeverityCounts,
    /// The most severe findings (at most [`AUDIT_TOP`]).
    pub top: Vec<AuditFinding>,
}

/// Audit findings shown by `diagnose`.
pub const AUDIT_TOP: usize = 3;

#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
/// Test totals.
pub struct TestTotals {
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
}

/// A count under a key.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyCount {
    /// The key.
    pub key: String,
    /// How many.
    pub count: u64,
}

/// Time span of the data.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// First event (RFC 3339 UTC).
    pub first: Option<String>,
    /// Last event (RFC 3339 UTC).
    pub last: Option<String>,
    /// `last - first`, in ms.
    pub duration_ms: Option<i64>,
}

/// Agents seen and how their lifecycles ended.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Agents {
    /// Distinct agents named anywhere.
    pub total: u64,
    /// With a `lifecycle/spawned` or `start`.
    pub spawned: u64,
    /// With a `completed` or `team_complete`.
    pub completed: u64,
    /// With a `failed` or `team_failed`: the failures.
    pub failed: u64,
    /// Failed agents, by name (the first [`MAX_NAMED`]; `failed` counts them all).
    pub failed_agents: Vec<String>,
    /// Spawned but never completed nor failed (compaction agents, team members
    /// and sessions have no end event and are not listed): the first
    /// [`MAX_NAMED`] by name.
    pub never_finished: Vec<String>,
    /// Agents spawned but never finished, in all.
    pub never_finished_total: u64,
    /// Agents per kind (`session`, `subagent`, `compaction`, `team_member`, …;
    /// `unspawned` for agents only named), most first.
    pub by_kind: Vec<KeyCount>,
}

/// One conversation session: a Claude Code transcript with its subagents, or
/// the hook payloads / OTel events that name the session.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionSummary {
    /// Session id.
    pub session: String,
    /// First event (RFC 3339 UTC).
    pub first: Option<String>,
    /// Last event (RFC 3339 UTC).
    pub last: Option<String>,
    /// `last - first`, ms.
    pub duration_ms: Option<i64>,
    /// Events read.
    pub events: u64,
    /// Only subagent records were read, no record of the main conversation (its
    /// transcript is absent).
    pub orphan: bool,
    /// Prompts.
    pub prompts: u64,
    /// Subagents seen (compaction agents aside).
    pub subagents: u64,
    /// Compaction agents seen.
    pub compaction_agents: u64,
    /// Compaction boundaries.
    pub compactions: u64,
    /// Tool calls started (distinct tool-use ids).
    pub tool_calls: u64,
    /// Of those, calls that never got a result.
    pub incomplete_tool_calls: u64,
    /// Tool results that reported an error.
    pub tool_errors: u64,
    /// API errors.
    pub api_errors: u64,
    /// Model responses (deduplicated).
    pub responses: u64,
    /// Tokens by kind (deduplicated: one count per response).
    pub tokens: Tokens,
}

/// The top of the delegation tree: a root and what it spawned (`oracle agents`
/// shows the whole tree).
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TreeTop {
    /// The root: a session or an agent that nothing spawned.
    pub root: String,
    /// Agents it spawned directly.
    pub children: u64,
    /// Agents anywhere below it.
    pub descendants: u64,
    /// Deepest level below it (1 = children only).
    pub depth: u64,
}

/// Most roots listed in `delegation`.
pub const MAX_ROOTS: usize = 10;

/// Most sessions listed in the report (`sessions_total` gives the count).
pub const MAX_SESSIONS: usize = 20;

/// Most agents named in a list of the report (`failed_agents`,
/// `never_finished`, `stuck`), and most agents given a finding of their own
/// (pending tasks, unread messages); the counts say how many there are, and one
/// finding sums up the rest. A report is bounded whatever the data.
pub const MAX_NAMED: usize = 10;

/// `a, b, c and 7 more`: the first [`MAX_NAMED`] of `total` names.
pub fn named_list<S: AsRef<str>>(names: impl IntoIterator<Item = S>, total: usize) -> String {
    let named: Vec<S> = names.into_iter().take(MAX_NAMED).collect();
    let named: Vec<&str> = named.iter().map(|a| a.as_ref()).collect();
    match total.saturating_sub(named.len()) {
        0 => named.join(", "),
        more => format!("{} and {more} more", named.join(", ")),
    }
}

/// Error summary.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErrorSummary {
    /// Error-like events.
    pub total: u64,
    /// Per severity.
    pub by_severity: SeverityCounts,
    /// Per category, largest first (top 10).
    pub by_category: Vec<KeyCount>,
    /// Per agent, largest first (top 10).
    pub by_agent: Vec<KeyCount>,
    /// The most repeated messages (numbers and ids masked), top 5.
    pub top_messages: Vec<ErrorGroup>,
}

/// Queue summary.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueSummary {
    /// Messages between agents (tasks, replies, mailbox messages) read.
    pub messages: u64,
    /// Mailbox messages not yet read (agent teams).
    pub unread: u64,
    /// Tasks on team task boards not completed.
    pub open_tasks: u64,
    /// Pending tasks in all.
    pub total_pending: u64,
    /// Agents with pending tasks, most first (the first [`MAX_NAMED`]).
    pub stuck: Vec<StuckAgent>,
    /// Agents with pending tasks, in all.
    pub stuck_total: u64,
    /// Overall task-to-reply latency p95, ms.
    pub latency_p95_ms: Option<f64>,
    /// Pipe-log occupancy.
    pub occupancy: Option<Occupancy>,
}

/// An agent with pending tasks.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StuckAgent {
    /// The agent the tasks wait on.
    pub agent: String,
    /// Pending tasks.
    pub pending: u64,
    /// Oldest pending task's age at the data's last event, ms.
    pub oldest_pending_age_ms: Option<i64>,
}

/// Token and cost totals.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// Tokens, summed over token-usage events (pipe `resource/token_usage`, span `token_usage`).
    pub tokens: u64,
    /// Events that carried tokens.
    pub token_events: u64,
    /// Estimated cost in USD, summed over token-usage events.
    pub cost_usd: f64,
    /// `tokens` by kind (input, output, cache read, cache write 5m / 1h, other).
    pub by_kind: Tokens,
}

/// One finding.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// What is wrong, in one line.
    pub title: String,
    /// The command to run next.
    pub next: String,
}

/// The `diagnose` report.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseReport {
    /// `ok` when there are no findings, else the worst finding's severity.
    pub status: String,
    /// Well-formed records read.
    pub events: u64,
    /// Unreadable records.
    pub malformed: u64,
    /// Time span.
    pub span: Span,
    /// Conversation sessions, oldest first (at most [`MAX_SESSIONS`]).
    pub sessions: Vec<SessionSummary>,
    /// Sessions in all.
    pub sessions_total: u64,
    /// Agents.
    pub agents: Agents,
    /// The top of the delegation tree: roots with most descendants first (at most
    /// [`MAX_ROOTS`]); empty when no spawn named a parent.
    pub delegation: Vec<TreeTop>,
    /// Errors.
    pub errors: ErrorSummary,
    /// Queues.
    pub queues: QueueSummary,
    /// Tests (from `test/execution_complete`, else `test/test_summary`).
    pub tests: TestTotals,
    /// Failed `test/test_case_result` events.
    pub failed_test_cases: u64,
    /// Tokens and cost.
    pub usage: Usage,
    /// Hook records flagged `outside_project_scope`.
    pub scope_violations: u64,
    /// What `oracle audit` finds (its top findings are findings here too).
    pub audit: AuditSummary,
    /// Hook tool calls with a PreToolUse record but no PostToolUse (by `tool_use_id`):
    /// calls that never completed.
    pub incomplete_tool_calls: u64,
    /// The last time-machine snapshot.
    pub last_snapshot: Option<SnapshotRef>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

fn bump(m: &mut HashMap<String, u64>, k: &str, n: u64) {
    match m.get_mut(k) {
        Some(c) => *c += n,
        None => {
            m.insert(k.to_string(), n);
        }
    }
}

/// Adds two count maps, the smaller into the larger (a merge costs what the
/// smaller holds; addition does not care which is which).
fn merge_counts(mut a: HashMap<String, u64>, mut b: HashMap<String, u64>) -> HashMap<String, u64> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (k, n) in b {
        *a.entry(k).or_default() += n;
    }
    a
}

fn top(m: HashMap<String, u64>, n: usize) -> Vec<KeyCount> {
    let mut v: Vec<KeyCount> = m
        .into_iter()
        .map(|(key, count)| KeyCount { key, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v.truncate(n);
    v
}

impl Analysis for DiagnoseQuery {
    type Acc = DiagnoseAcc;
    fn new_acc(&self) -> DiagnoseAcc {
        DiagnoseAcc::default()
    }

    fn observe(&self, acc: &mut DiagnoseAcc, ev: &Event<'_>) {
        acc.events += 1;
        if let Some(t) = ev.ts {
            acc.first = Some(acc.first.map_or(t, |f| f.min(t)));
            acc.last = Some(acc.last.map_or(t, |l| l.max(t)));
        }
        for name in [ev.agent.as_deref(), ev.target.as_deref()]
            .into_iter()
            .flatten()
        {
            if !acc.agents.contains_key(name) {
                acc.agents.insert(name.to_string(), Life::default());
            }
        }
        if let Some(life) = ev.agent.as_deref().and_then(|a| acc.agents.get_mut(a)) {
            match ev.action {
                Action::AgentSpawned {
                    kind, ref parent, ..
                } => {
                    life.spawned = true;
                    life.kind = Some(life.kind.map_or(kind, |k| k.max(kind)));
                    if let Some(p) = parent.as_deref() {
                        let key = crate::model::sort_key(ev.ts, &ev.loc);
                        if life.parent.as_ref().is_none_or(|(_, k)| key < *k) {
                            life.parent = Some((p.into(), key));
                        }
                    }
                }
                Action::AgentFinished { ok: true } => life.completed = true,
                Action::AgentFinished { ok: false } => life.failed = true,
                _ => {}
            }
        }
        if let Some(sev) = ev.severity {
            acc.severities.add(sev, 1);
            bump(
                &mut acc.by_category,
                ev.category.as_deref().unwrap_or("(none)"),
                1,
            );
            bump(
                &mut acc.by_agent,
                ev.agent.as_deref().unwrap_or("(none)"),
                1,
            );
            if sev >= Severity::Warning {
                add_to_group(&mut acc.messages, &mask_message(&message_of(ev)), ev, sev);
            }
        }
        match &ev.action {
            Action::Tests {
                scope,
                passed,
                failed,
                skipped,
            } => {
                let t = TestTotals {
                    passed: *passed,
                    failed: *failed,
                    skipped: *skipped,
                };
                match scope {
                    TestScope::Run => acc.tests = add_tests(acc.tests, t),
                    TestScope::Summary => acc.summary_tests = add_tests(acc.summary_tests, t),
                }
            }
            Action::TestCase { ok: false } => acc.failed_cases += 1,
            Action::Usage { .. } => acc.usage.observe(ev),
            Action::Snapshot(counts) => {
                if let Some(t) = ev.ts {
                    if acc.snapshot.as_ref().is_none_or(|s| {
                        (t, ev.loc.file, ev.loc.offset) > (s.0, s.1.file, s.1.offset)
                    }) {
                        acc.snapshot = Some((t, ev.loc, counts.clone()));
                    }
                }
            }
            Action::ToolStarted { .. } => {
                if let Some(id) = ev.id.as_deref() {
                    acc.tool_pre.entry(id.into()).or_insert_with(|| {
                        (ev.session.as_deref().map(Into::into), (*ev.status).into())
                    });
                }
            }
            Action::ToolEnded { .. } => {
                if let Some(id) = ev.id.as_deref() {
                    acc.tool_post.insert(id.into());
                }
            }
            _ => {}
        }
        if ev.metrics.scope_violation {
            acc.scope_violations += 1;
        }
        observe_session(acc, ev);
        acc.queues.observe(ev);
        self.audit.observe(&mut acc.audit, ev);
    }

    fn merge(&self, a: DiagnoseAcc, b: DiagnoseAcc) -> DiagnoseAcc {
        // The smaller map into the larger: every field merges symmetrically
        // (flags or'd, the larger kind, the earliest parent record).
        let (mut agents, other) = if a.agents.len() >= b.agents.len() {
            (a.agents, b.agents)
        } else {
            (b.agents, a.agents)
        };
        for (k, l) in other {
            let e = agents.entry(k).or_default();
            e.spawned |= l.spawned;
            e.completed |= l.completed;
            e.failed |= l.failed;
            e.kind = match (e.kind, l.kind) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            };
            e.parent = match (e.parent.take(), l.parent) {
                (Some(x), Some(y)) => Some(if y.1 < x.1 { y } else { x }),
                (x, y) => x.or(y),
            };
        }
        let snapshot = match (a.snapshot, b.snapshot) {
            (Some(x), Some(y)) => Some(
                if (y.0, y.1.file, y.1.offset) > (x.0, x.1.file, x.1.offset) {
                    y
                } else {
                    x
                },
            ),
            (x, y) => x.or(y),
        };
        DiagnoseAcc {
            events: a.events + b.events,
            first: match (a.first, b.first) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
            last: a.last.max(b.last),
            agents,
            severities: a.severities.merge(b.severities),
            by_category: merge_counts(a.by_category, b.by_category),
            by_agent: merge_counts(a.by_agent, b.by_agent),
            messages: merge_groups(a.messages, b.messages),
            tests: add_tests(a.tests, b.tests),
            summary_tests: add_tests(a.summary_tests, b.summary_tests),
            failed_cases: a.failed_cases + b.failed_cases,
            usage: a.usage.merge(b.usage),
            scope_violations: a.scope_violations + b.scope_violations,
            queues: a.queues.merge(b.queues),
            snapshot,
            tool_pre: {
                let (mut x, mut y) = (a.tool_pre, b.tool_pre);
                if x.len() < y.len() {
                    std::mem::swap(&mut x, &mut y);
                }
                for (k, v) in y {
                    x.entry(k).or_insert(v);
                }
                x
            },
            tool_post: union(a.tool_post, b.tool_post),
            audit: self.audit.merge(a.audit, b.audit),
            sessions: {
                let (mut x, mut y) = (a.sessions, b.sessions);
                if x.len() < y.len() {
                    std::mem::swap(&mut x, &mut y);
                }
                for (k, v) in y {
                    x.entry(k).or_default().merge(v);
                }
                x
            },
        }
    }
}

/// Adds an event to its conversation session, when its reader writes
/// conversations (transcripts, hook payloads, OTel logs) and it names a session.
fn observe_session(acc: &mut DiagnoseAcc, ev: &Event<'_>) {
    let Some(session) = ev.session.as_deref() else {
        return;
    };
    if matches!(ev.action, Action::Span { .. })
        || !crate::format::reader(ev.format)
            .produces()
            .any(crate::format::ActionSet::CONVERSATION)
    {
        return;
    }
    if !acc.sessions.contains_key(session) {
        acc.sessions.insert(session.into(), SessionAcc::default());
    }
    let s = acc.sessions.get_mut(session).expect("inserted above");
    if let Some(t) = ev.ts {
        s.first = min_opt(s.first, Some(t));
        s.last = s.last.max(Some(t));
    }
    s.events += 1;
    match ev.agent.as_deref() {
        None => s.main_events += 1,
        Some(a) => {
            let compaction = matches!(
                ev.action,
                Action::AgentSpawned {
                    kind: AgentKind::Compaction,
                    ..
                }
            );
            s.spawns |= matches!(ev.action, Action::AgentSpawned { .. });
            match s.agents.get_mut(a) {
                Some(c) => *c |= compaction,
                None => {
                    s.agents.insert(a.into(), compaction);
                }
            }
        }
    }
    match ev.action {
        Action::Prompt => s.prompts += 1,
        Action::Compaction { .. } => s.compactions += 1,
        _ => {}
    }
    if ev.severity.is_some() {
        match ev.category.as_deref() {
            Some("api_error") => s.api_errors += 1,
            _ if matches!(ev.action, Action::ToolEnded { error: true, .. }) => s.tool_errors += 1,
            _ => {}
        }
    }
}

/// The union of two sets, inserting the smaller into the larger.
fn union(mut a: HashSet<Box<str>>, mut b: HashSet<Box<str>>) -> HashSet<Box<str>> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    a.extend(b);
    a
}

fn add_tests(a: TestTotals, b: TestTotals) -> TestTotals {
    TestTotals {
        passed: a.passed + b.passed,
        failed: a.failed + b.failed,
        skipped: a.skipped + b.skipped,
    }
}

impl DiagnoseAcc {
    /// The report, with findings ranked most severe first (then by count).
    pub fn finish(
        self,
        q: &DiagnoseQuery,
        sources: &[SourceStats],
        index: &LineIndex,
    ) -> DiagnoseReport {
        let sfx = if q.paths_hint.is_empty() {
            String::new()
        } else {
            format!(" {}", q.paths_hint)
        };
        let cmd = |c: &str| format!("oracle {c}{sfx}");
        let mut findings: Vec<(Finding, u64)> = Vec::new();
        let mut add = |severity: Severity, title: String, next: String, weight: u64| {
            findings.push((
                Finding {
                    severity,
                    title,
                    next,
                },
                weight,
            ));
        };

        let mut failed_agents: Vec<String> = self
            .agents
            .iter()
            .filter(|(_, l)| l.failed)
            .map(|(k, _)| k.clone())
            .collect();
        failed_agents.sort();
        let mut never: Vec<String> = self
            .agents
            .iter()
            .filter(|(_, l)| l.spawned && !l.completed && !l.failed)
            // A compaction agent ends when its summary is written; team members
            // and sessions have no end event (their liveness is the queue).
            .filter(|(_, l)| {
                !matches!(
                    l.kind,
                    Some(
                        AgentKind::Compaction
                            | AgentKind::TeamLead
                            | AgentKind::TeamMember
                            | AgentKind::Session
                    )
                )
            })
            .map(|(k, _)| k.clone())
            .collect();
        never.sort();
        let delegation = tree_top(&self.agents, &self.sessions);
        let mut by_kind: HashMap<String, u64> = HashMap::default();
        for l in self.agents.values() {
            let k = l.kind.map_or("unspawned", kind_name);
            bump(&mut by_kind, k, 1);
        }

        let sev = self.severities;
        if sev.critical > 0 {
            add(
                Severity::Critical,
                format!("{} critical error(s)", sev.critical),
                cmd("errors -s critical"),
                sev.critical,
            );
        }
        if !failed_agents.is_empty() {
            add(
                Severity::Error,
                format!(
                    "{} agent(s) failed: {}",
                    failed_agents.len(),
                    named_list(&failed_agents, failed_agents.len())
                ),
                if failed_agents.len() <= MAX_NAMED {
                    cmd(&format!(
                        "errors --agent={}",
                        super::shell_quote(&failed_agents[0])
                    ))
                } else {
                    cmd("errors --by agent")
                },
                failed_agents.len() as u64,
            );
        }
        let tests = if self.tests == TestTotals::default() {
            self.summary_tests
        } else {
            self.tests
        };
        if tests.failed > 0 || self.failed_cases > 0 {
            add(
                Severity::Error,
                format!(
                    "{} test(s) failed ({} passed)",
                    tests.failed.max(self.failed_cases),
                    tests.passed
                ),
                cmd("errors --category test"),
                tests.failed.max(self.failed_cases),
            );
        }
        if sev.error > 0 {
            add(
                Severity::Error,
                format!("{} error(s)", sev.error),
                cmd("errors -s error --by message"),
                sev.error,
            );
        }
        let queues = self.queues.finish(false, index);
        let mut stuck: Vec<StuckAgent> = queues
            .agents
            .iter()
            .filter(|a| a.pending > 0)
            .map(|a| StuckAgent {
                agent: a.agent.clone(),
                pending: a.pending,
                oldest_pending_age_ms: a.oldest_pending_age_ms,
            })
            .collect();
        stuck.sort_by(|a, b| {
            b.pending
                .cmp(&a.pending)
                .then_with(|| a.agent.cmp(&b.agent))
        });
        let stuck_total = stuck.len() as u64;
        // Agents waiting longer than --stuck-after: one finding each for the
        // first MAX_NAMED (most waiting first), one for the rest.
        let late = |age: Option<i64>| age.unwrap_or(0) >= q.stuck_after_ms;
        let late_pending: Vec<(&str, u64, Option<i64>)> = stuck
            .iter()
            .filter(|s| late(s.oldest_pending_age_ms))
            .map(|s| (s.agent.as_str(), s.pending, s.oldest_pending_age_ms))
            .collect();
        let mut late_unread: Vec<(&str, u64, Option<i64>)> = queues
            .agents
            .iter()
            .filter(|a| a.unread > 0 && late(a.oldest_unread_age_ms))
            .map(|a| (a.agent.as_str(), a.unread, a.oldest_unread_age_ms))
            .collect();
        late_unread.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        for (waiting, what, next) in [
            (late_pending, "pending task(s)", "queues --pending"),
            (late_unread, "unread message(s)", "queues"),
        ] {
            for (agent, count, age) in waiting.iter().take(MAX_NAMED) {
                let agent = if agent.is_empty() {
                    crate::model::UNNAMED
                } else {
                    agent
                };
                add(
                    Severity::Warning,
                    format!(
                        "agent '{agent}' has {count} {what}, oldest {}",
                        format_duration_ms(age.unwrap_or(0))
                    ),
                    cmd(next),
                    *count,
                );
            }
            if let Some(rest) = waiting.get(MAX_NAMED..).filter(|r| !r.is_empty()) {
                let total = rest.iter().fold(0u64, |n, a| n.saturating_add(a.1));
                add(
                    Severity::Warning,
                    format!(
                        "{} more agent(s) have {total} {what} older than {}",
                        rest.len(),
                        format_duration_ms(q.stuck_after_ms)
                    ),
                    cmd(next),
                    total,
                );
            }
        }
        stuck.truncate(MAX_NAMED);
        if queues.open_tasks > 0 {
            let started: u64 = queues.agents.iter().map(|a| a.in_progress_tasks).sum();
            add(
                Severity::Info,
                format!(
                    "{} open task(s) on the team task board ({started} in progress, {} unowned)",
                    queues.open_tasks, queues.unowned_open_tasks
                ),
                cmd("queues"),
                queues.open_tasks,
            );
        }
        if !never.is_empty() {
            // One finding for all of them (a report is bounded whatever the data).
            let named = named_list(never.iter().map(|a| format!("'{a}'")), never.len());
            add(
                Severity::Warning,
                if never.len() == 1 {
                    format!("agent {named} was spawned but never finished")
                } else {
                    format!(
                        "{} agents were spawned but never finished: {named}",
                        never.len()
                    )
                },
                cmd("agents"),
                never.len() as u64,
            );
        }
        let top_messages = finish_groups(self.messages, 5);
        for g in top_messages.iter().take(3) {
            if g.count >= 5 {
                add(
                    Severity::Warning,
                    format!(
                        "repeated {}x: {}",
                        g.count,
                        crate::format::summary::clip(&g.key, 80)
                    ),
                    cmd("errors --by message"),
                    g.count,
                );
            }
        }
        if sev.warning > 0 {
            add(
                Severity::Warning,
                format!("{} warning(s)", sev.warning),
                cmd("errors -s warning"),
                sev.warning,
            );
        }
        let mut audit = self.audit.finish(
            &AuditQuery {
                limit: 0,
                ..q.audit.clone()
            },
            index,
        );
        // One finding per rule (its worst severity first), for the
        // [`AUDIT_TOP`] rules with the most severe findings.
        let mut shown: Vec<super::audit::rules::Rule> = Vec::new();
        for f in audit
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
        {
            if shown.contains(&f.rule) || shown.len() >= AUDIT_TOP {
                continue;
            }
            shown.push(f.rule);
            let same: Vec<&AuditFinding> =
                audit.findings.iter().filter(|g| g.rule == f.rule).collect();
            let occurrences: u64 = same.iter().map(|g| g.count).sum();
            add(
                f.severity,
                format!(
                    "audit: {} finding(s) of {} ({} occurrence(s)); worst: {} at {}:{}",
                    same.len(),
                    f.rule.id(),
                    occurrences,
                    f.target,
                    f.file,
                    f.line
                ),
                cmd(&format!("audit --rule {}", f.rule.id())),
                occurrences,
            );
        }
        audit.findings.truncate(AUDIT_TOP);
        if self.scope_violations > 0 {
            add(
                Severity::Warning,
                format!(
                    "{} tool call(s) outside the project scope",
                    self.scope_violations
                ),
                cmd("diffs"),
                self.scope_violations,
            );
        }
        let mut open_per_session: HashMap<&str, u64> = HashMap::default();
        let mut open_words: HashMap<String, u64> = HashMap::default();
        let mut incomplete = 0u64;
        for (id, (session, word)) in &self.tool_pre {
            if self.tool_post.contains(id) {
                continue;
            }
            incomplete += 1;
            bump(&mut open_words, word, 1);
            if let Some(s) = session.as_deref() {
                *open_per_session.entry(s).or_default() += 1;
            }
        }
        if incomplete > 0 {
            let word = top(open_words, 1)
                .pop()
                .map_or_else(|| "tool_use".to_string(), |k| k.key);
            add(
                Severity::Warning,
                if word == "PreToolUse" {
                    format!("{incomplete} tool call(s) started (PreToolUse) but never completed (no PostToolUse)")
                } else {
                    format!("{incomplete} tool call(s) started but never got a result")
                },
                cmd("diffs --unfinished"),
                incomplete,
            );
        }
        let usage_by_session: HashMap<Option<Box<str>>, super::usage::UsageSum> =
            self.usage.by(|a| a.session.clone()).into_iter().collect();
        let mut sessions: Vec<SessionSummary> = self
            .sessions
            .iter()
            .map(|(id, s)| {
                let usage = usage_by_session
                    .get(&Some(id.clone()))
                    .copied()
                    .unwrap_or_default();
                SessionSummary {
                    session: id.to_string(),
                    first: s.first.map(format_rfc3339),
                    last: s.last.map(format_rfc3339),
                    duration_ms: s.first.zip(s.last).and_then(|(f, l)| elapsed_ms(f, l)),
                    events: s.events,
                    orphan: s.main_events == 0 && s.spawns,
                    prompts: s.prompts,
                    subagents: s.agents.values().filter(|c| !**c).count() as u64,
                    compaction_agents: s.agents.values().filter(|c| **c).count() as u64,
                    compactions: s.compactions,
                    tool_calls: 0,
                    incomplete_tool_calls: open_per_session.get(&**id).copied().unwrap_or(0),
                    tool_errors: s.tool_errors,
                    api_errors: s.api_errors,
                    responses: usage.responses,
                    tokens: usage.tokens,
                }
            })
            .collect();
        let mut calls: HashMap<&str, u64> = HashMap::default();
        for (session, _) in self.tool_pre.values() {
            if let Some(s) = session.as_deref() {
                *calls.entry(s).or_default() += 1;
            }
        }
        for s in &mut sessions {
            s.tool_calls = calls.get(s.session.as_str()).copied().unwrap_or(0);
        }
        sessions.sort_by(|a, b| {
            a.first
                .is_none()
                .cmp(&b.first.is_none())
                .then_with(|| a.first.cmp(&b.first))
                .then_with(|| a.session.cmp(&b.session))
        });
        let sessions_total = sessions.len() as u64;
        let api_errors: u64 = sessions.iter().map(|s| s.api_errors).sum();
        if api_errors > 0 {
            add(
                Severity::Error,
                format!("{api_errors} API error(s) (rate limits, overload, usage limits)"),
                cmd("errors --category api_error"),
                api_errors,
            );
        }
        let orphans: Vec<&str> = sessions
            .iter()
            .filter(|s| s.orphan)
            .map(|s| s.session.as_str())
            .collect();
        if !orphans.is_empty() {
            add(
                Severity::Info,
                format!(
                    "{} session(s) read only from subagent files (parent transcript absent): {}",
                    orphans.len(),
                    orphans
                        .iter()
                        .take(3)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                cmd("replay -l 50"),
                orphans.len() as u64,
            );
        }
        let compactions: u64 = sessions.iter().map(|s| s.compactions).sum();
        if compactions > 0 {
            add(
                Severity::Info,
                format!("{compactions} context compaction(s)"),
                cmd("diffs -e compact_boundary"),
                compactions,
            );
        }
        sessions.truncate(MAX_SESSIONS);
        let malformed: u64 = sources.iter().map(|s| s.malformed).sum();
        if malformed > 0 {
            let first = sources
                .iter()
                .flat_map(|s| s.first_bad.first())
                .map(|b| index.at(&b.loc))
                .next()
                .unwrap_or_default();
            add(
                Severity::Warning,
                format!("{malformed} unreadable record(s), first at {first}"),
                cmd("diagnose --strict"),
                malformed,
            );
        }
        for s in sources.iter().filter(|s| s.torn_tail.is_some()) {
            add(
                Severity::Info,
                format!(
                    "{} ends in a partial record (still being written?)",
                    s.display
                ),
                cmd("replay -m 5"),
                1,
            );
        }
        if let Some(o) = &queues.occupancy {
            if o.peak_queued > 0 {
                add(
                    Severity::Info,
                    match o.max_agents {
                        Some(m) => format!(
                            "up to {} agent(s) waited for a slot (max {m} running)",
                            o.peak_queued
                        ),
                        None => format!("up to {} agent(s) waited for a slot", o.peak_queued),
                    },
                    cmd("queues"),
                    o.peak_queued,
                );
            }
        }
        findings.sort_by(|a, b| {
            b.0.severity
                .cmp(&a.0.severity)
                .then(b.1.cmp(&a.1))
                .then_with(|| a.0.title.cmp(&b.0.title))
        });
        let findings: Vec<Finding> = findings.into_iter().map(|f| f.0).collect();
        let status = findings
            .first()
            .map_or("ok", |f| f.severity.name())
            .to_string();
        DiagnoseReport {
            status,
            events: self.events,
            malformed,
            span: Span {
                first: self.first.map(format_rfc3339),
                last: self.last.map(format_rfc3339),
                duration_ms: self
                    .first
                    .zip(self.last)
                    .and_then(|(f, l)| elapsed_ms(f, l)),
            },
            sessions_total,
            sessions,
            delegation,
            agents: Agents {
                by_kind: top(by_kind, 10),
                total: self.agents.len() as u64,
                spawned: self.agents.values().filter(|l| l.spawned).count() as u64,
                completed: self.agents.values().filter(|l| l.completed).count() as u64,
                failed: failed_agents.len() as u64,
                failed_agents: failed_agents.into_iter().take(MAX_NAMED).collect(),
                never_finished_total: never.len() as u64,
                never_finished: never.into_iter().take(MAX_NAMED).collect(),
            },
            errors: ErrorSummary {
                total: Severity::ALL.iter().map(|s| sev.get(*s)).sum(),
                by_severity: sev,
                by_category: top(self.by_category, 10),
                by_agent: top(self.by_agent, 10),
                top_messages,
            },
            queues: QueueSummary {
                messages: queues.agents.iter().map(|a| a.sent).sum(),
                unread: queues.agents.iter().map(|a| a.unread).sum(),
                open_tasks: queues.open_tasks,
                total_pending: queues.total_pending,
                stuck,
                stuck_total,
                latency_p95_ms: queues.latency_p95_ms,
                occupancy: queues.occupancy,
            },
            tests,
            failed_test_cases: self.failed_cases,
            usage: {
                let u = self.usage.total();
                Usage {
                    by_kind: u.tokens,
                    tokens: u.tokens.total(),
                    token_events: u.responses,
                    cost_usd: super::usage::round_usd(u.cost_usd.unwrap_or(0.0)),
                }
            },
            scope_violations: self.scope_violations,
            audit: AuditSummary {
                total_findings: audit.total_findings,
                by_severity: audit.by_severity,
                top: audit.findings,
            },
            incomplete_tool_calls: incomplete,
            last_snapshot: self.snapshot.map(|(t, loc, counts)| SnapshotRef {
                time: format_rfc3339(t),
                at: index.at(&loc),
                counts,
            }),
            findings,
        }
    }
}

/// Roots of the parent links spawns named, with their sizes. Cycles are cut.
fn tree_top(
    agents: &HashMap<String, Life>,
    sessions: &HashMap<Box<str>, SessionAcc>,
) -> Vec<TreeTop> {
    // A parent the data never shows as an agent (the CLI that started a team)
    // is not a node, as in `oracle agents`.
    let parent_of = |a: &str| {
        agents
            .get(a)
            .and_then(|l| l.parent.as_ref())
            .map(|p| &*p.0)
            .filter(|p| agents.contains_key(*p) || sessions.contains_key(*p))
    };
    let mut tops: std::collections::BTreeMap<&str, TreeTop> = std::collections::BTreeMap::new();
    for name in agents.keys() {
        // Walk up to the root, counting levels (bounded: a cycle ends the walk).
        let mut root: &str = name;
        let mut depth = 0u64;
        let mut first_parent = None;
        while let Some(p) = parent_of(root) {
            if p == name || depth > agents.len() as u64 {
                break;
            }
            if first_parent.is_none() {
                first_parent = Some(p);
            }
            root = p;
            depth += 1;
        }
        if depth == 0 {
            continue;
        }
        let t = tops.entry(root).or_insert_with(|| TreeTop {
            root: root.to_string(),
            children: 0,
            descendants: 0,
            depth: 0,
        });
        t.descendants += 1;
        t.depth = t.depth.max(depth);
        if first_parent == Some(root) {
            t.children += 1;
        }
    }
    let mut v: Vec<TreeTop> = tops.into_values().collect();
    v.sort_by(|a, b| {
        b.descendants
            .cmp(&a.descendants)
            .then_with(|| a.root.cmp(&b.root))
    });
    v.truncate(MAX_ROOTS);
    v
}

/// The snake_case name of an agent kind (as in JSON).
fn kind_name(k: AgentKind) -> &'static str {
    match k {
        AgentKind::Session => "session",
        AgentKind::Subagent => "subagent",
        AgentKind::Background => "background",
        AgentKind::Compaction => "compaction",
        AgentKind::TeamLead => "team_lead",
        AgentKind::TeamMember => "team_member",
        AgentKind::Worker => "worker",
    }
}
