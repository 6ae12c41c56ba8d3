//! Shared helpers: run the real `oracle` binary in a clean environment, and
//! validate every JSON output against the schema the binary itself publishes
//! (`oracle schema COMMAND`) before any test reads a field of it.

use assert_cmd::Command;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The subcommands that print a report.
pub const COMMANDS: [&str; 8] = [
    "diagnose", "errors", "diffs", "replay", "queues", "cost", "agents", "audit",
];

/// One fixture directory per input format, plus the mixed one.
pub const FORMAT_DIRS: [&str; 7] = [
    "fixtures/transcripts",
    "fixtures/otlp",
    "fixtures/teams",
    "fixtures/pipe",
    "fixtures/timemachine",
    "fixtures/hooks",
    "fixtures/mixed",
];

/// The sample log of `fixtures/example`.
pub const EXAMPLE_LOG: &str = "fixtures/example/.claude/telemetry-2026-02-13T14-30-00.log";
/// `fixtures/timemachine/diff_time_machine.jsonl`.
pub const DIFF: &str = "fixtures/timemachine/diff_time_machine.jsonl";
/// `fixtures/pipe/teamsters-incident.log`.
pub const INCIDENT: &str = "fixtures/pipe/teamsters-incident.log";

/// The crate root: every command runs there, so fixture paths are relative.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What one run printed.
#[derive(Debug, Clone)]
pub struct Run {
    /// Exit status (-1 when killed by a signal).
    pub code: i32,
    /// Stdout as text.
    pub stdout: String,
    /// Stdout as bytes.
    pub bytes: Vec<u8>,
    /// Stderr as text.
    pub stderr: String,
}

/// `oracle` with a clean environment: only `PATH`, `NO_COLOR=1`, `COLUMNS=120`;
/// current directory the crate root.
pub fn command() -> Command {
    let mut c = Command::cargo_bin("oracle").expect("the oracle binary is built");
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .current_dir(root());
    c
}

/// Runs a prepared command; fails the test if it panicked.
pub fn run_cmd(mut c: Command) -> Run {
    let out = c.output().expect("oracle can be started");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        bytes: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !r.stderr.contains("panicked"),
        "oracle panicked:\n{}",
        r.stderr
    );
    r
}

/// Runs `oracle ARGS...` and returns (status, stdout, stderr).
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = command();
    c.args(args);
    run_cmd(c)
}

/// Runs `oracle ARGS...` with `input` on stdin.
pub fn run_stdin<I, S>(args: I, input: Vec<u8>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = command();
    c.args(args).write_stdin(input);
    run_cmd(c)
}

/// Runs `oracle ARGS...` expecting exit status 0 and returns stdout.
pub fn ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args
        .into_iter()
        .map(|a| a.as_ref().to_os_string())
        .collect();
    let r = run(&args);
    assert_eq!(r.code, 0, "oracle {args:?} failed:\n{}", r.stderr);
    r.stdout
}

// ---------------------------------------------------------------------------
// Schemas

fn index(cmd: &str) -> usize {
    COMMANDS
        .iter()
        .position(|c| *c == cmd)
        .unwrap_or_else(|| panic!("no JSON schema for command {cmd:?}"))
}

/// The schema printed by `oracle schema CMD`, fetched once per command.
pub fn schema(cmd: &str) -> &'static Value {
    static SCHEMAS: [OnceLock<Value>; COMMANDS.len()] = [const { OnceLock::new() }; COMMANDS.len()];
    SCHEMAS[index(cmd)].get_or_init(|| {
        let out = ok(["schema", cmd]);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("`oracle schema {cmd}` is not JSON: {e}\n{out}"))
    })
}

