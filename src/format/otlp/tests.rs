//! Unit tests of the OTLP reader: detection, the event contract item by item,
//! laxness, and summaries found by an event's number.

use super::*;
use crate::format::{reader, reparse, sniff, Bad, Chunk, Sink};
use crate::model::{Action, AgentKind, Severity, Tokens};

/// 2026-03-02T10:00:00Z in nanoseconds.
const T0: i64 = 1_772_445_600_000_000_000;

fn events(rec: &str) -> Vec<Event<'_>> {
    let mut out = Vec::new();
    Otlp.parse(rec.as_bytes(), Loc::default(), &Ctx::default(), &mut |ev| {
        out.push(ev)
    })
    .unwrap_or_else(|e| panic!("{e}: {rec}"));
    for (n, ev) in out.iter_mut().enumerate() {
        ev.loc.sub = n as u32;
    }
    out
}

fn s(k: &str, v: &str) -> String {
    format!(r#"{{"key": "{k}", "value": {{"stringValue": "{v}"}}}}"#)
}

fn i(k: &str, v: u64) -> String {
    format!(r#"{{"key": "{k}", "value": {{"intValue": "{v}"}}}}"#)
}

fn traces(service: &str, spans: &[String]) -> String {
    format!(
        r#"{{"resourceSpans": [{{"resource": {{"attributes": [{}]}}, "scopeSpans": [{{"scope": {{"name": "t"}}, "spans": [{}]}}]}}]}}"#,
        s("service.name", service),
        spans.join(",")
    )
}

fn logs(service: &str, records: &[String]) -> String {
    format!(
        r#"{{"resourceLogs": [{{"resource": {{"attributes": [{}]}}, "scopeLogs": [{{"logRecords": [{}]}}]}}]}}"#,
        s("service.name", service),
        records.join(",")
    )
}

fn log_record(t: i64, body: &str, attrs: &[String]) -> String {
    format!(
        r#"{{"timeUnixNano": "{t}", "body": {{"stringValue": "{body}"}}, "attributes": [{}]}}"#,
        attrs.join(",")
    )
}

#[test]
fn sniffs_requests_of_every_signal_and_nothing_else() {
    let yes = [
        r#"{"resourceSpans":[{"resource":{}}]}"#,
        "{\n  \"resourceLogs\": [\n    {",
        r#"[{"resourceMetrics" : [ ]}]"#,
        r#"{"resource_spans": []}"#,
        // A head cut right after the key.
        r#"{"resourceLogs""#,
    ];
    for h in yes {
        assert!(Otlp.sniff(h.as_bytes()), "{h}");
        assert_eq!(sniff(h.as_bytes()), Some(Format::Otlp), "{h}");
    }
    let no = [
        // A transcript line quoting OTLP inside a string.
        r#"{"type":"user","message":{"content":"{\"resourceSpans\": []}"},"sessionId":"s"}"#,
        // The key's name as a value.
        r#"{"kind": "resourceSpans", "hook_event_name": "PreToolUse"}"#,
        r#"{"resourceSpans": 3}"#,
        r#"resourceSpans: ["#,
        "",
    ];
    for h in no {
        assert!(!Otlp.sniff(h.as_bytes()), "{h}");
    }
    // Claude Code hook payloads still read as hooks.
    assert_eq!(
        sniff(br#"{"hook_event_name": "PreToolUse", "tool_name": "Bash"}"#),
        Some(Format::Hook)
    );
}

#[test]
fn a_span_is_one_event_with_its_ids_times_and_agent() {
    let rec = traces(
        "svc",
        &[
            format!(
                r#"{{"traceId": "T1", "spanId": "S1", "parentSpanId": "", "name": "root", "startTimeUnixNano": "{}", "endTimeUnixNano": "{}", "attributes": [], "status": {{"code": 1}}}}"#,
                T0,
                T0 + 1_500_000_000
            ),
            format!(
                r#"{{"traceId": "T1", "spanId": "S2", "parentSpanId": "S1", "name": "child", "startTimeUnixNano": {}, "attributes": [{}]}}"#,
                T0 + 1,
                s("gen_ai.agent.name", "coder")
            ),
        ],
    );
    let evs = events(&rec);
    assert_eq!(evs.len(), 2);
    let root = &evs[0];
    assert_eq!((root.kind.as_ref(), root.status.as_ref()), ("span", "root"));
    assert_eq!(root.ts, Some(T0));
    assert_eq!(
        root.action,
        Action::Span {
            end: Some(T0 + 1_500_000_000)
        }
    );
    assert_eq!(root.id.as_deref(), Some("S1"));
    assert_eq!(root.parent_id, None);
    assert_eq!(root.session.as_deref(), Some("T1"));
    assert_eq!(root.agent.as_deref(), Some("svc"));
    assert_eq!(root.severity, None);
    assert_eq!((root.raw, root.record), (rec.as_bytes(), rec.as_bytes()));
    let child = &evs[1];
    assert_eq!(child.parent_id.as_deref(), Some("S1"));
    assert_eq!(child.agent.as_deref(), Some("coder"));
    assert_eq!(child.ts, Some(T0 + 1));
    assert_eq!(child.action, Action::Span { end: None });
    assert_eq!(
        Otlp.summarize(root),
        "span root (1.50s) [svc] ok",
        "summary of event 0"
    );
    assert_eq!(Otlp.summarize(child), "span child [svc] agent=coder");
}

#[test]
fn error_spans_say_why_from_the_status_then_the_exception_then_the_name() {
    let span = |status: &str, events: &str| {
        format!(
            r#"{{"traceId": "T", "spanId": "S", "name": "fetch", "startTimeUnixNano": "{T0}", "status": {status}, "events": {events}}}"#
        )
    };
    let exc = format!(
        r#"[{{"name": "log", "attributes": []}}, {{"name": "exception", "attributes": [{}]}}]"#,
        s("exception.message", "connection reset")
    );
    let rec = traces(
        "svc",
        &[
            span(r#"{"code": 2, "message": "upstream 503"}"#, &exc),
            span(r#"{"code": "STATUS_CODE_ERROR", "message": ""}"#, &exc),
            span(r#"{"code": 2}"#, "[]"),
            span(r#"{"code": 1, "message": "fine"}"#, &exc),
            span(r#"{"code": "2"}"#, r#""not a list""#),
        ],
    );
    let evs = events(&rec);
    let got: Vec<(Option<Severity>, Option<&str>, Option<&str>)> = evs
        .iter()
        .map(|e| (e.severity, e.category.as_deref(), e.message.as_deref()))
        .collect();
    let err = |m| (Some(Severity::Error), Some("span_error"), Some(m));
    assert_eq!(
        got,
        [
            err("upstream 503"),
            err("connection reset"),
            err("fetch"),
            (None, None, None),
            err("fetch"),
        ]
    );
    assert_eq!(
        Otlp.summarize(&evs[0]),
        "span fetch [svc] error: upstream 503"
    );
}

#[test]
fn gen_ai_spans_add_usage_and_agent_events() {
    let rec = traces(
        "svc",
        &[format!(
            r#"{{"traceId": "T", "spanId": "S", "parentSpanId": "P", "name": "invoke_agent researcher", "startTimeUnixNano": "{T0}", "attributes": [{}, {}, {}, {}, {}, {}, {}, {}, {}]}}"#,
            s("gen_ai.operation.name", "invoke_agent"),
            s("gen_ai.agent.name", "researcher"),
            s("gen_ai.agent.id", "agent-7"),
            s("gen_ai.request.model", "asked"),
            s("gen_ai.response.model", "answered"),
            i("gen_ai.usage.input_tokens", 1000),
            i("gen_ai.usage.output_tokens", 40),
            i("gen_ai.usage.cache_read.input_tokens", 600),
            i("gen_ai.usage.cache_creation_input_tokens", 100),
        )],
    );
    let evs = events(&rec);
    assert_eq!(evs.len(), 3);
    assert!(matches!(evs[0].action, Action::Span { .. }));
    let usage = &evs[1];
    assert_eq!(usage.kind, "usage");
    assert_eq!(
        usage.action,
        Action::Usage {
            model: Some("answered".into()),
            tokens: Tokens {
                input: 300,
                output: 40,
                cache_read: 600,
                cache_write_5m: 100,
                ..Tokens::default()
            },
            cost_usd: None,
            key: Some("T:S".into()),
        }
    );
    // An agent span's usage is its agent's, named by id as its agent event.
    assert_eq!(
        (usage.ts, usage.session.as_deref(), usage.agent.as_deref()),
        (Some(T0), Some("T"), Some("agent-7"))
    );
    assert_eq!(evs[0].agent.as_deref(), Some("agent-7"));
    let agent = &evs[2];
    assert_eq!(agent.kind, "agent");
    assert_eq!(
        agent.action,
        Action::AgentSpawned {
            kind: AgentKind::Worker,
            parent: None,
            role: Some("researcher".into()),
            via: Some("S".into()),
        }
    );
    assert_eq!(agent.agent.as_deref(), Some("agent-7"));
    assert_eq!(agent.parent_id.as_deref(), Some("P"));
    assert_eq!(
        Otlp.summarize(usage),
        "usage invoke_agent researcher model=answered tokens in=300 out=40 cache_read=600 cache_write=100"
    );
    assert_eq!(
        Otlp.summarize(agent),
        "agent agent-7 (invoke_agent, researcher)"
    );
    // Deprecated token names, no model, no ids: usage without a key; `chat` spawns nobody.
    let rec = traces(
        "svc",
        &[format!(
            r#"{{"name": "chat", "attributes": [{}, {}]}}"#,
            s("gen_ai.operation.name", "chat"),
            i("gen_ai.usage.prompt_tokens", 7)
        )],
    );
    let evs = events(&rec);
    assert_eq!(evs.len(), 2);
    assert!(matches!(
        &evs[1].action,
        Action::Usage { model: None, tokens, key: None, .. } if tokens.input == 7 && tokens.output == 0
    ));
}

#[test]
fn claude_code_log_events_map_to_their_meanings() {
    let common = |ev: &str| [s("event.name", ev), s("session.id", "sess-1")];
    let rec = logs(
        "claude-code",
        &[
            log_record(
                T0,
                "claude_code.user_prompt",
                &[common("user_prompt").join(","), s("prompt_length", "42")],
            ),
            log_record(
                T0 + 1,
                "claude_code.api_request",
                &[
                    common("api_request").join(","),
                    s("model", "claude-opus-4-5"),
                    s("input_tokens", "12"),
                    s("output_tokens", "480"),
                    s("cache_read_tokens", "18000"),
                    i("cache_creation_tokens", 2400),
                    s("cost_usd", "0.0512"),
                ],
            ),
            log_record(
                T0 + 2,
                "claude_code.tool_decision",
                &[
                    common("tool_decision").join(","),
                    s("tool_name", "Bash"),
                    s("decision", "reject"),
                ],
            ),
            log_record(
                T0 + 3,
                "claude_code.tool_result",
                &[
                    common("tool_result").join(","),
                    s("tool_name", "Bash"),
                    s("success", "true"),
                    s("tool_use_id", "toolu_1"),
                ],
            ),
            log_record(
                T0 + 4,
                "claude_code.tool_result",
                &[
                    common("tool_result").join(","),
                    s("tool_name", "Edit"),
                    s("success", "false"),
                    s("error", "no match"),
                ],
            ),
            log_record(
                T0 + 5,
                "claude_code.api_error",
                &[
                    common("api_error").join(","),
                    s("error", "Overloaded"),
                    s("status_code", "529"),
                ],
            ),
            log_record(
                T0 + 6,
                "claude_code.tool_result",
                &[
                    s("tool_name", "Read"),
                    r#"{"key": "success", "value": {"boolValue": false}}"#.into(),
                ],
            ),
        ],
    );
    let evs = events(&rec);
    let status: Vec<&str> = evs.iter().map(|e| e.status.as_ref()).collect();
    assert_eq!(
        status,
        [
            "user_prompt",
            "api_request",
            "tool_decision",
            "tool_result",
            "tool_result",
            "api_error",
            "tool_result"
        ]
    );
    assert!(evs
        .iter()
        .all(|e| e.kind == "log" && e.agent.as_deref() == Some("claude-code")));
    assert_eq!(evs[0].action, Action::Prompt);
    assert_eq!(evs[0].session.as_deref(), Some("sess-1"));
    assert_eq!(
        evs[1].action,
        Action::Usage {
            model: Some("claude-opus-4-5".into()),
            tokens: Tokens {
                input: 12,
                output: 480,
                cache_read: 18000,
                cache_write_5m: 2400,
                ..Tokens::default()
            },
            cost_usd: Some(0.0512),
            key: None,
        }
    );
    assert_eq!(evs[2].action, Action::Other);
    assert_eq!(
        evs[3].action,
        Action::ToolEnded {
            tool: Some("Bash".into()),
            error: false,
            input: None,
            output: None,
        }
    );
    assert_eq!(evs[3].id.as_deref(), Some("toolu_1"));
    assert_eq!(evs[3].severity, None);
    assert_eq!(
        (
            evs[4].severity,
            evs[4].category.as_deref(),
            evs[4].message.as_deref()
        ),
        (Some(Severity::Error), Some("tool_error"), Some("no match"))
    );
    assert_eq!(
        (
            evs[5].severity,
            evs[5].category.as_deref(),
            evs[5].message.as_deref()
        ),
        (
            Some(Severity::Error),
            Some("api_error"),
            Some("Overloaded (status 529)")
        )
    );
    assert_eq!(evs[5].action, Action::Other);
    // No event.name: the body names it; a boolean `false` is a failure too.
    assert!(matches!(
        evs[6].action,
        Action::ToolEnded { error: true, .. }
    ));
    assert_eq!(evs[6].message, None);
    let said: Vec<String> = evs.iter().map(|e| Otlp.summarize(e)).collect();
    assert_eq!(said[0], "user_prompt (42 chars)");
    assert_eq!(
        said[1],
        "api_request model=claude-opus-4-5 tokens in=12 out=480 cache_read=18000 cache_write=2400 $0.0512"
    );
    assert_eq!(said[2], "tool_decision Bash reject");
    assert_eq!(said[4], "tool_result Edit failed: no match");
    assert_eq!(said[5], "api_error: Overloaded (status 529)");
}

#[test]
fn the_event_name_comes_from_the_attribute_the_field_or_a_one_word_body() {
    let rec = logs(
        "svc",
        &[
            format!(
                r#"{{"timeUnixNano": "{T0}", "eventName": "claude_code.user_prompt", "body": {{"kvlistValue": {{}}}}}}"#
            ),
            format!(
                r#"{{"timeUnixNano": "{T0}", "body": {{"stringValue": "api_request"}}, "attributes": [{}]}}"#,
                i("input_tokens", 5)
            ),
            format!(
                r#"{{"timeUnixNano": "{T0}", "severityText": "INFO", "body": {{"stringValue": "a plain message"}}}}"#
            ),
            format!(
                r#"{{"observedTimeUnixNano": "{T0}", "body": {{"stringValue": "x"}}, "attributes": [{}], "traceId": "abc"}}"#,
                s("event.name", "claude_code.custom_thing")
            ),
        ],
    );
    let evs = events(&rec);
    let status: Vec<&str> = evs.iter().map(|e| e.status.as_ref()).collect();
    assert_eq!(
        status,
        ["user_prompt", "api_request", "INFO", "custom_thing"]
    );
    assert_eq!(evs[0].action, Action::Prompt);
    assert!(
        matches!(&evs[1].action, Action::Usage { tokens, cost_usd: None, .. } if tokens.input == 5)
    );
    assert_eq!(evs[2].action, Action::Other);
    assert_eq!(Otlp.summarize(&evs[2]), "INFO: a plain message");
    // observedTimeUnixNano when timeUnixNano is absent; traceId when session.id is.
    assert_eq!(evs[3].ts, Some(T0));
    assert_eq!(evs[3].session.as_deref(), Some("abc"));
}

#[test]
fn log_severity_comes_from_the_number_or_the_text() {
    let rec = logs(
        "svc",
        &[
            r#"{"severityNumber": 9, "body": {"stringValue": "info"}}"#.to_string(),
            r#"{"severityNumber": 13, "body": {"stringValue": "warn"}}"#.to_string(),
            r#"{"severityNumber": 16, "body": {"stringValue": "warn4"}}"#.to_string(),
            r#"{"severityNumber": "SEVERITY_NUMBER_ERROR", "body": {"stringValue": "err"}}"#.to_string(),
            r#"{"severityNumber": 20, "body": {"stringValue": "err4"}}"#.to_string(),
            r#"{"severityNumber": 21, "body": {"stringValue": "fatal"}}"#.to_string(),
            r#"{"severityText": "ERROR", "body": {"stringValue": "by text"}}"#.to_string(),
            r#"{"severityText": "fatal", "body": {"kvlistValue": {"values": []}}}"#.to_string(),
            r#"{"severityText": "Information"}"#.to_string(),
            r#"{"severityNumber": 12, "severityText": "ERROR", "attributes": [{"key": "exception.type", "value": {"stringValue": "E"}}]}"#.to_string(),
        ],
    );
    let evs = events(&rec);
    let sev: Vec<Option<Severity>> = evs.iter().map(|e| e.severity).collect();
    use Severity::*;
    assert_eq!(
        sev,
        [
            None,
            Some(Warning),
            Some(Warning),
            Some(Error),
            Some(Error),
            Some(Critical),
            Some(Error),
            Some(Critical),
            None,
            Some(Error)
        ]
    );
    assert_eq!(evs[3].message.as_deref(), Some("err"));
    assert_eq!(evs[3].category.as_deref(), Some("log"));
    // No body text: the message falls back to the event name, which is absent here.
    assert_eq!(evs[7].message, None);
    assert_eq!(evs[9].category.as_deref(), Some("E"));
    assert!(evs.iter().all(|e| e.ts.is_none()));
}

#[test]
fn data_points_are_other_events_and_token_metrics_are_not_usage() {
    let rec = format!(
        r#"{{"resourceMetrics": [{{"resource": {{"attributes": [{svc}]}}, "scopeMetrics": [{{"metrics": [
            {{"name": "claude_code.token.usage", "sum": {{"dataPoints": [
                {{"timeUnixNano": "{T0}", "asDouble": 42, "attributes": [{sess}, {ty}]}},
                {{"timeUnixNano": "{T0}", "asInt": "7"}}]}}}},
            {{"gauge": {{"dataPoints": [{{"timeUnixNano": "{T0}", "asInt": 3}}]}}, "name": "late.name"}},
            {{"name": "h", "histogram": {{"dataPoints": [{{"timeUnixNano": "{T0}", "count": "3", "sum": 12.5}}]}}}},
            {{"name": "no points"}}
        ]}}]}}]}}"#,
        svc = s("service.name", "claude-code"),
        sess = s("session.id", "sess-1"),
        ty = s("type", "input"),
    );
    let evs = events(&rec);
    assert_eq!(evs.len(), 4);
    assert!(evs
        .iter()
        .all(|e| e.kind == "metric" && e.action == Action::Other && e.ts == Some(T0)));
    let names: Vec<&str> = evs.iter().map(|e| e.status.as_ref()).collect();
    assert_eq!(
        names,
        [
            "claude_code.token.usage",
            "claude_code.token.usage",
            "late.name",
            "h"
        ]
    );
    assert_eq!(evs[0].session.as_deref(), Some("sess-1"));
    assert_eq!(evs[0].agent.as_deref(), Some("claude-code"));
    let said: Vec<String> = evs.iter().map(|e| Otlp.summarize(e)).collect();
    assert_eq!(
        said,
        [
            "metric claude_code.token.usage = 42 type=input",
            "metric claude_code.token.usage = 7",
            "metric late.name = 3",
            "metric h count=3 sum=12.5"
        ]
    );
}

