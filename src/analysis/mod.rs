//! Analyses: one accumulator per subcommand, plus the pieces they share.
//!
//! Owns: time windows, bounded "keep the N newest/oldest" lists, message masking
//! for grouping, and percentiles. Must not: do I/O or format output.
//! Invariant: every list an analysis returns is sorted by a total key, so the
//! thread count never changes the output.

pub mod agents;
pub mod audit;
pub mod cost;
pub mod diagnose;
pub mod diffs;
pub mod errors;
pub mod queues;
pub mod replay;
pub mod report;
pub mod timeline;
pub mod usage;

use crate::model::{sort_key, Event, Format, Loc, Nanos, Record, SortKey};
use crate::scan::{Analysis, LineIndex};

/// A closed time interval `[after, before]` in UTC nanoseconds; open ends are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Inclusive lower bound.
    pub after: Option<Nanos>,
    /// Inclusive upper bound.
    pub before: Option<Nanos>,
}

impl Window {
    /// True when `ts` lies in the window. A record without a time (a Claude Code
    /// hook payload) is never dropped by a window: it is kept, shown as untimed.
    pub fn contains(&self, ts: Option<Nanos>) -> bool {
        match ts {
            None => true,
            Some(t) => self.after.is_none_or(|a| t >= a) && self.before.is_none_or(|b| t <= b),
        }
    }
}

/// Which end of the timeline a [`Kept`] list keeps.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The newest records (printed newest first).
    Newest,
    /// The oldest records (printed oldest first).
    Oldest,
}

/// An event kept for printing: its bytes, re-parsed into a [`Record`] only if it
/// survives to the end (building summaries for every candidate would dominate).
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct Candidate {
    key: SortKey,
    format: Format,
    loc: Loc,
    /// The record's bytes, shared by every event of one record (an OTLP
    /// request holds thousands of spans: it is copied once, not once per span).
    /// They travel in a partial (`docs/fleet.md`) as one byte string.
    #[serde(with = "record_bytes")]
    bytes: std::sync::Arc<[u8]>,
}

/// At most `limit` events, the newest or the oldest by (time, input, offset).
/// Memory stays within `2 × limit` candidates.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct Kept {
    records: Vec<Candidate>,
    limit: usize,
    keep: Keep,
    /// After a compaction that filled the list: the key of its last (worst) record.
    worst: Option<SortKey>,
    /// The record of the last push: (input, offset, bytes), reused by the next
    /// event of the same record (a cache: not part of a partial).
    #[serde(skip)]
    last: Option<(u32, u64, std::sync::Arc<[u8]>)>,
    /// Sorts done so far (tests check that merging stays linear).
    #[cfg(test)]
    #[serde(skip)]
    sorts: usize,
}

impl Kept {
    /// An empty list keeping `limit` records.
    pub fn new(limit: usize, keep: Keep) -> Kept {
        Kept {
            records: Vec::new(),
            limit,
            keep,
            worst: None,
            last: None,
            #[cfg(test)]
            sorts: 0,
        }
    }

    /// Whether a record with this key could still make the list (checked before
    /// building the record, so rejected events cost nothing).
    pub fn wants(&self, key: SortKey) -> bool {
        match (self.limit, self.worst, self.keep) {
            (0, _, _) => false,
            (_, None, _) => true,
            (_, Some(w), Keep::Newest) => key > w,
            (_, Some(w), Keep::Oldest) => key < w,
        }
    }

    /// Adds an event (check [`Kept::wants`] first).
    pub fn push(&mut self, ev: &Event<'_>) {
        let bytes = match &self.last {
            Some((f, o, b)) if *f == ev.loc.file && *o == ev.loc.offset => b.clone(),
            _ => {
                let b: std::sync::Arc<[u8]> = ev.record.into();
                self.last = Some((ev.loc.file, ev.loc.offset, b.clone()));
                b
            }
        };
        self.records.push(Candidate {
            key: sort_key(ev.ts, &ev.loc),
            format: ev.format,
            loc: ev.loc,
            bytes,
        });
        if self.records.len() >= self.limit.saturating_mul(2).max(64) {
            self.compact();
        }
    }

