"""oracle-fleet on a two-worker Dask cluster prints, byte for byte, what one `oracle` prints.

Expected outputs are never written here: each comes from the one-machine `oracle` run over the
same paths, in the same directory.
"""

import os
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import ROOT

COMMANDS = ["queues", "diagnose", "errors", "agents", "cost"]
FLEET = os.path.join(os.path.dirname(sys.executable), "oracle-fleet")
TIMEOUT = 180


def one_machine(oracle, args, cwd):
    return subprocess.run([oracle, *args], cwd=cwd, capture_output=True, timeout=TIMEOUT)


def fleet(cluster, args, cwd, extra=()):
    return subprocess.run([FLEET, "--scheduler", cluster.address, "--quiet", *extra, *args],
                          cwd=cwd, capture_output=True, timeout=TIMEOUT)


def assert_same(got, want):
    assert got.returncode == want.returncode, got.stderr.decode()
    assert got.stdout == want.stdout
    assert got.stderr == want.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Observer files from benches/gen-observer.py, split over three directories, plus a pipe
    log and a transcript project copied from the fixtures."""
    root = tmp_path_factory.mktemp("corpus")
    gen = os.path.join(ROOT, "benches", "gen-observer.py")
    specs = [("d0/a.jsonl", 1, "python"), ("d0/b.jsonl", 2, "compact"),
             ("d1/c.jsonl", 3, "reordered"), ("d1/sub/d.jsonl", 4, "extra"),
             ("d2/e.jsonl", 5, "python"), ("d2/f.json", 6, "pretty-hook")]
    for rel, seed, layout in specs:
        out = root / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, gen, "--mb", "0.15", "--seed", str(seed),
                        "--reply-distance", "300", "--layout", layout, str(out)],
                       check=True, capture_output=True, timeout=120)
        summary = out.with_name(out.name + ".summary.json")
        if summary.exists():
            summary.unlink()
    shutil.copy(os.path.join(ROOT, "fixtures/pipe/teamsters-incident.log"), root / "d2")
    shutil.copytree(os.path.join(ROOT, "fixtures/transcripts"), root / "d1" / "transcripts")
    return str(root)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fmt", ["json", "table"])
def test_fixtures_match_one_machine(cluster, oracle, command, fmt):
    args = [command, "--format", fmt, "fixtures"]
    want = one_machine(oracle, args, ROOT)
    assert want.stdout
    assert_same(fleet(cluster, args, ROOT), want)


@pytest.mark.parametrize("command", COMMANDS)
def test_generated_corpus_in_several_directories_matches_one_machine(cluster, oracle, corpus,
                                                                     command):
    args = [command, "--format", "json", "d0", "d1", "d2"]
    want = one_machine(oracle, args, corpus)
    assert b'"records"' in want.stdout
    assert_same(fleet(cluster, args, corpus), want)


def test_relative_windows_use_the_fleet_wide_anchor(cluster, oracle, corpus):
    # `--since 20m` counts back from the last event of all the directories, not of each file.
    for args in (["errors", "--since", "20m", "--by", "message", "d0", "d1", "d2"],
                 ["cost", "--since", "1d", "--format", "json", "d1", "d2"],
                 ["replay", "-l", "7", "d2", "d0"]):
        want = one_machine(oracle, args, corpus)
        assert_same(fleet(cluster, args, corpus), want)


def test_fail_on_exit_status_is_the_one_machine_status(cluster, oracle):
    args = ["diagnose", "--fail-on", "warning", "fixtures"]
    want = one_machine(oracle, args, ROOT)
    assert want.returncode == 1
    assert_same(fleet(cluster, args, ROOT), want)


def wrapper(tmp_path, body):
    """An `oracle` wrapper script for the workers."""
    p = tmp_path / "oracle-wrapper"
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return str(p)


def test_a_killed_worker_mid_run_still_gives_the_one_machine_answer(own_cluster, oracle,
                                                                    corpus, tmp_path):
    # Each partial run takes 0.4 s more, so that the kill lands while tasks are running.
    slow = wrapper(tmp_path, f'case "$*" in *--partial*) sleep 0.4;; esac\nexec {oracle} "$@"\n')
    args = ["queues", "--format", "json", "d0", "d1", "d2"]
    want = one_machine(oracle, args, corpus)
    p = subprocess.Popen([FLEET, "--scheduler", own_cluster.address, "--oracle", slow, *args],
                         cwd=corpus, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        killed_at = None
        for line in p.stderr:
            text = line.decode()
            if " partials " in text:
                done, total = map(int, text.rsplit(" ", 1)[1].split("/"))
                if done < total:
                    own_cluster.kill("w1")
                    killed_at = (done, total)
                    break
        rest_out, rest_err = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert killed_at is not None, "the worker was killed before the last partial"
    assert own_cluster.procs["w1"].poll() is not None
    assert p.returncode == want.returncode, rest_err.decode()
    assert rest_out == want.stdout
    assert want.stderr in rest_err


def test_a_data_failure_is_reported_with_its_path_and_not_retried(cluster, oracle, corpus,
                                                                  tmp_path):
    log = tmp_path / "calls.log"
    poison = wrapper(tmp_path, f"""case "$*" in
  *--partial*d0/b.jsonl*) echo "$*" >> {log}; echo "oracle: d0/b.jsonl: disk on fire" >&2; exit 2;;
esac
exec {oracle} "$@"
""")
    got = fleet(cluster, ["queues", "--format", "json", "d0", "d1"], corpus,
                extra=["--oracle", poison])
    assert got.returncode == 2
    err = got.stderr.decode()
    assert "oracle-fleet: d0/b.jsonl:" in err and "disk on fire" in err, err
    assert log.read_text().count("\n") == 1, "a data failure runs once"
    # The report of what could be read is still printed.
    assert b'"command": "queues"' in got.stdout


def test_bad_command_lines_are_refused_in_our_words(cluster):
    got = fleet(cluster, ["queues", "--partial", "x", "fixtures"], ROOT)
    assert got.returncode == 2
    assert b"--partial is set by oracle-fleet itself" in got.stderr
    got = subprocess.run([FLEET, "queues", "fixtures"], cwd=ROOT, capture_output=True,
                         timeout=60, env={**os.environ, "DASK_SCHEDULER_ADDRESS": ""})
    assert got.returncode == 2
    assert b"--scheduler tcp://HOST:PORT is required" in got.stderr


def test_named_paths_that_are_not_telemetry_or_missing_are_reported_as_one_machine_does(
        cluster, oracle):
    args = ["queues", "--format", "json", "fixtures/example", "README.md", "no-such-file.jsonl"]
    want = one_machine(oracle, args, ROOT)
    assert want.returncode == 2
    assert b"no-such-file.jsonl" in want.stdout
    assert_same(fleet(cluster, args, ROOT), want)
