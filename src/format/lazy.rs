//! A validating, lazy JSON field reader: one pass over a record checks that all of
//! it is JSON (RFC 8259) and hands back the raw text of the fields a reader asked
//! for, by path, whatever their order, spacing, nesting company or extra fields.
//!
//! Owns: [`Schema`] (the wanted paths, compiled to a trie once per reader) and
//! [`scan`]. Must not: know any format's field names (readers bring their paths).
//!
//! Why: a typed serde parse pays for every key it matches and every value it
//! builds; this reader compares only the keys on a wanted path (one hash lookup
//! each, the key compared as one 16-byte word), scans a string's first 48
//! bytes 16 at a time and the rest (or all of it from its first escape) 64
//! bytes at a time with bit masks, and skips objects and arrays off the wanted
//! paths 64 bytes at a time by their brackets, so its speed depends on neither
//! the writer's byte layout nor how many tokens the skipped values hold
//! (BENCHMARKS.md, issue 9). The 64-byte scanners use the widest vectors the
//! CPU has (`blocks`: AVX-512BW, AVX2, SSE2; [`simd_backend`] names it).
//!
//! What is malformed on the wanted paths and in every string is exactly what
//! RFC 8259 rejects: bad structure, raw control bytes (< 0x20) inside strings,
//! unknown escapes, bad numbers or literals, trailing bytes, nesting deeper
//! than [`MAX_DEPTH`]. Inside an object or array off the wanted paths the
//! check is the one simdjson's On-Demand reader makes of what it skips:
//! strings (as above), brackets balanced and of matching kinds, depth, and no
//! stray backslash or control byte between tokens; its commas, colons and
//! number spellings are not read ([`Schema::validating`] reads them too). So a
//! truncated, glued or binary-damaged line is always malformed. The caller
//! checks UTF-8 ([`utf8`]). A key given twice: the last value wins, as in most
//! JSON readers (for an object on a wanted path, the last object replaces all
//! of the first one's fields).

mod blocks;

pub use blocks::backend_name as simd_backend;
use blocks::skip_container;
use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// Most wanted paths one schema can hold (a node keeps its subtree's slots as bits of a `u64`).
pub const MAX_SLOTS: usize = 64;

/// A node's keys: a 64-entry table indexed by (length, first, last byte), each
/// entry the head of a chain of candidates. Keys of real schemas rarely share
/// a bucket, so a lookup is one index and one compare of the key's first 16
/// bytes as one word (and of the rest, for longer keys).
#[derive(Debug)]
struct Keys {
    /// Chain heads by bucket (a fixed array: the lookup's index needs no bounds check).
    heads: [u16; Keys::BUCKETS],
    /// (first 16 bytes as a word, key, child node, next candidate + 1 or 0).
    entries: Vec<(u128, Box<[u8]>, usize, u16)>,
}

/// `KEEP[n]`: the low `n` bytes of a word set (a table: a variable shift of
/// a `u128` costs several instructions).
const KEEP: [u128; 17] = {
    let mut t = [0u128; 17];
    let mut n = 1;
    while n < 16 {
        t[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    t[16] = u128::MAX;
    t
};

/// The first 16 bytes of `b[at..at + len]` as a little-endian word, zero past `len`.
#[inline(always)]
fn word(b: &[u8], at: usize, len: usize) -> u128 {
    let n = len.min(16);
    match b.get(at..at + 16) {
        Some(w) => u128::from_le_bytes(w.try_into().expect("16 bytes")) & KEEP[n],
        None => {
            let mut w = [0u8; 16];
            w[..n].copy_from_slice(&b[at..at + n]);
            u128::from_le_bytes(w)
        }
    }
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            heads: [0; Keys::BUCKETS],
            entries: Vec::new(),
        }
    }
}

impl Keys {
    const BUCKETS: usize = 64;

    #[inline(always)]
    fn bucket(len: usize, first: u8, last: u8) -> usize {
        (len.wrapping_mul(31) ^ usize::from(first).wrapping_mul(7) ^ usize::from(last))
            % Self::BUCKETS
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The child of the key `b[at..at + len]`.
    #[inline(always)]
    fn get_in(&self, b: &[u8], at: usize, len: usize) -> Option<usize> {
        if self.entries.is_empty() || len == 0 {
            return None;
        }
        let mut i = self.heads[Self::bucket(len, b[at], b[at + len - 1])];
        if i == 0 {
            return None;
        }
        let w = word(b, at, len);
        while i != 0 {
            let (kw, key, child, next) = &self.entries[usize::from(i) - 1];
            if *kw == w && key.len() == len && (len <= 16 || key[16..] == b[at + 16..at + len]) {
                return Some(*child);
            }
            i = *next;
        }
        None
    }

    fn get(&self, k: &[u8]) -> Option<usize> {
        self.get_in(k, 0, k.len())
    }

    fn insert(&mut self, k: &[u8], child: usize) {
        assert!(!k.is_empty(), "a wanted key is never empty");
        let b = Self::bucket(k.len(), k[0], k[k.len() - 1]);
        self.entries
            .push((word(k, 0, k.len()), k.into(), child, self.heads[b]));
        self.heads[b] = u16::try_from(self.entries.len()).expect("few keys per node");
    }

    fn children(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|e| e.2)
    }
}

