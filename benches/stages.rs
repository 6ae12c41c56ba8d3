//! Criterion benches per stage of the scan path: line splitting, each format's
//! parser, the literal prefilter, each analysis' observe + merge, and merging
//! alone (group `merge`).
//!
//! Inputs are the fixtures repeated to about 4 MiB (one chunk), so a run needs no
//! generated corpus: `cargo bench --bench stages`. Throughput is reported in
//! bytes, except in `merge`, whose synthetic events are counted as elements
//! (that group alone: `cargo bench --bench stages -- '^merge/'`). Group `read`
//! compares the two ways a worker can get its chunk of a regular file (issue 9):
//! the mapping plus a private copy of each record, which is what the scan does,
//! against a positioned read of the whole chunk into a reused buffer, on a
//! 256 MiB file it writes once under `target/bench-read/`
//! (`cargo bench --bench stages -- '^read/'`), and the same read in 256 KiB
//! blocks. Group `json` measures the lazy reader against sonic-rs on the real
//! transcripts beside the checkout (`cargo bench --bench stages -- '^json/'`).
//! Group `parsers` times a whole validating read of each record, one thread:
//! the lazy reader against simd-json's tape and serde_json's `IgnoredAny`, on
//! observer lines and real transcripts (`cargo bench --bench stages -- '^parsers/'`).

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use oracle_monitor::analysis::cost::{CostBy, CostQuery};
use oracle_monitor::analysis::diagnose::DiagnoseQuery;
use oracle_monitor::analysis::errors::{ErrorsQuery, GroupBy};
use oracle_monitor::analysis::queues::{QueuesAcc, QueuesQuery};
use oracle_monitor::analysis::Window;
use oracle_monitor::format::{self, Bad, Chunk, Sink};
use oracle_monitor::model::{Action, Event, Format, Loc, Severity, Tokens};
use oracle_monitor::pricing::PriceTable;
use oracle_monitor::scan::{Analysis, LineIndex};
use oracle_monitor::source::{chunk_ranges, CHUNK_BYTES};
use rayon::prelude::*;
use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The fixture's record lines repeated to about `CHUNK_BYTES`.
fn corpus(path: &str, keep: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read(format!("{root}/{path}")).expect("fixture");
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| keep(l)).collect();
    let mut out = Vec::with_capacity(CHUNK_BYTES + 4096);
    while out.len() < CHUNK_BYTES {
        for l in &lines {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
    }
    out
}

fn chunk(bytes: &[u8], format: Format) -> Chunk<'_> {
    Chunk {
        input: 0,
        index: 0,
        base: 0,
        bytes,
        format,
        ctx: format::Ctx::default(),
        at_eof: true,
    }
}

/// Counts events; the cheapest sink, so the bench measures the parser.
#[derive(Default)]
struct Count(u64, u64);
impl Sink for Count {
    fn event(&mut self, ev: &Event<'_>) {
        self.0 += u64::from(ev.ts.is_some());
    }
    fn bad(&mut self, _: Bad) {
        self.1 += 1;
    }
}

/// Feeds events into an analysis accumulator.
struct Feed<'a, A: Analysis>(&'a A, A::Acc);
impl<A: Analysis> Sink for Feed<'_, A> {
    fn event(&mut self, ev: &Event<'_>) {
        self.0.observe(&mut self.1, ev);
    }
    fn bad(&mut self, _: Bad) {}
}

