//! One literal found and the lines before it counted, in one pass.
//!
//! Owns: [`CountingFinder`], the first stage of a one-literal prefilter over
//! line-framed input ([`super::framing::lines`]). Must not: know records or
//! formats.
//!
//! Why: line framing must number every line, also the lines a prefilter skips,
//! so that a record it does parse is located (file:line). With a `memmem`
//! search followed by a newline count over the same bytes, the count was 27%
//! of the instructions of `oracle --threads 1 errors -s critical` on an 80 MB
//! observer file (callgrind, 2026-12-03). Here each 64-byte step tests the
//! literal's two rarest bytes (memchr's [`memchr::arch::all::packedpair::Pair`],
//! with bytes ranked as they occur in telemetry: [`TelemetryRank`]) and counts
//! the step's newlines with the same loads, so the bytes are read once.
//!
//! Backends: AVX2 (two 32-byte loads a 64-byte step), SSE2 (four 16-byte
//! loads), both with POPCNT, and elsewhere `memmem` then a count (two passes).
//! All give the same answer: a test compares each one this CPU has with the
//! two-pass reference. A search within one record needs no count and stays on
//! `memmem` ([`CountingFinder::find_uncounted`]).

use memchr::arch::all::packedpair::{HeuristicFrequencyRank, Pair};
use memchr::memmem;

/// How common a byte is in telemetry text (JSON lines and logs), for choosing
/// the literal's bytes tested first: lower is rarer. memchr's own table is for
/// prose and binaries, where `"` is rare; in JSON the quote is one of the most
/// common bytes. For `"error"` memchr's table picks the opening quote and the
/// `o`, which on the 80 MB observer file (`benches/gen-observer.py`) meet at
/// 0.144 needle starts per 64-byte step; this one picks an `r` and the `o`,
/// 0.127 a step (counted over the file's first 20 MB, 2026-12-03).
///
/// The order: JSON structure and whitespace, then digits and the hex letters
/// (times, ids, hashes), then `-_./TZ` of times and paths, then the other
/// lower-case letters by their frequency in English text, upper case, other
/// punctuation, control and non-ASCII bytes.
#[derive(Debug, Clone, Copy)]
pub struct TelemetryRank;

impl HeuristicFrequencyRank for TelemetryRank {
    fn rank(&self, byte: u8) -> u8 {
        /// Lower-case letters other than a-f, most common first (English).
        const LETTERS: &[u8] = b"tonisrhlumwgypvkjxqz";
        match byte {
            b'"' | b':' | b',' | b'{' | b'}' | b'[' | b']' | b' ' | b'\n' | b'\t' | b'\r' => 255,
            b'0'..=b'9' => 250,
            b'a'..=b'f' => 245,
            b'-' | b'_' | b'.' | b'/' | b'T' | b'Z' => 240,
            b'g'..=b'z' => {
                let k = LETTERS
                    .iter()
                    .position(|&c| c == byte)
                    .unwrap_or(LETTERS.len());
                // 235 down to 216.
                235 - k as u8
            }
            b'A'..=b'Z' => 150,
            0x21..=0x7e => 120,
            _ => 50,
        }
    }
}

/// A literal to find, counting the newlines on the way.
#[derive(Debug, Clone)]
pub struct CountingFinder {
    needle: Box<[u8]>,
    /// The offsets of the two bytes tested first (`None`: a one-byte literal,
    /// or no pair: the two-pass path).
    pair: Option<(usize, usize)>,
    find: memmem::Finder<'static>,
    backend: Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// Other CPUs (and the tests' reference).
    TwoPass,
}

impl CountingFinder {
    /// A finder of `needle` (any length; an empty one matches at once).
    pub fn new(needle: &[u8]) -> CountingFinder {
        let pair = Pair::with_ranker(needle, TelemetryRank)
            .map(|p| (usize::from(p.index1()), usize::from(p.index2())));
        CountingFinder {
            needle: needle.into(),
            pair,
            find: memmem::FinderBuilder::new()
                .build_forward_with_ranker(TelemetryRank, needle)
                .into_owned(),
            backend: Self::best(),
        }
    }

    /// The fastest backend this CPU runs.
    fn best() -> Backend {
        #[cfg(target_arch = "x86_64")]
        {
            // SSE2 is baseline on x86_64; POPCNT is not (very old CPUs lack it).
            let popcnt = std::arch::is_x86_feature_detected!("popcnt");
            if popcnt && std::arch::is_x86_feature_detected!("avx2") {
                return Backend::Avx2;
            }
            if popcnt {
                return Backend::Sse2;
            }
            Backend::TwoPass
        }
        #[cfg(not(target_arch = "x86_64"))]
        Backend::TwoPass
    }

    /// The first occurrence at or after `from` in `hay`, and the number of
    /// `\n` bytes in `hay[from..]` before it (before the end when there is
    /// none). Panics: when `from > hay.len()`.
    pub fn find(&self, hay: &[u8], from: usize) -> (Option<usize>, u32) {
        self.find_with(self.backend, hay, from)
    }

