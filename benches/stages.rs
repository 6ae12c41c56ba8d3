//! Criterion benches per stage of the scan path: line splitting, each format's
//! parser, the literal prefilter, and each analysis' observe + merge.
//!
//! Inputs are the fixtures repeated to about 4 MiB (one chunk), so a run needs no
//! generated corpus: `cargo bench --bench stages`. Throughput is reported in bytes.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use oracle_monitor::analysis::diagnose::DiagnoseQuery;
use oracle_monitor::analysis::errors::ErrorsQuery;
use oracle_monitor::analysis::queues::QueuesQuery;
use oracle_monitor::analysis::Window;
use oracle_monitor::format::{self, Bad, Chunk, Sink};
use oracle_monitor::model::{Event, Format, Severity};
use oracle_monitor::scan::Analysis;
use oracle_monitor::source::{chunk_ranges, CHUNK_BYTES};
use std::hint::black_box;

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

criterion_group! {
    name = stages;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(stages);
