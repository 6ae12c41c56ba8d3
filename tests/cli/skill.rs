//! `skill/oracle-monitor/SKILL.md`: its front matter, and every command in its
//! ```sh blocks runs as written from the crate root with exit status 0 (or 1
//! with `--fail-on`), and its JSON output matches the command's schema. A
//! `--follow` command, which never ends by itself, is stopped with SIGINT once
//! it has printed its report and must then exit 0 (`run_following`).

use crate::common::*;
use serde_json::Value;

fn skill() -> String {
    std::fs::read_to_string(root().join("skill/oracle-monitor/SKILL.md")).expect("SKILL.md exists")
}

/// The lines inside fenced blocks of `lang`.
fn blocks(text: &str, lang: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        let t = line.trim();
        match &mut cur {
            None if t.starts_with("```") => {
                if t.trim_start_matches('`').trim() == lang {
                    cur = Some(Vec::new());
                } else {
                    // Another language: skip to its end.
                    cur = Some(vec!["\u{0}skip".into()]);
                }
            }
            None => {}
            Some(_) if t == "```" => {
                let b = cur.take().expect("open block");
                if b.first().map(String::as_str) != Some("\u{0}skip") {
                    out.push(b);
                }
            }
            Some(b) => b.push(line.to_string()),
        }
    }
    assert!(cur.is_none(), "unterminated code block");
    out
}

/// Every command line of the ```sh blocks.
fn commands(text: &str) -> Vec<String> {
    let mut cmds = Vec::new();
    for block in blocks(text, "sh") {
        for line in block {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            assert!(
                line.starts_with("oracle "),
                "sh block line does not start with `oracle `: {line:?}"
            );
            cmds.push(line);
        }
    }
    cmds
}

#[test]
fn front_matter_names_and_describes_the_skill() {
    let text = skill();
    let rest = text
        .strip_prefix("---\n")
        .expect("front matter opens with ---");
    let (front, body) = rest
        .split_once("\n---\n")
        .expect("front matter closes with ---");
    let field = |name: &str| {
        front
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name}: in the front matter"))
    };
    assert_eq!(field("name"), "oracle-monitor");
    let description = field("description").to_lowercase();
    for word in ["telemetry", "fail", "stuck", "queue", "cost"] {
        assert!(
            description.contains(word),
            "description does not mention {word:?}"
        );
    }
    for heading in [
        "## Inputs",
        "### `diagnose`",
        "### `errors`",
        "### `diffs`",
        "### `replay`",
        "### `queues`",
        "## Exit status",
        "### Incident triage in 3 commands",
        "### CI gate",
        "### Is an agent stuck?",
        "### What failed in the last 10 minutes",
    ] {
        assert!(
            body.lines().any(|l| l.starts_with(heading)),
            "no section {heading:?}"
        );
    }
}

#[test]
fn json_examples_are_json() {
    let text = skill();
    let examples = blocks(&text, "json");
    assert!(examples.len() >= 5, "one JSON example per command");
    for b in examples {
        let src = b.join("\n");
        serde_json::from_str::<Value>(&src)
            .unwrap_or_else(|e| panic!("bad JSON example ({e}):\n{src}"));
    }
}

/// Which subcommand a command line runs (global flags may come first).
fn subcommand(args: &[String]) -> &str {
    args.iter()
        .map(String::as_str)
        .find(|a| COMMANDS.contains(a) || ["schema", "anchor", "ls", "report"].contains(a))
        .unwrap_or_else(|| panic!("no subcommand in {args:?}"))
}

fn format_of(args: &[String]) -> &str {
    let mut it = args.iter().map(String::as_str);
    while let Some(a) = it.next() {
        if a == "--format" || a == "-f" {
            return it.next().unwrap_or("");
        }
        if let Some(v) = a.strip_prefix("--format=") {
            return v;
        }
    }
    "table"
}

