//! `queues`: per-agent traffic, pending tasks and reply latency from time-machine
//! agent messages, and queue occupancy from pipe `resource/*` events.
//!
//! A task is pending iff no `result` or `error` message names it in
//! `parent_message_id` (the observer API's rule; the seed CLI's counter is wrong,
//! formats.md 1b bug 1). Replies may be read before their task (another chunk or
//! file): unmatched replies are carried as orphans and matched on merge, so the
//! answer does not depend on chunking. A task id that appears twice is one task,
//! answered when any reply names it. Latency pairs a task with the reply matched
//! to it; with several replies to one task, which one that is depends on where the
//! input's chunks and files begin (the pending counts do not). A reply dated
//! before its task is counted as a reply and as clock skew, and gives no latency.
//!
//! Merging costs what the smaller side holds, never what has been accumulated:
//! tasks, replies and orphans are keyed by a 64-bit hash of their id, every
//! cross-side check walks the smaller of the two sets it compares, and unions
//! insert the smaller map into the larger.

use super::{percentile, Window};
use crate::format::{ActionSet, Needs};
use crate::model::{
    sort_key, time::format_rfc3339, Action, Event, Loc, Nanos, QueueChange, QueueReading, Severity,
    SortKey,
};
use crate::scan::{Analysis, LineIndex};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use schemars::JsonSchema;
use serde::Serialize;
use std::hash::BuildHasher;

/// The typed `queues` query.
#[derive(Debug, Clone, Default)]
pub struct QueuesQuery {
    /// List the pending tasks themselves.
    pub list_pending: bool,
    /// Time window for the messages considered.
    pub window: Window,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
struct AgentAcc {
    sent: u64,
    received: u64,
    errors: u64,
    /// Replies matched to a task addressed to this agent.
    replies: u64,
    /// Of `replies`, those dated before their task.
    skewed: u64,
    /// Task-to-reply latencies (ns) of the replies not skewed.
    latencies: Vec<i64>,
    unread: u64,
    oldest_unread: Option<Nanos>,
}

/// A task of a team's task board, as last recorded.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct BoardTask {
    owner: Option<Box<str>>,
    done: bool,
    started: bool,
    ts: Option<Nanos>,
    key: SortKey,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct Task {
    id: Box<str>,
    from: Box<str>,
    to: Box<str>,
    ts: Option<Nanos>,
    loc: Loc,
}

/// Pipe-log queue occupancy.
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Occupancy {
    /// `resource/queue_status`, `agent_queued` and `agent_dequeued` events read.
    pub events: u64,
    /// Most agents waiting at once.
    pub peak_queued: u64,
    /// When the peak was first reached (RFC 3339 UTC).
    pub peak_at: Option<String>,
    /// Latest reading: active agents.
    pub last_active: Option<u64>,
    /// Latest reading: queued agents.
    pub last_queued: Option<u64>,
    /// Latest reading: slot limit.
    pub max_agents: Option<u64>,
    /// Time of the latest reading (RFC 3339 UTC).
    pub last_at: Option<String>,
    /// `agent_queued` events.
    pub queued_events: u64,
    /// `agent_dequeued` events.
    pub dequeued_events: u64,
}

/// One occupancy reading: time, where, active, queued, max.
type Reading = (Nanos, Loc, Option<u64>, Option<u64>, Option<u64>);

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
struct OccAcc {
    events: u64,
    peak: Option<(u64, Nanos)>,
    last: Option<Reading>,
    queued: u64,
    dequeued: u64,
}

/// The `queues` accumulator (also embedded in `diagnose`).
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
pub struct QueuesAcc {
    agents: HashMap<String, AgentAcc>,
    /// Tasks not (yet) answered, by id hash; an id seen twice keeps its earliest task.
    tasks: HashMap<u64, Task>,
    /// Replies whose task has not been read yet: id hash → reply time.
    orphans: HashMap<u64, Option<Nanos>>,
    /// 64-bit hashes of every id a reply has named: a task whose id is here is
    /// answered, even when the same id appears again in another chunk or file.
    answered: HashSet<u64>,
    last_ts: Option<Nanos>,
    occ: OccAcc,
    /// Team task boards: (team, task id) → latest state.
    board: HashMap<Box<str>, BoardTask>,
}

/// One agent's row.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentQueue {
    /// Agent name as written.
    pub agent: String,
    /// Messages it sent.
    pub sent: u64,
    /// Messages addressed to it.
    pub received: u64,
    /// Tasks addressed to it with no reply.
    pub pending: u64,
    /// Error messages it sent and error entities naming it (severity error or worse).
    pub errors: u64,
    /// Age of its oldest pending task at the data's last event, in ms.
    pub oldest_pending_age_ms: Option<i64>,
    /// Replies to tasks addressed to it.
    pub replies: u64,
    /// Of `replies`, those dated before their task (clock skew): no latency.
    pub clock_skew_replies: u64,
    /// Task-to-reply latency, median, in ms.
    pub latency_p50_ms: Option<f64>,
    /// Task-to-reply latency, 95th percentile, in ms.
    pub latency_p95_ms: Option<f64>,
    /// Mailbox messages to it not yet read (agent teams).
    pub unread: u64,
    /// Age of its oldest unread message at the data's last event, in ms.
    pub oldest_unread_age_ms: Option<i64>,
    /// Tasks it owns on a team's task board that are not completed.
    pub open_tasks: u64,
    /// Of `open_tasks`, those in progress.
    pub in_progress_tasks: u64,
}

