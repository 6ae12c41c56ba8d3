//! Parsers: one per input format, all producing [`Event`]s.
//!
//! Owns: record framing inside a chunk (lines, or top-level JSON objects for hook
//! files), per-record parsing, the per-format one-line summaries, and the
//! conversion of kept events to owned [`Record`]s. Must not: do I/O, or decide
//! what an analysis keeps.
//! Invariant: a record that cannot be read is reported to the [`Sink`] with its
//! location and never stops the chunk.

pub mod hook;
pub mod lax;
pub mod pipe;
pub mod summary;
pub mod tm;

use crate::model::{Event, Format, Loc, Record};
use memchr::memmem;

/// A record-aligned slice of one input, ready to parse.
#[derive(Clone, Copy)]
pub struct Chunk<'a> {
    /// Input index.
    pub input: u32,
    /// Global chunk number.
    pub index: u32,
    /// Byte offset of `bytes[0]` within the input.
    pub base: u64,
    /// The bytes.
    pub bytes: &'a [u8],
    /// The input's format.
    pub format: Format,
    /// Pipe logs: the `# Team:` header value.
    pub team: Option<&'a str>,
    /// True when the chunk ends at the end of its input (a torn last line is possible).
    pub at_eof: bool,
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    /// Where.
    pub loc: Loc,
    /// Why, in a few words.
    pub reason: String,
    /// The input's last record, cut short without a newline (a writer still writing).
    pub torn: bool,
}

/// Receives what a chunk parse finds.
pub trait Sink {
    /// A well-formed record.
    fn event(&mut self, ev: &Event<'_>);
    /// A record that could not be read.
    fn bad(&mut self, bad: Bad);
}

/// A literal prefilter: a record is only parsed when it passes. Built from a query
/// so that every record the query can match passes (no false negatives); records it
/// skips are not parsed and so not checked for well-formedness (the `sources` block
/// counts them as `prefiltered`).
///
/// Two stages: `first` finds candidate records across the whole chunk (one literal
/// with `memchr::memmem`, several with one `regex` alternation, a SIMD multi-literal
/// search); `also`, when set, then requires one of its own literals within the
/// candidate's line.
#[derive(Debug, Clone)]
pub struct Prefilter {
    first: First,
    also: Option<First>,
}

#[derive(Debug, Clone)]
enum First {
    Nothing,
    One(Box<memmem::Finder<'static>>),
    Many(regex::bytes::Regex),
}

impl Prefilter {
    /// Matches no record: nothing of this format can matter to the query.
    pub fn nothing() -> Prefilter {
        Prefilter {
            first: First::Nothing,
            also: None,
        }
    }

    /// Records containing any of `literals` (case-sensitive).
    pub fn any_of<I: IntoIterator<Item = Vec<u8>>>(literals: I) -> Prefilter {
        let lits: Vec<Vec<u8>> = literals.into_iter().collect();
        let first = match lits.as_slice() {
            [] => First::Nothing,
            [one] => First::One(Box::new(memmem::Finder::new(one).into_owned())),
            _ => {
                let alt = lits
                    .iter()
                    .map(|l| regex::escape(&String::from_utf8_lossy(l)))
                    .collect::<Vec<_>>()
                    .join("|");
                regex::bytes::Regex::new(&alt).map_or(First::Nothing, First::Many)
            }
        };
        Prefilter { first, also: None }
    }

    /// Further requires one of `literals` (case-sensitive) in the same line.
    pub fn and_any_of<I: IntoIterator<Item = Vec<u8>>>(mut self, literals: I) -> Prefilter {
        self.also = Some(Prefilter::any_of(literals).first);
        self
    }

    /// Finds the first candidate position at or after `from` in `hay`, if any.
    fn next(&self, hay: &[u8], from: usize) -> Option<usize> {
        Self::find(&self.first, hay, from)
    }

    fn find(first: &First, hay: &[u8], from: usize) -> Option<usize> {
        match first {
            First::Nothing => None,
            First::One(f) => f.find(&hay[from..]).map(|i| from + i),
            First::Many(re) => re.find_at(hay, from).map(|m| m.start()),
        }
    }

