"""Per-run counters: the network's own, and those a subscriber of the observation point
keeps from the steps of the roles."""

import math
from dataclasses import dataclass
from typing import Any

from paxossim.observe.steps import Crash
from paxossim.protocol.ballot import Ballot
from paxossim.protocol.effects import (
    Decided,
    LeadershipChanged,
    Learned,
    RoundAbandoned,
    RoundStarted,
    Send,
    ValueAdopted,
)
from paxossim.protocol.quorum import Quorums
from paxossim.protocol.role import Role


@dataclass(slots=True)
class NetworkStats:
    """What the network counts per message copy (no step of a role is involved)."""

    messages_sent: int = 0
    messages_delivered: int = 0
    messages_dropped: int = 0
    messages_duplicated: int = 0
    duplicates_delivered: int = 0


class Metrics:
    """Counts what the roles did, step by step: ballots, preemptions, timeouts, adopted
    values, decisions, leadership, learning, crashes. Subscribe it to the observation
    point after the safety checker, whose view of what is chosen it reads."""

    __slots__ = (
        "quorums", "leader_mode", "network", "checker", "ballots", "preemptions", "timeouts",
        "adopted", "crashes", "crashes_mid_ballot", "decided_at", "first_preemption_at",
        "last_preemption_at", "last_ballot_at", "messages_to_choose", "leader_changes",
        "leaderless_time", "learned_at", "_promised", "_leaders", "_leaderless_since",
    )  # fmt: skip

    def __init__(self, quorums: Quorums, leader_mode: bool, network: NetworkStats, checker: Any):
        self.quorums = quorums
        self.leader_mode = leader_mode
        self.network = network
        self.checker = checker
        self.ballots = self.preemptions = self.timeouts = self.adopted = 0
        self.crashes = self.crashes_mid_ballot = self.leader_changes = 0
        self.decided_at = self.first_preemption_at = math.nan
        self.last_preemption_at = self.last_ballot_at = self.messages_to_choose = math.nan
        self.leaderless_time = 0.0
        self.learned_at: dict[int, float] = {}
        self._promised: dict[int, Ballot] = {}  # acceptor -> what it promised, last seen
        self._leaders: set[int] = set()
        self._leaderless_since: float | None = 0.0 if leader_mode else None

    def step(
        self, now: float, node: int, role: Role | None, src: int, cause: Any, effects: list
    ) -> None:
        if role is None:
            if type(cause) is Crash:
                self.crashes += 1
            return
        kind = role.KIND
        if kind == "acceptor":
            st = role.storage
            if type(cause) is Crash:
                if st.promise(0) > st.vote(0)[0]:
                    self.crashes_mid_ballot += 1
                return
            self._promised[node] = st.promise(getattr(cause, "slot", 0))
            if math.isnan(self.messages_to_choose) and self.checker.chosen:
                # the step that chose: count the votes it is about to send too
                sent = sum(len(e.dsts) for e in effects if type(e) is Send)
                self.messages_to_choose = self.network.messages_sent + sent
        elif kind == "proposer":
            if type(cause) is Crash:
                self._set_leading(now, node, False)
                return
            for e in effects:
                etype = type(e)
                if etype is RoundStarted:
                    self.ballots += 1
                    self.last_ballot_at = now
                elif etype is RoundAbandoned:
                    self._abandoned(now, e)
                elif etype is ValueAdopted:
                    self.adopted += 1
                elif etype is Decided:
                    if math.isnan(self.decided_at) and e.slot == 0:  # a log: its first slot
                        self.decided_at = now
                elif etype is LeadershipChanged:
                    if e.leading and now > 0:
                        self.leader_changes += 1
                    self._set_leading(now, node, e.leading)
        elif kind == "learner":
            for e in effects:
                if type(e) is Learned and e.slot == 0:  # a log: its first slot
                    self.learned_at.setdefault(node, now)

    def _abandoned(self, now: float, e: RoundAbandoned) -> None:
        if self._preempted(e):
            self.preemptions += 1
            self.last_preemption_at = now
            if math.isnan(self.first_preemption_at):
                self.first_preemption_at = now
        else:
            self.timeouts += 1

    def _preempted(self, e: RoundAbandoned) -> bool:
        """Abandoned because of a higher ballot: told so by a nack, or (timed out or
        deposed) when so many acceptors had promised higher ballots that the round
        could no longer gather its quorum."""
        if e.reason == "nack":
            return True
        need = self.quorums.phase2 if e.phase == 2 else self.quorums.phase1
        higher = sum(p > e.ballot for p in self._promised.values())
        return higher > self.quorums.acceptors - need

    def _set_leading(self, now: float, node: int, leading: bool) -> None:
        """Keep the set of live nodes that believe they lead, and the time it was empty."""
        if not self.leader_mode:
            return
        if leading:
            if not self._leaders and self._leaderless_since is not None:
                self.leaderless_time += now - self._leaderless_since
                self._leaderless_since = None
            self._leaders.add(node)
        elif node in self._leaders:
            self._leaders.discard(node)
            if not self._leaders:
                self._leaderless_since = now

    def close(self, horizon: float) -> None:
        """The run ended at `horizon`: count the leaderless time up to it."""
        if self._leaderless_since is not None:
            self.leaderless_time += horizon - self._leaderless_since
            self._leaderless_since = None
