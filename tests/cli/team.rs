//! Claude Code agent-team files (`fixtures/teams`): detection by content, the
//! queue of unread messages and open tasks, the timeline, untimed task files
//! under a time window, bad records, and thread-count independence.
//!
//! Every expected number is computed here from the fixture files with
//! `serde_json`, never copied from oracle's output.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const TEAMS: &str = "fixtures/teams";
const TORN: &str = "fixtures/teams/malformed/reviewer.json";
const RENAMED: &str = "fixtures/teams/renamed/x.txt";

/// Every fixture file of `fixtures/teams` except its README and script, sorted.
fn team_files() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("fixture dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if !matches!(p.extension().and_then(|x| x.to_str()), Some("md" | "py")) {
                let rel = p.strip_prefix(root()).expect("under the crate root");
                out.push(rel.to_str().expect("utf-8").to_string());
            }
        }
    }
    let mut v = Vec::new();
    walk(&root().join(TEAMS), &mut v);
    v.sort();
    assert!(v.len() >= 10, "{v:?}");
    v
}

/// A fixture file read with serde_json: a torn mailbox up to its last complete element.
fn load(file: &str) -> (Value, bool) {
    let text = std::fs::read_to_string(root().join(file)).expect("fixture");
    match serde_json::from_str(&text) {
        Ok(v) => (v, false),
        Err(_) => {
            let cut = text
                .rfind("\n  },")
                .expect("a complete element before the tear");
            let fixed = format!("{}\n]", &text[..cut + 4]);
            (serde_json::from_str(&fixed).expect("repaired"), true)
        }
    }
}

/// The records of a file: an array's elements, or the object itself.
fn records(v: &Value) -> Vec<&serde_json::Map<String, Value>> {
    match v {
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        Value::Object(o) => vec![o],
        _ => vec![],
    }
}

fn stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("stem")
        .to_string()
}

fn ms_to_ns(ms: &Value) -> i128 {
    i128::from(ms.as_i64().expect("epoch ms")) * 1_000_000
}

fn rfc3339_ns(s: &str) -> i128 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .unix_timestamp_nanos()
}

/// One expected event: time (ns), kind, agent, file.
type Expected = (Option<i128>, String, Option<String>, String);

/// What the fixtures hold, counted independently of oracle.
#[derive(Default, Debug)]
struct Truth {
    events: Vec<Expected>,
    records: BTreeMap<String, u64>,
    members: Vec<String>,
    messages: u64,
    sent: BTreeMap<String, u64>,
    received: BTreeMap<String, u64>,
    unread: BTreeMap<String, u64>,
    open: BTreeMap<String, (u64, u64)>,
    unowned_open: u64,
    untimed_tasks: BTreeSet<String>,
}

fn truth() -> Truth {
    let mut t = Truth::default();
    for file in team_files() {
        let (v, _) = load(&file);
        let recs = records(&v);
        t.records.insert(file.clone(), recs.len() as u64);
        for o in recs {
            if let Some(members) = o.get("members").and_then(Value::as_array) {
                for m in members {
                    let name = m["name"].as_str().expect("name").to_string();
                    t.events.push((
                        Some(ms_to_ns(&m["joinedAt"])),
                        "team_member".into(),
                        Some(name.clone()),
                        file.clone(),
                    ));
                    t.members.push(name);
                }
            } else if o.contains_key("from") && o.contains_key("text") {
                let from = o["from"].as_str().expect("from").to_string();
                t.events.push((
                    Some(rfc3339_ns(o["timestamp"].as_str().expect("timestamp"))),
                    "message".into(),
                    Some(from.clone()),
                    file.clone(),
                ));
                t.messages += 1;
                *t.sent.entry(from).or_default() += 1;
                *t.received.entry(stem(&file)).or_default() += 1;
                if o.get("read") == Some(&Value::Bool(false)) {
                    *t.unread.entry(stem(&file)).or_default() += 1;
                }
            } else if o.contains_key("subject") {
                let ts = o.get("updatedAt").or(o.get("createdAt")).map(ms_to_ns);
                let id = o["id"].as_str().expect("id").to_string();
                let status = o["status"].as_str().expect("status");
                if ts.is_none() {
                    t.untimed_tasks.insert(id);
                }
                t.events.push((ts, "task".into(), None, file.clone()));
                let owner = o.get("owner").and_then(Value::as_str).unwrap_or("");
                if status != "completed" {
                    if owner.is_empty() {
                        t.unowned_open += 1;
                    } else {
                        let e = t.open.entry(owner.to_string()).or_default();
                        e.0 += 1;
                        e.1 += u64::from(status == "in_progress");
                    }
                }
            } else {
                panic!("{file}: a record of no known shape");
            }
        }
    }
    t
}

