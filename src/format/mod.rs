//! Readers: one per input format, each in its own module behind [`Reader`].
//!
//! Owns: the [`Reader`] trait (sniff, framing, parse a record into zero or more
//! events, a timestamp-only read, a one-line summary, a prefilter for a query's
//! [`Needs`]), the one place a reader is chosen ([`reader`]), the two record
//! framings every format uses ([`framing`]), and the conversion of kept events to
//! owned [`Record`]s. Must not: do I/O, or decide what an analysis keeps.
//! Invariant: a record that cannot be read is reported to the [`Sink`] with its
//! location and never stops the chunk.

pub mod agent_team;
pub mod counted;
pub mod framing;
pub mod hook;
pub mod lax;
pub mod lazy;
pub mod otlp;
pub mod pipe;
pub mod summary;
pub mod tm;
pub mod transcript;

use crate::model::{Event, Format, Loc, Nanos, Record};

/// How a format's records are laid out in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One record a line (`\n`, an optional `\r` dropped).
    Lines,
    /// Top-level JSON values: compact or pretty-printed objects, concatenated, or
    /// the elements of a top-level JSON array.
    Objects,
}

/// What the reader of a record knows about the input it came from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx<'a> {
    /// The input as named (`-` for stdin); some formats take meaning from their
    /// path (a mailbox's owner is its file name).
    pub path: &'a str,
    /// The header in effect where the chunk starts ([`Reader::headers`]: a pipe
    /// log's team). Chunks are cut where a header line appears, so one chunk has one.
    pub header: Option<&'a str>,
    /// `Some(actions)` when the query reads nothing but events of these actions
    /// (no error-like events, kinds or places): a reader may then give only
    /// those events, with only their time, session, agent and action filled,
    /// plus one bare event for each other record it reads (records are still
    /// counted and checked). `None`: every event, whole.
    pub only: Option<ActionSet>,
}

impl Needs {
    /// The [`Ctx::only`] of a query with these needs.
    pub fn only(&self) -> Option<ActionSet> {
        (!self.all && self.errors.is_none() && self.kind.is_none() && !self.place)
            .then_some(self.actions)
    }
}

/// One input format: everything `oracle` knows about it lives behind this trait.
///
/// A new format is one module implementing it plus one arm in [`reader`] and one
/// place in [`SNIFF_ORDER`].
pub trait Reader: Sync {
    /// The format this reader reads.
    fn format(&self) -> Format;
    /// True when `head` (an input's first [`crate::source::SNIFF_BYTES`] bytes, BOM
    /// and leading whitespace removed) is this format. Content only, never the name.
    fn sniff(&self, head: &[u8]) -> bool;
    /// How records are laid out.
    fn framing(&self) -> Framing;
    /// The actions this format's events can carry. An input whose reader
    /// produces none of what a query needs (and no errors it needs) is not parsed.
    fn produces(&self) -> ActionSet;
    /// Header lines that give the records after them a shared value (a pipe log's
    /// `# Team:`): `(byte offset of the line, value)`, in order. A header applies
    /// from where it appears to the next one, so concatenated logs keep their teams.
    /// Offsets must be record boundaries (line starts).
    fn headers(&self, _bytes: &[u8]) -> Vec<(usize, String)> {
        Vec::new()
    }
    /// Parses one framed record, giving each of its events to `out` (zero events
    /// for a blank or header line). `Err(reason)` when the record cannot be read;
    /// a record that returns `Err` gives no event at all (parse first, then emit),
    /// so that framing can try the bytes another way.
    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String>;
    /// Reads only a record's time, where the writer puts it first; `None` when the
    /// record does not have that shape (the caller then parses it whole).
    fn time_only(&self, _record: &[u8]) -> Option<Nanos> {
        None
    }
    /// The event's one-line summary (no newline; clipped with [`summary::clip`]).
    fn summarize(&self, ev: &Event<'_>) -> String;
    /// A literal prefilter that passes every record able to produce an event the
    /// query needs. `None`: parse every record.
    fn prefilter(&self, _needs: &Needs) -> Option<Prefilter> {
        None
    }
}

/// The reader of a format: the one exhaustive match over formats.
pub fn reader(format: Format) -> &'static dyn Reader {
    match format {
        Format::Pipe => &pipe::Pipe,
        Format::Diff => &tm::Diff,
        Format::State => &tm::State,
        Format::Hook => &hook::Hook,
        Format::Transcript => &transcript::Transcript,
        Format::Team => &agent_team::Team,
        Format::Otlp => &otlp::Otlp,
    }
}

