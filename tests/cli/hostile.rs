//! Hostile input (issue 4): never crash, never lose a record, never let log data
//! attack the reader.
//!
//! Every input here is generated in a fresh directory under
//! `CARGO_TARGET_TMPDIR` and removed afterwards; nothing is committed. Each test
//! asserts the real outcome: exit status, the `sources` counts, no panic, and
//! where records matter the exact set of ids read. No test asserts on timings;
//! runs that could hang have a generous watchdog that only turns a hang into a
//! failure.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Helpers

/// A fresh directory under Cargo's per-target temp dir, removed on drop.
fn tmp(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Naive UTC timestamp `n` tenths of a second after 2026-02-09T10:00:00.
fn ts(n: u64) -> String {
    let secs = n / 10;
    format!(
        "2026-02-09T{:02}:{:02}:{:02}.{:06}",
        10 + (secs / 3600) % 12,
        (secs / 60) % 60,
        secs % 60,
        (n % 10) * 100_000
    )
}

/// The same instant as [`ts`], RFC 3339 with `Z` (pipe logs).
fn ts_z(n: u64) -> String {
    format!("{}Z", &ts(n)[..23])
}

/// One diff record (an agent message) with a unique id.
fn diff(id: &str, n: u64) -> String {
    format!(
        r#"{{"timestamp": "{}", "change_type": "added", "entity_type": "agent_message", "data": {{"message_id": "{id}", "source_agent": "Coder", "target_agent": "Writer", "message_type": "task", "priority": "normal", "payload": {{"task": "do {id}"}}, "parent_message_id": null}}}}"#,
        ts(n)
    )
}

/// One pipe event carrying a unique id in its metadata.
fn pipe(id: &str, n: u64) -> String {
    format!(
        r#"{} | lifecycle | agent-{} | spawned | {{"task_id": "{id}", "depth": 1}}"#,
        ts_z(n),
        n % 7
    )
}

/// One compact hook object carrying a unique `tool_use_id`.
fn hook(id: &str, n: u64) -> String {
    format!(
        r#"{{"timestamp": "{}Z", "event_type": "file_read", "hook_event": "PreToolUse", "session_id": "s1", "tool_name": "Read", "tool_use_id": "{id}", "action_details": {{"file_path": "/w/{id}"}}}}"#,
        &ts(n)[..23]
    )
}

const PIPE_HEADER: &str = "# Teamsters Team Orchestration Telemetry Log\n# Team: hostile\n---\n";

/// The `sources.files[]` entry of the only input of a validated envelope.
fn only_file(v: &Value) -> &Value {
    let files = v["sources"]["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "{files:#?}");
    &files[0]
}

fn count(f: &Value, key: &str) -> u64 {
    f[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {f:#}"))
}

/// Line numbers of `first_malformed` (`file:line (reason)`).
fn bad_lines(f: &Value) -> Vec<u64> {
    f["first_malformed"]
        .as_array()
        .expect("first_malformed")
        .iter()
        .map(|m| line_of(m.as_str().expect("text").split(" (").next().expect("loc")))
        .collect()
}

/// The ids of every record `diffs` lists, read from each record's raw JSON at
/// `pointer` (e.g. `/data/message_id`), and the validated envelope.
fn listed_ids(args: &[&str], pointer: &str) -> (Value, Vec<String>) {
    let mut all = args.to_vec();
    all.extend(["-l", "1000000"]);
    let v = json("diffs", &all);
    let ids = v["data"]["diffs"]
        .as_array()
        .expect("diffs")
        .iter()
        .map(|r| {
            r["raw"]
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no {pointer} in {r:#}"))
                .to_string()
        })
        .collect();
    (v, ids)
}

/// A running `oracle` whose output is drained on threads (so a full pipe never
/// blocks it while the test works on its input).
struct Running {
    child: Child,
    out: std::thread::JoinHandle<Vec<u8>>,
    err: std::thread::JoinHandle<Vec<u8>>,
}

fn spawn<I, A>(args: I) -> Running
where
    I: IntoIterator<Item = A>,
    A: AsRef<OsStr>,
{
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_oracle"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .current_dir(root())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn oracle");
    let mut o = child.stdout.take().expect("stdout");
    let mut e = child.stderr.take().expect("stderr");
    Running {
        child,
        out: std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = o.read_to_end(&mut v);
            v
        }),
        err: std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = e.read_to_end(&mut v);
            v
        }),
    }
}

/// A watchdog, not a timing assertion: only a run that hangs takes this long.
const HANG: Duration = Duration::from_secs(300);

impl Running {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_some()
    }

    /// Waits for the end; a run still going after [`HANG`] is killed and fails the test.
    /// Returns the run and whether the process was killed by a signal.
    fn finish(mut self) -> (Run, Option<i32>) {
        let start = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                break st;
            }
            if start.elapsed() > HANG {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("oracle hung");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let bytes = self.out.join().expect("stdout reader");
        let err = self.err.join().expect("stderr reader");
        use std::os::unix::process::ExitStatusExt;
        let r = Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            stderr: String::from_utf8_lossy(&err).into_owned(),
        };
        assert!(
            !r.stderr.contains("panicked"),
            "oracle panicked:\n{}",
            r.stderr
        );
        (r, status.signal())
    }
}

/// Whether process `pid` has `path` memory-mapped (so it has opened the file and
/// fixed the length it will read).
fn maps(pid: u32, path: &Path) -> bool {
    let canon = std::fs::canonicalize(path).expect("canonical path");
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .is_ok_and(|m| m.contains(canon.to_str().expect("utf-8")))
}

/// Polls until `pid` maps `path` or the process ends; true when the map was seen.
fn wait_mapped(r: &mut Running, path: &Path) -> bool {
    let start = Instant::now();
    while start.elapsed() < HANG {
        if maps(r.pid(), path) {
            return true;
        }
        if r.exited() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL");
    // SAFETY: a valid C string; mkfifo only creates a file system node.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// A FIFO that holds a run between discovery and the scan. Named last on the
/// command line, it is opened after every other input; [`Gate::wait`] returns
/// once `oracle` has reached it (so every other input is open, with its length
/// fixed), and keeps a writer connected, so `oracle` waits for the FIFO's first
/// bytes; [`Gate::open`] closes the writer (an empty stream, reported as skipped)
/// and the scan starts. What a test does to an input in between happens after the
/// input was opened and before a byte of it was scanned.
struct Gate {
    path: PathBuf,
    writer: Option<std::fs::File>,
}

impl Gate {
    fn new(dir: &Path) -> Gate {
        let path = dir.join("gate.fifo");
        mkfifo(&path);
        Gate { path, writer: None }
    }

    fn wait(&mut self, r: &mut Running) {
        use std::os::unix::fs::OpenOptionsExt;
        let start = Instant::now();
        loop {
            // A non-blocking open for writing fails with ENXIO until a reader has
            // the FIFO open (or is blocked opening it).
            match std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.path)
            {
                Ok(f) => {
                    self.writer = Some(f);
                    return;
                }
                Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                    assert!(!r.exited(), "oracle ended before reaching the gate");
                    assert!(start.elapsed() < HANG, "oracle never reached the gate");
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => panic!("gate: {e}"),
            }
        }
    }

    fn open(&mut self) {
        self.writer = None;
    }
}

fn append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append")
        .write_all(bytes)
        .expect("append");
}

