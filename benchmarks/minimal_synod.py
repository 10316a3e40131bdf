"""The reference point for paxossim's speed: the least SimPy code that runs one synod.

One proposer, five acceptors, one learner, exponential delays, no loss, no faults, no
checks: prepare, promise, accept, accepted (to proposer and learner). No roles, no
effects, no observer. paxossim's full simulator is measured against this in one run.
"""

import numpy as np
import simpy

ACCEPTORS = 5
QUORUM = ACCEPTORS // 2 + 1
MEAN_DELAY = 0.01


def run_once(seed: int) -> tuple[float, int]:
    """One synod; returns (time the learner learned, messages sent)."""
    env = simpy.Environment()
    delays = np.random.default_rng(seed).exponential(MEAN_DELAY, 32).tolist()
    sent = 0
    promised = [(0, -1)] * ACCEPTORS
    accepted: list = [None] * ACCEPTORS
    promises: set[int] = set()
    votes: set[int] = set()
    decided: set[int] = set()
    learned = [float("nan")]
    ballot = (1, 0)

    def send(handler, *args):
        nonlocal sent
        ev = env.timeout(delays[sent], args)
        sent += 1
        ev.callbacks.append(handler)

    def on_prepare(ev):
        a, b = ev._value
        if b >= promised[a]:
            promised[a] = b
            send(on_promise, a, b, accepted[a])

    def on_promise(ev):
        a, b, _ = ev._value
        promises.add(a)
        if len(promises) == QUORUM:
            for x in range(ACCEPTORS):
                send(on_accept, x, b, "v0")

    def on_accept(ev):
        a, b, v = ev._value
        if b >= promised[a]:
            promised[a] = b
            accepted[a] = (b, v)
            send(on_accepted, a, b, v)  # to the proposer
            send(on_learned, a, b, v)  # to the learner, another node

    def on_accepted(ev):
        a, b, v = ev._value
        decided.add(a)

    def on_learned(ev):
        a, b, v = ev._value
        votes.add(a)
        if len(votes) == QUORUM:
            learned[0] = env.now

    for x in range(ACCEPTORS):
        send(on_prepare, x, ballot)
    env.run(until=10.0)
    return learned[0], sent
