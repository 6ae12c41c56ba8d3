//! `errors`: every error-like event across formats (see [`crate::model::Severity`]
//! for the mapping), filtered, newest first, or grouped with `--by`.

use super::{mask_message, Keep, Kept, Window};
use crate::format::{ErrorNeed, Needs};
use crate::model::{sort_key, Event, Nanos, Record, Severity, SortKey};
use crate::scan::Analysis;
use regex::Regex;
use rustc_hash::FxHashMap as HashMap;
use schemars::JsonSchema;
use serde::Serialize;

/// What `--by` groups on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The emitting agent.
    Agent,
    /// The error category.
    Category,
    /// The message with numbers and ids masked, so repeats group.
    Message,
}

/// The typed `errors` query.
#[derive(Debug, Clone)]
pub struct ErrorsQuery {
    /// Keep only these severities (empty: all).
    pub severities: Vec<Severity>,
    /// Exact agent name (case-insensitive).
    pub agent: Option<String>,
    /// Exact category (case-insensitive).
    pub category: Option<String>,
    /// Regex over the message and summary.
    pub grep: Option<Regex>,
    /// Time window.
    pub window: Window,
    /// Most events to list.
    pub limit: usize,
    /// Group instead of listing.
    pub by: Option<GroupBy>,
}

/// One group of `errors --by`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErrorGroup {
    /// The agent, category or masked message.
    pub key: String,
    /// Events in the group.
    pub count: u64,
    /// Most severe severity seen.
    pub max_severity: Severity,
    /// First and last time seen (RFC 3339 UTC).
    pub first_seen: Option<String>,
    /// See `first_seen`.
    pub last_seen: Option<String>,
    /// One original message of the group.
    pub example: String,
}

/// The `errors` report (`data` of the JSON envelope).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorsReport {
    /// Error-like events that matched the query (before `--limit`).
    pub total: u64,
    /// Matches per severity.
    pub by_severity: SeverityCounts,
    /// The newest `limit` matches, newest first (empty with `--by`).
    pub errors: Vec<Record>,
    /// Groups, largest first (only with `--by`).
    pub groups: Vec<ErrorGroup>,
    /// What `--by` grouped on.
    pub group_by: Option<GroupBy>,
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: u64,
    /// Error.
    pub error: u64,
    /// Warning.
    pub warning: u64,
    /// Info.
    pub info: u64,
}

impl SeverityCounts {
    /// Adds one of `s`.
    pub fn add(&mut self, s: Severity, n: u64) {
        match s {
            Severity::Critical => self.critical += n,
            Severity::Error => self.error += n,
            Severity::Warning => self.warning += n,
            Severity::Info => self.info += n,
        }
    }
    /// Sums two counts.
    pub fn merge(mut self, o: SeverityCounts) -> SeverityCounts {
        self.critical += o.critical;
        self.error += o.error;
        self.warning += o.warning;
        self.info += o.info;
        self
    }
    /// Count of `s`.
    pub fn get(&self, s: Severity) -> u64 {
        match s {
            Severity::Critical => self.critical,
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

/// A group being accumulated.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct GroupAcc {
    /// Events.
    pub count: u64,
    /// Worst severity.
    pub max: Severity,
    /// Earliest time.
    pub first: Option<Nanos>,
    /// Latest time.
    pub last: Option<Nanos>,
    /// Example text and its sort key (the earliest example wins, for determinism).
    pub example: (String, SortKey),
}

impl GroupAcc {
    fn new(ev: &Event<'_>, sev: Severity, example: String) -> GroupAcc {
        GroupAcc {
            count: 1,
            max: sev,
            first: ev.ts,
            last: ev.ts,
            example: (example, key(ev)),
        }
    }
    /// Combines two groups of the same key.
    pub fn merge(mut self, o: GroupAcc) -> GroupAcc {
        self.count += o.count;
        self.max = self.max.max(o.max);
        self.first = min_opt(self.first, o.first);
        self.last = self.last.max(o.last);
        if o.example.1 < self.example.1 {
            self.example = o.example;
        }
        self
    }
}

fn min_opt(a: Option<Nanos>, b: Option<Nanos>) -> Option<Nanos> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Sort key of an event (see [`SortKey`]).
pub fn key(ev: &Event<'_>) -> SortKey {
    sort_key(ev.ts, &ev.loc)
}

/// Adds an event to a keyed group map.
pub fn add_to_group(
    groups: &mut HashMap<String, GroupAcc>,
    k: &str,
    ev: &Event<'_>,
    sev: Severity,
) {
    if let Some(g) = groups.get_mut(k) {
        g.count += 1;
        g.max = g.max.max(sev);
        g.first = min_opt(g.first, ev.ts);
        g.last = g.last.max(ev.ts);
        if key(ev) < g.example.1 {
            g.example = (message_of(ev), key(ev));
        }
    } else {
        groups.insert(k.to_string(), GroupAcc::new(ev, sev, message_of(ev)));
    }
}

/// Merges two group maps, the smaller into the larger: a merge costs what
/// the smaller holds, never what has been accumulated (either side may be the
/// larger: a scan merges runs of chunks as a tree). [`GroupAcc::merge`] is
/// symmetric, so which is which does not change the result.
pub fn merge_groups(
    mut a: HashMap<String, GroupAcc>,
    mut b: HashMap<String, GroupAcc>,
) -> HashMap<String, GroupAcc> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (k, g) in b {
        match a.remove(&k) {
            Some(x) => {
                a.insert(k, x.merge(g));
            }
            None => {
                a.insert(k, g);
            }
        }
    }
    a
}

/// Turns a group map into sorted groups (count desc, then key), at most `limit`.
pub fn finish_groups(groups: HashMap<String, GroupAcc>, limit: usize) -> Vec<ErrorGroup> {
    let mut v: Vec<ErrorGroup> = groups
        .into_iter()
        .map(|(key, g)| ErrorGroup {
            key,
            count: g.count,
            max_severity: g.max,
            first_seen: g.first.map(crate::model::time::format_rfc3339),
            last_seen: g.last.map(crate::model::time::format_rfc3339),
            example: g.example.0,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v.truncate(limit);
    v
}

/// The event's error text: its message, else `kind/status`.
pub fn message_of(ev: &Event<'_>) -> String {
    match &ev.message {
        Some(m) => m.to_string(),
        None => format!("{}/{}", ev.kind, ev.status),
    }
}

/// The `errors` accumulator.
#[derive(serde::Serialize, serde::Deserialize, Clone)]
pub struct ErrorsAcc {
    total: u64,
    by_severity: SeverityCounts,
    kept: Kept,
    groups: HashMap<String, GroupAcc>,
}

impl ErrorsQuery {
    /// True when an error-like event passes every filter.
    pub fn matches(&self, ev: &Event<'_>, sev: Severity) -> bool {
        if !self.severities.is_empty() && !self.severities.contains(&sev) {
            return false;
        }
        if !self.window.contains(ev.ts) {
            return false;
        }
        if let Some(a) = &self.agent {
            if !ev
                .agent
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(a))
            {
                return false;
            }
        }
        if let Some(c) = &self.category {
            if !ev
                .category
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(c))
            {
                return false;
            }
        }
        if let Some(re) = &self.grep {
            let hit = ev.message.as_deref().is_some_and(|m| re.is_match(m))
                || re.is_match(&ev.kind)
                || re.is_match(&ev.status);
            if !hit {
                return false;
            }
        }
        true
    }
}

impl Analysis for ErrorsQuery {
    type Acc = ErrorsAcc;

