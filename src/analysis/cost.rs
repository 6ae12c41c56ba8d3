//! `cost`: tokens and USD by session, agent, model, day or project.
//!
//! Usage is deduplicated as [`super::usage`] says (one count per API response,
//! each counter at its largest value); each response is priced by its own model
//! on its own day ([`crate::pricing`]), cache writes at their 5-minute or 1-hour
//! price. A model the table does not know is unpriced: its tokens are shown and
//! its cost is null, never $0; but a response that used no tokens (Claude
//! Code's `<synthetic>` messages) costs 0 whatever its model. When one
//! session's usage was read from two sources (a transcript and its OTel
//! export), it is counted once, from the source with the most responses, and a
//! note says so.

use super::usage::{
    add_usd, round_usd, saturated_tokens, saturated_usd, Attribution, UsageAcc, UsageSum,
};
use super::Window;
use crate::format::{ActionSet, Needs};
use crate::model::{time::format_day, Event, Format, Tokens};
use crate::pricing::{self, PriceTable};
use crate::scan::{Analysis, LineIndex};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What `cost --by` groups on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum CostBy {
    /// The session (a transcript with its subagents).
    #[default]
    Session,
    /// The agent within its session (`(main)` for the session's own conversation).
    Agent,
    /// The model id as written.
    Model,
    /// The UTC day of the response.
    Day,
    /// The project folder (`projects/<slug>/`) or, elsewhere, the input's folder.
    Project,
}

/// The typed `cost` query.
#[derive(Debug, Clone)]
pub struct CostQuery {
    /// Grouping.
    pub by: CostBy,
    /// Time window (untimed usage is never dropped).
    pub window: Window,
    /// Prices.
    pub prices: Arc<PriceTable>,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostRow {
    /// The group: session id, agent, model, `YYYY-MM-DD`, or project.
    pub key: String,
    /// With `--by agent`: the agent's session.
    pub session: Option<String>,
    /// Models seen, sorted.
    pub models: Vec<String>,
    /// Model responses (deduplicated) and unkeyed usage records.
    pub responses: u64,
    /// Tokens by kind.
    pub tokens: Tokens,
    /// All tokens.
    pub total_tokens: u64,
    /// USD at the price table's prices; null when nothing in the row is priced.
    pub cost_usd: Option<f64>,
    /// Tokens of models the table does not know (not in `cost_usd`).
    pub unpriced_tokens: u64,
    /// USD as the sources logged it (OTel `cost_usd`, pipe `cost_estimate_usd`), if any.
    pub logged_cost_usd: Option<f64>,
    /// First day with usage (`YYYY-MM-DD`, UTC).
    pub first_day: Option<String>,
    /// Last day with usage.
    pub last_day: Option<String>,
}

/// The `cost` report.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostReport {
    /// What the rows group on.
    pub by: CostBy,
    /// Rows, most expensive first (then by key); unpriced rows last.
    pub rows: Vec<CostRow>,
    /// Everything (`key` = `total`).
    pub total: CostRow,
    /// Models with tokens but no price, sorted.
    pub unpriced_models: Vec<String>,
    /// Where the prices came from (`bundled` or the `--prices` file).
    pub prices: String,
    /// Sources set aside as duplicates, and other remarks.
    pub notes: Vec<String>,
}

/// The `cost` accumulator (cloned to finish it under two groupings).
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
pub struct CostAcc {
    usage: UsageAcc,
}

impl Analysis for CostQuery {
    type Acc = CostAcc;
    fn new_acc(&self) -> CostAcc {
        CostAcc::default()
    }
    fn observe(&self, acc: &mut CostAcc, ev: &Event<'_>) {
        if self.window.contains(ev.ts) {
            acc.usage.observe(ev);
        }
    }
    fn merge(&self, a: CostAcc, b: CostAcc) -> CostAcc {
        CostAcc {
            usage: a.usage.merge(b.usage),
        }
    }
    fn needs(&self) -> Needs {
        Needs {
            actions: ActionSet::USAGE,
            ..Needs::default()
        }
    }
}

#[derive(Default)]
struct RowAcc {
    session: Option<String>,
    models: std::collections::BTreeSet<String>,
    sum: UsageSum,
    priced: Option<f64>,
    unpriced: u64,
    first: Option<i64>,
    last: Option<i64>,
}

impl RowAcc {
    fn add(
        &mut self,
        a: &Attribution,
        s: &UsageSum,
        prices: &PriceTable,
        unpriced: &mut HashSet<String>,
    ) {
        self.sum.tokens = self.sum.tokens.add(&s.tokens);
        self.sum.responses += s.responses;
        self.sum.cost_usd = add_usd(self.sum.cost_usd, s.cost_usd);
        if let Some(m) = a.model.as_deref() {
            self.models.insert(m.to_string());
        }
        let total = s.tokens.total();
        match a.model.as_deref().and_then(|m| prices.price(m, a.day)) {
            Some(p) => {
                self.priced = add_usd(
                    Some(self.priced.unwrap_or(0.0)),
                    Some(pricing::cost(&s.tokens, p)),
                )
            }
            // Nothing used costs nothing, priced or not (Claude Code's
            // `<synthetic>` messages: no API call was made).
            None if total == 0 => self.priced = Some(self.priced.unwrap_or(0.0)),
            None => match s.cost_usd {
                // No price of ours, but the source logged one: use it.
                Some(c) => self.priced = add_usd(Some(self.priced.unwrap_or(0.0)), Some(c)),
                None => {
                    self.unpriced = self.unpriced.saturating_add(total);
                    unpriced.insert(a.model.as_deref().unwrap_or("(no model)").to_string());
                }
            },
        }
        if let Some(d) = a.day {
            self.first = Some(self.first.map_or(d, |f| f.min(d)));
            self.last = Some(self.last.map_or(d, |l| l.max(d)));
        }
    }

