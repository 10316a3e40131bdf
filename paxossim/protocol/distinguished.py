"""The distinguished proposer: "a distinguished proposer is selected as the only one to
try issuing proposals" (Paxos Made Simple, 2.4).

Wraps a node's Proposer and Elector. Only while its node believes it leads does the
proposer run ballots; otherwise the node hands its value to the leader it believes in,
and hands it again whenever it comes to believe in another leader.
"""

from typing import Any

from paxossim.protocol.effects import Send
from paxossim.protocol.election import ELECTION, HEARTBEAT, Elector
from paxossim.protocol.messages import Forward, Heartbeat
from paxossim.protocol.proposer import Proposer


class DistinguishedProposer:
    __slots__ = ("proposer", "elector", "own", "submitted", "forwarded", "done")

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

    def start(self) -> list:
        """The node's own value is ready: propose it if leading, else hand it over."""
        self.submitted = True
        self.elector.wants_value = False
        if self.elector.leading:
            return self.proposer.start(self.own)
        return self._forward()

    def stop(self) -> list:
        self.done = True
        self.elector.wants_value = False  # a value is chosen: nothing more to hand over
        return self.proposer.stop()

    def handle(self, src: int, msg: object) -> list:
        kind = type(msg)
        if kind is Heartbeat:
            was, leading = (self.elector.leader, self.elector.term), self.elector.leading
            effects = self._after(was, leading, self.elector.on_heartbeat(msg))
            same = (self.elector.leader, self.elector.term) == was == (msg.leader, msg.term)
            if same and msg.wants_value:
                effects.extend(self._forward())  # the hand-over was lost: again
            return effects
        if kind is Forward:
            if self.forwarded is None:
                self.forwarded = msg.value
                self.elector.wants_value = False
            if self.elector.leading and not self.submitted:
                return self.proposer.start(msg.value)
            return []
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
        if self.done:
            return effects
        if self.elector.leading and not was_leading:
            value = self.own if self.submitted else self.forwarded
            if value is not None:
                effects.extend(self.proposer.start(value))
        elif was_leading and not self.elector.leading:
            effects.extend(self.proposer.pause())
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
