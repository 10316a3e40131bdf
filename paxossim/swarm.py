"""`paxossim swarm`: many whole random scenarios, each run once with every check on.

Run i of a swarm from base seed S draws its scenario from seed S + i (paxossim.generate) and
simulates it with that seed, so a row depends on its seed alone, never on the number of
workers. A run fails if it breaks a safety invariant, or if its configuration promises
liveness (paxossim.liveness) and it does not choose a value that every learner up at the end
learns. Failures are written as scenario files and shrunk (paxossim.shrink).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from paxossim import liveness
from paxossim.experiment import _chunks, resolve_workers, run_jobs, runs_frame
from paxossim.generate import draw_scenario
from paxossim.results import atomic_write, write_table
from paxossim.scenario import _UNION_KEYS, Scenario, parse_scenario
from paxossim.shrink import compact_toml, shrink
from paxossim.sim.world import simulate

TABLE_FILE = "swarm.parquet"
FAILURES = "failures"
#: Failures shrunk per swarm (the first, by seed); every failure is written.
SHRINK_FAILURES = 10
#: Simulations one shrink may spend.
SHRINK_BUDGET = 300

#: The keys of every delay distribution and backoff kind, from their models.
DELAY_KEYS = tuple(k for k in _UNION_KEYS["network.delay"] if k != "dist")
BACKOFF_KEYS = tuple(k for k in _UNION_KEYS["protocol.backoff"] if k != "kind")


def _key(model: Any, key: str) -> float:
    """A field of a delay or backoff table by its key in the file; NaN if its kind has none."""
    value = model.model_dump(by_alias=True).get(key)
    return math.nan if value is None else float(value)


def _getter(table: str, key: str) -> Callable[[Scenario], float]:
    if table == "delay":
        return lambda s: _key(s.network.delay, key)
    return lambda s: _key(s.protocol.backoff, key)


#: Scenario parameters by key path, with their column type: lists become counts, "all" the
#: number of nodes it names, quorum sizes the sizes used; a key the table lacks is NaN.
PARAMS: dict[str, tuple[str, Callable[[Scenario], Any]]] = {
    "cluster.nodes": ("int64", lambda s: s.cluster.nodes),
    "cluster.proposers": ("int64", lambda s: len(s.proposer_ids)),
    "cluster.acceptors": ("int64", lambda s: len(s.acceptor_ids)),
    "cluster.learners": ("int64", lambda s: len(s.learner_ids)),
    "network.delay.dist": ("string", lambda s: s.network.delay.dist),
    **{f"network.delay.{k}": ("float64", _getter("delay", k)) for k in DELAY_KEYS},
    "network.loss": ("float64", lambda s: s.network.loss),
    "network.duplicate": ("float64", lambda s: s.network.duplicate),
    "network.lossy_until": (
        "float64",
        lambda s: math.nan if s.network.lossy_until is None else s.network.lossy_until,
    ),
    "network.partitions": ("int64", lambda s: len(s.network.partitions)),
    "faults": ("int64", lambda s: len(s.faults)),
    "protocol.strategy": ("string", lambda s: s.protocol.strategy),
    "protocol.retry_timeout": ("float64", lambda s: s.protocol.retry_timeout),
    "protocol.backoff.kind": ("string", lambda s: s.protocol.backoff.kind),
    **{f"protocol.backoff.{k}": ("float64", _getter("backoff", k)) for k in BACKOFF_KEYS},
    "protocol.nack": ("bool", lambda s: s.protocol.nack),
    "protocol.learning": ("string", lambda s: s.protocol.learning),
    "protocol.distinguished_learners": ("int64", lambda s: len(s.distinguished_learner_ids)),
    "protocol.poll_interval": ("float64", lambda s: s.protocol.poll_interval),
    "protocol.catchup": ("float64", lambda s: s.protocol.catchup),
    "protocol.quorum.phase1": ("int64", lambda s: s.quorum_sizes[0]),
    "protocol.quorum.phase2": ("int64", lambda s: s.quorum_sizes[1]),
    "protocol.leader.heartbeat": ("float64", lambda s: s.protocol.leader.heartbeat),
    "protocol.leader.timeout": ("float64", lambda s: s.protocol.leader.timeout),
    "protocol.leader.timeout_jitter": ("float64", lambda s: s.protocol.leader.timeout_jitter),
}
#: What the drawn scenario made likely, beyond its keys.
DERIVED = {
    "heal_at": "float64",  # when the last fault ends (inf: never), see paxossim.liveness
    "simultaneous_starts": "bool",  # two proposers start at the same instant
    "fault_at_start": "bool",  # a crash or restart at the instant a proposer starts
    "faults_at_once": "bool",  # two nodes crash or restart at the same instant
    "restarts": "int64",  # faults with a restart before the horizon
}
OUTCOME = {
    "liveness_checked": "bool",
    "liveness_failed": "bool",
    "liveness_note": "string",  # the liveness precondition the scenario misses, if any
    "invariant": "string",  # the first invariant violated, "" if none
}
_SCHEMA = {**{k: t for k, (t, _) in PARAMS.items()}, **DERIVED}


def run_drawn(seed: int, run: int, strategy: str | None, bugs: tuple[str, ...]) -> dict:
    """Draw swarm run `seed`'s scenario, simulate it, judge it: one row."""
    s = parse_scenario(draw_scenario(seed, strategy, bugs), source=f"swarm seed {seed}")
    result = simulate(s, seed, run=run)
    promise = liveness.promise(s)
    starts = s.propose_times
    fault_times = {t for f in s.faults for t in (f.crash_at, f.restart_at) if t is not None}
    nodes_at: dict[float, set[int]] = {}
    for f in s.faults:
        for t in (f.crash_at, f.restart_at):
            nodes_at.setdefault(t, set()).add(f.node)
    row = {name: get(s) for name, (_, get) in PARAMS.items()}
    row.update(
        heal_at=promise.heal_at,
        simultaneous_starts=len(set(starts)) < len(starts),
        fault_at_start=bool(fault_times & set(starts)),
        faults_at_once=any(len(n) > 1 for t, n in nodes_at.items() if t is not None),
        restarts=sum(f.restart_at is not None and f.restart_at < s.horizon for f in s.faults),
    )
    row.update(result.record.as_row())
    row.update(
        liveness_checked=promise.held,
        liveness_failed=promise.held and not liveness.kept(s, result.record),
        liveness_note=promise.reason,
        invariant=result.violations[0].invariant if result.violations else "",
    )
    return row


