//! `oracle report`: the HTML page holds every session and agent of the data,
//! shows hostile strings only escaped and secrets only masked, names no URL,
//! is the same for any thread count; and in headless Chromium its script runs,
//! it renders to a PNG, and it loads nothing from outside.
//!
//! The Chromium tests need Debian's `chromium` (`ORACLE_TEST_CHROMIUM`, else
//! `chromium` on PATH); `bash scripts/test.sh` installs it. Without it they
//! fail, saying so: they never pass silently. Every Chromium run has its own
//! profile directory and a watchdog that kills it after [`CHROMIUM_TIMEOUT`].

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a Chromium run may take before the test kills it and fails.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);

/// Inputs of every shape that makes lanes: transcripts with subagents, an
/// agent team, a pipe log with a spawn tree, an observer file with tasks.
const INPUTS: [&str; 4] = [
    "fixtures/transcripts",
    "fixtures/teams/teams",
    INCIDENT,
    DIFF,
];

fn tmp(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

/// HTML escaping as a reader of the page expects it (text and attributes).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Runs `oracle report -o OUT ARGS...`; returns the page and the run.
fn report(out: &Path, args: &[&str]) -> (String, Run) {
    let mut all: Vec<String> = vec!["report".into(), "-o".into(), out.display().to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    let r = run(&all);
    assert_eq!(r.code, 0, "oracle {all:?} failed:\n{}", r.stderr);
    let html = std::fs::read_to_string(out).expect("the report was written");
    (html, r)
}

/// The `field` of every item of `data.LIST` in `oracle CMD --format json INPUTS`
/// (schema-validated).
fn ids(cmd: &str, list: &str, field: &str, inputs: &[&str]) -> BTreeSet<String> {
    let mut a = vec![cmd, "--format", "json"];
    a.extend(inputs);
    let v = parse_validated(cmd, &ok(&a));
    v["data"][list]
        .as_array()
        .unwrap_or_else(|| panic!("no data.{list}"))
        .iter()
        .map(|n| n[field].as_str().expect("a string id").to_string())
        .collect()
}

/// Node ids of `oracle agents` and session ids of `oracle diagnose` over the
/// same inputs.
fn expected_ids(inputs: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
    (
        ids("agents", "nodes", "id", inputs),
        ids("diagnose", "sessions", "session", inputs),
    )
}

/// The JSON block the page's script reads, decoded.
fn page_data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"oracle-data\">";
    let start = html.find(open).expect("the data block") + open.len();
    let end = start + html[start..].find("</script>").expect("its end");
    let block = &html[start..end];
    assert!(
        !block.contains('<') && !block.contains('>') && !block.contains('&'),
        "the JSON block holds a raw <, > or &"
    );
    serde_json::from_str(block).expect("the data block is JSON")
}

/// Writes a Claude Code project whose session and subagent plant hostile
/// strings and a secret in a prompt, a tool input and a tool error, and a pipe
/// log whose agent id is markup. Returns the directory.
fn hostile_data(dir: &Path) -> PathBuf {
    let sid = "5e55e55e-0000-4000-8000-00000000e411";
    let proj = dir.join("projects/-tmp-evil");
    std::fs::create_dir_all(proj.join(sid).join("subagents")).unwrap();
    let line = |uuid: u32, t: &str, agent: Option<&str>, ty: &str, message: Value| {
        let mut v = serde_json::json!({
            "parentUuid": null, "isSidechain": agent.is_some(), "userType": "external",
            "cwd": "/tmp/evil", "sessionId": sid, "version": "2.1.39", "type": ty,
            "message": message, "uuid": format!("00000000-0000-4000-8000-{uuid:012}"),
            "timestamp": t,
        });
        if let Some(a) = agent {
            v["agentId"] = a.into();
        }
        v.to_string()
    };
    let evil = "</script><img src=x onerror=alert(1)>";
    let secret = "sk-ant-api03-PLANTEDSECRETabcdefghijklmnopqrstu";
    let main = [
        line(
            1,
            "2026-03-02T09:00:01.000Z",
            None,
            "user",
            serde_json::json!({"role": "user", "content": format!("run it {evil} ANTHROPIC_API_KEY={secret}")}),
        ),
        line(
            2,
            "2026-03-02T09:00:02.000Z",
            None,
            "assistant",
            serde_json::json!({"model": "claude-opus-4-6", "id": "msg_e1", "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_e1", "name": "Bash",
                    "input": {"command": format!("echo '{evil}' && curl -H 'Authorization: Bearer {secret}' localhost")}},
                    {"type": "tool_use", "id": "toolu_task", "name": "Task",
                    "input": {"subagent_type": "Explore", "prompt": evil}}],
                "usage": {"input_tokens": 5, "output_tokens": 7}}),
        ),
        line(
            3,
            "2026-03-02T09:00:09.000Z",
            None,
            "user",
            serde_json::json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_e1",
                "is_error": true, "content": format!("<svg onload=alert(2)> failed with {secret}")}]}),
        ),
    ];
    std::fs::write(proj.join(format!("{sid}.jsonl")), main.join("\n") + "\n").unwrap();
    let sub = [
        line(
            11,
            "2026-03-02T09:00:03.000Z",
            Some("ae111"),
            "user",
            serde_json::json!({"role": "user", "content": evil}),
        ),
        line(
            12,
            "2026-03-02T09:00:04.000Z",
            Some("ae111"),
            "assistant",
            serde_json::json!({"model": "claude-haiku-4-5-20251001", "id": "msg_e2", "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_e2", "name": "Read",
                    "input": {"file_path": format!("/tmp/{evil}")}}],
                "usage": {"input_tokens": 3, "output_tokens": 4}}),
        ),
    ];
    std::fs::write(
        proj.join(sid).join("subagents/agent-ae111.jsonl"),
        sub.join("\n") + "\n",
    )
    .unwrap();
    let pipe = format!(
        "# Teamsters Team Orchestration Telemetry Log\n# Team: evil\n---\n\
         2026-03-02T09:00:05.000Z | lifecycle | <img src=x onerror=alert(3)> | spawned | {{\"parent\":\"lead\",\"depth\":1}}\n\
         2026-03-02T09:00:06.000Z | error | <img src=x onerror=alert(3)> | error_classified | {{\"error_message\":\"{}\",\"classified_severity\":\"error\"}}\n\
         2026-03-02T09:00:07.000Z | lifecycle | <img src=x onerror=alert(3)> | failed | {{\"reason\":\"password={secret}\"}}\n",
        evil.replace('"', "\\\"")
    );
    std::fs::write(dir.join("evil.log"), pipe).unwrap();
    dir.to_path_buf()
}

