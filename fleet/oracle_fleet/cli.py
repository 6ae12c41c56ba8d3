"""oracle-fleet: one `oracle` query over a fleet's telemetry, on Dask distributed.

    oracle-fleet --scheduler tcp://HOST:PORT [--pin PREFIX=WORKER]... [--oracle PATH]
                 [--quiet] [ORACLE-FLAGS] COMMAND [ARGS] PATH...

Phases (docs/fleet.md):
1. list: `oracle ls PATH` on a worker per PATH gives the inputs in the order one machine reads
   them; input number = rank in that order.
2. anchor (only when the query has a relative time, and for `replay`): `oracle anchor FILE`
   per input, the latest wins, passed to every partial run as `--anchor`.
3. partials: `oracle COMMAND ARGS --partial - --input-rank N FILE`, one task per input file.
4. merge, here: `oracle merge --for PATH... COMMAND ARGS PARTIAL...`; its stdout, stderr and exit
   status are this command's.

A task that fails for a data reason (oracle exits non-zero) is reported with its path and never
retried; a lost worker's tasks are re-run by Dask elsewhere. Progress goes to stderr.
"""

import os
import sys
import tempfile
import time

# Oracle subcommands whose partials merge.
COMMANDS = {"diagnose", "errors", "diffs", "replay", "queues", "cost", "agents", "audit"}

# Oracle flags that take a value (the next argument), global and per command: the other
# positional arguments after COMMAND are the paths.
VALUE_FLAGS = {
    "-f", "--format", "--color", "-j", "--threads", "--input-format", "--max-record-size",
    "--anchor", "--fail-on", "--stuck-after", "-s", "--severity", "-a", "--agent",
    "--category", "--grep", "--after", "--since", "--before", "--until", "-l", "--limit",
    "--by", "-e", "--entity-type", "-m", "--minutes", "--at", "--prices", "--session",
    "--depth", "--rule", "--exclude-rule", "--allow",
}
TIME_FLAGS = {"--after", "--since", "--before", "--until", "--at"}
REFUSED = {"--partial", "--input-rank", "--all-projects"}

USAGE = (
    "usage: oracle-fleet --scheduler tcp://HOST:PORT [--pin PREFIX=WORKER]... [--oracle PATH] "
    "[--quiet] [ORACLE-FLAGS] COMMAND [ARGS] PATH..."
)


class Usage(Exception):
    """A bad command line."""


def parse(argv):
    """Splits the command line into driver options, oracle flags, the command, its args, paths."""
    opts = {"scheduler": os.environ.get("DASK_SCHEDULER_ADDRESS"), "oracle": "oracle",
            "pins": [], "quiet": False}
    flags, i = [], 0
    while i < len(argv) and argv[i] not in COMMANDS:
        a = argv[i]
        name, eq, val = a.partition("=")
        if name in ("--scheduler", "--oracle", "--pin"):
            if not eq:
                i += 1
                if i >= len(argv):
                    raise Usage(f"{name} needs a value")
                val = argv[i]
            if name == "--pin":
                prefix, sep, worker = val.partition("=")
                if not sep or not prefix or not worker:
                    raise Usage(f"--pin {val!r}: expected PREFIX=WORKER (a path prefix and a "
                                "Dask worker name or address)")
                opts["pins"].append((prefix, worker))
            else:
                opts[name[2:]] = val
        elif a == "--quiet":
            opts["quiet"] = True
        elif a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        else:
            flags.append(a)
            if a in VALUE_FLAGS and not eq and i + 1 < len(argv):
                i += 1
                flags.append(argv[i])
        i += 1
    if i >= len(argv):
        raise Usage("no COMMAND: one of " + ", ".join(sorted(COMMANDS)))
    if not opts["scheduler"]:
        raise Usage("--scheduler tcp://HOST:PORT is required (or DASK_SCHEDULER_ADDRESS)")
    command, args, paths = argv[i], [], []
    i += 1
    while i < len(argv):
        a = argv[i]
        name, eq, _ = a.partition("=")
        if name in REFUSED:
            raise Usage(f"{name} is set by oracle-fleet itself")
        if a.startswith("-") and a != "-":
            args.append(a)
            if name in VALUE_FLAGS and not eq and i + 1 < len(argv):
                i += 1
                args.append(argv[i])
        else:
            paths.append(a)
        i += 1
    if not paths:
        raise Usage("no PATH: name the files or directories to read (as the workers see them)")
    if "-" in paths:
        raise Usage("`-` (stdin) cannot be read on a fleet")
    return opts, flags, command, args, paths


def needs_anchor(command, args, flags):
    """True when the query has a relative time (or is `replay`, whose default window is)."""
    if any(a.partition("=")[0] == "--anchor" for a in flags + args):
        return False
    return command == "replay" or any(a.partition("=")[0] in TIME_FLAGS for a in args)