    fn compact(&mut self) {
        #[cfg(test)]
        {
            self.sorts += 1;
        }
        match self.keep {
            Keep::Newest => self
                .records
                .sort_unstable_by_key(|r| std::cmp::Reverse(r.key)),
            Keep::Oldest => self.records.sort_unstable_by_key(|r| r.key),
        }
        self.records.truncate(self.limit);
        if self.records.len() == self.limit {
            self.worst = self.records.last().map(|r| r.key);
        }
    }

    /// Combines two lists. Sorting happens only once the list holds twice its
    /// limit (and at the end), so a huge `--limit` never re-sorts on every merge.
    pub fn merge(mut self, mut other: Kept) -> Kept {
        if self.records.len() < other.records.len() {
            std::mem::swap(&mut self.records, &mut other.records);
        }
        self.records.extend(other.records);
        self.worst = match (self.worst, other.worst) {
            (Some(a), Some(b)) => Some(match self.keep {
                Keep::Newest => a.max(b),
                Keep::Oldest => a.min(b),
            }),
            // One side was full: the merged list holds its `limit` records at
            // least as good as its threshold.
            (a, b) => a.or(b),
        };
        #[cfg(test)]
        {
            self.sorts += other.sorts;
        }
        if self.records.len() >= self.limit.saturating_mul(2).max(64) {
            self.compact();
        }
        self
    }

    /// The kept records in print order (newest first, or oldest first), re-parsed
    /// with what their input's reader knew (`index`), file and line resolved.
    ///
    /// Each record is parsed once, however many of its events were kept.
    pub fn finish(mut self, index: &LineIndex) -> Vec<Record> {
        self.compact();
        // Group the kept events by record (input, offset), in print order.
        let mut by_record: Vec<usize> = (0..self.records.len()).collect();
        by_record.sort_by_key(|i| {
            let c = &self.records[*i];
            (c.loc.file, c.loc.offset, c.loc.sub)
        });
        let mut out: Vec<Option<Record>> = vec![None; self.records.len()];
        let mut g = 0;
        while g < by_record.len() {
            let first = &self.records[by_record[g]];
            let (file, offset) = (first.loc.file, first.loc.offset);
            let end = by_record[g..]
                .iter()
                .position(|i| {
                    let c = &self.records[*i];
                    (c.loc.file, c.loc.offset) != (file, offset)
                })
                .map_or(by_record.len(), |n| g + n);
            let group = &by_record[g..end];
            let ctx = index.ctx(&first.loc);
            let mut n = 0u32;
            let mut next = 0usize;
            let _ = crate::format::reader(first.format).parse(
                &first.bytes,
                first.loc,
                &ctx,
                &mut |mut ev| {
                    while next < group.len() && self.records[group[next]].loc.sub < n {
                        next += 1;
                    }
                    if next < group.len() && self.records[group[next]].loc.sub == n {
                        ev.loc.sub = n;
                        let mut r = crate::format::to_record(&ev);
                        index.resolve(&mut r);
                        out[group[next]] = Some(r);
                    }
                    n += 1;
                },
            );
            g = end;
        }
        out.into_iter().flatten().collect()
    }
}

/// Serde for a kept record's bytes: one byte string (CBOR major type 2), not a
/// sequence of numbers. Two events of one record share their bytes in memory;
/// a partial carries one copy per event.
mod record_bytes {
    use serde::{Deserializer, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(b: &Arc<[u8]>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<[u8]>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = a.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        Ok(d.deserialize_byte_buf(V)?.into())
    }
}

/// Masks numbers, hex ids and quoted values so that repeats of one message group
/// together: `Timeout after 30s calling 7f3a9c…` → `Timeout after <n>s calling <id>`.
pub fn mask_message(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_inclusive(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ':' | '=' | '(' | ')' | '[' | ']' | '/' | '\'' | '"'
            )
    }) {
        let (core, sep) = match word.char_indices().last() {
            Some((i, c))
                if c.is_whitespace()
                    || matches!(
                        c,
                        ',' | ':' | '=' | '(' | ')' | '[' | ']' | '/' | '\'' | '"'
                    ) =>
            {
                (&word[..i], &word[i..])
            }
            _ => (word, ""),
        };
        let digits = core.chars().filter(|c| c.is_ascii_digit()).count();
        let hexish = core.len() >= 8
            && core
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '_')
            && digits > 0;
        if hexish {
            out.push_str("<id>");
        } else if digits > 0 {
            // Replace each run of digits (with . separators) by <n>.
            let mut in_num = false;
            for c in core.chars() {
                if c.is_ascii_digit() || (in_num && c == '.') {
                    if !in_num {
                        out.push_str("<n>");
                        in_num = true;
                    }
                } else {
                    in_num = false;
                    out.push(c);
                }
            }
        } else {
            out.push_str(core);
        }
        out.push_str(sep);
    }
    out
}