    /// The first occurrence at or after `from`, without counting (`memmem`,
    /// for a search within one record). Panics: when `from > hay.len()`.
    pub fn find_uncounted(&self, hay: &[u8], from: usize) -> Option<usize> {
        self.find.find(&hay[from..]).map(|p| p + from)
    }

    fn find_with(&self, backend: Backend, hay: &[u8], from: usize) -> (Option<usize>, u32) {
        let rest = &hay[from..];
        let (hit, lines) = match (backend, self.pair) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `best` chose AVX2 only when the CPU has AVX2 and POPCNT.
            (Backend::Avx2, Some((i1, i2))) => unsafe {
                x86::find_avx2(rest, &self.needle, i1, i2)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `best` chose SSE2 only when the CPU has POPCNT (SSE2 is baseline).
            (Backend::Sse2, Some((i1, i2))) => unsafe {
                x86::find_sse2(rest, &self.needle, i1, i2)
            },
            _ => two_pass(&self.find, rest),
        };
        (hit.map(|p| p + from), lines)
    }

    /// The backends this CPU can run (for the tests).
    #[cfg(test)]
    fn available() -> Vec<Backend> {
        let mut v = vec![Backend::TwoPass];
        #[cfg(target_arch = "x86_64")]
        {
            if Self::best() != Backend::TwoPass {
                v.push(Backend::Sse2);
            }
            if Self::best() == Backend::Avx2 {
                v.push(Backend::Avx2);
            }
        }
        v
    }
}

/// `memmem`, then a count of the newlines before the hit: the reference.
fn two_pass(find: &memmem::Finder<'_>, hay: &[u8]) -> (Option<usize>, u32) {
    let hit = find.find(hay);
    let upto = hit.unwrap_or(hay.len());
    (hit, memchr::memchr_iter(b'\n', &hay[..upto]).count() as u32)
}

