//! `oracle diffs`: every event newest first, `-e TYPE`, `--limit`, and the time
//! window flags in every accepted form.

use crate::common::*;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Diffs {
    total: u64,
    by_kind: BTreeMap<String, u64>,
    diffs: Vec<Record>,
}

fn diffs(args: &[&str]) -> Envelope<Diffs> {
    typed("diffs", args)
}

fn kinds(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[test]
fn diff_file_counts_and_order() {
    let e = diffs(&[DIFF]);
    let d = e.data;
    assert_eq!(d.total, 80);
    assert_eq!(
        d.by_kind,
        kinds(&[
            ("agent_message", 64),
            ("error", 10),
            ("event", 1),
            ("handoff", 1),
            ("metric", 1),
            ("span", 2),
            ("trace", 1)
        ])
    );
    assert_eq!(d.diffs.len(), 50, "default --limit is 50");
    assert_eq!(d.diffs[0].line, 80, "newest first");
    assert_eq!(d.diffs[0].kind, "metric");
    let times: Vec<&str> = d.diffs.iter().filter_map(|r| r.time.as_deref()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let f = e.sources.file(DIFF);
    assert_eq!((f.records, f.malformed, f.prefiltered), (80, 0, 0));
    assert_eq!(f.format.as_deref(), Some("diff"));
    assert!(f.torn_tail.is_none());
}

#[test]
fn out_of_order_record_is_placed_by_time() {
    // Line 25 (11:31:16.078) was written after line 24 (11:31:20.936).
    let d = diffs(&[DIFF, "-l", "100"]).data;
    let pos = |line: u64| {
        d.diffs
            .iter()
            .position(|r| r.line == line)
            .expect("line listed")
    };
    assert!(pos(24) < pos(25), "newest first: line 24 before line 25");
    assert_eq!(pos(24) + 1, pos(25));
}

#[test]
fn entity_type_filter() {
    let e = diffs(&[DIFF, "-e", "agent_message"]);
    assert_eq!(e.data.total, 64);
    assert_eq!(e.data.by_kind, kinds(&[("agent_message", 64)]));
    assert!(e.data.diffs.iter().all(|r| r.kind == "agent_message"));
    assert_eq!(e.query.after, None);
    // Records the type cannot match are skipped unparsed, and counted.
    let f = e.sources.file(DIFF);
    assert_eq!(f.records + f.prefiltered, 80, "{f:?}");
    assert_eq!(diffs(&[DIFF, "-e", "span"]).data.total, 2);
    assert_eq!(diffs(&[DIFF, "-e", "trace"]).data.total, 1);
    assert_eq!(
        diffs(&["fixtures/mixed", "-e", "agent_message"]).data.total,
        7
    );
    assert_eq!(diffs(&[DIFF, "-e", "nothing_like_this"]).data.total, 0);
    let out = ok(["diffs", DIFF, "-e", "nothing_like_this"]);
    assert!(out.contains("No diffs found."), "{out}");
    // Pipe event types and hook event types filter the same way.
    assert_eq!(diffs(&[INCIDENT, "-e", "lifecycle"]).data.total, 12);
    assert_eq!(diffs(&["fixtures/hooks", "-e", "file_read"]).data.total, 5);
}

#[test]
fn pipe_event_types() {
    let e = diffs(&[INCIDENT]);
    assert_eq!(e.data.total, 66);
    assert_eq!(
        e.data.by_kind,
        kinds(&[
            ("agent_io", 4),
            ("approval", 2),
            ("config", 3),
            ("coordination", 5),
            ("cost", 2),
            ("data_flow", 2),
            ("dependency", 4),
            ("environment", 3),
            ("error", 5),
            ("lifecycle", 12),
            ("progress", 3),
            ("resource", 10),
            ("telemetry_meta", 1),
            ("test", 6),
            ("timing", 4)
        ])
    );
    let d = diffs(&["fixtures/example"]).data;
    assert_eq!(d.total, 18);
    assert_eq!(
        d.by_kind,
        kinds(&[
            ("coordination", 4),
            ("lifecycle", 8),
            ("progress", 1),
            ("resource", 3),
            ("test", 2)
        ])
    );
}

#[test]
fn hook_event_types() {
    let d = diffs(&["fixtures/hooks/claude-telemetry.jsonl"]).data;
    assert_eq!(d.total, 15);
    assert_eq!(
        d.by_kind,
        kinds(&[
            ("code_search", 2),
            ("command_execution", 2),
            ("file_edit", 2),
            ("file_read", 4),
            ("sub_agent_delegation", 2),
            ("telemetry_error", 1),
            ("web_fetch", 2)
        ])
    );
    // Schema B's vocabulary is mapped onto schema A's.
    let d = diffs(&["fixtures/hooks/schema-b.jsonl"]).data;
    assert_eq!(d.total, 7);
    assert_eq!(
        d.by_kind,
        kinds(&[
            ("code_search", 1),
            ("file_read", 1),
            ("file_search", 1),
            ("sub_agent_delegation", 1),
            ("tool_usage", 1),
            ("web_fetch", 1),
            ("web_search", 1)
        ])
    );
}

#[test]
fn mixed_directory() {
    let e = diffs(&["fixtures/mixed"]);
    assert_eq!(e.data.total, 21);
    assert_eq!(e.data.by_kind["agent_message"], 7);
    assert_eq!(e.data.diffs.len(), 21);
    let newest = &e.data.diffs[0];
    assert_eq!(newest.time.as_deref(), Some("2026-02-13T14:34:58.000000Z"));
    assert_eq!(newest.file, "fixtures/mixed/c.dat");
    let oldest = e.data.diffs.last().expect("events");
    assert_eq!(oldest.time.as_deref(), Some("2026-02-13T14:30:05.000000Z"));
    assert_eq!(oldest.file, "fixtures/mixed/b.txt");
}

#[test]
fn limit() {
    let d = diffs(&[DIFF, "-l", "3"]).data;
    assert_eq!((d.total, d.diffs.len()), (80, 3));
    let lines: Vec<u64> = d.diffs.iter().map(|r| r.line).collect();
    assert_eq!(lines, [80, 79, 78]);
    let d = diffs(&[DIFF, "-l", "0"]).data;
    assert_eq!((d.total, d.diffs.len()), (80, 0));
}

/// `diffs` on the diff fixture with extra flags: (total, resolved after, resolved before).
fn window(args: &[&str]) -> (u64, Option<String>, Option<String>) {
    let mut all = vec![DIFF, "-l", "100"];
    all.extend_from_slice(args);
    let e = diffs(&all);
    (e.data.total, e.query.after, e.query.before)
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn time_window_forms() {
    let minute = (
        19,
        s("2026-02-09T11:30:00.000000Z"),
        s("2026-02-09T11:31:00.000000Z"),
    );
    // Naive ISO (UTC), as the README's check.
    assert_eq!(
        window(&[
            "--after",
            "2026-02-09T11:30:00",
            "--before",
            "2026-02-09T11:31:00"
        ]),
        minute
    );
    // RFC 3339 with Z and with an offset.
    assert_eq!(
        window(&[
            "--after",
            "2026-02-09T11:30:00Z",
            "--before",
            "2026-02-09T11:31:00Z"
        ]),
        minute
    );
    assert_eq!(
        window(&[
            "--after",
            "2026-02-09T13:30:00+02:00",
            "--before",
            "2026-02-09T13:31:00+02:00"
        ]),
        minute
    );
    // Naive with a space and no seconds.
    assert_eq!(
        window(&[
            "--after",
            "2026-02-09 11:30",
            "--before",
            "2026-02-09 11:31"
        ]),
        minute
    );
    // The window is inclusive and holds exactly lines 1-19.
    let d = diffs(&[
        DIFF,
        "-l",
        "100",
        "--after",
        "2026-02-09T11:30:00",
        "--before",
        "2026-02-09T11:31:00",
    ])
    .data;
    let mut lines: Vec<u64> = d.diffs.iter().map(|r| r.line).collect();
    lines.sort_unstable();
    assert_eq!(lines, (1..=19).collect::<Vec<_>>());
    // A date is midnight UTC.
    assert_eq!(
        window(&["--after", "2026-02-09"]),
        (80, s("2026-02-09T00:00:00.000000Z"), None)
    );
    assert_eq!(window(&["--before", "2026-02-09"]).0, 0);
    assert_eq!(window(&["--after", "2026-02-10"]).0, 0);
}

#[test]
fn durations_count_back_from_the_last_event() {
    // The last event is 2026-02-09T11:38:26.270926.
    assert_eq!(
        window(&["--after", "90s"]),
        (16, s("2026-02-09T11:36:56.270926Z"), None)
    );
    assert_eq!(
        window(&["--after", "10m"]),
        (80, s("2026-02-09T11:28:26.270926Z"), None)
    );
    assert_eq!(
        window(&["--after", "2m", "--before", "1m"]),
        (
            7,
            s("2026-02-09T11:36:26.270926Z"),
            s("2026-02-09T11:37:26.270926Z")
        )
    );
    assert_eq!(window(&["--after", "1h30m"]).0, 80);
}

#[test]
fn mixed_window_spans_formats() {
    // 14:30-14:35 holds every record of mixed/ (2026-02-13T14:30:05Z .. 14:34:58Z).
    let e = diffs(&[
        "fixtures/mixed",
        "--after",
        "2026-02-13T14:30:00Z",
        "--before",
        "2026-02-13T14:35:00Z",
    ]);
    assert_eq!(e.data.total, 21);
    let e = diffs(&["fixtures/mixed", "--after", "2026-02-13T14:34:50Z"]);
    // b.txt's team_complete (14:34:50) and c.dat's last record (14:34:58).
    assert!(e
        .data
        .diffs
        .iter()
        .all(|r| r.time.as_deref() >= Some("2026-02-13T14:34:50")));
    assert!(e.data.total >= 2);
}

/// Tool-use ids of every transcript line under `dir`: (started, ended), read
/// from the raw records (`tool_use` blocks, and `tool_result` blocks naming them).
fn tool_ids(dir: &std::path::Path) -> (Vec<String>, std::collections::HashSet<String>) {
    let mut started = Vec::new();
    let mut ended = std::collections::HashSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read fixture dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().and_then(|x| x.to_str()) != Some("jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&p).expect("read").lines() {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                let Some(blocks) = v["message"]["content"].as_array() else {
                    continue;
                };
                for b in blocks {
                    match b["type"].as_str() {
                        Some("tool_use") => started.extend(b["id"].as_str().map(String::from)),
                        Some("tool_result") => {
                            ended.extend(b["tool_use_id"].as_str().map(String::from))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    (started, ended)
}

#[test]
fn unfinished_lists_exactly_the_tool_calls_diagnose_counts() {
    let dir = root().join("fixtures/transcripts");
    let (started, ended) = tool_ids(&dir);
    let mut open: Vec<String> = started
        .into_iter()
        .filter(|id| !ended.contains(id))
        .collect();
    open.sort();
    open.dedup();
    assert!(!open.is_empty(), "the fixture has an unfinished call");
    let v = json("diffs", &["--unfinished", "fixtures/transcripts"]);
    assert_eq!(v["data"]["total"], open.len() as u64, "{v}");
    assert_eq!(v["query"]["unfinished"], true);
    let d = json("diagnose", &["fixtures/transcripts"]);
    let finding = d["data"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["title"]
                .as_str()
                .is_some_and(|s| s.contains("never got a result"))
        })
        .expect("the finding");
    let title = finding["title"].as_str().unwrap();
    assert!(
        title.starts_with(&format!("{} tool call(s)", open.len())),
        "{finding}"
    );
    assert!(
        finding["next"]
            .as_str()
            .unwrap()
            .contains("diffs --unfinished"),
        "{finding}"
    );
    // The listed records are those calls: each one's line holds its id.
    for r in v["data"]["diffs"].as_array().unwrap() {
        let file = r["file"].as_str().unwrap();
        let line = r["line"].as_u64().unwrap() as usize;
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let raw = text.lines().nth(line - 1).unwrap();
        assert!(open.iter().any(|id| raw.contains(id.as_str())), "{raw}");
    }
}
