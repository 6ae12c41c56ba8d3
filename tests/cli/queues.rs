//! `oracle queues`: per-agent traffic, pending tasks (a task is pending when no
//! result or error names it as parent), and pipe-log queue occupancy.

use crate::common::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Queues {
    as_of: Option<String>,
    agents: Vec<Agent>,
    total_pending: u64,
    oldest_pending: Option<Pending>,
    replies: u64,
    pending: Vec<Pending>,
    occupancy: Option<Occupancy>,
}

#[derive(Debug, Deserialize)]
struct Agent {
    agent: String,
    sent: u64,
    received: u64,
    pending: u64,
    errors: u64,
    oldest_pending_age_ms: Option<i64>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Pending {
    id: String,
    from: String,
    to: String,
    time: Option<String>,
    age_ms: Option<i64>,
    at: String,
}

#[derive(Debug, Deserialize)]
struct Occupancy {
    events: u64,
    peak_queued: u64,
    peak_at: Option<String>,
    queued_events: u64,
    dequeued_events: u64,
}

fn queues(args: &[&str]) -> Queues {
    typed::<Queues>("queues", args).data
}

fn pending_per_agent(q: &Queues) -> Vec<(&str, u64)> {
    q.agents
        .iter()
        .map(|a| (a.agent.as_str(), a.pending))
        .collect()
}

const OLDEST: &str = "4f65417f-36bb-4636-9507-b7510c6a1f7c";

#[test]
fn diff_pending_is_three_coder_tasks() {
    let q = queues(&[DIFF]);
    assert_eq!(
        pending_per_agent(&q),
        [
            ("Coder", 3),
            ("Orchestrator", 0),
            ("Researcher", 0),
            ("Reviewer", 0),
            ("Writer", 0)
        ]
    );
    assert_eq!(q.total_pending, 3);
    assert_eq!(q.replies, 23 - 3, "every other task got its reply");
    assert_eq!(q.as_of.as_deref(), Some("2026-02-09T11:38:26.270926Z"));
    let oldest = q.oldest_pending.expect("a pending task");
    assert_eq!(oldest.id, OLDEST);
    assert_eq!(
        (oldest.from.as_str(), oldest.to.as_str()),
        ("Orchestrator", "Coder")
    );
    assert_eq!(oldest.at, format!("{DIFF}:2"));
    assert_eq!(oldest.time.as_deref(), Some("2026-02-09T11:30:04.784329Z"));
    let coder = &q.agents[0];
    assert_eq!(coder.oldest_pending_age_ms, oldest.age_ms);
    assert!(q.pending.is_empty(), "listed only with --pending");
    assert!(q.occupancy.is_none());
}

#[test]
fn diff_traffic_per_agent() {
    // Sent/received as the seed CLI counts them (README, legacy JSON).
    let q = queues(&[DIFF]);
    let traffic: Vec<(&str, u64, u64, u64)> = q
        .agents
        .iter()
        .map(|a| (a.agent.as_str(), a.sent, a.received, a.errors))
        .collect();
    assert_eq!(
        traffic,
        [
            ("Coder", 13, 9, 5),
            ("Orchestrator", 22, 40, 0),
            ("Researcher", 11, 6, 2),
            ("Reviewer", 8, 4, 2),
            ("Writer", 10, 5, 0)
        ]
    );
}

#[test]
fn pending_lists_every_task_oldest_first() {
    let q = queues(&[DIFF, "--pending"]);
    let ids: Vec<&str> = q.pending.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            OLDEST,
            "dedc14bf-4092-4cc5-8a11-ac1e0988625b",
            "f9f56c59-bf89-44fa-8d74-98d0bd1c5149"
        ]
    );
    assert!(q.pending.iter().all(|p| p.to == "Coder"));
    let lines: Vec<u64> = q.pending.iter().map(|p| line_of(&p.at)).collect();
    assert_eq!(lines, [2, 40, 69]);
    assert_eq!(q.oldest_pending.as_ref(), q.pending.first());
    // jsonl prints the pending tasks when listed, else the agents.
    let items = parse_jsonl(
        "queues",
        &ok(["queues", DIFF, "--pending", "--format", "jsonl"]),
    );
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], OLDEST);
    let items = parse_jsonl("queues", &ok(["queues", DIFF, "--format", "jsonl"]));
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["agent"], "Coder");
}

