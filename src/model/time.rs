//! Timestamps on the scan path: parse the forms the writers produce into
//! nanoseconds since the Unix epoch (UTC), and format them back as RFC 3339.
//!
//! Owns: the hot-path timestamp parser (no allocation, no library call per line)
//! and the output formatter. Must not: read the command line (see `cli::time`).
//! Invariant: a naive timestamp (no `Z`, no offset) is UTC, as the time-machine
//! observer writes `datetime.utcnow().isoformat()` (formats.md 1a).

/// Nanoseconds since 1970-01-01T00:00:00Z.
pub type Nanos = i64;

/// One second in nanoseconds.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;

#[inline]
fn digits(b: &[u8]) -> Option<i64> {
    let mut v: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Days from 1970-01-01 to the given proleptic Gregorian date
/// (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|z|±HH:MM|±HHMM]` into UTC nanoseconds.
///
/// Accepts every form in formats.md: naive ISO with 0 or 6 fraction digits
/// (time machine), `…123Z` and `…123+00:00` (teamsters), `…-04:00` (hook
/// schema A). A leap second (`:60`) is folded onto `:59.999999999`.
/// Returns `None` for anything else (out-of-range fields, and instants outside
/// 1677-09-21..2262-04-11 that nanoseconds in an `i64` cannot hold); the caller
/// counts the line as malformed.
pub fn parse_timestamp(s: &[u8]) -> Option<Nanos> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if s[10] != b'T' && s[10] != b't' && s[10] != b' ' {
        return None;
    }
    let year = digits(&s[0..4])?;
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    let hour = digits(&s[11..13])?;
    let minute = digits(&s[14..16])?;
    let mut second = digits(&s[17..19])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac: i64 = 0;
    if let Some((&b'.', tail)) = rest.split_first() {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut scale = 100_000_000i64;
        for &c in &tail[..n.min(9)] {
            frac += i64::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &tail[n..];
    }
    if second == 60 {
        second = 59;
        frac = NANOS_PER_SEC - 1;
    }
    let offset_secs = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    // Nanoseconds in an i64 span 1677-09-21 to 2262-04-11; outside that the record
    // is counted as malformed rather than overflowing.
    secs.checked_mul(NANOS_PER_SEC)?.checked_add(frac)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Formats UTC nanoseconds as RFC 3339 with microseconds and `Z`,
/// e.g. `2026-02-13T14:30:01.123000Z`. Out-of-range values print as the
/// nearest representable instant's form via the `time` crate; they cannot
/// come from [`parse_timestamp`], which caps years at four digits.
pub fn format_rfc3339(ns: Nanos) -> String {
    use time::macros::format_description;
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| ns.to_string())
}

/// A UTC day (days since 1970-01-01) as `YYYY-MM-DD`. Computed on the date, not
/// on its midnight in nanoseconds: the first day of the range (1677-09-21)
/// starts before the earliest `i64` nanosecond.
pub fn format_day(days: i64) -> String {
    i32::try_from(days + 2_440_588)
        .ok()
        .and_then(|j| time::Date::from_julian_day(j).ok())
        .map_or_else(|| days.to_string(), |d| d.to_string())
}

/// Milliseconds from `from` to `to`, exact for any two instants (computed in
/// `i128`: the difference of two `i64` nanosecond times can overflow `i64`, but
/// in milliseconds it always fits). `None` when `to` is before `from`: a
/// duration is never negative, and the caller decides what a reversed pair
/// means (clock skew, a reply dated before its task).
pub fn elapsed_ms(from: Nanos, to: Nanos) -> Option<i64> {
    let d = i128::from(to) - i128::from(from);
    // |d| < 2^64 ns, so d / 10^6 < 1.9e13 fits an i64.
    (d >= 0).then_some((d / 1_000_000) as i64)
}

/// Formats a duration in nanoseconds for people: `850ms`, `12.3s`, `4m05s`, `2h03m`, `3d04h`.
/// A negative duration (never produced by [`elapsed_ms`]) prints as `0ms`.
pub fn format_duration(ns: i64) -> String {
    format_duration_ms(ns / 1_000_000)
}

/// [`format_duration`] for milliseconds, without converting to nanoseconds
/// first (a span of 584 years in ms overflows an `i64` of ns).
pub fn format_duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s < 60 {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    if s < 3600 {
        return format!("{}m{:02}s", s / 60, s % 60);
    }
    if s < 86_400 {
        return format!("{}h{:02}m", s / 3600, (s % 3600) / 60);
    }
    format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_agree_on_the_same_instant() {
        let z = parse_timestamp(b"2026-02-13T14:30:01.123Z").unwrap();
        assert_eq!(parse_timestamp(b"2026-02-13T14:30:01.123+00:00"), Some(z));
        assert_eq!(parse_timestamp(b"2026-02-13T16:30:01.123+02:00"), Some(z));
        assert_eq!(parse_timestamp(b"2026-02-13T10:30:01.123-04:00"), Some(z));
        assert_eq!(parse_timestamp(b"2026-02-13T14:30:01.123000"), Some(z));
        assert_eq!(format_rfc3339(z), "2026-02-13T14:30:01.123000Z");
    }

    #[test]
    fn naive_without_fraction_is_utc() {
        let t = parse_timestamp(b"1970-01-02T00:00:00").unwrap();
        assert_eq!(t, 86_400 * NANOS_PER_SEC);
    }

    #[test]
    fn rejects_garbage_and_out_of_range() {
        for bad in [
            &b"2026-13-01T00:00:00Z"[..],
            b"2026-02-30T00:00:00Z",
            b"2026-02-01T24:00:00Z",
            b"2026-02-01T00:00:00+25:00",
            b"2026-02-01T00:00:00.Z",
            b"2026-02-01 junk",
            b"0026-02-13T10:00:22.700Z",
            b"9999-12-31T23:59:59Z",
            b"",
        ] {
            assert_eq!(
                parse_timestamp(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn leap_second_folds_onto_the_last_nanosecond() {
        let leap = parse_timestamp(b"2016-12-31T23:59:60Z").unwrap();
        let next = parse_timestamp(b"2017-01-01T00:00:00Z").unwrap();
        assert_eq!(leap, next - 1);
    }

    #[test]
    fn days_format_at_both_ends_of_the_range() {
        assert_eq!(format_day(0), "1970-01-01");
        let lo = parse_timestamp(b"1677-09-21T00:12:44Z").unwrap();
        assert_eq!(
            format_day(lo.div_euclid(86_400 * NANOS_PER_SEC)),
            "1677-09-21"
        );
        let hi = parse_timestamp(b"2262-04-11T23:47:16Z").unwrap();
        assert_eq!(
            format_day(hi.div_euclid(86_400 * NANOS_PER_SEC)),
            "2262-04-11"
        );
    }

    #[test]
    fn elapsed_is_exact_across_the_whole_range_and_never_negative() {
        let lo = parse_timestamp(b"1677-09-21T00:12:44Z").unwrap();
        let hi = parse_timestamp(b"2262-04-11T23:47:16Z").unwrap();
        let ms = elapsed_ms(lo, hi).unwrap();
        assert_eq!(
            i128::from(ms),
            (i128::from(hi) - i128::from(lo)) / 1_000_000
        );
        assert!(ms > 0);
        assert_eq!(elapsed_ms(hi, lo), None);
        assert_eq!(
            elapsed_ms(i64::MIN, i64::MAX),
            Some((u64::MAX / 1_000_000) as i64)
        );
        assert_eq!(elapsed_ms(5, 5), Some(0));
        assert!(format_duration_ms(ms).ends_with('h') && !format_duration_ms(ms).starts_with('-'));
        assert_eq!(format_duration_ms(-5), "0ms");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(850_000_000), "850ms");
        assert_eq!(format_duration(245 * NANOS_PER_SEC), "4m05s");
    }
}
