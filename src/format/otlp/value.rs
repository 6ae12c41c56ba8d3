//! Lenient OTLP JSON field types: `*UnixNano` times, `AnyValue`s, attribute lists
//! picked into a fixed struct, status codes and severity numbers.
//!
//! Owns: reading each of these from whatever a writer put there (a string or a
//! number for 64-bit integers, an enum's integer or its name, a wrong type read
//! as absent). Must not: allocate for values nobody reads — an attribute whose
//! key is not one of [`Attrs`]' is skipped unparsed when its key comes first.

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::borrow::Cow;
use std::fmt;

/// Implements every `visit_*` of a visitor whose value is `$v` for values it
/// does not read: scalars give `$v`, arrays and objects are drained first.
macro_rules! ignore_rest {
    ($v:expr; $($skip:ident),*) => {
        $(ignore_rest!(@one $skip, $v);)*
    };
    (@one bool, $v:expr) => { fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> { Ok($v) } };
    (@one i64, $v:expr) => { fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> { Ok($v) } };
    (@one u64, $v:expr) => { fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> { Ok($v) } };
    (@one f64, $v:expr) => { fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> { Ok($v) } };
    (@one str, $v:expr) => { fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> { Ok($v) } };
    (@one unit, $v:expr) => {
        fn visit_unit<E>(self) -> Result<Self::Value, E> { Ok($v) }
        fn visit_none<E>(self) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one seq, $v:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok($v)
        }
    };
    (@one map, $v:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($v)
        }
    };
}
pub(super) use ignore_rest;

/// A `*UnixNano` time: a decimal string (the OTLP JSON form of a 64-bit integer)
/// or a JSON number. Zero (the protobuf default: unset), negative, unreadable and
/// out-of-range values (beyond 2262, which nanoseconds in an `i64` cannot hold)
/// read as `None`, never as a wrapped value.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct UnixNano(pub Option<i64>);

fn nanos_from_f64(v: f64) -> Option<i64> {
    // 9.2e18 < i64::MAX (≈9.223e18): every value that passes converts exactly enough.
    (v.is_finite() && (1.0..9.2e18).contains(&v)).then_some(v as i64)
}