#[test]
fn resource_attributes_apply_even_when_written_after_the_scopes() {
    let rec = format!(
        r#"{{"resourceSpans": [
            {{"scopeSpans": [{{"spans": [{{"name": "a", "spanId": "1"}}]}}], "resource": {{"attributes": [{}]}}}},
            {{"scopeSpans": [{{"spans": [{{"name": "b"}}]}}]}},
            {{"instrumentationLibrarySpans": [{{"spans": [{{"name": "c"}}]}}], "resource": {{"attributes": {{"service.name": "old"}}}}}}
        ]}}"#,
        s("service.name", "late")
    );
    let evs = events(&rec);
    let got: Vec<(&str, Option<&str>)> = evs
        .iter()
        .map(|e| (e.status.as_ref(), e.agent.as_deref()))
        .collect();
    assert_eq!(got, [("a", Some("late")), ("b", None), ("c", Some("old"))]);
    assert_eq!(Otlp.summarize(&evs[0]), "span a [late]");
}

#[test]
fn snake_case_keys_read_like_camel_case() {
    let rec = format!(
        r#"{{"resource_logs": [{{"resource": {{"attributes": [{}]}}, "scope_logs": [{{"log_records": [
            {{"time_unix_nano": "{T0}", "severity_number": 17, "body": {{"string_value": "boom"}}, "trace_id": "T"}}]}}]}}]}}"#,
        s("service.name", "svc")
    );
    let evs = events(&rec);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].ts, Some(T0));
    assert_eq!(evs[0].severity, Some(Severity::Error));
    assert_eq!(evs[0].message.as_deref(), Some("boom"));
    assert_eq!(evs[0].session.as_deref(), Some("T"));
}

