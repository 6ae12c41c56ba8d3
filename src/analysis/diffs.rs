//! `diffs`: every change or event, optionally of one entity/event type, newest first.

use super::{Keep, Kept, Window};
use crate::format::Needs;
use crate::model::{Event, Record};
use crate::scan::{Analysis, LineIndex};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The typed `diffs` query.
#[derive(Debug, Clone)]
pub struct DiffsQuery {
    /// Keep only events of this kind (time-machine `entity_type`, pipe `event_type`,
    /// hook `event_type`) or status (message type, pipe status, hook event), exactly.
    pub entity_type: Option<String>,
    /// Time window.
    pub window: Window,
    /// Most events to list.
    pub limit: usize,
}

/// The `diffs` report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffsReport {
    /// Events that matched (before `--limit`).
    pub total: u64,
    /// Matches per kind, sorted by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// The newest `limit` matches, newest first.
    pub diffs: Vec<Record>,
}

/// The `diffs` accumulator.
pub struct DiffsAcc {
    total: u64,
    by_kind: BTreeMap<String, u64>,
    kept: Kept,
}

impl Analysis for DiffsQuery {
    type Acc = DiffsAcc;
    fn new_acc(&self) -> DiffsAcc {
        DiffsAcc {
            total: 0,
            by_kind: BTreeMap::new(),
            kept: Kept::new(self.limit, Keep::Newest),
        }
    }
    fn observe(&self, acc: &mut DiffsAcc, ev: &Event<'_>) {
        if let Some(t) = &self.entity_type {
            if ev.kind != t.as_str() && ev.status != t.as_str() {
                return;
            }
        }
        if !self.window.contains(ev.ts) {
            return;
        }
        acc.total += 1;
        match acc.by_kind.get_mut(&*ev.kind) {
            Some(n) => *n += 1,
            None => {
                acc.by_kind.insert(ev.kind.to_string(), 1);
            }
        }
        if acc.kept.wants(super::errors::key(ev)) {
            acc.kept.push(ev);
        }
    }
    fn merge(&self, a: DiffsAcc, mut b: DiffsAcc) -> DiffsAcc {
        let mut by_kind = a.by_kind;
        for (k, n) in std::mem::take(&mut b.by_kind) {
            *by_kind.entry(k).or_default() += n;
        }
        DiffsAcc {
            total: a.total + b.total,
            by_kind,
            kept: a.kept.merge(b.kept),
        }
    }
    /// With `-e TYPE`, only events of that kind or status.
    fn needs(&self) -> Needs {
        match &self.entity_type {
            Some(t) => Needs {
                kind: Some(t.clone()),
                ..Needs::default()
            },
            None => Needs::everything(),
        }
    }
}

impl DiffsAcc {
    /// The report.
    pub fn finish(self, index: &LineIndex) -> DiffsReport {
        let diffs = self.kept.finish(index);
        DiffsReport {
            total: self.total,
            by_kind: self.by_kind,
            diffs,
        }
    }
}
