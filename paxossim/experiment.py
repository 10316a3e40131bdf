"""Many seeded runs of a scenario, on one process or several, as one tidy table.

Run i of a scenario uses seed `scenario.seed + i` and nothing else, so the rows are the
same whatever the number of workers or the order in which they finish.
"""

import itertools
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from paxossim.observe.commands import commands_frame
from paxossim.observe.record import RUN_COLUMNS as _RECORD_COLUMNS
from paxossim.observe.trace import COLUMNS as TRACE_COLUMNS
from paxossim.observe.trace import MAX_TRACE_ROWS
from paxossim.scenario import Scenario
from paxossim.sim.world import Plan, simulate

RUN_COLUMNS = list(_RECORD_COLUMNS)
CHUNK = 1000
_TIME_COLUMNS = ("chosen_at", "learned_at", "decided_at")
_TERMINATE_GRACE = 5.0  # seconds a terminated worker has to end before it is killed
R = TypeVar("R")


@dataclass(frozen=True)
class Batch:
    """The runs of one scenario: the scenario as run (overrides applied), one row per
    run, and the event trace of every run when it was asked for."""

    scenario: Scenario
    runs: pd.DataFrame
    events: pd.DataFrame | None = None
    commands: pd.DataFrame | None = None  # a kv scenario's client commands, every run


def run_scenario(
    scenario: Scenario,
    runs: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    *,
    horizon: float | None = None,
) -> pd.DataFrame:
    """Simulate `runs` runs (default: the scenario's) from base `seed`; one row per run."""
    return run_batch(scenario, runs, seed, workers, horizon=horizon).runs