    fn finish(self, key: String) -> CostRow {
        let day = format_day;
        let round = round_usd;
        CostRow {
            key,
            session: self.session,
            models: self.models.into_iter().collect(),
            responses: self.sum.responses,
            total_tokens: self.sum.tokens.total(),
            tokens: self.sum.tokens,
            cost_usd: self.priced.map(round),
            unpriced_tokens: self.unpriced,
            logged_cost_usd: self.sum.cost_usd.map(round),
            first_day: self.first.map(day),
            last_day: self.last.map(day),
        }
    }
}

/// The project of an input path: the folder after `projects/` (Claude Code's
/// layout), else the input's parent folder, else the path itself.
fn project_of(path: &str) -> String {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    if let Some(i) = parts.iter().position(|p| *p == "projects") {
        if let Some(p) = parts.get(i + 1).filter(|_| i + 2 < parts.len()) {
            return p.to_string();
        }
    }
    match parts.len() {
        0 | 1 => path.to_string(),
        n => parts[n - 2].to_string(),
    }
}

impl CostAcc {
    /// The report.
    pub fn finish(self, q: &CostQuery, index: &LineIndex) -> CostReport {
        let parts = self.usage.parts();
        // A session seen through several sources: keep the one with most responses.
        let mut per_source: BTreeMap<&str, BTreeMap<Format, u64>> = BTreeMap::new();
        for (a, s) in &parts {
            if let Some(sess) = a.session.as_deref() {
                *per_source
                    .entry(sess)
                    .or_default()
                    .entry(a.source)
                    .or_default() += s.responses;
            }
        }
        let mut keep: HashMap<&str, Format> = HashMap::default();
        let mut notes = Vec::new();
        for (sess, sources) in &per_source {
            if sources.len() > 1 {
                let (best, _) = sources
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .expect("not empty");
                keep.insert(sess, *best);
                let dropped: Vec<&str> = sources
                    .keys()
                    .filter(|f| *f != best)
                    .map(|f| f.name())
                    .collect();
                notes.push(format!(
                    "session {sess}: usage counted from {} ({} response(s)); the same session's usage in {} set aside",
                    best.name(),
                    sources[best],
                    dropped.join(", ")
                ));
            }
        }
        let mut groups: BTreeMap<(String, Option<String>), RowAcc> = BTreeMap::new();
        let mut total = RowAcc::default();
        let mut unpriced = HashSet::default();
        for (a, s) in &parts {
            if let Some(sess) = a.session.as_deref() {
                if keep.get(sess).is_some_and(|f| *f != a.source) {
                    continue;
                }
            }
            let session = || a.session.as_deref().unwrap_or("(no session)").to_string();
            let key = match q.by {
                CostBy::Session => (session(), None),
                CostBy::Agent => (
                    a.agent.as_deref().unwrap_or("(main)").to_string(),
                    Some(session()),
                ),
                CostBy::Model => (a.model.as_deref().unwrap_or("(no model)").to_string(), None),
                CostBy::Day => (a.day.map_or("(untimed)".to_string(), format_day), None),
                CostBy::Project => (
                    project_of(index.file(&crate::model::Loc {
                        file: a.file,
                        ..crate::model::Loc::default()
                    })),
                    None,
                ),
            };
            let row = groups.entry(key.clone()).or_default();
            row.session = key.1.clone();
            row.add(a, s, &q.prices, &mut unpriced);
            total.add(a, s, &q.prices, &mut HashSet::default());
        }
        let mut rows: Vec<CostRow> = groups.into_iter().map(|((k, _), r)| r.finish(k)).collect();
        rows.sort_by(|a, b| {
            b.cost_usd
                .unwrap_or(-1.0)
                .total_cmp(&a.cost_usd.unwrap_or(-1.0))
                .then_with(|| b.total_tokens.cmp(&a.total_tokens))
                .then_with(|| a.key.cmp(&b.key))
                .then_with(|| a.session.cmp(&b.session))
        });
        let mut unpriced_models: Vec<String> = unpriced.into_iter().collect();
        unpriced_models.sort();
        if !unpriced_models.is_empty() {
            notes.push(format!(
                "no price for {}: their tokens are counted, their cost is not (add them with --prices FILE)",
                unpriced_models.join(", ")
            ));
        }
        let total = total.finish("total".into());
        if saturated_tokens(total.total_tokens)
            || saturated_usd(total.cost_usd)
            || saturated_usd(total.logged_cost_usd)
        {
            notes.push(
                "a total reached the largest value it can hold and stopped there (saturated): \
                 the true sum is larger"
                    .into(),
            );
        }
        CostReport {
            by: q.by,
            rows,
            total,
            unpriced_models,
            prices: q.prices.origin.clone(),
            notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_come_from_the_claude_layout_or_the_parent_folder() {
        assert_eq!(
            project_of("/home/u/.claude/projects/-home-u-app/abc.jsonl"),
            "-home-u-app"
        );
        assert_eq!(
            project_of("x/projects/-p/abc/subagents/agent-a1.jsonl"),
            "-p"
        );
        assert_eq!(project_of("logs/run1/otel.jsonl"), "run1");
        assert_eq!(project_of("otel.jsonl"), "otel.jsonl");
    }
}
