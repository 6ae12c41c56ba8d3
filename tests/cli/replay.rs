//! `oracle replay`: the timeline oldest first (default: the last 5 minutes of
//! the data), and `--at`, the state at an instant.

use crate::common::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Replay {
    from: Option<String>,
    to: Option<String>,
    total: u64,
    snapshot: Option<Snapshot>,
    events: Vec<Record>,
}

#[derive(Debug, Deserialize)]
struct Snapshot {
    time: String,
    at: String,
    counts: serde_json::Value,
}

fn replay(args: &[&str]) -> Envelope<Replay> {
    typed("replay", args)
}

const STATE: &str = "fixtures/timemachine/state_time_machine.jsonl";

fn lines(r: &Replay) -> Vec<u64> {
    r.events.iter().map(|e| e.line).collect()
}

#[test]
fn example_timeline_is_sorted_by_time() {
    let e = replay(&["fixtures/example"]);
    let r = e.data;
    // Default window: the last 5 minutes, ending at the last event.
    assert_eq!(r.from.as_deref(), Some("2026-02-13T14:25:49.500000Z"));
    assert_eq!(r.to.as_deref(), Some("2026-02-13T14:30:49.500000Z"));
    assert_eq!(e.query.after, r.from);
    assert_eq!(r.total, 18);
    let times: Vec<&str> = r.events.iter().filter_map(|e| e.time.as_deref()).collect();
    assert_eq!(times.len(), 18);
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    // write-agent-3 completed at 14:30:32 (line 19), write-agent-2 at 14:30:35 (line 17).
    let completed = |agent: &str| {
        r.events
            .iter()
            .position(|e| e.status == "completed" && e.agent.as_deref() == Some(agent))
            .unwrap_or_else(|| panic!("{agent} completion listed"))
    };
    let (a3, a2) = (completed("write-agent-3"), completed("write-agent-2"));
    assert!(
        a3 < a2,
        "write-agent-3 ({a3}) must come before write-agent-2 ({a2})"
    );
    assert_eq!(r.events[a3].line, 19);
    assert_eq!(
        r.events[a3].time.as_deref(),
        Some("2026-02-13T14:30:32.000000Z")
    );
    assert_eq!(r.events[a2].line, 17);
    assert_eq!(
        r.events[a2].time.as_deref(),
        Some("2026-02-13T14:30:35.000000Z")
    );
    // Lines 19 and 20 (14:30:32.0, 14:30:32.1) are earlier than line 18 (14:30:35.1).
    let pos = |line: u64| {
        r.events
            .iter()
            .position(|e| e.line == line)
            .expect("listed")
    };
    assert!(pos(19) < pos(18) && pos(20) < pos(18));
    let order: Vec<u64> = r.events.iter().map(|e| e.line).collect();
    assert_eq!(
        order,
        [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20, 17, 18, 21, 22, 23, 24]
    );
}

#[test]
fn example_table_order() {
    let out = ok(["replay", "fixtures/example"]);
    let row = |agent: &str| {
        out.lines()
            .position(|l| l.contains("lifecycle/completed") && l.contains(agent))
            .unwrap_or_else(|| panic!("no completion row for {agent}:\n{out}"))
    };
    assert!(row("write-agent-3") < row("write-agent-2"), "{out}");
    assert!(out.contains("Timeline Replay (18 events"), "{out}");
}

#[test]
fn minutes_sets_the_window() {
    // 0.1 minutes = the last 6 seconds: 14:30:43.5 .. 14:30:49.5, lines 23 and 24.
    let r = replay(&["fixtures/example", "-m", "0.1"]).data;
    assert_eq!(r.from.as_deref(), Some("2026-02-13T14:30:43.500000Z"));
    assert_eq!((r.total, lines(&r)), (2, vec![23, 24]));
    let bad = run(["replay", "fixtures/example", "-m", "0"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--minutes"), "{}", bad.stderr);
}

#[test]
fn explicit_window_and_limit() {
    let r = replay(&[
        DIFF,
        "--after",
        "2026-02-09T11:30:00",
        "--before",
        "2026-02-09T11:31:00",
    ])
    .data;
    assert_eq!(r.total, 19);
    // Sorted by time: the file's only inversion (lines 24/25) is outside; 1..19 in order.
    assert_eq!(lines(&r), (1..=19).collect::<Vec<_>>());
    let r = replay(&[DIFF, "-m", "60", "-l", "5"]).data;
    assert_eq!(r.total, 80, "total counts before --limit");
    // The newest five by time, from the file itself.
    let text = std::fs::read_to_string(root().join(DIFF)).expect("fixture");
    let mut by_time: Vec<(String, u64)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some((v["timestamp"].as_str()?.to_string(), i as u64 + 1))
        })
        .collect();
    by_time.sort();
    let newest: Vec<u64> = by_time[by_time.len() - 5..].iter().map(|x| x.1).collect();
    assert_eq!(lines(&r), newest, "the newest are kept, oldest first");
    let r = replay(&[DIFF, "-m", "60"]).data;
    let pos = |line: u64| {
        r.events
            .iter()
            .position(|e| e.line == line)
            .expect("listed")
    };
    assert_eq!(
        pos(25) + 1,
        pos(24),
        "line 25 (11:31:16) sorts before line 24 (11:31:20)"
    );
}

