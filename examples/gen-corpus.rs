//! gen-corpus: a deterministic synthetic telemetry corpus for the benchmarks.
//!
//! ```text
//! cargo run --release --example gen-corpus -- [--mb 1024] [--seed 42] [--state-every 500] DIR
//! ```
//!
//! Writes four files into DIR (created if missing), shaped after the real writers (research notes
//! formats.md, sections 1a, 2a/2b, 3a and the teamsters metadata appendix).
//!
//! Sizes: diff : pipe log : hook = 78 : 12.7 : 12.7, plus the state file (~2 % with the default
//! `--state-every 500`); all four together come to about `--mb` MiB (1024 -> ~790 MB diff,
//! ~130 MB pipe log, ~130 MB hook, ~22 MB state, in decimal MB).
//!
//! * `diff_time_machine.jsonl`   oracle TelemetryStore diffs, exactly as
//!   Python `json.dumps` writes them (`", "` / `": "` separators, naive UTC timestamps).
//! * `state_time_machine.jsonl`  one snapshot per `--state-every` agent messages, each carrying the
//!   last <= 5 errors and the last <= 5 messages (the real writer: every 50th message, <= 100 each).
//!   At the real cadence of 50 even 5+5 items make the state file ~27 % of the diff file, so the
//!   default is 500 (still a multiple of 50, so `agent_messages_count` looks like the real one);
//!   pass `--state-every 50` for the real cadence.
//! * `telemetry-2026-02-09T11-30-00.log` teamsters pipe log (all 14 event types, every status of
//!   formats.md 2b except lifecycle/team_failed: the log ends with team_complete).
//! * `claude-telemetry.jsonl`    Claude Code hook records (schema A), one compact object
//!   per line.
//!
//! Every file gets a malformed line (truncated JSON, garbage text or a blank line) about once per
//! 20,000 lines. Malformed lines are *extra* lines: they never replace a real record, and a
//! truncated copy is only ever made of a record that cannot contain `"severity": "critical"`, so
//! `rg -c '"severity": "critical"' diff_time_machine.jsonl` equals the number of critical error
//! entities (which is printed in the summary on stderr).
//!
//! Output is a pure function of (--mb, --seed, --state-every): std only, a splitmix64 PRNG, no
//! hash-map iteration, no clock.

use std::collections::VecDeque;
use std::env;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process;
use std::time::Instant;

const MIB: u64 = 1 << 20;
/// 2026-02-09T11:30:00 UTC in microseconds since the Unix epoch (day 20493).
const BASE_US: i64 = (20493 * 86_400 + 11 * 3600 + 30 * 60) * 1_000_000;
const MALFORMED_ONE_IN: u64 = 20_000;

// ------------------------------------------------------------------------------------------------
// PRNG

struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }
    #[inline]
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    /// Uniform in lo..=hi.
    #[inline]
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    #[inline]
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
    #[inline]
    fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
    #[inline]
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn weighted(&mut self, w: &[u32]) -> usize {
        let total: u32 = w.iter().sum();
        let mut x = self.below(total as u64) as u32;
        for (i, &wi) in w.iter().enumerate() {
            if x < wi {
                return i;
            }
            x -= wi;
        }
        w.len() - 1
    }
    fn uuid(&mut self) -> Uuid {
        let a = self.next();
        let b = self.next();
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000; // version 4
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000; // variant 10xx
        let mut out = [0u8; 36];
        let mut hex = [0u8; 32];
        put_hex(&mut hex[..16], a);
        put_hex(&mut hex[16..], b);
        let mut j = 0;
        for (i, &h) in hex.iter().enumerate() {
            if i == 8 || i == 12 || i == 16 || i == 20 {
                out[j] = b'-';
                j += 1;
            }
            out[j] = h;
            j += 1;
        }
        Uuid(out)
    }
    /// `n` lowercase hex digits.
    fn hex_into(&mut self, out: &mut String, n: usize) {
        let mut left = n;
        while left > 0 {
            let mut buf = [0u8; 16];
            put_hex(&mut buf, self.next());
            let take = left.min(16);
            out.push_str(std::str::from_utf8(&buf[..take]).unwrap());
            left -= take;
        }
    }
}

fn put_hex(out: &mut [u8], v: u64) {
    const H: &[u8; 16] = b"0123456789abcdef";
    for (i, o) in out.iter_mut().enumerate() {
        *o = H[((v >> (60 - 4 * i)) & 0xF) as usize];
    }
}

#[derive(Clone, Copy)]
struct Uuid([u8; 36]);

impl Uuid {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap()
    }
}

// ------------------------------------------------------------------------------------------------
// Time formatting

