"""The checker agrees with the brute-force reference on thousands of small random
histories (seeded numpy Generators): random results (mostly not linearizable), real
executions (linearizable), and real executions with one result changed (near misses)."""

import dataclasses

import numpy as np
import pytest

from paxossim.lincheck import NOT_LINEARIZABLE, check_history
from paxossim.lincheck.search import observed_prefix
from tests.lincheck.reference import VALUES, brute_force, executed_history, random_history
from tests.lincheck.test_search import assert_minimal

PER_MODEL = 1200


def near_miss(rng, history, model):
    """One completed read or cas of `history` with another result."""
    targets = [
        i for i, op in enumerate(history) if op.ret is not None and op.f in ("read", "get", "cas")
    ]
    if not targets:
        return history
    i = targets[int(rng.integers(len(targets)))]
    op = history[i]
    if op.f == "cas":
        result = not op.result
    else:
        choices = [v for v in (None, *VALUES[model]) if v != op.result]
        result = choices[int(rng.integers(len(choices)))]
    return history[:i] + [dataclasses.replace(op, result=result)] + history[i + 1 :]


def histories(model, seed):
    rng = np.random.default_rng(seed)
    for k in range(PER_MODEL):
        n = int(rng.integers(1, 8))
        kind = k % 3
        if kind == 0:
            yield random_history(rng, model, n)
        else:
            h = executed_history(rng, model, n, pending=0.15)
            yield h if kind == 1 else near_miss(rng, h, model)


@pytest.mark.parametrize("model, seed", [("register", 1), ("cas-register", 2), ("kv", 3)])
def test_agrees_with_brute_force(model, seed):
    verdicts = []
    for history in histories(model, seed):
        expected = brute_force(history, model)
        r = check_history(history, model)
        assert r.linearizable == expected, history
        verdicts.append(expected)
        if not expected:
            assert r.verdict == NOT_LINEARIZABLE and r.exact
            assert_minimal(r, model)
            part = [op for op in history if op.key == r.key]
            part.sort(key=lambda op: op.call)
            assert brute_force(observed_prefix(part, r.prefix), model)
            assert not brute_force(observed_prefix(part, r.prefix + 1), model)
    # both verdicts are well represented
    assert 0.25 < np.mean(verdicts) < 0.75, np.mean(verdicts)


@pytest.mark.parametrize("model, seed", [("cas-register", 4), ("kv", 5)])
def test_observed_prefixes_are_monotone(model, seed):
    """What the longest-prefix bisection relies on: if the history as it stood before the
    (k+1)-th call is linearizable, so is every earlier such prefix."""
    rng = np.random.default_rng(seed)
    for _ in range(300):
        h = near_miss(rng, executed_history(rng, model, 6, pending=0.15), model)
        h.sort(key=lambda op: op.call)
        verdicts = [brute_force(observed_prefix(h, k), model) for k in range(len(h) + 1)]
        assert verdicts == sorted(verdicts, reverse=True), (h, verdicts)


def test_continuous_times_and_more_clients():
    rng = np.random.default_rng(6)
    seen = set()
    for k in range(300):
        h = executed_history(rng, "kv", 7, clients=4, grid=None, keys=("a",), pending=0.2)
        if k % 2:
            h = near_miss(rng, h, "kv")
        expected = brute_force(h, "kv")
        assert check_history(h, "kv").linearizable == expected
        seen.add(expected)
    assert seen == {True, False}