/// The report of [`INPUTS`] and the hostile data together, in a fresh
/// directory: (the directory, the page's path, the inputs, the page).
fn everything(prefix: &str) -> (tempfile::TempDir, PathBuf, Vec<String>, String) {
    let dir = tmp(prefix);
    let data = hostile_data(dir.path());
    let out = dir.path().join("r.html");
    let mut inputs: Vec<String> = INPUTS.iter().map(|s| s.to_string()).collect();
    inputs.push(data.display().to_string());
    let args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let (html, _) = report(&out, &args);
    (dir, out, inputs, html)
}

#[test]
fn the_page_holds_every_session_and_agent_of_the_data() {
    let dir = tmp("report-ids");
    let out = dir.path().join("r.html");
    let (html, r) = report(&out, &INPUTS);
    let (nodes, sessions) = expected_ids(&INPUTS);
    assert!(nodes.len() >= 10, "{nodes:?}");
    assert!(!sessions.is_empty());
    for id in nodes.iter().chain(&sessions) {
        assert!(html.contains(&esc(id)), "{id} is not in the page");
    }
    // Every node with a timed record has a lane (the script's lane list).
    let data = page_data(&html);
    let lanes: BTreeSet<String> = data["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .map(|l| l.as_str().expect("lane").to_string())
        .collect();
    for s in &sessions {
        assert!(lanes.contains(s), "no lane for session {s}");
    }
    assert!(lanes.is_subset(&nodes), "{:?}", lanes.difference(&nodes));
    // The summary names the file, its size, sessions and agents.
    let size = std::fs::metadata(&out).unwrap().len();
    assert!(
        r.stdout
            .starts_with(&format!("wrote {} ({size} bytes): ", out.display())),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{} agent(s)", nodes.len())),
        "{}",
        r.stdout
    );
    // Sections.
    for id in ["timeline", "findings", "audit", "tree", "cost"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
}

#[test]
fn hostile_strings_appear_only_escaped_and_secrets_never() {
    let dir = tmp("report-hostile");
    let data = hostile_data(dir.path());
    let out = dir.path().join("r.html");
    let (html, r) = report(&out, &[data.to_str().unwrap()]);
    // No element came from the data.
    assert!(!html.contains("<img"), "an <img> from the data");
    assert!(!html.contains("<svg onload"), "an <svg> from the data");
    assert_eq!(html.matches("<script").count(), 2, "only our two scripts");
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "only our two scripts end"
    );
    // The strings are there, escaped (the tool input, the error, the lane name).
    assert!(html.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&lt;svg onload=alert(2)&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(3)&gt;"));
    // The JSON block round-trips the hostile lane name.
    let lanes = page_data(&html)["lanes"].clone();
    assert!(
        lanes
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "<img src=x onerror=alert(3)>"),
        "{lanes}"
    );
    // The secret is masked everywhere, without --redact.
    assert!(!html.contains("PLANTEDSECRET"), "the secret leaked");
    assert!(html.contains("[REDACTED]"));
    assert!(!r.stdout.contains("0 secret(s) masked"), "{}", r.stdout);
}

#[test]
fn the_page_names_no_url_and_forbids_every_fetch() {
    let (_dir, _, _, html) = everything("report-urls");
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
    ));
    // Our markup only: script and style bodies set aside (the data's `<` is
    // escaped, so every other `<` opens one of our tags).
    let lower = html.to_lowercase();
    let mut markup = String::new();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').expect("a tag ends");
        let tag = &rest[..=end];
        markup.push_str(tag);
        markup.push('\n');
        rest = &rest[end + 1..];
        for body in ["script", "style"] {
            if tag.starts_with(&format!("<{body}")) {
                let close = rest.find(&format!("</{body}>")).expect("closed");
                rest = &rest[close..];
            }
        }
    }
    for tag in markup.lines() {
        for (name, value) in attributes(tag) {
            if [
                "src",
                "href",
                "action",
                "srcset",
                "poster",
                "data",
                "xlink:href",
                "formaction",
            ]
            .contains(&name.as_str())
            {
                assert!(
                    value.starts_with('#'),
                    "{name} names something outside the page: {tag}"
                );
            }
            for (i, _) in value.match_indices("url(") {
                assert!(
                    value[i + 4..].starts_with('#'),
                    "url() outside the page: {tag}"
                );
            }
        }
        for t in ["<link", "<iframe", "<img", "<object", "<embed", "<base"] {
            assert!(!tag.starts_with(t), "{tag}");
        }
    }
    assert!(
        markup.lines().count() > 200,
        "too few tags: the parse went wrong"
    );
    assert!(!lower.contains("@import"));
}