#[test]
fn diff_table() {
    let out = ok(["queues", DIFF]);
    assert!(out.contains("3 pending"), "{out}");
    insta::assert_snapshot!("queues_diff", out);
}

#[test]
fn malformed_time_machine_file() {
    let q = queues(&["fixtures/timemachine/malformed.jsonl"]);
    let with_pending: Vec<(&str, u64)> = pending_per_agent(&q)
        .into_iter()
        .filter(|a| a.1 > 0)
        .collect();
    assert_eq!(
        with_pending,
        [("Coder", 2), ("Researcher", 1), ("Writer", 1)]
    );
    assert_eq!(q.total_pending, 4);
}

#[test]
fn mixed_directory() {
    let e = typed::<Queues>("queues", &["fixtures/mixed", "--pending"]);
    let q = e.data;
    let with_pending: Vec<(&str, u64)> = pending_per_agent(&q)
        .into_iter()
        .filter(|a| a.1 > 0)
        .collect();
    assert_eq!(with_pending, [("Coder", 1)]);
    assert_eq!(q.pending.len(), 1);
    let p = &q.pending[0];
    assert_eq!(p.id, "84c5442e-efc6-475d-8bf0-9436d5462775");
    assert_eq!(p.time.as_deref(), Some("2026-02-13T14:30:40.000000Z"));
    assert_eq!(p.at, "fixtures/mixed/a.log:2");
    // Ages are measured to the last event of the inputs queues reads (agent messages
    // and pipe logs: b.txt at 14:34:50), not to the hook file it never parses.
    assert_eq!(q.as_of.as_deref(), Some("2026-02-13T14:34:50.000000Z"));
    assert_eq!(p.age_ms, Some(250_000));
    // b.txt holds no queue events, so no occupancy.
    assert!(q.occupancy.is_none());
    // Hook files are never parsed by queues.
    assert_eq!(
        e.sources.file("fixtures/mixed/c.dat").format.as_deref(),
        Some("hook")
    );
}

#[test]
fn pipe_occupancy() {
    let q = queues(&[INCIDENT]);
    assert!(q.agents.is_empty());
    assert_eq!(q.total_pending, 0);
    let o = q
        .occupancy
        .expect("queue_status, agent_queued, agent_dequeued");
    assert_eq!(o.events, 3);
    assert_eq!(o.peak_queued, 1);
    assert_eq!(o.peak_at.as_deref(), Some("2026-02-13T10:00:23.800000Z"));
    assert_eq!((o.queued_events, o.dequeued_events), (1, 1));
    let out = ok(["queues", INCIDENT]);
    assert!(out.contains("No agent messages."), "{out}");
    assert!(out.contains("Pipe-log occupancy: 3 events"), "{out}");
}

#[test]
fn no_queue_data() {
    for input in ["fixtures/hooks", "fixtures/example"] {
        let q = queues(&[input]);
        assert!(q.agents.is_empty() && q.occupancy.is_none(), "{input}");
        assert_eq!(q.total_pending, 0);
        let out = ok(["queues", input]);
        assert!(out.contains("No queue data yet."), "{input}: {out}");
    }
}

