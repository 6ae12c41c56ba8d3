//! `oracle agents`: the delegation tree. Parents are checked against links the
//! test reads from the files itself; totals must roll up exactly.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn nodes(args: &[&str]) -> Vec<Value> {
    json("agents", args)["data"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone()
}

fn by_id(nodes: &[Value]) -> BTreeMap<String, Value> {
    nodes
        .iter()
        .map(|n| (n["id"].as_str().expect("id").to_string(), n.clone()))
        .collect()
}

#[test]
fn pipe_spawns_name_their_parent() {
    let text = std::fs::read_to_string(root().join(INCIDENT)).expect("fixture");
    let mut want = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.splitn(5, " | ").collect();
        if f.len() == 5 && f[1] == "lifecycle" && f[3] == "spawned" {
            let meta: Value = serde_json::from_str(f[4]).expect("metadata");
            if let Some(p) = meta["parent"].as_str() {
                want.insert(f[2].to_string(), p.to_string());
            }
        }
    }
    let got = by_id(&nodes(&[INCIDENT]));
    assert!(!want.is_empty());
    for (child, parent) in &want {
        let n = &got[child];
        if got.contains_key(parent) {
            assert_eq!(n["parent"].as_str(), Some(parent.as_str()), "{child}");
        } else {
            // A parent outside the log (the CLI that started the team) is no node.
            assert!(n["parent"].is_null(), "{child}");
        }
    }
}

#[test]
fn subagents_hang_under_their_session_and_team_members_under_their_lead() {
    // Transcripts: every subagent file names its session and its agent id.
    let dir = root().join("fixtures/transcripts/projects/-home-dev-demo");
    let got = by_id(&nodes(&["fixtures/transcripts"]));
    let mut checked = 0;
    for session in std::fs::read_dir(&dir).expect("dir").flatten() {
        let sub = session.path().join("subagents");
        for f in std::fs::read_dir(&sub).into_iter().flatten().flatten() {
            let p = f.path();
            if p.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("utf-8");
            let Some(v) = text
                .lines()
                .find_map(|l| serde_json::from_str::<Value>(l).ok())
            else {
                continue;
            };
            let (agent, sid) = (
                v["agentId"].as_str().expect("agentId"),
                v["sessionId"].as_str().expect("sessionId"),
            );
            let n = &got[agent];
            assert_eq!(n["parent"].as_str(), Some(sid), "{agent}");
            let kind = if agent.starts_with("acompact") {
                "compaction"
            } else {
                "subagent"
            };
            assert_eq!(n["kind"], kind, "{agent}");
            assert_eq!(got[sid]["kind"], "session");
            checked += 1;
        }
    }
    assert!(checked >= 3);
    // Teams: the lead is the root, every member under it.
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/teams/teams/api-team/config.json"))
            .expect("config"),
    )
    .expect("json");
    let lead_id = config["leadAgentId"].as_str().expect("lead");
    let members = config["members"].as_array().expect("members");
    let lead = members
        .iter()
        .find(|m| m["agentId"] == lead_id)
        .and_then(|m| m["name"].as_str())
        .expect("lead member");
    let got = by_id(&nodes(&["fixtures/teams/teams"]));
    assert_eq!(got[lead]["kind"], "team_lead");
    assert!(got[lead]["parent"].is_null());
    for m in members {
        let name = m["name"].as_str().expect("name");
        if name != lead {
            assert_eq!(got[name]["parent"].as_str(), Some(lead), "{name}");
            assert_eq!(got[name]["kind"], "team_member");
        }
    }
}

#[test]
fn totals_roll_up_exactly_and_depths_follow_parents() {
    for dir in FORMAT_DIRS
        .iter()
        .chain(["../shared/realdata/spotter"].iter())
    {
        let list = nodes(&[dir]);
        let got = by_id(&list);
        for n in &list {
            let id = n["id"].as_str().expect("id");
            let kids: Vec<&Value> = list.iter().filter(|c| c["parent"] == id).collect();
            assert_eq!(
                n["children"].as_u64(),
                Some(kids.len() as u64),
                "{dir} {id}"
            );
            match n["parent"].as_str() {
                Some(p) => assert_eq!(
                    n["depth"].as_u64(),
                    got[p]["depth"].as_u64().map(|d| d + 1),
                    "{dir} {id}"
                ),
                None => assert_eq!(n["depth"].as_u64(), Some(0)),
            }
            for k in [
                "events",
                "tool_calls",
                "errors",
                "responses",
                "unpriced_tokens",
            ] {
                let sum: u64 = kids
                    .iter()
                    .map(|c| c["total"][k].as_u64().unwrap_or(0))
                    .sum();
                assert_eq!(
                    n["total"][k].as_u64(),
                    Some(n["own"][k].as_u64().unwrap_or(0) + sum),
                    "{dir} {id} {k}"
                );
            }
        }
    }
}

