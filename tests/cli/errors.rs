//! `oracle errors`: error-like events across formats, filters and `--by` groups.

use crate::common::*;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Deserialize)]
struct Errors {
    total: u64,
    by_severity: BySeverity,
    errors: Vec<Record>,
    groups: Vec<Group>,
    group_by: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Group {
    key: String,
    count: u64,
    max_severity: String,
    example: String,
}

fn errors(args: &[&str]) -> Errors {
    typed::<Errors>("errors", args).data
}

fn lines(e: &Errors) -> BTreeSet<u64> {
    e.errors.iter().map(|r| r.line).collect()
}

fn lines_of(e: &Errors, severity: &str) -> BTreeSet<u64> {
    e.errors
        .iter()
        .filter(|r| r.severity.as_deref() == Some(severity))
        .map(|r| r.line)
        .collect()
}

fn set(v: &[u64]) -> BTreeSet<u64> {
    v.iter().copied().collect()
}

/// Error entities (10) and error replies (3) of the diff fixture, by line.
const DIFF_ERROR_LINES: [u64; 13] = [12, 17, 18, 21, 27, 28, 30, 37, 42, 51, 52, 63, 71];

#[test]
fn example_has_no_errors() {
    let out = ok(["errors", "fixtures/example"]);
    assert!(out.contains("No errors found."), "{out}");
    let e = errors(&["fixtures/example"]);
    assert_eq!(e.total, 0);
    assert_eq!(e.by_severity, BySeverity::default());
    assert!(e.errors.is_empty() && e.groups.is_empty());
}

#[test]
fn diff_errors_by_line_and_severity() {
    let e = errors(&[DIFF]);
    assert_eq!(e.total, 13);
    assert_eq!(e.by_severity, sev(2, 7, 3, 1));
    assert_eq!(lines(&e), set(&DIFF_ERROR_LINES));
    assert_eq!(lines_of(&e, "critical"), set(&[51, 71]));
    assert_eq!(lines_of(&e, "warning"), set(&[12, 42, 63]));
    assert_eq!(lines_of(&e, "info"), set(&[30]));
    // Newest first.
    let times: Vec<&str> = e.errors.iter().filter_map(|r| r.time.as_deref()).collect();
    assert_eq!(times.len(), 13);
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(e.errors[0].line, 71);
    let replies: BTreeSet<u64> = e
        .errors
        .iter()
        .filter(|r| r.kind == "agent_message" && r.status == "error")
        .map(|r| r.line)
        .collect();
    assert_eq!(replies, set(&[18, 28, 52]));
    assert!(e
        .errors
        .iter()
        .all(|r| r.file == DIFF && r.format == "diff"));
}

#[test]
fn diff_errors_table() {
    let out = ok(["errors", DIFF]);
    assert!(
        out.contains("Errors (13): 2 critical, 7 error, 3 warning, 1 info"),
        "{out}"
    );
    insta::assert_snapshot!("errors_diff", out);
}

#[test]
fn by_message_groups_the_two_timeouts() {
    let e = errors(&[DIFF, "--by", "message"]);
    assert_eq!(e.group_by.as_deref(), Some("message"));
    assert!(e.errors.is_empty(), "--by lists groups, not events");
    let timeouts: Vec<&Group> = e
        .groups
        .iter()
        .filter(|g| g.example.starts_with("Timeout after"))
        .collect();
    assert_eq!(timeouts.len(), 1, "{:?}", e.groups);
    assert_eq!(timeouts[0].count, 2);
    assert_eq!(timeouts[0].max_severity, "error");
    assert!(!timeouts[0].key.contains("30") && !timeouts[0].key.contains("7f3a9c21"));
    assert_eq!(
        timeouts[0].example,
        "Timeout after 30s calling tool id 7f3a9c21"
    );
    assert_eq!(e.groups.iter().map(|g| g.count).sum::<u64>(), 13);
    assert!(e.groups.windows(2).all(|w| w[0].count >= w[1].count));
    let out = ok(["errors", DIFF, "--by", "message"]);
    insta::assert_snapshot!("errors_diff_by_message", out);
}

#[test]
fn by_agent_and_category() {
    let e = errors(&[DIFF, "--by", "agent"]);
    let got: Vec<(&str, u64)> = e.groups.iter().map(|g| (g.key.as_str(), g.count)).collect();
    assert_eq!(
        got,
        [
            ("Coder", 5),
            ("Researcher", 3),
            ("Orchestrator", 2),
            ("Reviewer", 2),
            ("Writer", 1)
        ]
    );
    let e = errors(&[DIFF, "--by", "category"]);
    let timeout = e
        .groups
        .iter()
        .find(|g| g.key == "timeout_error")
        .expect("timeout_error");
    assert_eq!(timeout.count, 2);
    assert_eq!(e.groups[0].key, "timeout_error");
    // --limit applies to groups.
    let e = errors(&[DIFF, "--by", "category", "-l", "2"]);
    assert_eq!(e.groups.len(), 2);
    assert_eq!(e.total, 13);
}

#[test]
fn filters() {
    let e = errors(&[DIFF, "-s", "critical"]);
    assert_eq!((e.total, lines(&e)), (2, set(&[51, 71])));
    assert_eq!(e.by_severity, sev(2, 0, 0, 0));
    let e = errors(&[DIFF, "-s", "critical,error"]);
    assert_eq!(e.total, 9);
    let e = errors(&[DIFF, "-s", "warning", "-s", "info"]);
    assert_eq!((e.total, lines(&e)), (4, set(&[12, 30, 42, 63])));
    let e = errors(&[DIFF, "-a", "coder"]);
    assert_eq!((e.total, lines(&e)), (5, set(&[21, 27, 28, 37, 71])));
    let e = errors(&[DIFF, "--category", "TIMEOUT_ERROR"]);
    assert_eq!((e.total, lines(&e)), (2, set(&[21, 37])));
    let e = errors(&[DIFF, "--grep", "timeout after \\d+s"]);
    assert_eq!((e.total, lines(&e)), (2, set(&[21, 37])));
    let e = errors(&[DIFF, "-a", "Coder", "-s", "critical"]);
    assert_eq!((e.total, lines(&e)), (1, set(&[71])));
    let e = errors(&[DIFF, "-l", "3"]);
    assert_eq!(e.total, 13, "total counts before --limit");
    assert_eq!(e.errors.len(), 3);
    assert_eq!(e.errors[0].line, 71);
    let e = errors(&[DIFF, "--before", "2026-02-09T11:31:00"]);
    assert_eq!((e.total, lines(&e)), (3, set(&[12, 17, 18])));
}

#[test]
fn bad_filter_values_exit_two() {
    let r = run(["errors", DIFF, "--grep", "(unclosed"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--grep"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let r = run(["errors", DIFF, "-s", "bad"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--severity"), "{}", r.stderr);
}

#[test]
fn incident_error_like_events() {
    let e = errors(&[INCIDENT]);
    // The README's 9 error-like events, with the severities the engine gives them.
    let readme = set(&[38, 48, 50, 56, 57, 59, 67, 68, 72]);
    assert!(
        lines(&e).is_superset(&readme),
        "missing: {:?}",
        readme.difference(&lines(&e)).collect::<Vec<_>>()
    );
    assert_eq!(lines_of(&e, "critical"), set(&[48, 68, 72]));
    assert_eq!(lines_of(&e, "error"), set(&[50, 56, 57, 59, 67]));
    assert!(lines_of(&e, "warning").contains(&38));
    let team_failed = e.errors.iter().find(|r| r.line == 72).expect("line 72");
    assert_eq!(
        (team_failed.kind.as_str(), team_failed.status.as_str()),
        ("lifecycle", "team_failed")
    );
    assert_eq!(team_failed.agent.as_deref(), Some("api-coordinator"));
    assert_eq!(team_failed.category.as_deref(), Some("timeout"));
    let e = errors(&[INCIDENT, "-s", "critical,error"]);
    assert_eq!(e.total, 8);
    let e = errors(&[INCIDENT, "--category", "test"]);
    assert_eq!(lines(&e), set(&[56, 57, 59]));
}

#[test]
fn malformed_pipe_log() {
    let env = typed::<Errors>("errors", &["fixtures/pipe/malformed.log"]);
    let e = env.data;
    assert_eq!(e.total, 3);
    assert_eq!(lines(&e), set(&[13, 17, 21]));
    assert_eq!(e.by_severity, sev(1, 2, 0, 0));
    let f = env.sources.file("fixtures/pipe/malformed.log");
    assert_eq!(f.malformed, 3);
    assert_eq!(f.malformed_lines(), [11, 14, 18]);
    assert_eq!(
        f.torn_tail.as_deref(),
        Some("fixtures/pipe/malformed.log:22")
    );
}

#[test]
fn per_directory_totals() {
    let cases: [(&str, u64, BySeverity); 4] = [
        ("fixtures/pipe", 17, sev(4, 7, 5, 1)),
        ("fixtures/timemachine", 13, sev(2, 7, 3, 1)),
        ("fixtures/hooks", 1, sev(0, 1, 0, 0)),
        ("fixtures/mixed", 4, sev(1, 2, 1, 0)),
    ];
    for (dir, total, by) in cases {
        let e = errors(&[dir]);
        assert_eq!(e.total, total, "{dir}");
        assert_eq!(e.by_severity, by, "{dir}");
        assert_eq!(e.errors.len() as u64, total.min(30), "{dir}");
    }
}

#[test]
fn hooks_and_mixed_attribution() {
    let e = errors(&["fixtures/hooks"]);
    assert_eq!(e.errors.len(), 1);
    let r = &e.errors[0];
    assert_eq!(r.file, "fixtures/hooks/claude-telemetry.jsonl");
    assert_eq!(r.line, 396);
    assert_eq!(r.format, "hook");
    assert_eq!(r.category.as_deref(), Some("telemetry_error"));
    assert_eq!(r.time.as_deref(), Some("2026-02-13T14:33:41.000000Z"));

    let e = errors(&["fixtures/mixed"]);
    let per_file = |f: &str| e.errors.iter().filter(|r| r.file == f).count();
    assert_eq!(per_file("fixtures/mixed/a.log"), 2);
    assert_eq!(per_file("fixtures/mixed/b.txt"), 1);
    assert_eq!(per_file("fixtures/mixed/c.dat"), 1);
    let crit = e
        .errors
        .iter()
        .find(|r| r.severity.as_deref() == Some("critical"))
        .expect("critical");
    assert_eq!(
        (crit.agent.as_deref(), crit.category.as_deref()),
        (Some("Coder"), Some("llm_error"))
    );
    let warn = e
        .errors
        .iter()
        .find(|r| r.file == "fixtures/mixed/b.txt")
        .expect("b.txt");
    assert_eq!(warn.severity.as_deref(), Some("warning"));
}