/// The attributes of one start tag, `(name, value)`, values unquoted (the tag
/// is ours: quoted values hold no quote of their kind).
fn attributes(tag: &str) -> Vec<(String, String)> {
    let inner = tag
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    let Some(sp) = inner.find(char::is_whitespace) else {
        return Vec::new();
    };
    let mut rest = &inner[sp..];
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let value = if let Some(r) = rest.strip_prefix('=') {
            let q = r.chars().next().unwrap_or(' ');
            if q == '"' || q == '\'' {
                let close = r[1..].find(q).expect("a closing quote") + 1;
                let v = r[1..close].to_string();
                rest = &r[close + 1..];
                v
            } else {
                let e = r.find(char::is_whitespace).unwrap_or(r.len());
                let v = r[..e].to_string();
                rest = &r[e..];
                v
            }
        } else {
            String::new()
        };
        out.push((name, value));
    }
    out
}

#[test]
fn threads_do_not_change_the_page_and_stdout_gets_the_same_page() {
    let dir = tmp("report-threads");
    let one = dir.path().join("one.html");
    let two = dir.path().join("two.html");
    let mut a: Vec<&str> = vec!["--threads", "1"];
    a.extend(INPUTS);
    let (h1, _) = report(&one, &a);
    let mut b: Vec<&str> = vec!["--threads", "2"];
    b.extend(INPUTS);
    let (h2, _) = report(&two, &b);
    assert!(h1 == h2, "--threads 1 and --threads 2 differ");
    let mut c: Vec<&str> = vec!["report", "--output", "-"];
    c.extend(INPUTS);
    let r = run(&c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout == h1, "stdout differs from the file");
    assert!(r.stderr.contains("wrote stdout ("), "{}", r.stderr);
    // Written atomically: nothing but the two pages is left beside them.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn an_unwritable_output_is_an_error_naming_it() {
    let dir = tmp("report-bad");
    let out = dir.path().join("missing/dir/r.html");
    let r = run([
        "report",
        "-o",
        out.to_str().unwrap(),
        "fixtures/transcripts",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("missing/dir/r.html"), "{}", r.stderr);
    assert!(!out.exists());
}

#[test]
fn the_window_flags_bound_the_page() {
    let dir = tmp("report-window");
    let out = dir.path().join("r.html");
    let (html, _) = report(
        &out,
        &[
            INCIDENT,
            "--after",
            "2026-02-13T10:00:30Z",
            "--before",
            "10s",
        ],
    );
    assert!(
        html.contains("window 2026-02-13T10:00:30.000000Z → "),
        "no window note"
    );
}

// ---------------------------------------------------------------------------
// Headless Chromium

/// The Chromium binary: `ORACLE_TEST_CHROMIUM`, else `chromium` on PATH; a
/// failure saying how to get it otherwise.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("ORACLE_TEST_CHROMIUM").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "ORACLE_TEST_CHROMIUM={} is not a file",
            p.display()
        );
        return p;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is needed for the report tests and was not found \
                 (ORACLE_TEST_CHROMIUM unset, no `chromium` on PATH): run `bash scripts/test.sh`, \
                 which installs Debian's chromium"
            )
        })
}