#[test]
fn depth_and_session_filters() {
    let all = nodes(&["fixtures/transcripts"]);
    let roots: Vec<&Value> = all.iter().filter(|n| n["parent"].is_null()).collect();
    let top = nodes(&["fixtures/transcripts", "--depth", "0"]);
    assert_eq!(top.len(), roots.len());
    // Roll-ups still cover the whole tree.
    for (a, b) in top.iter().zip(&roots) {
        assert_eq!(a["total"], b["total"]);
    }
    let first = roots[0]["id"].as_str().expect("id");
    let one = nodes(&["fixtures/transcripts", "--session", first]);
    assert!(one
        .iter()
        .all(|n| n["id"] == first || n["depth"].as_u64() > Some(0)));
    assert_eq!(one[0]["id"], first);
    let v = json("agents", &["fixtures/transcripts", "--session", first]);
    assert_eq!(v["data"]["roots"].as_u64(), Some(roots.len() as u64));
}

#[test]
fn diagnose_shows_the_top_of_the_same_tree() {
    for dir in [
        INCIDENT,
        "fixtures/transcripts",
        "fixtures/teams/teams",
        "../shared/realdata/spotter",
    ] {
        let tree = by_id(&nodes(&[dir]));
        let d = json("diagnose", &[dir]);
        let tops = d["data"]["delegation"].as_array().expect("delegation");
        assert!(!tops.is_empty(), "{dir}");
        for t in tops {
            let root = t["root"].as_str().expect("root");
            let n = &tree[root];
            assert!(n["parent"].is_null(), "{dir}: {root} is a root");
            assert_eq!(t["children"], n["children"], "{dir}: {root}");
            let below = tree
                .values()
                .filter(|m| {
                    // Walk up from m to its root.
                    let mut cur: &Value = m;
                    while let Some(p) = cur["parent"].as_str() {
                        if p == root {
                            return true;
                        }
                        cur = &tree[p];
                    }
                    false
                })
                .count() as u64;
            assert_eq!(t["descendants"].as_u64(), Some(below), "{dir}: {root}");
        }
    }
}

#[test]
fn observer_task_messages_give_orchestrator_to_worker_edges() {
    // Expected parents, from the raw file: each agent that was sent a task hangs
    // under the sender of its earliest task (by time, then line).
    let text = std::fs::read_to_string(root().join(DIFF)).expect("fixture");
    let mut first: BTreeMap<String, (String, usize, String)> = BTreeMap::new();
    let mut agents = std::collections::BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let d = &v["data"];
        if v["entity_type"] != "agent_message" {
            continue;
        }
        let (Some(from), Some(to)) = (d["source_agent"].as_str(), d["target_agent"].as_str())
        else {
            continue;
        };
        agents.insert(from.to_string());
        agents.insert(to.to_string());
        if d["message_type"] != "task" || from == to {
            continue;
        }
        let ts = v["timestamp"].as_str().unwrap_or("").to_string();
        let e = first
            .entry(to.to_string())
            .or_insert((ts.clone(), n, from.to_string()));
        if (ts.as_str(), n) < (e.0.as_str(), e.1) {
            *e = (ts, n, from.to_string());
        }
    }
    assert!(first.len() >= 3, "the fixture delegates to several workers");
    let nodes = by_id(&nodes(&[DIFF]));
    for a in &agents {
        let node = nodes.get(a).unwrap_or_else(|| panic!("{a} is a node"));
        let want = first.get(a).map(|f| f.2.as_str());
        assert_eq!(node["parent"].as_str(), want, "{a}: {node}");
    }
    // Every root is an agent nobody tasked.
    for (id, n) in &nodes {
        if n["parent"].is_null() {
            assert!(!first.contains_key(id), "{id} was tasked but has no parent");
        }
    }
}

