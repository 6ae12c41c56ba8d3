//! Token usage with one API response counted once, attributed to its session,
//! agent and model.
//!
//! Usage events that carry a deduplication key (a transcript's `message.id` +
//! `requestId`) are merged per key with each counter's largest value
//! (claude-code.md §1: the lines of one streamed response repeat its usage, the
//! early ones with partial output counts; subagent and fork files can replay a
//! parent's message); the response is attributed to where it was first seen
//! (smallest sort key). Events without a key are summed per attribution.
//! Merging inserts the smaller map into the larger, so merge cost follows what
//! is merged.

use crate::model::{sort_key, Action, Event, Format, SortKey, Tokens};
use rustc_hash::FxHashMap as HashMap;

/// Where a response is counted.
#[derive(
    serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub struct Attribution {
    /// Session (team, trace) of the event.
    pub session: Option<Box<str>>,
    /// Agent of the event.
    pub agent: Option<Box<str>>,
    /// Model id as written.
    pub model: Option<Box<str>>,
    /// UTC day of the (first) record, days since 1970-01-01.
    pub day: Option<i64>,
    /// Input index of the (first) record.
    pub file: u32,
    /// The format the usage was read from (to count a run seen by two sources once).
    pub source: Format,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct Response {
    tokens: Tokens,
    cost_usd: Option<f64>,
    first: SortKey,
    attr: Attribution,
}

/// Sums of one attribution.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageSum {
    /// Tokens by kind.
    pub tokens: Tokens,
    /// Responses (distinct keys) plus unkeyed usage events.
    pub responses: u64,
    /// Cost written by the sources, USD (not priced by us); `None` when no
    /// source gave one.
    pub cost_usd: Option<f64>,
}

/// Sums two costs in USD, saturating at `f64::MAX` (two logged costs of 1e308
/// would make infinity, which JSON cannot hold). Parsers never yield a negative
/// or non-finite cost, so the sum only grows. A saturated total is reported as
/// such by [`saturated_usd`].
pub fn add_usd(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(match x + y {
            s if s.is_finite() => s,
            _ => f64::MAX,
        }),
        (x, y) => x.or(y),
    }
}

/// Rounds USD to micro-dollars for output; a value too large to scale (a
/// saturated total) is kept as it is, so the output never holds infinity.
pub fn round_usd(c: f64) -> f64 {
    match (c * 1e6).round() / 1e6 {
        r if r.is_finite() => r,
        _ => c,
    }
}

/// True when a cost total reached `f64::MAX` and stopped there.
pub fn saturated_usd(c: Option<f64>) -> bool {
    c == Some(f64::MAX)
}

/// True when a token total reached `u64::MAX` and stopped there.
pub fn saturated_tokens(t: u64) -> bool {
    t == u64::MAX
}

impl UsageSum {
    fn add(&mut self, t: &Tokens, cost: Option<f64>, n: u64) {
        self.tokens = self.tokens.add(t);
        self.responses = self.responses.saturating_add(n);
        self.cost_usd = add_usd(self.cost_usd, cost);
    }
}

/// The usage accumulator.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
pub struct UsageAcc {
    keyed: HashMap<Box<str>, Response>,
    unkeyed: HashMap<Attribution, UsageSum>,
}

fn own(c: &Option<std::borrow::Cow<'_, str>>) -> Option<Box<str>> {
    c.as_deref().map(Into::into)
}