/// Runs headless Chromium on `page` with `args`, its own profile, no way to
/// resolve a host name, and a net log; kills it after [`CHROMIUM_TIMEOUT`].
/// Returns (stdout, the net log's JSON).
fn chromium_run(work: &Path, page: &Path, fragment: &str, args: &[String]) -> (String, Value) {
    let netlog = work.join("netlog.json");
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--hide-scrollbars",
    ])
    .arg(format!(
        "--user-data-dir={}",
        work.join("profile").display()
    ))
    .arg(format!("--log-net-log={}", netlog.display()))
    .arg("--net-log-capture-mode=Everything")
    .args(args)
    .arg(format!("file://{}{fragment}", page.display()))
    .env("HOME", work)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = c.spawn().expect("chromium starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium exited with {status}");
    let out = reader.join().expect("stdout reader");
    let log = std::fs::read_to_string(&netlog).unwrap_or_default();
    // Chromium may end without closing the log's array: close it.
    let log: Value = serde_json::from_str(&log)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", log.trim_end().trim_end_matches(','))))
        .expect("the net log is JSON");
    (out, log)
}

/// URLs the net log shows requested on behalf of a page (not Chromium's own
/// background requests, whose initiator is "not an origin").
fn page_requests(log: &Value) -> Vec<String> {
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64();
    log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"].as_u64() == start)
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(String::from))
        .collect()
}

#[test]
fn chromium_runs_the_script_and_shows_every_agent() {
    let (dir, out, inputs, _) = everything("report-dom");
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let (dom, log) = chromium_run(dir.path(), &out, "", &["--dump-dom".to_string()]);
    assert!(
        dom.contains("data-oracle-ready=\"1\""),
        "the script did not run"
    );
    assert!(
        dom.contains("data-resources=\"0\""),
        "the page fetched a resource"
    );
    assert!(dom.contains("data-csp-violations=\"0\""), "a CSP violation");
    assert!(
        dom.contains("id=\"oracle-status\">interactive: "),
        "no status line"
    );
    // The script moved each mark's <title> into data-tip.
    assert!(dom.contains("data-tip=\""), "no tooltips");
    assert!(!dom.contains("<img"), "an <img> element from the data");
    let (nodes, sessions) = expected_ids(&inputs);
    for id in nodes.iter().chain(&sessions) {
        // The serialised DOM escapes &, < and > in text (quotes stay).
        let text = id
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(dom.contains(&text), "{id} is not in the DOM");
    }
    assert_eq!(page_requests(&log), Vec::<String>::new());
}

