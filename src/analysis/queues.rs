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
//! input's chunks and files begin (the pending counts do not).

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

#[derive(Debug, Clone, Default)]
struct AgentAcc {
    sent: u64,
    received: u64,
    errors: u64,
    latencies: Vec<i64>,
    unread: u64,
    oldest_unread: Option<Nanos>,
}

/// A task of a team's task board, as last recorded.
#[derive(Debug, Clone)]
struct BoardTask {
    owner: Option<Box<str>>,
    done: bool,
    started: bool,
    ts: Option<Nanos>,
    key: SortKey,
}

#[derive(Debug, Clone)]
struct Task {
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

#[derive(Debug, Clone, Default)]
struct OccAcc {
    events: u64,
    peak: Option<(u64, Nanos)>,
    last: Option<Reading>,
    queued: u64,
    dequeued: u64,
}

/// The `queues` accumulator (also embedded in `diagnose`).
#[derive(Debug, Clone, Default)]
pub struct QueuesAcc {
    agents: HashMap<String, AgentAcc>,
    tasks: HashMap<Box<str>, Task>,
    orphans: HashMap<Box<str>, Option<Nanos>>,
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
    /// Replies it sent to tasks.
    pub replies: u64,
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

fn latency(task: Option<Nanos>, reply: Option<Nanos>) -> Option<i64> {
    Some(reply? - task?).filter(|d| *d >= 0)
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
                    if let Some(reply_ts) = self.orphans.remove(id) {
                        if let Some(l) = latency(ev.ts, reply_ts) {
                            agent(&mut self.agents, to).latencies.push(l);
                        }
                    } else if !self.answered.contains(&id_hash(id)) {
                        self.tasks.insert(
                            id.into(),
                            Task {
                                from: from.into(),
                                to: to.into(),
                                ts: ev.ts,
                                loc: ev.loc,
                            },
                        );
                    }
                }
            }
            Action::TaskReplied { .. } => {
                if let Some(parent) = ev.parent_id.as_deref() {
                    self.answered.insert(id_hash(parent));
                    match self.tasks.remove(parent) {
                        Some(task) => {
                            let a = agent(&mut self.agents, &task.to);
                            if let Some(l) = latency(task.ts, ev.ts) {
                                a.latencies.push(l);
                            }
                        }
                        None => {
                            self.orphans.entry(parent.into()).or_insert(ev.ts);
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
            a.latencies.extend(x.latencies);
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
        // Replies in b to tasks in a.
        for (parent, reply_ts) in b.orphans.drain() {
            match self.tasks.remove(&parent) {
                Some(task) => {
                    if let Some(l) = latency(task.ts, reply_ts) {
                        agent(&mut self.agents, &task.to).latencies.push(l);
                    }
                }
                None => {
                    self.orphans.entry(parent).or_insert(reply_ts);
                }
            }
        }
        // Tasks in a whose id b answered (a repeated id) are answered too.
        if !b.answered.is_empty() {
            self.tasks
                .retain(|id, _| !b.answered.contains(&id_hash(id)));
        }
        // Tasks in b answered in a (reply read first).
        for (id, task) in b.tasks.drain() {
            match self.orphans.remove(&id) {
                Some(reply_ts) => {
                    if let Some(l) = latency(task.ts, reply_ts) {
                        agent(&mut self.agents, &task.to).latencies.push(l);
                    }
                }
                None if self.answered.contains(&id_hash(&id)) => {}
                None => {
                    self.tasks.insert(id, task);
                }
            }
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
        let age = |ts: Option<Nanos>| Some((as_of? - ts?) / 1_000_000);
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
        let mut tasks: Vec<(&str, &Task)> = self.tasks.iter().map(|(k, v)| (&**k, v)).collect();
        tasks.sort_by(|a, b| {
            (a.1.ts.unwrap_or(i64::MAX), a.1.loc.file, a.1.loc.offset).cmp(&(
                b.1.ts.unwrap_or(i64::MAX),
                b.1.loc.file,
                b.1.loc.offset,
            ))
        });
        let to_pending = |(id, t): (&str, &Task)| PendingTask {
            id: id.to_string(),
            from: t.from.to_string(),
            to: t.to.to_string(),
            time: t.ts.map(format_rfc3339),
            age_ms: age(t.ts),
            at: index.at(&t.loc),
        };
        let oldest_pending = tasks.first().map(|x| to_pending(*x));
        let pending = if list_pending {
            tasks.iter().map(|x| to_pending(*x)).collect()
        } else {
            Vec::new()
        };
        let ms = |v: Option<i64>| v.map(|n| (n as f64 / 1e6 * 1000.0).round() / 1000.0);
        let mut all: Vec<i64> = Vec::new();
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
                    replies: a.latencies.len() as u64,
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
            replies: all.len() as u64,
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
