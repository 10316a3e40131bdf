"""A client of the replicated key-value store: a node with no protocol role.

It sends each command to the proposer node it believes leads (leaderless: to one drawn
per request), waits `request_timeout` for the reply, and then sends the same command
(same sequence number, so it is applied at most once) again: to the next proposer node
in turn if it believed in a leader, to a new draw if not. A redirect names the leader
and is followed at once. Closed loop: one command outstanding, the next `think_time`
after each reply. Open loop: commands arrive at `rate` per second (Poisson), whatever
is outstanding.

Every draw (operation, key, expected value, arrival gap, proposer) comes from the
client's own random stream, in the order of its steps.
"""

from typing import Any, ClassVar

from paxossim.protocol.effects import Responded, Send, SetTimer, Submitted
from paxossim.protocol.kvstore import Command
from paxossim.protocol.messages import Redirect, Reply, Request
from paxossim.protocol.role import Role

THINK, ARRIVE = "think", "arrive"
TIMEOUT = "timeout:"  # + the command's sequence number
SEEN = 8  # values remembered per key, the most recent, to draw a cas's expected value


class Client(Role):
    __slots__ = (
        "node", "proposers", "requests", "keys", "mix", "rng", "think_time", "rate",
        "request_timeout", "leader_mode", "leader", "issued", "outstanding", "seen",
    )  # fmt: skip

    KIND: ClassVar[str] = "client"
    HANDLERS: ClassVar[dict[type, str]] = {Reply: "on_reply", Redirect: "on_redirect"}

    def __init__(
        self,
        node: int,
        proposers: tuple[int, ...],
        requests: int,
        keys: int,
        mix: tuple[tuple[str, float], ...],
        rng: Any,
        request_timeout: float,
        *,
        think_time: float | None = 0.0,
        rate: float | None = None,
        leader_mode: bool = True,
    ):
        self.node = node
        self.proposers = proposers
        self.requests = requests
        self.keys = keys
        self.mix = mix  # (op, probability), the probabilities summing to 1
        self.rng = rng  # a numpy Generator: the client's own stream
        self.request_timeout = request_timeout
        self.think_time = think_time  # closed loop
        self.rate = rate  # open loop (if not None)
        self.leader_mode = leader_mode
        self.leader = proposers[0]  # who it believes leads: at first the lowest proposer
        self.issued = 0
        self.outstanding: dict[int, tuple[Command, int]] = {}  # seq -> (command, sent to)
        self.seen: dict[str, list[Any]] = {}  # key -> values it has seen there

    def start(self) -> list:
        if self.requests == 0:
            return []
        if self.rate is not None:
            return [SetTimer(ARRIVE, self.rng.exponential(1.0 / self.rate))]
        return self._issue()

    def resume(self) -> list:
        """After its node restarted (its timers died): send every outstanding command
        again, or the next one if none is outstanding (closed loop); a client that was
        down when it was to start starts now."""
        if self.issued == 0:
            return self.start()
        effects: list = []
        for seq in sorted(self.outstanding):
            effects.extend(self._send(seq, retry=True))
        if self.rate is not None:
            if self.issued < self.requests:
                effects.append(SetTimer(ARRIVE, self.rng.exponential(1.0 / self.rate)))
        elif not self.outstanding:
            effects.extend(self._issue())
        return effects

    def on_timer(self, name: str) -> list:
        if name == THINK or name == ARRIVE:
            effects = self._issue()
            if name == ARRIVE and self.issued < self.requests:
                effects.append(SetTimer(ARRIVE, self.rng.exponential(1.0 / self.rate)))
            return effects
        if name.startswith(TIMEOUT):
            seq = int(name[len(TIMEOUT) :])
            if seq in self.outstanding:
                if self.leader_mode:
                    i = self.proposers.index(self.leader) if self.leader in self.proposers else -1
                    self.leader = self.proposers[(i + 1) % len(self.proposers)]
                return self._send(seq, retry=True)
        return []

    def on_reply(self, src: int, msg: Reply) -> list:
        entry = self.outstanding.pop(msg.seq, None)
        if entry is None:
            return []  # a duplicate reply, or one to a request answered already
        command = entry[0]
        if self.leader_mode:
            self.leader = src
        if command.op == "get":
            self._saw(command.key, msg.result)
        elif command.op == "put" or command.op == "cas" and msg.result == "ok":
            self._saw(command.key, command.value)
        effects: list = [Responded(command, msg.result)]
        if self.rate is None and self.issued < self.requests:
            if self.think_time:
                effects.append(SetTimer(THINK, self.think_time))
            else:
                effects.extend(self._issue())
        return effects

    def on_redirect(self, src: int, msg: Redirect) -> list:
        if msg.seq not in self.outstanding or msg.leader is None or msg.leader == self.leader:
            return []
        self.leader = msg.leader
        return self._send(msg.seq, retry=True)

    def _issue(self) -> list:
        if self.issued >= self.requests:
            return []
        self.issued += 1
        seq = self.issued
        op = self._draw_op()
        key = f"k{self.rng.integers(self.keys)}"
        value = expected = None
        if op != "get":
            value = f"c{self.node}.{seq}"
        if op == "cas":
            seen = self.seen.get(key)
            expected = seen[self.rng.integers(len(seen))] if seen else None
        self.outstanding[seq] = (Command(self.node, seq, op, key, value, expected), -1)
        return self._send(seq, retry=False)

    def _draw_op(self) -> str:
        u = self.rng.random()
        for op, p in self.mix:
            if u < p:
                return op
            u -= p
        return self.mix[-1][0]

    def _send(self, seq: int, retry: bool) -> list:
        command = self.outstanding[seq][0]
        if self.leader_mode:
            target = self.leader
        else:
            target = self.proposers[self.rng.integers(len(self.proposers))]
        self.outstanding[seq] = (command, target)
        return [
            Submitted(command, target, retry),
            Send((target,), Request(command)),
            SetTimer(f"{TIMEOUT}{seq}", self.request_timeout),
        ]

    def _saw(self, key: str, value: Any) -> None:
        seen = self.seen.setdefault(key, [])
        if value not in seen:
            seen.append(value)
            if len(seen) > SEEN:
                del seen[0]
