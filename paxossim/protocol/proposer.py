"""The proposer of the synod algorithm (Paxos Made Simple, 2.2-2.3)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from paxossim.protocol.ballot import NO_BALLOT, Ballot
from paxossim.protocol.effects import (
    CancelTimer,
    Decided,
    RoundAbandoned,
    RoundStarted,
    Send,
    SetTimer,
    ValueAdopted,
)
from paxossim.protocol.messages import Accept, Accepted, Nack, Prepare, Promise, Reissue
from paxossim.protocol.quorum import Quorums
from paxossim.protocol.role import Role

IDLE, PHASE1, PHASE2, WAITING, DONE = "idle", "phase1", "phase2", "waiting", "done"
RETRY, BACKOFF = "retry", "backoff"


@dataclass(slots=True)
class ProposerStorage:
    """ "A proposer ... must remember the highest-numbered proposal it has tried to issue"
    (2.3), so that after a restart it never reuses a number."""

    round: int = 0
    decided: bool = False  # it saw a quorum accept its proposal: nothing left to do
    proposed: bool = False  # it had a value to propose (its client asked, or one was handed)


class Proposer(Role):
    """Runs ballots for its own value until it sees one of its proposals accepted by a
    phase-2 quorum, and one more whenever a learner that cannot find out asks for it.

    A round that gets no quorum within `retry_timeout`, or that an acceptor refuses
    with a higher ballot, is abandoned; the next starts after `backoff(attempt)` seconds
    (attempt = rounds abandoned so far, from 1) with a round number above every one seen.
    """

    __slots__ = (
        "node", "value", "acceptors", "quorums", "retry_timeout", "backoff", "storage",
        "state", "ballot", "highest_seen", "attempts", "_promises", "_votes",
    )  # fmt: skip

    KIND: ClassVar[str] = "proposer"
    HANDLERS: ClassVar[dict[type, str]] = {
        Promise: "on_promise",
        Accepted: "on_accepted",
        Nack: "on_nack",
        Reissue: "on_reissue",
    }

    def __init__(
        self,
        node: int,
        value: Any,
        acceptors: tuple[int, ...],
        quorums: Quorums,
        retry_timeout: float,
        backoff: Callable[[int], float],
        storage: ProposerStorage,
    ):
        self.node = node
        self.value = value
        self.acceptors = acceptors
        self.quorums = quorums
        self.retry_timeout = retry_timeout
        self.backoff = backoff
        self.storage = storage
        self.state = IDLE
        self.ballot = NO_BALLOT
        self.highest_seen = 0
        self.attempts = 0
        self._promises: dict[int, Promise] = {}
        self._votes: set[int] = set()

    # -- entry points -------------------------------------------------------------------

    def start(self, value: Any = None) -> list:
        """Begin proposing (the client's request arrived, or the node restarted), with
        `value` instead of the own one if given (a value handed over to a leader)."""
        self.storage.proposed = True
        if self.storage.decided:
            self.state = DONE
        if self.state != IDLE:
            return []
        if value is not None:
            self.value = value
        return self._new_round()

    def pause(self) -> list:
        """Stop running ballots for now (the node no longer believes it leads)."""
        if self.state == DONE:
            return []
        effects: list = []
        if self.state in (PHASE1, PHASE2):
            effects.append(RoundAbandoned(self.ballot, "deposed", self._phase))
        self.state = IDLE
        return [*effects, CancelTimer(RETRY), CancelTimer(BACKOFF)]

    def stop(self) -> list:
        """A co-located learner knows a value is chosen: nothing is left to do."""
        if self.state == DONE:
            return []
        self.state = DONE
        return [CancelTimer(RETRY), CancelTimer(BACKOFF)]

    def reissue(self, value: Any = None) -> list:
        """Run one more ballot though the work seemed done (with `value` if given): a
        learner "can have a proposer issue a proposal" (3) when it cannot find out what
        was chosen. The new ballot adopts the chosen value, and its votes reach the
        learners."""
        if self.state not in (IDLE, DONE):
            return []  # a ballot is under way: its votes will tell the learners
        if value is not None:
            self.value = value
        self.state = IDLE
        return self._new_round()

    def on_reissue(self, src: int, msg: Reissue) -> list:
        """Only a proposer that has proposed (so has an input to propose) runs again, not
        one that stopped because its node's learner learned before its client asked."""
        return self.reissue() if self.state == DONE and self.storage.proposed else []

    def on_timer(self, name: str) -> list:
        if name == RETRY and self.state in (PHASE1, PHASE2):
            return self._abandon("timeout")
        if name == BACKOFF and self.state == WAITING:
            return self._new_round()
        return []

    @property
    def _phase(self) -> int:
        return 2 if self.state == PHASE2 else 1

    # -- phase 1 ------------------------------------------------------------------------

    def _new_round(self) -> list:
        """ "A proposer chooses a new proposal number n and sends a request to each member
        of some set of acceptors": here, to every acceptor."""
        rnd = max(self.storage.round, self.highest_seen) + 1
        self.storage.round = rnd
        self.ballot = self._ballot(rnd)
        self.state = PHASE1
        self._promises = {}
        self._votes = set()
        return [
            RoundStarted(self.ballot),
            Send(self.acceptors, Prepare(self.ballot)),
            SetTimer(RETRY, self.retry_timeout),
        ]

    def on_promise(self, src: int, msg: Promise) -> list:
        """ "If the proposer receives a response to its prepare requests (numbered n) from a
        majority of acceptors, then it sends an accept request to each of those acceptors
        for a proposal numbered n with a value v, where v is the value of the
        highest-numbered proposal among the responses, or is any value if the responses
        reported no proposals." Here the accept request goes to every acceptor, which the
        paper allows ("to some set of acceptors"), so that slow promisers can still vote."""
        for vote in msg.votes:
            if vote.ballot.round > self.highest_seen:
                self.highest_seen = vote.ballot.round
        if self.state != PHASE1 or msg.ballot != self.ballot:
            return []
        self._promises[src] = msg
        if len(self._promises) < self.quorums.phase1:
            return []
        effects: list = []
        value = self._phase2_value()
        if value is None:
            value = self.value
        else:
            effects.append(ValueAdopted(self.ballot, value))
        self.state = PHASE2
        effects.append(Send(self.acceptors, Accept(self.ballot, value)))
        effects.append(SetTimer(RETRY, self.retry_timeout))
        return effects

    def _ballot(self, rnd: int) -> Ballot:
        """ "Different proposers choose their numbers from disjoint sets": its own node."""
        return Ballot(rnd, self.node)

    def _phase2_value(self) -> Any:
        """The value of the highest-numbered proposal among the promises, or None if they
        reported no proposals (then the proposer's own value is free to go)."""
        votes = [vote for p in self._promises.values() for vote in p.votes]
        return max(votes, key=lambda v: v.ballot).value if votes else None

    # -- phase 2 ------------------------------------------------------------------------

    def on_accepted(self, src: int, msg: Accepted) -> list:
        if self.state != PHASE2 or msg.ballot != self.ballot:
            return []
        if self._count_vote(src) < self.quorums.phase2:
            return []
        self.state = DONE
        self.storage.decided = True
        return [CancelTimer(RETRY), Decided(msg.ballot, msg.value)]

    def _count_vote(self, src: int) -> int:
        """The acceptors that voted for the current ballot: a duplicated vote is one."""
        self._votes.add(src)
        return len(self._votes)

    # -- giving up a round --------------------------------------------------------------

    def on_nack(self, src: int, msg: Nack) -> list:
        if msg.promised.round > self.highest_seen:
            self.highest_seen = msg.promised.round
        if self.state in (PHASE1, PHASE2) and msg.ballot == self.ballot:
            return self._abandon("nack")
        return []

    def _abandon(self, reason: str) -> list:
        """ "The proposer should then abandon its proposal" and, to still get a value
        chosen, try again with a higher number after its backoff."""
        effects: list = [RoundAbandoned(self.ballot, reason, self._phase), CancelTimer(RETRY)]
        self.attempts += 1
        delay = self.backoff(self.attempts)
        if delay > 0:
            self.state = WAITING
            effects.append(SetTimer(BACKOFF, delay))
        else:
            effects.extend(self._new_round())
        return effects
