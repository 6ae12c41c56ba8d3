#!/usr/bin/env python3
"""Times shell commands interleaved: each round runs every command once, in turn,
so a machine whose speed drifts during the run slows all of them alike.

usage: python3 benches/interleave.py ROUNDS 'cmd 1' 'cmd 2' ...

Each command runs once first as a warm-up (not timed). Prints, per command, the
median and the minimum wall time in ms over the rounds (stdout and stderr of the
commands are discarded)."""
import statistics
import subprocess
import sys
import time

rounds = int(sys.argv[1])
cmds = sys.argv[2:]
quiet = dict(shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
times = {c: [] for c in cmds}
for c in cmds:
    subprocess.run(c, **quiet)
for _ in range(rounds):
    for c in cmds:
        t = time.perf_counter()
        subprocess.run(c, **quiet)
        times[c].append((time.perf_counter() - t) * 1000)
for c in cmds:
    print(f"{statistics.median(times[c]):8.1f} ms median {min(times[c]):8.1f} min  {c}")
