//! A validating, lazy JSON field reader: one pass over a record checks that all of
//! it is JSON (RFC 8259) and hands back the raw text of the fields a reader asked
//! for, by path, whatever their order, spacing, nesting company or extra fields.
//!
//! Owns: [`Schema`] (the wanted paths, compiled to a trie once per reader) and
//! [`scan`]. Must not: know any format's field names (readers bring their paths).
//!
//! Why: a typed serde parse pays for every key it matches and every value it
//! builds; this reader only compares the keys on a wanted path (one hash lookup
//! each) and skips everything else with a word-at-a-time string scanner, so its
//! speed does not depend on the writer's byte layout (BENCHMARKS.md, issue 9).
//!
//! What is malformed is exactly what RFC 8259 rejects: bad structure, raw control
//! bytes (< 0x20) inside strings, unknown escapes, bad numbers or literals,
//! trailing bytes, nesting deeper than [`MAX_DEPTH`]. The caller checks UTF-8 (the
//! input is a `&str`). A key given twice: the last value wins, as in most JSON
//! readers (for an object on a wanted path, the last object replaces all of the
//! first one's fields).

use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// Most wanted paths one schema can hold (a node keeps its subtree's slots as bits of a `u32`).
pub const MAX_SLOTS: usize = 32;

/// A node's keys: a 64-entry table indexed by (length, first, last byte), each
/// entry the head of a chain of candidates compared in full. Keys of real
/// schemas rarely share a bucket, so a lookup is one index and one compare.
#[derive(Debug, Default)]
struct Keys {
    heads: Vec<u16>,
    /// (key, child node, next candidate + 1 or 0).
    entries: Vec<(Box<[u8]>, usize, u16)>,
}

impl Keys {
    const BUCKETS: usize = 64;

    #[inline(always)]
    fn bucket(k: &[u8]) -> usize {
        let (Some(f), Some(l)) = (k.first(), k.last()) else {
            return 0;
        };
        (k.len().wrapping_mul(31) ^ usize::from(*f).wrapping_mul(7) ^ usize::from(*l))
            % Self::BUCKETS
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn get(&self, k: &[u8]) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let mut at = self.heads[Self::bucket(k)];
        while at != 0 {
            let (key, child, next) = &self.entries[usize::from(at) - 1];
            if **key == *k {
                return Some(*child);
            }
            at = *next;
        }
        None
    }

    fn insert(&mut self, k: &[u8], child: usize) {
        if self.heads.is_empty() {
            self.heads = vec![0; Self::BUCKETS];
        }
        let b = Self::bucket(k);
        self.entries.push((k.into(), child, self.heads[b]));
        self.heads[b] = u16::try_from(self.entries.len()).expect("few keys per node");
    }

    fn children(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|e| e.1)
    }
}

#[derive(Debug, Default)]
struct Node {
    children: Keys,
    slot: Option<usize>,
    /// Slots of this node's subtree, one bit each.
    subtree: u32,
}

/// A set of wanted paths (`"data.payload.error"`: keys separated by dots),
/// compiled into a trie. Each path has a slot, its index in the list given.
#[derive(Debug)]
pub struct Schema {
    nodes: Vec<Node>,
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
                at = match nodes[at].children.get(key.as_bytes()) {
                    Some(child) => child,
                    None => {
                        let next = nodes.len();
                        nodes[at].children.insert(key.as_bytes(), next);
                        nodes.push(Node::default());
                        next
                    }
                };
            }
            assert!(nodes[at].slot.is_none(), "path {p} given twice");
            nodes[at].slot = Some(slot);
        }
        fn subtree(nodes: &mut Vec<Node>, at: usize) -> u32 {
            let mut bits = nodes[at].slot.map_or(0, |s| 1u32 << s);
            let kids: Vec<usize> = nodes[at].children.children().collect();
            for k in kids {
                bits |= subtree(nodes, k);
            }
            nodes[at].subtree = bits;
            bits
        }
        subtree(&mut nodes, 0);
        Schema { nodes }
    }
}

/// The wanted fields of one record: each slot holds the raw JSON text of its
/// value (a string with its quotes), or `None` when the record lacks it.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    vals: [Option<&'a str>; MAX_SLOTS],
}

