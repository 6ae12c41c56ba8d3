//! Lenient field types of the team files, on top of [`crate::format::lax`].
//!
//! Owns: key presence ([`Seen`]), times written as epoch milliseconds or RFC 3339
//! ([`Time`]), the member roster ([`Members`]) and a mailbox message's `text`,
//! which is plain text or a protocol message encoded as JSON inside the string
//! ([`Body`]). Must not: fail on a wrong-typed value (it reads as absent) or
//! allocate for plain-text messages.

use crate::format::lax::{self, Text};
use crate::model::{time::parse_timestamp, Nanos};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize as DeriveDeserialize;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A field whose presence matters: `present` is true when the key was in the
/// object, whatever its value (`T` reads any value without failing).
#[derive(Debug, Default)]
pub(super) struct Seen<T> {
    /// The key was there.
    pub present: bool,
    /// Its value as read.
    pub value: T,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Seen<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Seen {
            present: true,
            value: T::deserialize(d)?,
        })
    }
}

/// Epoch milliseconds (`createdAt`, `joinedAt`, `updatedAt`) as UTC nanoseconds,
/// checked: out of the `i64` nanosecond range reads as `None`, never wraps.
pub(super) fn ms_to_nanos(ms: i64) -> Option<Nanos> {
    ms.checked_mul(1_000_000)
}

/// [`ms_to_nanos`] of a JSON float (a fraction of a millisecond is kept to the ns).
fn ms_f64_to_nanos(ms: f64) -> Option<Nanos> {
    if !ms.is_finite() {
        return None;
    }
    let whole = ms.trunc();
    // Beyond ±9.2e15 ms the nanoseconds leave the i64 range (and `as` would saturate).
    if whole.abs() >= 9.2e15 {
        return None;
    }
    ms_to_nanos(whole as i64)?.checked_add(((ms - whole) * 1e6).round() as i64)
}

