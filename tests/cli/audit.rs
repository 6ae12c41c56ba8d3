//! `oracle audit`: findings checked against the violations planted in
//! `fixtures/audit`. What is expected is read from the fixture files
//! themselves: each record that breaks a rule carries `PLANT rule:severity …`
//! in one of its strings (one token per occurrence), a record that must raise
//! nothing carries `CLEAN`, and an input that cannot be read in full `BAD kind`.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const DIR: &str = "fixtures/audit";
const REAL: &str = "../shared/realdata";

const RULES: [&str; 9] = [
    "outside_project",
    "sensitive_path",
    "secret",
    "destructive_command",
    "remote_code",
    "privilege_escalation",
    "permission_bypass",
    "guardrail_tamper",
    "network_egress",
];

/// What one fixture record says about itself.
#[derive(Debug, Default)]
struct Marks {
    plants: Vec<(String, String)>,
    clean: bool,
    bad: Vec<String>,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json" || e == "jsonl") {
            out.push(p);
        }
    }
}

/// Every top-level JSON object of a file (JSON Lines, concatenated
/// pretty-printed objects, or an array with one element a line) with the
/// 1-based line where it starts.
fn records(text: &str) -> Vec<(u64, Value)> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut skip_to = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        if start < skip_to || !line.trim_start().starts_with('{') {
            continue;
        }
        let at = start + (line.len() - line.trim_start().len());
        let mut it = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
        if let Some(Ok(v)) = it.next() {
            skip_to = at + it.byte_offset();
            out.push((i as u64 + 1, v));
        }
    }
    out
}

fn strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn marks_of(v: &Value) -> Marks {
    let mut ss = Vec::new();
    strings(v, &mut ss);
    let mut m = Marks::default();
    for s in ss {
        for (i, _) in s.match_indices("PLANT ") {
            for tok in s[i + 6..].split_whitespace() {
                let tok = tok.trim_matches(|c: char| c == '"' || c == '}' || c == ',');
                match tok.split_once(':') {
                    Some((r, sev)) if RULES.contains(&r) => {
                        m.plants.push((r.to_string(), sev.to_string()))
                    }
                    _ => break,
                }
            }
        }
        m.clean |= s.contains("CLEAN");
        for (i, _) in s.match_indices("BAD ") {
            if let Some(k) = s[i + 4..].split_whitespace().next() {
                m.bad.push(k.to_string());
            }
        }
    }
    m
}

/// (file as oracle names it, line) → what the record says.
fn planted() -> BTreeMap<(String, u64), Marks> {
    let mut paths = Vec::new();
    files(&root().join(DIR), &mut paths);
    let mut out = BTreeMap::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("fixture");
        let name = p
            .strip_prefix(root())
            .expect("under the root")
            .to_string_lossy()
            .to_string();
        for (line, v) in records(&text) {
            out.insert((name.clone(), line), marks_of(&v));
        }
    }
    out
}

fn audit(args: &[&str]) -> Value {
    json("audit", args)["data"].clone()
}

fn findings(d: &Value) -> &Vec<Value> {
    d["findings"].as_array().expect("findings")
}

#[test]
fn planted_violations_are_found_where_they_were_planted() {
    let plants = planted();
    let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut bad_want: BTreeMap<String, u64> = BTreeMap::new();
    for m in plants.values() {
        for p in &m.plants {
            *want.entry(p.clone()).or_default() += 1;
        }
        for b in &m.bad {
            *bad_want.entry(b.clone()).or_default() += 1;
        }
    }
    assert!(want.values().sum::<u64>() >= 30, "{want:?}");
    let d = audit(&[DIR, "--limit", "0"]);
    let mut got: BTreeMap<(String, String), u64> = BTreeMap::new();
    for f in findings(&d) {
        let key = (
            f["rule"].as_str().unwrap().to_string(),
            f["severity"].as_str().unwrap().to_string(),
        );
        *got.entry(key.clone()).or_default() += f["count"].as_u64().unwrap();
        // Each finding points at a record that planted exactly it.
        let at = (
            f["file"].as_str().unwrap().to_string(),
            f["line"].as_u64().unwrap(),
        );
        let m = plants
            .get(&at)
            .unwrap_or_else(|| panic!("finding at no record: {f:#}"));
        assert!(!m.clean, "a finding on a CLEAN record: {f:#}");
        assert!(m.plants.contains(&key), "not planted there: {f:#}");
    }
    assert_eq!(got, want);
    let mut bad_got: BTreeMap<String, u64> = BTreeMap::new();
    for b in d["bad_inputs"].as_array().unwrap() {
        bad_got.insert(
            b["kind"].as_str().unwrap().to_string(),
            b["count"].as_u64().unwrap(),
        );
    }
    assert_eq!(bad_got, bad_want);
    assert_eq!(
        d["total_findings"].as_u64(),
        Some(findings(&d).len() as u64)
    );
}

