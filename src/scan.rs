//! The parallel scan: chunks of every input parsed on the rayon pool, each into
//! its own accumulator, merged in input order.
//!
//! Owns: the [`Analysis`] trait (observe / merge), per-input statistics
//! ([`SourceStats`]), and line-number resolution ([`LineIndex`]). Must not: format
//! output or know flags.
//! Invariant: the merged result is independent of the thread count, because
//! chunk boundaries depend only on the input and accumulators merge in chunk
//! order; analyses sort what they print by (time, input, offset).

use crate::format::{self, Bad, Chunk, ChunkCounts, Ctx, Needs, Prefilter, Sink};
use crate::model::{Event, Format, Loc, Record};
use crate::source::{chunk_ranges, Data, Input, CHUNK_BYTES};
use rayon::prelude::*;
use std::io::Read;

/// Block size in bytes for streamed inputs (stdin, FIFOs).
pub const STREAM_BLOCK_BYTES: usize = 1 << 20;

/// Whether scans draw a progress bar on stderr (set once by the binary when
/// stderr is a terminal; off for programs, pipes and tests).
static PROGRESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the stderr progress bar of long scans on or off.
pub fn show_progress(on: bool) {
    PROGRESS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// A progress bar (indicatif) over the bytes of mapped inputs, drawn on stderr
/// only once a scan has run for a second, and cleared when it ends.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn start(total: u64) -> Progress {
        if !PROGRESS.load(std::sync::atomic::Ordering::Relaxed) || total == 0 {
            return Progress(None);
        }
        let pb = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} scanning {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            pb.set_style(style);
        }
        let later = pb.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(1));
            if !later.is_finished() {
                later.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(8));
            }
        });
        Progress(Some(pb))
    }

    fn inc(&self, n: u64) {
        if let Some(pb) = &self.0 {
            pb.inc(n);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

/// How many bad-record locations are kept per input for the report.
pub const FIRST_BAD: usize = 5;

/// One analysis, as an accumulator over events.
///
/// `observe` is called once per well-formed record on the scan threads; `merge`
/// combines the accumulators of two consecutive runs of chunks (`a` before `b`).
pub trait Analysis: Sync {
    /// Per-chunk state; must hold aggregates, not whole inputs.
    type Acc: Send;
    /// An empty accumulator.
    fn new_acc(&self) -> Self::Acc;
    /// Adds one event.
    fn observe(&self, acc: &mut Self::Acc, ev: &Event<'_>);
    /// Combines `a` (earlier chunks) with `b` (later chunks).
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// What the analysis reads: each input's reader turns it into a prefilter
    /// that skips records unable to matter ([`format::Reader::prefilter`]).
    /// Default: every record.
    fn needs(&self) -> Needs {
        Needs::everything()
    }
    /// True when the analysis reads only `Event::ts`: line formats then read just the
    /// leading timestamp (see [`crate::format::Reader::time_only`]) instead of the whole record.
    fn times_only(&self) -> bool {
        false
    }
    /// True for a first pass whose inputs are scanned again afterward (the
    /// time anchor, the unfinished-tool ids): the scan then keeps the pages of
    /// mapped inputs mapped for the next pass instead of releasing each chunk's
    /// pages when done with it (`Map::release`).
    fn pass_before_another(&self) -> bool {
        false
    }
}

/// What was read from one input: the JSON `sources` block's entries.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SourceStats {
    /// As named (`-` for stdin).
    pub display: String,
    /// Detected format.
    pub format: Option<Format>,
    /// Bytes read.
    pub bytes: u64,
    /// Well-formed records.
    pub records: u64,
    /// Records that could not be read (a torn tail not included).
    pub malformed: u64,
    /// The first [`FIRST_BAD`] bad records, by offset.
    pub first_bad: Vec<Bad>,
    /// The input ends in a record cut short (a writer still writing).
    pub torn_tail: Option<Bad>,
    /// Lines never parsed because the query's prefilter ruled them out.
    pub prefiltered: u64,
    /// Notes (a damaged archive, a file that changed during the scan).
    pub notes: Vec<String>,
    /// Reading the input failed part way (a stream's read error): the run
    /// reports what was read, then exits with status 2.
    pub read_error: bool,
}

/// Resolves chunk-relative line numbers to 1-based file line numbers.
///
/// Inputs are numbered from `first` (0 for a run of one machine; the fleet-wide
/// rank of a partial's first input, see `docs/fleet.md`), and chunks are
/// numbered within their input, so the index of one run depends only on its own
/// inputs and indexes of consecutive runs concatenate ([`LineIndex::append`]).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LineIndex {
    /// Number of the first input.
    first: u32,
    /// Per input, per chunk: the 1-based line number of the chunk's first line.
    bases: Vec<Vec<u64>>,
    files: Vec<String>,
    headers: Vec<Vec<(u64, String)>>,
}

impl LineIndex {
    /// The slot of `loc`'s input in this index.
    fn slot(&self, loc: &Loc) -> Option<usize> {
        loc.file.checked_sub(self.first).map(|n| n as usize)
    }

    /// An index over inputs read piecewise (`--follow`): input `i` is one chunk
    /// starting at 1-based line `bases[i]` of its file; `files[i]` and
    /// `headers[i]` are its display name and header lines (byte offset, value).
    pub fn from_parts(
        bases: Vec<u64>,
        files: Vec<String>,
        headers: Vec<Vec<(u64, String)>>,
    ) -> LineIndex {
        LineIndex {
            first: 0,
            bases: bases.into_iter().map(|b| vec![b]).collect(),
            files,
            headers,
        }
    }

    /// 1-based line number of `loc` in its input.
    pub fn line(&self, loc: &Loc) -> u64 {
        self.slot(loc)
            .and_then(|n| self.bases.get(n))
            .and_then(|b| b.get(loc.chunk as usize))
            .copied()
            .unwrap_or(1)
            + u64::from(loc.line_in_chunk)
    }

    /// The input's display name.
    pub fn file(&self, loc: &Loc) -> &str {
        self.slot(loc)
            .and_then(|n| self.files.get(n))
            .map_or("?", |s| s.as_str())
    }

    /// Number of the first input, and how many inputs the index covers.
    pub fn span(&self) -> (u32, u32) {
        (self.first, self.files.len() as u32)
    }

    /// `self` followed by `later`, whose inputs are numbered after this one's
    /// (a gap, the inputs of a partial not given, is filled with unnamed inputs).
    ///
    /// Errors: `later` starts before this index ends (the two overlap).
    pub fn append(&mut self, later: LineIndex) -> std::result::Result<(), String> {
        let end = self.first + self.files.len() as u32;
        if later.files.is_empty() {
            return Ok(());
        }
        if self.files.is_empty() {
            *self = later;
            return Ok(());
        }
        if later.first < end {
            return Err(format!(
                "inputs {}..{} overlap inputs {}..{}",
                later.first,
                later.first + later.files.len() as u32,
                self.first,
                end
            ));
        }
        for _ in end..later.first {
            self.bases.push(Vec::new());
            self.files.push("?".into());
            self.headers.push(Vec::new());
        }
        self.bases.extend(later.bases);
        self.files.extend(later.files);
        self.headers.extend(later.headers);
        Ok(())
    }

    /// What the reader of `loc`'s input knew about it (to parse a kept record again).
    pub fn ctx(&self, loc: &Loc) -> Ctx<'_> {
        Ctx {
            path: self.file(loc),
            header: self
                .slot(loc)
                .and_then(|n| self.headers.get(n))
                .and_then(|h| crate::source::header_at(h, loc.offset)),
            only: None,
        }
    }

    /// `file:line` of `loc`.
    pub fn at(&self, loc: &Loc) -> String {
        format!("{}:{}", self.file(loc), self.line(loc))
    }

    /// Fills a record's `file` and `line`.
    pub fn resolve(&self, r: &mut Record) {
        r.file = self.file(&r.loc).to_string();
        r.line = self.line(&r.loc);
    }
}