#[test]
fn every_command_in_the_skill_runs() {
    let text = skill();
    let cmds = commands(&text);
    assert!(cmds.len() >= 25, "only {} commands", cmds.len());
    let mut seen = std::collections::BTreeSet::new();
    // `report` recipes write into target/ (ignored by git), which a custom
    // CARGO_TARGET_DIR leaves absent.
    std::fs::create_dir_all(root().join("target")).expect("target/ can be made");
    for line in &cmds {
        let mut words = shell_words(line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(words.remove(0), "oracle");
        // `< FILE` feeds FILE to stdin.
        let stdin = match words.iter().position(|w| w == "<") {
            Some(i) => {
                let file = words
                    .get(i + 1)
                    .cloned()
                    .unwrap_or_else(|| panic!("`<` without a file: {line}"));
                words.drain(i..i + 2);
                Some(std::fs::read(root().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}")))
            }
            None => None,
        };
        let following = words.iter().any(|w| w == "-F" || w == "--follow");
        let r = match stdin {
            Some(input) => run_stdin(&words, input),
            // A following command never ends by itself: bounded, see `run_following`.
            None if following => run_following(&words),
            None => run(&words),
        };
        let fail_on = words
            .iter()
            .any(|w| w == "--fail-on" || w.starts_with("--fail-on="));
        let allowed: &[i32] = if fail_on { &[0, 1] } else { &[0] };
        assert!(
            allowed.contains(&r.code),
            "`{line}` exited {}:\n{}",
            r.code,
            r.stderr
        );
        assert!(!r.stdout.trim().is_empty(), "`{line}` printed nothing");
        let cmd = subcommand(&words);
        seen.insert(cmd.to_string());
        if cmd == "report" {
            // The page itself is checked by tests/cli/report.rs; here: it was written.
            let out = words
                .iter()
                .position(|w| w == "--output" || w == "-o")
                .and_then(|i| words.get(i + 1))
                .unwrap_or_else(|| panic!("`{line}`: report without --output"));
            assert!(
                r.stdout.starts_with(&format!("wrote {out} (")),
                "`{line}`: {}",
                r.stdout
            );
            assert!(root().join(out).is_file(), "`{line}` wrote no {out}");
            continue;
        }
        if cmd == "schema" {
            let s: Value = serde_json::from_str(&r.stdout).expect("schema is JSON");
            assert!(
                jsonschema::meta::is_valid(&s),
                "`{line}`: not a JSON Schema"
            );
            continue;
        }
        match format_of(&words) {
            "json" => {
                parse_validated(cmd, &r.stdout);
            }
            "jsonl" => {
                parse_jsonl(cmd, &r.stdout);
            }
            _ => {}
        }
    }
    for cmd in COMMANDS.iter().chain(["schema"].iter()) {
        assert!(seen.contains(*cmd), "the skill never runs `oracle {cmd}`");
    }
}

/// Runs a `--follow` command as the skill says to stop it: it is started, its
/// report read until it says it follows (a deadline of a few seconds), then it
/// gets SIGINT (Ctrl-C), which must end it with status 0. Killed if it does not.
fn run_following(args: &[String]) -> Run {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("oracle"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .current_dir(root())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oracle starts");
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let (tx, rx) = std::sync::mpsc::channel();
    let mut err_pipe = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = err_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&all).contains("Ctrl-C stops") {
                let _ = tx.send(());
            }
        }
        all
    });
    let started = rx.recv_timeout(Duration::from_secs(10)).is_ok();
    // SAFETY: a signal to our own child, whose pid stays valid until it is waited for.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let end = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code().unwrap_or(-1);
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let bytes = out.join().unwrap();
    let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
    assert!(
        started,
        "`oracle {}` never started following:\n{stderr}",
        args.join(" ")
    );
    Run {
        code,
        stdout: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
        stderr,
    }
}

#[test]
fn skill_recipes_show_the_documented_exit_statuses() {
    // The CI section says: the first exits 1, the other two 0.
    assert_eq!(
        run(["diagnose", "fixtures/pipe", "--fail-on", "critical"]).code,
        1
    );
    assert_eq!(
        run(["diagnose", "fixtures/example", "--fail-on", "warning"]).code,
        0
    );
    assert_eq!(run(["diagnose", "fixtures/example", "--strict"]).code, 0);
}
