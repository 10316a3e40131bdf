"""The proposer of the replicated log: many instances of the synod (Paxos Made Simple, 3).

"The leader ... executes phase 1 for infinitely many instances of the consensus
algorithm" with one prepare, then phase 2 per command: a prepare here names the first
slot the node's replica has not learned and covers every slot above it; the promises
report every vote in those slots. The proposer then re-proposes, in its own ballot, the
value of the highest-numbered vote of each reported slot, fills the slots between that
nobody voted in with no-ops ("it must ... fill in the gaps ... with a special no-op
command") and puts client commands into the slots after, at most `window` slots of
commands in flight (the re-proposals go out at once), at most `batch` commands per slot.

With the leader strategy only the node that believes it leads runs ballots; the others
redirect clients to it. Without one (leaderless), every proposer node with commands to
propose does the same thing, which is a synod per slot between competing proposers:
the one with the higher ballot wins the slot, and the other re-proposes the winner's
value there (it adopts it in phase 1) and retries its own commands in later slots.

A ballot that decides nothing for a whole `retry_timeout` is abandoned, and so is one an
acceptor refuses (a Nack); the next starts after the backoff, as in the synod. In a
ballot that still decides, an accept request undecided through a whole retry period is
sent again (its messages may have been lost). Commands
a ballot had not got chosen go back to the queue: if one was chosen after all, the
replicas apply it once (see `kvstore`). The node that got a command from a client
replies once its own replica has applied it.
"""

from collections import deque
from collections.abc import Callable
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
from paxossim.protocol.election import ELECTION, HEARTBEAT, Elector
from paxossim.protocol.kvstore import NOOP
from paxossim.protocol.learner import LearnerStorage
from paxossim.protocol.messages import (
    Accept,
    Accepted,
    Heartbeat,
    Nack,
    Prepare,
    Promise,
    Redirect,
    Reply,
    Request,
)
from paxossim.protocol.proposer import (
    BACKOFF,
    IDLE,
    PHASE1,
    PHASE2,
    RETRY,
    WAITING,
    ProposerStorage,
)
from paxossim.protocol.quorum import Quorums
from paxossim.protocol.role import Role


