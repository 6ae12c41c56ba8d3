//! The fleet contract (`docs/fleet.md`): partials of any split of the inputs,
//! merged in any grouping and order, print what one run over all the inputs
//! prints (stdout, stderr and exit status); partials of another version or
//! query are refused.
//!
//! Runs in process (`app::run`) so that a property case of dozens of runs
//! stays fast; the binary's own flags are checked at the end.

use crate::common::{command, root};
use oracle_monitor::{app, cli::Cli};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// What one in-process run printed: (exit status, stdout, stderr).
type Out = (i32, Vec<u8>, String);

/// Runs `oracle ARGS` in this process, as `main` does.
fn run(args: &[String]) -> Out {
    let mut argv: Vec<std::ffi::OsString> = vec!["oracle".into()];
    argv.extend(args.iter().map(Into::into));
    let cli = Cli::parse_args(argv).expect("flags parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = match cli
        .into_config()
        .and_then(|cfg| app::run(cfg, &mut out, &mut err))
    {
        Ok(s) => s as i32,
        Err(e) => {
            err.extend(format!("oracle: {e}\n").into_bytes());
            2
        }
    };
    (code, out, String::from_utf8_lossy(&err).into_owned())
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The fixture inputs in the order one run over `fixtures/` reads them (`oracle ls`).
fn fixture_inputs() -> Vec<String> {
    let dir = root().join("fixtures").display().to_string();
    let (code, out, _) = run(&s(&["ls", &dir]));
    assert_eq!(code, 0);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("format").is_some())
        .map(|v| v["path"].as_str().unwrap().to_string())
        .collect()
}

/// The queries checked: every command, with flags that keep bounded lists
/// short (so that lists compact across partials) and a relative window.
fn queries() -> Vec<Vec<String>> {
    vec![
        s(&["queues", "--pending"]),
        s(&["diagnose", "--fail-on", "warning"]),
        s(&["errors", "-l", "3"]),
        s(&["errors", "--by", "message", "--since", "2d"]),
        s(&["agents"]),
        s(&["cost", "--by", "model"]),
        s(&["audit", "-l", "2"]),
        s(&["diffs", "-l", "4"]),
        s(&["replay", "-l", "5"]),
    ]
}

/// Writes one partial per group of consecutive inputs, ranked by its first
/// input; returns their paths.
fn partials(
    dir: &Path,
    query: &[String],
    inputs: &[String],
    cuts: &[usize],
    anchor: &str,
) -> Vec<PathBuf> {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|c| *c > 0 && *c < inputs.len()));
    bounds.push(inputs.len());
    bounds.sort_unstable();
    bounds.dedup();
    bounds
        .windows(2)
        .map(|w| {
            let p = dir.join(format!("p{}.part", w[0]));
            let mut a = query.to_vec();
            a.extend(s(&[
                "--anchor",
                anchor,
                "--input-rank",
                &w[0].to_string(),
                "--partial",
            ]));
            a.push(p.display().to_string());
            a.extend(inputs[w[0]..w[1]].iter().cloned());
            let (code, out, err) = run(&a);
            assert_eq!(code, 0, "{a:?}: {err}");
            assert!(out.is_empty());
            p
        })
        .collect()
}

/// Merges adjacent partials into groups (one level of a merge tree), then merges
/// the groups given in `order`; the final run prints in `format`.
fn merged(
    dir: &Path,
    query: &[String],
    parts: &[PathBuf],
    group: usize,
    order: &[usize],
    format: &str,
) -> Out {
    let mut groups: Vec<PathBuf> = Vec::new();
    for (n, chunk) in parts.chunks(group.max(1)).enumerate() {
        let p = dir.join(format!("g{n}.part"));
        let mut a = vec!["merge".to_string()];
        a.extend(query.iter().cloned());
        a.extend(s(&["--partial", &p.display().to_string()]));
        a.extend(chunk.iter().map(|c| c.display().to_string()));
        let (code, _, err) = run(&a);
        assert_eq!(code, 0, "{a:?}: {err}");
        groups.push(p);
    }
    let mut ordered: Vec<&PathBuf> = groups.iter().collect();
    let n = ordered.len();
    for (i, o) in order.iter().enumerate() {
        ordered.swap(i % n, o % n);
    }
    let mut a = vec![
        "merge".to_string(),
        "--for".into(),
        root().join("fixtures").display().to_string(),
    ];
    a.extend(query.iter().cloned());
    a.extend(s(&["--format", format]));
    a.extend(ordered.iter().map(|c| c.display().to_string()));
    run(&a)
}