def swarm_chunk(
    base_seed: int, start: int, stop: int, strategy: str | None, bugs: tuple[str, ...] = ()
) -> list[dict]:
    """Rows of swarm runs start..stop-1 (seeds base_seed + i): a pure function of its
    arguments, so chunks may run anywhere, in any order."""
    return [run_drawn(base_seed + i, i, strategy, bugs) for i in range(start, stop)]


def run_swarm(
    runs: int,
    seed: int = 0,
    workers: int = 1,
    strategy: str | None = None,
    bugs: tuple[str, ...] = (),
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """The swarm table: one row per run, in seed order, whatever the workers."""
    chunks = _chunks(runs, resolve_workers(workers))
    jobs = [(seed, a, b, strategy, bugs) for a, b in chunks]
    done = progress or (lambda n: None)
    parts = run_jobs(swarm_chunk, jobs, workers, lambda job: done(job[2] - job[1]))
    return swarm_frame([row for part in parts for row in part])


def swarm_frame(rows: list[dict]) -> pd.DataFrame:
    """The table with fixed columns and types, whatever the rows."""
    params = pd.DataFrame({k: pd.Series([r[k] for r in rows], dtype=t) for k, t in _SCHEMA.items()})
    outcome = pd.DataFrame(
        {k: pd.Series([r[k] for r in rows], dtype=t) for k, t in OUTCOME.items()}
    )
    return pd.concat([params, runs_frame(rows), outcome], axis=1)


# -- failures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One failing run: its seed, what failed, and the files written for it."""

    seed: int
    invariant: str  # "" for a liveness failure
    detail: str
    original: Path
    shrunk: Path | None = None
    steps: str = ""

    @property
    def kind(self) -> str:
        return "SAFETY VIOLATION" if self.invariant else "LIVENESS FAILURE"


def _still_fails(s: Scenario, invariant: str) -> bool:
    """The same failure as the original: a violation of the same invariant, or (for a
    liveness failure) a scenario still held to liveness that still misses it."""
    result = simulate(s)
    if invariant:
        return any(v.invariant == invariant for v in result.violations)
    return liveness.promise(s).held and not liveness.kept(s, result.record)


def shrink_failure(
    seed: int, strategy: str | None, bugs: tuple[str, ...], invariant: str
) -> tuple[dict, int, list[str]]:
    """The drawn scenario of `seed`, shrunk while it fails the same way: (data, simulations
    spent, steps kept)."""
    data = draw_scenario(seed, strategy, bugs)
    return shrink(data, lambda s: _still_fails(s, invariant), SHRINK_BUDGET)


def liveness_detail(row: pd.Series) -> str:
    if not row["chosen"]:
        return "nothing chosen by the horizon"
    return f"{row['value']} chosen at {row['chosen_at']:.6g}s, not learned by every learner up"


def write_failures(
    table: pd.DataFrame,
    out: Path,
    strategy: str | None,
    bugs: tuple[str, ...],
    workers: int = 1,
) -> list[Failure]:
    """Write every failing run's scenario as `<out>/failures/seed<S>.toml`, shrink the first
    SHRINK_FAILURES of them and write each smallest as `seed<S>-min.toml`; the failure
    files of an earlier swarm into the same folder are removed first."""
    bad = table[(table["invariant"] != "") | table["liveness_failed"]]
    folder = out / FAILURES
    for old in sorted(folder.glob("seed*.toml")):  # an earlier swarm's, not this one's
        old.unlink()
    failures = []
    for _, row in bad.iterrows():
        seed, invariant = int(row["seed"]), str(row["invariant"])
        s = parse_scenario(draw_scenario(seed, strategy, bugs))
        path = folder / f"seed{seed}.toml"
        detail = str(row["violation"]) if invariant else liveness_detail(row)
        header = f"# Drawn by paxossim swarm from seed {seed}: {detail}\n"
        _write_text(path, header + compact_toml(s))
        failures.append(Failure(seed, invariant, detail, path))
    jobs = [(f.seed, strategy, bugs, f.invariant) for f in failures[:SHRINK_FAILURES]]
    shrunk = run_jobs(shrink_failure, jobs, workers, lambda job: None)
    for i, (data, sims, steps) in enumerate(shrunk):
        f = failures[i]
        s = parse_scenario(
            {
                **data,
                "name": f"swarm-seed{f.seed}-min",
                "description": f"shrunk from {f.original.name}, "
                f"drawn by paxossim swarm from seed {f.seed}",
            }
        )
        path = folder / f"seed{f.seed}-min.toml"
        what = f.invariant or "liveness"
        header = (
            f"# Shrunk from {f.original.name} in {sims} simulations; still fails {what}.\n"
            f"# Steps kept: {_steps_text(steps)}\n"
        )
        _write_text(path, header + compact_toml(s))
        failures[i] = Failure(f.seed, f.invariant, f.detail, f.original, path, _steps_text(steps))
    return failures


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text))