/// The compiled validator of CMD's `--format json` envelope.
fn validator(cmd: &str) -> &'static jsonschema::Validator {
    static VALIDATORS: [OnceLock<jsonschema::Validator>; COMMANDS.len()] =
        [const { OnceLock::new() }; COMMANDS.len()];
    VALIDATORS[index(cmd)].get_or_init(|| {
        jsonschema::validator_for(schema(cmd))
            .unwrap_or_else(|e| panic!("`oracle schema {cmd}` does not compile: {e}"))
    })
}

/// The `$defs` a `--format jsonl` line of CMD may be (the report's list items).
pub fn jsonl_item_defs(cmd: &str) -> &'static [&'static str] {
    match cmd {
        "diagnose" => &["Finding"],
        "errors" => &["Record", "ErrorGroup"],
        "diffs" | "replay" => &["Record"],
        "queues" => &["AgentQueue", "PendingTask"],
        "cost" => &["CostRow"],
        "agents" => &["AgentNode"],
        "audit" => &["AuditFinding"],
        _ => panic!("no jsonl items for {cmd:?}"),
    }
}

/// A validator for one `--format jsonl` line of CMD: any of its item `$defs`.
fn item_validator(cmd: &str) -> &'static jsonschema::Validator {
    static VALIDATORS: [OnceLock<jsonschema::Validator>; COMMANDS.len()] =
        [const { OnceLock::new() }; COMMANDS.len()];
    VALIDATORS[index(cmd)].get_or_init(|| {
        let s = schema(cmd);
        let any: Vec<Value> = jsonl_item_defs(cmd)
            .iter()
            .map(|d| {
                assert!(
                    s["$defs"].get(*d).is_some(),
                    "schema of {cmd} has no $defs/{d}"
                );
                serde_json::json!({ "$ref": format!("#/$defs/{d}") })
            })
            .collect();
        let item = serde_json::json!({
            "$schema": s["$schema"],
            "$defs": s["$defs"],
            "anyOf": any,
        });
        jsonschema::validator_for(&item)
            .unwrap_or_else(|e| panic!("item schema of {cmd} does not compile: {e}"))
    })
}

fn check(v: &jsonschema::Validator, what: &str, value: &Value) {
    let errors: Vec<String> = v
        .iter_errors(value)
        .take(10)
        .map(|e| format!("  at {}: {e}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}\n--- output ---\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Asserts that `value` is a valid `--format json` envelope of CMD.
pub fn validate(cmd: &str, value: &Value) {
    check(
        validator(cmd),
        &format!("`oracle {cmd} --format json`"),
        value,
    );
    assert_eq!(value["command"], cmd, "envelope names another command");
    assert_eq!(value["schema_version"], "1.2.0");
}

/// Parses `--format json` stdout of CMD and validates it.
pub fn parse_validated(cmd: &str, stdout: &str) -> Value {
    let v: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("`oracle {cmd} --format json` is not JSON: {e}\n{stdout}"));
    validate(cmd, &v);
    v
}

/// Parses `--format jsonl` stdout of CMD: every line is JSON and matches one of
/// the command's item schemas.
pub fn parse_jsonl(cmd: &str, stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("jsonl line is not JSON: {e}\n{l}"));
            check(
                item_validator(cmd),
                &format!("a `oracle {cmd} --format jsonl` line"),
                &v,
            );
            v
        })
        .collect()
}

/// Runs `oracle CMD ARGS... --format json`, expecting `status`; returns the
/// validated envelope.
pub fn json_status(cmd: &str, args: &[&str], status: i32) -> Value {
    let mut all = vec![cmd];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let r = run(&all);
    assert_eq!(r.code, status, "oracle {all:?}:\n{}", r.stderr);
    parse_validated(cmd, &r.stdout)
}

/// Runs `oracle CMD ARGS... --format json` (exit 0) and returns the validated envelope.
pub fn json(cmd: &str, args: &[&str]) -> Value {
    json_status(cmd, args, 0)
}

/// [`json`], decoded into a typed envelope with the report as `D`.
pub fn typed<D: DeserializeOwned>(cmd: &str, args: &[&str]) -> Envelope<D> {
    decode(json(cmd, args))
}