fn anchor() -> String {
    let (code, out, _) = run(&s(&[
        "anchor",
        &root().join("fixtures").display().to_string(),
    ]));
    assert_eq!(code, 0);
    String::from_utf8(out).unwrap().trim().to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any split into consecutive runs, any grouping of the partials, any order
    /// of the files given to `merge`: the output of the single run.
    #[test]
    fn any_split_and_grouping_of_partials_prints_the_single_run(
        cuts in prop::collection::vec(0usize..40, 0..8),
        group in 1usize..4,
        order in prop::collection::vec(0usize..16, 0..6),
        format in prop_oneof![Just("json"), Just("table")],
    ) {
        let inputs = fixture_inputs();
        let anchor = anchor();
        let fixtures = root().join("fixtures").display().to_string();
        for q in queries() {
            let dir = tempfile::tempdir().unwrap();
            let mut single = q.clone();
            single.extend(s(&["--format", format, &fixtures]));
            let want = run(&single);
            let parts = partials(dir.path(), &q, &inputs, &cuts, &anchor);
            let got = merged(dir.path(), &q, &parts, group, &order, format);
            prop_assert_eq!(got.0, want.0, "{:?}: exit status", q);
            prop_assert_eq!(&got.2, &want.2, "{:?}: stderr", q);
            prop_assert!(got.1 == want.1, "{:?}: stdout differs:\n{}\n---\n{}", q,
                String::from_utf8_lossy(&got.1), String::from_utf8_lossy(&want.1));
        }
    }
}

/// One partial over `inputs` with `flags`, written to `dir/name`.
fn one(dir: &Path, name: &str, flags: &[&str], inputs: &[String]) -> PathBuf {
    let p = dir.join(name);
    let mut a = s(flags);
    a.extend(s(&["--partial", &p.display().to_string()]));
    a.extend(inputs.iter().cloned());
    let (code, _, err) = run(&a);
    assert_eq!(code, 0, "{err}");
    p
}

