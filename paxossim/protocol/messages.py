"""Messages between roles: immutable, so a duplicated delivery cannot alias state.

The sender is not a field: the network hands every delivery over as (src, message).
Every message of the synod names its `slot`, the instance of the synod it belongs to: a
single-decree run uses slot 0 only, a replicated log one slot per position of the log
(Paxos Made Simple, 3). Phase 1 may cover a slot and every slot above it (`upward`),
which is how a leader runs phase 1 once for all the instances it will use.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple

from paxossim.protocol.ballot import Ballot


class Vote(NamedTuple):
    """An acceptor's vote in one slot, as a promise reports it."""

    slot: int
    ballot: Ballot
    value: Any


@dataclass(frozen=True, slots=True)
class Prepare:
    """Phase 1a: "a prepare request with number n", for `slot`, or for `slot` and every
    slot above it if `upward`."""

    ballot: Ballot
    slot: int = 0
    upward: bool = False


@dataclass(frozen=True, slots=True)
class Promise:
    """Phase 1b: a promise not to accept below `ballot` in the slots the prepare named,
    with the highest-numbered proposal accepted in each of them (`votes`, by slot; none
    where the acceptor never voted)."""

    ballot: Ballot
    votes: tuple[Vote, ...] = ()
    slot: int = 0
    upward: bool = False


@dataclass(frozen=True, slots=True)
class Accept:
    """Phase 2a: "an accept request for a proposal numbered n with value v"."""

    ballot: Ballot
    value: Any
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Accepted:
    """Phase 2b: an acceptor's vote, sent to the ballot's proposer and to learners."""

    ballot: Ballot
    value: Any
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Nack:
    """The paper's optimization: tell a proposer it has been overtaken by `promised`."""

    ballot: Ballot
    promised: Ballot
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Decide:
    """A learner tells another learner the value chosen in `slot`."""

    value: Any
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Poll:
    """A learner asks an acceptor what it has accepted in `slot` and the slots above
    (answered with an `Accepted` per slot it voted in, at most `POLL_SLOTS` of them)."""

    slot: int = 0


@dataclass(frozen=True, slots=True)
class Ask:
    """A learner that missed a choice asks another learner about `slot` and the slots
    above (answered with a `Decide` per slot it knows, at most `POLL_SLOTS` of them)."""

    slot: int = 0


#: The most slots one answer to a Poll or an Ask covers: a learner far behind catches up
#: in several exchanges rather than by one flood of messages.
POLL_SLOTS = 64


def slots_from(table: dict[int, Any], first: int, top: int) -> list[int]:
    """The slots of `table` from `first` on, in order, at most POLL_SLOTS of them
    (`top` is the highest slot in it): a walk up from `first`, not a scan of the log."""
    slots: list[int] = []
    for slot in range(first, top + 1):
        if slot in table:
            slots.append(slot)
            if len(slots) == POLL_SLOTS:
                break
    return slots


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


@dataclass(frozen=True, slots=True)
class Request:
    """A client asks a proposer node to have `command` executed (again, on a retry)."""

    command: Any


@dataclass(frozen=True, slots=True)
class Reply:
    """What the command `seq` of the client returned, once the replying node's replica
    applied it."""

    seq: int
    result: Any


@dataclass(frozen=True, slots=True)
class Redirect:
    """A proposer node that does not lead tells a client which node it believes leads
    (None: it knows of none)."""

    seq: int
    leader: int | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """State transfer: a replica that has compacted the slots a peer asks about sends
    its state machine instead, as it stands once slots 0 .. applied-1 are applied
    (`data` and `results` as sorted (key, value) pairs)."""

    applied: int
    data: tuple
    results: tuple
