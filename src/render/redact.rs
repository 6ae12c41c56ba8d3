//! `--redact`: masks secrets in the finished output, whatever its format.
//!
//! Owns: the secret patterns (API keys and tokens: `sk-ant-`, `sk-`, `ghp_`/`gho_`/
//! `ghs_`/`github_pat_`, `AKIA…`, `xox?-`, `AIza…`, `sk_live_`/`rk_live_`,
//! `Bearer …`; private key blocks; passwords in URLs; `password=`-style pairs).
//! Each match keeps a short recognisable prefix and replaces the secret with
//! `[REDACTED]`. The replacement holds no quote or backslash, so JSON output
//! stays valid JSON. [`find`] gives the same matches to `audit`, which names a
//! secret only by [`describe`] (kind, first four characters, length).
//!
//! JSON output echoes each record as written (`raw`), where a writer may spell a
//! secret with escapes (`https:\/\/…`, `\u0073k-…`). Before matching, escapes
//! that merely re-spell printable ASCII are decoded (see [`unescape_ascii`]), so
//! the masking does not depend on the spelling.

use regex::bytes::{Captures, Regex};
use std::borrow::Cow;
use std::sync::OnceLock;

/// The text that replaces a secret.
pub const MASK: &str = "[REDACTED]";

/// Tokens whose shape names their issuer: each starts with a literal, so a
/// search for them skips ahead with a SIMD literal prefilter.
macro_rules! typed_patterns {
    () => {
        concat!(
            // 1: token with a known prefix (kept), 2: the secret part. Each secret
            // may also end early in a table cell cut with `…` (the cut is kept).
            r"(?P<pre>sk-ant-|sk-|ghp_|gho_|ghs_|ghu_|ghr_|github_pat_|xox[abposr]-)(?P<tok>[A-Za-z0-9_\-]{8,}|[A-Za-z0-9_\-]{1,7}…)",
            r"|(?P<aws>AKIA)(?P<awstok>[0-9A-Z]{16}|[0-9A-Z]{1,15}…)",
            r"|(?P<gcp>AIza)(?P<gcptok>[0-9A-Za-z_\-]{35}|[0-9A-Za-z_\-]{1,34}…)",
            r"|(?P<stripe>[sr]k_live_)(?P<stok>[0-9A-Za-z]{16,}|[0-9A-Za-z]{1,15}…)",
            r"|(?P<pem>-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----)(?P<pemtok>[A-Za-z0-9+/=\s\\n]{16,}|[^…]{0,15}…)",
        )
    };
}

/// Secrets found by their context: a bearer header, a URL's password, a
/// keyword pair. No literal starts them, so they are searched byte by byte.
macro_rules! context_patterns {
    () => {
        concat!(
            r"(?P<bearer>(?i:bearer)\s+)(?P<btok>[A-Za-z0-9_\-\.=:/+~]{8,}|[A-Za-z0-9_\-\.=:/+~]{1,7}…)",
            // scheme://user:PASSWORD@host
            r"|(?P<url>[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@\x22']+:)(?P<upw>[^\s@/\x22'…]+)(?:@|…)",
            // password=..., "password": "...", api_key: ...
            r#"|(?P<key>(?i:password|passwd|pwd|secret|api_key|apikey|access_token|auth_token|client_secret)\\?"?\s*[:=]\s*\\?"?)(?P<kval>[^\s"'&,;\\…]{3,}|[^\s"'&,;\\…]{1,2}…)"#,
        )
    };
}

/// Every pattern (`--redact`, and `audit` on tool inputs).
fn patterns() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(typed_patterns!(), "|", context_patterns!()))
            .expect("the redaction patterns compile")
    })
}

/// The typed tokens alone (`audit` on tool outputs, see [`find_in_output`]).
fn typed() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(typed_patterns!()).expect("the typed patterns compile"))
}

