//! `agents`: the delegation tree — who spawned whom — with each node's own and
//! rolled-up tool calls, errors, time, tokens and cost.
//!
//! Nodes are conversation sessions (from readers that write conversations:
//! transcripts, hook payloads, OTel logs) and agents (`Event::agent`). Edges,
//! from the most to the least explicit: a spawn's `parent` (a transcript's
//! session or parent agent, a pipe log's `parent`, a team's lead), the agent of
//! the nearest enclosing span of another agent (OTel), then the first task an
//! agent received (observer files: orchestrator → worker). An edge that would
//! close a cycle is dropped. Usage is deduplicated and priced as `cost` does.

use super::usage::{add_usd, round_usd, UsageAcc};
use super::Window;
use crate::format::ActionSet;
use crate::model::{
    sort_key,
    time::{elapsed_ms, format_rfc3339},
    Action, AgentKind, Event, Nanos, SortKey, Tokens,
};
use crate::pricing::{self, PriceTable};
use crate::scan::{Analysis, LineIndex};
use rustc_hash::FxHashMap as HashMap;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The typed `agents` query.
#[derive(Debug, Clone)]
pub struct AgentsQuery {
    /// Only the trees whose root is one of these sessions (or agents), exactly.
    pub sessions: Vec<String>,
    /// Deepest level listed (0 = roots only); rolled-up totals still cover everything.
    pub depth: Option<usize>,
    /// Time window (untimed records are never dropped).
    pub window: Window,
    /// Prices for the cost columns.
    pub prices: Arc<PriceTable>,
    /// A node whose last record is this close to the data's last one is `running`
    /// rather than `never_finished` (ms).
    pub running_within_ms: i64,
}

/// How a node ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// It reported success (or, for sessions and compaction agents, ended cleanly).
    Completed,
    /// It reported failure.
    Failed,
    /// No end yet, and active until near the data's last record.
    Running,
    /// No end, and silent long before the data's last record.
    NeverFinished,
}

/// Totals of a node or a sub-tree.
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeTotals {
    /// Records attributed.
    pub events: u64,
    /// Tool calls started.
    pub tool_calls: u64,
    /// Error-like records of severity error or worse.
    pub errors: u64,
    /// Model responses (deduplicated).
    pub responses: u64,
    /// Tokens by kind.
    pub tokens: Tokens,
    /// USD at the price table's prices (null when nothing is priced).
    pub cost_usd: Option<f64>,
    /// Tokens of models without a price.
    pub unpriced_tokens: u64,
}

impl NodeTotals {
    fn add(&mut self, o: &NodeTotals) {
        self.events += o.events;
        self.tool_calls += o.tool_calls;
        self.errors += o.errors;
        self.responses += o.responses;
        self.tokens = self.tokens.add(&o.tokens);
        self.cost_usd = add_usd(self.cost_usd, o.cost_usd);
        self.unpriced_tokens = self.unpriced_tokens.saturating_add(o.unpriced_tokens);
    }
}

/// One node of the tree (the JSON list is flat: walk it with `parent`).
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentNode {
    /// Session id or agent id/name.
    pub id: String,
    /// The node that spawned it (null for a root).
    pub parent: Option<String>,
    /// Depth in the tree (roots are 0).
    pub depth: u32,
    /// What kind of node.
    pub kind: AgentKind,
    /// Agent type or role (`subagent_type`, `agentType`, `agent_type`).
    pub role: Option<String>,
    /// Models its responses came from, sorted.
    pub models: Vec<String>,
    /// First record (RFC 3339 UTC).
    pub start: Option<String>,
    /// Last record (RFC 3339 UTC).
    pub end: Option<String>,
    /// `end - start`, ms.
    pub duration_ms: Option<i64>,
    /// How it ended.
    pub status: NodeStatus,
    /// Direct children.
    pub children: u64,
    /// The node's own totals.
    pub own: NodeTotals,
    /// Totals over the node and everything below it.
    pub total: NodeTotals,
}

/// The `agents` report.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentsReport {
    /// Nodes in tree order (depth first, children by start time).
    pub nodes: Vec<AgentNode>,
    /// Trees (roots) in the data, before `--session`.
    pub roots: u64,
    /// Nodes before `--session` and `--depth`.
    pub total_nodes: u64,
    /// Where the prices came from.
    pub prices: String,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