impl<'a> Fields<'a> {
    /// Empties the slots whose bits are set.
    fn clear(&mut self, mut bits: u32) {
        while bits != 0 {
            self.vals[bits.trailing_zeros() as usize] = None;
            bits &= bits - 1;
        }
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
        match v.as_bytes()[0] {
            b'"' => Some(unquote(v)),
            b't' | b'f' => Some(Cow::Borrowed(v)),
            b'-' | b'0'..=b'9' => Some(number_text(v)),
            _ => None,
        }
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

/// Reads one JSON value (normally an object) from `rec`, validating all of it,
/// and returns the wanted fields of `schema`.
///
/// Errors: [`JsonError`] for anything RFC 8259 rejects (see the module docs).
pub fn scan<'a>(schema: &Schema, rec: &'a str) -> Result<Fields<'a>, JsonError> {
    let mut c = Cur {
        s: rec,
        b: rec.as_bytes(),
        i: 0,
        schema,
        out: Fields {
            vals: [None; MAX_SLOTS],
        },
    };
    c.ws();
    c.value(Some(0), 0)?;
    c.ws();
    if c.i != c.b.len() {
        return Err(c.err("trailing characters"));
    }
    Ok(c.out)
}

struct Cur<'a, 's> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    schema: &'s Schema,
    out: Fields<'a>,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `v` is zero (exact as a yes/no answer).
#[inline(always)]
fn has_zero(v: u64) -> bool {
    v.wrapping_sub(ONES) & !v & HIGHS != 0
}

/// The offset of the first byte at or after `i` that ends a string's plain run:
/// a quote, a backslash or a control byte (< 0x20); `b.len()` if none.
#[inline(always)]
fn special(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are
        // always available; each 16-byte load lies within `b` (`i + 16 <= len`)
        // and `_mm_loadu_si128` has no alignment requirement.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let slash = _mm_set1_epi8(b'\\' as i8);
            let ctl = _mm_set1_epi8(0x1f);
            while i + 16 <= b.len() {
                let v = _mm_loadu_si128(b.as_ptr().add(i).cast());
                let hits = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                    // v <= 0x1f (unsigned) exactly when min(v, 0x1f) == v.
                    _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v),
                );
                let m = _mm_movemask_epi8(hits);
                if m != 0 {
                    return i + m.trailing_zeros() as usize;
                }
                i += 16;
            }
        }
    }
    // Word at a time (other targets, and the tail).
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let quote = has_zero(w ^ (ONES * b'"' as u64));
        let slash = has_zero(w ^ (ONES * b'\\' as u64));
        let ctrl = w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0;
        if quote | slash | ctrl {
            break;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

impl<'a> Cur<'a, '_> {
    fn err(&self, what: &'static str) -> JsonError {
        JsonError { what, at: self.i }
    }

    #[inline(always)]
    fn ws(&mut self) {
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
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => self.object(node, depth + 1),
            Some(b'[') => self.array(depth + 1),
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
        self.i += 1;
        let mut escaped = false;
        loop {
            self.i = special(self.b, self.i);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.err("bad \\u escape"));
                            }
                            self.i += 5;
                        }
                        _ => return Err(self.err("bad escape")),
                    }
                }
                Some(c) if c < 0x20 => return Err(self.err("control character in string")),
                Some(_) => self.i += 1,
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
                    let key = &self.s[k0 + 1..self.i - 1];
                    if escaped {
                        let k = unquote(&self.s[k0..self.i]);
                        schema.nodes[n].children.get(k.as_bytes())
                    } else {
                        schema.nodes[n].children.get(key.as_bytes())
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
                    let inner = (!sub.children.is_empty()).then_some(c);
                    self.value(inner, depth)?;
                    if let Some(slot) = sub.slot {
                        self.out.vals[slot] = Some(&self.s[v0..self.i]);
                    }
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
        let s = schema();
        for c in cases {
            let ours = scan(&s, c).is_ok();
            let theirs = serde_json::from_str::<serde::de::IgnoredAny>(c).is_ok();
            assert_eq!(ours, theirs, "{c:?}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(scan(&s, &deep).is_err());
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

    #[test]
    fn the_run_scanner_stops_where_a_plain_scan_stops() {
        // Every length up to 70 and every special byte at every position.
        for len in 0..70usize {
            for at in 0..=len {
                for special_byte in [b'"', b'\\', 0u8, 0x1f, b'x'] {
                    let mut b = vec![b'a'; len];
                    if at < len {
                        b[at] = special_byte;
                    }
                    for start in 0..=len.min(3) {
                        let naive = (start..len)
                            .find(|&i| matches!(b[i], b'"' | b'\\' | 0..=0x1f))
                            .unwrap_or(len);
                        assert_eq!(
                            special(&b, start),
                            naive,
                            "len {len} at {at} byte {special_byte}"
                        );
                    }
                }
            }
        }
        // High bytes (UTF-8) are plain.
        assert_eq!(special("é€😀\"".as_bytes(), 0), "é€😀".len());
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
    fn escaped_keys_match() {
        let s = schema();
        let f = scan(&s, r#"{"\u0061": "yes"}"#).unwrap();
        assert_eq!(f.text(0).as_deref(), Some("yes"));
    }
}
