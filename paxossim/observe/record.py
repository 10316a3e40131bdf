"""The one row a run leaves behind, and how it is derived from what the observers saw.

Every column is named once, here (`RunRecord`); `derive_record` is the only place that
fills it in, and the only place that defines livelock.
"""

import math
from dataclasses import dataclass, fields
from typing import Any

from paxossim.observe.invariants import SafetyChecker
from paxossim.observe.metrics import Metrics

#: A run counts as livelocked only if proposers were still starting, and preempting,
#: ballots in this final share of the horizon.
LIVELOCK_TAIL = 0.1


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One simulated run: the tidy row of `runs.parquet` (see the README for each column)."""

    scenario: str
    seed: int
    run: int
    strategy: str
    proposers: int
    backoff: str
    loss: float
    horizon: float
    bugs: str
    chosen: bool
    value: str | None
    chosen_at: float
    learned_at: float
    decided_at: float
    ballots: int
    preemptions: int
    timeouts: int
    livelock: bool
    truncated: bool
    dueling_time: float
    leader_changes: int
    leaderless_time: float
    adopted: int
    messages_sent: int
    messages_delivered: int
    messages_dropped: int
    messages_duplicated: int
    duplicates_delivered: int
    messages_to_choose: float
    crashes: int
    crashes_mid_ballot: int
    learners_learned: int
    events: int
    safety_violations: int
    violation: str
    # a replicated key-value run (kind = "kv"); None or NaN in a single-decree row
    commands: int | None = None
    completed: int | None = None
    throughput: float = math.nan
    latency_p50: float = math.nan
    latency_p99: float = math.nan
    slots_chosen: int | None = None
    noops: int | None = None
    longest_stall: float = math.nan
    linearizable: bool | None = None

    def as_row(self) -> dict[str, Any]:
        # not dataclasses.asdict: that deep-copies every value, and rows are made per run
        return {name: getattr(self, name) for name in RUN_COLUMNS}


RUN_COLUMNS = tuple(f.name for f in fields(RunRecord))


@dataclass(frozen=True, slots=True)
class EndState:
    """What the world knows when a run ends that no observer counts."""

    ended_at: float  # the horizon, or the time the event budget ran out
    truncated: bool  # the event budget ran out before the horizon
    events: int  # events processed
    learners_up: tuple[int, ...]
    acceptors_up: int


def derive_record(
    scenario: Any,
    seed: int,
    run: int,
    checker: SafetyChecker,
    metrics: Metrics,
    end: EndState,
    bugs: tuple[str, ...] | None = None,
    kv: dict[str, Any] | None = None,
) -> RunRecord:
    """The row of a run; `bugs` are the scenario's switches on, if already worked out;
    `kv` the kv columns of a replicated key-value run (see `observe.commands`)."""
    s, net = scenario, metrics.network
    learned = [metrics.learned_at.get(i) for i in end.learners_up]
    learned_at = max(learned) if learned and None not in learned else math.nan
    p1, p2 = s.quorum_sizes
    tail = s.horizon * (1 - LIVELOCK_TAIL)
    livelock = (
        not checker.chosen
        and not end.truncated
        and metrics.last_ballot_at >= tail
        and metrics.last_preemption_at >= tail
        and end.acceptors_up >= max(p1, p2)
    )
    stop = checker.chosen_at if checker.chosen else end.ended_at
    dueling_time = (
        0.0
        if math.isnan(metrics.first_preemption_at)
        else max(0.0, stop - metrics.first_preemption_at)
    )
    first = checker.violations[0] if checker.violations else None
    leader_mode = s.protocol.strategy == "leader"
    return RunRecord(
        scenario=s.name,
        seed=seed,
        run=run,
        strategy=s.protocol.strategy,
        proposers=len(s.proposer_ids),
        backoff=s.protocol.backoff.kind,
        loss=s.network.loss,
        horizon=s.horizon,
        bugs=",".join(s.bugs.on if bugs is None else bugs),
        chosen=checker.chosen,
        value=shown(checker.chosen_value),
        chosen_at=checker.chosen_at,
        learned_at=learned_at,
        decided_at=metrics.decided_at,
        ballots=metrics.ballots,
        preemptions=metrics.preemptions,
        timeouts=metrics.timeouts,
        livelock=livelock,
        truncated=end.truncated,
        dueling_time=dueling_time,
        leader_changes=metrics.leader_changes,
        leaderless_time=metrics.leaderless_time if leader_mode else math.nan,
        adopted=metrics.adopted,
        messages_sent=net.messages_sent,
        messages_delivered=net.messages_delivered,
        messages_dropped=net.messages_dropped,
        messages_duplicated=net.messages_duplicated,
        duplicates_delivered=net.duplicates_delivered,
        messages_to_choose=metrics.messages_to_choose,
        crashes=metrics.crashes,
        crashes_mid_ballot=metrics.crashes_mid_ballot,
        learners_learned=len(metrics.learned_at),
        events=end.events,
        safety_violations=len(checker.violations),
        violation=str(first) if first else "",
        **(kv or {}),
    )


def shown(value: Any) -> str | None:
    """A value as the `value` columns hold it: a log's slot holds a batch of commands."""
    if type(value) is tuple:
        return "; ".join(map(str, value)) if value else "no-op"
    return value
