//! The report's timeline: one lane per node of the delegation tree (an agent,
//! else its conversation session, as [`super::agents`] names nodes), with
//! bounded activity spans, tool calls, error marks and instant marks, and the
//! arrows between lanes (spawns, tasks, replies, messages).
//!
//! Owns: [`TimelineQuery`], its accumulator and the [`Timeline`] it finishes
//! into. Must not: lay anything out (the renderer maps times to pixels) or do I/O.
//!
//! Bounds, whatever the data: activity is a per-lane histogram of at most
//! [`DENSITY_BUCKETS`] buckets whose width doubles as needed; each lane keeps
//! at most [`MAX_TOOLS_PER_LANE`] tool calls, [`MAX_ERRORS_PER_LANE`] errors and
//! [`MAX_POINTS_PER_LANE`] instant marks, and the run at most [`MAX_ARROWS`]
//! arrows, [`MAX_MARKS`] marks and [`MAX_SPANS`] activity spans in all; [`MAX_LANES`] lanes are drawn, the
//! rest folded into one. What is kept is a deterministic sample spread over
//! time (the items with the smallest hash of their sort key; errors by
//! severity first), and every list says how many it stood for.
//!
//! Invariant: the result depends only on the set of events observed, never on
//! chunking or merge order, so `--threads 1` and `--threads N` agree.

use super::agents::{merge_maps, node_of};
use super::errors::message_of;
use super::Window;
use crate::format::summary::clip;
use crate::model::{sort_key, Action, Event, Loc, Nanos, Severity, SortKey};
use crate::scan::{Analysis, LineIndex};
use rustc_hash::FxHashMap as HashMap;
use std::hash::{Hash, Hasher};

/// Histogram buckets per lane (activity resolution).
pub const DENSITY_BUCKETS: usize = 256;
/// Tool calls kept per lane.
pub const MAX_TOOLS_PER_LANE: usize = 200;
/// Error marks kept per lane.
pub const MAX_ERRORS_PER_LANE: usize = 100;
/// Instant marks (prompts, compactions, spawns, ends) kept per lane.
pub const MAX_POINTS_PER_LANE: usize = 60;
/// Arrows kept in all.
pub const MAX_ARROWS: usize = 1_500;
/// Marks (tool calls, errors, instant marks) kept in all, over every lane.
pub const MAX_MARKS: usize = 6_000;
/// Activity spans in all, over every lane (the shortest gaps are closed first).
pub const MAX_SPANS: usize = 4_000;
/// Lanes drawn; the others are folded into one lane of activity only.
pub const MAX_LANES: usize = 150;
/// Silence longer than this (ns) ends an activity span.
pub const IDLE_NS: i64 = 5 * 60 * 1_000_000_000;
/// Characters kept of a text from the data (tool subject, error message).
pub const TEXT_CHARS: usize = 160;

/// The timeline query: what the report's lanes read.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimelineQuery {
    /// Time window (untimed records are counted, never drawn).
    pub window: Window,
}

/// At most `cap` items, the ones with the smallest (priority, key); `seen`
/// counts every item pushed. Compacts at `2 × cap`, so merging costs what is
/// merged.
#[derive(Debug, Clone)]
struct Sample<T> {
    cap: usize,
    items: Vec<(u64, SortKey, T)>,
    seen: u64,
}

impl<T> Sample<T> {
    fn new(cap: usize) -> Sample<T> {
        Sample {
            cap,
            items: Vec::new(),
            seen: 0,
        }
    }

    fn push(&mut self, prio: u64, key: SortKey, item: T) {
        self.seen += 1;
        self.items.push((prio, key, item));
        if self.items.len() >= self.cap.saturating_mul(2).max(16) {
            self.compact(self.cap);
        }
    }

    fn compact(&mut self, cap: usize) {
        self.items.sort_unstable_by_key(|(p, k, _)| (*p, *k));
        self.items.truncate(cap);
    }

    fn merge(mut self, mut o: Sample<T>) -> Sample<T> {
        if self.items.len() < o.items.len() {
            std::mem::swap(&mut self.items, &mut o.items);
        }
        self.items.extend(o.items);
        self.seen += o.seen;
        if self.items.len() >= self.cap.saturating_mul(2).max(16) {
            self.compact(self.cap);
        }
        self
    }
}

