//! `oracle diagnose`: the one-screen report, its numbers on every fixture, and
//! `--fail-on` / `--stuck-after`.

use crate::common::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Diagnose {
    status: String,
    events: u64,
    malformed: u64,
    span: Span,
    agents: Agents,
    errors: ErrorSummary,
    queues: QueueSummary,
    tests: Tests,
    failed_test_cases: u64,
    usage: Usage,
    scope_violations: u64,
    last_snapshot: Option<Snapshot>,
    findings: Vec<Finding>,
}

#[derive(Debug, Deserialize)]
struct Span {
    first: Option<String>,
    last: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Agents {
    total: u64,
    spawned: u64,
    completed: u64,
    failed: u64,
    failed_agents: Vec<String>,
    never_finished: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorSummary {
    total: u64,
    by_severity: BySeverity,
    top_messages: Vec<Group>,
}

#[derive(Debug, Deserialize)]
struct Group {
    key: String,
    count: u64,
}

#[derive(Debug, Deserialize)]
struct QueueSummary {
    total_pending: u64,
    stuck: Vec<Stuck>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Stuck {
    agent: String,
    pending: u64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Tests {
    passed: u64,
    failed: u64,
    skipped: u64,
}

#[derive(Debug, Deserialize)]
struct Usage {
    tokens: u64,
    token_events: u64,
    cost_usd: f64,
}

#[derive(Debug, Deserialize)]
struct Snapshot {
    time: String,
    at: String,
    counts: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Finding {
    severity: String,
    title: String,
    next: String,
}

fn diagnose(args: &[&str]) -> Envelope<Diagnose> {
    typed("diagnose", args)
}

fn tests(passed: u64, failed: u64, skipped: u64) -> Tests {
    Tests {
        passed,
        failed,
        skipped,
    }
}

#[test]
fn example_is_healthy() {
    let e = diagnose(&["fixtures/example"]);
    let d = e.data;
    assert_eq!(d.status, "ok");
    assert_eq!(d.events, 18);
    assert_eq!(d.malformed, 0);
    assert_eq!(d.agents.total, 5);
    assert_eq!(d.agents.spawned, 4, "execute-agent is never spawned");
    assert_eq!(d.agents.completed, 4);
    assert_eq!(d.agents.failed, 0);
    assert!(d.agents.failed_agents.is_empty());
    assert!(d.agents.never_finished.is_empty());
    assert_eq!(d.usage.tokens, 6900);
    assert_eq!(d.usage.token_events, 3);
    assert_eq!(d.tests, tests(15, 0, 0));
    assert_eq!(d.failed_test_cases, 0);
    assert_eq!(d.errors.total, 0);
    assert_eq!(d.errors.by_severity, BySeverity::default());
    assert_eq!(d.queues.total_pending, 0);
    assert!(d.findings.is_empty(), "{:?}", d.findings);
    assert_eq!(d.span.first.as_deref(), Some("2026-02-13T14:30:01.123000Z"));
    assert_eq!(d.span.last.as_deref(), Some("2026-02-13T14:30:49.500000Z"));
    assert_eq!(e.sources.records, 18);
    assert_eq!(e.sources.file(EXAMPLE_LOG).format.as_deref(), Some("pipe"));
}

#[test]
fn example_table_shows_tokens_and_tests() {
    let out = ok(["diagnose", "fixtures/example"]);
    assert!(out.contains("6,900 tokens"), "{out}");
    assert!(out.contains("15 passed / 0 failed"), "{out}");
    assert!(out.contains("18 events"), "{out}");
    insta::assert_snapshot!("diagnose_example", out);
}

#[test]
fn default_locations_find_the_claude_log() {
    // No path: ./.claude/telemetry-*.log of the current directory.
    let mut c = command();
    c.current_dir(root().join("fixtures/example"))
        .args(["diagnose", "--format", "json"]);
    let r = run_cmd(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e: Envelope<Diagnose> = decode(parse_validated("diagnose", &r.stdout));
    assert_eq!(e.data.events, 18);
    assert_eq!(e.sources.files.len(), 1);
    assert!(e.sources.files[0]
        .file
        .ends_with("telemetry-2026-02-13T14-30-00.log"));

    // $TELEMETRY_DATA_DIR wins.
    let mut c = command();
    c.env("TELEMETRY_DATA_DIR", "fixtures/mixed")
        .args(["diagnose", "--format", "json"]);
    let r = run_cmd(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e: Envelope<Diagnose> = decode(parse_validated("diagnose", &r.stdout));
    assert_eq!(e.data.events, 21);
}

#[test]
fn incident_log() {
    let d = diagnose(&[INCIDENT]).data;
    assert_eq!(d.events, 66);
    assert_eq!(d.malformed, 0);
    assert_eq!(d.agents.total, 6);
    assert_eq!(d.agents.spawned, 6);
    assert_eq!(
        d.agents.failed_agents,
        ["api-coordinator", "handler-agent-2"]
    );
    assert_eq!(d.agents.never_finished, ["docs-agent"]);
    assert_eq!(d.tests, tests(21, 2, 1));
    assert_eq!(d.failed_test_cases, 2);
    assert_eq!(d.usage.tokens, 24650);
    assert_eq!(d.usage.token_events, 4);
    assert!(
        (d.usage.cost_usd - 0.14895).abs() < 1e-9,
        "{}",
        d.usage.cost_usd
    );
    // The README's 9 error-like events are 3 critical, 5 error and 1 warning
    // (line 38); the engine also rates warnings (timeout_warning, retries,
    // model fallback, depth limit) and one info state transition.
    assert_eq!(d.errors.by_severity.critical, 3);
    assert_eq!(d.errors.by_severity.error, 5);
    assert_eq!(d.status, "critical");
    assert_eq!(d.findings[0].severity, "critical");
    assert!(
        d.findings[0].next.starts_with("oracle errors"),
        "{:?}",
        d.findings[0]
    );
    assert!(
        d.findings[0].next.ends_with(INCIDENT),
        "{:?}",
        d.findings[0]
    );
    let titles: Vec<&str> = d.findings.iter().map(|f| f.title.as_str()).collect();
    assert!(
        titles.iter().any(|t| t.contains("docs-agent")),
        "no finding for the unfinished docs-agent: {titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("2 test(s) failed")),
        "{titles:?}"
    );
}

#[test]
fn incident_table() {
    let out = ok(["diagnose", INCIDENT]);
    assert!(out.contains("24,650 tokens"), "{out}");
    assert!(out.contains("21 passed / 2 failed / 1 skipped"), "{out}");
    insta::assert_snapshot!("diagnose_incident", out);
}

#[test]
fn pipe_directory() {
    let e = diagnose(&["fixtures/pipe"]);
    let d = &e.data;
    assert_eq!(d.events, 66 + 12);
    assert_eq!(d.malformed, 3, "torn tails are not counted as malformed");
    assert_eq!(d.agents.total, 6 + 3);
    assert_eq!(
        d.agents.failed_agents,
        [
            "api-coordinator",
            "handler-agent-2",
            "lint-agent-2",
            "lint-coordinator"
        ]
    );
    assert_eq!(d.usage.tokens, 24650 + 2150);
    assert_eq!(d.errors.by_severity.critical, 3 + 1);
    assert_eq!(d.errors.by_severity.error, 5 + 2);
    let titles: Vec<&str> = d.findings.iter().map(|f| f.title.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("3 unreadable") && t.contains("malformed.log:11")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("malformed.log") && t.contains("partial")),
        "{titles:?}"
    );
}

#[test]
fn malformed_pipe_log() {
    let e = diagnose(&["fixtures/pipe/malformed.log"]);
    let d = e.data;
    assert_eq!(d.events, 12);
    assert_eq!(d.malformed, 3);
    assert_eq!(d.agents.total, 3);
    assert_eq!(d.agents.failed_agents, ["lint-agent-2", "lint-coordinator"]);
    assert_eq!(d.errors.total, 3);
    assert_eq!(d.errors.by_severity, sev(1, 2, 0, 0));
    assert_eq!(d.usage.tokens, 2150);
}

#[test]
fn diff_time_machine() {
    let d = diagnose(&[DIFF]).data;
    assert_eq!(d.events, 80);
    assert_eq!(d.agents.total, 5);
    assert_eq!(d.errors.total, 13);
    assert_eq!(d.errors.by_severity, sev(2, 7, 3, 1));
    assert_eq!(d.queues.total_pending, 3);
    assert_eq!(
        d.queues.stuck,
        [Stuck {
            agent: "Coder".into(),
            pending: 3
        }]
    );
    let timeout = d
        .errors
        .top_messages
        .iter()
        .find(|g| g.key.starts_with("Timeout after"))
        .expect("the two timeouts group");
    assert_eq!(timeout.count, 2);
    assert_eq!(d.status, "critical");
    assert!(
        d.findings
            .iter()
            .any(|f| f.severity == "warning" && f.title.contains("'Coder' has 3 pending")),
        "{:?}",
        d.findings
    );
}

#[test]
fn diff_tokens_count_spans_only() {
    // README: diff tokens = span.token_usage.total_tokens (600 + 930); the
    // trace's total_tokens repeats that sum. Usage docs: span token_usage only.
    let d = diagnose(&[DIFF]).data;
    assert_eq!(d.usage.tokens, 1530);
    assert_eq!(d.usage.token_events, 2);
}

#[test]
fn stuck_after_sets_the_pending_threshold() {
    // The oldest pending Coder task is 8m21s old at the data's last event.
    let d = diagnose(&[DIFF, "--stuck-after", "10m"]).data;
    assert!(
        !d.findings.iter().any(|f| f.title.contains("pending")),
        "{:?}",
        d.findings
    );
    assert_eq!(
        d.queues.total_pending, 3,
        "still counted, just not a finding"
    );
    let d = diagnose(&[DIFF, "--stuck-after", "8m"]).data;
    assert!(d.findings.iter().any(|f| f.title.contains("pending")));
    let r = run(["diagnose", DIFF, "--stuck-after", "soon"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--stuck-after"), "{}", r.stderr);
}

#[test]
fn state_snapshots() {
    let d = diagnose(&["fixtures/timemachine/state_time_machine.jsonl"]).data;
    assert_eq!(d.events, 3);
    let s = d.last_snapshot.expect("a snapshot");
    assert_eq!(s.time, "2026-02-09T11:38:15.968979Z");
    assert_eq!(s.at, "fixtures/timemachine/state_time_machine.jsonl:3");
    assert_eq!(s.counts["agent_messages_count"], 150);
    assert_eq!(s.counts["errors_count"], 10);
}

#[test]
fn timemachine_directory() {
    let e = diagnose(&["fixtures/timemachine"]);
    assert_eq!(e.sources.files.len(), 3);
    let d = e.data;
    assert_eq!(d.events, 80 + 10 + 3);
    assert_eq!(d.malformed, 3);
    assert_eq!(d.errors.total, 13, "malformed.jsonl holds no error record");
    assert_eq!(
        d.last_snapshot.expect("snapshot").counts["errors_count"],
        10
    );
}

#[test]
fn hooks_directory() {
    let e = diagnose(&["fixtures/hooks"]);
    let d = e.data;
    assert_eq!(d.events, 15 + 7);
    assert_eq!(d.agents.total, 0, "hooks name sessions, not agents");
    assert_eq!(d.errors.total, 1);
    assert_eq!(d.errors.by_severity, sev(0, 1, 0, 0));
    assert_eq!(d.scope_violations, 2 + 1);
    assert_eq!(d.status, "error");
    assert_eq!(d.span.first.as_deref(), Some("2026-02-13T14:31:02.000000Z"));
    assert_eq!(d.span.last.as_deref(), Some("2026-02-13T14:45:06.000000Z"));
}

#[test]
fn mixed_directory() {
    let d = diagnose(&["fixtures/mixed"]).data;
    assert_eq!(d.events, 21);
    assert_eq!(d.errors.total, 4);
    assert_eq!(d.errors.by_severity, sev(1, 2, 1, 0));
    assert_eq!(d.span.first.as_deref(), Some("2026-02-13T14:30:05.000000Z"));
    assert_eq!(d.span.last.as_deref(), Some("2026-02-13T14:34:58.000000Z"));
    assert_eq!(d.usage.tokens, 4000);
    assert_eq!(d.queues.total_pending, 1);
    assert_eq!(d.status, "critical");
}

#[test]
fn mixed_table() {
    let out = ok(["diagnose", "fixtures/mixed"]);
    assert!(out.contains("21 events"), "{out}");
    insta::assert_snapshot!("diagnose_mixed", out);
}

#[test]
fn fail_on_sets_exit_status_one() {
    // fixtures/pipe has critical findings.
    let v = json_status("diagnose", &["fixtures/pipe", "--fail-on", "critical"], 1);
    assert_eq!(v["query"]["fail_on"], "critical");
    assert_eq!(v["data"]["status"], "critical");
    let r = run(["diagnose", "fixtures/pipe", "--fail-on", "critical"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("critical"), "the report is still printed");

    // The example is clean.
    json_status(
        "diagnose",
        &["fixtures/example", "--fail-on", "critical"],
        0,
    );
    json_status("diagnose", &["fixtures/example", "--fail-on", "warning"], 0);

    // Thresholds: hooks' worst finding is an error; b.txt's a warning.
    json_status("diagnose", &["fixtures/hooks", "--fail-on", "critical"], 0);
    json_status("diagnose", &["fixtures/hooks", "--fail-on", "error"], 1);
    json_status(
        "diagnose",
        &["fixtures/mixed/b.txt", "--fail-on", "error"],
        0,
    );
    json_status(
        "diagnose",
        &["fixtures/mixed/b.txt", "--fail-on", "warning"],
        1,
    );

    // Without --fail-on, findings never change the status.
    json_status("diagnose", &["fixtures/pipe"], 0);
}
