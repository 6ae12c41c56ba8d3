//! `oracle cost` and the usage rule: one count per API response, each counter
//! at its largest value, priced by the response's own model; checked against
//! numbers this test computes from the raw transcript lines, and against what
//! ccusage 20.0.24 reported for the same sessions.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SPOTTER: &str = "../shared/realdata/spotter";
const S1: &str = "258c7280-ae70-4798-800f-63464d01a85d";
const S2: &str = "4d5611e5-241a-462a-8d15-5122611a9569";

/// A session's transcript and its subagent files.
fn session_files(id: &str) -> Vec<PathBuf> {
    let dir = root().join(SPOTTER);
    let mut v = vec![dir.join(format!("{id}.jsonl"))];
    let sub = dir.join(id).join("subagents");
    let mut subs: Vec<PathBuf> = std::fs::read_dir(&sub)
        .expect("subagents")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    subs.sort();
    v.extend(subs);
    v
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Counts {
    input: u64,
    output: u64,
    cache_read: u64,
    write_5m: u64,
    write_1h: u64,
}

impl Counts {
    fn max(&mut self, o: &Counts) {
        self.input = self.input.max(o.input);
        self.output = self.output.max(o.output);
        self.cache_read = self.cache_read.max(o.cache_read);
        self.write_5m = self.write_5m.max(o.write_5m);
        self.write_1h = self.write_1h.max(o.write_1h);
    }
    fn add(&mut self, o: &Counts) {
        self.input += o.input;
        self.output += o.output;
        self.cache_read += o.cache_read;
        self.write_5m += o.write_5m;
        self.write_1h += o.write_1h;
    }
}

/// (key, model, counts) of every assistant line with usage, in file order.
fn usage_lines(files: &[PathBuf]) -> Vec<(String, String, Counts)> {
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(f).expect("readable").lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if v["type"] != "assistant" {
                continue;
            }
            let u = &v["message"]["usage"];
            if !u.is_object() {
                continue;
            }
            let n = |x: &Value| x.as_u64().unwrap_or(0);
            let creation = n(&u["cache_creation_input_tokens"]);
            let (w5, w1) = if u["cache_creation"].is_object() {
                (
                    n(&u["cache_creation"]["ephemeral_5m_input_tokens"]),
                    n(&u["cache_creation"]["ephemeral_1h_input_tokens"]),
                )
            } else {
                (creation, 0)
            };
            let key = format!(
                "{}:{}",
                v["message"]["id"].as_str().unwrap_or(""),
                v["requestId"].as_str().unwrap_or("")
            );
            out.push((
                key,
                v["message"]["model"].as_str().unwrap_or("").to_string(),
                Counts {
                    input: n(&u["input_tokens"]),
                    output: n(&u["output_tokens"]),
                    cache_read: n(&u["cache_read_input_tokens"]),
                    write_5m: w5,
                    write_1h: w1,
                },
            ));
        }
    }
    out
}

/// USD per million tokens (input, output, cache read, 5m write, 1h write),
/// from research/claude-code.md section 5, written out here independently of
/// the bundled table.
fn price(model: &str) -> Option<[f64; 5]> {
    if model.starts_with("claude-opus-4-6") || model.starts_with("claude-opus-4-5") {
        Some([5.0, 25.0, 0.5, 6.25, 10.0])
    } else if model.starts_with("claude-sonnet-4") {
        Some([3.0, 15.0, 0.3, 3.75, 6.0])
    } else if model.starts_with("claude-haiku-4-5") {
        Some([1.0, 5.0, 0.1, 1.25, 2.0])
    } else {
        None
    }
}

struct Expected {
    counts: Counts,
    cost: f64,
}

/// The rule: group by key, take each counter's largest value, price by model.
fn expected(id: &str) -> Expected {
    let mut groups: BTreeMap<String, (String, Counts)> = BTreeMap::new();
    for (k, m, c) in usage_lines(&session_files(id)) {
        let e = groups.entry(k).or_insert((m, Counts::default()));
        e.1.max(&c);
    }
    let mut counts = Counts::default();
    let mut cost = 0.0;
    for (m, c) in groups.values() {
        counts.add(c);
        if let Some(p) = price(m) {
            cost += (c.input as f64 * p[0]
                + c.output as f64 * p[1]
                + c.cache_read as f64 * p[2]
                + c.write_5m as f64 * p[3]
                + c.write_1h as f64 * p[4])
                / 1e6;
        }
    }
    Expected { counts, cost }
}

