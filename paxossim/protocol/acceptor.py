"""The acceptor of the synod algorithm (Paxos Made Simple, 2.2-2.3), one synod per slot
of the log (3)."""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from paxossim.protocol.ballot import NO_BALLOT, Ballot
from paxossim.protocol.effects import Send
from paxossim.protocol.messages import (
    Accept,
    Accepted,
    Nack,
    Poll,
    Prepare,
    Promise,
    Vote,
    slots_from,
)
from paxossim.protocol.role import Role

_NO_VOTE = (NO_BALLOT, None)


@dataclass(slots=True)
class AcceptorStorage:
    """Stable storage: "an acceptor must remember this information even if it fails and
    then restarts" (2.3). All of the acceptor's state lives here, per slot.

    A promise is made for one slot (`promised`), or for a slot and every slot above it
    (`floor`, from `floor_slot` on: a leader's phase 1). The promise in force in a slot is
    the higher of the two. A vote is a promise too: accepting in a slot raises its
    `promised` to the vote's ballot.

    One floor is kept, from the lowest slot a prepare ever named: a later prepare for a
    higher slot raises the promise of the slots between too. That promises more than was
    asked, which is always safe (refusing is), and reports no votes for those slots, which
    is safe because a proposer never uses a ballot below the slot its prepare named.
    """

    promised: dict[int, Ballot] = field(default_factory=dict)
    floor: Ballot = NO_BALLOT
    floor_slot: int = 0
    votes: dict[int, tuple[Ballot, Any]] = field(default_factory=dict)  # slot -> last vote
    top: int = field(default=-1, compare=False)  # the highest slot it voted in (derived)

    def promise(self, slot: int) -> Ballot:
        own = self.promised.get(slot, NO_BALLOT)
        if slot >= self.floor_slot and self.floor > own:
            return self.floor
        return own

    def promise_upward(self, slot: int) -> Ballot:
        """The highest promise in force in `slot` or any slot above it."""
        highest = self.floor
        for s, b in self.promised.items():
            if s >= slot and b > highest:
                highest = b
        return highest

    def vote(self, slot: int) -> tuple[Ballot, Any]:
        return self.votes.get(slot, _NO_VOTE)


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
        promised last (a duplicate) gets the same answer again. A prepare for a slot and the
        slots above it is promised only if it is at or above the promise of every one of
        them, and is answered with the votes of all of them."""
        st, slot = self.storage, msg.slot
        if msg.upward:
            highest = st.promise_upward(slot)
            if msg.ballot < highest:
                return self._refuse(src, msg.ballot, slot, highest)
            if slot < st.floor_slot or st.floor == NO_BALLOT:
                st.floor_slot = slot
            st.floor = msg.ballot
            for s in [s for s in st.promised if s >= slot]:
                del st.promised[s]  # the floor covers them now
            votes = tuple(Vote(s, *st.votes[s]) for s in sorted(st.votes) if s >= slot)
            return [Send((src,), Promise(msg.ballot, votes, slot, True))]
        promised = st.promise(slot)
        if msg.ballot < promised:
            return self._refuse(src, msg.ballot, slot, promised)
        st.promised[slot] = msg.ballot
        vote = st.votes.get(slot)
        votes = () if vote is None else (Vote(slot, *vote),)
        return [Send((src,), Promise(msg.ballot, votes, slot))]

    def on_accept(self, src: int, msg: Accept) -> list:
        """ "If an acceptor receives an accept request for a proposal numbered n, it accepts
        the proposal unless it has already responded to a prepare request having a number
        greater than n." """
        st, slot = self.storage, msg.slot
        promised = st.promise(slot)
        if msg.ballot < promised:
            return self._refuse(src, msg.ballot, slot, promised)
        st.promised[slot] = msg.ballot
        st.votes[slot] = (msg.ballot, msg.value)
        if slot > st.top:
            st.top = slot
        return [Send(self._vote_destinations(src), Accepted(msg.ballot, msg.value, slot))]

    def on_poll(self, src: int, msg: Poll) -> list:
        """A learner "could ask the acceptors what proposals they have accepted" (3): the
        votes of the polled slot and the ones above it."""
        votes = self.storage.votes
        return [
            Send((src,), Accepted(*votes[s], s))
            for s in slots_from(votes, msg.slot, self.storage.top)
        ]

    def writes(self, msg: Any) -> bool:
        """Whether handling `msg` writes stable storage: a prepare or an accept request
        it grants (a promise or a vote; a repeated request too), not a refused one nor a
        poll. The simulator's cost model charges such a step the fsync; the handlers above
        decide by the same comparisons."""
        kind = type(msg)
        if kind is Accept:
            return not msg.ballot < self.storage.promise(msg.slot)
        if kind is Prepare:
            st = self.storage
            promised = st.promise_upward(msg.slot) if msg.upward else st.promise(msg.slot)
            return not msg.ballot < promised
        return False

    def _refuse(self, src: int, ballot: Ballot, slot: int, promised: Ballot) -> list:
        """ "An acceptor ... should inform the proposer, who should then abandon its proposal"
        (2.3); without the optimization the request is simply ignored."""
        if self.nack:
            return [Send((src,), Nack(ballot, promised, slot))]
        return []

    def _vote_destinations(self, proposer: int) -> tuple[int, ...]:
        dsts = self._vote_dsts.get(proposer)
        if dsts is None:
            dsts = tuple(sorted({proposer, *self.vote_targets}))
            self._vote_dsts[proposer] = dsts
        return dsts
