"""Messages between roles: immutable, so a duplicated delivery cannot alias state.

The sender is not a field: the network hands every delivery over as (src, message).
"""

from dataclasses import dataclass
from typing import Any

from paxossim.protocol.ballot import Ballot


@dataclass(frozen=True, slots=True)
class Prepare:
    """Phase 1a: "a prepare request with number n"."""

    ballot: Ballot


@dataclass(frozen=True, slots=True)
class Promise:
    """Phase 1b: a promise not to accept below `ballot`, with the highest proposal accepted."""

    ballot: Ballot
    accepted_ballot: Ballot
    accepted_value: Any


@dataclass(frozen=True, slots=True)
class Accept:
    """Phase 2a: "an accept request for a proposal numbered n with value v"."""

    ballot: Ballot
    value: Any


@dataclass(frozen=True, slots=True)
class Accepted:
    """Phase 2b: an acceptor's vote, sent to the ballot's proposer and to learners."""

    ballot: Ballot
    value: Any


@dataclass(frozen=True, slots=True)
class Nack:
    """The paper's optimization: tell a proposer it has been overtaken by `promised`."""

    ballot: Ballot
    promised: Ballot


@dataclass(frozen=True, slots=True)
class Decide:
    """A distinguished learner tells the other learners the chosen value."""

    value: Any


@dataclass(frozen=True, slots=True)
class Poll:
    """A learner asks an acceptor what it has accepted (answered with `Accepted`)."""


@dataclass(frozen=True, slots=True)
class Ask:
    """A learner that missed the choice asks another learner (answered with `Decide`)."""


@dataclass(frozen=True, slots=True)
class Reissue:
    """A learner that still cannot find out the chosen value asks a proposer to run a
    ballot: "it can have a proposer issue a proposal" (Paxos Made Simple, 2.3)."""


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The leader's "I am alive and lead in `term`", sent to the other proposer nodes;
    `wants_value` while it has no value to propose, so that a follower whose hand-over
    was lost hands its value over again."""

    term: int
    leader: int
    wants_value: bool = False


@dataclass(frozen=True, slots=True)
class Forward:
    """A proposer that does not lead hands its value to the one it believes leads."""

    value: Any