def run_batch(
    scenario: Scenario,
    runs: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    *,
    horizon: float | None = None,
    trace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Batch:
    """`run_scenario` that also keeps the scenario as run and, on request, the traces;
    `progress(n)` hears of every n runs done."""
    scenario = scenario.with_overrides(runs=runs, seed=seed, horizon=horizon)
    return _run_batches([scenario], workers, trace, progress)[0]


def compare(
    scenarios: list[Scenario],
    runs: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[Batch]:
    """Run every scenario on the same seeds (default: the first scenario's runs and seed),
    so that differences come from the scenarios, not the draws: each component's draws
    come from its own stream, and the compared runs meet the same delays where they send
    the same messages."""
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be distinct to compare, got {names}")
    runs = runs if runs is not None else scenarios[0].runs
    seed = seed if seed is not None else scenarios[0].seed
    chosen = [s.with_overrides(runs=runs, seed=seed) for s in scenarios]
    return _run_batches(chosen, workers, progress=progress)


def _run_batches(
    scenarios: list[Scenario],
    workers: int,
    trace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Batch]:
    """All runs of all scenarios, over one pool of workers when there are several;
    `progress(n)` hears of every n runs done."""
    workers = resolve_workers(workers)
    jobs = [(s, a, b, trace) for s in scenarios for a, b in _chunks(s.runs, workers)]
    done = progress or (lambda n: None)
    parts = run_jobs(_run_chunk, jobs, workers, lambda job: done(job[2] - job[1]))
    batches = []
    for scenario in scenarios:
        mine = [part for (s, *_), part in zip(jobs, parts, strict=True) if s is scenario]
        rows = [row for part_rows, _, _ in mine for row in part_rows]
        events = pd.concat([e for _, e, _ in mine], ignore_index=True) if trace else None
        commands = commands_frame([c for _, _, part in mine for c in part]) if scenario.kv else None
        batches.append(Batch(scenario, runs_frame(rows), events, commands))
    return batches


def run_jobs(
    fn: Callable[..., R],
    jobs: Sequence[tuple],
    workers: int = 1,
    progress: Callable[[tuple], None] | None = None,
) -> list[R]:
    """`[fn(*job) for job in jobs]`, over `workers` processes (0: one per core), in the
    order of `jobs` whatever the order in which they finish; `progress(job)` is called in
    this process as each job is done. With one worker, or one job, they run here.

    Stopping is all or nothing: if a job fails or this process is interrupted (Ctrl-C,
    or a signal handler that raises, as the `paxossim` command installs for SIGTERM and
    SIGHUP), the jobs not started are cancelled, the workers are terminated at once (not
    left to finish their jobs, nor blocked forever on a queue whose reader has gone) and
    the exception goes on. So a caller that writes its results only after this returns
    writes all of them or none.

    The workers leave every signal to this process: they ignore SIGINT, which a terminal
    sends to the whole foreground process group on Ctrl-C, so that the interrupt is seen
    once, here, rather than as an exception inside some job; SIGTERM and SIGHUP keep their
    default action (end the process), so that terminating a worker is immediate even when
    it was forked with this process's Python handlers."""
    jobs = list(jobs)
    done = progress or (lambda job: None)
    workers = min(resolve_workers(workers), len(jobs))
    if workers <= 1:
        results = []
        for job in jobs:
            results.append(fn(*job))
            done(job)
        return results
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_leave_signals_to_the_parent)
    try:
        index = {pool.submit(fn, *job): k for k, job in enumerate(jobs)}
        results: list = [None] * len(jobs)
        for future in as_completed(index):
            k = index[future]
            results[k] = future.result()  # a job's exception is raised here
            done(jobs[k])
    except BaseException:
        _terminate(pool)
        raise
    pool.shutdown()
    return results


def _leave_signals_to_the_parent() -> None:
    """Runs first in every worker process: see `run_jobs`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now. `shutdown(wait=False)` alone
    leaves running workers to finish their jobs, and once this process is gone they block
    forever on the call queue; so each worker is sent SIGTERM (SIGKILL if it has not ended
    within a few seconds) and waited for. The workers are read from the pool's private
    `_processes`, before `shutdown` forgets them: Python 3.11 offers no public way to
    reach them (Python 3.14 adds `terminate_workers`, which reads them the same way)."""
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with suppress(ProcessLookupError, ValueError):  # it ended already
            process.terminate()
    for process in processes:
        with suppress(ValueError):
            process.join(_TERMINATE_GRACE)
            if process.exitcode is None:
                with suppress(ProcessLookupError):
                    process.kill()
                process.join(_TERMINATE_GRACE)


def runs_frame(rows: list[dict]) -> pd.DataFrame:
    """The table of runs with stable column order and dtypes, whatever the rows."""
    df = pd.DataFrame.from_records(rows, columns=RUN_COLUMNS)
    for col in _TIME_COLUMNS:
        df[col] = df[col].astype("float64")
    df["value"] = df["value"].astype("string")
    df["violation"] = df["violation"].astype("string")
    for col in ("commands", "completed", "slots_chosen", "noops"):
        df[col] = df[col].astype("Int64")
    for col in ("throughput", "latency_p50", "latency_p99", "longest_stall"):
        df[col] = df[col].astype("float64")
    df["linearizable"] = df["linearizable"].astype("boolean")
    return df


def resolve_workers(workers: int) -> int:
    """0 (or less) means one worker per available core."""
    if workers >= 1:
        return workers
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _chunks(runs: int, workers: int) -> list[tuple[int, int]]:
    """Contiguous run ranges: a few per worker so that a slow chunk does not hold all, and
    none above CHUNK runs so that progress shows. They never change the rows."""
    count = min(runs, max(workers * 4 if workers > 1 else 1, -(-runs // CHUNK)))
    bounds = [runs * k // count for k in range(count + 1)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _run_chunk(
    scenario: Scenario, start: int, stop: int, trace: bool
) -> tuple[list[dict], pd.DataFrame | None, list[tuple]]:
    """Runs start..stop-1 of a scenario: their rows, their events when traced, and the
    rows of their client commands (kv). The
    traced events of a chunk may take its share (by runs) of MAX_TRACE_ROWS: more raise
    TraceTooLarge, so that all the chunks together stay within it."""
    plan = Plan.of(scenario)
    rows, traces, commands = [], [], []
    allowance = MAX_TRACE_ROWS * (stop - start) // scenario.runs
    for run in range(start, stop):
        result = simulate(
            scenario, scenario.seed + run, run=run, plan=plan, trace=trace, trace_limit=allowance
        )
        rows.append(result.record.as_row())
        if result.commands:
            commands.extend(result.commands)
        if trace:
            events = result.trace
            allowance -= len(events)
            events.insert(0, "run", run)
            events.insert(0, "seed", scenario.seed + run)
            events.insert(0, "scenario", scenario.name)
            traces.append(events)
    if not trace:
        return rows, None, commands
    empty = pd.DataFrame(columns=["scenario", "seed", "run", *TRACE_COLUMNS])
    return rows, pd.concat(traces, ignore_index=True) if traces else empty, commands