/// The result of a scan.
pub struct ScanOutput<T> {
    /// The merged accumulator.
    pub acc: T,
    /// Per-input statistics, in input order.
    pub sources: Vec<SourceStats>,
    /// Line resolution for locations in `acc`.
    pub index: LineIndex,
}

struct ChunkOut<T> {
    acc: T,
    input: u32,
    index: u32,
    counts: ChunkCounts,
    bad: Vec<Bad>,
    bad_count: u64,
    torn: Option<Bad>,
}

/// What one input's chunks of a run reported.
#[derive(Default)]
struct InputCounts {
    records: u64,
    prefiltered: u64,
    malformed: u64,
    first_bad: Vec<Bad>,
    torn: Option<Bad>,
}

impl InputCounts {
    /// `self` (earlier chunks) followed by `c` (later chunks of the same input).
    fn add(&mut self, c: InputCounts) {
        self.records += c.records;
        self.prefiltered += c.prefiltered;
        self.malformed += c.malformed;
        let room = FIRST_BAD.saturating_sub(self.first_bad.len());
        self.first_bad.extend(c.first_bad.into_iter().take(room));
        if c.torn.is_some() {
            self.torn = c.torn;
        }
    }
}

/// The merged result of a run of consecutive chunks: merged on the rayon pool
/// as a tree (left is always the earlier run), so no merge waits on one thread
/// for all the others and finished chunks are folded in as they arrive.
struct Partial<T> {
    acc: T,
    /// Per input, in input order (a run's chunks are consecutive).
    inputs: Vec<(u32, InputCounts)>,
    /// (input, chunk index within it, lines) of every chunk.
    chunk_lines: Vec<(u32, u32, u32)>,
}