#[derive(Clone, Copy)]
enum Ts {
    /// Python `datetime.isoformat()` of a naive datetime: 6 fraction digits, none when micro == 0.
    Naive,
    /// `2026-02-09T11:30:01.123Z`
    MsZ,
    /// `2026-02-09T11:30:01.123+00:00`
    MsUtc,
    /// `2026-02-09T07:30:01-04:00` (`date -Iseconds` in EDT)
    SecMinus4,
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm.
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn push_digits(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut x = v;
    let mut i = 20;
    while x > 0 {
        i -= 1;
        buf[i] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    let start = (20 - width).min(i);
    out.extend_from_slice(&buf[start..]);
}

fn push_ts(out: &mut Vec<u8>, us_utc: i64, style: Ts) {
    let us = match style {
        Ts::SecMinus4 => us_utc - 4 * 3600 * 1_000_000,
        _ => us_utc,
    };
    let secs = us.div_euclid(1_000_000);
    let micro = us.rem_euclid(1_000_000) as u64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u64;
    let (y, m, d) = civil_from_days(days);
    push_digits(out, y as u64, 4);
    out.push(b'-');
    push_digits(out, m as u64, 2);
    out.push(b'-');
    push_digits(out, d as u64, 2);
    out.push(b'T');
    push_digits(out, sod / 3600, 2);
    out.push(b':');
    push_digits(out, sod / 60 % 60, 2);
    out.push(b':');
    push_digits(out, sod % 60, 2);
    match style {
        Ts::Naive => {
            if micro != 0 {
                out.push(b'.');
                push_digits(out, micro, 6);
            }
        }
        Ts::MsZ => {
            out.push(b'.');
            push_digits(out, micro / 1000, 3);
            out.push(b'Z');
        }
        Ts::MsUtc => {
            out.push(b'.');
            push_digits(out, micro / 1000, 3);
            out.extend_from_slice(b"+00:00");
        }
        Ts::SecMinus4 => out.extend_from_slice(b"-04:00"),
    }
}

// ------------------------------------------------------------------------------------------------
// A tiny JSON writer: Python `json.dumps` style (", " / ": ") or compact ("," / ":").

struct J {
    b: Vec<u8>,
    first: Vec<bool>,
    sep: &'static [u8],
    colon: &'static [u8],
}

impl J {
    fn new(python: bool) -> J {
        J {
            b: Vec::with_capacity(1 << 16),
            first: Vec::with_capacity(16),
            sep: if python { b", " } else { b"," },
            colon: if python { b": " } else { b":" },
        }
    }
    fn clear(&mut self) {
        self.b.clear();
        self.first.clear();
    }
    #[inline]
    fn raw(&mut self, s: &str) {
        self.b.extend_from_slice(s.as_bytes());
    }
    /// Separator before the next member / element (nothing before the first one).
    #[inline]
    fn comma(&mut self) {
        if let Some(f) = self.first.last_mut() {
            if *f {
                *f = false;
            } else {
                self.b.extend_from_slice(self.sep);
            }
        }
    }
    fn ob(&mut self) {
        self.b.push(b'{');
        self.first.push(true);
    }
    fn oe(&mut self) {
        self.b.push(b'}');
        self.first.pop();
    }
    fn ab(&mut self) {
        self.b.push(b'[');
        self.first.push(true);
    }
    fn ae(&mut self) {
        self.b.push(b']');
        self.first.pop();
    }
    #[inline]
    fn key(&mut self, k: &str) {
        self.comma();
        self.b.push(b'"');
        self.b.extend_from_slice(k.as_bytes());
        self.b.push(b'"');
        self.b.extend_from_slice(self.colon);
    }
    /// A JSON string value, escaped like Python's json.dumps with ensure_ascii=True.
    fn s(&mut self, v: &str) {
        self.b.push(b'"');
        for ch in v.chars() {
            match ch {
                '"' => self.b.extend_from_slice(b"\\\""),
                '\\' => self.b.extend_from_slice(b"\\\\"),
                '\n' => self.b.extend_from_slice(b"\\n"),
                '\r' => self.b.extend_from_slice(b"\\r"),
                '\t' => self.b.extend_from_slice(b"\\t"),
                '\u{8}' => self.b.extend_from_slice(b"\\b"),
                '\u{c}' => self.b.extend_from_slice(b"\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        let _ = write!(self.b, "\\u{:04x}", u);
                    }
                }
                c => self.b.push(c as u8),
            }
        }
        self.b.push(b'"');
    }
    fn u(&mut self, v: u64) {
        push_digits(&mut self.b, v, 1);
    }
    /// A float given as `v / 10^dec`, printed the way Python's repr prints it
    /// (trailing zeros trimmed, at least one fraction digit). Callers keep values >= 1e-4.
    fn fx(&mut self, v: u64, dec: u32) {
        let p = 10u64.pow(dec);
        push_digits(&mut self.b, v / p, 1);
        self.b.push(b'.');
        let mut frac = v % p;
        let mut digits = dec as usize;
        while digits > 1 && frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        push_digits(&mut self.b, frac, digits);
    }
    fn ts(&mut self, us: i64, style: Ts) {
        self.b.push(b'"');
        push_ts(&mut self.b, us, style);
        self.b.push(b'"');
    }
    fn ks(&mut self, k: &str, v: &str) {
        self.key(k);
        self.s(v);
    }
    fn ku(&mut self, k: &str, v: u64) {
        self.key(k);
        self.u(v);
    }
    fn kfx(&mut self, k: &str, v: u64, dec: u32) {
        self.key(k);
        self.fx(v, dec);
    }
    fn kb(&mut self, k: &str, v: bool) {
        self.key(k);
        self.raw(if v { "true" } else { "false" });
    }
    fn knull(&mut self, k: &str) {
        self.key(k);
        self.raw("null");
    }
    fn kts(&mut self, k: &str, us: i64, style: Ts) {
        self.key(k);
        self.ts(us, style);
    }
    fn item_s(&mut self, v: &str) {
        self.comma();
        self.s(v);
    }
    fn item_u(&mut self, v: u64) {
        self.comma();
        self.u(v);
    }
    /// `"k": ["a", "b"]`
    fn kstrs(&mut self, k: &str, vs: &[&str]) {
        self.key(k);
        self.ab();
        for v in vs {
            self.item_s(v);
        }
        self.ae();
    }
    /// Splice an already serialized value (same separator style).
    fn item_raw(&mut self, bytes: &[u8]) {
        self.comma();
        self.b.extend_from_slice(bytes);
    }
}

// ------------------------------------------------------------------------------------------------
// Text

const WORDS: &[&str] = &[
    "analyze",
    "the",
    "quarterly",
    "revenue",
    "report",
    "and",
    "summarize",
    "key",
    "risks",
    "for",
    "portfolio",
    "compliance",
    "review",
    "draft",
    "section",
    "on",
    "market",
    "trends",
    "including",
    "citations",
    "from",
    "recent",
    "filings",
    "verify",
    "numbers",
    "against",
    "source",
    "tables",
    "refactor",
    "module",
    "to",
    "use",
    "async",
    "client",
    "add",
    "unit",
    "tests",
    "covering",
    "edge",
    "cases",
    "retry",
    "logic",
    "timeout",
    "handling",
    "extract",
    "entities",
    "customer",
    "contract",
    "clauses",
    "obligations",
    "deadline",
    "payment",
    "terms",
    "explain",
    "difference",
    "between",
    "two",
    "approaches",
    "with",
    "examples",
    "benchmark",
    "latency",
    "throughput",
    "cache",
    "layer",
    "database",
    "index",
    "query",
    "plan",
    "migration",
    "schema",
    "validate",
    "output",
    "format",
    "json",
    "markdown",
    "table",
    "of",
    "contents",
    "outline",
    "introduction",
    "conclusion",
    "reference",
    "architecture",
    "deployment",
    "kubernetes",
    "pod",
    "memory",
    "budget",
    "token",
    "limit",
    "context",
    "window",
    "embedding",
    "vector",
    "search",
    "ranking",
    "relevance",
    "score",
    "threshold",
    "is",
    "a",
    "in",
    "by",
    "per",
    "each",
    "all",
    "new",
];

/// Append words until `out` grows by about `len` bytes; ends with a period.
fn sentence(rng: &mut Rng, out: &mut String, len: usize) {
    let start = out.len();
    let mut cap = true;
    while out.len() - start < len {
        if out.len() > start {
            out.push(' ');
        }
        let w = rng.pick(WORDS);
        if cap {
            let mut cs = w.chars();
            if let Some(c) = cs.next() {
                out.push(c.to_ascii_uppercase());
                out.push_str(cs.as_str());
            }
            cap = false;
        } else {
            out.push_str(w);
        }
        if rng.one_in(11) {
            out.push(' ');
            let n = rng.below(10_000);
            out.push_str(&n.to_string());
        }
        if rng.one_in(14) {
            out.push_str(if rng.one_in(3) { ";" } else { "." });
            cap = true;
        } else if rng.one_in(12) {
            out.push(',');
        }
    }
    if !out.ends_with('.') {
        out.push('.');
    }
}

/// `sentence` with a length drawn uniformly from lo..=hi.
fn sentence_in(rng: &mut Rng, out: &mut String, lo: u64, hi: u64) {
    let len = rng.range(lo, hi) as usize;
    sentence(rng, out, len);
}

// ------------------------------------------------------------------------------------------------
// Output file with byte/line/malformed accounting

struct Out {
    w: BufWriter<File>,
    bytes: u64,
    lines: u64,
    malformed: u64,
    path: PathBuf,
}

impl Out {
    fn create(path: PathBuf) -> io::Result<Out> {
        let f = File::create(&path)?;
        Ok(Out {
            w: BufWriter::with_capacity(1 << 20, f),
            bytes: 0,
            lines: 0,
            malformed: 0,
            path,
        })
    }
    fn line(&mut self, b: &[u8]) -> io::Result<()> {
        self.w.write_all(b)?;
        self.w.write_all(b"\n")?;
        self.bytes += b.len() as u64 + 1;
        self.lines += 1;
        Ok(())
    }
    /// With probability 1/20000, write a malformed line. `safe` is a record that may be truncated
    /// (never one that contains `"severity": "critical"`); when None, garbage or blank is used.
    fn maybe_malformed(&mut self, rng: &mut Rng, safe: Option<&[u8]>) -> io::Result<()> {
        if !rng.one_in(MALFORMED_ONE_IN) {
            return Ok(());
        }
        self.malformed += 1;
        let kind = rng.below(3);
        match (kind, safe) {
            (0, Some(rec)) if rec.len() > 24 => {
                // Truncated write: cut somewhere strictly before the last byte.
                let cut = rng.range(8, rec.len() as u64 - 2) as usize;
                let rec = rec[..cut].to_vec();
                self.line(&rec)
            }
            (1, _) | (0, _) => {
                const GARBAGE: &[&str] = &[
                    "Traceback (most recent call last): <truncated by log rotation>",
                    "@@@@ partial write @@@@ 0x7f3a9c0012e0",
                    "kafka: consumer group rebalance in progress, offsets may be replayed",
                    "}{][ not json at all",
                    "-- log truncated --",
                ];
                let g = rng.pick(GARBAGE);
                self.line(g.as_bytes())
            }
            _ => self.line(b""),
        }
    }
    fn finish(mut self) -> io::Result<FileStat> {
        self.w.flush()?;
        Ok(FileStat {
            name: self
                .path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            bytes: self.bytes,
            lines: self.lines,
            malformed: self.malformed,
        })
    }
}

struct FileStat {
    name: String,
    bytes: u64,
    lines: u64,
    malformed: u64,
}

// ------------------------------------------------------------------------------------------------
// 1. oracle diff + state files

const AGENTS: &[&str] = &[
    "Orchestrator",
    "Researcher",
    "Writer",
    "Coder",
    "Reviewer",
    "Planner",
    "Tester",
    "Critic",
];
const PRIORITIES: &[&str] = &["low", "normal", "high", "critical"];
const TASK_REASONS: &[&str] = &[
    "Delegate research task",
    "Draft section from research notes",
    "Implement requested change",
    "Review generated output",
    "Plan execution steps",
    "Run regression tests",
    "Critique draft for accuracy",
    "Summarize findings for the user",
    "Fetch supporting documents",
    "Validate output schema",
];
const CATEGORIES: &[&str] = &[
    "llm_error",
    "agent_error",
    "tool_error",
    "handoff_error",
    "validation_error",
    "timeout_error",
    "resource_error",
    "network_error",
    "config_error",
    "unknown",
];
const ERROR_TYPES: &[&[&str]] = &[
    &[
        "RateLimitError",
        "TokenLimitExceeded",
        "APIStatusError",
        "ContextWindowExceededError",
    ],
    &["AgentExecutionError", "AgentStateError", "RecursionError"],
    &[
        "ToolInvocationError",
        "ToolNotFoundError",
        "ToolOutputParseError",
    ],
    &[
        "HandoffError",
        "HandoffRejectedError",
        "AgentNotAvailableError",
    ],
    &[
        "ValidationError",
        "SchemaValidationError",
        "InvalidOutputFormat",
    ],
    &["TimeoutError", "LLMTimeoutError", "ReadTimeout"],
    &["MemoryError", "ResourceExhaustedError", "OOMKilled"],
    &[
        "ConnectionError",
        "HTTPError",
        "ConnectionResetError",
        "KafkaConnectionError",
    ],
    &[
        "ConfigurationError",
        "KeyError",
        "MissingEnvironmentVariable",
    ],
    &["RuntimeError", "Exception", "AssertionError"],
];
const MODELS: &[&str] = &[
    "llama3.2:3b",
    "qwen2.5:7b",
    "gpt-4o-mini",
    "gpt-4o",
    "claude-3-5-sonnet-20241022",
    "mistral:7b",
];
const TOOLS: &[&str] = &[
    "web_search",
    "code_executor",
    "file_reader",
    "document_retriever",
    "calculator",
    "sql_query",
];
const OPERATIONS: &[&str] = &[
    "llm_call",
    "tool_invocation",
    "handoff",
    "process_task",
    "parse_output",
    "publish_message",
    "consume_message",
    "plan_steps",
];
const FIXES: &[&str] = &[
    "Wait and retry - rate limit may reset",
    "Check API quota and billing status",
    "Consider using a different model or provider",
    "Increase timeout configuration",
    "Check network connectivity",
    "Reduce request complexity",
    "Verify service URLs are correct",
    "Check if required services are running",
    "Check input data format",
    "Verify required fields are present",
    "Reduce batch size or input size",
    "Free up system resources",
    "Scale up infrastructure",
];
const ENVIRONMENTS: &[&str] = &["development", "staging", "production"];

struct Outstanding {
    id: Uuid,
    src: u8,
    dst: u8,
    trace: Uuid,
    reason: u8,
}

struct Ring {
    items: VecDeque<Vec<u8>>,
    cap: usize,
}

impl Ring {
    fn push(&mut self, b: &[u8]) {
        if self.items.len() == self.cap {
            let mut old = self.items.pop_front().unwrap();
            old.clear();
            old.extend_from_slice(b);
            self.items.push_back(old);
        } else {
            self.items.push_back(b.to_vec());
        }
    }
}

struct DiffStats {
    critical: u64,
    errors: u64,
    messages: u64,
    by_type: [u64; 5],
    others: u64,
    snapshots: u64,
}

fn gen_diff(
    dir: &Path,
    seed: u64,
    target: u64,
    state_every: u64,
) -> io::Result<(FileStat, FileStat, DiffStats)> {
    let mut rng = Rng::new(seed, 1);
    let mut out = Out::create(dir.join("diff_time_machine.jsonl"))?;
    let mut state = Out::create(dir.join("state_time_machine.jsonl"))?;
    let mut j = J::new(true);
    let mut sj = J::new(true);
    let mut txt = String::with_capacity(1024);
    let mut t: i64 = BASE_US + 12_123_456;
    let mut outstanding: VecDeque<Outstanding> = VecDeque::new();
    let mut recent_msgs = Ring {
        items: VecDeque::new(),
        cap: 5,
    };
    let mut recent_errs = Ring {
        items: VecDeque::new(),
        cap: 5,
    };
    let mut st = DiffStats {
        critical: 0,
        errors: 0,
        messages: 0,
        by_type: [0; 5],
        others: 0,
        snapshots: 0,
    };
    let (mut traces, mut spans, mut events, mut handoffs) = (0u64, 0u64, 0u64, 0u64);
    let mut trace = rng.uuid();
    let mut host = String::new();

    while out.bytes < target {
        // Envelope time: ~1 ms steps; about 1 in 1000 lands on a whole second (no fraction).
        t += rng.range(200, 1800) as i64;
        if rng.one_in(1000) {
            t = (t / 1_000_000 + 1) * 1_000_000;
        }
        // The observer stamps the diff slightly after the producer stamped the message.
        let mut inner = t - rng.range(50, 4000) as i64;
        if rng.one_in(1000) {
            inner = inner / 1_000_000 * 1_000_000;
        }
        if rng.one_in(12) {
            trace = rng.uuid();
        }

        j.clear();
        j.ob();
        j.kts("timestamp", t, Ts::Naive);
        j.ks("change_type", "added");
        let roll = rng.below(1000);
        let mut is_msg = false;
        if roll < 40 {
            // ---- error entity (DetailedError.to_dict order) ----
            j.ks("entity_type", "error");
            j.key("data");
            let data_start = j.b.len();
            let sev = ["critical", "error", "warning", "info"][rng.weighted(&[10, 50, 30, 10])];
            let cat_i = rng.below(CATEGORIES.len() as u64) as usize;
            let etype = rng.pick(ERROR_TYPES[cat_i]);
            let agent = rng.pick(&AGENTS[1..]);
            j.ob();
            j.ks("error_id", rng.uuid().as_str());
            j.ks("severity", sev);
            j.ks("category", CATEGORIES[cat_i]);
            j.ks("error_type", etype);
            txt.clear();
            error_message(&mut rng, &mut txt, cat_i);
            let msg_end = txt.len();
            j.ks("error_message", &txt[..msg_end]);
            if rng.pct(70) {
                let code = format!("E{}{:03}", cat_i + 1, rng.below(1000));
                j.ks("error_code", &code);
            } else {
                j.knull("error_code");
            }
            // stack trace: a few frames joined with \n
            let mut stack = String::with_capacity(512);
            stack.push_str("Traceback (most recent call last):\n");
            const FRAMES: &[(&str, &str, &str)] = &[
                (
                    "/app/src/agents/multi_agent_system.py",
                    "execute_task",
                    "result = await self._call_llm(prompt)",
                ),
                (
                    "/app/src/agents/base_agent.py",
                    "_call_llm",
                    "response = await self.client.chat(model=self.model, messages=messages)",
                ),
                (
                    "/app/src/telemetry/collector.py",
                    "record_span",
                    "span.complete(output)",
                ),
                (
                    "/usr/local/lib/python3.11/site-packages/httpx/_client.py",
                    "send",
                    "response = await self._send_handling_auth(request)",
                ),
                (
                    "/app/src/tools/registry.py",
                    "invoke",
                    "return await tool.run(**params)",
                ),
                (
                    "/app/src/agents/handoff.py",
                    "handoff",
                    "await self.producer.send(topic, message.to_dict())",
                ),
            ];
            for _ in 0..rng.range(2, 5) {
                let (f, func, code) = rng.pick(FRAMES);
                stack.push_str("  File \"");
                stack.push_str(f);
                stack.push_str("\", line ");
                stack.push_str(&rng.range(20, 900).to_string());
                stack.push_str(", in ");
                stack.push_str(func);
                stack.push_str("\n    ");
                stack.push_str(code);
                stack.push('\n');
            }
            stack.push_str(etype);
            stack.push_str(": ");
            stack.push_str(&txt[..msg_end]);
            j.ks("stack_trace", &stack);
            j.ks("trace_id", trace.as_str());
            j.ks("span_id", rng.uuid().as_str());
            j.ks("agent_name", agent);
            txt.clear();
            txt.push_str(&agent.to_ascii_lowercase());
            txt.push('-');
            rng.hex_into(&mut txt, 8);
            j.ks("agent_id", &txt);
            j.ks("operation", rng.pick(OPERATIONS));
            j.key("input_data");
            j.ob();
            j.ks("task_id", rng.uuid().as_str());
            j.ku("query_length", rng.range(20, 4000));
            j.ku("attempt", rng.range(1, 4));
            j.oe();
            let llm = cat_i == 0 || cat_i == 5 || rng.pct(30);
            if rng.pct(20) {
                txt.clear();
                sentence(&mut rng, &mut txt, 60);
                j.ks("partial_output", &txt);
            } else {
                j.knull("partial_output");
            }
            if llm {
                j.ks("model_name", rng.pick(MODELS));
                txt.clear();
                sentence_in(&mut rng, &mut txt, 40, 160);
                j.ks("prompt_preview", &txt);
                j.ku("token_count", rng.range(200, 128_000));
            } else {
                j.knull("model_name");
                j.knull("prompt_preview");
                j.knull("token_count");
            }
            if cat_i == 2 || (!llm && rng.pct(40)) {
                let tool = rng.pick(TOOLS);
                j.ks("tool_name", tool);
                j.key("tool_parameters");
                j.ob();
                txt.clear();
                sentence(&mut rng, &mut txt, 30);
                j.ks("query", &txt);
                j.ku("max_results", rng.range(1, 20));
                j.oe();
            } else {
                j.knull("tool_name");
                j.key("tool_parameters");
                j.raw("{}");
            }
            j.kts("timestamp", inner, Ts::Naive);
            j.kfx("duration_before_error_ms", rng.range(1000, 120_000_000), 3);
            let retryable = matches!(cat_i, 0 | 5 | 7) || rng.pct(20);
            j.kb("is_retryable", retryable);
            j.ku("retry_count", if retryable { rng.below(4) } else { 0 });
            j.ku("max_retries", 3);
            j.key("suggested_fixes");
            j.ab();
            for _ in 0..rng.below(4) {
                j.item_s(rng.pick(FIXES));
            }
            j.ae();
            j.key("related_docs");
            j.ab();
            if rng.pct(25) {
                j.item_s("https://docs.example.com/multi-agent/troubleshooting#errors");
            }
            j.ae();
            j.ks("environment", rng.pick(ENVIRONMENTS));
            j.ks("service_name", "multi-agent-system");
            host.clear();
            host.push_str("agent-pod-");
            rng.hex_into(&mut host, 6);
            host.push('-');
            rng.hex_into(&mut host, 5);
            j.ks("host", &host);
            j.oe();
            let data_end = j.b.len();
            recent_errs.push(&j.b[data_start..data_end]);
            st.errors += 1;
            if sev == "critical" {
                st.critical += 1;
            }
        } else if roll < 46 {
            // ---- the rare debug-endpoint entities ----
            st.others += 1;
            match rng.below(4) {
                0 => {
                    traces += 1;
                    j.ks("entity_type", "trace");
                    j.key("data");
                    j.ob();
                    j.ks("trace_id", trace.as_str());
                    j.ks("session_id", rng.uuid().as_str());
                    j.ks("user_id", "user-42");
                    j.ks("root_agent_name", "Orchestrator");
                    j.ks(
                        "status",
                        ["completed", "failed", "running"][rng.weighted(&[80, 10, 10])],
                    );
                    j.kts("start_time", inner - 4_000_000, Ts::Naive);
                    j.kts("end_time", inner, Ts::Naive);
                    j.kfx("total_duration_ms", rng.range(100_000, 9_000_000), 3);
                    j.ku("total_tokens", rng.range(500, 40_000));
                    j.ku("agent_count", rng.range(2, 6));
                    j.ku("llm_call_count", rng.range(1, 20));
                    txt.clear();
                    sentence(&mut rng, &mut txt, 50);
                    j.ks("user_input", &txt);
                    txt.clear();
                    sentence(&mut rng, &mut txt, 80);
                    j.ks("final_output", &txt);
                    j.oe();
                }
                1 => {
                    spans += 1;
                    let agent = rng.pick(AGENTS);
                    j.ks("entity_type", "span");
                    j.key("data");
                    j.ob();
                    j.ks("span_id", rng.uuid().as_str());
                    j.ks("trace_id", trace.as_str());
                    j.ks(
                        "agent_id",
                        &format!("{}-{:02}", agent.to_ascii_lowercase(), rng.below(8)),
                    );
                    j.ks("agent_name", agent);
                    j.ks(
                        "span_kind",
                        rng.pick(&["agent", "task", "tool", "llm_call", "handoff", "planning"]),
                    );
                    j.ks(
                        "status",
                        rng.pick(&["completed", "completed", "completed", "failed", "running"]),
                    );
                    j.kts("start_time", inner - 1_500_000, Ts::Naive);
                    j.kfx("duration_ms", rng.range(1000, 9_000_000), 3);
                    j.key("token_usage");
                    j.ob();
                    let p = rng.range(50, 4000);
                    let c = rng.range(20, 2000);
                    j.ku("prompt_tokens", p);
                    j.ku("completion_tokens", c);
                    j.ku("total_tokens", p + c);
                    j.oe();
                    j.oe();
                }
                2 => {
                    events += 1;
                    let agent = rng.pick(AGENTS);
                    let et = rng.pick(&[
                        "agent_start",
                        "llm_request",
                        "llm_response",
                        "tool_call",
                        "agent_complete",
                    ]);
                    j.ks("entity_type", "event");
                    j.key("data");
                    j.ob();
                    j.ks("event_id", rng.uuid().as_str());
                    j.ks("trace_id", trace.as_str());
                    j.ks("span_id", rng.uuid().as_str());
                    j.ks(
                        "agent_id",
                        &format!("{}-{:02}", agent.to_ascii_lowercase(), rng.below(8)),
                    );
                    j.ks("agent_name", agent);
                    j.ks("event_type", et);
                    j.ks("message", &format!("{} {}", agent, et.replace('_', " ")));
                    j.kts("timestamp", inner, Ts::Naive);
                    // never "critical" here: only error entities carry that severity
                    j.ks(
                        "severity",
                        rng.pick(&["info", "info", "info", "warning", "error"]),
                    );
                    j.key("data");
                    j.ob();
                    j.ku("step", rng.range(1, 12));
                    j.ku("agent_index", rng.below(5));
                    j.oe();
                    j.oe();
                }
                _ => {
                    handoffs += 1;
                    let a = rng.below(AGENTS.len() as u64) as usize;
                    let b = (a + 1 + rng.below(AGENTS.len() as u64 - 1) as usize) % AGENTS.len();
                    j.ks("entity_type", "handoff");
                    j.key("data");
                    j.ob();
                    j.ks("handoff_id", rng.uuid().as_str());
                    j.ks("trace_id", trace.as_str());
                    j.ks(
                        "source_agent_id",
                        &format!("{}-{:02}", AGENTS[a].to_ascii_lowercase(), rng.below(8)),
                    );
                    j.ks("source_agent_name", AGENTS[a]);
                    j.ks(
                        "target_agent_id",
                        &format!("{}-{:02}", AGENTS[b].to_ascii_lowercase(), rng.below(8)),
                    );
                    j.ks("target_agent_name", AGENTS[b]);
                    j.ks("reason", rng.pick(TASK_REASONS));
                    j.kts("timestamp", inner, Ts::Naive);
                    j.oe();
                }
            }
        } else {
            // ---- agent_message ----
            is_msg = true;
            let mut mt = rng.weighted(&[400, 350, 40, 150, 60]); // task result error heartbeat cancel
            if (mt == 1 || mt == 2) && outstanding.is_empty() {
                mt = 0;
            }
            j.ks("entity_type", "agent_message");
            j.key("data");
            let data_start = j.b.len();
            j.ob();
            let id = rng.uuid();
            j.ks("message_id", id.as_str());
            match mt {
                0 => {
                    let src = if rng.pct(55) {
                        0
                    } else {
                        rng.range(1, AGENTS.len() as u64 - 1) as usize
                    };
                    let mut dst = rng.range(1, AGENTS.len() as u64 - 1) as usize;
                    if dst == src {
                        dst = if dst + 1 < AGENTS.len() { dst + 1 } else { 1 };
                    }
                    let reason = rng.below(TASK_REASONS.len() as u64) as u8;
                    j.ks("source_agent", AGENTS[src]);
                    j.ks("target_agent", AGENTS[dst]);
                    j.ks("message_type", "task");
                    j.ks("priority", PRIORITIES[rng.weighted(&[20, 60, 15, 5])]);
                    j.key("payload");
                    j.ob();
                    txt.clear();
                    sentence_in(&mut rng, &mut txt, 100, 400);
                    j.ks("query", &txt);
                    j.key("context");
                    j.ob();
                    j.ku("step", rng.range(1, 12));
                    j.key("documents");
                    j.ab();
                    for _ in 0..rng.below(4) {
                        j.item_s(&format!("doc-{}", rng.below(100_000)));
                    }
                    j.ae();
                    j.ku("max_tokens", rng.pick(&[512, 1024, 2048, 4096]));
                    j.kfx("temperature", rng.below(11) * 10, 2);
                    j.oe();
                    j.oe();
                    j.ks("trace_id", trace.as_str());
                    j.ks("span_id", rng.uuid().as_str());
                    j.knull("parent_message_id");
                    j.ks("reason", TASK_REASONS[reason as usize]);
                    j.kts("timestamp", inner, Ts::Naive);
                    if rng.pct(30) {
                        j.ku("ttl_seconds", rng.pick(&[60, 300, 600, 3600]));
                    } else {
                        j.knull("ttl_seconds");
                    }
                    // ~2% of tasks never get an answer
                    if !rng.one_in(50) {
                        outstanding.push_back(Outstanding {
                            id,
                            src: src as u8,
                            dst: dst as u8,
                            trace,
                            reason,
                        });
                    }
                }
                1 | 2 => {
                    let window = outstanding.len().min(8) as u64;
                    let k = rng.below(window) as usize;
                    let task = outstanding.remove(k).unwrap();
                    j.ks("source_agent", AGENTS[task.dst as usize]);
                    j.ks("target_agent", AGENTS[task.src as usize]);
                    j.ks("message_type", if mt == 1 { "result" } else { "error" });
                    j.ks("priority", PRIORITIES[rng.weighted(&[20, 60, 15, 5])]);
                    j.key("payload");
                    j.ob();
                    txt.clear();
                    if mt == 1 {
                        sentence_in(&mut rng, &mut txt, 120, 480);
                        j.ks("result", &txt);
                        j.ku("tokens", rng.range(30, 4000));
                    } else {
                        let cat_i = rng.below(CATEGORIES.len() as u64) as usize;
                        error_message(&mut rng, &mut txt, cat_i);
                        j.ks("error", &txt);
                        j.ks("error_type", rng.pick(ERROR_TYPES[cat_i]));
                    }
                    j.oe();
                    j.ks("trace_id", task.trace.as_str());
                    if rng.pct(50) {
                        j.ks("span_id", rng.uuid().as_str());
                    } else {
                        j.knull("span_id");
                    }
                    j.ks("parent_message_id", task.id.as_str());
                    txt.clear();
                    txt.push_str(if mt == 1 {
                        "Result for: "
                    } else {
                        "Error processing: "
                    });
                    txt.push_str(TASK_REASONS[task.reason as usize]);
                    j.ks("reason", &txt);
                    j.kts("timestamp", inner, Ts::Naive);
                    j.knull("ttl_seconds");
                }
                3 => {
                    let src = rng.range(1, AGENTS.len() as u64 - 1) as usize;
                    j.ks("source_agent", AGENTS[src]);
                    j.ks("target_agent", "Orchestrator");
                    j.ks("message_type", "heartbeat");
                    j.ks("priority", "low");
                    j.key("payload");
                    j.ob();
                    j.ks("status", if rng.pct(90) { "alive" } else { "busy" });
                    j.kfx("load", rng.range(1, 100), 2);
                    j.ku("queue_depth", rng.below(12));
                    j.ku("memory_mb", rng.range(180, 2048));
                    j.oe();
                    j.knull("trace_id");
                    j.knull("span_id");
                    j.knull("parent_message_id");
                    j.ks("reason", "Periodic heartbeat");
                    j.kts("timestamp", inner, Ts::Naive);
                    j.ku("ttl_seconds", 30);
                }
                _ => {
                    let dst = rng.range(1, AGENTS.len() as u64 - 1) as usize;
                    j.ks("source_agent", "Orchestrator");
                    j.ks("target_agent", AGENTS[dst]);
                    j.ks("message_type", "cancel");
                    j.ks("priority", rng.pick(&["high", "normal"]));
                    j.key("payload");
                    j.ob();
                    j.ks(
                        "reason",
                        rng.pick(&[
                            "superseded by newer task",
                            "user aborted",
                            "deadline exceeded",
                        ]),
                    );
                    j.ks("task_id", rng.uuid().as_str());
                    j.oe();
                    j.ks("trace_id", trace.as_str());
                    j.knull("span_id");
                    j.knull("parent_message_id");
                    j.ks("reason", "Cancel outstanding work");
                    j.kts("timestamp", inner, Ts::Naive);
                    j.knull("ttl_seconds");
                }
            }
            j.oe();
            let data_end = j.b.len();
            recent_msgs.push(&j.b[data_start..data_end]);
            st.messages += 1;
            st.by_type[mt] += 1;
        }
        j.oe();

        out.maybe_malformed(&mut rng, if is_msg { Some(&j.b[..]) } else { None })?;
        out.line(&j.b)?;

        if is_msg && st.messages.is_multiple_of(state_every) {
            sj.clear();
            sj.ob();
            sj.kts("timestamp", t + rng.range(20, 400) as i64, Ts::Naive);
            sj.ku("traces_count", traces);
            sj.ku("spans_count", spans);
            sj.ku("events_count", events);
            sj.ku("handoffs_count", handoffs);
            sj.ku("errors_count", st.errors);
            sj.ku("metrics_count", 0);
            sj.ku("agent_messages_count", st.messages);
            sj.key("errors");
            sj.ab();
            for e in &recent_errs.items {
                sj.item_raw(e);
            }
            sj.ae();
            sj.key("agent_messages");
            sj.ab();
            for m in &recent_msgs.items {
                sj.item_raw(m);
            }
            sj.ae();
            sj.oe();
            // state lines may contain critical errors: never offer them for truncation
            state.maybe_malformed(&mut rng, None)?;
            state.line(&sj.b)?;
            st.snapshots += 1;
        }
    }
    Ok((out.finish()?, state.finish()?, st))
}

fn error_message(rng: &mut Rng, out: &mut String, cat_i: usize) {
    use std::fmt::Write as _;
    let n = rng.range(1, 99_999);
    let _ = match cat_i {
        0 => write!(out, "Rate limit exceeded for model {}: {} tokens requested, limit {} per minute (request req_{:x})",
            rng.pick(MODELS), rng.range(1000, 200_000), rng.pick(&[4000, 10_000, 40_000, 90_000]), rng.next() >> 16),
        1 => write!(out, "Agent {} failed after {} steps: unexpected state '{}' while processing task {}",
            rng.pick(AGENTS), rng.range(1, 40), rng.pick(&["waiting", "handoff_pending", "parsing"]), rng.uuid().as_str()),
        2 => write!(out, "Tool '{}' returned exit code {} after {} ms", rng.pick(TOOLS), rng.range(1, 255), n),
        3 => write!(out, "Handoff from {} to {} rejected: queue agent-queue-{} has {} unacked messages",
            rng.pick(AGENTS), rng.pick(AGENTS), rng.pick(&["researcher", "writer", "coder", "reviewer"]), rng.range(10, 5000)),
        4 => write!(out, "1 validation error for TaskResult\nfield '{}' is required (input_value={{'id': {}}})",
            rng.pick(&["summary", "citations", "code", "score"]), n),
        5 => write!(out, "Request to {} timed out after {}.{} seconds (attempt {}/3)",
            rng.pick(&["http://ollama:11434/api/chat", "http://litellm:4000/v1/chat/completions", "kafka:9092"]),
            rng.range(5, 300), rng.below(10), rng.range(1, 3)),
        6 => write!(out, "Container memory usage {} MiB exceeds limit {} MiB on pod agent-pod-{:x}",
            rng.range(1024, 8192), rng.pick(&[1024, 2048, 4096]), rng.next() >> 40),
        7 => write!(out, "Connection refused: {}:{} (errno {})", rng.pick(&["kafka", "ollama", "api", "redis"]), rng.pick(&[9092, 11434, 8080, 6379]), rng.pick(&[104, 111, 113])),
        8 => write!(out, "Missing required setting '{}' (checked env and config/agents.yaml line {})",
            rng.pick(&["OPENAI_API_KEY", "KAFKA_BOOTSTRAP_SERVERS", "OLLAMA_HOST", "TELEMETRY_DATA_DIR"]), rng.range(1, 300)),
        _ => write!(out, "Unhandled exception in worker {}: {}", rng.range(0, 31), n),
    };
}

// ------------------------------------------------------------------------------------------------
// 2. teamsters pipe log

#[derive(Clone, Copy, PartialEq)]
enum Step {
    TaskAssigned,
    DepsResolved,
    CaseStart,
    FixtureSetup,
    FixtureTeardown,
    OutputCaptured,
    TestRetry,
    TestSummary,
    Queued,
    Dequeued,
    Spawned,
    ModelResolved,
    Start,
    DepWaiting,
    DepSatisfied,
    Prompt,
    Progress,
    FileRead,
    FileWritten,
    AgentMessage,
    QueueWait,
    Output,
    Parsed,
    ExecStart,
    CaseResult,
    ExecComplete,
    Coverage,
    ValidationCheck,
    RetryDecision,
    Backoff,
    ErrorClassified,
    StateTransition,
    TimeoutWarning,
    ModelFallback,
    TokenUsage,
    Memory,
    Completed,
    Failed,
}

struct PAgent {
    id: String,
    kind: &'static str,
    steps: Vec<Step>,
    at: usize,
    started_us: i64,
    tokens_in: u64,
    tokens_out: u64,
    file: String,
}

const PKINDS: &[&str] = &["write", "execute", "analyze", "validate", "fix", "review"];
const PMODELS: &[&str] = &["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"];
const PFILES: &[&str] = &[
    "src/services/user_service.py",
    "src/services/billing.py",
    "src/api/routes/orders.py",
    "src/models/invoice.py",
    "src/utils/retry.py",
    "lib/parser/tokenizer.ts",
    "lib/parser/ast.ts",
    "pkg/queue/worker.go",
];

fn gen_pipe(dir: &Path, seed: u64, target: u64) -> io::Result<FileStat> {
    let mut rng = Rng::new(seed, 2);
    let mut out = Out::create(dir.join("telemetry-2026-02-09T11-30-00.log"))?;
    for h in [
        "# Teamsters Team Orchestration Telemetry Log",
        "# Generated: 2026-02-09T11:30:00.000+00:00",
        "# Team: load-test",
        "# Telemetry Version: 1.0.0",
        "# Format: [timestamp] | [event_type] | [agent_id] | [status] | [metadata_json]",
        "---",
    ] {
        out.line(h.as_bytes())?;
    }
    let mut p = Pipe {
        rng: &mut rng,
        j: J::new(false),
        line: Vec::with_capacity(4096),
        t: BASE_US + 1_123_000,
        n: 0,
        txt: String::new(),
    };
    let mut active: Vec<PAgent> = Vec::new();
    let mut next_agent = 1u64;
    let max_agents = 8usize;
    let (mut spawned, mut succeeded, mut failed, mut tokens_total) = (0u64, 0u64, 0u64, 0u64);
    let mut cost_micro = 0u64;
    let mut phase = 1u64;

    // session prologue
    p.ev(
        &mut out,
        "environment",
        "coordinator",
        "session_start",
        |p| {
            p.j.ks("session_id", "4f0c6a52-9d1e-4b7a-a3c2-6e8f1d2b9a70");
            p.j.ks("plugin_version", "1.4.2");
            p.j.ks("claude_code_version", "2.0.14");
            p.j.ks("platform", "linux");
            p.j.ks("os_version", "6.8.0-45-generic");
            p.j.ks("shell", "/bin/bash");
            p.j.ks("working_directory", "/home/dev/projects/shop-api");
            p.j.ks("git_branch", "feature/load-test");
            p.j.ks("git_commit", "9c1e2f7");
            p.j.kb("git_dirty", true);
            p.j.knull("node_version");
            p.j.ks("python_version", "3.12.3");
        },
    )?;
    p.ev(
        &mut out,
        "environment",
        "coordinator",
        "environment_snapshot",
        |p| {
            p.j.key("teamsters_env_vars");
            p.j.ob();
            p.j.ks("TEAMSTERS_TELEMETRY", "1");
            p.j.ks("TEAMSTERS_TELEMETRY_CONSOLE", "0");
            p.j.oe();
            p.j.key("experimental_flags");
            p.j.raw("{}");
            p.j.ks("config_file_path", ".claude/teamsters-config.json");
            p.j.kb("config_file_exists", true);
            p.j.kb("teams_directory_exists", true);
            p.j.kstrs("teams_available", &["load-test", "testing", "refactor"]);
            p.j.kb("agents_directory_exists", true);
        },
    )?;
    p.ev(&mut out, "config", "coordinator", "config_loaded", |p| {
        p.j.ks("team_name", "load-test");
        p.j.ks("file_path", ".claude/teams/load-test.md");
        p.j.key("frontmatter_raw");
        p.j.ob();
        p.j.ku("max_agents", 8);
        p.j.kb("telemetry_enabled", true);
        p.j.oe();
        p.j.ku("file_size_bytes", 4213);
        p.j.kfx("parse_duration_ms", 1375, 3);
    })?;
    p.ev(
        &mut out,
        "config",
        "coordinator",
        "config_defaults_applied",
        |p| {
            p.j.kstrs("fields_defaulted", &["timeout_seconds", "max_retries"]);
            p.j.key("defaults_applied");
            p.j.ob();
            p.j.ku("timeout_seconds", 600);
            p.j.ku("max_retries", 2);
            p.j.oe();
        },
    )?;
    p.ev(
        &mut out,
        "dependency",
        "coordinator",
        "graph_constructed",
        |p| {
            p.j.key("adjacency_list");
            p.j.ob();
            p.j.kstrs("analyze", &[]);
            p.j.kstrs("write", &["analyze"]);
            p.j.kstrs("execute", &["write"]);
            p.j.kstrs("validate", &["execute"]);
            p.j.oe();
            p.j.kstrs(
                "topological_order",
                &["analyze", "write", "execute", "validate"],
            );
            p.j.ku("total_nodes", 4);
            p.j.ku("total_edges", 3);
            p.j.kb("has_cycles", false);
        },
    )?;
    p.ev(
        &mut out,
        "config",
        "coordinator",
        "config_override_applied",
        |p| {
            p.j.ks("field", "max_agents");
            p.j.ks("original_value", "4");
            p.j.ks("override_value", "8");
            p.j.ks("source", "cli");
            p.j.ks("override_key", "--max-agents");
        },
    )?;
    // plan -> rejected -> regenerated -> approved
    for iteration in 1..=2u64 {
        let batches = if iteration == 1 { 24 } else { 30 };
        p.ev(
            &mut out,
            "coordination",
            "coordinator",
            "plan_proposed",
            |p| {
                p.j.ks(
                    "plan_summary",
                    &format!("Generate tests for 240 modules in {} batches", batches),
                );
                p.j.ku("batches", batches);
                p.j.ku("total_targets", 240);
                p.j.kb("approval_required", true);
            },
        )?;
        p.ev(&mut out, "approval", "coordinator", "gate_entered", |p| {
            p.j.ks("gate_type", "plan");
            p.j.ku("iteration", iteration);
            p.j.ku("max_iterations", 3);
            p.j.key("gates_config");
            p.j.ob();
            p.j.kb("plan", true);
            p.j.oe();
            p.j.ks(
                "context_summary",
                &format!("{} batches, 8 parallel agents", batches),
            );
        })?;
        p.ev(
            &mut out,
            "approval",
            "coordinator",
            "prompt_displayed",
            |p| {
                p.j.ks("gate_type", "plan");
                p.j.ks("prompt_text", "Approve this plan? [approve/reject/modify]");
                p.j.ku("prompt_length_chars", 42);
                p.j.kstrs("options_presented", &["approve", "reject", "modify"]);
            },
        )?;
        let approve = iteration == 2;
        p.ev(
            &mut out,
            "approval",
            "coordinator",
            "user_response_received",
            |p| {
                p.j.ks("gate_type", "plan");
                p.j.ks("decision", if approve { "approve" } else { "reject" });
                if approve {
                    p.j.knull("feedback_text");
                } else {
                    p.j.ks("feedback_text", "Use smaller batches | keep 8 agents");
                }
                p.j.kfx("response_time_seconds", 8412, 3);
                p.j.ku("iteration", iteration);
            },
        )?;
        if approve {
            p.ev(
                &mut out,
                "coordination",
                "coordinator",
                "plan_approved",
                |p| {
                    p.j.ks("user_response", "approve");
                    p.j.ku("batches", batches);
                    p.j.kfx("approval_time_seconds", 8412, 3);
                },
            )?;
        } else {
            p.ev(
                &mut out,
                "coordination",
                "coordinator",
                "plan_rejected",
                |p| {
                    p.j.ks("user_response", "reject");
                    p.j.ks("rejection_reason", "Use smaller batches | keep 8 agents");
                },
            )?;
            p.ev(
                &mut out,
                "approval",
                "coordinator",
                "plan_regenerated",
                |p| {
                    p.j.ku("iteration", 2);
                    p.j.ks("feedback_applied", "Use smaller batches");
                    p.j.kstrs("changes_made", &["batches 24 -> 30"]);
                    p.j.ks("old_plan_summary", "240 modules in 24 batches");
                    p.j.ks("new_plan_summary", "240 modules in 30 batches");
                    p.j.kstrs("agents_added", &[]);
                    p.j.kstrs("agents_removed", &[]);
                },
            )?;
            p.ev(&mut out, "data_flow", "coordinator", "plan_diff", |p| {
                p.j.ku("iteration", 2);
                p.j.kstrs("agents_added", &[]);
                p.j.kstrs("agents_removed", &[]);
                p.j.kb("agents_reordered", false);
                p.j.key("max_agents_changed");
                p.j.ob();
                p.j.ku("from", 8);
                p.j.ku("to", 8);
                p.j.oe();
                p.j.ku("phases_before", 24);
                p.j.ku("phases_after", 30);
                p.j.ks("user_feedback", "Use smaller batches");
            })?;
        }
    }

    while out.bytes < target {
        // fill the pool
        while active.len() < max_agents {
            let kind = p.rng.pick(PKINDS);
            let id = format!("{}-agent-{}", kind, next_agent);
            next_agent += 1;
            let a = new_pagent(p.rng, id, kind);
            active.push(a);
        }
        // coordinator chatter
        if p.rng.pct(6) {
            let which = if p.rng.one_in(50) {
                12 + p.rng.below(2)
            } else {
                p.rng.below(12)
            };
            let act = active.len() as u64;
            match which {
                0 => p.ev(&mut out, "resource", "coordinator", "queue_status", |p| {
                    p.j.ku("active_agents", act);
                    p.j.ku("queued_agents", p.rng.below(20));
                    p.j.ku("max_agents", max_agents as u64);
                })?,
                1 => {
                    let done = succeeded + failed;
                    p.ev(&mut out, "cost", "coordinator", "cumulative_cost", |p| {
                        p.j.ks("team_id", "load-test-01");
                        p.j.ku("total_input_tokens", tokens_total * 3 / 4);
                        p.j.ku("total_output_tokens", tokens_total / 4);
                        p.j.ku("total_cache_read_tokens", tokens_total / 3);
                        p.j.ku("total_cache_write_tokens", tokens_total / 20);
                        p.j.kfx("estimated_cost_usd", cost_micro.max(100), 6);
                        p.j.key("cost_by_model");
                        p.j.ob();
                        p.j.kfx("claude-sonnet-4-5", (cost_micro * 7 / 10).max(100), 6);
                        p.j.kfx("claude-haiku-4-5", (cost_micro * 3 / 10).max(100), 6);
                        p.j.oe();
                        p.j.key("cost_by_agent");
                        p.j.raw("{}");
                        p.j.ku("agents_completed", done);
                        p.j.ku("agents_remaining", act);
                    })?
                }
                2 => p.ev(
                    &mut out,
                    "cost",
                    "coordinator",
                    "utilization_snapshot",
                    |p| {
                        let t = p.t;
                        p.j.kts("timestamp", t, Ts::MsZ);
                        p.j.ku("active_agents", act);
                        p.j.ku("max_agents", max_agents as u64);
                        p.j.ku("queued_agents", p.rng.below(20));
                        p.j.kfx("utilization_percent", act * 1000 / max_agents as u64, 1);
                        p.j.ku(
                            "slots_available",
                            max_agents as u64 - act.min(max_agents as u64),
                        );
                        p.j.kfx("throughput_agents_per_minute", p.rng.range(50, 900), 2);
                    },
                )?,
                3 => p.ev(
                    &mut out,
                    "progress",
                    "coordinator",
                    "milestone_reached",
                    |p| {
                        p.j.ks("milestone", &format!("batch {} complete", phase));
                        p.j.ku("total_tests", succeeded * 6);
                        p.j.ku("success_count", succeeded);
                        p.j.ku("failure_count", failed);
                    },
                )?,
                4 => {
                    phase += 1;
                    let ph = phase;
                    p.ev(&mut out, "timing", "coordinator", "phase_transition", |p| {
                        p.j.ks("from_phase", &format!("batch-{}", ph - 1));
                        p.j.ks("to_phase", &format!("batch-{}", ph));
                        p.j.kfx("transition_duration_seconds", p.rng.range(10, 5000), 3);
                        p.j.kfx("idle_time_seconds", p.rng.range(1, 900), 3);
                        p.j.ks("overhead_description", "waiting for slowest agent in batch");
                    })?
                }
                5 => p.ev(
                    &mut out,
                    "coordination",
                    "coordinator",
                    "parallel_execution_start",
                    |p| {
                        p.j.ku("active_agents", act);
                        p.j.ku("max_agents", max_agents as u64);
                        p.j.key("agent_ids");
                        p.j.ab();
                        for a in active.iter() {
                            p.j.item_s(&a.id);
                        }
                        p.j.ae();
                    },
                )?,
                6 => p.ev(
                    &mut out,
                    "coordination",
                    "coordinator",
                    "parallel_execution_complete",
                    |p| {
                        p.j.ku("total_tests", p.rng.range(10, 80));
                        p.j.ku("successful_agents", p.rng.range(5, 8));
                        p.j.ku("failed_agents", if p.rng.pct(5) { 1 } else { 0 });
                        p.j.kfx("duration_seconds", p.rng.range(10_000, 900_000), 3);
                    },
                )?,
                7 => p.ev(&mut out, "data_flow", "coordinator", "data_passed", |p| {
                    p.j.ks(
                        "from_agent",
                        &format!("write-agent-{}", p.rng.range(1, next_agent)),
                    );
                    p.j.ks("to_agent", "execute-agent");
                    p.j.ks("from_phase", "write");
                    p.j.ks("to_phase", "execute");
                    p.j.ks("data_type", "test_files");
                    p.j.ku("data_size_chars", p.rng.range(500, 20_000));
                    p.j.ks(
                        "data_summary",
                        &format!(
                            "{} test functions in test_{}.py",
                            p.rng.range(1, 20),
                            p.rng.pick(&["user_service", "billing", "orders"])
                        ),
                    );
                    p.j.kstrs("fields_passed", &["test_file", "test_count", "framework"]);
                })?,
                8 => p.ev(
                    &mut out,
                    "data_flow",
                    "coordinator",
                    "file_conflict_check",
                    |p| {
                        p.j.ks("team_id", "load-test-01");
                        p.j.kstrs("layers_checked", &["unit", "integration"]);
                        let c = p.rng.pct(3);
                        p.j.kb("conflicts_found", c);
                        let cf: &[&str] = if c { &["tests/conftest.py"] } else { &[] };
                        p.j.kstrs("conflicting_files", cf);
                        p.j.kstrs("conflicting_layers", &[]);
                        p.j.ks("action_taken", if c { "rejected" } else { "allowed" });
                    },
                )?,
                9 => p.ev(
                    &mut out,
                    "dependency",
                    "coordinator",
                    "phase_planned",
                    |p| {
                        p.j.ku("phase_number", phase);
                        p.j.kstrs("agents", &["write", "execute"]);
                        p.j.kb("parallel", true);
                        p.j.kstrs("blocked_by", &["analyze"]);
                        p.j.kfx("estimated_duration_seconds", p.rng.range(1000, 100_000), 1);
                    },
                )?,
                10 => p.ev(&mut out, "test", "coordinator", "suite_discovered", |p| {
                    p.j.ks("framework", "pytest");
                    p.j.ks(
                        "suite_name",
                        &format!(
                            "tests/unit/test_{}.py",
                            p.rng.pick(&["user_service", "billing", "orders", "retry"])
                        ),
                    );
                    p.j.ku("test_count", p.rng.range(3, 60));
                    p.j.ks("file_path", "tests/unit");
                    p.j.kfx("discovery_duration_ms", p.rng.range(100, 90_000), 2);
                    p.j.ku("parametrized_count", p.rng.below(10));
                    p.j.kstrs("markers", &["unit"]);
                })?,
                12 => p.ev(&mut out, "resource", "coordinator", "limit_reached", |p| {
                    p.j.ks("limit_type", "max_agents");
                    p.j.ku("current", max_agents as u64);
                    p.j.ku("max", max_agents as u64);
                    p.j.ks("action", "queue");
                })?,
                13 => p.ev(&mut out, "resource", "coordinator", "timeout", |p| {
                    p.j.kfx("elapsed_seconds", p.rng.range(6000, 7000), 1);
                    p.j.kb("aborted", false);
                    p.j.ku("active_agents", act);
                })?,
                _ => p.ev(&mut out, "timing", "coordinator", "overhead_summary", |p| {
                    p.j.kfx(
                        "total_wall_clock_seconds",
                        p.rng.range(100_000, 9_000_000),
                        2,
                    );
                    p.j.kfx(
                        "total_agent_work_seconds",
                        p.rng.range(100_000, 9_000_000),
                        2,
                    );
                    p.j.kfx("total_overhead_seconds", p.rng.range(1000, 900_000), 2);
                    p.j.kfx("overhead_percent", p.rng.range(100, 4000), 2);
                    p.j.kfx("queue_wait_total_seconds", p.rng.range(100, 90_000), 2);
                    p.j.kfx("backoff_wait_total_seconds", p.rng.range(100, 9000), 2);
                    p.j.kfx("phase_transition_total_seconds", p.rng.range(100, 9000), 2);
                    p.j.kfx("framework_tax_percent", p.rng.range(100, 3000), 2);
                })?,
            }
            continue;
        }
        // advance one agent
        let i = p.rng.below(active.len() as u64) as usize;
        let step = active[i].steps[active[i].at];
        active[i].at += 1;
        agent_step(&mut p, &mut out, &mut active[i], step)?;
        match step {
            Step::TokenUsage => {
                let a = &active[i];
                tokens_total += a.tokens_in + a.tokens_out;
                cost_micro += a.tokens_in * 3 + a.tokens_out * 15;
            }
            Step::Completed => succeeded += 1,
            Step::Failed => failed += 1,
            Step::Spawned => spawned += 1,
            _ => {}
        }
        if active[i].at == active[i].steps.len() {
            active.swap_remove(i);
        }
    }
    // drain: let every running agent finish (no new spawns), so spawned == succeeded + failed
    while !active.is_empty() {
        let i = p.rng.below(active.len() as u64) as usize;
        let step = active[i].steps[active[i].at];
        active[i].at += 1;
        agent_step(&mut p, &mut out, &mut active[i], step)?;
        match step {
            Step::TokenUsage => {
                let a = &active[i];
                tokens_total += a.tokens_in + a.tokens_out;
                cost_micro += a.tokens_in * 3 + a.tokens_out * 15;
            }
            Step::Completed => succeeded += 1,
            Step::Failed => failed += 1,
            Step::Spawned => spawned += 1,
            _ => {}
        }
        if active[i].at == active[i].steps.len() {
            active.swap_remove(i);
        }
    }
    // epilogue
    let (sp, su, fa, tt, cm, n) = (
        spawned,
        succeeded,
        failed,
        tokens_total,
        cost_micro.max(100),
        p.n + 2,
    );
    p.ev(&mut out, "environment", "coordinator", "session_end", |p| {
        p.j.ks("session_id", "4f0c6a52-9d1e-4b7a-a3c2-6e8f1d2b9a70");
        p.j.kfx("total_duration_seconds", ((p.t - BASE_US) / 1000) as u64, 3);
        p.j.ks("exit_status", "success");
        p.j.ku("teams_executed", 1);
        p.j.ku("total_agents_spawned", sp);
        p.j.ku("total_tokens_consumed", tt);
        p.j.kfx("total_estimated_cost_usd", cm, 6);
        p.j.ku("telemetry_events_logged", n);
        p.j.ku("log_file_size_bytes", 0);
    })?;
    p.ev(&mut out, "lifecycle", "coordinator", "team_complete", |p| {
        p.j.ks("team_id", "load-test-01");
        p.j.ks("team_name", "load-test");
        p.j.kfx("total_duration_seconds", ((p.t - BASE_US) / 1000) as u64, 3);
        p.j.ku("total_agents_spawned", sp);
        p.j.ku("agents_succeeded", su);
        p.j.ku("agents_failed", fa);
        p.j.ku("total_phases", phase);
        p.j.ku("total_tokens_consumed", tt);
        p.j.kfx("total_estimated_cost_usd", cm, 6);
        p.j.ku("exit_code", 0);
        p.j.ku("telemetry_events_logged", n);
        p.j.ks("log_file_path", ".claude/telemetry-2026-02-09T11-30-00.log");
    })?;
    out.finish()
}

struct Pipe<'r> {
    rng: &'r mut Rng,
    j: J,
    line: Vec<u8>,
    t: i64,
    n: u64,
    txt: String,
}

