//! `diagnose`: one screen that says what is wrong, and ranked findings, each with
//! a severity and the next command to run.

use super::errors::{
    add_to_group, finish_groups, merge_groups, message_of, ErrorGroup, GroupAcc, SeverityCounts,
};
use super::queues::{Occupancy, QueuesAcc};
use super::replay::SnapshotRef;
use super::{mask_message, UsageAcc};
use crate::model::{
    time::format_rfc3339, Action, Event, Loc, Nanos, Severity, SnapshotCounts, TestScope,
};
use crate::scan::{Analysis, LineIndex, SourceStats};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use schemars::JsonSchema;
use serde::Serialize;

/// The typed `diagnose` query.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseQuery {
    /// How the inputs were named on the command line, appended to suggested commands.
    pub paths_hint: String,
    /// Pending tasks older than this (ms, at the data's last event) are "stuck".
    pub stuck_after_ms: i64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Life {
    spawned: bool,
    completed: bool,
    failed: bool,
}

/// The `diagnose` accumulator.
#[derive(Default)]
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
    /// Hook `tool_use_id`s seen in PreToolUse and PostToolUse records.
    tool_pre: HashSet<Box<str>>,
    tool_post: HashSet<Box<str>>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema, PartialEq, Eq)]
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
    /// Failed agents, by name.
    pub failed_agents: Vec<String>,
    /// Spawned but never completed nor failed.
    pub never_finished: Vec<String>,
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
    /// Pending tasks in all.
    pub total_pending: u64,
    /// Agents with pending tasks, most first.
    pub stuck: Vec<StuckAgent>,
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
    /// Agents.
    pub agents: Agents,
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

fn merge_counts(mut a: HashMap<String, u64>, b: HashMap<String, u64>) -> HashMap<String, u64> {
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
                Action::AgentSpawned { .. } => life.spawned = true,
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
                    acc.tool_pre.insert(id.into());
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
        acc.queues.observe(ev);
    }

    fn merge(&self, a: DiagnoseAcc, b: DiagnoseAcc) -> DiagnoseAcc {
        let mut agents = a.agents;
        for (k, l) in b.agents {
            let e = agents.entry(k).or_default();
            e.spawned |= l.spawned;
            e.completed |= l.completed;
            e.failed |= l.failed;
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
            tool_pre: union(a.tool_pre, b.tool_pre),
            tool_post: union(a.tool_post, b.tool_post),
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
            .map(|(k, _)| k.clone())
            .collect();
        never.sort();

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
                    failed_agents.join(", ")
                ),
                cmd(&format!("errors -a {}", shell_word(&failed_agents[0]))),
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
        for s in &stuck {
            let old = s.oldest_pending_age_ms.unwrap_or(0);
            if old >= q.stuck_after_ms {
                add(
                    Severity::Warning,
                    format!(
                        "agent '{}' has {} pending task(s), oldest {}",
                        s.agent,
                        s.pending,
                        crate::model::time::format_duration(old * 1_000_000)
                    ),
                    cmd("queues --pending"),
                    s.pending,
                );
            }
        }
        for a in &never {
            add(
                Severity::Warning,
                format!("agent '{a}' was spawned but never finished"),
                cmd("replay -m 60"),
                1,
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
        let incomplete = self
            .tool_pre
            .iter()
            .filter(|id| !self.tool_post.contains(*id))
            .count() as u64;
        if incomplete > 0 {
            add(
                Severity::Warning,
                format!("{incomplete} tool call(s) started (PreToolUse) but never completed (no PostToolUse)"),
                cmd("diffs -e PreToolUse"),
                incomplete,
            );
        }
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
                    format!(
                        "up to {} agent(s) waited for a slot (max {})",
                        o.peak_queued,
                        o.max_agents.map_or("?".into(), |m| m.to_string())
                    ),
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
                duration_ms: self.first.zip(self.last).map(|(f, l)| (l - f) / 1_000_000),
            },
            agents: Agents {
                total: self.agents.len() as u64,
                spawned: self.agents.values().filter(|l| l.spawned).count() as u64,
                completed: self.agents.values().filter(|l| l.completed).count() as u64,
                failed: failed_agents.len() as u64,
                failed_agents,
                never_finished: never,
            },
            errors: ErrorSummary {
                total: Severity::ALL.iter().map(|s| sev.get(*s)).sum(),
                by_severity: sev,
                by_category: top(self.by_category, 10),
                by_agent: top(self.by_agent, 10),
                top_messages,
            },
            queues: QueueSummary {
                total_pending: queues.total_pending,
                stuck,
                latency_p95_ms: queues.latency_p95_ms,
                occupancy: queues.occupancy,
            },
            tests,
            failed_test_cases: self.failed_cases,
            usage: {
                let u = self.usage.totals();
                Usage {
                    tokens: u.tokens.total(),
                    token_events: u.responses,
                    cost_usd: (u.cost_usd * 1e6).round() / 1e6,
                }
            },
            scope_violations: self.scope_violations,
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

/// Quotes a word for a shell command line when it needs it.
fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
