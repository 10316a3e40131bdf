"""Whole random scenarios for swarm testing, drawn from a seed.

Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012) draws the *configuration* of each
run, not only its message delays, so that every run leaves out some features and stresses
others. Bugs in Paxos hide in coincidences: two ballots of the same round from different
nodes, a crash at the instant a round starts, a promise that arrives exactly when the retry
timer fires. Random real-valued times almost never coincide, so every time here is drawn on
a coarse grid (`GRID`), delays are often constant and proposers often start together.

Each scenario ends in a healing phase (faults over, the network whole), so that liveness can
be asserted where the configuration promises it; some scenarios are drawn to promise it and
others not (see `paxossim.liveness`).
"""

import math
from typing import Any

import numpy as np

from paxossim import liveness
from paxossim.scenario import parse_scenario

#: The key of the generator's own stream (paxossim.sim.rng uses 0-4 for a run's components).
SWARM_KEY = 100
#: Every drawn time is a multiple of this, so that events coincide often.
GRID = 0.005
#: Draw overlapping outages of one node too (a node is down during their union), as well
#: as touching ones.
OVERLAPPING_OUTAGES = True

STRATEGIES = ("leaderless", "leader")
#: Share of scenarios drawn as duels: three to five leaderless proposers over five to nine
#: acceptors, with short windows that cut one proposer off from most acceptors.
DUEL_SHARE = 0.3


