"""The learner (Paxos Made Simple, 2.4): finds out that a value has been chosen."""

from dataclasses import dataclass
from typing import Any

from paxossim.protocol.ballot import Ballot
from paxossim.protocol.effects import Learned, Send, SetTimer
from paxossim.protocol.messages import Accepted, Decide, Poll

POLL = "poll"


@dataclass(slots=True)
class LearnerStorage:
    """What a learner learned is kept across a crash: a chosen value never changes."""

    learned: bool = False
    value: Any = None


class Learner:
    """Learns a value once a phase-2 quorum of acceptors has accepted it in one ballot.

    Three ways to hear the votes, after the paper: every acceptor tells every learner
    (`broadcast`); acceptors tell the distinguished learners, which tell the rest
    (`distinguished`); or the learner keeps asking the acceptors (`poll`).
    """

    __slots__ = (
        "storage", "phase2_quorum", "acceptors", "relay_to", "poll_interval", "_votes",
    )  # fmt: skip

    def __init__(
        self,
        storage: LearnerStorage,
        phase2_quorum: int,
        acceptors: tuple[int, ...] = (),
        relay_to: tuple[int, ...] = (),
        poll_interval: float | None = None,
    ):
        self.storage = storage
        self.phase2_quorum = phase2_quorum
        self.acceptors = acceptors
        self.relay_to = relay_to
        self.poll_interval = poll_interval
        self._votes: dict[Ballot, set[int]] = {}

    def start(self) -> list:
        if self.poll_interval is None or self.storage.learned:
            return []
        return self.on_timer(POLL)

    def handle(self, src: int, msg: object) -> list:
        kind = type(msg)
        if kind is Accepted:
            return self.on_accepted(src, msg)
        if kind is Decide:
            return self._learn(msg.value)
        return []

    def on_timer(self, name: str) -> list:
        if name != POLL or self.storage.learned:
            return []
        return [Send(self.acceptors, Poll()), SetTimer(POLL, self.poll_interval)]

    def on_accepted(self, src: int, msg: Accepted) -> list:
        """"To learn that a value has been chosen, a learner must find out that a proposal
        has been accepted by a majority of acceptors" - the same proposal: votes of
        different ballots are never added up."""
        if self.storage.learned:
            return []
        voters = self._votes.get(msg.ballot)
        if voters is None:
            voters = self._votes[msg.ballot] = set()
        voters.add(src)
        if len(voters) < self.phase2_quorum:
            return []
        return self._learn(msg.value)

    def _learn(self, value: Any) -> list:
        if self.storage.learned:
            return []
        self.storage.learned = True
        self.storage.value = value
        self._votes.clear()
        effects: list = [Learned(value)]
        if self.relay_to:
            effects.append(Send(self.relay_to, Decide(value)))
        return effects
