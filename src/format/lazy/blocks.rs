//! The 64-byte block scanners of the lazy reader: the rest of a string after
//! its first 48 bytes or from its first escape ([`string_tail`]) and a whole
//! skipped object or array ([`skip_container`]), each built once per
//! instruction set and picked once per process from what the CPU has.
//!
//! Owns: the bit masks of a block (quotes, backslashes, control bytes,
//! brackets, valid one-byte escapes), the escape and string-region bit tricks,
//! and which backend runs. Must not: know the reader's trie or slots.
//!
//! Backends, best first: AVX-512BW (one 64-byte load; each mask is one compare
//! into a mask register), AVX2 (two 32-byte loads), SSE2 (four 16-byte loads,
//! baseline on x86_64), and a byte loop (every architecture). All give the
//! same results to the byte: tests compare each backend the machine has with a
//! byte-by-byte reference. The environment variable `ORACLE_SIMD` (`sse2`,
//! `avx2`, `avx512`, `bytes`) picks a lower one for benchmarks; a value the
//! CPU cannot run, or any other, leaves the best one.
//!
//! Why: with SSE2 each mask of a block costs four compares, four movemasks and
//! the shifts that join them; AVX-512BW makes it one compare, and checks the
//! escapes of a block with two nibble-table shuffles instead of one loop step
//! per escape (BENCHMARKS.md, "Block scanners per instruction set").

use super::MAX_DEPTH;
use std::sync::OnceLock;