/// OTLP spans of `fixtures/otlp/traces.jsonl`, read by the test: span id →
/// (trace, parent span, name, attributes as text).
type Spans = BTreeMap<String, (String, Option<String>, BTreeMap<String, String>)>;

fn otlp_spans(path: &str) -> Spans {
    let text = std::fs::read_to_string(root().join(path)).expect("fixture");
    fn hex(v: &Value) -> Option<&str> {
        v.as_str()
            .filter(|s| !s.is_empty() && s.bytes().any(|b| b != b'0'))
    }
    let mut out = Spans::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let req: Value = serde_json::from_str(line).expect("request");
        let rs = req
            .get("resourceSpans")
            .or_else(|| req.get("resource_spans"));
        for r in rs.and_then(Value::as_array).into_iter().flatten() {
            let ss = r.get("scopeSpans").or_else(|| r.get("scope_spans"));
            for s in ss.and_then(Value::as_array).into_iter().flatten() {
                for sp in s["spans"].as_array().into_iter().flatten() {
                    let get = |a: &str, b: &str| sp.get(a).or_else(|| sp.get(b));
                    let attrs: BTreeMap<String, String> = sp["attributes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| {
                            let v = a["value"].as_object()?.values().next()?;
                            let v = v.as_str().map_or_else(|| v.to_string(), String::from);
                            Some((a["key"].as_str()?.to_string(), v))
                        })
                        .collect();
                    let id = hex(get("spanId", "span_id").unwrap()).unwrap().to_string();
                    let trace = hex(get("traceId", "trace_id").unwrap())
                        .unwrap()
                        .to_string();
                    let parent = get("parentSpanId", "parent_span_id")
                        .and_then(hex)
                        .map(String::from);
                    out.insert(id, (trace, parent, attrs));
                }
            }
        }
    }
    out
}

#[test]
fn otel_agent_spans_nest_by_parent_span_and_own_what_names_them() {
    let path = "fixtures/otlp/traces.jsonl";
    let spans = otlp_spans(path);
    let is_agent = |a: &BTreeMap<String, String>| {
        matches!(
            a.get("gen_ai.operation.name").map(String::as_str),
            Some("invoke_agent" | "create_agent")
        )
    };
    let identity = |a: &BTreeMap<String, String>| {
        a.get("gen_ai.agent.id")
            .or_else(|| a.get("gen_ai.agent.name"))
            .cloned()
            .unwrap()
    };
    // The nearest agent span enclosing span `id` (itself included).
    let owner = |id: &str, include_self: bool| -> Option<String> {
        let mut cur = if include_self {
            Some(id.to_string())
        } else {
            spans[id].1.clone()
        };
        while let Some(c) = cur {
            let (_, up, a) = spans.get(&c)?;
            if is_agent(a) {
                return Some(identity(a));
            }
            cur = up.clone();
        }
        None
    };
    let got = by_id(&nodes(&[path]));
    let mut agents = 0;
    let mut output: BTreeMap<String, u64> = BTreeMap::new();
    for (id, (trace, _, a)) in &spans {
        if let Some(n) = a
            .get("gen_ai.usage.output_tokens")
            .or_else(|| a.get("gen_ai.usage.completion_tokens"))
        {
            if let Some(o) = owner(id, true) {
                *output.entry(o).or_default() += n.parse::<u64>().unwrap();
            }
        }
        if !is_agent(a) {
            continue;
        }
        agents += 1;
        let me = identity(a);
        let node = got
            .get(&me)
            .unwrap_or_else(|| panic!("no node {me}: {got:?}"));
        let want = owner(id, false).unwrap_or_else(|| trace.clone());
        assert_eq!(node["parent"].as_str(), Some(want.as_str()), "{me}");
        // An agent with an id is one node: spans naming it by name alone
        // (its chat and tool spans) are counted on it, not on a second node.
        if a.contains_key("gen_ai.agent.id") {
            let name = &a["gen_ai.agent.name"];
            assert!(!got.contains_key(name), "{name} is also a node beside {me}");
        }
    }
    assert!(agents >= 3, "{agents}");
    assert!(!output.is_empty());
    for (agent, out) in &output {
        assert_eq!(
            got[agent]["own"]["tokens"]["output"].as_u64(),
            Some(*out),
            "{agent}"
        );
    }
}
