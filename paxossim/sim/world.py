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
from paxossim.protocol.distinguished import DistinguishedProposer
from paxossim.protocol.effects import LeadershipChanged
from paxossim.protocol.election import Elector, ElectorStorage
from paxossim.scenario import Scenario
from paxossim.sim import rng
from paxossim.sim.network import Network
from paxossim.sim.node import Node, Storage

#: A run counts as livelocked only if proposers were still starting, and preempting,
#: ballots in this final share of the horizon.
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
    leader: bool
    proposers: tuple[int, ...]  # sorted

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
            quorums=Quorums(len(acceptors), *s.quorum_sizes),
            acceptors=acceptors,
            learners=learners,
            propose_at=dict(zip(s.proposer_ids, s.propose_times, strict=True)),
            vote_targets=vote_targets,
            relays=relays,
            poll_interval=s.protocol.poll_interval if mode == "poll" else None,
            leader=s.protocol.strategy == "leader",
            proposers=tuple(sorted(s.proposer_ids)),
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
        self.checker.on_chosen = self._on_chosen
        self.network = Network(
            self.env,
            s.network,
            s.horizon,
            lambda k: rng.stream(seed, rng.NETWORK, k),
            self.stats,
            self.trace,
        )
        self._leaders: set[int] = set()
        self._leaderless_since: float | None = 0.0 if plan.leader else None
        self._backoff: dict[int, Any] = {}
        self._jitter: dict[int, Any] = {}
        self.nodes = [self._make_node(i) for i in range(s.cluster.nodes)]
        self.network.nodes = self.nodes
        # faults first: at equal times SimPy keeps scheduling order, so a node that
        # crashes at t sends nothing at t
        for fault in s.faults:
            self._at(fault.crash_at, self.nodes[fault.node].crash)
            if fault.restart_at is not None:
                self._at(fault.restart_at, self.nodes[fault.node].restart)
        self._at(0.0, self._boot)
        for node, at in plan.propose_at.items():
            self._at(at, self.nodes[node].start_proposing)

    def _boot(self) -> None:
        for node in self.nodes:
            node.boot()

    def _at(self, time: float, action: Any) -> None:
        self.env.timeout(time).callbacks.append(lambda _event: action())

    def _make_node(self, i: int) -> Node:
        plan = self.plan
        storage = Storage()
        if i in plan.propose_at:
            storage.proposer = ProposerStorage()
            draws = rng.uniforms(rng.Lazy(lambda: rng.stream(self.seed, rng.BACKOFF, i)).get)
            self._backoff[i] = plan.scenario.protocol.backoff.policy(draws)
            if plan.leader:
                storage.elector = ElectorStorage()
                jitter = plan.scenario.protocol.leader.timeout_jitter
                election = rng.uniforms(
                    rng.Lazy(lambda: rng.stream(self.seed, rng.ELECTION, i)).get
                )
                self._jitter[i] = lambda: jitter * election()
        if i in plan.acceptors:
            storage.acceptor = AcceptorStorage()
        if i in plan.learners:
            storage.learner = LearnerStorage()
        return Node(i, self, storage, self._make_roles)

    def _make_roles(self, node: Node, restarted: bool) -> tuple:
        """Fresh roles on the node's stable storage: at boot and after every restart."""
        plan, s = self.plan, self.plan.scenario
        protocol, bugs, st, i = s.protocol, s.bugs, node.storage, node.id
        if restarted and bugs.acceptor_amnesia and st.acceptor is not None:
            st.acceptor = AcceptorStorage()
        if restarted and bugs.ballot_reuse and st.proposer is not None:
            st.proposer = ProposerStorage()
        proposer = acceptor = learner = None
        if st.proposer is not None:
            proposer = Proposer(
                i,
                proposal_value(i),
                plan.acceptors,
                plan.quorums,
                protocol.retry_timeout,
                self._backoff[i],
                st.proposer,
                ignore_accepted=bugs.ignore_accepted,
                ballot_node=0 if bugs.ballot_reuse else i,
            )
            if plan.leader:
                cfg = protocol.leader
                peers = tuple(p for p in plan.proposers if p != i)
                elector = Elector(
                    i,
                    peers,
                    cfg.heartbeat,
                    cfg.timeout,
                    self._jitter[i],
                    st.elector,
                    leader=None if restarted else plan.proposers[0],
                )
                proposer = DistinguishedProposer(proposer, elector)
        if st.acceptor is not None:
            acceptor = Acceptor(st.acceptor, plan.vote_targets, protocol.nack)
        if st.learner is not None:
            learner = Learner(
                st.learner,
                plan.quorums.phase2,
                plan.acceptors,
                plan.relays.get(i, ()),
                plan.poll_interval,
                peers=tuple(x for x in plan.learners if x != i),
                catchup=protocol.catchup or None,
                mix_ballots=bugs.learner_mixes_ballots,
            )
        return proposer, acceptor, learner

    # -- what nodes report --------------------------------------------------------------

    def _on_chosen(self) -> None:
        self.stats.messages_to_choose = self.stats.messages_sent

    def on_crash(self, node: Node) -> None:
        self.stats.crashes += 1
        if node.acceptor is not None:
            st = node.acceptor.storage
            if st.promised > st.accepted_ballot:
                self.stats.crashes_mid_ballot += 1
        self._set_leading(node.id, False)
        if self.trace is not None:
            self.trace.record(self.env.now, "crash", node.id)

    def on_restart(self, node: Node) -> None:
        now = self.env.now
        if self.trace is not None:
            self.trace.record(now, "restart", node.id)
        if node.acceptor is not None:  # what survived the crash must still be consistent
            self.checker.acceptor_step(node.id, node.acceptor.storage, now)
        if node.learner is not None and node.learner.storage.learned and node.proposer:
            node.apply(node.proposer, node.proposer.stop())
        elif node.id in self.plan.propose_at and now >= self.plan.propose_at[node.id]:
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
            self.checker.ballot_started(node.id, e.ballot, now)
        elif kind is RoundAbandoned:
            if self._preempted(e):
                stats.preemptions += 1
                stats.last_preemption_at = now
                if math.isnan(stats.first_preemption_at):
                    stats.first_preemption_at = now
            else:
                stats.timeouts += 1
        elif kind is ValueAdopted:
            stats.adopted += 1
        elif kind is Decided and math.isnan(stats.decided_at):
            stats.decided_at = now
        elif kind is LeadershipChanged:
            if e.leading and now > 0:
                stats.leader_changes += 1
            self._set_leading(node.id, e.leading)
        if self.trace is not None:
            self.trace.record(
                now,
                kind.__name__,
                node.id,
                ballot=getattr(e, "ballot", None),
                value=getattr(e, "value", None),
                detail=_detail(e),
            )

    def _preempted(self, e: RoundAbandoned) -> bool:
        """Abandoned because of a higher ballot: told so by a nack, or (timed out or
        deposed) when so many acceptors had promised higher ballots that the round
        could no longer gather its quorum."""
        if e.reason == "nack":
            return True
        quorums = self.plan.quorums
        need = quorums.phase2 if e.phase == 2 else quorums.phase1
        higher = self.checker.acceptors_promised_above(e.ballot)
        return higher > quorums.acceptors - need

    def _set_leading(self, node: int, leading: bool) -> None:
        """Keep the set of live nodes that believe they lead, and the time it was empty."""
        if not self.plan.leader:
            return
        if leading:
            if not self._leaders and self._leaderless_since is not None:
                self.stats.leaderless_time += self.env.now - self._leaderless_since
                self._leaderless_since = None
            self._leaders.add(node)
        elif node in self._leaders:
            self._leaders.discard(node)
            if not self._leaders:
                self._leaderless_since = self.env.now

    # -- running ------------------------------------------------------------------------

    def run(self) -> RunResult:
        s = self.plan.scenario
        self.env.run(until=s.horizon)
        checker, stats = self.checker, self.stats
        if self._leaderless_since is not None:
            stats.leaderless_time += s.horizon - self._leaderless_since
        if self.trace is not None and checker.chosen:
            self.trace.record(
                checker.chosen_at,
                "chosen",
                -1,
                ballot=checker.chosen_ballot,
                value=checker.chosen_value,
            )
        learners_up = [i for i in self.plan.learners if self.nodes[i].up]
        learned = [stats.learned_at.get(i) for i in learners_up]
        learned_at = max(learned) if learned and None not in learned else math.nan
        tail = s.horizon * (1 - LIVELOCK_TAIL)
        acceptors_up = sum(self.nodes[i].up for i in self.plan.acceptors)
        livelock = (
            not checker.chosen
            and stats.last_ballot_at >= tail
            and stats.last_preemption_at >= tail
            and acceptors_up >= max(self.plan.quorums.phase1, self.plan.quorums.phase2)
        )
        end = checker.chosen_at if checker.chosen else s.horizon
        dueling_time = (
            0.0
            if math.isnan(stats.first_preemption_at)
            else max(0.0, end - stats.first_preemption_at)
        )
        first = checker.violations[0] if checker.violations else None
        record = RunRecord(
            scenario=s.name,
            seed=self.seed,
            run=self.run_index,
            strategy=s.protocol.strategy,
            proposers=len(self.plan.propose_at),
            backoff=s.protocol.backoff.kind,
            loss=s.network.loss,
            horizon=s.horizon,
            bugs=",".join(s.bugs.on),
            chosen=checker.chosen,
            value=checker.chosen_value,
            chosen_at=checker.chosen_at,
            learned_at=learned_at,
            decided_at=stats.decided_at,
            ballots=stats.ballots,
            preemptions=stats.preemptions,
            timeouts=stats.timeouts,
            livelock=livelock,
            dueling_time=dueling_time,
            leader_changes=stats.leader_changes,
            leaderless_time=stats.leaderless_time if self.plan.leader else math.nan,
            adopted=stats.adopted,
            messages_sent=stats.messages_sent,
            messages_delivered=stats.messages_delivered,
            messages_dropped=stats.messages_dropped,
            messages_duplicated=stats.messages_duplicated,
            duplicates_delivered=stats.duplicates_delivered,
            messages_to_choose=stats.messages_to_choose,
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


def _detail(e: Any) -> str:
    if type(e) is LeadershipChanged:
        return f"{'leads' if e.leading else 'steps down'} in term {e.term}"
    return getattr(e, "reason", "")


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    *,
    trace: bool = False,
    run: int = 0,
    plan: Plan | None = None,
) -> RunResult:
    """Simulate one run of `scenario` with `seed` (default: the scenario's seed)."""
    plan = plan or Plan.of(scenario)
    return World(plan, scenario.seed if seed is None else seed, run, trace).run()
