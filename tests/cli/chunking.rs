//! Property: no path through the scan changes a report.
//!
//! Random small diff, state, pipe, hook and transcript files (with malformed
//! lines, blank lines, torn records, out-of-order times and odd spacing) are
//! written to disk and scanned through the library. Every report, the
//! `sources` block with it, of the plain path (one chunk per input, the input
//! read into memory, one thread, every record parsed) must serialise
//! identically when the scan instead runs
//! - with a random chunk size (1..=4096 bytes),
//! - on a pool of 1, 2 or 3 threads (`--threads N` builds rayon's global pool
//!   with `ThreadPoolBuilder::num_threads(N)`; a test process cannot rebuild
//!   that one, so each scan runs in `install` on a pool built the same way),
//! - over inputs memory-mapped (each record copied before it is parsed) or
//!   streamed block by block, as stdin and FIFOs are,
//! - with the literal prefilter on (the fast path: only the `sources` counts of
//!   lines skipped unparsed may differ);
//!
//! and the HTML report's page must be the same bytes. The same records written
//! in other JSON layouts (compact separators, keys shuffled, fields no reader
//! knows, with nested decoys named as wanted fields) must give the same
//! reports and page, byte offsets and byte counts aside. For transcripts, `cost`'s
//! usage-only read must give what the full read gives on every path, and the
//! token totals computed here from the generated records.

use oracle_monitor::analysis::agents::AgentsQuery;
use oracle_monitor::analysis::cost::{CostAcc, CostBy, CostQuery};
use oracle_monitor::analysis::diagnose::DiagnoseQuery;
use oracle_monitor::analysis::diffs::DiffsQuery;
use oracle_monitor::analysis::errors::{ErrorsQuery, GroupBy};
use oracle_monitor::analysis::queues::QueuesQuery;
use oracle_monitor::analysis::replay::ReplayQuery;
use oracle_monitor::analysis::report::ReportQuery;
use oracle_monitor::analysis::{LastTime, Window};
use oracle_monitor::format::Needs;
use oracle_monitor::model::{time::parse_timestamp, Event, Severity, Tokens};
use oracle_monitor::pricing::PriceTable;
use oracle_monitor::render::Sources;
use oracle_monitor::scan::{scan_with_chunk_size, Analysis};
use oracle_monitor::source::{discover, is_compressed, mmap::Map, Data, Input, SNIFF_BYTES};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// One chunk per input.
const WHOLE: usize = 1 << 40;

const AGENTS: [&str; 4] = ["Orchestrator", "Coder", "Researcher", "Writer"];

/// `2026-02-09T11:MM:SS.ffffff` from seconds after 11:00 (naive UTC).
fn naive(secs: u32) -> String {
    let secs = secs % 3600;
    format!(
        "2026-02-09T11:{:02}:{:02}.{:06}",
        secs / 60,
        secs % 60,
        (secs * 7919) % 1_000_000
    )
}

/// The same instant as RFC 3339, with `Z` or a `+02:00` offset.
fn rfc3339(secs: u32, offset: bool) -> String {
    let secs = secs % 3600;
    if offset {
        format!(
            "2026-02-09T13:{:02}:{:02}.{:03}+02:00",
            secs / 60,
            secs % 60,
            secs % 1000
        )
    } else {
        format!(
            "2026-02-09T11:{:02}:{:02}.{:03}Z",
            secs / 60,
            secs % 60,
            secs % 1000
        )
    }
}

// ---------------------------------------------------------------------------
// Ordered JSON and layouts