struct NodeAcc {
    session: bool,
    kind: Option<AgentKind>,
    role: Option<Box<str>>,
    /// The explicit parent and the record that named it (earliest wins).
    parent: Option<(Box<str>, SortKey)>,
    /// A spawning span, for OTel agents.
    via: Option<Box<str>>,
    /// The first span it is named by, for an agent seen only on spans (an
    /// OTel span naming `gen_ai.agent.name` alone): (span id, when).
    span: Option<(Box<str>, SortKey)>,
    /// The first task it received: (sender, when).
    tasked_by: Option<(Box<str>, SortKey)>,
    /// For an agent of a conversation reader: its session (first seen).
    in_session: Option<(Box<str>, SortKey)>,
    first: Option<Nanos>,
    last: Option<Nanos>,
    events: u64,
    tools: u64,
    errors: u64,
    /// The latest end record: (ok, when).
    finished: Option<(bool, SortKey)>,
}

fn min_key(
    a: Option<(Box<str>, SortKey)>,
    b: Option<(Box<str>, SortKey)>,
) -> Option<(Box<str>, SortKey)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.1 < x.1 { y } else { x }),
        (x, y) => x.or(y),
    }
}

impl NodeAcc {
    fn merge(&mut self, o: NodeAcc) {
        self.session |= o.session;
        self.kind = match (self.kind, o.kind) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if self.role.is_none() {
            self.role = o.role;
        }
        self.parent = min_key(self.parent.take(), o.parent);
        self.tasked_by = min_key(self.tasked_by.take(), o.tasked_by);
        self.in_session = min_key(self.in_session.take(), o.in_session);
        if self.via.is_none() {
            self.via = o.via;
        }
        self.span = min_key(self.span.take(), o.span);
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(o.last);
        self.events += o.events;
        self.tools += o.tools;
        self.errors += o.errors;
        self.finished = match (self.finished, o.finished) {
            (Some(a), Some(b)) => Some(if b.1 > a.1 { b } else { a }),
            (a, b) => a.or(b),
        };
    }
}

/// A span's parent span and agent.
type SpanLink = (Option<Box<str>>, Option<Box<str>>);

/// The `agents` accumulator.
#[derive(serde::Serialize, serde::Deserialize, Debug, Default)]
pub struct AgentsAcc {
    nodes: HashMap<Box<str>, NodeAcc>,
    usage: UsageAcc,
    /// Task/Agent tool calls: tool-use id → the subagent type it launched.
    roles: HashMap<Box<str>, Box<str>>,
    /// Spans: span id → (parent span, agent).
    spans: HashMap<Box<str>, SpanLink>,
    last: Option<Nanos>,
}

/// Agents named two ways: a node seen only on spans, under a name, whose
/// nearest enclosing span of another agent belongs to an agent spawned with
/// that name as its role (an OTel `chat` span naming `gen_ai.agent.name`
/// `researcher` inside the `invoke_agent` span of agent id `agent-7`, role
/// `researcher`) is that agent: name → agent id.
fn aliases(
    nodes: &HashMap<Box<str>, NodeAcc>,
    spans: &HashMap<Box<str>, SpanLink>,
) -> HashMap<Box<str>, Box<str>> {
    let mut out: HashMap<Box<str>, Box<str>> = HashMap::default();
    for (name, n) in nodes {
        let Some((first, _)) = n.span.as_ref().filter(|_| n.kind.is_none() && !n.session) else {
            continue;
        };
        let mut cur = spans.get(first).and_then(|s| s.0.clone());
        let mut hops = 0;
        while let Some(sid) = cur {
            hops += 1;
            let Some((up, agent)) = spans.get(&sid).filter(|_| hops <= 10_000) else {
                break;
            };
            match agent.as_deref().filter(|a| *a != &**name) {
                Some(a) => {
                    let named = nodes
                        .get(a)
                        .is_some_and(|x| x.kind.is_some() && x.role.as_deref() == Some(&**name));
                    if named {
                        out.insert(name.clone(), a.into());
                    }
                    break;
                }
                None => cur = up.clone(),
            }
        }
    }
    out
}

/// Merges two maps, inserting the smaller into the larger; `f` combines the
/// values of a key both hold (`x` from the larger map).
pub(crate) fn merge_maps<V>(
    mut a: HashMap<Box<str>, V>,
    mut b: HashMap<Box<str>, V>,
    f: impl Fn(&mut V, V),
) -> HashMap<Box<str>, V> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (k, v) in b {
        match a.get_mut(&k) {
            Some(x) => f(x, v),
            None => {
                a.insert(k, v);
            }
        }
    }
    a
}