#[test]
fn every_rule_is_planted_beside_negative_cases_in_every_format() {
    let plants = planted();
    let rules: BTreeSet<&str> = plants
        .values()
        .flat_map(|m| m.plants.iter().map(|p| p.0.as_str()))
        .collect();
    assert_eq!(rules, RULES.iter().copied().collect());
    // Each format's folder has planted and clean records.
    for sub in [
        "transcript",
        "hooks/payloads",
        "hooks/telemetry-a",
        "hooks/telemetry-b",
        "otlp",
    ] {
        let mine = |f: &(String, u64)| f.0.starts_with(&format!("{DIR}/{sub}"));
        assert!(
            plants.iter().any(|(k, m)| mine(k) && !m.plants.is_empty()),
            "{sub}: nothing planted"
        );
        assert!(
            plants.iter().any(|(k, m)| mine(k) && m.clean),
            "{sub}: no negative case"
        );
    }
    // A subagent's calls name their chain: session → subagent.
    let d = audit(&[DIR, "--limit", "0"]);
    let sub = findings(&d)
        .iter()
        .find(|f| f["file"].as_str().unwrap().contains("/subagents/"))
        .expect("a subagent finding");
    let chain = sub["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 2, "{sub:#}");
    assert_eq!(chain[1], "b7e1c02");
}

/// The invented keys in the fixtures (token-shaped words with a known prefix).
fn fixture_secrets() -> Vec<String> {
    let mut paths = Vec::new();
    files(&root().join(DIR), &mut paths);
    let mut out = BTreeSet::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            if ["sk-ant-", "sk-proj-", "AKIA", "ghp_"]
                .iter()
                .any(|p| w.starts_with(p))
                && w.len() >= 20
            {
                out.insert(w.to_string());
            }
        }
    }
    out.into_iter().collect()
}

