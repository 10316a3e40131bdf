"""A process of the cluster: hosts roles, turns their effects into sends and timers.

A crash stops delivery and kills the node's timers; the roles' volatile state goes with
them. A restart builds fresh roles on the same stable storage objects, which are all
that survives (a bug switch may make even those forgetful).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from paxossim.protocol import (
    Accept,
    Accepted,
    Acceptor,
    CancelTimer,
    Decide,
    Decided,
    Learned,
    Learner,
    Nack,
    Poll,
    Prepare,
    Promise,
    Proposer,
    RoundAbandoned,
    RoundStarted,
    Send,
    SetTimer,
    ValueAdopted,
)

if TYPE_CHECKING:
    from paxossim.sim.world import World

RoleFactory = Callable[[], tuple[Proposer | None, Acceptor | None, Learner | None]]


class Node:
    __slots__ = (
        "id", "world", "up", "make_roles", "proposer", "acceptor", "learner", "_routes",
        "_timers",
    )  # fmt: skip

    def __init__(self, node_id: int, world: "World", make_roles: RoleFactory):
        self.id = node_id
        self.world = world
        self.make_roles = make_roles
        self.up = True
        self._timers: dict[tuple[Any, str], int] = {}
        self._build_roles()

    def _build_roles(self) -> None:
        self.proposer, self.acceptor, self.learner = self.make_roles()
        routes: dict[type, list] = {}
        for role, kinds in (
            (self.acceptor, (Prepare, Accept, Poll)),
            (self.proposer, (Promise, Nack, Accepted)),
            (self.learner, (Accepted, Decide)),
        ):
            if role is not None:
                for kind in kinds:
                    routes.setdefault(kind, []).append(role)
        self._routes = routes

    # -- inputs -------------------------------------------------------------------------

    def receive(self, src: int, msg: Any) -> None:
        for role in self._routes.get(type(msg), ()):
            self.apply(role, role.handle(src, msg))
            if role is self.acceptor:
                self.world.checker.acceptor_step(self.id, role.storage, self.world.env.now)

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
        self._routes = {}

    def restart(self) -> None:
        if self.up:
            return
        self.up = True
        self._build_roles()
        self.world.on_restart(self)
        if self.learner is not None:
            self.apply(self.learner, self.learner.start())

    # -- effects ------------------------------------------------------------------------

    def apply(self, role: Any, effects: list) -> None:
        for effect in effects:
            _APPLY[type(effect)](self, role, effect)

    def _send(self, role: Any, e: Send) -> None:
        self.world.network.send(self.id, e.dsts, e.msg)

    def _set_timer(self, role: Any, e: SetTimer) -> None:
        token = next(self.world.tokens)
        self._timers[(role, e.name)] = token
        self.world.env.timeout(e.delay, (role, e.name, token)).callbacks.append(self._fire)

    def _cancel_timer(self, role: Any, e: CancelTimer) -> None:
        self._timers.pop((role, e.name), None)

    def _learned(self, role: Any, e: Learned) -> None:
        self.world.on_learned(self, e.value)
        if self.proposer is not None:
            self.apply(self.proposer, self.proposer.stop())

    def _report(self, role: Any, e: Any) -> None:
        self.world.on_proposer_event(self, e)


_APPLY: dict[type, Callable[[Node, Any, Any], None]] = {
    Send: Node._send,
    SetTimer: Node._set_timer,
    CancelTimer: Node._cancel_timer,
    Learned: Node._learned,
    RoundStarted: Node._report,
    RoundAbandoned: Node._report,
    ValueAdopted: Node._report,
    Decided: Node._report,
}
