"""Building a cluster: which node hosts which role, on what stable storage, drawing from
which random stream. Worked out once per scenario (`Plan`), then once per run and node
(`Cluster.roles`, also after every restart)."""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paxossim.protocol import (
    AcceptorStorage,
    LearnerStorage,
    ProposerStorage,
    Quorums,
)
from paxossim.protocol.bugs import RoleClasses, role_classes, survive_restart
from paxossim.protocol.client import Client
from paxossim.protocol.distinguished import DistinguishedProposer
from paxossim.protocol.election import Elector, ElectorStorage
from paxossim.protocol.kvstore import KVStore
from paxossim.scenario import Scenario
from paxossim.sim import rng


def proposal_value(node: int) -> str:
    """The distinct value the proposer on `node` proposes."""
    return f"v{node}"


@dataclass(frozen=True)
class Plan:
    """What every run of a scenario shares, worked out once from the scenario."""

    scenario: Scenario
    quorums: Quorums
    acceptors: tuple[int, ...]
    learners: tuple[int, ...]
    propose_at: dict[int, float]  # a single-decree run's proposers: when each starts
    vote_targets: tuple[int, ...]
    relays: dict[int, tuple[int, ...]]
    poll_interval: float | None
    leader: bool
    proposers: tuple[int, ...]  # sorted
    roles: RoleClasses = field(default_factory=RoleClasses)
    bugs: tuple[str, ...] = ()  # the switches on (Bugs.on, worked out once)

    @classmethod
    def of(cls, s: Scenario, roles: RoleClasses | None = None) -> "Plan":
        """`roles` replaces the role classes (the bug switches' by default): the
        mutation tests run the simulator with deliberately broken roles."""
        acceptors, learners = s.acceptor_ids, s.learner_ids
        mode = s.protocol.learning
        relays: dict[int, tuple[int, ...]] = {}
        if mode == "broadcast":
            vote_targets = learners
        elif mode == "distinguished":
            vote_targets = s.distinguished_learner_ids
            others = tuple(x for x in learners if x not in vote_targets)
            relays = {x: others for x in vote_targets}
        else:
            vote_targets = ()
        return cls(
            scenario=s,
            quorums=Quorums(len(acceptors), *s.quorum_sizes),
            acceptors=acceptors,
            learners=learners,
            propose_at={} if s.kv else dict(zip(s.proposer_ids, s.propose_times, strict=True)),
            vote_targets=vote_targets,
            relays=relays,
            poll_interval=s.protocol.poll_interval if mode == "poll" else None,
            leader=s.protocol.strategy == "leader",
            proposers=tuple(sorted(s.proposer_ids)),
            roles=roles or role_classes(s.bugs.on),
            bugs=s.bugs.on,
        )


@dataclass(slots=True)
class Storage:
    """A node's stable storage, one part per role it hosts."""

    proposer: ProposerStorage | None = None
    acceptor: AcceptorStorage | None = None
    learner: LearnerStorage | None = None
    elector: ElectorStorage | None = None
    client: Client | None = None  # a client keeps all it knows across a crash


