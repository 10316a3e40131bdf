"""Shrinking a failing scenario to a small one that fails the same way.

A drawn scenario that breaks Paxos has nine nodes, four faults and two partitions, most of
which have nothing to do with the failure. Greedy shrinking (as in QuickCheck's shrinkers
or TigerBeetle's VOPR) tries simpler variants, biggest cut first: drop faults, partitions,
nodes (renumbering every id) and proposers, end loss and duplication, make delays constant,
reset protocol knobs to their defaults, start proposers at 0 and shorten the horizon. It
keeps a variant only if it validates and still fails (the caller says what "the same way"
means, with the same seed), then starts over, until no variant helps or the budget of
simulations is spent. Every kept step makes the scenario strictly simpler, so it ends.
"""

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import tomli_w

from paxossim import liveness
from paxossim.scenario import Scenario, ScenarioError, parse_scenario

GRID = 0.005  # shortened horizons are rounded up to this

Candidate = tuple[str, dict[str, Any]]


def shrink(
    data: dict[str, Any], still_fails: Callable[[Scenario], bool], budget: int
) -> tuple[dict[str, Any], int, list[str]]:
    """The smallest variant of `data` found that still fails: (data, simulations spent,
    labels of the steps kept, in order)."""
    current, scenario = data, parse_scenario(data)
    spent, steps = 0, []
    progress = True
    while progress and spent < budget:
        progress = False
        for label, candidate in candidates(current, scenario):
            try:
                s = parse_scenario(candidate)
            except ScenarioError:
                continue
            if s == scenario:
                continue  # a no-op here, e.g. a reset to a value that is the default
            spent += 1
            if still_fails(s):
                current, scenario, progress = candidate, s, True
                steps.append(label)
                break
            if spent >= budget:
                break
    return current, spent, steps


def candidates(data: dict[str, Any], s: Scenario) -> Iterator[Candidate]:
    """Simpler variants of `data`, biggest cuts first; some may not validate."""
    if data.get("faults"):
        yield "drop all faults", _with(data, faults=[])
    if data.get("network", {}).get("partitions"):
        yield "drop all partitions", _with(data, **{"network.partitions": []})
    for node in reversed(s.node_ids):
        for variant in _without_node(data, s, node):
            yield "drop a node", variant
    if len(s.proposer_ids) > 1:
        for i in range(len(s.proposer_ids)):
            yield "drop a proposer", _without_proposer(data, s, i)
    for i in range(len(s.faults)):
        yield "drop a fault", _with(data, faults=_pop(data["faults"], i))
    for i in range(len(s.network.partitions)):
        yield (
            "drop a partition",
            _with(data, **{"network.partitions": _pop(data["network"]["partitions"], i)}),
        )
    yield "no loss or duplication", _network_clean(data)
    yield "no loss", _with(data, **{"network.loss": 0.0})
    yield "no duplication", _with(data, **{"network.duplicate": 0.0})
    if s.network.delay.dist != "constant":
        scale = liveness.delay_scale(s)
        yield (
            "constant delay",
            _with(data, **{"network.delay": {"dist": "constant", "value": scale}}),
        )
    for key in ("quorum", "backoff", "learning", "catchup", "nack", "leader", "retry_timeout"):
        yield f"default protocol.{key}", _reset(data, key)
    yield "leaderless", _reset(data, "strategy")
    yield "proposers start at 0", _with(data, **{"workload.propose_at": 0.0})
    for role in ("acceptors", "learners"):
        ids = getattr(s, f"{role[:-1]}_ids")
        if len(ids) > 1:
            for x in ids:
                rest = [i for i in ids if i != x]
                yield f"drop one of the {role}", _with(data, **{f"cluster.{role}": rest})
    for fraction in (0.25, 0.5, 0.75):
        shorter = math.ceil(s.horizon * fraction / GRID) * GRID
        if 0 < shorter < s.horizon:
            yield "shorter horizon", _with(data, horizon=round(shorter, 6))


# -- variants ---------------------------------------------------------------------------