/// What is wrong and at which byte offset.
pub(super) type Bad = (&'static str, usize);

/// The end of a string (past its closing quote) and whether it has escapes.
pub(super) type StringEnd = Result<(usize, bool), Bad>;

/// One instruction set's masks of a 64-byte block: bit `k` for byte `k`.
trait Lanes {
    /// The first `N` (3 or 5) of: quotes, backslashes, control bytes (< 0x20),
    /// openers (`{` `[`) and closers (`}` `]`); the others are left 0.
    fn masks<const N: usize>(blk: &[u8; 64]) -> [u64; 5];
    /// Quotes, backslashes and control bytes.
    #[inline(always)]
    fn string_masks(blk: &[u8; 64]) -> (u64, u64, u64) {
        let [q, s, c, _, _] = Self::masks::<3>(blk);
        (q, s, c)
    }
    /// All five masks.
    #[inline(always)]
    fn skip_masks(blk: &[u8; 64]) -> [u64; 5] {
        Self::masks::<5>(blk)
    }
    /// Bytes that make a valid escape alone after a backslash (`" \ / b f n r
    /// t`); a backend may return fewer (none), leaving them to the byte check.
    fn simple_escapes(blk: &[u8; 64]) -> u64;
    /// Bit `k` set when an odd number of bits at or below `k` are set in `x`.
    #[inline(always)]
    fn prefix_xor(x: u64) -> u64 {
        let mut x = x;
        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        x
    }
}

/// The byte loop: any architecture (and the tests' reference of masks).
struct Bytes;

impl Lanes for Bytes {
    #[inline(always)]
    fn masks<const N: usize>(blk: &[u8; 64]) -> [u64; 5] {
        let mut m = [0u64; 5];
        for (k, &x) in blk.iter().enumerate() {
            m[0] |= u64::from(x == b'"') << k;
            m[1] |= u64::from(x == b'\\') << k;
            m[2] |= u64::from(x < 0x20) << k;
            if N > 3 {
                m[3] |= u64::from(matches!(x, b'{' | b'[')) << k;
                m[4] |= u64::from(matches!(x, b'}' | b']')) << k;
            }
        }
        m
    }
    #[inline(always)]
    fn simple_escapes(_: &[u8; 64]) -> u64 {
        0
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Lanes;
    use std::arch::x86_64::*;

    /// The valid one-byte escapes `" / \\ b f n r t` (0x22 0x2f 0x5c 0x62
    /// 0x66 0x6e 0x72 0x74) as two nibble tables: a byte is one exactly when
    /// `LOW[byte & 15] & HIGH[byte >> 4]` is not zero (bit 1: high nibble 2,
    /// bit 2: 5, bit 4: 6, bit 8: 7).
    const LOW: [u8; 16] = [0, 0, 13, 0, 8, 0, 4, 0, 0, 0, 0, 0, 2, 0, 4, 1];
    /// See [`LOW`].
    const HIGH: [u8; 16] = [0, 0, 1, 0, 0, 2, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0];

    /// Four 16-byte loads a block.
    pub(super) struct Sse2;
    /// Two 32-byte loads a block.
    pub(super) struct Avx2;
    /// One 64-byte load a block, compares into mask registers.
    pub(super) struct Avx512;

    impl Lanes for Sse2 {
        #[inline(always)]
        fn masks<const N: usize>(blk: &[u8; 64]) -> [u64; 5] {
            masks_sse2::<N>(blk)
        }
        #[inline(always)]
        fn simple_escapes(_: &[u8; 64]) -> u64 {
            0
        }
    }

    /// The first `N` of the five masks, 16 bytes at a time.
    #[inline(always)]
    fn masks_sse2<const N: usize>(blk: &[u8; 64]) -> [u64; 5] {
        // SAFETY: SSE2 is baseline on x86_64; the four 16-byte loads lie
        // within the 64-byte array; unaligned loads are allowed.
        unsafe {
            let mut m = [0u64; 5];
            for k in 0..4 {
                let v = _mm_loadu_si128(blk.as_ptr().add(16 * k).cast());
                let bits = |x| u64::from(_mm_movemask_epi8(x) as u16) << (16 * k);
                m[0] |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)));
                m[1] |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)));
                // v <= 0x1f (unsigned) exactly when min(v, 0x1f) == v.
                let ctl = _mm_set1_epi8(0x1f);
                m[2] |= bits(_mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
                if N > 3 {
                    // `[` | 0x20 is `{` and `]` | 0x20 is `}`; no other byte maps there.
                    let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                    m[3] |= bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8)));
                    m[4] |= bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8)));
                }
            }
            m
        }
    }

    impl Lanes for Avx2 {
        #[inline(always)]
        fn masks<const N: usize>(blk: &[u8; 64]) -> [u64; 5] {
            masks_avx2::<N>(blk)
        }
        #[inline(always)]
        fn simple_escapes(blk: &[u8; 64]) -> u64 {
            // SAFETY: only reached from functions compiled with AVX2, run
            // after the CPU was seen to have it; loads within the arrays.
            unsafe {
                let lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(LOW.as_ptr().cast()));
                let hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(HIGH.as_ptr().cast()));
                let nib = _mm256_set1_epi8(0x0f);
                let mut m = 0u64;
                for k in 0..2 {
                    let v = _mm256_loadu_si256(blk.as_ptr().add(32 * k).cast());
                    let lo = _mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, nib));
                    let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
                    let hi = _mm256_shuffle_epi8(hi_t, hi);
                    let none = _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256());
                    m |= u64::from(!(_mm256_movemask_epi8(none) as u32)) << (32 * k);
                }
                m
            }
        }
        #[inline(always)]
        fn prefix_xor(x: u64) -> u64 {
            clmul_prefix_xor(x)
        }
    }

    /// The first `N` of the five masks, 32 bytes at a time.
    #[inline(always)]
    fn masks_avx2<const N: usize>(blk: &[u8; 64]) -> [u64; 5] {
        // SAFETY: only reached from functions compiled with AVX2, run after
        // the CPU was seen to have it; both loads lie within the array.
        unsafe {
            let mut m = [0u64; 5];
            for k in 0..2 {
                let v = _mm256_loadu_si256(blk.as_ptr().add(32 * k).cast());
                let at = 32 * k;
                let eq = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8));
                m[0] |= u64::from(_mm256_movemask_epi8(eq) as u32) << at;
                let eq = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8));
                m[1] |= u64::from(_mm256_movemask_epi8(eq) as u32) << at;
                let ctl = _mm256_set1_epi8(0x1f);
                let eq = _mm256_cmpeq_epi8(_mm256_min_epu8(v, ctl), v);
                m[2] |= u64::from(_mm256_movemask_epi8(eq) as u32) << at;
                if N > 3 {
                    let folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
                    let eq = _mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'{' as i8));
                    m[3] |= u64::from(_mm256_movemask_epi8(eq) as u32) << at;
                    let eq = _mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'}' as i8));
                    m[4] |= u64::from(_mm256_movemask_epi8(eq) as u32) << at;
                }
            }
            m
        }
    }

    impl Lanes for Avx512 {
        #[inline(always)]
        fn masks<const N: usize>(blk: &[u8; 64]) -> [u64; 5] {
            // SAFETY: only reached from functions compiled with AVX-512BW, run
            // after the CPU was seen to have it; one load of the 64-byte array.
            unsafe {
                let v = _mm512_loadu_si512(blk.as_ptr().cast());
                let mut m = [
                    _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8)),
                    _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8)),
                    _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20)),
                    0,
                    0,
                ];
                if N > 3 {
                    let folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
                    m[3] = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8));
                    m[4] = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8));
                }
                m
            }
        }
        #[inline(always)]
        fn simple_escapes(blk: &[u8; 64]) -> u64 {
            // SAFETY: as in `masks`; the tables are 16 bytes each.
            unsafe {
                let v = _mm512_loadu_si512(blk.as_ptr().cast());
                let lo_t = _mm512_broadcast_i32x4(_mm_loadu_si128(LOW.as_ptr().cast()));
                let hi_t = _mm512_broadcast_i32x4(_mm_loadu_si128(HIGH.as_ptr().cast()));
                let nib = _mm512_set1_epi8(0x0f);
                let lo = _mm512_shuffle_epi8(lo_t, _mm512_and_si512(v, nib));
                let hi = _mm512_shuffle_epi8(hi_t, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
                _mm512_test_epi8_mask(lo, hi)
            }
        }
        #[inline(always)]
        fn prefix_xor(x: u64) -> u64 {
            clmul_prefix_xor(x)
        }
    }

    /// The prefix XOR as one carry-less multiply by all ones (simdjson's trick).
    #[inline(always)]
    fn clmul_prefix_xor(x: u64) -> u64 {
        // SAFETY: only reached from functions compiled with PCLMULQDQ, run
        // after the CPU was seen to have it.
        unsafe {
            let p = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(p) as u64
        }
    }

    /// [`super::string_tail`] with AVX-512BW.
    #[target_feature(enable = "avx512bw,avx2,pclmulqdq")]
    pub(super) fn string_tail_avx512(b: &[u8], i: usize) -> super::StringEnd {
        super::string_tail_with::<Avx512>(b, i)
    }
    /// [`super::skip_container`] with AVX-512BW.
    #[target_feature(enable = "avx512bw,avx2,pclmulqdq")]
    pub(super) fn skip_avx512(b: &[u8], i: usize, depth: usize) -> Result<usize, super::Bad> {
        super::skip_with::<Avx512>(b, i, depth)
    }
    /// [`super::string_tail`] with AVX2.
    #[target_feature(enable = "avx2,pclmulqdq")]
    pub(super) fn string_tail_avx2(b: &[u8], i: usize) -> super::StringEnd {
        super::string_tail_with::<Avx2>(b, i)
    }
    /// [`super::skip_container`] with AVX2.
    #[target_feature(enable = "avx2,pclmulqdq")]
    pub(super) fn skip_avx2(b: &[u8], i: usize, depth: usize) -> Result<usize, super::Bad> {
        super::skip_with::<Avx2>(b, i, depth)
    }
}