def _steps_text(steps: list[str]) -> str:
    """ "drop a node x3, drop all faults": the kept steps, counted, in first-kept order."""
    counts = {step: steps.count(step) for step in steps}
    return ", ".join(f"{k} x{n}" if n > 1 else k for k, n in counts.items()) or "no step helped"


def write_swarm_table(table: pd.DataFrame, out: Path) -> Path:
    """`<out>/swarm.parquet`, written atomically."""
    path = out / TABLE_FILE
    write_table(table, path)
    return path


# -- the summary ------------------------------------------------------------------------

#: Paths a clean swarm must have taken to mean something: label -> runs that took it.
PATHS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "simultaneous starts": lambda t: t["simultaneous_starts"],
    "fault at a start instant": lambda t: t["fault_at_start"],
    "faults at one instant": lambda t: t["faults_at_once"],
    "value adopted": lambda t: t["adopted"] > 0,
    "preemption": lambda t: t["preemptions"] > 0,
    "round timed out": lambda t: t["timeouts"] > 0,
    "message lost": lambda t: t["messages_dropped"] > 0,
    "duplicate delivered": lambda t: t["duplicates_delivered"] > 0,
    "crash mid-ballot": lambda t: t["crashes_mid_ballot"] > 0,
    "restart": lambda t: t["restarts"] > 0,
    "partition": lambda t: t["network.partitions"] > 0,
    "leader change": lambda t: t["leader_changes"] > 0,
    "livelock": lambda t: t["livelock"],
    "nothing chosen": lambda t: ~t["chosen"],
}


