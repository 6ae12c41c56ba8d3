#!/usr/bin/env python3
"""gen-observer: an observer diff file (formats.md 1a) written the way *another* tool would.

    python3 benches/gen-observer.py [--mb 800 | --steps N] [--seed 7] [--pending 0.115]
        [--reply-distance 20000] [--layout python|compact|reordered|extra|pretty-hook]
        [--critical-every 40] OUT

A generator independent of examples/gen-corpus.rs (the issue-9 peer): the same schema, records
built as Python dicts and written with `json.dumps`, so the byte layout is Python's unless
`--layout` says otherwise:

* `python`    `json.dumps(obj)`: `", "` / `": "` separators, the observer's key order.
* `compact`   `separators=(",", ":")`.
* `reordered` python separators, keys of the envelope and of `data` in a shuffled (seeded) order.
* `extra`     python separators, extra fields in the envelope and in `data` (strings, numbers,
              nested objects, a key named like a real one inside a nested object).
* `pretty-hook` not an observer file: Claude Code hook payloads (PreToolUse/PostToolUse),
              each `json.dumps(obj, indent=2)` one after another (pretty-printed records).

Traffic: tasks from an orchestrator to workers; each task gets a `result` (or, 1 in 20, an
`error`) reply `--reply-distance` messages later on average (uniform in [0, 2d]), so replies
usually land in a later chunk than their task; a `--pending` fraction of tasks never gets one.
About 1 in `--critical-every` other records is an `error` entity, 1 in 8 of those critical.

The traffic is drawn from `--seed` alone: the layouts differ in bytes, never in records. The
file ends once it holds `--mb` MB, or, with `--steps N`, after N steps of the traffic (one new
task or error entity each, with the replies due then); `steps` in the summary is that number,
so `--steps` with another layout writes the same records as a `--mb` run (benches/observer.sh
compares layouts that way).

The summary on stderr (and OUT.summary.json) gives the expected answers, computed here:
messages, tasks, replies, pending per agent, critical error entities.
"""
import argparse
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

AGENTS = ["Orchestrator", "Researcher", "Coder", "Writer", "Reviewer", "Tester",
          "Planner", "Critic", "Librarian", "Deployer", "Analyst", "Summarizer"]
