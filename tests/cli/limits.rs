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
