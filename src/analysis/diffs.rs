//! `diffs`: every change or event, optionally of one entity/event type, newest first;
//! with `--unfinished`, only the tool calls that started and never got a result.

use super::{Keep, Kept, Window};
use crate::format::{ActionSet, Needs};
use crate::model::{Action, Event, Record};
use crate::scan::{Analysis, LineIndex};
use rustc_hash::FxHashSet as HashSet;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// Only the starts of these tool calls (tool-use ids), from [`UnfinishedTools`].
    pub tool_ids: Option<Arc<HashSet<Box<str>>>>,
}

/// The first pass of `diffs --unfinished`: tool calls (by tool-use id) that
/// started and never ended anywhere in the data (the rule of diagnose's
/// "never got a result" finding).
pub struct UnfinishedTools;

/// Tool-use ids started, and ended.
#[derive(Default)]
pub struct ToolIds {
    started: HashSet<Box<str>>,
    ended: HashSet<Box<str>>,
}

impl ToolIds {
    /// The ids started and never ended.
    pub fn unfinished(self) -> HashSet<Box<str>> {
        let ended = self.ended;
        self.started
            .into_iter()
            .filter(|id| !ended.contains(id))
            .collect()
    }
}

impl Analysis for UnfinishedTools {
    fn pass_before_another(&self) -> bool {
        true
    }
    type Acc = ToolIds;
    fn new_acc(&self) -> ToolIds {
        ToolIds::default()
    }
    fn observe(&self, acc: &mut ToolIds, ev: &Event<'_>) {
        let Some(id) = ev.id.as_deref() else { return };
        match ev.action {
            Action::ToolStarted { .. } if !acc.started.contains(id) => {
                acc.started.insert(id.into());
            }
            Action::ToolEnded { .. } if !acc.ended.contains(id) => {
                acc.ended.insert(id.into());
            }
            _ => {}
        }
    }
    fn merge(&self, mut a: ToolIds, mut b: ToolIds) -> ToolIds {
        for (x, y) in [
            (&mut a.started, &mut b.started),
            (&mut a.ended, &mut b.ended),
        ] {
            if x.len() < y.len() {
                std::mem::swap(x, y);
            }
            x.extend(y.drain());
        }
        a
    }
    fn needs(&self) -> Needs {
        Needs {
            actions: ActionSet::TOOLS,
            ..Needs::default()
        }
    }
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
#[derive(serde::Serialize, serde::Deserialize)]
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
        if let Some(ids) = &self.tool_ids {
            let started = matches!(ev.action, Action::ToolStarted { .. });
            if !started || !ev.id.as_deref().is_some_and(|id| ids.contains(id)) {
                return;
            }
        }
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
        if self.tool_ids.is_some() {
            return Needs {
                actions: ActionSet::TOOLS,
                kind: self.entity_type.clone(),
                ..Needs::default()
            };
        }
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