/// The order in which readers sniff an input: the most specific shapes first (a
/// transcript line mentions `tool_name`, which alone would look like a hook record).
pub const SNIFF_ORDER: [Format; 7] = [
    Format::Pipe,
    Format::Diff,
    Format::State,
    Format::Otlp,
    Format::Team,
    Format::Transcript,
    Format::Hook,
];

/// Detects a format from the first bytes of an input (never from its name): the
/// first reader in [`SNIFF_ORDER`] that recognises it. A UTF-8 BOM and leading
/// whitespace are ignored. `None` when no reader does.
pub fn sniff(head: &[u8]) -> Option<Format> {
    let head = crate::source::strip_bom(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    SNIFF_ORDER.into_iter().find(|f| reader(*f).sniff(head))
}

/// Error-like events a query needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorNeed {
    /// Every severity.
    Any,
    /// Only critical ones.
    CriticalOnly,
}

/// One bit per [`crate::model::Action`] variant, for [`Needs::actions`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionSet(pub u32);

impl ActionSet {
    /// Agent spawned or finished.
    pub const AGENTS: ActionSet = ActionSet(1);
    /// Tasks sent, replied, or on a task board.
    pub const TASKS: ActionSet = ActionSet(1 << 1);
    /// Messages between agents.
    pub const MESSAGES: ActionSet = ActionSet(1 << 2);
    /// Tool calls.
    pub const TOOLS: ActionSet = ActionSet(1 << 3);
    /// Usage (tokens, cost).
    pub const USAGE: ActionSet = ActionSet(1 << 4);
    /// Tests.
    pub const TESTS: ActionSet = ActionSet(1 << 5);
    /// Queue samples.
    pub const QUEUE: ActionSet = ActionSet(1 << 6);
    /// Snapshots.
    pub const SNAPSHOTS: ActionSet = ActionSet(1 << 7);
    /// Prompts and compactions.
    pub const CONVERSATION: ActionSet = ActionSet(1 << 8);
    /// Trace spans.
    pub const SPANS: ActionSet = ActionSet(1 << 9);

    /// Both sets.
    pub const fn or(self, o: ActionSet) -> ActionSet {
        ActionSet(self.0 | o.0)
    }
    /// True when the sets share an action.
    pub const fn any(self, o: ActionSet) -> bool {
        self.0 & o.0 != 0
    }
    /// True when empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What a query reads, so that each reader can build a prefilter that skips only
/// records unable to matter ([`Reader::prefilter`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Every record (no prefilter).
    pub all: bool,
    /// Error-like events.
    pub errors: Option<ErrorNeed>,
    /// Actions.
    pub actions: ActionSet,
    /// Events whose kind or status equals this text (`diffs -e`).
    pub kind: Option<String>,
    /// Records that state where the agent ran (a permission mode; a working
    /// directory is read from the records kept for `actions`).
    pub place: bool,
}

impl Needs {
    /// Every record.
    pub fn everything() -> Needs {
        Needs {
            all: true,
            ..Needs::default()
        }
    }
}

