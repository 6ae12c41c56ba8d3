//! Claude Code session transcripts: the real third-party sample (read in place
//! from `../shared/realdata/`, never copied) and the hand-written fixtures in
//! `fixtures/transcripts/`. Every expected number is computed here from the
//! files with `serde_json`, independently of `oracle`, following the reader's
//! event contract (`src/format/transcript/mod.rs`).

use crate::common::*;
use oracle_monitor::format::{parse_chunk, Bad, Chunk, Ctx, Sink};
use oracle_monitor::model::{Action, AgentKind, Event, Format};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SPOTTER: &str = "../shared/realdata/spotter";
const USAGE_SESSION: &str = "../shared/realdata/spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl";
const CHAT: &str = "../shared/realdata/big3/logs/chat.json";
const FIXTURES: &str = "fixtures/transcripts";
const MAIN: &str =
    "fixtures/transcripts/projects/-home-dev-demo/1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41.jsonl";
const ORPHAN: &str = "fixtures/transcripts/projects/-home-dev-demo/9c4b2e71-0d3a-4f6b-8e15-7a2c9d0b3e58/subagents/agent-a6d01e4.jsonl";

// ---------------------------------------------------------------------------
// An independent reading of the files

/// Every `*.jsonl` under `dir`, sorted, as paths relative to the crate root.
fn jsonl_files(dir: &str) -> Vec<PathBuf> {
    let full = root().join(dir);
    assert!(
        full.is_dir(),
        "{dir} is missing (the real data is read in place)"
    );
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(&full)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| Path::new(dir).join(p.strip_prefix(&full).expect("under dir")))
        .collect();
    out.sort();
    out
}

/// One record of a file: the parsed value and whether it opens the file.
struct Rec {
    v: Value,
    first: bool,
    line: u64,
}

/// The complete records of a JSONL file (a torn last line without `\n` is left out)
/// and the number of torn lines (0 or 1).
fn records(path: &Path) -> (Vec<Rec>, u64) {
    let text = std::fs::read_to_string(root().join(path)).expect("readable");
    let mut out = Vec::new();
    let mut torn = 0;
    let n = text.split('\n').count();
    for (i, l) in text.split('\n').enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(l) {
            Ok(v) => out.push(Rec {
                v,
                first: i == 0,
                line: i as u64 + 1,
            }),
            Err(_) if i + 1 == n => torn += 1,
            Err(e) => panic!("{}:{}: not JSON: {e}", path.display(), i + 1),
        }
    }
    (out, torn)
}

