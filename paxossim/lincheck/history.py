"""Operations as a client saw them: what it asked, what it was told, and when.

Linearizability (Herlihy & Wing 1990) is a property of a *history*: each operation has an
invocation (`call`) and a response (`ret`), and the history is linearizable if every
operation can be given a single instant between the two at which it took effect, so that
the operations, in the order of those instants, are a legal run of the sequential object.
An operation whose response never came (Jepsen's `:info`: a timeout, a crash) may or may
not have taken effect, at any time after its call; it is recorded with `ret=None`.

Real-time order: `a` precedes `b` if and only if `a.ret < b.call`, strictly. Two operations
where one returns at the very instant the other is called are concurrent (as in Porcupine,
which sorts calls before returns at equal times), so either order is allowed.
"""

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

READS = frozenset({"get", "read"})
WRITES = frozenset({"put", "write", "append"})
KINDS = READS | WRITES | {"cas"}


@dataclass(frozen=True, slots=True)
class Op:
    """One operation of one client.

    - `process`: the client that issued it.
    - `f`: "get", "put", "cas" or "append" ("read" and "write" for the register models).
    - `key`: the key, for the kv model; None for the register models.
    - `value`: the argument of put/write/append; `(expected, new)` for cas; None for a read.
    - `result`: for get/read the value read (None: absent); for cas True (it succeeded: it
      read `expected` and wrote `new`) or False (it read something else, changed nothing);
      None for put/write/append, and for every operation that never returned.
    - `call`, `ret`: invocation and response times; `ret=None`: it never returned.
    """

    process: int
    f: str
    key: Hashable
    value: Any
    result: Any
    call: float
    ret: float | None

    def __post_init__(self) -> None:
        if self.f not in KINDS:
            raise ValueError(f"unknown operation {self.f!r}: not one of {sorted(KINDS)}")
        if not isinstance(self.call, Real) or not math.isfinite(self.call):
            raise ValueError(f"call time must be a finite number, not {self.call!r}")
        if self.ret is not None:
            if not isinstance(self.ret, Real) or math.isnan(self.ret):
                raise ValueError(f"ret must be a number or None (never returned): {self.ret!r}")
            if self.ret < self.call:
                raise ValueError(f"operation returns ({self.ret}) before its call ({self.call})")
        elif self.result is not None:
            raise ValueError("an operation that never returned has no result (result=None)")
        if self.f == "cas":
            if not (isinstance(self.value, tuple) and len(self.value) == 2):
                raise ValueError(f"cas value must be a tuple (expected, new): {self.value!r}")
            if self.ret is not None and not isinstance(self.result, bool):
                raise ValueError(f"cas result must be True or False: {self.result!r}")
        elif self.f in READS:
            if self.value is not None:
                raise ValueError(f"{self.f} takes no value: {self.value!r}")
        elif self.result is not None:
            raise ValueError(f"{self.f} has no result (None): {self.result!r}")

    @property
    def pending(self) -> bool:
        """It never returned: it may or may not have taken effect."""
        return self.ret is None


History = Sequence[Op]


def read(process: int, result: Any, call: float, ret: float | None) -> Op:
    """A register read that returned `result` (None: nothing written yet)."""
    return Op(process, "read", None, None, result if ret is not None else None, call, ret)


def write(process: int, value: Any, call: float, ret: float | None) -> Op:
    """A register write."""
    return Op(process, "write", None, value, None, call, ret)


def cas(
    process: int,
    expected: Any,
    new: Any,
    ok: bool | None,
    call: float,
    ret: float | None,
    key: Hashable = None,
) -> Op:
    """A compare-and-set that succeeded (`ok=True`), failed (False) or never returned."""
    return Op(process, "cas", key, (expected, new), ok if ret is not None else None, call, ret)


def get(process: int, key: Hashable, result: Any, call: float, ret: float | None) -> Op:
    """A kv get that returned `result` (None: absent)."""
    return Op(process, "get", key, None, result if ret is not None else None, call, ret)


def put(process: int, key: Hashable, value: Any, call: float, ret: float | None) -> Op:
    """A kv put."""
    return Op(process, "put", key, value, None, call, ret)


def append(process: int, key: Hashable, value: Any, call: float, ret: float | None) -> Op:
    """A kv append (see `models` for the rule)."""
    return Op(process, "append", key, value, None, call, ret)