/// Whether `a == b` (same length), byte by byte: no library call, which would
/// make the vector loop keep its constants on the stack.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The positions past the vector steps, one byte at a time: from `i`, with
/// `lines` newlines counted before `i`.
fn tail(hay: &[u8], needle: &[u8], mut i: usize, mut lines: u32) -> (Option<usize>, u32) {
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            return (Some(i), lines);
        }
        lines += u32::from(hay[i] == b'\n');
        i += 1;
    }
    (None, lines)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// One backend: a step tests 64 needle starts, `64 / W` unaligned loads
    /// of `W` bytes for each of three offsets (the step's own bytes, for the
    /// newlines, and the needle's two tested bytes). A step with no candidate
    /// makes one mask test: its newlines are added up in a vector of byte
    /// counters (each compare's all-ones lanes added: the counts negated),
    /// summed into the line count (`sad` against zero) before a lane could
    /// pass 255, and at a hit. The hot loop makes no call, so its constants
    /// stay in registers.
    macro_rules! finder {
        ($name:ident, $feat:literal, $w:literal, $vec:ty, $load:ident, $set1:ident, $eq:ident,
         $and:ident, $or:ident, $add:ident, $sub:ident, $zero:ident, $sad:ident, $mask:ident) => {
            /// The fused search over `hay` (see [`super::CountingFinder::find`]),
            /// testing bytes `i1` and `i2` of `needle` first.
            ///
            /// Safety: the CPU must have the features named.
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn $name(
                hay: &[u8],
                needle: &[u8],
                i1: usize,
                i2: usize,
            ) -> (Option<usize>, u32) {
                const STEP: usize = 64;
                const LOADS: usize = STEP / $w;
                // A step adds at most `LOADS` to a byte counter.
                const FLUSH: usize = 255 / LOADS;
                let n = needle.len();
                let mut lines = 0u32;
                let mut i = 0usize;
                // A step tests the needle starting at `i..i + 64`: it reads up
                // to `i + 63 + n - 1`, inside `hay` while this holds.
                if hay.len() >= n + STEP - 1 {
                    let last = hay.len() - (n + STEP - 1);
                    let b1 = $set1(needle[i1] as i8);
                    let b2 = $set1(needle[i2] as i8);
                    let nl = $set1(b'\n' as i8);
                    let p = hay.as_ptr();
                    // The sum of the (negated) byte counters.
                    let total = |acc: $vec| -> u32 {
                        let counts = $sub($zero(), acc);
                        // SAFETY: a plain reinterpretation of the vector's lanes.
                        let sums: [u64; $w / 8] =
                            unsafe { std::mem::transmute($sad(counts, $zero())) };
                        sums.iter().sum::<u64>() as u32
                    };
                    // The byte counters, negated: each newline adds all ones.
                    let mut acc = $zero();
                    while i <= last {
                        // At most `FLUSH` steps, then the counters are summed.
                        let stop = last.min(i + (FLUSH - 1) * STEP);
                        while i <= stop {
                            let mut cand = [$zero(); LOADS];
                            let mut newline = [$zero(); LOADS];
                            let mut any = $zero();
                            for l in 0..LOADS {
                                let at = i + l * $w;
                                // SAFETY: `at + W - 1 + max(i1, i2) < hay.len()`,
                                // as `i <= last`.
                                let (v0, v1, v2) = unsafe {
                                    (
                                        $load(p.add(at).cast::<$vec>()),
                                        $load(p.add(at + i1).cast::<$vec>()),
                                        $load(p.add(at + i2).cast::<$vec>()),
                                    )
                                };
                                cand[l] = $and($eq(v1, b1), $eq(v2, b2));
                                newline[l] = $eq(v0, nl);
                                any = $or(any, cand[l]);
                            }
                            if $mask(any) != 0 {
                                let (mut bits, mut nls) = (0u64, 0u64);
                                for l in 0..LOADS {
                                    bits |= u64::from($mask(cand[l]) as u32) << (l * $w);
                                    nls |= u64::from($mask(newline[l]) as u32) << (l * $w);
                                }
                                while bits != 0 {
                                    let k = bits.trailing_zeros() as usize;
                                    if super::same(&hay[i + k..i + k + n], needle) {
                                        let before = nls & ((1u64 << k) - 1);
                                        return (
                                            Some(i + k),
                                            lines + total(acc) + before.count_ones(),
                                        );
                                    }
                                    bits &= bits - 1;
                                }
                            }
                            for nl in newline {
                                acc = $add(acc, nl);
                            }
                            i += STEP;
                        }
                        lines += total(acc);
                        acc = $zero();
                    }
                }
                super::tail(hay, needle, i, lines)
            }
        };
    }

    finder!(
        find_avx2,
        "avx2,popcnt",
        32,
        __m256i,
        _mm256_loadu_si256,
        _mm256_set1_epi8,
        _mm256_cmpeq_epi8,
        _mm256_and_si256,
        _mm256_or_si256,
        _mm256_add_epi8,
        _mm256_sub_epi8,
        _mm256_setzero_si256,
        _mm256_sad_epu8,
        _mm256_movemask_epi8
    );
    finder!(
        find_sse2,
        "sse2,popcnt",
        16,
        __m128i,
        _mm_loadu_si128,
        _mm_set1_epi8,
        _mm_cmpeq_epi8,
        _mm_and_si128,
        _mm_or_si128,
        _mm_add_epi8,
        _mm_sub_epi8,
        _mm_setzero_si128,
        _mm_sad_epu8,
        _mm_movemask_epi8
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    #[test]
    fn every_backend_agrees_with_memmem_and_a_count() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let needles: [&[u8]; 6] = [
            b"\"error\"",
            b"ab",
            b"critical\"",
            b"\n\n",
            b"a\nb",
            b"zzzz",
        ];
        for round in 0..400 {
            // Small alphabets make partial matches and newlines common.
            // Every 8th haystack is long enough for the byte counters to be
            // summed mid-search more than once (a sum each 4–8 KiB).
            let len = if round % 8 == 7 {
                20_000 + (next(&mut x) % 300) as usize
            } else {
                (next(&mut x) % 300) as usize
            };
            let alpha: &[u8] = if round % 2 == 0 {
                b"ab\n\"erorz"
            } else {
                b"abz\n"
            };
            let mut hay: Vec<u8> = (0..len)
                .map(|_| alpha[(next(&mut x) % alpha.len() as u64) as usize])
                .collect();
            let needle = needles[round % needles.len()];
            if len > needle.len() && round % 3 == 0 {
                let at = (next(&mut x) as usize) % (len - needle.len());
                hay[at..at + needle.len()].copy_from_slice(needle);
            }
            let f = CountingFinder::new(needle);
            for from in [0, len / 3, len / 2, len] {
                let (hit, lines) = two_pass(&f.find, &hay[from..]);
                let want = (hit.map(|p| p + from), lines);
                // The reference itself, spelled out.
                let first = (from..=len.saturating_sub(needle.len()))
                    .find(|&p| hay[p..].starts_with(needle));
                let upto = first.unwrap_or(len);
                let lines = hay[from..upto].iter().filter(|&&c| c == b'\n').count() as u32;
                assert_eq!(want, (first, lines), "reference, round {round}");
                for b in CountingFinder::available() {
                    assert_eq!(
                        f.find_with(b, &hay, from),
                        want,
                        "{b:?} round {round} from {from}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_newline_in_every_byte_is_counted_past_the_byte_counters() {
        // Each lane of a byte counter gains one a load: the most any input
        // gives, so a missed sum would wrap the count.
        for len in [255 * 64, 255 * 64 + 1, 70_000] {
            let mut hay = vec![b'\n'; len];
            let end = hay.len();
            hay[end - 3..].copy_from_slice(b"abc");
            let f = CountingFinder::new(b"abc");
            let want = (Some(len - 3), (len - 3) as u32);
            for b in CountingFinder::available() {
                assert_eq!(f.find_with(b, &hay, 0), want, "{b:?} len {len}");
                let none = CountingFinder::new(b"zz");
                let all = (None, (len - 3) as u32);
                assert_eq!(none.find_with(b, &hay, 0), all, "{b:?} len {len}, absent");
            }
        }
    }
}
