//! Record framing shared by every format: lines, and top-level JSON objects.
//!
//! Owns: finding record boundaries inside a chunk, numbering each record's events
//! ([`crate::model::Loc::sub`]), locating bad records, and the cut points used to
//! split inputs into chunks and stream blocks ([`cut_at_or_after`], [`last_cut`]).
//! Must not: know any format's fields (the [`Reader`] parses each record).

use super::{Bad, Chunk, ChunkCounts, Framing, Prefilter, Reader, Sink};
use crate::model::Loc;
use memchr::memmem;

thread_local! {
    /// Each thread's private copy of the record it parses, for shared inputs.
    static RECORD: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on `rec`, or on a private copy of it when the bytes are `shared`.
fn private<T>(rec: &[u8], shared: bool, f: impl FnOnce(&[u8]) -> T) -> T {
    if !shared {
        return f(rec);
    }
    RECORD.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            buf.extend_from_slice(rec);
            f(&buf)
        }
        // Never nested; if it were, a fresh copy keeps the guarantee.
        Err(_) => {
            let copy: Vec<u8> = rec.to_vec();
            f(copy.as_slice())
        }
    })
}

/// Parses one framed record with `r` and gives its events to `sink`, numbered.
#[allow(clippy::too_many_arguments)]
/// Returns whether the record held any event.
fn emit(
    r: &dyn Reader,
    rec: &[u8],
    loc: Loc,
    chunk: &Chunk<'_>,
    torn: bool,
    shared: bool,
    sink: &mut dyn Sink,
    counts: &mut ChunkCounts,
) {
    let mut n = 0u32;
    let res = private(rec, shared, |rec| {
        r.parse(rec, loc, &chunk.ctx, &mut |mut ev| {
            ev.loc = Loc { sub: n, ..loc };
            n += 1;
            sink.event(&ev);
        })
    });
    match res {
        Ok(()) if n > 0 => counts.records += 1,
        Ok(()) => {}
        Err(reason) => sink.bad(Bad { loc, reason, torn }),
    }
}

/// Line framing: one record a line.
pub fn lines(
    r: &dyn Reader,
    chunk: &Chunk<'_>,
    pre: Option<&Prefilter>,
    times_only: bool,
    shared: bool,
    sink: &mut dyn Sink,
) -> ChunkCounts {
    let buf = chunk.bytes;
    let mut counts = ChunkCounts::default();
    let mut pos = 0usize;
    let mut line_no = 0u32;
    while pos < buf.len() {
        if let Some(pre) = pre {
            // Jump to the line holding the next candidate, counting the lines skipped.
            match pre.next(buf, pos) {
                None => {
                    let skipped = super::count_lines(&buf[pos..]);
                    counts.prefiltered += u64::from(skipped);
                    line_no += skipped;
                    break;
                }
                Some(hit) => {
                    let line_start =
                        memchr::memrchr(b'\n', &buf[pos..hit]).map_or(pos, |i| pos + i + 1);
                    let skipped = memchr::memchr_iter(b'\n', &buf[pos..line_start]).count() as u32;
                    counts.prefiltered += u64::from(skipped);
                    line_no += skipped;
                    pos = line_start;
                }
            }
        }
        let (end, next) = match memchr::memchr(b'\n', &buf[pos..]) {
            Some(i) => (pos + i, pos + i + 1),
            None => (buf.len(), buf.len()),
        };
        let has_newline = next > end;
        let mut line = &buf[pos..end];
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        let loc = Loc {
            file: chunk.input,
            chunk: chunk.index,
            line_in_chunk: line_no,
            offset: chunk.base + pos as u64,
            sub: 0,
        };
        if pre.is_some_and(|p| !p.line_passes(line)) {
            counts.prefiltered += 1;
        } else if let Some(ts) = times_only.then(|| r.time_only(line)).flatten() {
            counts.records += 1;
            sink.event(&crate::model::Event::bare(ts, loc, chunk.format, line));
        } else {
            let torn = chunk.at_eof && !has_newline;
            emit(r, line, loc, chunk, torn, shared, sink, &mut counts);
        }
        line_no += 1;
        pos = next;
    }
    counts.lines = line_no;
    counts
}

