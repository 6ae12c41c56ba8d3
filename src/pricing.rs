//! Model prices: the bundled dated table (`data/prices.json`) or a user's file
//! (`--prices FILE`, same format), and the cost of a response.
//!
//! Owns: reading price tables, matching a model id to an entry (provider
//! prefixes such as `anthropic/` or `us.anthropic.`, Bedrock's `-v1:0` and a
//! trailing `-YYYYMMDD` or `@YYYYMMDD` date are ignored; the rest must equal an
//! entry's `model` or one of its `aliases`), choosing the price in effect on the
//! response's day (the latest `from` not after it), and pricing [`Tokens`].
//! Must not: guess a price: a model the table does not know is unpriced (`None`).
//!
//! File format (JSON): `{"models": [{"model", "aliases"?, "from": "YYYY-MM-DD",
//! "input", "output", "cache_write_5m", "cache_write_1h", "cache_read"}]}`, prices
//! in USD per million tokens; other top-level keys are ignored.

use crate::error::{Error, Result};
use crate::model::{Nanos, Tokens};
use serde::Deserialize;
use std::path::Path;

/// The bundled table.
pub const BUNDLED: &str = include_str!("../data/prices.json");

/// Prices of one model from one day on, USD per million tokens.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Model id (without date suffix).
    pub model: String,
    /// Other ids priced the same.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// First day (UTC, `YYYY-MM-DD`) these prices apply.
    pub from: String,
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache write, 5-minute lifetime.
    pub cache_write_5m: f64,
    /// Cache write, 1-hour lifetime.
    pub cache_write_1h: f64,
    /// Cache read.
    pub cache_read: f64,
}

#[derive(Deserialize)]
struct File {
    models: Vec<Price>,
}

/// A price table: entries with the day (days since 1970-01-01) they start.
#[derive(Debug, Clone)]
pub struct PriceTable {
    entries: Vec<(i64, Price)>,
    /// Where the table came from (`bundled` or the file's path).
    pub origin: String,
}

fn day_of_date(s: &str) -> Option<i64> {
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(
        i64::from(d.to_julian_day())
            - i64::from(time::macros::date!(1970 - 01 - 01).to_julian_day()),
    )
}

/// The UTC day (days since 1970-01-01) of an instant.
pub fn day_of(ts: Nanos) -> i64 {
    ts.div_euclid(86_400 * 1_000_000_000)
}

/// The id a model is priced under: provider prefixes, Bedrock's version suffix
/// and a trailing date removed, lowercased.
pub fn normalise(model: &str) -> String {
    let mut m = model.trim().to_ascii_lowercase();
    for p in [
        "anthropic/",
        "anthropic.",
        "us.anthropic.",
        "eu.anthropic.",
        "apac.anthropic.",
    ] {
        if let Some(r) = m.strip_prefix(p) {
            m = r.to_string();
        }
    }
    if let Some(i) = m.rfind("-v") {
        if m[i + 2..].chars().all(|c| c.is_ascii_digit() || c == ':') && m.len() > i + 2 {
            m.truncate(i);
        }
    }
    for sep in ['-', '@'] {
        if let Some(i) = m.rfind(sep) {
            let tail = &m[i + 1..];
            if tail.len() == 8 && tail.chars().all(|c| c.is_ascii_digit()) {
                m.truncate(i);
            }
        }
    }
    m
}

impl PriceTable {
    /// Reads a table from JSON text. Errors name `origin` and what is wrong.
    pub fn parse(text: &str, origin: &str) -> Result<PriceTable> {
        let bad = |reason: String| {
            Error::BadArg {
            flag: "--prices",
            value: origin.to_string(),
            reason,
            accepted: "a JSON file {\"models\": [{\"model\", \"from\": \"YYYY-MM-DD\", \"input\", \"output\", \"cache_write_5m\", \"cache_write_1h\", \"cache_read\"}]} in USD per million tokens",
        }
        };
        let f: File = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut entries = Vec::with_capacity(f.models.len());
        for p in f.models {
            let day = day_of_date(&p.from).ok_or_else(|| {
                bad(format!(
                    "model {}: `from` {:?} is not YYYY-MM-DD",
                    p.model, p.from
                ))
            })?;
            for v in [
                p.input,
                p.output,
                p.cache_write_5m,
                p.cache_write_1h,
                p.cache_read,
            ] {
                if !v.is_finite() || v < 0.0 {
                    return Err(bad(format!(
                        "model {}: prices must be finite and not negative",
                        p.model
                    )));
                }
            }
            entries.push((day, p));
        }
        Ok(PriceTable {
            entries,
            origin: origin.to_string(),
        })
    }

