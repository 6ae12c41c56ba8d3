//! Recognising agent-team files by content: the top-level keys of the first
//! JSON object of the head (the first element when the file is an array).
//!
//! Owns: a small key scanner (strings and escapes aware, no allocation, no
//! recursion) and the three shape rules. Must not: look at the file name, or at
//! keys nested inside values: a transcript line quoting a `TaskCreate` call
//! (`subject`, `activeForm`) or a `SendMessage` (`from`, `text`) in its
//! `message` is not a team file.

use memchr::memmem;

const LEAD: u16 = 1;
const MEMBERS: u16 = 1 << 1;
const FROM: u16 = 1 << 2;
const TEXT: u16 = 1 << 3;
const READ: u16 = 1 << 4;
const TIMESTAMP: u16 = 1 << 5;
const SUBJECT: u16 = 1 << 6;
const STATUS: u16 = 1 << 7;
const BLOCKS: u16 = 1 << 8;
const BLOCKED_BY: u16 = 1 << 9;
const ACTIVE_FORM: u16 = 1 << 10;

fn bit(key: &[u8]) -> u16 {
    match key {
        b"leadAgentId" => LEAD,
        b"members" => MEMBERS,
        b"from" => FROM,
        b"text" => TEXT,
        b"read" => READ,
        b"timestamp" => TIMESTAMP,
        b"subject" => SUBJECT,
        b"status" => STATUS,
        b"blocks" => BLOCKS,
        b"blockedBy" => BLOCKED_BY,
        b"activeForm" => ACTIVE_FORM,
        _ => 0,
    }
}