#[test]
fn the_truth_covers_what_the_fixtures_are_meant_to_show() {
    // Guards the fixtures themselves: if one is edited away, the tests below
    // would no longer test what they claim.
    let t = truth();
    assert_eq!(t.members.len(), 4, "lead + 3 members");
    assert!(t.unread.values().sum::<u64>() > 0 && t.unread.len() >= 3);
    assert!(t.open.values().any(|(_, started)| *started > 0));
    assert!(t.unowned_open > 0);
    assert!(!t.untimed_tasks.is_empty());
    assert!(t.events.iter().any(|e| e.0.is_some() && e.1 == "task"));
    assert!(load(TORN).1, "{TORN} is cut short");
    let (x, _) = load(RENAMED);
    assert!(records(&x).len() >= 2);
}

#[test]
fn every_team_file_is_detected_by_content_whatever_its_name() {
    let e = typed::<Value>("diffs", &[TEAMS, "-l", "0"]);
    let t = truth();
    let files: Vec<&str> = e.sources.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(
        files,
        team_files(),
        "README.md and expected.py are passed over"
    );
    for f in &e.sources.files {
        assert_eq!(f.format.as_deref(), Some("team"), "{}", f.file);
        assert_eq!(f.records, t.records[&f.file], "{}", f.file);
        assert_eq!(f.malformed, 0, "{}", f.file);
    }
    // Nothing outside fixtures/teams is taken for a team file, and nothing in it is missed.
    let all = typed::<Value>("diffs", &["fixtures", "-l", "0"]);
    let team: Vec<&str> = all
        .sources
        .files
        .iter()
        .filter(|f| f.format.as_deref() == Some("team"))
        .map(|f| f.file.as_str())
        .collect();
    assert_eq!(team, team_files());
}

#[test]
fn copies_under_any_name_and_stdin_read_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (src, name) in [
        ("fixtures/teams/teams/api-team/config.json", "roster.log"),
        ("fixtures/teams/tasks/api-team/2.json", "notes.jsonl"),
        (
            "fixtures/teams/teams/api-team/inboxes/team-lead.json",
            "mail.dat",
        ),
    ] {
        let p = dir.path().join(name);
        std::fs::copy(root().join(src), &p).expect("copy");
        let e = typed::<Value>("diffs", &[p.to_str().expect("utf-8"), "-l", "0"]);
        assert_eq!(e.sources.files[0].format.as_deref(), Some("team"), "{name}");
        let (v, _) = load(src);
        assert_eq!(e.sources.files[0].records, records(&v).len() as u64);
    }
    // On stdin a mailbox has no owner and no team: the messages are kept all the same.
    let inbox = "fixtures/teams/teams/api-team/inboxes/frontend-dev.json";
    let bytes = std::fs::read(root().join(inbox)).expect("fixture");
    let r = run_stdin(
        ["replay", "-", "--after", "2026-01-01", "--format", "json"],
        bytes,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = parse_validated("replay", &r.stdout);
    let events = v["data"]["events"].as_array().expect("events");
    let (want, _) = load(inbox);
    assert_eq!(events.len(), records(&want).len());
    assert!(events.iter().all(|e| e["format"] == "team"
        && e["kind"] == "message"
        && e["target"].is_null()
        && e["session"].is_null()));
}

#[test]
fn real_third_party_data_is_not_taken_for_team_files() {
    let real = root().join("../shared/realdata");
    if !real.is_dir() {
        eprintln!("skipped: {} is not here", real.display());
        return;
    }
    let e = typed::<Value>("diffs", &["../shared/realdata", "-l", "0"]);
    let claimed: Vec<&str> = e
        .sources
        .files
        .iter()
        .filter(|f| f.format.as_deref() == Some("team"))
        .map(|f| f.file.as_str())
        .collect();
    assert!(claimed.is_empty(), "{claimed:?}");
    // The hook payload dumps were read (so the walk did see the data).
    assert!(
        e.sources
            .files
            .iter()
            .filter(|f| f.format.as_deref() == Some("hook"))
            .count()
            >= 5,
        "{:#?}",
        e.sources.files
    );
}