/// Decodes a validated envelope.
pub fn decode<D: DeserializeOwned>(v: Value) -> Envelope<D> {
    serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("cannot decode envelope: {e}\n{v:#}"))
}

// ---------------------------------------------------------------------------
// The parts of the JSON contract the tests read.

/// The JSON envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope<D> {
    /// The query as understood.
    pub query: Query,
    /// What was read.
    pub sources: Sources,
    /// The report.
    pub data: D,
}

/// `query`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Query {
    /// `--after`, resolved.
    pub after: Option<String>,
    /// `--before`, resolved.
    pub before: Option<String>,
    /// `--at`, resolved.
    pub at: Option<String>,
}

/// `sources`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Sources {
    /// Inputs read.
    pub files: Vec<SourceFile>,
    /// Inputs passed over.
    pub skipped: Vec<Value>,
    /// Well-formed records.
    pub records: u64,
    /// Unreadable records (torn tails excluded).
    pub malformed: u64,
}

impl Sources {
    /// The entry of `path`.
    pub fn file(&self, path: &str) -> &SourceFile {
        self.files
            .iter()
            .find(|f| f.file == path)
            .unwrap_or_else(|| panic!("{path} not among the sources: {:#?}", self.files))
    }
}

/// One `sources.files[]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SourceFile {
    /// Path as named.
    pub file: String,
    /// Detected format.
    pub format: Option<String>,
    /// Records parsed.
    pub records: u64,
    /// Unreadable records.
    pub malformed: u64,
    /// `file:line (reason)` of the first bad ones.
    pub first_malformed: Vec<String>,
    /// `file:line` of a cut-short last record.
    pub torn_tail: Option<String>,
    /// Lines the prefilter skipped unparsed.
    pub prefiltered: u64,
}

impl SourceFile {
    /// Line numbers of `first_malformed`.
    pub fn malformed_lines(&self) -> Vec<u64> {
        self.first_malformed
            .iter()
            .map(|s| line_of(s.split(" (").next().unwrap_or(s)))
            .collect()
    }
}

/// The line number of a `file:line` location.
pub fn line_of(at: &str) -> u64 {
    at.rsplit_once(':')
        .and_then(|(_, l)| l.parse().ok())
        .unwrap_or_else(|| panic!("not a file:line location: {at:?}"))
}

/// One event (`$defs/Record`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Record {
    /// RFC 3339 UTC.
    pub time: Option<String>,
    /// Input path.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// Input format.
    pub format: String,
    /// Event or entity type.
    pub kind: String,
    /// Status or message type.
    pub status: String,
    /// Emitting agent.
    pub agent: Option<String>,
    /// Severity, for error-like events.
    pub severity: Option<String>,
    /// Error category.
    pub category: Option<String>,
    /// One-line summary.
    pub summary: String,
}

/// Severity counts.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
pub struct BySeverity {
    /// Critical.
    pub critical: u64,
    /// Error.
    pub error: u64,
    /// Warning.
    pub warning: u64,
    /// Info.
    pub info: u64,
}

/// `BySeverity` from (critical, error, warning, info).
pub fn sev(critical: u64, error: u64, warning: u64, info: u64) -> BySeverity {
    BySeverity {
        critical,
        error,
        warning,
        info,
    }
}

/// A file written by a test under Cargo's per-target temp dir (kept out of
/// `/tmp`, shared by the tests of one run).
pub fn target_tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Writes `bytes` to `path` atomically (another test process may read it).
pub fn write_atomic(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).expect("write temp input");
    std::fs::rename(&tmp, path).expect("rename temp input");
}

