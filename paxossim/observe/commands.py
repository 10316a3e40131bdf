"""The client-visible history of a replicated key-value run: one row per client command
(`commands.parquet`), and the run's kv columns derived from it.

A subscriber of the run's observation point: it watches the clients' steps (a command
sent, sent again, answered). When each command was chosen, and in which slot, comes from
the safety checker's view of the log at the end of the run.
"""

import math
from typing import Any

import numpy as np
import pandas as pd

from paxossim.lincheck import LINEARIZABLE as LINEARIZABLE_VERDICT
from paxossim.lincheck import NOT_LINEARIZABLE, check_history, check_witness, frame_history
from paxossim.observe.invariants import LINEARIZABLE, Violation
from paxossim.protocol.effects import Responded, Submitted
from paxossim.protocol.kvstore import Command
from paxossim.protocol.role import Role

COMMAND_COLUMNS = (
    "scenario", "seed", "run", "client", "seq", "op", "key", "value", "expected", "result",
    "submitted_at", "chosen_at", "responded_at", "latency", "retries", "slot",
)  # fmt: skip


class CommandLog:
    """What every client command went through, in the order commands were first sent."""

    __slots__ = ("submitted", "retries", "responded")

    def __init__(self) -> None:
        self.submitted: dict[Command, float] = {}  # insertion order: first sent
        self.retries: dict[Command, int] = {}
        self.responded: dict[Command, tuple[float, Any]] = {}

    def step(
        self, now: float, node: int, role: Role | None, src: int, cause: Any, effects: list
    ) -> None:
        if role is None or role.KIND != "client":
            return
        for e in effects:
            etype = type(e)
            if etype is Submitted:
                if e.command in self.submitted:
                    self.retries[e.command] = self.retries.get(e.command, 0) + 1
                else:
                    self.submitted[e.command] = now
            elif etype is Responded:
                self.responded.setdefault(e.command, (now, e.result))

    def rows(self, scenario: str, seed: int, run: int, first_chosen: dict) -> list[tuple]:
        """One tuple per command (COMMAND_COLUMNS): `first_chosen` is the checker's
        slot -> (ballot, value, time); a command's slot is the first it was chosen in."""
        where: dict[Command, tuple[int, float]] = {}
        for slot in sorted(first_chosen):
            _, value, at = first_chosen[slot]
            for command in value:
                where.setdefault(command, (slot, at))
        rows = []
        nan = math.nan
        for c, submitted in self.submitted.items():
            slot, chosen_at = where.get(c, (None, nan))
            responded_at, result = self.responded.get(c, (nan, None))
            rows.append(
                (
                    scenario,
                    seed,
                    run,
                    c.client,
                    c.seq,
                    c.op,
                    c.key,
                    c.value,
                    c.expected,
                    result,
                    submitted,
                    chosen_at,
                    responded_at,
                    responded_at - submitted,
                    self.retries.get(c, 0),
                    slot,
                )  # fmt: skip
            )
        return rows


def commands_frame(rows: list[tuple]) -> pd.DataFrame:
    """The commands table with stable column order and dtypes, whatever the rows."""
    df = pd.DataFrame.from_records(rows, columns=list(COMMAND_COLUMNS))
    for col in ("scenario", "op", "key", "value", "expected", "result"):
        df[col] = df[col].astype("string")
    for col in ("seed", "run", "client", "seq", "retries"):
        df[col] = df[col].astype("int64")
    for col in ("submitted_at", "chosen_at", "responded_at", "latency"):
        df[col] = df[col].astype("float64")
    df["slot"] = df["slot"].astype("Int64")
    return df