#[test]
fn queues_counts_unread_mail_and_open_tasks_per_agent() {
    let t = truth();
    let v = json("queues", &[TEAMS]);
    let d = &v["data"];
    let mut agents: BTreeMap<String, &Value> = BTreeMap::new();
    for a in d["agents"].as_array().expect("agents") {
        agents.insert(a["agent"].as_str().expect("name").to_string(), a);
    }
    let mut names: BTreeSet<String> = t.sent.keys().chain(t.received.keys()).cloned().collect();
    names.extend(t.open.keys().cloned());
    assert_eq!(agents.keys().cloned().collect::<BTreeSet<_>>(), names);
    for (name, a) in &agents {
        let n = |m: &BTreeMap<String, u64>| m.get(name).copied().unwrap_or(0);
        assert_eq!(a["unread"], n(&t.unread), "unread of {name}");
        assert_eq!(a["sent"], n(&t.sent), "sent by {name}");
        assert_eq!(a["received"], n(&t.received), "received by {name}");
        let (open, started) = t.open.get(name).copied().unwrap_or_default();
        assert_eq!(a["open_tasks"], open, "open tasks of {name}");
        assert_eq!(a["in_progress_tasks"], started, "in progress of {name}");
        assert_eq!(a["errors"], 0);
        // Ages of unread mail are given exactly for agents with unread mail.
        assert_eq!(
            a["oldest_unread_age_ms"].is_null(),
            n(&t.unread) == 0,
            "{name}"
        );
    }
    let open_total: u64 = t.open.values().map(|o| o.0).sum::<u64>() + t.unowned_open;
    assert_eq!(d["open_tasks"], open_total);
    assert_eq!(d["unowned_open_tasks"], t.unowned_open);
    // Mailbox messages are not tasks awaiting a reply.
    assert_eq!(d["total_pending"], 0);
    // Ages are measured to the last timed event.
    let last = t.events.iter().filter_map(|e| e.0).max().expect("times");
    assert_eq!(rfc3339_ns(d["as_of"].as_str().expect("as_of")), last);
}

#[test]
fn replay_lists_members_messages_and_tasks_in_time_order() {
    let t = truth();
    let v = json("replay", &[TEAMS, "--after", "2026-01-01", "-l", "1000"]);
    let events = v["data"]["events"].as_array().expect("events");
    assert_eq!(v["data"]["total"], t.events.len() as u64);
    assert_eq!(events.len(), t.events.len());
    let got: Vec<Expected> = events
        .iter()
        .map(|e| {
            assert_eq!(e["format"], "team");
            (
                e["time"].as_str().map(rfc3339_ns),
                e["kind"].as_str().expect("kind").to_string(),
                e["agent"].as_str().map(String::from),
                e["file"].as_str().expect("file").to_string(),
            )
        })
        .collect();
    // Oldest first, untimed last.
    let first_untimed = got
        .iter()
        .position(|e| e.0.is_none())
        .expect("untimed tasks");
    assert!(got[first_untimed..].iter().all(|e| e.0.is_none()));
    assert!(got[..first_untimed].windows(2).all(|w| w[0].0 <= w[1].0));
    // Exactly the members, messages and tasks of the files, at their times.
    let mut want = t.events.clone();
    want.sort();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, want);
    // The lead joins first, and every member before any message.
    assert_eq!(got[0].1, "team_member");
    let lead = load("fixtures/teams/teams/api-team/config.json").0;
    let lead_name = lead["leadAgentId"]
        .as_str()
        .and_then(|id| id.split('@').next())
        .expect("lead");
    assert_eq!(got[0].2.as_deref(), Some(lead_name));
    assert!(got[..t.members.len()].iter().all(|e| e.1 == "team_member"));
    // Member events name their team and lead; mail names its owner and team.
    for e in events {
        match e["kind"].as_str() {
            Some("team_member") => {
                assert_eq!(e["session"], lead["name"]);
                let summary = e["summary"].as_str().expect("summary");
                assert!(summary.contains("joined team api-team"), "{summary}");
            }
            Some("message") => {
                let file = e["file"].as_str().expect("file");
                assert_eq!(e["target"], stem(file).as_str());
                let team = file.contains("/inboxes/").then_some("api-team");
                assert_eq!(e["session"].as_str(), team, "{file}");
                let unread = e["raw"]["read"] == Value::Bool(false);
                let summary = e["summary"].as_str().expect("summary");
                assert_eq!(summary.ends_with("(unread)"), unread, "{summary}");
                assert!(summary.contains(" → "), "{summary}");
            }
            Some("task") => {
                assert_eq!(e["session"], "api-team");
                let summary = e["summary"].as_str().expect("summary");
                let id = e["raw"]["id"].as_str().expect("id");
                assert!(summary.starts_with(&format!("#{id} [")), "{summary}");
            }
            other => panic!("unexpected kind {other:?}"),
        }
    }
}

