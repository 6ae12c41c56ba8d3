//! Unit tests: sniff on positive and negative heads, and each line kind to its events.

use super::*;
use crate::format::{Bad, Chunk, Sink};
use crate::model::{Action, AgentKind, Severity, Tokens};

fn events(line: &'static str) -> Vec<Event<'static>> {
    events_at(line, 100)
}

fn events_at(line: &'static str, offset: u64) -> Vec<Event<'static>> {
    let mut v = Vec::new();
    let loc = Loc {
        offset,
        ..Loc::default()
    };
    parse_line(line.as_bytes(), loc, &mut |ev| v.push(ev)).expect("the line reads");
    assert!(!v.is_empty(), "every line yields an event: {line}");
    for ev in &v {
        assert_eq!(ev.format, Format::Transcript);
        assert_eq!(ev.raw, line.as_bytes());
        assert_eq!(ev.record, line.as_bytes());
    }
    v
}

fn one(line: &'static str) -> Event<'static> {
    let mut v = events(line);
    assert_eq!(v.len(), 1, "{v:#?}");
    v.remove(0)
}

// ---------------------------------------------------------------------------
// sniff

#[test]
fn sniff_recognises_every_first_record() {
    let heads: [&[u8]; 9] = [
        br#"{"type":"file-history-snapshot","messageId":"m1","snapshot":{"messageId":"m1","trackedFileBackups":{}},"isSnapshotUpdate":false}"#,
        br#"{"type":"summary","summary":"Fix the build","leafUuid":"u1"}"#,
        br#"{"parentUuid":null,"isSidechain":false,"type":"user","message":{"role":"user","content":"hi"},"uuid":"u1","sessionId":"s1"}"#,
        br#"{"type":"queue-operation","operation":"enqueue","timestamp":"2026-01-01T00:00:00Z","sessionId":"s1"}"#,
        // Pretty-printed array, `": "` spacing (a saved chat).
        b"[\n  {\n    \"type\": \"summary\",\n    \"summary\": \"x\",\n    \"leafUuid\": \"u\"\n  }\n]",
        // An assistant first line whose `type` comes after a message too long for the head.
        br#"{"parentUuid":"p","isSidechain":true,"userType":"external","cwd":"/w","sessionId":"s1","version":"2.1.39","agentId":"a1","message":{"content":[{"type":"text","text":"...."#,
        br#"{"type":"progress","data":{"type":"hook_progress"},"uuid":"u2","timestamp":"2026-01-01T00:00:00Z"}"#,
        br#"{"type" : "assistant" , "uuid" : "u3"}"#,
        br#"{"type":"custom-title","customTitle":"t","sessionId":"s"}"#,
    ];
    for h in heads {
        assert!(sniff(h), "{}", String::from_utf8_lossy(h));
    }
}

#[test]
fn sniff_refuses_other_formats() {
    let heads: [&[u8]; 10] = [
        // Claude Code hook payloads (a dump of a hook's stdin).
        br#"[{"session_id":"s","transcript_path":"/p/s.jsonl","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t"}]"#,
        br#"{"hook_event_name":"Stop","session_id":"s","uuid":"u","type":"user"}"#,
        // OTLP.
        br#"{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"traceId":"ab","name":"x"}]}]}]}"#,
        // Team config, mailbox, task file.
        br#"{"name":"t","leadAgentId":"team-lead@t","leadSessionId":"s","members":[{"agentId":"a@t","agentType":"x"}]}"#,
        br#"[{"from":"team-lead","text":"{\"type\":\"task_assignment\",\"taskId\":\"1\"}","timestamp":"2026-01-01T00:00:00Z","read":false}]"#,
        br#"{"id":"1","subject":"s","status":"pending","owner":"a","blocks":[],"blockedBy":[]}"#,
        // Time machine.
        br#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "agent_message", "data": {"message_id": "m1"}}"#,
        br#"{"timestamp": "2026-02-09T11:41:02", "traces_count": 1, "agent_messages_count": 3}"#,
        // A JSON object with a `type` but no transcript envelope, and a pipe log.
        br#"{"type":"user","name":"x"}"#,
        b"2026-02-13T14:30:00Z | lifecycle | a | started | {}",
    ];
    for h in heads {
        assert!(!sniff(h), "{}", String::from_utf8_lossy(h));
    }
    // A value that merely mentions the keys inside a string is not a key.
    assert!(!sniff(
        br#"{"note":"\"type\":\"user\",\"sessionId\":\"s\""}"#
    ));
}

#[test]
fn sniff_order_finds_transcripts_before_hooks() {
    let line = br#"{"parentUuid":null,"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":"tool_name"}]},"uuid":"u","sessionId":"s"}"#;
    assert_eq!(crate::format::sniff(line), Some(Format::Transcript));
}

// ---------------------------------------------------------------------------
// assistant

#[test]
fn assistant_usage_and_tool_calls() {
    let v = events(
        r#"{"parentUuid":"p0","isSidechain":false,"sessionId":"s1","type":"assistant","requestId":"req_1","uuid":"u1","timestamp":"2026-02-12T16:02:48.183Z","message":{"id":"msg_1","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"toolu_a","name":"Bash","input":{"command":"cargo test","description":"run tests"}},{"type":"tool_use","id":"toolu_b","name":"Read","input":{"file_path":"/w/src/lib.rs"}},{"type":"tool_use","id":"toolu_c","name":"mcp__x__y","input":{"q":1}}],"usage":{"input_tokens":3,"output_tokens":250,"cache_read_input_tokens":1000,"cache_creation_input_tokens":700,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":500}}}}"#,
    );
    assert_eq!(v.len(), 4);
    assert_eq!(
        v[0].action,
        Action::Usage {
            model: Some("claude-opus-4-6".into()),
            tokens: Tokens {
                input: 3,
                output: 250,
                cache_read: 1000,
                cache_write_5m: 200,
                cache_write_1h: 500,
                other: 0
            },
            cost_usd: None,
            key: Some("msg_1:req_1".into()),
        }
    );
    assert_eq!(v[0].status, "tool_use");
    assert_eq!(v[0].id.as_deref(), Some("u1"));
    assert_eq!(
        no_io(&v[1].action),
        Action::ToolStarted {
            tool: "Bash".into(),
            subject: Some("cargo test".into()),
            input: None,
        }
    );
    assert_eq!(v[1].id.as_deref(), Some("toolu_a"));
    assert_eq!(v[1].status, "tool_use");
    assert_eq!(
        no_io(&v[2].action),
        Action::ToolStarted {
            tool: "Read".into(),
            subject: Some("/w/src/lib.rs".into()),
            input: None,
        }
    );
    assert_eq!(
        no_io(&v[3].action),
        Action::ToolStarted {
            tool: "mcp__x__y".into(),
            subject: None,
            input: None,
        }
    );
    for ev in &v {
        assert_eq!(ev.kind, "assistant");
        assert_eq!(ev.session.as_deref(), Some("s1"));
        assert_eq!(ev.agent, None);
        assert_eq!(ev.parent_id.as_deref(), Some("p0"));
        assert_eq!(ev.ts, Some(1_770_912_168_183_000_000));
        assert_eq!(ev.severity, None);
    }
}

#[test]
fn subjects_of_each_tool() {
    let cases = [
        ("Write", r#"{"file_path":"/a","content":"x"}"#, Some("/a")),
        ("Edit", r#"{"file_path":"/b","old_string":"x"}"#, Some("/b")),
        ("MultiEdit", r#"{"file_path":"/c","edits":[]}"#, Some("/c")),
        (
            "NotebookEdit",
            r#"{"notebook_path":"/n.ipynb"}"#,
            Some("/n.ipynb"),
        ),
        ("Glob", r#"{"pattern":"**/*.rs"}"#, Some("**/*.rs")),
        (
            "Grep",
            r#"{"pattern":"fn main","path":"/w"}"#,
            Some("fn main"),
        ),
        (
            "WebFetch",
            r#"{"url":"https://example.test/"}"#,
            Some("https://example.test/"),
        ),
        ("WebSearch", r#"{"query":"rust serde"}"#, Some("rust serde")),
        (
            "Task",
            r#"{"subagent_type":"Explore","prompt":"p"}"#,
            Some("Explore"),
        ),
        ("Agent", r#"{"subagent_type":"Plan"}"#, Some("Plan")),
        ("TodoWrite", r#"{"todos":[]}"#, None),
        ("Bash", r#"{"command":{"not":"a string"}}"#, None),
    ];
    for (tool, input, want) in cases {
        let line = format!(
            r#"{{"type":"assistant","uuid":"u","message":{{"content":[{{"type":"tool_use","id":"t1","name":"{tool}","input":{input}}}]}}}}"#
        );
        let line: &'static str = Box::leak(line.into_boxed_str());
        let ev = one(line);
        assert_eq!(
            no_io(&ev.action),
            Action::ToolStarted {
                tool: tool.into(),
                subject: want.map(Into::into),
                input: None,
            },
            "{tool}"
        );
    }
}

#[test]
fn usage_without_split_or_request_id() {
    let ev = one(
        r#"{"type":"assistant","message":{"id":"msg_2","model":"claude-haiku-4-5","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":10,"output_tokens":"20","cache_creation_input_tokens":30}}}"#,
    );
    let Action::Usage { tokens, key, .. } = &ev.action else {
        panic!("usage: {ev:?}");
    };
    assert_eq!(key.as_deref(), Some("msg_2"));
    assert_eq!(
        (tokens.output, tokens.cache_write_5m, tokens.cache_write_1h),
        (20, 30, 0)
    );
    assert_eq!(ev.status, "text");
    let ev = one(r#"{"type":"assistant","message":{"usage":{"output_tokens":1}}}"#);
    assert!(
        matches!(ev.action, Action::Usage { key: None, .. }),
        "{ev:?}"
    );
    // `usage` of the wrong type: no usage, one Other.
    let ev = one(r#"{"type":"assistant","message":{"usage":"n/a","content":[]}}"#);
    assert_eq!((ev.action, &*ev.status), (Action::Other, ""));
}

#[test]
fn api_error_lines_are_errors_of_their_own() {
    let v = events(
        r#"{"type":"assistant","uuid":"u","isApiErrorMessage":true,"apiErrorStatus":429,"error":"rate_limit","message":{"id":"m","model":"<synthetic>","content":[{"type":"text","text":"API Error: Claude usage limit reached"}],"usage":{"input_tokens":0,"output_tokens":0}}}"#,
    );
    assert_eq!(v.len(), 2);
    assert!(
        matches!(&v[0].action, Action::Usage { model: Some(m), .. } if m == "<synthetic>"),
        "{:?}",
        v[0]
    );
    assert_eq!(v[0].severity, None);
    assert_eq!(v[1].action, Action::Other);
    assert_eq!(v[1].status, "api_error");
    assert_eq!(v[1].severity, Some(Severity::Error));
    assert_eq!(v[1].category.as_deref(), Some("api_error"));
    assert_eq!(
        v[1].message.as_deref(),
        Some("API Error: Claude usage limit reached")
    );
    // An `error` field alone, no text: the error's text.
    let ev =
        one(r#"{"type":"assistant","error":"authentication_failed","message":{"content":[]}}"#);
    assert_eq!(ev.status, "api_error");
    assert_eq!(ev.message.as_deref(), Some("authentication_failed"));
    // `"error": null` is no error.
    let ev = one(
        r#"{"type":"assistant","error":null,"message":{"content":[{"type":"thinking","thinking":"hmm"}]}}"#,
    );
    assert_eq!((ev.severity, &*ev.status), (None, "thinking"));
}

// ---------------------------------------------------------------------------
// user

#[test]
fn user_prompts_and_what_is_not_one() {
    let ev = one(
        r#"{"type":"user","uuid":"u","sessionId":"s","message":{"role":"user","content":"Fix the failing test\nplease"}}"#,
    );
    assert_eq!((ev.action, &*ev.status), (Action::Prompt, "prompt"));
    let cases = [
        (
            r#"{"type":"user","isMeta":true,"message":{"content":"<system-reminder>x</system-reminder>"}}"#,
            "meta",
        ),
        (
            r#"{"type":"user","isCompactSummary":true,"message":{"content":"This session is being continued"}}"#,
            "compact_summary",
        ),
        (
            r#"{"type":"user","message":{"content":"<command-name>/mcp</command-name>\n<command-message>mcp</command-message>"}}"#,
            "command-name",
        ),
        (
            r#"{"type":"user","message":{"content":"<command-message>x</command-message>\n<command-name>/x</command-name>"}}"#,
            "command-message",
        ),
        (
            r#"{"type":"user","message":{"content":"<local-command-stdout>Reconnected.</local-command-stdout>"}}"#,
            "local-command-stdout",
        ),
        (
            r#"{"type":"user","message":{"content":"<task-notification>\n<task-id>b76</task-id>\n<status>completed</status>\n<summary>Background command \"tests\" completed (exit code 0)</summary>\n</task-notification>"}}"#,
            "task-notification",
        ),
        (
            r#"{"type":"user","message":{"content":[{"type":"text","text":"[Request interrupted by user]"}]}}"#,
            "text",
        ),
        (r#"{"type":"user","message":{"content":[]}}"#, ""),
        (r#"{"type":"user","message":"not an object"}"#, ""),
    ];
    for (line, status) in cases {
        let ev = one(line);
        assert_eq!(
            (&ev.action, &*ev.status),
            (&Action::Other, status),
            "{line}"
        );
    }
}

#[test]
fn tool_results_and_their_errors() {
    let long: String = "é".repeat(400);
    let line = format!(
        r#"{{"type":"user","uuid":"u","agentId":"a1","message":{{"content":[{{"tool_use_id":"t1","type":"tool_result","content":"ok"}},{{"tool_use_id":"t2","type":"tool_result","content":"{long}","is_error":true}},{{"tool_use_id":"t3","type":"tool_result","content":[{{"type":"image"}},{{"type":"text","text":"Exit code 1\nfailed"}}],"is_error":true}}]}}}}"#
    );
    let line: &'static str = Box::leak(line.into_boxed_str());
    let v = events(line);
    assert_eq!(v.len(), 3);
    assert_eq!(
        no_io(&v[0].action),
        Action::ToolEnded {
            tool: None,
            error: false,
            input: None,
            output: None,
        }
    );
    assert_eq!((v[0].id.as_deref(), v[0].severity), (Some("t1"), None));
    assert_eq!(
        no_io(&v[1].action),
        Action::ToolEnded {
            tool: None,
            error: true,
            input: None,
            output: None,
        }
    );
    assert_eq!(v[1].severity, Some(Severity::Error));
    assert_eq!(v[1].category.as_deref(), Some("tool_error"));
    let m = v[1].message.as_deref().expect("message");
    assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS);
    assert!(long.starts_with(m));
    assert_eq!(v[2].message.as_deref(), Some("Exit code 1\nfailed"));
    for ev in &v {
        assert_eq!(ev.status, "tool_result");
        assert_eq!(ev.agent.as_deref(), Some("a1"));
    }
}

#[test]
fn clipping_keeps_short_messages_and_borrows() {
    use std::borrow::Cow;
    assert!(matches!(
        clip_message(Cow::Borrowed("short")),
        Cow::Borrowed("short")
    ));
    let s = "x".repeat(301);
    assert!(matches!(clip_message(Cow::Borrowed(&s)), Cow::Borrowed(c) if c.len() == 300));
    assert_eq!(
        clip_message(Cow::Owned("ü".repeat(301))).chars().count(),
        300
    );
}

#[test]
fn a_task_result_ends_its_agent() {
    let v = events(
        r#"{"type":"user","sessionId":"s","message":{"content":[{"tool_use_id":"toolu_t","type":"tool_result","content":[{"type":"text","text":"done"}]}]},"toolUseResult":{"status":"completed","agentId":"a2898e3","totalTokens":100,"content":[{"type":"text","text":"big"}]}}"#,
    );
    assert_eq!(v.len(), 2);
    assert_eq!(v[1].action, Action::AgentFinished { ok: true });
    assert_eq!(v[1].agent.as_deref(), Some("a2898e3"));
    assert_eq!(v[1].id.as_deref(), Some("toolu_t"));
    assert_eq!(v[1].status, "completed");
    let ev = &events(
        r#"{"type":"user","message":{"content":[{"tool_use_id":"t","type":"tool_result","content":"x"}]},"toolUseResult":{"agentId":"a9"}}"#,
    )[1];
    assert_eq!(ev.action, Action::AgentFinished { ok: true });
    let ev = &events(
        r#"{"type":"user","message":{"content":[{"tool_use_id":"t","type":"tool_result","content":"x"}]},"toolUseResult":{"agentId":"a9","status":"failed"}}"#,
    )[1];
    assert_eq!(ev.action, Action::AgentFinished { ok: false });
    // A background launch starts the agent; it ends with a notification later.
    let ev = &events(
        r#"{"type":"user","sessionId":"s","message":{"content":[{"tool_use_id":"toolu_bg","type":"tool_result","content":"launched"}]},"toolUseResult":{"isAsync":true,"status":"async_launched","agentId":"a7"}}"#,
    )[1];
    assert_eq!(
        ev.action,
        Action::AgentSpawned {
            kind: AgentKind::Background,
            parent: Some("s".into()),
            role: None,
            via: Some("toolu_bg".into())
        }
    );
    assert_eq!(ev.agent.as_deref(), Some("a7"));
    // A string toolUseResult names no agent.
    let v = events(
        r#"{"type":"user","message":{"content":[{"tool_use_id":"t","type":"tool_result","content":"Error: x","is_error":true}]},"toolUseResult":"Error: x"}"#,
    );
    assert_eq!(v.len(), 1);
}

#[test]
fn a_background_agent_notification_ends_it() {
    let ev = one(
        r#"{"type":"user","sessionId":"s","message":{"role":"user","content":"<task-notification>\n<task-id>a0aeebb</task-id>\n<tool-use-id>toolu_9</tool-use-id>\n<status>completed</status>\n<summary>Agent \"Research\" completed</summary>\n<result>report</result>\n</task-notification>"}}"#,
    );
    assert_eq!(ev.action, Action::AgentFinished { ok: true });
    assert_eq!(ev.agent.as_deref(), Some("a0aeebb"));
    assert_eq!(ev.id.as_deref(), Some("toolu_9"));
    assert_eq!(ev.status, "completed");
    let ev = one(
        r#"{"type":"user","message":{"content":[{"type":"text","text":"<task-notification>\n<task-id>a1</task-id>\n<status>failed</status>\n<summary>Agent \"x\" failed</summary>\n</task-notification>"}]}}"#,
    );
    assert_eq!(ev.action, Action::AgentFinished { ok: false });
    assert_eq!(ev.agent.as_deref(), Some("a1"));
    // No status: cannot be read, so Other.
    let ev = one(
        r#"{"type":"user","message":{"content":"<task-notification><task-id>a1</task-id><summary>Agent \"x\"</summary></task-notification>"}}"#,
    );
    assert_eq!(
        (ev.action, &*ev.status),
        (Action::Other, "task-notification")
    );
}

#[test]
fn a_subagents_first_message_spawns_it() {
    let v = events(
        r#"{"parentUuid":null,"isSidechain":true,"sessionId":"s1","agentId":"a2898e3","type":"user","message":{"role":"user","content":"Explore the repo"},"uuid":"u1"}"#,
    );
    assert_eq!(v.len(), 2);
    assert_eq!(
        v[0].action,
        Action::AgentSpawned {
            kind: AgentKind::Subagent,
            parent: Some("s1".into()),
            role: None,
            via: None
        }
    );
    assert_eq!(v[0].agent.as_deref(), Some("a2898e3"));
    assert_eq!(v[0].status, "");
    assert_eq!(v[1].action, Action::Prompt);
    // The compaction agent's first line has a parent in the main file: first in
    // its file is enough.
    let line = r#"{"parentUuid":"p9","isSidechain":true,"sessionId":"s1","agentId":"acompact-e1f845","type":"user","isMeta":true,"message":{"content":"<system-reminder>x</system-reminder>"},"uuid":"u2"}"#;
    let v = events_at(line, 0);
    assert_eq!(v.len(), 2);
    assert!(matches!(
        v[0].action,
        Action::AgentSpawned {
            kind: AgentKind::Compaction,
            ..
        }
    ));
    assert_eq!(events_at(line, 10).len(), 1, "not first: no spawn");
    // A main-conversation first line spawns nothing.
    let v = events_at(
        r#"{"parentUuid":null,"isSidechain":false,"sessionId":"s1","type":"user","message":{"content":"hi"}}"#,
        0,
    );
    assert_eq!(v.len(), 1);
}

// ---------------------------------------------------------------------------
// progress, system, the rest

#[test]
fn agent_progress_links_a_subagent_to_its_call() {
    let ev = one(
        r#"{"parentUuid":"p","isSidechain":false,"sessionId":"s1","type":"progress","data":{"message":{"type":"assistant","message":{"content":[{"type":"text","text":"nested"}]}},"type":"agent_progress","prompt":"x","agentId":"a881341"},"parentToolUseID":"toolu_task","toolUseID":"agent_msg_1","uuid":"u","timestamp":"2026-02-11T10:00:00.000Z"}"#,
    );
    assert_eq!(
        ev.action,
        Action::AgentSpawned {
            kind: AgentKind::Subagent,
            parent: Some("s1".into()),
            role: None,
            via: Some("toolu_task".into())
        }
    );
    assert_eq!(ev.agent.as_deref(), Some("a881341"));
    assert_eq!(ev.status, "agent_progress");
    // From inside a subagent: its parent is that agent.
    let ev = one(
        r#"{"type":"progress","agentId":"a1","sessionId":"s1","data":{"type":"agent_progress","agentId":"a2"},"parentToolUseID":"t"}"#,
    );
    assert!(matches!(&ev.action, Action::AgentSpawned { parent: Some(p), .. } if p == "a1"));
    assert_eq!(ev.agent.as_deref(), Some("a2"));
    let ev = one(
        r#"{"type":"progress","data":{"type":"hook_progress","hookEvent":"PostToolUse"},"parentToolUseID":"t"}"#,
    );
    assert_eq!((ev.action, &*ev.status), (Action::Other, "hook_progress"));
    let ev = one(r#"{"type":"progress","data":"x"}"#);
    assert_eq!((ev.action, &*ev.status), (Action::Other, ""));
}

#[test]
fn system_lines() {
    let ev = one(
        r#"{"parentUuid":null,"logicalParentUuid":"l","type":"system","subtype":"compact_boundary","content":"Conversation compacted","compactMetadata":{"trigger":"auto","preTokens":167349},"sessionId":"s"}"#,
    );
    assert_eq!(
        (ev.action, &*ev.status),
        (
            Action::Compaction {
                pre_tokens: Some(167_349)
            },
            "compact_boundary"
        )
    );
    let cases = [
        (
            r#"{"type":"system","subtype":"api_error","level":"error","retryAttempt":1,"maxRetries":10,"error":{"status":529,"message":"overloaded"}}"#,
            Some("529: overloaded"),
        ),
        (
            r#"{"type":"system","subtype":"api_error","error":{"status":503,"headers":{},"error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}}"#,
            Some("503: Overloaded"),
        ),
        (
            r#"{"type":"system","subtype":"api_error","error":{"cause":{"code":"FailedToOpenSocket","path":"https://api.anthropic.com"}}}"#,
            Some("FailedToOpenSocket"),
        ),
        (
            r#"{"type":"system","subtype":"api_error","content":"upstream timeout"}"#,
            Some("upstream timeout"),
        ),
        (
            r#"{"type":"system","subtype":"api_error","level":"error","retryAttempt":1}"#,
            None,
        ),
    ];
    for (line, msg) in cases {
        let ev = one(line);
        assert_eq!(ev.status, "api_error", "{line}");
        assert_eq!(ev.severity, Some(Severity::Error), "{line}");
        assert_eq!(ev.category.as_deref(), Some("api_error"));
        assert_eq!(ev.message.as_deref(), msg, "{line}");
    }
    let ev = one(r#"{"type":"system","subtype":"stop_hook_summary","hookCount":4}"#);
    assert_eq!(
        (ev.action, &*ev.status, ev.severity),
        (Action::Other, "stop_hook_summary", None)
    );
}

#[test]
fn every_other_type_is_one_other_event() {
    let cases = [
        (
            r#"{"type":"summary","summary":"s","leafUuid":"l"}"#,
            "summary",
            "",
        ),
        (
            r#"{"type":"file-history-snapshot","messageId":"m","snapshot":{"trackedFileBackups":{}},"isSnapshotUpdate":false}"#,
            "file-history-snapshot",
            "",
        ),
        (
            r#"{"type":"queue-operation","operation":"enqueue","content":"x","sessionId":"s","timestamp":"2026-02-12T20:22:45.174Z"}"#,
            "queue-operation",
            "enqueue",
        ),
        (
            r#"{"type":"attachment","attachment":{"type":"x"}}"#,
            "attachment",
            "",
        ),
        (r#"{"type":"brand-new-type","x":1}"#, "brand-new-type", ""),
        (r#"{"no_type":true}"#, "unknown", ""),
        (r#"{"type":{"odd":1}}"#, "unknown", ""),
    ];
    for (line, kind, status) in cases {
        let ev = one(line);
        assert_eq!(
            (&ev.action, &*ev.kind, &*ev.status),
            (&Action::Other, kind, status),
            "{line}"
        );
    }
    assert_eq!(one(cases[0].0).ts, None);
    assert!(one(cases[2].0).ts.is_some());
}

#[test]
fn odd_shapes_are_read_not_refused() {
    for line in [
        r#"{"type":"assistant","message":{"content":"a string","usage":{"input_tokens":"many"}}}"#,
        r#"{"type":"user","message":{"content":[1,"x",null,{"type":5}]},"toolUseResult":[1]}"#,
        r#"{"type":"user","timestamp":12345,"sessionId":7,"message":{"content":[{"type":"tool_result","is_error":"true","content":{"x":1}}]}}"#,
        r#"{"type":"progress","data":{"type":"agent_progress","agentId":null}}"#,
        r#"{"type":"system","subtype":"compact_boundary","compactMetadata":"x"}"#,
        r#"{"type":"system","subtype":"api_error","error":[1,2]}"#,
    ] {
        let v = events(line);
        assert!(v.iter().all(|e| e.ts.is_none()), "{line}");
    }
    let ev = one(r#"{"type":"user","timestamp":"yesterday","message":{"content":"hi"}}"#);
    assert_eq!((ev.ts, ev.action), (None, Action::Prompt));
    // A string is_error still counts; a session id given as a number reads as text.
    let ev = one(
        r#"{"type":"user","sessionId":7,"message":{"content":[{"type":"tool_result","tool_use_id":"t","is_error":"true","content":{"x":1}}]}}"#,
    );
    assert_eq!(
        (ev.severity, ev.message.as_deref()),
        (Some(Severity::Error), None)
    );
    assert_eq!(ev.session.as_deref(), Some("7"));
}

#[test]
fn duplicate_keys_and_bad_utf8_are_read() {
    let ev = one(r#"{"type":"system","type":"user","message":{"content":"hi"},"uuid":"u"}"#);
    assert_eq!((&*ev.kind, ev.action), ("user", Action::Prompt));
    let bytes: &'static [u8] = b"{\"type\":\"user\",\"message\":{\"content\":\"caf\xff\"}}";
    let mut v = Vec::new();
    parse_line(bytes, Loc::default(), &mut |e| v.push(e)).expect("read");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].action, Action::Prompt);
    assert_eq!(v[0].raw, bytes);
}

#[test]
fn unreadable_records_are_errors() {
    for bad in [
        &b"not json"[..],
        b"[1,2]",
        b"{\"type\": \"user\", ",
        b"{\"type\": \"user\"} trailing",
        b"{\"a\": tru}",
    ] {
        let mut n = 0;
        let r = parse_line(bad, Loc::default(), &mut |_| n += 1);
        assert!(r.is_err(), "{}", String::from_utf8_lossy(bad));
        assert_eq!(n, 0);
    }
}

// ---------------------------------------------------------------------------
// Through the framing

#[derive(Default)]
struct Collect {
    events: Vec<(u32, u32, String, String)>,
    bad: Vec<Bad>,
}

impl Sink for Collect {
    fn event(&mut self, ev: &Event<'_>) {
        self.events.push((
            ev.loc.line_in_chunk,
            ev.loc.sub,
            ev.kind.to_string(),
            ev.status.to_string(),
        ));
    }
    fn bad(&mut self, bad: Bad) {
        self.bad.push(bad);
    }
}

fn chunk(buf: &[u8]) -> Collect {
    let mut c = Collect::default();
    crate::format::parse_chunk(
        &Chunk {
            input: 0,
            index: 0,
            base: 0,
            bytes: buf,
            format: Format::Transcript,
            ctx: Ctx::default(),
            at_eof: true,
        },
        None,
        false,
        &mut c,
    );
    c
}

#[test]
fn lines_arrays_and_torn_tails_frame() {
    let jsonl = b"{\"type\":\"summary\",\"summary\":\"s\",\"leafUuid\":\"l\"}\n\n{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"Bash\",\"input\":{\"command\":\"ls\"}}],\"usage\":{\"output_tokens\":1}}}\n{\"type\":\"user\",\"message\":{\"content\":\"cut";
    let c = chunk(jsonl);
    assert_eq!(
        c.events,
        [
            (0, 0, "summary".into(), "".into()),
            (2, 0, "assistant".into(), "tool_use".into()),
            (2, 1, "assistant".into(), "tool_use".into()),
        ]
    );
    assert_eq!(c.bad.len(), 1);
    assert!(c.bad[0].torn, "{:?}", c.bad);
    let array = b"[\n  {\n    \"type\": \"summary\",\n    \"summary\": \"a\",\n    \"leafUuid\": \"l\"\n  },\n  {\n    \"type\": \"user\",\n    \"message\": {\n      \"role\": \"user\",\n      \"content\": \"hi\"\n    },\n    \"uuid\": \"u\"\n  }\n]\n";
    let c = chunk(array);
    assert!(c.bad.is_empty(), "{:?}", c.bad);
    assert_eq!(
        c.events,
        [
            (1, 0, "summary".into(), "".into()),
            (6, 0, "user".into(), "prompt".into()),
        ]
    );
}

#[test]
fn summaries_say_what_happened() {
    let t = Transcript;
    let s = |line: &'static str, i: usize| t.summarize(&events(line)[i]);
    assert_eq!(
        s(
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t","name":"Bash","input":{"command":"cargo test"}}]}}"#,
            0
        ),
        "Bash: cargo test"
    );
    assert_eq!(
        s(
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t","name":"Task","input":{"subagent_type":"Explore","description":"Find the parser"}}]}}"#,
            0
        ),
        "Task Explore: Find the parser"
    );
    assert!(s(
        r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","is_error":true,"content":"Exit code 1"}]}}"#,
        0
    )
    .contains("Exit code 1"));
    assert_eq!(
        s(r#"{"type":"user","message":{"content":"fix it"}}"#, 0),
        "prompt: fix it"
    );
    assert!(s(
        r#"{"type":"assistant","message":{"model":"claude-opus-4-6","usage":{"input_tokens":1,"output_tokens":2}}}"#,
        0
    )
    .starts_with("claude-opus-4-6: in 1 out 2"));
    assert_eq!(
        s(
            r#"{"type":"summary","summary":"Weekly limit","leafUuid":"l"}"#,
            0
        ),
        "summary: Weekly limit"
    );
    assert!(s(
        r#"{"type":"system","subtype":"compact_boundary","compactMetadata":{"trigger":"auto","preTokens":9}}"#,
        0
    )
    .contains("9 tokens"));
}

/// The action without the raw input and output texts (compared on their own).
fn no_io<'a>(a: &Action<'a>) -> Action<'a> {
    match a.clone() {
        Action::ToolStarted { tool, subject, .. } => Action::ToolStarted {
            tool,
            subject,
            input: None,
        },
        Action::ToolEnded { tool, error, .. } => Action::ToolEnded {
            tool,
            error,
            input: None,
            output: None,
        },
        other => other,
    }
}

// ---------------------------------------------------------------------------
// prefilter

/// Found by the chunking property (`tests/cli/chunking.rs`): the literal
/// `_tokens":-` missed a negative counter written with Python's separators or
/// as a string, so `errors` lost its warning on the fast path.
#[test]
fn the_errors_prefilter_passes_a_negative_counter_however_it_is_spaced() {
    let needs = crate::format::Needs {
        errors: Some(crate::format::ErrorNeed::Any),
        ..crate::format::Needs::default()
    };
    let pre = Transcript.prefilter(&needs).expect("a prefilter");
    let line = |usage: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s","requestId":"r","message":{{"id":"m","usage":{{"input_tokens":3,{usage}}}}}}}"#
        )
    };
    for usage in [
        r#""output_tokens":-2"#,
        r#""output_tokens": -2"#,
        r#""output_tokens" :	-2"#,
        r#""output_tokens":"-2""#,
        r#""output_tokens": " -2""#,
        r#""cache_creation":{"ephemeral_1h_input_tokens":  -1.5}"#,
    ] {
        let l = line(usage);
        let mut negative = Vec::new();
        let ctx = Ctx::default();
        Transcript
            .parse(l.as_bytes(), Loc::default(), &ctx, &mut |ev| {
                negative.push(ev.category.as_deref() == Some("malformed_field"))
            })
            .expect("reads");
        assert_eq!(negative, [true], "{l}");
        assert!(pre.passes(l.as_bytes()), "{l}");
    }
    // Still skipped: usage without a negative counter, or a `-` elsewhere.
    for usage in [r#""output_tokens": 2"#, r#""note": "_tokens -2""#] {
        let l = line(usage);
        assert!(!pre.passes(l.as_bytes()), "{l}");
    }
}

/// `StrKind::of_raw` (which decodes a prefix first) classifies every string as
/// `StrKind::of` does on the whole decoded text: random strings of raw and
/// escaped whitespace, tags, escapes and non-ASCII text, long enough to cross
/// the prefix at every kind of byte.
#[test]
fn a_string_is_classified_the_same_from_its_prefix() {
    use super::record::StrKind;
    let pieces: &[&str] = &[
        " ",
        "\\n",
        "\\t",
        "\\u0020",
        "\\u00a0",
        "\u{3000}",
        "<",
        "\\u003c",
        "command-name>",
        "<task-notification><task-id>a1</task-id><status>completed</status>",
        "<local-command-stdout>",
        "x",
        "é",
        "😀",
        "\\ud83d\\ude00",
        "\\\"",
        "\\\\",
        "a longer run of plain text ",
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut plain, mut other) = (0, 0);
    for _ in 0..4000 {
        // Mostly blank openings, so the first non-blank byte falls on both
        // sides of the prefix's end.
        let lead = (next() % 300) as usize;
        let mut body = String::new();
        while body.len() < lead {
            body.push_str(pieces[(next() % 6) as usize]);
        }
        for _ in 0..(next() % 40) {
            body.push_str(pieces[(next() % pieces.len() as u64) as usize]);
        }
        let raw = format!("\"{body}\"");
        let decoded: String = serde_json::from_str(&raw).expect("valid JSON string");
        let want = StrKind::of(&decoded);
        if want == StrKind::Plain {
            plain += 1;
        } else {
            other += 1;
        }
        assert_eq!(StrKind::of_raw(&raw), want, "{raw}");
    }
    assert!(
        plain > 100 && other > 100,
        "both kinds reached: {plain} / {other}"
    );
}
