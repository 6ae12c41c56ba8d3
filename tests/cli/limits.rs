//! Arguments that used to wrap or exhaust resources: each is an error that
//! names the flag, or bounded (issue 14 reproductions).

use crate::common::*;

#[test]
fn times_outside_the_nanosecond_range_are_refused_not_wrapped() {
    for (cmd, flag, v) in [
        ("errors", "--before", "9999-12-31T23:59:59Z"),
        ("errors", "--after", "1000-01-01"),
        ("replay", "--at", "9999-01-01"),
        ("cost", "--since", "9999-01-01"),
    ] {
        let r = run([cmd, "fixtures/example", flag, v]);
        assert_eq!(r.code, 2, "{cmd} {flag} {v}: {}", r.stdout);
        assert!(r.stderr.contains(v), "{}", r.stderr);
        assert!(r.stderr.contains("2262"), "{}", r.stderr);
        assert!(!r.stdout.contains("1815") && !r.stdout.contains("2169"));
    }
}

#[test]
fn an_absurd_stuck_after_is_refused() {
    let r = run([
        "diagnose",
        "fixtures/example",
        "--stuck-after",
        "300000000y",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--stuck-after"), "{}", r.stderr);
}

#[test]
fn thread_counts_are_capped_with_a_clear_message() {
    let r = run(["errors", "fixtures/example", "--threads", "100000"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--threads") && r.stderr.contains("100000"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_pathological_grep_pattern_stays_bounded() {
    // 90 KB of nested repetition: compiled within the size limits or refused,
    // never an unbounded allocation.
    let pattern = "(x+x+)+y|".repeat(10_000);
    let r = run(["errors", "fixtures/pipe", "--grep", &pattern]);
    assert!(
        r.code == 0 || (r.code == 2 && r.stderr.contains("--grep")),
        "{}",
        r.stderr
    );
}

#[test]
fn a_second_team_header_applies_from_where_it_appears() {
    // Two pipe logs concatenated: the incident log, then the example log.
    let a = std::fs::read(root().join(INCIDENT)).expect("fixture");
    let b = std::fs::read(root().join(EXAMPLE_LOG)).expect("fixture");
    let team_of = |bytes: &[u8]| -> Option<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .find_map(|l| l.strip_prefix("# Team:").map(|t| t.trim().to_string()))
    };
    let lines_of = |bytes: &[u8]| String::from_utf8_lossy(bytes).lines().count() as u64;
    let mut both = a.clone();
    if !both.ends_with(b"\n") {
        both.push(b'\n');
    }
    both.extend_from_slice(&b);
    let split = lines_of(&a);
    let path = target_tmp("concatenated-pipe.log");
    write_atomic(&path, &both);
    let p = path.to_str().expect("utf-8");
    let check = |v: &serde_json::Value| {
        let diffs = v["data"]["diffs"].as_array().expect("diffs");
        assert!(!diffs.is_empty());
        for d in diffs {
            let line = d["line"].as_u64().expect("line");
            let want = if line <= split {
                team_of(&a)
            } else {
                team_of(&b)
            };
            assert_eq!(d["session"].as_str().map(String::from), want, "line {line}");
        }
    };
    check(&json("diffs", &[p, "-l", "1000"]));
    let r = run_stdin(
        ["diffs", "-", "-l", "1000", "--format", "json"],
        both.clone(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    check(&parse_validated("diffs", &r.stdout));
}

#[test]
fn invisible_and_reordering_code_points_are_escaped_on_the_terminal() {
    let chars = [
        '\u{061c}',
        '\u{2028}',
        '\u{2029}',
        '\u{feff}',
        '\u{2060}',
        '\u{2064}',
        '\u{00ad}',
        '\u{180e}',
        '\u{e0041}',
        '\u{3164}',
        '\u{202e}',
    ];
    let msg: String = chars.iter().map(|c| format!("x{c}")).collect();
    let line = format!(
        "2026-02-13T10:00:00Z | lifecycle | agent-1 | failed | {}\n",
        serde_json::json!({ "reason": msg })
    );
    let path = target_tmp("invisible.log");
    write_atomic(&path, line.as_bytes());
    let mut c = command();
    c.env("COLUMNS", "4000")
        .args(["errors", path.to_str().expect("utf-8")]);
    let out = run_cmd(c).stdout;
    for ch in chars {
        assert!(
            !out.contains(ch),
            "U+{:04X} reached the terminal raw",
            ch as u32
        );
        let escaped = format!("\\u{{{:x}}}", ch as u32);
        assert!(out.contains(&escaped), "{escaped} missing:\n{out}");
    }
}

#[test]
fn a_named_path_that_cannot_be_read_fails_the_gate_after_the_report() {
    let r = run([
        "diagnose",
        "--fail-on",
        "critical",
        "fixtures/example",
        "/nonexistent/oracle-typo",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // What could be read is still reported.
    let v = parse_validated("diagnose", &r.stdout);
    assert_eq!(v["data"]["events"].as_u64(), Some(18));
    assert!(
        r.stderr.contains("/nonexistent/oracle-typo"),
        "{}",
        r.stderr
    );
    // A named file that is merely not telemetry is skipped, not a failure.
    let r = run(["diagnose", "fixtures/example", "Cargo.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn an_after_later_than_before_is_an_error() {
    for cmd in ["errors", "diffs", "replay", "cost", "agents"] {
        let r = run([
            cmd,
            "fixtures/example",
            "--after",
            "2026-02-14",
            "--before",
            "2026-02-13",
        ]);
        assert_eq!(r.code, 2, "{cmd}");
        assert!(
            r.stderr.contains("--after") && r.stderr.contains("--before"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn a_pipe_without_columns_gets_whole_lines() {
    // How Claude Code and CI run it: stdout is a pipe and COLUMNS is unset.
    let mut c = command();
    c.env_remove("COLUMNS")
        .args(["diagnose", "../shared/realdata/spotter", "fixtures/example"]);
    let r = run_cmd(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sources = r
        .stdout
        .lines()
        .find(|l| l.starts_with("Sources:"))
        .expect("a Sources line");
    assert!(!sources.contains('…'), "{sources}");
    assert!(sources.len() > 120, "{sources}");
    for l in r.stdout.lines().filter(|l| l.contains("next: ")) {
        assert!(!l.contains('…'), "{l}");
    }
}

#[test]
fn completions_man_page_and_skill_install() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = ok(["completions", shell]);
        assert!(
            out.contains("oracle") && out.contains("diagnose"),
            "{shell}"
        );
    }
    let man = ok(["man"]);
    assert!(man.contains(".TH oracle"), "{man}");
    let r = run(["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8");
    ok(["skill", "install", "--dir", d]);
    let want =
        std::fs::read_to_string(root().join("skill/oracle-monitor/SKILL.md")).expect("skill");
    let got = std::fs::read_to_string(dir.path().join("oracle-monitor/SKILL.md")).expect("written");
    assert_eq!(got, want);
    let mut c = command();
    c.current_dir(dir.path())
        .args(["skill", "install", "--project"]);
    assert_eq!(run_cmd(c).code, 0);
    assert!(dir
        .path()
        .join(".claude/skills/oracle-monitor/SKILL.md")
        .is_file());
}

#[test]
fn errors_fail_on_a_severity() {
    // The incident log holds critical events (fixtures/README.md); the example none.
    let v = json("errors", &[INCIDENT]);
    assert!(v["data"]["by_severity"]["critical"].as_u64().unwrap_or(0) > 0);
    assert_eq!(run(["errors", INCIDENT, "--fail-on", "critical"]).code, 1);
    assert_eq!(run(["errors", EXAMPLE_LOG, "--fail-on", "warning"]).code, 0);
    // Filters apply first: only warnings asked for, a critical threshold is not met.
    assert_eq!(
        run(["errors", INCIDENT, "-s", "warning", "--fail-on", "critical"]).code,
        0
    );
    assert_eq!(run(["errors", INCIDENT, "--fail-on", "sometimes"]).code, 2);
}

#[test]
fn next_commands_keep_the_flags_of_the_run_and_run_as_written() {
    let v = json(
        "diagnose",
        &["--redact", "--input-format", "pipe", INCIDENT],
    );
    let findings = v["data"]["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for f in findings {
        let next = f["next"].as_str().expect("next");
        assert!(
            next.contains("--redact") && next.contains("--input-format=pipe"),
            "{next}"
        );
        let words = shell_words(next).expect("a shell line");
        assert_eq!(words[0], "oracle");
        let r = run(&words[1..]);
        assert!(r.code == 0 || r.code == 1, "{next}: {}", r.stderr);
    }
}

#[test]
fn quoted_globs_are_expanded() {
    // What the pattern should match, listed from the directory.
    let mut want: Vec<String> = std::fs::read_dir(root().join("fixtures/otlp"))
        .expect("dir")
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.ends_with(".jsonl").then(|| format!("fixtures/otlp/{n}"))
        })
        .collect();
    want.sort();
    let v = json("diffs", &["fixtures/otlp/*.jsonl", "-l", "0"]);
    let got: Vec<String> = v["sources"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["file"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(got, want);
    let r = run(["diffs", "fixtures/nope/*.x"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no file matches"), "{}", r.stderr);
}

/// Nanoseconds of an RFC 3339 instant, computed independently of oracle.
fn nanos(t: &str) -> i128 {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .expect("test time")
        .unix_timestamp_nanos()
}

#[test]
fn spans_across_the_whole_time_range_are_exact_and_never_negative() {
    // A spawn in 1678 and a heartbeat in 2262, both accepted by the parser: their
    // difference in nanoseconds overflows an i64 (a panic in debug builds).
    let (t0, t1) = ("1678-01-01T00:00:00.000Z", "2262-04-10T00:00:03.000Z");
    let log = format!(
        "# Team: t\n{t0} | lifecycle | a1 | spawned | {{\"parent\":\"root\"}}\n\
         {t1} | lifecycle | a1 | heartbeat | {{}}\n"
    );
    let path = target_tmp("range-span.log");
    write_atomic(&path, log.as_bytes());
    let want = ((nanos(t1) - nanos(t0)) / 1_000_000) as i64;
    let p = path.to_str().unwrap();
    let d = json("diagnose", &[p]);
    assert_eq!(d["data"]["span"]["duration_ms"], want);
    let a = json("agents", &[p]);
    assert_eq!(a["data"]["nodes"][0]["duration_ms"], want, "{a}");
    for cmd in ["diagnose", "agents", "replay"] {
        let out = ok([cmd, p]);
        assert!(!out.contains("-2") && !out.contains("-9"), "{cmd}: {out}");
        assert!(out.contains(&format!("{}d", want / 86_400_000)) || cmd == "replay");
    }
}

#[test]
fn token_and_cost_totals_saturate_and_bad_counters_are_malformed() {
    // Two responses of 1e19 input tokens (their sum overflows a u64) and 1e308
    // USD each (their sum is infinite); a negative token count and a negative cost.
    let big = 10_000_000_000_000_000_000u64;
    let usage = |n: u32, agent: &str, tokens: &str, cost: &str| {
        format!(
            "2026-02-13T10:00:0{n}.000Z | resource | {agent} | token_usage | \
             {{\"input_tokens\":{tokens},\"output_tokens\":1,\"model\":\"sonnet\",\"cost_estimate_usd\":{cost}}}\n"
        )
    };
    let log = format!(
        "# Team: t\n{}{}{}{}",
        usage(1, "a1", &big.to_string(), "1e308"),
        usage(2, "a2", &big.to_string(), "1e308"),
        usage(3, "a3", "-5", "0.5"),
        usage(4, "a4", "7", "-3"),
    );
    let path = target_tmp("counters.log");
    write_atomic(&path, log.as_bytes());
    let p = path.to_str().unwrap();
    let want_tokens = big.checked_add(big).map_or(u64::MAX, |t| t + 2);
    for cmd in ["cost", "agents", "diagnose"] {
        let v = json(cmd, &[p]); // validated against the schema: no null cost
        let f = &v["sources"]["files"][0];
        assert_eq!(f["malformed"], 2, "{cmd}: {f}");
        let bad: Vec<u64> = f["first_malformed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| line_of(m.as_str().unwrap().split(' ').next().unwrap()))
            .collect();
        assert_eq!(bad, [4, 5], "{cmd}");
    }
    let c = json("cost", &[p]);
    assert_eq!(c["data"]["total"]["total_tokens"], want_tokens);
    for key in ["cost_usd", "logged_cost_usd"] {
        let usd = c["data"]["total"][key]
            .as_f64()
            .expect("a number, not null");
        assert!(usd.is_finite() && usd >= 1e308, "{key}: {usd}");
    }
    assert!(c["data"]["notes"].to_string().contains("saturated"));
    let d = json("diagnose", &[p]);
    assert_eq!(d["data"]["usage"]["tokens"], want_tokens);
    let r = run(["cost", p]);
    assert!(
        r.stdout.contains("saturated") && !r.stdout.contains("inf"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("input_tokens is negative"),
        "{}",
        r.stderr
    );
    assert!(!ok(["agents", p]).contains("inf"));
}

#[test]
fn diagnose_is_bounded_whatever_the_number_of_agents() {
    // n agents spawned and never finished, n spawned and failed: the report names
    // the first few of each and counts them all, in table and JSON form.
    let n = 20_000;
    let mut log = String::from("# Team: t\n");
    for i in 0..n {
        log += &format!("2026-02-13T10:00:01.000Z | lifecycle | run-{i} | spawned | {{}}\n");
        log += &format!("2026-02-13T10:00:01.000Z | lifecycle | bad-{i} | spawned | {{}}\n");
        log += &format!("2026-02-13T10:00:02.000Z | lifecycle | bad-{i} | failed | {{}}\n");
    }
    let path = target_tmp("many-agents.log");
    write_atomic(&path, log.as_bytes());
    let p = path.to_str().unwrap();
    let table = ok(["diagnose", p]);
    assert!(table.len() < 8_000, "{} bytes", table.len());
    assert!(table.lines().count() < 40);
    assert!(table.contains(&format!("{n} agents were spawned but never finished")));
    let v = json("diagnose", &[p]);
    assert!(v.to_string().len() < 20_000);
    let a = &v["data"]["agents"];
    assert_eq!(a["failed"], n);
    assert_eq!(a["never_finished_total"], n);
    assert!(a["failed_agents"].as_array().unwrap().len() <= 10);
    assert!(a["never_finished"].as_array().unwrap().len() <= 10);
    let failed = v["data"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"].as_str().unwrap().contains("failed"))
        .expect("a failed-agents finding");
    assert!(failed["next"]
        .as_str()
        .unwrap()
        .contains("errors --by agent"));
    let title = failed["title"].as_str().unwrap();
    assert!(title.ends_with(&format!("and {} more", n - 10)), "{title}");
}

#[test]
fn diagnose_sums_up_agents_with_pending_tasks_beyond_the_first_few() {
    // n agents each sent a task two hours before the last record, none replied.
    let n = 300;
    let msg = |id: &str, to: &str, kind: &str, t: &str| {
        format!(
            "{{\"timestamp\": \"2026-02-09T{t}\", \"change_type\": \"added\", \"entity_type\": \"agent_message\", \
             \"data\": {{\"message_id\": \"{id}\", \"source_agent\": \"Orch\", \"target_agent\": \"{to}\", \
             \"message_type\": \"{kind}\", \"payload\": {{}}, \"timestamp\": \"2026-02-09T{t}\"}}}}\n"
        )
    };
    let mut log: String = (0..n)
        .map(|i| msg(&format!("m{i}"), &format!("w{i:04}"), "task", "10:00:00"))
        .collect();
    log += &msg("z", "w0000", "status", "12:00:00");
    let path = target_tmp("many-pending.jsonl");
    write_atomic(&path, log.as_bytes());
    let v = json("diagnose", &[path.to_str().unwrap()]);
    let q = &v["data"]["queues"];
    assert_eq!(q["total_pending"], n);
    assert_eq!(q["stuck_total"], n);
    assert!(q["stuck"].as_array().unwrap().len() <= 10);
    let titles: Vec<&str> = v["data"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["title"].as_str().unwrap())
        .collect();
    assert!(titles.len() <= 12, "{titles:?}");
    let named = titles.iter().filter(|t| t.starts_with("agent 'w")).count();
    assert_eq!(named, 10);
    let rest = format!("{} more agent(s) have {} pending task(s)", n - 10, n - 10);
    assert!(titles.iter().any(|t| t.starts_with(&rest)), "{titles:?}");
}

/// `s` without the SGR sequences (`ESC [ digits ; m`) clap styles its messages with.
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let n = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[n..].starts_with('m') {
            rest = &after[n + 1..];
        } else {
            out.push_str("\x1b[");
            rest = after;
        }
    }
    out + rest
}

#[test]
fn argument_values_echoed_in_usage_errors_are_escaped() {
    for args in [
        vec!["diagnose", "--format", "\x1b[2J\x07", "x"],
        vec!["diagnose", "--bogus\x1b]8;;http://x\x07", "x"],
        vec!["\x1b[31mdiagnose"],
        vec!["errors", "-s", "\u{202e}critical", "x"],
    ] {
        // Styled as on a terminal (clap honours CLICOLOR_FORCE): only clap's own
        // styling sequences may reach stderr, never the argument's bytes.
        let mut c = command();
        c.env("CLICOLOR_FORCE", "1").args(&args);
        let r = run_cmd(c);
        assert_eq!(r.code, 2, "{args:?}");
        let plain = strip_sgr(&r.stderr);
        assert!(
            !plain.contains(['\x1b', '\x07', '\u{202e}']),
            "{args:?}: {plain:?}"
        );
        let bad = args
            .iter()
            .find(|a| a.contains(['\x1b', '\u{202e}']))
            .unwrap();
        let escaped: String = bad
            .chars()
            .map(|ch| match ch {
                '\x1b' | '\x07' | '\u{202e}' => format!("\\u{{{:x}}}", ch as u32),
                c => c.to_string(),
            })
            .collect();
        assert!(plain.contains(&escaped), "{args:?}: {plain}");
    }
    // Help and valid arguments are untouched.
    assert!(ok(["--help"]).contains("Usage"));
}

#[test]
fn tables_and_lines_fit_the_terminal_by_display_width() {
    // Wide (CJK) agent names, categories and messages of every length, so that
    // cuts fall on each column of a wide character.
    let mut log = String::from("# Team: t\n");
    for i in 0..12 {
        let agent = format!("代理人{i}号エージェント{}", "あ".repeat(i % 5));
        let msg = format!("エラー{}：ファイルが見つかりません", "再試行".repeat(i));
        log += &format!(
            "2026-02-13T10:00:{i:02}.000Z | lifecycle | {agent} | spawned | {{\"parent\":\"根{i}\"}}\n\
             2026-02-13T10:00:{i:02}.500Z | lifecycle | {agent} | failed | \
             {{\"error_message\":\"{msg}\",\"error_category\":\"分類{}\"}}\n",
            "x".repeat(i)
        );
    }
    let path = target_tmp("wide.log");
    write_atomic(&path, log.as_bytes());
    for cmd in COMMANDS {
        let mut c = command();
        c.env("COLUMNS", "80").args([cmd, path.to_str().unwrap()]);
        let r = run_cmd(c);
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        for line in r.stdout.lines() {
            let w = unicode_width::UnicodeWidthStr::width(line);
            // Suggested commands are never cut (so they can be run).
            let command_line = line.trim_start().starts_with("next: ");
            assert!(w <= 80 || command_line, "{cmd}: {w} columns: {line}");
            assert!(
                !line.contains('\u{fffd}'),
                "{cmd}: a cut wide character: {line}"
            );
        }
    }
}

#[test]
fn devices_are_refused_even_when_a_format_is_forced() {
    // /dev/zero and /dev/urandom never end: reading one would never finish.
    for dev in ["/dev/zero", "/dev/urandom"] {
        if !std::path::Path::new(dev).exists() {
            continue;
        }
        for fmt in ["diff", "pipe", "hook"] {
            let r = run(["diffs", "--input-format", fmt, dev]);
            assert_eq!(r.code, 2, "{dev} {fmt}: {}", r.stderr);
            assert!(r.stderr.contains("a device"), "{}", r.stderr);
        }
    }
}

#[test]
fn records_above_the_maximum_size_are_oversized_located_and_skipped() {
    let blob = "x".repeat(3 << 20);
    let diff = |id: &str, extra: &str| {
        format!(
            "{{\"timestamp\": \"2026-02-09T11:30:05\", \"change_type\": \"added\", \"entity_type\": \"span\", \"data\": {{\"span_id\": \"{id}\"{extra}}}}}\n"
        )
    };
    let pipe = |id: &str, extra: &str| {
        format!(
            "2026-02-13T10:00:01.000Z | lifecycle | {id} | spawned | {{\"parent\":\"r\"{extra}}}\n"
        )
    };
    let hook = |id: &str, extra: &str| {
        format!(
            "{{\n  \"timestamp\": \"2026-02-13T10:31:05Z\",\n  \"hook_event\": \"PreToolUse\",\n  \"tool_name\": \"Read\",\n  \"tool_use_id\": \"{id}\"{extra}\n}}\n"
        )
    };
    let big = format!(", \"blob\": \"{blob}\"");
    for (name, rec) in [
        ("diff.jsonl", &diff as &dyn Fn(&str, &str) -> String),
        ("pipe.log", &pipe),
        ("hook.json", &hook),
    ] {
        let parts = [rec("a", ""), rec("big", &big), rec("b", "")];
        let text = parts.concat();
        // The oversized record's first line, counted from the input.
        let line = parts[0].lines().count() + 1;
        let path = target_tmp(&format!("oversized-{name}"));
        write_atomic(&path, text.as_bytes());
        let p = path.to_str().unwrap();
        for stdin in [false, true] {
            let args = ["diffs", "--max-record-size", "1M", "--format", "json"];
            let r = if stdin {
                run_stdin(args.iter().chain(&["-"]), text.clone().into_bytes())
            } else {
                run(args.iter().chain(&[p]))
            };
            assert_eq!(r.code, 0, "{name}: {}", r.stderr);
            let v = parse_validated("diffs", &r.stdout);
            let f = &v["sources"]["files"][0];
            assert_eq!(
                (f["records"].as_u64(), f["malformed"].as_u64()),
                (Some(2), Some(1)),
                "{name} {stdin}: {f}"
            );
            let first = f["first_malformed"][0].as_str().unwrap();
            assert!(
                first.contains(&format!(":{line} (record of")),
                "{name}: {first}"
            );
            assert!(first.contains("--max-record-size"), "{first}");
            assert!(r.stderr.contains("larger than --max-record-size"));
        }
        // Suggested next commands keep the limit.
        let d = json("diagnose", &["--max-record-size", "1M", p]);
        let next: Vec<&str> = d["data"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["next"].as_str().unwrap())
            .collect();
        assert!(
            !next.is_empty() && next.iter().all(|n| n.contains("--max-record-size=1048576")),
            "{next:?}"
        );
        // The default limit reads it; --strict fails on it.
        assert_eq!(json("diffs", &[p])["sources"]["files"][0]["malformed"], 0);
        assert_eq!(
            run(["diffs", "--strict", "--max-record-size", "1M", p]).code,
            2
        );
    }
    for bad in ["12", "5T", "-1", "lots", "99999999999G"] {
        let r = run([
            "diffs",
            &format!("--max-record-size={bad}"),
            "fixtures/pipe",
        ]);
        assert_eq!(r.code, 2, "{bad}");
        assert!(
            r.stderr.contains("--max-record-size") && r.stderr.contains("64MiB"),
            "{}",
            r.stderr
        );
    }
}

mod extremes {
    //! Property: timestamps at both ends of the accepted range and counters at
    //! the ends of their types never panic a debug build (overflow checks on),
    //! never give a negative duration, and every JSON output validates.
    //! (Task/reply pairs are left to the queues tests: see `src/analysis/queues.rs`.)

    use crate::common::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const FIRST: &str = "1677-09-21T00:12:44.000Z";
    const LAST: &str = "2262-04-11T23:47:16.000Z";

    fn instant() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(FIRST.to_string()),
            Just(LAST.to_string()),
            Just("1970-01-01T00:00:00.000Z".to_string()),
            (1678i32..2262, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60).prop_map(
                |(y, mo, d, h, mi)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00.000Z")
            ),
        ]
    }

    fn counter() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("0".to_string()),
            Just(u64::MAX.to_string()),
            Just((u64::MAX / 2 + 1).to_string()),
            Just("10000000000000000000".to_string()),
            Just("-1".to_string()),
            Just("1e300".to_string()),
            any::<u32>().prop_map(|n| n.to_string()),
        ]
    }

    fn cost() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("1e308".to_string()),
            Just("1.7976931348623157e308".to_string()),
            Just("-0.5".to_string()),
            Just("0".to_string()),
            (0u32..100_000).prop_map(|c| format!("{}.{:02}", c / 100, c % 100)),
        ]
    }

    /// One pipe record: a spawn, an end, or token usage.
    fn record() -> impl Strategy<Value = String> {
        (instant(), 0u8..4, 0u8..4, counter(), counter(), cost()).prop_map(
            |(t, kind, agent, input, output, usd)| match kind {
                0 => format!("{t} | lifecycle | a{agent} | spawned | {{\"parent\":\"a{}\"}}", agent / 2),
                1 => format!("{t} | lifecycle | a{agent} | completed | {{}}"),
                2 => format!("{t} | lifecycle | a{agent} | failed | {{\"error_message\":\"x\"}}"),
                _ => format!(
                    "{t} | resource | a{agent} | token_usage | {{\"input_tokens\":{input},\"output_tokens\":{output},\"model\":\"claude-sonnet-4-5\",\"cost_estimate_usd\":{usd}}}"
                ),
            },
        )
    }

    /// Every number under a key ending in `_ms` (a duration or an age).
    fn durations(v: &Value, out: &mut Vec<(String, f64)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k.ends_with("_ms") {
                        if let Some(n) = x.as_f64() {
                            out.push((k.clone(), n));
                        }
                    }
                    durations(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| durations(x, out)),
            _ => {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn extreme_times_and_counters_never_panic_or_go_negative(
            records in prop::collection::vec(record(), 1..12),
            case in any::<u64>(),
        ) {
            let log = format!("# Team: t\n{}\n", records.join("\n"));
            let path = target_tmp(&format!("extremes-{case}.log"));
            write_atomic(&path, log.as_bytes());
            let p = path.to_str().unwrap();
            for cmd in COMMANDS {
                // Validated against the schema; status 0 (bad counters are malformed records).
                let v = json(cmd, &[p]);
                let mut ds = Vec::new();
                durations(&v, &mut ds);
                for (k, n) in ds {
                    prop_assert!(n >= 0.0, "{cmd}: {k} = {n}");
                }
                let table = ok([cmd, p]);
                prop_assert!(!table.contains("$inf") && !table.contains("NaN"), "{cmd}: {table}");
            }
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[test]
fn negative_otlp_usage_is_flagged_where_it_is_and_never_summed() {
    let fixture = std::fs::read_to_string(root().join("fixtures/otlp/claude-code-logs.jsonl"))
        .expect("fixture");
    let first = fixture.lines().next().expect("a line");
    assert!(first.contains(r#""key":"cost_usd","value":{"stringValue":"0.0512"}"#));
    let bad = first
        .replace(
            r#""key":"cost_usd","value":{"stringValue":"0.0512"}"#,
            r#""key":"cost_usd","value":{"stringValue":"-5"}"#,
        )
        .replace(
            r#""key":"input_tokens","value":{"stringValue":"12"}"#,
            r#""key":"input_tokens","value":{"stringValue":"-12"}"#,
        );
    let path = target_tmp("negative-otlp.jsonl");
    write_atomic(&path, format!("{first}\n{bad}\n").as_bytes());
    let p = path.to_str().unwrap();
    let c = json("cost", &[p]);
    let logged = c["data"]["total"]["logged_cost_usd"]
        .as_f64()
        .expect("logged cost");
    assert!(
        (logged - 0.0512).abs() < 1e-9,
        "only the good line's cost: {logged}"
    );
    let e = json("errors", &[p]);
    let flagged: Vec<&serde_json::Value> = e["data"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|r| r["category"] == "malformed_field")
        .collect();
    assert_eq!(flagged.len(), 1, "{e}");
    let msg = flagged[0]["summary"].as_str().unwrap();
    assert!(msg.contains("negative input_tokens, cost_usd"), "{msg}");
    assert_eq!(flagged[0]["line"], 2);
}

#[test]
fn negative_transcript_usage_is_flagged_where_it_is_and_never_summed() {
    let dir = root().join("fixtures/transcripts/projects/-home-dev-demo");
    let main = std::fs::read_to_string(dir.join("1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41.jsonl"))
        .expect("fixture");
    let good = main
        .lines()
        .find(|l| l.contains("\"input_tokens\":"))
        .expect("an assistant line with usage");
    let v: serde_json::Value = serde_json::from_str(good).expect("json");
    let input = v["message"]["usage"]["input_tokens"]
        .as_u64()
        .expect("input tokens");
    let bad = good.replacen(
        &format!("\"input_tokens\":{input}"),
        "\"input_tokens\":-7",
        1,
    );
    assert_ne!(bad, good);
    let out = target_tmp("negative-transcript/projects/-home-x");
    std::fs::create_dir_all(&out).expect("dir");
    let path = out.join("1f0e6a2c-5b7d-4c1e-9a3f-2d8b7c6e5a41.jsonl");
    write_atomic(&path, format!("{bad}\n").as_bytes());
    let p = path.to_str().unwrap();
    let e = json("errors", &[p]);
    let rows = e["data"]["errors"].as_array().expect("errors");
    assert_eq!(rows.len(), 1, "{e}");
    assert_eq!(rows[0]["category"], "malformed_field");
    assert_eq!(rows[0]["line"], 1);
    assert!(rows[0]["summary"]
        .as_str()
        .unwrap()
        .contains("negative input_tokens"));
    let c = json("cost", &[p]);
    assert_eq!(
        c["data"]["total"]["tokens"]["input"], 0,
        "the negative count is not summed"
    );
}

#[test]
fn one_file_named_many_ways_is_read_once_and_links_are_followed_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let log = d.join("a.log");
    std::fs::copy(root().join(INCIDENT), &log).expect("copy");
    std::fs::hard_link(&log, d.join("hard.log")).expect("hard link");
    std::fs::create_dir(d.join("walk")).expect("dir");
    std::os::unix::fs::symlink(&log, d.join("walk/sym.log")).expect("symlink");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let once = json("diffs", &[&s(&log)]);
    let records = once["sources"]["records"].as_u64().unwrap();
    assert!(records > 0);
    // The same file by its name twice, by a hard link and by a symlink: read once.
    let hard = s(&d.join("hard.log"));
    let sym = s(&d.join("walk/sym.log"));
    let all = json("diffs", &[&s(&log), &s(&log), &hard, &sym]);
    assert_eq!(all["sources"]["records"], records);
    assert_eq!(all["sources"]["files"].as_array().unwrap().len(), 1);
    // A walked directory's links are not followed unless --follow-links.
    let walk = s(&d.join("walk"));
    let r = run(["diffs", "--format", "json", &walk]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let followed = json("diffs", &["--follow-links", &walk]);
    assert_eq!(followed["sources"]["records"], records);
}

#[test]
fn a_time_flag_that_is_neither_a_time_nor_a_duration_says_so_in_our_words() {
    for (flag, value, words) in [
        ("--after", "yesterday", "neither a time nor a duration"),
        ("--before", "10x", "\"x\" is not a duration unit"),
        ("--since", "5", "a bare number: give a unit"),
    ] {
        let r = run(["errors", "fixtures/example", flag, value]);
        assert_eq!(r.code, 2, "{flag} {value}");
        assert!(r.stderr.contains(words), "{flag} {value}: {}", r.stderr);
        // The flag is named (the alias as its canonical name) and the forms listed.
        let canonical = if flag == "--since" { "--after" } else { flag };
        assert!(r.stderr.contains(canonical), "{}", r.stderr);
        assert!(r.stderr.contains("accepted: RFC 3339"), "{}", r.stderr);
        assert!(!r.stderr.contains("expected number"), "{}", r.stderr);
    }
}

#[test]
fn help_lists_global_flags_apart_and_only_where_they_apply() {
    // Every global flag the top-level help lists, read from it (not copied).
    let top = ok(["--help"]);
    let globals: Vec<String> = top
        .split("Global options:")
        .nth(1)
        .expect("a Global options heading")
        .lines()
        .filter_map(|l| l.trim_start().split(' ').find(|w| w.starts_with("--")))
        .map(|w| w.trim_end_matches(',').to_string())
        .collect();
    assert!(globals.len() >= 5, "{globals:?}");
    // Commands that scan telemetry list them under their own heading, after
    // the command's own options, and end with examples.
    for cmd in [
        "diagnose", "errors", "diffs", "replay", "queues", "cost", "agents", "audit",
    ] {
        let help = ok([cmd, "--help"]);
        let (own, global) = help
            .split_once("Global options:")
            .unwrap_or_else(|| panic!("{cmd}: no Global options heading"));
        for g in &globals {
            assert!(
                global.contains(g.as_str()),
                "{cmd}: {g} not under Global options"
            );
            assert!(
                !own.contains(&format!("{g} ")),
                "{cmd}: {g} among its own options"
            );
        }
        assert!(help.contains("Examples:"), "{cmd}: no examples");
    }
    // Commands that read no telemetry accept the flags but do not list them.
    for cmd in ["schema", "completions", "man", "skill"] {
        let help = ok([cmd, "--help"]);
        assert!(!help.contains("Global options"), "{cmd}: {help}");
        for line in help.lines() {
            let flag = line.trim_start().split(' ').find(|w| w.starts_with("--"));
            let listed = line.trim_start().starts_with('-')
                && flag.is_some_and(|f| globals.iter().any(|g| g == f.trim_end_matches(',')));
            assert!(!listed, "{cmd} lists a global flag: {line}");
        }
    }
    assert!(ok(["--format", "json", "schema", "errors"]).contains("$defs"));
}

#[test]
fn summaries_leave_out_what_a_record_lacks() {
    // Every pipe event type and observer entity the summaries name, with none
    // of the fields they read: a summary never fills a gap with `?`.
    let pairs = [
        ("lifecycle", "completed"),
        ("lifecycle", "spawned"),
        ("lifecycle", "failed"),
        ("lifecycle", "team_failed"),
        ("timing", "phase_transition"),
        ("timing", "overhead_summary"),
        ("cost", "cumulative_cost"),
        ("agent_io", "prompt_constructed"),
        ("agent_io", "output_received"),
        ("config", "config_loaded"),
        ("dependency", "graph_constructed"),
        ("approval", "user_response_received"),
        ("environment", "session_start"),
        ("environment", "session_end"),
        ("test", "test_case_result"),
        ("error", "error_classified"),
        ("data_flow", "data_passed"),
    ];
    let mut log = String::from("# Team: t\n---\n");
    for (i, (kind, status)) in pairs.iter().enumerate() {
        log += &format!("2026-02-13T10:00:{i:02}.000Z | {kind} | a | {status} | {{}}\n");
    }
    let pipe = target_tmp("bare.log");
    write_atomic(&pipe, log.as_bytes());
    let entities = [
        "error",
        "agent_message",
        "trace",
        "span",
        "handoff",
        "event",
    ];
    let mut diff = String::new();
    for (i, e) in entities.iter().enumerate() {
        diff += &format!(
            "{{\"timestamp\": \"2026-02-09T11:30:{i:02}\", \"change_type\": \"added\", \"entity_type\": \"{e}\", \"data\": {{}}}}\n"
        );
    }
    let diff_path = target_tmp("bare-diff.jsonl");
    write_atomic(&diff_path, diff.as_bytes());
    let state = target_tmp("bare-state.jsonl");
    write_atomic(
        &state,
        b"{\"timestamp\": \"2026-02-09T11:31:00\", \"traces_count\": 2, \"errors\": []}\n",
    );
    let paths = [pipe, diff_path, state];
    let mut seen = 0;
    for p in &paths {
        let p = p.to_str().unwrap();
        let lines = parse_jsonl(
            "replay",
            &ok(["replay", "--format", "jsonl", "-l", "100", p]),
        );
        assert!(!lines.is_empty(), "{p}");
        for l in &lines {
            let summary = l["summary"].as_str().unwrap_or_default();
            assert!(!summary.contains('?'), "{p}: {summary:?} in {l}");
            seen += 1;
        }
        let table = ok(["replay", "-l", "100", p]);
        assert!(!table.contains(" ? ") && !table.contains("?s"), "{table}");
    }
    assert_eq!(seen, pairs.len() + entities.len() + 1);
}