def _with(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy with dotted keys replaced."""
    out = copy.deepcopy(data)
    for path, value in changes.items():
        *tables, key = path.split(".")
        table = out
        for name in tables:
            table = table.setdefault(name, {})
        table[key] = value
    return out


def _pop(items: list, i: int) -> list:
    return [x for j, x in enumerate(items) if j != i]


def _network_clean(data: dict[str, Any]) -> dict[str, Any]:
    out = _with(data, **{"network.loss": 0.0, "network.duplicate": 0.0})
    out["network"].pop("lossy_until", None)
    return out


def _reset(data: dict[str, Any], key: str) -> dict[str, Any]:
    """Back to the default of `protocol.<key>` (learning takes its helpers with it)."""
    out = copy.deepcopy(data)
    protocol = out.get("protocol", {})
    protocol.pop(key, None)
    if key == "learning":
        protocol.pop("distinguished_learners", None)
        protocol.pop("poll_interval", None)
    return out


def _without_proposer(data: dict[str, Any], s: Scenario, i: int) -> dict[str, Any]:
    out = _with(data, **{"cluster.proposers": _pop(list(s.cluster.proposers), i)})
    at = s.workload.propose_at
    if isinstance(at, list):
        out["workload"]["propose_at"] = _pop(at, i)
    return out


def _without_node(data: dict[str, Any], s: Scenario, x: int) -> Iterator[dict[str, Any]]:
    """The scenario without node `x`, every id above it one lower; and, in case the
    quorum sizes no longer fit, the same with majority quorums."""
    if s.cluster.nodes == 1:
        return

    def ids(nodes: list[int]) -> list[int]:
        return [i if i < x else i - 1 for i in nodes if i != x]

    out = copy.deepcopy(data)
    cluster = out["cluster"]
    cluster["nodes"] = s.cluster.nodes - 1
    for role in ("acceptors", "learners"):
        if cluster.get(role, "all") != "all":
            cluster[role] = ids(cluster[role])
    proposers = list(s.cluster.proposers)
    if x in proposers:
        if len(proposers) == 1:
            return
        out = _without_proposer(out, s, proposers.index(x))
        cluster = out["cluster"]
    cluster["proposers"] = ids(cluster.get("proposers", [0]))
    protocol = out.get("protocol", {})
    if protocol.get("distinguished_learners"):
        protocol["distinguished_learners"] = ids(protocol["distinguished_learners"])
        if not protocol["distinguished_learners"]:
            del protocol["distinguished_learners"]
    out["faults"] = [
        {**f, "node": ids([f["node"]])[0]} for f in out.get("faults", []) if f["node"] != x
    ]
    partitions = []
    for part in out.get("network", {}).get("partitions", []):
        groups = [g for g in (ids(group) for group in part["groups"]) if g]
        if groups:
            partitions.append({**part, "groups": groups})
    if "network" in out:
        out["network"]["partitions"] = partitions
    yield out
    if "quorum" in protocol:
        yield _reset(out, "quorum")


# -- writing ----------------------------------------------------------------------------


def compact_toml(s: Scenario) -> str:
    """The scenario as TOML with every key at its default left out (name, seed, runs and
    horizon always written): the short file a person reads; it loads as an equal Scenario."""
    defaults = parse_scenario({"name": s.name, "cluster": {"nodes": s.cluster.nodes}}).to_dict()
    data = _drop_defaults(s.to_dict(), defaults)
    for key in ("name", "seed", "runs", "horizon"):
        data[key] = getattr(s, key)
    ordered = {k: data[k] for k in s.to_dict() if k in data}
    return tomli_w.dumps(ordered)


_ATOMS = {"delay", "backoff"}  # tagged tables: keep or drop as a whole


def _drop_defaults(data: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        default = defaults.get(key)
        if isinstance(value, dict) and isinstance(default, dict) and key not in _ATOMS:
            inner = _drop_defaults(value, default)
            if inner:
                out[key] = inner
        elif value != default or key == "nodes":
            out[key] = value
    return out