def linearizability(
    rows: list[tuple], budget: int, first_chosen: dict | None = None
) -> tuple[bool | None, Violation | None]:
    """Whether the run's client history is linearizable (None: the search spent `budget`
    states without a verdict, or `budget` is 0), and the violation to report if not: at
    the culprit's response, with the smallest sub-history of its key that still fails.

    The log's own order comes first: the commands in the order of the slots that chose
    them (`first_chosen`), each at its first slot, are a linearization in the common
    case, checked in one pass (`check_witness`). Only when they are not (a bug answered
    a client outside the log, or a client saw something the log does not explain) does
    the search decide, within `budget`."""
    if budget == 0:
        return None, None
    frame = commands_frame(rows)
    try:
        ops = frame_history(frame)
    except ValueError as e:  # a response that no command of its kind can give
        last = frame["responded_at"].max()  # reported as of the last response
        return False, Violation(last, LINEARIZABLE, f"a response does not fit its command: {e}")
    if first_chosen is not None and check_witness(ops, _log_order(frame, first_chosen)):
        return True, None
    result = check_history(ops, "kv", budget)
    if result.verdict == LINEARIZABLE_VERDICT:
        return True, None
    if result.verdict != NOT_LINEARIZABLE:
        return None, None
    culprit = result.culprit
    shown = "; ".join(_op(op) for op in result.minimal or ())
    detail = (
        f"key {result.key!r}: {_op(culprit)} has no linearization"
        f" ({len(result.minimal or ())} operations that still fail: {shown})"
    )
    at = culprit.ret if culprit is not None and culprit.ret is not None else math.nan
    return False, Violation(at, LINEARIZABLE, detail)


def _log_order(frame: pd.DataFrame, first_chosen: dict) -> list[int]:
    """The positions in `frame_history(frame)` of the commands, in log order: slot by
    slot, in batch order, each command at the first slot that chose it."""
    ordered = frame.sort_values(["submitted_at", "client", "seq"], kind="mergesort")
    position = {
        (c, q): i for i, (c, q) in enumerate(zip(ordered["client"], ordered["seq"], strict=True))
    }
    order: list[int] = []
    seen: set[tuple[int, int]] = set()
    for slot in sorted(first_chosen):
        for command in first_chosen[slot][1]:
            key = (command.client, command.seq)
            if key not in seen and key in position:
                seen.add(key)
                order.append(position[key])
    return order


def _op(op: Any) -> str:
    """An operation as people read a history: client, call..return, what it did."""
    if op is None:
        return "an operation"
    ret = "?" if op.ret is None else f"{op.ret:.6g}"
    if op.f == "cas":
        what = f"cas({op.value[0]}->{op.value[1]}) = {op.result}"
    elif op.f == "get":
        what = f"get = {op.result}"
    else:
        what = f"{op.f}({op.value})"
    return f"c{op.process} {what} [{op.call:.6g}, {ret}]"


def kv_summary(rows: list[tuple], first_chosen: dict, ended_at: float) -> dict[str, Any]:
    """The run row's kv columns from its command rows and the chosen log."""
    submitted = np.array([r[10] for r in rows], dtype=float)
    responded = np.array([r[12] for r in rows], dtype=float)
    done = ~np.isnan(responded)
    latency = responded[done] - submitted[done]
    span = (responded[done].max() - submitted.min()) if done.any() else 0.0
    values = [v for _, v, _ in first_chosen.values()]
    return {
        "commands": len(rows),
        "completed": int(done.sum()),
        "throughput": float(done.sum() / span) if span > 0 else math.nan,
        "latency_p50": _percentile(latency, 50),
        "latency_p99": _percentile(latency, 99),
        "slots_chosen": len(first_chosen),
        "noops": sum(1 for v in values if v == ()),
        "longest_stall": longest_stall(
            submitted,
            np.where(done, responded, ended_at),
            sorted(at for _, v, at in first_chosen.values() if v != ()),
        ),
    }


def _percentile(values: np.ndarray, p: float) -> float:
    """Empirical (inverted CDF), as the summaries: a latency some command really had."""
    return float(np.percentile(values, p, method="inverted_cdf")) if len(values) else math.nan


def longest_stall(start: np.ndarray, end: np.ndarray, chosen: list[float]) -> float:
    """The longest interval during which some command was outstanding (between its
    submission and its response, or the end of the run) and no command was chosen."""
    if len(start) == 0:
        return 0.0
    order = np.argsort(start, kind="stable")
    busy: list[list[float]] = []  # the union of the outstanding intervals
    for i in order:
        a, b = float(start[i]), float(end[i])
        if busy and a <= busy[-1][1]:
            busy[-1][1] = max(busy[-1][1], b)
        else:
            busy.append([a, b])
    times = np.asarray(chosen, dtype=float)
    longest = 0.0
    for a, b in busy:
        inside = times[(times > a) & (times < b)]
        points = np.concatenate(([a], inside, [b]))
        longest = max(longest, float(np.diff(points).max()))
    return longest