/// One pending task.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PendingTask {
    /// `message_id`.
    pub id: String,
    /// Sender.
    pub from: String,
    /// Addressee (the agent it waits on).
    pub to: String,
    /// When it was sent (RFC 3339 UTC).
    pub time: Option<String>,
    /// Age at the data's last event, in ms.
    pub age_ms: Option<i64>,
    /// `file:line` of the task.
    pub at: String,
}

/// The `queues` report.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueuesReport {
    /// The data's last event (RFC 3339 UTC): ages are measured to it.
    pub as_of: Option<String>,
    /// Per agent, sorted by name.
    pub agents: Vec<AgentQueue>,
    /// Pending tasks in all.
    pub total_pending: u64,
    /// The oldest pending task.
    pub oldest_pending: Option<PendingTask>,
    /// Replies matched to their task.
    pub replies: u64,
    /// Of `replies`, those dated before their task (clock skew): no latency.
    pub clock_skew_replies: u64,
    /// Overall task-to-reply latency, median, ms.
    pub latency_p50_ms: Option<f64>,
    /// Overall task-to-reply latency, 95th percentile, ms.
    pub latency_p95_ms: Option<f64>,
    /// With `--pending`: every pending task, oldest first.
    pub pending: Vec<PendingTask>,
    /// Pipe-log queue occupancy (null when no pipe queue events were read).
    pub occupancy: Option<Occupancy>,
    /// Tasks on team task boards not yet completed.
    pub open_tasks: u64,
    /// Of `open_tasks`, those without an owner.
    pub unowned_open_tasks: u64,
}

/// What makes an input matter to `queues`.
const COORDINATION: ActionSet = ActionSet::TASKS
    .or(ActionSet::MESSAGES)
    .or(ActionSet::QUEUE);

fn agent<'m>(m: &'m mut HashMap<String, AgentAcc>, name: &str) -> &'m mut AgentAcc {
    if !m.contains_key(name) {
        m.insert(name.to_string(), AgentAcc::default());
    }
    m.get_mut(name).expect("inserted above")
}

fn id_hash(id: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(id)
}

/// The order of tasks: time (untimed last), then where they were read.
fn task_key(t: &Task) -> (Nanos, u32, u64) {
    (t.ts.unwrap_or(Nanos::MAX), t.loc.file, t.loc.offset)
}

/// Counts a reply to a task sent to `to`: its latency (ns, saturating at
/// `i64::MAX` for replies centuries later), or clock skew when it is dated
/// before the task. Untimed ends give a reply without a latency.
fn answer(
    agents: &mut HashMap<String, AgentAcc>,
    to: &str,
    task: Option<Nanos>,
    reply: Option<Nanos>,
) {
    let a = agent(agents, to);
    a.replies += 1;
    if let (Some(t), Some(r)) = (task, reply) {
        if r < t {
            a.skewed += 1;
        } else {
            a.latencies.push(r.saturating_sub(t));
        }
    }
}

/// Removes from `tasks` those whose id `answered` holds (replies read on the
/// other side), walking the smaller of the two; an orphan reply among them is
/// consumed and gives the pair's latency.
fn answer_across(
    agents: &mut HashMap<String, AgentAcc>,
    tasks: &mut HashMap<u64, Task>,
    answered: &HashSet<u64>,
    orphans: &mut HashMap<u64, Option<Nanos>>,
) {
    let mut settle = |h: u64, t: &Task, agents: &mut HashMap<String, AgentAcc>| {
        if let Some(r) = orphans.remove(&h) {
            answer(agents, &t.to, t.ts, r);
        }
    };
    if answered.len() <= tasks.len() {
        for h in answered {
            if let Some(t) = tasks.remove(h) {
                settle(*h, &t, agents);
            }
        }
    } else {
        tasks.retain(|h, t| {
            let hit = answered.contains(h);
            if hit {
                settle(*h, t, agents);
            }
            !hit
        });
    }
}