#[test]
fn untimed_task_files_are_never_dropped_by_a_window() {
    let t = truth();
    // `replay` lists `events`, `diffs` lists `diffs`.
    let ids = |v: &Value, list: &str| -> BTreeSet<String> {
        v["data"][list]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                assert_eq!(
                    e["kind"], "task",
                    "only untimed events are outside the window"
                );
                assert!(e["time"].is_null());
                e["raw"]["id"].as_str().expect("id").to_string()
            })
            .collect()
    };
    // After every timed event, and before every timed event: only the untimed tasks.
    let last = t.events.iter().filter_map(|e| e.0).max().expect("times");
    let first = t.events.iter().filter_map(|e| e.0).min().expect("times");
    let after = time::OffsetDateTime::from_unix_timestamp_nanos(last + 1_000_000_000)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let before = time::OffsetDateTime::from_unix_timestamp_nanos(first - 1_000_000_000)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let v = json("replay", &[TEAMS, "--after", &after]);
    assert_eq!(ids(&v, "events"), t.untimed_tasks);
    let v = json("diffs", &[TEAMS, "--before", &before, "-l", "1000"]);
    assert_eq!(ids(&v, "diffs"), t.untimed_tasks);
    let v = json("replay", &[TEAMS, "--before", &before]);
    assert_eq!(ids(&v, "events"), t.untimed_tasks);
    let v = json("diffs", &[TEAMS, "--after", &after, "-l", "1000"]);
    assert_eq!(ids(&v, "diffs"), t.untimed_tasks);
}

#[test]
fn a_torn_mailbox_keeps_its_complete_messages() {
    let e = typed::<Value>("diffs", &[TORN, "-l", "0"]);
    let f = e.sources.file(TORN);
    let (v, torn) = load(TORN);
    assert!(torn);
    assert_eq!(f.records, records(&v).len() as u64);
    assert_eq!(f.malformed, 0, "a torn tail is not a malformed record");
    // The tail starts at the line of the last element's opening brace.
    let text = std::fs::read_to_string(root().join(TORN)).expect("fixture");
    let at = text.rfind("\n  {").expect("last element") + 1;
    let line = text[..at].matches('\n').count() as u64 + 1;
    assert_eq!(f.torn_tail.as_deref().map(line_of), Some(line));
    let r = run(["errors", TORN]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("cut short"), "{}", r.stderr);
}

#[test]
fn bad_records_in_a_mailbox_are_reported_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p: PathBuf = dir.path().join("inboxes").join("ops.json");
    std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
    let lines = [
        "[",
        r#"  {"from": "a", "text": "one", "timestamp": "2026-03-02T09:00:00Z", "read": false},"#,
        "  not json at all,",
        r#"  {"from": "b", "text": , "read": true},"#,
        r#"  {"from": "c", "text": "{\"type\":\"task_failed\",\"taskId\":\"9\",\"error\":\"build broke\"}", "timestamp": "2026-03-02T09:01:00Z", "read": true}"#,
        "]",
    ];
    std::fs::write(&p, lines.join("\n") + "\n").expect("write");
    let path = p.to_str().expect("utf-8");
    let e = typed::<Value>("errors", &[path]);
    let f = e.sources.file(path);
    assert_eq!((f.records, f.malformed), (2, 2));
    assert_eq!(f.malformed_lines(), [3, 4]);
    assert_eq!(f.torn_tail, None);
    // The failure report is a warning, in the mailbox's name; the rest is not an error.
    let errors = e.data["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["severity"], "warning");
    assert_eq!(errors[0]["category"], "task_failed");
    assert_eq!(errors[0]["agent"], "c");
    assert_eq!(errors[0]["target"], "ops");
    assert_eq!(errors[0]["line"], 5);
    let q = json("queues", &[path]);
    let ops = q["data"]["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["agent"] == "ops")
        .expect("the mailbox owner");
    assert_eq!(
        (ops["received"].as_u64(), ops["unread"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(run(["errors", path, "--strict"]).code, 2);
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    for cmd in COMMANDS {
        for format in ["table", "json"] {
            let mut outs = Vec::new();
            for threads in ["1", "2"] {
                let r = run([
                    cmd,
                    TEAMS,
                    "--threads",
                    threads,
                    "--format",
                    format,
                    "--color",
                    "never",
                ]);
                assert_eq!(r.code, 0, "{cmd} {format} -j {threads}: {}", r.stderr);
                outs.push(r.bytes);
            }
            assert!(!outs[0].is_empty(), "{cmd} {format}");
            assert_eq!(outs[0], outs[1], "{cmd} --format {format}");
        }
    }
}