#[test]
fn a_secret_is_never_printed_whole_in_any_format_or_on_stderr() {
    let secrets = fixture_secrets();
    assert!(secrets.len() >= 4, "{secrets:?}");
    for format in ["table", "json", "jsonl"] {
        let r = run(["audit", DIR, "--limit", "0", "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        for s in &secrets {
            assert!(!r.stdout.contains(s.as_str()), "{format} prints {s}");
            assert!(!r.stderr.contains(s.as_str()), "{format} stderr prints {s}");
            // A secret's own tail never shows either.
            assert!(
                !r.stdout.contains(&s[s.len() - 12..]),
                "{format}: tail of {s}"
            );
        }
    }
    let d = audit(&[DIR, "--rule", "secret", "--limit", "0"]);
    for f in findings(&d) {
        let t = f["target"].as_str().unwrap();
        let s = secrets
            .iter()
            .find(|s| {
                t.contains(&format!(" {}… ", &s[..4]))
                    && t.ends_with(&format!("({} chars)", s.len()))
            })
            .unwrap_or_else(|| {
                panic!("{t} names no fixture secret by kind, first four and length")
            });
        assert!(!t.contains(&s[4..]));
    }
}

#[test]
fn fail_on_gates_ci_and_rule_flags_choose_rules() {
    assert_eq!(run(["audit", DIR, "--fail-on", "error"]).code, 1);
    assert_eq!(run(["audit", DIR, "--fail-on", "critical"]).code, 1);
    let r = run([
        "audit",
        DIR,
        "--fail-on",
        "warning",
        "--rule",
        "network_egress",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = audit(&[DIR, "--rule", "secret,remote_code", "--limit", "0"]);
    let seen: BTreeSet<&str> = findings(&d)
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["remote_code", "secret"].into_iter().collect());
    let d = audit(&[DIR, "--exclude-rule", "network_egress", "--limit", "0"]);
    assert!(findings(&d).iter().all(|f| f["rule"] != "network_egress"));
    assert_eq!(d["rules"].as_array().unwrap().len(), 8);
    for flag in ["--rule", "--exclude-rule"] {
        let r = run(["audit", DIR, flag, "bogus_rule"]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains(flag), "{}", r.stderr);
        for id in RULES {
            assert!(r.stderr.contains(id), "{} does not list {id}", r.stderr);
        }
    }
}

#[test]
fn an_allow_file_accepts_paths_hosts_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let allow = dir.path().join("allow.txt");
    std::fs::write(
        &allow,
        "# accepted by the team\nhost *.example.dev\npath /home/dev/other\ncommand git push --force origin\n",
    )
    .unwrap();
    let a = allow.to_str().unwrap();
    let before = audit(&[DIR, "--limit", "0"]);
    let after = audit(&[DIR, "--limit", "0", "--allow", a]);
    let targets = |d: &Value| -> BTreeSet<String> {
        findings(d)
            .iter()
            .map(|f| f["target"].as_str().unwrap().to_string())
            .collect()
    };
    for gone in [
        "get.example.dev",
        "/home/dev/other/notes.md",
        "git push --force",
    ] {
        assert!(targets(&before).contains(gone), "{gone}");
        assert!(!targets(&after).contains(gone), "{gone}");
    }
    assert_eq!(after["allowed"], 3);
    std::fs::write(&allow, "hostname example.dev\n").unwrap();
    let r = run(["audit", DIR, "--allow", a]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--allow") && r.stderr.contains(":1"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_table_fits_80_columns_and_lists_are_bounded() {
    let mut c = command();
    c.env("COLUMNS", "80").args(["audit", DIR]);
    let r = run_cmd(c);
    assert_eq!(r.code, 0);
    let mut whole = 0;
    for line in r.stdout.lines() {
        // Locations and suggested commands are never cut (they are copied and
        // run): each is the whole `file:line` or command of its finding.
        let t = line.trim_start();
        if t.starts_with("at ") || t.starts_with("next: ") {
            whole += 1;
            continue;
        }
        assert!(
            line.chars().count() <= 80,
            "{} > 80: {line}",
            line.chars().count()
        );
    }
    let d = audit(&[DIR]);
    for f in findings(&d).iter().take(3) {
        let at = format!("at {}:{}", f["file"].as_str().unwrap(), f["line"]);
        assert!(r.stdout.contains(&at), "{at} whole in:\n{}", r.stdout);
        let next = format!("next: {}", f["next"].as_str().unwrap());
        assert!(r.stdout.contains(&next), "{next} whole");
    }
    assert!(whole >= 2, "{}", r.stdout);
    let d = audit(&[DIR, "--limit", "3"]);
    assert_eq!(findings(&d).len(), 3);
    assert!(d["total_findings"].as_u64().unwrap() > 3);
    let more = d["more"].as_str().expect("a command listing them all");
    assert!(more.starts_with("oracle audit --limit 0"), "{more}");
}

#[test]
fn bad_tool_inputs_are_counted_and_located_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.jsonl");
    let line = |n: u32, input: Value| {
        serde_json::json!({
            "type": "assistant", "sessionId": "s-bad", "cwd": "/home/q/p", "uuid": format!("u{n}"),
            "timestamp": "2026-03-05T10:00:00Z",
            "message": {"content": [{"type": "tool_use", "id": format!("t{n}"), "name": "Bash", "input": input}]}
        })
        .to_string()
    };
    let huge = "rm -rf / ; echo \"a'b\" \\\\ $(x) ".repeat(200_000);
    // The huge one last: a file is recognised from its first bytes.
    let body = [
        line(2, serde_json::json!("not an object")),
        line(
            3,
            serde_json::json!({ "command": "echo 'never closed \\\" ; rm -rf ~" }),
        ),
        line(4, serde_json::json!({ "command": 42, "file_path": ["x"] })),
        line(
            5,
            serde_json::json!({ "command": "\u{0}\u{1b}[31m rm -rf /\u{202e}" }),
        ),
        line(1, serde_json::json!({ "command": huge })),
    ]
    .join("\n");
    std::fs::write(&p, body).unwrap();
    let t = std::time::Instant::now();
    let d = audit(&[p.to_str().unwrap(), "--limit", "0"]);
    assert!(
        t.elapsed().as_secs() < 60,
        "a 6 MB command must not be slow"
    );
    let kinds: BTreeSet<&str> = d["bad_inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    for k in [
        "long_command",
        "too_many_segments",
        "not_an_object",
        "odd_quoting",
    ] {
        assert!(kinds.contains(k), "{k}: {kinds:?}");
    }
    for f in findings(&d) {
        assert!(f["evidence"].as_str().unwrap().chars().count() <= 160);
    }
    let r = run(["audit", p.to_str().unwrap()]);
    assert_eq!(r.code, 0);
    assert!(
        !r.stdout.contains('\u{1b}'),
        "control characters reach the terminal"
    );
}

/// Sessions of the real data that ran in `bypassPermissions` mode, read from
/// the files (transcript lines and hook payload arrays).
fn real_bypass_sessions() -> BTreeSet<String> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(p).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out)
            } else if p.extension().is_some_and(|e| e == "json" || e == "jsonl") {
                out.push(p)
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root().join(REAL), &mut paths);
    let mut out = BTreeSet::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let mut check = |v: &Value| {
            let mode = v["permissionMode"]
                .as_str()
                .or(v["permission_mode"].as_str());
            let session = v["sessionId"].as_str().or(v["session_id"].as_str());
            if let (Some("bypassPermissions"), Some(s)) = (mode, session) {
                out.insert(s.to_string());
            }
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(a)) => a.iter().for_each(&mut check),
            _ => text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .for_each(|v| check(&v)),
        }
    }
    out
}

