"""A process of the cluster: hosts roles, runs their steps, turns their effects into
sends and timers.

Every call into a role is a step, and every step goes through `_step`, which hands it to
the run's observation point before its effects are carried out: no role runs unobserved.
A delivery goes to exactly the roles whose `HANDLERS` name the message's type.

A crash stops delivery and kills the node's timers; the roles' volatile state goes with
them. A restart builds fresh roles on the node's stable storage, which is all that
survives (a bug switch may make even that forgetful).

With a cost model (`cluster.service_time`, `cluster.fsync`) the network hands a copy to
the node's `server` (`paxossim.sim.service`) instead, which queues it and calls `receive`
when its service ends; a crash empties that queue.
"""

from collections.abc import Callable
from typing import Any

import simpy

from paxossim.observe.steps import BOOT, CRASH, RESTART, STOP, Propose, Timer
from paxossim.protocol import CancelTimer, Learned, Send, SetTimer
from paxossim.protocol.effects import Applied, Installed
from paxossim.sim.budget import Budget
from paxossim.sim.cluster import Storage
from paxossim.sim.service import Server


class _Timer:
    """One armed timer of a role. It owns at most one pending SimPy event (at `at`);
    re-arming it later only moves `deadline`, and cancelling it clears `deadline`, so a
    timer that is re-armed or cancelled again and again costs no memory and one event
    per expiry, not one per re-arming."""

    __slots__ = ("role", "name", "deadline", "at")

    def __init__(self, role: Any, name: str, deadline: float):
        self.role = role
        self.name = name
        self.deadline: float | None = deadline
        self.at = deadline


_ROUTE_TABLES: dict[tuple[type, ...], dict[type, tuple[tuple[int, Callable], ...]]] = {}


def _route_table(classes: tuple[type, ...]) -> dict[type, tuple[tuple[int, Callable], ...]]:
    """message type -> (role slot, handler function) of the roles of these classes, in
    slot order (proposer, acceptor, learner); worked out once per combination of
    classes, from each class's HANDLERS."""
    table = _ROUTE_TABLES.get(classes)
    if table is None:
        routes: dict[type, list[tuple[int, Callable]]] = {}
        for slot, cls in enumerate(classes):
            for kind, method in getattr(cls, "HANDLERS", {}).items():
                routes.setdefault(kind, []).append((slot, getattr(cls, method)))
        table = _ROUTE_TABLES[classes] = {k: tuple(v) for k, v in routes.items()}
    return table