/// The prefilter of a line format whose kinds are written literally in each
/// record: `None` when the query reads actions or everything; a record holding
/// the `-e` kind when that is all it asks; for errors, `critical` or `any`
/// (either may be `None`: parse all); nothing when it reads no errors.
pub(crate) fn literal_prefilter(
    needs: &Needs,
    critical: impl FnOnce() -> Option<Prefilter>,
    any: impl FnOnce() -> Option<Prefilter>,
) -> Option<Prefilter> {
    if needs.all || !needs.actions.is_empty() {
        return None;
    }
    if let Some(k) = &needs.kind {
        return needs
            .errors
            .is_none()
            .then(|| Prefilter::any_of([k.as_bytes().to_vec()]));
    }
    match needs.errors {
        Some(ErrorNeed::CriticalOnly) => critical(),
        Some(ErrorNeed::Any) => any(),
        None => Some(Prefilter::nothing()),
    }
}

/// Literals a record naming a critical severity holds: `critical`, `crit` and
/// `fatal` in three casings, each with the closing quote of a JSON string value
/// (an opening quote would make every `"` a candidate).
pub(crate) fn critical_words() -> impl Iterator<Item = Vec<u8>> {
    ["critical", "crit", "fatal"].into_iter().flat_map(|w| {
        let cap = format!("{}{}", w[..1].to_ascii_uppercase(), &w[1..]);
        [w.to_string(), w.to_ascii_uppercase(), cap].map(|v| format!("{v}\"").into_bytes())
    })
}

/// A record-aligned slice of one input, ready to parse.
#[derive(Clone, Copy)]
pub struct Chunk<'a> {
    /// Input index.
    pub input: u32,
    /// Chunk number within its input (0-based, in byte order).
    pub index: u32,
    /// Byte offset of `bytes[0]` within the input.
    pub base: u64,
    /// The bytes.
    pub bytes: &'a [u8],
    /// The input's format.
    pub format: Format,
    /// What the reader knows about the input.
    pub ctx: Ctx<'a>,
    /// True when the chunk ends at the end of its input (a torn last line is possible).
    pub at_eof: bool,
}

