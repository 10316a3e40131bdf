"""The bug switches of `[bugs]`, all in one place, so that the roles read as the paper.

Each switch breaks Paxos the way real implementations have, to show that the safety
checker catches it. A switch is a mixin that overrides one hook of a role (a ballot
number, the value phase 2 carries, how votes are counted), or a rule for what survives a
restart; `role_classes` puts together the role classes a scenario's switches ask for.
`unsafe_quorum` has no code here: it only lets validation accept quorums that need not
intersect (see `paxossim.scenario`).
"""

from dataclasses import dataclass
from typing import Any

from paxossim.protocol.acceptor import Acceptor, AcceptorStorage
from paxossim.protocol.ballot import Ballot
from paxossim.protocol.effects import RoundStarted, Send, SetTimer
from paxossim.protocol.learner import Learner
from paxossim.protocol.messages import Accepted, Reply, Request
from paxossim.protocol.multipaxos import LogProposer
from paxossim.protocol.proposer import PHASE2, RETRY, Proposer, ProposerStorage


class IgnoreAccepted:
    """`ignore_accepted`: phase 2 always carries the proposer's own value, ignoring the
    proposals its promises reported (breaks P2c)."""

    __slots__ = ()

    def _phase2_value(self) -> Any:
        return None


class SharedBallots:
    """`ballot_reuse`: every proposer numbers its ballots as node 0 would, and (below) a
    restarted proposer forgets its highest round: two proposals get one number."""

    __slots__ = ()

    def _ballot(self, rnd: int) -> Ballot:
        return Ballot(rnd, 0)


class DecideOnCopies:
    """`decide_on_copies`: every copy of an `Accepted` counts towards the phase-2 quorum,
    so a duplicated vote makes a proposer decide on fewer voters than a quorum."""

    __slots__ = ()

    def _count_vote(self, src: int) -> int:
        self._votes.add((src, len(self._votes)))  # each copy is a new element
        return len(self._votes)


class StaleReads:
    """`stale_reads`: a node that believes it leads answers a get at once from its own
    replica's state, without the log, even when it has been deposed and does not know."""

    __slots__ = ()

    def on_request(self, src: int, msg: Request) -> list:
        command = msg.command
        if command.op == "get" and self.elector is not None and self.elector.leading:
            value = self.replica.machine.data.get(command.key)
            return [Send((src,), Reply(command.seq, value))]
        return super().on_request(src, msg)


class SkipPhase1:
    """`skip_phase1`: a new ballot goes straight to phase 2, from the first slot the
    node's replica lacks, without asking the acceptors what they accepted there."""

    __slots__ = ()

    def _new_round(self) -> list:
        self._next_ballot()
        self.first_slot = self.next_slot = self.replica.frontier
        self.state = PHASE2
        self.proposals, self._votes, self._progress = {}, {}, False
        return [RoundStarted(self.ballot), SetTimer(RETRY, self.retry_timeout), *self._pump()]


class MixBallots:
    """`learner_mixes_ballots`: a learner adds up votes for one value across ballots."""

    __slots__ = ()

    def _vote_key(self, msg: Accepted) -> Any:
        return msg.value


_PROPOSER_BUGS = {
    "ignore_accepted": IgnoreAccepted,
    "ballot_reuse": SharedBallots,
    "decide_on_copies": DecideOnCopies,
}
_LEARNER_BUGS = {"learner_mixes_ballots": MixBallots}
_LOG_PROPOSER_BUGS = {"stale_reads": StaleReads, "skip_phase1": SkipPhase1}


@dataclass(frozen=True)
class RoleClasses:
    """The classes a cluster builds its roles from."""

    proposer: type = Proposer
    acceptor: type = Acceptor
    learner: type = Learner
    log_proposer: type = LogProposer  # a kv scenario's proposer


def role_classes(switches: tuple[str, ...]) -> RoleClasses:
    """The role classes with the switches named in `switches` (a `Bugs.on`) mixed in."""
    return RoleClasses(
        proposer=_with(Proposer, [_PROPOSER_BUGS[s] for s in switches if s in _PROPOSER_BUGS]),
        learner=_with(Learner, [_LEARNER_BUGS[s] for s in switches if s in _LEARNER_BUGS]),
        log_proposer=_with(
            LogProposer, [_LOG_PROPOSER_BUGS[s] for s in switches if s in _LOG_PROPOSER_BUGS]
        ),
    )


def _with(base: type, mixins: list[type]) -> type:
    if not mixins:
        return base
    name = "".join(m.__name__ for m in mixins) + base.__name__
    return type(name, (*mixins, base), {"__slots__": ()})


def survive_restart(storage: Any, switches: tuple[str, ...]) -> Any:
    """What of a role's stable storage a restart keeps: all of it, unless a switch makes
    the node forgetful (`acceptor_amnesia`: promise and vote; `ballot_reuse`: the
    proposer's highest round)."""
    if "acceptor_amnesia" in switches and isinstance(storage, AcceptorStorage):
        return AcceptorStorage()
    if "ballot_reuse" in switches and isinstance(storage, ProposerStorage):
        return ProposerStorage()
    return storage