/// Inserts a task unless the map holds an earlier one with the same id hash.
fn keep_earliest(tasks: &mut HashMap<u64, Task>, h: u64, task: Task) {
    match tasks.entry(h) {
        std::collections::hash_map::Entry::Occupied(mut o) => {
            if task_key(&task) < task_key(o.get()) {
                o.insert(task);
            }
        }
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(task);
        }
    }
}

impl QueuesAcc {
    /// Adds one event: agent messages, tasks and replies, a team's mailbox
    /// messages and task board, queue samples, and errors of error severity or
    /// worse (counted per agent).
    ///
    /// Only inputs that carry coordination (a reader producing tasks, messages
    /// or queue samples) are read; ages are measured to their last event
    /// (snapshots aside), and errors are counted from inputs carrying messages.
    pub fn observe(&mut self, ev: &Event<'_>) {
        let caps = crate::format::reader(ev.format).produces();
        if !caps.any(COORDINATION) {
            return;
        }
        if let (Some(t), false) = (ev.ts, matches!(ev.action, Action::Snapshot(_))) {
            self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t)));
        }
        if caps.any(ActionSet::TASKS.or(ActionSet::MESSAGES))
            && ev.severity.is_some_and(|s| s >= Severity::Error)
        {
            if let Some(a) = ev.agent.as_deref() {
                agent(&mut self.agents, a).errors += 1;
            }
        }
        let coordination = matches!(
            ev.action,
            Action::TaskSent
                | Action::TaskReplied { .. }
                | Action::Message { .. }
                | Action::TaskState { .. }
                | Action::Queue(_)
        );
        if !coordination {
            return;
        }
        match &ev.action {
            Action::Queue(r) => self.observe_occupancy(ev, r),
            Action::TaskState { done, started } => self.observe_board(ev, *done, *started),
            _ => self.observe_message(ev),
        }
    }

    fn observe_message(&mut self, ev: &Event<'_>) {
        let from = ev.agent.as_deref().unwrap_or("(unknown)");
        let to = ev.target.as_deref().unwrap_or("(unknown)");
        agent(&mut self.agents, from).sent += 1;
        let rx = agent(&mut self.agents, to);
        rx.received += 1;
        match ev.action {
            Action::Message { read: Some(false) } => {
                rx.unread += 1;
                if let Some(t) = ev.ts {
                    rx.oldest_unread = Some(rx.oldest_unread.map_or(t, |o| o.min(t)));
                }
            }
            Action::TaskSent => {
                if let Some(id) = ev.id.as_deref() {
                    let h = id_hash(id);
                    if let Some(reply_ts) = self.orphans.remove(&h) {
                        answer(&mut self.agents, to, ev.ts, reply_ts);
                    } else if !self.answered.contains(&h) {
                        let task = Task {
                            id: id.into(),
                            from: from.into(),
                            to: to.into(),
                            ts: ev.ts,
                            loc: ev.loc,
                        };
                        keep_earliest(&mut self.tasks, h, task);
                    }
                }
            }
            Action::TaskReplied { .. } => {
                if let Some(parent) = ev.parent_id.as_deref() {
                    let h = id_hash(parent);
                    self.answered.insert(h);
                    match self.tasks.remove(&h) {
                        Some(task) => answer(&mut self.agents, &task.to, task.ts, ev.ts),
                        None => {
                            self.orphans.entry(h).or_insert(ev.ts);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A task on a team's board: the latest record of each (team, id) wins.
    fn observe_board(&mut self, ev: &Event<'_>, done: bool, started: bool) {
        let Some(id) = ev.id.as_deref() else { return };
        let key: Box<str> = format!("{}\u{1f}{id}", ev.session.as_deref().unwrap_or("")).into();
        let entry = BoardTask {
            owner: ev.target.as_deref().map(Into::into),
            done,
            started,
            ts: ev.ts,
            key: sort_key(ev.ts, &ev.loc),
        };
        match self.board.get_mut(&key) {
            Some(old) if old.key >= entry.key => {}
            Some(old) => *old = entry,
            None => {
                self.board.insert(key, entry);
            }
        }
    }

    fn observe_occupancy(&mut self, ev: &Event<'_>, r: &QueueReading) {
        let o = &mut self.occ;
        o.events += 1;
        match r.change {
            QueueChange::Queued => o.queued += 1,
            QueueChange::Dequeued => o.dequeued += 1,
            QueueChange::Status => {}
        }
        let Some(t) = ev.ts else { return };
        if let Some(q) = r.queued {
            if o.peak.is_none_or(|(p, pt)| q > p || (q == p && t < pt)) {
                o.peak = Some((q, t));
            }
        }
        if o.last
            .as_ref()
            .is_none_or(|l| (t, ev.loc.file, ev.loc.offset) > (l.0, l.1.file, l.1.offset))
        {
            o.last = Some((t, ev.loc, r.active, r.queued, r.max_agents));
        }
    }

    /// Combines `a` (earlier input) with `b` (later input), matching replies across them.
    pub fn merge(mut self, mut b: QueuesAcc) -> QueuesAcc {
        for (name, x) in b.agents.drain() {
            let a = agent(&mut self.agents, &name);
            a.sent += x.sent;
            a.received += x.received;
            a.errors += x.errors;
            a.replies += x.replies;
            a.skewed += x.skewed;
            if a.latencies.len() < x.latencies.len() {
                let small = std::mem::replace(&mut a.latencies, x.latencies);
                a.latencies.extend(small);
            } else {
                a.latencies.extend(x.latencies);
            }
            a.unread += x.unread;
            a.oldest_unread = match (a.oldest_unread, x.oldest_unread) {
                (Some(p), Some(q)) => Some(p.min(q)),
                (p, q) => p.or(q),
            };
        }
        if self.board.len() < b.board.len() {
            std::mem::swap(&mut self.board, &mut b.board);
        }
        for (k, t) in b.board.drain() {
            match self.board.get_mut(&k) {
                Some(old) if old.key >= t.key => {}
                Some(old) => *old = t,
                None => {
                    self.board.insert(k, t);
                }
            }
        }
        // Tasks of each side answered by the other: a reply read there that is
        // still an orphan gives the pair's latency; any other reply there (to a
        // repeated id) answers it without one. Orphans are a subset of `answered`.
        answer_across(
            &mut self.agents,
            &mut self.tasks,
            &b.answered,
            &mut b.orphans,
        );
        answer_across(
            &mut self.agents,
            &mut b.tasks,
            &self.answered,
            &mut self.orphans,
        );
        // Unions, the smaller map into the larger. Orphans: the earlier input's
        // reply wins (a is the earlier input).
        if self.tasks.len() < b.tasks.len() {
            std::mem::swap(&mut self.tasks, &mut b.tasks);
        }
        for (h, t) in b.tasks.drain() {
            keep_earliest(&mut self.tasks, h, t);
        }
        if self.orphans.len() >= b.orphans.len() {
            for (h, r) in b.orphans.drain() {
                self.orphans.entry(h).or_insert(r);
            }
        } else {
            let earlier = std::mem::replace(&mut self.orphans, std::mem::take(&mut b.orphans));
            self.orphans.extend(earlier);
        }
        if self.answered.len() < b.answered.len() {
            std::mem::swap(&mut self.answered, &mut b.answered);
        }
        self.answered.extend(b.answered.drain());
        self.last_ts = match (self.last_ts, b.last_ts) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        let (oa, ob) = (&mut self.occ, b.occ);
        oa.events += ob.events;
        oa.queued += ob.queued;
        oa.dequeued += ob.dequeued;
        if let Some((q, t)) = ob.peak {
            if oa.peak.is_none_or(|(p, pt)| q > p || (q == p && t < pt)) {
                oa.peak = Some((q, t));
            }
        }
        if let Some(l) = ob.last {
            if oa
                .last
                .as_ref()
                .is_none_or(|x| (l.0, l.1.file, l.1.offset) > (x.0, x.1.file, x.1.offset))
            {
                oa.last = Some(l);
            }
        }
        self
    }

    /// The report. `list_pending` fills `pending`.
    pub fn finish(self, list_pending: bool, index: &LineIndex) -> QueuesReport {
        let as_of = self.last_ts;
        // Ages in ms, never negative (as_of is the latest time read), saturating.
        let age = |ts: Option<Nanos>| Some(as_of?.saturating_sub(ts?).max(0) / 1_000_000);
        let mut board_per: HashMap<&str, (u64, u64)> = HashMap::default();
        let mut open_tasks = 0u64;
        let mut unowned = 0u64;
        for t in self.board.values().filter(|t| !t.done) {
            open_tasks += 1;
            match t.owner.as_deref() {
                Some(o) => {
                    let e = board_per.entry(o).or_default();
                    e.0 += 1;
                    e.1 += u64::from(t.started);
                }
                None => unowned += 1,
            }
            let _ = t.ts;
        }
        let mut pending_per: HashMap<&str, (u64, Option<Nanos>)> = HashMap::default();
        for t in self.tasks.values() {
            let e = pending_per.entry(&t.to).or_default();
            e.0 += 1;
            if let Some(ts) = t.ts {
                e.1 = Some(e.1.map_or(ts, |o: Nanos| o.min(ts)));
            }
        }
        let mut tasks: Vec<&Task> = self.tasks.values().collect();
        tasks.sort_by(|a, b| (task_key(a), &a.id).cmp(&(task_key(b), &b.id)));
        let to_pending = |t: &Task| PendingTask {
            id: t.id.to_string(),
            from: t.from.to_string(),
            to: t.to.to_string(),
            time: t.ts.map(format_rfc3339),
            age_ms: age(t.ts),
            at: index.at(&t.loc),
        };
        let oldest_pending = tasks.first().map(|x| to_pending(x));
        let pending = if list_pending {
            tasks.iter().map(|x| to_pending(x)).collect()
        } else {
            Vec::new()
        };
        let ms = |v: Option<i64>| v.map(|n| (n as f64 / 1e6 * 1000.0).round() / 1000.0);
        let mut all: Vec<i64> = Vec::new();
        let replies = self
            .agents
            .values()
            .fold((0u64, 0u64), |(r, k), a| (r + a.replies, k + a.skewed));
        let mut names: Vec<String> = board_per
            .keys()
            .filter(|k| !self.agents.contains_key(**k))
            .map(|k| k.to_string())
            .collect();
        names.sort();
        let mut rows = self.agents;
        for n in names {
            rows.insert(n, AgentAcc::default());
        }
        let mut agents: Vec<AgentQueue> = rows
            .into_iter()
            .map(|(name, mut a)| {
                a.latencies.sort_unstable();
                all.extend_from_slice(&a.latencies);
                let (p, oldest) = pending_per.get(name.as_str()).copied().unwrap_or_default();
                let (open, started) = board_per.get(name.as_str()).copied().unwrap_or_default();
                AgentQueue {
                    unread: a.unread,
                    oldest_unread_age_ms: age(a.oldest_unread),
                    open_tasks: open,
                    in_progress_tasks: started,
                    sent: a.sent,
                    received: a.received,
                    pending: p,
                    errors: a.errors,
                    oldest_pending_age_ms: age(oldest),
                    replies: a.replies,
                    clock_skew_replies: a.skewed,
                    latency_p50_ms: ms(percentile(&a.latencies, 50.0)),
                    latency_p95_ms: ms(percentile(&a.latencies, 95.0)),
                    agent: name,
                }
            })
            .collect();
        agents.sort_by(|a, b| a.agent.cmp(&b.agent));
        all.sort_unstable();
        let o = self.occ;
        let occupancy = (o.events > 0).then(|| Occupancy {
            events: o.events,
            peak_queued: o.peak.map_or(0, |p| p.0),
            peak_at: o.peak.map(|p| format_rfc3339(p.1)),
            last_active: o.last.and_then(|l| l.2),
            last_queued: o.last.and_then(|l| l.3),
            max_agents: o.last.and_then(|l| l.4),
            last_at: o.last.map(|l| format_rfc3339(l.0)),
            queued_events: o.queued,
            dequeued_events: o.dequeued,
        });
        QueuesReport {
            open_tasks,
            unowned_open_tasks: unowned,
            as_of: as_of.map(format_rfc3339),
            total_pending: self.tasks.len() as u64,
            oldest_pending,
            replies: replies.0,
            clock_skew_replies: replies.1,
            latency_p50_ms: ms(percentile(&all, 50.0)),
            latency_p95_ms: ms(percentile(&all, 95.0)),
            agents,
            pending,
            occupancy,
        }
    }
}

impl Analysis for QueuesQuery {
    type Acc = QueuesAcc;
    fn new_acc(&self) -> QueuesAcc {
        QueuesAcc::default()
    }
    fn observe(&self, acc: &mut QueuesAcc, ev: &Event<'_>) {
        if self.window.contains(ev.ts) {
            acc.observe(ev);
        }
    }
    fn merge(&self, a: QueuesAcc, b: QueuesAcc) -> QueuesAcc {
        a.merge(b)
    }
    /// Inputs that carry messages, tasks or queue samples.
    fn needs(&self) -> Needs {
        Needs {
            actions: COORDINATION,
            ..Needs::default()
        }
    }
}