class Progress:
    """Progress lines on stderr (`--quiet`: none)."""

    def __init__(self, quiet):
        self.quiet = quiet
        self.start = time.monotonic()

    def say(self, msg):
        if not self.quiet:
            print(f"oracle-fleet: [{time.monotonic() - self.start:6.1f}s] {msg}",
                  file=sys.stderr, flush=True)


def pinned(pins, path):
    """The worker a path is pinned to (`--pin PREFIX=WORKER`, longest prefix), or None."""
    best = None
    for prefix, worker in pins:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, worker)
    return best[1] if best else None


def run(argv):
    """Runs the driver; returns the exit status."""
    import json
    import subprocess
    from distributed import Client, as_completed
    from . import tasks

    opts, flags, command, args, paths = parse(argv)
    progress = Progress(opts["quiet"])
    oracle, cwd = opts["oracle"], os.getcwd()
    failures = []

    def submit(fn, *a, path, key):
        w = pinned(opts["pins"], path)
        return client.submit(fn, *a, key=key, pure=False, retries=0,
                             workers=[w] if w else None, allow_other_workers=False)

    def collect(futures, what):
        """Results by future index; data failures are recorded with their path."""
        out, done, n = {}, 0, len(futures)
        index = {f.key: k for k, f in enumerate(futures)}
        step = max(1, n // 10)
        for f in as_completed(futures):
            k = index[f.key]
            if f.status == "error":
                e = f.exception()
                path = getattr(e, "path", None) or f"task {f.key}"
                failures.append((path, str(e)))
            else:
                out[k] = f.result()
            done += 1
            if done % step == 0 or done == n:
                progress.say(f"{what} {done}/{n}")
        return out

    token = f"{os.getpid()}-{int(time.time() * 1000)}"
    with Client(opts["scheduler"], timeout="30s") as client:
        nworkers = len(client.scheduler_info().get("workers", {}))
        progress.say(f"{nworkers} worker(s) at {opts['scheduler']}")
        # 1. List the inputs, in the order one machine reads them.
        listed = collect([submit(tasks.list_inputs, oracle, flags, p, cwd, path=p,
                                 key=f"oracle-ls-{n}-{token}")
                          for n, p in enumerate(paths)], "listed paths")
        # Inputs in order; a named path that gives none (not telemetry, unreadable) still gets
        # a partial run, so that the merged `sources` block reports it as one machine does.
        inputs, units, seen, total = [], [], set(), 0
        for n, p in enumerate(paths):
            recs = [json.loads(line) for line in listed.get(n, "").splitlines()]
            for rec in recs:
                if "format" in rec and rec["path"] not in seen:
                    seen.add(rec["path"])
                    units.append((rec["path"], len(inputs)))
                    inputs.append(rec["path"])
                    total += rec.get("bytes", 0)
            units.extend((rec["path"], len(inputs)) for rec in recs if "format" not in rec)
        progress.say(f"{len(inputs)} input(s), {total / 1e6:.1f} MB")
        # 2. The fleet-wide anchor of relative times.
        anchor_at = None
        if needs_anchor(command, args, flags) and inputs:
            got = collect([submit(tasks.anchor, oracle, flags, p, cwd, path=p,
                                  key=f"oracle-anchor-{r}-{token}")
                           for r, p in enumerate(inputs)], "anchors")
            times = [t for t in got.values() if t != "none"]
            anchor_at = max(times) if times else "none"
            progress.say(f"anchor {anchor_at}")
        # 3. One partial per input.
        cmd = [command, *args]
        parts = collect([submit(tasks.partial, oracle, flags, cmd, p, r, anchor_at, cwd, path=p,
                                key=f"oracle-partial-{k}-{token}")
                         for k, (p, r) in enumerate(units)], "partials")
    # 4. Merge here.
    for path, why in failures:
        print(f"oracle-fleet: {path}: {why}", file=sys.stderr)
    if not parts:
        print("oracle-fleet: no partial to merge", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="oracle-fleet-") as tmp:
        files = []
        for r in sorted(parts):
            f = os.path.join(tmp, f"{r:08d}.part")  # r: the unit's index
            with open(f, "wb") as fh:
                fh.write(parts[r])
            files.append(f)
        size = sum(len(b) for b in parts.values())
        progress.say(f"merging {len(files)} partial(s), {size / 1e6:.1f} MB")
        merge = [oracle, *flags, "merge"]
        for p in paths:
            merge += ["--for", p]
        if anchor_at is not None:
            merge += ["--anchor", anchor_at]
        p = subprocess.run([*merge, *cmd, *files], capture_output=True)
        progress.say(f"merged, exit status {p.returncode}")
    sys.stdout.buffer.write(p.stdout)
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(p.stderr)
    sys.stderr.buffer.flush()
    if failures and p.returncode == 0:
        return 2
    return p.returncode


def main():
    try:
        code = run(sys.argv[1:])
    except Usage as e:
        print(f"oracle-fleet: {e}\n{USAGE}", file=sys.stderr)
        code = 2
    except BrokenPipeError:
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    main()