fn max_cost(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

impl UsageAcc {
    /// Adds a usage event (other events are ignored).
    pub fn observe(&mut self, ev: &Event<'_>) {
        let Action::Usage {
            tokens,
            cost_usd,
            key,
            model,
        } = &ev.action
        else {
            return;
        };
        let attr = || Attribution {
            session: own(&ev.session),
            agent: own(&ev.agent),
            model: own(model),
            day: ev.ts.map(crate::pricing::day_of),
            file: ev.loc.file,
            source: ev.format,
        };
        match key {
            Some(k) => {
                let first = sort_key(ev.ts, &ev.loc);
                match self.keyed.get_mut(&**k) {
                    Some(r) => {
                        r.tokens = r.tokens.max(tokens);
                        r.cost_usd = max_cost(r.cost_usd, *cost_usd);
                        if first < r.first {
                            r.first = first;
                            r.attr = attr();
                        }
                    }
                    None => {
                        self.keyed.insert(
                            (**k).into(),
                            Response {
                                tokens: *tokens,
                                cost_usd: *cost_usd,
                                first,
                                attr: attr(),
                            },
                        );
                    }
                }
            }
            None => self
                .unkeyed
                .entry(attr())
                .or_default()
                .add(tokens, *cost_usd, 1),
        }
    }

    /// Combines two accumulators (any order gives the same totals).
    pub fn merge(mut self, mut o: UsageAcc) -> UsageAcc {
        if self.keyed.len() < o.keyed.len() {
            std::mem::swap(&mut self.keyed, &mut o.keyed);
        }
        for (k, r) in o.keyed {
            match self.keyed.get_mut(&k) {
                Some(x) => {
                    x.tokens = x.tokens.max(&r.tokens);
                    x.cost_usd = max_cost(x.cost_usd, r.cost_usd);
                    if r.first < x.first {
                        x.first = r.first;
                        x.attr = r.attr;
                    }
                }
                None => {
                    self.keyed.insert(k, r);
                }
            }
        }
        if self.unkeyed.len() < o.unkeyed.len() {
            std::mem::swap(&mut self.unkeyed, &mut o.unkeyed);
        }
        for (a, s) in o.unkeyed {
            let e = self.unkeyed.entry(a).or_default();
            e.add(&s.tokens, s.cost_usd, s.responses);
        }
        self
    }

    /// Every part: each keyed response alone, each unkeyed attribution's sum.
    /// Order: keyed responses by key, then unkeyed sums by attribution.
    pub fn parts(&self) -> Vec<(&Attribution, UsageSum)> {
        let mut keyed: Vec<(&Box<str>, &Response)> = self.keyed.iter().collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<(&Attribution, UsageSum)> = keyed
            .into_iter()
            .map(|(_, r)| {
                let mut s = UsageSum::default();
                s.add(&r.tokens, r.cost_usd, 1);
                (&r.attr, s)
            })
            .collect();
        let mut unkeyed: Vec<(&Attribution, &UsageSum)> = self.unkeyed.iter().collect();
        unkeyed.sort_by(|a, b| a.0.cmp(b.0));
        out.extend(unkeyed.into_iter().map(|(a, s)| (a, *s)));
        out
    }

    /// Totals grouped by `group` of each attribution, sorted by group. Sums are
    /// taken in a fixed order (by key), so floating-point totals do not depend
    /// on chunking or thread count.
    pub fn by<K: Ord + Clone>(&self, group: impl Fn(&Attribution) -> K) -> Vec<(K, UsageSum)> {
        let mut parts: Vec<(K, &str, UsageSum)> = Vec::new();
        for (k, r) in &self.keyed {
            let mut s = UsageSum::default();
            s.add(&r.tokens, r.cost_usd, 1);
            parts.push((group(&r.attr), k, s));
        }
        let mut unkeyed: Vec<(&Attribution, &UsageSum)> = self.unkeyed.iter().collect();
        unkeyed.sort_by(|a, b| a.0.cmp(b.0));
        for (a, s) in unkeyed {
            parts.push((group(a), "", *s));
        }
        parts.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let mut out: Vec<(K, UsageSum)> = Vec::new();
        for (g, _, s) in parts {
            match out.last_mut() {
                Some((lg, ls)) if *lg == g => ls.add(&s.tokens, s.cost_usd, s.responses),
                _ => out.push((g, s)),
            }
        }
        out
    }

    /// Totals over everything.
    pub fn total(&self) -> UsageSum {
        self.by(|_| ()).pop().map(|x| x.1).unwrap_or_default()
    }
}