/// A hash of a sort key: the sampling priority (spreads kept items over time).
fn spread(key: SortKey) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    // FxHash's low bits are weak; mix them.
    let x = h.finish();
    (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 32)
}

/// Event counts in buckets of `2^shift` ns; the width doubles until at most
/// [`DENSITY_BUCKETS`] buckets are occupied. The final width is the smallest
/// that fits the whole lane, whatever the order of observation and merging.
#[derive(Debug, Clone, Default)]
struct Density {
    shift: u32,
    buckets: HashMap<i64, u32>,
}

impl Density {
    fn add(&mut self, t: Nanos, n: u32) {
        *self.buckets.entry(t >> self.shift).or_default() += n;
        self.fit();
    }

    fn fit(&mut self) {
        while self.buckets.len() > DENSITY_BUCKETS && self.shift < 62 {
            self.coarsen();
        }
    }

    fn coarsen(&mut self) {
        let old = std::mem::take(&mut self.buckets);
        self.shift += 1;
        for (b, n) in old {
            *self.buckets.entry(b >> 1).or_default() += n;
        }
    }

    fn merge(mut self, mut o: Density) -> Density {
        while self.shift < o.shift {
            self.coarsen();
        }
        while o.shift < self.shift {
            o.coarsen();
        }
        if self.buckets.len() < o.buckets.len() {
            std::mem::swap(&mut self.buckets, &mut o.buckets);
        }
        for (b, n) in o.buckets {
            *self.buckets.entry(b).or_default() += n;
        }
        self.fit();
        self
    }