impl<T> Partial<T> {
    fn of(out: ChunkOut<T>) -> Partial<T> {
        Partial {
            acc: out.acc,
            inputs: vec![(
                out.input,
                InputCounts {
                    records: out.counts.records,
                    prefiltered: out.counts.prefiltered,
                    malformed: out.bad_count,
                    first_bad: out.bad,
                    torn: out.torn,
                },
            )],
            chunk_lines: vec![(out.input, out.index, out.counts.lines)],
        }
    }

    /// `self` (earlier chunks) followed by `b` (later chunks).
    fn merge<A: Analysis<Acc = T>>(mut self, b: Partial<T>, analysis: &A) -> Partial<T> {
        self.acc = analysis.merge(self.acc, b.acc);
        for (input, c) in b.inputs {
            match self.inputs.last_mut() {
                Some((i, a)) if *i == input => a.add(c),
                _ => self.inputs.push((input, c)),
            }
        }
        self.chunk_lines.extend(b.chunk_lines);
        self
    }
}

struct ChunkSink<'s, A: Analysis> {
    analysis: &'s A,
    acc: A::Acc,
    bad: Vec<Bad>,
    bad_count: u64,
    torn: Option<Bad>,
}

impl<A: Analysis> Sink for ChunkSink<'_, A> {
    fn event(&mut self, ev: &Event<'_>) {
        self.analysis.observe(&mut self.acc, ev);
    }
    fn bad(&mut self, bad: Bad) {
        if bad.torn {
            self.torn = Some(bad);
            return;
        }
        self.bad_count += 1;
        if self.bad.len() < FIRST_BAD {
            self.bad.push(bad);
        }
    }
}

fn run_chunk<A: Analysis>(
    analysis: &A,
    chunk: &Chunk<'_>,
    pre: Option<&Prefilter>,
    shared: bool,
) -> ChunkOut<A::Acc> {
    let mut sink = ChunkSink {
        analysis,
        acc: analysis.new_acc(),
        bad: Vec::new(),
        bad_count: 0,
        torn: None,
    };
    let counts = format::parse_shared_chunk(chunk, pre, analysis.times_only(), shared, &mut sink);
    ChunkOut {
        acc: sink.acc,
        input: chunk.input,
        index: chunk.index,
        counts,
        bad: sink.bad,
        bad_count: sink.bad_count,
        torn: sink.torn,
    }
}

/// Scans every input with `analysis` and merges the results.
///
/// Mapped and in-memory inputs are cut into chunks of [`CHUNK_BYTES`] that all run
/// on the rayon pool together; streams are read block by block, a batch of blocks
/// at a time, so memory stays bounded by the batch size whatever the stream's length.
pub fn scan<A: Analysis>(
    inputs: &mut [Input],
    analysis: &A,
    use_prefilter: bool,
) -> ScanOutput<A::Acc> {
    scan_with_chunk_size(inputs, analysis, CHUNK_BYTES, use_prefilter)
}