def format_summary(table: pd.DataFrame, path: Path) -> str:
    n = len(table)
    unsafe = int((table["invariant"] != "").sum())
    checked = int(table["liveness_checked"].sum())
    failed = int(table["liveness_failed"].sum())
    seeds = f"{int(table['seed'].iloc[0])}..{int(table['seed'].iloc[-1])}"
    leader = int((table["protocol.strategy"] == "leader").sum())
    lines = [
        f"swarm: {n} runs on seeds {seeds} ({leader} leader, {n - leader} leaderless)",
        f"  safety violations    {unsafe}",
        f"  liveness             checked {checked} ({100 * checked / n:.1f}%), failed {failed}",
        "  paths taken              runs   share",
    ]
    for label, took in PATHS.items():
        k = int(took(table).sum())
        lines.append(f"    {label:<25}{k:>6}  {100 * k / n:5.1f}%")
    lines.append(f"  table                {path}")
    return "\n".join(lines)


def _draw_until(path: Path) -> float:
    """Where a diagram of the scenario at `path` should end: a little past its first
    violation, so that the violating step is in the picture, else at its horizon (a
    liveness failure is a whole run that never got there)."""
    from paxossim.scenario import load_scenario

    scenario = load_scenario(path)
    violations = simulate(scenario).violations
    if violations:
        return min(scenario.horizon, violations[0].time * 1.1 + 0.001)
    return scenario.horizon


def format_failures(failures: list[Failure], shown_seeds: int = 30) -> str:
    """The shrunk failures with their replay commands; the rest by seed."""
    lines = []
    for f in failures:
        if f.shrunk is None:
            continue
        lines.append(f"{f.kind} seed {f.seed}: {f.detail}")
        lines.append(f"  replay:  paxossim run {f.original}")
        lines.append(f"  shrunk:  paxossim run {f.shrunk}   ({f.steps})")
        lines.append(f"  draw it: paxossim trace {f.shrunk} --until {_draw_until(f.shrunk):.6g}")
    rest = [f for f in failures if f.shrunk is None]
    if rest:
        seeds = ", ".join(str(f.seed) for f in rest[:shown_seeds])
        more = f" and {len(rest) - shown_seeds} more" if len(rest) > shown_seeds else ""
        lines.append(
            f"{len(rest)} more failures, not shrunk, seeds {seeds}{more}: "
            f"replay with paxossim run {rest[0].original.parent}/seed<S>.toml"
        )
    return "\n".join(lines)