    /// The second stage on one line.
    fn line_passes(&self, line: &[u8]) -> bool {
        self.also
            .as_ref()
            .is_none_or(|m| Self::find(m, line, 0).is_some())
    }
}

/// Counts what a chunk parse skipped: header and blank lines, and (with a
/// prefilter) records never parsed.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChunkCounts {
    /// Lines in the chunk (for resolving line numbers).
    pub lines: u32,
    /// Records parsed successfully.
    pub records: u64,
    /// Lines skipped by the prefilter (not parsed).
    pub prefiltered: u64,
}

/// Parses every record in `chunk`, reporting events and bad records to `sink`.
///
/// With `times_only`, line records yield events that carry only their time (the
/// other fields empty), read by [`time_only`] where it can.
pub fn parse_chunk(
    chunk: &Chunk<'_>,
    pre: Option<&Prefilter>,
    times_only: bool,
    sink: &mut dyn Sink,
) -> ChunkCounts {
    match chunk.format {
        Format::Hook => hook::parse_stream(chunk, sink),
        _ => parse_lines(chunk, pre, times_only, sink),
    }
}

/// Reads only a line's timestamp where the writer puts it first: the pipe log's
/// first field, or `{"timestamp": "…"` opening a time-machine line. `None` when the
/// line does not have that shape (the caller then parses it whole).
pub fn time_only(format: Format, line: &[u8]) -> Option<crate::model::Nanos> {
    let line = content(line)?;
    match format {
        Format::Pipe => {
            let end = memmem::find(line, b" | ")?;
            crate::model::time::parse_timestamp(line[..end].trim_ascii())
        }
        Format::Diff | Format::State => {
            let rest = line
                .strip_prefix(b"{\"timestamp\": \"")
                .or_else(|| line.strip_prefix(b"{\"timestamp\":\""))?;
            let end = memchr::memchr(b'"', rest)?;
            crate::model::time::parse_timestamp(&rest[..end])
        }
        Format::Hook => None,
    }
}

/// Line framing for pipe, diff and state files.
fn parse_lines(
    chunk: &Chunk<'_>,
    pre: Option<&Prefilter>,
    times_only: bool,
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
                    let skipped = count_lines(&buf[pos..]);
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
        };
        if pre.is_some_and(|p| !p.line_passes(line)) {
            counts.prefiltered += 1;
            line_no += 1;
            pos = next;
            continue;
        }
        if times_only {
            if let Some(ts) = time_only(chunk.format, line) {
                counts.records += 1;
                sink.event(&Event::bare(ts, loc, chunk.format, line));
                line_no += 1;
                pos = next;
                continue;
            }
        }
        let res = match chunk.format {
            Format::Pipe => pipe::parse_line(line, loc, chunk.team),
            Format::Diff => tm::parse_diff(line, loc),
            Format::State => tm::parse_state(line, loc),
            Format::Hook => unreachable!("hook files are framed by objects"),
        };
        match res {
            Ok(Some(ev)) => {
                counts.records += 1;
                sink.event(&ev);
            }
            Ok(None) => {}
            Err(reason) => sink.bad(Bad {
                loc,
                reason,
                torn: chunk.at_eof && !has_newline,
            }),
        }
        line_no += 1;
        pos = next;
    }
    counts.lines = line_no;
    counts
}

/// Lines in `b`, counting a final line without `\n`.
pub fn count_lines(b: &[u8]) -> u32 {
    let n = memchr::memchr_iter(b'\n', b).count();
    (n + usize::from(!b.is_empty() && !b.ends_with(b"\n"))) as u32
}

/// Skips the leading UTF-8 BOM and whitespace of a line; returns `None` when blank.
#[inline]
pub(crate) fn content(line: &[u8]) -> Option<&[u8]> {
    let line = crate::source::strip_bom(line).trim_ascii();
    (!line.is_empty()).then_some(line)
}

/// Parses one record again from its bytes (see [`Event::record`]), as kept by an
/// analysis for later. `None` only if the bytes no longer parse.
pub fn reparse<'a>(
    format: Format,
    bytes: &'a [u8],
    loc: Loc,
    team: Option<&'a str>,
) -> Option<Event<'a>> {
    match format {
        Format::Pipe => pipe::parse_line(bytes, loc, team).ok().flatten(),
        Format::Diff => tm::parse_diff(bytes, loc).ok().flatten(),
        Format::State => tm::parse_state(bytes, loc).ok().flatten(),
        Format::Hook => hook::parse_object(bytes, loc).ok(),
    }
}

/// Converts a kept event into an owned [`Record`] (file and line are resolved later).
pub fn to_record(ev: &Event<'_>) -> Record {
    use crate::model::own;
    let raw = raw_json(ev);
    Record {
        time: ev.ts.map(crate::model::time::format_rfc3339),
        file: String::new(),
        line: 0,
        offset: ev.loc.offset,
        format: ev.format,
        kind: ev.kind.to_string(),
        status: ev.status.to_string(),
        agent: own(&ev.agent),
        target: own(&ev.target),
        severity: ev.severity,
        category: own(&ev.category),
        session: own(&ev.session),
        summary: summary::summarize(ev),
        raw,
        ts: ev.ts,
        loc: ev.loc,
    }
}