#[test]
fn chromium_screenshots_the_page() {
    let dir = tmp("report-png");
    let out = dir.path().join("r.html");
    report(&out, &INPUTS);
    let png = dir.path().join("r.png");
    chromium_run(
        dir.path(),
        &out,
        "",
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,900".to_string(),
        ],
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    assert_eq!((be(16), be(20)), (1400, 900), "IHDR size");
    assert!(
        bytes.len() > 20_000,
        "a nearly empty screenshot: {} bytes",
        bytes.len()
    );
}

#[test]
fn chromium_loads_nothing_from_outside_and_the_check_would_see_it() {
    let dir = tmp("report-net");
    let out = dir.path().join("r.html");
    report(&out, &INPUTS);
    let (_, log) = chromium_run(dir.path(), &out, "", &["--dump-dom".to_string()]);
    assert_eq!(page_requests(&log), Vec::<String>::new());
    // The control: a page without our CSP that fetches is seen by the same check.
    let control_dir = tmp("report-net-control");
    let control = control_dir.path().join("c.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><body><img src=\"http://oracle-test.invalid/x.png\"></body></html>",
    )
    .unwrap();
    let (_, log) = chromium_run(
        control_dir.path(),
        &control,
        "",
        &["--dump-dom".to_string()],
    );
    let seen = page_requests(&log);
    assert!(
        seen.iter().any(|u| u.contains("oracle-test.invalid")),
        "the net-log check does not see a page's request: {seen:?}"
    );
}

/// The `x` of the first tool-call mark in a dumped DOM.
fn first_tool_x(dom: &str) -> f64 {
    let at = dom.find("<rect class=\"tc").expect("a tool call mark");
    let tag = &dom[at..at + dom[at..].find('>').expect("tag end")];
    let x = tag.find(" x=\"").expect("an x") + 4;
    tag[x..x + tag[x..].find('"').expect("x end")]
        .parse()
        .expect("x is a number")
}

#[test]
fn chromium_zooms_to_a_view_and_focuses_a_finding() {
    let dir = tmp("report-zoom");
    let out = dir.path().join("r.html");
    let (html, _) = report(&out, &["fixtures/transcripts"]);
    let (whole, _) = chromium_run(dir.path(), &out, "", &["--dump-dom".to_string()]);
    let umax = page_data(&html)["umax"].as_f64().expect("umax");
    assert!(
        whole.contains(&format!("data-view=\"0.0,{umax:.1}\"")),
        "the whole run is not the first view"
    );
    // A view of the first tenth: marks move right (the plot is stretched 10x).
    let (zoomed, _) = chromium_run(
        dir.path(),
        &out,
        &format!("#view=0,{}", umax / 10.0),
        &["--dump-dom".to_string()],
    );
    assert!(
        zoomed.contains(&format!("data-view=\"0.0,{:.1}\"", umax / 10.0)),
        "the view was not applied"
    );
    assert!(
        first_tool_x(&zoomed) > first_tool_x(&whole),
        "no mark moved"
    );
    // A finding's link: its lane is highlighted, the cursor shown at its instant.
    let link = html
        .find("<a class=\"goto\" href=\"#lane-")
        .expect("a placed finding");
    let tag = &html[link..link + html[link..].find('>').expect("end")];
    let attr = |k: &str| {
        let i = tag.find(&format!("{k}=\"")).expect(k) + k.len() + 2;
        tag[i..i + tag[i..].find('"').expect("quote")].to_string()
    };
    let (lane, u) = (attr("data-lane"), attr("data-u"));
    let (focused, _) = chromium_run(
        dir.path(),
        &out,
        &format!("#focus={lane},{u}"),
        &["--dump-dom".to_string()],
    );
    assert!(
        focused.contains(&format!("class=\"row hl\" data-row=\"{lane}\""))
            || focused.contains(&format!("class=\"row alt hl\" data-row=\"{lane}\"")),
        "lane {lane} is not highlighted"
    );
    assert!(focused.contains("class=\"cursor on\""), "no cursor");
}