/// Decodes the JSON string escapes that only re-spell printable ASCII: `\/`, and
/// `\u0020`–`\u007e` except the quote and the backslash. Other escapes (`\\`,
/// `\"`, `\n`, control characters, non-ASCII) are kept, so JSON stays valid JSON
/// with the same meaning.
pub fn unescape_ascii(text: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', text).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'\\' {
            out.push(text[i]);
            i += 1;
            continue;
        }
        match text.get(i + 1) {
            Some(b'/') => {
                out.push(b'/');
                i += 2;
            }
            Some(b'u') => {
                let ascii = text
                    .get(i + 2..i + 6)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| u16::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
                    .and_then(|v| u8::try_from(v).ok())
                    .filter(|v| (0x20..=0x7e).contains(v) && *v != b'"' && *v != b'\\');
                match ascii {
                    Some(v) => {
                        out.push(v);
                        i += 6;
                    }
                    None => {
                        out.extend_from_slice(b"\\u");
                        i += 2;
                    }
                }
            }
            // Any other escape, `\\` included, is kept whole.
            Some(&n) => {
                out.extend_from_slice(&[b'\\', n]);
                i += 2;
            }
            None => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Masks every secret in `text`; returns the new text and how many were masked.
pub fn redact(text: &[u8]) -> (Vec<u8>, u64) {
    let text = unescape_ascii(text);
    let mut count = 0u64;
    let out = patterns().replace_all(&text, |c: &Captures<'_>| {
        count += 1;
        let keep = ["pre", "aws", "gcp", "stripe", "pem", "bearer", "url", "key"]
            .iter()
            .find_map(|n| c.name(n))
            .map_or(&b""[..], |m| m.as_bytes());
        let mut v = keep.to_vec();
        v.extend_from_slice(MASK.as_bytes());
        let whole = c.get(0).map_or(&b""[..], |m| m.as_bytes());
        if whole.ends_with("…".as_bytes()) {
            v.extend_from_slice("…".as_bytes());
        } else if c.name("upw").is_some() {
            v.push(b'@');
        }
        v
    });
    (out.into_owned(), count)
}

/// One secret found in a text by [`find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// What it is: `anthropic_key`, `openai_key`, `github_token`, `aws_key`,
    /// `slack_token`, `google_key`, `stripe_key`, `private_key`, `bearer_token`,
    /// `url_password`, `password_pair`.
    pub kind: &'static str,
    /// Byte range of the secret (prefix included) in the text searched.
    pub range: std::ops::Range<usize>,
    /// True for a keyword pair (`password=…`): a weaker signal than a token
    /// whose shape names its issuer.
    pub keyword: bool,
}

/// Every secret in `text` (the `--redact` patterns), in order.
pub fn find(text: &str) -> Vec<Found> {
    find_with(patterns(), text)
}

/// The secrets of a tool's output (which may be megabytes of file contents):
/// tokens whose shape names their issuer, and passwords in URLs when the text
/// holds a `://` at all. Keyword pairs and bearer headers, which need a byte-by-byte
/// search, are left to [`find`] on what the agent itself wrote.
pub fn find_in_output(text: &str) -> Vec<Found> {
    let mut out = find_with(typed(), text);
    if memchr::memmem::find(text.as_bytes(), b"://").is_some() {
        out.extend(
            find_with(patterns(), text)
                .into_iter()
                .filter(|f| f.kind == "url_password"),
        );
        out.sort_by_key(|f| f.range.start);
        out.dedup_by(|a, b| a.range == b.range);
    }
    out
}

fn find_with(re: &Regex, text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for c in re.captures_iter(text.as_bytes()) {
        let (kind, pre, tok, keyword) = if let Some(p) = c.name("pre") {
            let kind = match p.as_bytes() {
                b"sk-ant-" => "anthropic_key",
                b"sk-" => "openai_key",
                b if b.starts_with(b"xox") => "slack_token",
                _ => "github_token",
            };
            (kind, Some(p), c.name("tok"), false)
        } else if let Some(p) = c.name("aws") {
            ("aws_key", Some(p), c.name("awstok"), false)
        } else if let Some(p) = c.name("gcp") {
            ("google_key", Some(p), c.name("gcptok"), false)
        } else if let Some(p) = c.name("stripe") {
            ("stripe_key", Some(p), c.name("stok"), false)
        } else if let Some(p) = c.name("pem") {
            ("private_key", Some(p), c.name("pemtok"), false)
        } else if c.name("bearer").is_some() {
            ("bearer_token", None, c.name("btok"), false)
        } else if c.name("url").is_some() {
            ("url_password", None, c.name("upw"), false)
        } else {
            ("password_pair", None, c.name("kval"), true)
        };
        let Some(tok) = tok else { continue };
        if keyword {
            // `API_KEY=sk-ant-…`: the value's own shape names it better.
            let inner = std::str::from_utf8(tok.as_bytes())
                .map(find)
                .unwrap_or_default();
            if let Some(f) = inner.into_iter().find(|f| !f.keyword) {
                out.push(Found {
                    range: tok.start() + f.range.start..tok.start() + f.range.end,
                    ..f
                });
                continue;
            }
        }
        let start = pre.map_or(tok.start(), |p| p.start());
        out.push(Found {
            kind,
            range: start..tok.end(),
            keyword,
        });
    }
    out
}

