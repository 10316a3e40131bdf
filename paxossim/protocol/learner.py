"""The learner (Paxos Made Simple, 2.3): finds out that a value has been chosen, slot by
slot; with a state machine it is a replica of the log (3), applying the chosen commands
in slot order."""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from paxossim.protocol.effects import Applied, Installed, Learned, Send, SetTimer
from paxossim.protocol.messages import (
    POLL_SLOTS,
    Accepted,
    Ask,
    Decide,
    Poll,
    Reissue,
    Snapshot,
    slots_from,
)
from paxossim.protocol.role import Role

POLL, CATCHUP = "poll", "catchup"
#: Applied slots whose values a replica keeps: a peer that lags by fewer learns them slot by
#: slot (a batch per round trip); one that lags by more gets the whole store (state
#: transfer), which costs as much as the store is big.
RETAINED_SLOTS = 1024


@dataclass(slots=True)
class LearnerStorage:
    """What a learner learned is kept across a crash: a chosen value never changes. A
    replica keeps its state machine and how many slots it applied too (a database keeps
    what it committed)."""

    chosen: dict[int, Any] = field(default_factory=dict)  # slot -> the value learned
    top: int = field(default=-1, compare=False)  # the highest slot learned (derived)
    applied: int = 0  # slots 0 .. applied-1 are applied to `machine`
    compacted: int = 0  # the values of slots 0 .. compacted-1 are dropped (a replica's)
    machine: Any = None

    @property
    def frontier(self) -> int:
        """The first slot not learned."""
        slot = self.applied
        while slot in self.chosen:
            slot += 1
        return slot

    @property
    def learned(self) -> bool:
        """Slot 0 is learned: for a single-decree run, the value is."""
        return 0 in self.chosen

    @property
    def value(self) -> Any:
        return self.chosen.get(0)


