"""The online safety checker: Paxos' invariants, asserted after every step of every role.

It subscribes to the run's one observation point, so it sees every delivery, timer,
fault, boot and client request, and every effect each produced. It keeps a ghost history
that is never erased (not by a crash, not by a bug that makes acceptors forget):

- per acceptor, the highest ballot it promised and the votes it cast, taken from what it
  *said* (its Promise and Accepted messages), and compared after every step with what it
  *stored*, so a promise or vote that was sent but not kept is caught;
- per ballot, the acceptors that voted in it and its value, so the checker knows what is
  chosen even when no learner does: a value is chosen once a phase-2 quorum of acceptors
  has voted for it in one ballot (Paxos Made Simple, 2.1);
- every accept request a proposer issued, and every proposer's input (a client's value),
  so it checks what proposers issue (P2c) and what they decide, not only what acceptors
  store.
"""

from dataclasses import dataclass
from typing import Any

from paxossim.observe.steps import Propose
from paxossim.protocol.ballot import NO_BALLOT, Ballot
from paxossim.protocol.effects import Decided, Learned, Send
from paxossim.protocol.messages import Accept, Accepted, Poll, Prepare, Promise
from paxossim.protocol.quorum import Quorums
from paxossim.protocol.role import Role

AT_MOST_ONE_CHOSEN = "at-most-one-value-chosen"
CHOSEN_WAS_PROPOSED = "chosen-value-was-proposed"
PROPOSAL_RESPECTS_CHOSEN = "proposal-respects-chosen"
DECIDED_IS_CHOSEN = "decided-is-chosen"
LEARNED_IS_CHOSEN = "learned-value-is-chosen"
LEARNED_NEVER_CHANGES = "learned-value-never-changes"
PROMISE_MONOTONIC = "promise-never-decreases"
PROMISE_REPORTS_VOTE = "promise-reports-last-vote"
ACCEPTED_LE_PROMISED = "accepted-ballot-at-most-promised"
ONE_VALUE_PER_BALLOT = "one-value-per-ballot"
ACCEPTED_AT_OR_ABOVE_PROMISE = "accepts-only-at-or-above-promise"
VOTE_NEVER_FORGOTTEN = "vote-never-forgotten"
BALLOT_UNIQUE = "ballot-never-reused"

#: Every invariant, with the sentence it checks (the README's list is tested against it).
INVARIANTS = {
    AT_MOST_ONE_CHOSEN: "at most one value is chosen, over all ballots",
    CHOSEN_WAS_PROPOSED: "a value chosen in ballot b was issued in an accept request (b, v), "
    "and v was some proposer's input before that request",
    PROPOSAL_RESPECTS_CHOSEN: "P2c: no accept request (b, v) is issued while a value w != v "
    "is chosen in a ballot below b (checked when a request is issued and when a value "
    "becomes chosen)",
    DECIDED_IS_CHOSEN: "what a proposer decides is the chosen value, and a phase-2 quorum "
    "had voted for it in that ballot when it decided",
    LEARNED_IS_CHOSEN: "a learner learns only the chosen value",
    LEARNED_NEVER_CHANGES: "a learner never changes what it learned",
    PROMISE_MONOTONIC: "an acceptor never promises below a ballot it promised before, and "
    "its stable storage never holds less than it promised (across restarts too)",
    PROMISE_REPORTS_VOTE: "a promise reports the acceptor's last vote",
    ACCEPTED_LE_PROMISED: "an acceptor's stored accepted ballot is at most its promised one",
    ONE_VALUE_PER_BALLOT: "a ballot carries one value, in accept requests and in votes",
    ACCEPTED_AT_OR_ABOVE_PROMISE: "an acceptor votes only at or above what it promised before",
    VOTE_NEVER_FORGOTTEN: "an acceptor's stable storage keeps its last vote, and a poll is "
    "answered with it",
    BALLOT_UNIQUE: "no ballot is started twice",
}


@dataclass(frozen=True, slots=True)
class Violation:
    time: float
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"t={self.time:.6g}s {self.invariant}: {self.detail}"