fn benches(c: &mut Criterion) {
    let diff = corpus("fixtures/timemachine/diff_time_machine.jsonl", |l| {
        l.starts_with(b"{")
    });
    let pipe = corpus("fixtures/pipe/teamsters-incident.log", |l| {
        !l.is_empty() && l[0].is_ascii_digit()
    });
    let hook = {
        // Pretty-printed objects: repeat the whole file.
        let root = env!("CARGO_MANIFEST_DIR");
        let one = std::fs::read(format!("{root}/fixtures/hooks/claude-telemetry.jsonl")).unwrap();
        let mut v = Vec::new();
        while v.len() < CHUNK_BYTES {
            v.extend_from_slice(&one);
        }
        v
    };

    let mut g = c.benchmark_group("split");
    g.throughput(Throughput::Bytes(diff.len() as u64));
    g.bench_function("chunk_ranges+count_lines", |b| {
        b.iter(|| {
            let r = chunk_ranges(black_box(&diff), 64 << 10, Format::Diff);
            r.iter()
                .map(|(s, e)| format::count_lines(&diff[*s..*e]))
                .sum::<u32>()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("parse");
    for (name, buf, f) in [
        ("diff", &diff, Format::Diff),
        ("pipe", &pipe, Format::Pipe),
        ("hook", &hook, Format::Hook),
    ] {
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut s = Count::default();
                format::parse_chunk(&chunk(black_box(buf), f), None, false, &mut s);
                s.0
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("filter");
    g.throughput(Throughput::Bytes(diff.len() as u64));
    let q = ErrorsQuery {
        severities: vec![Severity::Critical],
        agent: None,
        category: None,
        grep: None,
        window: Window::default(),
        limit: 30,
        by: None,
    };
    let pre = format::prefilter_for(Format::Diff, &q.needs());
    g.bench_function("prefilter errors -s critical (diff)", |b| {
        b.iter(|| {
            let mut s = Count::default();
            format::parse_chunk(
                &chunk(black_box(&diff), Format::Diff),
                pre.as_ref(),
                false,
                &mut s,
            );
            s.0
        })
    });
    g.bench_function("timestamps only (diff)", |b| {
        b.iter(|| {
            let mut s = Count::default();
            format::parse_chunk(&chunk(black_box(&diff), Format::Diff), None, true, &mut s);
            s.0
        })
    });
    g.finish();

    // Each analysis: observe one chunk into an accumulator, then merge two of them.
    let mut g = c.benchmark_group("analysis");
    g.throughput(Throughput::Bytes(diff.len() as u64));
    fn observe_merge<A: Analysis>(a: &A, buf: &[u8], f: Format) -> A::Acc {
        let mut x = Feed(a, a.new_acc());
        format::parse_chunk(&chunk(buf, f), None, false, &mut x);
        let mut y = Feed(a, a.new_acc());
        format::parse_chunk(&chunk(buf, f), None, false, &mut y);
        a.merge(x.1, y.1)
    }
    let errors = ErrorsQuery {
        severities: vec![],
        ..q.clone()
    };
    g.bench_function("errors observe+merge", |b| {
        b.iter(|| observe_merge(&errors, &diff, Format::Diff))
    });
    let queues = QueuesQuery::default();
    g.bench_function("queues observe+merge", |b| {
        b.iter(|| observe_merge(&queues, &diff, Format::Diff))
    });
    let diagnose = DiagnoseQuery::default();
    g.bench_function("diagnose observe+merge", |b| {
        b.iter_batched(
            || (),
            |_| observe_merge(&diagnose, &diff, Format::Diff),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

// ---------------------------------------------------------------------------
// Merging alone: accumulators built from synthetic events (no parsing), so the
// benches time `Analysis::merge` and nothing else.

/// Records of each synthetic input cut into 16, 64 and 256 chunks
/// (121,600 = 256 × 475: every chunk holds as many).
const MERGE_RECORDS: usize = 121_600;

/// Tasks of the queues input; with the replies to nine in ten of them they
/// make [`MERGE_RECORDS`] messages.
const TASKS: usize = 64_000;

/// Tasks (and replies) of the small accumulator merged into a big one.
const SMALL: usize = 4;

const MERGE_AGENTS: [&str; 4] = ["Orchestrator", "Coder", "Researcher", "Writer"];
const MERGE_MODELS: [&str; 3] = ["claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5"];

/// An event of `format` at record `i`: 1 ms and 100 bytes after record `i - 1`.
fn synthetic(i: usize, format: Format, action: Action<'static>) -> Event<'static> {
    let loc = Loc {
        offset: i as u64 * 100,
        ..Loc::default()
    };
    Event {
        action,
        ..Event::bare(
            1_770_000_000_000_000_000 + i as i64 * 1_000_000,
            loc,
            format,
            b"{}",
        )
    }
}

/// Task `id` from agent `from` to the next one (a time-machine agent message).
fn task(i: usize, id: String, from: usize) -> Event<'static> {
    let mut ev = synthetic(i, Format::Diff, Action::TaskSent);
    ev.kind = Cow::Borrowed("agent_message");
    ev.status = Cow::Borrowed("task");
    ev.agent = Some(Cow::Borrowed(MERGE_AGENTS[from % 4]));
    ev.target = Some(Cow::Borrowed(MERGE_AGENTS[(from + 1) % 4]));
    ev.id = Some(Cow::Owned(id));
    ev
}

/// The reply to task `parent` (sent by agent `from`), from its addressee.
fn reply(i: usize, parent: String, from: usize) -> Event<'static> {
    let mut ev = synthetic(i, Format::Diff, Action::TaskReplied { ok: true });
    ev.kind = Cow::Borrowed("agent_message");
    ev.status = Cow::Borrowed("result");
    ev.agent = Some(Cow::Borrowed(MERGE_AGENTS[(from + 1) % 4]));
    ev.target = Some(Cow::Borrowed(MERGE_AGENTS[from % 4]));
    ev.id = Some(Cow::Owned(format!("r-{parent}")));
    ev.parent_id = Some(Cow::Owned(parent));
    ev
}

/// Agent messages: at step `s`, task `s`, then the reply to task `s - GAP`
/// unless that task is a tenth one (10% are never answered). A reply comes
/// at least `GAP` (8,000) records after its task: always in a later chunk,
/// even of 16 (7,600 records each).
fn queue_messages() -> Vec<Event<'static>> {
    const GAP: usize = TASKS / 8;
    let mut out = Vec::with_capacity(MERGE_RECORDS);
    for step in 0..TASKS + GAP {
        if step < TASKS {
            out.push(task(out.len(), format!("t{step}"), step));
        }
        if let Some(j) = step.checked_sub(GAP).filter(|j| j % 10 != 0) {
            out.push(reply(out.len(), format!("t{j}"), j));
        }
    }
    assert_eq!(out.len(), MERGE_RECORDS);
    out
}

/// One usage line of response `key` (a transcript's `message.id:requestId`)
/// in session `session`; `part` 1 is the response's second streamed line.
fn usage(i: usize, key: String, session: usize, part: u64) -> Event<'static> {
    let tokens = Tokens {
        input: 3,
        output: 40 + 100 * part,
        cache_read: 9000,
        cache_write_5m: 1200,
        cache_write_1h: 800,
        other: 0,
    };
    let mut ev = synthetic(
        i,
        Format::Transcript,
        Action::Usage {
            model: Some(Cow::Borrowed(MERGE_MODELS[session % 3])),
            tokens,
            cost_usd: None,
            key: Some(Cow::Owned(key)),
        },
    );
    ev.kind = Cow::Borrowed("assistant");
    ev.session = Some(Cow::Owned(format!("sess-{session}")));
    ev
}

/// Usage lines: each response written twice in a row (a streamed response; a
/// pair may straddle two chunks), in eight sessions.
fn usage_lines() -> Vec<Event<'static>> {
    (0..MERGE_RECORDS)
        .map(|i| {
            usage(
                i,
                format!("msg_{0}:req_{0}", i / 2),
                i / 2 % 8,
                (i % 2) as u64,
            )
        })
        .collect()
}

/// `n` in letters (`a`, `b`, ..., `ba`): a word `errors --by message` keeps
/// apart (it masks numbers).
fn word(mut n: usize) -> String {
    let mut w = Vec::new();
    loop {
        w.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    w.reverse();
    String::from_utf8(w).expect("ascii")
}

/// An error-like event of message kind `group`, severities in turn.
fn error(i: usize, group: usize) -> Event<'static> {
    let mut ev = synthetic(i, Format::Diff, Action::Other);
    ev.kind = Cow::Borrowed("error");
    ev.severity = Some(
        [
            Severity::Error,
            Severity::Warning,
            Severity::Critical,
            Severity::Info,
        ][i % 4],
    );
    ev.category = Some(Cow::Borrowed("tool_error"));
    ev.agent = Some(Cow::Borrowed(MERGE_AGENTS[i % 4]));
    ev.message = Some(Cow::Owned(format!(
        "tool {} failed after {} s",
        word(group),
        i % 60
    )));
    ev
}

/// Error-like events of `MERGE_RECORDS / 10` message kinds.
fn error_events() -> Vec<Event<'static>> {
    (0..MERGE_RECORDS)
        .map(|i| error(i, i % (MERGE_RECORDS / 10)))
        .collect()
}

/// One accumulator per chunk of `k` equal chunks of `events`.
fn chunk_accs<A: Analysis>(q: &A, events: &[Event<'_>], k: usize) -> Vec<A::Acc> {
    events
        .chunks(events.len() / k)
        .map(|c| observed(q, c))
        .collect()
}

fn observed<A: Analysis>(q: &A, events: &[Event<'_>]) -> A::Acc {
    let mut acc = q.new_acc();
    for ev in events {
        q.observe(&mut acc, ev);
    }
    acc
}

/// Merges consecutive chunks' accumulators as `scan.rs` does: rayon's
/// `reduce_with` over them in input order (a worker folds its run of chunks,
/// runs merge as a tree, the earlier always on the left), on `pool`.
fn scan_order<A: Analysis>(q: &A, accs: Vec<A::Acc>, pool: &rayon::ThreadPool) -> Option<A::Acc> {
    pool.install(|| accs.into_par_iter().reduce_with(|a, b| q.merge(a, b)))
}

/// A balanced tree, the earlier half always on the left: rayon's shape when
/// every split is taken (many threads).
fn tree<A: Analysis>(q: &A, mut accs: Vec<A::Acc>) -> Option<A::Acc> {
    if accs.len() <= 1 {
        return accs.pop();
    }
    let later = accs.split_off(accs.len() / 2);
    Some(q.merge(tree(q, accs)?, tree(q, later)?))
}

/// `merge/NAME/threads 1/K` and `merge/NAME/tree/K`: merging the accumulators
/// of `events` cut into K chunks, in the scan's order on one thread and as a
/// balanced tree. Throughput: all the records (the same for every K).
fn merge_chunks<A: Analysis>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    q: &A,
    events: &[Event<'_>],
    one: &rayon::ThreadPool,
) where
    A::Acc: Clone,
{
    g.throughput(Throughput::Elements(events.len() as u64));
    for k in [16, 64, 256] {
        let accs = chunk_accs(q, events, k);
        assert_eq!(accs.len(), k);
        g.bench_with_input(
            BenchmarkId::new(format!("{name}/threads 1"), k),
            &accs,
            |b, accs| {
                b.iter_batched(
                    || accs.clone(),
                    |accs| scan_order(q, accs, one),
                    BatchSize::PerIteration,
                )
            },
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{name}/tree"), k),
            &accs,
            |b, accs| {
                b.iter_batched(
                    || accs.clone(),
                    |accs| tree(q, accs),
                    BatchSize::PerIteration,
                )
            },
        );
    }
}

/// How the big side of [`merge_small`] is made and what grows in it.
struct Big<'a, A: Analysis> {
    /// The accumulator holding `n` records.
    acc: A::Acc,
    /// The small accumulator of merge number `round` since `acc` was cloned:
    /// built so that the big side keeps its size (for queues: replies to
    /// [`SMALL`] of its pending tasks, and as many new ones).
    small: &'a dyn Fn(usize) -> A::Acc,
    /// Records in a small accumulator.
    small_records: u64,
    /// Merges after which the big side has grown by a tenth of `n` (what a
    /// merge adds and never removes: answered ids, latencies, appended
    /// responses); `usize::MAX` when nothing grows.
    reset: usize,
}

/// `merge/NAME big+small/N` and `merge/NAME small+big/N`: merging a few
/// records into an accumulator of `n`, the big one earlier or later.
///
/// The big side is kept from one merge to the next (cloning it for each
/// merge would cost what the merge must not) and cloned again from `big.acc`,
/// untimed, every `big.reset` merges. Throughput: the small side's records.
fn merge_small<A: Analysis>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    n: usize,
    q: &A,
    big: &Big<'_, A>,
) where
    A::Acc: Clone,
{
    g.throughput(Throughput::Elements(big.small_records));
    for big_first in [true, false] {
        let order = if big_first { "big+small" } else { "small+big" };
        let mut acc = big.acc.clone();
        let mut round = 0usize;
        g.bench_function(BenchmarkId::new(format!("{name} {order}"), n), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    if round == big.reset {
                        acc = big.acc.clone();
                        round = 0;
                    }
                    let small = (big.small)(round);
                    let held = std::mem::replace(&mut acc, q.new_acc());
                    let t = Instant::now();
                    let merged = if big_first {
                        q.merge(held, small)
                    } else {
                        q.merge(small, held)
                    };
                    spent += t.elapsed();
                    acc = black_box(merged);
                    round += 1;
                }
                spent
            })
        });
    }
}