/// `lines` joined, each ending in `\n`.
fn text(lines: &[String]) -> String {
    let mut t = lines.join("\n");
    t.push('\n');
    t
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

// ---------------------------------------------------------------------------
// Files that change under the scan

/// ~300 MB of diff lines, written fast (one line repeated).
fn write_big(path: &Path) -> u64 {
    let line = diff("big", 1) + "\n";
    let block = line.repeat((1 << 20) / line.len());
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut n = 0u64;
    while n < 300_000_000 {
        f.write_all(block.as_bytes()).expect("write");
        n += block.len() as u64;
    }
    f.flush().expect("flush");
    n
}

#[test]
fn file_truncated_and_rewritten_while_scanned_never_crashes() {
    let dir = tmp("truncate-");
    let path = dir.path().join("diff_time_machine.jsonl");
    let refill = text(
        &(0..20_000)
            .map(|n| diff(&format!("r{n}"), n))
            .collect::<Vec<_>>(),
    );
    for round in 0..3 {
        let size = write_big(&path);
        let mut r = spawn([
            "diagnose".as_ref(),
            path.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ]);
        // Once the file is mapped, its length at open is fixed at `size`; from then
        // on the loop keeps the file shorter than that.
        let mapped = wait_mapped(&mut r, &path);
        let mut truncated = false;
        let mut i = 0u64;
        while !r.exited() {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .expect("open");
            f.set_len(if i.is_multiple_of(2) {
                0
            } else {
                4096 * (i % 97)
            })
            .expect("truncate");
            drop(f);
            truncated = true;
            append(&path, refill.as_bytes());
            i += 1;
        }
        let (run, signal) = r.finish();
        assert_eq!(
            signal, None,
            "round {round}: killed by a signal: {}",
            run.stderr
        );
        assert!(
            matches!(run.code, 0 | 2),
            "round {round}: exit {}: {}",
            run.code,
            run.stderr
        );
        if run.code == 0 {
            let v = parse_validated("diagnose", &run.stdout);
            let f = only_file(&v);
            let now = std::fs::metadata(&path).expect("still there").len();
            if mapped && truncated && now < size {
                assert!(
                    f["notes"].to_string().contains("shrank from"),
                    "round {round}: the file shrank from {size} to {now} bytes but no note says so: {f:#}"
                );
            }
        } else {
            assert!(
                run.stderr.contains("oracle:"),
                "round {round}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn file_truncated_between_open_and_scan_is_noted_on_that_file_only() {
    let dir = tmp("truncate-gate-");
    let cut = dir.path().join("cut.jsonl");
    let kept = dir.path().join("kept.jsonl");
    // Both files are big enough to be mapped (1 MiB and more).
    let body = text(
        &(0..12_000)
            .map(|n| diff(&format!("m{n}"), n))
            .collect::<Vec<_>>(),
    );
    std::fs::write(&cut, &body).expect("write");
    std::fs::write(&kept, &body).expect("write");
    let mut gate = Gate::new(dir.path());
    let mut r = spawn([
        "diffs".as_ref(),
        "-l".as_ref(),
        "0".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        cut.as_os_str(),
        kept.as_os_str(),
        gate.path.as_os_str(),
    ]);
    gate.wait(&mut r);
    assert!(
        maps(r.pid(), &cut) && maps(r.pid(), &kept),
        "both files are mapped"
    );
    // Cut the first file to a third, mid-line, after it was mapped: the scan then
    // touches pages past the new end (SIGBUS, caught: they read as NUL).
    let third = body.len() as u64 / 3 + 17;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cut)
        .expect("open")
        .set_len(third)
        .expect("truncate");
    gate.open();
    let (run, signal) = r.finish();
    assert_eq!(signal, None, "{}", run.stderr);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = parse_validated("diffs", &run.stdout);
    let files = v["sources"]["files"].as_array().expect("files");
    assert_eq!(files.len(), 2, "{files:#?}");
    let (c, k) = (&files[0], &files[1]);
    assert!(
        c["notes"].to_string().contains("shrank from"),
        "the cut file says it shrank: {c:#}"
    );
    assert_eq!(
        k["notes"],
        serde_json::json!([]),
        "the other file has no note: {k:#}"
    );
    assert_eq!(count(k, "records"), 12_000);
    // The cut file: every whole line before the cut was read, at most one cut line is
    // bad, and the NUL tail is one bad (or torn) record.
    let whole = body[..third as usize].matches('\n').count() as u64;
    assert_eq!(count(c, "records"), whole, "{c:#}");
    assert!(count(c, "malformed") <= 2, "{c:#}");
    // The FIFO, empty, is reported as skipped.
    assert_eq!(v["sources"]["skipped"][0]["file"], s(&gate.path));
}

#[test]
fn file_growing_during_the_scan_is_read_to_its_size_at_open() {
    let dir = tmp("grow-");
    // One file big enough to be mapped, one small enough to be read into memory.
    for (name, n) in [("big.jsonl", 12_000u64), ("small.jsonl", 100)] {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            text(
                &(0..n)
                    .map(|i| diff(&format!("m{i}"), i))
                    .collect::<Vec<_>>(),
            ),
        )
        .expect("write");
        let gate_dir = dir.path().join(format!("gate-{n}"));
        std::fs::create_dir(&gate_dir).expect("mkdir");
        let mut gate = Gate::new(&gate_dir);
        let mut args: Vec<OsString> = ["diffs", "-l", "1000000", "--format", "json"]
            .iter()
            .map(OsString::from)
            .collect();
        args.push(path.clone().into());
        args.push(gate.path.clone().into());
        let mut r = spawn(&args);
        gate.wait(&mut r);
        // The big file is mapped; the small one was read whole into memory.
        assert_eq!(maps(r.pid(), &path), n > 1000, "{name}");
        // Records appended after open, before and during the scan, are not read.
        let mut extra = n;
        let mut more = |k: u64| {
            let lines: Vec<String> = (extra..extra + k)
                .map(|i| diff(&format!("m{i}"), i))
                .collect();
            extra += k;
            append(&path, text(&lines).as_bytes());
        };
        more(500);
        gate.open();
        while !r.exited() {
            more(50);
        }
        let (run, signal) = r.finish();
        assert_eq!((signal, run.code), (None, 0), "{name}: {}", run.stderr);
        let v = parse_validated("diffs", &run.stdout);
        let f = only_file(&v);
        let ids: Vec<String> = v["data"]["diffs"]
            .as_array()
            .expect("diffs")
            .iter()
            .map(|r| {
                r["raw"]["data"]["message_id"]
                    .as_str()
                    .expect("id")
                    .to_string()
            })
            .collect();
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{name}: a record was read twice");
        assert_eq!(count(f, "records"), ids.len() as u64, "{name}");
        assert!(
            ids.len() as u64 >= n,
            "{name}: records present at open were lost"
        );
        // Stronger: the file was opened before anything was appended.
        let expected: BTreeSet<String> = (0..n).map(|i| format!("m{i}")).collect();
        assert_eq!(
            distinct.into_iter().cloned().collect::<BTreeSet<_>>(),
            expected,
            "{name}: exactly the records present at open"
        );
        assert_eq!(count(f, "malformed"), 0, "{f:#}");
        assert_eq!(f["torn_tail"], Value::Null, "{f:#}");
    }
}

// ---------------------------------------------------------------------------
// Odd lines and files

#[test]
fn line_of_64_mib_among_normal_lines_is_read() {
    let dir = tmp("huge-line-");
    let huge = |mib: usize| {
        let body = text(&[
            diff("a", 1),
            format!(
                r#"{{"timestamp": "{}", "change_type": "added", "entity_type": "agent_message", "data": {{"message_id": "huge", "source_agent": "Coder", "target_agent": "Writer", "message_type": "task", "payload": {{"blob": "{}"}}}}}}"#,
                ts(0),
                "x".repeat(mib << 20)
            ),
            diff("b", 2),
            diff("c", 3),
        ]);
        body.into_bytes()
    };
    let path = dir.path().join("diff.jsonl");
    std::fs::write(&path, huge(64)).expect("write");
    let v = json("diffs", &[s(&path), "-l", "0"]);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (4, 0),
        "{f:#}"
    );
    // Through a stream, blocks of 4 MiB grow to hold the line (each byte is
    // searched for a boundary once).
    let r = run_stdin(["diffs", "-", "-l", "3", "--format", "json"], huge(64));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = parse_validated("diffs", &r.stdout);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (4, 0),
        "{f:#}"
    );
    let ids: Vec<&str> = v["data"]["diffs"]
        .as_array()
        .expect("diffs")
        .iter()
        .map(|r| r["raw"]["data"]["message_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["c", "b", "a"]);
}

#[test]
fn file_without_any_newline_is_one_record() {
    let dir = tmp("no-newline-");
    for (name, body, fmt) in [
        ("d.jsonl", diff("only", 1), "diff"),
        ("p.log", pipe("only", 1), "pipe"),
        ("h.json", hook("only", 1), "hook"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &body).expect("write");
        let v = json("diffs", &[s(&path)]);
        let f = only_file(&v);
        assert_eq!(f["format"], fmt);
        assert_eq!(
            (count(f, "records"), count(f, "malformed"), &f["torn_tail"]),
            (1, 0, &Value::Null),
            "{name}: {f:#}"
        );
    }
}

#[test]
fn nul_block_between_good_lines_is_one_malformed_line() {
    let dir = tmp("nul-");
    let nul = vec![0u8; 1 << 20];
    // A NUL run on a line of its own, as a file system leaves after a crash.
    for (name, good, fmt) in [
        ("d.jsonl", [diff("a", 1), diff("b", 2)], "diff"),
        ("p.log", [pipe("a", 1), pipe("b", 2)], "pipe"),
        ("h.json", [hook("a", 1), hook("b", 2)], "hook"),
    ] {
        let path = dir.path().join(name);
        let mut body = format!("{}\n", good[0]).into_bytes();
        body.extend_from_slice(&nul);
        body.push(b'\n');
        body.extend_from_slice(format!("{}\n", good[1]).as_bytes());
        std::fs::write(&path, &body).expect("write");
        let v = json("diffs", &[s(&path), "-l", "10"]);
        let f = only_file(&v);
        assert_eq!(f["format"], fmt, "{name}");
        assert_eq!(
            (count(f, "records"), count(f, "malformed")),
            (2, 1),
            "{name}: {f:#}"
        );
        assert_eq!(bad_lines(f), [2], "{name}");
    }
    // Hook streams also recover a record glued right after the NULs (a writer that
    // resumed after the crash without a newline).
    let path = dir.path().join("glued.json");
    let mut body = format!("{}\n", hook("a", 1)).into_bytes();
    body.extend_from_slice(&nul);
    body.extend_from_slice(format!("{}\n", hook("b", 2)).as_bytes());
    std::fs::write(&path, &body).expect("write");
    let (v, ids) = listed_ids(&[s(&path)], "/tool_use_id");
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (2, 1),
        "{f:#}"
    );
    assert_eq!(ids, ["b", "a"]);
}

#[test]
fn invalid_utf8_in_strings_is_read_or_counted_never_fatal() {
    let dir = tmp("utf8-");
    // Diff: invalid bytes inside a payload string.
    let d = dir.path().join("d.jsonl");
    let mut body = format!("{}\n", diff("a", 1)).into_bytes();
    body.extend_from_slice(
        b"{\"timestamp\": \"2026-02-09T10:00:00.2\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \"data\": {\"message_id\": \"b\", \"source_agent\": \"Co\xffder\", \"payload\": {\"task\": \"\xfe\xff\xc3\"}}}\n",
    );
    std::fs::write(&d, &body).expect("write");
    let v = json("diffs", &[s(&d)]);
    let f = only_file(&v);
    assert_eq!(count(f, "records") + count(f, "malformed"), 2, "{f:#}");
    assert!(count(f, "records") >= 1);
    // Pipe: invalid bytes in the agent field and inside a metadata value: read,
    // with the bad bytes replaced.
    let p = dir.path().join("p.log");
    let mut body = PIPE_HEADER.as_bytes().to_vec();
    body.extend_from_slice(
        b"2026-02-13T14:30:00.000Z | lifecycle | ag\xffent | failed | {\"reason\": \"bad \xfe\xff bytes\"}\n",
    );
    std::fs::write(&p, &body).expect("write");
    let v = json("errors", &[s(&p)]);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (1, 0),
        "{f:#}"
    );
    let e = &v["data"]["errors"][0];
    assert_eq!(e["agent"], "ag\u{fffd}ent");
    assert_eq!(e["raw"]["reason"], "bad \u{fffd}\u{fffd} bytes", "{e:#}");
    // Hook: invalid bytes inside a string value.
    let h = dir.path().join("h.json");
    std::fs::write(
        &h,
        b"{\"timestamp\": \"2025-08-03T18:03:02Z\", \"event_type\": \"telemetry_error\", \"level\": \"ERROR\", \"error\": \"x\xffy\", \"hook_event\": \"PostToolUse\"}\n",
    )
    .expect("write");
    let v = json("errors", &[s(&h)]);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (1, 0),
        "{f:#}"
    );
}

