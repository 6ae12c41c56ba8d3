"""A Dask cluster on 127.0.0.1 for the fleet tests: one scheduler, two workers.

Random free ports, bounded waits, and every process stopped at the end, even when a test
fails (each runs in its own session, so its whole process group is signalled).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASK = os.path.join(os.path.dirname(sys.executable), "dask")
START_TIMEOUT = 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"scheduler exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"scheduler not listening on {port} after {timeout}s")


class Cluster:
    """`dask scheduler` and `dask worker`s (no nanny: killing one loses it)."""

    def __init__(self, tmp, workers=2):
        self.procs = {}
        self.logs = []
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.tmp = tmp
        try:
            self._spawn("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--no-dashboard"])
            wait_port(self.port, self.procs["scheduler"], START_TIMEOUT)
            for n in range(1, workers + 1):
                self._spawn(f"w{n}", [DASK, "worker", self.address, "--name", f"w{n}",
                                      "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                      "--host", "127.0.0.1", "--death-timeout", "60"])
            from distributed import Client
            with Client(self.address, timeout="30s") as c:
                c.wait_for_workers(workers, timeout=START_TIMEOUT)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, name, cmd):
        log = open(os.path.join(self.tmp, f"{name}.log"), "wb")
        self.logs.append(log)
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def kill(self, name):
        """SIGKILL a worker at once (its tasks are lost with it)."""
        p = self.procs[name]
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)

    def stop(self):
        for p in reversed(list(self.procs.values())):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for log in self.logs:
            log.close()


@pytest.fixture(scope="session")
def oracle():
    path = shutil.which("oracle")
    assert path, "oracle must be on PATH (scripts/test.sh puts target/release first)"
    return path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, oracle):
    c = Cluster(str(tmp_path_factory.mktemp("cluster")))
    yield c
    c.stop()


@pytest.fixture
def own_cluster(tmp_path, oracle):
    """A cluster for one test (it may kill a worker)."""
    c = Cluster(str(tmp_path))
    yield c
    c.stop()