/// The conversation session of an event, when its reader writes conversations.
fn conversation_of<'e>(ev: &'e Event<'_>) -> Option<&'e str> {
    let conversation = crate::format::reader(ev.format)
        .produces()
        .any(ActionSet::CONVERSATION);
    ev.session
        .as_deref()
        .filter(|_| conversation && !matches!(ev.action, Action::Span { .. }))
}

/// The node an event belongs to: its agent, else its conversation session
/// (`true` when the node is a session). `None` for an event of neither.
pub(crate) fn node_of<'e>(ev: &'e Event<'_>) -> Option<(&'e str, bool)> {
    match ev.agent.as_deref() {
        Some(a) => Some((a, false)),
        None => conversation_of(ev).map(|s| (s, true)),
    }
}

impl AgentsAcc {
    fn node(&mut self, id: &str) -> &mut NodeAcc {
        if !self.nodes.contains_key(id) {
            self.nodes.insert(id.into(), NodeAcc::default());
        }
        self.nodes.get_mut(id).expect("inserted above")
    }
}

impl Analysis for AgentsQuery {
    type Acc = AgentsAcc;
    fn new_acc(&self) -> AgentsAcc {
        AgentsAcc::default()
    }

    fn observe(&self, acc: &mut AgentsAcc, ev: &Event<'_>) {
        if !self.window.contains(ev.ts) {
            return;
        }
        if let Some(t) = ev.ts {
            acc.last = acc.last.max(Some(t));
        }
        acc.usage.observe(ev);
        let key = sort_key(ev.ts, &ev.loc);
        match &ev.action {
            Action::ToolStarted {
                tool,
                subject: Some(s),
                ..
            } if matches!(&**tool, "Task" | "Agent") => {
                if let Some(id) = ev.id.as_deref() {
                    acc.roles.insert(id.into(), (**s).into());
                }
            }
            Action::Span { .. } => {
                if let Some(id) = ev.id.as_deref() {
                    acc.spans.insert(
                        id.into(),
                        (
                            ev.parent_id.as_deref().map(Into::into),
                            ev.agent.as_deref().map(Into::into),
                        ),
                    );
                }
            }
            Action::TaskSent => {
                if let (Some(from), Some(to)) = (ev.agent.as_deref(), ev.target.as_deref()) {
                    if from != to {
                        let n = acc.node(to);
                        n.tasked_by = min_key(n.tasked_by.take(), Some((from.into(), key)));
                    }
                }
            }
            _ => {}
        }
        let Some((id, session)) = node_of(ev) else {
            return;
        };
        let in_session = (!session).then(|| conversation_of(ev)).flatten();
        if let Some(s) = in_session {
            // The session is a node too, even when it has no record of its own.
            acc.node(s).session = true;
        }
        let n = acc.node(id);
        n.session |= session;
        n.events += 1;
        if let Some(s) = in_session.filter(|s| *s != id) {
            n.in_session = min_key(n.in_session.take(), Some((s.into(), key)));
        }
        if let Some(t) = ev.ts {
            n.first = Some(n.first.map_or(t, |f| f.min(t)));
            n.last = n.last.max(Some(t));
        }
        if ev
            .severity
            .is_some_and(|s| s >= crate::model::Severity::Error)
        {
            n.errors += 1;
        }
        match &ev.action {
            Action::ToolStarted { .. } => n.tools += 1,
            Action::Span { .. } => {
                let first = ev.id.as_deref().map(|s| (s.into(), key));
                n.span = min_key(n.span.take(), first);
            }
            Action::AgentSpawned {
                kind,
                parent,
                role,
                via,
            } => {
                n.kind = Some(n.kind.map_or(*kind, |k| k.max(*kind)));
                if n.role.is_none() {
                    n.role = role.as_deref().map(Into::into);
                }
                if let Some(p) = parent.as_deref().filter(|p| *p != id) {
                    n.parent = min_key(n.parent.take(), Some((p.into(), key)));
                }
                if n.via.is_none() {
                    n.via = via.as_deref().map(Into::into);
                }
            }
            Action::AgentFinished { ok } if n.finished.is_none_or(|f| key > f.1) => {
                n.finished = Some((*ok, key));
            }
            _ => {}
        }
    }

    fn merge(&self, a: AgentsAcc, b: AgentsAcc) -> AgentsAcc {
        AgentsAcc {
            nodes: merge_maps(a.nodes, b.nodes, |x, y| x.merge(y)),
            usage: a.usage.merge(b.usage),
            roles: merge_maps(a.roles, b.roles, |_, _| {}),
            spans: merge_maps(a.spans, b.spans, |x, y| {
                if x.1.is_none() {
                    *x = y;
                }
            }),
            last: a.last.max(b.last),
        }
    }
}