#[test]
fn a_request_with_no_items_is_one_untimed_event() {
    for rec in [
        r#"{"resourceSpans": []}"#,
        r#"{"resourceLogs": [{"scopeLogs": [{"logRecords": []}]}]}"#,
        r#"{"partialSuccess": {}}"#,
        r#"{"resourceSpans": "nonsense", "resourceMetrics": [1, "x", null]}"#,
    ] {
        let evs = events(rec);
        assert_eq!(evs.len(), 1, "{rec}");
        assert_eq!((evs[0].kind.as_ref(), evs[0].ts), ("otlp", None));
        assert_eq!(evs[0].action, Action::Other);
        assert!(!Otlp.summarize(&evs[0]).is_empty());
    }
}

#[test]
fn wrong_types_are_read_as_absent_not_refused() {
    let rec = r#"{"resourceSpans": [{"resource": null, "scopeSpans": [{"spans": [
        {"name": 5, "traceId": null, "spanId": ["x"], "startTimeUnixNano": "99999999999999999999",
         "endTimeUnixNano": {"n": 1}, "attributes": 7, "status": "bad", "events": {}},
        "not a span", 3, null,
        {"name": "ok", "startTimeUnixNano": -1}
    ]}, "not a scope"]}, 42]}"#;
    let evs = events(rec);
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0].status, "5");
    assert_eq!((evs[0].ts, evs[0].id.as_deref()), (None, None));
    assert_eq!(evs[0].action, Action::Span { end: None });
    assert_eq!((evs[1].status.as_ref(), evs[1].ts), ("ok", None));
}