class _Draw:
    """Small helpers over one numpy Generator; every choice is made in a fixed order."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def int(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))

    def pick(self, options: list | tuple, weights: list[float] | None = None) -> Any:
        if weights is None:
            return options[int(self.rng.integers(len(options)))]
        p = np.asarray(weights, dtype=float)
        return options[int(self.rng.choice(len(options), p=p / p.sum()))]

    def sample(self, items: list[int], k: int) -> list[int]:
        return sorted(int(x) for x in self.rng.choice(items, size=k, replace=False))

    def subset(self, items: list[int], min_size: int = 1) -> list[int]:
        return self.sample(items, self.int(min_size, len(items)))

    def time(self, low: float, high: float) -> float:
        """A multiple of GRID in [low, high]."""
        return _grid(self.int(math.ceil(low / GRID - 1e-9), math.floor(high / GRID + 1e-9)))


def _grid(k: int) -> float:
    return round(k * GRID, 6)


def draw_scenario(
    seed: int, strategy: str | None = None, bugs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The scenario of swarm run `seed`, as a dict for `parse_scenario`: valid by
    construction, with `seed` = the run's seed and `runs` = 1, so it replays as it is.
    `strategy` fixes the strategy; `bugs` turns bug switches on (to test the swarm)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(SWARM_KEY,))))
    d = _Draw(rng)
    aim_live = d.chance(0.6)  # draw towards the liveness preconditions, or anything goes
    duel = d.chance(DUEL_SHARE)  # several proposers contending over many acceptors
    n = d.pick([5, 6, 7, 8, 9]) if duel else d.pick([1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9])
    nodes = list(range(n))

    acceptors: list[int] | str = "all" if duel or d.chance(0.5) else d.subset(nodes)
    acc = nodes if acceptors == "all" else acceptors
    apart = [x for x in nodes if x not in acc]
    pool = d.pick([nodes, acc, apart or nodes])  # anywhere, on acceptors, or apart from them
    proposers = d.sample(pool, d.int(3 if duel else 1, min(5, len(pool))))
    learners: list[int] | str = "all" if d.chance(0.5) else d.subset(nodes)

    delay, scale = _delay(d, spread=duel)
    starts = _starts(d, len(proposers), scale)
    faults = _faults(d, nodes, starts, aim_live)
    partitions = _partitions(d, nodes, aim_live)
    if duel:
        partitions += _pinholes(d, nodes, proposers, acc, starts)
    heal_at = max(
        [
            *starts,
            *(f.get("restart_at", f["crash_at"]) for f in faults),
            *(p.get("end", p["start"]) for p in partitions),
        ]
    )
    network: dict[str, Any] = {
        "delay": delay,
        "loss": d.pick([0.1, 0.2, 0.3])
        if duel
        else d.pick([0.0, 0.05, 0.1, 0.2, 0.4, 0.6], [5, 1, 1, 1, 1, 1]),
        "duplicate": d.pick([0.0, 0.1, 0.3, 0.5], [3, 1, 1, 1]),
        "partitions": partitions,
    }
    if (network["loss"] or network["duplicate"]) and (aim_live or d.chance(0.5)):
        network["lossy_until"] = heal_at

    data = {
        "name": f"swarm-seed{seed}",
        "description": f"drawn by paxossim swarm from seed {seed}",
        "seed": seed,
        "runs": 1,
        "horizon": 1.0,  # replaced below, once the protocol's periods are known
        "cluster": {
            "nodes": n,
            "proposers": proposers,
            "acceptors": acceptors,
            "learners": learners,
        },
        "network": network,
        "faults": faults,
        "protocol": _protocol(
            d,
            strategy or ("leaderless" if duel else None),
            len(acc),
            learners,
            nodes,
            scale,
            aim_live,
            bugs,
        ),
        "workload": {"propose_at": starts},
        "bugs": {name: True for name in bugs},
    }
    needed = liveness.HEAL_PERIODS * liveness.slowest_period(parse_scenario(data))
    stretch = d.pick([1.0, 1.25, 1.5]) if aim_live else d.pick([0.1, 0.5, 1.0, 1.5])
    data["horizon"] = _grid(math.ceil((heal_at + stretch * needed) / GRID) + 1)
    return data


def _delay(d: _Draw, spread: bool = False) -> tuple[dict[str, Any], float]:
    """Constant often: equal delays make messages from simultaneous senders arrive at once.
    With `spread`, never constant: messages of one sender then overtake each other."""
    scale = d.pick([0.005, 0.01, 0.02])
    weights = [0, 1, 2, 2] if spread else [4, 2, 2, 2]
    kind = d.pick(["constant", "uniform", "exponential", "lognormal"], weights)
    if kind == "constant":
        value = d.pick([0.0, scale], [1, 9])
        return {"dist": "constant", "value": value}, value
    if kind == "uniform":
        low = d.time(0.0, scale)
        return {"dist": "uniform", "low": low, "high": d.time(low, low + scale)}, scale
    if kind == "exponential":
        return {"dist": "exponential", "mean": scale}, scale
    return {"dist": "lognormal", "median": scale, "sigma": d.pick([0.0, 0.3, 1.0])}, scale


def _starts(d: _Draw, count: int, scale: float) -> list[float]:
    """Proposers start together, one delay apart, or anywhere on a small grid."""
    how = d.pick(["together", "one delay apart", "grid"], [5, 2, 3])
    first = d.time(0.0, 0.02)
    if how == "together":
        return [first] * count
    if how == "one delay apart":
        return [round(first + i * scale, 6) for i in range(count)]
    return [d.time(0.0, 0.05) for _ in range(count)]


def _faults(d: _Draw, nodes: list[int], starts: list[float], aim_live: bool) -> list[dict]:
    """Crashes and restarts of up to three nodes, one or two outages each; a second outage
    may begin the instant the first ends, and a node's first crash often falls on an
    instant something else happens (a proposer starts, another node crashes or restarts).
    For liveness-minded scenarios a crash for good is rare."""
    faults = []
    for node in d.sample(nodes, d.int(0, min(3, len(nodes)))):
        instants = [*starts, *(t for f in faults for t in (f["crash_at"], f.get("restart_at")))]
        instants = [t for t in instants if t is not None]
        crash = d.pick(instants) if d.chance(0.4) else d.time(0.0, 0.3)
        for _ in range(d.pick([1, 2], [3, 1])):
            end = d.time(crash + GRID, crash + 0.2)
            fault: dict[str, Any] = {"node": node, "crash_at": crash}
            faults.append(fault)
            if d.chance(0.05 if aim_live else 0.3):
                break  # down for good
            fault["restart_at"] = end
            then = d.pick([end, d.time(end, end + 0.1)])  # the next outage touches or follows
            crash = d.time(crash, end) if OVERLAPPING_OUTAGES and d.chance(0.3) else then
    return sorted(faults, key=lambda f: (f["crash_at"], f["node"]))


def _partitions(d: _Draw, nodes: list[int], aim_live: bool) -> list[dict]:
    """Zero to two windows that split the nodes into two or three groups; a node may be
    left out of every group (cut off from all)."""
    if len(nodes) < 2:
        return []
    partitions = []
    for _ in range(d.pick([0, 1, 2], [5, 3, 2])):
        order = [int(x) for x in d.rng.permutation(nodes)]
        if d.chance(0.2):
            order = order[1:]  # the first node is cut off from everyone
        cuts = sorted({d.int(1, max(1, len(order) - 1)) for _ in range(d.int(1, 2))})
        bounds = [0, *cuts, len(order)]
        groups = [sorted(order[a:b]) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
        start = d.time(0.0, 0.3)
        part: dict[str, Any] = {"start": start, "groups": groups}
        if aim_live or d.chance(0.7):
            part["end"] = d.time(start + GRID, start + 0.3)
        partitions.append(part)
    return partitions


def _pinholes(
    d: _Draw, nodes: list[int], proposers: list[int], acceptors: list[int], starts: list[float]
) -> list[dict]:
    """One to three short windows, a few grid steps long and near the proposers' starts,
    in which one proposer reaches only some acceptors: its accept requests land on a
    minority, so that votes of different ballots, with different values, survive side by
    side, and a later proposer's promises report both (what choosing the highest, not
    the latest or the one of the highest round only, is for)."""
    windows = []
    for _ in range(d.int(1, 3)):
        proposer = d.pick(proposers)
        others = [a for a in acceptors if a != proposer]
        reach = d.sample(others, d.int(0, max(0, len(others) // 2 - 1)))
        start = d.time(min(starts), min(starts) + 0.1)
        windows.append(
            {
                "start": start,
                "end": d.time(start + GRID, start + 4 * GRID),
                "groups": [
                    sorted({proposer, *reach}),
                    [x for x in nodes if x != proposer and x not in reach],
                ],
            }
        )
    return windows


def _protocol(
    d: _Draw,
    strategy: str | None,
    acceptors: int,
    learners: list[int] | str,
    nodes: list[int],
    scale: float,
    aim_live: bool,
    bugs: tuple[str, ...],
) -> dict[str, Any]:
    strategy = strategy or d.pick(STRATEGIES)
    slow_enough = liveness.TIMER_DELAYS * scale if aim_live else 0.0

    def timer(options: tuple[float, ...]) -> float:
        """One of `options`; aiming at liveness, one that spans enough delays."""
        return d.pick([t for t in options if t >= slow_enough] or options[-1:])

    kinds = ["random", "exponential"] if aim_live and strategy == "leaderless" else None
    kind = d.pick(kinds or ["none", "fixed", "random", "exponential"])
    backoff: dict[str, Any] = {"kind": kind}
    if kind == "fixed":
        backoff["delay"] = d.pick([0.0, 0.005, 0.01, 0.02])
    elif kind == "random":
        backoff["max"] = timer((0.01, 0.02, 0.05, 0.1))
    elif kind == "exponential":
        backoff.update(base=d.pick([0.005, 0.01]), cap=timer((0.05, 0.1, 0.2)))
    retry = timer((0.02, 0.05, 0.1, 0.2))
    heartbeat = d.pick([0.01, 0.02, 0.05])
    margin = timer((0.005, 0.01, 0.02, 0.05, 0.1))
    protocol: dict[str, Any] = {
        "strategy": strategy,
        "retry_timeout": retry,
        "backoff": backoff,
        "nack": d.chance(0.5),
        "learning": d.pick(["broadcast", "distinguished", "poll"]),
        "poll_interval": d.pick([0.01, 0.02, 0.05]),
        "catchup": d.pick([0.05, 0.1, 0.2] if aim_live else [0.0, 0.05, 0.1, 0.2]),
        "leader": {
            "heartbeat": heartbeat,
            "timeout": round(heartbeat + margin, 6),
            "timeout_jitter": d.pick([0.0, 0.0, 0.01, 0.05]),
        },
    }
    if protocol["learning"] == "distinguished" and d.chance(0.5):
        protocol["distinguished_learners"] = d.subset(nodes if learners == "all" else learners)
    if d.chance(0.5):  # flexible quorums, intersecting unless that bug is on
        phase1 = d.int(1, acceptors)
        low = 1 if "unsafe_quorum" in bugs else acceptors - phase1 + 1
        protocol["quorum"] = {"phase1": phase1, "phase2": d.int(low, acceptors)}
    return protocol


#: The key of the stream that draws a replicated log's workload on top of a drawn
#: scenario: its own, so that the single-decree draws stay what they were.
KV_KEY = 101


def draw_kv_scenario(seed: int, strategy: str | None = None) -> dict[str, Any]:
    """The scenario of swarm run `seed` made a replicated key-value log: the same
    cluster, network, faults and protocol, with every proposer node a replica, and
    clients (which faults and partitions do not name) drawn from a stream of their own."""
    data = draw_scenario(seed, strategy)
    d = _Draw(
        np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(KV_KEY,))))
    )
    cluster = data["cluster"]
    if cluster["learners"] != "all":
        cluster["learners"] = sorted(set(cluster["learners"]) | set(cluster["proposers"]))
    ops = d.pick([("put", "get"), ("put", "get", "cas"), ("put", "get", "cas", "append")])
    shares = d.rng.dirichlet(np.ones(len(ops)))
    shares = np.round(shares, 3)
    shares[-1] = round(1.0 - float(shares[:-1].sum()), 3)
    data["workload"] = {
        "kind": "kv",
        "clients": d.int(1, 4),
        "requests": d.pick([5, 10, 20, 40]),
        "keys": d.pick([1, 2, 5]),
        "mix": {
            "put": 0.0,
            "get": 0.0,
            "cas": 0.0,
            **dict(zip(ops, map(float, shares), strict=True)),
        },
        "request_timeout": d.pick([0.05, 0.1, 0.3]),
        "start": d.time(0.0, 0.05),
        **(
            {"rate": d.pick([20.0, 100.0])}
            if d.chance(0.3)
            else {"think_time": d.pick([0.0, 0.01])}
        ),
    }
    data["protocol"]["window"] = d.pick([1, 2, 8])
    data["protocol"]["batch"] = d.pick([1, 1, 3])
    data["name"] = f"swarm-kv-seed{seed}"
    data["horizon"] = max(data["horizon"], 3.0)
    return data