/// How a secret is named in any output: its kind, its first four characters
/// and its length in characters (`anthropic_key sk-a… (48 chars)`); never more.
pub fn describe(kind: &str, secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{kind} {head}… ({} chars)", secret.chars().count())
}

/// `text` with every secret replaced by its [`describe`] form in brackets.
pub fn mask(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        if f.range.start < at || !text.is_char_boundary(f.range.start) {
            continue;
        }
        out.push_str(&text[at..f.range.start]);
        out.push('[');
        out.push_str(&describe(f.kind, &text[f.range.clone()]));
        out.push(']');
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> (String, u64) {
        let (o, n) = redact(s.as_bytes());
        (String::from_utf8(o).unwrap(), n)
    }

    #[test]
    fn masks_each_kind_of_secret() {
        for (input, want) in [
            (
                "key sk-ant-api03-abcdefghijkl done",
                "key sk-ant-[REDACTED] done",
            ),
            ("OPENAI sk-proj1234567890abcdef", "OPENAI sk-[REDACTED]"),
            ("ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_[REDACTED]"),
            ("AKIAABCDEFGHIJKLMNOP", "AKIA[REDACTED]"),
            ("xoxb-1234567890-abcdef", "xoxb-[REDACTED]"),
            (
                "Authorization: Bearer eyJhbGciOi.payload.sig",
                "Authorization: Bearer [REDACTED]",
            ),
            (
                "postgres://admin:hunter2@db:5432/x",
                "postgres://admin:[REDACTED]@db:5432/x",
            ),
            ("login password=hunter22 ok", "login password=[REDACTED] ok"),
        ] {
            let (out, n) = r(input);
            assert_eq!(out, want, "{input}");
            assert_eq!(n, 1, "{input}");
        }
    }

    #[test]
    fn json_stays_valid() {
        let doc = serde_json::json!({
            "cmd": "curl -H 'Authorization: Bearer abcdefgh12345' https://u:pw123456@h/x",
            "password": "s3cr3t!",
            "escaped": "{\"api_key\": \"abcd1234\"}"
        })
        .to_string();
        let (out, n) = redact(doc.as_bytes());
        let v: serde_json::Value = serde_json::from_slice(&out).expect("still JSON");
        assert_eq!(n, 4, "{}", String::from_utf8_lossy(&out));
        assert!(!String::from_utf8_lossy(&out).contains("s3cr3t"));
        assert!(v["cmd"].as_str().unwrap().contains("[REDACTED]"));
    }

    #[test]
    fn masks_secrets_cut_short_by_a_table_cell() {
        for (input, want) in [
            ("x AKIAIOSFODNN7EXAMPL…", "x AKIA[REDACTED]…"),
            ("https://deploy:hunt…", "https://deploy:[REDACTED]…"),
            ("use sk-ant-api…", "use sk-ant-[REDACTED]…"),
            ("Bearer eyJ…", "Bearer [REDACTED]…"),
            ("password=co…", "password=[REDACTED]…"),
            ("sk-ant-api03-abcdefgh…", "sk-ant-[REDACTED]…"),
        ] {
            assert_eq!(r(input), (want.to_string(), 1), "{input}");
        }
        assert_eq!(r("and so on…").1, 0);
    }

    #[test]
    fn sees_through_json_escapes_and_keeps_json_valid() {
        let doc = r#"{"u": "https:\/\/u:pw123456@h\/x", "k": "\u0073k-ant-abcdefghijkl", "q": "\\u0041 \u0022 \n \u001b \\\/"}"#;
        let (out, n) = redact(doc.as_bytes());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(n, 2, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(v["u"], "https://u:[REDACTED]@h/x");
        assert_eq!(v["k"], "sk-ant-[REDACTED]");
        let q: serde_json::Value = serde_json::from_str(doc).unwrap();
        assert_eq!(v["q"], q["q"], "other escapes keep their meaning");
    }

    #[test]
    fn finds_and_names_secrets_without_printing_them() {
        let t = "export ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnop and AIzaSyA1234567890abcdefghijklmnopqrstuv";
        let f = find(t);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].kind, "anthropic_key");
        assert_eq!(&t[f[0].range.clone()], "sk-ant-api03-abcdefghijklmnop");
        assert_eq!(f[1].kind, "google_key");
        let m = mask(t);
        assert!(!m.contains("abcdefghijklmnop"), "{m}");
        assert!(m.contains("[anthropic_key sk-a… (29 chars)]"), "{m}");
        assert!(find("password=hunter22")[0].keyword);
        assert_eq!(
            find("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234")[0].kind,
            "private_key"
        );
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        assert_eq!(
            r("the task-agent skipped 3 files"),
            ("the task-agent skipped 3 files".into(), 0)
        );
    }
}
