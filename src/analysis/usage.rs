//! Token usage with one API response counted once, attributed to its session,
//! agent and model.
//!
//! Usage events that carry a deduplication key (a transcript's `message.id` +
//! `requestId`) are merged per key with each counter's largest value
//! (claude-code.md §1: the lines of one streamed response repeat its usage, the
//! early ones with partial output counts; subagent and fork files can replay a
//! parent's message); the response is attributed to where it was first seen
//! (smallest sort key). Events without a key are summed per attribution.
//! Merging appends one run's responses to the other's and folds repeated keys
//! once, at the end, so merge cost follows what is merged.

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
    /// Keyed responses observed by this accumulator: each key appears once.
    keyed: Vec<(Box<str>, Response)>,
    /// The `keyed` lists of the accumulators merged into this one, moved
    /// whole: a merge moves a list of lists and copies no response, so its
    /// cost never grows with what has been accumulated. A key seen by two of
    /// them appears twice, folded by [`UsageAcc::folded`].
    merged: Vec<Vec<(Box<str>, Response)>>,
    /// Hash of a key → its entry in `keyed`; rebuilt when an observe finds it
    /// empty (it is never written to a partial).
    #[serde(skip)]
    index: HashMap<u64, usize>,
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

fn key_hash(k: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(k)
}

impl Response {
    /// `o`, the same response seen again: each counter's largest value, the
    /// attribution of the first record.
    fn fold(&mut self, o: &Response) {
        self.tokens = self.tokens.max(&o.tokens);
        self.cost_usd = max_cost(self.cost_usd, o.cost_usd);
        if o.first < self.first {
            self.first = o.first;
            self.attr = o.attr.clone();
        }
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
        let Some(k) = key else {
            self.unkeyed
                .entry(attr())
                .or_default()
                .add(tokens, *cost_usd, 1);
            return;
        };
        if self.index.is_empty() && !self.keyed.is_empty() {
            self.reindex();
        }
        let first = sort_key(ev.ts, &ev.loc);
        let h = key_hash(k);
        match self.index.get(&h).copied() {
            Some(i) if *self.keyed[i].0 == **k => {
                let r = &mut self.keyed[i].1;
                r.tokens = r.tokens.max(tokens);
                r.cost_usd = max_cost(r.cost_usd, *cost_usd);
                if first < r.first {
                    r.first = first;
                    r.attr = attr();
                }
            }
            // A new key, or another key with the same hash (kept apart; folded
            // by key at the end).
            hit => {
                if hit.is_none() {
                    self.index.insert(h, self.keyed.len());
                }
                let r = Response {
                    tokens: *tokens,
                    cost_usd: *cost_usd,
                    first,
                    attr: attr(),
                };
                self.keyed.push(((**k).into(), r));
            }
        }
    }

    fn reindex(&mut self) {
        for (i, (k, _)) in self.keyed.iter().enumerate() {
            self.index.entry(key_hash(k)).or_insert(i);
        }
    }

    /// Combines two accumulators (any order gives the same totals).
    pub fn merge(mut self, mut o: UsageAcc) -> UsageAcc {
        if !o.keyed.is_empty() {
            self.merged.push(std::mem::take(&mut o.keyed));
        }
        self.merged.append(&mut o.merged);
        if self.unkeyed.len() < o.unkeyed.len() {
            std::mem::swap(&mut self.unkeyed, &mut o.unkeyed);
        }
        for (a, s) in o.unkeyed {
            let e = self.unkeyed.entry(a).or_default();
            e.add(&s.tokens, s.cost_usd, s.responses);
        }
        self
    }

