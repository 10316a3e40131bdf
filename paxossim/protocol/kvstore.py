"""The replicated state machine: a key-value store, and the commands clients send it.

"The system implements a ... deterministic state machine that performs client commands"
(Paxos Made Simple, 3): every replica applies the same commands in the same (slot) order,
so every replica holds the same store. A slot's value is a batch: a tuple of commands,
the empty batch being the no-op a new leader fills holes of the log with.

A client may send a command more than once (it retries after a timeout, the network
duplicates it, two proposers both propose it), so the same command can be chosen in two
slots. A replica applies each (client, seq) once, the first time it appears in slot
order, and remembers its result to answer a retried request.
"""

from dataclasses import dataclass, field
from typing import Any

#: The no-op: a batch of no commands.
NOOP: tuple = ()


@dataclass(frozen=True, slots=True)
class Command:
    """Client `client`'s `seq`-th command: `op` is "get", "put", "append" or "cas" on
    `key`; `value` is what put/append write (cas: the new value), `expected` what a cas
    expects to find (None: the key is absent)."""

    client: int
    seq: int
    op: str
    key: str
    value: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        args = {
            "get": "",
            "put": f", {self.value}",
            "append": f", {self.value}",
            "cas": f", {self.expected}->{self.value}",
        }[self.op]
        return f"c{self.client}#{self.seq} {self.op}({self.key}{args})"


OK, FAIL = "ok", "fail"


@dataclass(slots=True)
class KVStore:
    """The store, with what each client command returned (to answer a retry)."""

    data: dict[str, str] = field(default_factory=dict)
    results: dict[tuple[int, int], Any] = field(default_factory=dict)  # (client, seq) -> result

    def apply(self, batch: tuple[Command, ...]) -> tuple:
        """Apply the commands of one slot in order; return what each returned, None for a
        command applied before (its first result stays in `results`)."""
        return tuple(self._apply(command) for command in batch)

    def _apply(self, c: Command) -> Any:
        key = (c.client, c.seq)
        if key in self.results:
            return None
        result = self.execute(c)
        self.results[key] = result
        return result

    def execute(self, c: Command) -> Any:
        """What `c` does to the store and returns: get the value (None if absent); put
        and append "ok"; cas "ok" if the key held `expected` (None: was absent), else
        "fail"."""
        data, op = self.data, c.op
        if op == "get":
            return data.get(c.key)
        if op == "put":
            data[c.key] = c.value
            return OK
        if op == "append":
            data[c.key] = data.get(c.key, "") + c.value
            return OK
        if op == "cas":
            if data.get(c.key) != c.expected:
                return FAIL
            data[c.key] = c.value
            return OK
        raise ValueError(f"unknown op {op!r}")
