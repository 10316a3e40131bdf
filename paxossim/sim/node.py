"""A process of the cluster: hosts roles, turns their effects into sends and timers.

A crash stops delivery and kills the node's timers; the roles' volatile state goes with
them. A restart builds fresh roles on the node's stable storage, which is all that
survives (a bug switch may make even that forgetful).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paxossim.protocol import (
    Accept,
    Accepted,
    AcceptorStorage,
    CancelTimer,
    Decide,
    Decided,
    Learned,
    LearnerStorage,
    Nack,
    Poll,
    Prepare,
    Promise,
    ProposerStorage,
    RoundAbandoned,
    RoundStarted,
    Send,
    SetTimer,
    ValueAdopted,
)
from paxossim.protocol.effects import LeadershipChanged
from paxossim.protocol.election import ElectorStorage
from paxossim.protocol.messages import Ask, Forward, Heartbeat

if TYPE_CHECKING:
    from paxossim.sim.world import World

_TO_ACCEPTOR = frozenset({Prepare, Accept, Poll})
_TO_PROPOSER = frozenset({Promise, Nack, Accepted, Heartbeat, Forward})
_TO_LEARNER = frozenset({Accepted, Decide, Ask})


@dataclass(slots=True)
class Storage:
    """A node's stable storage, one part per role it hosts."""

    proposer: ProposerStorage | None = None
    acceptor: AcceptorStorage | None = None
    learner: LearnerStorage | None = None
    elector: ElectorStorage | None = None


class Node:
    __slots__ = (
        "id", "world", "network", "env", "checker", "up", "make_roles", "storage", "proposer",
        "acceptor", "learner", "_timers",
    )  # fmt: skip

    def __init__(
        self,
        node_id: int,
        world: "World",
        storage: Storage,
        make_roles: Callable[["Node", bool], tuple],
    ):
        self.id = node_id
        self.world = world
        self.network = world.network
        self.env = world.env
        self.checker = world.checker
        self.storage = storage
        self.make_roles = make_roles  # (node, restarted) -> (proposer, acceptor, learner)
        self.up = True
        self._timers: dict[tuple[Any, str], int] = {}
        self.proposer, self.acceptor, self.learner = make_roles(self, False)

    # -- inputs -------------------------------------------------------------------------

    def receive(self, src: int, msg: Any) -> None:
        kind = type(msg)
        if kind in _TO_ACCEPTOR:
            acceptor = self.acceptor
            if acceptor is not None:
                self.apply(acceptor, acceptor.handle(src, msg))
                self.checker.acceptor_step(self.id, acceptor.storage, self.env.now)
            return
        if kind in _TO_PROPOSER and self.proposer is not None:
            self.apply(self.proposer, self.proposer.handle(src, msg))
        if kind in _TO_LEARNER and self.learner is not None:
            self.apply(self.learner, self.learner.handle(src, msg))

    def boot(self) -> None:
        """Roles that act on their own from the start: an elector, a polling learner."""
        if not self.up:
            return
        boot = getattr(self.proposer, "boot", None)
        if boot is not None:
            self.apply(self.proposer, boot())
        if self.learner is not None:
            self.apply(self.learner, self.learner.start())

    def start_proposing(self) -> None:
        if self.up and self.proposer is not None:
            self.apply(self.proposer, self.proposer.start())

    def _fire(self, event: Any) -> None:
        role, name, token = event._value
        if self._timers.get((role, name)) != token:
            return  # cancelled, replaced, or killed by a crash
        del self._timers[(role, name)]
        self.apply(role, role.on_timer(name))

    # -- faults -------------------------------------------------------------------------

    def crash(self) -> None:
        if not self.up:
            return
        self.up = False
        self._timers.clear()
        self.world.on_crash(self)
        self.proposer = self.acceptor = self.learner = None

    def restart(self) -> None:
        if self.up:
            return
        self.up = True
        self.proposer, self.acceptor, self.learner = self.make_roles(self, True)
        self.world.on_restart(self)
        self.boot()

    # -- effects ------------------------------------------------------------------------

    def apply(self, role: Any, effects: list) -> None:
        for effect in effects:
            if type(effect) is Send:
                self.network.send(self.id, effect.dsts, effect.msg)
            else:
                _APPLY[type(effect)](self, role, effect)

    def _set_timer(self, role: Any, e: SetTimer) -> None:
        token = next(self.world.tokens)
        self._timers[(role, e.name)] = token
        self.env.timeout(e.delay, (role, e.name, token)).callbacks.append(self._fire)

    def _cancel_timer(self, role: Any, e: CancelTimer) -> None:
        self._timers.pop((role, e.name), None)

    def _learned(self, role: Any, e: Learned) -> None:
        self.world.on_learned(self, e.value)
        if self.proposer is not None:
            self.apply(self.proposer, self.proposer.stop())

    def _report(self, role: Any, e: Any) -> None:
        self.world.on_proposer_event(self, e)


_APPLY: dict[type, Callable[[Node, Any, Any], None]] = {
    SetTimer: Node._set_timer,
    CancelTimer: Node._cancel_timer,
    Learned: Node._learned,
    RoundStarted: Node._report,
    RoundAbandoned: Node._report,
    ValueAdopted: Node._report,
    Decided: Node._report,
    LeadershipChanged: Node._report,
}
