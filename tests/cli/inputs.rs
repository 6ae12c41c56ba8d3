//! Inputs and the process contract: what is read from each fixture (records,
//! malformed lines, torn tails, formats sniffed from content), stdin, exit
//! statuses, bad arguments, `--strict`, thread-count independence, hostile
//! control characters and a closed stdout.

use crate::common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::process::Stdio;

/// (file, format, records, malformed, first malformed lines, torn tail line)
type Expect = (
    &'static str,
    &'static str,
    u64,
    u64,
    &'static [u64],
    Option<u64>,
);

const FILES: [Expect; 36] = [
    // fixtures/audit (fixtures/audit/make.py): planted violations, one record a tool call.
    ("fixtures/audit/hooks/payloads.json", "hook", 8, 0, &[], None),
    ("fixtures/audit/hooks/telemetry-a.jsonl", "hook", 5, 0, &[], None),
    ("fixtures/audit/hooks/telemetry-b.jsonl", "hook", 3, 0, &[], None),
    ("fixtures/audit/otlp/tool-events.jsonl", "otlp", 3, 0, &[], None),
    (
        "fixtures/audit/transcript/projects/-home-dev-shop/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.jsonl",
        "transcript",
        32,
        0,
        &[],
        None,
    ),
    (
        "fixtures/audit/transcript/projects/-home-dev-shop/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/subagents/agent-b7e1c02.jsonl",
        "transcript",
        6,
        0,
        &[],
        None,
    ),
    (EXAMPLE_LOG, "pipe", 18, 0, &[], None),
    // fixtures/transcripts/README.md (numbers from fixtures/transcripts/expected.py).
    (
        "fixtures/transcripts/projects/-home-dev-demo/1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41/subagents/agent-a3f9c21.jsonl",
        "transcript",
        6,
        0,
        &[],
        None,
    ),
    (
        "fixtures/transcripts/projects/-home-dev-demo/1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41/subagents/agent-a3f9c21.meta.json",
        "transcript",
        1,
        0,
        &[],
        None,
    ),
    (
        "fixtures/transcripts/projects/-home-dev-demo/1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41/subagents/agent-acompact-7d2e10.jsonl",
        "transcript",
        2,
        0,
        &[],
        None,
    ),
    (
        "fixtures/transcripts/projects/-home-dev-demo/1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41.jsonl",
        "transcript",
        27,
        0,
        &[],
        None,
    ),
    (
        "fixtures/transcripts/projects/-home-dev-demo/9c4b2e71-0d3a-4f6b-8e15-7a2c9d0b3e58/subagents/agent-a6d01e4.jsonl",
        "transcript",
        3,
        0,
        &[],
        Some(4),
    ),
    // fixtures/otlp/README.md (numbers from fixtures/otlp/expected.py).
    (
        "fixtures/otlp/claude-code-logs.jsonl",
        "otlp",
        3,
        0,
        &[],
        Some(4),
    ),
    ("fixtures/otlp/metrics.json", "otlp", 1, 0, &[], None),
    ("fixtures/otlp/traces-pretty.json", "otlp", 1, 0, &[], None),
    ("fixtures/otlp/traces.jsonl", "otlp", 3, 0, &[], None),
    // fixtures/teams/README.md (numbers from fixtures/teams/expected.py).
    (
        "fixtures/teams/malformed/reviewer.json",
        "team",
        2,
        0,
        &[],
        Some(16),
    ),
    ("fixtures/teams/renamed/x.txt", "team", 3, 0, &[], None),
    (
        "fixtures/teams/tasks/api-team/1.json",
        "team",
        1,
        0,
        &[],
        None,
    ),
    (
        "fixtures/teams/tasks/api-team/2.json",
        "team",
        1,
        0,
        &[],
        None,
    ),
    (
        "fixtures/teams/tasks/api-team/3.json",
        "team",
        1,
        0,
        &[],
        None,
    ),
    (
        "fixtures/teams/tasks/api-team/4.json",
        "team",
        1,
        0,
        &[],
        None,
    ),
    (
        "fixtures/teams/teams/api-team/config.json",
        "team",
        1,
        0,
        &[],
        None,
    ),
    (
        "fixtures/teams/teams/api-team/inboxes/backend-dev.json",
        "team",
        3,
        0,
        &[],
        None,
    ),
    (
        "fixtures/teams/teams/api-team/inboxes/frontend-dev.json",
        "team",
        3,
        0,
        &[],
        None,
    ),
    (
        "fixtures/teams/teams/api-team/inboxes/team-lead.json",
        "team",
        5,
        0,
        &[],
        None,
    ),
    (
        "fixtures/hooks/claude-telemetry.jsonl",
        "hook",
        15,
        0,
        &[],
        None,
    ),
    ("fixtures/hooks/schema-b.jsonl", "hook", 7, 0, &[], None),
    ("fixtures/mixed/a.log", "diff", 8, 0, &[], None),
    ("fixtures/mixed/b.txt", "pipe", 7, 0, &[], None),
    ("fixtures/mixed/c.dat", "hook", 6, 0, &[], None),
    (
        "fixtures/pipe/malformed.log",
        "pipe",
        12,
        3,
        &[11, 14, 18],
        Some(22),
    ),
    (INCIDENT, "pipe", 66, 0, &[], None),
    (DIFF, "diff", 80, 0, &[], None),
    (
        "fixtures/timemachine/malformed.jsonl",
        "diff",
        10,
        3,
        &[4, 8, 11],
        Some(15),
    ),
    (
        "fixtures/timemachine/state_time_machine.jsonl",
        "state",
        3,
        0,
        &[],
        None,
    ),
];