#[test]
fn crlf_line_ends_are_read_without_cr() {
    let dir = tmp("crlf-");
    let p = dir.path().join("p.log");
    let lines: Vec<String> = (0..5).map(|n| pipe(&format!("p{n}"), n)).collect();
    std::fs::write(
        &p,
        format!(
            "{}{}\r\n",
            PIPE_HEADER.replace('\n', "\r\n"),
            lines.join("\r\n")
        ),
    )
    .expect("write");
    let d = dir.path().join("d.jsonl");
    let lines: Vec<String> = (0..5).map(|n| diff(&format!("d{n}"), n)).collect();
    std::fs::write(&d, format!("{}\r\n", lines.join("\r\n"))).expect("write");
    for (path, n) in [(&p, 5), (&d, 5)] {
        let v = json("diffs", &[s(path), "-l", "100"]);
        let f = only_file(&v);
        assert_eq!(
            (count(f, "records"), count(f, "malformed")),
            (n, 0),
            "{f:#}"
        );
        for r in v["data"]["diffs"].as_array().expect("diffs") {
            for key in ["kind", "status", "agent", "session", "summary"] {
                assert!(
                    !r[key].to_string().contains('\r'),
                    "{key} keeps a CR: {r:#}"
                );
                assert!(
                    !r[key].to_string().contains("\\r"),
                    "{key} keeps a CR: {r:#}"
                );
            }
        }
    }
    let v = json("diffs", &[s(&p), "-l", "1"]);
    assert_eq!(v["data"]["diffs"][0]["status"], "spawned");
    assert_eq!(v["data"]["diffs"][0]["session"], "hostile");
}

#[test]
fn utf8_bom_at_file_start_is_skipped() {
    let dir = tmp("bom-");
    for (name, first, second, fmt) in [
        ("d.jsonl", diff("a", 1), diff("b", 2), "diff"),
        ("p.log", pipe("a", 1), pipe("b", 2), "pipe"),
        ("h.json", hook("a", 1), hook("b", 2), "hook"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("\u{feff}{first}\n{second}\n")).expect("write");
        let v = json("diffs", &[s(&path), "-l", "10"]);
        let f = only_file(&v);
        assert_eq!(f["format"], fmt, "{name}: format detected through the BOM");
        assert_eq!(
            (count(f, "records"), count(f, "malformed")),
            (2, 0),
            "{name}: {f:#}"
        );
        // The first record (oldest, listed last) was read.
        assert_eq!(v["data"]["diffs"][1]["line"], 1, "{name}");
    }
}

#[test]
fn empty_file_reads_as_zero_records_for_every_command() {
    let dir = tmp("empty-");
    let p = dir.path().join("empty.jsonl");
    std::fs::write(&p, b"").expect("write");
    for cmd in COMMANDS {
        let v = json(cmd, &[s(&p)]);
        let f = only_file(&v);
        assert_eq!(
            (count(f, "records"), count(f, "malformed")),
            (0, 0),
            "{cmd}"
        );
    }
}

#[test]
fn json_array_of_diff_records_survives_and_is_reported() {
    let dir = tmp("array-");
    let p = dir.path().join("diffs.json");
    // Pretty array: one record a line, with `[`, `]` and trailing commas around them.
    std::fs::write(&p, format!("[\n{},\n{}\n]\n", diff("a", 1), diff("b", 2))).expect("write");
    let v = json("diffs", &[s(&p)]);
    let f = only_file(&v);
    assert_eq!(f["format"], "diff");
    assert!(count(f, "records") + count(f, "malformed") >= 2, "{f:#}");
    assert!(
        count(f, "malformed") >= 1,
        "the array shape is reported: {f:#}"
    );
    // All on one line: nothing readable as JSONL, all of it reported.
    std::fs::write(&p, format!("[{}, {}]\n", diff("a", 1), diff("b", 2))).expect("write");
    let v = json("diffs", &[s(&p)]);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (0, 1),
        "{f:#}"
    );
    assert_eq!(bad_lines(f), [1]);
}

