"""Scenario files: the TOML schema, its validation and its error messages.

A scenario fixes everything a run depends on except the seed's offset: cluster and
roles, network, faults, protocol strategy, workload. Validation happens once, here, and
every problem is reported as `file: key.path: problem, got value`.
"""

import copy
import difflib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from paxossim.distributions import Backoff, Delay, Exponential, NoBackoff
from paxossim.protocol.quorum import Quorums

#: Limits that keep a valid file runnable on a machine of 24 GiB: a run's messages in
#: flight (broadcast learning sends nodes^2 votes: 4 million, about 1 GB, at 2,000 nodes),
#: the rows of all runs in memory (about 2 KB each: 2 GB at 1,000,000 runs), seeds
#: (seed + run) that fit the 64-bit seed column.
MAX_NODES = 2_000
MAX_RUNS = 1_000_000
MAX_SEED = 2**62
#: Commands per client of a kv scenario: a run keeps every command's row in memory.
MAX_REQUESTS = 1_000_000
#: Above this many messages per run (estimated before running), a scenario gets a warning.
WARN_MESSAGES = 1_000_000
#: A kv run's messages are spread over its commands, not in flight at once: it gets a
#: warning only above this many (about a minute of simulation).
WARN_LOG_MESSAGES = 10_000_000
#: Events (message deliveries and timer expiries) a run may process before it stops and
#: is marked truncated: about a minute of simulation and well under 1 GB.
DEFAULT_MAX_EVENTS = 10_000_000

# -- field types ------------------------------------------------------------------------


def _probability(x: float) -> float:
    if not 0.0 <= x <= 1.0:
        raise ValueError("must be in [0, 1]")
    return x


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError("must be made of letters, digits, - and _ only")
    return name