WORKERS = AGENTS[1:]
BASE = datetime(2026, 3, 2, 8, 0, 0, tzinfo=timezone.utc)
SEVERITIES = ["warning", "error", "warning", "error", "warning", "error", "warning", "critical"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=800)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pending", type=float, default=0.115)
    ap.add_argument("--reply-distance", type=int, default=20000)
    ap.add_argument("--layout", default="python",
                    choices=["python", "compact", "reordered", "extra", "pretty-hook"])
    ap.add_argument("--critical-every", type=int, default=40)
    a = ap.parse_args()
    if a.steps is not None and a.layout == "pretty-hook":
        ap.error("--steps is for observer layouts; pretty-hook takes --mb")
    rng = random.Random(a.seed)
    limit = int(a.mb * 1_000_000) if a.steps is None else None
    if a.layout == "pretty-hook":
        summary = hooks(a, rng, limit)
    else:
        summary = observer(a, rng, limit)
    print(json.dumps(summary, indent=1), file=sys.stderr)
    with open(a.out + ".summary.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def naive(t: datetime) -> str:
    # The observer writes naive UTC with 0 or 6 fraction digits (datetime.isoformat()).
    return t.replace(tzinfo=None).isoformat()


class Writer:
    def __init__(self, a, rng: random.Random, out):
        # The extra layout's own draws come from a second stream, so that the
        # traffic (drawn from `rng`) is the same in every layout.
        self.a, self.rng, self.out, self.size = a, random.Random(a.seed + 1), out, 0
        seps = (",", ":") if a.layout == "compact" else (", ", ": ")
        self.enc = json.JSONEncoder(separators=seps, ensure_ascii=True)
        order = list(range(16))
        rng.shuffle(order)
        self.order = order

    def shape(self, d: dict, level: int) -> dict:
        if self.a.layout == "reordered":
            keys = list(d)
            keys.sort(key=lambda k: self.order[hash_key(k) % 16] * 1000 + hash_key(k) % 997)
            return {k: d[k] for k in keys}
        if self.a.layout == "extra":
            x = {"schema_version": 3, "writer": "observer-ng/0.4"} if level == 0 else {
                "labels": {"env": "prod", "source_agent": "not-this-one", "region": "eu-west-1"},
                "seq": self.rng.getrandbits(20)}
            x.update(d)
            x["ingest_host"] = "ingest-%02d" % self.rng.randrange(40)
            return x
        return d

    def write(self, ts: datetime, entity: str, data: dict) -> None:
        rec = self.shape({"timestamp": naive(ts), "change_type": "added",
                          "entity_type": entity, "data": self.shape(data, 1)}, 0)
        line = self.enc.encode(rec) + "\n"
        self.out.write(line)
        self.size += len(line)


def hash_key(k: str) -> int:
    h = 0
    for c in k.encode():
        h = (h * 131 + c) & 0xFFFFFFFF
    return h


def observer(a, rng: random.Random, limit: int) -> dict:
    pending_per = {w: 0 for w in WORKERS}
    counts = {"messages": 0, "tasks": 0, "replies": 0, "error_replies": 0,
              "error_entities": 0, "critical_error_entities": 0}
    due = {}  # message index -> list of (task id, worker, task time)
    t = BASE
    n = 0
    with open(a.out, "w", encoding="utf-8") as out:
        w = Writer(a, rng, out)
        while (w.size < limit) if limit is not None else (n < a.steps):
            t += timedelta(microseconds=rng.randrange(1, 4000))
            n += 1
            for (tid, worker, _sent) in due.pop(n, ()):
                err = rng.randrange(20) == 0
                w.write(t, "agent_message", message(rng, t, worker, "Orchestrator",
                                                    "error" if err else "result", tid))
                counts["messages"] += 1
                counts["replies"] += 1
                counts["error_replies"] += err
            if rng.randrange(a.critical_every) == 0:
                sev = rng.choice(SEVERITIES)
                w.write(t, "error", error(rng, t, rng.choice(WORKERS), sev))
                counts["error_entities"] += 1
                counts["critical_error_entities"] += sev == "critical"
                continue
            worker = rng.choice(WORKERS)
            task = message(rng, t, "Orchestrator", worker, "task", None)
            w.write(t, "agent_message", task)
            counts["messages"] += 1
            counts["tasks"] += 1
            if rng.random() < a.pending:
                pending_per[worker] += 1
            else:
                at = n + 1 + rng.randrange(2 * a.reply_distance + 1)
                due.setdefault(at, []).append((task["message_id"], worker, t))
        # The size is reached: replies still due are written now, in order, so the
        # pending fraction stays the one asked for at any size.
        for at in sorted(due):
            for (tid, worker, _sent) in due[at]:
                t += timedelta(microseconds=rng.randrange(1, 4000))
                w.write(t, "agent_message", message(rng, t, worker, "Orchestrator", "result", tid))
                counts["messages"] += 1
                counts["replies"] += 1
        size = w.size
    counts["steps"] = n
    counts["pending"] = sum(pending_per.values())
    counts["pending_per_agent"] = pending_per
    counts["bytes"] = size
    counts["layout"] = a.layout
    return counts


def message(rng, t, src, dst, kind, parent):
    topic = rng.choice(["index the billing service", "summarise incident 4411",
                        "migrate src/models/user.py", "review PR #%d" % rng.randrange(9999),
                        "draft release notes", "find flaky tests in ci/unit"])
    payload = ({"task": topic, "context": {"files": ["src/a.py", "src/b.py"], "depth": 2}}
               if kind == "task" else
               {"status": "ok" if kind == "result" else "failed",
                "summary": "done: " + topic, "tokens": rng.randrange(100, 9000)})
    if kind == "error":
        payload = {"error": "tool timeout after 30s", "error_type": "TimeoutError"}
    return {"message_id": uid(rng), "source_agent": src, "target_agent": dst,
            "message_type": kind, "priority": rng.choice(["normal", "high", "low"]),
            "payload": payload, "trace_id": "%032x" % rng.getrandbits(128),
            "span_id": "%016x" % rng.getrandbits(64), "parent_message_id": parent,
            "reason": ("Delegate: " if kind == "task" else "Result for: ") + topic,
            "timestamp": naive(t - timedelta(microseconds=rng.randrange(1, 3000))),
            "ttl_seconds": rng.choice([None, 300, 600])}


def error(rng, t, agent, severity):
    return {"error_id": uid(rng), "severity": severity,
            "category": rng.choice(["llm_error", "network_error", "tool_error"]),
            "error_type": rng.choice(["RateLimitError", "HTTPError", "TimeoutError"]),
            "error_message": "upstream said no (%d)" % rng.randrange(400, 600),
            "error_code": None, "stack_trace": None, "trace_id": "%032x" % rng.getrandbits(128),
            "span_id": "%016x" % rng.getrandbits(64), "agent_name": agent,
            "agent_id": "agent-%s-01" % agent.lower(), "operation": "llm_call",
            "input_data": {}, "partial_output": None, "model_name": "llama3.1:8b",
            "timestamp": naive(t), "duration_before_error_ms": rng.randrange(10, 90000) / 10,
            "is_retryable": True, "retry_count": 1, "max_retries": 3,
            "suggested_fixes": ["Wait and retry"], "environment": "production",
            "service_name": "multi-agent-system", "host": "agents-7f9c6d-x2k4p"}


def hooks(a, rng: random.Random, limit: int) -> dict:
    counts = {"records": 0, "tool_errors": 0}
    size = 0
    session = uid(rng)
    with open(a.out, "w", encoding="utf-8") as out:
        while size < limit:
            tid = "toolu_%024x" % rng.getrandbits(96)
            cmd = rng.choice(["cargo test", "ls -la src", "git status", "rg -n TODO"])
            pre = {"session_id": session, "transcript_path": "/home/u/.claude/projects/p/x.jsonl",
                   "cwd": "/home/u/p", "permission_mode": "default",
                   "hook_event_name": "PreToolUse", "tool_name": "Bash",
                   "tool_input": {"command": cmd, "description": "run " + cmd},
                   "tool_use_id": tid}
            err = rng.randrange(25) == 0
            post = dict(pre, hook_event_name="PostToolUse",
                        tool_response={"stdout": "ok\n" * rng.randrange(1, 6), "stderr": "",
                                       "interrupted": False, "isImage": False,
                                       "is_error": err})
            for rec in (pre, post):
                s = json.dumps(rec, indent=2) + "\n"
                out.write(s)
                size += len(s)
                counts["records"] += 1
            counts["tool_errors"] += err
    counts["bytes"] = size
    counts["layout"] = a.layout
    return counts


if __name__ == "__main__":
    main()