#[derive(Debug, Default)]
struct Node {
    children: Keys,
    slot: Option<usize>,
    /// Slots of this node's subtree, one bit each.
    subtree: u64,
    /// For a path `a.list[]`: the node of the list's elements (their fields
    /// are the paths `a.list[].key`).
    each: Option<usize>,
}

/// A set of wanted paths (`"data.payload.error"`: keys separated by dots),
/// compiled into a trie. Each path has a slot, its index in the list given.
#[derive(Debug)]
pub struct Schema {
    nodes: Vec<Node>,
    /// Walk every token of skipped objects and arrays ([`Schema::validating`]).
    every_token: bool,
}

impl Schema {
    /// Compiles `paths` (at most [`MAX_SLOTS`]; keys must not contain dots).
    ///
    /// Panics: on more than [`MAX_SLOTS`] paths or a repeated path (a programming
    /// error in a reader's static list).
    pub fn new(paths: &[&str]) -> Schema {
        assert!(paths.len() <= MAX_SLOTS, "too many paths for one schema");
        let mut nodes = vec![Node::default()];
        for (slot, p) in paths.iter().enumerate() {
            let mut at = 0;
            for key in p.split('.') {
                let (key, each) = match key.strip_suffix("[]") {
                    Some(k) => (k, true),
                    None => (key, false),
                };
                at = match nodes[at].children.get(key.as_bytes()) {
                    Some(child) => child,
                    None => {
                        let next = nodes.len();
                        nodes[at].children.insert(key.as_bytes(), next);
                        nodes.push(Node::default());
                        next
                    }
                };
                if each {
                    at = match nodes[at].each {
                        Some(e) => e,
                        None => {
                            let next = nodes.len();
                            nodes[at].each = Some(next);
                            nodes.push(Node::default());
                            next
                        }
                    };
                }
            }
            assert!(nodes[at].slot.is_none(), "path {p} given twice");
            nodes[at].slot = Some(slot);
        }
        fn subtree(nodes: &mut Vec<Node>, at: usize) -> u64 {
            let mut bits = nodes[at].slot.map_or(0, |s| 1u64 << s);
            let kids: Vec<usize> = nodes[at]
                .children
                .children()
                .chain(nodes[at].each)
                .collect();
            for k in kids {
                bits |= subtree(nodes, k);
            }
            nodes[at].subtree = bits;
            bits
        }
        subtree(&mut nodes, 0);
        Schema {
            nodes,
            every_token: false,
        }
    }

    /// [`Schema::new`], but objects and arrays off the wanted paths are walked
    /// token by token too, so that all of RFC 8259's grammar is checked there
    /// (commas, colons, numbers, literals), at several times the cost.
    pub fn validating(paths: &[&str]) -> Schema {
        Schema {
            every_token: true,
            ..Schema::new(paths)
        }
    }
}

/// The wanted fields of one record: each slot holds the raw JSON text of its
/// value (a string with its quotes), or `None` when the record lacks it.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    vals: [Option<&'a str>; MAX_SLOTS],
    /// The slots filled so far, one bit each.
    filled: u64,
    /// The filled slots that hold a string without escapes, one bit each:
    /// [`Fields::text`] borrows their text without looking for a backslash.
    plain: u64,
}

impl<'a> Fields<'a> {
    /// Empties the slots whose bits are set (only those filled cost anything).
    #[inline(always)]
    fn clear(&mut self, bits: u64) {
        let mut bits = bits & self.filled;
        self.filled &= !bits;
        while bits != 0 {
            self.vals[bits.trailing_zeros() as usize] = None;
            bits &= bits - 1;
        }
    }

    /// Fills `slot` with `v`; `plain` when `v` is a string without escapes.
    #[inline(always)]
    fn set(&mut self, slot: usize, v: &'a str, plain: bool) {
        self.vals[slot] = Some(v);
        self.filled |= 1 << slot;
        self.plain = (self.plain & !(1 << slot)) | (u64::from(plain) << slot);
    }

