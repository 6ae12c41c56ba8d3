//! Time arguments: RFC 3339, naive ISO (UTC), a date, or a duration counted back
//! from an anchor (the data's last event, or the wall clock with `--now`).

use crate::error::{Error, Result};
use crate::model::Nanos;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// The forms every time flag accepts, for error messages.
pub const ACCEPTED: &str = "RFC 3339 (2026-02-13T14:30:00Z, 2026-02-13T16:30:00+02:00), \
naive ISO in UTC (2026-02-13T14:30:00[.123456]), a date (2026-02-13), \
or a duration back from the last event (90s, 10m, 2h, 1d, 1h30m)";

/// A time argument before it is anchored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeArg {
    /// An instant, UTC nanoseconds.
    At(Nanos),
    /// A duration before the anchor, in nanoseconds.
    Ago(i64),
}

impl TimeArg {
    /// The instant, given the anchor for durations.
    pub fn resolve(self, anchor: Nanos) -> Nanos {
        match self {
            TimeArg::At(t) => t,
            TimeArg::Ago(d) => anchor.saturating_sub(d),
        }
    }
}

/// Parses the value of `flag`.
///
/// Errors: [`Error::BadArg`] naming the flag and the accepted forms.
pub fn parse(flag: &'static str, value: &str) -> Result<TimeArg> {
    let v = value.trim();
    let bad = |reason: &str| Error::BadArg {
        flag,
        value: value.to_string(),
        reason: reason.to_string(),
        accepted: ACCEPTED,
    };
    if v.is_empty() {
        return Err(bad("empty"));
    }
    // Times are UTC nanoseconds in an i64: 1677-09-21 to 2262-04-11. A value
    // outside is an error, never a silent wrap.
    let in_range = |ns: i128| -> Result<TimeArg> {
        Nanos::try_from(ns).map(TimeArg::At).map_err(|_| {
            bad("outside the range oracle can represent (1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z)")
        })
    };
    if v.as_bytes()[0].is_ascii_digit() && v.len() >= 10 && v.as_bytes().get(4) == Some(&b'-') {
        if let Ok(t) = OffsetDateTime::parse(v, &Rfc3339) {
            return in_range(t.unix_timestamp_nanos());
        }
        let naive = format_description!(
            version = 2,
            "[year]-[month]-[day][first [T] [t] [ ]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
        );
        if let Ok(t) = PrimitiveDateTime::parse(v, &naive) {
            return in_range(t.assume_utc().unix_timestamp_nanos());
        }
        if let Ok(d) = Date::parse(v, format_description!("[year]-[month]-[day]")) {
            return in_range(d.midnight().assume_utc().unix_timestamp_nanos());
        }
        return Err(bad("not a valid date or time"));
    }
    match humantime::parse_duration(v) {
        Ok(d) => Ok(TimeArg::Ago(
            i64::try_from(d.as_nanos()).map_err(|_| bad("duration too long"))?,
        )),
        // humantime's own words ("expected number at 0") name no flag and no form.
        Err(e) => Err(bad(&match e {
            humantime::DurationError::NumberExpected(_) | humantime::DurationError::Empty => {
                "neither a time nor a duration".to_string()
            }
            humantime::DurationError::UnknownUnit { unit, .. } if unit.is_empty() => {
                "a bare number: give a unit (90s, 10m, 2h, 1d)".to_string()
            }
            humantime::DurationError::UnknownUnit { unit, .. } => {
                format!("not a time, and {unit:?} is not a duration unit (s, m, h, d, w)")
            }
            _ => "neither a time nor a duration".to_string(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::parse_timestamp;

    #[test]
    fn every_form_parses() {
        let z = parse_timestamp(b"2026-02-13T14:30:00Z").unwrap();
        assert_eq!(
            parse("--after", "2026-02-13T14:30:00Z").unwrap(),
            TimeArg::At(z)
        );
        assert_eq!(
            parse("--after", "2026-02-13T16:30:00+02:00").unwrap(),
            TimeArg::At(z)
        );
        assert_eq!(
            parse("--after", "2026-02-13T14:30:00").unwrap(),
            TimeArg::At(z)
        );
        assert_eq!(
            parse("--after", "2026-02-13 14:30").unwrap(),
            TimeArg::At(z)
        );
        assert_eq!(
            parse("--after", "2026-02-13T14:30:00.5").unwrap(),
            TimeArg::At(z + 500_000_000)
        );
        let midnight = parse_timestamp(b"2026-02-13T00:00:00Z").unwrap();
        assert_eq!(
            parse("--after", "2026-02-13").unwrap(),
            TimeArg::At(midnight)
        );
        assert_eq!(
            parse("--after", "10m").unwrap(),
            TimeArg::Ago(600_000_000_000)
        );
        assert_eq!(
            parse("--after", "1d").unwrap(),
            TimeArg::Ago(86_400_000_000_000)
        );
        assert_eq!(TimeArg::Ago(10).resolve(100), 90);
    }

    #[test]
    fn bad_values_name_the_flag_and_the_forms() {
        let e = parse("--before", "yesterday-ish").unwrap_err().to_string();
        assert!(
            e.contains("--before") && e.contains("RFC 3339") && e.contains("10m"),
            "{e}"
        );
        assert!(parse("--after", "2026-13-45").is_err());
        for v in ["9999-12-31T23:59:59Z", "1000-01-01", "9999-01-01"] {
            let e = parse("--before", v).unwrap_err().to_string();
            assert!(e.contains("--before") && e.contains("2262"), "{v}: {e}");
        }
        assert!(parse("--after", "").is_err());
    }
}