impl AgentsAcc {
    /// The report.
    pub fn finish(self, q: &AgentsQuery, _index: &LineIndex) -> AgentsReport {
        let AgentsAcc {
            mut nodes,
            usage,
            roles,
            spans,
            last,
        } = self;
        let alias = aliases(&nodes, &spans);
        for (name, agent) in &alias {
            if let Some(n) = nodes.remove(name) {
                if let Some(a) = nodes.get_mut(agent) {
                    a.merge(n);
                }
            }
        }
        let spans: HashMap<Box<str>, SpanLink> = spans
            .into_iter()
            .map(|(k, (up, agent))| {
                let agent = agent.map(|a| alias.get(&a).cloned().unwrap_or(a));
                (k, (up, agent))
            })
            .collect();
        // Usage per node (agent, else session).
        let mut own_usage: HashMap<Box<str>, NodeTotals> = HashMap::default();
        let mut models: HashMap<Box<str>, BTreeSet<String>> = HashMap::default();
        for (a, s) in usage.parts() {
            let Some(id) = a.agent.as_deref().or(a.session.as_deref()) else {
                continue;
            };
            let id = alias.get(id).map_or(id, |a| &**a);
            if !nodes.contains_key(id) {
                continue;
            }
            let t = own_usage.entry(id.into()).or_default();
            t.responses += s.responses;
            t.tokens = t.tokens.add(&s.tokens);
            match a.model.as_deref().and_then(|m| q.prices.price(m, a.day)) {
                Some(p) => {
                    t.cost_usd = add_usd(
                        Some(t.cost_usd.unwrap_or(0.0)),
                        Some(pricing::cost(&s.tokens, p)),
                    )
                }
                // Nothing used costs nothing, priced or not (`<synthetic>`).
                None if s.tokens.total() == 0 => t.cost_usd = Some(t.cost_usd.unwrap_or(0.0)),
                None => match s.cost_usd {
                    Some(c) => t.cost_usd = add_usd(Some(t.cost_usd.unwrap_or(0.0)), Some(c)),
                    None => t.unpriced_tokens = t.unpriced_tokens.saturating_add(s.tokens.total()),
                },
            }
            if let Some(m) = a.model.as_deref() {
                models.entry(id.into()).or_default().insert(m.to_string());
            }
        }
        // Parents: explicit, else the agent of the nearest enclosing span, else the first task sender.
        let ids: Vec<Box<str>> = {
            let mut v: Vec<Box<str>> = nodes.keys().cloned().collect();
            v.sort();
            v
        };
        let span_parent = |via: &str, me: &str| -> Option<Box<str>> {
            let mut cur = spans.get(via).and_then(|s| s.0.clone());
            let mut hops = 0;
            while let Some(sid) = cur {
                hops += 1;
                if hops > 10_000 {
                    return None;
                }
                let (up, agent) = spans.get(&sid)?;
                if let Some(a) = agent.as_deref().filter(|a| *a != me) {
                    return Some(a.into());
                }
                cur = up.clone();
            }
            None
        };
        let mut parent: HashMap<Box<str>, Box<str>> = HashMap::default();
        for id in &ids {
            let n = &nodes[id];
            let p = n
                .parent
                .as_ref()
                .map(|p| p.0.clone())
                .or_else(|| n.via.as_deref().and_then(|v| span_parent(v, id)))
                .or_else(|| n.tasked_by.as_ref().map(|t| t.0.clone()))
                .or_else(|| n.in_session.as_ref().map(|t| t.0.clone()));
            if let Some(p) = p.filter(|p| nodes.contains_key(p) && p != id) {
                // Refuse an edge that closes a cycle.
                let mut cur = Some(p.clone());
                let mut cycle = false;
                let mut hops = 0usize;
                while let Some(c) = cur {
                    if c == *id || hops > ids.len() {
                        cycle = true;
                        break;
                    }
                    hops += 1;
                    cur = parent.get(&c).cloned();
                }
                if !cycle {
                    parent.insert(id.clone(), p);
                }
            }
        }
        // Roles from the launching Task/Agent call.
        for n in nodes.values_mut() {
            if n.role.is_none() {
                if let Some(r) = n.via.as_deref().and_then(|v| roles.get(v)) {
                    n.role = Some(r.clone());
                }
            }
        }
        let mut children: HashMap<Box<str>, Vec<Box<str>>> = HashMap::default();
        let mut roots: Vec<Box<str>> = Vec::new();
        for id in &ids {
            match parent.get(id) {
                Some(p) => children.entry(p.clone()).or_default().push(id.clone()),
                None => roots.push(id.clone()),
            }
        }
        let start = |id: &str| (nodes[id].first.unwrap_or(i64::MAX), id.to_string());
        roots.sort_by_cached_key(|id| start(id));
        for v in children.values_mut() {
            v.sort_by_cached_key(|id| start(id));
        }
        // Depth-first order, own totals, then rolled-up totals bottom-up.
        let mut order: Vec<(Box<str>, u32)> = Vec::new();
        let mut stack: Vec<(Box<str>, u32)> = roots.iter().rev().map(|r| (r.clone(), 0)).collect();
        while let Some((id, d)) = stack.pop() {
            if let Some(c) = children.get(&id) {
                for k in c.iter().rev() {
                    stack.push((k.clone(), d + 1));
                }
            }
            order.push((id, d));
        }
        let own = |id: &str| -> NodeTotals {
            let n = &nodes[id];
            let mut t = own_usage.get(id).cloned().unwrap_or_default();
            t.events = n.events;
            t.tool_calls = n.tools;
            t.errors = n.errors;
            t
        };
        let mut total: HashMap<Box<str>, NodeTotals> = HashMap::default();
        for (id, _) in order.iter().rev() {
            let mut t = own(id);
            if let Some(c) = children.get(id) {
                for k in c {
                    if let Some(ct) = total.get(k) {
                        t.add(ct);
                    }
                }
            }
            total.insert(id.clone(), t);
        }
        let total_nodes = order.len() as u64;
        let root_count = roots.len() as u64;
        // --session: keep the trees whose root is named.
        let mut keep_root: Option<Box<str>> = None;
        let mut out = Vec::new();
        for (id, d) in &order {
            if *d == 0 {
                keep_root = Some(id.clone());
            }
            if !q.sessions.is_empty()
                && !keep_root
                    .as_deref()
                    .is_some_and(|r| q.sessions.iter().any(|s| s == r))
            {
                continue;
            }
            if q.depth.is_some_and(|m| *d as usize > m) {
                continue;
            }
            let n = &nodes[id];
            let kind = if n.session && n.kind.is_none() {
                Some(AgentKind::Session)
            } else {
                n.kind
            };
            let kind = kind.unwrap_or(if n.session {
                AgentKind::Session
            } else if n.in_session.is_some() {
                AgentKind::Subagent
            } else {
                AgentKind::Worker
            });
            let status = match n.finished {
                Some((true, _)) => NodeStatus::Completed,
                Some((false, _)) => NodeStatus::Failed,
                None if matches!(kind, AgentKind::Compaction) => NodeStatus::Completed,
                // A team member stays on the team until it is shut down.
                None if matches!(kind, AgentKind::TeamLead | AgentKind::TeamMember) => {
                    NodeStatus::Running
                }
                None => {
                    let recent = match (n.last, last) {
                        (Some(l), Some(end)) => {
                            elapsed_ms(l, end).is_some_and(|d| d <= q.running_within_ms)
                        }
                        _ => false,
                    };
                    if recent {
                        NodeStatus::Running
                    } else if n.session {
                        NodeStatus::Completed
                    } else {
                        NodeStatus::NeverFinished
                    }
                }
            };
            out.push(AgentNode {
                id: id.to_string(),
                parent: parent.get(id).map(|p| p.to_string()),
                depth: *d,
                kind,
                role: n.role.as_deref().map(String::from),
                models: models
                    .get(id)
                    .map(|m| m.iter().cloned().collect())
                    .unwrap_or_default(),
                start: n.first.map(format_rfc3339),
                end: n.last.map(format_rfc3339),
                duration_ms: n.first.zip(n.last).and_then(|(f, l)| elapsed_ms(f, l)),
                status,
                children: children.get(id).map_or(0, |c| c.len() as u64),
                own: round(own(id)),
                total: round(total.remove(id).unwrap_or_default()),
            });
        }
        AgentsReport {
            nodes: out,
            roots: root_count,
            total_nodes,
            prices: q.prices.origin.clone(),
        }
    }
}

fn round(mut t: NodeTotals) -> NodeTotals {
    t.cost_usd = t.cost_usd.map(round_usd);
    t
}