    /// The raw JSON text of slot `i`.
    pub fn raw(&self, i: usize) -> Option<&'a str> {
        self.vals[i]
    }

    /// Slot `i` as text: a string (borrowed unless it has escapes), a number
    /// or boolean as written; `null`, arrays and objects read as `None`
    /// (the lenient reading of [`super::lax::Text`]).
    pub fn text(&self, i: usize) -> Option<Cow<'a, str>> {
        let v = self.vals[i]?;
        if self.plain & (1 << i) != 0 {
            return Some(Cow::Borrowed(&v[1..v.len() - 1]));
        }
        text_of(v)
    }

    /// Slot `i` as a number: a JSON number or a numeric string.
    pub fn num(&self, i: usize) -> Option<f64> {
        let v = self.vals[i]?;
        match v.as_bytes()[0] {
            b'"' => unquote(v).trim().parse().ok(),
            b'-' | b'0'..=b'9' => v.parse().ok(),
            _ => None,
        }
    }

    /// Slot `i` holds something other than `null`.
    pub fn present(&self, i: usize) -> bool {
        self.vals[i].is_some_and(|v| v != "null")
    }
}

/// A raw JSON value (a slot's text, as [`scan`] validated it) as text: a
/// string (borrowed unless it has escapes), a number or boolean as written;
/// `null`, arrays and objects read as `None`.
pub fn text_of(v: &str) -> Option<Cow<'_, str>> {
    match v.as_bytes().first()? {
        b'"' => Some(unquote(v)),
        b't' | b'f' => Some(Cow::Borrowed(v)),
        b'-' | b'0'..=b'9' => Some(number_text(v)),
        _ => None,
    }
}

/// A number's text as serde_json would render the parsed value (`1e3` as
/// `1000`, `1.50` as `1.5`), so both readers of a field agree.
fn number_text(v: &str) -> Cow<'_, str> {
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && (v.parse::<i64>().is_ok() || v.parse::<u64>().is_ok())
    {
        return Cow::Borrowed(v);
    }
    match v.parse::<f64>() {
        Ok(f) => Cow::Owned(f.to_string()),
        Err(_) => Cow::Borrowed(v),
    }
}

/// A JSON string literal's text (the literal was validated by [`scan`]).
fn unquote(v: &str) -> Cow<'_, str> {
    let inner = &v[1..v.len() - 1];
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    // Escapes (rare in the fields readers want): serde_json decodes them,
    // lone surrogates as U+FFFD rather than an error.
    match serde_json::from_str::<String>(v) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Owned(decode_lossy(inner)),
    }
}

/// Decodes escapes, lone surrogates becoming U+FFFD.
fn decode_lossy(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut units: Vec<u16> = Vec::new();
    let mut chars = inner.chars();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|r| r.unwrap_or('\u{FFFD}')));
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush(&mut units, &mut out);
            out.push(c);
            continue;
        }
        let e = chars.next().unwrap_or('\\');
        if e == 'u' {
            let hex: String = chars.by_ref().take(4).collect();
            units.push(u16::from_str_radix(&hex, 16).unwrap_or(0xFFFD));
            continue;
        }
        flush(&mut units, &mut out);
        out.push(match e {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            other => other,
        });
    }
    flush(&mut units, &mut out);
    out
}

/// `record` as text when it is UTF-8, checked with SIMD (`simdutf8`: several
/// times the speed of `std::str::from_utf8` on long lines, the same answer).
#[inline]
pub fn utf8(record: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(record).ok()
}

/// Why a record is not JSON, and the byte offset where that was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// What was wrong.
    pub what: &'static str,
    /// Byte offset in the record.
    pub at: usize,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid JSON: {} at byte {}", self.what, self.at)
    }
}

/// Reads one JSON value (normally an object) from `rec`, validating it (see
/// the module docs), and returns the wanted fields of `schema`.
///
/// Errors: [`JsonError`] for malformed JSON (see the module docs).
pub fn scan<'a>(schema: &Schema, rec: &'a str) -> Result<Fields<'a>, JsonError> {
    scan_each(schema, rec, &mut |_| {})
}

/// One element of a list on a wanted path (`a.list[]`), handed over as soon as
/// it is read: `fields` holds the whole record's slots read so far, with the
/// element's own (`a.list[].key`) filled for this element alone.
pub struct Element<'f, 'a> {
    /// The slot of the `a.list[]` path (the element's raw text), if listed.
    pub list: Option<usize>,
    /// Byte offset of the list's `[` in the record: elements of a list that a
    /// repeated key replaced have another.
    pub list_at: usize,
    /// The slots.
    pub fields: &'f Fields<'a>,
}

