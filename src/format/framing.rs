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
/// Returns why the record is bad, when it is (not yet reported to `sink`).
fn emit(
    r: &dyn Reader,
    rec: &[u8],
    loc: Loc,
    chunk: &Chunk<'_>,
    shared: bool,
    sink: &mut dyn Sink,
    counts: &mut ChunkCounts,
) -> Option<String> {
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
        Err(reason) => return Some(reason),
    }
    None
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
    let max = super::max_record_bytes();
    let mut counts = ChunkCounts::default();
    let mut pos = 0usize;
    let mut line_no = 0u32;
    while pos < buf.len() {
        if let Some(pre) = pre {
            // Jump to the line holding the next candidate, counting the lines skipped.
            // (The newlines before the hit are those before its line's start.)
            match pre.next_counting(buf, pos) {
                (None, newlines) => {
                    let skipped = newlines + u32::from(!buf.ends_with(b"\n"));
                    counts.prefiltered += u64::from(skipped);
                    line_no += skipped;
                    break;
                }
                (Some(hit), skipped) => {
                    let line_start =
                        memchr::memrchr(b'\n', &buf[pos..hit]).map_or(pos, |i| pos + i + 1);
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
        if line.len() > max {
            // Never copied nor parsed: memory stays bounded by the limit.
            sink.bad(Bad {
                loc,
                reason: super::oversized(line.len(), max),
                torn: false,
            });
        } else if pre.is_some_and(|p| !p.line_passes(line)) {
            counts.prefiltered += 1;
        } else if let Some(ts) = times_only.then(|| r.time_only(line)).flatten() {
            counts.records += 1;
            sink.event(&crate::model::Event::bare(ts, loc, chunk.format, line));
        } else {
            let torn = chunk.at_eof && !has_newline;
            if let Some(reason) = emit(r, line, loc, chunk, shared, sink, &mut counts) {
                sink.bad(Bad { loc, reason, torn });
            }
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
/// read. Objects are framed by their JSON structure (strings and escapes aware),
/// so nested objects may start at column 0 (`json.dumps(obj, indent=0)`). A `{`
/// at the start of a line while an object is still open means the open object
/// was cut short (a torn record) when it cannot be a value there: inside a
/// string (which cannot hold a raw newline), or not after `[`, `,` or `:`. Where
/// it could be a nested value, the object is framed on; if what was framed does
/// not parse, it is reported as cut short and framing restarts at that first
/// `{`. Either way one torn record never swallows the next.
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
    let max = super::max_record_bytes();
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
                    if end - i > max && compact_object(&buf[i..end]).is_some() {
                        sink.bad(Bad {
                            loc: loc_at(i, line),
                            reason: super::oversized(end - i, max),
                            torn: false,
                        });
                        i = end;
                        continue;
                    }
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
                    max,
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
    max: usize,
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
    // The first `{` opening a line inside the object where a value may stand:
    // a nested object, or the next record after a torn one.
    let mut maybe_next = None;
    while i < buf.len() {
        if i - start > max {
            // Oversized: skip to where the next record may start, unparsed.
            let next = cut_at_or_after(Framing::Objects, buf, i).unwrap_or(buf.len());
            *line = start_line + newlines(&buf[start..next]);
            let len = next - start;
            sink.bad(Bad {
                loc: loc_at(start, start_line),
                reason: super::oversized(len, max),
                torn: false,
            });
            return next;
        }
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
                        if !value_may_start(&buf[start..i]) {
                            torn_at = Some(i);
                            break;
                        }
                        maybe_next.get_or_insert(i);
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
    let cut_short = |i: usize, torn: bool, sink: &mut dyn Sink| {
        sink.bad(Bad {
            loc,
            reason: "object cut short".into(),
            torn,
        });
        i
    };
    // The earliest place the next record may start.
    match (end, maybe_next.or(torn_at)) {
        (Some(end), next) => match emit(r, &buf[start..end], loc, chunk, shared, sink, counts) {
            None => i,
            Some(_) if next.is_some() => {
                *line = start_line + newlines(&buf[start..next.unwrap_or(start)]);
                cut_short(next.unwrap_or(i), false, sink)
            }
            Some(reason) => {
                sink.bad(Bad {
                    loc,
                    reason,
                    torn: false,
                });
                i
            }
        },
        (None, Some(t)) => {
            *line = start_line + newlines(&buf[start..t]);
            cut_short(t, false, sink)
        }
        (None, None) => cut_short(i, chunk.at_eof, sink),
    }
}

/// The `\n` bytes in `b`.
fn newlines(b: &[u8]) -> u32 {
    memchr::memchr_iter(b'\n', b).count() as u32
}

/// True when a value may start right after `before` (an open object's bytes up
/// to a `{` that opens a line): its last byte other than whitespace is `[`, `,`
/// or `:`.
fn value_may_start(before: &[u8]) -> bool {
    matches!(before.trim_ascii_end().last(), Some(b'[' | b',' | b':'))
}

/// A line that looks like one whole compact object (`{` … `}`), trailing spaces
/// and `\r` trimmed.
fn compact_object(line: &[u8]) -> Option<&[u8]> {
    let t = line.trim_ascii_end();
    (t.len() >= 2 && t[0] == b'{' && t[t.len() - 1] == b'}').then_some(t)
}

/// The first record boundary at or after `from` (the start of the next record),
/// or `None` when there is none. Lines: after a `\n`. Objects: before a `{`
/// that opens a line right after an object closed (`}`, then only whitespace):
/// inside a record such a `{` would be invalid JSON, while a nested object at
/// column 0 (`indent=0`) follows `[`, `,` or `:`. (So the elements of a
/// top-level array are never cut apart: a chunk or stream block holds it whole.)
pub fn cut_at_or_after(framing: Framing, buf: &[u8], from: usize) -> Option<usize> {
    let from = from.min(buf.len());
    match framing {
        Framing::Lines => memchr::memchr(b'\n', &buf[from..]).map(|i| from + i + 1),
        Framing::Objects => memmem::find_iter(&buf[from..], b"\n{")
            .map(|i| from + i + 1)
            .find(|&c| after_object(&buf[..c])),
    }
}

/// The last record boundary in `buf` (where a stream block may end), if any:
/// as [`cut_at_or_after`], the last of them.
pub fn last_cut(framing: Framing, buf: &[u8]) -> Option<usize> {
    last_cut_after(framing, buf, 0)
}

/// [`last_cut`] among the boundaries past `from` only: a stream that grows a
/// block to hold one long record searches each byte once, not once per read.
pub fn last_cut_after(framing: Framing, buf: &[u8], from: usize) -> Option<usize> {
    let from = from.min(buf.len());
    match framing {
        Framing::Lines => memchr::memrchr(b'\n', &buf[from..]).map(|i| from + i + 1),
        Framing::Objects => memmem::rfind_iter(&buf[from..], b"\n{")
            .map(|i| from + i + 1)
            .find(|&c| after_object(&buf[..c])),
    }
}

/// True when `before` ends with `}` and whitespace: an object just closed.
fn after_object(before: &[u8]) -> bool {
    before.trim_ascii_end().last() == Some(&b'}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Ctx;
    use crate::model::{Event, Format};

    #[derive(Default)]
    struct Seen {
        events: Vec<(u32, String)>,
        bad: Vec<(u32, String)>,
    }
    impl Sink for Seen {
        fn event(&mut self, ev: &Event<'_>) {
            let id = ev.id.as_deref().unwrap_or("").to_string();
            self.events.push((ev.loc.line_in_chunk, id));
        }
        fn bad(&mut self, bad: Bad) {
            self.bad.push((bad.loc.line_in_chunk, bad.reason));
        }
    }

    fn frame_hooks(bytes: &[u8]) -> Seen {
        let chunk = Chunk {
            input: 0,
            index: 0,
            base: 0,
            bytes,
            format: Format::Hook,
            ctx: Ctx {
                path: "x.json",
                header: None,
                only: None,
            },
            at_eof: true,
        };
        let mut seen = Seen::default();
        objects(
            super::super::reader(Format::Hook),
            &chunk,
            None,
            false,
            &mut seen,
        );
        seen
    }

    /// Hook records as `json.dumps(obj, indent=0)` prints them: nested objects
    /// (array elements) at column 0.
    fn indent0(id: &str) -> String {
        format!(
            "{{\n\"timestamp\": \"2026-02-13T10:31:00Z\",\n\"hook_event\": \"PreToolUse\",\n\
             \"tool_name\": \"Read\",\n\"tool_use_id\": \"{id}\",\n\"hooks\": [\n{{\n\"n\": 1\n}},\n\
             {{\n\"n\": 2\n}}\n],\n\"ctx\":\n{{\n\"k\": \"v\"\n}}\n}}\n"
        )
    }

    #[test]
    fn nested_objects_at_column_zero_belong_to_their_record() {
        let text: String = ["a", "b", "c"].map(indent0).concat();
        let seen = frame_hooks(text.as_bytes());
        let ids: Vec<&str> = seen.events.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"], "{:?}", seen.bad);
        assert!(seen.bad.is_empty(), "{:?}", seen.bad);
        // Every record starts where the text of its `{` starts.
        let starts: Vec<u32> = text
            .lines()
            .enumerate()
            .filter(|(i, l)| *l == "{" && (*i == 0 || text.lines().nth(i - 1) == Some("}")))
            .map(|(i, _)| i as u32)
            .collect();
        let lines: Vec<u32> = seen.events.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, starts);
    }

    #[test]
    fn a_torn_record_before_a_column_zero_object_is_cut_there() {
        // A record cut inside an array (where an object could follow), then whole ones.
        let torn = "{\n\"timestamp\": \"2026-02-13T10:31:00Z\",\n\"hooks\": [\n";
        let text = format!("{torn}{}{}", indent0("b"), indent0("c"));
        let seen = frame_hooks(text.as_bytes());
        let ids: Vec<&str> = seen.events.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        assert_eq!(seen.bad, [(0, "object cut short".to_string())]);
        assert_eq!(seen.events[0].0, torn.lines().count() as u32);
        // Cut after a scalar (where no value can follow): cut at once.
        let text = format!("{{\n\"timestamp\": 5\n{}", indent0("b"));
        let seen = frame_hooks(text.as_bytes());
        assert_eq!(seen.events.len(), 1);
        assert_eq!(seen.bad.len(), 1);
    }

    #[test]
    fn chunk_cuts_fall_between_records_not_inside_them() {
        let recs = ["a", "b", "c", "d"].map(indent0);
        let text = recs.concat();
        let mut starts = vec![0];
        for r in &recs {
            starts.push(starts.last().unwrap() + r.len());
        }
        for from in 0..text.len() {
            let cut = cut_at_or_after(Framing::Objects, text.as_bytes(), from);
            let want = starts
                .iter()
                .copied()
                .find(|s| *s > from && *s < text.len());
            assert_eq!(cut, want, "from {from}");
        }
        for end in 1..=text.len() {
            let cut = last_cut(Framing::Objects, &text.as_bytes()[..end]);
            let want = starts[1..].iter().copied().rev().find(|s| *s < end);
            assert_eq!(cut, want, "end {end}");
            // Searching only past `from` finds the same cut when it lies past `from`.
            for from in [0, end / 2, end.saturating_sub(2)] {
                let after = last_cut_after(Framing::Objects, &text.as_bytes()[..end], from);
                assert_eq!(after, want.filter(|c| *c > from), "end {end} from {from}");
            }
        }
    }
}