class Learner(Role):
    """Learns the value of a slot once a phase-2 quorum of acceptors has accepted it in
    one ballot of that slot.

    Three ways to hear the votes, after the paper: every acceptor tells every learner
    (`broadcast`); acceptors tell the distinguished learners, which tell the rest
    (`distinguished`); or the learner keeps asking the acceptors (`poll`).

    Whatever the mode, messages get lost and learners crash, so a learner catches up
    every `catchup` seconds: it polls the acceptors and asks the other learners
    (`peers`) about the first slot it has not learned and those above, and any of them
    answers with what it knows. A single-decree learner (`slots = 1`) stops once it has
    learned; a replica of the log (`slots = None`) never knows that nothing more will be
    chosen, so it keeps catching up.

    A learner can be stuck even so: the acceptors' last votes may belong to different
    ballots forever (the proposer that saw its value chosen has stopped). So from its
    second catch-up on, if acceptors told it votes since the previous catch-up (so its
    polls were answered: it is not cut off) and it still has not learned, it asks one of
    the `proposers` (the next in turn at each such catch-up) to issue a proposal, as the
    paper says (2.3): a new ballot adopts the chosen value and makes a quorum vote for it
    together. A proposer that is still working on a ballot ignores the request.

    A replica (a `machine` in its storage: see `paxossim.protocol.kvstore`) applies the
    chosen values in slot order, each once every lower slot is chosen, and reports what
    each command returned (`Applied`). It keeps the values of the last RETAINED_SLOTS
    applied slots only: the state machine holds what the older ones did (compaction). A peer that
    asks about a compacted slot gets the state machine itself (`Snapshot`, state
    transfer), which it installs if it is behind (`Installed`).
    """

    __slots__ = (
        "storage", "phase2_quorum", "acceptors", "relay_to", "poll_interval", "peers",
        "catchup", "proposers", "slots", "catchups", "reissues", "_votes", "_heard", "_asked",
    )  # fmt: skip

    KIND: ClassVar[str] = "learner"
    HANDLERS: ClassVar[dict[type, str]] = {
        Accepted: "on_accepted",
        Decide: "on_decide",
        Ask: "on_ask",
        Snapshot: "on_snapshot",
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
        slots: int | None = 1,
    ):
        self.storage = storage
        self.phase2_quorum = phase2_quorum
        self.acceptors = acceptors
        self.relay_to = relay_to
        self.poll_interval = poll_interval
        self.peers = peers
        self.catchup = catchup
        self.proposers = proposers
        self.slots = slots  # how many slots the log has: None for no bound
        self.catchups = 0  # catch-ups made since the last (re)start
        self.reissues = 0  # proposals asked for since the last (re)start
        self._votes: dict[tuple[int, Any], set[int]] = {}
        self._heard: set[int] = set()  # acceptors that told a vote since the last catch-up
        self._asked = -1  # the slot its last Ask started from

    @property
    def done(self) -> bool:
        """Every slot there is has been learned (never, for a log without a bound)."""
        return self.slots is not None and len(self.storage.chosen) >= self.slots

    @property
    def frontier(self) -> int:
        """The first slot not learned."""
        return self.storage.frontier

    def start(self) -> list:
        """At boot and after a restart: start polling, arm the catch-up timer."""
        if self.done:
            return []
        effects = self.on_timer(POLL) if self.poll_interval is not None else []
        if self.catchup:
            effects.append(SetTimer(CATCHUP, self.catchup))
        return effects

    def on_decide(self, src: int, msg: Decide) -> list:
        """A peer's answer to an Ask (or a distinguished learner's relay). An answer
        that filled a whole batch of slots is followed by the next Ask to the same peer
        at once: a replica far behind catches up at one batch per round trip, not per
        catch-up period."""
        effects = self._learn(msg.slot, msg.value)
        if self._asked >= 0 and effects:
            frontier = self.frontier
            if frontier >= self._asked + POLL_SLOTS and self.storage.top >= frontier:
                self._asked = frontier
                effects.append(Send((src,), Ask(frontier)))
        return effects

    def on_ask(self, src: int, msg: Ask) -> list:
        """What it knows from the asked slot on; a replica that compacted the asked slot
        away sends its state instead (state transfer), then the slots it learned beyond."""
        st = self.storage
        effects: list = []
        first = msg.slot
        if first < st.compacted:
            machine = st.machine
            snapshot = Snapshot(
                st.applied,
                tuple(sorted(machine.data.items())),
                tuple(sorted(machine.results.items())),
            )
            effects.append(Send((src,), snapshot))
            first = st.applied
        return effects + [
            Send((src,), Decide(st.chosen[s], s)) for s in slots_from(st.chosen, first, st.top)
        ]

    def on_snapshot(self, src: int, msg: Snapshot) -> list:
        """Install a peer's state if it is ahead: the slots it covers need no learning."""
        st = self.storage
        if st.machine is None or msg.applied <= st.applied:
            return []
        st.machine = type(st.machine)(dict(msg.data), dict(msg.results))
        st.applied = st.compacted = msg.applied
        for slot in [s for s in st.chosen if s < msg.applied]:
            del st.chosen[slot]
        if st.top < msg.applied - 1:
            st.top = msg.applied - 1
        return [Installed(msg.applied, msg.data, msg.results), *self._apply()]

    def on_timer(self, name: str) -> list:
        if self.done:
            return []
        if name == POLL:
            return [Send(self.acceptors, Poll(self.frontier)), SetTimer(POLL, self.poll_interval)]
        if name == CATCHUP:
            frontier = self.frontier
            effects: list = (
                [] if self.poll_interval is not None else [Send(self.acceptors, Poll(frontier))]
            )
            if self.peers:
                effects.append(Send(self.peers, Ask(frontier)))
                self._asked = frontier
            self.catchups += 1
            if self.catchups > 1 and self._heard and self.proposers and self.slots is not None:
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
        slot = msg.slot
        if slot in self.storage.chosen or slot < self.storage.applied:
            return []
        self._heard.add(src)
        key = (slot, self._vote_key(msg))
        voters = self._votes.get(key)
        if voters is None:
            voters = self._votes[key] = set()
        voters.add(src)
        if len(voters) < self.phase2_quorum:
            return []
        return self._learn(slot, msg.value)

    def _vote_key(self, msg: Accepted) -> Any:
        """Votes are added up per ballot: "a single proposal" must be accepted (2.1)."""
        return msg.ballot

    def _learn(self, slot: int, value: Any) -> list:
        st = self.storage
        if slot in st.chosen or slot < st.applied:
            return []
        st.chosen[slot] = value
        if slot > st.top:
            st.top = slot
        if self._votes:
            for key in [k for k in self._votes if k[0] == slot]:
                del self._votes[key]
        effects: list = [Learned(value, slot)]
        if self.relay_to:
            effects.append(Send(self.relay_to, Decide(value, slot)))
        if st.machine is not None:
            effects.extend(self._apply())
        return effects

    def _apply(self) -> list:
        """Apply every chosen slot that follows the applied prefix, in slot order."""
        st = self.storage
        effects: list = []
        while st.applied in st.chosen:
            slot = st.applied
            value = st.chosen[slot]
            effects.append(Applied(slot, value, st.machine.apply(value)))
            st.applied += 1
        while st.compacted < st.applied - RETAINED_SLOTS:  # compact all but the recent slots
            st.chosen.pop(st.compacted, None)
            st.compacted += 1
        return effects
