"""The one observation point of a run: every step of every role passes through here.

The simulated nodes call every subscriber's `step` (`Observation.steppers`) for each
step, and the network calls `message` for each copy; the safety checker, the metrics and
the trace subscribe. None of them needs the world to route reports to it
by hand, so "checked after every step" holds by construction: a node cannot run a role
without the step reaching every observer.
"""

from typing import Any, Protocol

from paxossim.protocol.role import Role


class Observer(Protocol):
    def step(
        self, now: float, node: int, role: Role | None, src: int, cause: Any, effects: list
    ) -> None:
        """`role` on `node` took a step at `now` because of `cause` (a message from `src`,
        or a `paxossim.observe.steps` cause with `src` = `node`), and returned `effects`
        (not yet carried out). `role` is None for the node-level step of a fault."""

    def message(
        self, now: float, event: str, src: int, dst: int, msg: Any, copy: int, why: str
    ) -> None:
        """The network sent, duplicated, dropped or delivered a copy of `msg`."""


class Observation:
    """The subscribers of one run, in the order they subscribed (each step reaches them in
    that order)."""

    __slots__ = ("observers", "wants_messages", "steppers", "_messages")

    def __init__(self, *observers: Any):
        self.observers = tuple(observers)
        #: the subscribers' step methods, bound once: nodes call each in turn for every
        #: step (the hot path)
        self.steppers = tuple(o.step for o in observers)
        self._messages = tuple(o.message for o in observers if hasattr(o, "message"))
        #: only the trace wants every copy; the network skips the call when nobody does
        self.wants_messages = bool(self._messages)

    def message(
        self, now: float, event: str, src: int, dst: int, msg: Any, copy: int, why: str = ""
    ) -> None:
        for message in self._messages:
            message(now, event, src, dst, msg, copy, why)