    /// Activity spans: occupied buckets joined across gaps up to
    /// `max(bucket width, IDLE_NS)`, clamped to `[first, last]`.
    fn spans(&self, first: Nanos, last: Nanos) -> Vec<(Nanos, Nanos)> {
        let w: i64 = 1i64 << self.shift;
        let mut b: Vec<i64> = self.buckets.keys().copied().collect();
        b.sort_unstable();
        let join = w.max(IDLE_NS);
        let mut out: Vec<(Nanos, Nanos)> = Vec::new();
        for k in b {
            let s = k.saturating_mul(w).max(first);
            let e = k.saturating_mul(w).saturating_add(w - 1).min(last).max(s);
            match out.last_mut() {
                Some(p) if s.saturating_sub(p.1) <= join => p.1 = p.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
struct ToolAcc {
    tool: Box<str>,
    subject: Option<Box<str>>,
    id: Option<Box<str>>,
    t: Nanos,
    loc: Loc,
}

#[derive(Debug, Clone)]
struct ErrorAcc {
    severity: Severity,
    category: Option<Box<str>>,
    message: Box<str>,
    t: Nanos,
    loc: Loc,
}

/// What an instant mark shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// A person's prompt.
    Prompt,
    /// The conversation was compacted.
    Compaction,
    /// The agent started.
    Spawned,
    /// The agent ended (`ok` false: it failed).
    Finished {
        /// Succeeded.
        ok: bool,
    },
}

#[derive(Debug, Clone)]
struct PointAcc {
    kind: PointKind,
    t: Nanos,
    loc: Loc,
}

/// What an arrow between lanes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrowKind {
    /// A parent spawned an agent.
    Spawn,
    /// A task sent.
    Task,
    /// A reply to a task (to the task's sender).
    Reply,
    /// Any other message.
    Message,
}

#[derive(Debug, Clone)]
enum ArrowTo {
    Lane(Box<str>),
    /// A reply: the lane of whoever sent this task id.
    SenderOf(Box<str>),
}

#[derive(Debug, Clone)]
struct ArrowAcc {
    kind: ArrowKind,
    from: Box<str>,
    to: ArrowTo,
    ok: bool,
    t: Nanos,
    loc: Loc,
}

#[derive(Debug, Clone)]
struct LaneAcc {
    density: Density,
    first: Option<Nanos>,
    last: Option<Nanos>,
    events: u64,
    tools: Sample<ToolAcc>,
    errors: Sample<ErrorAcc>,
    points: Sample<PointAcc>,
    /// The earliest start record: (when, the parent it names, where). Writers
    /// repeat starts (a transcript's every progress line): one is drawn.
    spawn: Option<(SortKey, Option<Box<str>>, Loc)>,
}

impl Default for LaneAcc {
    fn default() -> LaneAcc {
        LaneAcc {
            density: Density::default(),
            first: None,
            last: None,
            events: 0,
            tools: Sample::new(MAX_TOOLS_PER_LANE),
            errors: Sample::new(MAX_ERRORS_PER_LANE),
            points: Sample::new(MAX_POINTS_PER_LANE),
            spawn: None,
        }
    }
}

impl LaneAcc {
    fn merge(self, o: LaneAcc) -> LaneAcc {
        LaneAcc {
            density: self.density.merge(o.density),
            first: match (self.first, o.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            last: self.last.max(o.last),
            events: self.events + o.events,
            tools: self.tools.merge(o.tools),
            errors: self.errors.merge(o.errors),
            points: self.points.merge(o.points),
            spawn: match (self.spawn, o.spawn) {
                (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
                (a, b) => a.or(b),
            },
        }
    }
}

/// The timeline accumulator.
#[derive(Debug, Clone)]
pub struct TimelineAcc {
    lanes: HashMap<Box<str>, LaneAcc>,
    arrows: Sample<ArrowAcc>,
    /// Tool-use id → (end, the tool reported an error): the earliest end wins.
    ends: HashMap<Box<str>, (SortKey, bool)>,
    /// Task id → the lane that sent it (earliest send wins).
    senders: HashMap<Box<str>, (SortKey, Box<str>)>,
    /// Records in the window without a time (never drawn).
    untimed: u64,
    /// Timed records with no lane (no agent, no conversation session).
    unplaced: u64,
}

impl Default for TimelineAcc {
    fn default() -> TimelineAcc {
        TimelineAcc {
            lanes: HashMap::default(),
            arrows: Sample::new(MAX_ARROWS),
            ends: HashMap::default(),
            senders: HashMap::default(),
            untimed: 0,
            unplaced: 0,
        }
    }
}

fn text(s: &str) -> Box<str> {
    clip(&s.replace(['\n', '\r', '\t'], " "), TEXT_CHARS).into()
}

impl TimelineAcc {
    fn lane(&mut self, id: &str) -> &mut LaneAcc {
        if !self.lanes.contains_key(id) {
            self.lanes.insert(id.into(), LaneAcc::default());
        }
        self.lanes.get_mut(id).expect("inserted above")
    }
}

impl Analysis for TimelineQuery {
    type Acc = TimelineAcc;
    fn new_acc(&self) -> TimelineAcc {
        TimelineAcc::default()
    }

    fn observe(&self, acc: &mut TimelineAcc, ev: &Event<'_>) {
        if !self.window.contains(ev.ts) {
            return;
        }
        let Some(t) = ev.ts else {
            acc.untimed += 1;
            return;
        };
        let key = sort_key(ev.ts, &ev.loc);
        // What names other lanes: ends of tool calls, senders of tasks.
        match &ev.action {
            Action::ToolEnded { error, .. } => {
                if let Some(id) = ev.id.as_deref() {
                    let v = (key, *error);
                    match acc.ends.get_mut(id) {
                        Some(x) if x.0 <= key => {}
                        Some(x) => *x = v,
                        None => {
                            acc.ends.insert(id.into(), v);
                        }
                    }
                }
            }
            Action::TaskSent => {
                if let (Some(id), Some((from, _))) = (ev.id.as_deref(), node_of(ev)) {
                    let v = (key, Box::<str>::from(from));
                    match acc.senders.get_mut(id) {
                        Some(x) if x.0 <= key => {}
                        Some(x) => *x = v,
                        None => {
                            acc.senders.insert(id.into(), v);
                        }
                    }
                }
            }
            _ => {}
        }
        let Some((lane_id, _)) = node_of(ev) else {
            acc.unplaced += 1;
            return;
        };
        let arrow = match &ev.action {
            Action::TaskSent | Action::Message { .. } => {
                ev.target.as_deref().filter(|to| *to != lane_id).map(|to| {
                    let kind = if matches!(ev.action, Action::TaskSent) {
                        ArrowKind::Task
                    } else {
                        ArrowKind::Message
                    };
                    (kind, lane_id.into(), ArrowTo::Lane(to.into()), true)
                })
            }
            Action::TaskReplied { ok } => ev.parent_id.as_deref().map(|p| {
                (
                    ArrowKind::Reply,
                    lane_id.into(),
                    ArrowTo::SenderOf(p.into()),
                    *ok,
                )
            }),
            _ => None,
        };
        if let Some((kind, from, to, ok)) = arrow {
            acc.arrows.push(
                spread(key),
                key,
                ArrowAcc {
                    kind,
                    from,
                    to,
                    ok,
                    t,
                    loc: ev.loc,
                },
            );
        }
        let lane = acc.lane(lane_id);
        lane.events += 1;
        lane.first = Some(lane.first.map_or(t, |f| f.min(t)));
        lane.last = lane.last.max(Some(t));
        lane.density.add(t, 1);
        if let Action::Span { end: Some(e) } = ev.action {
            if e > t {
                lane.density.add(e, 0);
                lane.last = lane.last.max(Some(e));
            }
        }
        if let Some(sev) = ev.severity.filter(|s| *s >= Severity::Warning) {
            let rank = 3 - (sev as u64).min(3);
            lane.errors.push(
                (rank << 60) | (spread(key) >> 4),
                key,
                ErrorAcc {
                    severity: sev,
                    category: ev.category.as_deref().map(text),
                    message: text(&message_of(ev)),
                    t,
                    loc: ev.loc,
                },
            );
        }
        let point = match &ev.action {
            Action::ToolStarted { tool, subject, .. } => {
                lane.tools.push(
                    spread(key),
                    key,
                    ToolAcc {
                        tool: text(tool),
                        subject: subject.as_deref().map(text),
                        id: ev.id.as_deref().map(Into::into),
                        t,
                        loc: ev.loc,
                    },
                );
                None
            }
            Action::Prompt => Some(PointKind::Prompt),
            Action::Compaction { .. } => Some(PointKind::Compaction),
            Action::AgentSpawned { parent, .. } => {
                if lane.spawn.as_ref().is_none_or(|s| key < s.0) {
                    let parent = parent.as_deref().filter(|p| *p != lane_id).map(Into::into);
                    lane.spawn = Some((key, parent, ev.loc));
                }
                None
            }
            Action::AgentFinished { ok } => Some(PointKind::Finished { ok: *ok }),
            _ => None,
        };
        if let Some(kind) = point {
            lane.points.push(
                spread(key),
                key,
                PointAcc {
                    kind,
                    t,
                    loc: ev.loc,
                },
            );
        }
    }

    fn merge(&self, a: TimelineAcc, b: TimelineAcc) -> TimelineAcc {
        TimelineAcc {
            lanes: merge_maps(a.lanes, b.lanes, |x, y| *x = std::mem::take(x).merge(y)),
            arrows: a.arrows.merge(b.arrows),
            ends: merge_maps(a.ends, b.ends, |x, y| {
                if y.0 < x.0 {
                    *x = y;
                }
            }),
            senders: merge_maps(a.senders, b.senders, |x, y| {
                if y.0 < x.0 {
                    *x = y;
                }
            }),
            untimed: a.untimed + b.untimed,
            unplaced: a.unplaced + b.unplaced,
        }
    }
}

/// One tool call on a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// Start, UTC ns.
    pub start: Nanos,
    /// End (its result), UTC ns; `None` when no result was read.
    pub end: Option<Nanos>,
    /// Tool name (clipped to [`TEXT_CHARS`]).
    pub tool: String,
    /// Its main argument (command, path, pattern), clipped; as written, not masked.
    pub subject: Option<String>,
    /// The result reported an error.
    pub error: bool,
    /// `file:line` of the start.
    pub at: String,
}

/// One error-like record (warning or worse) on a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorMark {
    /// When, UTC ns.
    pub t: Nanos,
    /// Severity.
    pub severity: Severity,
    /// Category, when the record gives one.
    pub category: Option<String>,
    /// Message, clipped; as written, not masked.
    pub message: String,
    /// `file:line`.
    pub at: String,
}

/// An instant mark on a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// When, UTC ns.
    pub t: Nanos,
    /// What.
    pub kind: PointKind,
    /// `file:line`.
    pub at: String,
}

/// An arrow between two lanes (both ids are lanes of the timeline).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrow {
    /// When, UTC ns.
    pub t: Nanos,
    /// What.
    pub kind: ArrowKind,
    /// Source lane.
    pub from: String,
    /// Destination lane.
    pub to: String,
    /// False for an error reply.
    pub ok: bool,
    /// `file:line`.
    pub at: String,
}