/// Nearest-rank percentile of sorted values (`p` in 0..=100). `None` when empty.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Finds the time of the last event in the data (the anchor of relative times).
pub struct LastTime;

impl Analysis for LastTime {
    fn pass_before_another(&self) -> bool {
        true
    }
    type Acc = Option<Nanos>;
    fn new_acc(&self) -> Self::Acc {
        None
    }
    fn observe(&self, acc: &mut Self::Acc, ev: &crate::model::Event<'_>) {
        if let Some(t) = ev.ts {
            *acc = Some(acc.map_or(t, |a| a.max(t)));
        }
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        }
    }
    fn times_only(&self) -> bool {
        true
    }
}

/// `s` quoted for a POSIX shell when it needs it (suggested next commands).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parts` lists of `each` events merged one by one into a list of `limit`:
    /// the sorts done, and the keys kept.
    fn merged(limit: usize, parts: u64, each: u64) -> (usize, Vec<SortKey>) {
        let mut all = Kept::new(limit, Keep::Newest);
        for p in 0..parts {
            let mut k = Kept::new(limit, Keep::Newest);
            for e in 0..each {
                let loc = Loc {
                    offset: p * each + e,
                    ..Loc::default()
                };
                k.push(&Event::bare(
                    ((p * 7919 + e * 104_729) % 1_000_003) as i64,
                    loc,
                    Format::Pipe,
                    b"x",
                ));
            }
            all = all.merge(k);
        }
        let sorts = all.sorts;
        all.compact();
        (sorts, all.records.iter().map(|r| r.key).collect())
    }

    #[test]
    fn merging_under_a_huge_limit_never_sorts_and_a_small_one_sorts_rarely() {
        // A --limit larger than the data: no sort before the end, whatever the merges.
        let (sorts, keys) = merged(100_000_000, 1_000, 50);
        assert_eq!(sorts, 0);
        assert_eq!(keys.len(), 50_000);
        // A small limit: one sort per `limit` records merged at most.
        let (sorts, keys) = merged(1_000, 1_000, 50);
        assert!(sorts <= 50_000 / 1_000, "{sorts}");
        assert_eq!(keys.len(), 1_000);
        let (_, all) = merged(100_000_000, 1_000, 50);
        assert_eq!(
            keys[..],
            all[..1_000],
            "the newest 1,000 whatever the merging"
        );
    }

    #[test]
    fn masking_groups_messages_that_differ_only_in_numbers_and_ids() {
        let a = mask_message("Timeout after 30s calling tool id 7f3a9c21-aa");
        let b = mask_message("Timeout after 45s calling tool id 9b2c0d11-bb");
        assert_eq!(a, b);
        assert_eq!(a, "Timeout after <n>s calling tool id <id>");
        assert_ne!(mask_message("disk full"), mask_message("rate limited"));
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 95.0), Some(95));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 95.0), Some(7));
    }

    #[test]
    fn windows_are_inclusive_and_never_drop_untimed_records() {
        let w = Window {
            after: Some(10),
            before: Some(20),
        };
        assert!(w.contains(Some(10)) && w.contains(Some(20)));
        assert!(!w.contains(Some(21)) && !w.contains(Some(9)));
        assert!(w.contains(None));
        assert!(Window::default().contains(None));
    }
}