fn check_file(sources: &Sources, (path, format, records, malformed, bad, torn): &Expect) {
    let f = sources.file(path);
    assert_eq!(f.format.as_deref(), Some(*format), "{path}: format");
    assert_eq!(f.records, *records, "{path}: records");
    assert_eq!(f.malformed, *malformed, "{path}: malformed");
    assert_eq!(f.malformed_lines(), *bad, "{path}: first malformed lines");
    assert!(
        f.first_malformed
            .iter()
            .all(|m| m.starts_with(&format!("{path}:"))),
        "{path}: {:?}",
        f.first_malformed
    );
    assert_eq!(
        f.torn_tail,
        torn.map(|l| format!("{path}:{l}")),
        "{path}: torn tail"
    );
}

#[test]
fn every_fixture_file_is_read_as_documented() {
    // One walk over every fixture directory.
    let mut args = all_fixtures();
    args.extend(["-l", "0"]);
    let e = typed::<Value>("diffs", &args);
    assert_eq!(e.sources.files.len(), FILES.len(), "{:#?}", e.sources.files);
    assert!(e.sources.skipped.is_empty(), "{:?}", e.sources.skipped);
    for expect in &FILES {
        check_file(&e.sources, expect);
    }
    let records: u64 = FILES.iter().map(|f| f.2).sum();
    assert_eq!(e.sources.records, records);
    assert_eq!(e.sources.malformed, 6, "torn tails are not counted");
    // One record may hold several events, as each folder's README counts them:
    // teams 21 records / 24 events, transcripts 39 / 53, OTLP 8 / 42; the
    // audit subagent's first line is its spawn and its prompt (+1).
    assert_eq!(e.data["total"], records + 3 + 14 + 34 + 1);
}

#[test]
fn every_command_reports_the_same_sources_on_each_format_directory() {
    // Commands without a prefilter parse every record.
    for dir in FORMAT_DIRS {
        for cmd in ["diagnose", "diffs", "replay"] {
            let e = typed::<Value>(cmd, &[dir]);
            let mine: Vec<&Expect> = FILES.iter().filter(|f| f.0.starts_with(dir)).collect();
            assert_eq!(e.sources.files.len(), mine.len(), "{cmd} {dir}");
            for expect in mine {
                check_file(&e.sources, expect);
            }
        }
        // errors and queues may skip records unparsed; what they skip is counted.
        for cmd in ["errors", "queues"] {
            let e = typed::<Value>(cmd, &[dir]);
            for f in &e.sources.files {
                let (_, _, records, malformed, ..) =
                    FILES.iter().find(|x| x.0 == f.file).expect("known file");
                assert!(
                    f.records <= *records && f.malformed <= *malformed,
                    "{cmd}: {f:?}"
                );
                if f.prefiltered == 0 {
                    assert_eq!(f.records, *records, "{cmd}: {f:?}");
                }
            }
        }
    }
}