#[test]
fn jsonl_lines_inside_a_pipe_log_are_malformed_and_located() {
    let dir = tmp("pipe-jsonl-");
    let p = dir.path().join("team.log");
    let body = format!(
        "{PIPE_HEADER}{}\n{}\n{}\n{}\n",
        pipe("a", 1),
        diff("x", 2),
        pipe("b", 3),
        hook("y", 4)
    );
    std::fs::write(&p, body).expect("write");
    let v = json("diffs", &[s(&p)]);
    let f = only_file(&v);
    assert_eq!(f["format"], "pipe");
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (2, 2),
        "{f:#}"
    );
    assert_eq!(bad_lines(f), [5, 7]);
    assert!(f["first_malformed"][0]
        .as_str()
        .is_some_and(|m| m.starts_with(&format!("{}:5 (", s(&p)))));
}

#[test]
fn pipe_metadata_that_is_not_an_object_keeps_the_event() {
    let dir = tmp("pipe-meta-");
    let p = dir.path().join("team.log");
    let body = format!(
        "{PIPE_HEADER}{t1} | lifecycle | a | spawned | \"text\"\n{t2} | lifecycle | b | spawned | 42\n{t3} | lifecycle | c | spawned | [1]\n{t4} | lifecycle | d | spawned | null\n",
        t1 = ts_z(1),
        t2 = ts_z(2),
        t3 = ts_z(3),
        t4 = ts_z(4)
    );
    std::fs::write(&p, body).expect("write");
    let v = json("diffs", &[s(&p)]);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (4, 0),
        "{f:#}"
    );
    let raws: Vec<&Value> = v["data"]["diffs"]
        .as_array()
        .expect("diffs")
        .iter()
        .map(|r| &r["raw"])
        .collect();
    assert_eq!(
        raws,
        [
            &Value::Null,
            &serde_json::json!([1]),
            &serde_json::json!(42),
            &serde_json::json!("text")
        ]
    );
}

#[test]
fn out_of_range_timestamps_are_malformed_and_leap_seconds_read() {
    let dir = tmp("times-");
    let p = dir.path().join("team.log");
    let body = format!(
        "{PIPE_HEADER}2026-13-40T99:00:00Z | lifecycle | a | spawned | {{}}\n2026-02-30T10:00:00Z | lifecycle | b | spawned | {{}}\n2016-12-31T23:59:60Z | lifecycle | c | spawned | {{}}\n2026-02-13T24:00:00Z | lifecycle | d | spawned | {{}}\n"
    );
    std::fs::write(&p, body).expect("write");
    let v = json("diffs", &[s(&p)]);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (1, 3),
        "{f:#}"
    );
    assert_eq!(bad_lines(f), [4, 5, 7]);
    assert_eq!(v["data"]["diffs"][0]["time"], "2016-12-31T23:59:59.999999Z");
    let d = dir.path().join("d.jsonl");
    let body = text(&[
        diff("a", 1).replace(&ts(1), "2026-13-40T99:00:00"),
        diff("b", 2).replace(&ts(2), "2016-12-31T23:59:60"),
    ]);
    std::fs::write(&d, body).expect("write");
    let v = json("diffs", &[s(&d)]);
    let f = only_file(&v);
    assert_eq!(
        (count(f, "records"), count(f, "malformed")),
        (1, 1),
        "{f:#}"
    );
    assert_eq!(v["data"]["diffs"][0]["time"], "2016-12-31T23:59:59.999999Z");
}

/// Times outside 1677-09-21..2262-04-11 do not fit `i64` nanoseconds: such a
/// record is malformed, never an overflow (a panic in a debug build, a wrapped
/// time in release).
#[test]
fn timestamps_outside_the_nanosecond_range_are_malformed_not_wrapped() {
    let dir = tmp("far-future-");
    let p = dir.path().join("team.log");
    let body = format!(
        "{PIPE_HEADER}2263-01-01T00:00:00Z | lifecycle | a | failed | {{\"reason\": \"far\"}}\n9999-12-31T23:59:59-01:00 | lifecycle | b | failed | {{}}\n0026-02-13T10:00:22.700Z | lifecycle | c | failed | {{}}\n{}\n",
        pipe("ok", 1)
    );
    std::fs::write(&p, body).expect("write");
    let d = dir.path().join("d.jsonl");
    std::fs::write(
        &d,
        text(&[
            diff("far", 1).replace(&ts(1), "2263-01-01T00:00:00"),
            diff("old", 2).replace(&ts(2), "1000-01-01T00:00:00.000001"),
            diff("ok", 3),
        ]),
    )
    .expect("write");
    for path in [&p, &d] {
        for cmd in COMMANDS {
            let v = json(cmd, &[s(path)]);
            let f = only_file(&v);
            let all = count(f, "records") + count(f, "malformed") + count(f, "prefiltered");
            // `audit` reads no pipe record: every line, the header too, is prefiltered.
            let want = match (cmd, path == &p) {
                ("audit", true) => {
                    std::fs::read_to_string(path).expect("read").lines().count() as u64
                }
                (_, true) => 4,
                _ => 3,
            };
            assert_eq!(all, want, "{cmd}: {f:#}");
        }
        let v = json("diffs", &[s(path)]);
        let f = only_file(&v);
        assert_eq!(count(f, "records"), 1, "{f:#}");
        assert!(v["data"]["diffs"][0]["time"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-02-09")));
    }
}

#[test]
fn duplicate_keys_in_a_record_are_read() {
    let dir = tmp("dup-");
    let d = dir.path().join("d.jsonl");
    std::fs::write(
        &d,
        format!(
            "{}\n{{\"timestamp\": \"{}\", \"change_type\": \"added\", \"entity_type\": \"error\", \"entity_type\": \"error\", \"data\": {{\"error_id\": \"e1\", \"severity\": \"critical\", \"severity\": \"critical\", \"agent_name\": \"Coder\", \"error_message\": \"dup\"}}}}\n",
            diff("a", 1),
            ts(2)
        ),
    )
    .expect("write");
    let p = dir.path().join("p.log");
    std::fs::write(
        &p,
        format!(
            "{PIPE_HEADER}{} | lifecycle | a | failed | {{\"reason\": \"first\", \"reason\": \"second\"}}\n",
            ts_z(1)
        ),
    )
    .expect("write");
    let h = dir.path().join("h.json");
    std::fs::write(
        &h,
        "{\"timestamp\": \"2025-08-03T18:03:02Z\", \"event_type\": \"telemetry_error\", \"event_type\": \"telemetry_error\", \"level\": \"ERROR\", \"hook_event\": \"PostToolUse\", \"error\": \"dup\", \"action_details\": {\"outside_project_scope\": true, \"outside_project_scope\": true}}\n",
    )
    .expect("write");
    for (path, records) in [(&d, 2), (&p, 1), (&h, 1)] {
        let v = json("diffs", &[s(path)]);
        let f = only_file(&v);
        assert_eq!(
            (count(f, "records"), count(f, "malformed")),
            (records, 0),
            "{}: {f:#}",
            path.display()
        );
    }
    let v = json("errors", &[s(&d)]);
    assert_eq!(v["data"]["errors"][0]["severity"], "critical");
    let v = json("errors", &[s(&p)]);
    assert_eq!(v["data"]["errors"].as_array().map(Vec::len), Some(1));
    let v = json("errors", &[s(&h)]);
    assert_eq!(v["data"]["errors"].as_array().map(Vec::len), Some(1));
}

fn deep_payload() -> String {
    format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))
}