/// The event's raw bytes as a JSON value (a JSON string of the text when they are
/// not valid JSON on their own, e.g. a pipe line whose metadata is not an object).
///
/// JSON nested deeper than [`MAX_RAW_DEPTH`] is also given as a string, so that
/// every reader of the output (serde_json stops at 128 levels, Python's `json`
/// near 1,000) can parse it.
fn raw_json(ev: &Event<'_>) -> Box<serde_json::value::RawValue> {
    let text = String::from_utf8_lossy(ev.raw);
    let as_string = || serde_json::value::to_raw_value(&text).expect("a string always serialises");
    if nesting_depth(text.as_bytes()) > MAX_RAW_DEPTH {
        return as_string();
    }
    serde_json::value::RawValue::from_string(text.trim().to_string())
        .unwrap_or_else(|_| as_string())
}

/// Deepest nesting echoed as JSON in `raw` (serde_json's own recursion limit).
pub const MAX_RAW_DEPTH: usize = 128;

/// The deepest bracket nesting in a JSON text, strings skipped.
fn nesting_depth(b: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &c in b {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    #[derive(Default)]
    struct Collect {
        events: Vec<(u32, String)>,
        bad: Vec<Bad>,
    }
    impl Sink for Collect {
        fn event(&mut self, ev: &Event<'_>) {
            self.events
                .push((ev.loc.line_in_chunk, ev.kind.to_string()));
        }
        fn bad(&mut self, bad: Bad) {
            self.bad.push(bad);
        }
    }

    fn chunk(bytes: &[u8], format: Format) -> Chunk<'_> {
        Chunk {
            input: 0,
            index: 0,
            base: 0,
            bytes,
            format,
            team: None,
            at_eof: true,
        }
    }

    #[test]
    fn prefilter_finds_the_same_matching_lines_as_a_full_parse() {
        let data = b"{\"timestamp\": \"2026-02-09T11:30:12\", \"change_type\": \"added\", \"entity_type\": \"span\", \"data\": {}}\n\
{\"timestamp\": \"2026-02-09T11:30:13\", \"change_type\": \"added\", \"entity_type\": \"error\", \"data\": {\"severity\": \"critical\"}}\n\
not json\n\
{\"timestamp\": \"2026-02-09T11:30:14\", \"change_type\": \"added\", \"entity_type\": \"error\", \"data\": {\"severity\": \"critical\"}}";
        let c = chunk(data, Format::Diff);
        let mut full = Collect::default();
        let n_full = parse_chunk(&c, None, false, &mut full);
        let pre = Prefilter::any_of([b"critical".to_vec()]);
        let mut fast = Collect::default();
        let n_fast = parse_chunk(&c, Some(&pre), false, &mut fast);
        assert_eq!(n_full.lines, 4);
        assert_eq!(n_fast.lines, 4);
        let errors: Vec<_> = full
            .events
            .iter()
            .filter(|e| e.1 == "error")
            .cloned()
            .collect();
        assert_eq!(fast.events, errors);
        assert_eq!(full.bad.len(), 1);
        assert_eq!(full.bad[0].loc.line_in_chunk, 2);
        assert!(fast.bad.is_empty());
        assert_eq!(n_fast.prefiltered, 2);
    }

    #[test]
    fn a_torn_last_line_is_flagged_as_torn() {
        let data = b"{\"timestamp\": \"2026-02-09T11:30:12\", \"change_type\": \"added\", \"entity_type\": \"span\", \"data\": {}}\n{\"timestamp\": \"2026-02";
        let mut c = Collect::default();
        parse_chunk(&chunk(data, Format::Diff), None, false, &mut c);
        assert_eq!(c.events.len(), 1);
        assert_eq!(c.bad.len(), 1);
        assert!(c.bad[0].torn);
    }
}

#[cfg(test)]
mod time_only_tests {
    use super::*;

    #[test]
    fn reads_the_leading_timestamp_of_each_line_format() {
        let t = crate::model::time::parse_timestamp(b"2026-02-09T11:30:12.5Z");
        assert_eq!(
            time_only(
                Format::Diff,
                b"{\"timestamp\": \"2026-02-09T11:30:12.500000\", \"x\": 1}"
            ),
            t
        );
        assert_eq!(
            time_only(
                Format::Pipe,
                b"2026-02-09T11:30:12.500Z | lifecycle | a | spawned | {}"
            ),
            t
        );
        // Another shape: the caller parses the line whole.
        assert_eq!(
            time_only(Format::Diff, b"{\"change_type\": \"added\"}"),
            None
        );
        assert_eq!(
            time_only(Format::Hook, b"{\"timestamp\": \"2026-02-09T11:30:12Z\"}"),
            None
        );
    }
}