/// One backend: its name and its two scanners.
pub(super) struct Backend {
    /// `avx512`, `avx2`, `sse2` or `bytes`.
    pub name: &'static str,
    /// [`string_tail`] as this backend runs it.
    pub string_tail: fn(&[u8], usize) -> StringEnd,
    /// [`skip_container`] as this backend runs it.
    pub skip: fn(&[u8], usize, usize) -> Result<usize, Bad>,
}

/// The backends this CPU can run, best first (the byte loop last, always).
pub(super) fn available() -> Vec<Backend> {
    let mut v = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        let clmul = std::arch::is_x86_feature_detected!("pclmulqdq");
        if clmul && std::arch::is_x86_feature_detected!("avx512bw") {
            v.push(Backend {
                name: "avx512",
                // SAFETY: the CPU has AVX-512BW, AVX2 and PCLMULQDQ (checked above).
                string_tail: |b, i| unsafe { x86::string_tail_avx512(b, i) },
                skip: |b, i, d| unsafe { x86::skip_avx512(b, i, d) },
            });
        }
        if clmul && std::arch::is_x86_feature_detected!("avx2") {
            v.push(Backend {
                name: "avx2",
                // SAFETY: the CPU has AVX2 and PCLMULQDQ (checked above).
                string_tail: |b, i| unsafe { x86::string_tail_avx2(b, i) },
                skip: |b, i, d| unsafe { x86::skip_avx2(b, i, d) },
            });
        }
        v.push(Backend {
            name: "sse2",
            string_tail: string_tail_with::<x86::Sse2>,
            skip: skip_with::<x86::Sse2>,
        });
    }
    v.push(Backend {
        name: "bytes",
        string_tail: string_tail_with::<Bytes>,
        skip: skip_with::<Bytes>,
    });
    v
}

