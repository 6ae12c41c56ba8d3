//! The JSON contract: `oracle schema COMMAND` is a valid draft 2020-12 schema,
//! every command's JSON and JSON Lines output on every fixture matches it, and
//! global flags are accepted before and after the subcommand.

use crate::common::*;
use serde_json::Value;

/// Every object schema (one with `properties`) forbids unknown fields.
fn closed_objects(path: &str, s: &Value, open: &mut Vec<String>) {
    match s {
        Value::Object(m) => {
            if m.contains_key("properties")
                && m.get("additionalProperties") != Some(&Value::Bool(false))
            {
                open.push(path.to_string());
            }
            for (k, v) in m {
                if k != "properties" || v.is_object() {
                    closed_objects(&format!("{path}/{k}"), v, open);
                }
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                closed_objects(&format!("{path}/{i}"), v, open);
            }
        }
        _ => {}
    }
}

#[test]
fn schemas_are_valid_and_closed() {
    for cmd in COMMANDS {
        let s = schema(cmd);
        if let Err(e) = jsonschema::meta::validate(s) {
            panic!("schema of {cmd} is not a valid JSON Schema: {e}");
        }
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["title"], format!("oracle {cmd} --format json"));
        assert_eq!(s["$id"], format!("oracle-monitor/schema/{cmd}.json"));
        let required: Vec<&str> = s["required"]
            .as_array()
            .expect("required fields")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for field in ["schema_version", "command", "query", "sources", "data"] {
            assert!(required.contains(&field), "{cmd}: {field} not required");
        }
        let mut open = Vec::new();
        closed_objects("#", s, &mut open);
        assert!(
            open.is_empty(),
            "{cmd}: objects without additionalProperties: false: {open:?}"
        );
    }
}

#[test]
fn schema_of_an_unknown_command_is_a_usage_error() {
    let r = run(["schema", "nope"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
}

#[test]
fn schema_rejects_a_wrong_shape() {
    // The validator is not vacuous: a valid envelope with an extra or a
    // mistyped field fails.
    let mut v = json("queues", &["fixtures/mixed"]);
    let compiled = jsonschema::validator_for(schema("queues")).expect("compiles");
    assert!(compiled.is_valid(&v));
    v["data"]["surprise"] = Value::Bool(true);
    assert!(!compiled.is_valid(&v));
    let mut v = json("queues", &["fixtures/mixed"]);
    v["data"]["total_pending"] = Value::String("1".into());
    assert!(!compiled.is_valid(&v));
}

#[test]
fn every_command_on_every_fixture_in_json_and_jsonl() {
    for dir in FORMAT_DIRS.iter().chain(["fixtures/example"].iter()) {
        for cmd in COMMANDS {
            let v = json(cmd, &[dir]);
            assert!(
                v["sources"]["files"]
                    .as_array()
                    .is_some_and(|f| !f.is_empty()),
                "{cmd} {dir}: no sources"
            );
            let items = parse_jsonl(cmd, &ok([cmd, dir, "--format", "jsonl"]));
            // The jsonl lines are the report's list.
            let list = match cmd {
                "diagnose" => &v["data"]["findings"],
                "errors" => &v["data"]["errors"],
                "diffs" => &v["data"]["diffs"],
                "replay" => &v["data"]["events"],
                "cost" => &v["data"]["rows"],
                "agents" => &v["data"]["nodes"],
                "audit" => &v["data"]["findings"],
                _ => &v["data"]["agents"],
            };
            assert_eq!(
                Some(&items),
                list.as_array(),
                "{cmd} {dir}: jsonl lines differ from the JSON list"
            );
        }
    }
}

#[test]
fn every_command_on_every_fixture_as_a_table() {
    for dir in FORMAT_DIRS.iter().chain(["fixtures/example"].iter()) {
        for cmd in COMMANDS {
            let r = run([cmd, dir]);
            assert_eq!(r.code, 0, "{cmd} {dir}: {}", r.stderr);
            assert!(!r.stdout.trim().is_empty(), "{cmd} {dir}: empty table");
            assert!(
                !r.bytes.contains(&0x1b),
                "{cmd} {dir}: colour with NO_COLOR set"
            );
            // Locations and suggested commands are never cut (they are copied).
            let whole = |l: &str| {
                let t = l.trim_start();
                t.starts_with("at ") || t.starts_with("next: ")
            };
            assert!(
                r.stdout
                    .lines()
                    .all(|l| whole(l) || l.chars().count() <= 120),
                "{cmd} {dir}: a line wider than COLUMNS=120:\n{}",
                r.stdout
            );
            // `text` is the seed CLI's name for `table`.
            assert_eq!(ok([cmd, dir, "--format", "text"]), r.stdout, "{cmd} {dir}");
        }
    }
}

#[test]
fn format_flag_before_or_after_the_subcommand() {
    for cmd in COMMANDS {
        let after = run([cmd, "fixtures/mixed", "--format", "json"]);
        let before = run(["--format", "json", cmd, "fixtures/mixed"]);
        let short = run(["-f", "json", cmd, "fixtures/mixed"]);
        assert_eq!(after.code, 0, "{}", after.stderr);
        assert_eq!(
            before.stdout, after.stdout,
            "{cmd}: --format json before vs after"
        );
        assert_eq!(short.stdout, after.stdout, "{cmd}: -f json");
        parse_validated(cmd, &before.stdout);
    }
    let a = run(["--format", "json", "diffs", DIFF]);
    let b = run(["diffs", DIFF, "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
    let r = run(["diffs", DIFF, "--format", "yaml"]);
    assert_eq!(r.code, 2);
}

#[test]
fn query_echo_resolves_flags() {
    let v = json(
        "errors",
        &[
            DIFF,
            "-s",
            "error,critical",
            "-a",
            "Coder",
            "--by",
            "agent",
            "-l",
            "7",
            "--after",
            "10m",
        ],
    );
    let q = &v["query"];
    assert_eq!(q["severity"], serde_json::json!(["critical", "error"]));
    assert_eq!(q["agent"], "Coder");
    assert_eq!(q["by"], "agent");
    assert_eq!(q["limit"], 7);
    assert_eq!(q["after"], "2026-02-09T11:28:26.270926Z");
    assert_eq!(q["before"], Value::Null);
    let v = json("queues", &[DIFF, "--pending"]);
    assert_eq!(v["query"]["pending"], true);
    let v = json("diffs", &[DIFF, "-e", "span"]);
    assert_eq!(v["query"]["entity_type"], "span");
}
