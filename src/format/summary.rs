//! One-line summaries of events, built only for events that are printed.
//!
//! Pipe logs follow the teamsters console summaries (formats.md 2e); time-machine
//! records follow the oracle CLI's `_summarize_diff` (formats.md 1b); hook records
//! show the tool and what it touched.

use crate::model::{Event, Format};
use serde_json::{Map, Value};

/// Longest summary, in characters.
pub const MAX_CHARS: usize = 160;

/// The event's one-line summary (never contains a newline).
pub fn summarize(ev: &Event<'_>) -> String {
    let v: Value = serde_json::from_slice(ev.raw).unwrap_or(Value::Null);
    let empty = Map::new();
    let obj = v.as_object().unwrap_or(&empty);
    let s = match ev.format {
        Format::Pipe => pipe(ev, obj),
        Format::Diff => diff(ev, obj),
        Format::State => state(obj),
        Format::Hook => hook(ev, obj),
    };
    clip(&s.replace(['\n', '\r'], " "), MAX_CHARS)
}

/// Cuts `s` to at most `n` characters, marking the cut with `…`.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn text(o: &Map<String, Value>, k: &str) -> Option<String> {
    match o.get(k)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn or_q(o: &Map<String, Value>, k: &str) -> String {
    text(o, k).unwrap_or_else(|| "?".into())
}

fn pipe(ev: &Event<'_>, m: &Map<String, Value>) -> String {
    let t = |k: &str| text(m, k);
    let q = |k: &str| or_q(m, k);
    match (&*ev.kind, &*ev.status) {
        ("lifecycle", "completed") => match t("model_used") {
            Some(model) => format!("{}s, model={model}", q("duration_seconds")),
            None => format!("{}s", q("duration_seconds")),
        },
        ("lifecycle", "spawned") => format!("{}, depth={}", q("agent_type"), q("depth")),
        ("lifecycle", "failed") => format!("{} (retries={})", q("reason"), q("retries")),
        ("lifecycle", "team_failed") => format!(
            "{} [{}]",
            t("failure_reason").unwrap_or_else(|| q("reason")),
            q("failure_category")
        ),
        ("timing", "phase_transition") => format!(
            "phase {}→{}  {}s",
            q("from_phase"),
            q("to_phase"),
            q("transition_duration_seconds")
        ),
        ("timing", "overhead_summary") => format!(
            "{}s wall, {}s work, {}% tax",
            q("total_wall_clock_seconds"),
            q("total_agent_work_seconds"),
            q("framework_tax_percent")
        ),
        ("cost", "cumulative_cost") => {
            let done = m
                .get("agents_completed")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let rem = m
                .get("agents_remaining")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            format!(
                "${} ({done}/{} agents)",
                q("estimated_cost_usd"),
                done + rem
            )
        }
        ("agent_io", "prompt_constructed") => {
            format!("{} chars → {}", q("prompt_length_chars"), q("model"))
        }
        ("agent_io", "output_received") => {
            format!(
                "{} chars, {}s",
                q("output_length_chars"),
                q("duration_seconds")
            )
        }
        ("config", "config_loaded") => format!("{} ({})", q("team_name"), q("file_path")),
        ("dependency", "graph_constructed") => {
            let cyc = m
                .get("has_cycles")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            format!(
                "{} nodes, {} edges, {}",
                q("total_nodes"),
                q("total_edges"),
                if cyc { "CYCLES!" } else { "no cycles" }
            )
        }
        ("approval", "user_response_received") => match t("response_time_seconds") {
            Some(rt) => format!("{} {} ({rt}s)", q("decision"), q("gate_type")),
            None => format!("{} {}", q("decision"), q("gate_type")),
        },
        ("environment", "session_start") => match t("git_branch") {
            Some(b) => format!("platform={} branch={b}", q("platform")),
            None => format!("platform={}", q("platform")),
        },
        ("environment", "session_end") => match t("total_estimated_cost_usd") {
            Some(c) => format!("{}, ${c} total", q("exit_status")),
            None => q("exit_status"),
        },
        ("test", "test_case_result") => format!(
            "{} {} ({}s)",
            q("test_name"),
            q("status"),
            q("duration_seconds")
        ),
        ("error", "error_classified") => {
            format!("{} [{}]", q("error_category"), q("classified_severity"))
        }
        ("data_flow", "data_passed") => format!(
            "{} chars phase {}→{}",
            q("data_size_chars"),
            q("from_phase"),
            q("to_phase")
        ),
        _ => m
            .iter()
            .take(3)
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn diff(ev: &Event<'_>, env: &Map<String, Value>) -> String {
    let empty = Map::new();
    let d = env.get("data").and_then(Value::as_object).unwrap_or(&empty);
    match &*ev.kind {
        "error" => format!(
            "[{}] {}: {}",
            or_q(d, "severity"),
            or_q(d, "agent_name"),
            clip(&or_q(d, "error_message"), 80)
        ),
        "agent_message" => {
            let base = format!(
                "[{}] {} -> {}",
                or_q(d, "message_type"),
                or_q(d, "source_agent"),
                or_q(d, "target_agent")
            );
            match ev.message.as_deref() {
                Some(m) if ev.severity.is_some() => format!("{base}: {}", clip(m, 80)),
                _ => base,
            }
        }
        "trace" => format!(
            "trace {} {} {}",
            clip(&or_q(d, "trace_id"), 12),
            or_q(d, "root_agent_name"),
            or_q(d, "status")
        ),
        "span" => format!(
            "span {} by {} ({})",
            or_q(d, "span_kind"),
            or_q(d, "agent_name"),
            or_q(d, "status")
        ),
        "handoff" => format!(
            "handoff {} -> {}: {}",
            or_q(d, "source_agent_name"),
            or_q(d, "target_agent_name"),
            or_q(d, "reason")
        ),
        "event" => format!(
            "{} by {}: {}",
            or_q(d, "event_type"),
            or_q(d, "agent_name"),
            or_q(d, "message")
        ),
        _ => clip(&Value::Object(d.clone()).to_string(), 100),
    }
}

fn state(o: &Map<String, Value>) -> String {
    format!(
        "snapshot: {} messages, {} errors, {} traces, {} spans",
        or_q(o, "agent_messages_count"),
        or_q(o, "errors_count"),
        or_q(o, "traces_count"),
        or_q(o, "spans_count")
    )
}

fn hook(ev: &Event<'_>, o: &Map<String, Value>) -> String {
    if ev.severity.is_some() {
        return format!(
            "{} ({})",
            ev.message.as_deref().unwrap_or("telemetry error"),
            or_q(o, "tool_name")
        );
    }
    let empty = Map::new();
    let ad = o
        .get("action_details")
        .or_else(|| o.get("tool_input"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let what = [
        "command",
        "file_path",
        "search_pattern",
        "pattern",
        "url",
        "description",
        "path",
    ]
    .iter()
    .find_map(|k| text(ad, k).filter(|s| !s.is_empty()))
    .or_else(|| text(o, "message"))
    .unwrap_or_default();
    let scope = if ev.metrics.scope_violation {
        " [outside project scope]"
    } else {
        ""
    };
    match text(o, "tool_name") {
        Some(tool) => format!("{} {tool}: {what}{scope}", ev.status),
        None => format!("{} {what}{scope}", ev.status),
    }
}