    /// Each keyed response once, by key: the entries of one key folded.
    fn folded(&self) -> Vec<(&str, Response)> {
        let mut all: Vec<&(Box<str>, Response)> = self
            .keyed
            .iter()
            .chain(self.merged.iter().flatten())
            .collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.first.cmp(&b.1.first)));
        let mut out: Vec<(&str, Response)> = Vec::with_capacity(all.len());
        for (k, r) in all {
            match out.last_mut() {
                Some((lk, lr)) if *lk == &**k => lr.fold(r),
                _ => out.push((k, r.clone())),
            }
        }
        out
    }

    /// Every part: each keyed response alone, each unkeyed attribution's sum.
    /// Order: keyed responses by key, then unkeyed sums by attribution.
    pub fn parts(&self) -> Vec<(Attribution, UsageSum)> {
        let mut out: Vec<(Attribution, UsageSum)> = self
            .folded()
            .into_iter()
            .map(|(_, r)| {
                let mut s = UsageSum::default();
                s.add(&r.tokens, r.cost_usd, 1);
                (r.attr, s)
            })
            .collect();
        let mut unkeyed: Vec<(&Attribution, &UsageSum)> = self.unkeyed.iter().collect();
        unkeyed.sort_by(|a, b| a.0.cmp(b.0));
        out.extend(unkeyed.into_iter().map(|(a, s)| (a.clone(), *s)));
        out
    }

    /// Totals grouped by `group` of each attribution, sorted by group. Sums are
    /// taken in a fixed order (by key), so floating-point totals do not depend
    /// on chunking or thread count.
    pub fn by<K: Ord + Clone>(&self, group: impl Fn(&Attribution) -> K) -> Vec<(K, UsageSum)> {
        let mut parts: Vec<(K, &str, UsageSum)> = Vec::new();
        let folded = self.folded();
        for (k, r) in &folded {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Loc;
    use proptest::prelude::*;

    fn event(key: u8, session: u8, n: u64, at: u64) -> Event<'static> {
        let loc = Loc {
            file: u32::from(session),
            chunk: 0,
            line_in_chunk: 0,
            offset: at,
            sub: 0,
        };
        let mut ev = Event::bare(at as i64, loc, Format::Transcript, b"{}");
        ev.session = Some(format!("s{session}").into());
        ev.action = Action::Usage {
            model: Some("claude-sonnet-4-5".into()),
            tokens: Tokens {
                input: n,
                output: n * 3 % 17,
                ..Tokens::default()
            },
            cost_usd: None,
            key: (key > 0).then(|| format!("msg{key}:req{}", key % 3).into()),
        };
        ev
    }

    proptest! {
        /// Any split of the events into runs, merged in a tree, gives the same
        /// parts as one run: each key once with its counters' largest values,
        /// attributed to its earliest record.
        #[test]
        fn any_split_and_merge_order_gives_the_same_parts(
            evs in proptest::collection::vec((0u8..12, 0u8..3, 0u64..1000), 0..80),
            cuts in proptest::collection::vec(0usize..80, 0..6),
            swap in any::<bool>(),
        ) {
            let evs: Vec<Event<'static>> = evs
                .iter()
                .enumerate()
                .map(|(i, (k, s, n))| event(*k, *s, *n, i as u64))
                .collect();
            let mut one = UsageAcc::default();
            evs.iter().for_each(|e| one.observe(e));
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(evs.len())).collect();
            cuts.sort_unstable();
            let mut runs: Vec<UsageAcc> = Vec::new();
            let mut start = 0;
            for end in cuts.into_iter().chain([evs.len()]) {
                let mut a = UsageAcc::default();
                evs[start..end.max(start)].iter().for_each(|e| a.observe(e));
                runs.push(a);
                start = end.max(start);
            }
            while runs.len() > 1 {
                let b = runs.pop().unwrap();
                let a = runs.pop().unwrap();
                runs.push(if swap { b.merge(a) } else { a.merge(b) });
            }
            let merged = runs.pop().unwrap_or_default();
            prop_assert_eq!(merged.parts(), one.parts());
            // Independently: one response per distinct key, each counter the
            // largest seen for that key.
            let mut want: std::collections::BTreeMap<u8, u64> = Default::default();
            for (k, _, n) in evs.iter().map(|e| match &e.action {
                Action::Usage { key, tokens, .. } => (key.clone(), 0, tokens.input),
                _ => unreachable!(),
            }) {
                if let Some(k) = k {
                    let id: u8 = k[3..k.find(':').unwrap()].parse().unwrap();
                    let e = want.entry(id).or_default();
                    *e = (*e).max(n);
                }
            }
            let unkeyed: u64 = evs
                .iter()
                .filter_map(|e| match &e.action {
                    Action::Usage { key: None, tokens, .. } => Some(tokens.input),
                    _ => None,
                })
                .sum();
            let total = merged.total();
            prop_assert_eq!(total.tokens.input, want.values().sum::<u64>() + unkeyed);
        }
    }
}
