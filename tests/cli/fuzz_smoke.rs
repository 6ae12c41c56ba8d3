//! A CI smoke run of the fuzz targets, with no nightly toolchain or cargo-fuzz:
//! every seed in `fuzz/seeds/<target>/` and a few thousand deterministic
//! pseudo-random mutations of them (byte flips, truncations, insertions of
//! JSON/pipe syntax, deletions, duplications, splices) go through the very same
//! functions as the fuzz targets (`fuzz/harness.rs`, included below), which must
//! not panic. A reproducer of a fixed crash belongs in the seeds, so it is
//! replayed here on every run.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::cell::RefCell;
use std::path::Path;

thread_local! {
    /// Set while this file runs a target: the location and message of a panic.
    static CAUGHT: RefCell<Option<Option<(String, String)>>> = const { RefCell::new(None) };
}

/// Routes panics on the smoke test's thread into [`CAUGHT`] (silently, so that
/// the failure message can name the input); panics elsewhere go to the previous
/// hook as before.
fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let mine = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let msg = info
                            .payload()
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| info.payload().downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        let at = info
                            .location()
                            .map(|l| l.file().to_string())
                            .unwrap_or_default();
                        *slot = Some((at, msg));
                        true
                    }
                    None => false,
                }
            });
            if !mine {
                previous(info);
            }
        }));
    });
}

type Target = fn(&[u8]);

const TARGETS: [(&str, Target, usize); 10] = [
    ("pipe_line", harness::pipe_line, 8),
    ("diff_line", harness::diff_line, 8),
    ("hook_stream", harness::hook_stream, 60),
    ("chunk_scan", harness::chunk_scan, 40),
    ("time_parse", harness::time_parse, 80),
    ("query_args", harness::query_args, 60),
    ("transcript", harness::transcript, 20),
    ("agent_team", harness::agent_team, 20),
    ("otlp", harness::otlp, 20),
    ("audit_rules", harness::audit_rules, 60),
];

/// xorshift64: deterministic, so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that matter to the parsers.
const INTERESTING: &[u8] = b"{}[]\":,\\\n\r\t |#-0123456789.TZ+\0\xff\xc3\xef\xbb\xbfe";

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.truncate(rng.below(len + 1)),
            2 => {
                let b = INTERESTING[rng.below(INTERESTING.len())];
                let at = rng.below(len + 1);
                let long = rng.below(8) == 0;
                let n = 1 + rng.below(if long { 300 } else { 3 });
                v.splice(at..at, std::iter::repeat_n(b, n));
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                v.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                let piece = v[a..b].to_vec();
                let at = rng.below(len + 1);
                v.splice(at..at, piece);
            }
            5 if !other.is_empty() => {
                let a = rng.below(other.len());
                let b = (a + 1 + rng.below(200)).min(other.len());
                let at = rng.below(len + 1);
                v.splice(at..at, other[a..b].iter().copied());
            }
            _ if len > 0 => {
                let i = rng.below(len);
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            _ => v.push(INTERESTING[rng.below(INTERESTING.len())]),
        }
    }
    v
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.expect("dir entry").path();
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("seed"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

/// Runs `f(input)`; `Err((file, message))` if it panicked.
fn try_run(f: Target, input: &[u8]) -> Result<(), (String, String)> {
    CAUGHT.with(|c| *c.borrow_mut() = Some(None));
    let res = std::panic::catch_unwind(|| f(input));
    let caught = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
    match res {
        Ok(()) => Ok(()),
        Err(_) => Err(caught.unwrap_or_default()),
    }
}

#[test]
fn fuzz_targets_survive_their_seeds_and_mutations() {
    install_hook();
    let mut runs = 0usize;
    for (target, f, per_seed) in TARGETS {
        let seeds = seeds(target);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
        for (n, (name, seed)) in seeds.iter().enumerate() {
            let other = &seeds[(n + 1) % seeds.len()].1;
            for k in 0..=per_seed {
                // Input 0 is the seed itself.
                let input = if k == 0 {
                    seed.clone()
                } else {
                    mutate(&mut rng, seed, other)
                };
                runs += 1;
                let Err((at, msg)) = try_run(f, &input) else {
                    continue;
                };
                panic!(
                    "{target}: input {k} from seed {name} panicked at {at}: {msg}\ninput ({} bytes): {:?}",
                    input.len(),
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }
    assert!(runs > 2000, "{runs} inputs");
}

#[test]
fn the_usage_only_read_gives_the_full_reads_usage() {
    // Every line of the transcripts in the fixtures and the real sessions, and
    // planted lines for each rule of the usage read.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [
        root.join("fixtures/transcripts"),
        root.join("../shared/realdata"),
    ] {
        for e in walkdir::WalkDir::new(&dir).into_iter().flatten() {
            if e.path().extension().is_some_and(|x| x == "jsonl") {
                let bytes = std::fs::read(e.path()).expect("readable");
                lines.extend(bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec));
            }
        }
    }
    let usage = |u: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s","agentId":"a1","timestamp":"2026-03-01T10:00:00Z","requestId":"r","message":{{"id":"m","model":"claude-opus-4-6","content":[{{"type":"text","text":"x\"usage\"y"}}],"usage":{u}}}}}"#
        )
    };
    for u in [
        r#"{"input_tokens":3,"output_tokens":"7","cache_read_input_tokens":5.6,"cache_creation_input_tokens":11}"#,
        r#"{"input_tokens":3,"cache_creation_input_tokens":11,"cache_creation":{"ephemeral_5m_input_tokens":4,"ephemeral_1h_input_tokens":7}}"#,
        r#"{"input_tokens":-3,"output_tokens":2,"cache_creation":{"ephemeral_1h_input_tokens":-1}}"#,
        r#"{"input_tokens":1,"cache_creation":"none","cache_creation_input_tokens":9}"#,
        r#"{}"#,
        r#""not an object""#,
        r#"{"input_tokens":1,"input_tokens":2}"#,
    ] {
        lines.push(usage(u).into_bytes());
    }
    lines.push(br#"{"type":"assistant","message":"text","usage":{"input_tokens":1}}"#.to_vec());
    lines.push(
        br#"{"type":"assistant","requestId":"r","message":{"usage":{"input_tokens":1}}}"#.to_vec(),
    );
    lines.push(br#"{"type":"user","message":{"usage":{"input_tokens":1}}}"#.to_vec());
    lines.push(br#"{"type":"assistant","message":{"id":1,"usage":{"input_tokens":1}},"message":{"id":"m2","usage":{"output_tokens":5}}}"#.to_vec());
    lines.push(br#"{"type":"assistant","message":{"usage":{"input_tokens":1}}"#.to_vec());
    let mut compared = 0;
    let mut with_usage = 0;
    for line in lines.iter().filter(|l| !l.is_empty()) {
        let (full, lean) = harness::usage_both_ways(line);
        match full {
            Some(full) => {
                with_usage += usize::from(!full.is_empty());
                assert_eq!(lean, Some(full), "{}", String::from_utf8_lossy(line));
                compared += 1;
            }
            None => assert!(lean.is_none(), "{}", String::from_utf8_lossy(line)),
        }
    }
    assert!(
        compared > 1000 && with_usage > 300,
        "{compared} lines, {with_usage} with usage"
    );
}
