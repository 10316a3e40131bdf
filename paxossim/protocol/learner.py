"""The learner (Paxos Made Simple, 2.3): finds out that a value has been chosen."""

from dataclasses import dataclass
from typing import Any, ClassVar

from paxossim.protocol.effects import Learned, Send, SetTimer
from paxossim.protocol.messages import Accepted, Ask, Decide, Poll, Reissue
from paxossim.protocol.role import Role

POLL, CATCHUP = "poll", "catchup"


@dataclass(slots=True)
class LearnerStorage:
    """What a learner learned is kept across a crash: a chosen value never changes."""

    learned: bool = False
    value: Any = None


class Learner(Role):
    """Learns a value once a phase-2 quorum of acceptors has accepted it in one ballot.

    Three ways to hear the votes, after the paper: every acceptor tells every learner
    (`broadcast`); acceptors tell the distinguished learners, which tell the rest
    (`distinguished`); or the learner keeps asking the acceptors (`poll`).

    Whatever the mode, messages get lost and learners crash, so a learner that has not
    learned catches up every `catchup` seconds: it polls the acceptors and asks the
    other learners (`peers`), any of which answers with the value if it knows it.

    A learner can be stuck even so: the acceptors' last votes may belong to different
    ballots forever (the proposer that saw its value chosen has stopped). So from its
    second catch-up on, if acceptors told it votes since the previous catch-up (so its
    polls were answered: it is not cut off) and it still has not learned, it asks one of
    the `proposers` (the next in turn at each such catch-up) to issue a proposal, as the
    paper says (2.3): a new ballot adopts the chosen value and makes a quorum vote for it
    together. A proposer that is still working on a ballot ignores the request.
    """

    __slots__ = (
        "storage", "phase2_quorum", "acceptors", "relay_to", "poll_interval", "peers",
        "catchup", "proposers", "catchups", "reissues", "_votes", "_heard",
    )  # fmt: skip

    KIND: ClassVar[str] = "learner"
    HANDLERS: ClassVar[dict[type, str]] = {
        Accepted: "on_accepted",
        Decide: "on_decide",
        Ask: "on_ask",
    }

    def __init__(
        self,
        storage: LearnerStorage,
        phase2_quorum: int,
        acceptors: tuple[int, ...] = (),
        relay_to: tuple[int, ...] = (),
        poll_interval: float | None = None,
        *,
        peers: tuple[int, ...] = (),
        catchup: float | None = None,
        proposers: tuple[int, ...] = (),
    ):
        self.storage = storage
        self.phase2_quorum = phase2_quorum
        self.acceptors = acceptors
        self.relay_to = relay_to
        self.poll_interval = poll_interval
        self.peers = peers
        self.catchup = catchup
        self.proposers = proposers
        self.catchups = 0  # catch-ups made since the last (re)start
        self.reissues = 0  # proposals asked for since the last (re)start
        self._votes: dict[Any, set[int]] = {}
        self._heard: set[int] = set()  # acceptors that told a vote since the last catch-up

    def start(self) -> list:
        """At boot and after a restart: start polling, arm the catch-up timer."""
        if self.storage.learned:
            return []
        effects = self.on_timer(POLL) if self.poll_interval is not None else []
        if self.catchup:
            effects.append(SetTimer(CATCHUP, self.catchup))
        return effects

    def on_decide(self, src: int, msg: Decide) -> list:
        return self._learn(msg.value)

    def on_ask(self, src: int, msg: Ask) -> list:
        return [Send((src,), Decide(self.storage.value))] if self.storage.learned else []

    def on_timer(self, name: str) -> list:
        if self.storage.learned:
            return []
        if name == POLL:
            return [Send(self.acceptors, Poll()), SetTimer(POLL, self.poll_interval)]
        if name == CATCHUP:
            effects: list = [Send(self.acceptors, Poll())] if self.poll_interval is None else []
            if self.peers:
                effects.append(Send(self.peers, Ask()))
            self.catchups += 1
            if self.catchups > 1 and self._heard and self.proposers:
                proposer = self.proposers[self.reissues % len(self.proposers)]
                self.reissues += 1
                effects.append(Send((proposer,), Reissue()))
            self._heard = set()
            return [*effects, SetTimer(CATCHUP, self.catchup)]
        return []

    def on_accepted(self, src: int, msg: Accepted) -> list:
        """ "To learn that a value has been chosen, a learner must find out that a proposal
        has been accepted by a majority of acceptors" - the same proposal: votes of
        different ballots are never added up."""
        if self.storage.learned:
            return []
        self._heard.add(src)
        key = self._vote_key(msg)
        voters = self._votes.get(key)
        if voters is None:
            voters = self._votes[key] = set()
        voters.add(src)
        if len(voters) < self.phase2_quorum:
            return []
        return self._learn(msg.value)

    def _vote_key(self, msg: Accepted) -> Any:
        """Votes are added up per ballot: "a single proposal" must be accepted (2.1)."""
        return msg.ballot

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