/// A JSON value whose objects keep their keys in the order written
/// (serde_json's `Value` sorts them: its `preserve_order` feature is off).
#[derive(Debug, Clone)]
enum J {
    /// A string, number, boolean or null.
    Leaf(Value),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn obj<'k>(pairs: impl IntoIterator<Item = (&'k str, J)>) -> J {
    J::Obj(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn s(v: impl std::fmt::Display) -> J {
    J::Leaf(Value::String(v.to_string()))
}

fn leaf(v: Value) -> J {
    J::Leaf(v)
}

/// One record: JSON (pretty-printed over several lines, or on one line), or
/// text written as it is (blank and malformed lines).
#[derive(Debug, Clone)]
enum Rec {
    Json { j: J, pretty: bool, odd: bool },
    Text(String),
}

fn line(j: J) -> Rec {
    Rec::Json {
        j,
        pretty: false,
        odd: false,
    }
}

/// Prefix of the field names the `extra` layout adds (stripped from reports
/// before comparing, since `raw` echoes them).
const EXTRA: &str = "x_prop_";

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layout {
    /// `,` and `:` instead of Python's default `, ` and `: `.
    compact: bool,
    /// Every object's keys shuffled, from this seed (and the record's place).
    shuffle: Option<u64>,
    /// Fields no reader knows in the envelope and each object nested in it,
    /// holding decoys named as wanted fields (`timestamp`, `source_agent`,
    /// `message_id`, `usage`, a negative `input_tokens`, `severity`).
    extra: bool,
}

/// `json.dumps` with its default separators, keys in the writer's order.
const PYTHON: Layout = Layout {
    compact: false,
    shuffle: None,
    extra: false,
};

/// The layouts compared with [`PYTHON`].
fn layouts(seed: u64) -> [(&'static str, Layout); 3] {
    [
        (
            "compact",
            Layout {
                compact: true,
                ..PYTHON
            },
        ),
        (
            "reordered",
            Layout {
                shuffle: Some(seed),
                ..PYTHON
            },
        ),
        (
            "extra",
            Layout {
                compact: true,
                shuffle: Some(seed ^ 0x9e37_79b9_7f4a_7c15),
                extra: true,
            },
        ),
    ]
}

/// splitmix64: a deterministic generator for key orders.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The fields the `extra` layout adds to an object at `depth`.
fn extra_fields(depth: usize) -> Vec<(String, J)> {
    let pairs = if depth == 0 {
        vec![
            (
                "x_prop_writer",
                obj([
                    ("version", leaf(json!(3))),
                    ("timestamp", s("1999-12-31T23:59:59")),
                    ("source_agent", s("Decoy")),
                    ("data", obj([("message_id", s("t0-0"))])),
                    ("usage", obj([("input_tokens", leaf(json!(-5)))])),
                ]),
            ),
            ("x_prop_flag", leaf(json!(true))),
        ]
    } else {
        vec![(
            "x_prop_note",
            J::Arr(vec![
                leaf(json!(1.5)),
                s("two \"quoted\" \\ words"),
                leaf(Value::Null),
                obj([("severity", s("critical")), ("error", s("decoy"))]),
            ]),
        )]
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Writes one JSON record.
struct Writer {
    layout: Layout,
    pretty: bool,
    /// Python-compatible but unusual spacing (`" , "`, `" :\t"`).
    odd: bool,
    rng: Option<Rng>,
    out: String,
}

impl Writer {
    fn comma(&self) -> &'static str {
        match (self.odd, self.layout.compact) {
            (true, _) => " ,  ",
            (false, true) => ",",
            (false, false) => ", ",
        }
    }
    fn colon(&self) -> &'static str {
        match (self.odd, self.layout.compact) {
            (true, _) => " :\t",
            (false, true) => ":",
            (false, false) => ": ",
        }
    }
    fn indent(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn value(&mut self, j: &J, depth: usize) {
        match j {
            J::Leaf(v) => self.out.push_str(&v.to_string()),
            J::Arr(items) => {
                self.out.push('[');
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        self.out
                            .push_str(if self.pretty { "," } else { self.comma() });
                    }
                    if self.pretty {
                        self.indent(depth + 1);
                    }
                    self.value(item, depth + 1);
                }
                if self.pretty && !items.is_empty() {
                    self.indent(depth);
                }
                self.out.push(']');
            }
            J::Obj(pairs) => self.object(pairs, depth),
        }
    }

    fn pair(&mut self, k: &str, v: &J, depth: usize) {
        self.out.push_str(&Value::String(k.to_string()).to_string());
        self.out.push_str(self.colon());
        self.value(v, depth);
    }

    fn object(&mut self, pairs: &[(String, J)], depth: usize) {
        let mut order: Vec<&(String, J)> = pairs.iter().collect();
        if let Some(rng) = &mut self.rng {
            for k in (1..order.len()).rev() {
                order.swap(k, rng.below(k + 1));
            }
        }
        let extra = if self.layout.extra && depth <= 1 {
            extra_fields(depth)
        } else {
            Vec::new()
        };
        self.out.push('{');
        if self.pretty {
            // Unknown fields on the opening brace's line: a pretty record keeps
            // its line count in every layout, so line numbers compare.
            let pretty = std::mem::replace(&mut self.pretty, false);
            for (k, (key, v)) in extra.iter().enumerate() {
                if k > 0 {
                    self.out.push_str(self.comma());
                }
                self.pair(key, v, depth + 1);
            }
            self.pretty = pretty;
            if !extra.is_empty() && !order.is_empty() {
                self.out.push(',');
            }
            for (k, (key, v)) in order.iter().enumerate() {
                if k > 0 {
                    self.out.push(',');
                }
                self.indent(depth + 1);
                self.pair(key, v, depth + 1);
            }
            if !order.is_empty() {
                self.indent(depth);
            }
        } else {
            let mut all: Vec<(&str, &J)> = order.iter().map(|(k, v)| (k.as_str(), v)).collect();
            for (key, v) in &extra {
                let at = match &mut self.rng {
                    Some(rng) => rng.below(all.len() + 1),
                    None => all.len() / 2,
                };
                all.insert(at, (key.as_str(), v));
            }
            for (k, (key, v)) in all.iter().enumerate() {
                if k > 0 {
                    self.out.push_str(self.comma());
                }
                self.pair(key, v, depth + 1);
            }
        }
        self.out.push('}');
    }
}

/// The text of `rec` in `layout`; `salt` (the record's place) varies the key
/// order from record to record.
fn show(rec: &Rec, layout: Layout, salt: u64) -> String {
    match rec {
        Rec::Text(t) => t.clone(),
        Rec::Json { j, pretty, odd } => {
            let mut w = Writer {
                layout,
                pretty: *pretty,
                odd: *odd,
                rng: layout
                    .shuffle
                    .map(|seed| Rng(seed ^ salt.wrapping_mul(0x2545_f491_4f6c_dd1d))),
                out: String::new(),
            };
            w.value(j, 0);
            if *odd {
                format!("  {} \t", w.out)
            } else {
                w.out
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Time-machine diff lines

#[derive(Debug, Clone)]
enum Diff {
    Task {
        from: usize,
        to: usize,
        secs: u32,
    },
    /// A reply to task `parent` lines away, in file `pfile` (any of the files).
    Reply {
        from: usize,
        to: usize,
        secs: u32,
        pfile: usize,
        parent: i32,
        error: bool,
        critical: bool,
    },
    Heartbeat {
        from: usize,
        secs: u32,
    },
    Error {
        agent: usize,
        severity: usize,
        secs: u32,
        n: u32,
    },
    Span {
        agent: usize,
        tokens: u32,
        secs: u32,
    },
    Blank,
    Bad(usize),
}

fn diff_spec() -> impl Strategy<Value = Diff> {
    let a = || 0..AGENTS.len();
    let t = || 0u32..600;
    prop_oneof![
        4 => (a(), a(), t()).prop_map(|(from, to, secs)| Diff::Task { from, to, secs }),
        4 => (a(), a(), t(), 0usize..3, -8i32..8, any::<bool>(), prop::bool::weighted(0.2)).prop_map(
            |(from, to, secs, pfile, parent, error, critical)| Diff::Reply { from, to, secs, pfile, parent, error, critical }
        ),
        1 => (a(), t()).prop_map(|(from, secs)| Diff::Heartbeat { from, secs }),
        3 => (a(), 0usize..5, t(), 0u32..100).prop_map(|(agent, severity, secs, n)| Diff::Error { agent, severity, secs, n }),
        1 => (a(), 1u32..1000, t()).prop_map(|(agent, tokens, secs)| Diff::Span { agent, tokens, secs }),
        1 => Just(Diff::Blank),
        2 => (0usize..5).prop_map(Diff::Bad),
    ]
}

thread_local! {
    /// Tasks that already have a reply in the inputs being written.
    static REPLIED: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

/// A diff line's envelope around `data`.
fn change(secs: u32, entity_type: &str, data: J) -> Rec {
    line(obj([
        ("timestamp", s(naive(secs))),
        ("change_type", s("added")),
        ("entity_type", s(entity_type)),
        ("data", data),
    ]))
}

fn diff_record(file: usize, i: usize, d: &Diff) -> Rec {
    match d {
        Diff::Task { from, to, secs } => change(
            *secs,
            "agent_message",
            obj([
                ("message_id", s(format!("t{file}-{i}"))),
                ("source_agent", s(AGENTS[*from])),
                ("target_agent", s(AGENTS[*to])),
                ("message_type", s("task")),
                ("priority", s("high")),
                ("payload", obj([("task", s(format!("do {i}")))])),
                ("parent_message_id", leaf(Value::Null)),
            ]),
        ),
        Diff::Reply {
            from,
            to,
            secs,
            pfile,
            parent,
            error,
            critical,
        } => {
            let parent = (i as i64 + i64::from(*parent)).max(0);
            // At most one reply per task: which of several replies a latency is
            // measured to depends on the input's layout (documented in queues.rs);
            // pending does not, and `queues.rs` tests repeated ids separately.
            let target = format!("t{pfile}-{parent}");
            let parent = if REPLIED.with(|r| r.borrow_mut().insert(target)) {
                parent.to_string()
            } else {
                format!("{parent}-again-{file}-{i}")
            };
            let (kind, payload) = if *error {
                (
                    "error",
                    obj([
                        (
                            "error",
                            s(format!("Timeout after {secs}s calling tool id {i:08x}")),
                        ),
                        ("error_type", s("Timeout")),
                    ]),
                )
            } else {
                ("result", obj([("result", s("ok"))]))
            };
            change(
                *secs,
                "agent_message",
                obj([
                    ("message_id", s(format!("r{file}-{i}"))),
                    ("source_agent", s(AGENTS[*from])),
                    ("target_agent", s(AGENTS[*to])),
                    ("message_type", s(kind)),
                    ("priority", s(if *critical { "critical" } else { "normal" })),
                    ("payload", payload),
                    ("parent_message_id", s(format!("t{pfile}-{parent}"))),
                ]),
            )
        }
        Diff::Heartbeat { from, secs } => change(
            *secs,
            "agent_message",
            obj([
                ("message_id", s(format!("h{file}-{i}"))),
                ("source_agent", s(AGENTS[*from])),
                ("target_agent", s("Orchestrator")),
                ("message_type", s("heartbeat")),
                ("payload", obj([])),
            ]),
        ),
        Diff::Error {
            agent,
            severity,
            secs,
            n,
        } => change(
            *secs,
            "error",
            obj([
                ("error_id", s(format!("e{file}-{i}"))),
                ("agent_name", s(AGENTS[*agent])),
                (
                    "severity",
                    s(["info", "warning", "error", "critical", "FATAL"][*severity]),
                ),
                ("category", s("tool_error")),
                ("error_message", s(format!("exit {n} on host {i:x}"))),
            ]),
        ),
        Diff::Span {
            agent,
            tokens,
            secs,
        } => change(
            *secs,
            "span",
            obj([
                ("span_id", s(format!("s{file}-{i}"))),
                ("agent_name", s(AGENTS[*agent])),
                ("span_kind", s("llm_call")),
                (
                    "token_usage",
                    obj([("total_tokens", leaf(json!(tokens)))]),
                ),
            ]),
        ),
        Diff::Blank => Rec::Text(String::new()),
        Diff::Bad(k) => Rec::Text(match k {
            0 => "not json at all".into(),
            1 => r#"[{"timestamp": "2026-02-09T11:00:00", "change_type": "added", "entity_type": "error", "data": {}}]"#.into(),
            2 => "42".into(),
            3 => r#"{"timestamp": "2026-02-09T11:00:00", "change_type": "added", "entity_type": "error", "data": {"#.into(),
            _ => r#"{"timestamp": "yesterday", "change_type": "added", "entity_type": "error", "data": {}}"#.into(),
        }),
    }
}

// ---------------------------------------------------------------------------
// State snapshots

fn state_line(i: usize, secs: u32, bad: bool) -> String {
    if bad {
        return "{\"timestamp\": \"2026-02-09T11:00:00\", \"agent_messages_count\": ".into();
    }
    format!(
        r#"{{"timestamp": "{}", "traces_count": 0, "spans_count": 0, "events_count": 0, "handoffs_count": 0, "errors_count": {i}, "metrics_count": 0, "agent_messages_count": {}, "errors": [], "agent_messages": []}}"#,
        naive(secs),
        i * 10
    )
}

// ---------------------------------------------------------------------------
// Pipe lines

#[derive(Debug, Clone)]
enum Pipe {
    Event {
        secs: u32,
        offset: bool,
        agent: usize,
        template: usize,
        n: u32,
    },
    Comment,
    Blank,
    Bad(usize),
}

fn pipe_spec() -> impl Strategy<Value = Pipe> {
    prop_oneof![
        8 => (0u32..600, any::<bool>(), 0..AGENTS.len(), 0usize..12, 0u32..5)
            .prop_map(|(secs, offset, agent, template, n)| Pipe::Event { secs, offset, agent, template, n }),
        1 => Just(Pipe::Comment),
        1 => Just(Pipe::Blank),
        2 => (0usize..4).prop_map(Pipe::Bad),
    ]
}

fn pipe_line(p: &Pipe) -> String {
    match p {
        Pipe::Event {
            secs,
            offset,
            agent,
            template,
            n,
        } => {
            let (kind, status, meta) = match template {
                0 => ("lifecycle", "spawned", r#"{"depth": 1}"#.to_string()),
                1 => (
                    "lifecycle",
                    "completed",
                    r#"{"duration_seconds": 3.5}"#.to_string(),
                ),
                2 => (
                    "lifecycle",
                    "failed",
                    format!(r#"{{"reason": "exit {n} | retrying", "retries": {n}}}"#),
                ),
                3 => (
                    "lifecycle",
                    "team_failed",
                    r#"{"failure_reason": "timeout", "failure_category": "timeout"}"#.to_string(),
                ),
                4 => (
                    "error",
                    "error_classified",
                    format!(
                        r#"{{"raw_error": "Timeout after {n}0s", "classified_severity": "{}", "error_category": "tool_error"}}"#,
                        ["warning", "error", "critical", "info", "bogus"][*n as usize]
                    ),
                ),
                5 => (
                    "resource",
                    "token_usage",
                    format!(
                        r#"{{"input_tokens": {}, "output_tokens": {n}, "cost_estimate_usd": 0.25}}"#,
                        n * 100
                    ),
                ),
                6 => (
                    "resource",
                    "queue_status",
                    format!(r#"{{"active_agents": 2, "queued_agents": {n}, "max_agents": 3}}"#),
                ),
                7 => (
                    "resource",
                    "agent_queued",
                    format!(r#"{{"queued_agents": {n}}}"#),
                ),
                8 => (
                    "test",
                    "execution_complete",
                    format!(r#"{{"passed": 5, "failed": {n}, "skipped": 1}}"#),
                ),
                9 => (
                    "test",
                    "test_case_result",
                    r#"{"status": "failed", "test_name": "test_x"}"#.to_string(),
                ),
                10 => ("resource", "timeout", r#"{"aborted": true}"#.to_string()),
                _ => (
                    "coordination",
                    "plan_created",
                    r#"{"note": "a | b | c"}"#.to_string(),
                ),
            };
            format!(
                "{} | {kind} | {} | {status} | {meta}",
                rfc3339(*secs, *offset),
                AGENTS[*agent]
            )
        }
        Pipe::Comment => "# a comment".into(),
        Pipe::Blank => String::new(),
        Pipe::Bad(k) => match k {
            0 => "2026-02-09T11:00:00.000Z | only | three".into(),
            1 => "2026-02-09T25:61:00.000Z | lifecycle | a | spawned | {}".into(),
            2 => "2026-02-09T11:00:00.000Z | lifecycle | a | failed | {broken json".into(),
            _ => "---".into(),
        },
    }
}

// ---------------------------------------------------------------------------
// Hook records

#[derive(Debug, Clone)]
enum Hook {
    Call {
        secs: u32,
        tool: usize,
        post: bool,
        scope: bool,
        session: usize,
        pretty: bool,
    },
    Error {
        secs: u32,
        pretty: bool,
    },
    Garbage,
    Torn,
}

const SESSIONS: [&str; 2] = ["s-one", "s-two"];
const TOOLS: [&str; 6] = ["Read", "Edit", "Bash", "Grep", "Task", "WebFetch"];

fn hook_spec() -> impl Strategy<Value = Hook> {
    prop_oneof![
        8 => (0u32..600, 0..TOOLS.len(), any::<bool>(), prop::bool::weighted(0.2), 0usize..2, any::<bool>())
            .prop_map(|(secs, tool, post, scope, session, pretty)| Hook::Call { secs, tool, post, scope, session, pretty }),
        2 => (0u32..600, any::<bool>()).prop_map(|(secs, pretty)| Hook::Error { secs, pretty }),
        1 => Just(Hook::Garbage),
        1 => Just(Hook::Torn),
    ]
}

fn hook_time(secs: u32) -> String {
    let secs = secs % 3600;
    format!("2026-02-09T07:{:02}:{:02}-04:00", secs / 60, secs % 60)
}

fn hook_record(h: &Hook) -> Rec {
    match h {
        Hook::Call {
            secs,
            tool,
            post,
            scope,
            session,
            pretty,
        } => Rec::Json {
            j: obj([
                ("timestamp", s(hook_time(*secs))),
                ("session_id", s(SESSIONS[*session])),
                (
                    "hook_event",
                    s(if *post { "PostToolUse" } else { "PreToolUse" }),
                ),
                ("tool_name", s(TOOLS[*tool])),
                (
                    "action_details",
                    obj([
                        ("outside_project_scope", leaf(json!(scope))),
                        ("command", s("echo {a} [b]")),
                    ]),
                ),
            ]),
            pretty: *pretty,
            odd: false,
        },
        Hook::Error { secs, pretty } => Rec::Json {
            j: obj([
                ("timestamp", s(hook_time(*secs))),
                ("level", s("ERROR")),
                ("event_type", s("telemetry_error")),
                ("tool_name", s("Bash")),
                ("error", s("Failed to create telemetry entry")),
            ]),
            pretty: *pretty,
            odd: false,
        },
        Hook::Garbage => Rec::Text("garbage here".into()),
        Hook::Torn => {
            Rec::Text("{\n  \"event_type\": \"file_read\",\n  \"action_details\": {".into())
        }
    }
}

// ---------------------------------------------------------------------------
// Claude Code transcript lines

const T_SESSIONS: [&str; 2] = ["sess-a", "sess-b"];
const MODELS: [&str; 5] = [
    "claude-opus-4-6",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "gpt-unknown",
    "<synthetic>",
];

/// A token counter as written: a JSON number, or a numeric string.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Count {
    v: i64,
    quoted: bool,
}

fn count_spec() -> impl Strategy<Value = Option<Count>> {
    prop_oneof![
        8 => (0i64..5000, prop::bool::weighted(0.1)).prop_map(|(v, quoted)| Some(Count { v, quoted })),
        1 => Just(None),
        1 => (-60i64..0, prop::bool::weighted(0.3)).prop_map(|(v, quoted)| Some(Count { v, quoted })),
    ]
}

/// `usage.cache_creation`: the cache writes split by lifetime, or not an object.
#[derive(Debug, Clone, Copy)]
enum Split {
    Absent,
    /// `ephemeral_5m_input_tokens`, `ephemeral_1h_input_tokens`.
    Object(Option<Count>, Option<Count>),
    Text,
    Null,
}

/// `message.usage`.
#[derive(Debug, Clone, Copy)]
struct Counters {
    input: Option<Count>,
    output: Option<Count>,
    cache_read: Option<Count>,
    /// `cache_creation_input_tokens`.
    cache_creation: Option<Count>,
    split: Split,
}

fn counters_spec() -> impl Strategy<Value = Counters> {
    let split = prop_oneof![
        2 => Just(Split::Absent),
        4 => (count_spec(), count_spec()).prop_map(|(a, b)| Split::Object(a, b)),
        1 => Just(Split::Text),
        1 => Just(Split::Null),
    ];
    (
        count_spec(),
        count_spec(),
        count_spec(),
        count_spec(),
        split,
    )
        .prop_map(
            |(input, output, cache_read, cache_creation, split)| Counters {
                input,
                output,
                cache_read,
                cache_creation,
                split,
            },
        )
}

/// Which ids an assistant line carries: its usage key is
/// `<message.id>:<requestId>`, or `message.id` alone, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ids {
    Both,
    Message,
    Request,
    Neither,
}

#[derive(Debug, Clone)]
enum Turn {
    /// An assistant line of response `resp` (`msg_<resp>`, `req_<resp>`).
    Assistant {
        resp: usize,
        ids: Ids,
        model: usize,
        session: usize,
        /// A subagent's line (`agentId`, `isSidechain`).
        agent: bool,
        secs: Option<u32>,
        usage: Option<Counters>,
        tool_use: bool,
        /// Text naming `"usage"` and a negative `_tokens` inside a string.
        tease: bool,
        odd: bool,
    },
    ToolResult {
        session: usize,
        secs: Option<u32>,
        error: bool,
        odd: bool,
    },
    Prompt {
        session: usize,
        secs: Option<u32>,
        odd: bool,
    },
    /// A malformed line; `Bad(0)` is an object never closed, which swallows
    /// the lines after it.
    Bad(usize),
}

/// Transcript lines; `torn` allows an object never closed.
fn turn_spec(torn: bool) -> impl Strategy<Value = Turn> {
    let secs = || prop::option::weighted(0.9, 0u32..3600);
    let odd = || prop::bool::weighted(0.2);
    let ids = prop_oneof![
        6 => Just(Ids::Both),
        2 => Just(Ids::Message),
        1 => Just(Ids::Request),
        1 => Just(Ids::Neither),
    ];
    let assistant = (
        (
            0usize..6,
            ids,
            0..MODELS.len(),
            0..T_SESSIONS.len(),
            prop::bool::weighted(0.3),
        ),
        (
            secs(),
            prop::option::weighted(0.9, counters_spec()),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.1),
            odd(),
        ),
    )
        .prop_map(
            |((resp, ids, model, session, agent), (secs, usage, tool_use, tease, odd))| {
                Turn::Assistant {
                    resp,
                    ids,
                    model,
                    session,
                    agent,
                    secs,
                    usage,
                    tool_use,
                    tease,
                    odd,
                }
            },
        );
    let bad = if torn { 0usize..3 } else { 1usize..3 };
    prop_oneof![
        6 => assistant,
        2 => (0..T_SESSIONS.len(), secs(), any::<bool>(), odd())
            .prop_map(|(session, secs, error, odd)| Turn::ToolResult { session, secs, error, odd }),
        1 => (0..T_SESSIONS.len(), secs(), odd())
            .prop_map(|(session, secs, odd)| Turn::Prompt { session, secs, odd }),
        1 => bad.prop_map(Turn::Bad),
    ]
}

/// `2026-03-01T10:MM:SS.mmmZ` from seconds after 10:00.
fn t_time(secs: u32) -> String {
    format!(
        "2026-03-01T10:{:02}:{:02}.{:03}Z",
        secs / 60 % 60,
        secs % 60,
        secs * 37 % 1000
    )
}

/// The turns as written: the output count of a response grows with each
/// line that repeats it (a streamed response's lines), the other counters as drawn.
fn grown(turns: &[Turn]) -> Vec<Turn> {
    let mut seen: HashMap<(usize, Ids), i64> = HashMap::new();
    turns
        .iter()
        .map(|t| match t {
            Turn::Assistant {
                resp,
                ids,
                usage: Some(c),
                ..
            } => {
                let k = seen.entry((*resp, *ids)).or_default();
                let mut c = *c;
                if let Some(o) = c.output.as_mut().filter(|o| o.v >= 0) {
                    o.v += 40 * *k;
                }
                *k += 1;
                let mut t = t.clone();
                if let Turn::Assistant { usage, .. } = &mut t {
                    *usage = Some(c);
                }
                t
            }
            _ => t.clone(),
        })
        .collect()
}

fn count_json(c: Count) -> J {
    if c.quoted {
        s(c.v)
    } else {
        leaf(json!(c.v))
    }
}

fn usage_json(c: &Counters) -> J {
    let mut p: Vec<(&str, J)> = Vec::new();
    let put = |k, v: Option<Count>, p: &mut Vec<(&str, J)>| {
        if let Some(v) = v {
            p.push((k, count_json(v)));
        }
    };
    put("input_tokens", c.input, &mut p);
    put("cache_creation_input_tokens", c.cache_creation, &mut p);
    put("cache_read_input_tokens", c.cache_read, &mut p);
    match c.split {
        Split::Absent => {}
        Split::Object(m5, h1) => {
            let mut q = Vec::new();
            put("ephemeral_5m_input_tokens", m5, &mut q);
            put("ephemeral_1h_input_tokens", h1, &mut q);
            p.push(("cache_creation", obj(q)));
        }
        Split::Text => p.push(("cache_creation", s("none"))),
        Split::Null => p.push(("cache_creation", leaf(Value::Null))),
    }
    put("output_tokens", c.output, &mut p);
    p.push(("service_tier", s("standard")));
    obj(p)
}

/// Line `i` of transcript file `file`.
fn transcript_record(file: usize, i: usize, t: &Turn) -> Rec {
    let uuid = s(format!("u{file}-{i}"));
    let parent = if i == 0 {
        leaf(Value::Null)
    } else {
        s(format!("u{file}-{}", i - 1))
    };
    let json = |j: J, odd: bool| Rec::Json {
        j,
        pretty: false,
        odd,
    };
    let time = |secs: &Option<u32>| secs.map(|t| ("timestamp", s(t_time(t))));
    match t {
        Turn::Assistant {
            resp,
            ids,
            model,
            session,
            agent,
            secs,
            usage,
            tool_use,
            tease,
            odd,
        } => {
            let text = if *tease {
                r#"the "usage" of "input_tokens":-1 is shown"#
            } else {
                "Looking."
            };
            let mut content = vec![obj([("type", s("text")), ("text", s(text))])];
            if *tool_use {
                content.push(obj([
                    ("type", s("tool_use")),
                    ("id", s(format!("toolu_{file}_{i}"))),
                    ("name", s("Bash")),
                    ("input", obj([("command", s("cargo test"))])),
                ]));
            }
            let mut message = vec![("model", s(MODELS[*model]))];
            if matches!(ids, Ids::Both | Ids::Message) {
                message.push(("id", s(format!("msg_{resp}"))));
            }
            message.extend([
                ("type", s("message")),
                ("role", s("assistant")),
                ("content", J::Arr(content)),
                ("stop_reason", leaf(Value::Null)),
            ]);
            if let Some(c) = usage {
                message.push(("usage", usage_json(c)));
            }
            let mut env = vec![
                ("parentUuid", parent),
                ("isSidechain", leaf(json!(agent))),
                ("userType", s("external")),
                ("cwd", s("/home/dev/prop")),
                ("sessionId", s(T_SESSIONS[*session])),
            ];
            if *agent {
                env.push(("agentId", s("a1f00d")));
            }
            env.extend([("version", s("2.1.39")), ("type", s("assistant"))]);
            if matches!(ids, Ids::Both | Ids::Request) {
                env.push(("requestId", s(format!("req_{resp}"))));
            }
            env.extend([("message", obj(message)), ("uuid", uuid)]);
            env.extend(time(secs));
            json(obj(env), *odd)
        }
        Turn::ToolResult {
            session,
            secs,
            error,
            odd,
        } => {
            let block = obj([
                ("tool_use_id", s(format!("toolu_{file}_{}", i.saturating_sub(1)))),
                ("type", s("tool_result")),
                ("content", s(if *error { "Exit code 1" } else { "ok" })),
                ("is_error", leaf(json!(error))),
            ]);
            let env = [
                ("parentUuid", parent),
                ("isSidechain", leaf(json!(false))),
                ("sessionId", s(T_SESSIONS[*session])),
                ("type", s("user")),
                (
                    "message",
                    obj([("role", s("user")), ("content", J::Arr(vec![block]))]),
                ),
                ("uuid", uuid),
            ];
            json(obj(env.into_iter().chain(time(secs))), *odd)
        }
        Turn::Prompt { session, secs, odd } => {
            let env = [
                ("parentUuid", parent),
                ("isSidechain", leaf(json!(false))),
                ("sessionId", s(T_SESSIONS[*session])),
                ("type", s("user")),
                (
                    "message",
                    obj([("role", s("user")), ("content", s(format!("please do {i}")))]),
                ),
                ("uuid", uuid),
            ];
            json(obj(env.into_iter().chain(time(secs))), *odd)
        }
        Turn::Bad(k) => Rec::Text(match k {
            0 => r#"{"type": "assistant", "sessionId": "sess-a", "message": {"usage": "#.into(),
            1 => "garbage between transcript lines".into(),
            _ => r#"{"type": "assistant", "sessionId": "sess-b", "message": {"id": "msg_9", "usage": {"input_tokens": 7}} oops}"#.into(),
        }),
    }
}

/// A transcript's records: a prompt first (so that its format is detected
/// from content), then the turns as written.
fn transcript_records(file: usize, turns: &[Turn]) -> Vec<Rec> {
    let first = Turn::Prompt {
        session: 0,
        secs: Some(0),
        odd: false,
    };
    let turns = grown(turns);
    std::iter::once(&first)
        .chain(&turns)
        .enumerate()
        .map(|(i, t)| transcript_record(file, i, t))
        .collect()
}

// ---------------------------------------------------------------------------
// Files

#[derive(Debug, Clone)]
enum File {
    Diff(Vec<Diff>),
    State(Vec<(u32, bool)>),
    Pipe(Vec<Pipe>),
    Hook(Vec<Hook>),
    Transcript(Vec<Turn>),
}

fn file_spec() -> impl Strategy<Value = (File, bool)> {
    let file = prop_oneof![
        3 => prop::collection::vec(diff_spec(), 0..40).prop_map(File::Diff),
        1 => prop::collection::vec((0u32..600, prop::bool::weighted(0.1)), 0..6).prop_map(File::State),
        2 => prop::collection::vec(pipe_spec(), 0..40).prop_map(File::Pipe),
        2 => prop::collection::vec(hook_spec(), 0..20).prop_map(File::Hook),
        2 => prop::collection::vec(turn_spec(true), 0..30).prop_map(File::Transcript),
    ];
    // The bool: end the file without a newline.
    (file, prop::bool::weighted(0.3))
}

/// The records of file number `n`. Each starts with a well-formed record so
/// that its format is detected from content. Message ids are unique over all
/// files (see `queues::duplicate_task_ids_do_not_depend_on_file_boundaries`).
fn records(n: usize, file: &File) -> Vec<Rec> {
    match file {
        File::Diff(v) => {
            let first = Diff::Task {
                from: 0,
                to: 1,
                secs: 0,
            };
            std::iter::once(&first)
                .chain(v)
                .enumerate()
                .map(|(i, d)| diff_record(n, i, d))
                .collect()
        }
        File::State(v) => {
            let mut l = vec![Rec::Text(state_line(0, 0, false))];
            l.extend(
                v.iter()
                    .enumerate()
                    .map(|(i, (s, bad))| Rec::Text(state_line(i + 1, *s, *bad))),
            );
            l
        }
        File::Pipe(v) => {
            let mut l: Vec<Rec> = [
                "# Teamsters Team Orchestration Telemetry Log",
                "# Team: prop",
                "---",
            ]
            .map(|t| Rec::Text(t.into()))
            .into();
            l.extend(v.iter().map(|p| Rec::Text(pipe_line(p))));
            l
        }
        File::Hook(v) => {
            let first = Hook::Call {
                secs: 0,
                tool: 0,
                post: false,
                scope: false,
                session: 0,
                pretty: false,
            };
            std::iter::once(&first).chain(v).map(hook_record).collect()
        }
        File::Transcript(v) => transcript_records(n, v),
    }
}

/// The text of file number `n` in `layout`.
fn render(n: usize, file: &File, no_final_newline: bool, layout: Layout) -> String {
    let lines: Vec<String> = records(n, file)
        .iter()
        .enumerate()
        .map(|(i, r)| show(r, layout, ((n as u64) << 32) | i as u64))
        .collect();
    let mut text = lines.join("\n");
    if !no_final_newline || lines.len() == 1 {
        text.push('\n');
    }
    text
}

/// Writes (or rewrites) `input-N` in `dir` for each file.
fn write_files(dir: &Path, files: &[(File, bool)], layout: Layout) -> Vec<PathBuf> {
    REPLIED.with(|r| r.borrow_mut().clear());
    files
        .iter()
        .enumerate()
        .map(|(n, (f, no_nl))| {
            let p = dir.join(format!("input-{n}"));
            std::fs::write(&p, render(n, f, *no_nl, layout)).expect("write input");
            p
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Paths through the scan

/// How an input's bytes reach the scan.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    /// Read into memory (files under `MAP_MIN_BYTES`, archives).
    Read,
    /// Memory-mapped (larger files): each record is copied before it is parsed.
    Mapped,
    /// Read block by block, as stdin and FIFOs are.
    Streamed,
}

/// One way of running a scan.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Chunk size in bytes (stream blocks are as large, up to 1 MiB).
    chunk: usize,
    /// Worker threads.
    threads: usize,
    /// The literal prefilter on.
    prefilter: bool,
    via: Via,
}

/// The plain path: one chunk per input read into memory, one thread, every
/// record parsed.
const PLAIN: Run = Run {
    chunk: WHOLE,
    threads: 1,
    prefilter: false,
    via: Via::Read,
};

fn run_spec() -> impl Strategy<Value = Run> {
    let via = prop_oneof![Just(Via::Read), Just(Via::Mapped), Just(Via::Streamed)];
    (1usize..=4096, 1usize..=3, any::<bool>(), via).prop_map(|(chunk, threads, prefilter, via)| {
        Run {
            chunk,
            threads,
            prefilter,
            via,
        }
    })
}

/// A rayon pool of `threads` (1 to 3) workers, built as `--threads` builds
/// the global one (`src/app.rs`).
fn pool(threads: usize) -> &'static rayon::ThreadPool {
    static POOLS: OnceLock<Vec<rayon::ThreadPool>> = OnceLock::new();
    &POOLS.get_or_init(|| {
        (1..=3)
            .map(|n| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .expect("a thread pool")
            })
            .collect()
    })[threads - 1]
}

/// The inputs of `paths`, discovered once and opened afresh for each scan as
/// the run says (a stream is read once).
struct Scans<'p> {
    found: oracle_monitor::source::Inputs,
    paths: &'p [PathBuf],
    run: Run,
}

impl<'p> Scans<'p> {
    fn new(paths: &'p [PathBuf], run: Run) -> Scans<'p> {
        let found = discover(paths, None, false).expect("generated inputs are telemetry");
        assert_eq!(found.inputs.len(), paths.len());
        Scans { found, paths, run }
    }

    fn open(&self) -> Vec<Input> {
        self.found
            .inputs
            .iter()
            .zip(self.paths)
            .map(|(i, path)| {
                let bytes = i
                    .data
                    .bytes()
                    .expect("small files are read when discovered");
                let on_disk = std::fs::metadata(path).map(|m| m.len()).ok();
                let mappable = on_disk == Some(bytes.len() as u64) && !is_compressed(bytes);
                let (data, headers) = match self.run.via {
                    Via::Mapped if mappable => {
                        let file = std::fs::File::open(path).expect("open input");
                        (
                            Data::Mapped(Map::new(&file, path).expect("map input")),
                            i.headers.clone(),
                        )
                    }
                    Via::Read | Via::Mapped => (Data::Owned(bytes.to_vec()), i.headers.clone()),
                    // As `source::open_stream` opens one: the sniffed head, the
                    // rest to read, and no header known yet.
                    Via::Streamed => {
                        let cut = bytes.len().min(SNIFF_BYTES);
                        (
                            Data::Stream {
                                head: bytes[..cut].to_vec(),
                                rest: Box::new(std::io::Cursor::new(bytes[cut..].to_vec())),
                            },
                            Vec::new(),
                        )
                    }
                };
                Input {
                    display: i.display.clone(),
                    format: i.format,
                    data,
                    headers,
                    note: i.note.clone(),
                }
            })
            .collect()
    }

    fn scan<A: Analysis>(&self, q: &A) -> oracle_monitor::scan::ScanOutput<A::Acc> {
        let mut inputs = self.open();
        scan_with_chunk_size(&mut inputs, q, self.run.chunk, self.run.prefilter)
    }

    /// A report with the `sources` block of its scan.
    fn report(
        &self,
        stats: &[oracle_monitor::scan::SourceStats],
        index: &oracle_monitor::scan::LineIndex,
        data: Value,
    ) -> Value {
        let sources = Sources::new(stats, &self.found.skipped, index);
        json!({ "sources": sources, "data": data })
    }
}

fn cost_query(by: CostBy) -> CostQuery {
    CostQuery {
        by,
        window: Window::default(),
        prices: Arc::new(PriceTable::bundled()),
    }
}

/// Every report (each with its `sources` block), scanned as `run` says.
fn reports(paths: &[PathBuf], run: Run, limit: usize, at: Option<u32>) -> Vec<(String, Value)> {
    pool(run.threads).install(|| {
        let sc = Scans::new(paths, run);
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut push = |name: &str, report: Value| out.push((name.to_string(), report));

        let errors = |severities: Vec<Severity>, by: Option<GroupBy>| ErrorsQuery {
            severities,
            agent: None,
            category: None,
            grep: None,
            window: Window::default(),
            limit,
            by,
        };
        for (name, q) in [
            ("errors", errors(vec![], None)),
            ("errors -s critical", errors(vec![Severity::Critical], None)),
            (
                "errors --by message",
                errors(vec![], Some(GroupBy::Message)),
            ),
            ("errors --by agent", errors(vec![], Some(GroupBy::Agent))),
        ] {
            let r = sc.scan(&q);
            let rep = serde_json::to_value(r.acc.finish(&q, &r.index)).expect("json");
            push(name, sc.report(&r.sources, &r.index, rep));
        }

        for (name, entity_type) in [
            ("diffs", None),
            ("diffs -e agent_message", Some("agent_message".to_string())),
        ] {
            let q = DiffsQuery {
                entity_type,
                window: Window::default(),
                limit,
                tool_ids: None,
            };
            let r = sc.scan(&q);
            let rep = serde_json::to_value(r.acc.finish(&r.index)).expect("json");
            push(name, sc.report(&r.sources, &r.index, rep));
        }

        for list_pending in [false, true] {
            let q = QueuesQuery {
                list_pending,
                window: Window::default(),
            };
            let r = sc.scan(&q);
            let rep = serde_json::to_value(r.acc.finish(list_pending, &r.index)).expect("json");
            push("queues", sc.report(&r.sources, &r.index, rep));
        }

        let window = Window {
            after: parse_timestamp(naive(60).as_bytes()),
            before: parse_timestamp(naive(400).as_bytes()),
        };
        let q = ReplayQuery {
            window,
            limit,
            at: at.and_then(|s| parse_timestamp(naive(s).as_bytes())),
        };
        let r = sc.scan(&q);
        let rep = serde_json::to_value(r.acc.finish(&q, &r.index)).expect("json");
        push("replay", sc.report(&r.sources, &r.index, rep));

        let q = oracle_monitor::analysis::audit::AuditQuery::all("x".into());
        let r = sc.scan(&q);
        let rep = serde_json::to_value(r.acc.finish(&q, &r.index)).expect("json");
        push("audit", sc.report(&r.sources, &r.index, rep));

        for by in [CostBy::Session, CostBy::Model, CostBy::Agent] {
            let q = cost_query(by);
            let r = sc.scan(&q);
            let rep = serde_json::to_value(r.acc.finish(&q, &r.index)).expect("json");
            push(
                &format!("cost --by {by:?}"),
                sc.report(&r.sources, &r.index, rep),
            );
        }

        let prices = Arc::new(PriceTable::bundled());
        let agents = AgentsQuery {
            sessions: Vec::new(),
            depth: None,
            window: Window::default(),
            prices: prices.clone(),
            running_within_ms: 60_000,
        };
        let r = sc.scan(&agents);
        let rep = serde_json::to_value(r.acc.finish(&agents, &r.index)).expect("json");
        push("agents", sc.report(&r.sources, &r.index, rep));

        // The anchor of relative times (`--since 30m`): diff lines whose
        // timestamp leads are timed without being parsed.
        let r = sc.scan(&LastTime);
        push("last time", sc.report(&r.sources, &r.index, json!(r.acc)));

        let q = DiagnoseQuery {
            paths_hint: "x".into(),
            stuck_after_ms: 60_000,
            audit: oracle_monitor::analysis::audit::AuditQuery::all("x".into()),
        };
        let r = sc.scan(&q);
        let rep = serde_json::to_value(r.acc.finish(&q, &r.sources, &r.index)).expect("json");
        push("diagnose", sc.report(&r.sources, &r.index, rep));

        // The HTML report: the page itself must not change.
        let q = ReportQuery {
            window: Window::default(),
            diagnose: q,
            agents,
            cost: CostQuery {
                by: CostBy::Model,
                window: Window::default(),
                prices,
            },
        };
        let r = sc.scan(&q);
        let rep = r.acc.finish(&q, &r.sources, &r.index);
        let sources = Sources::new(&r.sources, &sc.found.skipped, &r.index);
        let (html, _) = oracle_monitor::render::html::page(
            &rep,
            &oracle_monitor::render::html::PageMeta {
                sources: &sources,
                after: None,
                before: None,
            },
        );
        push(
            "report",
            sc.report(&r.sources, &r.index, Value::String(html)),
        );
        out
    })
}

// ---------------------------------------------------------------------------
// Comparing reports

/// Where `a` and `b` first differ (a JSON pointer and both values, clipped),
/// or `None` when they are equal.
fn difference(a: &Value, b: &Value) -> Option<String> {
    fn walk(a: &Value, b: &Value, at: &mut String) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for k in x.keys().chain(y.keys()) {
                    let len = at.len();
                    at.push('/');
                    at.push_str(k);
                    let found = match (x.get(k), y.get(k)) {
                        (Some(p), Some(q)) => walk(p, q, at),
                        (p, q) => Some(format!("{at}: {p:?} vs {q:?}")),
                    };
                    if found.is_some() {
                        return found;
                    }
                    at.truncate(len);
                }
                None
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (k, (p, q)) in x.iter().zip(y).enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{k}"));
                    if let Some(f) = walk(p, q, at) {
                        return Some(f);
                    }
                    at.truncate(len);
                }
                None
            }
            (Value::String(x), Value::String(y)) if x != y => {
                let from = x
                    .bytes()
                    .zip(y.bytes())
                    .take_while(|(p, q)| p == q)
                    .count()
                    .saturating_sub(80);
                let clip = |t: &str| {
                    t.get(from..)
                        .unwrap_or(t)
                        .chars()
                        .take(300)
                        .collect::<String>()
                };
                Some(format!("{at}: ...{:?} vs ...{:?}", clip(x), clip(y)))
            }
            _ if a == b => None,
            _ => {
                let clip = |v: &Value| v.to_string().chars().take(600).collect::<String>();
                Some(format!("{at}: {} vs {}", clip(a), clip(b)))
            }
        }
    }
    walk(a, b, &mut String::new())
}

/// Every report of `got` equals `want`'s: whole, or only `data` for a scan
/// with the prefilter (its `sources` count the lines skipped unparsed).
fn same(
    want: &[(String, Value)],
    got: &[(String, Value)],
    data_only: bool,
    how: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(want.len(), got.len());
    for ((name, a), (_, b)) in want.iter().zip(got) {
        let d = if data_only {
            difference(&a["data"], &b["data"])
        } else {
            difference(a, b)
        };
        prop_assert!(
            d.is_none(),
            "{} differs {}: {}",
            name,
            how,
            d.unwrap_or_default()
        );
    }
    Ok(())
}

/// `v` without what depends on the bytes written rather than on the records:
/// the byte offsets of records, the bytes read per input, and the fields the
/// `extra` layout adds. A record's `raw` reads as parsed JSON, whose keys
/// serde_json sorts, so key order and spacing drop out by themselves (the
/// HTML page, which shows no offsets, is compared as it is).
fn layout_free(reports: &[(String, Value)]) -> Vec<(String, Value)> {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let record = m.contains_key("raw") && m.contains_key("summary");
                let source = m.contains_key("bytes") && m.contains_key("prefiltered");
                let dropped = |k: &str| {
                    k.starts_with(EXTRA) || (record && k == "offset") || (source && k == "bytes")
                };
                Value::Object(
                    m.iter()
                        .filter(|(k, _)| !dropped(k))
                        .map(|(k, v)| (k.clone(), strip(v)))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    reports
        .iter()
        .map(|(name, v)| (name.clone(), strip(v)))
        .collect()
}

/// The property: `files` give the same reports on the plain path and on
/// `runs` (the first three on 1, 2 and 3 threads without the prefilter, the
/// fourth with it), and written in each other layout (on `runs[4..7]`).
fn assert_same(
    dir: &Path,
    files: &[(File, bool)],
    runs: &[Run],
    limit: usize,
    at: Option<u32>,
    seed: u64,
) -> Result<(), TestCaseError> {
    let paths = write_files(dir, files, PYTHON);
    let plain = assert_same_runs(&paths, runs, limit, at)?;
    let want = layout_free(&plain);
    for ((name, layout), run) in layouts(seed).into_iter().zip(&runs[4..]) {
        write_files(dir, files, layout);
        let got = layout_free(&reports(&paths, *run, limit, at));
        same(
            &want,
            &got,
            run.prefilter,
            &format!("in the {name} layout ({run:?})"),
        )?;
    }
    Ok(())
}

/// The reports of `paths` on the plain path, once checked against `runs[..4]`.
fn assert_same_runs(
    paths: &[PathBuf],
    runs: &[Run],
    limit: usize,
    at: Option<u32>,
) -> Result<Vec<(String, Value)>, TestCaseError> {
    let plain = reports(paths, PLAIN, limit, at);
    for (threads, run) in (1..=3).zip(runs) {
        let run = Run {
            threads,
            prefilter: false,
            ..*run
        };
        same(
            &plain,
            &reports(paths, run, limit, at),
            false,
            &format!("({run:?})"),
        )?;
    }
    // The fast path (literal prefilters) finds the same answers.
    let run = Run {
        prefilter: true,
        ..runs[3]
    };
    same(
        &plain,
        &reports(paths, run, limit, at),
        true,
        &format!("({run:?})"),
    )?;
    Ok(plain)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_path_changes_a_report(
        files in prop::collection::vec(file_spec(), 1..=3),
        runs in prop::collection::vec(run_spec(), 7),
        limit in prop_oneof![1usize..6, Just(1000usize)],
        at in prop::option::of(0u32..600),
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_same(dir.path(), &files, &runs, limit, at, seed)?;
    }
}

/// A fixed case with every kind of record and tiny chunks, on every path.
#[test]
fn fixtures_scan_the_same_on_every_path() {
    let root = crate::common::root();
    let mut paths: Vec<PathBuf> = [
        "fixtures/pipe/teamsters-incident.log",
        "fixtures/pipe/malformed.log",
        "fixtures/timemachine/diff_time_machine.jsonl",
        "fixtures/timemachine/state_time_machine.jsonl",
        "fixtures/hooks/claude-telemetry.jsonl",
        "fixtures/hooks/schema-b.jsonl",
        "fixtures/mixed/c.dat",
    ]
    .iter()
    .map(|p| root.join(p))
    .collect();
    paths.extend(
        walkdir::WalkDir::new(root.join("fixtures/transcripts/projects"))
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
            .map(|e| e.into_path()),
    );
    let vias = [Via::Read, Via::Mapped, Via::Streamed];
    for (k, chunk) in [1, 97, 1000].into_iter().enumerate() {
        let runs: Vec<Run> = (0..4)
            .map(|n| Run {
                chunk,
                threads: 1 + n % 3,
                prefilter: false,
                via: vias[(k + n) % 3],
            })
            .collect();
        assert_same_runs(&paths, &runs, 5, Some(330)).expect("same reports");
    }
}

// ---------------------------------------------------------------------------
// Transcripts: the usage-only read against the full read

/// `cost` through the full transcript read: the same query and accumulator,
/// but needing every record, so that no prefilter applies and `Ctx::only`
/// stays unset (the usage-only read, `src/format/transcript/lean.rs`, is
/// never taken).
struct FullRead(CostQuery);

impl Analysis for FullRead {
    type Acc = CostAcc;
    fn new_acc(&self) -> CostAcc {
        self.0.new_acc()
    }
    fn observe(&self, acc: &mut CostAcc, ev: &Event<'_>) {
        self.0.observe(acc, ev)
    }
    fn merge(&self, a: CostAcc, b: CostAcc) -> CostAcc {
        self.0.merge(a, b)
    }
    fn needs(&self) -> Needs {
        Needs::everything()
    }
}

/// The `cost` reports by session, model and agent, scanned as `run` says,
/// through the usage-only read or (`full`) the full read.
fn cost_reports(paths: &[PathBuf], run: Run, full: bool) -> Vec<(String, Value)> {
    pool(run.threads).install(|| {
        let sc = Scans::new(paths, run);
        [CostBy::Session, CostBy::Model, CostBy::Agent]
            .into_iter()
            .map(|by| {
                let q = cost_query(by);
                let r = if full {
                    sc.scan(&FullRead(q.clone()))
                } else {
                    sc.scan(&q)
                };
                let rep = serde_json::to_value(r.acc.finish(&q, &r.index)).expect("json");
                (
                    format!("cost --by {by:?}"),
                    sc.report(&r.sources, &r.index, rep),
                )
            })
            .collect()
    })
}

/// The tokens of one usage line by the event contract
/// (`src/format/transcript/mod.rs`): a negative counter is never summed;
/// cache writes are split 5m/1h by `cache_creation` when it is an object,
/// else all of `cache_creation_input_tokens` are 5m.
fn tokens_of(c: &Counters) -> Tokens {
    let n = |c: Option<Count>| c.map_or(0, |c| c.v.max(0) as u64);
    let (cache_write_5m, cache_write_1h) = match c.split {
        Split::Object(m5, h1) => (n(m5), n(h1)),
        _ => (n(c.cache_creation), 0),
    };
    Tokens {
        input: n(c.input),
        output: n(c.output),
        cache_read: n(c.cache_read),
        cache_write_5m,
        cache_write_1h,
        other: 0,
    }
}

/// What `cost` must total over transcript files of `turns`, and how many
/// responses: one per usage key (`<message.id>:<requestId>`, else
/// `message.id`) with each counter's largest value, plus each line without a
/// key.
fn expected_usage(files: &[Vec<Turn>]) -> (Tokens, u64) {
    let mut keyed: BTreeMap<String, Tokens> = BTreeMap::new();
    let (mut total, mut unkeyed) = (Tokens::default(), 0u64);
    for turns in files {
        for t in grown(turns) {
            let Turn::Assistant {
                resp,
                ids,
                usage: Some(c),
                ..
            } = t
            else {
                continue;
            };
            let tokens = tokens_of(&c);
            let key = match ids {
                Ids::Both => Some(format!("msg_{resp}:req_{resp}")),
                Ids::Message => Some(format!("msg_{resp}")),
                Ids::Request | Ids::Neither => None,
            };
            match key {
                Some(k) => {
                    let e = keyed.entry(k).or_default();
                    *e = e.max(&tokens);
                }
                None => {
                    total = total.add(&tokens);
                    unkeyed += 1;
                }
            }
        }
    }
    for t in keyed.values() {
        total = total.add(t);
    }
    (total, keyed.len() as u64 + unkeyed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `cost` (the usage-only read) totals what the full read totals, on every
    /// path, and what the records hold; `diagnose` (the full read) agrees.
    #[test]
    fn cost_reads_the_same_usage_on_every_path(
        turns in prop::collection::vec(prop::collection::vec(turn_spec(false), 0..30), 1..=3),
        runs in prop::collection::vec(run_spec(), 4),
        layout in 0usize..4,
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = std::iter::once(PYTHON)
            .chain(layouts(seed).map(|l| l.1))
            .nth(layout)
            .expect("four layouts");
        let files: Vec<(File, bool)> = turns
            .iter()
            .map(|t| (File::Transcript(t.clone()), false))
            .collect();
        let paths = write_files(dir.path(), &files, layout);

        let lean = cost_reports(&paths, PLAIN, false);
        same(&lean, &cost_reports(&paths, PLAIN, true), false, "through the full read")?;
        for (threads, run) in (1..=3).zip(&runs) {
            let run = Run { threads, ..*run };
            same(&lean, &cost_reports(&paths, run, false), run.prefilter, &format!("({run:?})"))?;
        }
        let run = runs[3];
        same(
            &lean,
            &cost_reports(&paths, run, true),
            false,
            &format!("through the full read ({run:?})"),
        )?;

        // The totals, computed from the records as generated.
        let (tokens, responses) = expected_usage(&turns);
        let total = &lean[0].1["data"]["total"];
        prop_assert_eq!(&total["tokens"], &json!(tokens));
        prop_assert_eq!(&total["total_tokens"], &json!(tokens.total()));
        prop_assert_eq!(&total["responses"], &json!(responses));

        // `diagnose` reads usage through the full read.
        let q = DiagnoseQuery::default();
        let r = Scans::new(&paths, PLAIN).scan(&q);
        let d = r.acc.finish(&q, &r.sources, &r.index);
        prop_assert_eq!(d.usage.by_kind, tokens);
        prop_assert_eq!(d.usage.token_events, responses);
        let by_session: BTreeMap<String, (Value, Value)> = lean[0].1["data"]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| {
                (
                    row["key"].as_str().expect("key").to_string(),
                    (row["tokens"].clone(), row["responses"].clone()),
                )
            })
            .collect();
        for s in &d.sessions {
            let want = by_session
                .get(&s.session)
                .cloned()
                .unwrap_or((json!(Tokens::default()), json!(0)));
            prop_assert_eq!(want, (json!(s.tokens), json!(s.responses)), "session {}", s.session);
        }
    }
}

/// Found by `no_path_changes_a_report`, shrunk: one assistant line written
/// with Python's separators, `"cache_read_input_tokens": -2`. `errors` gave
/// its warning with every record parsed and lost it on the fast path (the
/// transcript prefilter looked for `_tokens":-` only).
#[test]
fn a_negative_counter_spaced_as_python_writes_it_is_found_on_the_fast_path() {
    let c = |v| Some(Count { v, quoted: false });
    let turn = Turn::Assistant {
        resp: 0,
        ids: Ids::Both,
        model: 0,
        session: 0,
        agent: false,
        secs: None,
        usage: Some(Counters {
            input: c(0),
            output: c(0),
            cache_read: c(-2),
            cache_creation: c(0),
            split: Split::Absent,
        }),
        tool_use: false,
        tease: false,
        odd: false,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = write_files(dir.path(), &[(File::Transcript(vec![turn]), false)], PYTHON);
    let text = std::fs::read_to_string(&paths[0]).expect("written");
    assert!(text.contains(r#""cache_read_input_tokens": -2"#), "{text}");
    let q = ErrorsQuery {
        severities: vec![],
        agent: None,
        category: None,
        grep: None,
        window: Window::default(),
        limit: 10,
        by: None,
    };
    for prefilter in [false, true] {
        let r = Scans::new(&paths, Run { prefilter, ..PLAIN }).scan(&q);
        let rep = serde_json::to_value(r.acc.finish(&q, &r.index)).expect("json");
        let errors = rep["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "prefilter {prefilter}: {rep}");
        assert_eq!(errors[0]["category"], "malformed_field");
        assert_eq!(errors[0]["line"], 2);
        assert!(errors[0]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("negative cache_read_input_tokens")));
    }
}