/// Object framing: every top-level JSON object of a chunk.
///
/// Between objects, whitespace, `,`, `[` and `]` are skipped (so a JSON array of
/// objects reads as its elements). Anything else is garbage, reported once per
/// line; a run of NUL bytes (what a crash leaves in a file) is reported once and
/// framing resumes right after it, so a record written just after the NULs is
/// read. A `{` at the start of a line while an object is still open (even inside
/// one of its strings, which cannot hold a raw newline) means the open object was
/// cut short (a torn record): it is reported and framing restarts there, so one
/// torn record never swallows the next.
///
/// With a prefilter, a compact record (a line that starts with `{` and ends
/// with `}`) holding none of its literals is skipped unparsed (counted as
/// prefiltered); records spread over several lines are always parsed.
pub fn objects(
    r: &dyn Reader,
    chunk: &Chunk<'_>,
    pre: Option<&Prefilter>,
    shared: bool,
    sink: &mut dyn Sink,
) -> ChunkCounts {
    let buf = chunk.bytes;
    let mut counts = ChunkCounts::default();
    let mut i = 0usize;
    let mut line = 0u32;
    let loc_at = |pos: usize, line: u32| Loc {
        file: chunk.input,
        chunk: chunk.index,
        line_in_chunk: line,
        offset: chunk.base + pos as u64,
        sub: 0,
    };
    while i < buf.len() {
        match buf[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b',' | b'[' | b']' => i += 1,
            0xEF if buf[i..].starts_with(b"\xEF\xBB\xBF") => i += 3,
            b'{' => {
                // Compact JSONL: a whole object on its own line parses as is,
                // without the byte-by-byte framing.
                if i == 0 || buf[i - 1] == b'\n' {
                    let end = memchr::memchr(b'\n', &buf[i..]).map_or(buf.len(), |n| i + n);
                    if let Some(obj) = compact_object(&buf[i..end]) {
                        if pre.is_some_and(|p| !p.passes(obj)) {
                            counts.prefiltered += 1;
                            i = end;
                            continue;
                        }
                        // When the line is not one object after all (two glued
                        // together), the parse fails before any event (the
                        // `Reader::parse` contract) and the brace scanner below
                        // frames it instead.
                        let loc = loc_at(i, line);
                        let parsed = private(obj, shared, |obj| {
                            let mut n = 0u32;
                            let res = r.parse(obj, loc, &chunk.ctx, &mut |mut ev| {
                                ev.loc = Loc { sub: n, ..loc };
                                n += 1;
                                sink.event(&ev);
                            });
                            debug_assert!(
                                res.is_ok() || n == 0,
                                "a reader gave events of a record it then refused"
                            );
                            if res.is_ok() && n > 0 {
                                counts.records += 1;
                            }
                            res.is_ok()
                        });
                        if parsed {
                            i = end;
                            continue;
                        }
                    }
                }
                i = frame(
                    r,
                    buf,
                    i,
                    &mut line,
                    chunk,
                    shared,
                    sink,
                    &mut counts,
                    &loc_at,
                );
            }
            0 => {
                // A run of NULs: one bad record; framing resumes after it.
                let start = i;
                while i < buf.len() && buf[i] == 0 {
                    i += 1;
                }
                sink.bad(Bad {
                    loc: loc_at(start, line),
                    reason: format!("{} NUL bytes", i - start),
                    torn: false,
                });
            }
            _ => {
                // Garbage: report it and skip to the next line.
                sink.bad(Bad {
                    loc: loc_at(i, line),
                    reason: "not a JSON object".into(),
                    torn: false,
                });
                match memchr::memchr(b'\n', &buf[i..]) {
                    Some(n) => i += n,
                    None => i = buf.len(),
                }
            }
        }
    }
    counts.lines = line + u32::from(!buf.is_empty() && !buf.ends_with(b"\n"));
    counts
}

/// Frames one object starting at `buf[i] == b'{'` with the brace scanner (strings
/// and escapes aware, no recursion), parses it, and returns where framing goes on.
#[allow(clippy::too_many_arguments)]
fn frame(
    r: &dyn Reader,
    buf: &[u8],
    mut i: usize,
    line: &mut u32,
    chunk: &Chunk<'_>,
    shared: bool,
    sink: &mut dyn Sink,
    counts: &mut ChunkCounts,
    loc_at: &dyn Fn(usize, u32) -> Loc,
) -> usize {
    let (start, start_line) = (i, *line);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut end = None;
    let mut torn_at = None;
    while i < buf.len() {
        let c = buf[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                b'\n' => {
                    // Raw newline inside a string: invalid JSON. A `{` opening
                    // the next line starts the next record; otherwise let the
                    // parser say what is wrong.
                    *line += 1;
                    if buf.get(i + 1) == Some(&b'{') {
                        torn_at = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' | b'[' => {
                    if c == b'{' && depth > 0 && i > 0 && buf[i - 1] == b'\n' {
                        torn_at = Some(i);
                        break;
                    }
                    depth += 1;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i + 1);
                        i += 1;
                        break;
                    }
                }
                b'\n' => *line += 1,
                _ => {}
            }
        }
        i += 1;
    }
    let loc = loc_at(start, start_line);
    match end {
        Some(end) => emit(r, &buf[start..end], loc, chunk, false, shared, sink, counts),
        None => {
            let at_end = torn_at.is_none();
            if let Some(t) = torn_at {
                i = t;
            }
            sink.bad(Bad {
                loc,
                reason: "object cut short".into(),
                torn: at_end && chunk.at_eof,
            });
        }
    }
    i
}

/// A line that looks like one whole compact object (`{` … `}`), trailing spaces
/// and `\r` trimmed.
fn compact_object(line: &[u8]) -> Option<&[u8]> {
    let t = line.trim_ascii_end();
    (t.len() >= 2 && t[0] == b'{' && t[t.len() - 1] == b'}').then_some(t)
}

/// The first record boundary at or after `from` (the start of the next record),
/// or `None` when there is none. Lines: after a `\n`; objects: before a `{` that
/// opens a line (pretty printers put only top-level objects at column 0).
pub fn cut_at_or_after(framing: Framing, buf: &[u8], from: usize) -> Option<usize> {
    let from = from.min(buf.len());
    match framing {
        Framing::Lines => memchr::memchr(b'\n', &buf[from..]).map(|i| from + i + 1),
        Framing::Objects => memmem::find(&buf[from..], b"\n{").map(|i| from + i + 1),
    }
}

/// The last record boundary in `buf` (where a stream block may end), if any.
pub fn last_cut(framing: Framing, buf: &[u8]) -> Option<usize> {
    match framing {
        Framing::Lines => memchr::memrchr(b'\n', buf).map(|i| i + 1),
        Framing::Objects => memmem::rfind(buf, b"\n{").map(|i| i + 1),
    }
}