    fn new_acc(&self) -> ErrorsAcc {
        ErrorsAcc {
            total: 0,
            by_severity: SeverityCounts::default(),
            kept: Kept::new(if self.by.is_some() { 0 } else { self.limit }, Keep::Newest),
            groups: HashMap::default(),
        }
    }

    fn observe(&self, acc: &mut ErrorsAcc, ev: &Event<'_>) {
        let Some(sev) = ev.severity else {
            return;
        };
        if !self.matches(ev, sev) {
            return;
        }
        acc.total += 1;
        acc.by_severity.add(sev, 1);
        match self.by {
            None => {
                if acc.kept.wants(key(ev)) {
                    acc.kept.push(ev);
                }
            }
            Some(by) => {
                let k = match by {
                    GroupBy::Agent => ev.agent.as_deref().unwrap_or("(none)").to_string(),
                    GroupBy::Category => ev.category.as_deref().unwrap_or("(none)").to_string(),
                    GroupBy::Message => mask_message(&message_of(ev)),
                };
                add_to_group(&mut acc.groups, &k, ev, sev);
            }
        }
    }

    fn merge(&self, a: ErrorsAcc, b: ErrorsAcc) -> ErrorsAcc {
        ErrorsAcc {
            total: a.total + b.total,
            by_severity: a.by_severity.merge(b.by_severity),
            kept: a.kept.merge(b.kept),
            groups: merge_groups(a.groups, b.groups),
        }
    }

    /// Only error-like events: each reader skips records that cannot be one
    /// (see the `prefilter` of each format's reader).
    fn needs(&self) -> Needs {
        Needs {
            errors: Some(if self.severities == [Severity::Critical] {
                ErrorNeed::CriticalOnly
            } else {
                ErrorNeed::Any
            }),
            ..Needs::default()
        }
    }
}

impl ErrorsAcc {
    /// The report.
    pub fn finish(self, q: &ErrorsQuery, index: &crate::scan::LineIndex) -> ErrorsReport {
        let errors = self.kept.finish(index);
        ErrorsReport {
            total: self.total,
            by_severity: self.by_severity,
            errors,
            groups: finish_groups(self.groups, if q.by.is_some() { q.limit } else { 0 }),
            group_by: q.by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Format, Loc};

    /// Groups of the events `range` (five message kinds), read at `base` bytes on.
    fn groups(range: std::ops::Range<u64>, base: u64) -> HashMap<String, GroupAcc> {
        let mut m = HashMap::default();
        for i in range {
            let loc = Loc {
                offset: base + i,
                ..Loc::default()
            };
            let ev = Event::bare((i * 7 % 13) as i64, loc, Format::Diff, b"{}");
            let sev = [Severity::Info, Severity::Error, Severity::Critical][(i % 3) as usize];
            add_to_group(&mut m, &format!("g{}", i % 5), &ev, sev);
        }
        m
    }

    #[test]
    fn group_maps_merge_the_same_whichever_side_is_larger() {
        let (small, large) = (groups(0..3, 0), groups(0..40, 1000));
        assert!(small.len() < large.len());
        let earlier_small = finish_groups(merge_groups(small.clone(), large.clone()), 10);
        let earlier_large = finish_groups(merge_groups(large, small), 10);
        assert_eq!(earlier_small, earlier_large);
        // Every event counted once: 3 + 40 events in five groups.
        assert_eq!(earlier_small.len(), 5);
        assert_eq!(earlier_small.iter().map(|g| g.count).sum::<u64>(), 43);
        let g0 = earlier_small.iter().find(|g| g.key == "g0").expect("g0");
        assert_eq!(g0.count, 1 + 8);
        assert_eq!(g0.max_severity, Severity::Critical);
    }
}