#[test]
fn bad_records_are_refused_with_no_events() {
    for rec in [
        "not json",
        "[1, 2]",
        r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "a"}]}]}, oops]}"#,
        r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "a"}"#,
    ] {
        let mut n = 0;
        let res = Otlp.parse(rec.as_bytes(), Loc::default(), &Ctx::default(), &mut |_| {
            n += 1
        });
        assert!(res.is_err(), "{rec}");
        assert_eq!(n, 0, "{rec}: events before the error were given");
    }
}

#[test]
fn duplicate_keys_and_invalid_utf8_are_read_as_json_readers_do() {
    let rec = br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "first", "name": "last", "spanId": "S"}, {"name": "b"}]}]}]}"#;
    let mut evs = Vec::new();
    Otlp.parse(rec, Loc::default(), &Ctx::default(), &mut |ev| evs.push(ev))
        .unwrap();
    let names: Vec<&str> = evs.iter().map(|e| e.status.as_ref()).collect();
    assert_eq!(names, ["last", "b"]);
    assert!(evs.iter().all(|e| e.record == rec && e.raw == rec));
    let mut ev = evs.remove(1);
    ev.loc.sub = 1;
    assert_eq!(Otlp.summarize(&ev), "span b");

    let rec = b"{\"resourceLogs\": [{\"scopeLogs\": [{\"logRecords\": [{\"severityNumber\": 17, \"body\": {\"stringValue\": \"bad \xff byte\"}}]}]}]}";
    let mut evs = Vec::new();
    Otlp.parse(rec, Loc::default(), &Ctx::default(), &mut |ev| evs.push(ev))
        .unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].message.as_deref(), Some("bad \u{fffd} byte"));
}