#[test]
fn duplicate_task_ids_do_not_depend_on_file_boundaries() {
    // a.jsonl: a task; b.jsonl: the same task (same message_id) and its result.
    // A task is pending iff no result/error names it: nothing is pending, whether
    // the lines are read as two files or as one stream.
    let lines: Vec<String> = std::fs::read_to_string(root().join(DIFF))
        .expect("fixture")
        .lines()
        .map(String::from)
        .collect();
    let (task, result) = (&lines[0], &lines[3]);
    assert!(result.contains("\"message_type\": \"result\""));
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    std::fs::write(&a, format!("{task}\n")).expect("write");
    std::fs::write(&b, format!("{task}\n{result}\n")).expect("write");
    let stream = format!("{task}\n{task}\n{result}\n");
    let r = run_stdin(["queues", "-", "--format", "json"], stream.into_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let piped = parse_validated("queues", &r.stdout);
    assert_eq!(piped["data"]["total_pending"], 0, "one stream");
    let q = queues(&[a.to_str().expect("utf-8"), b.to_str().expect("utf-8")]);
    assert_eq!(q.total_pending, 0, "two files: {:?}", q.oldest_pending);
}

/// One observer agent message line (python `json.dumps` layout, key order of the writer).
fn message(ts: &str, id: &str, from: &str, to: &str, kind: &str, parent: Option<&str>) -> String {
    let parent = parent.map_or("null".to_string(), |p| format!("\"{p}\""));
    format!(
        "{{\"timestamp\": \"{ts}\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \"data\": {{\"message_id\": \"{id}\", \"source_agent\": \"{from}\", \"target_agent\": \"{to}\", \"message_type\": \"{kind}\", \"priority\": \"normal\", \"payload\": {{}}, \"trace_id\": null, \"span_id\": null, \"parent_message_id\": {parent}, \"reason\": null, \"timestamp\": \"{ts}\", \"ttl_seconds\": null}}}}\n"
    )
}

#[test]
fn a_reply_dated_before_its_task_is_counted_as_clock_skew_and_ages_never_go_negative() {
    // Timestamps at both ends of the range oracle represents (1677-09-21 to 2262-04-11):
    // their difference does not fit an i64 of nanoseconds.
    let lines = [
        message("2262-04-10T00:00:00", "t1", "Lead", "Worker", "task", None),
        message(
            "1678-01-01T00:00:00",
            "r1",
            "Worker",
            "Lead",
            "result",
            Some("t1"),
        ),
        message("1678-01-02T00:00:00", "t2", "Lead", "Worker", "task", None),
        message(
            "2262-04-11T00:00:00",
            "h",
            "Lead",
            "Worker",
            "heartbeat",
            None,
        ),
        message("1678-01-03T00:00:00", "t3", "Lead", "Worker", "task", None),
        message(
            "2262-04-11T00:00:00",
            "r3",
            "Worker",
            "Lead",
            "result",
            Some("t3"),
        ),
    ];
    let path = target_tmp("queues-clock-skew.jsonl");
    write_atomic(&path, lines.concat().as_bytes());
    let p = path.to_str().unwrap();
    for threads in ["1", "2"] {
        let v = json("queues", &[p, "--threads", threads]);
        let d = &v["data"];
        // Two replies name a task: both count, the one dated first is skew.
        assert_eq!(d["replies"], 2, "{d}");
        assert_eq!(d["clock_skew_replies"], 1, "{d}");
        assert_eq!(d["total_pending"], 1, "{d}");
        let worker = d["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agent"] == "Worker")
            .expect("worker row");
        assert_eq!(worker["clock_skew_replies"], 1);
        let age = worker["oldest_pending_age_ms"].as_i64().expect("an age");
        assert!(age > 0, "age {age}");
        let p95 = d["latency_p95_ms"].as_f64().expect("a latency");
        assert!(p95 > 0.0, "latency {p95}");
        // Nothing in the table is negative either.
        let table = ok(["queues", p, "--threads", threads]);
        let negative = table
            .split_whitespace()
            .any(|w| w.starts_with('-') && w[1..].starts_with(|c: char| c.is_ascii_digit()));
        assert!(!negative, "{table}");
        assert!(
            table.contains("1 reply dated before its task (clock skew)"),
            "{table}"
        );
    }
}
