"""Random whole scenarios, drawn either by hypothesis (to shrink failures) or by a numpy
Generator (for sweeps), from one description of the space."""

from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st


class Chooser(Protocol):
    def int(self, low: int, high: int) -> int: ...
    def float(self, low: float, high: float) -> float: ...
    def pick(self, options: list) -> Any: ...
    def subset(self, items: list, min_size: int) -> list: ...


class HypothesisChooser:
    def __init__(self, draw):
        self.draw = draw

    def int(self, low, high):
        return self.draw(st.integers(low, high))

    def float(self, low, high):
        return self.draw(st.floats(low, high, allow_nan=False, allow_infinity=False))

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def subset(self, items, min_size):
        picked = self.draw(st.sets(st.sampled_from(items), min_size=min_size))
        return sorted(picked)


class NumpyChooser:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def int(self, low, high):
        return int(self.rng.integers(low, high + 1))

    def float(self, low, high):
        return float(self.rng.uniform(low, high))

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def subset(self, items, min_size):
        size = int(self.rng.integers(min_size, len(items) + 1))
        return sorted(int(x) for x in self.rng.choice(items, size=size, replace=False))


def scenario_data(c: Chooser, horizon: float = 3.0) -> dict:
    """A scenario dict: 1-9 nodes, 1-5 proposers, both strategies, every delay
    distribution, loss up to 0.6, duplication up to 0.5, crashes with and without
    restarts, partitions, intersecting quorums of any sizes, every learning mode."""
    n = c.int(1, 9)
    nodes = list(range(n))
    mean = c.pick([0.002, 0.01, 0.03])
    delay = c.pick([
        {"dist": "constant", "value": mean},
        {"dist": "uniform", "low": mean / 2, "high": mean * 1.5},
        {"dist": "exponential", "mean": mean},
        {"dist": "lognormal", "median": mean, "sigma": c.pick([0.3, 1.0])},
    ])
    proposers = c.subset(nodes, 1)[:5]
    faults = []
    for node in c.subset(nodes, 0)[: c.int(0, 3)]:
        crash = c.float(0.0, horizon / 2)
        fault = {"node": node, "crash_at": crash}
        if c.pick([True, False]):
            fault["restart_at"] = crash + c.float(0.01, horizon / 2)
        faults.append(fault)
    partitions = []
    if n > 1 and c.pick([True, False, False]):
        start = c.float(0.0, horizon / 2)
        cut = c.int(1, n - 1)
        partitions.append({"start": start, "end": start + c.float(0.05, horizon / 2),
                           "groups": [nodes[:cut], nodes[cut:]]})
    backoff = c.pick([
        {"kind": "none"},
        {"kind": "fixed", "delay": 0.01},
        {"kind": "random", "max": 0.05},
        {"kind": "exponential", "base": 0.01, "cap": 0.2},
    ])
    acceptors = c.pick(["all", c.subset(nodes, 1)])
    count = n if acceptors == "all" else len(acceptors)
    phase1 = c.int(1, count)  # any sizes that intersect: Flexible Paxos
    phase2 = c.int(count - phase1 + 1, count)
    heartbeat = c.pick([0.01, 0.05])
    protocol = {
        "strategy": c.pick(["leaderless", "leader"]),
        "retry_timeout": c.pick([0.02, 0.05, 0.1]),
        "backoff": backoff,
        "nack": c.pick([True, False]),
        "learning": c.pick(["broadcast", "distinguished", "poll"]),
        "catchup": c.pick([0.0, 0.2, 1.0]),
        "quorum": c.pick([{}, {"phase1": phase1, "phase2": phase2}]),
        "leader": {"heartbeat": heartbeat, "timeout": heartbeat * c.pick([1.5, 3, 5]),
                   "timeout_jitter": c.pick([0.0, 0.05, 0.25])},
    }
    return {
        "name": "drawn",
        "horizon": horizon,
        "cluster": {
            "nodes": n,
            "proposers": proposers,
            "acceptors": acceptors,
            "learners": c.pick(["all", c.subset(nodes, 1)]),
        },
        "network": {
            "delay": delay,
            "loss": c.pick([0.0, c.float(0.0, 0.6)]),
            "duplicate": c.pick([0.0, c.float(0.0, 0.5)]),
            "partitions": partitions,
        },
        "faults": faults,
        "protocol": protocol,
        "workload": {"propose_at": [c.float(0.0, 0.05) for _ in proposers]},
    }


@st.composite
def scenarios(draw, horizon: float = 3.0) -> dict:
    return scenario_data(HypothesisChooser(draw), horizon)