/// The `merge` group: merge time follows what is merged. Merging K chunk
/// accumulators of the same records should cost about the same for K = 16,
/// 64 and 256; merging a few records into an accumulator of N should cost
/// the same for N = 10k, 100k and 1M.
fn merges(c: &mut Criterion) {
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    let queues = QueuesQuery::default();
    let cost = CostQuery {
        by: CostBy::Session,
        window: Window::default(),
        prices: std::sync::Arc::new(PriceTable::bundled()),
    };
    let errors = ErrorsQuery {
        severities: vec![],
        agent: None,
        category: None,
        grep: None,
        window: Window::default(),
        limit: 30,
        by: None,
    };
    let by_message = ErrorsQuery {
        by: Some(GroupBy::Message),
        ..errors.clone()
    };

    let mut g = c.benchmark_group("merge");
    g.sample_size(10);
    let messages = queue_messages();
    // The input is what the benches say: a tenth of the tasks pending, in
    // either merge order.
    let pending = |acc: Option<QueuesAcc>| {
        let report = acc.expect("merged").finish(false, &LineIndex::default());
        (report.total_pending, report.replies)
    };
    let accs = chunk_accs(&queues, &messages, 256);
    let want = (TASKS as u64 / 10, TASKS as u64 * 9 / 10);
    assert_eq!(pending(scan_order(&queues, accs.clone(), &one)), want);
    assert_eq!(pending(tree(&queues, accs)), want);
    merge_chunks(&mut g, "queues", &queues, &messages, &one);
    drop(messages);
    let lines = usage_lines();
    merge_chunks(&mut g, "cost", &cost, &lines, &one);
    drop(lines);
    let errs = error_events();
    merge_chunks(&mut g, "errors", &errors, &errs, &one);
    merge_chunks(&mut g, "errors --by message", &by_message, &errs, &one);
    drop(errs);

    // Records of the small side come after every record of the big one.
    let late = 10_000_000;
    for n in [10_000, 100_000, 1_000_000] {
        let grows = (n / 10 / SMALL).max(1);

        // Queues: n pending tasks (the first SMALL named for the first small
        // side to answer), and n / 2 answered ones.
        let mut events: Vec<Event<'static>> = (0..SMALL)
            .map(|j| task(j, format!("n0-{j}"), j))
            .chain((SMALL..n).map(|k| task(k, format!("p{k}"), k)))
            .collect();
        for k in 0..n / 2 {
            events.push(task(events.len(), format!("a{k}"), k));
            events.push(reply(events.len(), format!("a{k}"), k));
        }
        let small = |r: usize| {
            let mut acc = queues.new_acc();
            for j in 0..SMALL {
                let i = late + 2 * j;
                queues.observe(&mut acc, &task(i, format!("n{}-{j}", r + 1), j));
                queues.observe(&mut acc, &reply(i + 1, format!("n{r}-{j}"), j));
            }
            acc
        };
        let big: Big<'_, QueuesQuery> = Big {
            acc: observed(&queues, &events),
            small: &small,
            small_records: 2 * SMALL as u64,
            reset: grows,
        };
        drop(events);
        // Each small side answers SMALL pending tasks and adds as many.
        let two = queues.merge(queues.merge(big.acc.clone(), small(0)), small(1));
        let report = two.finish(false, &LineIndex::default());
        assert_eq!(report.total_pending, n as u64);
        assert_eq!(report.replies, (n / 2 + 2 * SMALL) as u64);
        merge_small(&mut g, "queues", n, &queues, &big);
        drop(big);

        // Cost: n responses, merged once (as a scan's accumulators are).
        let events: Vec<Event<'static>> = (0..n)
            .map(|k| usage(k, format!("b{k}"), k % 8, 0))
            .collect();
        let small = |r: usize| {
            let evs: Vec<Event<'static>> = (0..SMALL)
                .map(|j| usage(late + j, format!("s{r}-{j}"), j, 0))
                .collect();
            observed(&cost, &evs)
        };
        let big = Big {
            acc: cost.merge(observed(&cost, &events), cost.new_acc()),
            small: &small,
            small_records: SMALL as u64,
            reset: grows,
        };
        drop(events);
        merge_small(&mut g, "cost", n, &cost, &big);
        drop(big);

        // Errors: n error-like events of n message kinds; the small side's
        // are of kinds the big side holds, so nothing grows.
        let events: Vec<Event<'static>> = (0..n).map(|k| error(k, k)).collect();
        for (name, q) in [("errors", &errors), ("errors --by message", &by_message)] {
            let small = |r: usize| {
                let evs: Vec<Event<'static>> = (0..SMALL)
                    .map(|j| error(late + j, (r * SMALL + j) % n))
                    .collect();
                observed(q, &evs)
            };
            let big = Big {
                acc: observed(q, &events),
                small: &small,
                small_records: SMALL as u64,
                reset: usize::MAX,
            };
            merge_small(&mut g, name, n, q, &big);
        }
    }
    g.finish();
}