    /// The bundled table.
    pub fn bundled() -> PriceTable {
        PriceTable::parse(BUNDLED, "bundled").expect("the bundled price table is valid")
    }

    /// Reads `--prices FILE`. Errors: unreadable file or bad content, naming the flag.
    pub fn from_file(path: &Path) -> Result<PriceTable> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::BadArg {
            flag: "--prices",
            value: path.display().to_string(),
            reason: e.to_string(),
            accepted: "a readable JSON price file (see data/prices.json)",
        })?;
        PriceTable::parse(&text, &path.display().to_string())
    }

    /// The price of `model` in effect on `day` (days since 1970; `None`: the
    /// latest entry). `None` when the table does not know the model, or it was
    /// not yet priced on that day.
    pub fn price(&self, model: &str, day: Option<i64>) -> Option<&Price> {
        let m = normalise(model);
        self.entries
            .iter()
            .filter(|(_, p)| p.model == m || p.aliases.contains(&m))
            .filter(|(from, _)| day.is_none_or(|d| *from <= d))
            .max_by_key(|(from, _)| *from)
            .or_else(|| {
                // A response dated before the first known price: the earliest one.
                self.entries
                    .iter()
                    .filter(|(_, p)| p.model == m || p.aliases.contains(&m))
                    .min_by_key(|(from, _)| *from)
            })
            .map(|(_, p)| p)
    }
}

/// The cost in USD of `tokens` at `price`. Tokens of an unstated kind
/// (`Tokens::other`) are priced as input.
pub fn cost(t: &Tokens, p: &Price) -> f64 {
    let m = |n: u64, per_million: f64| n as f64 * per_million / 1e6;
    m(t.input, p.input)
        + m(t.other, p.input)
        + m(t.output, p.output)
        + m(t.cache_write_5m, p.cache_write_5m)
        + m(t.cache_write_1h, p.cache_write_1h)
        + m(t.cache_read, p.cache_read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_match_with_dates_and_provider_prefixes_removed() {
        assert_eq!(normalise("claude-sonnet-4-5-20250929"), "claude-sonnet-4-5");
        assert_eq!(normalise("anthropic/claude-opus-4-6"), "claude-opus-4-6");
        assert_eq!(
            normalise("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
            "claude-haiku-4-5"
        );
        assert_eq!(normalise("claude-3-5-haiku@20241022"), "claude-3-5-haiku");
        let t = PriceTable::bundled();
        assert_eq!(t.price("claude-opus-4-6", None).map(|p| p.input), Some(5.0));
        assert_eq!(
            t.price("claude-opus-4-1-20250805", None).map(|p| p.input),
            Some(15.0)
        );
        assert!(t.price("gpt-4o", None).is_none());
        assert!(t.price("<synthetic>", None).is_none());
    }

    #[test]
    fn one_hour_cache_writes_cost_more_than_five_minute_ones() {
        let t = PriceTable::bundled();
        let p = t.price("claude-sonnet-4-5", None).expect("known");
        let five = Tokens {
            cache_write_5m: 1_000_000,
            ..Tokens::default()
        };
        let hour = Tokens {
            cache_write_1h: 1_000_000,
            ..Tokens::default()
        };
        assert_eq!(cost(&five, p), 3.75);
        assert_eq!(cost(&hour, p), 6.0);
    }

    #[test]
    fn the_price_in_effect_on_the_day_is_used() {
        let text = r#"{"models": [
            {"model": "m", "from": "2025-01-01", "input": 1, "output": 1, "cache_write_5m": 1, "cache_write_1h": 1, "cache_read": 1},
            {"model": "m", "from": "2026-01-01", "input": 2, "output": 2, "cache_write_5m": 2, "cache_write_1h": 2, "cache_read": 2}]}"#;
        let t = PriceTable::parse(text, "test").expect("valid");
        let d = |s| day_of_date(s);
        assert_eq!(t.price("m", d("2025-06-01")).map(|p| p.input), Some(1.0));
        assert_eq!(t.price("m", d("2026-06-01")).map(|p| p.input), Some(2.0));
        assert_eq!(t.price("m", d("2024-06-01")).map(|p| p.input), Some(1.0));
        assert!(PriceTable::parse(r#"{"models": [{"model": "m", "from": "soon", "input": 1, "output": 1, "cache_write_5m": 1, "cache_write_1h": 1, "cache_read": 1}]}"#, "x").is_err());
    }
}
