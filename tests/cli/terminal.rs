//! Tables on a real pseudo-terminal (portable-pty) at 60, 80 and 120 columns:
//! every line fits the terminal (suggested commands and stderr diagnostics
//! excepted: they are never cut, so they can be copied), ids and severities are whole, and the layouts
//! are kept as reviewed snapshots.

use crate::common::*;
use portable_pty::{native_pty_system, CommandBuilder, PtySize};
use std::io::Read;

/// Runs oracle on a pseudo-terminal of `cols` columns; returns what it printed
/// (CRLF turned into LF) and its exit status.
fn on_terminal(cols: u16, args: &[&str]) -> (String, u32) {
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 50,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_oracle"));
    cmd.args(args);
    cmd.cwd(root());
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("COLUMNS");
    cmd.env_remove("NO_COLOR");
    let mut child = pair.slave.spawn_command(cmd).expect("spawn oracle");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // Linux reports EIO once the child has exited and closed its side.
            Err(_) => break,
        }
    }
    let status = child.wait().expect("wait for oracle").exit_code();
    (String::from_utf8_lossy(&out).replace("\r\n", "\n"), status)
}

/// Strips ANSI SGR sequences (`ESC [ ... m`).
fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' && it.peek() == Some(&'[') {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

const CASES: [(&str, &[&str]); 5] = [
    (
        "errors",
        &["errors", "fixtures/pipe/teamsters-incident.log", "-l", "8"],
    ),
    (
        "diagnose",
        &["diagnose", "fixtures/pipe/teamsters-incident.log"],
    ),
    ("queues", &["queues", DIFF, "--pending"]),
    ("agents", &["agents", "fixtures/transcripts"]),
    ("cost", &["cost", "fixtures/transcripts", "--by", "model"]),
];

#[test]
fn tables_fit_the_terminal_and_keep_ids_whole() {
    for cols in [60u16, 80, 120] {
        for (name, args) in CASES {
            let (raw, _) = on_terminal(cols, args);
            let text = plain(&raw);
            if name == "agents" {
                // Session ids are never cut (36 columns each): the numbers move
                // to the line below when the tree would not fit.
                for id in [
                    "1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41",
                    "9c4b2e71-0d3a-4f6b-8e15-7a2c9d0b3e58",
                ] {
                    assert!(text.contains(id), "{id} whole at {cols}:\n{text}");
                }
            }
            for line in text.lines() {
                // Suggested commands and stderr diagnostics are never cut.
                if line.trim_start().starts_with("next: ") || line.starts_with("oracle: ") {
                    continue;
                }
                let n = line.chars().count();
                assert!(
                    n <= cols as usize,
                    "{name} at {cols}: {n} columns: {line:?}"
                );
            }
            insta::assert_snapshot!(format!("terminal_{name}_{cols}"), text);
        }
    }
}

#[test]
fn pending_task_ids_are_never_cut() {
    // The ids the test expects are the task message ids in the fixture that no
    // reply names, read from the file itself.
    let text = std::fs::read_to_string(root().join("fixtures/timemachine/diff_time_machine.jsonl"))
        .expect("fixture");
    let mut tasks = Vec::new();
    let mut answered = std::collections::HashSet::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let d = &v["data"];
        if v["entity_type"] != "agent_message" {
            continue;
        }
        match d["message_type"].as_str() {
            Some("task") => tasks.push(d["message_id"].as_str().unwrap_or("").to_string()),
            Some("result" | "error") => {
                if let Some(p) = d["parent_message_id"].as_str() {
                    answered.insert(p.to_string());
                }
            }
            _ => {}
        }
    }
    let pending: Vec<&String> = tasks.iter().filter(|t| !answered.contains(*t)).collect();
    assert!(!pending.is_empty());
    let (raw, _) = on_terminal(60, &["queues", DIFF, "--pending"]);
    let text = plain(&raw);
    for id in pending {
        assert!(
            text.contains(id.as_str()),
            "{id} whole at 60 columns:\n{text}"
        );
    }
}

#[test]
fn severities_are_coloured_on_a_terminal_unless_told_not_to() {
    let args = ["errors", "fixtures/pipe/teamsters-incident.log"];
    let (raw, _) = on_terminal(100, &args);
    assert!(raw.contains("\u{1b}[1;31mcritical\u{1b}[0m"), "{raw}");
    assert!(raw.contains("\u{1b}[33mwarning\u{1b}[0m"), "{raw}");
    let mut never = args.to_vec();
    never.push("--color=never");
    let (raw, _) = on_terminal(100, &never);
    assert!(!raw.contains('\u{1b}'), "{raw}");
}