/// The backend in use: the best available, or the one `ORACLE_SIMD` names.
fn backend() -> &'static Backend {
    static B: OnceLock<Backend> = OnceLock::new();
    B.get_or_init(|| {
        let mut all = available();
        let wanted = std::env::var("ORACLE_SIMD").ok();
        let at = wanted
            .and_then(|w| all.iter().position(|b| b.name == w))
            .unwrap_or(0);
        all.swap_remove(at)
    })
}

/// The name of the backend in use (`avx512`, `avx2`, `sse2`, `bytes`).
pub fn backend_name() -> &'static str {
    backend().name
}

/// Scans a string's body from `i` 64 bytes at a time, validating it (no raw
/// control byte, only JSON escapes). Returns the offset just past the closing
/// quote and whether the string has escapes from `i` on. No escape may carry
/// into `i` (the byte before it is not a lone backslash).
#[inline]
pub(super) fn string_tail(b: &[u8], i: usize) -> StringEnd {
    (backend().string_tail)(b, i)
}

/// Skips the object or array at `i` (on its `{` or `[`), 64 bytes at a time,
/// nested `depth` deep: returns the offset just past its matching bracket.
///
/// Checked: every string inside (no raw control byte, only JSON escapes), no
/// backslash or control byte other than whitespace outside strings, brackets
/// balanced and of matching kinds, at most [`MAX_DEPTH`] deep. Not checked
/// (what a token-by-token walk adds): commas, colons, keys being strings, the
/// spelling of numbers and literals. Errors: what is wrong and its offset.
#[inline]
pub(super) fn skip_container(b: &[u8], i: usize, depth: usize) -> Result<usize, Bad> {
    (backend().skip)(b, i, depth)
}

/// The 64 bytes at `i`, and a mask of those that are in `b`: past its end
/// they are read from `pad` (spaces, which no scanner stops at).
#[inline(always)]
fn block_at<'b>(b: &'b [u8], i: usize, pad: &'b mut [u8; 64]) -> (&'b [u8; 64], u64) {
    match b.get(i..i + 64) {
        Some(s) => (s.try_into().expect("64 bytes"), u64::MAX),
        None => {
            let n = b.len() - i;
            pad[..n].copy_from_slice(&b[i..]);
            (pad, (1u64 << n) - 1)
        }
    }
}

/// The bytes of a block that a backslash escapes, given its backslash mask;
/// `carry` (0 or 1) says the block's first byte is escaped by the previous
/// block's last backslash, and is set for the next block. A run of `n`
/// backslashes escapes the byte after it when `n` is odd (the bit trick of
/// simdjson's string scanner, Langdale and Lemire 2019).
#[inline(always)]
fn escaped_bytes(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*carry;
    let follows = (backslash << 1) | *carry;
    let odd_starts = backslash & !EVEN & !follows;
    let (even_runs, over) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(over);
    (EVEN ^ (even_runs << 1)) & follows
}

/// What may follow a backslash: 1 for `" \ / b f n r t`, 2 for `u`.
const ESCAPES: [u8; 256] = {
    let mut t = [0u8; 256];
    let simple = b"\"\\/bfnrt";
    let mut k = 0;
    while k < simple.len() {
        t[simple[k] as usize] = 1;
        k += 1;
    }
    t[b'u' as usize] = 2;
    t
};

/// Checks each escaped byte of `bits` (block bits, block at `at` in `b`): one of
/// `" \ / b f n r t`, or `u` with four hex digits after it. Errors: the
/// offset of the first bad byte.
#[inline]
fn check_escapes(b: &[u8], at: usize, mut bits: u64) -> Result<(), Bad> {
    while bits != 0 {
        let i = at + bits.trailing_zeros() as usize;
        bits &= bits - 1;
        match b.get(i).map_or(0, |&c| ESCAPES[usize::from(c)]) {
            1 => {}
            2 => {
                let hex = b.get(i + 1..i + 5);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(("bad \\u escape", i));
                }
            }
            _ => return Err(("bad escape", i)),
        }
    }
    Ok(())
}

/// [`check_escapes`] of the escaped bytes of `blk` (at `at` in `b`) that the
/// backend could not see are valid alone (a valid one never fails, so the
/// first failure is the same).
#[inline(always)]
fn check_block_escapes<L: Lanes>(
    b: &[u8],
    at: usize,
    blk: &[u8; 64],
    bits: u64,
) -> Result<(), Bad> {
    let rest = bits & !L::simple_escapes(blk);
    if rest == 0 {
        return Ok(());
    }
    check_escapes(b, at, rest)
}