#[test]
fn mixed_timeline_interleaves_formats() {
    let r = replay(&["fixtures/mixed"]).data;
    assert_eq!(r.total, 21);
    let first = &r.events[0];
    assert_eq!(
        (first.file.as_str(), first.line),
        ("fixtures/mixed/b.txt", 7)
    );
    let last = r.events.last().expect("events");
    assert_eq!(last.file, "fixtures/mixed/c.dat");
    let formats: std::collections::BTreeSet<&str> =
        r.events.iter().map(|e| e.format.as_str()).collect();
    assert_eq!(
        formats.into_iter().collect::<Vec<_>>(),
        ["diff", "hook", "pipe"]
    );
    let times: Vec<&str> = r.events.iter().filter_map(|e| e.time.as_deref()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn at_starts_from_the_last_snapshot_before_the_instant() {
    let e = replay(&["fixtures/timemachine", "--at", "2026-02-09T11:36:00"]);
    assert_eq!(e.query.at.as_deref(), Some("2026-02-09T11:36:00.000000Z"));
    assert_eq!(e.query.after, None);
    let r = e.data;
    let s = r.snapshot.as_ref().expect("the 11:35:30 snapshot");
    assert_eq!(s.time, "2026-02-09T11:35:30.000000Z");
    assert_eq!(s.at, format!("{STATE}:2"));
    assert_eq!(s.counts["agent_messages_count"], 100);
    assert_eq!(s.counts["errors_count"], 8);
    assert_eq!(r.from.as_deref(), Some("2026-02-09T11:35:30.000000Z"));
    assert_eq!(r.to.as_deref(), Some("2026-02-09T11:36:00.000000Z"));
    // Only the changes after the snapshot, up to the instant.
    assert_eq!((r.total, lines(&r)), (3, vec![56, 57, 58]));
    assert!(r.events.iter().all(|e| e.file == DIFF));
    assert!(r
        .events
        .iter()
        .all(|e| e.time.as_deref() > Some("2026-02-09T11:35:30")
            && e.time.as_deref() <= Some("2026-02-09T11:36:00")));
}

#[test]
fn at_edge_cases() {
    // Exactly at a snapshot: that snapshot, nothing after it.
    let r = replay(&[DIFF, STATE, "--at", "2026-02-09T11:35:30Z"]).data;
    assert_eq!(r.snapshot.expect("snapshot").at, format!("{STATE}:2"));
    assert_eq!(r.total, 0);
    // After the last snapshot.
    let r = replay(&[DIFF, STATE, "--at", "2026-02-09T11:40:00Z"]).data;
    assert_eq!(
        r.snapshot.as_ref().expect("snapshot").time,
        "2026-02-09T11:38:15.968979Z"
    );
    assert_eq!(lines(&r), [75, 76, 77, 78, 79, 80]);
    // Before every snapshot: no snapshot, every change up to the instant.
    let r = replay(&[DIFF, STATE, "--at", "2026-02-09T11:31:00Z"]).data;
    assert!(r.snapshot.is_none());
    assert_eq!(r.from, None);
    assert_eq!(lines(&r), (1..=19).collect::<Vec<_>>());
    // A duration counts back from the last event (11:38:26.270926 - 5m).
    let r = replay(&[DIFF, STATE, "--at", "5m"]).data;
    assert_eq!(r.to.as_deref(), Some("2026-02-09T11:33:26.270926Z"));
    assert_eq!(
        r.snapshot.as_ref().expect("snapshot").at,
        format!("{STATE}:1")
    );
    assert_eq!(lines(&r), [36, 37, 38, 39, 40, 41, 42]);
    // The changes closest to the instant are the ones kept by --limit.
    let r = replay(&[DIFF, STATE, "--at", "2026-02-09T11:31:00Z", "-l", "5"]).data;
    assert_eq!(lines(&r), [15, 16, 17, 18, 19]);
}

#[test]
fn at_total_counts_before_limit() {
    // ReplayReport.total: "Events in the window (before --limit)". Without -l it is 19.
    let r = replay(&[DIFF, STATE, "--at", "2026-02-09T11:31:00Z", "-l", "5"]).data;
    assert_eq!(r.events.len(), 5);
    assert_eq!(r.total, 19);
}

#[test]
fn at_conflicts_with_a_window() {
    let r = run([
        "replay",
        DIFF,
        "--at",
        "2026-02-09T11:36:00",
        "--after",
        "2026-02-09T11:30:00",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--at") && r.stderr.contains("--after"),
        "{}",
        r.stderr
    );
    let r = run(["replay", DIFF, "--at", "noon"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--at"), "{}", r.stderr);
}

#[test]
fn at_table_names_the_snapshot() {
    let out = ok([
        "replay",
        "fixtures/timemachine",
        "--at",
        "2026-02-09T11:36:00",
    ]);
    assert!(out.contains("Timeline Replay (3 events"), "{out}");
    assert!(out.contains("state_time_machine.jsonl:2"), "{out}");
}
