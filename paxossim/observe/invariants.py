"""The online safety checker: Paxos' invariants, asserted after every step.

It keeps a ghost history of every vote that is never erased (not by a crash, not by
a bug that makes acceptors forget), so it knows what is chosen even when no learner
does: a value is chosen once a phase-2 quorum of acceptors has voted for it in one
ballot (Paxos Made Simple, 2.1).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paxossim.protocol.acceptor import AcceptorStorage
from paxossim.protocol.ballot import NO_BALLOT, Ballot

AT_MOST_ONE_CHOSEN = "at-most-one-value-chosen"
CHOSEN_WAS_PROPOSED = "chosen-value-was-proposed"
LEARNED_IS_CHOSEN = "learned-value-is-chosen"
LEARNED_NEVER_CHANGES = "learned-value-never-changes"
PROMISE_MONOTONIC = "promise-never-decreases"
ACCEPTED_LE_PROMISED = "accepted-ballot-at-most-promised"
ONE_VALUE_PER_BALLOT = "one-value-per-ballot"
ACCEPTED_AT_OR_ABOVE_PROMISE = "accepts-only-at-or-above-promise"
VOTE_NEVER_FORGOTTEN = "vote-never-forgotten"
BALLOT_UNIQUE = "ballot-never-reused"


@dataclass(frozen=True, slots=True)
class Violation:
    time: float
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"t={self.time:.6g}s {self.invariant}: {self.detail}"


class SafetyChecker:
    __slots__ = (
        "phase2_quorum", "proposed", "chosen_value", "chosen_ballot", "chosen_at",
        "violations", "on_chosen", "_promised", "_vote", "_ballot_value",
        "_voters", "_learned", "_started",
    )  # fmt: skip

    def __init__(self, phase2_quorum: int, proposed: set[Any]):
        self.phase2_quorum = phase2_quorum
        self.proposed = proposed
        self.chosen_value: Any = None
        self.chosen_ballot: Ballot | None = None
        self.chosen_at = float("nan")
        self.violations: list[Violation] = []
        self.on_chosen: Callable[[], None] | None = None  # told once, when a value is chosen
        self._promised: dict[int, Ballot] = {}
        self._vote: dict[int, tuple[Ballot, Any]] = {}
        self._ballot_value: dict[Ballot, Any] = {}
        self._voters: dict[Ballot, set[int]] = {}
        self._learned: dict[int, Any] = {}
        self._started: dict[Ballot, int] = {}

    @property
    def chosen(self) -> bool:
        return self.chosen_ballot is not None

    def acceptor_step(self, node: int, st: AcceptorStorage, now: float) -> None:
        """After an acceptor handled a message, or restarted: check its state against
        its own past, and record a new vote in the ghost history."""
        before = self._promised.get(node, NO_BALLOT)
        promised = st.promised
        if promised != before:
            if promised < before:
                self._violate(
                    now,
                    PROMISE_MONOTONIC,
                    f"acceptor {node} promised {before}, now only {promised}",
                )
            self._promised[node] = promised
        ballot = st.accepted_ballot
        vote = self._vote.get(node)
        if vote is not None and vote[0] == ballot and vote[1] == st.accepted_value:
            return
        last = NO_BALLOT if vote is None else vote[0]
        self._vote[node] = (ballot, st.accepted_value)
        if ballot < last:
            self._violate(
                now,
                VOTE_NEVER_FORGOTTEN,
                f"acceptor {node} voted in {last}, now remembers only {ballot}",
            )
            return
        if ballot == NO_BALLOT:
            return
        if ballot < before:
            self._violate(
                now,
                ACCEPTED_AT_OR_ABOVE_PROMISE,
                f"acceptor {node} accepted {ballot} after promising {before}",
            )
        if ballot > promised:
            self._violate(
                now,
                ACCEPTED_LE_PROMISED,
                f"acceptor {node} accepted {ballot} above its promise {promised}",
            )
        self._record_vote(node, ballot, st.accepted_value, now)

    def acceptors_promised_above(self, ballot: Ballot) -> int:
        return sum(promised > ballot for promised in self._promised.values())

    def ballot_started(self, node: int, ballot: Ballot, now: float) -> None:
        """ "No two proposals are ever issued with the same number" (2.5)."""
        first = self._started.get(ballot)
        if first is not None:
            self._violate(
                now,
                BALLOT_UNIQUE,
                f"ballot {ballot} started by node {first}, then again by node {node}",
            )
            return
        self._started[ballot] = node

    def _record_vote(self, node: int, ballot: Ballot, value: Any, now: float) -> None:
        known = self._ballot_value.setdefault(ballot, value)
        if known != value:
            self._violate(
                now,
                ONE_VALUE_PER_BALLOT,
                f"ballot {ballot} carries {known!r} and {value!r} (acceptor {node})",
            )
            return
        voters = self._voters.setdefault(ballot, set())
        voters.add(node)
        if len(voters) != self.phase2_quorum:
            return  # not yet, or this ballot's choice was already looked at
        if self.chosen_ballot is None:
            self.chosen_ballot, self.chosen_value, self.chosen_at = ballot, value, now
            if self.on_chosen is not None:
                self.on_chosen()
            if value not in self.proposed:
                self._violate(
                    now, CHOSEN_WAS_PROPOSED, f"{value!r} chosen in {ballot}, never proposed"
                )
        elif value != self.chosen_value:
            self._violate(
                now,
                AT_MOST_ONE_CHOSEN,
                f"{self.chosen_value!r} chosen in {self.chosen_ballot}, "
                f"then {value!r} in {ballot} by acceptors {sorted(voters)}",
            )

    def learned(self, node: int, value: Any, now: float) -> None:
        if not self.chosen or value != self.chosen_value:
            what = f"{self.chosen_value!r} is" if self.chosen else "nothing is"
            self._violate(
                now, LEARNED_IS_CHOSEN, f"learner {node} learned {value!r}, {what} chosen"
            )
        before = self._learned.setdefault(node, value)
        if before != value:
            self._violate(
                now, LEARNED_NEVER_CHANGES, f"learner {node} learned {before!r}, then {value!r}"
            )

    def _violate(self, now: float, invariant: str, detail: str) -> None:
        self.violations.append(Violation(now, invariant, detail))
