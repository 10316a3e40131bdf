"""One simulated run: a SimPy environment, the network, the nodes and the observers."""

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import simpy

from paxossim.observe.invariants import SafetyChecker, Violation
from paxossim.observe.metrics import RunRecord, RunStats
from paxossim.observe.trace import Trace
from paxossim.protocol import (
    Acceptor,
    AcceptorStorage,
    Decided,
    Learner,
    LearnerStorage,
    Proposer,
    ProposerStorage,
    Quorums,
    RoundAbandoned,
    RoundStarted,
    ValueAdopted,
)
from paxossim.scenario import Scenario
from paxossim.sim import rng
from paxossim.sim.network import Network
from paxossim.sim.node import Node

#: A run counts as livelocked only if proposers were still starting ballots in this
#: final share of the horizon.
LIVELOCK_TAIL = 0.1


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
    propose_at: dict[int, float]
    vote_targets: tuple[int, ...]
    relays: dict[int, tuple[int, ...]]
    poll_interval: float | None

    @classmethod
    def of(cls, s: Scenario) -> "Plan":
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
            quorums=Quorums.majority(len(acceptors)),
            acceptors=acceptors,
            learners=learners,
            propose_at=dict(zip(s.proposer_ids, s.propose_times, strict=True)),
            vote_targets=vote_targets,
            relays=relays,
            poll_interval=s.protocol.poll_interval if mode == "poll" else None,
        )


@dataclass
class RunResult:
    record: RunRecord
    violations: list[Violation] = field(default_factory=list)
    trace: pd.DataFrame | None = None