/// [`scan`], handing each element of the lists on `a.list[]` paths to `each`,
/// in order (a list under a key given twice is handed over twice: compare
/// [`Element::list_at`] with the final slot's offset).
///
/// Errors: [`JsonError`] for malformed JSON (see the module docs).
pub fn scan_each<'a>(
    schema: &Schema,
    rec: &'a str,
    each: &mut dyn FnMut(Element<'_, 'a>),
) -> Result<Fields<'a>, JsonError> {
    let mut c = Cur {
        s: rec,
        b: rec.as_bytes(),
        i: 0,
        schema,
        out: Fields {
            vals: [None; MAX_SLOTS],
            filled: 0,
            plain: 0,
        },
        each,
        escaped: false,
    };
    c.ws();
    c.value(Some(0), 0)?;
    c.ws();
    if c.i != c.b.len() {
        return Err(c.err("trailing characters"));
    }
    Ok(c.out)
}

/// The byte offset of `raw` (a slot's text) within `rec`.
pub fn offset_in(rec: &str, raw: &str) -> usize {
    raw.as_ptr() as usize - rec.as_ptr() as usize
}

struct Cur<'a, 's, 'e> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    schema: &'s Schema,
    out: Fields<'a>,
    each: &'e mut dyn FnMut(Element<'_, 'a>),
    /// Whether the last string read had escapes.
    escaped: bool,
}

/// Bit masks of 16 bytes, bit `k` for byte `k`: quotes, backslashes and
/// control bytes (< 0x20).
#[inline(always)]
fn probe_masks(head: &[u8; 16]) -> (u32, u32, u32) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is baseline on x86_64; one unaligned 16-byte load of the array.
        unsafe {
            let v = _mm_loadu_si128(head.as_ptr().cast());
            let m = |x| _mm_movemask_epi8(x) as u32;
            (
                m(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))),
                m(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))),
                // v <= 0x1f (unsigned) exactly when min(v, 0x1f) == v.
                m(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v)),
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut q, mut s, mut c) = (0u32, 0u32, 0u32);
        for (k, &x) in head.iter().enumerate() {
            q |= u32::from(x == b'"') << k;
            s |= u32::from(x == b'\\') << k;
            c |= u32::from(x < 0x20) << k;
        }
        (q, s, c)
    }
}

/// How many 16-byte probes a string gets before the block scanner takes it.
const PROBES: usize = 3;

/// Scans a string's body from `i` (just past its opening quote), validating
/// it (no raw control byte, only JSON escapes). Returns the offset just past
/// the closing quote and whether the string has escapes. Errors: what is wrong
/// and its offset.
#[inline]
fn string_body(b: &[u8], mut i: usize) -> blocks::StringEnd {
    // The first 48 bytes 16 at a time (most keys, ids and times end there);
    // the first backslash, or a longer string, hands over to the block
    // scanner (from the start of 16 clean bytes, so no escape carries in).
    for _ in 0..PROBES {
        let Some(head) = b.get(i..i + 16) else {
            break;
        };
        let (q, s, c) = probe_masks(head.try_into().expect("16 bytes"));
        let stop = q | s | c;
        if stop == 0 {
            i += 16;
            continue;
        }
        let first = stop & stop.wrapping_neg();
        if first & q != 0 {
            return Ok((i + stop.trailing_zeros() as usize + 1, false));
        }
        if first & s == 0 {
            return Err((
                "control character in string",
                i + stop.trailing_zeros() as usize,
            ));
        }
        break;
    }
    blocks::string_tail(b, i)
}

impl<'a> Cur<'a, '_, '_> {
    fn err(&self, what: &'static str) -> JsonError {
        JsonError { what, at: self.i }
    }

