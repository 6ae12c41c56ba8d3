//! Lenient field types for the typed, borrowed parsers.
//!
//! Real writers put a number where a string was documented, `null` everywhere, and
//! nested objects where a scalar was expected. A typed serde struct would reject the
//! whole record; these wrappers instead read what they can and yield `None` for the
//! rest, so a record is only malformed when it is not valid JSON.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// Reads one JSON record as `T`, so that a record is malformed only when it is
/// not JSON in substance.
///
/// The typed, borrowing parse runs first. When it fails, the record is read again
/// through a [`serde_json::Value`], which takes two things the typed parse refuses:
/// a key given twice (serde's derive rejects duplicate fields; here the last value
/// wins, as in most JSON readers) and invalid UTF-8 inside strings (replaced by
/// U+FFFD). Only that rare path allocates.
///
/// Errors: the typed parse's error, when the record is not JSON either way.
pub fn from_slice<'a, T: Deserialize<'a>>(b: &'a [u8]) -> Result<T, serde_json::Error> {
    let err = match serde_json::from_slice(b) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    if err.is_eof() {
        return Err(err);
    }
    let value = match serde_json::from_slice::<serde_json::Value>(b) {
        Ok(v) => v,
        Err(_) if std::str::from_utf8(b).is_err() => {
            match serde_json::from_str::<serde_json::Value>(&String::from_utf8_lossy(b)) {
                Ok(v) => v,
                Err(_) => return Err(err),
            }
        }
        Err(_) => return Err(err),
    };
    T::deserialize(value).map_err(|_| err)
}

/// A string field: borrowed when it has no escapes; numbers and booleans are
/// rendered as text; `null`, arrays and objects read as `None`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'a> Text<'a> {
    /// The string, if any.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A numeric field: JSON numbers and numeric strings read as `f64`; anything else is `None`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Num(pub Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num(v.is_finite().then_some(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Num, E> {
                Ok(Num(v.trim().parse::<f64>().ok().filter(|x| x.is_finite())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_unit<E>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_none<E>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Num {
    /// As a non-negative integer (rounded), if present.
    pub fn count(self) -> Option<u64> {
        self.0.filter(|v| *v >= 0.0).map(|v| v.round() as u64)
    }

    /// A counter that is summed (tokens): `Ok(None)` when absent or not a
    /// number. Errors, naming `field`, when it is negative or beyond `u64`:
    /// such a value is a malformed field, never summed nor silently dropped.
    pub fn counter(self, field: &str) -> Result<Option<u64>, String> {
        match self.0 {
            None => Ok(None),
            Some(v) if v < 0.0 => Err(format!("{field} is negative ({v})")),
            // 2^64 as f64: the first value a u64 cannot hold.
            Some(v) if v >= 18_446_744_073_709_551_616.0 => {
                Err(format!("{field} is out of range ({v:e})"))
            }
            Some(v) => Ok(Some(v.round() as u64)),
        }
    }

    /// An amount that is summed (USD): `Ok(None)` when absent or not a
    /// number; an error naming `field` when negative (JSON has no infinity).
    pub fn amount(self, field: &str) -> Result<Option<f64>, String> {
        match self.0 {
            Some(v) if v < 0.0 => Err(format!("{field} is negative ({v})")),
            v => Ok(v),
        }
    }
}

/// A boolean field: `true`, `"true"` and non-zero numbers are true.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = Text::deserialize(d)?;
        Ok(Flag(
            matches!(t.get(), Some(s) if s == "true" || s.parse::<f64>().is_ok_and(|n| n != 0.0)),
        ))
    }
}

/// A nested object read as `T`; anything that is not an object reads as `T::default()`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(a)).map(Obj)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Obj<T>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj(T::default()))
            }
            fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
            fn visit_unit<E>(self) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
            fn visit_none<E>(self) -> Result<Obj<T>, E> {
                Ok(Obj(T::default()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Default)]
    struct T<'a> {
        #[serde(borrow, default)]
        s: Text<'a>,
        #[serde(default)]
        n: Num,
        #[serde(default)]
        b: Flag,
    }

    #[test]
    fn duplicate_keys_and_bad_utf8_are_read_not_refused() {
        let t: T = from_slice(br#"{"s": "a", "n": 1, "s": "b"}"#).unwrap();
        assert_eq!(t.s.get(), Some("b"));
        assert_eq!(t.n.0, Some(1.0));
        let t: T = from_slice(b"{\"s\": \"x\xffy\", \"n\": 2}").unwrap();
        assert_eq!(t.s.get(), Some("x\u{fffd}y"));
        assert!(from_slice::<T>(br#"{"s": "a", "s": "#).is_err());
        assert!(from_slice::<T>(b"{\"s\": \xff}").is_err());
        assert!(from_slice::<T>(b"not json").is_err());
    }

    #[test]
    fn summed_counters_refuse_negative_and_out_of_range_values() {
        assert_eq!(Num(Some(5.0)).counter("n"), Ok(Some(5)));
        assert_eq!(Num(None).counter("n"), Ok(None));
        assert!(Num(Some(-1.0))
            .counter("input_tokens")
            .unwrap_err()
            .contains("input_tokens"));
        assert!(Num(Some(2e19)).counter("n").is_err());
        assert_eq!(
            Num(Some(1e19)).counter("n"),
            Ok(Some(10_000_000_000_000_000_000))
        );
        assert!(Num(Some(-0.5)).amount("cost").is_err());
        assert_eq!(Num(Some(1e308)).amount("cost"), Ok(Some(1e308)));
    }

    #[test]
    fn wrong_types_read_as_none_not_as_errors() {
        let t: T = serde_json::from_str(r#"{"s": {"x": [1]}, "n": "12", "b": "true"}"#).unwrap();
        assert_eq!(t.s.get(), None);
        assert_eq!(t.n.0, Some(12.0));
        assert!(t.b.0);
        let t: T = serde_json::from_str(r#"{"s": 5, "n": [], "b": 0}"#).unwrap();
        assert_eq!(t.s.get(), Some("5"));
        assert_eq!(t.n.0, None);
        assert!(!t.b.0);
        let t: T = serde_json::from_str(r#"{"s": "plain"}"#).unwrap();
        assert!(matches!(t.s.0, Some(Cow::Borrowed("plain"))));
    }
}
