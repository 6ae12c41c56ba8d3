#!/usr/bin/env python3
"""Builds a Claude Code config directory of about --mb megabytes from real sessions.

    python3 benches/make-claude-dir.py --mb 1024 --out target/claude-1g [--src ../shared/realdata/spotter]

Every session transcript under --src (a `<session>.jsonl` with its `<session>/subagents/`
folder, and loose transcripts) is copied again and again into
`OUT/projects/-bench-project-<k>/`, each copy with fresh ids: every UUID (session ids,
message uuids, parent uuids), every `msg_…`/`req_…`/`toolu_…` id and every subagent id is
replaced by one derived from the copy number, consistently within the copy, so that no
two copies share a session, a response or a tool call (deduplication must not merge them,
and ccusage counts them apart too). Content is otherwise byte for byte the real data.
The output lives outside the repository (under target/ or /tmp): the real data holds
people's prompts and paths and must never be committed.
"""

import argparse
import hashlib
import os
import re
import sys

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
API_ID = re.compile(rb"\b(msg|req|toolu|srvtoolu)_([0-9A-Za-z]+)")
AGENT = re.compile(rb"(agent-|\"agentId\":\s*\"|\"agent_id\":\s*\"|agentId: )(a?[0-9a-f]{6,16}|acompact-[0-9a-f]{4,16})")


def fresh_uuid(copy: int, old: bytes) -> bytes:
    h = hashlib.blake2b(old + b"/%d" % copy, digest_size=16).hexdigest()
    return ("%s-%s-4%s-a%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])).encode()


def rewrite(data: bytes, copy: int) -> bytes:
    data = UUID.sub(lambda m: fresh_uuid(copy, m.group(0)), data)
    data = API_ID.sub(lambda m: m.group(1) + b"_" + m.group(2) + b"c%d" % copy, data)

    def agent(m):
        old = m.group(2)
        h = hashlib.blake2b(old + b"/%d" % copy, digest_size=8).hexdigest()
        if old.startswith(b"acompact-"):
            new = b"acompact-" + h[: len(old) - 9].encode()
        else:
            new = b"a" + h[: max(len(old) - 1, 6)].encode()
        return m.group(1) + new

    return AGENT.sub(agent, data)


def sources(src: str):
    """(relative path, bytes) of every transcript file under src."""
    out = []
    for root, _dirs, files in os.walk(src):
        for f in sorted(files):
            if f.endswith(".jsonl") or f.endswith(".meta.json"):
                p = os.path.join(root, f)
                with open(p, "rb") as fh:
                    out.append((os.path.relpath(p, src), fh.read()))
    out.sort()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--out", required=True)
    ap.add_argument("--src", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "realdata", "spotter"))
    ap.add_argument("--per-project", type=int, default=20, help="copies per project folder")
    a = ap.parse_args()
    files = sources(a.src)
    if not files:
        print("make-claude-dir: no transcripts under %s" % a.src, file=sys.stderr)
        return 2
    want = a.mb << 20
    written, copy = 0, 0
    while written < want:
        proj = os.path.join(a.out, "projects", "-bench-project-%d" % (copy // a.per_project))
        for rel, data in files:
            new_rel = rewrite(rel.encode(), copy).decode()
            dst = os.path.join(proj, new_rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            body = rewrite(data, copy)
            with open(dst, "wb") as fh:
                fh.write(body)
            written += len(body)
        copy += 1
    print("make-claude-dir: %d copies, %.1f MB in %s" % (copy, written / 1e6, a.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