    #[inline(always)]
    fn ws(&mut self) {
        // Most tokens are followed by nothing or one space: one compare
        // rules out every byte above the space.
        match self.b.get(self.i) {
            Some(&c) if c > b' ' => return,
            Some(b' ' | b'\n' | b'\t' | b'\r') => self.i += 1,
            _ => return,
        }
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// A value; `node` is the trie node it sits at (`None`: nothing wanted inside).
    fn value(&mut self, node: Option<usize>, depth: usize) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'"') => {
                self.escaped = self.string()?;
                Ok(())
            }
            Some(b'{') if node.is_some() || self.schema.every_token => self.object(node, depth + 1),
            Some(b'[') if self.schema.every_token => self.array(depth + 1),
            Some(b'{' | b'[') => match skip_container(self.b, self.i, depth) {
                Ok(end) => {
                    self.i = end;
                    Ok(())
                }
                Err((what, at)) => {
                    self.i = at;
                    Err(self.err(what))
                }
            },
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end")),
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), JsonError> {
        if self.b[self.i..].starts_with(lit) {
            self.i += lit.len();
            Ok(())
        } else {
            Err(self.err("expected true, false or null"))
        }
    }

    fn digits(&mut self) -> usize {
        let n = self.b[self.i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        self.i += n;
        n
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("bad number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("bad number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("bad number"));
            }
        }
        Ok(())
    }

    /// A string at `self.i` (on its opening quote). Returns whether it has escapes.
    #[inline]
    fn string(&mut self) -> Result<bool, JsonError> {
        match string_body(self.b, self.i + 1) {
            Ok((end, escapes)) => {
                self.i = end;
                Ok(escapes)
            }
            Err((what, at)) => {
                self.i = at;
                Err(self.err(what))
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deep"));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(None, depth)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected , or ]")),
            }
        }
    }

    /// A list whose elements are wanted (`node`: their trie node): each is
    /// read and handed to `each`.
    fn elements(&mut self, node: usize, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deep"));
        }
        let schema = self.schema;
        let n = &schema.nodes[node];
        let inner = (!n.children.is_empty()).then_some(node);
        let list_at = self.i;
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.out.clear(n.subtree);
            let v0 = self.i;
            self.value(inner, depth)?;
            if let Some(slot) = n.slot {
                let plain = self.b[v0] == b'"' && !self.escaped;
                self.out.set(slot, &self.s[v0..self.i], plain);
            }
            (self.each)(Element {
                list: n.slot,
                list_at,
                fields: &self.out,
            });
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected , or ]")),
            }
        }
    }

    fn object(&mut self, node: Option<usize>, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deep"));
        }
        let schema = self.schema;
        if let Some(n) = node {
            // This object replaces any earlier one on the same path.
            self.out.clear(schema.nodes[n].subtree);
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a key"));
            }
            let k0 = self.i;
            let escaped = self.string()?;
            let child = match node {
                Some(n) if !schema.nodes[n].children.is_empty() => {
                    if escaped {
                        let k = unquote(&self.s[k0..self.i]);
                        schema.nodes[n].children.get(k.as_bytes())
                    } else {
                        schema.nodes[n]
                            .children
                            .get_in(self.b, k0 + 1, self.i - k0 - 2)
                    }
                }
                _ => None,
            };
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected :"));
            }
            self.i += 1;
            self.ws();
            let v0 = self.i;
            match child {
                Some(c) => {
                    let sub = &schema.nodes[c];
                    if self.peek() != Some(b'{') {
                        // Not an object: nothing below this key.
                        self.out.clear(sub.subtree);
                    }
                    match (sub.each, self.peek()) {
                        (Some(e), Some(b'[')) => self.elements(e, depth + 1)?,
                        // A string, the most common value, without the call.
                        (_, Some(b'"')) => self.escaped = self.string()?,
                        _ => {
                            let inner = (!sub.children.is_empty()).then_some(c);
                            self.value(inner, depth)?;
                        }
                    }
                    if let Some(slot) = sub.slot {
                        // `value` read a string last when the value is one.
                        let plain = self.b[v0] == b'"' && !self.escaped;
                        self.out.set(slot, &self.s[v0..self.i], plain);
                    }
                }
                // (`escaped` is only read for a slot's own value.)
                None if self.peek() == Some(b'"') => {
                    self.string()?;
                }
                None => self.value(None, depth)?,
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected , or }")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::new(&["a", "d.x", "d.p.e", "n"])
    }

    #[test]
    fn reads_wanted_fields_in_any_layout() {
        let s = schema();
        for rec in [
            r#"{"a": "1", "d": {"x": "two", "p": {"e": "boom"}}, "n": 3}"#,
            r#"{"n":3,"d":{"p":{"e":"boom","z":[1,2,{"x":"no"}]},"x":"two","y":{}},"a":"1"}"#,
            "{\n  \"d\": {\n    \"x\": \"two\",\n    \"p\": {\"e\": \"boom\"}\n  },\n  \"a\": \"1\",\n  \"n\": 3\n}",
        ] {
            let f = scan(&s, rec).unwrap();
            assert_eq!(f.text(0).as_deref(), Some("1"), "{rec}");
            assert_eq!(f.text(1).as_deref(), Some("two"), "{rec}");
            assert_eq!(f.text(2).as_deref(), Some("boom"), "{rec}");
            assert_eq!(f.num(3), Some(3.0), "{rec}");
        }
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_json() {
        // The validating walk: all of the grammar, anywhere.
        let cases = [
            r#"{"a": "x"}"#,
            r#"{"a": "x",}"#,
            r#"{"a": "x\u0001"}"#,
            "{\"a\": \"x\u{1}\"}",
            r#"{"a": "\q"}"#,
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": -}"#,
            r#"{"a": 1e5, "b": -0.5E-3}"#,
            r#"{"a": tru}"#,
            r#"{"a": [1, 2,]}"#,
            r#"{"a": [1 2]}"#,
            r#"{"a": {"b": null}} x"#,
            r#"{"a" "x"}"#,
            r#"{a: 1}"#,
            r#"{"a": "\uZZZZ"}"#,
            r#"{"a": "\ud800"}"#,
            r#"[1, {"a": [true, false, null]}]"#,
            r#"{"d": {"p": {"e": "\"quoted\""}}}"#,
            "",
            "   ",
            r#"{"a": "x""#,
        ];
        let s = Schema::validating(&["a", "d.x", "d.p.e", "n"]);
        for c in cases {
            let ours = scan(&s, c).is_ok();
            let theirs = serde_json::from_str::<serde::de::IgnoredAny>(c).is_ok();
            assert_eq!(ours, theirs, "{c:?}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(scan(&s, &deep).is_err());
    }

    /// A random JSON value from a xorshift state: nested objects and arrays,
    /// strings dense in quotes, escapes, brackets and non-ASCII text.
    fn random_value(x: &mut u64, depth: usize) -> serde_json::Value {
        use serde_json::Value;
        fn next(x: &mut u64) -> u64 {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            *x
        }
        const PIECES: &[&str] = &[
            "a",
            "\"",
            "\\",
            "{",
            "}",
            "[",
            "]",
            "\n",
            "é",
            "\u{1}",
            ":",
            ",",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ];
        let text = |x: &mut u64| -> String {
            (0..next(x) % 12)
                .map(|_| PIECES[(next(x) % PIECES.len() as u64) as usize])
                .collect()
        };
        match next(x) % if depth > 5 { 4 } else { 7 } {
            0 => Value::Null,
            1 => Value::from(next(x) % 1000),
            2 => Value::from(-0.5e-3),
            3 => Value::from(text(x)),
            4 | 5 => {
                let mut m = serde_json::Map::new();
                for k in 0..next(x) % 6 {
                    let key = format!("{}{k}", text(x));
                    m.insert(key, random_value(x, depth + 1));
                }
                Value::Object(m)
            }
            _ => Value::Array(
                (0..next(x) % 6)
                    .map(|_| random_value(x, depth + 1))
                    .collect(),
            ),
        }
    }

    #[test]
    fn skipping_by_brackets_accepts_all_json_and_rejects_damage() {
        let fast = Schema::new(&["a", "d.x", "d.p.e", "n"]);
        let full = Schema::validating(&["a", "d.x", "d.p.e", "n"]);
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for round in 0..3_000 {
            let mut m = serde_json::Map::new();
            for k in ["z", "a", "d", "n", "q"] {
                m.insert(k.into(), random_value(&mut x, 0));
            }
            let v = serde_json::Value::Object(m);
            for rec in [v.to_string(), serde_json::to_string_pretty(&v).unwrap()] {
                // Valid JSON: read, and read as the full walk reads it.
                let a = scan(&fast, &rec).unwrap_or_else(|e| panic!("round {round}: {e}: {rec}"));
                let b = scan(&full, &rec).unwrap();
                for i in 0..4 {
                    assert_eq!(a.raw(i), b.raw(i), "round {round}: {rec}");
                    // The text of a slot, borrowed by the plain-string bit or
                    // decoded, is the text of its raw value.
                    for f in [&a, &b] {
                        assert_eq!(
                            f.text(i),
                            f.raw(i).and_then(text_of),
                            "round {round}: {rec}"
                        );
                    }
                }
                // Truncated anywhere: malformed.
                let cut = (x as usize) % rec.len();
                if rec.is_char_boundary(cut) {
                    assert!(
                        scan(&fast, &rec[..cut]).is_err(),
                        "round {round}: {}",
                        &rec[..cut]
                    );
                }
                // A raw control byte put inside a string: malformed.
                if let Some(q) = rec.find("\"a") {
                    let bad = format!("{}\u{1}{}", &rec[..q + 1], &rec[q + 1..]);
                    assert!(scan(&fast, &bad).is_err(), "round {round}: {bad}");
                }
                // Two records glued: malformed.
                assert!(scan(&fast, &format!("{rec}{rec}")).is_err());
            }
        }
        // What the skip checks, inside a skipped value.
        for bad in [
            r#"{"z": [1, "x\q"]}"#,
            r#"{"z": {"k": [1, 2}}"#,
            r#"{"z": [1, 2]]}"#,
            r#"{"z": [1, \ 2]}"#,
            "{\"z\": [1, \u{1}2]}",
            r#"{"z": ["unterminated]}"#,
        ] {
            assert!(scan(&fast, bad).is_err(), "{bad}");
        }
        let deep = format!("{{\"z\": {}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(scan(&fast, &deep).is_err());
        let ok = format!("{{\"z\": {}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(scan(&fast, &ok).is_ok());
        // And what it leaves to the full walk (documented).
        assert!(scan(&fast, r#"{"z": [1 2 tru]}"#).is_ok());
        assert!(scan(&full, r#"{"z": [1 2 tru]}"#).is_err());
    }

    #[test]
    fn the_last_of_a_repeated_key_wins_whole() {
        let s = schema();
        let f = scan(
            &s,
            r#"{"d": {"x": "1", "p": {"e": "e1"}}, "d": {"x": "2"}, "a": 1, "a": null}"#,
        )
        .unwrap();
        assert_eq!(f.text(1).as_deref(), Some("2"));
        assert_eq!(f.text(2), None, "the second d has no p");
        assert!(!f.present(0));
        let f = scan(&s, r#"{"d": {"x": "1"}, "d": "flat"}"#).unwrap();
        assert_eq!(f.text(1), None);
    }

    #[test]
    fn values_read_leniently() {
        let s = schema();
        let f = scan(
            &s,
            r#"{"a": 1e3, "n": "42", "d": {"x": true, "p": {"e": "a\nb\ud83d\ude00"}}}"#,
        )
        .unwrap();
        assert_eq!(f.text(0).as_deref(), Some("1000"));
        assert_eq!(f.num(3), Some(42.0));
        assert_eq!(f.text(1).as_deref(), Some("true"));
        assert_eq!(f.text(2).as_deref(), Some("a\nb\u{1F600}"));
        let f = scan(&s, r#"{"a": "\ud800x", "n": [1]}"#).unwrap();
        assert_eq!(f.text(0).as_deref(), Some("\u{FFFD}x"));
        assert_eq!(f.num(3), None);
        assert_eq!(f.raw(3), Some("[1]"));
    }

    /// The string scanner as a plain byte loop: the reference.
    fn string_body_bytewise(
        b: &[u8],
        mut i: usize,
    ) -> Result<(usize, bool), (&'static str, usize)> {
        let mut escapes = false;
        loop {
            match b.get(i) {
                None => return Err(("unterminated string", b.len())),
                Some(b'"') => return Ok((i + 1, escapes)),
                Some(b'\\') => {
                    escapes = true;
                    i += 1;
                    match b.get(i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 1,
                        Some(b'u') => {
                            let hex = b.get(i + 1..i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(("bad \\u escape", i));
                            }
                            i += 5;
                        }
                        None => return Err(("unterminated string", b.len())),
                        _ => return Err(("bad escape", i)),
                    }
                }
                Some(&c) if c < 0x20 => return Err(("control character in string", i)),
                Some(_) => i += 1,
            }
        }
    }

    #[test]
    fn the_block_scanner_agrees_with_a_byte_loop() {
        // Strings of every length to 200 over an alphabet dense in what
        // matters (quotes, runs of backslashes, escapes, controls, hex), from
        // a fixed xorshift sequence; every start offset up to 3.
        const ALPHABET: &[u8] = b"aaaa\"\\\\\\nu0fAq\x01\x1f/ \xc3\xa9";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut seen = std::collections::HashSet::new();
        let backends = blocks::available();
        for round in 0..60_000 {
            let len = (next() % 200) as usize;
            let b: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            for start in 0..=len.min(3) {
                let want = string_body_bytewise(&b, start);
                let got = string_body(&b, start);
                assert_eq!(
                    got,
                    want,
                    "round {round} start {start}: {:?}",
                    String::from_utf8_lossy(&b)
                );
                // Each backend the CPU has, from the first byte on.
                for k in &backends {
                    assert_eq!(
                        (k.string_tail)(&b, start),
                        want,
                        "{} round {round} start {start}: {:?}",
                        k.name,
                        String::from_utf8_lossy(&b)
                    );
                }
                seen.insert(want.map(|_| "ok").unwrap_or_else(|e| e.0));
            }
        }
        // Every outcome was reached.
        assert_eq!(seen.len(), 5, "{seen:?}");
        // Long plain runs, a run of 63 backslashes across a block edge.
        let mut b = vec![b'a'; 130];
        b.extend([b'\\'; 63]);
        b.extend(b"\"x\"");
        assert_eq!(string_body(&b, 0), string_body_bytewise(&b, 0));
        assert_eq!(string_body(&b, 0), Ok((b.len(), true)));
        // High bytes (UTF-8) are plain.
        assert_eq!(
            string_body("é€😀\"".as_bytes(), 0),
            Ok(("é€😀".len() + 1, false))
        );
    }

    #[test]
    fn every_backend_checks_each_escape_as_the_table_says() {
        // A backslash and each of the 256 bytes, at every offset of a block
        // and across its edge, in a string long enough for the block scanner.
        for k in blocks::available() {
            for c in 0..=255u8 {
                for at in [0usize, 1, 30, 31, 32, 62, 63, 64, 100] {
                    let mut b = vec![b'a'; at];
                    b.extend([b'\\', c]);
                    b.extend(b"0000 tail padding past one block of sixty-four bytes\"");
                    assert_eq!(
                        (k.string_tail)(&b, 0),
                        string_body_bytewise(&b, 0),
                        "{} byte {c:#x} at {at}",
                        k.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_backend_skips_as_the_byte_loop() {
        // Random containers, compact and pretty, whole and damaged: every
        // backend the CPU has gives the byte backend's answer, and whole
        // JSON skips to its end.
        let all = blocks::available();
        let bytes = all.last().expect("the byte loop is always there");
        assert_eq!(bytes.name, "bytes");
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        for round in 0..3_000 {
            let v =
                serde_json::Value::Array(vec![random_value(&mut x, 0), random_value(&mut x, 1)]);
            for rec in [v.to_string(), serde_json::to_string_pretty(&v).unwrap()] {
                let b = rec.as_bytes();
                assert_eq!((bytes.skip)(b, 0, 0), Ok(b.len()), "round {round}: {rec}");
                let mut damaged = vec![b.to_vec(), b[..b.len() / 2].to_vec()];
                for bad in [b'\\', 0x01, b'"', b']', b'}', b'{', b'\n'] {
                    let mut d = b.to_vec();
                    d[(x as usize) % b.len()] = bad;
                    x = x.rotate_left(7) ^ 0x9E37_79B9;
                    damaged.push(d);
                }
                for d in &damaged {
                    let want = (bytes.skip)(d, 0, 0);
                    for k in &all {
                        assert_eq!((k.skip)(d, 0, 0), want, "{} round {round}: {rec}", k.name);
                    }
                }
            }
        }
    }

    #[test]
    fn a_repeated_object_clears_only_its_own_fields() {
        // Paths of one prefix need not be next to each other in the list.
        let s = Schema::new(&["a.x", "b", "a.y"]);
        let f = scan(&s, r#"{"b": "keep", "a": {"x": 1, "y": 2}, "a": {"y": 3}}"#).unwrap();
        assert_eq!(f.text(1).as_deref(), Some("keep"));
        assert_eq!(f.text(0), None);
        assert_eq!(f.text(2).as_deref(), Some("3"));
    }

    #[test]
    fn list_elements_are_handed_over_in_order() {
        let s = Schema::new(&["id", "c", "c[]", "c[].type", "c[].in.k"]);
        let rec = r#"{"c": [{"type": "a", "in": {"k": 1}}, "str", {"in": {"k": [2]}, "type": "b"}, {}], "id": "x", "c": []}"#;
        let mut got = Vec::new();
        let f = scan_each(&s, rec, &mut |e| {
            got.push((
                e.list,
                e.list_at,
                e.fields.raw(2).map(str::to_string),
                e.fields.text(3).map(|t| t.to_string()),
                e.fields.raw(4).map(str::to_string),
                e.fields.text(0).is_some(),
            ));
        })
        .unwrap();
        let at = rec.find('[').unwrap();
        let want = vec![
            (
                Some(2),
                at,
                Some(r#"{"type": "a", "in": {"k": 1}}"#.to_string()),
                Some("a".to_string()),
                Some("1".to_string()),
                false,
            ),
            (Some(2), at, Some(r#""str""#.to_string()), None, None, false),
            (
                Some(2),
                at,
                Some(r#"{"in": {"k": [2]}, "type": "b"}"#.to_string()),
                Some("b".to_string()),
                Some("[2]".to_string()),
                false,
            ),
            (Some(2), at, Some("{}".to_string()), None, None, false),
        ];
        assert_eq!(got, want);
        // The final `c` is the empty list, at another offset.
        assert_eq!(f.raw(1), Some("[]"));
        assert_ne!(offset_in(rec, f.raw(1).unwrap()), at);
        assert_eq!(f.text(0).as_deref(), Some("x"));
        // A list element that is malformed is an error like any other.
        assert!(scan(&s, r#"{"c": [{"type": "a",}]}"#).is_err());
        assert!(scan(&s, r#"{"c": [1 2]}"#).is_err());
    }

    #[test]
    fn escaped_keys_match() {
        let s = schema();
        let f = scan(&s, r#"{"\u0061": "yes"}"#).unwrap();
        assert_eq!(f.text(0).as_deref(), Some("yes"));
    }
}