#[test]
fn deeply_nested_json_does_not_overflow_the_stack() {
    let dir = tmp("deep-");
    let deep = deep_payload();
    let d = dir.path().join("d.jsonl");
    let nested = diff("deep", 2).replace("{\"task\": \"do deep\"}", &deep);
    std::fs::write(&d, text(&[diff("a", 1), nested, diff("b", 3)])).expect("write");
    let p = dir.path().join("p.log");
    std::fs::write(
        &p,
        format!(
            "{PIPE_HEADER}{}\n{} | lifecycle | x | failed | {{\"reason\": {deep}}}\n{}\n",
            pipe("a", 1),
            ts_z(2),
            pipe("b", 3)
        ),
    )
    .expect("write");
    let h = dir.path().join("h.json");
    std::fs::write(
        &h,
        format!(
            "{}\n{{\"event_type\": \"file_read\", \"x\": {deep}}}\n{}\n",
            hook("a", 1),
            hook("b", 3)
        ),
    )
    .expect("write");
    for path in [&d, &p, &h] {
        for cmd in COMMANDS {
            // Table and JSON: the deep record is either read or counted, and the
            // records around it are read. (JSON lists no record here: `raw` would
            // echo the nesting, see the ignored test below.)
            let r = run([cmd, s(path)]);
            assert_eq!(r.code, 0, "{cmd} {}: {}", path.display(), r.stderr);
            let limit: &[&str] = match cmd {
                "errors" | "diffs" | "replay" => &["-l", "0"],
                _ => &[],
            };
            let mut args = vec![s(path)];
            args.extend_from_slice(limit);
            let v = json(cmd, &args);
            let f = only_file(&v);
            // `audit` reads no record of a format without tool calls: every
            // line of it, header lines too, is prefiltered.
            let want = match (cmd, f["format"].as_str()) {
                ("audit", Some("pipe")) => {
                    std::fs::read_to_string(path).expect("read").lines().count() as u64
                }
                _ => 3,
            };
            assert_eq!(
                count(f, "records") + count(f, "malformed") + count(f, "prefiltered"),
                want,
                "{cmd} {}: {f:#}",
                path.display()
            );
        }
        let v = json("diffs", &[s(path), "-l", "0"]);
        assert!(count(only_file(&v), "records") >= 2);
    }
}

/// A reader of the JSON output (Python's `json`, serde_json with its default
/// recursion limit of 128) must not be made to recurse 100,000 levels deep.
#[test]
fn deeply_nested_json_is_not_echoed_into_the_output() {
    let dir = tmp("deep-out-");
    let d = dir.path().join("d.jsonl");
    let nested = diff("deep", 2).replace("{\"task\": \"do deep\"}", &deep_payload());
    std::fs::write(&d, text(&[nested])).expect("write");
    let r = run(["diffs", s(&d), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // serde_json's default recursion limit is the reader here.
    parse_validated("diffs", &r.stdout);
}

#[test]
fn ten_thousand_small_files_are_all_read_even_with_few_descriptors() {
    let dir = tmp("many-");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    for n in 0..10_000u64 {
        std::fs::write(
            logs.join(format!("f{n:05}.jsonl")),
            diff(&format!("m{n}"), n) + "\n",
        )
        .expect("write");
    }
    // With a descriptor limit far below the file count: nothing may stay open per input.
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" diffs -l 0 --format json \"$1\"")
        .arg(env!("CARGO_BIN_EXE_oracle"))
        .arg(&logs)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(root())
        .output()
        .expect("run sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v = parse_validated("diffs", &String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["sources"]["files"].as_array().map(Vec::len), Some(10_000));
    assert_eq!(v["sources"]["skipped"], serde_json::json!([]), "{stderr}");
    assert_eq!(v["sources"]["records"], 10_000);
    assert_eq!(v["data"]["total"], 10_000);
}

#[test]
fn unreadable_file_among_readable_ones_is_skipped_with_a_reason() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp("unreadable-");
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    let c = dir.path().join("c.jsonl");
    for (p, id) in [(&a, "a"), (&b, "b"), (&c, "c")] {
        std::fs::write(p, diff(id, 1) + "\n").expect("write");
    }
    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let v = json("diffs", &[s(dir.path())]);
    if is_root() {
        // root reads a mode-000 file anyway: nothing to skip.
        eprintln!("running as root: chmod 000 does not stop reads, skipping the assertion");
        assert_eq!(v["sources"]["records"], 3);
    } else {
        assert_eq!(v["sources"]["records"], 2);
        let skipped = &v["sources"]["skipped"][0];
        assert_eq!(skipped["file"], s(&b));
        assert!(
            skipped["reason"].to_string().contains("ermission"),
            "{skipped}"
        );
    }
    // Named explicitly too.
    let v = json("diffs", &[s(&a), s(&b), s(&c)]);
    assert!(v["sources"]["records"].as_u64() >= Some(2));
}

#[test]
fn symlink_loop_in_a_walked_directory_does_not_hang() {
    let dir = tmp("loop-");
    let d = dir.path().join("logs");
    std::fs::create_dir_all(d.join("sub")).expect("mkdir");
    std::fs::write(d.join("sub/x.jsonl"), diff("x", 1) + "\n").expect("write");
    std::os::unix::fs::symlink(&d, d.join("sub/up")).expect("symlink to an ancestor");
    std::os::unix::fs::symlink("self", d.join("self")).expect("self link");
    std::os::unix::fs::symlink("b", d.join("a")).expect("link a");
    std::os::unix::fs::symlink("a", d.join("b")).expect("link b");
    let (run, signal) = spawn(["diffs", "--format", "json", s(&d)]).finish();
    assert_eq!((signal, run.code), (None, 0), "{}", run.stderr);
    let v = parse_validated("diffs", &run.stdout);
    assert_eq!(v["sources"]["records"], 1);
    // A loop named explicitly is an unreadable input, not a hang.
    let (run, signal) = spawn(["diffs", s(&d.join("a"))]).finish();
    assert_eq!((signal, run.code), (None, 2), "{}", run.stderr);
}

#[test]
fn fifo_in_a_walked_directory_is_skipped_and_a_named_fifo_is_read() {
    let dir = tmp("fifo-");
    let d = dir.path().join("logs");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::write(d.join("a.jsonl"), diff("a", 1) + "\n").expect("write");
    mkfifo(&d.join("pipe.jsonl"));
    // Nobody writes to the FIFO: opening it would block forever.
    let (run, signal) = spawn(["diffs", "--format", "json", s(&d)]).finish();
    assert_eq!((signal, run.code), (None, 0), "{}", run.stderr);
    let v = parse_validated("diffs", &run.stdout);
    assert_eq!(v["sources"]["records"], 1);
    // Named explicitly, with a writer: read like a file.
    let fifo = d.join("pipe.jsonl");
    let r = spawn(["diffs", "-l", "10", "--format", "json", s(&fifo)]);
    let body = text(
        &(0..50)
            .map(|n| diff(&format!("f{n}"), n))
            .collect::<Vec<_>>(),
    );
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open the FIFO for writing")
        .write_all(body.as_bytes())
        .expect("write");
    let (run, signal) = r.finish();
    assert_eq!((signal, run.code), (None, 0), "{}", run.stderr);
    let v = parse_validated("diffs", &run.stdout);
    assert_eq!(v["sources"]["records"], 50);
}

// ---------------------------------------------------------------------------
// Order

#[test]
fn replay_orders_out_of_order_times_with_stable_ties() {
    let dir = tmp("order-");
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.log");
    // a: 5, 1, 3, 3(tie, later line), 2 ; b: 4, 3 (tie with a's), 0
    std::fs::write(
        &a,
        text(&[
            diff("a5", 5),
            diff("a1", 1),
            diff("a3x", 3),
            diff("a3y", 3),
            diff("a2", 2),
        ]),
    )
    .expect("write");
    std::fs::write(
        &b,
        format!(
            "{PIPE_HEADER}{}\n{}\n{}\n",
            pipe("b4", 4),
            pipe("b3", 3),
            pipe("b0", 0)
        ),
    )
    .expect("write");
    let ids = |v: &Value| -> Vec<String> {
        v["data"]["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|r| {
                r["raw"]
                    .pointer("/data/message_id")
                    .or_else(|| r["raw"].pointer("/task_id"))
                    .and_then(Value::as_str)
                    .expect("id")
                    .to_string()
            })
            .collect()
    };
    let want = ["b0", "a1", "a2", "a3x", "a3y", "b3", "b4", "a5"];
    for threads in ["1", "2"] {
        let v = json(
            "replay",
            &["--threads", threads, "--after", "2026-02-09", s(&a), s(&b)],
        );
        assert_eq!(ids(&v), want, "--threads {threads}");
        let times: Vec<&str> = v["data"]["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|r| r["time"].as_str().expect("time"))
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }
    // Named the other way round, the tie at 3 puts b's record first.
    let v = json("replay", &["--after", "2026-02-09", s(&b), s(&a)]);
    assert_eq!(ids(&v), ["b0", "a1", "a2", "b3", "a3x", "a3y", "b4", "a5"]);
}

// ---------------------------------------------------------------------------
// Compressed rotated logs

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).expect("zstd")
}