/// One lane: a node of the delegation tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Node id (agent, else session), as in the `agents` report.
    pub id: String,
    /// Timed records on the lane.
    pub events: u64,
    /// First and last record, UTC ns.
    pub first: Nanos,
    /// Last record (or span end), UTC ns.
    pub last: Nanos,
    /// Activity spans `[start, end]`, UTC ns, in time order.
    pub spans: Vec<(Nanos, Nanos)>,
    /// Tool calls kept, by start.
    pub tools: Vec<ToolCall>,
    /// Tool calls in all.
    pub tools_total: u64,
    /// Errors kept (most severe first when sampling), by time.
    pub errors: Vec<ErrorMark>,
    /// Errors (warning or worse) in all.
    pub errors_total: u64,
    /// Instant marks kept, by time.
    pub points: Vec<Point>,
    /// Instant marks in all.
    pub points_total: u64,
    /// For the lane that folds the lanes beyond [`MAX_LANES`]: how many.
    pub folded: u64,
}

/// The timeline of the report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    /// Lanes, by first record then id (the renderer orders them as the tree).
    pub lanes: Vec<Lane>,
    /// Arrows kept, by time.
    pub arrows: Vec<Arrow>,
    /// Arrows in all (between lanes that exist, or whose end is unknown).
    pub arrows_total: u64,
    /// Arrows dropped because an end is not a lane (an agent only named as a target).
    pub arrows_unplaced: u64,
    /// Records without a time (counted, not drawn).
    pub untimed: u64,
    /// Timed records that belong to no lane.
    pub unplaced: u64,
    /// Marks (tool calls, errors, instant marks) in all, and how many are drawn.
    pub marks_total: u64,
    /// Marks drawn.
    pub marks_drawn: u64,
}

