//! OTLP JSON (`fixtures/otlp/`): detection, and every report's numbers against
//! counts this file makes itself by walking the fixtures with `serde_json`
//! (by the reader's event contract, `src/format/otlp/mod.rs`), never against
//! numbers copied from oracle's output.

use crate::common::*;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

const DIR: &str = "fixtures/otlp";
const TRACES: &str = "fixtures/otlp/traces.jsonl";
const PRETTY: &str = "fixtures/otlp/traces-pretty.json";
const LOGS: &str = "fixtures/otlp/claude-code-logs.jsonl";
const METRICS: &str = "fixtures/otlp/metrics.json";
const FILES: [&str; 4] = [TRACES, PRETTY, LOGS, METRICS];

// ---------------------------------------------------------------------------
// The independent count.

/// The requests of a file (the whole file as one document, else one a line),
/// and the 1-based lines that are not JSON.
fn requests(path: &str) -> (Vec<Value>, Vec<u64>) {
    let text = std::fs::read_to_string(path).expect("fixture");
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        return (vec![v], vec![]);
    }
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => ok.push(v),
            Err(_) => bad.push(n as u64 + 1),
        }
    }
    (ok, bad)
}

fn either<'v>(v: &'v Value, a: &str, b: &str) -> &'v [Value] {
    v.get(a)
        .or_else(|| v.get(b))
        .and_then(Value::as_array)
        .map_or(&[], |a| a.as_slice())
}