fn blocks(v: &Value) -> &[Value] {
    v["message"]["content"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn is_api_error_line(v: &Value) -> bool {
    match v["type"].as_str() {
        Some("assistant") => {
            v["isApiErrorMessage"] == true || v.get("error").is_some_and(|e| !e.is_null())
        }
        Some("system") => v["subtype"] == "api_error",
        _ => false,
    }
}

/// Error-like events of a record: tool results with `is_error: true`, API-error lines.
fn expected_errors(v: &Value) -> u64 {
    let tool_errors = if v["type"] == "user" {
        blocks(v)
            .iter()
            .filter(|b| b["type"] == "tool_result" && b["is_error"] == true)
            .count() as u64
    } else {
        0
    };
    tool_errors + u64::from(is_api_error_line(v))
}

/// The events the contract gives a record.
fn expected_events(r: &Rec) -> u64 {
    let v = &r.v;
    let t = v["type"].as_str();
    let spawn = matches!(t, Some("user" | "assistant"))
        && v["isSidechain"] == true
        && v["agentId"].is_string()
        && (v.get("parentUuid") == Some(&Value::Null) || r.first);
    let n = match t {
        Some("assistant") => {
            let usage = u64::from(v["message"]["usage"].is_object());
            let tools = blocks(v).iter().filter(|b| b["type"] == "tool_use").count() as u64;
            (usage + tools + u64::from(is_api_error_line(v))).max(1)
        }
        Some("user") => {
            let content = if v["message"]["content"].is_string() {
                1
            } else {
                blocks(v)
                    .iter()
                    .filter(|b| {
                        b["type"] == "tool_result"
                            || (b["type"] == "text"
                                && b["text"]
                                    .as_str()
                                    .is_some_and(|t| t.starts_with("<task-notification>")))
                    })
                    .count() as u64
            };
            let agent = u64::from(v["toolUseResult"]["agentId"].is_string());
            (content + agent).max(1)
        }
        _ => 1,
    };
    n + u64::from(spawn)
}

struct Expected {
    records: u64,
    torn: u64,
    events: u64,
    errors: u64,
}

fn expected(files: &[PathBuf]) -> Expected {
    let mut e = Expected {
        records: 0,
        torn: 0,
        events: 0,
        errors: 0,
    };
    for f in files {
        let (recs, torn) = records(f);
        e.records += recs.len() as u64;
        e.torn += torn;
        e.events += recs.iter().map(expected_events).sum::<u64>();
        e.errors += recs.iter().map(|r| expected_errors(&r.v)).sum::<u64>();
    }
    e
}

fn strs(files: &[PathBuf]) -> Vec<String> {
    files.iter().map(|p| p.display().to_string()).collect()
}

// ---------------------------------------------------------------------------
// The reader called directly, through the chunk parser

/// What the tests read of one event, owned.
#[derive(Debug, Clone)]
struct Seen {
    action: String,
    kind: String,
    status: String,
    agent: Option<String>,
    id: Option<String>,
    usage: Option<(Option<String>, u64, u64, u64)>,
    spawned: Option<(AgentKind, Option<String>, Option<String>)>,
    tool_started: bool,
    tool_ended: bool,
    finished: Option<bool>,
}

#[derive(Default)]
struct Collect {
    seen: Vec<Seen>,
    bad: Vec<Bad>,
}

impl Sink for Collect {
    fn event(&mut self, ev: &Event<'_>) {
        let own = |c: &Option<std::borrow::Cow<'_, str>>| c.as_ref().map(|s| s.to_string());
        let mut s = Seen {
            action: format!("{:?}", ev.action)
                .split([' ', '{', '('])
                .next()
                .unwrap_or_default()
                .to_string(),
            kind: ev.kind.to_string(),
            status: ev.status.to_string(),
            agent: own(&ev.agent),
            id: own(&ev.id),
            usage: None,
            spawned: None,
            tool_started: false,
            tool_ended: false,
            finished: None,
        };
        match &ev.action {
            Action::Usage { key, tokens, .. } => {
                s.usage = Some((own(key), tokens.output, tokens.input, tokens.cache_write_1h))
            }
            Action::AgentSpawned {
                kind, parent, via, ..
            } => s.spawned = Some((*kind, own(parent), own(via))),
            Action::ToolStarted { .. } => s.tool_started = true,
            Action::ToolEnded { .. } => s.tool_ended = true,
            Action::AgentFinished { ok } => s.finished = Some(*ok),
            _ => {}
        }
        self.seen.push(s);
    }
    fn bad(&mut self, bad: Bad) {
        self.bad.push(bad);
    }
}

/// Every event of a file, read as one chunk.
fn read_events(path: &str) -> Collect {
    let bytes = std::fs::read(root().join(path)).expect("readable");
    let mut c = Collect::default();
    parse_chunk(
        &Chunk {
            input: 0,
            index: 0,
            base: 0,
            bytes: &bytes,
            format: Format::Transcript,
            ctx: Ctx {
                path,
                header: None,
                only: None,
            },
            at_eof: true,
        },
        None,
        false,
        &mut c,
    );
    c
}

// ---------------------------------------------------------------------------
// Real data

#[test]
fn realdata_errors_are_the_tool_errors_and_api_errors() {
    let files = jsonl_files(SPOTTER);
    assert_eq!(files.len(), 9, "{files:?}");
    let want = expected(&files);
    assert!(want.errors > 0, "the sample has tool errors");
    let v = json("errors", &[SPOTTER]);
    assert_eq!(v["data"]["total"], want.errors);
    assert_eq!(v["data"]["by_severity"]["error"], want.errors);
    for f in v["sources"]["files"].as_array().expect("files") {
        assert_eq!(f["format"], "transcript", "{f}");
    }
}

#[test]
fn realdata_diffs_count_every_line_and_every_event() {
    let files = jsonl_files(SPOTTER);
    let want = expected(&files);
    let v = typed::<Value>("diffs", &[SPOTTER, "-l", "0"]);
    assert_eq!(v.sources.records, want.records);
    assert_eq!(v.sources.malformed, 0);
    assert_eq!(v.data["total"], want.events);
    assert!(want.events > want.records, "lines with several events");
    assert_eq!(v.sources.files.len(), files.len());
    for f in &files {
        let name = f.display().to_string();
        let (recs, torn) = records(f);
        let got = v.sources.file(&name);
        assert_eq!(
            (got.format.as_deref(), got.records, got.malformed, torn),
            (Some("transcript"), recs.len() as u64, 0, 0),
            "{name}"
        );
    }
    // Per kind: every line's events under its `type`.
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for f in &files {
        for r in records(f).0 {
            let k = r.v["type"].as_str().unwrap_or("unknown").to_string();
            *by_kind.entry(k).or_default() += expected_events(&r);
        }
    }
    let got: BTreeMap<String, u64> =
        serde_json::from_value(v.data["by_kind"].clone()).expect("by_kind");
    assert_eq!(got, by_kind);
}

#[test]
fn realdata_output_is_the_same_on_one_and_two_threads() {
    for args in [
        vec!["errors", SPOTTER],
        vec!["errors", SPOTTER, "--format", "json"],
        vec!["replay", SPOTTER, "-l", "1000"],
        vec!["replay", SPOTTER, "-l", "1000", "--format", "json"],
    ] {
        let run_t = |t: &str| {
            let mut a = args.clone();
            a.extend(["--threads", t]);
            let r = run(&a);
            assert_eq!(r.code, 0, "{a:?}: {}", r.stderr);
            r.bytes
        };
        let one = run_t("1");
        assert!(!one.is_empty());
        assert_eq!(one, run_t("2"), "{args:?}");
    }
}

/// The per-key usage of a session as written: (lines with usage, distinct keys,
/// output tokens with each key's largest value, output tokens of each key's first line).
fn usage_by_key<I: IntoIterator<Item = (String, u64)>>(lines: I) -> (usize, usize, u64, u64) {
    let mut max: BTreeMap<String, u64> = BTreeMap::new();
    let mut first: BTreeMap<String, u64> = BTreeMap::new();
    let mut n = 0;
    for (k, out) in lines {
        n += 1;
        let m = max.entry(k.clone()).or_default();
        *m = (*m).max(out);
        first.entry(k).or_insert(out);
    }
    (n, max.len(), max.values().sum(), first.values().sum())
}

#[test]
fn usage_keys_deduplicate_streaming_lines_as_documented() {
    // From the raw lines: key `message.id:requestId`, output_tokens.
    let (recs, _) = records(Path::new(USAGE_SESSION));
    let raw = recs
        .iter()
        .filter(|r| r.v["type"] == "assistant" && r.v["message"]["usage"].is_object())
        .map(|r| {
            let m = &r.v["message"];
            let key = format!(
                "{}:{}",
                m["id"].as_str().expect("id"),
                r.v["requestId"].as_str().expect("requestId")
            );
            (key, m["usage"]["output_tokens"].as_u64().expect("output"))
        });
    let computed = usage_by_key(raw);
    // The numbers of realdata/SOURCES.md.
    assert_eq!(computed, (254, 139, 28_755, 7_933));
    // From the reader's Usage events.
    let c = read_events(USAGE_SESSION);
    assert!(c.bad.is_empty(), "{:?}", c.bad);
    let from_reader = c
        .seen
        .iter()
        .filter_map(|s| s.usage.clone())
        .map(|(k, out, _, _)| (k.expect("every usage line has a key"), out));
    assert_eq!(usage_by_key(from_reader), computed);
}

#[test]
fn a_saved_chat_array_is_a_transcript() {
    let text = std::fs::read_to_string(root().join(CHAT)).expect("chat.json");
    let arr: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    let want: u64 = arr
        .into_iter()
        .map(|v| {
            expected_events(&Rec {
                v,
                first: false,
                line: 0,
            })
        })
        .sum();
    let v = typed::<Value>("diffs", &[CHAT, "-l", "0"]);
    let f = v.sources.file(CHAT);
    assert_eq!(
        (f.format.as_deref(), f.records, f.malformed),
        (Some("transcript"), 10, 0)
    );
    assert_eq!(v.data["total"], want);
}

// ---------------------------------------------------------------------------
// Fixtures

#[test]
fn fixture_walk_finds_every_transcript() {
    let files = jsonl_files(FIXTURES);
    assert_eq!(files.len(), 4, "{files:?}");
    let want = expected(&files);
    let v = typed::<Value>("diffs", &[FIXTURES, "-l", "0"]);
    for f in &files {
        let name = f.display().to_string();
        let (recs, torn) = records(f);
        let got = v.sources.file(&name);
        assert_eq!(got.format.as_deref(), Some("transcript"), "{name}");
        assert_eq!(
            (got.records, got.malformed),
            (recs.len() as u64, 0),
            "{name}"
        );
        assert_eq!(got.torn_tail.is_some(), torn == 1, "{name}");
    }
    assert_eq!(want.torn, 1);
    let orphan = v.sources.file(ORPHAN);
    assert_eq!(orphan.torn_tail.as_deref().map(line_of), Some(4));
}

#[test]
fn fixture_events_errors_and_kinds() {
    let files = jsonl_files(FIXTURES);
    let args = strs(&files);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let want = expected(&files);
    let mut a = args.clone();
    a.extend(["-l", "0"]);
    let d = json("diffs", &a);
    assert_eq!(d["data"]["total"], want.events);
    assert_eq!(d["sources"]["records"], want.records);
    // The unknown record type is kept under its own name.
    assert_eq!(d["data"]["by_kind"]["hologram-sync"], 1);

    let e = json("errors", &args);
    assert_eq!(e["data"]["total"], want.errors);
    assert_eq!(want.errors, 4, "two tool errors, two API-error lines");
    let mut lines = BTreeSet::new();
    for f in &files {
        for r in records(f).0 {
            if expected_errors(&r.v) > 0 {
                lines.insert((f.display().to_string(), r.line));
            }
        }
    }
    let got: BTreeSet<(String, u64)> = e["data"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|r| {
            (
                r["file"].as_str().expect("file").to_string(),
                r["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert_eq!(got, lines);
    let cats: BTreeSet<&str> = e["data"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|r| r["category"].as_str())
        .collect();
    assert_eq!(cats, BTreeSet::from(["api_error", "tool_error"]));
    let jl = run([&["errors"][..], &args, &["--format", "jsonl"]].concat());
    assert_eq!(parse_jsonl("errors", &jl.stdout).len() as u64, want.errors);

    // `diffs -e` on a status: every tool result, prompt and compaction.
    let count = |f: &dyn Fn(&Value) -> u64| -> u64 {
        files
            .iter()
            .flat_map(|p| records(p).0)
            .map(|r| f(&r.v))
            .sum()
    };
    let results = count(&|v| {
        if v["type"] == "user" {
            blocks(v)
                .iter()
                .filter(|b| b["type"] == "tool_result")
                .count() as u64
        } else {
            0
        }
    });
    let prompts = count(&|v| {
        let c = &v["message"]["content"];
        u64::from(
            v["type"] == "user"
                && c.is_string()
                && v["isMeta"] != true
                && v["isCompactSummary"] != true
                && !c.as_str().unwrap_or_default().starts_with('<'),
        )
    });
    let compactions = count(&|v| u64::from(v["subtype"] == "compact_boundary"));
    for (status, n) in [
        ("tool_result", results),
        ("prompt", prompts),
        ("compact_boundary", compactions),
    ] {
        assert!(n > 0, "{status}");
        let mut a = vec!["-e", status, "-l", "0"];
        a.extend(&args);
        assert_eq!(json("diffs", &a)["data"]["total"], n, "{status}");
    }
}

#[test]
fn fixture_output_is_the_same_on_one_and_two_threads() {
    for cmd in COMMANDS {
        for fmt in ["table", "json"] {
            let run_t = |t: &str| {
                let r = run([cmd, FIXTURES, "--format", fmt, "--threads", t]);
                assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
                r.bytes
            };
            assert_eq!(run_t("1"), run_t("2"), "{cmd} --format {fmt}");
        }
    }
}

#[test]
fn fixture_streaming_duplicates_share_one_key() {
    let (recs, _) = records(Path::new(MAIN));
    let raw = recs
        .iter()
        .filter(|r| r.v["message"]["usage"].is_object())
        .map(|r| {
            let m = &r.v["message"];
            let key = match r.v["requestId"].as_str() {
                Some(q) => format!("{}:{q}", m["id"].as_str().expect("id")),
                None => m["id"].as_str().expect("id").to_string(),
            };
            (key, m["usage"]["output_tokens"].as_u64().expect("output"))
        })
        .collect::<Vec<_>>();
    let c = read_events(MAIN);
    let seen: Vec<(String, u64)> = c
        .seen
        .iter()
        .filter_map(|s| s.usage.clone())
        .map(|(k, out, _, _)| (k.expect("key"), out))
        .collect();
    assert_eq!(seen, raw);
    let dup: Vec<u64> = seen
        .iter()
        .filter(|(k, _)| k == "msg_01A:req_01A")
        .map(|(_, o)| *o)
        .collect();
    assert!(
        dup.len() >= 3 && dup.windows(2).all(|w| w[0] < w[1]),
        "{dup:?}"
    );
    // Split cache writes: the 1-hour part is read from `cache_creation`.
    let first = recs
        .iter()
        .find(|r| r.v["message"]["usage"].is_object())
        .expect("a usage line");
    let want_1h = first.v["message"]["usage"]["cache_creation"]["ephemeral_1h_input_tokens"]
        .as_u64()
        .expect("1h");
    assert!(want_1h > 0);
    let got = c.seen.iter().find_map(|s| s.usage.clone()).expect("usage");
    assert_eq!(got.3, want_1h);
}

#[test]
fn fixture_agents_and_unanswered_tool_calls() {
    let files = jsonl_files(FIXTURES);
    let mut seen = Vec::new();
    let mut raw_uses = BTreeSet::new();
    let mut raw_results = BTreeSet::new();
    for f in &files {
        let name = f.display().to_string();
        let c = read_events(&name);
        seen.extend(c.seen.into_iter().map(|s| (name.clone(), s)));
        for r in records(f).0 {
            for b in blocks(&r.v) {
                match b["type"].as_str() {
                    Some("tool_use") => {
                        raw_uses.insert(b["id"].as_str().expect("id").to_string());
                    }
                    Some("tool_result") => {
                        raw_results.insert(b["tool_use_id"].as_str().expect("id").to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    // A tool call never answered, as the events tell it and as the files do.
    let started: BTreeSet<String> = seen
        .iter()
        .filter(|(_, s)| s.tool_started)
        .filter_map(|(_, s)| s.id.clone())
        .collect();
    let ended: BTreeSet<String> = seen
        .iter()
        .filter(|(_, s)| s.tool_ended)
        .filter_map(|(_, s)| s.id.clone())
        .collect();
    assert_eq!(started, raw_uses);
    assert_eq!(ended, raw_results);
    let open: Vec<&String> = started.difference(&ended).collect();
    assert_eq!(open, ["toolu_bash2"]);
    // Agents spawned, by kind, with their parent and launching call.
    let spawned: BTreeSet<(String, AgentKind, Option<String>, Option<String>)> = seen
        .iter()
        .filter_map(|(_, s)| {
            let (k, p, v) = s.spawned.clone()?;
            Some((s.agent.clone().expect("agent"), k, p, v))
        })
        .collect();
    let main_session = Some("1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41".to_string());
    let orphan_session = Some("9c4b2e71-0d3a-4f6b-8e15-7a2c9d0b3e58".to_string());
    let s = |a: &str, k, p: &Option<String>, v: Option<&str>| {
        (a.to_string(), k, p.clone(), v.map(str::to_string))
    };
    assert_eq!(
        spawned,
        BTreeSet::from([
            s("a3f9c21", AgentKind::Subagent, &main_session, None),
            s(
                "a3f9c21",
                AgentKind::Subagent,
                &main_session,
                Some("toolu_task1")
            ),
            s(
                "acompact-7d2e10",
                AgentKind::Compaction,
                &main_session,
                None
            ),
            s(
                "a7be512",
                AgentKind::Background,
                &main_session,
                Some("toolu_bg1")
            ),
            s("a6d01e4", AgentKind::Subagent, &orphan_session, None),
        ])
    );
    let finished: BTreeSet<(String, Option<String>, bool)> = seen
        .iter()
        .filter_map(|(_, s)| Some((s.agent.clone()?, s.id.clone(), s.finished?)))
        .collect();
    assert_eq!(
        finished,
        BTreeSet::from([
            ("a3f9c21".into(), Some("toolu_task1".into()), true),
            ("a7be512".into(), Some("toolu_bg1".into()), true),
        ])
    );
    // Statuses name the block a tool event comes from.
    for (_, s) in &seen {
        if s.tool_started {
            assert_eq!(s.status, "tool_use", "{s:?}");
        }
        if s.tool_ended {
            assert_eq!(s.status, "tool_result", "{s:?}");
        }
        assert!(!s.kind.is_empty() && !s.action.is_empty(), "{s:?}");
    }
}

#[test]
fn a_bad_line_is_reported_and_the_rest_is_read() {
    let text = std::fs::read_to_string(root().join(MAIN)).expect("fixture");
    let mut lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    lines.insert(5, "{\"type\":\"user\", this is not json}");
    lines.insert(9, "not even an object");
    let body = lines.join("\n") + "\n";
    let path = target_tmp("transcript-with-bad-lines.jsonl");
    write_atomic(&path, body.as_bytes());
    let p = path.to_str().expect("utf-8");
    let v = typed::<Value>("diffs", &[p, "-l", "0"]);
    let f = v.sources.file(p);
    assert_eq!(f.format.as_deref(), Some("transcript"));
    assert_eq!((f.records, f.malformed), (n as u64, 2));
    assert_eq!(f.malformed_lines(), [6, 10]);
    let (recs, _) = records(Path::new(MAIN));
    let want: u64 = recs.iter().map(expected_events).sum();
    assert_eq!(v.data["total"], want);
}

#[test]
fn diagnose_and_queues_read_transcripts() {
    for cmd in ["diagnose", "queues"] {
        for input in [FIXTURES, SPOTTER] {
            let v = json(cmd, &[input]);
            // queues has nothing to read in a transcript: its lines are skipped
            // unparsed (counted as prefiltered), never lost.
            let seen: u64 = v["sources"]["files"]
                .as_array()
                .expect("files")
                .iter()
                .map(|f| {
                    f["records"].as_u64().unwrap_or(0) + f["prefiltered"].as_u64().unwrap_or(0)
                })
                .sum();
            assert!(seen > 0, "{cmd} {input}");
            if cmd == "diagnose" {
                assert!(v["sources"]["records"].as_u64().is_some_and(|n| n > 0));
            }
        }
    }
}

/// What the real sessions hold, counted from the raw lines with serde_json:
/// per session, distinct tool_use ids, results with is_error, subagent ids
/// (compaction agents apart) and compaction boundaries.
#[test]
fn realdata_diagnose_sessions_match_an_independent_count() {
    use std::collections::{BTreeMap, BTreeSet};
    #[derive(Default)]
    struct S {
        tools: BTreeSet<String>,
        tool_errors: u64,
        subagents: BTreeSet<String>,
        compaction_agents: BTreeSet<String>,
        compactions: u64,
    }
    let mut sessions: BTreeMap<String, S> = BTreeMap::new();
    let mut stack = vec![root().join(SPOTTER)];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&p).expect("utf-8").lines() {
                let Ok(v) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                let Some(sid) = v["sessionId"].as_str() else {
                    continue;
                };
                let s = sessions.entry(sid.to_string()).or_default();
                if let Some(a) = v["agentId"].as_str() {
                    if a.starts_with("acompact") {
                        s.compaction_agents.insert(a.to_string());
                    } else {
                        s.subagents.insert(a.to_string());
                    }
                }
                // A subagent is also known from its parent's progress lines and
                // from the Task call's result, even when its own file is absent.
                for a in [
                    v["data"]["agentId"]
                        .as_str()
                        .filter(|_| v["data"]["type"] == "agent_progress"),
                    v["toolUseResult"]["agentId"].as_str(),
                ]
                .into_iter()
                .flatten()
                {
                    if !a.starts_with("acompact") {
                        s.subagents.insert(a.to_string());
                    }
                }
                if v["type"] == "system" && v["subtype"] == "compact_boundary" {
                    s.compactions += 1;
                }
                for b in v["message"]["content"].as_array().into_iter().flatten() {
                    if v["type"] == "assistant" && b["type"] == "tool_use" {
                        if let Some(id) = b["id"].as_str() {
                            s.tools.insert(id.to_string());
                        }
                    }
                    if v["type"] == "user" && b["type"] == "tool_result" && b["is_error"] == true {
                        s.tool_errors += 1;
                    }
                }
            }
        }
    }
    let v = json("diagnose", &[SPOTTER]);
    let d = &v["data"];
    assert_eq!(d["sessions_total"].as_u64(), Some(sessions.len() as u64));
    let listed = d["sessions"].as_array().expect("sessions");
    assert_eq!(listed.len(), sessions.len());
    for row in listed {
        let id = row["session"].as_str().expect("id");
        let want = &sessions[id];
        assert_eq!(
            row["tool_calls"].as_u64(),
            Some(want.tools.len() as u64),
            "{id}"
        );
        assert_eq!(row["tool_errors"].as_u64(), Some(want.tool_errors), "{id}");
        assert_eq!(
            row["subagents"].as_u64(),
            Some(want.subagents.len() as u64),
            "{id}"
        );
        assert_eq!(
            row["compaction_agents"].as_u64(),
            Some(want.compaction_agents.len() as u64),
            "{id}"
        );
        assert_eq!(row["compactions"].as_u64(), Some(want.compactions), "{id}");
    }
    // A compaction agent is never reported as "never finished".
    let never = d["agents"]["never_finished"].as_array().expect("list");
    assert!(never
        .iter()
        .all(|a| !a.as_str().unwrap_or("").starts_with("acompact")));
}
