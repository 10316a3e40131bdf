"""The distinguished proposer: "a distinguished proposer is selected as the only one to
try issuing proposals" (Paxos Made Simple, 2.4).

Wraps a node's Proposer and Elector. Only while its node believes it leads does the
proposer run ballots; otherwise the node hands its value to the leader it believes in,
and hands it again whenever it comes to believe in another leader.
"""

from typing import Any, ClassVar

from paxossim.protocol.effects import Send
from paxossim.protocol.election import ELECTION, HEARTBEAT, Elector
from paxossim.protocol.messages import Accepted, Forward, Heartbeat, Nack, Promise, Reissue
from paxossim.protocol.proposer import Proposer
from paxossim.protocol.role import Role


class DistinguishedProposer(Role):
    __slots__ = ("proposer", "elector", "own", "submitted", "forwarded", "done")

    KIND: ClassVar[str] = "proposer"
    HANDLERS: ClassVar[dict[type, str]] = {
        Heartbeat: "on_heartbeat",
        Forward: "on_forward",
        Reissue: "on_reissue",
        Promise: "to_proposer",
        Accepted: "to_proposer",
        Nack: "to_proposer",
    }

    def __init__(self, proposer: Proposer, elector: Elector):
        self.proposer = proposer
        self.elector = elector
        self.own = proposer.value  # the node's own value, whatever the proposer runs now
        self.submitted = False  # the node's own value is ready to be proposed
        self.forwarded: Any = None  # the first value another node handed over
        self.done = False
        elector.wants_value = True

    @property
    def storage(self):
        return self.proposer.storage

    def boot(self) -> list:
        return self._after((self.elector.leader, self.elector.term), False, self.elector.start())

    def start(self, value: Any = None) -> list:
        """The node's own value (`value` if given) is ready: propose it if leading, else
        hand it over."""
        if value is not None:
            self.own = value
        self.submitted = True
        self.elector.wants_value = False
        if self.elector.leading:
            return self.proposer.start(self.own)
        return self._forward()

    def stop(self) -> list:
        self.done = True
        self.elector.wants_value = False  # a value is chosen: nothing more to hand over
        return self.proposer.stop()

    def on_heartbeat(self, src: int, msg: Heartbeat) -> list:
        was, leading = (self.elector.leader, self.elector.term), self.elector.leading
        effects = self._after(was, leading, self.elector.on_heartbeat(msg))
        same = (self.elector.leader, self.elector.term) == was == (msg.leader, msg.term)
        if same and msg.wants_value:
            effects.extend(self._forward())  # the hand-over was lost: again
        return effects

    def on_forward(self, src: int, msg: Forward) -> list:
        if self.forwarded is None:
            self.forwarded = msg.value
            self.elector.wants_value = False
        if self.elector.leading and not self.submitted:
            return self.proposer.start(msg.value)
        return []

    def on_reissue(self, src: int, msg: Reissue) -> list:
        """Only the leader issues proposals, with the value it has (its own, or one it was
        handed): a learner asks every proposer node, the leader among them."""
        value = self.own if self.submitted else self.forwarded
        if not self.elector.leading or value is None:
            return []
        return self.proposer.reissue(value)

    def to_proposer(self, src: int, msg: object) -> list:
        return self.proposer.handle(src, msg)

    def on_timer(self, name: str) -> list:
        if name in (ELECTION, HEARTBEAT):
            was, leading = (self.elector.leader, self.elector.term), self.elector.leading
            return self._after(was, leading, self.elector.on_timer(name))
        return self.proposer.on_timer(name)

    def _after(self, was: tuple[int | None, int], was_leading: bool, effects: list) -> list:
        """React to what the elector now believes: `was` is the (leader, term) before.
        A new leader, or the same one in a new term (it may have restarted and lost what
        it was handed), gets the value again."""
        if self.elector.leading and not was_leading:
            value = self.own if self.submitted else self.forwarded
            if value is not None and not self.done:
                effects.extend(self.proposer.start(value))
        elif was_leading and not self.elector.leading:
            effects.extend(self.proposer.pause())  # also a ballot a learner asked for
        if (self.elector.leader, self.elector.term) != was and not self.elector.leading:
            effects.extend(self._forward())
        return effects

    def _forward(self) -> list:
        """Hand the leader the node's own value, or else the one it was handed while it
        led (a deposed leader must not strand it)."""
        leader = self.elector.leader
        value = self.own if self.submitted else self.forwarded
        if self.done or value is None or leader is None or leader == self.elector.node:
            return []
        return [Send((leader,), Forward(value))]