impl<'r> Pipe<'r> {
    fn ev(
        &mut self,
        out: &mut Out,
        etype: &str,
        agent: &str,
        status: &str,
        meta: impl FnOnce(&mut Pipe<'r>),
    ) -> io::Result<()> {
        self.t += self.rng.range(1_000, 30_000) as i64;
        self.j.clear();
        self.j.ob();
        meta(self);
        self.j.oe();
        self.line.clear();
        push_ts(
            &mut self.line,
            self.t,
            if self.n.is_multiple_of(2) {
                Ts::MsZ
            } else {
                Ts::MsUtc
            },
        );
        self.line.extend_from_slice(b" | ");
        self.line.extend_from_slice(etype.as_bytes());
        self.line.extend_from_slice(b" | ");
        self.line.extend_from_slice(agent.as_bytes());
        self.line.extend_from_slice(b" | ");
        self.line.extend_from_slice(status.as_bytes());
        self.line.extend_from_slice(b" | ");
        self.line.extend_from_slice(&self.j.b);
        self.n += 1;
        out.maybe_malformed(self.rng, Some(&self.line[..]))?;
        out.line(&self.line)
    }
}

fn new_pagent(rng: &mut Rng, id: String, kind: &'static str) -> PAgent {
    use Step::*;
    let mut s = Vec::with_capacity(32);
    if rng.pct(40) {
        s.push(Queued);
        s.push(Dequeued);
    }
    s.extend_from_slice(&[Spawned, ModelResolved, TaskAssigned, Start]);
    if rng.pct(50) {
        s.push(DepWaiting);
        s.push(DepSatisfied);
        s.push(DepsResolved);
    }
    if rng.pct(30) {
        s.push(QueueWait);
    }
    s.push(Prompt);
    let fail = rng.one_in(100);
    for _ in 0..rng.range(1, 4) {
        s.push(FileRead);
    }
    for _ in 0..rng.range(1, 4) {
        s.push(Progress);
    }
    if rng.pct(30) {
        s.push(AgentMessage);
    }
    if rng.pct(5) {
        s.extend_from_slice(&[ValidationCheck, ErrorClassified, RetryDecision, Backoff]);
    }
    if rng.pct(2) {
        s.push(ModelFallback);
    }
    if rng.pct(2) {
        s.push(TimeoutWarning);
    }
    s.extend_from_slice(&[Output, Parsed]);
    if kind == "write" || kind == "fix" {
        for _ in 0..rng.range(1, 3) {
            s.push(FileWritten);
        }
    }
    if kind == "execute" || kind == "validate" {
        s.push(ExecStart);
        s.push(FixtureSetup);
        for _ in 0..rng.range(2, 6) {
            s.push(CaseStart);
            s.push(CaseResult);
            if rng.pct(10) {
                s.push(OutputCaptured);
            }
            if rng.pct(4) {
                s.push(TestRetry);
            }
        }
        s.push(FixtureTeardown);
        s.push(ExecComplete);
        s.push(TestSummary);
        if rng.pct(40) {
            s.push(Coverage);
        }
    }
    s.push(TokenUsage);
    if rng.pct(30) {
        s.push(Memory);
    }
    if fail {
        s.push(ErrorClassified);
        s.push(StateTransition);
        s.push(Failed);
    } else {
        s.push(Completed);
    }
    let file = rng.pick(PFILES).to_string();
    PAgent {
        id,
        kind,
        steps: s,
        at: 0,
        started_us: 0,
        tokens_in: 0,
        tokens_out: 0,
        file,
    }
}

fn agent_step(p: &mut Pipe, out: &mut Out, a: &mut PAgent, step: Step) -> io::Result<()> {
    use Step::*;
    let id = a.id.clone();
    let id = id.as_str();
    match step {
        TaskAssigned => {
            let f = a.file.clone();
            p.ev(out, "coordination", "coordinator", "task_assigned", |p| {
                p.j.ks("agent", id);
                p.j.ks("target", &f);
                p.j.ku("batch", p.rng.range(1, 30));
                p.j.key("targets");
                p.j.ab();
                p.j.item_s(&f);
                p.j.ae();
            })
        }
        DepsResolved => p.ev(out, "coordination", "coordinator", "dependencies_resolved", |p| {
            p.j.ks("agent", id);
            p.j.kstrs("waited_for", &["analyze-agent"]);
        }),
        CaseStart => p.ev(out, "test", id, "test_case_start", |p| {
            p.j.ks("test_name", &format!("test_{}_{}", p.rng.pick(&["create", "update", "delete", "retry", "parse"]), p.rng.below(100)));
            p.j.ks("test_file", "tests/unit/test_user_service.py");
            p.j.ks("test_class", "TestUserService");
            p.j.knull("parametrize_id");
            p.j.kstrs("markers", &["unit"]);
            p.j.kstrs("fixtures", &["db_session", "client"]);
        }),
        FixtureSetup | FixtureTeardown => {
            let status = if step == FixtureSetup { "test_fixture_setup" } else { "test_fixture_teardown" };
            p.ev(out, "test", id, status, |p| {
                p.j.ks("fixture_name", "db_session");
                p.j.ks("scope", "module");
                p.j.kfx("duration_seconds", p.rng.range(1, 3000), 3);
                p.j.kb("success", true);
                p.j.knull("error");
            })
        }
        OutputCaptured => p.ev(out, "test", id, "test_output_captured", |p| {
            p.j.ks("test_name", "test_retry_backoff");
            p.j.ks("stream", "stdout");
            p.txt.clear();
            let n = p.rng.range(40, 300) as usize;
            sentence(p.rng, &mut p.txt, n);
            let len = p.txt.len() as u64;
            let txt = std::mem::take(&mut p.txt);
            p.j.ks("content", &txt);
            p.txt = txt;
            p.j.ku("content_length_chars", len);
        }),
        TestRetry => p.ev(out, "test", id, "test_retry", |p| {
            p.j.ks("test_name", "test_flaky_network_call");
            p.j.ku("retry_count", 1);
            p.j.ku("max_retries", 2);
            p.j.ks("previous_status", "failed");
            p.j.ks("previous_error", "ConnectionResetError: [Errno 104] Connection reset by peer");
        }),
        TestSummary => p.ev(out, "test", id, "test_summary", |p| {
            let passed = p.rng.range(3, 40);
            let failed = if p.rng.pct(20) { p.rng.range(1, 4) } else { 0 };
            p.j.ku("total", passed + failed);
            p.j.ku("passed", passed);
            p.j.ku("failed", failed);
            p.j.ku("skipped", 0);
            p.j.ku("errors", 0);
            p.j.ku("xfailed", 0);
            p.j.ku("xpassed", 0);
            p.j.kfx("duration_seconds", p.rng.range(100, 90_000), 3);
            p.j.kfx("pass_rate", passed * 10_000 / (passed + failed), 2);
            p.j.key("slowest_tests");
            p.j.ab();
            p.j.ae();
            p.j.key("failure_categories");
            p.j.raw("{}");
        }),
        Queued => p.ev(out, "resource", "coordinator", "agent_queued", |p| {
            p.j.ks("agent", id);
            p.j.ku("active_agents", 8);
            p.j.ku("queued_agents", p.rng.range(1, 20));
            p.j.ku("max_agents", 8);
        }),
        Dequeued => p.ev(out, "resource", "coordinator", "agent_dequeued", |p| {
            p.j.ks("agent", id);
            p.j.ku("active_agents", 8);
            p.j.ku("queued_agents", p.rng.below(20));
        }),
        Spawned => {
            a.started_us = p.t;
            let kind = a.kind;
            p.ev(out, "lifecycle", id, "spawned", |p| {
                p.j.ks("parent", "coordinator");
                p.j.ku("depth", 2);
                p.j.ks("agent_type", kind);
                p.j.ks("team_id", "load-test-01");
            })
        }
        ModelResolved => p.ev(out, "config", "coordinator", "model_resolved", |p| {
            p.j.ks("agent_name", id);
            p.j.ks("resolved_model", p.rng.pick(PMODELS));
            p.j.ks("resolution_source", p.rng.pick(&["team_frontmatter", "agent_default", "cli_override"]));
            p.j.kfx("timeout_seconds", 6000, 1);
        }),
        Start => {
            let f = a.file.clone();
            p.ev(out, "lifecycle", id, "start", |p| {
                p.j.ks("assigned_task", &format!("Generate tests for {}", f));
                p.j.ks("parent", "coordinator");
            })
        }
        DepWaiting => p.ev(out, "dependency", id, "dependency_waiting", |p| {
            p.j.ks("agent", id);
            p.j.kstrs("waiting_for", &["analyze-agent"]);
            p.j.kstrs("resolved", &[]);
            p.j.kstrs("remaining", &["analyze-agent"]);
            let t = p.t;
            p.j.kts("wait_start_timestamp", t, Ts::MsZ);
        }),
        DepSatisfied => p.ev(out, "dependency", id, "dependency_satisfied", |p| {
            p.j.ks("agent", id);
            p.j.ks("dependency", "analyze-agent");
            p.j.kfx("resolution_duration_seconds", p.rng.range(100, 90_000), 3);
            p.j.kstrs("unblocked_agents", &[id]);
        }),
        QueueWait => p.ev(out, "timing", id, "queue_wait_time", |p| {
            p.j.ks("agent_id", id);
            let t = p.t;
            p.j.kts("queue_entry_time", t - 4_000_000, Ts::MsZ);
            p.j.kts("queue_exit_time", t, Ts::MsZ);
            p.j.kfx("wait_duration_seconds", p.rng.range(100, 90_000), 3);
            p.j.ku("queue_position_at_entry", p.rng.range(1, 20));
            p.j.ku("agents_ahead_at_entry", p.rng.range(0, 19));
        }),
        Prompt => {
            let f = a.file.clone();
            p.ev(out, "agent_io", id, "prompt_constructed", |p| {
                p.j.ks("agent_id", id);
                p.txt.clear();
                p.txt.push_str("You are a test writer. Target: ");
                p.txt.push_str(&f);
                p.txt.push_str(". ");
                let n = p.rng.range(150, 600) as usize;
                sentence(p.rng, &mut p.txt, n);
                let len = p.txt.len() as u64;
                let txt = std::mem::take(&mut p.txt);
                p.j.ks("prompt_text", &txt);
                p.txt = txt;
                p.j.ku("prompt_length_chars", len);
                p.j.ku("prompt_estimated_tokens", len / 4);
                p.j.ks("model", p.rng.pick(PMODELS));
                p.j.kb("includes_context", true);
            })
        }
        Progress => {
            let f = a.file.clone();
            p.ev(out, "progress", id, "update", |p| {
                p.j.ku("tests_written", p.rng.range(0, 20));
                p.j.ks("current_file", &f);
                p.j.ku("percent_complete", p.rng.range(5, 95));
                p.j.ku("files_processed", p.rng.range(0, 5));
                p.j.ks("message", "Writing test cases | covering edge cases");
            })
        }
        FileRead => p.ev(out, "agent_io", id, "file_read", |p| {
            p.j.ks("agent_id", id);
            p.j.ks("file_path", p.rng.pick(PFILES));
            p.j.ku("size_bytes", p.rng.range(200, 60_000));
            p.j.ku("line_count", p.rng.range(10, 1500));
            p.j.kfx("read_duration_ms", p.rng.range(10, 9000), 2);
        }),
        FileWritten => {
            let f = a.file.clone();
            p.ev(out, "agent_io", id, "file_written", |p| {
                p.j.ks("agent_id", id);
                let base = f.rsplit('/').next().unwrap_or("x.py").to_string();
                p.j.ks("file_path", &format!("tests/unit/test_{}", base));
                p.j.ks("operation", p.rng.pick(&["create", "overwrite", "append"]));
                p.j.ku("size_bytes", p.rng.range(300, 30_000));
                p.j.ku("line_count", p.rng.range(10, 800));
                p.j.ks("encoding", "utf-8");
            })
        }
        AgentMessage => p.ev(out, "data_flow", id, "agent_message", |p| {
            p.j.ks("from_agent", id);
            p.j.ks("to_agent", "coordinator");
            p.j.ks("message_type", p.rng.pick(&["request", "response", "notification"]));
            p.j.ks("message_summary", "Shared fixtures available in tests/conftest.py");
            p.j.ku("message_length_chars", p.rng.range(40, 400));
            let t = p.t;
            p.j.kts("timestamp", t, Ts::MsZ);
        }),
        Output => {
            a.tokens_in = p.rng.range(2_000, 60_000);
            a.tokens_out = p.rng.range(300, 8_000);
            let dur = (p.t - a.started_us).max(1000) as u64 / 1000;
            p.ev(out, "agent_io", id, "output_received", |p| {
                p.j.ks("agent_id", id);
                p.txt.clear();
                let n = p.rng.range(200, 700) as usize;
                sentence(p.rng, &mut p.txt, n);
                let len = p.txt.len() as u64;
                let txt = std::mem::take(&mut p.txt);
                p.j.ks("output_text", &txt);
                p.txt = txt;
                p.j.ku("output_length_chars", len);
                p.j.ku("output_estimated_tokens", len / 4);
                p.j.kfx("duration_seconds", dur, 3);
            })
        }
        Parsed => p.ev(out, "agent_io", id, "output_parsed", |p| {
            p.j.ks("agent_id", id);
            p.j.kstrs("parsed_fields", &["test_file", "test_count", "framework"]);
            let ok = !p.rng.one_in(50);
            p.j.kb("parse_success", ok);
            let pe: &[&str] = if ok { &[] } else { &["missing field: framework"] };
            p.j.kstrs("parse_errors", pe);
            p.j.key("structured_output");
            p.j.ob();
            p.j.ku("test_count", p.rng.range(1, 20));
            p.j.ks("framework", "pytest");
            p.j.oe();
        }),
        ExecStart => p.ev(out, "test", id, "execution_start", |p| {
            p.j.ks("framework", "pytest");
            p.j.ku("test_count", p.rng.range(3, 40));
            p.j.ks("command", "pytest tests/unit -q --tb=short");
            p.j.ks("target_path", "tests/unit");
        }),
        CaseResult => p.ev(out, "test", id, "test_case_result", |p| {
            let pass = p.rng.pct(92);
            p.j.ks("test_name", &format!("test_{}_{}", p.rng.pick(&["create", "update", "delete", "retry", "parse"]), p.rng.below(100)));
            p.j.ks("test_file", "tests/unit/test_user_service.py");
            p.j.ks("status", if pass { "passed" } else { "failed" });
            p.j.kfx("duration_seconds", p.rng.range(1, 5000), 3);
            if pass {
                p.j.knull("failure_message");
                p.j.knull("failure_traceback");
            } else {
                p.j.ks("failure_message", "AssertionError: assert 404 == 200");
                p.j.ks("failure_traceback", "tests/unit/test_user_service.py:42: in test_get_user\n    assert resp.status_code == 200\nE   AssertionError: assert 404 == 200");
            }
            p.j.knull("stdout_capture");
            p.j.knull("stderr_capture");
            p.j.ku("assertions_checked", p.rng.range(1, 8));
        }),
        ExecComplete => p.ev(out, "test", id, "execution_complete", |p| {
            let passed = p.rng.range(3, 40);
            let failed = if p.rng.pct(20) { p.rng.range(1, 4) } else { 0 };
            let skipped = p.rng.below(3);
            p.j.ku("passed", passed);
            p.j.ku("failed", failed);
            p.j.ku("skipped", skipped);
            p.j.kfx("duration_seconds", p.rng.range(100, 90_000), 3);
            p.j.kfx("pass_rate", passed * 10_000 / (passed + failed).max(1), 2);
        }),
        Coverage => p.ev(out, "test", id, "coverage_report", |p| {
            let total = p.rng.range(200, 5000);
            let covered = total * p.rng.range(50, 99) / 100;
            p.j.ku("total_statements", total);
            p.j.ku("covered_statements", covered);
            p.j.ku("missing_statements", total - covered);
            p.j.kfx("coverage_percent", covered * 10_000 / total, 2);
            p.j.knull("branch_coverage_percent");
            p.j.key("uncovered_lines");
            p.j.ob();
            p.j.key("src/services/user_service.py");
            p.j.ab();
            for _ in 0..p.rng.range(1, 6) {
                let l = p.rng.range(1, 400);
                p.j.item_u(l);
            }
            p.j.ae();
            p.j.oe();
            p.j.ku("files_covered", p.rng.range(1, 30));
            p.j.ku("files_total", 30);
        }),
        ValidationCheck => p.ev(out, "error", id, "validation_check", |p| {
            p.j.ks("check_name", "output_schema");
            p.j.ks("field", "framework");
            p.j.ks("result", "failed");
            p.j.ks("expected", "pytest");
            p.j.ks("actual", "null");
            p.j.ks("suggestion", "re-prompt with explicit framework");
        }),
        RetryDecision => p.ev(out, "error", id, "retry_decision", |p| {
            p.j.ks("agent_id", id);
            p.j.kb("should_retry", true);
            p.j.ku("retry_count", 1);
            p.j.ku("max_retries", 2);
            p.j.ks("failure_reason", "output failed validation");
            p.j.kfx("backoff_chosen_seconds", p.rng.range(10, 300), 1);
            p.j.ks("failure_handling_strategy", "retry_with_backoff");
            p.j.kb("is_critical_agent", false);
        }),
        Backoff => p.ev(out, "timing", id, "backoff_wait", |p| {
            p.j.ks("agent_id", id);
            p.j.ku("retry_attempt", 1);
            p.j.kfx("backoff_seconds", p.rng.range(10, 300), 1);
            let t = p.t;
            p.j.kts("backoff_start", t, Ts::MsZ);
            p.j.kts("backoff_end", t + 2_000_000, Ts::MsZ);
            p.j.ks("reason", "validation failure");
        }),
        ErrorClassified => p.ev(out, "error", id, "error_classified", |p| {
            p.j.ks("agent_id", id);
            p.j.ks("error_category", p.rng.pick(&["validation", "timeout", "tool_failure", "model_error"]));
            p.j.ks("raw_error", &format!("Exit code {}: pytest collection failed", p.rng.range(1, 5)));
            p.j.ks("classified_severity", p.rng.pick(&["low", "medium", "high", "critical"]));
            p.j.ks("suggested_action", "retry");
            p.j.knull("stack_trace");
        }),
        StateTransition => p.ev(out, "error", id, "state_transition", |p| {
            p.j.ks("agent_id", id);
            p.j.ks("from_state", "running");
            p.j.ks("to_state", "failed");
            p.j.ks("trigger", "max_retries_exceeded");
            p.j.key("before_snapshot");
            p.j.raw("{}");
            p.j.key("after_snapshot");
            p.j.raw("{}");
            p.j.kb("transition_valid", true);
        }),
        TimeoutWarning => p.ev(out, "resource", id, "timeout_warning", |p| {
            let el = p.rng.range(4_000, 5_900);
            p.j.kfx("elapsed_seconds", el, 1);
            p.j.kfx("timeout_seconds", 6000, 1);
            p.j.kfx("remaining_seconds", 6000 - el, 1);
        }),
        ModelFallback => p.ev(out, "cost", id, "model_fallback", |p| {
            p.j.ks("agent_id", id);
            p.j.ks("original_model", "claude-opus-4-1");
            p.j.ks("fallback_model", "claude-sonnet-4-5");
            p.j.ks("failure_reason", "overloaded_error");
            p.j.ku("attempt_count", 2);
            p.j.kfx("fallback_timeout_seconds", 300, 1);
        }),
        TokenUsage => {
            let (ti, to) = (a.tokens_in, a.tokens_out);
            p.ev(out, "resource", id, "token_usage", |p| {
                let cr = p.rng.below(ti);
                p.j.ks("agent_id", id);
                p.j.ku("input_tokens", ti);
                p.j.ku("output_tokens", to);
                p.j.ku("total_tokens", ti + to);
                p.j.ku("cache_read_tokens", cr);
                p.j.ku("cache_write_tokens", p.rng.below(2000));
                p.j.ks("model", p.rng.pick(PMODELS));
                p.j.kfx("cost_estimate_usd", (ti * 3 + to * 15).max(100), 6);
                p.j.kfx("context_window_utilization", ti * 10_000 / 200_000 + 1, 4);
            })
        }
        Memory => p.ev(out, "cost", id, "memory_snapshot", |p| {
            let used = p.rng.range(2000, 190_000);
            p.j.ks("agent_id", id);
            p.j.ks("snapshot_point", "post_output");
            p.j.ku("context_used_tokens", used);
            p.j.ku("context_max_tokens", 200_000);
            p.j.kfx("utilization_percent", used * 100 / 200_000 * 100 + 1, 2);
            p.j.knull("cache_hit_rate");
        }),
        Completed => {
            let dur = (p.t - a.started_us).max(1000) as u64 / 1000;
            let (ti, to) = (a.tokens_in, a.tokens_out);
            let f = a.file.clone();
            p.ev(out, "lifecycle", id, "completed", |p| {
                p.j.kfx("duration_seconds", dur, 3);
                p.j.ks("output_summary", &format!("{} tests for {} | all passing", p.rng.range(1, 20), f));
                p.j.ku("tests_generated", p.rng.range(1, 20));
                p.j.ku("files_processed", p.rng.range(1, 4));
                p.j.key("token_usage");
                p.j.ob();
                p.j.ku("input_tokens", ti);
                p.j.ku("output_tokens", to);
                p.j.oe();
                p.j.ks("model_used", p.rng.pick(PMODELS));
                p.j.ku("retry_count", 0);
            })
        }
        Failed => {
            let dur = (p.t - a.started_us).max(1000) as u64 / 1000;
            p.ev(out, "lifecycle", id, "failed", |p| {
                p.j.ks("reason", p.rng.pick(&["timeout", "validation failed after retries", "tool crashed"]));
                p.j.ku("retries", 2);
                p.j.ks("last_error", "pytest exited with code 2 (collection error)");
                p.j.kfx("duration_seconds", dur, 3);
            })
        }
    }
}

// ------------------------------------------------------------------------------------------------
// 3. Claude Code hook JSONL (schema A), compact, one object per line

const HTOOLS: &[&str] = &[
    "Read", "Edit", "Write", "Bash", "Grep", "Glob", "Task", "WebFetch",
];
const PROJECT: &str = "/home/jeff/claude-code/agent-telemetry";
const HFILES: &[&str] = &[
    "scripts/alert-engine.py",
    "scripts/notification-dispatcher.py",
    "scripts/analytics/data-processor.py",
    "config/alerts/security-rules.yaml",
    "config/loki/loki-config.yaml",
    "config/claude/hooks/telemetry-hook.sh",
    "docs/claude-agent-telemetry.md",
    "src/collector/ingest.rs",
    "src/collector/rules.rs",
    "tests/test_alert_engine.py",
    "README.md",
];
const OUTSIDE: &[&str] = &[
    "/etc/hosts",
    "/home/jeff/.ssh/config",
    "/home/jeff/.aws/credentials",
    "/etc/nginx/nginx.conf",
];
const COMMANDS: &[&str] = &[
    "git status",
    "git diff --stat",
    "cargo test --release -- --nocapture",
    "python3 scripts/alert-engine.py --once",
    "ls -la data/logs",
    "tail -n 50 data/logs/claude-telemetry.jsonl",
    "curl -s http://localhost:3100/ready",
    "docker compose ps",
    "npm run lint",
    "grep -rn TODO src | head -20",
    "pytest -q tests/test_alert_engine.py",
    "rm -rf target/tmp && mkdir -p target/tmp",
];
const PATTERNS: &[&str] = &[
    "fn\\s+main",
    "TODO|FIXME",
    "outside_project_scope",
    "import (json|yaml)",
    "def \\w+_rule",
    "\"severity\"",
];
const GLOBS: &[&str] = &[
    "**/*.py",
    "**/*.rs",
    "config/**/*.yaml",
    "*.md",
    "scripts/**/*.sh",
];
const SUBAGENTS: &[&str] = &["general-purpose", "code-reviewer", "test-runner", "Explore"];

struct HCall {
    session: usize,
    tool: &'static str,
    path: String,
    outside: bool,
    t0: i64,
    input: Vec<u8>,
    aux: u64,
}

struct Session {
    id: Uuid,
    prompt: String,
    personas: &'static str,
    reasoning: &'static str,
    workflow: &'static str,
}

fn gen_hook(dir: &Path, seed: u64, target: u64) -> io::Result<FileStat> {
    let mut rng = Rng::new(seed, 3);
    let mut out = Out::create(dir.join("claude-telemetry.jsonl"))?;
    let mut sessions = Vec::new();
    for _ in 0..24 {
        let mut prompt = String::new();
        let n = rng.range(40, 320) as usize;
        sentence(&mut rng, &mut prompt, n);
        let sc = rng.pct(30);
        sessions.push(Session {
            id: rng.uuid(),
            prompt,
            personas: if sc {
                rng.pick(&["architect", "security", "analyzer,qa"])
            } else {
                ""
            },
            reasoning: if sc {
                rng.pick(&["standard", "hard", "ultra"])
            } else {
                "none"
            },
            workflow: if sc { "superclaude" } else { "standard" },
        });
    }
    let mut j = J::new(false);
    let mut ij = J::new(false);
    let mut txt = String::with_capacity(2048);
    let mut t: i64 = BASE_US + 5_000_000;
    let mut open: Vec<HCall> = Vec::new();

    while out.bytes < target {
        t += if rng.pct(60) {
            0
        } else {
            rng.range(1, 3) as i64 * 1_000_000
        };
        // ~0.1% fallback records
        if rng.one_in(1000) {
            j.clear();
            j.ob();
            j.kts("timestamp", t, Ts::SecMinus4);
            j.ks("level", "ERROR");
            j.ks("event_type", "telemetry_error");
            j.ks("tool_name", rng.pick(HTOOLS));
            j.ks("session_id", sessions[rng.below(24) as usize].id.as_str());
            j.ks("error", "Failed to create telemetry entry");
            j.oe();
            out.maybe_malformed(&mut rng, Some(&j.b[..]))?;
            out.line(&j.b)?;
            continue;
        }
        let post = !open.is_empty() && (open.len() >= 6 || rng.pct(50));
        let call = if post {
            let k = rng.below(open.len().min(3) as u64) as usize;
            open.remove(k)
        } else {
            // new PreToolUse
            let session = rng.below(24) as usize;
            let tool = HTOOLS[rng.weighted(&[30, 15, 6, 22, 10, 7, 4, 3])];
            // Read/Edit/Write are ~half of all calls: 1 in 100 of them gives ~0.5 % of records
            let outside = rng.one_in(100) && matches!(tool, "Read" | "Edit" | "Write");
            let path = if outside {
                rng.pick(OUTSIDE).to_string()
            } else {
                format!("{}/{}", PROJECT, rng.pick(HFILES))
            };
            ij.clear();
            ij.ob();
            let aux = rng.range(1, 400);
            match tool {
                "Read" => {
                    ij.ks("file_path", &path);
                    if rng.pct(30) {
                        ij.ku("offset", rng.range(1, 400));
                        ij.ku("limit", rng.pick(&[50, 100, 200]));
                    }
                }
                "Edit" => {
                    ij.ks("file_path", &path);
                    txt.clear();
                    sentence_in(&mut rng, &mut txt, 20, 200);
                    ij.ks("old_string", &txt);
                    txt.push_str("\n    return result");
                    ij.ks("new_string", &txt);
                    ij.kb("replace_all", rng.one_in(20));
                }
                "Write" => {
                    ij.ks("file_path", &path);
                    txt.clear();
                    txt.push_str("#!/usr/bin/env python3\n\"\"\"");
                    sentence_in(&mut rng, &mut txt, 100, 600);
                    txt.push_str("\"\"\"\n\nimport json\n");
                    ij.ks("content", &txt);
                }
                "Bash" => {
                    ij.ks("command", rng.pick(COMMANDS));
                    txt.clear();
                    sentence(&mut rng, &mut txt, 30);
                    ij.ks("description", &txt);
                }
                "Grep" => {
                    ij.ks("pattern", rng.pick(PATTERNS));
                    ij.ks(
                        "path",
                        &format!("{}/{}", PROJECT, rng.pick(&["src", "scripts", "config"])),
                    );
                    ij.ks(
                        "output_mode",
                        rng.pick(&["files_with_matches", "content", "count"]),
                    );
                }
                "Glob" => {
                    ij.ks("pattern", rng.pick(GLOBS));
                    ij.ks("path", PROJECT);
                }
                "Task" => {
                    txt.clear();
                    sentence(&mut rng, &mut txt, 30);
                    ij.ks("description", &txt);
                    txt.clear();
                    sentence_in(&mut rng, &mut txt, 100, 500);
                    ij.ks("prompt", &txt);
                    ij.ks("subagent_type", rng.pick(SUBAGENTS));
                }
                _ => {
                    ij.ks(
                        "url",
                        &format!(
                            "https://grafana.com/docs/loki/latest/reference/api/#{}",
                            rng.below(50)
                        ),
                    );
                    ij.ks("prompt", "Summarize the push API request format");
                }
            }
            ij.oe();
            HCall {
                session,
                tool,
                path,
                outside,
                t0: t,
                input: ij.b.clone(),
                aux,
            }
        };
        let _ = call.t0;
        let s = &sessions[call.session];
        let tool = call.tool;
        let event_type = match tool {
            "Read" => "file_read",
            "Write" => "file_write",
            "Edit" => "file_edit",
            "Bash" => "command_execution",
            "Grep" => "code_search",
            "Glob" => "file_search",
            "Task" => "sub_agent_delegation",
            _ => "web_fetch",
        };
        let has_path = matches!(tool, "Read" | "Edit" | "Write");
        j.clear();
        j.ob();
        j.kts("timestamp", t, Ts::SecMinus4);
        j.ks("level", "INFO");
        j.ks("event_type", event_type);
        j.ks(
            "hook_event",
            if post { "PostToolUse" } else { "PreToolUse" },
        );
        j.ks("session_id", s.id.as_str());
        j.ks("project_path", PROJECT);
        j.ks("project_name", "agent-telemetry");
        j.ks("tool_name", tool);
        j.kb("telemetry_enabled", true);
        j.key("action_details");
        j.ob();
        let input = std::str::from_utf8(&call.input).unwrap();
        let field = |name: &str| -> Option<String> {
            // tiny extractor for our own compact tool_input: "name":"value"
            let pat = format!("\"{}\":\"", name);
            let start = input.find(&pat)? + pat.len();
            let rest = &input[start..];
            let mut end = 0;
            let bytes = rest.as_bytes();
            while end < bytes.len() {
                if bytes[end] == b'\\' {
                    end += 2;
                    continue;
                }
                if bytes[end] == b'"' {
                    break;
                }
                end += 1;
            }
            Some(rest[..end].to_string())
        };
        let search_path = if tool == "Grep" || tool == "Glob" {
            field("path").unwrap_or_default()
        } else {
            String::new()
        };
        let file_path = if has_path {
            call.path.clone()
        } else {
            search_path.clone()
        };
        j.ks("file_path", &file_path);
        j.ku(
            "size_bytes",
            if has_path && call.aux > 40 {
                call.aux * 97
            } else {
                0
            },
        );
        j.kb("outside_project_scope", call.outside);
        let cmd = if tool == "Bash" {
            field("command").unwrap_or_default()
        } else {
            String::new()
        };
        j.ks("command", &cmd);
        let pattern = if tool == "Grep" || tool == "Glob" {
            field("pattern").unwrap_or_default()
        } else {
            String::new()
        };
        // pattern/path were extracted from already-escaped JSON: splice them raw
        j.key("search_pattern");
        j.raw("\"");
        j.raw(&pattern);
        j.raw("\"");
        j.ks("search_path", &search_path);
        j.key("tool_context");
        j.ob();
        match tool {
            "Read" => {
                j.ks("file_path", &file_path);
                j.knull("limit");
                j.knull("offset");
            }
            "Write" => j.ku("content_length", call.aux * 3 + 120),
            "Edit" => {
                j.ku("old_length", call.aux);
                j.ku("new_length", call.aux + 20);
                j.kb("replace_all", false);
            }
            "Bash" => {
                j.ks("command", &cmd);
                j.ks("description", "Run command");
            }
            "Grep" => {
                j.key("pattern");
                j.raw("\"");
                j.raw(&pattern);
                j.raw("\"");
                j.ks("output_mode", "files_with_matches");
            }
            "Glob" => {
                j.key("pattern");
                j.raw("\"");
                j.raw(&pattern);
                j.raw("\"");
            }
            "Task" => {
                j.ks("description", "Delegated analysis");
                j.ks("subagent_type", SUBAGENTS[(call.aux % 4) as usize]);
            }
            _ => {
                j.ks("url", "https://grafana.com/docs/loki/latest/reference/api/");
                j.ks("prompt", "Summarize the push API request format");
            }
        }
        j.oe();
        j.oe();
        j.key("superclaude_context");
        j.ob();
        j.ks(
            "commands",
            if s.workflow == "superclaude" {
                "/sc:analyze"
            } else {
                ""
            },
        );
        j.ks("personas", s.personas);
        j.ks("reasoning_level", s.reasoning);
        j.ks("mcp_servers", "");
        j.ks(
            "flags",
            if s.reasoning == "ultra" {
                "--ultrathink"
            } else {
                ""
            },
        );
        j.ks("workflow_type", s.workflow);
        j.oe();
        j.key("file_changes");
        if (tool == "Write" || tool == "Edit") && call.aux % 3 != 0 {
            j.ob();
            txt.clear();
            rng.hex_into(&mut txt, 12);
            j.ks("change_id", &txt);
            txt.clear();
            rng.hex_into(&mut txt, 64);
            j.ks("file_hash", &txt);
            j.ks(
                "change_type",
                if post { "post_change" } else { "pre_change" },
            );
            let add = call.aux % 40;
            let rem = call.aux % 17;
            j.ku("diff_lines", add + rem);
            j.ku("lines_added", add);
            j.ku("lines_removed", rem);
            j.oe();
        } else {
            j.raw("{}");
        }
        j.key("metadata");
        j.ob();
        j.ks("claude_version", "4.0");
        j.ks("telemetry_version", "2.0.0");
        j.ks("user_id", "jeff");
        j.ks("scope", "project");
        if s.prompt.len() > 200 {
            let mut pv = s.prompt[..200].to_string();
            pv.push_str("...");
            j.ks("user_prompt_preview", &pv);
        } else {
            j.ks("user_prompt_preview", &s.prompt);
        }
        j.oe();
        j.key("raw_input");
        j.ob();
        j.ks("session_id", s.id.as_str());
        j.ks(
            "transcript_path",
            &format!(
                "/home/jeff/.claude/projects/-home-jeff-claude-code-agent-telemetry/{}.jsonl",
                s.id.as_str()
            ),
        );
        j.ks("cwd", PROJECT);
        j.ks(
            "hook_event_name",
            if post { "PostToolUse" } else { "PreToolUse" },
        );
        j.ks("tool_name", tool);
        j.key("tool_input");
        j.b.extend_from_slice(&call.input);
        if post {
            j.key("tool_response");
            j.ob();
            txt.clear();
            match tool {
                "Read" => {
                    j.ks("type", "text");
                    j.key("file");
                    j.ob();
                    j.ks("filePath", &file_path);
                    txt.push_str("import json\nimport re\n\n");
                    sentence_in(&mut rng, &mut txt, 150, 500);
                    j.ks("content", &txt);
                    j.ku("numLines", call.aux);
                    j.ku("startLine", 1);
                    j.ku("totalLines", call.aux);
                    j.oe();
                }
                "Edit" | "Write" => {
                    j.ks("filePath", &file_path);
                    j.ks("type", if tool == "Write" { "create" } else { "update" });
                    j.key("structuredPatch");
                    j.ab();
                    j.comma();
                    j.ob();
                    j.ku("oldStart", call.aux);
                    j.ku("oldLines", 3);
                    j.ku("newStart", call.aux);
                    j.ku("newLines", 4);
                    j.key("lines");
                    j.ab();
                    j.item_s(" def process(self, record):");
                    txt.push('-');
                    sentence_in(&mut rng, &mut txt, 40, 160);
                    j.item_s(&txt);
                    j.item_s("+    return result");
                    j.ae();
                    j.oe();
                    j.ae();
                    j.kb("userModified", false);
                }
                "Bash" => {
                    sentence_in(&mut rng, &mut txt, 100, 500);
                    j.ks("stdout", &txt);
                    j.ks("stderr", "");
                    j.kb("interrupted", false);
                    j.kb("isImage", false);
                }
                "Grep" | "Glob" => {
                    j.ks("mode", "files_with_matches");
                    j.key("filenames");
                    j.ab();
                    for _ in 0..rng.range(1, 8) {
                        j.item_s(&format!("{}/{}", PROJECT, rng.pick(HFILES)));
                    }
                    j.ae();
                    j.ku("numFiles", rng.range(1, 8));
                    j.ku("durationMs", rng.range(2, 400));
                }
                "Task" => {
                    j.key("content");
                    j.ab();
                    j.comma();
                    j.ob();
                    j.ks("type", "text");
                    sentence_in(&mut rng, &mut txt, 200, 700);
                    j.ks("text", &txt);
                    j.oe();
                    j.ae();
                    j.ku("totalDurationMs", rng.range(2000, 300_000));
                    j.ku("totalTokens", rng.range(2000, 90_000));
                    j.ku("totalToolUseCount", rng.range(1, 40));
                }
                _ => {
                    j.ku("bytes", rng.range(2000, 200_000));
                    j.ku("code", 200);
                    j.ks("codeText", "OK");
                    sentence_in(&mut rng, &mut txt, 150, 500);
                    j.ks("result", &txt);
                    j.ku("durationMs", rng.range(100, 5000));
                    j.ks("url", "https://grafana.com/docs/loki/latest/reference/api/");
                }
            }
            j.oe();
        }
        j.oe();
        j.oe();
        out.maybe_malformed(&mut rng, Some(&j.b[..]))?;
        out.line(&j.b)?;
        if !post {
            open.push(call);
        }
    }
    out.finish()
}

// ------------------------------------------------------------------------------------------------

fn usage() -> ! {
    eprintln!("usage: gen-corpus [--mb N (default 1024)] [--seed N (default 42)] [--state-every N (default 500, a multiple of 50)] DIR");
    process::exit(2);
}

fn main() {
    let mut mb: u64 = 1024;
    let mut seed: u64 = 42;
    let mut state_every: u64 = 500;
    let mut dir: Option<PathBuf> = None;
    let mut args = env::args().skip(1);
    while let Some(a) = args.next() {
        let num = |v: Option<String>| -> u64 {
            v.and_then(|s| s.parse().ok()).unwrap_or_else(|| usage())
        };
        match a.as_str() {
            "--mb" => mb = num(args.next()),
            "--seed" => seed = num(args.next()),
            "--state-every" => state_every = num(args.next()),
            "-h" | "--help" => usage(),
            s if s.starts_with("--mb=") => mb = num(Some(s[5..].to_string())),
            s if s.starts_with("--seed=") => seed = num(Some(s[7..].to_string())),
            s if s.starts_with('-') => usage(),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.unwrap_or_else(|| usage());
    if mb == 0 || state_every == 0 {
        usage();
    }
    if let Err(e) = run(&dir, mb, seed, state_every) {
        eprintln!("gen-corpus: {}: {}", dir.display(), e);
        process::exit(1);
    }
}

fn run(dir: &Path, mb: u64, seed: u64, state_every: u64) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let started = Instant::now();
    // Shares: diff : pipe : hook = 78 : 12.7 : 12.7, the state file follows from the diff file
    // (~13.9 / state_every of its size: ~12 KB per snapshot, ~870 B per agent message), and the
    // four files together come to about --mb MiB.
    let total = (mb * MIB) as f64;
    let state_share = 78.0 * 13.9 / state_every as f64;
    let unit = total / (78.0 + 12.7 + 12.7 + state_share);
    let diff_target = (unit * 78.0) as u64;
    let side_target = (unit * 12.7) as u64;
    // The three generators are independent (separate PRNG streams): run them in parallel.
    let (diff, pipe, hook) = std::thread::scope(|s| {
        let d = s.spawn(|| gen_diff(dir, seed, diff_target, state_every));
        let p = s.spawn(|| gen_pipe(dir, seed, side_target));
        let h = s.spawn(|| gen_hook(dir, seed, side_target));
        (d.join().unwrap(), p.join().unwrap(), h.join().unwrap())
    });
    let (diff, state, st) = diff?;
    let pipe = pipe?;
    let hook = hook?;
    let files = [&diff, &state, &pipe, &hook];
    eprintln!(
        "gen-corpus: --mb {} --seed {} --state-every {} -> {}",
        mb,
        seed,
        state_every,
        dir.display()
    );
    eprintln!(
        "  {:<40} {:>14} {:>11} {:>9}",
        "file", "bytes", "lines", "malformed"
    );
    let (mut tb, mut tl, mut tm) = (0, 0, 0);
    for f in files {
        eprintln!(
            "  {:<40} {:>14} {:>11} {:>9}",
            f.name, f.bytes, f.lines, f.malformed
        );
        tb += f.bytes;
        tl += f.lines;
        tm += f.malformed;
    }
    eprintln!("  {:<40} {:>14} {:>11} {:>9}", "total", tb, tl, tm);
    eprintln!(
        "  diff: {} agent_messages (task {}, result {}, error {}, heartbeat {}, cancel {}), {} error entities, {} trace/span/event/handoff, {} snapshots",
        st.messages, st.by_type[0], st.by_type[1], st.by_type[2], st.by_type[3], st.by_type[4], st.errors, st.others, st.snapshots
    );
    eprintln!("  critical error entities: {}", st.critical);
    eprintln!("  malformed lines: {}", tm);
    eprintln!("  elapsed: {:.2}s", started.elapsed().as_secs_f64());
    Ok(())
}