Probability = Annotated[float, AfterValidator(_probability)]
Time = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Duration = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NodeId = Annotated[int, Field(ge=0)]
NodeSet = list[NodeId] | Literal["all"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Cluster(_Section):
    nodes: Annotated[int, Field(ge=1, le=MAX_NODES)]
    proposers: list[NodeId] = [0]
    acceptors: NodeSet = "all"
    learners: NodeSet = "all"
    # the cost model (paxossim.sim.service); omitted, they cost nothing and are not
    # written out, so a scenario without them reads and writes as before they existed
    service_time: Delay | None = None
    fsync: Time | None = None


class Partition(_Section):
    start: Time
    end: Time | None = None
    groups: list[list[NodeId]]


class Network(_Section):
    delay: Delay = Exponential(mean=0.01)
    loss: Probability = 0.0
    duplicate: Probability = 0.0
    lossy_until: Time | None = None  # loss and duplication act only on copies sent before
    partitions: list[Partition] = []


class Fault(_Section):
    node: NodeId
    crash_at: Time
    restart_at: Time | None = None


class QuorumSizes(_Section):
    """Explicit quorum sizes; either omitted means a majority of the acceptors."""

    phase1: Annotated[int, Field(ge=1)] | None = None
    phase2: Annotated[int, Field(ge=1)] | None = None


class Leader(_Section):
    """Leader election among the proposer nodes (strategy = "leader")."""

    heartbeat: Duration = 0.05
    timeout: Duration = 0.25
    timeout_jitter: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.25


class Protocol(_Section):
    strategy: Literal["leaderless", "leader"] = "leaderless"
    window: Annotated[int, Field(ge=1, le=10_000)] = 8  # kv: slots in flight per proposer
    batch: Annotated[int, Field(ge=1, le=10_000)] = 1  # kv: commands per slot at most
    retry_timeout: Duration = 0.1
    backoff: Backoff = NoBackoff()
    nack: bool = True
    learning: Literal["broadcast", "distinguished", "poll"] = "broadcast"
    distinguished_learners: list[NodeId] | None = None
    poll_interval: Duration = 0.05
    catchup: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    quorum: QuorumSizes = QuorumSizes()
    leader: Leader = Leader()


class Bugs(_Section):
    """Switches that break Paxos the way real implementations have, to show that the
    safety checker catches each. All off by default."""

    acceptor_amnesia: bool = False
    ballot_reuse: bool = False
    ignore_accepted: bool = False
    unsafe_quorum: bool = False
    learner_mixes_ballots: bool = False
    decide_on_copies: bool = False
    stale_reads: bool = False  # kv only
    skip_phase1: bool = False  # kv only

    @property
    def on(self) -> tuple[str, ...]:
        return tuple(name for name, value in self if value)


class Mix(_Section):
    """The share of each operation among a client's commands (they sum to 1)."""

    put: Probability = 0.5
    get: Probability = 0.4
    cas: Probability = 0.1
    append: Probability = 0.0

    @property
    def ops(self) -> tuple[tuple[str, float], ...]:
        return tuple((op, p) for op, p in self if p > 0)


class Workload(_Section):
    """What is asked of the cluster: one value per proposer (`kind = "synod"`), or
    clients sending commands to a replicated key-value store (`kind = "kv"`)."""

    kind: Literal["synod", "kv"] = "synod"
    propose_at: Time | list[Time] = 0.0
    clients: Annotated[int, Field(ge=1, le=MAX_NODES)] = 1
    requests: Annotated[int, Field(ge=0, le=MAX_REQUESTS)] = 100  # per client
    keys: Annotated[int, Field(ge=1, le=1_000_000)] = 5
    mix: Mix = Mix()
    rate: Duration | None = None  # open loop: commands per second per client (Poisson)
    think_time: Time | None = None  # closed loop (the default, with 0): pause after a reply
    request_timeout: Duration = 0.5
    start: Time = 0.0  # when the clients send their first command
    #: search states the linearizability check of a run may spend (0: no check)
    lincheck_budget: Annotated[int, Field(ge=0, le=10**9)] = 1_000_000


class Scenario(_Section):
    name: Annotated[str, AfterValidator(_identifier)]
    description: str = ""
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    runs: Annotated[int, Field(ge=1, le=MAX_RUNS)] = 1
    horizon: Duration = 10.0
    max_events: Annotated[int, Field(ge=1, le=10**9)] = DEFAULT_MAX_EVENTS
    cluster: Cluster
    network: Network = Network()
    faults: list[Fault] = []
    protocol: Protocol = Protocol()
    workload: Workload = Workload()
    bugs: Bugs = Bugs()

    # -- resolved views the simulator uses ----------------------------------------------

    @property
    def node_ids(self) -> tuple[int, ...]:
        return tuple(range(self.cluster.nodes))

    @property
    def proposer_ids(self) -> tuple[int, ...]:
        return tuple(self.cluster.proposers)

    @property
    def acceptor_ids(self) -> tuple[int, ...]:
        return self._resolve(self.cluster.acceptors)

    @property
    def learner_ids(self) -> tuple[int, ...]:
        return self._resolve(self.cluster.learners)

    @property
    def distinguished_learner_ids(self) -> tuple[int, ...]:
        chosen = self.protocol.distinguished_learners
        return tuple(sorted(chosen)) if chosen else self.learner_ids[:1]

    @property
    def propose_times(self) -> tuple[float, ...]:
        """When each proposer (in `cluster.proposers` order) starts."""
        at = self.workload.propose_at
        return tuple(at) if isinstance(at, list) else (at,) * len(self.cluster.proposers)

    @property
    def kv(self) -> bool:
        return self.workload.kind == "kv"

    @property
    def client_ids(self) -> tuple[int, ...]:
        """A kv scenario's clients: nodes numbered after the cluster's."""
        if not self.kv:
            return ()
        n = self.cluster.nodes
        return tuple(range(n, n + self.workload.clients))

    @property
    def quorum_sizes(self) -> tuple[int, int]:
        """(phase 1, phase 2) quorum sizes, a majority of the acceptors where not given."""
        majority = Quorums.majority(len(self.acceptor_ids)).phase1
        q = self.protocol.quorum
        return (q.phase1 or majority, q.phase2 or majority)

    @property
    def warnings(self) -> list[str]:
        """Legal but probably not meant: bug switches on, proposers that start too late."""
        notes = [
            f"bugs.{name} is on: this scenario breaks Paxos on purpose" for name in self.bugs.on
        ]
        late = [
            p
            for p, at in zip(self.proposer_ids, self.propose_times, strict=True)
            if at >= self.horizon
        ]
        if late:
            notes.append(
                f"workload.propose_at: proposers {late} start at or after the horizon "
                f"({self.horizon:g} s) and never propose"
            )
        if self.kv and self.workload.start >= self.horizon:
            notes.append(
                f"workload.start: the clients start at or after the horizon "
                f"({self.horizon:g} s) and send nothing"
            )
        if not self.kv:
            unused = [f"workload.{k}" for k in sorted(self.workload.model_fields_set)]
            unused += [f"protocol.{k}" for k in ("window", "batch")]
            unused = [
                k
                for k in unused
                if k.split(".")[1] not in ("kind", "propose_at")
                and (k.startswith("workload") or k.split(".")[1] in self.protocol.model_fields_set)
            ]
            if unused:
                notes.append(
                    f'{unused[0]}: only a kv scenario (workload.kind = "kv") uses '
                    f"{', '.join(unused)}; this one is single-decree and ignores them"
                )
        estimate = self.estimated_messages
        if self.kv and estimate > WARN_LOG_MESSAGES:
            notes.append(
                f"workload.requests: about {estimate:,} messages per run even without a "
                f"retry ({self.workload.clients} clients x {self.workload.requests} "
                "requests): expect minutes per run"
            )
        elif not self.kv and estimate > WARN_MESSAGES:
            notes.append(
                f"cluster.nodes: about {estimate:,} messages per run even without a "
                f"retry ({self.protocol.learning} learning to {len(self.learner_ids)} "
                "learners): expect minutes and gigabytes per run"
            )
        return notes

    @property
    def estimated_messages(self) -> int:
        """Messages of one undisturbed ballot per proposer, learning included: prepare,
        promise and accept for each acceptor, each acceptor's vote to the proposer and
        to the learners it tells, and the distinguished learners' relays. Broadcast
        learning makes it quadratic in the nodes. A kv scenario: one phase 1, then per
        command a slot of its own (the accepts, votes and relays), the request and the
        reply (no batching, catch-up, heartbeat or retry counted)."""
        acceptors, learners = len(self.acceptor_ids), len(self.learner_ids)
        mode = self.protocol.learning
        if mode == "broadcast":
            told = set(self.learner_ids)
        elif mode == "distinguished":
            told = set(self.distinguished_learner_ids)
        else:
            told = set()
        relays = len(told) * (learners - len(told)) if mode == "distinguished" else 0
        polls = 2 * acceptors * learners if mode == "poll" else 0
        if self.kv:  # one phase 1, then per command: request, accepts, votes, relays, reply
            leader = self.proposer_ids[0]
            commands = self.workload.clients * self.workload.requests
            per_slot = acceptors + acceptors * len(told | {leader}) + relays
            return 2 * acceptors + commands * (per_slot + 2)  # batching can only lower it
        votes = sum(acceptors * len(told | {p}) for p in self.proposer_ids)
        return 3 * acceptors * len(self.proposer_ids) + votes + relays + polls

    def _resolve(self, ids: list[int] | str) -> tuple[int, ...]:
        return self.node_ids if ids == "all" else tuple(sorted(ids))

    # -- conversions --------------------------------------------------------------------

    def with_overrides(self, source: str | None = None, **changes: Any) -> "Scenario":
        """A copy with fields replaced (None means keep), validated again. A key may be a
        dotted path into a table: `s.with_overrides(**{"network.loss": 0.05})`. `source`
        names the overrides in error messages."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        data = self.to_dict()
        for path, value in changes.items():
            *tables, key = path.split(".")
            table = data
            for name in tables:
                table = table.setdefault(name, {})
            table[key] = value
        return parse_scenario(data, source=source or f"{self.name} with overrides {changes}")

    @property
    def roles(self) -> dict[int, str]:
        """The roles each node hosts, as "P A L" (proposer, acceptor, learner), and "client"
        for a kv scenario's clients (numbered after the cluster's nodes)."""
        roles = {
            i: " ".join(
                letter
                for letter, ids in (
                    ("P", self.proposer_ids),
                    ("A", self.acceptor_ids),
                    ("L", self.learner_ids),
                )
                if i in ids
            )
            for i in self.node_ids
        }
        return roles | {i: "client" for i in self.client_ids}

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.kv:
            del data["workload"]["propose_at"]  # a synod key, refused in a kv scenario
        else:  # the log's keys, which a single-decree scenario would be warned about
            data["workload"] = {k: data["workload"][k] for k in ("kind", "propose_at")}
            for key in ("window", "batch"):
                data["protocol"].pop(key, None)
        return data

    def to_toml(self) -> str:
        """The scenario with every default written out; reads back as an equal Scenario."""
        return tomli_w.dumps(self.to_dict())


# -- loading and errors -----------------------------------------------------------------


class ScenarioError(ValueError):
    """Everything wrong with one scenario source, one `source: key: problem` per line."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(
            "\n".join(
                f"{source}: {key}: {problem}" if key else f"{source}: {problem}"
                for key, problem in problems
            )
        )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError naming file, key and problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [("", f"cannot read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [("", f"invalid TOML: {exc}")]) from None
    return parse_scenario(data, source=path.name)


def parse_scenario(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        problems = _describe_all(errors, data) + _references_despite(errors, data)
        raise ScenarioError(source, problems) from None
    problems = _check_references(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def _references_despite(errors: list[dict[str, Any]], data: dict[str, Any]) -> list:
    """The cross-key problems of a file that also has schema errors, so that all are
    reported at once: drop every key that is wrong (a whole list for a wrong element, a
    whole delay or backoff table for a wrong field in it), check what remains with
    defaults in their place, and keep only the problems whose rule reads no dropped key."""
    repaired = copy.deepcopy(data)
    dropped: list[str] = []
    for _ in range(4):  # a dropped key can reveal another wrong one; a few rounds suffice
        for err in errors:
            loc, _, _ = _user_location(err["loc"], repaired, err["type"] == "missing")
            path = _droppable(loc)
            if not path or (err["type"] == "missing" and path != ["name"]):
                return []  # a required key is missing: nothing sound to check against
            if path == ["name"]:
                repaired["name"] = "scenario"  # any valid name: no rule reads it
            else:
                table = repaired
                for key in path[:-1]:
                    table = table.get(key, {}) if isinstance(table, dict) else {}
                if isinstance(table, dict):
                    table.pop(path[-1], None)
            dropped.append(".".join(path))
        try:
            partial = Scenario.model_validate(repaired)
            break
        except ValidationError as exc:
            errors = exc.errors()
    else:
        return []
    return [
        (key, problem)
        for key, problem in _check_references(partial)
        if not any(_overlaps(dep, d) for dep in _reads(key) for d in dropped)
    ]


def _droppable(loc: list) -> list:
    """The key to drop for an error at `loc`: the list holding a wrong element, the union
    table holding a wrong field, else the key itself."""
    first_index = next((i for i, part in enumerate(loc) if isinstance(part, int)), None)
    path = [str(p) for p in (loc if first_index is None else loc[:first_index])]
    for union in _UNION_KEYS:
        parts = union.split(".")
        if path[: len(parts)] == parts:
            return parts
    return path


#: The keys a cross-key rule reads, by the key its problem names.
_RULE_READS = {
    "cluster": ("cluster.nodes",),
    "protocol.quorum": ("cluster.nodes", "cluster.acceptors", "bugs"),
    "protocol.distinguished_learners": ("cluster.nodes", "cluster.learners"),
    "network.partitions": ("cluster.nodes",),
    "faults": ("cluster.nodes",),
    "protocol.leader": ("protocol.leader",),
    "workload.propose_at": ("cluster.proposers",),
}


def _reads(key: str) -> set[str]:
    reads = {key}
    for prefix, keys in _RULE_READS.items():
        if _overlaps(key, prefix):
            reads.update(keys)
    return reads


def _overlaps(a: str, b: str) -> bool:
    """Whether one key path is the other or lies inside it (at a key boundary)."""
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith((short + ".", short + "["))


def _check_references(s: Scenario) -> list[tuple[str, str]]:
    """Rules that span fields: node ids in range, role sets, times, one value per proposer."""
    n = s.cluster.nodes
    problems: list[tuple[str, str]] = []

    everyone = n + len(s.client_ids)  # faults and partitions may name clients too

    def check_ids(key: str, ids: Any, allow_empty: bool = False, limit: int = n) -> None:
        if ids == "all":
            return
        if not ids and not allow_empty:
            problems.append((key, "must name at least one node"))
        for i, node in enumerate(ids):
            if node >= limit:
                problems.append((f"{key}[{i}]", f"node id must be in 0..{limit - 1}, got {node}"))
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        if dupes:
            problems.append((key, f"node ids must be distinct, got {dupes} more than once"))

    check_ids("cluster.proposers", s.cluster.proposers)
    check_ids("cluster.acceptors", s.cluster.acceptors)
    check_ids("cluster.learners", s.cluster.learners)
    acceptors = len(s.acceptor_ids)
    for phase, size in zip(("phase1", "phase2"), s.quorum_sizes, strict=True):
        if acceptors and size > acceptors:
            problems.append(
                (
                    f"protocol.quorum.{phase}",
                    f"must be at most the number of acceptors ({acceptors}), got {size}",
                )
            )
    p1, p2 = s.quorum_sizes
    if acceptors and not Quorums(acceptors, p1, p2).intersecting and not s.bugs.unsafe_quorum:
        problems.append(
            (
                "protocol.quorum",
                f"phase1 + phase2 must exceed the number of acceptors "
                f"({acceptors}) so that quorums intersect, got {p1} + {p2}; "
                "set bugs.unsafe_quorum = true to allow it",
            )
        )
    if s.protocol.distinguished_learners is not None:
        check_ids("protocol.distinguished_learners", s.protocol.distinguished_learners)
        outside = sorted(
            set(s.protocol.distinguished_learners)
            - set(s.learner_ids)
            - set(x for x in s.protocol.distinguished_learners if x >= n)
        )
        if outside:
            problems.append(("protocol.distinguished_learners", f"must be learners, got {outside}"))

    for i, part in enumerate(s.network.partitions):
        key = f"network.partitions[{i}]"
        if part.end is not None and part.end <= part.start:
            problems.append(
                (f"{key}.end", f"must be after start ({part.start:g}), got {part.end:g}")
            )
        for g, group in enumerate(part.groups):
            check_ids(f"{key}.groups[{g}]", group, limit=everyone)
        flat = [node for group in part.groups for node in group]
        if len(flat) != len(set(flat)):
            problems.append((f"{key}.groups", "a node may be in one group only"))

    for i, fault in enumerate(s.faults):
        key = f"faults[{i}]"
        if fault.node >= everyone:
            problems.append(
                (f"{key}.node", f"node id must be in 0..{everyone - 1}, got {fault.node}")
            )
        if fault.restart_at is not None and fault.restart_at <= fault.crash_at:
            problems.append(
                (
                    f"{key}.restart_at",
                    f"must be after crash_at ({fault.crash_at:g}), got {fault.restart_at:g}",
                )
            )
    leader = s.protocol.leader
    if leader.timeout <= leader.heartbeat:
        problems.append(
            (
                "protocol.leader.timeout",
                f"must be longer than the heartbeat ({leader.heartbeat:g}), got {leader.timeout:g}",
            )
        )
    if s.kv:
        problems.extend(_check_kv(s))
    for switch in ("stale_reads", "skip_phase1"):
        if getattr(s.bugs, switch) and not s.kv:
            problems.append((f"bugs.{switch}", 'breaks the replicated log: needs kind = "kv"'))
    if s.bugs.stale_reads and s.protocol.strategy != "leader":
        problems.append(("bugs.stale_reads", 'a leader answers reads: needs strategy = "leader"'))
    at = s.workload.propose_at
    if isinstance(at, list) and len(at) != len(s.cluster.proposers):
        problems.append(
            (
                "workload.propose_at",
                f"needs one time per proposer ({len(s.cluster.proposers)}), got {len(at)}",
            )
        )
    return problems


def _check_kv(s: Scenario) -> list[tuple[str, str]]:
    """Rules of a replicated key-value store scenario."""
    w = s.workload
    problems: list[tuple[str, str]] = []
    total = sum(p for _, p in w.mix)
    if abs(total - 1.0) > 1e-9:
        shares = ", ".join(f"{op} = {p:g}" for op, p in w.mix)
        problems.append(
            (
                "workload.mix",
                f"the shares must sum to 1 (a share not given takes its default), got "
                f"{total:g} ({shares})",
            )
        )
    if w.rate is not None and w.think_time is not None:
        problems.append(
            (
                "workload.rate",
                "give rate (open loop) or think_time (closed loop), not both, "
                f"got rate = {w.rate:g} and think_time = {w.think_time:g}",
            )
        )
    if "propose_at" in w.model_fields_set:
        problems.append(
            ("workload.propose_at", 'only for kind = "synod": kv clients start at workload.start')
        )
    not_replicas = sorted(set(s.proposer_ids) - set(s.learner_ids))
    if not_replicas:
        problems.append(
            (
                "cluster.learners",
                "in a kv scenario every proposer node must also be a learner (its replica "
                f"applies the commands it answers clients for), got proposers {not_replicas} "
                "that are not",
            )
        )
    return problems


# -- turning pydantic's errors into one line each ---------------------------------------

_TABLES: dict[str, type[BaseModel]] = {
    "": Scenario,
    "cluster": Cluster,
    "network": Network,
    "network.partitions": Partition,
    "faults": Fault,
    "protocol": Protocol,
    "protocol.quorum": QuorumSizes,
    "protocol.leader": Leader,
    "bugs": Bugs,
    "workload": Workload,
    "workload.mix": Mix,
}
_DELAY_MEMBERS = {m.model_fields["dist"].default: m for m in Delay.__args__[0].__args__}
_UNION_MEMBERS: dict[str, tuple[str, dict[str, type[BaseModel]]]] = {
    "network.delay": ("dist", _DELAY_MEMBERS),
    "cluster.service_time": ("dist", _DELAY_MEMBERS),
    "protocol.backoff": (
        "kind",
        {m.model_fields["kind"].default: m for m in Backoff.__args__[0].__args__},
    ),
}


def _member_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


#: Every key any member of a tagged union table takes, derived from the members.
_UNION_KEYS = {
    table: list(dict.fromkeys(k for m in members.values() for k in _member_keys(m)))
    for table, (_, members) in _UNION_MEMBERS.items()
}
_ALL_KEYS = {name for model in _TABLES.values() for name in model.model_fields} | {
    key for keys in _UNION_KEYS.values() for key in keys
}


def _keys_of_table(loc: list, data: Any) -> tuple[list[str], str]:
    """The keys allowed in the table that holds the last key of `loc`, and a name for
    that table when it is one member of a tagged union ("dist = exponential")."""
    table = ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
    if table in _UNION_MEMBERS:
        tag, members = _UNION_MEMBERS[table]
        node = data
        for part in loc[:-1]:
            node = node[part] if isinstance(node, (dict, list)) else None
        chosen = node.get(tag) if isinstance(node, dict) else None
        model = members.get(chosen)
        if model is not None:
            return _member_keys(model), f"{tag} = {chosen}"
        return _UNION_KEYS[table], ""
    model = _TABLES.get(table)
    return (list(model.model_fields) if model else []), ""


def _describe_all(errors: list[dict[str, Any]], data: Any) -> list[tuple[str, str]]:
    """One line per problem. A value that fits no member of a plain union (a number or
    a list, a list or "all") makes pydantic report every member's complaint; keep the
    member that has the input's shape, or say what shapes would do."""
    by_field: dict[tuple, list[tuple[str | None, list, dict]]] = {}
    for err in errors:
        loc, member, field_loc = _user_location(err["loc"], data, err["type"] == "missing")
        by_field.setdefault(tuple(field_loc), []).append((member, loc, err))
    problems = []
    for field_loc, entries in by_field.items():
        members = {m for m, _, _ in entries}
        if len(members) > 1:
            value = _value_at(data, field_loc)
            fitting = [e for e in entries if _shape_fits(e[0], value)]
            if not fitting:
                shapes = " or ".join(sorted({_shape_name(m) for m in members if m}))
                problems.append((_key(list(field_loc)), f"must be {shapes}, got {value!r}"))
                continue
            entries = fitting
        problems.extend(_describe(err, loc, data) for _, loc, err in entries)
    return problems


def _describe(err: dict[str, Any], loc: list, data: Any) -> tuple[str, str]:
    key = _key(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed, member = _keys_of_table(loc, data)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if hint:
            return key, f"unknown key (did you mean '{hint[0]}'?)"
        if member:
            return key, f"not a key of {member} (it has {', '.join(allowed)})"
        if loc[-1] in _ALL_KEYS:
            return key, "unknown key in this table (it belongs in another one)"
        return key, "unknown key"
    if kind == "union_tag_not_found":
        tag = err["ctx"]["discriminator"].strip("'")
        return key, f"needs a '{tag}' key"
    if kind == "missing":
        return key, "required key is missing"
    message = re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
    message = message[0].lower() + message[1:]
    for wordy, short in _SHORTER:
        message = message.replace(wordy, short)
    if kind == "union_tag_invalid":
        return key, re.sub(r"^input tag (\S+) found using '(\w+)'", r"\2 = \1", message)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return key, f"must be a table, got {err['input']!r}"
    if isinstance(err["input"], dict):
        return key, message
    return key, f"{message}, got {err['input']!r}"


_SHORTER = [
    ("input should be greater than or equal to", "must be >="),
    ("input should be greater than", "must be >"),
    ("input should be less than or equal to", "must be <="),
    ("input should be a valid integer", "must be an integer"),
    ("input should be a valid", "must be a"),
    (", got a number with a fractional part", ""),
    ("input should be", "must be"),
]


def _key(loc: list) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _user_location(loc: tuple, data: Any, missing: bool) -> tuple[list, str | None, list]:
    """Split pydantic's location into the keys of the file and the union member it
    names, if any: tagged unions add the tag ('exponential' in
    network.delay.exponential.mean), plain unions the member type (list[int])."""
    out: list = []
    member = None
    field_loc: list = []
    node = data
    for i, part in enumerate(loc):
        is_key = isinstance(node, dict) and part in node or missing and i == len(loc) - 1
        if isinstance(part, str) and not is_key:
            if member is None:
                member, field_loc = part, list(out)
            continue
        out.append(part)
        node = (
            node[part]
            if isinstance(node, (dict, list)) and not _is_key_missing(node, part)
            else None
        )
    return out, member, field_loc if member is not None else out


def _is_key_missing(node: Any, part: Any) -> bool:
    return isinstance(node, dict) and part not in node


def _value_at(data: Any, loc: list) -> Any:
    for part in loc:
        data = data[part]
    return data


def _shape_fits(member: str | None, value: Any) -> bool:
    if member is None:
        return False
    if isinstance(value, list):
        return member.startswith("list")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return not member.startswith("list") and ("float" in member or "int" in member)
    return False


def _shape_name(member: str) -> str:
    if member.startswith("list"):
        return "a list"
    if member.startswith("literal"):
        return member.removeprefix("literal[").removesuffix("]").replace("'", '"')
    return "a number"
