"""When each node is down: the union of its outage intervals.

A fault `crash_at`/`restart_at` is an outage [crash_at, restart_at) (to the end of the
run without `restart_at`). A node is down exactly during the union of its outages:
outages that overlap or touch merge into one, which is one crash and (if it ends) one
restart. So the order in which faults are listed never matters.
"""

import math

from paxossim.scenario import Fault


def outages(faults: list[Fault]) -> dict[int, list[tuple[float, float]]]:
    """node -> its merged outages (start, end), in time order; end is inf for good."""
    by_node: dict[int, list[tuple[float, float]]] = {}
    for f in faults:
        end = math.inf if f.restart_at is None else f.restart_at
        by_node.setdefault(f.node, []).append((f.crash_at, end))
    merged: dict[int, list[tuple[float, float]]] = {}
    for node in sorted(by_node):
        spans: list[tuple[float, float]] = []
        for start, end in sorted(by_node[node]):
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((start, end))
        merged[node] = spans
    return merged