/// The top-level keys of the first object in `head` (after an optional `[`), as
/// bits; keys past the end of a head cut inside the object are not seen.
/// `None` when the head does not open an object.
fn first_object_keys(head: &[u8]) -> Option<u16> {
    let skip_ws = |mut i: usize| {
        while head.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(0);
    if head.get(i) == Some(&b'[') {
        i = skip_ws(i + 1);
    }
    if head.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let (mut depth, mut expect_key, mut keys) = (1usize, true, 0u16);
    while i < head.len() {
        match head[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let end = loop {
                    match memchr::memchr2(b'"', b'\\', &head[j..]) {
                        None => return Some(keys),
                        Some(k) if head[j + k] == b'\\' => j += k + 2,
                        Some(k) => break j + k,
                    }
                    if j >= head.len() {
                        return Some(keys);
                    }
                };
                if depth == 1 && expect_key {
                    keys |= bit(&head[start..end]);
                    expect_key = false;
                }
                i = end + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(keys);
                }
            }
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    Some(keys)
}

/// True when `head` (BOM and leading whitespace removed) opens a team config, a
/// mailbox (or one of its messages) or a task file:
/// - config: top-level `leadAgentId`, or top-level `members` with an `agentId` in the head;
/// - mailbox message: `from` and `text`, and `read` or `timestamp`;
/// - task: `subject` and `status`, and one of `blocks`, `blockedBy`, `activeForm`.
pub(super) fn sniff(head: &[u8]) -> bool {
    let Some(k) = first_object_keys(head) else {
        return false;
    };
    let all = |b: u16| k & b == b;
    let any = |b: u16| k & b != 0;
    (all(LEAD) || (all(MEMBERS) && memmem::find(head, b"\"agentId\"").is_some()))
        || (all(FROM | TEXT) && any(READ | TIMESTAMP))
        || (all(SUBJECT | STATUS) && any(BLOCKS | BLOCKED_BY | ACTIVE_FORM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_three_shapes_in_any_layout() {
        let yes: [&[u8]; 9] = [
            // config, pretty-printed as Claude Code writes it
            b"{\n  \"name\": \"t\",\n  \"createdAt\": 1,\n  \"leadAgentId\": \"team-lead@t\",\n  \"members\": []\n}",
            // config without a lead id, members with agent ids
            br#"{"name":"t","members":[{"agentId":"a@t","name":"a"}]}"#,
            // inbox: an array of messages, pretty or compact
            b"[\n  {\n    \"from\": \"a\",\n    \"text\": \"hi\",\n    \"timestamp\": \"2026-01-01T00:00:00Z\",\n    \"read\": false\n  }\n]",
            br#"[{"from":"a","text":"{\"type\":\"idle_notification\"}","read":true}]"#,
            // one message object, odd spacing, keys in another order
            b"{ \"read\" :true , \"text\" : \"x\" , \"from\" : \"b\" }",
            // task
            b"{\n  \"id\": \"1\",\n  \"subject\": \"s\",\n  \"description\": \"d\",\n  \"activeForm\": \"Doing\",\n  \"status\": \"pending\",\n  \"blocks\": [],\n  \"blockedBy\": []\n}",
            br#"{"status":"completed","subject":"s","blockedBy":["1"]}"#,
            // a head cut inside the first object: the keys seen so far decide
            br#"{"from":"a","timestamp":"2026-01-01T00:00:00Z","text":"a very long"#,
            // escaped quotes inside values do not end the string early
            br#"{"subject":"say \"status\": x","status":"pending","blocks":[]}"#,
        ];
        for h in yes {
            assert!(sniff(h), "{}", String::from_utf8_lossy(h));
        }
    }

    #[test]
    fn does_not_claim_other_formats_or_nested_keys() {
        let no: [&[u8]; 13] = [
            // transcript: a TaskCreate / TaskUpdate / TodoWrite call nests the task keys
            br#"{"type":"assistant","timestamp":"2026-02-10T21:11:56.906Z","message":{"content":[{"type":"tool_use","name":"TaskCreate","input":{"subject":"s","description":"d","activeForm":"Doing","status":"pending"}}]}}"#,
            br#"{"type":"assistant","message":{"content":[{"type":"tool_use","name":"TodoWrite","input":{"todos":[{"content":"c","status":"pending","activeForm":"Doing"}]}}]},"timestamp":"2026-02-10T21:11:56.906Z"}"#,
            // transcript: a SendMessage call, and a text block
            br#"{"type":"assistant","message":{"content":[{"type":"text","text":"ok"},{"type":"tool_use","name":"SendMessage","input":{"from":"a","text":"hi","read":false}}]},"timestamp":"2026-02-10T21:11:56.906Z"}"#,
            // transcript: a tool result quoting a team config
            br#"{"type":"user","toolUseResult":{"leadAgentId":"team-lead@t","members":[{"agentId":"a@t"}]},"timestamp":"2026-02-10T21:11:56.906Z"}"#,
            // hook payload of a TaskCreate call
            br#"[{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"TaskCreate","tool_input":{"subject":"s","status":"pending","activeForm":"Doing"}}]"#,
            // hook schema A
            b"{\n  \"timestamp\": \"2025-08-03T18:03:02-04:00\",\n  \"event_type\": \"file_read\",\n  \"hook_event\": \"PreToolUse\"\n}",
            // OTLP
            br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"},"attributes":[{"key":"from"},{"key":"text"}]}]}]}]}"#,
            // time machine diff and state
            br#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "agent_message", "data": {"from": "a", "text": "b"}}"#,
            br#"{"timestamp": "2026-02-09T11:41:02.551210", "traces_count": 1, "agent_messages": [{"from": "a", "text": "b"}]}"#,
            // pipe log, markdown, an empty array, a scalar
            b"# Teamsters Team Orchestration Telemetry Log\n",
            b"# Test fixtures\n\nfrom text read",
            b"[]",
            b"\"from text read\"",
        ];
        for h in no {
            assert!(!sniff(h), "{}", String::from_utf8_lossy(h));
        }
        // Each rule needs all its keys.
        assert!(!sniff(br#"{"from":"a","text":"b"}"#));
        assert!(!sniff(br#"{"subject":"s","status":"pending"}"#));
        assert!(!sniff(br#"{"members":[{"name":"a"}]}"#));
    }

    #[test]
    fn keys_are_read_at_the_top_level_only() {
        assert_eq!(
            first_object_keys(br#"{"a":{"from":1,"text":2},"read":[{"subject":3}],"from":"x"}"#),
            Some(READ | FROM)
        );
        assert_eq!(first_object_keys(b"  [ \n {}"), Some(0));
        assert_eq!(first_object_keys(b"[1]"), None);
        assert_eq!(first_object_keys(br#"{"from\"":1, "te\\"#), Some(0));
    }
}
