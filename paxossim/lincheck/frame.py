"""Checking a table of client commands, as in paxossim's `commands.parquet`.

The simulator's clients record one row per command; a replicated store built on Paxos is
correct only if every run's commands, as the clients saw them, are linearizable. This
turns the rows into `Op`s and checks each run apart (runs are independent executions).

Columns read (others are ignored): `scenario`, `seed`, `run`, `client`, `seq`, `op`
("get", "put", "cas" or "append"), `key`, `value` (the put/append value, the cas new
value), `expected` (the cas expected value; null: the key must be absent), `result` (get:
the value read, null for absent; put/append: "ok"; cas: "ok" or "fail"), `submitted_at`
(the call) and `responded_at` (the return; NaN: the command never completed, so it may or
may not have taken effect). A command that never completed has no result to check.
"""

from collections.abc import Hashable

import pandas as pd

from paxossim.lincheck.history import Op
from paxossim.lincheck.models import Model, get_model
from paxossim.lincheck.search import DEFAULT_BUDGET, CheckResult, check_history

COLUMNS = (
    "scenario",
    "seed",
    "run",
    "client",
    "seq",
    "op",
    "key",
    "value",
    "expected",
    "result",
    "submitted_at",
    "responded_at",
)
KINDS = ("get", "put", "cas", "append")


def check_linearizable(
    frame: pd.DataFrame,
    model: str | Model = "kv",
    budget: int = DEFAULT_BUDGET,
    *,
    minimize: bool = True,
) -> CheckResult | dict[Hashable, CheckResult]:
    """Whether the commands of `frame` are linearizable with respect to `model` ("kv",
    or "register"/"cas-register" for a frame whose commands all name one key or none).

    Returns one `CheckResult` if the frame holds at most one run (an empty frame is
    linearizable), otherwise a dict from each `run` value, in ascending order, to the
    `CheckResult` of that run's rows; each run gets the whole `budget` (search steps).
    Raises ValueError naming a missing column, an unknown op, a result that does not fit
    its op, or a run value shared by rows of different scenarios or seeds."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"commands frame lacks the column(s) {', '.join(map(repr, missing))}")
    m = get_model(model)
    runs = list(pd.unique(frame["run"]))
    if len(runs) <= 1:
        return check_history(frame_history(frame, m), m, budget, minimize=minimize)
    results = {}
    for run in sorted(runs):
        rows = frame[frame["run"] == run]
        results[_plain(run)] = check_history(frame_history(rows, m), m, budget, minimize=minimize)
    return results


def frame_history(frame: pd.DataFrame, model: str | Model = "kv") -> list[Op]:
    """The operations of `frame`'s rows (one run), sorted by submission time, then client,
    then seq."""
    m = get_model(model)
    for column in ("scenario", "seed"):
        if frame[column].nunique(dropna=False) > 1:
            raise ValueError(
                f"run {frame['run'].iloc[0]!r} has rows of several values of {column!r}: "
                "select one scenario and seed first"
            )
    rows = frame.sort_values(["submitted_at", "client", "seq"], kind="mergesort")
    keyed = m.partition is not None
    if not keyed:
        keys = rows["key"].dropna().unique()
        if len(keys) > 1:
            raise ValueError(
                f"model {m.name!r} is one register, but the commands name "
                f"{len(keys)} keys: use model='kv'"
            )
    columns = {c: rows[c].tolist() for c in COLUMNS}
    nulls = {c: rows[c].isna().tolist() for c in ("key", "expected", "result", "responded_at")}
    labels = rows.index.tolist()
    history = []
    for j in range(len(rows)):
        f = columns["op"][j]
        if f not in KINDS:
            raise ValueError(f"row {labels[j]!r}: op {f!r} is not one of {KINDS}")
        pending = nulls["responded_at"][j]
        result = None if nulls["result"][j] else columns["result"][j]
        if f == "get":
            value = None
        elif f == "cas":
            expected = None if nulls["expected"][j] else columns["expected"][j]
            value = (expected, columns["value"][j])
            if not pending:
                if result not in ("ok", "fail"):
                    raise ValueError(
                        f"row {labels[j]!r}: cas result {result!r} is not 'ok' or 'fail'"
                    )
                result = result == "ok"
        else:
            value = columns["value"][j]
            if not pending and result != "ok":
                raise ValueError(f"row {labels[j]!r}: {f} result {result!r} is not 'ok'")
            result = None
        key = None if (nulls["key"][j] or not keyed) else columns["key"][j]
        history.append(
            Op(
                int(columns["client"][j]),
                f,
                key,
                value,
                None if pending else result,
                float(columns["submitted_at"][j]),
                None if pending else float(columns["responded_at"][j]),
            )
        )
    return history


def _plain(value):
    """A numpy scalar as the Python value it holds."""
    return value.item() if hasattr(value, "item") else value