/// An attribute's scalar, as text.
fn attr(item: &Value, key: &str) -> Option<String> {
    let list = item.get("attributes")?.as_array()?;
    let kv = list.iter().rev().find(|kv| kv["key"] == key)?;
    let v = &kv["value"];
    ["stringValue", "intValue", "doubleValue", "boolValue"]
        .iter()
        .find_map(|k| v.get(*k))
        .map(|s| match s {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
}

/// What a set of requests holds, by the contract.
#[derive(Debug, Default, Clone, PartialEq)]
struct Count {
    spans: u64,
    logs: u64,
    points: u64,
    /// Spans with GenAI token attributes (one usage event each).
    usage: u64,
    /// `invoke_agent` / `create_agent` spans: one agent event each, plus one
    /// more (the agent's end) when the span has an end time.
    agents: u64,
    /// Error-like events by severity name.
    severity: BTreeMap<&'static str, u64>,
    /// Error-like events by category.
    category: BTreeMap<String, u64>,
    /// Log records by event name (`claude_code.` stripped).
    events: BTreeMap<String, u64>,
    /// Times, ns.
    times: Vec<i64>,
}

impl Count {
    fn total(&self) -> u64 {
        self.spans + self.logs + self.points + self.usage + self.agents
    }
    fn errors(&self) -> u64 {
        self.severity.values().sum()
    }
    fn error(&mut self, sev: &'static str, category: String) {
        *self.severity.entry(sev).or_default() += 1;
        *self.category.entry(category).or_default() += 1;
    }
}

fn nanos(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().expect("time"),
        other => other.as_i64().expect("time"),
    }
}

fn count(paths: &[&str]) -> Count {
    let mut c = Count::default();
    for p in paths {
        for req in requests(p).0 {
            walk(&req, &mut c);
        }
    }
    c
}

fn walk(req: &Value, c: &mut Count) {
    for rs in either(req, "resourceSpans", "resource_spans") {
        for ss in either(rs, "scopeSpans", "scope_spans") {
            for sp in ss["spans"].as_array().into_iter().flatten() {
                c.spans += 1;
                c.times.push(nanos(
                    sp.get("startTimeUnixNano")
                        .unwrap_or(&sp["start_time_unix_nano"]),
                ));
                let code = &sp["status"]["code"];
                if code == 2 || code == "2" || code == "STATUS_CODE_ERROR" {
                    c.error("error", "span_error".into());
                }
                if [
                    "gen_ai.usage.input_tokens",
                    "gen_ai.usage.output_tokens",
                    "gen_ai.usage.prompt_tokens",
                    "gen_ai.usage.completion_tokens",
                ]
                .iter()
                .any(|k| attr(sp, k).is_some())
                {
                    c.usage += 1;
                }
                if matches!(
                    attr(sp, "gen_ai.operation.name").as_deref(),
                    Some("invoke_agent" | "create_agent")
                ) {
                    c.agents += 1;
                    let end = sp.get("endTimeUnixNano").or(sp.get("end_time_unix_nano"));
                    if let Some(e) = end.filter(|e| nanos(e) > 0) {
                        c.agents += 1;
                        c.times.push(nanos(e));
                    }
                }
            }
        }
    }
    for rl in either(req, "resourceLogs", "resource_logs") {
        for sl in either(rl, "scopeLogs", "scope_logs") {
            for lr in either(sl, "logRecords", "log_records") {
                c.logs += 1;
                c.times.push(nanos(
                    lr.get("timeUnixNano")
                        .unwrap_or(&lr["observedTimeUnixNano"]),
                ));
                let body = lr["body"]["stringValue"].as_str();
                let name = attr(lr, "event.name")
                    .or_else(|| lr["eventName"].as_str().map(String::from))
                    .or_else(|| {
                        body.filter(|b| b.starts_with("claude_code."))
                            .map(String::from)
                    })
                    .map(|n| n.trim_start_matches("claude_code.").to_string());
                if let Some(n) = &name {
                    *c.events.entry(n.clone()).or_default() += 1;
                }
                match name.as_deref() {
                    Some("api_error") => c.error("error", "api_error".into()),
                    Some("tool_result")
                        if attr(lr, "success").is_some_and(|s| s.eq_ignore_ascii_case("false")) =>
                    {
                        c.error("error", "tool_error".into())
                    }
                    _ => {
                        let n = lr["severityNumber"].as_u64().unwrap_or(0);
                        let text = lr["severityText"]
                            .as_str()
                            .unwrap_or("")
                            .to_ascii_uppercase();
                        let sev = if (21..=24).contains(&n) || text == "FATAL" {
                            Some("critical")
                        } else if (17..=20).contains(&n) || text == "ERROR" {
                            Some("error")
                        } else if (13..=16).contains(&n) || text == "WARN" {
                            Some("warning")
                        } else {
                            None
                        };
                        if let Some(sev) = sev {
                            let cat = attr(lr, "exception.type")
                                .or(name.clone())
                                .unwrap_or_else(|| "log".into());
                            c.error(sev, cat);
                        }
                    }
                }
            }
        }
    }
    for rm in either(req, "resourceMetrics", "resource_metrics") {
        for sm in either(rm, "scopeMetrics", "scope_metrics") {
            for m in sm["metrics"].as_array().into_iter().flatten() {
                for kind in [
                    "sum",
                    "gauge",
                    "histogram",
                    "exponentialHistogram",
                    "summary",
                ] {
                    for p in m[kind]["dataPoints"].as_array().into_iter().flatten() {
                        c.points += 1;
                        c.times.push(nanos(&p["timeUnixNano"]));
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The reports.

#[derive(Debug, Deserialize)]
struct Errors {
    total: u64,
    by_severity: BySeverity,
    errors: Vec<Record>,
    groups: Vec<Group>,
}

#[derive(Debug, Deserialize)]
struct Group {
    key: String,
    count: u64,
}

#[derive(Debug, Deserialize)]
struct Diffs {
    total: u64,
    by_kind: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct Replay {
    total: u64,
    events: Vec<Record>,
}

fn severities(c: &Count) -> BySeverity {
    let n = |s| c.severity.get(s).copied().unwrap_or(0);
    sev(n("critical"), n("error"), n("warning"), 0)
}

fn rfc3339(ns: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).expect("in range");
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[test]
fn every_fixture_is_detected_as_otlp_and_the_rest_of_the_folder_is_not_telemetry() {
    let e = typed::<Diffs>("diffs", &[DIR, "-l", "0"]);
    let mut files: Vec<(&str, Option<&str>)> = e
        .sources
        .files
        .iter()
        .map(|f| (f.file.as_str(), f.format.as_deref()))
        .collect();
    files.sort();
    let mut want: Vec<(&str, Option<&str>)> = FILES.iter().map(|f| (*f, Some("otlp"))).collect();
    want.sort();
    assert_eq!(files, want);
    // Each file alone, too (the sniff reads content, not names).
    for f in FILES {
        let e = typed::<Diffs>("diffs", &[f, "-l", "0"]);
        assert_eq!(e.sources.file(f).format.as_deref(), Some("otlp"), "{f}");
    }
}

#[test]
fn records_are_requests_and_the_torn_last_line_is_not_malformed() {
    for f in FILES {
        let (reqs, bad) = requests(f);
        let e = typed::<Diffs>("diffs", &[f, "-l", "0"]);
        let s = e.sources.file(f);
        assert_eq!(s.records, reqs.len() as u64, "{f}");
        assert_eq!(s.malformed, 0, "{f}");
        // The only line that is not JSON is the logs' last, cut short: a torn tail.
        match f {
            LOGS => {
                let last = std::fs::read_to_string(f).unwrap().lines().count() as u64;
                assert_eq!(bad, [last], "{f}");
                assert_eq!(s.torn_tail.as_deref().map(line_of), Some(last));
            }
            _ => assert!(bad.is_empty() && s.torn_tail.is_none(), "{f}"),
        }
    }
}

#[test]
fn a_bad_line_mid_file_is_malformed_and_the_lines_around_it_are_read() {
    let text = std::fs::read_to_string(TRACES).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let body = format!(
        "{}\n{{\"resourceSpans\": [{{\"scopeSpans\": oops}}]}}\n{}\n",
        lines[0],
        lines[1..].join("\n")
    );
    let path = target_tmp("otlp-bad-line.jsonl");
    write_atomic(&path, body.as_bytes());
    let p = path.to_str().unwrap();
    let e = typed::<Diffs>("diffs", &[p, "-l", "0"]);
    let s = e.sources.file(p);
    assert_eq!((s.records, s.malformed), (lines.len() as u64, 1));
    assert_eq!(s.malformed_lines(), [2]);
    assert_eq!(e.data.total, count(&[TRACES]).total());
}

#[test]
fn errors_are_error_spans_api_errors_failed_tools_and_severe_logs() {
    for paths in [
        vec![TRACES],
        vec![PRETTY],
        vec![LOGS],
        vec![METRICS],
        FILES.to_vec(),
    ] {
        let c = count(&paths);
        let e = typed::<Errors>("errors", &[&paths[..], &["-l", "100"]].concat()).data;
        assert_eq!(e.total, c.errors(), "{paths:?}");
        assert_eq!(e.by_severity, severities(&c), "{paths:?}");
        assert_eq!(e.errors.len() as u64, c.errors());
        assert!(e.errors.iter().all(|r| r.format == "otlp"));
        assert!(e.errors.iter().all(|r| !r.summary.is_empty()));
    }
    let c = count(&FILES);
    // Something of every kind is in there, or the test proves little.
    for cat in ["span_error", "api_error", "tool_error"] {
        assert!(c.category.get(cat).is_some_and(|n| *n > 0), "{cat}");
    }
    assert!(c.severity.len() == 3, "{:?}", c.severity);
    let e = typed::<Errors>("errors", &[DIR, "--by", "category", "-l", "100"]).data;
    let got: BTreeMap<String, u64> = e.groups.iter().map(|g| (g.key.clone(), g.count)).collect();
    assert_eq!(got, c.category);
    let e = typed::<Errors>("errors", &[DIR, "-s", "critical"]).data;
    assert_eq!(e.total, c.severity["critical"]);
    assert!(e
        .errors
        .iter()
        .all(|r| r.severity.as_deref() == Some("critical")));
}

#[test]
fn error_records_name_what_failed() {
    let e = typed::<Errors>("errors", &[LOGS, TRACES, "-l", "100"]).data;
    let api = e
        .errors
        .iter()
        .find(|r| r.category.as_deref() == Some("api_error"))
        .expect("api_error");
    assert_eq!(
        (api.kind.as_str(), api.status.as_str()),
        ("log", "api_error")
    );
    assert!(api.summary.contains("Overloaded"), "{}", api.summary);
    let tool = e
        .errors
        .iter()
        .find(|r| r.category.as_deref() == Some("tool_error"))
        .expect("tool_error");
    assert!(
        tool.summary.starts_with("tool_result Edit failed"),
        "{}",
        tool.summary
    );
    let span = e
        .errors
        .iter()
        .find(|r| r.status == "execute_tool web_search")
        .expect("the failing tool span");
    assert_eq!(span.kind, "span");
    assert_eq!(span.agent.as_deref(), Some("researcher"));
    assert!(
        span.summary.contains("search backend timed out"),
        "{}",
        span.summary
    );
}

#[test]
fn diffs_count_every_span_log_record_and_point_plus_the_extra_events() {
    for paths in [
        vec![TRACES],
        vec![PRETTY],
        vec![LOGS],
        vec![METRICS],
        FILES.to_vec(),
    ] {
        let c = count(&paths);
        let d = typed::<Diffs>("diffs", &[&paths[..], &["-l", "0"]].concat()).data;
        assert_eq!(d.total, c.total(), "{paths:?}");
        let mut want = BTreeMap::new();
        for (k, n) in [
            ("span", c.spans),
            ("log", c.logs),
            ("metric", c.points),
            ("usage", c.usage),
            ("agent", c.agents),
        ] {
            if n > 0 {
                want.insert(k.to_string(), n);
            }
        }
        assert_eq!(d.by_kind, want, "{paths:?}");
    }
    let c = count(&FILES);
    assert!(c.usage > 0 && c.agents > 0 && c.points > 0 && c.logs > 0);
    // -e matches a kind or a status exactly.
    let d = typed::<Diffs>("diffs", &[DIR, "-e", "span", "-l", "0"]).data;
    assert_eq!(d.total, c.spans);
    let d = typed::<Diffs>("diffs", &[DIR, "-e", "api_request", "-l", "0"]).data;
    assert_eq!(d.total, c.events["api_request"]);
    assert_eq!(c.events["api_request"], 3);
}

#[test]
fn replay_is_in_time_order_with_every_event_timed() {
    let c = count(&FILES);
    let r = typed::<Replay>("replay", &[DIR, "--after", "2000-01-01", "-l", "1000"]).data;
    assert_eq!(r.total, c.total());
    assert_eq!(r.events.len() as u64, c.total());
    let times: Vec<&str> = r
        .events
        .iter()
        .map(|e| e.time.as_deref().expect("timed"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let (lo, hi) = (c.times.iter().min().unwrap(), c.times.iter().max().unwrap());
    assert_eq!(times.first().copied(), Some(rfc3339(*lo).as_str()));
    assert_eq!(times.last().copied(), Some(rfc3339(*hi).as_str()));
    // The default window (the last 5 minutes of the data) holds all of it here.
    let r = typed::<Replay>("replay", &[DIR, "-l", "1000"]).data;
    assert_eq!(r.total, c.total());
    // JSONL lines are records of the schema.
    let out = ok([
        "replay",
        DIR,
        "--after",
        "2000-01-01",
        "-l",
        "1000",
        "--format",
        "jsonl",
    ]);
    assert_eq!(parse_jsonl("replay", &out).len() as u64, c.total());
}

#[test]
fn usage_is_counted_once_from_api_requests_and_genai_spans_never_from_metrics() {
    let d = json("diagnose", &[DIR]);
    // Tokens: api_request events plus GenAI span usage; the token.usage metric repeats the
    // opus api_requests and is not counted.
    let mut want = 0u64;
    for p in FILES {
        for req in requests(p).0 {
            for rl in either(&req, "resourceLogs", "resource_logs") {
                for sl in either(rl, "scopeLogs", "scope_logs") {
                    for lr in either(sl, "logRecords", "log_records") {
                        let is_request = attr(lr, "event.name").as_deref() == Some("api_request")
                            || lr["eventName"] == "claude_code.api_request"
                            || lr["body"]["stringValue"] == "claude_code.api_request";
                        if is_request {
                            for k in [
                                "input_tokens",
                                "output_tokens",
                                "cache_read_tokens",
                                "cache_creation_tokens",
                            ] {
                                want += attr(lr, k).map_or(0, |v| v.parse::<u64>().unwrap());
                            }
                        }
                    }
                }
            }
            for rs in either(&req, "resourceSpans", "resource_spans") {
                for ss in either(rs, "scopeSpans", "scope_spans") {
                    for sp in ss["spans"].as_array().into_iter().flatten() {
                        let n = |k| attr(sp, k).map(|v| v.parse::<u64>().unwrap());
                        let input =
                            n("gen_ai.usage.input_tokens").or(n("gen_ai.usage.prompt_tokens"));
                        let output =
                            n("gen_ai.usage.output_tokens").or(n("gen_ai.usage.completion_tokens"));
                        if input.is_none() && output.is_none() {
                            continue;
                        }
                        // Input includes the cached tokens when it is at least as large:
                        // each token then counts once.
                        let input = input.unwrap_or(0);
                        let cached = n("gen_ai.usage.cache_read.input_tokens").unwrap_or(0)
                            + n("gen_ai.usage.cache_creation.input_tokens").unwrap_or(0);
                        let uncached = if input >= cached {
                            input - cached
                        } else {
                            input
                        };
                        want += uncached + cached + output.unwrap_or(0);
                    }
                }
            }
        }
    }
    assert_eq!(d["data"]["usage"]["tokens"], want);
    let c = count(&FILES);
    assert_eq!(
        d["data"]["usage"]["token_events"],
        c.events["api_request"] + c.usage
    );
}

#[test]
fn one_and_two_threads_print_the_same_bytes() {
    for cmd in COMMANDS {
        for fmt in ["table", "json"] {
            let args = |j: &str| {
                let mut a = vec![cmd, DIR, "--format", fmt, "--threads", j];
                if cmd == "replay" {
                    a.extend(["--after", "2000-01-01", "-l", "1000"]);
                }
                a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            };
            let (one, two) = (run(args("1")), run(args("2")));
            assert_eq!(one.code, two.code, "{cmd} {fmt}");
            assert!(!one.bytes.is_empty(), "{cmd} {fmt}");
            assert_eq!(one.bytes, two.bytes, "{cmd} {fmt}");
        }
    }
}

#[test]
fn a_request_bigger_than_a_chunk_is_read_whole() {
    // One compact line of ~6 MB (more than one 4 MiB chunk), then the same request
    // pretty-printed: every span of both is read, none is malformed.
    let n = 24_000u64;
    let spans: Vec<Value> = (0..n)
        .map(|k| {
            serde_json::json!({
                "traceId": "0af7651916cd43dd8448eb211c80319c",
                "spanId": format!("{k:016x}"),
                "parentSpanId": if k == 0 { String::new() } else { format!("{:016x}", k / 2) },
                "name": format!("step {k}"),
                "startTimeUnixNano": (1_772_445_600_000_000_000u64 + k * 1_000_000).to_string(),
                "endTimeUnixNano": (1_772_445_600_000_500_000u64 + k * 1_000_000).to_string(),
                "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}],
                "status": {"code": if k % 1000 == 999 { 2 } else { 1 }},
            })
        })
        .collect();
    let req = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "big"}}]},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}]}]});
    let compact = serde_json::to_string(&req).unwrap();
    assert!(compact.len() > 4 << 20, "{}", compact.len());
    let body = format!(
        "{compact}\n{}\n",
        serde_json::to_string_pretty(&req).unwrap()
    );
    let path = target_tmp("otlp-big.jsonl");
    write_atomic(&path, body.as_bytes());
    let p = path.to_str().unwrap();
    let e = typed::<Diffs>("diffs", &[p, "-l", "0"]);
    assert_eq!(e.sources.file(p).records, 2);
    assert_eq!(e.sources.malformed, 0);
    assert_eq!(e.data.total, 2 * n);
    let e = typed::<Errors>("errors", &[p, "-l", "0"]).data;
    assert_eq!(e.total, 2 * (n / 1000));
}

#[test]
fn real_claude_code_files_are_never_taken_for_otlp() {
    let real = "../shared/realdata";
    assert!(
        std::path::Path::new(real).is_dir(),
        "the real data is read in place from {real}"
    );
    let e = typed::<Value>("diffs", &[real, "-l", "0"]);
    assert!(!e.sources.files.is_empty());
    for f in &e.sources.files {
        assert_ne!(f.format.as_deref(), Some("otlp"), "{}", f.file);
    }
}