class Cluster:
    """Makes each node's stable storage and its roles for one run (seeded)."""

    def __init__(self, plan: Plan, seed: int):
        self.plan = plan
        self._backoff: dict[int, Any] = {}
        self._jitter: dict[int, Callable[[], float]] = {}
        protocol = plan.scenario.protocol
        self._seed = seed
        for i in plan.proposers:
            draws = rng.uniforms(rng.Lazy(_stream(seed, rng.BACKOFF, i)).get)
            self._backoff[i] = protocol.backoff.policy(draws)
            if plan.leader:
                election = rng.uniforms(rng.Lazy(_stream(seed, rng.ELECTION, i)).get)
                self._jitter[i] = _scaled(protocol.leader.timeout_jitter, election)

    def storage(self, i: int) -> Storage:
        plan = self.plan
        storage = Storage()
        if i in plan.proposers:
            storage.proposer = ProposerStorage()
            if plan.leader:
                storage.elector = ElectorStorage()
        if i in plan.acceptors:
            storage.acceptor = AcceptorStorage()
        if i in plan.learners:
            storage.learner = LearnerStorage(machine=KVStore() if plan.scenario.kv else None)
        if i in plan.scenario.client_ids:
            storage.client = self._client(i)
        return storage

    def _client(self, i: int) -> Client:
        s = self.plan.scenario
        w = s.workload
        return Client(
            i,
            self.plan.proposers,
            w.requests,
            w.keys,
            w.mix.ops,
            rng.stream(self._seed, rng.WORKLOAD, i),
            w.request_timeout,
            think_time=w.think_time if w.rate is None else None,
            rate=w.rate,
            leader_mode=self.plan.leader,
        )

    def roles(self, i: int, st: Storage, restarted: bool) -> tuple:
        """Fresh (proposer, acceptor, learner) of node `i` on its stable storage: at boot
        and after every restart. None where the node hosts no such role."""
        plan, protocol = self.plan, self.plan.scenario.protocol
        switches = plan.bugs
        if restarted and switches:
            st.acceptor = survive_restart(st.acceptor, switches)
            st.proposer = survive_restart(st.proposer, switches)
        proposer = acceptor = learner = None
        if st.client is not None:
            return st.client, None, None
        if st.proposer is not None and plan.scenario.kv:
            proposer = plan.roles.log_proposer(
                i,
                plan.acceptors,
                plan.quorums,
                protocol.retry_timeout,
                self._backoff[i],
                st.proposer,
                st.learner,
                protocol.window,
                protocol.batch,
                self._elector(i, st, restarted) if plan.leader else None,
            )
        elif st.proposer is not None:
            proposer = plan.roles.proposer(
                i,
                proposal_value(i),
                plan.acceptors,
                plan.quorums,
                protocol.retry_timeout,
                self._backoff[i],
                st.proposer,
            )
            if plan.leader:
                proposer = DistinguishedProposer(proposer, self._elector(i, st, restarted))
        if st.acceptor is not None:
            acceptor = plan.roles.acceptor(st.acceptor, plan.vote_targets, protocol.nack)
        if st.learner is not None:
            learner = plan.roles.learner(
                st.learner,
                plan.quorums.phase2,
                plan.acceptors,
                plan.relays.get(i, ()),
                plan.poll_interval,
                peers=tuple(x for x in plan.learners if x != i),
                catchup=protocol.catchup or None,
                proposers=plan.proposers,
                slots=None if plan.scenario.kv else 1,
            )
        return proposer, acceptor, learner

    def _elector(self, i: int, st: Storage, restarted: bool) -> Elector:
        plan = self.plan
        cfg = plan.scenario.protocol.leader
        return Elector(
            i,
            tuple(p for p in plan.proposers if p != i),
            cfg.heartbeat,
            cfg.timeout,
            self._jitter[i],
            st.elector,
            leader=None if restarted else plan.proposers[0],
        )


def service_draws(s: Scenario, seed: int, node: int) -> Callable[[], float] | None:
    """The service times of `node`'s messages, in the order its services start, from its
    own stream (SERVICE, node), made on first use; None without a service time (or a
    constant 0)."""
    spec = s.cluster.service_time
    if spec is None or spec.dist == "constant" and spec.value == 0:
        return None
    if spec.dist == "constant":
        return functools.partial(float, spec.value)
    return rng.Draws(spec.sample, rng.Lazy(_stream(seed, rng.SERVICE, node)).get)


def _stream(seed: int, *key: int) -> Callable[[], Any]:
    return lambda: rng.stream(seed, *key)


def _scaled(scale: float, draws: Callable[[], float]) -> Callable[[], float]:
    return lambda: scale * draws()
