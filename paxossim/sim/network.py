"""The network between nodes: delay, loss, duplication and partitions.

Every message, also one a node sends to itself, goes through here. Each copy in flight
is one SimPy timeout whose callback delivers it: one event per delivery, no process.
Reordering follows from independent delays.
"""

import functools
import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from paxossim.observe.metrics import NetworkStats
from paxossim.observe.observation import Observation
from paxossim.scenario import Network as NetworkSpec
from paxossim.sim.budget import Budget
from paxossim.sim.rng import Draws, Lazy, uniforms

DELAYS, LOSSES, DUPLICATES = 0, 1, 2  # sub-streams of the network's stream

if TYPE_CHECKING:
    from paxossim.sim.node import Node


class Partitions:
    """Time windows in which messages between different groups are dropped.

    A node named in no group of a window is cut off from every other node then.
    """

    __slots__ = ("_windows",)

    def __init__(self, spec: NetworkSpec, horizon: float):
        self._windows = [
            (
                p.start,
                horizon if p.end is None else p.end,
                {node: g for g, group in enumerate(p.groups) for node in group},
            )
            for p in spec.partitions
        ]

    def __bool__(self) -> bool:
        return bool(self._windows)

    def cut(self, src: int, dst: int, now: float) -> bool:
        for start, end, group_of in self._windows:
            if start <= now < end and group_of.get(src, -1 - src) != group_of.get(dst, -1 - dst):
                return True
        return False


class Network:
    __slots__ = (
        "env", "nodes", "stats", "observation", "budget", "loss", "duplicate", "lossy_until",
        "partitions", "_delay", "_lose", "_duplicate", "_partitioned", "_deliver_cb", "_copy_cb",
        "_plain", "_copies", "_tell",
    )  # fmt: skip

    def __init__(
        self,
        env: simpy.Environment,
        spec: NetworkSpec,
        horizon: float,
        rng: Callable[[int], np.random.Generator],
        stats: NetworkStats,
        observation: Observation,
        budget: Budget,
    ):
        """`rng(k)` makes the Generator of sub-stream k: delays, losses and duplications
        each draw from their own, so a change of the loss rate leaves every delay alone.
        Every copy's fate goes to `observation` when a subscriber wants messages."""
        self.env = env
        self.nodes: list[Node] = []
        self.stats = stats
        self.observation = observation
        self.budget = budget
        self._tell = observation.wants_messages
        self.loss = spec.loss
        self.duplicate = spec.duplicate
        self.lossy_until = math.inf if spec.lossy_until is None else spec.lossy_until
        self.partitions = Partitions(spec, horizon)
        self._partitioned = bool(self.partitions)
        if spec.delay.dist == "constant":
            self._delay = functools.partial(float, spec.delay.value)
        else:
            self._delay = Draws(spec.delay.sample, Lazy(lambda: rng(DELAYS)).get)
        self._lose = uniforms(Lazy(lambda: rng(LOSSES)).get)
        self._duplicate = uniforms(Lazy(lambda: rng(DUPLICATES)).get)
        self._copies = itertools.count()  # ids of message copies, to pair sends and deliveries
        self._deliver_cb = self._deliver
        self._copy_cb = self._deliver_copy
        self._plain = not (self.loss or self.duplicate or self._partitioned or self._tell)

    def send(self, src: int, dsts: tuple[int, ...], msg: Any) -> None:
        self.stats.messages_sent += len(dsts)
        if self._plain:  # the hot path: nothing to decide per copy but its delay
            timeout, delay, deliver = self.env.timeout, self._delay, self._deliver_cb
            for dst in dsts:
                timeout(delay(), (src, dst, msg, -1)).callbacks.append(deliver)
            return
        now, tell = self.env.now, self._tell
        lossy = now < self.lossy_until  # after it, every copy arrives, once
        for dst in dsts:
            copy = next(self._copies)
            if tell:
                self.observation.message(now, "send", src, dst, msg, copy)
            if self._partitioned and self.partitions.cut(src, dst, now):
                self._drop(src, dst, msg, "partition", copy)
                continue
            if lossy and self.loss and self._lose() < self.loss:
                self._drop(src, dst, msg, "loss", copy)
                continue
            self.env.timeout(self._delay(), (src, dst, msg, copy)).callbacks.append(
                self._deliver_cb
            )
            if lossy and self.duplicate and self._duplicate() < self.duplicate:
                self.stats.messages_duplicated += 1
                extra = next(self._copies)
                if tell:
                    self.observation.message(
                        now, "duplicate", src, dst, msg, extra, f"copy of {copy}"
                    )
                self.env.timeout(self._delay(), (src, dst, msg, extra)).callbacks.append(
                    self._copy_cb
                )

    def _deliver(self, event: simpy.Event) -> None:
        self.budget.spend()
        src, dst, msg, copy = event._value
        node = self.nodes[dst]
        if not node.up:
            self._drop(src, dst, msg, "receiver down", copy)
            return
        self.stats.messages_delivered += 1
        if self._tell:
            self.observation.message(self.env.now, "deliver", src, dst, msg, copy)
        node.receive(src, msg)

    def _deliver_copy(self, event: simpy.Event) -> None:
        up = self.nodes[event._value[1]].up
        self._deliver(event)  # counted once delivered, so a spent budget counts nothing
        if up:
            self.stats.duplicates_delivered += 1

    # -- with a cost model (paxossim.sim.service): copies queue at their receiver -------

    def serve(self) -> None:
        """From now on a copy that reaches a node with a `server` joins its queue, and
        counts as delivered when the node handles it (`handled`)."""
        self._deliver_cb = self._arrive
        self._copy_cb = self._arrive_copy

    def _arrive(self, event: simpy.Event, duplicate: bool = False) -> None:
        self.budget.spend()
        src, dst, msg, copy = event._value
        node = self.nodes[dst]
        if not node.up:
            self._drop(src, dst, msg, "receiver down", copy)
        elif node.server is None:  # a client: no cost
            self.handled(src, dst, msg, copy, duplicate)
        else:
            node.server.arrive((src, msg, copy, duplicate))

    def _arrive_copy(self, event: simpy.Event) -> None:
        self._arrive(event, True)

    def handled(self, src: int, dst: int, msg: Any, copy: int, duplicate: bool) -> None:
        """Node `dst` handles a copy now: its step runs."""
        self.stats.messages_delivered += 1
        if self._tell:
            self.observation.message(self.env.now, "deliver", src, dst, msg, copy)
        self.nodes[dst].receive(src, msg)
        if duplicate:
            self.stats.duplicates_delivered += 1

    def lost(self, src: int, dst: int, msg: Any, copy: int) -> None:
        """A copy that reached `dst` was still queued or in service when it crashed."""
        self._drop(src, dst, msg, "receiver down", copy)

    def _drop(self, src: int, dst: int, msg: Any, why: str, copy: int) -> None:
        self.stats.messages_dropped += 1
        if self._tell:
            self.observation.message(self.env.now, "drop", src, dst, msg, copy, why)