/// A 256 MiB observer diff file (the fixture's lines repeated), written once.
fn read_corpus() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-read");
    let path = dir.join("diff-256m.jsonl");
    let want = 256u64 << 20;
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(want) {
        std::fs::create_dir_all(&dir).expect("bench dir");
        let one = corpus("fixtures/timemachine/diff_time_machine.jsonl", |l| {
            !l.is_empty()
        });
        let mut out = Vec::with_capacity(want as usize);
        while out.len() < want as usize {
            let n = (want as usize - out.len()).min(one.len());
            out.extend_from_slice(&one[..n]);
        }
        std::fs::write(&path, &out).expect("bench corpus");
    }
    path
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What a worker does with its records here: count lines and sum their bytes.
fn lines_of(chunk: &[u8], mut each: impl FnMut(&[u8])) -> u64 {
    let mut n = 0;
    let mut at = 0;
    for end in memchr::memchr_iter(b'\n', chunk) {
        each(&chunk[at..end]);
        at = end + 1;
        n += 1;
    }
    if at < chunk.len() {
        each(&chunk[at..]);
        n += 1;
    }
    n
}

/// What a bench does with one chunk `(start, end)` and the thread's buffer: records seen.
type ChunkWork<'a> = dyn Fn((usize, usize), &mut Vec<u8>) -> u64 + Sync + 'a;

