"""The bug switches as mixins on the roles: each breaks one sentence of the paper."""

from paxossim.protocol.messages import Vote
from paxossim.protocol import (
    Accept,
    Accepted,
    Ballot,
    Decided,
    Learned,
    Learner,
    LearnerStorage,
    Promise,
    Proposer,
    ProposerStorage,
    Quorums,
    Send,
    SetTimer,
)
from paxossim.protocol.acceptor import AcceptorStorage
from paxossim.protocol.bugs import role_classes, survive_restart

ACCEPTORS = (10, 11, 12)
A1, A2, A3 = ACCEPTORS


def proposer(cls, node=1, storage=None):
    return cls(node, "mine", ACCEPTORS, Quorums.majority(3), 5.0, lambda a: 0.0,
               storage or ProposerStorage())


def to_phase2(p):
    p.start()
    b = p.ballot
    p.handle(A1, Promise(b))
    p.handle(A2, Promise(b))
    return b


def test_no_switch_gives_the_paper_roles():
    roles = role_classes(())
    assert roles.proposer is Proposer and roles.learner is Learner


def test_ignore_accepted_keeps_the_own_value():
    """Breaks "v is the value of the highest-numbered proposal among the responses"."""
    p = proposer(role_classes(("ignore_accepted",)).proposer, storage=ProposerStorage(round=3))
    p.start()
    b = p.ballot
    p.handle(A1, Promise(b, (Vote(0, Ballot(2, 2), "theirs"),)))
    assert p.handle(A2, Promise(b)) == [
        Send(ACCEPTORS, Accept(b, "mine")),
        SetTimer("retry", 5.0),
    ]
    honest = proposer(Proposer, storage=ProposerStorage(round=3))
    honest.start()
    honest.handle(A1, Promise(honest.ballot, (Vote(0, Ballot(2, 2), "theirs"),)))
    effects = honest.handle(A2, Promise(honest.ballot))
    assert Send(ACCEPTORS, Accept(honest.ballot, "theirs")) in effects


def test_ballot_reuse_numbers_every_ballot_as_node_0_and_forgets_on_restart():
    """Breaks "different proposers choose their numbers from disjoint sets"."""
    cls = role_classes(("ballot_reuse",)).proposer
    a, b = proposer(cls, node=1), proposer(cls, node=2)
    a.start(), b.start()
    assert a.ballot == b.ballot == Ballot(1, 0)
    assert survive_restart(ProposerStorage(round=4), ("ballot_reuse",)) == ProposerStorage()
    kept = ProposerStorage(round=4)
    assert survive_restart(kept, ()) is kept


def test_decide_on_copies_counts_a_duplicated_vote_twice():
    cls = role_classes(("decide_on_copies",)).proposer
    p = proposer(cls)
    b = to_phase2(p)
    assert p.handle(A1, Accepted(b, "mine")) == []
    assert Decided(b, "mine") in p.handle(A1, Accepted(b, "mine"))
    honest = proposer(Proposer)
    b = to_phase2(honest)
    honest.handle(A1, Accepted(b, "mine"))
    assert honest.handle(A1, Accepted(b, "mine")) == []


def test_learner_mixes_ballots_adds_votes_for_a_value_across_ballots():
    """Breaks "a single proposal ... accepted by a majority" (2.1)."""
    cls = role_classes(("learner_mixes_ballots",)).learner
    lr = cls(LearnerStorage(), 2, ACCEPTORS)
    lr.handle(A1, Accepted(Ballot(1, 1), "x"))
    assert lr.handle(A2, Accepted(Ballot(2, 2), "x")) == [Learned("x")]
    lr = cls(LearnerStorage(), 2, ACCEPTORS)
    lr.handle(A1, Accepted(Ballot(1, 1), "x"))
    assert lr.handle(A2, Accepted(Ballot(2, 2), "y")) == []
    honest = Learner(LearnerStorage(), 2, ACCEPTORS)
    honest.handle(A1, Accepted(Ballot(1, 1), "x"))
    assert honest.handle(A2, Accepted(Ballot(2, 2), "x")) == []


def test_acceptor_amnesia_forgets_promise_and_vote_on_restart():
    st = AcceptorStorage({0: Ballot(3, 1)}, votes={0: (Ballot(3, 1), "x")})
    assert survive_restart(st, ("acceptor_amnesia",)) == AcceptorStorage()
    assert survive_restart(st, ("ballot_reuse",)) is st
