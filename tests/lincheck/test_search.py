"""The checker on hand-built histories whose verdict is known (each also confirmed by the
brute-force reference), the budget, the minimal sub-history, determinism."""

import dataclasses

import numpy as np
import pytest

from paxossim.lincheck import (
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN,
    CheckResult,
    check_history,
)
from paxossim.lincheck.history import append, cas, get, put, read, write
from paxossim.lincheck.models import REGISTER
from paxossim.lincheck.search import decide, keeps_sources, observed_prefix, relaxed
from tests.lincheck.reference import brute_force, executed_history

INF = None  # never returned

CASES = {
    # a read returns a value that was overwritten before the read began
    "stale read": (
        "register",
        [write(0, 1, 0, 1), write(1, 2, 2, 3), read(2, 1, 4, 5)],
        False,
    ),
    # two concurrent writes, then a read: either may have been last
    "concurrent writes, read the first": (
        "register",
        [write(0, 1, 0, 10), write(1, 2, 0, 10), read(2, 1, 11, 12)],
        True,
    ),
    "concurrent writes, read the second": (
        "register",
        [write(0, 1, 0, 10), write(1, 2, 0, 10), read(2, 2, 11, 12)],
        True,
    ),
    # ... but once both are done, every later read sees the same one
    "concurrent writes, read both in turn": (
        "register",
        [write(0, 1, 0, 10), write(1, 2, 0, 10), read(2, 2, 11, 12), read(2, 1, 13, 14)],
        False,
    ),
    # a read concurrent with a write may see either the old or the new value
    "read during a write sees the old value": (
        "register",
        [write(0, 1, 0, 1), write(1, 2, 2, 10), read(2, 1, 3, 4)],
        True,
    ),
    "read during a write sees the new value": (
        "register",
        [write(0, 1, 0, 1), write(1, 2, 2, 10), read(2, 2, 3, 4)],
        True,
    ),
    # new-old inversion: once a read saw the new value, a later read may not see the old
    "new then old": (
        "register",
        [write(0, 1, 0, 10), read(1, 1, 1, 2), read(2, None, 3, 4)],
        False,
    ),
    "a value nobody wrote": ("register", [write(0, 1, 0, 1), read(1, 2, 2, 3)], False),
    "a read that sees the future": ("register", [read(1, 1, 0, 1), write(0, 1, 2, 3)], False),
    # equal times: an operation that returns when another is called is concurrent with it
    "return and call at the same instant": (
        "register",
        [write(0, 1, 0, 5), read(1, None, 5, 6)],
        True,
    ),
    "return just before the call": (
        "register",
        [write(0, 1, 0, 4.9), read(1, None, 5, 6)],
        False,
    ),
    # compare-and-set
    "two cas from empty, both succeed": (
        "cas-register",
        [cas(0, None, 1, True, 0, 10), cas(1, None, 2, True, 0, 10)],
        False,
    ),
    "two cas from empty, one succeeds": (
        "cas-register",
        [cas(0, None, 1, True, 0, 10), cas(1, None, 2, False, 0, 10), read(2, 1, 11, 12)],
        True,
    ),
    "the cas that succeeded is the one whose value stays": (
        "cas-register",
        [cas(0, None, 1, True, 0, 10), cas(1, None, 2, False, 0, 10), read(2, 2, 11, 12)],
        False,
    ),
    "a cas that failed although the value was the expected one": (
        "cas-register",
        [write(0, 1, 0, 1), cas(1, 1, 2, False, 2, 3)],
        False,
    ),
    "a failed cas changes nothing": (
        "cas-register",
        [write(0, 1, 0, 1), cas(1, 3, 2, False, 2, 3), read(2, 1, 4, 5)],
        True,
    ),
    "cas chain": (
        "cas-register",
        [write(0, 1, 0, 1), cas(1, 1, 2, True, 2, 3), cas(2, 2, 3, True, 4, 5), read(0, 3, 6, 7)],
        True,
    ),
    # operations that never returned
    "a pending write must have taken effect to explain a later read": (
        "register",
        [write(0, 1, 0, INF), read(1, 1, 5, 6)],
        True,
    ),
    "a pending write must not have taken effect": (
        "register",
        [write(0, 1, 0, INF), read(1, None, 5, 6), read(1, None, 7, 8)],
        True,
    ),
    "a pending write took effect, then not": (
        "register",
        [write(0, 1, 0, INF), read(1, 1, 5, 6), read(1, None, 7, 8)],
        False,
    ),
    "a pending write cannot take effect before its call": (
        "register",
        [read(1, 1, 0, 1), write(0, 1, 2, INF)],
        False,
    ),
    "a pending write took effect between two reads": (
        "register",
        [write(0, 1, 0, INF), read(1, None, 5, 6), read(1, 1, 7, 8), read(2, 1, 9, 10)],
        True,
    ),
    "a pending cas explains a value": (
        "cas-register",
        [write(0, 1, 0, 1), cas(1, 1, 2, None, 2, INF), read(2, 2, 5, 6)],
        True,
    ),
    "a pending cas whose expected value was never there": (
        "cas-register",
        [write(0, 1, 0, 1), cas(1, 3, 2, None, 2, INF), read(2, 2, 5, 6)],
        False,
    ),
    "a pending read says nothing": ("register", [read(0, None, 0, INF)], True),
    # kv: per key; append
    "kv keys are independent": (
        "kv",
        [put(0, "a", "x", 0, 1), get(1, "b", None, 2, 3), get(1, "a", "x", 4, 5)],
        True,
    ),
    "kv stale read in one key": (
        "kv",
        [
            put(0, "a", "x", 0, 1),
            put(0, "b", "x", 0, 1),
            put(0, "a", "y", 2, 3),
            get(1, "b", "x", 4, 5),
            get(1, "a", "x", 4, 5),
        ],
        False,
    ),
    "kv appends in either order": (
        "kv",
        [append(0, "a", "x", 0, 10), append(1, "a", "y", 0, 10), get(2, "a", "yx", 11, 12)],
        True,
    ),
    "kv appends lost": (
        "kv",
        [append(0, "a", "x", 0, 1), append(1, "a", "y", 2, 3), get(2, "a", "y", 4, 5)],
        False,
    ),
    "kv cas on an absent key": (
        "kv",
        [cas(0, None, "x", True, 0, 1, key="a"), get(1, "a", "x", 2, 3)],
        True,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_known_histories(name):
    model, history, linearizable = CASES[name]
    assert brute_force(history, model) == linearizable
    r = check_history(history, model)
    assert r.verdict == (LINEARIZABLE if linearizable else NOT_LINEARIZABLE)
    assert r.linearizable == linearizable


def test_empty_history_is_linearizable():
    assert check_history([], "kv") == CheckResult(LINEARIZABLE, 0)
    assert check_history([], "register") == CheckResult(LINEARIZABLE, 0)


def test_the_failing_key_is_named():
    r = check_history(CASES["kv stale read in one key"][1], "kv")
    assert r.key == "a"
    assert all(op.key == "a" for op in r.minimal)


def test_operations_the_model_lacks_are_refused():
    with pytest.raises(ValueError, match="no operation 'cas'"):
        check_history([cas(0, 1, 2, True, 0, 1)], "register")
    with pytest.raises(ValueError, match="takes no keys"):
        check_history([put(0, "a", 1, 0, 1)], "register")
    with pytest.raises(TypeError, match="not an Op"):
        check_history([("write", 1)], "register")


def hard_history(n=12):
    """n concurrent writes of distinct values and n reads, all overlapping, that read the
    values in an order no linearization allows (the last read sees a value that a
    previous read had already seen overwritten): a search over many interleavings."""
    ops = [write(i, i, 0, 100) for i in range(n)]
    ops += [read(n + i, i, 101 + 2 * i, 102 + 2 * i) for i in range(n)]
    return ops


def test_budget_exhaustion_gives_unknown_never_a_guess():
    ops = hard_history(8)
    full = check_history(ops, "register", minimize=False)
    assert full.verdict == NOT_LINEARIZABLE
    assert full.states > 10
    small = check_history(ops, "register", budget=full.states - 1)
    assert small.verdict == UNKNOWN
    assert small.states == full.states - 1
    assert small.minimal is None and small.prefix is None
    assert check_history(ops, "register", budget=0).verdict == UNKNOWN
    # a linearizable history needs its steps too
    ok = ops[:8] + [read(9, 7, 101, 102)]
    spent = check_history(ok, "register").states
    assert check_history(ok, "register", budget=spent).verdict == LINEARIZABLE
    assert check_history(ok, "register", budget=spent - 1).verdict == UNKNOWN


def test_budget_is_shared_by_the_keys():
    a = [put(0, "a", "x", 0, 10), put(1, "a", "y", 0, 10), get(2, "a", "y", 11, 12)]
    b = [put(0, "b", "x", 20, 30), put(1, "b", "y", 20, 30), get(2, "b", "x", 31, 32)]
    each = check_history(a, "kv").states
    both = check_history(a + b, "kv")
    assert both.verdict == LINEARIZABLE and both.states > each
    short = check_history(a + b, "kv", budget=both.states - 1)
    assert short.verdict == UNKNOWN and short.key == "b"


def test_an_expensive_key_does_not_hide_a_cheap_violation():
    """The first pass gives each key budget / (2 * keys) steps: a violation on a later key
    is found even when an earlier key alone needs more than the whole budget."""
    expensive = [_as_kv(op, "a") for op in hard_history(8)]
    cost = check_history(expensive, "kv", minimize=False)
    stale = [put(0, "b", "1", 200, 201), put(0, "b", "2", 202, 203), get(1, "b", "1", 204, 205)]
    budget = cost.states // 2
    assert check_history(expensive, "kv", budget=budget).verdict == UNKNOWN
    r = check_history(expensive + stale, "kv", budget=budget, minimize=False)
    assert r.verdict == NOT_LINEARIZABLE and r.key == "b"


def _as_kv(op, key):
    f = {"read": "get", "write": "put"}.get(op.f, op.f)
    return dataclasses.replace(op, f=f, key=key)


def test_sequential_histories_are_replayed():
    ops = [write(0, i, 2 * i, 2 * i + 1) for i in range(50)] + [read(0, 49, 100, 101)]
    assert decide(ops, REGISTER, 10**6) == (True, 51)
    bad = ops + [read(1, 3, 102, 103)]
    r = check_history(bad, "register")
    assert r.verdict == NOT_LINEARIZABLE and r.states == 52


def test_determinism():
    for history, model in [(hard_history(7), "register")] + [(h, m) for m, h, _ in CASES.values()]:
        assert check_history(history, model) == check_history(list(history), model)


def test_input_order_does_not_matter_when_calls_differ():
    ops = [write(0, 1, 0, 10), write(1, 2, 1, 10), read(2, 2, 11, 12), read(2, 1, 13, 14)]
    r = check_history(ops, "register")
    assert r.verdict == NOT_LINEARIZABLE
    assert check_history(ops[::-1], "register") == r


def test_minimal_of_a_stale_read_keeps_both_writes():
    noise = [write(3, 9, -10 + i, -9 + i) for i in range(0, 6, 2)]
    ops = noise + [write(0, 1, 0, 1), read(1, 1, 1.5, 1.7), write(1, 2, 2, 3), read(2, 1, 4, 5)]
    r = check_history(ops, "register")
    assert r.verdict == NOT_LINEARIZABLE and r.exact
    assert list(r.minimal) == [write(0, 1, 0, 1), write(1, 2, 2, 3), read(2, 1, 4, 5)]
    assert r.prefix == len(ops) - 1


def assert_minimal(result, model):
    """Not linearizable, and linearizable with the culprit pending; removing any one other
    operation makes it linearizable, unless that operation may have written (part of) a
    value read in it, or the rest is no longer linearizable with the culprit pending."""
    minimal, culprit = list(result.minimal), result.culprit
    assert not brute_force(minimal, model)
    if culprit is not None:
        assert any(op is culprit for op in minimal)
        assert brute_force(relaxed(minimal, culprit), model)
    for i, op in enumerate(minimal):
        if op is culprit:
            continue
        rest = minimal[:i] + minimal[i + 1 :]
        assert (
            brute_force(rest, model)
            or not keeps_sources(rest, [op])
            or (culprit is not None and not brute_force(relaxed(rest, culprit), model))
        ), (minimal, culprit, op)


def test_minimal_sub_history_is_one_minimal():
    ops = hard_history(5)
    r = check_history(ops, "register")
    assert r.exact and len(r.minimal) < len(ops)
    assert_minimal(r, "register")
    assert set(r.minimal) <= set(ops)


def test_longest_prefix():
    ops = hard_history(5)
    r = check_history(ops, "register")
    assert brute_force(observed_prefix(ops, r.prefix), "register")
    assert not brute_force(observed_prefix(ops, r.prefix + 1), "register")


def test_observed_prefix_makes_running_operations_pending():
    ops = [write(0, 1, 0, 10), read(1, None, 1, 2), read(1, 1, 3, 4), read(1, 1, 9, 12)]
    assert observed_prefix(ops, 3) == [write(0, 1, 0, None), ops[1], ops[2]]
    assert observed_prefix(ops, 4) == ops
    assert observed_prefix(ops, 0) == []


def test_minimize_false_skips_the_explanation():
    r = check_history(hard_history(5), "register", minimize=False)
    assert r.verdict == NOT_LINEARIZABLE and r.minimal is None and r.shrink_states == 0


def test_shrink_budget_bounds_the_explanation():
    ops = hard_history(6)
    r = check_history(ops, "register", shrink_budget=3)
    assert r.verdict == NOT_LINEARIZABLE
    assert not r.exact and r.shrink_states <= 3
    assert check_history(r.minimal, "register").verdict == NOT_LINEARIZABLE


def test_a_stale_read_in_a_long_history_shrinks_to_itself_and_two_writes():
    """A real execution (unique values, appends, cas) with one get made to return the
    value its key held two writes before: the culprit is that get, and deleting writes
    does not manufacture another violation (a lone failed cas, a read of a value built by
    appends nobody made) in its place."""
    rng = np.random.default_rng(8)
    ops = executed_history(rng, "kv", 400, clients=4, keys=("a",), pending=0.0, unique=True)
    ops.sort(key=lambda op: op.call)
    assert check_history(ops, "kv").linearizable
    puts = [j for j, op in enumerate(ops) if op.f == "put"]
    i = next(
        j
        for j in range(250, len(ops))
        if ops[j].f == "get"
        and puts[2] < j
        and sum(ops[p].ret < ops[j].call for p in puts if p < j) >= 3
    )
    earlier = [ops[p] for p in puts if ops[p].ret < ops[i].call]
    stale = dataclasses.replace(ops[i], result=earlier[-3].value)
    bad = ops[:i] + [stale] + ops[i + 1 :]
    r = check_history(bad, "kv")
    assert r.verdict == NOT_LINEARIZABLE and r.exact
    assert r.culprit == stale
    assert stale in r.minimal and len(r.minimal) <= 3
    assert earlier[-3] in r.minimal
    assert_minimal(r, "kv")


def test_which_operations_are_sources_of_a_value_read():
    r = get(9, "a", "v1xy", 10, 11)
    p1, p12 = put(0, "a", "v1", 0, 1), put(0, "a", "v12", 0, 1)
    ax, ay, az = (append(1, "a", s, 2, 3) for s in ("x", "y", "z"))
    # the put the value starts with, and the appends that occur in it
    for op in (p1, ax, ay):
        assert not keeps_sources([r, ax, ay, p12, az], [op])
    # a put of another value that merely shares a beginning, an append that is not in it
    assert keeps_sources([r, p1, ax, ay], [p12])
    assert keeps_sources([r, p1, ax, ay], [az])
    # a put whose value is the value's beginning only if the rest is made of appends
    assert keeps_sources([get(9, "a", "v12", 4, 5), ax], [p1])
    # a cas that succeeded writes, one that failed does not; a successful cas observes
    assert not keeps_sources([get(9, "a", "v2", 4, 5)], [cas(0, "v1", "v2", True, 0, 1, key="a")])
    assert keeps_sources([get(9, "a", "v2", 4, 5)], [cas(0, "v1", "v2", False, 0, 1, key="a")])
    assert not keeps_sources([cas(0, "v1", "v2", True, 2, 3, key="a")], [p1])
    assert keeps_sources([cas(0, "v1", "v2", False, 2, 3, key="a")], [p1])
    # nothing observed, nothing to keep; absent is not a value
    assert keeps_sources([p1, get(9, "a", None, 4, 5)], [p12])
