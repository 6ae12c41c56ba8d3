//! The bodies of the fuzz targets, shared with the CI smoke run
//! (`tests/cli/fuzz_smoke.rs` includes this file with `#[path]`), so that both
//! exercise exactly the same calls. Each function takes arbitrary bytes and must
//! never panic; the few `assert!`s are invariants the scan relies on.

#![allow(dead_code)]

use oracle_monitor::format::{self, Bad, Chunk, Ctx, Prefilter, Sink};
use oracle_monitor::model::{Event, Format, Loc};

/// Every input format, in sniffing order.
pub const FORMATS: [Format; 7] = format::SNIFF_ORDER;

/// Checks what a real scan does with an event: it is turned into a record, and an
/// event kept for printing is re-parsed from its bytes at the end of the scan
/// (`analysis::Kept::finish`), so that re-parse must succeed or the record is lost.
fn check_event(ev: &Event<'_>, team: Option<&str>) {
    let rec = format::to_record(ev);
    let _ = serde_json::to_string(&rec).expect("a record serialises");
    let ctx = Ctx {
        path: "fuzz/inboxes/agent.json",
        header: team,
        only: None,
    };
    let again = format::reparse(ev.format, ev.record, ev.loc, &ctx);
    assert!(
        again.is_some(),
        "a record that parsed once does not re-parse: {:?}",
        String::from_utf8_lossy(ev.record)
    );
}

/// `format::pipe::parse_line`, with and without a team.
pub fn pipe_line(data: &[u8]) {
    for team in [None, Some("team")] {
        if let Ok(Some(ev)) = format::pipe::parse_line(data, Loc::default(), team) {
            check_event(&ev, team);
        }
    }
}

/// `format::tm::parse_diff` and `parse_state`.
pub fn diff_line(data: &[u8]) {
    if let Ok(Some(ev)) = format::tm::parse_diff(data, Loc::default()) {
        check_event(&ev, None);
    }
    if let Ok(Some(ev)) = format::tm::parse_state(data, Loc::default()) {
        check_event(&ev, None);
    }
}

/// Collects what a chunk parse reports and checks every event.
struct Check<'t> {
    team: Option<&'t str>,
    times_only: bool,
    events: u64,
    bad: u64,
}

impl Sink for Check<'_> {
    fn event(&mut self, ev: &Event<'_>) {
        self.events += 1;
        if !self.times_only {
            check_event(ev, self.team);
        }
    }
    fn bad(&mut self, bad: Bad) {
        assert!(!bad.reason.is_empty(), "a bad record always says why");
        self.bad += 1;
    }
}

fn chunk<'a>(bytes: &'a [u8], format: Format, team: Option<&'a str>) -> Chunk<'a> {
    Chunk {
        input: 0,
        index: 0,
        base: 0,
        bytes,
        format,
        ctx: Ctx {
            path: "fuzz/inboxes/agent.json",
            header: team,
            only: None,
        },
        at_eof: true,
    }
}

/// The hook reader over one chunk (object framing).
pub fn hook_stream(data: &[u8]) {
    let mut sink = Check {
        team: None,
        times_only: false,
        events: 0,
        bad: 0,
    };
    let counts = format::parse_chunk(&chunk(data, Format::Hook, None), None, false, &mut sink);
    assert!(counts.records <= sink.events);
}

/// One format's reader over one chunk, with and without `times_only`, at the
/// path its writer uses (the team and transcript readers look at it).
fn one_format(data: &[u8], format: Format, path: &str) {
    for times_only in [false, true] {
        let mut sink = Check {
            team: None,
            times_only,
            events: 0,
            bad: 0,
        };
        let mut c = chunk(data, format, None);
        c.ctx.path = path;
        let counts = format::parse_chunk(&c, None, times_only, &mut sink);
        assert!(counts.records <= sink.events, "{format:?}");
    }
}

/// The Claude Code transcript reader (`format::transcript`) over one chunk.
pub fn transcript(data: &[u8]) {
    one_format(
        data,
        Format::Transcript,
        "fuzz/projects/-home-dev/1f0e6a2c/subagents/agent-a3f9c21.jsonl",
    );
    for line in data.split(|b| *b == b'\n') {
        let (full, lean) = usage_both_ways(line);
        // The usage-only read gives the usage of the full read; it may accept
        // a line the full read refuses (a lone surrogate escape, 1e400).
        if let Some(full) = full {
            assert_eq!(lean, Some(full), "{:?}", String::from_utf8_lossy(line));
        }
    }
}

/// The usage events of one transcript line read in full and usage-only (as
/// `cost` reads it): `None` when that read refuses the line.
pub fn usage_both_ways(line: &[u8]) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let read = |only| {
        let ctx = Ctx {
            path: "fuzz/projects/-home-dev/1f0e6a2c.jsonl",
            header: None,
            only,
        };
        let mut seen = Vec::new();
        let mut n = 0;
        format::reader(Format::Transcript)
            .parse(
                line,
                oracle_monitor::model::Loc::default(),
                &ctx,
                &mut |ev| {
                    n += 1;
                    if let oracle_monitor::model::Action::Usage { .. } = &ev.action {
                        seen.push(format!(
                            "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                            ev.action,
                            ev.ts,
                            ev.session,
                            ev.agent,
                            ev.severity,
                            ev.category,
                            ev.message
                        ));
                    }
                },
            )
            .ok()
            .map(|_| {
                // Every line read gives at least one event either way.
                assert!(n > 0);
                seen
            })
    };
    let usage = oracle_monitor::format::ActionSet::USAGE;
    (read(None), read(Some(usage)))
}