/// [`string_tail`] on backend `L`.
#[inline(always)]
fn string_tail_with<L: Lanes>(b: &[u8], mut i: usize) -> StringEnd {
    let mut carry = 0u64;
    let mut escapes = false;
    loop {
        let mut pad = [b' '; 64];
        let (blk, real) = block_at(b, i, &mut pad);
        let (q, s, c) = L::string_masks(blk);
        let esc = if s | carry == 0 {
            0
        } else {
            escaped_bytes(s, &mut carry)
        };
        let end = q & !esc & real;
        // Bits before the closing quote (all real bits when it is not here).
        let inside = if end == 0 {
            real
        } else {
            (end & end.wrapping_neg()) - 1
        };
        if (c | esc) & inside != 0 {
            escapes |= esc & inside != 0;
            // The first bad byte is reported; an escaped control byte is a bad escape.
            let bad_escape = check_block_escapes::<L>(b, i, blk, esc & inside).err();
            let control = c & inside & !esc;
            let control = (control != 0).then(|| i + control.trailing_zeros() as usize);
            match (bad_escape, control) {
                (Some(e), Some(at)) if at < e.1 => return Err(("control character in string", at)),
                (Some(e), _) => return Err(e),
                (None, Some(at)) => return Err(("control character in string", at)),
                (None, None) => {}
            }
        }
        if end != 0 {
            return Ok((i + end.trailing_zeros() as usize + 1, escapes));
        }
        if real != u64::MAX {
            return Err(("unterminated string", b.len()));
        }
        i += 64;
    }
}

/// The offset of the lowest set bit.
#[inline(always)]
fn first(bits: u64) -> Option<usize> {
    (bits != 0).then(|| bits.trailing_zeros() as usize)
}

/// [`skip_container`] on backend `L`.
#[inline(always)]
fn skip_with<L: Lanes>(b: &[u8], mut i: usize, depth: usize) -> Result<usize, Bad> {
    let mut stack = [0u8; MAX_DEPTH + 1];
    let mut top = 0usize;
    let mut escape_carry = 0u64;
    let mut in_string = 0u64;
    loop {
        let mut pad = [b' '; 64];
        let (blk, real) = block_at(b, i, &mut pad);
        let [q, s, c, open, close] = L::skip_masks(blk);
        let esc = if s | escape_carry == 0 {
            0
        } else {
            escaped_bytes(s, &mut escape_carry)
        };
        let quotes = q & !esc & real;
        // From each string's opening quote up to (not with) its closing quote.
        let strings = L::prefix_xor(quotes) ^ in_string;
        // Brackets outside strings, in order, until the container closes.
        let mut brackets = (open | close) & !strings & real;
        let mut end = 0u64;
        while brackets != 0 {
            let bit = brackets & brackets.wrapping_neg();
            brackets &= brackets - 1;
            let at = i + bit.trailing_zeros() as usize;
            if open & bit != 0 {
                if depth + top >= MAX_DEPTH {
                    return Err(("nested too deep", at));
                }
                stack[top] = b[at];
                top += 1;
            } else {
                let want = if b[at] == b'}' { b'{' } else { b'[' };
                if top == 0 || stack[top - 1] != want {
                    return Err(("mismatched bracket", at));
                }
                top -= 1;
                if top == 0 {
                    end = bit;
                    break;
                }
            }
        }
        // The bytes of this block that belong to the container.
        let mine = if end == 0 {
            real
        } else {
            (end << 1).wrapping_sub(1)
        };
        let body = strings & !quotes & mine;
        let outside = !strings & !quotes & mine;
        if (c & mine) | (esc & mine) | (s & outside) != 0 {
            if let Some(at) = first(c & body) {
                return Err(("control character in string", i + at));
            }
            if let Some(at) = first(s & outside) {
                return Err(("backslash outside a string", i + at));
            }
            check_block_escapes::<L>(b, i, blk, esc & body)?;
            // Outside strings only whitespace may be a control byte.
            let mut ws = c & outside;
            while ws != 0 {
                let at = i + ws.trailing_zeros() as usize;
                ws &= ws - 1;
                if !matches!(b[at], b' ' | b'\t' | b'\n' | b'\r') {
                    return Err(("control character outside a string", at));
                }
            }
        }
        if end != 0 {
            return Ok(i + end.trailing_zeros() as usize + 1);
        }
        if real != u64::MAX {
            return Err(("unterminated container", b.len()));
        }
        in_string = 0u64.wrapping_sub(strings >> 63);
        i += 64;
    }
}