class Node:
    __slots__ = (
        "id", "env", "network", "observers", "budget", "up", "storage", "make_roles",
        "proposal", "proposer", "acceptor", "learner", "_roles", "_routes", "_timers",
        "_causes", "server",
    )  # fmt: skip

    def __init__(
        self,
        node_id: int,
        env: simpy.Environment,
        network: Any,
        observers: tuple[Callable[..., None], ...],
        budget: Budget,
        storage: Storage,
        make_roles: Callable[[int, Storage, bool], tuple],
    ):
        self.id = node_id
        self.env = env
        self.network = network
        self.observers = observers  # the run's Observation.steppers
        self.budget = budget
        self.storage = storage
        self.make_roles = make_roles  # (node, storage, restarted) -> (proposer, acceptor, learner)
        self.proposal: tuple[float, Any] | None = None  # (when, value) a client asks for
        self.up = True
        self.server: Server | None = None  # its queue, with a cost model (sim.service)
        self._timers: dict[tuple[Any, str], _Timer] = {}
        self._causes: dict[str, Timer] = {}
        self._set_roles(make_roles(node_id, storage, False))

    def _set_roles(self, roles: tuple) -> None:
        self.proposer, self.acceptor, self.learner = self._roles = roles
        self._routes = _route_table(tuple(type(r) for r in roles))

    @property
    def roles(self) -> tuple:
        return tuple(r for r in self._roles if r is not None)

    # -- steps --------------------------------------------------------------------------

    def observe(self, role: Any, src: int, cause: Any, effects: list) -> None:
        now, node = self.env.now, self.id
        for step in self.observers:
            step(now, node, role, src, cause, effects)

    def _step(self, role: Any, src: int, cause: Any, effects: list) -> None:
        self.observe(role, src, cause, effects)
        self.apply(role, effects)

    def receive(self, src: int, msg: Any) -> None:
        roles = self._roles
        for slot, handler in self._routes.get(type(msg), ()):
            role = roles[slot]
            self._step(role, src, msg, handler(role, src, msg))

    def boot(self) -> None:
        """Roles that act on their own from the start: an elector, a polling learner."""
        if not self.up:
            return
        boot = getattr(self.proposer, "boot", None)
        if boot is not None:
            self._step(self.proposer, self.id, BOOT, boot())
        if self.learner is not None:
            self._step(self.learner, self.id, BOOT, self.learner.start())

    def start_client(self) -> None:
        """A client node sends its first command."""
        if self.up:
            self._step(self.proposer, self.id, BOOT, self.proposer.start())

    def propose(self) -> None:
        """The client's request reaches the node's proposer (again after a restart)."""
        if self.up and self.proposer is not None and self.proposal is not None:
            value = self.proposal[1]
            self._step(self.proposer, self.id, Propose(value), self.proposer.start(value))

    def _fire(self, event: Any) -> None:
        self.budget.spend()
        t = event._value
        key = (t.role, t.name)
        if self._timers.get(key) is not t:
            return  # replaced by an earlier one, or killed by a crash
        if t.deadline is None:
            del self._timers[key]  # cancelled
            return
        now = self.env.now
        if now < t.deadline:  # re-armed later since this event was scheduled
            t.at = t.deadline
            self.env.timeout(t.deadline - now, t).callbacks.append(self._fire)
            return
        del self._timers[key]
        cause = self._causes.get(t.name)
        if cause is None:
            cause = self._causes[t.name] = Timer(t.name)
        self._step(t.role, self.id, cause, t.role.on_timer(t.name))

    # -- faults -------------------------------------------------------------------------

    def crash(self) -> None:
        if not self.up:
            return
        self.observe(None, self.id, CRASH, [])
        for role in self.roles:
            self.observe(role, self.id, CRASH, [])
        self.up = False
        self._timers.clear()
        if self.server is not None:
            self.server.crash()
        self._set_roles((None, None, None))

    def restart(self) -> None:
        if self.up:
            return
        self.up = True
        self._set_roles(self.make_roles(self.id, self.storage, True))
        now = self.env.now
        self.observe(None, self.id, RESTART, [])
        for role in self.roles:  # what survived the crash is checked like any step
            self.observe(role, self.id, RESTART, [])
        if self.proposer is not None and self.proposer.KIND == "client":
            if self.proposal is not None and now >= self.proposal[0]:  # it has started
                self._step(self.proposer, self.id, RESTART, self.proposer.resume())
            return
        done = self.learner is not None and self.learner.done
        if done and self.proposer is not None:
            self._step(self.proposer, self.id, STOP, self.proposer.stop())
        elif self.proposal is not None and now >= self.proposal[0]:
            self.propose()
        self.boot()

    # -- effects ------------------------------------------------------------------------

    def apply(self, role: Any, effects: list) -> None:
        for effect in effects:
            kind = type(effect)
            if kind is Send:
                self.network.send(self.id, effect.dsts, effect.msg)
            elif kind is SetTimer:
                self._set_timer(role, effect)
            elif kind is CancelTimer:
                timer = self._timers.get((role, effect.name))
                if timer is not None:
                    timer.deadline = None
            elif kind is Learned and self.proposer is not None and self.learner.done:
                self._step(self.proposer, self.id, STOP, self.proposer.stop())
            elif kind is Installed and self.proposer is not None:
                self._step(
                    self.proposer, self.id, effect, self.proposer.on_installed(effect.applied)
                )
            elif kind is Applied and self.proposer is not None:
                self._step(
                    self.proposer,
                    self.id,
                    effect,
                    self.proposer.on_applied(effect.slot, effect.value, effect.results),
                )
            # the rest (rounds, decisions, leadership) are for the observers only

    def _set_timer(self, role: Any, e: SetTimer) -> None:
        deadline = self.env.now + e.delay
        key = (role, e.name)
        timer = self._timers.get(key)
        if timer is not None and timer.at <= deadline:
            timer.deadline = deadline  # its pending event fires first and re-arms
            return
        timer = self._timers[key] = _Timer(role, e.name, deadline)
        self.env.timeout(e.delay, timer).callbacks.append(self._fire)