#[test]
fn compressed_rotated_logs_are_read_transparently() {
    let dir = tmp("compressed-");
    for (k, fixture) in [DIFF, INCIDENT, "fixtures/hooks/claude-telemetry.jsonl"]
        .into_iter()
        .enumerate()
    {
        let plain = std::fs::read(root().join(fixture)).expect("fixture");
        let want = json("diffs", &[fixture, "-l", "0"]);
        let want = only_file(&want).clone();
        for (ext, packed) in [("gz", gzip(&plain)), ("zst", zstd(&plain))] {
            // The rotated name, and the same bytes renamed to `.log`: magic bytes decide.
            for name in [format!("f{k}.jsonl.1.{ext}"), format!("f{k}-{ext}.log")] {
                let p = dir.path().join(&name);
                std::fs::write(&p, &packed).expect("write");
                let v = json("diffs", &[s(&p), "-l", "0"]);
                let f = only_file(&v);
                for key in ["format", "records", "malformed", "bytes"] {
                    assert_eq!(f[key], want[key], "{fixture} as {name}: {key}");
                }
                assert_eq!(f["notes"], serde_json::json!([]), "{name}");
            }
        }
    }
    // A walked directory of rotated archives.
    let v = json("diffs", &[s(dir.path()), "-l", "0"]);
    assert_eq!(v["sources"]["files"].as_array().map(Vec::len), Some(12));
    assert_eq!(v["sources"]["malformed"], 0);
}

#[test]
fn truncated_archives_give_the_readable_part_and_a_note() {
    let dir = tmp("truncated-archive-");
    // Big enough that the cut lands well inside the data.
    let plain = text(
        &(0..4000)
            .map(|n| diff(&format!("m{n}"), n))
            .collect::<Vec<_>>(),
    );
    for (ext, packed) in [
        ("gz", gzip(plain.as_bytes())),
        ("zst", zstd(plain.as_bytes())),
    ] {
        let p = dir.path().join(format!("cut.jsonl.{ext}"));
        std::fs::write(&p, &packed[..packed.len() / 2]).expect("write");
        let (v, ids) = listed_ids(&[s(&p)], "/data/message_id");
        let f = only_file(&v);
        assert_eq!(f["format"], "diff");
        let records = count(f, "records");
        assert!(records > 0 && records < 4000, "{ext}: {f:#}");
        assert_eq!(count(f, "malformed"), 0, "{ext}: {f:#}");
        // The readable part is a prefix of the records.
        let got: BTreeSet<String> = ids.into_iter().collect();
        let want: BTreeSet<String> = (0..records).map(|n| format!("m{n}")).collect();
        assert_eq!(got, want, "{ext}");
        assert!(
            f["notes"].to_string().contains("damaged or truncated"),
            "{ext}: {f:#}"
        );
    }
}

// ---------------------------------------------------------------------------
// Nothing lost

/// The garbage lines of the recall tests, each a malformed record in every
/// format (blank lines are skipped, not malformed).
fn garbage() -> Vec<Vec<u8>> {
    vec![
        b"{\"timestamp\": \"2026-02-09T10:00:00\", oops not json".to_vec(),
        vec![0u8; 4096],
        b"\xff\xfe\xfd not text at all \xc3".to_vec(),
        b"[1, 2, 3]".to_vec(),
        b"42".to_vec(),
        b"{\"broken\": [1, 2}".to_vec(),
        b"{\"error\": \"a string never closed".to_vec(),
    ]
}

/// Writes `n` records made by `good` with ids `{prefix}{i}`, with a garbage line
/// (or a blank line) after every few, and a torn last line. Returns the path, the
/// line numbers of the bad lines, and the ids.
fn interleave(
    path: &Path,
    header: &str,
    n: u64,
    good: impl Fn(&str, u64) -> String,
    prefix: &str,
) -> (Vec<u64>, BTreeSet<String>) {
    let junk = garbage();
    let mut body = header.as_bytes().to_vec();
    let mut line = header.matches('\n').count() as u64;
    let mut bad = Vec::new();
    let mut ids = BTreeSet::new();
    for i in 0..n {
        let id = format!("{prefix}{i}");
        body.extend_from_slice(good(&id, i).as_bytes());
        body.push(b'\n');
        line += 1;
        ids.insert(id);
        match i % 4 {
            1 => {
                body.extend_from_slice(&junk[(i as usize / 4) % junk.len()]);
                body.push(b'\n');
                line += 1;
                bad.push(line);
            }
            3 => {
                body.extend_from_slice(b"\n   \n");
                line += 2;
            }
            _ => {}
        }
    }
    // A torn last record: a writer still writing.
    let torn = good("torn", n);
    body.extend_from_slice(&torn.as_bytes()[..torn.len() / 2]);
    std::fs::write(path, body).expect("write");
    (bad, ids)
}

fn check_recall(path: &Path, bad: &[u64], ids: &BTreeSet<String>, pointer: &str) {
    let (v, found) = listed_ids(&[s(path)], pointer);
    let f = only_file(&v);
    assert_eq!(
        count(f, "records"),
        ids.len() as u64,
        "recall by count: {f:#}"
    );
    let found_set: BTreeSet<String> = found.iter().cloned().collect();
    assert_eq!(found_set.len(), found.len(), "no record twice");
    assert_eq!(&found_set, ids, "recall by id");
    assert_eq!(count(f, "malformed"), bad.len() as u64, "{f:#}");
    assert_eq!(bad_lines(f), bad[..5], "{f:#}");
    assert!(
        f["first_malformed"][0]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("{}:", s(path)))),
        "{f:#}"
    );
    assert!(
        f["torn_tail"].is_string(),
        "the torn last line is reported: {f:#}"
    );
    // --strict names the first bad location and fails; without it, success.
    let r = run(["diffs", "--strict", s(path)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        !r.stdout.is_empty(),
        "the report is printed, then --strict fails"
    );
    assert!(
        r.stderr.contains(&format!("{}:{}", s(path), bad[0])),
        "{}",
        r.stderr
    );
    assert_eq!(run(["diffs", s(path)]).code, 0);
}

#[test]
fn nothing_lost_in_a_diff_file_full_of_garbage() {
    let dir = tmp("recall-diff-");
    let p = dir.path().join("diff.jsonl");
    let (bad, ids) = interleave(&p, "", 400, diff, "d");
    check_recall(&p, &bad, &ids, "/data/message_id");
}

#[test]
fn nothing_lost_in_a_pipe_log_full_of_garbage() {
    let dir = tmp("recall-pipe-");
    let p = dir.path().join("team.log");
    let (bad, ids) = interleave(&p, PIPE_HEADER, 400, pipe, "p");
    check_recall(&p, &bad, &ids, "/task_id");
}

#[test]
fn nothing_lost_in_a_hook_file_full_of_garbage() {
    let dir = tmp("recall-hook-");
    let p = dir.path().join("hooks.json");
    let (bad, ids) = interleave(&p, "", 400, hook, "h");
    check_recall(&p, &bad, &ids, "/tool_use_id");
}

#[test]
fn strict_exits_two_naming_the_first_bad_location_for_every_command() {
    let dir = tmp("strict-");
    let p = dir.path().join("diff.jsonl");
    std::fs::write(
        &p,
        text(&[diff("a", 1), diff("b", 2), "{oops".into(), diff("c", 3)]),
    )
    .expect("write");
    for cmd in COMMANDS {
        let r = run([cmd, "--strict", s(&p)]);
        assert_eq!(r.code, 2, "{cmd}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{}:3", s(&p))),
            "{cmd}: {}",
            r.stderr
        );
        assert_eq!(run([cmd, s(&p)]).code, 0, "{cmd}");
    }
}

// ---------------------------------------------------------------------------
// Nothing passed through

/// Terminal attacks: colour, screen clear, an OSC 8 hyperlink, CR, BEL,
/// backspace, and a bidi override.
const EVIL: &str = "\u{1b}[31mred\u{1b}[2J \u{1b}]8;;http://evil.example\u{7}click\u{1b}]8;;\u{7} cr\rbell\u{7}bs\u{8}\u{8}rtl\u{202e}txt";