/// Why a record could not be read.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq)]
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
    One(Box<counted::CountingFinder>),
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
        Prefilter::any_of_or_matching(literals, &[])
    }

    /// Records containing any of `literals` or a match of any of `patterns`
    /// (`regex` syntax, case-sensitive; for what a literal cannot say, such as
    /// any JSON whitespace around a `:`).
    ///
    /// Panics: on a pattern that is not a valid regex (a programming error in
    /// a reader's static list).
    pub fn any_of_or_matching<I: IntoIterator<Item = Vec<u8>>>(
        literals: I,
        patterns: &[&str],
    ) -> Prefilter {
        let lits: Vec<Vec<u8>> = literals.into_iter().collect();
        let first = match (lits.as_slice(), patterns) {
            ([], []) => First::Nothing,
            ([one], []) => First::One(Box::new(counted::CountingFinder::new(one))),
            _ => {
                let alt = lits
                    .iter()
                    .map(|l| regex::escape(&String::from_utf8_lossy(l)))
                    .chain(patterns.iter().map(|p| format!("(?:{p})")))
                    .collect::<Vec<_>>()
                    .join("|");
                match regex::bytes::Regex::new(&alt) {
                    Ok(re) => First::Many(re),
                    Err(_) if patterns.is_empty() => First::Nothing,
                    Err(e) => panic!("prefilter patterns {patterns:?}: {e}"),
                }
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

    /// [`Prefilter::next`], and the newlines in `hay[from..]` before the
    /// candidate (before the end when there is none): one pass for one literal
    /// ([`counted`]), a search then a count otherwise.
    fn next_counting(&self, hay: &[u8], from: usize) -> (Option<usize>, u32) {
        if let First::One(f) = &self.first {
            return f.find(hay, from);
        }
        let hit = self.next(hay, from);
        let upto = hit.unwrap_or(hay.len());
        (
            hit,
            memchr::memchr_iter(b'\n', &hay[from..upto]).count() as u32,
        )
    }

    fn find(first: &First, hay: &[u8], from: usize) -> Option<usize> {
        match first {
            First::Nothing => None,
            First::One(f) => f.find_uncounted(hay, from),
            First::Many(re) => re.find_at(hay, from).map(|m| m.start()),
        }
    }

    /// Both stages on one record: whether it may matter.
    fn passes(&self, rec: &[u8]) -> bool {
        Self::find(&self.first, rec, 0).is_some() && self.line_passes(rec)
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

/// The prefilter for an input of `format` under `needs`: nothing at all when the
/// reader can produce nothing needed, else the reader's own.
pub fn prefilter_for(format: Format, needs: &Needs) -> Option<Prefilter> {
    let r = reader(format);
    if !needs.all
        && needs.errors.is_none()
        && needs.kind.is_none()
        && !r.produces().any(needs.actions)
    {
        return Some(Prefilter::nothing());
    }
    r.prefilter(needs)
}

/// Parses every record in `chunk`, reporting events and bad records to `sink`.
///
/// With `times_only`, records whose time the reader can read alone
/// ([`Reader::time_only`]) yield events that carry only their time.
pub fn parse_chunk(
    chunk: &Chunk<'_>,
    pre: Option<&Prefilter>,
    times_only: bool,
    sink: &mut dyn Sink,
) -> ChunkCounts {
    parse_shared_chunk(chunk, pre, times_only, false, sink)
}

/// [`parse_chunk`] over bytes that may be `shared` with another process (a live
/// memory map): each record is copied before it is parsed, so a parser that reads
/// bytes twice (validate, then slice) always sees the same bytes. Framing and
/// prefilters only scan the shared bytes.
pub fn parse_shared_chunk(
    chunk: &Chunk<'_>,
    pre: Option<&Prefilter>,
    times_only: bool,
    shared: bool,
    sink: &mut dyn Sink,
) -> ChunkCounts {
    let r = reader(chunk.format);
    match r.framing() {
        Framing::Lines => framing::lines(r, chunk, pre, times_only, shared, sink),
        Framing::Objects => framing::objects(r, chunk, pre, shared, sink),
    }
}

/// The largest record read by default, in bytes: 128 MiB (hl takes 64 MiB; a
/// 64 MiB payload plus its record must still read). A larger one is reported as
/// oversized, located, and skipped unparsed (`--max-record-size`).
pub const DEFAULT_MAX_RECORD_BYTES: usize = 128 << 20;

static MAX_RECORD_BYTES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(DEFAULT_MAX_RECORD_BYTES);

/// Sets the largest record framing hands to a reader, for the whole process
/// (`app::run` sets it once from `--max-record-size`, before any scan).
pub fn set_max_record_bytes(n: usize) {
    MAX_RECORD_BYTES.store(n.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// The largest record framing hands to a reader, in bytes.
pub fn max_record_bytes() -> usize {
    MAX_RECORD_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// The reason given for a record larger than [`max_record_bytes`].
pub fn oversized(len: usize, max: usize) -> String {
    format!("record of {len} bytes is larger than --max-record-size ({max} bytes); skipped")
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
/// analysis for later, and returns its event number `loc.sub`. `None` only if the
/// bytes no longer parse.
pub fn reparse<'a>(format: Format, bytes: &'a [u8], loc: Loc, ctx: &Ctx<'a>) -> Option<Event<'a>> {
    let mut found = None;
    let mut n = 0u32;
    let _ = reader(format).parse(bytes, loc, ctx, &mut |mut ev| {
        if n == loc.sub {
            ev.loc.sub = n;
            found = Some(ev);
        }
        n += 1;
    });
    found
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
        summary: summary::one_line(&reader(ev.format).summarize(ev)),
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

    #[test]
    fn every_format_has_a_reader_and_a_place_in_the_sniff_order() {
        for f in SNIFF_ORDER {
            assert_eq!(reader(f).format(), f);
        }
        let mut all = SNIFF_ORDER.to_vec();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), SNIFF_ORDER.len());
    }
}
