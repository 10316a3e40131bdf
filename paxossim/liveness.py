"""Liveness, apart from safety: which scenarios promise that a value is chosen and learned,
and whether a run kept that promise.

Safety must hold in every run whatever happens. Liveness cannot (Fischer, Lynch and
Paterson): lost messages, dueling proposers or a missing quorum may stall any consensus
protocol. So a run is held to liveness only if its configuration leaves Paxos every chance:
the faults end (a healing phase), the duel is broken (a leader or a randomised backoff),
learners catch up, the timers are long enough for the delays, and the healing phase lasts
`HEAL_PERIODS` times the slowest period of the protocol. Such a run must choose a value and
every learner up at the end must learn it; one that does not is a liveness failure.
"""

import math
from dataclasses import dataclass

from paxossim.observe.record import RunRecord
from paxossim.scenario import Scenario

#: The healing phase must last this many times the slowest period of the protocol.
HEAL_PERIODS = 20
#: Timers (retry timeout, leader timeout beyond the heartbeat, the longest random backoff)
#: must span at least this many message delays.
TIMER_DELAYS = 4


@dataclass(frozen=True)
class Promise:
    """Whether a scenario is held to liveness; `reason` names the first precondition it
    misses ("" when held). `heal_at`: from then on nothing fails any more (inf if never)."""

    held: bool
    reason: str
    heal_at: float


def delay_scale(s: Scenario) -> float:
    """A typical one-way delay: the constant, the uniform's upper end, the mean otherwise."""
    delay = s.network.delay
    return delay.high if delay.dist == "uniform" else delay.mean


_LONGEST_WAIT = {"none": None, "fixed": "delay", "random": "max", "exponential": "cap"}


def backoff_bound(s: Scenario) -> float:
    """The longest wait the backoff policy draws."""
    backoff = s.protocol.backoff
    key = _LONGEST_WAIT[backoff.kind]
    return 0.0 if key is None else getattr(backoff, key)


def slowest_period(s: Scenario) -> float:
    """The longest period the protocol waits on: retry timeout, backoff, leader timeout
    with its jitter, catch-up, polling, and a message delay."""
    p = s.protocol
    periods = [p.retry_timeout, backoff_bound(s), p.catchup, delay_scale(s)]
    if p.strategy == "leader":
        periods.append(p.leader.timeout + p.leader.timeout_jitter)
    if p.learning == "poll":
        periods.append(p.poll_interval)
    return max(periods)


def down_for_good(s: Scenario) -> set[int]:
    """Nodes that crash before the horizon and do not restart before it."""
    return {
        f.node
        for f in s.faults
        if f.crash_at < s.horizon and (f.restart_at is None or f.restart_at >= s.horizon)
    }


def heal_time(s: Scenario) -> float:
    """When the last fault ends: restarts, crashes for good, partitions' ends, the end of
    loss and duplication, and the proposers' start times. inf if some never ends."""
    times = [0.0, *s.propose_times]
    for f in s.faults:
        times.append(f.crash_at if f.restart_at is None else f.restart_at)
    for part in s.network.partitions:
        times.append(math.inf if part.end is None else part.end)
    if s.network.loss or s.network.duplicate:
        lossy = s.network.lossy_until
        times.append(math.inf if lossy is None else lossy)
    return max(times)


def promise(s: Scenario) -> Promise:
    """The liveness preconditions of the README, checked in its order."""
    p, d = s.protocol, delay_scale(s)
    heal_at = heal_time(s)

    def no(reason: str) -> Promise:
        return Promise(False, reason, heal_at)

    if p.strategy != "leader":
        if p.backoff.kind not in ("random", "exponential"):
            return no("leaderless without a randomised backoff: proposers may duel forever")
        if backoff_bound(s) < TIMER_DELAYS * d:
            return no(f"the backoff waits under {TIMER_DELAYS} delays: too little to end a duel")
    if not p.catchup > 0:
        return no("catchup = 0: a learner that missed the votes never asks again")
    if any(part.end is None for part in s.network.partitions):
        return no("a partition never ends")
    if (s.network.loss or s.network.duplicate) and s.network.lossy_until is None:
        return no("loss or duplication never ends (no network.lossy_until)")
    gone = down_for_good(s)
    alive_acceptors = len([a for a in s.acceptor_ids if a not in gone])
    if alive_acceptors < max(s.quorum_sizes):
        return no(f"only {alive_acceptors} acceptors stay up, a quorum needs {max(s.quorum_sizes)}")
    if all(x in gone for x in s.proposer_ids):
        return no("every proposer node crashes for good")
    if p.retry_timeout < TIMER_DELAYS * d:
        return no(f"retry_timeout is under {TIMER_DELAYS} delays: rounds may never finish")
    electing = p.strategy == "leader" and len(s.proposer_ids) > 1
    if electing and p.leader.timeout - p.leader.heartbeat < TIMER_DELAYS * d:
        return no(f"leader timeout is under heartbeat + {TIMER_DELAYS} delays: endless elections")
    if s.horizon - heal_at < HEAL_PERIODS * slowest_period(s):
        return no(f"the healing phase is shorter than {HEAL_PERIODS} x the slowest period")
    return Promise(True, "", heal_at)


def kept(s: Scenario, record: RunRecord) -> bool:
    """A value was chosen and every learner up at the end learned it (vacuous if none is)."""
    if not record.chosen:
        return False
    gone = down_for_good(s)
    if all(x in gone for x in s.learner_ids):
        return True
    return not math.isnan(record.learned_at)