fn row<'a>(v: &'a Value, key: &str) -> &'a Value {
    v["data"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

#[test]
fn cost_per_session_follows_the_rule_computed_from_the_raw_lines() {
    let v = json("cost", &[SPOTTER]);
    for id in [S1, S2] {
        let want = expected(id);
        let r = row(&v, id);
        let t = &r["tokens"];
        assert_eq!(t["input"].as_u64(), Some(want.counts.input), "{id} input");
        assert_eq!(
            t["output"].as_u64(),
            Some(want.counts.output),
            "{id} output"
        );
        assert_eq!(
            t["cache_read"].as_u64(),
            Some(want.counts.cache_read),
            "{id}"
        );
        assert_eq!(
            t["cache_write_5m"].as_u64(),
            Some(want.counts.write_5m),
            "{id}"
        );
        assert_eq!(
            t["cache_write_1h"].as_u64(),
            Some(want.counts.write_1h),
            "{id}"
        );
        let got = r["cost_usd"].as_f64().expect("priced");
        assert!(
            (got - want.cost).abs() <= want.cost * 0.0001,
            "{id}: {got} vs {}",
            want.cost
        );
    }
}

/// What `CLAUDE_CONFIG_DIR=DIR ccusage session --json --offline` (ccusage
/// 20.0.24) printed for the two sessions copied under `DIR/projects/spotter/`:
/// (session, input, output, cache creation, cache read, total cost USD).
const CCUSAGE: [(&str, u64, u64, u64, u64, f64); 2] = [
    (S1, 198, 38_908, 394_137, 14_972_534, 12.22573119999999),
    (S2, 233, 28_899, 559_475, 12_387_553, 10.113695550000003),
];

#[test]
fn cost_agrees_with_ccusage_to_the_token_and_within_half_a_percent() {
    let v = json("cost", &[SPOTTER]);
    for (id, input, output, creation, read, usd) in CCUSAGE {
        let r = row(&v, id);
        let t = &r["tokens"];
        assert_eq!(t["input"].as_u64(), Some(input));
        assert_eq!(t["output"].as_u64(), Some(output));
        assert_eq!(
            t["cache_write_5m"].as_u64().unwrap_or(0) + t["cache_write_1h"].as_u64().unwrap_or(0),
            creation
        );
        assert_eq!(t["cache_read"].as_u64(), Some(read));
        let got = r["cost_usd"].as_f64().expect("priced");
        assert!(
            (got - usd).abs() <= usd * 0.005,
            "{id}: {got} vs ccusage {usd}"
        );
    }
}

#[test]
fn summing_every_line_or_keeping_the_first_line_is_wrong() {
    let lines = usage_lines(&[root().join(SPOTTER).join(format!("{S2}.jsonl"))]);
    let mut sum = Counts::default();
    let mut first: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut max: BTreeMap<&str, Counts> = BTreeMap::new();
    for (k, _, c) in &lines {
        sum.add(c);
        first.entry(k).or_insert(*c);
        max.entry(k).or_default().max(c);
    }
    let total = |m: &BTreeMap<&str, Counts>| {
        let mut t = Counts::default();
        m.values().for_each(|c| t.add(c));
        t
    };
    let (first, max) = (total(&first), total(&max));
    // The documented numbers (SOURCES.md): 254 lines, 139 responses.
    assert_eq!(lines.len(), 254);
    assert_eq!(
        lines
            .iter()
            .map(|l| &l.0)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        139
    );
    assert_eq!((first.output, max.output), (7_933, 28_755));
    assert!(
        sum.cache_read > max.cache_read,
        "summing overcounts cache reads"
    );
    assert!(
        first.output * 3 < max.output,
        "the first line undercounts output"
    );
    // oracle counts the main file's responses by the rule.
    let v = json("cost", &[&format!("{SPOTTER}/{S2}.jsonl")]);
    let r = row(&v, S2);
    assert_eq!(r["tokens"]["output"].as_u64(), Some(max.output));
    assert_eq!(r["tokens"]["cache_read"].as_u64(), Some(max.cache_read));
    assert_eq!(r["responses"].as_u64(), Some(139));
}

#[test]
fn every_grouping_adds_up_to_the_same_total() {
    let base = json("cost", &[SPOTTER]);
    let total = base["data"]["total"]["total_tokens"]
        .as_u64()
        .expect("total");
    for by in ["session", "agent", "model", "day", "project"] {
        let v = json("cost", &[SPOTTER, "--by", by]);
        let rows = v["data"]["rows"].as_array().expect("rows");
        let sum: u64 = rows
            .iter()
            .map(|r| r["total_tokens"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(sum, total, "--by {by}");
        assert_eq!(v["data"]["total"]["total_tokens"].as_u64(), Some(total));
    }
    // Models are priced apart: the subagents ran on Sonnet, the sessions on Opus.
    let v = json("cost", &[SPOTTER, "--by", "model"]);
    let models: Vec<&str> = v["data"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert!(models.contains(&"claude-opus-4-6") && models.contains(&"claude-sonnet-4-5-20250929"));
}

#[test]
fn an_unknown_model_is_unpriced_never_zero() {
    let dir = target_tmp("cost-unpriced");
    let _ = std::fs::create_dir_all(&dir);
    let f = dir.join("s.jsonl");
    let line = |id: &str, model: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s-1","uuid":"u-{id}","parentUuid":null,"timestamp":"2026-02-01T10:00:00Z","requestId":"req_{id}","message":{{"id":"msg_{id}","model":"{model}","role":"assistant","content":[{{"type":"text","text":"hi"}}],"usage":{{"input_tokens":1000000,"output_tokens":0}}}}}}"#
        )
    };
    write_atomic(
        &f,
        format!(
            "{}\n{}\n",
            line("1", "acme-large-9"),
            line("2", "claude-haiku-4-5-20251001")
        )
        .as_bytes(),
    );
    let v = json("cost", &[f.to_str().expect("utf-8"), "--by", "model"]);
    let acme = row(&v, "acme-large-9");
    assert!(acme["cost_usd"].is_null());
    assert_eq!(acme["unpriced_tokens"].as_u64(), Some(1_000_000));
    assert_eq!(
        row(&v, "claude-haiku-4-5-20251001")["cost_usd"].as_f64(),
        Some(1.0)
    );
    assert_eq!(v["data"]["unpriced_models"][0], "acme-large-9");
    assert_eq!(
        v["data"]["unpriced_models"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(v["data"]["notes"][0]
        .as_str()
        .is_some_and(|n| n.contains("acme-large-9")));
    // A price file prices it.
    let prices = dir.join("prices.json");
    write_atomic(
        &prices,
        br#"{"models": [{"model": "acme-large-9", "from": "2025-01-01", "input": 2, "output": 2, "cache_write_5m": 2, "cache_write_1h": 2, "cache_read": 2}]}"#,
    );
    let v = json(
        "cost",
        &[
            f.to_str().expect("utf-8"),
            "--by",
            "model",
            "--prices",
            prices.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(row(&v, "acme-large-9")["cost_usd"].as_f64(), Some(2.0));
    // A response that used no tokens costs nothing, whatever its model: the
    // `<synthetic>` message Claude Code writes for an API error is $0, not
    // unpriced, and names no unpriced model.
    let zero = dir.join("synthetic.jsonl");
    write_atomic(
        &zero,
        line("3", "<synthetic>")
            .replace(r#""input_tokens":1000000"#, r#""input_tokens":0"#)
            .as_bytes(),
    );
    let z = zero.to_str().expect("utf-8");
    let v = json("cost", &[z, "--by", "model"]);
    assert_eq!(row(&v, "<synthetic>")["cost_usd"].as_f64(), Some(0.0));
    assert_eq!(row(&v, "<synthetic>")["unpriced_tokens"].as_u64(), Some(0));
    assert_eq!(
        v["data"]["unpriced_models"].as_array().map(Vec::len),
        Some(0)
    );
    let a = json("agents", &[z]);
    assert_eq!(a["data"]["nodes"][0]["own"]["cost_usd"].as_f64(), Some(0.0));
    // A bad price file is an error naming the flag.
    write_atomic(&prices, b"{\"models\": 3}");
    let r = run([
        "cost",
        f.to_str().expect("utf-8"),
        "--prices",
        prices.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--prices"), "{}", r.stderr);
    let _ = Path::new(&dir);
}