fn reads(c: &mut Criterion) {
    use std::os::unix::fs::FileExt;
    let path = read_corpus();
    let file = std::fs::File::open(&path).expect("open");
    // SAFETY: the bench's own file, not modified while mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.expect("map");
    let ranges = chunk_ranges(&map, CHUNK_BYTES, Format::Diff);
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Bytes(map.len() as u64));
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        // Each chunk on the pool, with the thread's reused buffer.
        let per_chunk = |f: &ChunkWork<'_>| {
            pool.install(|| {
                ranges
                    .par_iter()
                    .map(|&r| BUF.with(|buf| f(r, &mut buf.borrow_mut())))
                    .sum::<u64>()
            })
        };
        g.bench_function(format!("mmap + copy per record/{threads}"), |b| {
            b.iter(|| {
                // Mapped afresh each time, as each run of the scan maps its
                // files: the page faults are part of the cost.
                // SAFETY: as above.
                let map = unsafe { memmap2::Mmap::map(&file) }.expect("map");
                per_chunk(&|(s, e), buf| {
                    lines_of(&map[s..e], |rec| {
                        buf.clear();
                        buf.extend_from_slice(rec);
                        black_box(buf.len());
                    })
                })
            })
        });
        // Blocks small enough to stay in L2 between the read and the scan; a
        // line cut by a block's end is carried into the next block.
        g.bench_function(
            format!("pread 256 KiB blocks into a reused buffer/{threads}"),
            |b| {
                b.iter(|| {
                    per_chunk(&|(s, e), buf| {
                        const BLOCK: usize = 256 << 10;
                        let (mut at, mut kept, mut n) = (s, 0usize, 0u64);
                        while at < e {
                            let len = BLOCK.min(e - at);
                            buf.resize(kept + len, 0);
                            file.read_exact_at(&mut buf[kept..], at as u64)
                                .expect("read");
                            at += len;
                            let whole = if at < e {
                                memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1)
                            } else {
                                buf.len()
                            };
                            n += lines_of(&buf[..whole], |rec| {
                                black_box(rec.len());
                            });
                            buf.drain(..whole);
                            kept = buf.len();
                        }
                        n
                    })
                })
            },
        );
        g.bench_function(format!("pread chunk into a reused buffer/{threads}"), |b| {
            b.iter(|| {
                per_chunk(&|(s, e), buf| {
                    buf.resize(e - s, 0);
                    file.read_exact_at(buf, s as u64).expect("read");
                    lines_of(buf, |rec| {
                        black_box(rec.len());
                    })
                })
            })
        });
    }
    g.finish();
}