#[test]
fn terminal_escapes_in_data_never_reach_stdout_raw() {
    let dir = tmp("escapes-");
    let esc = serde_json::to_string(EVIL).expect("json string"); // quoted, \u-escaped
    let d = dir.path().join("d.jsonl");
    std::fs::write(
        &d,
        format!(
            "{{\"timestamp\": \"{}\", \"change_type\": \"added\", \"entity_type\": \"error\", \"data\": {{\"error_id\": {esc}, \"agent_name\": {esc}, \"severity\": \"critical\", \"category\": {esc}, \"error_message\": {esc}}}}}\n{{\"timestamp\": \"{}\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \"data\": {{\"message_id\": \"m1\", \"source_agent\": {esc}, \"target_agent\": {esc}, \"message_type\": \"task\", \"payload\": {{\"task\": {esc}}}}}}}\n",
            ts(1),
            ts(2)
        ),
    )
    .expect("write");
    let p = dir.path().join("p.log");
    // Raw control bytes in the plain fields of a pipe line, escaped ones in its JSON.
    let raw_evil = EVIL.replace('\r', "");
    std::fs::write(
        &p,
        format!(
            "# Team: {raw_evil}\n---\n{} | lifecycle | {raw_evil} | failed | {{\"reason\": {esc}}}\n{} | error | a{raw_evil} | error_classified | {{\"raw_error\": {esc}, \"classified_severity\": \"critical\", \"error_category\": {esc}}}\n",
            ts_z(3),
            ts_z(4)
        ),
    )
    .expect("write");
    let h = dir.path().join("h.json");
    std::fs::write(
        &h,
        format!(
            "{{\"timestamp\": \"2026-02-09T10:00:05Z\", \"event_type\": \"telemetry_error\", \"level\": \"ERROR\", \"hook_event\": {esc}, \"session_id\": {esc}, \"agent_id\": {esc}, \"error\": {esc}, \"tool_name\": {esc}}}\n"
        ),
    )
    .expect("write");
    let all = [s(&d), s(&p), s(&h)];
    let extra: [&[&str]; 6] = [
        &[],
        &["--by", "agent"],
        &["--by", "message"],
        &["--by", "category"],
        &["--pending"],
        &["--at", "2026-02-13T15:00:00Z"],
    ];
    for cmd in COMMANDS {
        for more in extra {
            let ok_for = match more.first() {
                None => true,
                Some(&"--pending") => cmd == "queues",
                Some(&"--at") => cmd == "replay",
                Some(_) => cmd == "errors",
            };
            if !ok_for {
                continue;
            }
            let mut args = vec![cmd];
            args.extend_from_slice(more);
            if cmd == "replay" && more.is_empty() {
                args.extend(["--after", "2000-01-01"]);
            }
            args.extend(all);
            let r = run(&args);
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
            for (byte, name) in [(0x1b, "ESC"), (0x07, "BEL"), (0x08, "BS"), (0x0d, "CR")] {
                assert!(
                    !r.bytes.contains(&byte),
                    "{args:?}: raw {name} in table output:\n{}",
                    r.stdout
                );
                assert!(
                    !r.stderr.as_bytes().contains(&byte),
                    "{args:?}: raw {name} on stderr:\n{}",
                    r.stderr
                );
            }
            assert!(
                !r.stdout.contains('\u{202e}'),
                "{args:?}: raw bidi override"
            );
            assert!(
                !r.stderr.contains('\u{202e}'),
                "{args:?}: raw bidi override on stderr"
            );
            // The data is shown escaped, not dropped.
            if cmd == "errors" && more.is_empty() {
                assert!(r.stdout.contains("\\u{1b}[31mred"), "{}", r.stdout);
            }
            // JSON keeps the data exactly, escaped as JSON escapes it, and stays valid.
            json(cmd, &args[1..]);
        }
    }
    let v = json("errors", &all);
    let agents: Vec<&str> = v["data"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["agent"].as_str())
        .collect();
    assert!(agents.contains(&EVIL), "{agents:?}");
    assert!(agents.contains(&raw_evil.as_str()), "{agents:?}");
    // JSON Lines too: each line valid JSON holding the exact text.
    let r = run(["errors", "--format", "jsonl", all[0], all[1], all[2]]);
    assert_eq!(r.code, 0);
    let items = parse_jsonl("errors", &r.stdout);
    assert!(items.iter().any(|i| i["agent"] == EVIL));
    assert!(!r.bytes.contains(&0x1b), "JSON Lines escape ESC as \\u001b");
}

// ---------------------------------------------------------------------------
// --redact

