//! `--redact`: masks secrets in the finished output, whatever its format.
//!
//! Owns: the secret patterns (API keys and tokens: `sk-ant-`, `sk-`, `ghp_`/`gho_`/
//! `ghs_`/`github_pat_`, `AKIA…`, `xox?-`, `Bearer …`; passwords in URLs;
//! `password=`-style pairs). Each match keeps a short recognisable prefix and
//! replaces the secret with `[REDACTED]`. The replacement holds no quote or
//! backslash, so JSON output stays valid JSON.

use regex::bytes::{Captures, Regex};
use std::sync::OnceLock;

/// The text that replaces a secret.
pub const MASK: &str = "[REDACTED]";

fn patterns() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            // 1: token with a known prefix (kept), 2: the secret part.
            r"(?P<pre>sk-ant-|sk-|ghp_|gho_|ghs_|ghu_|ghr_|github_pat_|xox[abposr]-)(?P<tok>[A-Za-z0-9_\-]{8,})",
            r"|(?P<aws>AKIA)(?P<awstok>[0-9A-Z]{16})",
            r"|(?P<bearer>(?i:bearer)\s+)(?P<btok>[A-Za-z0-9_\-\.=:/+~]{8,})",
            // scheme://user:PASSWORD@host
            r"|(?P<url>[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@\x22']+:)(?P<upw>[^\s@/\x22']+)@",
            // password=..., "password": "...", api_key: ...
            r#"|(?P<key>(?i:password|passwd|pwd|secret|api_key|apikey|access_token|auth_token|client_secret)\\?"?\s*[:=]\s*\\?"?)(?P<kval>[^\s"'&,;\\]{3,})"#,
        ))
        .expect("the redaction patterns compile")
    })
}

/// Masks every secret in `text`; returns the new text and how many were masked.
pub fn redact(text: &[u8]) -> (Vec<u8>, u64) {
    let mut count = 0u64;
    let out = patterns().replace_all(text, |c: &Captures<'_>| {
        count += 1;
        let keep = ["pre", "aws", "bearer", "url", "key"]
            .iter()
            .find_map(|n| c.name(n))
            .map_or(&b""[..], |m| m.as_bytes());
        let mut v = keep.to_vec();
        v.extend_from_slice(MASK.as_bytes());
        if c.name("upw").is_some() {
            v.push(b'@');
        }
        v
    });
    (out.into_owned(), count)
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
    fn leaves_ordinary_text_alone() {
        assert_eq!(
            r("the task-agent skipped 3 files"),
            ("the task-agent skipped 3 files".into(), 0)
        );
    }
}