#[test]
fn malformed_lines_are_reported_on_stderr() {
    let r = run(["diffs", "fixtures/pipe/malformed.log"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("fixtures/pipe/malformed.log: 3 unreadable record(s)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("malformed.log:11"), "{}", r.stderr);
    assert!(
        r.stderr.contains("malformed.log:22"),
        "torn tail: {}",
        r.stderr
    );
    let r = run(["diffs", "fixtures/example"]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn formats_are_sniffed_from_content_not_names() {
    let e = typed::<Value>(
        "diffs",
        &[
            "fixtures/mixed/a.log",
            "fixtures/mixed/b.txt",
            "fixtures/mixed/c.dat",
        ],
    );
    let formats: Vec<_> = e
        .sources
        .files
        .iter()
        .map(|f| f.format.clone().unwrap_or_default())
        .collect();
    assert_eq!(formats, ["diff", "pipe", "hook"]);
    // Forcing a wrong format makes every record unreadable but is not fatal.
    let e = typed::<Value>("diffs", &["--input-format", "pipe", "fixtures/mixed/a.log"]);
    let f = e.sources.file("fixtures/mixed/a.log");
    assert_eq!(
        (f.format.as_deref(), f.records, f.malformed),
        (Some("pipe"), 0, 8)
    );
    // A named file that is not telemetry is skipped with a reason.
    let e = typed::<Value>("diffs", &["Cargo.toml", DIFF]);
    assert_eq!(e.sources.files.len(), 1);
    let skipped = &e.sources.skipped[0];
    assert_eq!(skipped["file"], "Cargo.toml");
    assert!(skipped["reason"]
        .as_str()
        .is_some_and(|r| r.contains("not a telemetry format")));
}

#[test]
fn markdown_is_not_telemetry() {
    // Walking fixtures/ must pass over fixtures/README.md ("# Test fixtures ...").
    let e = typed::<Value>("diffs", &["fixtures", "-l", "0"]);
    let files: Vec<&str> = e.sources.files.iter().map(|f| f.file.as_str()).collect();
    assert!(!files.contains(&"fixtures/README.md"), "{files:?}");
    assert_eq!(e.sources.malformed, 6, "only the fixtures' own bad lines");
    // Named explicitly, it is skipped: nothing readable is left.
    let r = run(["errors", "fixtures/README.md"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("fixtures/README.md"), "{}", r.stderr);
}

#[test]
fn compressed_input_reads_like_plain() {
    use flate2::{write::GzEncoder, Compression};
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("diff.jsonl.gz");
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(&std::fs::read(root().join(DIFF)).expect("fixture"))
        .expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let gz = gz.to_str().expect("utf-8 path");
    let plain = json("queues", &[DIFF]);
    let packed = json("queues", &[gz]);
    assert_eq!(packed["sources"]["files"][0]["format"], "diff");
    assert_eq!(relabel(&packed["data"], gz), relabel(&plain["data"], DIFF));
}

#[test]
fn empty_file_is_read_not_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("telemetry-empty.log");
    std::fs::write(&p, b"").expect("write");
    let v = json("diagnose", &[p.to_str().expect("utf-8")]);
    assert_eq!(v["data"]["events"], 0);
    assert_eq!(v["data"]["status"], "ok");
}

// ---------------------------------------------------------------------------
// Exit statuses and arguments

#[test]
fn no_readable_input_exits_two_and_says_where_it_looked() {
    for cmd in COMMANDS {
        let r = run([cmd, "fixtures/does-not-exist"]);
        assert_eq!(r.code, 2, "{cmd}");
        assert!(r.stdout.is_empty(), "{cmd}: {}", r.stdout);
        assert!(
            r.stderr.contains("no readable input"),
            "{cmd}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("fixtures/does-not-exist"),
            "{cmd}: {}",
            r.stderr
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8");
    let r = run(["diagnose", d]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(d), "{}", r.stderr);
    // No path and no default location: every place looked at is named.
    let mut c = command();
    c.current_dir(dir.path()).arg("diagnose");
    let r = run_cmd(c);
    assert_eq!(r.code, 2);
    for place in [
        "TELEMETRY_DATA_DIR",
        "telemetry_data",
        ".claude/telemetry-*.log",
    ] {
        assert!(r.stderr.contains(place), "{place} not named: {}", r.stderr);
    }
    // Claude Code's config dir is looked at too, at the project's slug.
    let cfg = tempfile::tempdir().expect("tempdir");
    let mut c = command();
    c.current_dir(dir.path())
        .env("CLAUDE_CONFIG_DIR", cfg.path())
        .arg("diagnose");
    let r = run_cmd(c);
    assert_eq!(r.code, 2);
    let cwd = std::fs::canonicalize(dir.path()).expect("canonical");
    let slug: String = cwd
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    assert!(r.stderr.contains(&slug), "{slug} not named: {}", r.stderr);
    assert!(r.stderr.contains("teams"), "{}", r.stderr);
    // Only non-telemetry files.
    let r = run(["errors", "Cargo.toml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("Cargo.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("not a telemetry format"), "{}", r.stderr);
}

#[test]
fn bad_time_values_exit_two_and_name_the_flag_and_forms() {
    for (cmd, flag) in [
        ("errors", "--after"),
        ("diffs", "--after"),
        ("replay", "--after"),
        ("diffs", "--before"),
    ] {
        let r = run([cmd, "fixtures/example", flag, "yesterday"]);
        assert_eq!(r.code, 2, "{cmd} {flag}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains(flag), "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains("yesterday"), "{}", r.stderr);
        for form in ["RFC 3339", "naive ISO", "a date", "10m"] {
            assert!(
                r.stderr.contains(form),
                "{cmd} {flag}: accepted form {form:?} not named: {}",
                r.stderr
            );
        }
    }
    for bad in ["2026-13-45", "2026-02-13T25:61:00Z", ""] {
        let r = run(["diffs", "fixtures/example", "--after", bad]);
        assert_eq!(r.code, 2, "--after {bad:?}");
        assert!(r.stderr.contains("--after"), "{}", r.stderr);
    }
}

#[test]
fn threads_zero_is_a_usage_error() {
    let r = run(["--threads", "0", "diagnose", "fixtures/example"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--threads"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let r = run(["diffs", "fixtures/example", "-j", "many"]);
    assert_eq!(r.code, 2);
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(run(["frobnicate"]).code, 2);
    assert_eq!(
        run(["diagnose", "--fail-on", "sometimes", "fixtures/example"]).code,
        2
    );
    assert_eq!(
        run(["errors", "--by", "colour", "fixtures/example"]).code,
        2
    );
    let r = run(["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("diagnose"));
    let v = run(["--version"]);
    assert_eq!(v.code, 0);
    // The long form names the JSON scanners' backend.
    assert!(
        ["avx512", "avx2", "sse2", "bytes"]
            .iter()
            .any(|b| v.stdout.contains(&format!("(JSON scanners: {b})"))),
        "{}",
        v.stdout
    );
}

#[test]
fn every_json_scanner_backend_gives_the_same_answers() {
    // `ORACLE_SIMD` picks a backend (the byte loop exists on every machine;
    // the others where the CPU has them); each reads the transcripts, hook
    // payloads and observer files of the fixtures to the same output.
    let run_with = |simd: &str, args: &[&str]| {
        let mut c = command();
        c.env("ORACLE_SIMD", simd).args(args);
        run_cmd(c)
    };
    assert!(run_with("bytes", &["--version"])
        .stdout
        .contains("(JSON scanners: bytes)"));
    for args in [
        &["agents", "--format", "json", "fixtures"][..],
        &["cost", "--format", "json", "fixtures"],
        &["diagnose", "--format", "json", "fixtures"],
        &["errors", "--format", "jsonl", "fixtures"],
    ] {
        let best = run(args);
        assert!(!best.stdout.is_empty(), "{args:?}: {}", best.stderr);
        for simd in ["bytes", "sse2", "avx2", "avx512"] {
            let r = run_with(simd, args);
            assert_eq!(r.code, best.code, "{simd} {args:?}");
            assert_eq!(r.stdout, best.stdout, "{simd} {args:?}");
        }
    }
}

#[test]
fn strict_fails_on_unreadable_records() {
    for cmd in COMMANDS {
        let r = run([cmd, "--strict", "fixtures/pipe/malformed.log"]);
        assert_eq!(r.code, 2, "{cmd} --strict");
        assert!(!r.stdout.is_empty(), "{cmd}: the full report, then exit 2");
        assert!(r.stderr.contains("--strict"), "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains("malformed.log:11"), "{cmd}: {}", r.stderr);
    }
    // In JSON the report is whole (CI keeps its artifact).
    let r = run([
        "diagnose",
        "--strict",
        "fixtures/pipe/malformed.log",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 2);
    let v = parse_validated("diagnose", &r.stdout);
    assert_eq!(v["sources"]["malformed"].as_u64(), Some(3));
    // Clean input passes.
    json("diagnose", &["--strict", "fixtures/example"]);
    json("errors", &["--strict", DIFF]);
}

#[test]
fn strict_sees_lines_the_prefilter_skips() {
    // Lines 4, 8 and 11 of malformed.jsonl cannot be read whatever the query.
    let cases: [&[&str]; 2] = [
        &["errors", "--strict", "fixtures/timemachine/malformed.jsonl"],
        &[
            "diffs",
            "-e",
            "agent_message",
            "--strict",
            "fixtures/timemachine/malformed.jsonl",
        ],
    ];
    for args in cases {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("malformed.jsonl:4"), "{}", r.stderr);
    }
}

// ---------------------------------------------------------------------------
// stdin

/// `data` with an input's path replaced by `-`, as if it had been read from stdin.
fn relabel(data: &Value, path: &str) -> Value {
    let s = serde_json::to_string(data).expect("serialises");
    serde_json::from_str(&s.replace(path, "-")).expect("still JSON")
}

#[test]
fn stdin_reads_like_the_file() {
    let cases: [(&str, &str, &[&str]); 5] = [
        ("queues", DIFF, &["--pending"]),
        ("queues", "fixtures/mixed/a.log", &[]),
        ("errors", INCIDENT, &[]),
        (
            "diffs",
            "fixtures/hooks/claude-telemetry.jsonl",
            &["-l", "100"],
        ),
        // Relative times need the last event first: stdin is spooled.
        ("errors", DIFF, &["--after", "5m"]),
    ];
    for (cmd, file, extra) in cases {
        let input = std::fs::read(root().join(file)).expect("fixture");
        let mut args = vec![cmd, "-", "--format", "json"];
        args.extend_from_slice(extra);
        let r = run_stdin(&args, input);
        assert_eq!(r.code, 0, "{cmd} - < {file}: {}", r.stderr);
        let piped = parse_validated(cmd, &r.stdout);
        assert_eq!(piped["sources"]["files"][0]["file"], "-");
        let mut args = vec![file];
        args.extend_from_slice(extra);
        let named = json(cmd, &args);
        assert_eq!(
            piped["data"],
            relabel(&named["data"], file),
            "{cmd} - < {file}"
        );
        assert_eq!(
            piped["sources"]["files"][0]["records"], named["sources"]["files"][0]["records"],
            "{cmd} - < {file}"
        );
    }
}

#[test]
fn stdin_stream_spanning_several_blocks() {
    let (big, bad) = big_diff();
    let path = big.to_str().expect("utf-8");
    for cmd in ["queues", "diagnose"] {
        let r = run_stdin(
            [cmd, "-", "--format", "json"],
            std::fs::read(big).expect("big"),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let piped = parse_validated(cmd, &r.stdout);
        let named = json(cmd, &[path]);
        assert_eq!(piped["data"], relabel(&named["data"], path), "{cmd}");
        let f = &piped["sources"]["files"][0];
        assert_eq!(f["malformed"], bad.len());
        assert_eq!(
            f["first_malformed"],
            relabel(&named["sources"]["files"][0]["first_malformed"], path)
        );
    }
}

// ---------------------------------------------------------------------------
// Threads

fn all_fixtures() -> Vec<&'static str> {
    let mut v = FORMAT_DIRS.to_vec();
    v.push("fixtures/example");
    v.push("fixtures/audit");
    v
}

fn same_for_one_and_two_threads(inputs: &[&str], extra: &[&str]) {
    for cmd in COMMANDS {
        for format in ["table", "json"] {
            let mut args = vec![cmd, "--format", format];
            args.extend_from_slice(extra);
            args.extend_from_slice(inputs);
            let one = run(["--threads", "1"].iter().chain(args.iter()));
            let two = run(["--threads", "2"].iter().chain(args.iter()));
            assert_eq!(one.code, 0, "{args:?}: {}", one.stderr);
            assert_eq!(two.code, 0, "{args:?}: {}", two.stderr);
            assert!(one.bytes == two.bytes, "{args:?}: --threads 1 and 2 differ");
            assert_eq!(one.stderr, two.stderr, "{args:?}");
            if format == "json" {
                parse_validated(cmd, &one.stdout);
            }
        }
    }
}

#[test]
fn thread_count_does_not_change_output_on_fixtures() {
    same_for_one_and_two_threads(&all_fixtures(), &[]);
}

#[test]
fn thread_count_does_not_change_output_on_a_large_input() {
    let (big, bad) = big_diff();
    let path = big.to_str().expect("utf-8");
    assert!(
        std::fs::metadata(big).expect("big").len() > 4 << 20,
        "spans two 4 MiB chunks"
    );
    same_for_one_and_two_threads(&[path], &[]);
    // Line numbers stay right across the chunk boundary.
    let e = typed::<Value>("diffs", &[path, "-l", "1"]);
    let f = e.sources.file(path);
    assert_eq!(f.malformed, bad.len() as u64);
    assert_eq!(f.malformed_lines(), bad[..5]);
    let lines = std::fs::read_to_string(big).expect("big").lines().count() as u64;
    assert_eq!(f.records + f.malformed, lines);
    assert_eq!(e.data["diffs"][0]["line"], lines);
}

// ---------------------------------------------------------------------------
// Hostile data and a closed stdout

#[test]
fn control_characters_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("hostile.log");
    std::fs::write(
        &p,
        b"# Team: esc\n---\n\
2026-02-13T14:30:00.000Z | lifecycle | agent-1 | spawned | {\"depth\": 1}\n\
2026-02-13T14:30:01.000Z | lifecycle | agent-1 | failed | {\"reason\":\"\\u001b[31mred\\r\"}\n\
2026-02-13T14:30:02.000Z | error | ev\x1b[2Jil | error_classified | {\"raw_error\":\"bell\\u0007 and \\u202e rtl\", \"classified_severity\": \"critical\"}\n",
    )
    .expect("write");
    let p = p.to_str().expect("utf-8");
    for cmd in COMMANDS {
        let r = run([cmd, p]);
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        assert!(
            !r.bytes.contains(&0x1b),
            "{cmd}: raw ESC in table output:\n{}",
            r.stdout
        );
        assert!(!r.bytes.contains(&b'\r'), "{cmd}: raw CR in table output");
        assert!(!r.bytes.contains(&0x07), "{cmd}: raw BEL in table output");
        assert!(!r.stdout.contains('\u{202e}'), "{cmd}: raw bidi override");
        assert!(
            !r.stderr.as_bytes().contains(&0x1b),
            "{cmd}: raw ESC on stderr"
        );
        json(cmd, &[p]);
    }
    let out = ok(["errors", p]);
    assert!(
        out.contains("\\u{1b}[31mred"),
        "escaped, not dropped:\n{out}"
    );
    // JSON keeps the data as it was, properly escaped.
    let v = json("errors", &[p]);
    let failed = v["data"]["errors"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["status"] == "failed"))
        .expect("the failed event");
    assert_eq!(failed["raw"]["reason"], "\u{1b}[31mred\r");
    let classified = v["data"]["errors"][0].clone();
    assert_eq!(classified["agent"], "ev\u{1b}[2Jil");
    assert_eq!(classified["severity"], "critical");
}

#[test]
fn closed_stdout_is_not_a_panic() {
    let (big, _) = big_diff();
    for format in ["table", "json"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_oracle"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "120")
            .current_dir(root())
            .args(["diffs", "-l", "100000", "--format", format])
            .arg(big)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn oracle");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut head = [0u8; 4096];
        stdout.read_exact(&mut head).expect("some output");
        drop(stdout);
        let out = child.wait_with_output().expect("oracle ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{format}: {stderr}");
        // A closed pipe is success (or the default SIGPIPE death, never a crash code).
        assert!(
            matches!(out.status.code(), Some(0) | None),
            "{format}: {:?}",
            out.status
        );
    }
}

/// Copies a directory tree.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("readable").flatten() {
        let p = e.path();
        let dst = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &dst);
        } else {
            std::fs::copy(&p, &dst).expect("copy");
        }
    }
}

#[test]
fn no_path_reads_the_current_projects_claude_code_sessions_and_teams() {
    let work = tempfile::tempdir().expect("tempdir");
    let cwd = std::fs::canonicalize(work.path()).expect("canonical");
    let cfg = tempfile::tempdir().expect("tempdir");
    let slug: String = cwd
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    // This project's sessions, another project's, and a team whose member works here.
    copy_tree(
        &root().join("fixtures/transcripts/projects/-home-dev-demo"),
        &cfg.path().join("projects").join(&slug),
    );
    copy_tree(
        &root().join("fixtures/transcripts/projects/-home-dev-demo"),
        &cfg.path().join("projects/-somewhere-else"),
    );
    let team_dir = cfg.path().join("teams/api-team");
    copy_tree(&root().join("fixtures/teams/teams/api-team"), &team_dir);
    let config = team_dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).expect("config")).expect("json");
    v["members"][0]["cwd"] = serde_json::Value::String(cwd.to_string_lossy().into_owned());
    std::fs::write(&config, serde_json::to_vec(&v).expect("json")).expect("write");
    copy_tree(
        &root().join("fixtures/teams/tasks/api-team"),
        &cfg.path().join("tasks/api-team"),
    );
    let files_under = |d: &std::path::Path| -> usize {
        let mut n = 0;
        let mut stack = vec![d.to_path_buf()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).expect("readable").flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else if e
                    .path()
                    .extension()
                    .is_some_and(|x| x == "jsonl" || x == "json")
                {
                    n += 1;
                }
            }
        }
        n
    };
    let mine = files_under(&cfg.path().join("projects").join(&slug))
        + files_under(&team_dir)
        + files_under(&cfg.path().join("tasks/api-team"));
    let mut c = command();
    c.current_dir(&cwd)
        .env("CLAUDE_CONFIG_DIR", cfg.path())
        .args(["diffs", "-l", "0", "--format", "json"]);
    let r = run_cmd(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = parse_validated("diffs", &r.stdout);
    let files = v["sources"]["files"].as_array().expect("files");
    assert_eq!(files.len(), mine, "{files:#?}");
    assert!(files
        .iter()
        .all(|f| !f["file"].as_str().unwrap_or("").contains("somewhere-else")));
    // --all-projects reads the other project too.
    let mut c = command();
    c.current_dir(&cwd)
        .env("CLAUDE_CONFIG_DIR", cfg.path())
        .args(["diffs", "-l", "0", "--all-projects", "--format", "json"]);
    let r = run_cmd(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = parse_validated("diffs", &r.stdout);
    let all = v["sources"]["files"].as_array().expect("files").len();
    assert!(all > mine, "{all} <= {mine}");
}