/// [`scan`] with an explicit chunk size in bytes (tests use tiny chunks to prove
/// that chunking does not change results). With `use_prefilter` off every record
/// is parsed, and so checked (`--strict` needs that).
pub fn scan_with_chunk_size<A: Analysis>(
    inputs: &mut [Input],
    analysis: &A,
    chunk_bytes: usize,
    use_prefilter: bool,
) -> ScanOutput<A::Acc> {
    scan_numbered(inputs, analysis, chunk_bytes, use_prefilter, 0)
}

/// [`scan_with_chunk_size`] with the inputs numbered from `first` instead of 0
/// (the fleet-wide rank of this run's first input): every [`Loc`] and sort key
/// then holds its fleet-wide input number, so the accumulators of runs over
/// consecutive inputs merge as the chunks of one run do.
pub fn scan_numbered<A: Analysis>(
    inputs: &mut [Input],
    analysis: &A,
    chunk_bytes: usize,
    use_prefilter: bool,
    first: u32,
) -> ScanOutput<A::Acc> {
    let mut sources: Vec<SourceStats> = inputs
        .iter()
        .map(|i| SourceStats {
            display: i.display.clone(),
            format: Some(i.format),
            bytes: i.data.bytes().map_or(0, |b| b.len() as u64),
            notes: i.note.iter().cloned().collect(),
            ..SourceStats::default()
        })
        .collect();
    let needs = analysis.needs();
    let only = needs.only();
    let prefilters: Vec<Option<Prefilter>> = inputs
        .iter()
        .map(|i| {
            use_prefilter
                .then(|| format::prefilter_for(i.format, &needs))
                .flatten()
        })
        .collect();

    // All chunks of all non-stream inputs, in input order.
    let mut chunks = Vec::new();
    let mut mapped: Vec<Option<&crate::source::mmap::Map>> = Vec::new();
    for (n, input) in inputs.iter().enumerate() {
        let Some(bytes) = input.data.bytes() else {
            continue;
        };
        let map = match &input.data {
            Data::Mapped(m) => Some(m),
            _ => None,
        };
        for (k, (s, e)) in split_at_headers(
            chunk_ranges(bytes, chunk_bytes, input.format),
            &input.headers,
            0,
        )
        .into_iter()
        .enumerate()
        {
            chunks.push(Chunk {
                input: first + n as u32,
                index: k as u32,
                base: s as u64,
                bytes: &bytes[s..e],
                format: input.format,
                ctx: Ctx {
                    path: &input.display,
                    header: crate::source::header_at(&input.headers, s as u64),
                    only,
                },
                at_eof: e == bytes.len(),
            });
            mapped.push(map);
        }
    }
    // A mapped file may be rewritten by another process while we read it, and
    // parsers read some bytes twice (validate, then slice), which must see the
    // same bytes both times: each record of a mapped chunk is copied before it is
    // parsed (`format::parse_shared_chunk`); framing and prefilters only scan the
    // mapping. A truncation during a read is caught by the SIGBUS guard
    // (source::mmap). Copying per record instead of per chunk skips the bytes a
    // prefilter rules out and parses each copy while it is in cache (BENCHMARKS.md).
    let progress = Progress::start(chunks.iter().map(|c| c.bytes.len() as u64).sum());
    // Each thread drops a mapped chunk's pages when done with it, so the
    // unmapping of a big file is spread over the threads instead of left to one
    // `munmap` at the end (`Map::release`; BENCHMARKS.md has the thread series).
    let run = |c: &Chunk<'_>, map: Option<&crate::source::mmap::Map>| {
        let pre = prefilters[(c.input - first) as usize].as_ref();
        let p = Partial::of(run_chunk(analysis, c, pre, map.is_some()));
        if let Some(m) = map.filter(|_| !analysis.pass_before_another()) {
            m.release(c.bytes);
        }
        progress.inc(c.bytes.len() as u64);
        p
    };
    let whole = chunks
        .par_iter()
        .zip(mapped.par_iter())
        .map(|(c, map)| run(c, *map))
        .reduce_with(|a, b| a.merge(b, analysis));
    drop(chunks);

    let mut chunk_lines: Vec<(u32, u32, u32)> = Vec::new(); // (input, index, lines)
    let mut acc = analysis.new_acc();
    let mut counts: Vec<InputCounts> = inputs.iter().map(|_| InputCounts::default()).collect();
    let mut absorb = |acc: A::Acc, p: Partial<A::Acc>| {
        for (input, c) in p.inputs {
            counts[(input - first) as usize].add(c);
        }
        chunk_lines.extend(p.chunk_lines);
        analysis.merge(acc, p.acc)
    };
    if let Some(p) = whole {
        acc = absorb(acc, p);
    }

    // Streams: bounded batches of blocks; smaller blocks than for mapped files keep
    // resident memory low (`cat big.jsonl | oracle queues -`).
    let batch = rayon::current_num_threads().max(1) * 2;
    let stream_block = chunk_bytes.min(STREAM_BLOCK_BYTES);
    for (n, input) in inputs.iter_mut().enumerate() {
        let Data::Stream { head, rest } = &mut input.data else {
            continue;
        };
        let format = input.format;
        let display = input.display.clone();
        let headers = &mut input.headers;
        let mut carry = std::mem::take(head);
        let mut base = 0u64;
        let mut next_index = 0u32;
        let mut eof = false;
        while !eof {
            let mut blocks: Vec<(u64, Vec<u8>, bool)> = Vec::with_capacity(batch);
            while blocks.len() < batch && !eof {
                let mut error = None;
                let (block, at_eof) =
                    next_block(rest.as_mut(), &mut carry, stream_block, format, &mut error);
                eof = at_eof;
                if let Some(e) = error {
                    let at = base + block.len() as u64;
                    sources[n].notes.push(format!(
                        "read error after {at} bytes: {e}; what was read before it is reported"
                    ));
                    sources[n].read_error = true;
                }
                if block.is_empty() && !at_eof {
                    continue;
                }
                let len = block.len() as u64;
                blocks.push((base, block, at_eof));
                base += len;
            }
            sources[n].bytes = base;
            // Header lines in these blocks take effect where they appear.
            for (b, bytes, _) in &blocks {
                for (o, h) in format::reader(format).headers(bytes) {
                    headers.push((*b + o as u64, h));
                }
            }
            let hs: &[(u64, String)] = headers;
            let mut chunks: Vec<Chunk<'_>> = Vec::new();
            for (b, bytes, at_eof) in &blocks {
                for (s, e) in split_at_headers(vec![(0, bytes.len())], hs, *b) {
                    chunks.push(Chunk {
                        input: first + n as u32,
                        index: next_index,
                        base: *b + s as u64,
                        bytes: &bytes[s..e],
                        format,
                        ctx: Ctx {
                            path: &display,
                            header: crate::source::header_at(hs, *b + s as u64),
                            only,
                        },
                        at_eof: *at_eof && e == bytes.len(),
                    });
                    next_index += 1;
                }
            }
            let batch = chunks
                .par_iter()
                .map(|c| run(c, None))
                .reduce_with(|a, b| a.merge(b, analysis));
            if let Some(p) = batch {
                acc = absorb(acc, p);
            }
        }
    }

    for (s, c) in sources.iter_mut().zip(counts) {
        s.records = c.records;
        s.prefiltered = c.prefiltered;
        s.malformed = c.malformed;
        s.first_bad = c.first_bad;
        s.torn_tail = c.torn;
    }

    // Notes from files that changed under the scan.
    for (n, input) in inputs.iter().enumerate() {
        if let Data::Mapped(m) = &input.data {
            if let Some(note) = m.changed() {
                sources[n].notes.push(note);
            }
        }
    }

    chunk_lines.sort_unstable();
    let mut bases: Vec<Vec<u64>> = vec![Vec::new(); inputs.len()];
    for (input, index, lines) in chunk_lines {
        let b = &mut bases[(input - first) as usize];
        if b.len() <= index as usize {
            b.resize(index as usize + 1, 0);
        }
        b[index as usize] = u64::from(lines);
    }
    // Lines per chunk → the line number of each chunk's first line.
    for b in &mut bases {
        let mut running = 1u64;
        for v in b.iter_mut() {
            let lines = *v;
            *v = running;
            running += lines;
        }
    }
    for s in &mut sources {
        s.first_bad.sort_by_key(|b| b.loc.offset);
    }
    ScanOutput {
        acc,
        sources,
        index: LineIndex {
            first,
            bases,
            files: inputs.iter().map(|i| i.display.clone()).collect(),
            headers: inputs.iter().map(|i| i.headers.clone()).collect(),
        },
    }
}

