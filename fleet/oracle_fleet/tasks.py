"""What runs on the Dask workers: `oracle` as a subprocess, one input at a time.

Each function returns what `oracle` printed, or raises `DataError` when `oracle` refused
the input (a data reason: the driver reports it with its path and never retries it).
Losing the worker while a function runs is Dask's concern: the scheduler runs the task
again on another worker.
"""

import os
import subprocess


class DataError(Exception):
    """`oracle` failed on an input for a reason of the data or the query (exit status 2)."""

    def __init__(self, path, status, stderr):
        super().__init__(f"{path}: oracle exited with status {status}: {stderr.strip()}")
        self.path = path
        self.status = status
        self.stderr = stderr

    def __reduce__(self):
        return (DataError, (self.path, self.status, self.stderr))


def _run(oracle, args, path, cwd):
    where = cwd if cwd and os.path.isdir(cwd) else None
    p = subprocess.run([oracle, *args], cwd=where, capture_output=True)
    if p.returncode != 0:
        raise DataError(path, p.returncode, p.stderr.decode("utf-8", "replace"))
    return p.stdout


def list_inputs(oracle, flags, path, cwd):
    """`oracle ls PATH`: the JSON lines of the inputs under `path`, in reading order."""
    return _run(oracle, [*flags, "ls", path], path, cwd).decode("utf-8")


def anchor(oracle, flags, path, cwd):
    """`oracle anchor PATH`: the last event time of one input (RFC 3339 ns) or `none`."""
    return _run(oracle, [*flags, "anchor", path], path, cwd).decode("utf-8").strip()


def partial(oracle, flags, command, path, rank, anchor_at, cwd):
    """`oracle COMMAND --partial - --input-rank RANK [--anchor T] PATH`: the partial's bytes."""
    args = [*flags, *command, "--partial", "-", "--input-rank", str(rank)]
    if anchor_at is not None:
        args += ["--anchor", anchor_at]
    return _run(oracle, [*args, path], path, cwd)
