"""A proposed linearization, checked instead of searched for: against the definition,
computed apart by the brute-force reference's pieces, on random small histories."""

import itertools

import numpy as np
import pytest

from paxossim.lincheck import check_witness
from paxossim.lincheck.history import Op
from paxossim.lincheck.models import get_model
from tests.lincheck.reference import _respects_real_time, brute_force, random_history


def by_definition(ops, order, model) -> bool:
    m = get_model(model)
    done = {i for i, op in enumerate(ops) if op.ret is not None}
    if not done <= set(order) or not _respects_real_time(ops, order):
        return False
    state = m.init
    for i in order:
        ok, state = m.step(state, ops[i])  # the whole model, not split per key
        if not ok:
            return False
    return True


@pytest.mark.parametrize("model", ["register", "cas-register", "kv"])
def test_agrees_with_the_definition_on_every_order_of_small_histories(model):
    rng = np.random.default_rng(11)
    valid = 0
    for _ in range(150):
        ops = random_history(rng, model, int(rng.integers(1, 5)))
        for r in range(len(ops) + 1):
            for subset in itertools.combinations(range(len(ops)), r):
                for order in itertools.permutations(subset):
                    expected = by_definition(ops, order, model)
                    assert check_witness(ops, order, model) == expected, (ops, order)
                    valid += expected
                    if expected:  # a valid witness proves linearizability
                        assert brute_force(ops, model)
    assert valid > 50  # not vacuous


def put(value, call, ret, key="k", process=0):
    return Op(process, "put", key, value, None, call, ret)


def get(result, call, ret, key="k", process=1):
    return Op(process, "get", key, None, result, call, ret)


def test_a_stale_read_has_no_witness_in_the_order_it_was_applied():
    ops = [put("a", 0, 1), put("b", 2, 3), get("a", 4, 5)]
    assert not check_witness(ops, [0, 1, 2])
    assert not check_witness(ops, [0, 2, 1])  # b returned before the get was called
    assert check_witness([*ops[:2], get("b", 4, 5)], [0, 1, 2])


def test_every_completed_operation_must_be_placed_once():
    ops = [put("a", 0, 1), get("a", 0, 5)]
    assert not check_witness(ops, [1])
    assert not check_witness(ops, [0, 0, 1])
    pending = [put("a", 0, None), get(None, 0, 5)]
    assert check_witness(pending, [1])  # the pending put never took effect
    assert not check_witness(pending, [0, 1])  # had it, the get would have seen a
