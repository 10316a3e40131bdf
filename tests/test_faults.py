"""Faults: a node is down exactly during the union of its outage intervals, whatever the
order in which the faults are listed."""

import itertools
import math

import pytest

from paxossim import simulate
from paxossim.sim.faults import outages
from tests.helpers import constant, scenario

D = 1 / 64


def down_spans(faults, horizon=3.0):
    """(crash, restart) times of node 1 as the trace shows them."""
    s = scenario(network=constant(D), faults=faults, horizon=horizon)
    result = simulate(s, seed=1, trace=True)
    events = result.trace.query("node == 1 and event in ('crash', 'restart')")
    return list(zip(events["event"], events["time"], strict=True)), result.record


TOUCHING = [
    {"node": 1, "crash_at": 1.0, "restart_at": 2.0},
    {"node": 1, "crash_at": 0.5, "restart_at": 1.0},
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(2))))
def test_touching_outages_merge_into_one_whatever_the_list_order(order):
    """The issue's case: crash 1.0/restart 2.0 listed before crash 0.5/restart 1.0 used to
    leave the node up during [1.0, 2.0) (the crash at 1.0 was a no-op, the restart won)."""
    events, record = down_spans([TOUCHING[i] for i in order])
    assert events == [("crash", 0.5), ("restart", 2.0)]
    assert record.crashes == 1


@pytest.mark.parametrize("faults, spans", [
    ([(1, 3), (2, None)], [(1, math.inf)]),
    ([(3, 5), (1, 4)], [(1, 5)]),
    ([(1, 2), (3, 4)], [(1, 2), (3, 4)]),
    ([(1, 10), (2, 3), (5, 6)], [(1, 10)]),
    ([(1, None), (5, None)], [(1, math.inf)]),
])
def test_outages_are_the_union_of_the_intervals(faults, spans):
    s = scenario(faults=[{"node": 0, "crash_at": a} | ({} if b is None else {"restart_at": b})
                         for a, b in faults])
    for perm in itertools.permutations(s.faults):
        assert outages(list(perm)) == {0: spans}


def test_overlapping_outages_crash_once_and_restart_once():
    events, record = down_spans([
        {"node": 1, "crash_at": 0.5, "restart_at": 1.5},
        {"node": 1, "crash_at": 1.0, "restart_at": 2.0},
    ])
    assert events == [("crash", 0.5), ("restart", 2.0)] and record.crashes == 1