#[test]
fn threads_do_not_count_but_another_query_is_refused_naming_the_mismatch() {
    let inputs = fixture_inputs();
    let dir = tempfile::tempdir().unwrap();
    let a = one(
        dir.path(),
        "a",
        &["cost", "--threads", "1", "--input-rank", "0"],
        &inputs[..5],
    );
    let b = one(
        dir.path(),
        "b",
        &["cost", "--input-rank", "5"],
        &inputs[5..],
    );
    let (code, _, err) = run(&s(&[
        "merge",
        "cost",
        "--threads",
        "2",
        &b.display().to_string(),
        &a.display().to_string(),
    ]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&s(&[
        "merge",
        "cost",
        "--by",
        "model",
        &a.display().to_string(),
        &b.display().to_string(),
    ]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("cannot merge this partial: another query"),
        "{err}"
    );
    assert!(
        err.contains("by: Model") && err.contains("by: Session"),
        "{err}"
    );
    let (code, _, err) = run(&s(&["merge", "queues", &a.display().to_string()]));
    assert_eq!(code, 2);
    assert!(
        err.contains("a partial of `cost`, not of `queues`"),
        "{err}"
    );
}

#[test]
fn another_format_version_or_overlapping_inputs_are_refused() {
    let inputs = fixture_inputs();
    let dir = tempfile::tempdir().unwrap();
    let a = one(dir.path(), "a", &["queues"], &inputs[..3]);
    let b = one(dir.path(), "b", &["queues"], &inputs[3..6]);
    // Both numbered from 0: they overlap.
    let (code, _, err) = run(&s(&[
        "merge",
        "queues",
        &a.display().to_string(),
        &b.display().to_string(),
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("overlap") && err.contains("--input-rank"),
        "{err}"
    );
    // A partial of format version 999.
    let mut bytes = std::fs::read(&a).unwrap();
    let nl = bytes.iter().position(|b| *b == b'\n').unwrap();
    assert_eq!(&bytes[..nl], b"oracle-partial 1");
    bytes.splice(..nl, b"oracle-partial 999".iter().copied());
    let v = dir.path().join("v999");
    std::fs::write(&v, bytes).unwrap();
    let (code, _, err) = run(&s(&["merge", "queues", &v.display().to_string()]));
    assert_eq!(code, 2);
    assert!(
        err.contains("partial format version 999, this oracle reads version 1"),
        "{err}"
    );
    // Not a partial at all.
    let (code, _, err) = run(&s(&["merge", "queues", &inputs[0]]));
    assert_eq!(code, 2);
    assert!(err.contains("not a partial"), "{err}");
}

#[test]
fn partials_made_with_their_own_anchor_are_refused_for_a_relative_window() {
    let inputs = fixture_inputs();
    let dir = tempfile::tempdir().unwrap();
    // No --anchor: each run anchors `--since 1h` on its own last event.
    let a = one(
        dir.path(),
        "a",
        &["errors", "--since", "1h", "--input-rank", "0"],
        &inputs[..1],
    );
    let b = one(
        dir.path(),
        "b",
        &["errors", "--since", "1h", "--input-rank", "1"],
        &inputs[1..],
    );
    let (code, _, err) = run(&s(&[
        "merge",
        "errors",
        "--since",
        "1h",
        &a.display().to_string(),
        &b.display().to_string(),
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("another query") && err.contains("anchor="),
        "{err}"
    );
}

#[test]
fn fleet_flags_are_checked_in_our_words() {
    let r = command()
        .args(["queues", "--input-rank", "3", "fixtures/example"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("'--input-rank'") && err.contains("together with --partial"),
        "{err}"
    );
    let r = command()
        .args([
            "diffs",
            "--unfinished",
            "--partial",
            "x.part",
            "fixtures/example",
        ])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("'--unfinished'"));
    let r = command()
        .args(["errors", "--anchor", "10m", "fixtures/example"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("'--anchor'"));
    let r = command().args(["merge", "queues"]).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no partial file given"));
}

#[test]
fn anchor_prints_the_last_event_in_nanoseconds_or_none() {
    let r = command()
        .args(["anchor", "fixtures/example"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    let t = String::from_utf8_lossy(&r.stdout);
    assert!(t.trim().ends_with('Z') && t.trim().len() == 30, "{t}");
    // Claude Code hook payloads carry no time.
    let r = command()
        .args(["anchor", "fixtures/audit/hooks/payloads.json"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&r.stdout), "none\n");
}

#[test]
fn a_named_path_that_gives_no_input_travels_in_a_partial_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let log = root()
        .join(crate::common::EXAMPLE_LOG)
        .display()
        .to_string();
    let readme = root().join("README.md").display().to_string();
    let missing = root().join("no-such-file.jsonl").display().to_string();
    let a = one(
        dir.path(),
        "a",
        &["errors", "--input-rank", "0"],
        std::slice::from_ref(&log),
    );
    let b = one(
        dir.path(),
        "b",
        &["errors", "--input-rank", "1"],
        &[readme.clone(), missing.clone()],
    );
    let want = run(&s(&["errors", "--format", "json", &log, &readme, &missing]));
    assert_eq!(want.0, 2, "an unreadable named path: exit status 2");
    let got = run(&s(&[
        "merge",
        "--for",
        &log,
        "--for",
        &readme,
        "--for",
        &missing,
        "errors",
        "--format",
        "json",
        &b.display().to_string(),
        &a.display().to_string(),
    ]));
    assert_eq!(got, want);
}
