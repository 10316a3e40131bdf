"""What every role shares: one table, per role class, of the messages it handles.

The table is the single place that says which role hears which message: `handle` looks
a message up in it, and the simulated node routes a delivery to exactly the roles whose
table names the message's type (an `Accepted` goes to a node's proposer and its learner).
"""

from typing import Any, ClassVar


class Role:
    __slots__ = ()

    #: message type -> name of the method `(self, src, msg) -> effects` that handles it
    HANDLERS: ClassVar[dict[type, str]] = {}
    #: "proposer", "acceptor" or "learner": what observers of a step need to know of it
    KIND: ClassVar[str] = ""

    def handle(self, src: int, msg: Any) -> list:
        name = self.HANDLERS.get(type(msg))
        return getattr(self, name)(src, msg) if name is not None else []

    def on_timer(self, name: str) -> list:
        return []