/// A time field: a JSON number or a string of digits is epoch milliseconds, any
/// other string is read as RFC 3339; anything else (or out of range) is `None`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Time(pub Option<Nanos>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Time, E> {
                Ok(Time(i64::try_from(v).ok().and_then(ms_to_nanos)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Time, E> {
                Ok(Time(ms_to_nanos(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Time, E> {
                Ok(Time(ms_f64_to_nanos(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Time, E> {
                let t = v.trim();
                let digits = t.strip_prefix('-').unwrap_or(t);
                if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
                    return Ok(Time(t.parse::<i64>().ok().and_then(ms_to_nanos)));
                }
                Ok(Time(parse_timestamp(t.as_bytes())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Time, E> {
                Ok(Time(None))
            }
            fn visit_unit<E>(self) -> Result<Time, E> {
                Ok(Time(None))
            }
            fn visit_none<E>(self) -> Result<Time, E> {
                Ok(Time(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Time, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Time(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Time, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Time(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string field that reads only JSON strings (a number is not a protocol `type`).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Str<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Str(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Str(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Str(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Str(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Str(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Str(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// One member of a team's roster (`config.json` `members[]`).
#[derive(DeriveDeserialize, Default, Debug)]
#[serde(default)]
pub(super) struct Member<'a> {
    /// `<name>@<team>`.
    #[serde(borrow, rename = "agentId")]
    pub agent_id: Text<'a>,
    /// Short name: the mailbox name.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// Role (`team-lead`, `coordinator`, `general-purpose`, ...).
    #[serde(borrow, rename = "agentType")]
    pub agent_type: Text<'a>,
    /// When it joined.
    #[serde(rename = "joinedAt")]
    pub joined_at: Time,
}

/// The roster: `Some` when `members` is a JSON array (its non-object elements
/// skipped), `None` for any other value.
#[derive(Debug, Default)]
pub(super) struct Members<'a>(pub Option<Vec<Member<'a>>>);

/// An element read as `T` when it is an object, else `None`.
struct IfObject<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for IfObject<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = IfObject<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(a)).map(|t| IfObject(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IfObject(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(m) = a.next_element::<IfObject<Member<'a>>>()? {
                    v.extend(m.0);
                }
                Ok(Members(Some(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Members(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Members(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Members(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Members(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Members(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Members(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Members(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Members(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The fields read from a protocol message (the JSON object inside `text`).
#[derive(DeriveDeserialize, Default)]
#[serde(default)]
struct Inner<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow, rename = "taskId")]
    task_id: Text<'a>,
    #[serde(borrow, rename = "requestId")]
    request_id: Text<'a>,
    #[serde(borrow)]
    error: Text<'a>,
    #[serde(borrow)]
    message: Text<'a>,
    #[serde(borrow)]
    reason: Text<'a>,
    #[serde(borrow)]
    content: Text<'a>,
}

/// A protocol message read from a mailbox message's `text`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Proto<'a> {
    /// Its `type`, when a string.
    pub kind: Option<Cow<'a, str>>,
    /// Its `taskId`, else its `requestId`.
    pub id: Option<Cow<'a, str>>,
    /// For a type naming an error or failure: its `error`, `message`, `reason` or
    /// `content`, else the whole text. `None` for other types.
    pub failure: Option<Cow<'a, str>>,
}

/// True when a protocol type names an error or a failure (`error`, `task_failed`, ...).
pub(super) fn names_failure(kind: &str) -> bool {
    let has = |w: &[u8]| {
        kind.as_bytes()
            .windows(w.len())
            .any(|x| x.eq_ignore_ascii_case(w))
    };
    has(b"error") || has(b"fail")
}

/// The protocol types Claude Code writes, so that reading one from an escaped
/// string allocates nothing for its name.
const KNOWN_TYPES: [&str; 11] = [
    "task_assignment",
    "idle_notification",
    "shutdown_request",
    "shutdown_response",
    "shutdown_approved",
    "shutdown_rejected",
    "plan_approval_request",
    "plan_approval_response",
    "permission_request",
    "permission_response",
    "task_completed",
];

fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(|c| Cow::Owned(c.into_owned()))
}

impl<'a> Proto<'a> {
    /// Reads `inner`, with `whole` the text it came from (the failure text of last resort).
    fn new(inner: Inner<'a>, whole: Option<&'a str>) -> Proto<'a> {
        let failure = match inner.kind.0.as_deref() {
            Some(k) if names_failure(k) => inner
                .error
                .0
                .or(inner.message.0)
                .or(inner.reason.0)
                .or(inner.content.0)
                .or(whole.map(Cow::Borrowed)),
            _ => None,
        };
        Proto {
            kind: inner.kind.0,
            id: inner.task_id.0.or(inner.request_id.0),
            failure,
        }
    }

    /// The same, owning its strings (the known type names stay static).
    fn into_owned(self) -> Proto<'static> {
        let kind = self
            .kind
            .map(|k| match KNOWN_TYPES.iter().find(|t| **t == k) {
                Some(t) => Cow::Borrowed(*t),
                None => Cow::Owned(k.into_owned()),
            });
        Proto {
            kind,
            id: own(self.id),
            failure: own(self.failure),
        }
    }
}

/// A mailbox message's `text`: `proto` is `Some` when it holds a JSON object
/// (double-encoded in a string, as Claude Code writes protocol messages, or a
/// plain object), `None` for plain text and other values.
#[derive(Debug, Default)]
pub(super) struct Body<'a> {
    /// The protocol message.
    pub proto: Option<Proto<'a>>,
}

/// The protocol message inside a text, if it is a JSON object.
fn inner_of(text: &str) -> Option<Inner<'_>> {
    let t = text.trim_ascii();
    if !t.starts_with('{') {
        return None;
    }
    lax::from_slice::<Inner>(t.as_bytes()).ok()
}

impl<'de: 'a, 'a> Deserialize<'de> for Body<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Body<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            // A double-encoded object always has escaped quotes, so it comes through
            // `visit_str` (serde_json's scratch buffer); this is for the rare rest.
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Body {
                    proto: inner_of(v).map(|i| Proto::new(i, Some(v))),
                })
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Body {
                    proto: inner_of(v).map(|i| Proto::new(i, Some(v)).into_owned()),
                })
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                self.visit_str(&v)
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                let inner = Inner::deserialize(de::value::MapAccessDeserializer::new(a))?;
                Ok(Body {
                    proto: Some(Proto::new(inner, None)),
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Body::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Body::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Body::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Body::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Body::default())
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Body::default())
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Body::default())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_ms_is_converted_exactly_and_checked() {
        let t: Time = serde_json::from_str("1770477615385").unwrap();
        assert_eq!(t.0, Some(1_770_477_615_385_000_000));
        let t: Time = serde_json::from_str("\"1770477615385\"").unwrap();
        assert_eq!(t.0, Some(1_770_477_615_385_000_000));
        let t: Time = serde_json::from_str("1770477615385.5").unwrap();
        assert_eq!(t.0, Some(1_770_477_615_385_500_000));
        let t: Time = serde_json::from_str("\"2026-02-07T15:20:46.348Z\"").unwrap();
        assert_eq!(t.0, parse_timestamp(b"2026-02-07T15:20:46.348Z"));
        for out_of_range in [
            "18446744073709551615",
            "-9223372036854775808",
            "9223372036854775",
            "1e300",
            "-1e300",
            "\"99999999999999999999\"",
            "\"soon\"",
            "true",
            "null",
            "[1]",
            "{\"ms\": 1}",
        ] {
            let t: Time = serde_json::from_str(out_of_range).unwrap();
            assert_eq!(t.0, None, "{out_of_range}");
        }
        // The largest representable millisecond still converts.
        let t: Time = serde_json::from_str("9223372036854").unwrap();
        assert_eq!(t.0, Some(9_223_372_036_854_000_000));
    }

    #[test]
    fn body_reads_double_encoded_protocol_messages() {
        let b: Body = serde_json::from_str(
            r#""{\"type\":\"task_assignment\",\"taskId\":\"7\",\"subject\":\"x\"}""#,
        )
        .unwrap();
        let p = b.proto.unwrap();
        assert_eq!(p.kind.as_deref(), Some("task_assignment"));
        assert!(
            matches!(p.kind, Some(Cow::Borrowed(_))),
            "known types stay static"
        );
        assert_eq!(p.id.as_deref(), Some("7"));
        assert_eq!(p.failure, None);

        let b: Body = serde_json::from_str(
            r#""{\"type\":\"shutdown_request\",\"requestId\":\"shutdown-1@a\"}""#,
        )
        .unwrap();
        assert_eq!(b.proto.unwrap().id.as_deref(), Some("shutdown-1@a"));

        let b: Body = serde_json::from_str(
            r#""{\"type\":\"task_failed\",\"taskId\":3,\"error\":\"tests red\"}""#,
        )
        .unwrap();
        let p = b.proto.unwrap();
        assert_eq!(p.id.as_deref(), Some("3"));
        assert_eq!(p.failure.as_deref(), Some("tests red"));

        // A failure type with no text field of its own keeps the whole text.
        let b: Body = serde_json::from_str(r#""{\"type\":\"agent_error\"}""#).unwrap();
        assert_eq!(
            b.proto.unwrap().failure.as_deref(),
            Some(r#"{"type":"agent_error"}"#)
        );

        // An object written as is (not double-encoded) reads the same.
        let b: Body = serde_json::from_str(r#"{"type": "idle_notification"}"#).unwrap();
        assert_eq!(b.proto.unwrap().kind.as_deref(), Some("idle_notification"));
    }

    #[test]
    fn body_plain_text_and_odd_values_are_not_protocol() {
        for plain in [
            r#""Endpoints are drafted.\nSee docs/api.md""#,
            r#""{ not json at all""#,
            r#""{\"type\":\"x\"} trailing""#,
            r#""[1, 2]""#,
            "42",
            "null",
            "[\"a\"]",
        ] {
            let b: Body = serde_json::from_str(plain).unwrap();
            assert_eq!(b.proto, None, "{plain}");
        }
        // A JSON object whose type is not a string: an object, but no type.
        let b: Body = serde_json::from_str(r#""{\"type\":5,\"taskId\":\"2\"}""#).unwrap();
        let p = b.proto.unwrap();
        assert_eq!(p.kind, None);
        assert_eq!(p.id.as_deref(), Some("2"));
    }

    #[test]
    fn failure_names() {
        for k in ["error", "task_failed", "AGENT_ERROR", "failure", "Failed"] {
            assert!(names_failure(k), "{k}");
        }
        for k in [
            "task_assignment",
            "shutdown_response",
            "idle_notification",
            "",
        ] {
            assert!(!names_failure(k), "{k}");
        }
    }

    #[test]
    fn members_skip_non_objects_and_read_non_arrays_as_none() {
        let m: Members =
            serde_json::from_str(r#"[{"name": "a"}, 3, "x", {"agentId": "b@t"}]"#).unwrap();
        let v = m.0.unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name.get(), Some("a"));
        assert_eq!(v[1].agent_id.get(), Some("b@t"));
        let m: Members = serde_json::from_str(r#"{"a": 1}"#).unwrap();
        assert!(m.0.is_none());
    }
}