/// The largest per-lane cap `c` with `Σ min(n_i, c) ≤ budget`.
fn water_level(counts: &[usize], budget: usize) -> usize {
    let total: usize = counts.iter().sum();
    if total <= budget {
        return usize::MAX;
    }
    let (mut lo, mut hi) = (0usize, counts.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if counts.iter().map(|n| (*n).min(mid)).sum::<usize>() <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// Joins the spans across their shortest gaps until at most `cap` remain
/// (ties: the earlier gap first).
fn close_gaps(spans: &mut Vec<(Nanos, Nanos)>, cap: usize) {
    if spans.len() <= cap.max(1) {
        return;
    }
    let mut gaps: Vec<(i64, usize)> = spans
        .windows(2)
        .enumerate()
        .map(|(i, w)| (w[1].0.saturating_sub(w[0].1), i))
        .collect();
    gaps.sort_unstable();
    // Keep the `cap - 1` widest gaps open.
    let open: std::collections::BTreeSet<usize> = gaps
        .iter()
        .rev()
        .take(cap.max(1) - 1)
        .map(|g| g.1)
        .collect();
    let mut out: Vec<(Nanos, Nanos)> = Vec::with_capacity(cap);
    for (i, s) in spans.iter().enumerate() {
        match out.last_mut() {
            Some(p) if i > 0 && !open.contains(&(i - 1)) => p.1 = p.1.max(s.1),
            _ => out.push(*s),
        }
    }
    *spans = out;
}

fn finish_sample<T>(mut s: Sample<T>, cap: usize) -> Vec<(SortKey, T)> {
    s.compact(s.cap.min(cap));
    let mut v: Vec<(SortKey, T)> = s.items.into_iter().map(|(_, k, t)| (k, t)).collect();
    v.sort_by_key(|(k, _)| *k);
    v
}

impl TimelineAcc {
    /// The timeline: lanes (at most [`MAX_LANES`] plus one folded lane),
    /// marks within [`MAX_MARKS`], arrows whose both ends are lanes.
    pub fn finish(self, index: &LineIndex) -> Timeline {
        let TimelineAcc {
            lanes,
            arrows,
            ends,
            senders,
            untimed,
            unplaced,
        } = self;
        let mut lanes: Vec<(Box<str>, LaneAcc)> = lanes.into_iter().collect();
        // The busiest lanes are drawn; ties by id.
        lanes.sort_by(|a, b| b.1.events.cmp(&a.1.events).then_with(|| a.0.cmp(&b.0)));
        let folded: Vec<(Box<str>, LaneAcc)> = if lanes.len() > MAX_LANES {
            lanes.split_off(MAX_LANES)
        } else {
            Vec::new()
        };
        let counts: Vec<usize> = lanes
            .iter()
            .flat_map(|(_, l)| {
                [
                    l.tools.items.len(),
                    l.errors.items.len(),
                    l.points.items.len(),
                ]
            })
            .map(|n| n.min(MAX_TOOLS_PER_LANE))
            .collect();
        let cap = water_level(&counts, MAX_MARKS);
        let mut marks_total = 0u64;
        let mut marks_drawn = 0u64;
        let mut out: Vec<Lane> = Vec::with_capacity(lanes.len() + 1);
        // One spawn arrow per agent: (when, parent, agent, where).
        let mut spawns: Vec<(Nanos, Box<str>, Box<str>, Loc)> = Vec::new();
        for (id, l) in lanes {
            let (first, last) = (l.first.unwrap_or(0), l.last.unwrap_or(0));
            marks_total += l.tools.seen + l.errors.seen + l.points.seen;
            let (tools_total, errors_total, points_total) =
                (l.tools.seen, l.errors.seen, l.points.seen);
            let tools: Vec<ToolCall> = finish_sample(l.tools, cap)
                .into_iter()
                .map(|(_, c)| {
                    let end = c.id.as_deref().and_then(|i| ends.get(i));
                    ToolCall {
                        start: c.t,
                        end: end.map(|e| e.0 .0).filter(|e| *e >= c.t),
                        tool: c.tool.into(),
                        subject: c.subject.map(Into::into),
                        error: end.is_some_and(|e| e.1),
                        at: index.at(&c.loc),
                    }
                })
                .collect();
            let errors: Vec<ErrorMark> = finish_sample(l.errors, cap)
                .into_iter()
                .map(|(_, e)| ErrorMark {
                    t: e.t,
                    severity: e.severity,
                    category: e.category.map(Into::into),
                    message: e.message.into(),
                    at: index.at(&e.loc),
                })
                .collect();
            let mut points: Vec<Point> = finish_sample(l.points, cap)
                .into_iter()
                .map(|(_, p)| Point {
                    t: p.t,
                    kind: p.kind,
                    at: index.at(&p.loc),
                })
                .collect();
            let mut points_total = points_total;
            if let Some((key, parent, loc)) = l.spawn {
                marks_total += 1;
                points_total += 1;
                points.push(Point {
                    t: key.0,
                    kind: PointKind::Spawned,
                    at: index.at(&loc),
                });
                points.sort_by_key(|p| p.t);
                if let Some(p) = parent {
                    spawns.push((key.0, p, id.clone(), loc));
                }
            }
            marks_drawn += (tools.len() + errors.len() + points.len()) as u64;
            out.push(Lane {
                id: id.into(),
                events: l.events,
                first,
                last,
                spans: l.density.spans(first, last),
                tools,
                tools_total,
                errors,
                errors_total,
                points,
                points_total,
                folded: 0,
            });
        }
        if !folded.is_empty() {
            let n = folded.len() as u64;
            let mut all = LaneAcc::default();
            for (_, l) in folded {
                marks_total += l.tools.seen + l.errors.seen + l.points.seen;
                all = all.merge(LaneAcc {
                    tools: Sample::new(0),
                    errors: Sample::new(0),
                    points: Sample::new(0),
                    ..l
                });
            }
            let (first, last) = (all.first.unwrap_or(0), all.last.unwrap_or(0));
            out.push(Lane {
                id: format!("({n} more agents)"),
                events: all.events,
                first,
                last,
                spans: all.density.spans(first, last),
                tools: Vec::new(),
                tools_total: 0,
                errors: Vec::new(),
                errors_total: 0,
                points: Vec::new(),
                points_total: 0,
                folded: n,
            });
        }
        let counts: Vec<usize> = out.iter().map(|l| l.spans.len()).collect();
        let span_cap = water_level(&counts, MAX_SPANS);
        for l in &mut out {
            close_gaps(&mut l.spans, span_cap);
        }
        out.sort_by(|a, b| a.first.cmp(&b.first).then_with(|| a.id.cmp(&b.id)));
        let is_lane: std::collections::HashSet<&str> = out
            .iter()
            .filter(|l| l.folded == 0)
            .map(|l| l.id.as_str())
            .collect();
        let arrows_total = arrows.seen + spawns.len() as u64;
        let mut arrows_unplaced = 0u64;
        let mut kept = Vec::new();
        for (_, a) in finish_sample(arrows, MAX_ARROWS) {
            let to: Option<&str> = match &a.to {
                ArrowTo::Lane(l) => Some(l),
                ArrowTo::SenderOf(task) => senders.get(task).map(|s| &*s.1),
            };
            match to.filter(|to| is_lane.contains(to) && is_lane.contains(&*a.from)) {
                Some(to) if to != &*a.from => kept.push(Arrow {
                    t: a.t,
                    kind: a.kind,
                    from: a.from.to_string(),
                    to: to.to_string(),
                    ok: a.ok,
                    at: index.at(&a.loc),
                }),
                _ => arrows_unplaced += 1,
            }
        }
        for (t, from, to, loc) in spawns {
            if is_lane.contains(&*from) && is_lane.contains(&*to) {
                kept.push(Arrow {
                    t,
                    kind: ArrowKind::Spawn,
                    from: from.into(),
                    to: to.into(),
                    ok: true,
                    at: index.at(&loc),
                });
            } else {
                arrows_unplaced += 1;
            }
        }
        kept.sort_by(|a, b| (a.t, &a.from, &a.to, &a.at).cmp(&(b.t, &b.from, &b.to, &b.at)));
        Timeline {
            lanes: out,
            arrows: kept,
            arrows_total,
            arrows_unplaced,
            untimed,
            unplaced,
            marks_total,
            marks_drawn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_width_is_the_same_whatever_the_merge_order() {
        let times: Vec<i64> = (0..5_000)
            .map(|i| (i * 7_919 % 100_003) * 1_000_003)
            .collect();
        let mut one = Density::default();
        for t in &times {
            one.add(*t, 1);
        }
        let mut parts: Vec<Density> = times
            .chunks(333)
            .map(|c| {
                let mut d = Density::default();
                for t in c {
                    d.add(*t, 1);
                }
                d
            })
            .collect();
        let mut merged = parts.pop().unwrap_or_default();
        while let Some(p) = parts.pop() {
            merged = p.merge(merged);
        }
        assert_eq!(one.shift, merged.shift);
        assert!(one.buckets.len() <= DENSITY_BUCKETS);
        assert_eq!(one.buckets, merged.buckets);
    }

    #[test]
    fn samples_keep_the_same_items_whatever_the_merge_order() {
        let keys: Vec<SortKey> = (0..3_000u64).map(|i| (i as i64, 0, i, 0)).collect();
        let mut one = Sample::new(100);
        for k in &keys {
            one.push(spread(*k), *k, ());
        }
        let mut merged = Sample::new(100);
        for c in keys.chunks(77).rev() {
            let mut s = Sample::new(100);
            for k in c {
                s.push(spread(*k), *k, ());
            }
            merged = s.merge(merged);
        }
        let a: Vec<SortKey> = finish_sample(one, 100).into_iter().map(|x| x.0).collect();
        let b: Vec<SortKey> = finish_sample(merged, 100)
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 100);
        // Spread over the whole range, not the first hundred.
        assert!(a.last().is_some_and(|k| k.0 > 2_000), "{a:?}");
    }

    #[test]
    fn closing_gaps_keeps_the_widest_open() {
        let mut s = vec![(0, 1), (3, 4), (100, 101), (102, 103), (500, 501)];
        close_gaps(&mut s, 3);
        assert_eq!(s, vec![(0, 4), (100, 103), (500, 501)]);
        let mut one = s.clone();
        close_gaps(&mut one, 1);
        assert_eq!(one, vec![(0, 501)]);
        close_gaps(&mut s, 10);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn water_level_caps_the_largest_lanes_first() {
        assert_eq!(water_level(&[10, 20], 100), usize::MAX);
        assert_eq!(water_level(&[10, 200, 300], 110), 50);
        assert_eq!(water_level(&[0, 0], 0), usize::MAX);
    }

    fn ev<'a>(t: i64, offset: u64, agent: &'a str, action: Action<'a>) -> Event<'a> {
        let loc = Loc {
            offset,
            ..Loc::default()
        };
        let mut e = Event::bare(t, loc, crate::model::Format::Pipe, b"x");
        e.agent = Some(agent.into());
        e.action = action;
        e
    }

    #[test]
    fn repeated_starts_give_one_spawn_and_tool_ends_are_matched() {
        use crate::model::AgentKind;
        let q = TimelineQuery::default();
        let spawn = |t, o| {
            ev(
                t,
                o,
                "child",
                Action::AgentSpawned {
                    kind: AgentKind::Worker,
                    parent: Some("lead".into()),
                    role: None,
                    via: None,
                },
            )
        };
        let mut start = ev(
            30,
            4,
            "child",
            Action::ToolStarted {
                tool: "Bash".into(),
                subject: Some("ls".into()),
                input: None,
            },
        );
        start.id = Some("t1".into());
        let mut end = ev(
            90,
            5,
            "child",
            Action::ToolEnded {
                tool: None,
                error: true,
                input: None,
                output: None,
            },
        );
        end.id = Some("t1".into());
        let events = [
            ev(5, 0, "lead", Action::Other),
            spawn(20, 2),
            spawn(10, 1),
            spawn(40, 3),
            start,
            end,
        ];
        // Any split into two accumulators, merged in order, gives the same timeline.
        let mut seen: Option<Timeline> = None;
        for cut in 0..=events.len() {
            let mut a = q.new_acc();
            let mut b = q.new_acc();
            for e in &events[..cut] {
                q.observe(&mut a, e);
            }
            for e in &events[cut..] {
                q.observe(&mut b, e);
            }
            let tl = q.merge(a, b).finish(&LineIndex::default());
            if let Some(s) = &seen {
                assert_eq!(s, &tl, "cut at {cut}");
            }
            seen = Some(tl);
        }
        let tl = seen.expect("a timeline");
        assert_eq!(tl.arrows.len(), 1);
        assert_eq!((tl.arrows[0].t, &*tl.arrows[0].from), (10, "lead"));
        let child = tl.lanes.iter().find(|l| l.id == "child").expect("a lane");
        assert_eq!(child.points.len(), 1);
        assert_eq!(child.points[0].t, 10);
        assert_eq!(child.tools.len(), 1);
        assert_eq!(child.tools[0].end, Some(90));
        assert!(child.tools[0].error);
    }

    #[test]
    fn idle_gaps_split_activity_spans() {
        let mut d = Density::default();
        let s = 1_000_000_000i64;
        for t in [0, 10 * s, 20 * s, 3_600 * s, 3_601 * s] {
            d.add(t, 1);
        }
        let spans = d.spans(0, 3_601 * s);
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert_eq!(spans[0].0, 0);
        assert_eq!(spans[1].1, 3_601 * s);
    }
}
