"""The acceptor of the synod algorithm (Paxos Made Simple, 2.2-2.3)."""

from dataclasses import dataclass
from typing import Any, ClassVar

from paxossim.protocol.ballot import NO_BALLOT, Ballot
from paxossim.protocol.effects import Send
from paxossim.protocol.messages import Accept, Accepted, Nack, Poll, Prepare, Promise
from paxossim.protocol.role import Role


@dataclass(slots=True)
class AcceptorStorage:
    """Stable storage: "an acceptor must remember this information even if it fails and
    then restarts" (2.3). All of the acceptor's state lives here."""

    promised: Ballot = NO_BALLOT
    accepted_ballot: Ballot = NO_BALLOT
    accepted_value: Any = None


class Acceptor(Role):
    """Promises and accepts; never initiates anything.

    `vote_targets` are the learners that hear every vote (broadcast: all learners,
    distinguished: the distinguished ones, poll: none); the proposer that sent the
    accept request always hears it too, so it knows when phase 2 has a quorum.
    """

    __slots__ = ("storage", "nack", "vote_targets", "_vote_dsts")

    def __init__(self, storage: AcceptorStorage, vote_targets: tuple[int, ...], nack: bool = True):
        self.storage = storage
        self.nack = nack
        self.vote_targets = vote_targets
        self._vote_dsts: dict[int, tuple[int, ...]] = {}

    KIND: ClassVar[str] = "acceptor"
    HANDLERS: ClassVar[dict[type, str]] = {
        Prepare: "on_prepare",
        Accept: "on_accept",
        Poll: "on_poll",
    }

    def on_prepare(self, src: int, msg: Prepare) -> list:
        """ "If an acceptor receives a prepare request with number n greater than that of any
        prepare request to which it has already responded, then it responds to the request
        with a promise not to accept any more proposals numbered less than n and with the
        highest-numbered proposal (if any) that it has accepted." A repeat of the request it
        promised last (a duplicate) gets the same answer again."""
        st = self.storage
        if msg.ballot >= st.promised:
            st.promised = msg.ballot
            return [Send((src,), Promise(msg.ballot, st.accepted_ballot, st.accepted_value))]
        return self._refuse(src, msg.ballot)

    def on_accept(self, src: int, msg: Accept) -> list:
        """ "If an acceptor receives an accept request for a proposal numbered n, it accepts
        the proposal unless it has already responded to a prepare request having a number
        greater than n." """
        st = self.storage
        if msg.ballot >= st.promised:
            st.promised = msg.ballot
            st.accepted_ballot = msg.ballot
            st.accepted_value = msg.value
            return [Send(self._vote_destinations(src), Accepted(msg.ballot, msg.value))]
        return self._refuse(src, msg.ballot)

    def on_poll(self, src: int, msg: Poll) -> list:
        """A learner "could ask the acceptors what proposals they have accepted" (3)."""
        st = self.storage
        if st.accepted_ballot == NO_BALLOT:
            return []
        return [Send((src,), Accepted(st.accepted_ballot, st.accepted_value))]

    def _refuse(self, src: int, ballot: Ballot) -> list:
        """ "An acceptor ... should inform the proposer, who should then abandon its proposal"
        (2.3); without the optimization the request is simply ignored."""
        if self.nack:
            return [Send((src,), Nack(ballot, self.storage.promised))]
        return []

    def _vote_destinations(self, proposer: int) -> tuple[int, ...]:
        dsts = self._vote_dsts.get(proposer)
        if dsts is None:
            dsts = tuple(sorted({proposer, *self.vote_targets}))
            self._vote_dsts[proposer] = dsts
        return dsts