/// A diff JSONL of about 6 MB (~20k lines; two 4 MiB chunks) with a malformed
/// line every 2,500 lines, built once per test run. Returns its path and the
/// 1-based line numbers of the malformed lines.
pub fn big_diff() -> &'static (PathBuf, Vec<u64>) {
    static BIG: OnceLock<(PathBuf, Vec<u64>)> = OnceLock::new();
    BIG.get_or_init(|| {
        let agents = ["Orchestrator", "Coder", "Researcher", "Writer", "Reviewer"];
        let mut out = String::with_capacity(6_500_000);
        let mut bad = Vec::new();
        let mut n: u64 = 0;
        // A tiny deterministic generator (xorshift) so the file is the same every run.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        while out.len() < 6_000_000 {
            n += 1;
            if n.is_multiple_of(2500) {
                out.push_str("{\"timestamp\": \"2026-02-09T12:00:00\", this is not json\n");
                bad.push(n);
                continue;
            }
            let secs = n / 4;
            let ts = format!(
                "2026-02-09T{:02}:{:02}:{:02}.{:06}",
                10 + secs / 3600,
                (secs / 60) % 60,
                secs % 60,
                (n % 4) * 250_000 + rnd() % 1000
            );
            let from = agents[(rnd() % 5) as usize];
            let to = agents[(rnd() % 5) as usize];
            let line = match n % 10 {
                0 => format!(
                    "{{\"timestamp\": \"{ts}\", \"change_type\": \"added\", \"entity_type\": \"error\", \"data\": {{\"error_id\": \"e{n}\", \"agent_name\": \"{from}\", \"severity\": \"{}\", \"category\": \"timeout_error\", \"error_message\": \"Timeout after {}s calling tool id {:08x}\"}}}}",
                    ["info", "warning", "error", "critical"][(rnd() % 4) as usize],
                    rnd() % 90,
                    rnd() % 0xffff_ffff
                ),
                1..=3 => format!(
                    "{{\"timestamp\": \"{ts}\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \"data\": {{\"message_id\": \"m{n}\", \"source_agent\": \"{from}\", \"target_agent\": \"{to}\", \"message_type\": \"{}\", \"priority\": \"normal\", \"payload\": {{\"result\": \"{}\"}}, \"parent_message_id\": \"m{}\"}}}}",
                    if rnd() % 5 == 0 { "error" } else { "result" },
                    "r".repeat(20 + (rnd() % 50) as usize),
                    n.saturating_sub(1 + rnd() % 40)
                ),
                _ => format!(
                    "{{\"timestamp\": \"{ts}\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \"data\": {{\"message_id\": \"m{n}\", \"source_agent\": \"{from}\", \"target_agent\": \"{to}\", \"message_type\": \"{}\", \"priority\": \"high\", \"payload\": {{\"task\": \"{}\"}}, \"parent_message_id\": null}}}}",
                    if rnd() % 4 == 0 { "heartbeat" } else { "task" },
                    "t".repeat(20 + (rnd() % 50) as usize)
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
        let path = target_tmp("big-diff.jsonl");
        write_atomic(&path, out.as_bytes());
        (path, bad)
    })
}

/// Splits a command line with POSIX shell word rules (quotes and backslashes;
/// no expansions). Errors on an unterminated quote.
pub fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(format!("unterminated ' in {line:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => cur.push(ch),
                            Some(ch) => {
                                cur.push('\\');
                                cur.push(ch);
                            }
                            None => return Err(format!("unterminated \" in {line:?}")),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err(format!("unterminated \" in {line:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(ch) = chars.next() {
                    cur.push(ch);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[test]
fn shell_words_follows_quoting_rules() {
    assert_eq!(
        shell_words(r#"oracle errors --grep 'a b' -a "x \"y\"" c\ d"#).unwrap(),
        ["oracle", "errors", "--grep", "a b", "-a", "x \"y\"", "c d"]
    );
    assert_eq!(shell_words("  a   b ''").unwrap(), ["a", "b", ""]);
    assert!(shell_words("oracle 'open").is_err());
}
