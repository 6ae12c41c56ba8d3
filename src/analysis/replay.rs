//! `replay`: a chronological timeline merged across all inputs, and `--at`, the
//! state at one instant (the last snapshot at or before it plus every change
//! after the snapshot up to the instant).

use super::{Keep, Kept, Window};

use crate::model::{time::format_rfc3339, Action, Event, Loc, Nanos, Record, SnapshotCounts};
use crate::scan::{Analysis, LineIndex};
use schemars::JsonSchema;
use serde::Serialize;

/// The typed `replay` query.
#[derive(Debug, Clone)]
pub struct ReplayQuery {
    /// The timeline's window (already resolved against the data's last event).
    pub window: Window,
    /// Most events to list (oldest first).
    pub limit: usize,
    /// `--at`: reconstruct the state at this instant instead.
    pub at: Option<Nanos>,
}

/// The snapshot a `--at` reconstruction starts from.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRef {
    /// Snapshot time (RFC 3339 UTC).
    pub time: String,
    /// `file:line` of the snapshot.
    pub at: String,
    /// Its counts.
    pub counts: SnapshotCounts,
}

/// The `replay` report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayReport {
    /// Window start (RFC 3339 UTC), if bounded.
    pub from: Option<String>,
    /// Window end (RFC 3339 UTC), if bounded.
    pub to: Option<String>,
    /// Events in the window (before `--limit`).
    pub total: u64,
    /// Of `total`, records without a time (kept whatever the window; listed last, in input order).
    pub untimed: u64,
    /// With `--at`: the snapshot the state starts from (null if none precedes it).
    pub snapshot: Option<SnapshotRef>,
    /// The timeline, oldest first, ties in input order.
    pub events: Vec<Record>,
}

/// The `replay` accumulator.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ReplayAcc {
    total: u64,
    untimed: u64,
    /// `--at`: times of every change at or before the instant (the total after the
    /// snapshot is only known once the snapshot is).
    times: Vec<Nanos>,
    kept: Kept,
    /// Best snapshot so far for `--at`: (time, location, raw counts).
    snapshot: Option<(Nanos, Loc, SnapshotCounts)>,
}

impl ReplayQuery {
    fn in_scope(&self, ev: &Event<'_>) -> bool {
        match self.at {
            Some(at) => !matches!(ev.action, Action::Snapshot(_)) && ev.ts.is_some_and(|t| t <= at),
            None => self.window.contains(ev.ts),
        }
    }
}

impl Analysis for ReplayQuery {
    type Acc = ReplayAcc;
    fn new_acc(&self) -> ReplayAcc {
        ReplayAcc {
            total: 0,
            untimed: 0,
            times: Vec::new(),
            // The newest events of the window (the incident is usually at the
            // end; with --at, the changes closest to the instant), printed oldest first.
            kept: Kept::new(self.limit, Keep::Newest),
            snapshot: None,
        }
    }
    fn observe(&self, acc: &mut ReplayAcc, ev: &Event<'_>) {
        if let (Some(at), Action::Snapshot(counts), Some(t)) = (self.at, &ev.action, ev.ts) {
            if t <= at
                && acc
                    .snapshot
                    .as_ref()
                    .is_none_or(|s| (t, ev.loc.file, ev.loc.offset) > (s.0, s.1.file, s.1.offset))
            {
                acc.snapshot = Some((t, ev.loc, counts.clone()));
            }
            return;
        }
        if !self.in_scope(ev) {
            return;
        }
        acc.total += 1;
        acc.untimed += u64::from(ev.ts.is_none());
        if let (Some(_), Some(t)) = (self.at, ev.ts) {
            acc.times.push(t);
        }
        if acc.kept.wants(super::errors::key(ev)) {
            acc.kept.push(ev);
        }
    }
    fn merge(&self, a: ReplayAcc, b: ReplayAcc) -> ReplayAcc {
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
        let mut times = a.times;
        times.extend(b.times);
        ReplayAcc {
            total: a.total + b.total,
            untimed: a.untimed + b.untimed,
            times,
            kept: a.kept.merge(b.kept),
            snapshot,
        }
    }
}

impl ReplayAcc {
    /// The report: the timeline oldest first.
    pub fn finish(self, q: &ReplayQuery, index: &LineIndex) -> ReplayReport {
        let mut events = self.kept.finish(index);
        let mut total = self.total;
        let (from, to) = match q.at {
            Some(at) => {
                let since = self.snapshot.as_ref().map(|s| s.0);
                events.retain(|r| since.is_none_or(|s| r.ts.is_some_and(|t| t > s)));
                total = self
                    .times
                    .iter()
                    .filter(|t| since.is_none_or(|s| **t > s))
                    .count() as u64;
                (since, Some(at))
            }
            None => (q.window.after, q.window.before),
        };
        events.sort_by_key(Record::key);
        ReplayReport {
            from: from.map(format_rfc3339),
            to: to.map(format_rfc3339),
            total,
            untimed: if q.at.is_some() { 0 } else { self.untimed },
            snapshot: self.snapshot.map(|(t, loc, counts)| SnapshotRef {
                time: format_rfc3339(t),
                at: index.at(&loc),
                counts,
            }),
            events,
        }
    }
}