impl<'de> Deserialize<'de> for UnixNano {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UnixNano;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a time in nanoseconds")
            }
            fn visit_u64<E>(self, v: u64) -> Result<UnixNano, E> {
                Ok(UnixNano(i64::try_from(v).ok().filter(|n| *n > 0)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<UnixNano, E> {
                Ok(UnixNano((v > 0).then_some(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<UnixNano, E> {
                Ok(UnixNano(nanos_from_f64(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<UnixNano, E> {
                let v = v.trim();
                Ok(UnixNano(match v.parse::<u64>() {
                    Ok(n) => i64::try_from(n).ok().filter(|n| *n > 0),
                    Err(_) => v.parse::<f64>().ok().and_then(nanos_from_f64),
                }))
            }
            ignore_rest!(UnixNano(None); bool, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// An `AnyValue` reduced to the scalars that are read: `stringValue`,
/// `intValue` (a string or a number), `doubleValue`, `boolValue`. Arrays,
/// key-value lists and bytes read as [`Val::None`]. A bare JSON scalar (some
/// writers put one where an `AnyValue` belongs) reads as itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) enum Val<'a> {
    /// Absent, or not a scalar.
    #[default]
    None,
    /// A string, borrowed from the record when it has no escapes.
    Str(Cow<'a, str>),
    /// An integer.
    Int(i64),
    /// A float.
    Double(f64),
    /// A boolean.
    Bool(bool),
}

/// Keys of an `AnyValue` object.
enum ValKey {
    Str,
    Int,
    Double,
    Bool,
    Other,
}

impl<'de> Deserialize<'de> for ValKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AnyValue key")
            }
            fn visit_str<E>(self, v: &str) -> Result<ValKey, E> {
                Ok(match v {
                    "stringValue" | "string_value" => ValKey::Str,
                    "intValue" | "int_value" => ValKey::Int,
                    "doubleValue" | "double_value" => ValKey::Double,
                    "boolValue" | "bool_value" => ValKey::Bool,
                    _ => ValKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Val<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AnyValue")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Val<'a>, E> {
                Ok(Val::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Val<'a>, E> {
                Ok(Val::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Val<'a>, E> {
                Ok(Val::Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Val<'a>, E> {
                Ok(i64::try_from(v).map_or(Val::Double(v as f64), Val::Int))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Val<'a>, E> {
                Ok(Val::Int(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Val<'a>, E> {
                Ok(Val::Double(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Val<'a>, E> {
                Ok(Val::Bool(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Val<'a>, A::Error> {
                let mut out = Val::None;
                while let Some(k) = a.next_key::<ValKey>()? {
                    match k {
                        ValKey::Str | ValKey::Double | ValKey::Bool => out = a.next_value()?,
                        ValKey::Int => {
                            out = match a.next_value()? {
                                Val::Str(s) => s.trim().parse().map_or(Val::Str(s), Val::Int),
                                v => v,
                            }
                        }
                        ValKey::Other => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            ignore_rest!(Val::None; unit, seq);
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'a> Val<'a> {
    /// As text: strings as they are, numbers and booleans rendered; empty
    /// strings read as `None`.
    pub(super) fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Val::None => None,
            Val::Str(s) if s.is_empty() => None,
            Val::Str(s) => Some(s.clone()),
            Val::Int(i) => Some(Cow::Owned(i.to_string())),
            Val::Double(d) => Some(Cow::Owned(d.to_string())),
            Val::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        }
    }

    /// [`Val::text`], consuming the value (no copy of an owned string).
    pub(super) fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Val::Str(s) if !s.is_empty() => Some(s),
            other => other.text(),
        }
    }

    /// As a string slice, when it is a non-empty string.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// As a number: integers, finite floats, and strings holding one.
    pub(super) fn num(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Double(d) => d.is_finite().then_some(*d),
            Val::Str(s) => s.trim().parse::<f64>().ok().filter(|d| d.is_finite()),
            Val::None | Val::Bool(_) => None,
        }
    }

    /// As a count: a non-negative integer (exact when written as one), or a
    /// non-negative number rounded; anything else is `None`.
    pub(super) fn count(&self) -> Option<u64> {
        match self {
            Val::Int(i) => u64::try_from(*i).ok(),
            Val::Str(s) => match s.trim().parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => self.num().filter(|d| *d >= 0.0).map(|d| d.round() as u64),
            },
            _ => self.num().filter(|d| *d >= 0.0).map(|d| d.round() as u64),
        }
    }

    /// True for `false`, `"false"` (any case) and `0`: a `success` flag that says
    /// the operation failed. Absent is not false.
    pub(super) fn is_false(&self) -> bool {
        match self {
            Val::Bool(b) => !b,
            Val::Str(s) => s.trim().eq_ignore_ascii_case("false") || s.trim() == "0",
            Val::Int(i) => *i == 0,
            Val::Double(_) | Val::None => false,
        }
    }
}

/// Declares [`Attrs`]: one field per attribute key that is read, with the keys
/// (as written by the writers) that fill it.
macro_rules! attrs {
    ($($(#[$doc:meta])* $field:ident: $($name:literal)|+;)*) => {
        /// The attributes that are read, picked from an attribute list (or an
        /// object of key → value) by key; the last value of a key given twice wins.
        #[derive(Debug, Default, Clone)]
        pub(super) struct Attrs<'a> {
            $($(#[$doc])* pub(super) $field: Val<'a>,)*
        }

        #[derive(Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        enum AttrKey {
            $($field,)*
        }

        fn attr_key(s: &str) -> Option<AttrKey> {
            match s {
                $($($name)|+ => Some(AttrKey::$field),)*
                _ => None,
            }
        }

        impl<'a> Attrs<'a> {
            fn set(&mut self, k: AttrKey, v: Val<'a>) {
                match k {
                    $(AttrKey::$field => self.$field = v,)*
                }
            }
        }
    };
}

attrs! {
    /// Resource: the service that wrote the telemetry.
    service_name: "service.name";
    /// GenAI semantic conventions (spans).
    agent_name: "gen_ai.agent.name";
    /// The agent's id.
    agent_id: "gen_ai.agent.id";
    /// `invoke_agent`, `create_agent`, `chat`, `execute_tool`...
    operation: "gen_ai.operation.name";
    /// Model asked for.
    request_model: "gen_ai.request.model";
    /// Model that answered.
    response_model: "gen_ai.response.model";
    /// Input tokens (the semantic conventions include cached ones in it).
    gen_input: "gen_ai.usage.input_tokens";
    /// Output tokens.
    gen_output: "gen_ai.usage.output_tokens";
    /// Deprecated name of input tokens.
    gen_prompt: "gen_ai.usage.prompt_tokens";
    /// Deprecated name of output tokens.
    gen_completion: "gen_ai.usage.completion_tokens";
    /// Input tokens read from the cache (current name first, then older ones).
    gen_cache_read: "gen_ai.usage.cache_read.input_tokens"
        | "gen_ai.usage.cache_read_input_tokens"
        | "gen_ai.usage.input_tokens.cached";
    /// Input tokens written to the cache.
    gen_cache_write: "gen_ai.usage.cache_creation.input_tokens"
        | "gen_ai.usage.cache_creation_input_tokens"
        | "gen_ai.usage.input_tokens.cache_write";
    /// Log events: the event's name.
    event_name: "event.name";
    /// Claude Code: the session.
    session_id: "session.id";
    /// An agent's name on a log record.
    log_agent: "agent.name";
    /// Claude Code: model id.
    model: "model";
    /// Claude Code `api_request`: uncached input tokens.
    input_tokens: "input_tokens";
    /// Output tokens.
    output_tokens: "output_tokens";
    /// Tokens read from the prompt cache.
    cache_read_tokens: "cache_read_tokens";
    /// Tokens written to the prompt cache.
    cache_creation_tokens: "cache_creation_tokens";
    /// Cost estimated by Claude Code, USD.
    cost_usd: "cost_usd";
    /// Claude Code `api_error` / `tool_result`: the error text.
    error: "error";
    /// HTTP status of a failed API call.
    status_code: "status_code";
    /// Retry attempt of a failed API call.
    attempt: "attempt";
    /// Tool of a `tool_result` / `tool_decision`.
    tool_name: "tool_name";
    /// `"true"` / `"false"`.
    success: "success";
    /// The tool call's id.
    tool_use_id: "tool_use_id";
    /// Claude Code `tool_result`: the call's arguments as a JSON text
    /// (`{"bash_command", "full_command", ...}` for Bash).
    tool_parameters: "tool_parameters" | "tool_input";
    /// `accept` / `reject`.
    decision: "decision";
    /// Where a decision came from (`config`, `user_permanent`, ...).
    source: "source";
    /// Duration of the call, ms.
    duration_ms: "duration_ms";
    /// Length of a prompt, characters.
    prompt_length: "prompt_length";
    /// Exception semantic conventions.
    exception_message: "exception.message";
    /// Exception type.
    exception_type: "exception.type";
    /// Claude Code metrics: the token type (`input`, `output`, `cacheRead`, `cacheCreation`).
    token_type: "type";
}

/// Reads one attribute key into the key it fills (`None`: not read).
struct KeyOf(Option<AttrKey>);

impl<'de> Deserialize<'de> for KeyOf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyOf;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyOf, E> {
                Ok(KeyOf(attr_key(v)))
            }
            ignore_rest!(KeyOf(None); bool, i64, u64, f64, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// Keys of a `KeyValue` object.
enum KvKey {
    Key,
    Value,
    Other,
}

impl<'de> Deserialize<'de> for KvKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KvKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a KeyValue key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KvKey, E> {
                Ok(match v {
                    "key" => KvKey::Key,
                    "value" => KvKey::Value,
                    _ => KvKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// One `{key, value}` element of an attribute list, stored into its [`Attrs`].
struct KeyValue<'t, 'a>(&'t mut Attrs<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for KeyValue<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for KeyValue<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a KeyValue")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        // `None`: no key yet; `Some(None)`: a key that is not read.
        let mut key: Option<Option<AttrKey>> = None;
        let mut val = None;
        while let Some(k) = a.next_key::<KvKey>()? {
            match k {
                KvKey::Key => key = Some(a.next_value::<KeyOf>()?.0),
                KvKey::Value if key == Some(None) => {
                    a.next_value::<IgnoredAny>()?;
                }
                KvKey::Value => val = Some(a.next_value::<Val<'a>>()?),
                KvKey::Other => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let (Some(Some(k)), Some(v)) = (key, val) {
            self.0.set(k, v);
        }
        Ok(())
    }
    ignore_rest!((); bool, i64, u64, f64, str, unit, seq);
}

impl<'de: 'a, 'a> Deserialize<'de> for Attrs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Attrs<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Attrs<'a>, A::Error> {
                let mut out = Attrs::default();
                while a.next_element_seed(KeyValue(&mut out))?.is_some() {}
                Ok(out)
            }
            /// The object form `{"key": value}` some writers use.
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Attrs<'a>, A::Error> {
                let mut out = Attrs::default();
                while let Some(k) = a.next_key::<KeyOf>()? {
                    match k.0 {
                        Some(k) => {
                            let v = a.next_value::<Val<'a>>()?;
                            out.set(k, v);
                        }
                        None => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            ignore_rest!(Attrs::default(); bool, i64, u64, f64, str, unit);
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A span's `status.code`: true for `STATUS_CODE_ERROR` (`2`, `"2"`, or the
/// enum's name, which OTLP JSON forbids but some writers use).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct StatusCode {
    /// The code says error.
    pub(super) error: bool,
    /// The code says ok.
    pub(super) ok: bool,
}

fn code(v: u64) -> StatusCode {
    StatusCode {
        error: v == 2,
        ok: v == 1,
    }
}

impl<'de> Deserialize<'de> for StatusCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatusCode;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status code")
            }
            fn visit_u64<E>(self, v: u64) -> Result<StatusCode, E> {
                Ok(code(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<StatusCode, E> {
                Ok(code(u64::try_from(v).unwrap_or(0)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<StatusCode, E> {
                Ok(code(if v == 2.0 {
                    2
                } else if v == 1.0 {
                    1
                } else {
                    0
                }))
            }
            fn visit_str<E>(self, v: &str) -> Result<StatusCode, E> {
                let v = v.trim();
                // On bytes: the 12th byte need not end a character.
                let b = v.as_bytes();
                let is = |w: &str| {
                    v.eq_ignore_ascii_case(w)
                        || b.len() > 12
                            && b[..12].eq_ignore_ascii_case(b"STATUS_CODE_")
                            && b[12..].eq_ignore_ascii_case(w.as_bytes())
                };
                Ok(StatusCode {
                    error: v == "2" || is("ERROR"),
                    ok: v == "1" || is("OK"),
                })
            }
            ignore_rest!(StatusCode::default(); bool, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A log record's `severityNumber` (1–24): the integer, a string holding it, or
/// the enum's name (`SEVERITY_NUMBER_ERROR2`). Anything else is `None`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct SeverityNumber(pub Option<u8>);

fn severity_name(v: &str) -> Option<u8> {
    let v = v.trim();
    if let Ok(n) = v.parse::<u8>() {
        return (1..=24).contains(&n).then_some(n);
    }
    let up = v.to_ascii_uppercase();
    let name = up.strip_prefix("SEVERITY_NUMBER_").unwrap_or(&up);
    let (word, step) = match name.as_bytes().last() {
        Some(c @ b'2'..=b'4') => (&name[..name.len() - 1], c - b'0'),
        _ => (name, 1),
    };
    let base = match word {
        "TRACE" => 1,
        "DEBUG" => 5,
        "INFO" => 9,
        "WARN" => 13,
        "ERROR" => 17,
        "FATAL" => 21,
        _ => return None,
    };
    Some(base + step - 1)
}

fn severity(v: u64) -> SeverityNumber {
    SeverityNumber(u8::try_from(v).ok().filter(|n| (1..=24).contains(n)))
}

impl<'de> Deserialize<'de> for SeverityNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SeverityNumber;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a severity number")
            }
            fn visit_u64<E>(self, v: u64) -> Result<SeverityNumber, E> {
                Ok(severity(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<SeverityNumber, E> {
                Ok(severity(u64::try_from(v).unwrap_or(0)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<SeverityNumber, E> {
                let n = if v.fract() == 0.0 && (1.0..=24.0).contains(&v) {
                    v as u64
                } else {
                    0
                };
                Ok(severity(n))
            }
            fn visit_str<E>(self, v: &str) -> Result<SeverityNumber, E> {
                Ok(SeverityNumber(severity_name(v)))
            }
            ignore_rest!(SeverityNumber(None); bool, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct T<'a> {
        t: UnixNano,
        #[serde(borrow)]
        v: Val<'a>,
        #[serde(borrow)]
        a: Attrs<'a>,
        c: StatusCode,
        s: SeverityNumber,
    }

    fn t(s: &str) -> T<'_> {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn unix_nanos_read_strings_and_numbers_and_refuse_out_of_range() {
        assert_eq!(
            t(r#"{"t": "1544712660300000001"}"#).t.0,
            Some(1544712660300000001)
        );
        assert_eq!(
            t(r#"{"t": 1544712660300000001}"#).t.0,
            Some(1544712660300000001)
        );
        assert_eq!(t(r#"{"t": "0"}"#).t.0, None);
        assert_eq!(t(r#"{"t": "-5"}"#).t.0, None);
        assert_eq!(t(r#"{"t": "18446744073709551615"}"#).t.0, None);
        assert_eq!(t(r#"{"t": 1e30}"#).t.0, None);
        assert_eq!(t(r#"{"t": "soon"}"#).t.0, None);
        assert_eq!(t(r#"{"t": {"x": 1}}"#).t.0, None);
        assert_eq!(t(r#"{"t": 1.5e18}"#).t.0, Some(1_500_000_000_000_000_000));
    }

    #[test]
    fn any_values_read_every_scalar_form() {
        assert_eq!(t(r#"{"v": {"stringValue": "x"}}"#).v, Val::Str("x".into()));
        assert_eq!(t(r#"{"v": {"intValue": "12"}}"#).v, Val::Int(12));
        assert_eq!(t(r#"{"v": {"intValue": 12}}"#).v, Val::Int(12));
        assert_eq!(t(r#"{"v": {"doubleValue": 0.5}}"#).v, Val::Double(0.5));
        assert_eq!(t(r#"{"v": {"boolValue": false}}"#).v, Val::Bool(false));
        assert_eq!(
            t(r#"{"v": {"arrayValue": {"values": [{"intValue": "1"}]}}}"#).v,
            Val::None
        );
        assert_eq!(
            t(r#"{"v": {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "x"}}]}}}"#).v,
            Val::None
        );
        assert_eq!(t(r#"{"v": {}}"#).v, Val::None);
        assert_eq!(t(r#"{"v": "bare"}"#).v, Val::Str("bare".into()));
        assert_eq!(Val::Str("120".into()).count(), Some(120));
        assert_eq!(Val::Str("0.0875".into()).num(), Some(0.0875));
        assert_eq!(Val::Double(-1.0).count(), None);
        assert!(Val::Str("False".into()).is_false());
        assert!(!Val::None.is_false());
        assert!(!Val::Str("true".into()).is_false());
    }

    #[test]
    fn attributes_pick_known_keys_in_any_order_and_either_form() {
        let a = t(r#"{"a": [
            {"key": "service.name", "value": {"stringValue": "svc"}},
            {"value": {"intValue": "7"}, "key": "input_tokens"},
            {"key": "unknown", "value": {"kvlistValue": {"values": []}}},
            {"key": "gen_ai.usage.cache_read_input_tokens", "value": {"intValue": 3}},
            "not a key-value",
            {"key": 5, "value": {"stringValue": "x"}}
        ]}"#)
        .a;
        assert_eq!(a.service_name.as_str(), Some("svc"));
        assert_eq!(a.input_tokens.count(), Some(7));
        assert_eq!(a.gen_cache_read.count(), Some(3));
        let a = t(r#"{"a": {"service.name": "m", "model": {"stringValue": "claude"}}}"#).a;
        assert_eq!(a.service_name.as_str(), Some("m"));
        assert_eq!(a.model.as_str(), Some("claude"));
        assert_eq!(t(r#"{"a": "nope"}"#).a.service_name, Val::None);
    }

    #[test]
    fn status_codes_and_severity_numbers_read_integers_and_names() {
        assert!(t(r#"{"c": 2}"#).c.error);
        assert!(t(r#"{"c": "STATUS_CODE_ERROR"}"#).c.error);
        assert!(t(r#"{"c": "2"}"#).c.error);
        assert!(t(r#"{"c": 1}"#).c.ok && !t(r#"{"c": 1}"#).c.error);
        assert!(!t(r#"{"c": "bad"}"#).c.error);
        // A multi-byte character across the prefix's end (found by the otlp fuzzer).
        assert!(!t(r#"{"c": "STATUS_COD\u20ac_ERROR"}"#).c.error);
        assert!(!t("{\"c\": \"STATUS_COD€_ERROR\"}").c.error);
        assert_eq!(t(r#"{"s": 17}"#).s.0, Some(17));
        assert_eq!(t(r#"{"s": "SEVERITY_NUMBER_FATAL3"}"#).s.0, Some(23));
        assert_eq!(t(r#"{"s": "WARN"}"#).s.0, Some(13));
        assert_eq!(t(r#"{"s": 99}"#).s.0, None);
        assert_eq!(t(r#"{"s": "loud"}"#).s.0, None);
    }
}