/// (secret as written, the part that must never be printed)
const SECRETS: [(&str, &str); 8] = [
    ("sk-ant-api03-AbCdEfGhIjKlMnOpQr", "AbCdEfGhIjKlMnOpQr"),
    ("sk-proj1234567890abcdefXYZ", "proj1234567890abcdefXYZ"),
    (
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    ("AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
    (
        "xoxb-123456789012-abcdefghijkl",
        "123456789012-abcdefghijkl",
    ),
    (
        "Bearer eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA.c2ln",
        "eyJhbGciOiJIUzI1NiJ9",
    ),
    (
        "https://deploy:hunter2pass@git.example.com/x",
        "hunter2pass",
    ),
    ("password=correcthorsebattery", "correcthorsebattery"),
];

#[test]
fn redact_masks_secrets_in_every_output_format() {
    let dir = tmp("redact-");
    let mut pipe_lines = String::from(PIPE_HEADER);
    let mut diff_lines = String::new();
    let mut hook_lines = String::new();
    for (n, (secret, _)) in SECRETS.iter().enumerate() {
        let n = n as u64;
        let msg = serde_json::to_string(&format!("call failed with {secret} in it")).expect("json");
        pipe_lines.push_str(&format!(
            "{} | lifecycle | agent-{n} | failed | {{\"reason\": {msg}}}\n",
            ts_z(n)
        ));
        diff_lines.push_str(&format!(
            "{{\"timestamp\": \"{}\", \"change_type\": \"added\", \"entity_type\": \"error\", \"data\": {{\"error_id\": \"e{n}\", \"agent_name\": \"Coder\", \"severity\": \"error\", \"error_message\": {msg}}}}}\n",
            ts(n)
        ));
        hook_lines.push_str(&format!(
            "{{\"timestamp\": \"2026-02-09T10:00:0{n}Z\", \"event_type\": \"telemetry_error\", \"level\": \"ERROR\", \"hook_event\": \"PostToolUse\", \"error\": {msg}, \"action_details\": {{\"command\": {msg}}}}}\n"
        ));
    }
    let p = dir.path().join("p.log");
    let d = dir.path().join("d.jsonl");
    let h = dir.path().join("h.json");
    std::fs::write(&p, pipe_lines).expect("write");
    std::fs::write(&d, diff_lines).expect("write");
    std::fs::write(&h, hook_lines).expect("write");
    for path in [&p, &d, &h] {
        for (cmd, extra) in [
            ("errors", &["-l", "100"][..]),
            ("diffs", &["-l", "100"][..]),
        ] {
            for format in ["table", "json", "jsonl"] {
                let mut args = vec![cmd, "--format", format, s(path)];
                args.extend_from_slice(extra);
                // Without --redact the secrets are there (so the test means something).
                let plain = run(&args);
                assert_eq!(plain.code, 0, "{args:?}: {}", plain.stderr);
                if format != "table" {
                    for (_, tail) in SECRETS {
                        assert!(
                            plain.stdout.contains(tail),
                            "{args:?}: {tail} not in the plain output"
                        );
                    }
                }
                args.push("--redact");
                // Tables at two widths: cells cut inside a secret, and whole.
                let wide = {
                    let mut c = command();
                    c.env("COLUMNS", "400").args(&args);
                    run_cmd(c)
                };
                let narrow = run(&args);
                for r in [&narrow, &wide] {
                    for (_, tail) in SECRETS {
                        assert!(
                            !r.stdout.contains(&tail[..4]),
                            "{args:?}: secret {tail} printed:\n{}",
                            r.stdout
                        );
                    }
                }
                let r = if format == "table" { wide } else { narrow };
                assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
                for (_, tail) in SECRETS {
                    // Not even the start of it (a table cell cut short in the secret).
                    let tail = &tail[..4];
                    assert!(
                        !r.stdout.contains(tail),
                        "{args:?}: secret {tail} printed:\n{}",
                        r.stdout
                    );
                }
                let masked: u64 = r
                    .stderr
                    .split("--redact masked ")
                    .nth(1)
                    .and_then(|t| t.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{args:?}: no count on stderr: {}", r.stderr));
                assert!(masked >= SECRETS.len() as u64, "{args:?}: {masked}");
                match format {
                    "json" => {
                        parse_validated(cmd, &r.stdout);
                    }
                    "jsonl" => {
                        parse_jsonl(cmd, &r.stdout);
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn redact_sees_through_json_escapes_in_raw_records() {
    let dir = tmp("redact-escaped-");
    let d = dir.path().join("d.jsonl");
    // The same secrets, written with JSON escapes a writer may use (`\/`, `\u0073`):
    // `raw` echoes the record as written, so the masking must not depend on the spelling.
    std::fs::write(
        &d,
        format!(
            "{{\"timestamp\": \"{}\", \"change_type\": \"added\", \"entity_type\": \"error\", \"data\": {{\"error_id\": \"e1\", \"severity\": \"error\", \"error_message\": \"x\", \"url\": \"https:\\/\\/deploy:hunter2pass@git.example.com\\/x\", \"key\": \"\\u0073k-ant-api03-AbCdEfGhIjKlMnOpQr\", \"cfg\": \"pass\\u0077ord=correcthorsebattery\"}}}}\n",
            ts(1)
        ),
    )
    .expect("write");
    for format in ["json", "jsonl"] {
        let r = run(["diffs", "--format", format, "--redact", s(&d)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        for tail in ["hunter2pass", "AbCdEfGhIjKlMnOpQr", "correcthorsebattery"] {
            assert!(
                !r.stdout.contains(tail),
                "{format}: {tail} printed:\n{}",
                r.stdout
            );
        }
        if format == "json" {
            let v = parse_validated("diffs", &r.stdout);
            let raw = &v["data"]["diffs"][0]["raw"]["data"];
            assert_eq!(raw["key"], "sk-ant-[REDACTED]");
        }
    }
}

// ---------------------------------------------------------------------------
// The tool never opens what the data names

#[test]
fn paths_named_by_the_data_are_never_opened() {
    let dir = tmp("named-paths-");
    let ghost = dir.path().join("ghost").join("created.txt");
    let fifo = dir.path().join("trap.fifo");
    mkfifo(&fifo);
    let g = serde_json::to_string(s(&ghost)).expect("json");
    let f = serde_json::to_string(s(&fifo)).expect("json");
    let h = dir.path().join("h.json");
    std::fs::write(
        &h,
        format!(
            "{{\"timestamp\": \"2026-02-09T10:00:00Z\", \"event_type\": \"file_read\", \"hook_event\": \"PreToolUse\", \"tool_name\": \"Read\", \"action_details\": {{\"file_path\": {g}, \"command\": \"cat {}\", \"url\": \"file://{}\"}}}}\n{{\"timestamp\": \"2026-02-09T10:00:01Z\", \"event_type\": \"file_write\", \"hook_event\": \"PreToolUse\", \"tool_name\": \"Write\", \"tool_input\": {{\"file_path\": {f}}}, \"action_details\": {{\"file_path\": {f}}}}}\n",
            s(&ghost),
            s(&fifo)
        ),
    )
    .expect("write");
    let d = dir.path().join("d.jsonl");
    std::fs::write(
        &d,
        format!(
            "{{\"timestamp\": \"{}\", \"change_type\": \"added\", \"entity_type\": \"event\", \"data\": {{\"event_type\": \"tool\", \"file_path\": {g}, \"path\": {f}, \"command\": \"tee {}\"}}}}\n",
            ts(1),
            s(&ghost)
        ),
    )
    .expect("write");
    let p = dir.path().join("p.log");
    std::fs::write(
        &p,
        format!(
            "{PIPE_HEADER}{} | data_flow | a | file_written | {{\"file_path\": {g}, \"output\": {f}}}\n",
            ts_z(1)
        ),
    )
    .expect("write");
    for cmd in COMMANDS {
        for format in ["table", "json"] {
            let (r, signal) = spawn([cmd, "--format", format, s(&h), s(&d), s(&p)]).finish();
            assert_eq!((signal, r.code), (None, 0), "{cmd}: {}", r.stderr);
        }
    }
    assert!(!ghost.exists(), "a path named by the data was created");
    assert!(!ghost.parent().expect("dir").exists());
    // The FIFO named by the data was never opened (a reader would still be waiting,
    // and the runs above would have hung).
    let md = std::fs::symlink_metadata(&fifo).expect("fifo");
    use std::os::unix::fs::FileTypeExt;
    assert!(md.file_type().is_fifo());
}

/// `json.dumps(obj, indent=0)`: one key a line, nested objects at column 0.
fn indent0(v: &Value) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(v, &mut ser).expect("serialise");
    String::from_utf8(out).expect("utf-8") + "\n"
}

#[test]
fn hook_records_with_nested_objects_at_column_zero_are_read_whole() {
    // Each record nests objects at column 0 (array elements, a value on its own
    // line), as Python's json.dumps(obj, indent=0) writes them.
    let n = 200;
    let ids: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    let text: String = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let rec: Value = serde_json::from_str(&hook(id, i as u64)).expect("hook");
            let mut rec = rec;
            rec["hooks"] = serde_json::json!([{"name": "a"}, {"name": "b", "x": [{"y": 1}]}]);
            indent0(&rec)
        })
        .collect();
    assert!(text.contains("[\n{\n"), "nested objects at column 0");
    let dir = tmp("indent0-");
    let p = dir.path().join("hooks.json");
    std::fs::write(&p, &text).expect("write");
    let (v, got) = listed_ids(&[s(&p)], "/tool_use_id");
    let f = only_file(&v);
    assert_eq!(count(f, "records"), n as u64);
    assert_eq!(count(f, "malformed"), 0, "{f}");
    let mut got = got;
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want);
    // Through stdin too (stream blocks end at record boundaries).
    let r = run_stdin(
        ["diffs", "-l", "1000000", "--format", "json", "-"],
        text.into_bytes(),
    );
    let v = parse_validated("diffs", &r.stdout);
    assert_eq!(v["data"]["diffs"].as_array().unwrap().len(), n);
    assert_eq!(count(only_file(&v), "malformed"), 0);
}

#[test]
fn observer_lines_in_its_own_layout_are_checked_like_any_other() {
    // The observer's agent-message layout has a fast path; a line in that layout
    // that is not JSON (a payload that is not JSON, raw control bytes in a string)
    // is malformed there as everywhere, also under --strict.
    let line = |payload: &str, source: &str| {
        format!(
            "{{\"timestamp\": \"2026-02-09T11:30:12\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \"data\": {{\"message_id\": \"m1\", \"source_agent\": \"{source}\", \"target_agent\": \"B\", \"message_type\": \"task\", \"priority\": \"normal\", \"payload\": {payload}, \"trace_id\": null, \"span_id\": null, \"parent_message_id\": null, \"reason\": \"\", \"timestamp\": \"x\", \"ttl_seconds\": 5}}}}"
        )
    };
    let lines = [
        line("{\"q\": \"fine\"}", "A"),
        line("{this is not json}", "A"),
        line("{\"q\": \"raw \u{1} byte\"}", "A"),
        line("{}", "A\u{1b}[2J"),
        line("{\"q\": \"fine too\"}", "C"),
    ];
    // Ground truth: what a JSON parser accepts.
    let bad: Vec<u64> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| serde_json::from_str::<Value>(l).is_err())
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(bad, [2, 3, 4]);
    let dir = tmp("observer-fast-");
    let p = dir.path().join("diff_time_machine.jsonl");
    std::fs::write(&p, text(&lines)).expect("write");
    let v = json("diffs", &[s(&p)]);
    let f = only_file(&v);
    assert_eq!(count(f, "records"), 2);
    assert_eq!(count(f, "malformed"), 3);
    assert_eq!(bad_lines(f), bad);
    let r = run(["diffs", "--strict", s(&p)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{}:2", s(&p))), "{}", r.stderr);
}