class World:
    def __init__(self, plan: Plan, seed: int, run: int = 0, trace: bool = False):
        s = plan.scenario
        self.plan = plan
        self.seed = seed
        self.run_index = run
        self.env = simpy.Environment()
        self.tokens = itertools.count()
        self.stats = RunStats()
        self.trace = Trace() if trace else None
        self.checker = SafetyChecker(
            plan.quorums.phase2, {proposal_value(p) for p in plan.propose_at}
        )
        self.network = Network(self.env, s.network, s.horizon, lambda: rng.stream(seed, rng.NETWORK),
                               self.stats, self.trace)
        self._backoff: dict[int, Any] = {}
        self.nodes = [self._make_node(i) for i in range(s.cluster.nodes)]
        self.network.nodes = self.nodes
        for node, at in plan.propose_at.items():
            self._at(at, self.nodes[node].start_proposing)
        for fault in s.faults:
            self._at(fault.crash_at, self.nodes[fault.node].crash)
            if fault.restart_at is not None:
                self._at(fault.restart_at, self.nodes[fault.node].restart)

    def _at(self, time: float, action: Any) -> None:
        self.env.timeout(time).callbacks.append(lambda _event: action())

    def _make_node(self, i: int) -> Node:
        plan = self.plan
        storage = (
            ProposerStorage() if i in plan.propose_at else None,
            AcceptorStorage() if i in plan.acceptors else None,
            LearnerStorage() if i in plan.learners else None,
        )
        if storage[0] is not None:
            uniform = rng.uniforms(rng.Lazy(lambda: rng.stream(self.seed, rng.BACKOFF, i)).get)
            self._backoff[i] = plan.scenario.protocol.backoff.policy(uniform)
        node = Node(i, self, self._make_roles, storage)
        if node.learner is not None and plan.poll_interval is not None:
            self._at(0.0, node.start_learning)
        return node

    def _make_roles(self, node: Node) -> tuple[Proposer | None, Acceptor | None, Learner | None]:
        """Fresh roles on the node's stable storage: at boot and after every restart."""
        plan, protocol = self.plan, self.plan.scenario.protocol
        p_store, a_store, l_store = node.storage
        i = node.id
        return (
            None if p_store is None else Proposer(
                i, proposal_value(i), plan.acceptors, plan.quorums, protocol.retry_timeout,
                self._backoff[i], p_store),
            None if a_store is None else Acceptor(a_store, plan.vote_targets, protocol.nack),
            None if l_store is None else Learner(
                l_store, plan.quorums.phase2, plan.acceptors, plan.relays.get(i, ()),
                plan.poll_interval),
        )

    # -- what nodes report --------------------------------------------------------------

    def on_crash(self, node: Node) -> None:
        self.stats.crashes += 1
        if node.acceptor is not None:
            st = node.acceptor.storage
            if st.promised > st.accepted_ballot:
                self.stats.crashes_mid_ballot += 1
        if self.trace is not None:
            self.trace.record(self.env.now, "crash", node.id)

    def on_restart(self, node: Node) -> None:
        if self.trace is not None:
            self.trace.record(self.env.now, "restart", node.id)
        if node.proposer is not None and self.env.now >= self.plan.propose_at[node.id]:
            node.start_proposing()

    def on_learned(self, node: Node, value: Any) -> None:
        now = self.env.now
        self.checker.learned(node.id, value, now)
        self.stats.learned_at.setdefault(node.id, now)
        if self.trace is not None:
            self.trace.record(now, "learned", node.id, value=value)

    def on_proposer_event(self, node: Node, e: Any) -> None:
        now, stats = self.env.now, self.stats
        kind = type(e)
        if kind is RoundStarted:
            stats.ballots += 1
            stats.last_ballot_at = now
        elif kind is RoundAbandoned:
            if self.checker.highest_promise > e.ballot:
                stats.preemptions += 1
                if math.isnan(stats.first_preemption_at):
                    stats.first_preemption_at = now
            else:
                stats.timeouts += 1
        elif kind is ValueAdopted:
            stats.adopted += 1
        elif kind is Decided and math.isnan(stats.decided_at):
            stats.decided_at = now
        if self.trace is not None:
            self.trace.record(now, kind.__name__, node.id, ballot=e.ballot,
                              value=getattr(e, "value", None), detail=getattr(e, "reason", ""))

    # -- running ------------------------------------------------------------------------

    def run(self) -> RunResult:
        s = self.plan.scenario
        self.env.run(until=s.horizon)
        checker, stats = self.checker, self.stats
        if self.trace is not None and checker.chosen:
            self.trace.record(checker.chosen_at, "chosen", -1, ballot=checker.chosen_ballot,
                              value=checker.chosen_value)
        learners_up = [i for i in self.plan.learners if self.nodes[i].up]
        learned = [stats.learned_at.get(i) for i in learners_up]
        learned_at = max(learned) if learned and None not in learned else math.nan
        livelock = (
            not checker.chosen
            and stats.preemptions > 0
            and stats.last_ballot_at >= s.horizon * (1 - LIVELOCK_TAIL)
        )
        first = checker.violations[0] if checker.violations else None
        record = RunRecord(
            scenario=s.name,
            seed=self.seed,
            run=self.run_index,
            chosen=checker.chosen,
            value=checker.chosen_value,
            chosen_at=checker.chosen_at,
            learned_at=learned_at,
            decided_at=stats.decided_at,
            ballots=stats.ballots,
            preemptions=stats.preemptions,
            timeouts=stats.timeouts,
            livelock=livelock,
            adopted=stats.adopted,
            messages_sent=stats.messages_sent,
            messages_delivered=stats.messages_delivered,
            messages_dropped=stats.messages_dropped,
            messages_duplicated=stats.messages_duplicated,
            duplicates_delivered=stats.duplicates_delivered,
            crashes=stats.crashes,
            crashes_mid_ballot=stats.crashes_mid_ballot,
            learners_learned=len(stats.learned_at),
            safety_violations=len(checker.violations),
            violation=str(first) if first else "",
        )
        trace = None
        if self.trace is not None:
            trace = self.trace.to_frame().sort_values("time", kind="stable", ignore_index=True)
        return RunResult(record, list(checker.violations), trace)


def simulate(scenario: Scenario, seed: int | None = None, *, trace: bool = False,
             run: int = 0, plan: Plan | None = None) -> RunResult:
    """Simulate one run of `scenario` with `seed` (default: the scenario's seed)."""
    plan = plan or Plan.of(scenario)
    return World(plan, scenario.seed if seed is None else seed, run, trace).run()
