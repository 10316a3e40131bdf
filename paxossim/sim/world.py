"""One simulated run: a SimPy environment, the network, the nodes, the faults and the
workload, with the observers subscribed to the run's one observation point.

The data walk one way: scenario -> `Plan` (once per scenario) -> `World` (once per run:
cluster, network, schedule) -> steps -> observers (checker, metrics, trace) ->
`derive_record` -> the run's row.
"""

from dataclasses import dataclass, field

import pandas as pd
import simpy

from paxossim.observe.commands import CommandLog, kv_summary, linearizability
from paxossim.observe.invariants import SafetyChecker, Violation
from paxossim.observe.metrics import Metrics, NetworkStats
from paxossim.observe.observation import Observation
from paxossim.observe.record import EndState, RunRecord, derive_record
from paxossim.observe.trace import MAX_TRACE_ROWS, Trace
from paxossim.scenario import Scenario
from paxossim.sim import rng
from paxossim.sim.budget import Budget, BudgetExhausted
from paxossim.sim.cluster import Cluster, Plan, proposal_value, service_draws
from paxossim.sim.faults import outages
from paxossim.sim.network import Network
from paxossim.sim.node import Node
from paxossim.sim.service import Server

__all__ = ["Plan", "RunResult", "World", "proposal_value", "simulate"]


@dataclass
class RunResult:
    record: RunRecord
    violations: list[Violation] = field(default_factory=list)
    trace: pd.DataFrame | None = None
    commands: list[tuple] | None = None  # a kv run's command rows (COMMAND_COLUMNS)


class World:
    def __init__(
        self,
        plan: Plan,
        seed: int,
        run: int = 0,
        trace: bool = False,
        trace_limit: int = MAX_TRACE_ROWS,
    ):
        s = plan.scenario
        self.plan = plan
        self.seed = seed
        self.run_index = run
        self.env = simpy.Environment()
        self.budget = Budget(s.max_events)
        self.checker = SafetyChecker(plan.quorums, log=s.kv)
        self.network_stats = NetworkStats()
        self.metrics = Metrics(plan.quorums, plan.leader, self.network_stats, self.checker)
        self.trace = Trace(trace_limit) if trace else None
        observers = [self.checker, self.metrics] + ([self.trace] if self.trace else [])
        self.commands = CommandLog() if s.kv else None
        if self.commands is not None:
            observers.append(self.commands)
        self.observation = Observation(*observers)
        self.network = Network(
            self.env,
            s.network,
            s.horizon,
            lambda k: rng.stream(seed, rng.NETWORK, k),
            self.network_stats,
            self.observation,
            self.budget,
        )
        cluster = Cluster(plan, seed)
        self.nodes = [
            Node(
                i,
                self.env,
                self.network,
                self.observation.steppers,
                self.budget,
                cluster.storage(i),
                cluster.roles,
            )
            for i in range(s.cluster.nodes + len(s.client_ids))
        ]
        self.network.nodes = self.nodes
        fsync = s.cluster.fsync or 0.0
        if s.cluster.service_time is not None or fsync > 0:
            for node in self.nodes[: s.cluster.nodes]:  # clients cost nothing
                draws = service_draws(s, seed, node.id)
                node.server = Server(node, self.env, self.network, draws, fsync)
            self.network.serve()
        for node, at in plan.propose_at.items():
            self.nodes[node].proposal = (at, proposal_value(node))
        # faults first: at equal times SimPy keeps scheduling order, so a node that
        # crashes at t sends nothing at t
        for node, spans in outages(s.faults).items():
            for start, end in spans:
                self._at(start, self.nodes[node].crash)
                if end < s.horizon:
                    self._at(end, self.nodes[node].restart)
        self._at(0.0, self._boot)
        for node, at in plan.propose_at.items():
            self._at(at, self.nodes[node].propose)
        for client in s.client_ids:
            self.nodes[client].proposal = (s.workload.start, None)  # when it starts
            self._at(s.workload.start, self.nodes[client].start_client)

    def _boot(self) -> None:
        for node in self.nodes:
            node.boot()

    def _at(self, time: float, action: object) -> None:
        self.env.timeout(time).callbacks.append(lambda _event: action())

    def run(self) -> RunResult:
        s = self.plan.scenario
        truncated = False
        try:
            self.env.run(until=s.horizon)
        except BudgetExhausted:
            truncated = True
        ended_at = self.env.now if truncated else s.horizon
        self.metrics.close(ended_at)
        checker = self.checker
        if self.trace is not None:
            for slot, (ballot, value, at) in sorted(checker.first_chosen.items()):
                self.trace.record(at, "chosen", -1, ballot=ballot, value=value, slot=slot)
        end = EndState(
            ended_at=ended_at,
            truncated=truncated,
            events=min(self.budget.used, self.budget.limit),
            learners_up=tuple(i for i in self.plan.learners if self.nodes[i].up),
            acceptors_up=sum(self.nodes[i].up for i in self.plan.acceptors),
        )
        rows = kv = None
        if self.commands is not None:
            rows = self.commands.rows(s.name, self.seed, self.run_index, checker.first_chosen)
            kv = kv_summary(rows, checker.first_chosen, ended_at)
            kv["linearizable"], broken = linearizability(
                rows, s.workload.lincheck_budget, checker.first_chosen
            )
            if broken is not None:
                checker.violations.append(broken)
        record = derive_record(
            s, self.seed, self.run_index, checker, self.metrics, end, self.plan.bugs, kv
        )
        trace = None
        if self.trace is not None:
            trace = self.trace.to_frame().sort_values("time", kind="stable", ignore_index=True)
        return RunResult(record, list(checker.violations), trace, rows)


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    *,
    trace: bool = False,
    run: int = 0,
    plan: Plan | None = None,
    trace_limit: int = MAX_TRACE_ROWS,
) -> RunResult:
    """Simulate one run of `scenario` with `seed` (default: the scenario's seed). A traced
    run that records more than `trace_limit` events raises TraceTooLarge."""
    plan = plan or Plan.of(scenario)
    seed = scenario.seed if seed is None else seed
    return World(plan, seed, run, trace, trace_limit).run()
