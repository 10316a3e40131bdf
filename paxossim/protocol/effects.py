"""What a role asks the world to do, or tells the observer, after a step.

Roles return these instead of acting, which keeps them free of time and I/O.
"""

from dataclasses import dataclass
from typing import Any

from paxossim.protocol.ballot import Ballot


@dataclass(frozen=True, slots=True)
class Send:
    """Send `msg` to each node of `dsts` (a node may be the sender itself)."""

    dsts: tuple[int, ...]
    msg: Any


@dataclass(frozen=True, slots=True)
class SetTimer:
    """(Re)arm the role's timer `name` to fire after `delay`; arming again replaces it."""

    name: str
    delay: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    name: str


@dataclass(frozen=True, slots=True)
class RoundStarted:
    """A proposer began phase 1 of `ballot`."""

    ballot: Ballot


@dataclass(frozen=True, slots=True)
class RoundAbandoned:
    """A proposer gave up `ballot` in `phase` (1 or 2); `reason` is "nack", "timeout",
    or "deposed" (its node stopped believing it leads)."""

    ballot: Ballot
    reason: str
    phase: int


@dataclass(frozen=True, slots=True)
class ValueAdopted:
    """Phase 2 of `ballot` carries `value` in `slot`, taken from an earlier accepted
    proposal."""

    ballot: Ballot
    value: Any
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Decided:
    """A proposer saw a phase-2 quorum accept its proposal in `slot`."""

    ballot: Ballot
    value: Any
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Learned:
    """A learner learned that `value` is chosen in `slot`."""

    value: Any
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Applied:
    """A replica applied the value of `slot` (a batch of commands) to its state machine,
    every lower slot being applied already; `results` holds what each command returned,
    or None for a command it had applied before (a duplicate)."""

    slot: int
    value: Any
    results: tuple


@dataclass(frozen=True, slots=True)
class LeadershipChanged:
    """The node started (`leading`) or stopped believing it is the leader."""

    leading: bool
    term: int


@dataclass(frozen=True, slots=True)
class Installed:
    """A replica replaced its state by a peer's snapshot: slots 0 .. applied-1 are applied,
    giving the store `data` and the command results `results` (sorted pairs, as sent)."""

    applied: int
    data: tuple = ()
    results: tuple = ()


@dataclass(frozen=True, slots=True)
class Submitted:
    """A client sent `command` to `node` (`retry`: again, after a timeout or redirect)."""

    command: Any
    node: int
    retry: bool


@dataclass(frozen=True, slots=True)
class Responded:
    """A client got the reply to `command`: it returned `result`."""

    command: Any
    result: Any