/// The lazy reader against sonic-rs's `get_many` (a SIMD JSON crate's lazy
/// lookup of several paths), on the real transcripts beside the checkout
/// (`../shared/realdata/spotter`; the group is skipped without them): the
/// same 14 paths a transcript line's envelope needs, each line read whole.
/// Both validate what they walk; sonic-rs allocates its result per line.
fn json(c: &mut Criterion) {
    use oracle_monitor::format::lazy::{self, Schema};
    let Some(lines) = spotter_lines() else {
        return;
    };
    let paths = [
        "type",
        "timestamp",
        "sessionId",
        "agentId",
        "isSidechain",
        "parentUuid",
        "uuid",
        "cwd",
        "permissionMode",
        "data.type",
        "data.agentId",
        "parentToolUseID",
        "subtype",
        "requestId",
    ];
    let schema = Schema::new(&paths);
    let mut tree = sonic_rs::PointerTree::new();
    for p in paths {
        tree.add_path(p.split('.'));
    }
    let mut g = c.benchmark_group("json");
    g.throughput(Throughput::Bytes(
        lines.iter().map(|l| l.len() as u64).sum(),
    ));
    g.sample_size(10);
    g.bench_function("lazy::scan, 14 paths (transcripts)", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter_map(|l| lazy::scan(&schema, l).ok())
                .map(|f| f.raw(1).map_or(0, str::len))
                .sum::<usize>()
        })
    });
    g.bench_function("sonic_rs::get_many, 14 paths (transcripts)", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter_map(|l| sonic_rs::get_many(l.as_str(), &tree).ok())
                .map(|v| v[1].as_ref().map_or(0, |x| x.as_raw_str().len()))
                .sum::<usize>()
        })
    });
    g.finish();
}

