//! Property: cutting inputs into chunks of any size never changes a report.
//!
//! Random small diff, state, pipe and hook files (with malformed lines, blank
//! lines, torn records and out-of-order times) are scanned through the library
//! with a random chunk size (1..=4096 bytes) and with one chunk per input; the
//! reports and the `sources` block must serialise identically (and the HTML
//! report's page must be the same bytes).

use oracle_monitor::analysis::agents::AgentsQuery;
use oracle_monitor::analysis::cost::{CostBy, CostQuery};
use oracle_monitor::analysis::diagnose::DiagnoseQuery;
use oracle_monitor::analysis::diffs::DiffsQuery;
use oracle_monitor::analysis::errors::{ErrorsQuery, GroupBy};
use oracle_monitor::analysis::queues::QueuesQuery;
use oracle_monitor::analysis::replay::ReplayQuery;
use oracle_monitor::analysis::report::ReportQuery;
use oracle_monitor::analysis::Window;
use oracle_monitor::model::{time::parse_timestamp, Severity};
use oracle_monitor::render::Sources;
use oracle_monitor::scan::scan_with_chunk_size;
use oracle_monitor::source::discover;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::PathBuf;

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

fn diff_line(file: usize, i: usize, d: &Diff) -> String {
    match d {
        Diff::Task { from, to, secs } => format!(
            r#"{{"timestamp": "{}", "change_type": "added", "entity_type": "agent_message", "data": {{"message_id": "t{file}-{i}", "source_agent": "{}", "target_agent": "{}", "message_type": "task", "priority": "high", "payload": {{"task": "do {i}"}}, "parent_message_id": null}}}}"#,
            naive(*secs),
            AGENTS[*from],
            AGENTS[*to]
        ),
        Diff::Reply { from, to, secs, pfile, parent, error, critical } => {
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
                ("error", format!(r#"{{"error": "Timeout after {secs}s calling tool id {i:08x}", "error_type": "Timeout"}}"#))
            } else {
                ("result", r#"{"result": "ok"}"#.to_string())
            };
            format!(
                r#"{{"timestamp": "{}", "change_type": "added", "entity_type": "agent_message", "data": {{"message_id": "r{file}-{i}", "source_agent": "{}", "target_agent": "{}", "message_type": "{kind}", "priority": "{}", "payload": {payload}, "parent_message_id": "t{pfile}-{parent}"}}}}"#,
                naive(*secs),
                AGENTS[*from],
                AGENTS[*to],
                if *critical { "critical" } else { "normal" }
            )
        }
        Diff::Heartbeat { from, secs } => format!(
            r#"{{"timestamp": "{}", "change_type": "added", "entity_type": "agent_message", "data": {{"message_id": "h{file}-{i}", "source_agent": "{}", "target_agent": "Orchestrator", "message_type": "heartbeat", "payload": {{}}}}}}"#,
            naive(*secs),
            AGENTS[*from]
        ),
        Diff::Error { agent, severity, secs, n } => format!(
            r#"{{"timestamp": "{}", "change_type": "added", "entity_type": "error", "data": {{"error_id": "e{file}-{i}", "agent_name": "{}", "severity": "{}", "category": "tool_error", "error_message": "exit {n} on host {i:x}"}}}}"#,
            naive(*secs),
            AGENTS[*agent],
            ["info", "warning", "error", "critical", "FATAL"][*severity]
        ),
        Diff::Span { agent, tokens, secs } => format!(
            r#"{{"timestamp": "{}", "change_type": "added", "entity_type": "span", "data": {{"span_id": "s{file}-{i}", "agent_name": "{}", "span_kind": "llm_call", "token_usage": {{"total_tokens": {tokens}}}}}}}"#,
            naive(*secs),
            AGENTS[*agent]
        ),
        Diff::Blank => String::new(),
        Diff::Bad(k) => match k {
            0 => "not json at all".into(),
            1 => r#"[{"timestamp": "2026-02-09T11:00:00", "change_type": "added", "entity_type": "error", "data": {}}]"#.into(),
            2 => "42".into(),
            3 => r#"{"timestamp": "2026-02-09T11:00:00", "change_type": "added", "entity_type": "error", "data": {"#.into(),
            _ => r#"{"timestamp": "yesterday", "change_type": "added", "entity_type": "error", "data": {}}"#.into(),
        },
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

fn hook_record(h: &Hook) -> String {
    let show = |v: Value, pretty: bool| {
        if pretty {
            serde_json::to_string_pretty(&v).expect("json")
        } else {
            v.to_string()
        }
    };
    match h {
        Hook::Call {
            secs,
            tool,
            post,
            scope,
            session,
            pretty,
        } => show(
            json!({
                "timestamp": hook_time(*secs),
                "session_id": SESSIONS[*session],
                "hook_event": if *post { "PostToolUse" } else { "PreToolUse" },
                "tool_name": TOOLS[*tool],
                "action_details": {"outside_project_scope": scope, "command": "echo {a} [b]"},
            }),
            *pretty,
        ),
        Hook::Error { secs, pretty } => show(
            json!({
                "timestamp": hook_time(*secs),
                "level": "ERROR",
                "event_type": "telemetry_error",
                "tool_name": "Bash",
                "error": "Failed to create telemetry entry",
            }),
            *pretty,
        ),
        Hook::Garbage => "garbage here".into(),
        Hook::Torn => "{\n  \"event_type\": \"file_read\",\n  \"action_details\": {".into(),
    }
}

// ---------------------------------------------------------------------------
// Files and reports

#[derive(Debug, Clone)]
enum File {
    Diff(Vec<Diff>),
    State(Vec<(u32, bool)>),
    Pipe(Vec<Pipe>),
    Hook(Vec<Hook>),
}

fn file_spec() -> impl Strategy<Value = (File, bool)> {
    let file = prop_oneof![
        3 => prop::collection::vec(diff_spec(), 0..40).prop_map(File::Diff),
        1 => prop::collection::vec((0u32..600, prop::bool::weighted(0.1)), 0..6).prop_map(File::State),
        2 => prop::collection::vec(pipe_spec(), 0..40).prop_map(File::Pipe),
        2 => prop::collection::vec(hook_spec(), 0..20).prop_map(File::Hook),
    ];
    // The bool: end the file without a newline.
    (file, prop::bool::weighted(0.3))
}

/// The text of file number `n`. Each starts with a well-formed record so that
/// its format is detected from content. Message ids are unique over all files
/// (see `queues::duplicate_task_ids_do_not_depend_on_file_boundaries` for why).
fn render(n: usize, file: &File, no_final_newline: bool) -> String {
    let lines: Vec<String> = match file {
        File::Diff(v) => {
            let mut l = vec![diff_line(
                n,
                0,
                &Diff::Task {
                    from: 0,
                    to: 1,
                    secs: 0,
                },
            )];
            l.extend(v.iter().enumerate().map(|(i, d)| diff_line(n, i + 1, d)));
            l
        }
        File::State(v) => {
            let mut l = vec![state_line(0, 0, false)];
            l.extend(
                v.iter()
                    .enumerate()
                    .map(|(i, (s, bad))| state_line(i + 1, *s, *bad)),
            );
            l
        }
        File::Pipe(v) => {
            let mut l = vec![
                "# Teamsters Team Orchestration Telemetry Log".to_string(),
                "# Team: prop".into(),
                "---".into(),
            ];
            l.extend(v.iter().map(pipe_line));
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
            let mut l = vec![hook_record(&first)];
            l.extend(v.iter().map(hook_record));
            l
        }
    };
    let mut text = lines.join("\n");
    if !no_final_newline || lines.len() == 1 {
        text.push('\n');
    }
    text
}

/// Every report (and the `sources` block), scanned with `chunk`-byte chunks.
fn reports(
    paths: &[PathBuf],
    chunk: usize,
    limit: usize,
    at: Option<u32>,
    prefilter: bool,
) -> Vec<(String, Value)> {
    let mut found = discover(paths, None, false).expect("generated inputs are telemetry");
    assert_eq!(found.inputs.len(), paths.len());
    let mut out = Vec::new();
    let mut push = |name: &str,
                    stats: &[oracle_monitor::scan::SourceStats],
                    index: &oracle_monitor::scan::LineIndex,
                    data: Value| {
        let sources = Sources::new(stats, &found.skipped, index);
        out.push((
            name.to_string(),
            json!({ "sources": sources, "data": data }),
        ));
    };

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
        let r = scan_with_chunk_size(&mut found.inputs, &q, chunk, prefilter);
        let rep = r.acc.finish(&q, &r.index);
        push(
            name,
            &r.sources,
            &r.index,
            serde_json::to_value(rep).expect("json"),
        );
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
        let r = scan_with_chunk_size(&mut found.inputs, &q, chunk, prefilter);
        let rep = r.acc.finish(&r.index);
        push(
            name,
            &r.sources,
            &r.index,
            serde_json::to_value(rep).expect("json"),
        );
    }

    for list_pending in [false, true] {
        let q = QueuesQuery {
            list_pending,
            window: Window::default(),
        };
        let r = scan_with_chunk_size(&mut found.inputs, &q, chunk, prefilter);
        let rep = r.acc.finish(list_pending, &r.index);
        push(
            "queues",
            &r.sources,
            &r.index,
            serde_json::to_value(rep).expect("json"),
        );
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
    let r = scan_with_chunk_size(&mut found.inputs, &q, chunk, prefilter);
    let rep = r.acc.finish(&q, &r.index);
    push(
        "replay",
        &r.sources,
        &r.index,
        serde_json::to_value(rep).expect("json"),
    );

    let q = oracle_monitor::analysis::audit::AuditQuery::all("x".into());
    let r = scan_with_chunk_size(&mut found.inputs, &q, chunk, prefilter);
    let rep = r.acc.finish(&q, &r.index);
    push(
        "audit",
        &r.sources,
        &r.index,
        serde_json::to_value(rep).expect("json"),
    );

    let q = DiagnoseQuery {
        paths_hint: "x".into(),
        stuck_after_ms: 60_000,
        audit: oracle_monitor::analysis::audit::AuditQuery::all("x".into()),
    };
    let r = scan_with_chunk_size(&mut found.inputs, &q, chunk, prefilter);
    let rep = r.acc.finish(&q, &r.sources, &r.index);
    push(
        "diagnose",
        &r.sources,
        &r.index,
        serde_json::to_value(rep).expect("json"),
    );

    // The HTML report: the page itself must not change.
    let prices = std::sync::Arc::new(oracle_monitor::pricing::PriceTable::bundled());
    let q = ReportQuery {
        window: Window::default(),
        diagnose: q,
        agents: AgentsQuery {
            sessions: Vec::new(),
            depth: None,
            window: Window::default(),
            prices: prices.clone(),
            running_within_ms: 60_000,
        },
        cost: CostQuery {
            by: CostBy::Model,
            window: Window::default(),
            prices,
        },
    };
    let r = scan_with_chunk_size(&mut found.inputs, &q, chunk, prefilter);
    let rep = r.acc.finish(&q, &r.sources, &r.index);
    let sources = Sources::new(&r.sources, &found.skipped, &r.index);
    let (html, _) = oracle_monitor::render::html::page(
        &rep,
        &oracle_monitor::render::html::PageMeta {
            sources: &sources,
            after: None,
            before: None,
        },
    );
    push("report", &r.sources, &r.index, Value::String(html));
    out
}

fn write_files(files: &[(File, bool)]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().expect("tempdir");
    REPLIED.with(|r| r.borrow_mut().clear());
    let paths = files
        .iter()
        .enumerate()
        .map(|(n, (f, no_nl))| {
            let p = dir.path().join(format!("input-{n}"));
            std::fs::write(&p, render(n, f, *no_nl)).expect("write input");
            p
        })
        .collect();
    (dir, paths)
}

fn assert_same(
    paths: &[PathBuf],
    chunk: usize,
    limit: usize,
    at: Option<u32>,
) -> Result<(), TestCaseError> {
    // The plain path: one chunk, every record parsed.
    let whole = reports(paths, WHOLE, limit, at, false);
    let chunked = reports(paths, chunk, limit, at, false);
    for ((name, a), (_, b)) in whole.iter().zip(&chunked) {
        prop_assert_eq!(a, b, "{} differs with {}-byte chunks", name, chunk);
    }
    // The fast path (literal prefilters) finds the same answers; only the
    // `sources` counts differ, as prefiltered lines are not parsed.
    let fast = reports(paths, chunk, limit, at, true);
    for ((name, a), (_, b)) in whole.iter().zip(&fast) {
        prop_assert_eq!(
            &a["data"],
            &b["data"],
            "{} differs with the prefilter",
            name
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunk_size_never_changes_a_report(
        files in prop::collection::vec(file_spec(), 1..=3),
        chunk in 1usize..=4096,
        limit in prop_oneof![1usize..6, Just(1000usize)],
        at in prop::option::of(0u32..600),
    ) {
        let (_dir, paths) = write_files(&files);
        assert_same(&paths, chunk, limit, at)?;
    }
}

/// A fixed case with every kind of record and a tiny chunk size.
#[test]
fn fixtures_scan_the_same_in_tiny_chunks() {
    let root = crate::common::root();
    let paths: Vec<PathBuf> = [
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
    for chunk in [1, 97, 1000] {
        assert_same(&paths, chunk, 5, Some(330)).expect("same reports");
    }
}
