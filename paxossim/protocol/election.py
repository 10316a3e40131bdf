"""Electing the distinguished proposer (Paxos Made Simple, 2.4 and 3).

"The algorithm chooses a leader, which plays the roles of the distinguished proposer
and the distinguished learner." The paper leaves the election to timeouts; the rule
here is the usual heartbeat one, with randomized timeouts as in Raft:

- At boot every proposer node takes the lowest-numbered proposer as leader (term 0).
- The leader sends a Heartbeat(term, leader) to the other proposer nodes every
  `heartbeat` seconds (a lone proposer node sends none).
- A follower that hears no heartbeat for `timeout + uniform(0, timeout_jitter)` seconds
  suspects the leader and makes itself leader in the next term. The jitter makes it
  likely that one follower claims first and the others hear of it before they do.
- A node follows the heartbeat with the greatest (term, leader) it has heard; a leader
  that hears a greater one steps down. Two nodes may believe they lead for a while:
  Paxos keeps that safe, it only costs progress.
- The term is on stable storage, so a restarted node never claims a term it had.
"""

from collections.abc import Callable
from dataclasses import dataclass

from paxossim.protocol.effects import CancelTimer, LeadershipChanged, Send, SetTimer
from paxossim.protocol.messages import Heartbeat

HEARTBEAT, ELECTION = "heartbeat", "election"


@dataclass(slots=True)
class ElectorStorage:
    term: int = 0


class Elector:
    __slots__ = (
        "node", "peers", "heartbeat", "timeout", "jitter", "storage", "leader", "term",
        "wants_value",
    )  # fmt: skip

    def __init__(
        self,
        node: int,
        peers: tuple[int, ...],
        heartbeat: float,
        timeout: float,
        jitter: Callable[[], float],
        storage: ElectorStorage,
        leader: int | None,
    ):
        self.node = node
        self.peers = peers  # the other proposer nodes
        self.heartbeat = heartbeat
        self.timeout = timeout
        self.jitter = jitter  # extra seconds drawn for every election timeout
        self.storage = storage
        self.leader = leader
        self.term = storage.term
        self.wants_value = False  # said in heartbeats; set by the distinguished proposer

    @property
    def leading(self) -> bool:
        return self.leader == self.node

    def start(self) -> list:
        if self.leading:
            return self._lead()
        return [self._election_timer()]

    def on_heartbeat(self, msg: Heartbeat) -> list:
        if (msg.term, msg.leader) < (self.term, self.leader if self.leader is not None else -1):
            return []  # from a deposed leader: it will hear of the new one
        effects: list = []
        if self.leading and msg.leader != self.node:
            effects.append(LeadershipChanged(False, msg.term))
            effects.append(CancelTimer(HEARTBEAT))
        self.leader, self.term = msg.leader, msg.term
        self.storage.term = max(self.storage.term, msg.term)
        if not self.leading:
            effects.append(self._election_timer())
        return effects

    def on_timer(self, name: str) -> list:
        if name == ELECTION and not self.leading:
            self.term = max(self.term, self.storage.term) + 1
            self.storage.term = self.term
            self.leader = self.node
            return self._lead()
        if name == HEARTBEAT and self.leading:
            return self._beat()
        return []

    def _lead(self) -> list:
        return [LeadershipChanged(True, self.term), CancelTimer(ELECTION), *self._beat()]

    def _beat(self) -> list:
        if not self.peers:
            return []  # a lone proposer node has nobody to tell
        return [
            Send(self.peers, Heartbeat(self.term, self.node, self.wants_value)),
            SetTimer(HEARTBEAT, self.heartbeat),
        ]

    def _election_timer(self) -> SetTimer:
        return SetTimer(ELECTION, self.timeout + self.jitter())