class LogProposer(Role):
    __slots__ = (
        "node", "acceptors", "quorums", "retry_timeout", "backoff", "storage", "replica",
        "window", "batch", "elector", "state", "ballot", "highest_seen", "attempts",
        "first_slot", "next_slot", "queue", "queued", "clients", "proposals", "_promises",
        "_votes", "_progress", "_waited",
    )  # fmt: skip

    KIND: ClassVar[str] = "proposer"
    HANDLERS: ClassVar[dict[type, str]] = {
        Request: "on_request",
        Promise: "on_promise",
        Accepted: "on_accepted",
        Nack: "on_nack",
        Heartbeat: "on_heartbeat",
    }

    def __init__(
        self,
        node: int,
        acceptors: tuple[int, ...],
        quorums: Quorums,
        retry_timeout: float,
        backoff: Callable[[int], float],
        storage: ProposerStorage,
        replica: LearnerStorage,
        window: int = 1,
        batch: int = 1,
        elector: Elector | None = None,
    ):
        self.node = node
        self.acceptors = acceptors
        self.quorums = quorums
        self.retry_timeout = retry_timeout
        self.backoff = backoff
        self.storage = storage
        self.replica = replica  # the node's own replica (its learner's storage)
        self.window = window
        self.batch = batch
        self.elector = elector  # None: leaderless
        self.state = IDLE
        self.ballot = NO_BALLOT
        self.highest_seen = 0
        self.attempts = 0
        self.first_slot = 0  # the first slot the current ballot's phase 1 covers
        self.next_slot = 0  # the next slot to put commands in
        self.queue: deque = deque()  # commands waiting for a slot
        self.queued: set[tuple[int, int]] = set()  # their (client, seq)
        self.clients: dict[tuple[int, int], int] = {}  # (client, seq) -> node to reply to
        self.proposals: dict[int, tuple] = {}  # slot -> batch proposed, not yet decided
        self._promises: dict[int, Promise] = {}
        self._votes: dict[int, set[int]] = {}  # slot -> acceptors that voted in this ballot
        self._progress = False  # a slot was decided since the retry timer was armed
        self._waited: set[int] = set()  # slots in flight when the retry timer last fired

    @property
    def leading(self) -> bool:
        return self.elector is None or self.elector.leading

    # -- clients --------------------------------------------------------------------------

    def on_request(self, src: int, msg: Request) -> list:
        command = msg.command
        key = (command.client, command.seq)
        if key in self.replica.machine.results:
            return [Send((src,), Reply(command.seq, self.replica.machine.results[key]))]
        if not self.leading:
            return [Send((src,), Redirect(command.seq, self.elector.leader))]
        self.clients[key] = src
        if key not in self.queued and not self._in_flight(key):
            self.queue.append(command)
            self.queued.add(key)
        return self._pump()

    def on_applied(self, slot: int, value: tuple, results: tuple) -> list:
        """The node's replica applied `slot`: reply to the clients waiting for its
        commands, and never propose into that slot again."""
        if slot >= self.next_slot:
            self.next_slot = slot + 1
        effects: list = []
        done = self.replica.machine.results
        for command in value:
            key = (command.client, command.seq)
            client = self.clients.pop(key, None)
            if client is not None:
                effects.append(Send((client,), Reply(command.seq, done[key])))
            if key in self.queued:
                self.queued.discard(key)
                self.queue.remove(command)
        return effects

    def on_installed(self, applied: int) -> list:
        """The node's replica installed a peer's snapshot of slots 0 .. applied-1: reply
        to the clients whose commands it holds the result of."""
        self.next_slot = max(self.next_slot, applied)
        done = self.replica.machine.results
        effects: list = []
        for key in [k for k in self.clients if k in done]:
            effects.append(Send((self.clients.pop(key),), Reply(key[1], done[key])))
        for command in [c for c in self.queue if (c.client, c.seq) in done]:
            self.queue.remove(command)
            self.queued.discard((command.client, command.seq))
        return effects

    def _in_flight(self, key: tuple[int, int]) -> bool:
        return any((c.client, c.seq) == key for batch in self.proposals.values() for c in batch)

    # -- leadership -----------------------------------------------------------------------

    def boot(self) -> list:
        """A leader runs phase 1 at once, before any command arrives."""
        if self.elector is None:
            return []
        return self._after_election(False, self.elector.start())

    def on_heartbeat(self, src: int, msg: Heartbeat) -> list:
        if self.elector is None:
            return []
        return self._after_election(self.elector.leading, self.elector.on_heartbeat(msg))

    def _after_election(self, was_leading: bool, effects: list) -> list:
        if self.elector.leading and not was_leading:
            effects.extend(self._new_round())
        elif was_leading and not self.elector.leading:
            effects.extend(self._pause())
        return effects

    def _pause(self) -> list:
        """The node no longer believes it leads: stop running ballots; clients will ask
        the new leader, so the queue goes."""
        effects: list = []
        if self.state in (PHASE1, PHASE2):
            effects.append(RoundAbandoned(self.ballot, "deposed", self._phase))
        self.state = IDLE
        self.queue.clear()
        self.queued.clear()
        self.proposals.clear()
        return [*effects, CancelTimer(RETRY), CancelTimer(BACKOFF)]

    def on_timer(self, name: str) -> list:
        if name in (ELECTION, HEARTBEAT):
            if self.elector is None:
                return []
            return self._after_election(self.elector.leading, self.elector.on_timer(name))
        if name == RETRY and self.state in (PHASE1, PHASE2):
            if self.state == PHASE2 and self._progress:
                return self._resend()
            if self.state == PHASE2 and not self.proposals:
                return []  # nothing in flight: the ballot waits for commands
            return self._abandon("timeout")
        if name == BACKOFF and self.state == WAITING:
            self.state = IDLE
            return self._new_round() if self._wants_ballot else []
        return []

    @property
    def _phase(self) -> int:
        return 2 if self.state == PHASE2 else 1

    # -- phase 1, once for every slot from the first not learned --------------------------

    def _next_ballot(self) -> None:
        """A number above every one it issued (stable storage) or heard of."""
        rnd = max(self.storage.round, self.highest_seen) + 1
        self.storage.round = rnd
        self.ballot = Ballot(rnd, self.node)

    def _new_round(self) -> list:
        self._next_ballot()
        self.state = PHASE1
        self.first_slot = self.replica.frontier
        self._promises = {}
        return [
            RoundStarted(self.ballot),
            Send(self.acceptors, Prepare(self.ballot, self.first_slot, upward=True)),
            SetTimer(RETRY, self.retry_timeout),
        ]

    def on_promise(self, src: int, msg: Promise) -> list:
        for vote in msg.votes:
            if vote.ballot.round > self.highest_seen:
                self.highest_seen = vote.ballot.round
        if self.state != PHASE1 or msg.ballot != self.ballot or not msg.upward:
            return []
        self._promises[src] = msg
        if len(self._promises) < self.quorums.phase1:
            return []
        return self._start_phase2()

    def _start_phase2(self) -> list:
        """Re-propose the highest-numbered vote of every reported slot, fill the holes
        below the highest with no-ops, then go on with the queue."""
        highest: dict[int, tuple[Ballot, Any]] = {}
        for promise in self._promises.values():
            for vote in promise.votes:
                if vote.slot >= self.first_slot and (
                    vote.slot not in highest or vote.ballot > highest[vote.slot][0]
                ):
                    highest[vote.slot] = (vote.ballot, vote.value)
        top = max(highest, default=self.first_slot - 1)
        chosen = self.replica.chosen
        self.state = PHASE2
        self.proposals = {}
        self._votes = {}
        self._waited = set()
        effects: list = []
        for slot in range(self.first_slot, top + 1):
            if slot in chosen or slot < self.replica.applied:
                continue  # learned meanwhile: it needs no proposal
            if slot in highest:
                value = highest[slot][1]
                effects.append(ValueAdopted(self.ballot, value, slot))
            else:
                value = NOOP
            effects.extend(self._propose(slot, value))
        self.next_slot = max(top + 1, self.first_slot)  # slots above top: free for all it knows
        effects.append(SetTimer(RETRY, self.retry_timeout))
        self._progress = False
        effects.extend(self._pump())
        return effects

    # -- phase 2, per slot ----------------------------------------------------------------

    def _pump(self) -> list:
        """Start a ballot if there is work and none is running; in phase 2, put queued
        commands into free slots while the window allows."""
        if self.state == IDLE and self.queue and self.leading:
            return self._new_round()
        if self.state != PHASE2:
            return []
        effects: list = []
        chosen = self.replica.chosen
        self.next_slot = max(self.next_slot, self.replica.applied)
        while self.queue and len(self.proposals) < self.window:
            while self.next_slot in chosen:
                self.next_slot += 1
            batch = []
            while self.queue and len(batch) < self.batch:
                command = self.queue.popleft()
                self.queued.discard((command.client, command.seq))
                batch.append(command)
            slot = self.next_slot
            self.next_slot += 1
            if not self.proposals:
                self._progress = False
                effects.append(SetTimer(RETRY, self.retry_timeout))
            effects.extend(self._propose(slot, tuple(batch)))
        return effects

    def _propose(self, slot: int, value: tuple) -> list:
        self.proposals[slot] = value
        self._votes[slot] = set()
        return [Send(self.acceptors, Accept(self.ballot, value, slot))]

    def _resend(self) -> list:
        """Some slot was decided since the timer was armed, so the ballot lives: send
        again the accept requests of the slots that were already in flight when the
        timer last fired, undecided for a whole `retry_timeout` at least (their messages
        may have been lost); a slot proposed since has had less time and waits."""
        self._progress = False
        effects: list = [
            Send(self.acceptors, Accept(self.ballot, value, slot))
            for slot, value in sorted(self.proposals.items())
            if slot in self._waited
        ]
        self._waited = set(self.proposals)
        return [*effects, SetTimer(RETRY, self.retry_timeout)]

    def on_accepted(self, src: int, msg: Accepted) -> list:
        if self.state != PHASE2 or msg.ballot != self.ballot:
            return []
        voters = self._votes.get(msg.slot)
        if voters is None or msg.slot not in self.proposals:
            return []
        voters.add(src)
        if len(voters) < self.quorums.phase2:
            return []
        del self.proposals[msg.slot]
        del self._votes[msg.slot]
        self._progress = True
        effects: list = [Decided(msg.ballot, msg.value, msg.slot)]
        if not self.proposals and not self.queue:
            effects.append(CancelTimer(RETRY))
        effects.extend(self._pump())
        return effects

    # -- giving up a ballot ---------------------------------------------------------------

    def on_nack(self, src: int, msg: Nack) -> list:
        if msg.promised.round > self.highest_seen:
            self.highest_seen = msg.promised.round
        if self.state in (PHASE1, PHASE2) and msg.ballot == self.ballot:
            return self._abandon("nack")
        return []

    def _abandon(self, reason: str) -> list:
        """Give the ballot up; its undecided commands go back to the front of the queue
        (a no-op or another's value it re-proposed is the next ballot's to find)."""
        effects: list = [RoundAbandoned(self.ballot, reason, self._phase), CancelTimer(RETRY)]
        for slot in sorted(self.proposals, reverse=True):
            for command in reversed(self.proposals[slot]):
                key = (command.client, command.seq)
                if key in self.clients and key not in self.queued:
                    self.queue.appendleft(command)
                    self.queued.add(key)
        self.proposals = {}
        self._waited = set()
        self.attempts += 1
        delay = self.backoff(self.attempts)
        if delay > 0:
            self.state = WAITING
            effects.append(SetTimer(BACKOFF, delay))
        else:
            self.state = IDLE
            if self._wants_ballot:
                effects.extend(self._new_round())
        return effects

    @property
    def _wants_ballot(self) -> bool:
        """A leader always holds a ballot; a leaderless proposer only with commands."""
        if self.elector is not None:
            return self.elector.leading
        return bool(self.queue)