#[test]
fn the_real_sessions_give_no_finding_at_error_or_above() {
    if !root().join(REAL).is_dir() {
        eprintln!("skipped: {REAL} is absent");
        return;
    }
    let d = audit(&[REAL, "--limit", "0"]);
    let s = &d["by_severity"];
    assert_eq!(
        (s["critical"].as_u64(), s["error"].as_u64()),
        (Some(0), Some(0)),
        "{d:#}"
    );
    assert!(d["tool_calls"].as_u64().unwrap() > 100);
    // permission_bypass: one finding per session, not per line.
    let want = real_bypass_sessions();
    assert!(!want.is_empty());
    let got: Vec<&str> = findings(&d)
        .iter()
        .filter(|f| f["rule"] == "permission_bypass")
        .map(|f| f["session"].as_str().unwrap())
        .collect();
    assert_eq!(got.len(), want.len(), "{got:?}");
    assert_eq!(
        got.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        want
    );
    // Other findings of those sessions say so.
    for f in findings(&d) {
        let s = f["session"].as_str().unwrap_or("");
        assert_eq!(
            f["session_bypassed_permissions"].as_bool(),
            Some(want.contains(s)),
            "{f:#}"
        );
    }
    assert_eq!(run(["audit", REAL, "--fail-on", "error"]).code, 0);
}

#[test]
fn diagnose_shows_the_audits_top_findings() {
    let a = audit(&[DIR, "--limit", "0"]);
    let d = json("diagnose", &[DIR])["data"].clone();
    assert_eq!(d["audit"]["total_findings"], a["total_findings"]);
    assert_eq!(d["audit"]["by_severity"], a["by_severity"]);
    let top = d["audit"]["top"].as_array().unwrap();
    assert_eq!(top.as_slice(), &findings(&a)[..top.len()]);
    let audit_findings: Vec<&Value> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["title"].as_str().unwrap().starts_with("audit: "))
        .collect();
    assert!(!audit_findings.is_empty() && audit_findings.len() <= 3);
    assert_eq!(audit_findings[0]["severity"], "critical");
    for f in audit_findings {
        assert!(
            f["next"]
                .as_str()
                .unwrap()
                .starts_with("oracle audit --rule "),
            "{f:#}"
        );
    }
}
