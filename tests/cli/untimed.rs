//! Records without a time (Claude Code hook payloads carry none): kept in file
//! order, marked untimed, and never dropped by a time window.

use crate::common::*;
use serde_json::Value;

/// The six hook payload dumps of the big3 sample (JSON arrays), read in place.
const HOOK_FILES: [&str; 6] = [
    "../shared/realdata/big3/logs/notification.json",
    "../shared/realdata/big3/logs/post_tool_use.json",
    "../shared/realdata/big3/logs/pre_tool_use.json",
    "../shared/realdata/big3/logs/stop.json",
    "../shared/realdata/big3/logs/subagent_stop.json",
    "../shared/realdata/big3/logs/user_prompt_submit.json",
];

/// Objects in all six arrays, counted from the files.
fn payloads() -> u64 {
    HOOK_FILES
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(root().join(f)).expect("realdata is present");
            let v: Value = serde_json::from_str(&text).expect("each dump is one JSON array");
            v.as_array().expect("an array").len() as u64
        })
        .sum()
}

#[test]
fn replay_keeps_every_untimed_payload_whatever_the_window() {
    let want = payloads();
    assert!(want > 0);
    for extra in [&[][..], &["-m", "1"][..], &["--after", "2020-01-01"][..]] {
        let mut args: Vec<&str> = HOOK_FILES.to_vec();
        args.extend_from_slice(extra);
        args.extend(["-l", "100000"]);
        let v = json("replay", &args);
        assert_eq!(v["data"]["total"].as_u64(), Some(want), "{extra:?}");
        assert_eq!(v["data"]["untimed"].as_u64(), Some(want), "{extra:?}");
        if !extra.contains(&"--after") {
            assert!(v["data"]["from"].is_null(), "no timed data: no 1970 window");
        }
        let events = v["data"]["events"].as_array().expect("events");
        assert_eq!(events.len() as u64, want);
        assert!(events.iter().all(|e| e["time"].is_null()));
        // File order: input by input, offsets increasing within one.
        let keys: Vec<(String, u64)> = events
            .iter()
            .map(|e| {
                (
                    e["file"].as_str().unwrap_or_default().to_string(),
                    e["offset"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        for w in keys.windows(2) {
            if w[0].0 == w[1].0 {
                assert!(w[0].1 < w[1].1, "{:?} then {:?}", w[0], w[1]);
            }
        }
    }
}

#[test]
fn diffs_after_a_time_does_not_drop_untimed_payloads() {
    let mut args: Vec<&str> = HOOK_FILES.to_vec();
    args.extend(["--after", "2030-01-01", "-l", "1"]);
    let v = json("diffs", &args);
    assert_eq!(v["data"]["total"].as_u64(), Some(payloads()));
}

#[test]
fn the_table_says_untimed_and_never_prints_1970() {
    let mut args: Vec<&str> = vec!["replay"];
    args.extend(HOOK_FILES);
    let out = ok(args);
    assert!(!out.contains("1970") && !out.contains("1969"), "{out}");
    assert!(out.contains("untimed"), "{out}");
}