/// Cuts byte ranges (relative to `base`) again where a header takes effect, so
/// that every range has one header.
fn split_at_headers(
    ranges: Vec<(usize, usize)>,
    headers: &[(u64, String)],
    base: u64,
) -> Vec<(usize, usize)> {
    if headers.is_empty() {
        return ranges;
    }
    let mut out = Vec::with_capacity(ranges.len() + headers.len());
    for (s, e) in ranges {
        let mut start = s;
        for (o, _) in headers {
            let Some(rel) = o.checked_sub(base).map(|r| r as usize) else {
                continue;
            };
            if rel > start && rel < e {
                out.push((start, rel));
                start = rel;
            }
        }
        out.push((start, e));
    }
    out
}

/// Reads the next record-aligned block of about `size` bytes from a stream.
/// Returns the block and whether the stream has ended. A read error ends the
/// stream too, and is left in `error` (never taken for a clean end of input).
fn next_block(
    rd: &mut dyn Read,
    carry: &mut Vec<u8>,
    size: usize,
    format: Format,
    error: &mut Option<std::io::Error>,
) -> (Vec<u8>, bool) {
    let mut buf = std::mem::take(carry);
    let mut eof = false;
    // Bytes before this were searched for a boundary already (the carry holds
    // none past its start): each byte is searched once, however long the record.
    let mut searched = 0usize;
    loop {
        if buf.len() < size {
            let want = size - buf.len();
            let before = buf.len();
            match rd.take(want as u64).read_to_end(&mut buf) {
                Ok(0) => eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    *error = Some(e);
                    eof = true;
                }
            }
            if buf.len() == before && !eof {
                eof = true;
            }
        }
        if eof {
            return (buf, true);
        }
        let framing = format::reader(format).framing();
        // One byte of overlap: a boundary pattern (`\n{`) may straddle the reads.
        let cut = format::framing::last_cut_after(framing, &buf, searched.saturating_sub(1));
        searched = buf.len();
        match cut {
            Some(c) if c > 0 => {
                *carry = buf.split_off(c);
                return (buf, false);
            }
            // One record longer than a block: read on (lines of 64 MiB and more are fine).
            _ => {
                let grow = buf.len() + size;
                if grow > buf.capacity() {
                    buf.reserve(size);
                }
                let want = size;
                let before = buf.len();
                match rd.take(want as u64).read_to_end(&mut buf) {
                    Ok(_) if buf.len() == before => return (buf, true),
                    Ok(_) => {}
                    Err(e) => {
                        *error = Some(e);
                        return (buf, true);
                    }
                }
            }
        }
    }
}

