"""A signal ends `paxossim run --workers N` and all its workers: SIGTERM (exit 143), SIGHUP
(129) and Ctrl-C (SIGINT, 130), with nothing half-written left behind; and `run_jobs`, the
pool under every command, keeps job order and ends its workers when a job fails.

The workers are found through /proc (Linux); elsewhere the signal tests are skipped.
"""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paxossim.experiment import run_jobs

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"
WAIT = 60.0  # bound on every wait, so that a regression fails instead of hanging

needs_proc = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")


def children(pid: int) -> set[int]:
    """The live child processes of `pid`."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:  # the task ended meanwhile
            pass
    return found


def alive(pid: int) -> bool:
    """Running, sleeping or stopped; a zombie has ended (only its exit status is left)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {WAIT:.0f} s waiting until {what}")
        time.sleep(0.05)


# (signal, sent to the whole process group as a terminal or a hangup does, exit code)
CASES = [
    (signal.SIGTERM, False, 143),  # `kill <pid>`
    (signal.SIGTERM, True, 143),  # e.g. a container or service manager stopping the group
    (signal.SIGHUP, False, 129),
    (signal.SIGHUP, True, 129),  # the terminal went away
    (signal.SIGINT, True, 130),  # Ctrl-C at a terminal
    (signal.SIGINT, False, 130),  # `kill -INT <pid>`
]


@needs_proc
@pytest.mark.parametrize(
    "signum, group, code", CASES, ids=[f"{s.name}-{'group' if g else 'pid'}" for s, g, _ in CASES]
)
def test_a_signal_ends_the_run_and_all_its_workers(tmp_path, signum, group, code):
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "paxossim", "run", QUICKSTART, "--runs", "1000000",
         "--workers", "2", "--out", out],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": path}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    workers: set[int] = set()
    try:
        wait_until(lambda: len(children(proc.pid)) >= 2 or proc.poll() is not None,
                   "the workers started")
        workers = children(proc.pid)
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.5)  # let them get into their chunks
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=WAIT)
        assert proc.returncode == code, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"interrupted ({signum.name})"), stderr
        assert "Traceback" not in stderr
        wait_until(lambda: not any(alive(w) for w in workers), "the workers ended")
        assert not out.exists() or list(out.rglob("*")) == []  # no result, no temporary
    finally:  # whatever failed, leave no process behind
        for pid in [proc.pid, *workers]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=WAIT)


# -- run_jobs: the pool every command runs its chunks on ------------------------------------


def _slow_identity(k: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return k, os.getpid()


def _fail_or_sleep(k: int) -> int:
    if k == 0:
        time.sleep(0.5)  # let the other job start
        raise ValueError("job 0 failed")
    time.sleep(WAIT)  # would keep its worker busy long after the failure
    return k


def test_run_jobs_gives_results_in_job_order_whatever_the_order_they_finish():
    jobs = [(0, 1.0), (1, 0.0), (2, 0.0), (3, 0.0)]  # the first very likely finishes last
    seen = []
    results = run_jobs(_slow_identity, jobs, workers=2, progress=seen.append)
    assert [k for k, _ in results] == [0, 1, 2, 3]
    assert os.getpid() not in {pid for _, pid in results}
    assert sorted(seen) == jobs  # every job reported once


def test_run_jobs_runs_here_with_one_worker_or_one_job():
    for workers, jobs in ((1, [(0, 0.0), (1, 0.0)]), (4, [(0, 0.0)])):
        results = run_jobs(_slow_identity, jobs, workers=workers)
        assert results == [(k, os.getpid()) for k, _ in jobs]


def test_a_failed_job_ends_the_other_workers_at_once():
    with pytest.raises(ValueError, match="job 0 failed"):
        run_jobs(_fail_or_sleep, [(0,), (1,)], workers=2)
    assert multiprocessing.active_children() == []
