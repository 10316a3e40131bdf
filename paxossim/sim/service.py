"""The cost model: a node handles one delivered message at a time (`cluster.service_time`),
and an acceptor writes a promise or a vote to stable storage before it answers
(`cluster.fsync`).

Only the cluster's nodes have a `Server`, and only when the scenario has a service time or
an fsync; without either the network hands every copy to its node at once (the hot path,
untouched). With one:

- A copy that reaches a node that is up joins the node's FIFO queue (ties in arrival time
  in the order the copies were scheduled). The node serves the queue one copy at a time.
- Serving a copy takes a service time drawn when its service starts (one draw per copy, in
  the order services start, from the node's own stream `(SERVICE, node)`), plus the fsync
  if the copy is a prepare or an accept request its node's acceptor grants
  (`Acceptor.writes`: a promise or a vote, a repeated one too; refusals and polls pay
  none). Nothing else can touch the acceptor between the start and the end of a service,
  so the judgement made at the start holds at the end.
- The step runs whole at the end of the service: the roles' code, the observation point,
  then the effects (sends, timers). So a promise or a vote exists, and is checked, from the
  end of its fsync, and "observed before effects are carried out" holds as without costs.
  A copy whose service takes no time (fsync only, a step that writes nothing) is handled at
  once.
- The copy counts as delivered (`messages_delivered`, `duplicates_delivered`, the trace's
  `deliver`) when its step runs; until then it is in flight.
- Timers, faults, boot and a node's internal steps (a synod proposer's own input, a
  learner telling its proposer, a replica's applied commands) are not queued and take no
  time: they run at their instant, also while the node is busy.
- A crash loses the copy in service and every queued one: each is dropped at the crash, with
  reason `receiver down`. A step is never half done: a copy lost in its fsync wrote
  nothing.
"""

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import simpy

if TYPE_CHECKING:
    from paxossim.sim.network import Network
    from paxossim.sim.node import Node

#: A copy waiting for, or in, service: (src, msg, copy id, whether it is a duplicate).
Item = tuple[int, Any, int, bool]


class Server:
    __slots__ = (
        "node", "env", "network", "draw", "fsync", "_queue", "_item", "_pending", "_done_cb",
    )  # fmt: skip

    def __init__(
        self,
        node: "Node",
        env: simpy.Environment,
        network: "Network",
        draw: Callable[[], float] | None,
        fsync: float,
    ):
        """`draw` gives each service time (None: no service time); `fsync` is added to
        the service of a step that writes the acceptor's stable storage."""
        self.node = node
        self.env = env
        self.network = network
        self.draw = draw
        self.fsync = fsync
        self._queue: deque[Item] = deque()
        self._item: Item | None = None  # the copy in service; None when the node is idle
        self._pending: simpy.Event | None = None  # the end of that service
        self._done_cb = self._done

    def arrive(self, item: Item) -> None:
        """A copy reached the node, which is up."""
        if self._item is None:
            self._serve(item)
        else:
            self._queue.append(item)

    def _cost(self, msg: Any) -> float:
        cost = 0.0 if self.draw is None else self.draw()
        if self.fsync:
            acceptor = self.node.acceptor
            if acceptor is not None and acceptor.writes(msg):
                cost += self.fsync
        return cost

    def _serve(self, item: Item | None) -> None:
        """Serve `item`, then the queue, until a service takes time or the queue is empty."""
        while item is not None:
            self._item = item
            cost = self._cost(item[1])
            if cost > 0:
                event = self._pending = self.env.timeout(cost, item)
                event.callbacks.append(self._done_cb)
                return
            self._handle(item)
            item = self._queue.popleft() if self._queue else None
        self._item = None

    def _done(self, event: simpy.Event) -> None:
        if event is not self._pending:
            return  # the node crashed during this service: the copy is gone
        self._pending = None
        self._handle(event._value)
        self._serve(self._queue.popleft() if self._queue else None)

    def _handle(self, item: Item) -> None:
        src, msg, copy, duplicate = item
        self.network.handled(src, self.node.id, msg, copy, duplicate)

    def crash(self) -> None:
        """The node crashed: the copy in service and the queued ones are lost."""
        lost = ([self._item] if self._item is not None else []) + list(self._queue)
        self._item = self._pending = None
        self._queue.clear()
        for src, msg, copy, _ in lost:
            self.network.lost(src, self.node.id, msg, copy)