class SafetyChecker:
    """Subscribe it to a run's `Observation`; read `violations` and the chosen value."""

    __slots__ = (
        "quorums", "chosen_value", "chosen_ballot", "chosen_at", "violations",
        "_promised", "_vote", "_ballot_value", "_voters", "_issued", "_chosen", "_inputs",
        "_learned", "_started", "_lost",
    )  # fmt: skip

    def __init__(self, quorums: Quorums):
        self.quorums = quorums
        self.chosen_value: Any = None
        self.chosen_ballot: Ballot | None = None  # the first ballot in which a value was chosen
        self.chosen_at = float("nan")
        self.violations: list[Violation] = []
        self._promised: dict[int, Ballot] = {}  # acceptor -> highest ballot it promised
        self._vote: dict[int, tuple[Ballot, Any]] = {}  # acceptor -> its last vote
        self._ballot_value: dict[Ballot, Any] = {}  # ballot -> the first value it carried
        #: (ballot, value) -> acceptors that voted for it; apart per value, so that a
        #: ballot that carries two values (a bug) is still checked value by value
        self._voters: dict[tuple[Ballot, Any], set[int]] = {}
        #: accept requests issued: (ballot, value) -> whether value was an input then
        self._issued: dict[tuple[Ballot, Any], bool] = {}
        self._chosen: list[tuple[Ballot, Any]] = []  # every ballot that reached a quorum
        self._inputs: set[Any] = set()  # every value a client gave a proposer so far
        self._learned: dict[int, Any] = {}
        self._started: dict[Ballot, int] = {}
        self._lost: dict[int, tuple] = {}  # acceptor -> the loss last reported, said once

    @property
    def chosen(self) -> bool:
        return self.chosen_ballot is not None

    # -- the observation point -------------------------------------------------------

    def step(
        self, now: float, node: int, role: Role | None, src: int, cause: Any, effects: list
    ) -> None:
        if role is None:
            return
        kind = role.KIND
        if kind == "acceptor":
            self._acceptor_step(now, node, role.storage, cause, effects)
        elif kind == "proposer":
            if type(cause) is Propose:
                self._inputs.add(cause.value)
            for effect in effects:
                etype = type(effect)
                if etype is Send:
                    mtype = type(effect.msg)
                    if mtype is Accept:
                        self._issued_request(now, node, effect.msg)
                    elif mtype is Prepare:
                        self._ballot_started(now, node, effect.msg.ballot)
                elif etype is Decided:
                    self._decided(now, node, effect)
        elif kind == "learner":
            for effect in effects:
                if type(effect) is Learned:
                    self._learned_value(now, node, effect.value)

    # -- acceptors ---------------------------------------------------------------------

    def _acceptor_step(self, now: float, node: int, st: Any, cause: Any, effects: list) -> None:
        """What the acceptor said in this step, then what it stored after it."""
        for effect in effects:
            if type(effect) is not Send:
                continue
            msg = effect.msg
            mtype = type(msg)
            if mtype is Promise:
                self._promise(now, node, msg)
            elif mtype is Accepted:
                if type(cause) is Poll:
                    self._poll_answer(now, node, msg)
                else:
                    self._vote_cast(now, node, msg.ballot, msg.value)
        self._stored(now, node, st)

    def _promise(self, now: float, node: int, msg: Promise) -> None:
        before = self._promised.get(node, NO_BALLOT)
        if msg.ballot < before:
            self._violate(
                now,
                PROMISE_MONOTONIC,
                f"acceptor {node} promised {msg.ballot} after promising {before}",
            )
        else:
            self._promised[node] = msg.ballot
        last = self._vote.get(node, (NO_BALLOT, None))
        if (msg.accepted_ballot, msg.accepted_value) != last:
            self._violate(
                now,
                PROMISE_REPORTS_VOTE,
                f"acceptor {node} promised {msg.ballot} reporting the vote "
                f"{_vote(msg.accepted_ballot, msg.accepted_value)}, "
                f"its last vote was {_vote(*last)}",
            )

    def _poll_answer(self, now: float, node: int, msg: Accepted) -> None:
        last = self._vote.get(node, (NO_BALLOT, None))
        if (msg.ballot, msg.value) != last:
            self._violate(
                now,
                VOTE_NEVER_FORGOTTEN,
                f"acceptor {node} answered a poll with {_vote(msg.ballot, msg.value)}, "
                f"its last vote was {_vote(*last)}",
            )

    def _vote_cast(self, now: float, node: int, ballot: Ballot, value: Any) -> None:
        promised = self._promised.get(node, NO_BALLOT)
        if ballot < promised:
            self._violate(
                now,
                ACCEPTED_AT_OR_ABOVE_PROMISE,
                f"acceptor {node} accepted {ballot} after promising {promised}",
            )
        else:
            self._promised[node] = ballot  # a vote is a promise too ("accepts ... unless")
        last = self._vote.get(node)
        if last is None or ballot >= last[0]:
            self._vote[node] = (ballot, value)
        self._record_vote(now, node, ballot, value)

    def _stored(self, now: float, node: int, st: Any) -> None:
        """Stable storage must hold at least what the acceptor said: "an acceptor must
        remember this information even if it fails and then restarts" (2.3). A vote
        found in storage that was never said is a vote all the same. A loss is reported
        once: the same gap between said and stored, seen at a later step, is not new."""
        promised = self._promised.get(node, NO_BALLOT)
        last = self._vote.get(node, (NO_BALLOT, None))
        stored = (st.promised, st.accepted_ballot, st.accepted_value)
        gap = (promised, last, stored)
        if self._lost.get(node) == gap:
            return
        if st.promised < promised or st.accepted_ballot < last[0]:
            self._lost[node] = gap
        if st.promised < promised:
            self._violate(
                now,
                PROMISE_MONOTONIC,
                f"acceptor {node} promised {promised}, now stores only {st.promised}",
            )
        if st.accepted_ballot > st.promised:
            self._violate(
                now,
                ACCEPTED_LE_PROMISED,
                f"acceptor {node} stores a vote in {st.accepted_ballot} above its "
                f"promise {st.promised}",
            )
        if st.accepted_ballot == last[0] and st.accepted_value == last[1]:
            return
        if st.accepted_ballot <= last[0]:
            self._violate(
                now,
                VOTE_NEVER_FORGOTTEN,
                f"acceptor {node} voted {_vote(*last)}, now stores "
                f"{_vote(st.accepted_ballot, st.accepted_value)}",
            )
            return
        self._vote_cast(now, node, st.accepted_ballot, st.accepted_value)  # an unsaid vote

    def _record_vote(self, now: float, node: int, ballot: Ballot, value: Any) -> None:
        self._one_value(now, ballot, value, f"acceptor {node} voted for")
        voters = self._voters.setdefault((ballot, value), set())
        voters.add(node)
        if len(voters) == self.quorums.phase2:  # once per proposal: when its quorum completes
            self._became_chosen(now, ballot, value, voters)

    def _one_value(self, now: float, ballot: Ballot, value: Any, who: str) -> None:
        """A ballot carries the first value it was seen with, in a request or a vote;
        another value is reported once per (ballot, value), and is tracked apart so that
        what it leads to (a second value chosen) is checked too."""
        first = self._ballot_value.setdefault(ballot, value)
        if (
            first != value
            and (ballot, value) not in self._voters
            and (
                ballot,
                value,
            )
            not in self._issued
        ):
            self._violate(
                now,
                ONE_VALUE_PER_BALLOT,
                f"ballot {ballot} carries two values: ({ballot}, {first!r}) and "
                f"({ballot}, {value!r}) ({who} the second)",
            )

    def _became_chosen(self, now: float, ballot: Ballot, value: Any, voters: set[int]) -> None:
        self._chosen.append((ballot, value))
        if self.chosen_ballot is None:
            self.chosen_ballot, self.chosen_value, self.chosen_at = ballot, value, now
        elif value != self.chosen_value:
            self._violate(
                now,
                AT_MOST_ONE_CHOSEN,
                f"{self.chosen_value!r} chosen in {self.chosen_ballot}, "
                f"then {value!r} in {ballot} by acceptors {sorted(voters)}",
            )
        was_input = self._issued.get((ballot, value))
        if was_input is None:
            self._violate(
                now,
                CHOSEN_WAS_PROPOSED,
                f"{value!r} chosen in {ballot}, but no accept request ({ballot}, {value!r}) "
                "was issued",
            )
        elif not was_input:
            self._violate(
                now,
                CHOSEN_WAS_PROPOSED,
                f"{value!r} chosen in {ballot}, issued before any proposer had it as input",
            )
        for later, other in self._issued:
            if later > ballot and other != value:
                self._violate(
                    now,
                    PROPOSAL_RESPECTS_CHOSEN,
                    f"{value!r} chosen in {ballot}, while an accept request ({later}, "
                    f"{other!r}) was issued",
                )

    # -- proposers ---------------------------------------------------------------------

    def _ballot_started(self, now: float, node: int, ballot: Ballot) -> None:
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

    def _issued_request(self, now: float, node: int, msg: Accept) -> None:
        ballot, value = msg.ballot, msg.value
        if (ballot, value) in self._issued:
            return  # the same request again: checked when first issued
        self._one_value(now, ballot, value, f"node {node} issued")
        self._issued[(ballot, value)] = value in self._inputs
        for earlier, chosen in self._chosen:
            if earlier < ballot and chosen != value:
                self._violate(
                    now,
                    PROPOSAL_RESPECTS_CHOSEN,
                    f"node {node} issued the accept request ({ballot}, {value!r}) though "
                    f"{chosen!r} is chosen in {earlier}",
                )

    def _decided(self, now: float, node: int, e: Decided) -> None:
        voters = self._voters.get((e.ballot, e.value), ())
        if len(voters) < self.quorums.phase2:
            others = "".join(
                f"; acceptors {sorted(who)} voted for {v!r}"
                for (b, v), who in self._voters.items()
                if b == e.ballot and v != e.value
            )
            self._violate(
                now,
                DECIDED_IS_CHOSEN,
                f"proposer {node} decided {e.value!r} in {e.ballot}, which only acceptors "
                f"{sorted(voters)} had voted for (a quorum is {self.quorums.phase2}){others}",
            )
        elif e.value != self.chosen_value:
            self._violate(
                now,
                DECIDED_IS_CHOSEN,
                f"proposer {node} decided {e.value!r}, {self.chosen_value!r} is chosen",
            )

    # -- learners ----------------------------------------------------------------------

    def _learned_value(self, now: float, node: int, value: Any) -> None:
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


def _vote(ballot: Ballot, value: Any) -> str:
    return "none" if ballot == NO_BALLOT else f"({ballot}, {value!r})"
