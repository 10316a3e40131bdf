"""What makes a role take a step, other than a delivered message.

A step is one call into one role: a message delivered to it, one of its timers firing,
a fault of its node, its node booting, a client's request (the workload), or its node's
learner telling it that a value is chosen. Observers are handed the cause with the
step; a delivery's cause is the message itself.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Timer:
    """The role's timer `name` fired."""

    name: str


@dataclass(frozen=True, slots=True)
class Propose:
    """A client asks the node's proposer to propose `value` (the proposer's input)."""

    value: Any


@dataclass(frozen=True, slots=True)
class Boot:
    """The node starts (at time 0, or after a restart): roles that act on their own start."""


@dataclass(frozen=True, slots=True)
class Crash:
    """The node crashes: the role is lost with its volatile state (a node-level step
    has no role)."""


@dataclass(frozen=True, slots=True)
class Restart:
    """The node restarted: the role was rebuilt from stable storage (a node-level step
    has no role)."""


@dataclass(frozen=True, slots=True)
class Stop:
    """The node's learner learned the chosen value: its proposer has nothing left to do."""


BOOT, CRASH, RESTART, STOP = Boot(), Crash(), Restart(), Stop()
