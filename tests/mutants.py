"""Deliberately broken roles for the mutation suite: each breaks one rule of the paper
in the role's own code (no bug switch), and the checker must catch it. They break the
synod of slot 0, which is all a single-decree run uses."""

from typing import Any

from paxossim.protocol import (
    Accepted,
    Acceptor,
    Learner,
    Promise,
    Proposer,
    Send,
)
from paxossim.protocol.bugs import RoleClasses
from paxossim.protocol.messages import Vote


def _promise(msg, st) -> Promise:
    vote = st.votes.get(0)
    return Promise(msg.ballot, () if vote is None else (Vote(0, *vote),))


class AcceptBelowPromise(Acceptor):
    """Accepts every accept request, whatever it promised."""

    __slots__ = ()

    def on_accept(self, src, msg):
        st = self.storage
        st.promised[0] = max(st.promise(0), msg.ballot)
        st.votes[0] = (msg.ballot, msg.value)
        return [Send(self._vote_destinations(src), Accepted(msg.ballot, msg.value))]


class PromiseNotStored(Acceptor):
    """Promises, but does not write the promise to stable storage."""

    __slots__ = ()

    def on_prepare(self, src, msg):
        st = self.storage
        if msg.ballot >= st.promise(0):
            return [Send((src,), _promise(msg, st))]
        return self._refuse(src, msg.ballot, 0, st.promise(0))


class VoteNotStored(Acceptor):
    """Sends its vote, but keeps only the promise, not the vote."""

    __slots__ = ()

    def on_accept(self, src, msg):
        st = self.storage
        if msg.ballot >= st.promise(0):
            st.promised[0] = msg.ballot
            return [Send(self._vote_destinations(src), Accepted(msg.ballot, msg.value))]
        return self._refuse(src, msg.ballot, 0, st.promise(0))


class RoundOnly(Acceptor):
    """Compares ballots by round only, ignoring the node: (1, 0) counts as (1, 1)."""

    __slots__ = ()

    def on_prepare(self, src, msg):
        st = self.storage
        if msg.ballot.round >= st.promise(0).round:
            st.promised[0] = msg.ballot
            return [Send((src,), _promise(msg, st))]
        return self._refuse(src, msg.ballot, 0, st.promise(0))

    def on_accept(self, src, msg):
        st = self.storage
        if msg.ballot.round >= st.promise(0).round:
            st.promised[0] = msg.ballot
            st.votes[0] = (msg.ballot, msg.value)
            return [Send(self._vote_destinations(src), Accepted(msg.ballot, msg.value))]
        return self._refuse(src, msg.ballot, 0, st.promise(0))


class LearnOnQuorumMinusOne(Learner):
    """Learns once one acceptor fewer than a phase-2 quorum voted in a ballot."""

    __slots__ = ()

    def __init__(self, storage, phase2_quorum, *args, **kwargs):
        super().__init__(storage, max(1, phase2_quorum - 1), *args, **kwargs)


class LearnerCountsCopies(Learner):
    """Counts every copy of a vote, duplicates included."""

    __slots__ = ()

    def on_accepted(self, src, msg):
        if self.storage.learned:
            return []
        voters = self._votes.setdefault((0, msg.ballot), set())
        voters.add((src, len(voters)))
        if len(voters) < self.phase2_quorum:
            return []
        return self._learn(0, msg.value)


class StalePromisesCounted(Proposer):
    """Counts promises made to its earlier rounds towards the current one."""

    __slots__ = ()

    def on_promise(self, src, msg):
        for vote in msg.votes:
            self.highest_seen = max(self.highest_seen, vote.ballot.round)
        if self.state != "phase1":
            return []
        return super().on_promise(src, Promise(self.ballot, msg.votes))


class AdoptMostRecent(Proposer):
    """Adopts the value of the last promise that reported one, not of the highest."""

    __slots__ = ()

    def _phase2_value(self) -> Any:
        reported = [p.votes[0] for p in self._promises.values() if p.votes]
        return reported[-1].value if reported else None


MUTANTS = {
    "accept below the promise": RoleClasses(acceptor=AcceptBelowPromise),
    "promise not stored": RoleClasses(acceptor=PromiseNotStored),
    "votes sent but not stored": RoleClasses(acceptor=VoteNotStored),
    "ballots compared by round only": RoleClasses(acceptor=RoundOnly),
    "learner learns on quorum - 1": RoleClasses(learner=LearnOnQuorumMinusOne),
    "learner counts duplicate copies": RoleClasses(learner=LearnerCountsCopies),
    "promises of an earlier round counted": RoleClasses(proposer=StalePromisesCounted),
    "adopt the most recent accepted value": RoleClasses(proposer=AdoptMostRecent),
}


class AdoptByRoundOnly(Proposer):
    """Adopts the value of the promise whose accepted ballot has the highest round, ties
    broken by arrival, ignoring the node part of the ballot."""

    __slots__ = ()

    def _phase2_value(self) -> Any:
        reported = [p.votes[0] for p in self._promises.values() if p.votes]
        if not reported:
            return None
        return max(reported, key=lambda v: v.ballot.round).value


MUTANTS["proposer compares ballots by round only"] = RoleClasses(proposer=AdoptByRoundOnly)