#[test]
fn reparse_finds_every_event_by_its_number() {
    let rec = std::fs::read("fixtures/otlp/traces.jsonl").expect("fixture");
    let line = rec.split(|b| *b == b'\n').next().unwrap();
    let all = {
        let mut v = Vec::new();
        Otlp.parse(line, Loc::default(), &Ctx::default(), &mut |ev| v.push(ev))
            .unwrap();
        v
    };
    assert!(all.len() > 3);
    for (n, ev) in all.iter().enumerate() {
        let loc = Loc {
            sub: n as u32,
            ..Loc::default()
        };
        let again = reparse(Format::Otlp, line, loc, &Ctx::default()).expect("reparsed");
        assert_eq!(
            (&again.kind, &again.status, &again.action, again.ts),
            (&ev.kind, &ev.status, &ev.action, ev.ts)
        );
    }
}

#[derive(Default)]
struct Collect {
    events: Vec<(u32, u32, String)>,
    bad: Vec<Bad>,
}

impl Sink for Collect {
    fn event(&mut self, ev: &Event<'_>) {
        self.events
            .push((ev.loc.line_in_chunk, ev.loc.sub, ev.status.to_string()));
    }
    fn bad(&mut self, bad: Bad) {
        self.bad.push(bad);
    }
}

#[test]
fn framing_reads_lines_pretty_documents_and_arrays_numbering_events() {
    let line = traces(
        "svc",
        &[r#"{"name": "a"}"#.into(), r#"{"name": "b"}"#.into()],
    );
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&logs(
            "svc",
            &[log_record(T0, "claude_code.tool_decision", &[])],
        ))
        .unwrap(),
    )
    .unwrap();
    let buf = format!("{line}\n{{\"resourceSpans\": [oops]}}\n{pretty}\n[{line}]\n");
    let mut c = Collect::default();
    crate::format::parse_chunk(
        &Chunk {
            input: 0,
            index: 0,
            base: 0,
            bytes: buf.as_bytes(),
            format: Format::Otlp,
            ctx: Ctx::default(),
            at_eof: true,
        },
        None,
        false,
        &mut c,
    );
    assert_eq!(c.bad.len(), 1, "{:?}", c.bad);
    assert_eq!(c.bad[0].loc.line_in_chunk, 1);
    let last = 2 + pretty.lines().count() as u32;
    assert_eq!(
        c.events,
        [
            (0, 0, "a".into()),
            (0, 1, "b".into()),
            (2, 0, "tool_decision".into()),
            (last, 0, "a".into()),
            (last, 1, "b".into())
        ]
    );
    assert_eq!(reader(Format::Otlp).framing(), Framing::Objects);
}