/// Renders bad records as `file:line (reason)` strings for reports.
pub fn describe_bad(index: &LineIndex, bad: &Bad) -> String {
    format!("{} ({})", index.at(&bad.loc), bad.reason)
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    /// Gives `data`, then fails.
    struct Failing {
        data: std::io::Cursor<Vec<u8>>,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.data.read(buf)? {
                0 => Err(std::io::Error::other("device went away")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn a_read_error_ends_the_stream_and_is_reported_never_taken_for_its_end() {
        let lines: Vec<u8> = (0..100)
            .flat_map(|i| {
                format!("{{\"timestamp\": \"2026-02-09T11:30:{:02}\"}}\n", i % 60).into_bytes()
            })
            .collect();
        let mut rd = Failing {
            data: std::io::Cursor::new(lines.clone()),
        };
        let (mut carry, mut error, mut read) = (Vec::new(), None, Vec::new());
        loop {
            let (block, eof) = next_block(&mut rd, &mut carry, 256, Format::Diff, &mut error);
            read.extend_from_slice(&block);
            if eof {
                break;
            }
        }
        assert_eq!(read, lines, "everything before the error is returned");
        let e = error.expect("the error is kept");
        assert!(e.to_string().contains("device went away"));
        // A clean end leaves no error.
        let mut clean = std::io::Cursor::new(lines);
        let (mut carry, mut error) = (Vec::new(), None);
        while !next_block(&mut clean, &mut carry, 256, Format::Diff, &mut error).1 {}
        assert!(error.is_none());
    }
}