/// The lines of `path` that start with `{`, until they hold `max` bytes;
/// `None` when the file cannot be read.
fn lines_from(path: &std::path::Path, max: usize) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut out = Vec::new();
    let mut n = 0;
    for l in text.lines().filter(|l| l.starts_with('{')) {
        if n >= max {
            break;
        }
        n += l.len();
        out.push(l.to_string());
    }
    Some(out)
}

/// The record lines of the real transcripts beside the checkout
/// (`../shared/realdata/spotter/*.jsonl`, files in name order); `None` without them.
fn spotter_lines() -> Option<Vec<String>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata/spotter");
    let mut files: Vec<_> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    Some(
        files
            .iter()
            .flat_map(|f| lines_from(f, usize::MAX).unwrap_or_default())
            .collect(),
    )
}

/// How fast a validating read of one record can be on this machine, one
/// thread, each line read whole and checked as JSON: the lazy reader with the
/// paths the reader of that format asks for, against simd-json's tape (the
/// simdjson design: a SIMD structural index, then one pass over it; the line
/// is first copied into a reused buffer, as simd-json parses in place) and
/// serde_json's `IgnoredAny` (validation only). The inputs:
/// - `observer`: the first 64 MB of `target/observer/python-80.jsonl`
///   (`python3 benches/gen-observer.py --mb 80 --layout python --pending 0.115
///   --reply-distance 20000 target/observer/python-80.jsonl`); the group skips
///   it when absent;
/// - `progress`: the `progress` lines of `../shared/realdata/spotter` (hook,
///   bash and agent progress: many short keys), and `transcripts`, all its
///   lines (what `agents` reads), both skipped when absent.
fn parsers(c: &mut Criterion) {
    use oracle_monitor::format::lazy::{self, Schema};
    use oracle_monitor::format::{tm::DIFF_PATHS, transcript::LINE_PATHS};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(&str, Vec<String>, Schema)> = Vec::new();
    if let Some(l) = lines_from(&root.join("target/observer/python-80.jsonl"), 64 << 20) {
        inputs.push(("observer", l, Schema::new(DIFF_PATHS)));
    }
    if let Some(all) = spotter_lines() {
        let progress: Vec<String> = all
            .iter()
            .filter(|l| l.contains(r#""type":"progress""#))
            .cloned()
            .collect();
        if !all.is_empty() {
            inputs.push(("progress", progress, Schema::new(&LINE_PATHS)));
            inputs.push(("transcripts", all, Schema::new(&LINE_PATHS)));
        }
    }
    let mut g = c.benchmark_group("parsers");
    g.sample_size(10);
    for (name, lines, schema) in &inputs {
        g.throughput(Throughput::Bytes(
            lines.iter().map(|l| l.len() as u64).sum(),
        ));
        g.bench_function(format!("lazy::scan/{name}"), |b| {
            b.iter(|| {
                lines
                    .iter()
                    .filter(|l| lazy::scan(schema, l).is_ok())
                    .count()
            })
        });
        g.bench_function(format!("simd_json::to_tape_with_buffers/{name}"), |b| {
            let mut buf = Vec::new();
            let mut buffers = simd_json::Buffers::default();
            b.iter(|| {
                lines
                    .iter()
                    .filter(|l| {
                        buf.clear();
                        buf.extend_from_slice(l.as_bytes());
                        simd_json::to_tape_with_buffers(&mut buf, &mut buffers).is_ok()
                    })
                    .count()
            })
        });
        g.bench_function(format!("serde_json IgnoredAny/{name}"), |b| {
            b.iter(|| {
                lines
                    .iter()
                    .filter(|l| serde_json::from_str::<serde::de::IgnoredAny>(l).is_ok())
                    .count()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = stages;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = benches, merges, reads, json, parsers
}
criterion_main!(stages);