/// The agent-team reader (`format::agent_team`: config, mailbox, task files).
pub fn agent_team(data: &[u8]) {
    one_format(data, Format::Team, "fuzz/teams/t/inboxes/agent.json");
    one_format(data, Format::Team, "fuzz/tasks/t/1.json");
}

/// The OTLP JSON reader (`format::otlp`: traces, logs, metrics).
pub fn otlp(data: &[u8]) {
    one_format(data, Format::Otlp, "fuzz/otlp/traces.jsonl");
}

/// `source::detect`, then `format::parse_chunk` with each format, with and without
/// `times_only` and a prefilter; also checks that `source::chunk_ranges` covers the
/// bytes exactly, for a small chunk size derived from the input.
pub fn chunk_scan(data: &[u8]) {
    let _ = oracle_monitor::source::detect(data);
    let _ = format::reader(Format::Pipe).headers(data);
    let pre = Prefilter::any_of([b"error".to_vec(), b"task".to_vec()]).and_any_of([b"a".to_vec()]);
    for format in FORMATS {
        let team = (format == Format::Pipe).then_some("team");
        for times_only in [false, true] {
            for prefilter in [None, Some(&pre)] {
                let mut sink = Check {
                    team,
                    times_only,
                    events: 0,
                    bad: 0,
                };
                let c = chunk(data, format, team);
                let counts = format::parse_chunk(&c, prefilter, times_only, &mut sink);
                assert!(counts.records <= sink.events, "{format:?}");
            }
        }
        let target = 1 + data.first().map_or(0, |b| usize::from(*b) % 64);
        let ranges = oracle_monitor::source::chunk_ranges(data, target, format);
        let mut at = 0;
        for (s, e) in ranges {
            assert_eq!(s, at, "chunks are contiguous");
            assert!(e > s, "chunks are not empty");
            at = e;
        }
        assert_eq!(at, data.len(), "chunks cover the input");
    }
}

/// `model::time::parse_timestamp` (and formatting its result back), and
/// `cli::time::parse` on the same text.
pub fn time_parse(data: &[u8]) {
    use oracle_monitor::model::time::{format_duration, format_rfc3339, parse_timestamp};
    if let Some(t) = parse_timestamp(data) {
        let s = format_rfc3339(t);
        // Instants the output format can show (years 0000-9999) read back as
        // themselves, to the microsecond.
        if s.len() == 27 {
            assert_eq!(
                parse_timestamp(s.as_bytes()),
                Some(t - t.rem_euclid(1000)),
                "{s}"
            );
        }
        let _ = format_duration(t);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(arg) = oracle_monitor::cli::time::parse("--after", s) {
            for anchor in [i64::MIN, 0, i64::MAX] {
                let _ = arg.resolve(anchor);
            }
        }
    }
}

/// Arbitrary argument vectors (split on NUL or newline) through clap and
/// `Cli::into_config`.
pub fn query_args(data: &[u8]) {
    use clap::Parser;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let mut args: Vec<OsString> = vec!["oracle".into()];
    args.extend(
        data.split(|b| *b == 0 || *b == b'\n')
            .map(|a| OsString::from_vec(a.to_vec())),
    );
    if let Ok(cli) = oracle_monitor::cli::Cli::try_parse_from(args) {
        let _ = cli.into_config();
    }
}

/// The audit rule engine (`analysis::audit::rules`): the first byte picks a
/// tool, the rest is a tool input (JSON text, as written) and, wrapped as a
/// Bash `command`, a shell command line; the same bytes are a tool output too.
/// Invariants: evidence stays within its bound, a call gives at most
/// `MAX_HITS_PER_CALL` hits, and no secret the patterns find is ever echoed whole.
pub fn audit_rules(data: &[u8]) {
    use oracle_monitor::analysis::audit::{paths, rules, shell};
    use oracle_monitor::render::redact;
    const TOOLS: [&str; 8] = [
        "Bash",
        "Read",
        "Write",
        "Edit",
        "Glob",
        "Grep",
        "WebFetch",
        "mcp__x__y",
    ];
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let tool = TOOLS[pick as usize % TOOLS.len()];
    let text = String::from_utf8_lossy(rest);
    let wrapped = serde_json::json!({ "command": text, "file_path": text }).to_string();
    let secrets: Vec<String> = redact::find(&text)
        .into_iter()
        .map(|f| text[f.range].to_string())
        .filter(|s| s.chars().count() > 8)
        .collect();
    for (tool, input) in [(tool, &*text), ("Bash", wrapped.as_str())] {
        for cwd in [None, Some("/home/u/p")] {
            let call = rules::Call {
                tool,
                input: Some(input),
                cwd,
                root: cwd,
                home: Some("/home/u"),
            };
            let (mut hits, mut trouble) = (Vec::new(), Vec::new());
            rules::check_call(&call, &mut hits, &mut trouble);
            rules::check_output(input, Some(tool), &mut hits);
            assert!(hits.len() <= 2 * rules::MAX_HITS_PER_CALL);
            for h in &hits {
                assert!(h.evidence.chars().count() <= rules::MAX_EVIDENCE);
                for s in &secrets {
                    assert!(!h.evidence.contains(s.as_str()), "secret in evidence");
                    assert!(!h.target.contains(s.as_str()), "secret in target");
                }
            }
        }
    }
    let segs = shell::segments(&text);
    assert!(segs.len() <= shell::MAX_SEGMENTS);
    for s in &segs {
        let _ = s.program();
    }
    if let Some(p) = paths::normalise(&text, Some("/home/u/p"), Some("/home/u")) {
        assert!(p.starts_with('/') && !p.contains("/../") && !p.ends_with("/.."));
    }
}
