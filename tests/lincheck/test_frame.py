"""check_linearizable on frames with the columns of commands.parquet."""

import math

import numpy as np
import pandas as pd
import pytest

from paxossim.lincheck import (
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    CheckResult,
    check_linearizable,
    frame_history,
)
from paxossim.lincheck.history import Op, cas, get, put
from tests.lincheck.reference import executed_history

COLUMNS = [
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
    "chosen_at",
    "responded_at",
    "latency",
    "retries",
    "slot",
]


def frame(ops, run=0, scenario="s", seed=7):
    """The rows a store's clients would record for `ops`."""
    rows = []
    for seq, op in enumerate(ops):
        pending = op.ret is None
        value = expected = result = None
        if op.f == "get":
            result = None if pending else op.result
        elif op.f == "cas":
            expected, value = op.value
            result = None if pending else ("ok" if op.result else "fail")
        else:
            value = op.value
            result = None if pending else "ok"
        ret = math.nan if pending else op.ret
        rows.append(
            dict(
                scenario=scenario,
                seed=seed,
                run=run,
                client=op.process,
                seq=seq,
                op=op.f,
                key=op.key,
                value=value,
                expected=expected,
                result=result,
                submitted_at=float(op.call),
                chosen_at=math.nan,
                responded_at=ret,
                latency=ret - op.call,
                retries=0,
                slot=-1,
            )
        )
    return pd.DataFrame(rows, columns=COLUMNS)


STALE = [put(0, "a", "x", 0, 1), put(1, "a", "y", 2, 3), get(2, "a", "x", 4, 5)]
FINE = [put(0, "a", "x", 0, 1), put(1, "a", "y", 2, 3), get(2, "a", "y", 4, 5)]


def test_one_run_gives_one_result():
    r = check_linearizable(frame(STALE))
    assert isinstance(r, CheckResult)
    assert r.verdict == NOT_LINEARIZABLE and r.key == "a"
    assert check_linearizable(frame(FINE)).verdict == LINEARIZABLE


def test_several_runs_give_a_mapping_by_run():
    f = pd.concat([frame(FINE, run=2), frame(STALE, run=0), frame(FINE, run=1)])
    r = check_linearizable(f)
    assert isinstance(r, dict) and list(r) == [0, 1, 2]
    assert all(type(k) is int for k in r)
    assert [v.verdict for v in r.values()] == [NOT_LINEARIZABLE, LINEARIZABLE, LINEARIZABLE]


def test_empty_frame_is_linearizable():
    assert check_linearizable(frame([])) == CheckResult(LINEARIZABLE, 0)


@pytest.mark.parametrize("column", ["run", "op", "expected", "responded_at", "submitted_at"])
def test_a_missing_column_is_named(column):
    with pytest.raises(ValueError, match=f"'{column}'"):
        check_linearizable(frame(FINE).drop(columns=[column]))


def test_rows_become_the_same_operations():
    ops = [
        put(0, "a", "x", 0, 1),
        cas(1, "x", "y", True, 2, 3, key="a"),
        cas(1, None, "z", False, 4, 5, key="a"),
        get(2, "a", "y", 6, 7),
        get(2, "b", None, 6, 7),
        Op(0, "append", "b", "q", None, 8, None),
        cas(1, "y", "w", None, 9, None, key="a"),
    ]
    assert frame_history(frame(ops)) == ops


def test_pending_commands_may_or_may_not_have_taken_effect():
    took = [put(0, "a", "x", 0, None), get(1, "a", "x", 5, 6)]
    never = [put(0, "a", "x", 0, None), get(1, "a", None, 5, 6)]
    assert check_linearizable(frame(took)).verdict == LINEARIZABLE
    assert check_linearizable(frame(never)).verdict == LINEARIZABLE
    both = [put(0, "a", "x", 0, None), get(1, "a", "x", 5, 6), get(1, "a", None, 7, 8)]
    assert check_linearizable(frame(both)).verdict == NOT_LINEARIZABLE


def test_row_order_does_not_matter():
    """Rows are sorted by submission time, client and seq first, so that even operations
    called at the same instant are searched in the same order: the same effort, the same
    minimal history."""
    rng = np.random.default_rng(11)
    for k in range(20):
        ops = executed_history(rng, "kv", 40, clients=5, keys=("a", "b"), pending=0.02)
        if k % 2:
            ops.append(get(9, "a", "never written", ops[-1].call, ops[-1].call + 1))
        f = frame(ops)
        r = check_linearizable(f)
        assert r.verdict == (NOT_LINEARIZABLE if k % 2 else LINEARIZABLE)
        for state in range(3):
            assert check_linearizable(f.sample(frac=1.0, random_state=state)) == r


def test_register_models_take_a_frame_of_one_key():
    ops = [put(0, "a", "x", 0, 1), cas(1, "x", "y", True, 2, 3, key="a"), get(2, "a", "y", 4, 5)]
    assert check_linearizable(frame(ops), model="cas-register").verdict == LINEARIZABLE
    with pytest.raises(ValueError, match="no operation 'cas'"):
        check_linearizable(frame(ops), model="register")
    with pytest.raises(ValueError, match="use model='kv'"):
        check_linearizable(frame(ops + [get(2, "b", None, 6, 7)]), model="cas-register")


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("op", "delete", "not one of"),
        ("result", "maybe", "not 'ok'"),
    ],
)
def test_bad_rows_are_refused(column, value, message):
    f = frame([put(0, "a", "x", 0, 1), cas(1, "x", "y", True, 2, 3, key="a")])
    f.loc[1 if column == "result" else 0, column] = value
    with pytest.raises(ValueError, match=message):
        check_linearizable(f)
    f = frame([put(0, "a", "x", 0, 1)])
    f.loc[0, "result"] = "fail"
    with pytest.raises(ValueError, match="not 'ok'"):
        check_linearizable(f)


def test_one_run_of_two_scenarios_is_refused():
    f = pd.concat([frame(FINE, scenario="s1"), frame(FINE, scenario="s2")])
    with pytest.raises(ValueError, match="scenario"):
        check_linearizable(f)
    f = pd.concat([frame(FINE, run=0, seed=1), frame(FINE, run=1, seed=2)])
    assert set(check_linearizable(f)) == {0, 1}


def test_budget_applies_to_each_run():
    ops = executed_history(np.random.default_rng(5), "kv", 60, clients=4, keys=("a",))
    f = pd.concat([frame(ops, run=0), frame(ops, run=1)])
    full = check_linearizable(f)
    states = full[0].states
    assert states > 1 and full[1].states == states
    short = check_linearizable(f, budget=states - 1)
    assert [r.verdict for r in short.values()] == ["unknown", "unknown"]


def test_nullable_dtypes_as_commands_parquet_has_them():
    """Strings as pandas' "string" dtype (missing values are pd.NA), slot as Int64."""
    ops = [
        put(0, "a", "x", 0, 1),
        cas(1, None, "z", False, 2, 3, key="a"),
        cas(1, "x", "y", True, 4, 5, key="a"),
        get(2, "a", "y", 6, 7),
        get(2, "b", None, 6, 7),
        put(0, "b", "q", 8, None),
    ]
    f = frame(ops)
    for column in ("scenario", "op", "key", "value", "expected", "result"):
        f[column] = f[column].astype("string")
    f["slot"] = f["slot"].astype("Int64")
    assert f["expected"].isna().sum() == 5 and f["result"].isna().sum() == 2
    assert frame_history(f) == ops
    assert check_linearizable(f).verdict == LINEARIZABLE
