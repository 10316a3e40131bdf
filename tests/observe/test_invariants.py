"""The online safety checker, invariant by invariant.

For every invariant of `INVARIANTS` there is a short hand-built history that breaks it
(the checker must report exactly that invariant, at the step that breaks it, and name the
node, ballot and value involved) and a close history that does not (no report at all).
Histories run on three acceptors with a majority quorum unless a test says otherwise;
correct acceptor steps come from the real `Acceptor`, broken ones are written by hand
(what the acceptor says, then what its stable storage holds).
"""

import math

import pytest

from paxossim.observe.invariants import (
    ACCEPT_IN_PREPARED,
    ACCEPTED_AT_OR_ABOVE_PROMISE,
    APPLIED_AT_MOST_ONCE,
    APPLIED_IN_ORDER,
    LINEARIZABLE,
    ONE_COMMAND_PER_SEQ,
    SNAPSHOT_IS_PREFIX,
    STORE_MATCHES,
    RESPONSE_MATCHES,
    ACCEPTED_LE_PROMISED,
    AT_MOST_ONE_CHOSEN,
    BALLOT_UNIQUE,
    CHOSEN_WAS_PROPOSED,
    DECIDED_IS_CHOSEN,
    INVARIANTS,
    LEARNED_IS_CHOSEN,
    LEARNED_NEVER_CHANGES,
    ONE_VALUE_PER_BALLOT,
    PROMISE_MONOTONIC,
    PROMISE_REPORTS_VOTE,
    PROPOSAL_RESPECTS_CHOSEN,
    VOTE_NEVER_FORGOTTEN,
    SafetyChecker,
    Violation,
)
from paxossim.observe.commands import linearizability
from paxossim.observe.steps import CRASH, RESTART, Propose, Timer
from paxossim.protocol.messages import Vote
from paxossim.protocol import (
    NO_BALLOT,
    Accept,
    Accepted,
    Acceptor,
    AcceptorStorage,
    Ballot,
    Decide,
    Decided,
    Learned,
    Learner,
    LearnerStorage,
    Nack,
    Poll,
    Prepare,
    Promise,
    Proposer,
    ProposerStorage,
    Quorums,
    Send,
)
from paxossim.protocol.bugs import role_classes, survive_restart
from paxossim.protocol.effects import Applied, Installed, Responded, Submitted
from paxossim.protocol.kvstore import Command, KVStore
from paxossim.protocol.messages import Reply

P1, P2 = 1, 2  # proposers (a ballot's node is its proposer)
A1, A2, A3 = ACCEPTORS = (11, 12, 13)
L1, L2 = 21, 22  # learners
MAJORITY = Quorums(3, 2, 2)
#: phase-1 and phase-2 quorums that need not meet (1 + 2 <= 3): the `unsafe_quorum` case
DISJOINT = Quorums(3, 1, 2)

B1 = Ballot(1, P1)  # "1.1"
B2 = Ballot(2, P2)  # "2.2"
B3 = Ballot(3, P1)  # "3.1"


# -- which invariants have a breaking test -----------------------------------------------

#: every invariant some test below breaks (filled at import time by `breaks`)
BROKEN: set[str] = set()


def breaks(*invariants: str):
    """Mark a test as a history that breaks `invariants`; the coverage test at the end
    checks that every invariant of `INVARIANTS` has one."""
    for name in invariants:
        assert name in INVARIANTS, name
    BROKEN.update(invariants)
    return lambda test: test


# -- a 3-acceptor history ----------------------------------------------------------------


class FakeAcceptor:
    """An acceptor step written by hand: the checker only reads `KIND` and `storage`."""

    KIND = "acceptor"

    def __init__(self, storage: AcceptorStorage):
        self.storage = storage


class FakeProposer:
    KIND = "proposer"


class FakeLearner:
    KIND = "learner"


def no_backoff(attempt: int) -> float:
    return 0.0


def sent(effects: list, mtype: type):
    """The one message of type `mtype` the effects send."""
    (msg,) = [e.msg for e in effects if type(e) is Send and type(e.msg) is mtype]
    return msg


class History:
    """One checker, three real acceptors (A1, A2, A3) on their own storage, and hand-made
    proposer and learner steps. Each step advances the clock by one second and returns
    the names of the invariants it broke."""

    def __init__(self, quorums: Quorums = MAJORITY):
        self.checker = SafetyChecker(quorums)
        self.now = 0.0
        self.acceptor = {a: Acceptor(AcceptorStorage(), vote_targets=(L1,)) for a in ACCEPTORS}
        self.proposer = FakeProposer()
        self.learner = FakeLearner()

    # -- the observation point --

    def step(self, node: int, role, cause, effects: list, src: int | None = None) -> list[str]:
        self.now += 1.0
        before = len(self.checker.violations)
        self.checker.step(self.now, node, role, node if src is None else src, cause, effects)
        return [v.invariant for v in self.checker.violations[before:]]

    def handle(self, node: int, role, src: int, msg) -> list:
        """Deliver `msg` from `src` to a real role on `node`; return its effects."""
        effects = role.handle(src, msg)
        self.step(node, role, msg, effects, src=src)
        return effects

    @property
    def broken(self) -> list[str]:
        return [v.invariant for v in self.checker.violations]

    @property
    def last(self) -> Violation:
        return self.checker.violations[-1]

    # -- acceptors --

    def deliver(self, a: int, src: int, msg) -> list[str]:
        """The real acceptor `a` handles `msg`."""
        acceptor = self.acceptor[a]
        return self.step(a, acceptor, msg, acceptor.handle(src, msg), src=src)

    def promise(self, a: int, b: Ballot) -> list[str]:
        return self.deliver(a, b.node, Prepare(b))

    def vote(self, a: int, b: Ballot, v) -> list[str]:
        return self.deliver(a, b.node, Accept(b, v))

    def by_hand(self, a: int, cause, effects: list, *, promised=None, accepted=None,
                src: int = P1) -> list[str]:
        """A step of acceptor `a` written by hand: it says `effects`, and afterwards its
        stable storage holds `promised` and `accepted` = (ballot, value) (each unchanged
        if None)."""
        st = self.acceptor[a].storage
        if promised is not None:
            st.promised[0] = promised
        if accepted is not None:
            st.votes[0] = accepted
        return self.step(a, FakeAcceptor(st), cause, effects, src=src)

    def restart(self, a: int, storage: AcceptorStorage) -> list[str]:
        """Acceptor `a`'s node restarts and its acceptor is rebuilt on `storage`."""
        self.acceptor[a] = Acceptor(storage, vote_targets=(L1,))
        return self.step(a, self.acceptor[a], RESTART, [])

    # -- proposers --

    def input(self, p: int, v) -> list[str]:
        """A client gives proposer `p` the value `v` (its input)."""
        return self.step(p, self.proposer, Propose(v), [])

    def prepare(self, b: Ballot, node: int | None = None) -> list[str]:
        """Phase 1a of `b`, sent by its proposer (or by `node`)."""
        node = b.node if node is None else node
        return self.step(node, self.proposer, Timer("backoff"), [Send(ACCEPTORS, Prepare(b))])

    def request(self, b: Ballot, v, node: int | None = None) -> list[str]:
        """Phase 2a: the accept request (b, v), sent as a promise completes phase 1."""
        node = b.node if node is None else node
        cause = Promise(b)
        return self.step(node, self.proposer, cause, [Send(ACCEPTORS, Accept(b, v))], src=A2)

    def decide(self, b: Ballot, v) -> list[str]:
        return self.step(b.node, self.proposer, Accepted(b, v), [Decided(b, v)], src=A2)

    def ballot(self, b: Ballot, v, promisers=(A1, A2), voters=(A1, A2)) -> list[str]:
        """A whole ballot by the book: phase 1 with `promisers`, the accept request
        (b, v), the votes of `voters`."""
        names = self.prepare(b)
        for a in promisers:
            names += self.promise(a, b)
        names += self.request(b, v)
        for a in voters:
            names += self.vote(a, b, v)
        return names

    # -- learners --

    def learn(self, v, learner: int = L1) -> list[str]:
        return self.step(learner, self.learner, Decide(v), [Learned(v)], src=L2)


def mentions(violation: Violation, *parts: str) -> None:
    """The violation's detail names every one of `parts` (a node, a ballot, a value)."""
    for part in parts:
        assert part in violation.detail, (part, violation.detail)


# -- a normal history ----------------------------------------------------------------------


def test_nothing_is_chosen_before_any_vote():
    checker = SafetyChecker(MAJORITY)
    assert not checker.chosen
    assert checker.chosen_value is None and checker.chosen_ballot is None
    assert math.isnan(checker.chosen_at)
    assert checker.violations == []


def test_a_normal_run_of_the_real_roles_chooses_the_value_and_breaks_nothing():
    """"A value is chosen when a single proposal with that value has been accepted by a
    majority of the acceptors" (2.1): the real proposer, acceptors and learner, one
    ballot; the value is chosen at the step of the second vote, and the proposer's
    decision and the learner's learning agree with it."""
    h = History()
    p = Proposer(P1, "v", ACCEPTORS, MAJORITY, 1.0, no_backoff, ProposerStorage())
    learner = Learner(LearnerStorage(), MAJORITY.phase2, ACCEPTORS)
    effects = p.start("v")
    assert h.step(P1, p, Propose("v"), effects) == []
    prepare = sent(effects, Prepare)
    for a in (A1, A2):
        promise = sent(h.handle(a, h.acceptor[a], P1, prepare), Promise)
        effects = h.handle(P1, p, a, promise)
    accept = sent(effects, Accept)
    assert accept == Accept(Ballot(1, P1), "v")
    assert not h.checker.chosen
    vote1 = sent(h.handle(A1, h.acceptor[A1], P1, accept), Accepted)
    assert not h.checker.chosen
    vote2 = sent(h.handle(A2, h.acceptor[A2], P1, accept), Accepted)
    chosen_at = h.now
    decided = h.handle(P1, p, A1, vote1) + h.handle(P1, p, A2, vote2)
    learned = h.handle(L1, learner, A1, vote1) + h.handle(L1, learner, A2, vote2)
    assert Decided(Ballot(1, P1), "v") in decided
    assert Learned("v") in learned
    # the third acceptor votes late, a learner polls: nothing changes
    h.handle(A3, h.acceptor[A3], P1, accept)
    h.handle(A3, h.acceptor[A3], L1, Poll())
    assert h.checker.violations == []
    assert h.checker.chosen
    assert h.checker.chosen_value == "v"
    assert h.checker.chosen_ballot == Ballot(1, P1)
    assert h.checker.chosen_at == chosen_at


def test_the_same_value_chosen_again_in_a_later_ballot_is_fine():
    """P2: "If a proposal with value v is chosen, then every higher-numbered proposal that
    is chosen has value v." The first ballot in which it was chosen stays the answer."""
    h = History()
    h.input(P1, "v")
    assert h.ballot(B1, "v") == []
    first = h.checker.chosen_at
    assert h.ballot(B2, "v", promisers=(A2, A3), voters=(A2, A3)) == []
    assert (h.checker.chosen_value, h.checker.chosen_ballot) == ("v", B1)
    assert h.checker.chosen_at == first


def test_steps_without_a_role_are_ignored():
    """A node-level fault step (role None) says nothing about Paxos."""
    h = History()
    assert h.step(A1, None, CRASH, []) == []
    assert h.step(A1, None, RESTART, []) == []


def test_a_violation_prints_its_time_invariant_and_detail():
    v = Violation(2.5, BALLOT_UNIQUE, "ballot 1.1 started by node 1")
    assert str(v) == "t=2.5s ballot-never-reused: ballot 1.1 started by node 1"


# -- promise-never-decreases ---------------------------------------------------------------


@breaks(PROMISE_MONOTONIC)
def test_a_promise_below_an_earlier_promise_is_caught():
    """Phase 1b: an acceptor responds to a prepare request "with number n greater than
    that of any prepare request to which it has already responded" - here one promises
    1.1 after 2.2 (and stores it: the promise to 2.2 is lost too)."""
    h = History()
    assert h.promise(A1, B2) == []
    names = h.by_hand(A1, Prepare(B1), [Send((P1,), Promise(B1))],
                      promised=B1)
    assert names == [PROMISE_MONOTONIC, PROMISE_MONOTONIC]
    said, stored = h.checker.violations
    mentions(said, "acceptor 11", "promised 1.1", "after promising 2.2")
    mentions(stored, "acceptor 11", "promised 2.2", "stores only 1.1")


@breaks(PROMISE_MONOTONIC)
def test_a_promise_below_an_earlier_one_is_caught_even_if_storage_keeps_the_higher():
    """The promise sent is what a proposer relies on: saying 1.1 after 2.2 is a breach
    even when stable storage still holds 2.2."""
    h = History()
    h.promise(A1, B2)
    names = h.by_hand(A1, Prepare(B1), [Send((P1,), Promise(B1))])
    assert names == [PROMISE_MONOTONIC]
    mentions(h.last, "acceptor 11", "promised 1.1", "after promising 2.2")


def test_a_lower_prepare_refused_and_a_repeated_one_promised_again_are_fine():
    """The real acceptor refuses 1.1 after promising 2.2 (a Nack), and answers a
    duplicate of the prepare request 2.2 with the same promise."""
    h = History()
    assert h.promise(A1, B2) == []
    assert h.handle(A1, h.acceptor[A1], P1, Prepare(B1)) == [Send((P1,), Nack(B1, B2))]
    assert h.promise(A1, B2) == []
    assert h.promise(A1, B3) == []
    assert h.acceptor[A1].storage.promise(0) == B3
    assert h.broken == []


@breaks(PROMISE_MONOTONIC)
def test_a_promise_sent_but_not_stored_is_caught():
    """"An acceptor must remember this information even if it fails and then restarts"
    (2.3): it sends the promise 1.1 and its stable storage still says none."""
    h = History()
    names = h.by_hand(A1, Prepare(B1), [Send((P1,), Promise(B1))])
    assert names == [PROMISE_MONOTONIC]
    mentions(h.last, "acceptor 11", "promised 1.1", "stores only none")


def test_a_promise_sent_and_stored_is_fine():
    h = History()
    names = h.by_hand(A1, Prepare(B1), [Send((P1,), Promise(B1))],
                      promised=B1)
    assert names == []


@breaks(PROMISE_MONOTONIC)
def test_a_restarted_acceptor_that_lost_its_promise_is_caught():
    """An acceptor "needs to remember ... the number of the highest-numbered prepare
    request to which it has responded" (2.3): it promised 2.2 after voting in 1.1, and
    restarts from a storage that only knows the vote."""
    h = History()
    h.input(P1, "v")
    assert h.ballot(B1, "v") == []
    assert h.promise(A1, B2) == []
    names = h.restart(A1, AcceptorStorage({0: B1}, votes={0: (B1, "v")}))
    assert names == [PROMISE_MONOTONIC]
    mentions(h.last, "acceptor 11", "promised 2.2", "stores only 1.1")


def test_a_restarted_acceptor_with_its_storage_intact_is_fine():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    h.promise(A1, B2)
    storage = survive_restart(h.acceptor[A1].storage, ())
    assert h.restart(A1, storage) == []
    assert h.promise(A1, B3) == []  # and it reports its vote after the restart


# -- promise-reports-last-vote -------------------------------------------------------------


@breaks(PROMISE_REPORTS_VOTE)
@pytest.mark.parametrize(
    "reported, shown",
    [((), "reporting the vote none"), ((Vote(0, B1, "w"),), "reporting the vote (1.1, 'w')")],
    ids=["no-vote", "wrong-value"],
)
def test_a_promise_that_misreports_the_last_vote_is_caught(reported, shown):
    """Phase 1b: the promise comes "with the highest-numbered proposal (if any) that it
    has accepted" - A1 voted (1.1, 'v') and its promise to 2.2 reports something else,
    which would let the next proposer pick a value freely."""
    h = History()
    h.input(P1, "v")
    assert h.ballot(B1, "v") == []
    names = h.by_hand(A1, Prepare(B2), [Send((P2,), Promise(B2, reported))],
                      promised=B2, src=P2)
    assert names == [PROMISE_REPORTS_VOTE]
    mentions(h.last, "acceptor 11", "promised 2.2", shown, "last vote was (1.1, 'v')")


def test_a_promise_that_reports_the_last_vote_is_fine():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.promise(A1, B2) == []
    assert h.promise(A3, B2) == []  # A3 never voted: it reports none, rightly


# -- accepted-ballot-at-most-promised -------------------------------------------------------


@breaks(ACCEPTED_LE_PROMISED)
def test_a_stored_vote_above_the_stored_promise_is_caught():
    """Stable storage keeps "the highest-numbered proposal that it has ever accepted and
    the number of the highest-numbered prepare request to which it has responded" (2.3),
    and a vote raises the promise with it: an acceptor that stores the vote (2.2, 'v')
    but leaves its promise at 1.1 (and does not send the vote, so only its storage shows
    it) holds a vote above its promise."""
    h = History()
    h.promise(A1, B1)
    names = h.by_hand(A1, Accept(B2, "v"), [], accepted=(B2, "v"), src=P2)
    assert names == [ACCEPTED_LE_PROMISED]
    mentions(h.last, "acceptor 11", "vote in 2.2", "promise 1.1")


def test_a_vote_stored_with_its_promise_is_fine():
    """The real acceptor raises its promise to the ballot it votes in."""
    h = History()
    h.promise(A1, B1)
    assert h.vote(A1, B2, "v") == []
    st = h.acceptor[A1].storage
    assert st.promise(0) == st.vote(0)[0] == B2


# -- one-value-per-ballot ------------------------------------------------------------------


@breaks(ONE_VALUE_PER_BALLOT)
def test_two_accept_requests_with_different_values_in_one_ballot_are_caught():
    """"Different proposals have different numbers" (2.2): ballot 1.1 is issued once with
    'v', then again with 'w'."""
    h = History()
    h.input(P1, "v")
    h.input(P1, "w")
    h.prepare(B1)
    assert h.request(B1, "v") == []
    assert h.request(B1, "w") == [ONE_VALUE_PER_BALLOT]
    mentions(h.last, "(1.1, 'v')", "(1.1, 'w')", "node 1")


def test_the_same_accept_request_sent_again_is_fine():
    h = History()
    h.input(P1, "v")
    h.prepare(B1)
    assert h.request(B1, "v") == []
    assert h.request(B1, "v") == []


@breaks(ONE_VALUE_PER_BALLOT)
def test_two_votes_with_different_values_in_one_ballot_are_caught():
    """A1 votes (1.1, 'v') and A2 (1.1, 'w'): a ballot is one proposal, with one value."""
    h = History()
    assert h.vote(A1, B1, "v") == []
    assert h.vote(A2, B1, "w") == [ONE_VALUE_PER_BALLOT]
    mentions(h.last, "ballot 1.1", "'v'", "'w'", "acceptor 12")
    assert not h.checker.chosen  # the odd vote does not count towards a quorum


def test_votes_with_one_value_in_one_ballot_are_fine():
    h = History()
    h.input(P1, "v")
    h.prepare(B1)
    h.request(B1, "v")
    assert h.vote(A1, B1, "v") == []
    assert h.vote(A2, B1, "v") == []
    assert h.checker.chosen


def test_a_vote_whose_value_differs_from_the_accept_request_is_caught():
    """"A ballot carries one value, in accept requests and in votes": the request is
    (1.1, 'v') and A1's vote in 1.1 is for 'w'."""
    h = History()
    h.input(P1, "v")
    h.input(P2, "w")
    h.prepare(B1)
    h.request(B1, "v")
    assert h.vote(A1, B1, "w") == [ONE_VALUE_PER_BALLOT]


# -- accepts-only-at-or-above-promise ------------------------------------------------------


@breaks(ACCEPTED_AT_OR_ABOVE_PROMISE)
def test_a_vote_below_the_promise_is_caught():
    """Phase 2b: "it accepts the proposal unless it has already responded to a prepare
    request having a number greater than n" - A1 promised 2.2, then votes in 1.1."""
    h = History()
    assert h.promise(A1, B2) == []
    vote = Accepted(B1, "v")
    names = h.by_hand(A1, Accept(B1, "v"), [Send((P1, L1), vote)], accepted=(B1, "v"))
    assert names == [ACCEPTED_AT_OR_ABOVE_PROMISE]
    mentions(h.last, "acceptor 11", "accepted 1.1", "after promising 2.2")


def test_a_vote_at_the_promise_is_fine_and_one_below_is_refused():
    h = History()
    h.promise(A1, B2)
    assert h.vote(A1, B1, "v") == []  # the real acceptor refuses
    assert h.acceptor[A1].storage.vote(0)[0] == NO_BALLOT
    assert h.vote(A1, B2, "w") == []
    assert h.acceptor[A1].storage.vote(0)[0] == B2


# -- vote-never-forgotten ------------------------------------------------------------------


@breaks(VOTE_NEVER_FORGOTTEN)
def test_a_vote_sent_but_not_stored_is_caught():
    """An acceptor "needs to remember only the highest-numbered proposal that it has ever
    accepted" (2.3) - A1 sends its vote (1.1, 'v') and does not store it."""
    h = History()
    h.promise(A1, B1)
    names = h.by_hand(A1, Accept(B1, "v"), [Send((P1, L1), Accepted(B1, "v"))])
    assert names == [VOTE_NEVER_FORGOTTEN]
    mentions(h.last, "acceptor 11", "voted (1.1, 'v')", "stores none")


def test_a_vote_sent_and_stored_is_fine():
    h = History()
    h.promise(A1, B1)
    names = h.by_hand(A1, Accept(B1, "v"), [Send((P1, L1), Accepted(B1, "v"))],
                      accepted=(B1, "v"))
    assert names == []


@breaks(VOTE_NEVER_FORGOTTEN)
def test_a_poll_answered_with_an_older_vote_is_caught():
    """"The learner could ask the acceptors what proposals they have accepted" (2.4): A1
    voted (1.1, 'v') then (2.2, 'w'), and answers a poll with the older vote."""
    h = History()
    h.vote(A1, B1, "v")
    h.vote(A1, B2, "w")
    names = h.by_hand(A1, Poll(), [Send((L1,), Accepted(B1, "v"))], src=L1)
    assert names == [VOTE_NEVER_FORGOTTEN]
    mentions(h.last, "acceptor 11", "poll with (1.1, 'v')", "last vote was (2.2, 'w')")


def test_a_poll_answered_with_the_last_vote_is_fine():
    h = History()
    h.vote(A1, B1, "v")
    h.vote(A1, B2, "w")
    assert h.deliver(A1, L1, Poll()) == []
    assert h.deliver(A2, L1, Poll()) == []  # no vote: no answer


@breaks(VOTE_NEVER_FORGOTTEN)
def test_a_restarted_acceptor_that_lost_its_vote_is_caught():
    """"An acceptor must remember this information even if it fails and then restarts"
    (2.3): A1 voted (1.1, 'v') and restarts with its promise but without the vote."""
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    names = h.restart(A1, AcceptorStorage({0: B1}))
    assert names == [VOTE_NEVER_FORGOTTEN]
    mentions(h.last, "acceptor 11", "voted (1.1, 'v')", "stores none")


@breaks(PROMISE_MONOTONIC, VOTE_NEVER_FORGOTTEN)
def test_a_restarted_acceptor_with_amnesia_loses_promise_and_vote():
    """The `acceptor_amnesia` switch: a restart keeps nothing of the acceptor's stable
    storage, so both what it promised and what it voted are lost."""
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    names = h.restart(A1, survive_restart(h.acceptor[A1].storage, ("acceptor_amnesia",)))
    assert names == [PROMISE_MONOTONIC, VOTE_NEVER_FORGOTTEN]
    promise, vote = h.checker.violations
    mentions(promise, "acceptor 11", "promised 1.1", "stores only none")
    mentions(vote, "acceptor 11", "voted (1.1, 'v')", "stores none")


def test_a_lost_vote_is_reported_once():
    """The amnesiac acceptor's loss is reported at its restart; its next step (another
    crash, which loses nothing more) should not report it again."""
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    h.restart(A1, survive_restart(h.acceptor[A1].storage, ("acceptor_amnesia",)))
    assert h.step(A1, h.acceptor[A1], CRASH, []) == []


# -- ballot-never-reused -------------------------------------------------------------------


@breaks(BALLOT_UNIQUE)
def test_a_ballot_started_by_two_nodes_is_caught():
    """"Different proposers choose their numbers from disjoint sets of numbers, so two
    different proposers never issue a proposal with the same number" (2.5) - node 2
    sends the prepare request 1.1 that node 1 sent."""
    h = History()
    assert h.prepare(B1) == []
    assert h.prepare(B1, node=P2) == [BALLOT_UNIQUE]
    mentions(h.last, "ballot 1.1", "node 1", "node 2")


@breaks(BALLOT_UNIQUE)
def test_a_ballot_started_twice_by_one_node_is_caught():
    """"Each proposer remembers (in stable storage) the highest-numbered proposal it has
    tried to issue" (2.5): a proposer that forgot it starts 1.1 again."""
    h = History()
    h.prepare(B1)
    assert h.prepare(B1) == [BALLOT_UNIQUE]
    mentions(h.last, "ballot 1.1", "started by node 1, then again by node 1")


def test_ballots_from_disjoint_sets_are_fine():
    h = History()
    assert h.prepare(Ballot(1, P1)) == []
    assert h.prepare(Ballot(1, P2)) == []  # same round, another node: another ballot
    assert h.prepare(Ballot(2, P1)) == []


# -- at-most-one-value-chosen ---------------------------------------------------------------


@breaks(AT_MOST_ONE_CHOSEN)
def test_two_values_chosen_in_different_ballots_are_caught():
    """"Only a single value is chosen" (2.1). With phase-1 quorums of one acceptor and
    phase-2 quorums of two (they need not meet), 'v' is chosen in 1.1 by A1 and A2, and
    ballot 2.2 hears only A3 in phase 1, so its proposer is free to pick 'w'. Issuing
    (2.2, 'w') already breaks P2c; the second value becoming chosen breaks
    at-most-one-value-chosen, alone, at A2's vote. (P2c implies P2, so a history where
    two values are chosen always breaks P2c too.)"""
    h = History(DISJOINT)
    h.input(P1, "v")
    h.input(P2, "w")
    assert h.ballot(B1, "v", promisers=(A1,)) == []
    assert h.checker.chosen_value == "v"
    h.prepare(B2)
    assert h.promise(A3, B2) == []
    assert h.request(B2, "w") == [PROPOSAL_RESPECTS_CHOSEN]
    assert h.vote(A3, B2, "w") == []
    assert h.vote(A2, B2, "w") == [AT_MOST_ONE_CHOSEN]
    mentions(h.last, "'v' chosen in 1.1", "'w' in 2.2", "acceptors [12, 13]")
    assert h.broken == [PROPOSAL_RESPECTS_CHOSEN, AT_MOST_ONE_CHOSEN]
    assert (h.checker.chosen_value, h.checker.chosen_ballot) == ("v", B1)  # the first


def test_a_later_ballot_that_adopts_the_chosen_value_is_fine():
    """The same quorums, but phase 1 of 2.2 hears A2, which reports (1.1, 'v'): 2.2
    carries 'v' "the value of the highest-numbered proposal among the responses"."""
    h = History(DISJOINT)
    h.input(P1, "v")
    h.input(P2, "w")
    h.ballot(B1, "v", promisers=(A1,))
    assert h.ballot(B2, "v", promisers=(A2,), voters=(A3, A2)) == []
    assert (h.checker.chosen_value, h.checker.chosen_ballot) == ("v", B1)


# -- chosen-value-was-proposed -------------------------------------------------------------


@breaks(CHOSEN_WAS_PROPOSED)
def test_a_value_chosen_in_a_ballot_with_no_accept_request_is_caught():
    """"Only a value that has been proposed may be chosen" (2.1): A1 and A2 vote
    (1.1, 'v') though no proposer issued an accept request in 1.1."""
    h = History()
    h.input(P1, "v")
    assert h.vote(A1, B1, "v") == []
    assert h.vote(A2, B1, "v") == [CHOSEN_WAS_PROPOSED]
    mentions(h.last, "'v' chosen in 1.1", "no accept request")


@breaks(CHOSEN_WAS_PROPOSED)
@pytest.mark.parametrize("input_after", [False, True], ids=["never-input", "input-later"])
def test_a_value_chosen_that_was_no_proposer_input_when_issued_is_caught(input_after):
    """Only a value that has been proposed may be chosen: the accept request (1.1, 'v') is
    issued before any client gave 'v' to a proposer (or one does so only afterwards)."""
    h = History()
    h.input(P1, "x")
    h.prepare(B1)
    h.request(B1, "v")
    if input_after:
        h.input(P2, "v")
    h.vote(A1, B1, "v")
    assert h.vote(A2, B1, "v") == [CHOSEN_WAS_PROPOSED]
    mentions(h.last, "'v' chosen in 1.1", "before any proposer had it as input")


def test_a_value_chosen_after_it_was_input_and_issued_is_fine():
    """The input may be another proposer's: 2.2 adopts P1's 'v'."""
    h = History()
    h.input(P1, "v")
    h.prepare(B1)
    h.request(B1, "v")
    h.vote(A1, B1, "v")
    assert h.ballot(B2, "v", promisers=(A1, A3), voters=(A3, A2)) == []
    assert (h.checker.chosen_value, h.checker.chosen_ballot) == ("v", B2)


# -- proposal-respects-chosen (P2c) --------------------------------------------------------


@breaks(PROPOSAL_RESPECTS_CHOSEN)
def test_an_accept_request_against_the_chosen_value_is_caught_when_issued():
    """P2c: "if a proposal with value v and number n is issued, then there is a set S
    consisting of a majority of acceptors such that ... v is the value of the
    highest-numbered proposal among all proposals numbered less than n accepted by the
    acceptors in S." 'v' is chosen in 1.1; the proposer of 2.2 hears A2 report
    (1.1, 'v') and A3 report nothing, ignores the report and issues (2.2, 'w')."""
    h = History()
    h.input(P1, "v")
    h.input(P2, "w")
    h.ballot(B1, "v")
    h.prepare(B2)
    h.promise(A2, B2)
    h.promise(A3, B2)
    assert h.request(B2, "w") == [PROPOSAL_RESPECTS_CHOSEN]
    mentions(h.last, "node 2", "(2.2, 'w')", "'v' is chosen in 1.1")


@breaks(PROPOSAL_RESPECTS_CHOSEN)
def test_a_value_chosen_below_an_earlier_conflicting_request_is_caught():
    """P2b, the other way round: "If a proposal with value v is chosen, then every
    higher-numbered proposal issued by any proposer has value v." With disjoint quorums,
    (2.2, 'w') is issued after a phase 1 that heard A3 alone; A1 and A2 then vote
    (1.1, 'v') - which they may, having promised 2.2 to no one - and 'v' becomes chosen
    below a request that carries 'w'."""
    h = History(DISJOINT)
    h.input(P1, "v")
    h.input(P2, "w")
    h.prepare(B1)
    h.promise(A1, B1)
    h.request(B1, "v")
    h.prepare(B2)
    h.promise(A3, B2)
    assert h.request(B2, "w") == []  # nothing is chosen yet
    assert h.vote(A1, B1, "v") == []
    assert h.vote(A2, B1, "v") == [PROPOSAL_RESPECTS_CHOSEN]
    mentions(h.last, "'v' chosen in 1.1", "(2.2, 'w')")


def test_a_second_conflicting_request_in_a_ballot_is_checked_against_the_chosen_value():
    """P2c for every accept request: 'v' is chosen in 1.1, node 2 issues (2.2, 'v') and
    then (2.2, 'w'). The second request breaks one-value-per-ballot and P2c both."""
    h = History()
    h.input(P1, "v")
    h.input(P2, "w")
    h.ballot(B1, "v")
    h.prepare(B2)
    assert h.request(B2, "v") == []
    assert h.request(B2, "w") == [ONE_VALUE_PER_BALLOT, PROPOSAL_RESPECTS_CHOSEN]


def test_requests_that_respect_the_chosen_value_are_fine():
    """A higher request carrying the chosen value, and a lower one carrying another
    (P2c binds only higher-numbered proposals), break nothing."""
    h = History()
    h.input(P1, "v")
    h.input(P2, "w")
    h.ballot(B2, "w", promisers=(A2, A3), voters=(A2, A3))
    assert h.checker.chosen_value == "w"
    h.prepare(B3)
    assert h.request(B3, "w") == []
    h.prepare(B1)
    assert h.request(B1, "v") == []  # a late, lower ballot: its votes will be refused
    assert h.vote(A2, B1, "v") == []
    assert h.vote(A1, B1, "v") == []  # A1 never promised 2.2: it may vote in 1.1
    assert h.broken == []


# -- decided-is-chosen ---------------------------------------------------------------------


def decide_on_copies_history(a2_votes_first: bool) -> tuple[History, list]:
    """The `decide_on_copies` proposer with the real acceptors: phase 1 with A1 and A2,
    then A1's vote reaches the proposer twice (a duplicated message). If
    `a2_votes_first`, A2 has voted already (its vote still in flight)."""
    h = History()
    p = role_classes(("decide_on_copies",)).proposer(
        P1, "v", ACCEPTORS, MAJORITY, 1.0, no_backoff, ProposerStorage()
    )
    effects = p.start("v")
    h.step(P1, p, Propose("v"), effects)
    prepare = sent(effects, Prepare)
    for a in (A1, A2):
        effects = h.handle(P1, p, a, sent(h.handle(a, h.acceptor[a], P1, prepare), Promise))
    accept = sent(effects, Accept)
    vote = sent(h.handle(A1, h.acceptor[A1], P1, accept), Accepted)
    if a2_votes_first:
        h.handle(A2, h.acceptor[A2], P1, accept)
    decided = h.handle(P1, p, A1, vote) + h.handle(P1, p, A1, vote)
    assert Decided(accept.ballot, "v") in decided
    return h, decided


@breaks(DECIDED_IS_CHOSEN)
def test_a_decision_on_fewer_voters_than_a_quorum_is_caught():
    """"A value is chosen when a single proposal with that value has been accepted by a
    majority of the acceptors" (2.1): the proposer counts two copies of A1's vote as
    two votes and decides with one voter."""
    h, _ = decide_on_copies_history(a2_votes_first=False)
    assert h.broken == [DECIDED_IS_CHOSEN]
    mentions(h.last, "proposer 1", "decided 'v' in 1.1", "acceptors [11]", "quorum is 2")
    assert not h.checker.chosen


def test_a_decision_when_a_quorum_has_voted_is_fine_even_on_counted_copies():
    """What counts is what the acceptors did: A1 and A2 have both voted when the
    proposer decides, even though it counted A1 twice and has not heard A2."""
    h, _ = decide_on_copies_history(a2_votes_first=True)
    assert h.broken == []
    assert h.checker.chosen


@breaks(DECIDED_IS_CHOSEN)
def test_a_decision_on_another_value_than_the_chosen_one_is_caught():
    """A quorum voted (1.1, 'v'), and the proposer decides 'w' in 1.1."""
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.decide(B1, "w") == [DECIDED_IS_CHOSEN]
    mentions(h.last, "proposer 1", "decided 'w' in 1.1")


def test_a_decision_on_another_value_names_the_value_the_quorum_voted_for():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.decide(B1, "w") == [DECIDED_IS_CHOSEN]
    mentions(h.last, "'w'", "'v'")


def test_a_decision_on_the_chosen_value_is_fine():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.decide(B1, "v") == []


# -- learned-value-is-chosen ---------------------------------------------------------------


@breaks(LEARNED_IS_CHOSEN)
def test_learning_before_anything_is_chosen_is_caught():
    """"A process never learns that a value has been chosen unless it actually has
    been" (2.1): a learner learns 'v' while no ballot has a quorum of votes."""
    h = History()
    h.input(P1, "v")
    h.prepare(B1)
    h.request(B1, "v")
    h.vote(A1, B1, "v")
    assert h.learn("v") == [LEARNED_IS_CHOSEN]
    mentions(h.last, "learner 21", "learned 'v'", "nothing is chosen")


@breaks(LEARNED_IS_CHOSEN)
def test_a_learner_that_adds_votes_across_ballots_is_caught():
    """The `learner_mixes_ballots` switch: "a learner must find out that a proposal has
    been accepted by a majority of acceptors" - one proposal; A1 voted (1.1, 'v') and A2
    (2.2, 'v'), no ballot has a quorum, and the learner learns 'v' all the same."""
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v", voters=(A1,))
    h.ballot(B2, "v", promisers=(A2, A3), voters=(A2,))
    assert not h.checker.chosen
    learner = role_classes(("learner_mixes_ballots",)).learner(LearnerStorage(), 2, ACCEPTORS)
    h.handle(L1, learner, A1, Accepted(B1, "v"))
    assert Learned("v") in h.handle(L1, learner, A2, Accepted(B2, "v"))
    assert h.broken == [LEARNED_IS_CHOSEN]
    mentions(h.last, "learner 21", "learned 'v'", "nothing is chosen")


def test_the_paper_learner_does_not_add_votes_across_ballots():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v", voters=(A1,))
    h.ballot(B2, "v", promisers=(A2, A3), voters=(A2,))
    learner = Learner(LearnerStorage(), 2, ACCEPTORS)
    effects = h.handle(L1, learner, A1, Accepted(B1, "v"))
    effects += h.handle(L1, learner, A2, Accepted(B2, "v"))
    assert effects == []
    assert h.broken == []


@breaks(LEARNED_IS_CHOSEN)
def test_learning_a_value_that_is_not_the_chosen_one_is_caught():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.learn("w") == [LEARNED_IS_CHOSEN]
    mentions(h.last, "learner 21", "learned 'w'", "'v' is chosen")


def test_learning_the_chosen_value_is_fine():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.learn("v") == []
    assert h.learn("v", learner=L2) == []


# -- learned-value-never-changes -----------------------------------------------------------


@breaks(LEARNED_NEVER_CHANGES)
def test_a_learner_that_changes_its_value_is_caught():
    """A learner learned 'w' too early (reported then), 'v' is then chosen and the same
    learner learns 'v': the change alone is reported at that step."""
    h = History()
    h.input(P1, "v")
    assert h.learn("w") == [LEARNED_IS_CHOSEN]
    h.ballot(B1, "v")
    assert h.learn("v") == [LEARNED_NEVER_CHANGES]
    mentions(h.last, "learner 21", "learned 'w', then 'v'")


@breaks(LEARNED_NEVER_CHANGES)
def test_a_learner_that_learns_a_second_unchosen_value_breaks_both_learner_rules():
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.learn("v") == []
    assert h.learn("w") == [LEARNED_IS_CHOSEN, LEARNED_NEVER_CHANGES]
    mentions(h.last, "learner 21", "learned 'v', then 'w'")


def test_a_learner_that_learns_the_same_value_again_is_fine():
    """E.g. told again by a distinguished learner after a restart; another learner
    learning it is no change either."""
    h = History()
    h.input(P1, "v")
    h.ballot(B1, "v")
    assert h.learn("v") == []
    assert h.learn("v") == []
    assert h.learn("v", learner=L2) == []




# -- the replicated log ----------------------------------------------------------------------


class FakeClient:
    KIND = "client"


PUT = Command(client=7, seq=1, op="put", key="k", value="a")
GET = Command(client=7, seq=2, op="get", key="k")


@breaks(ACCEPT_IN_PREPARED)
def test_an_accept_request_below_the_prepared_slots_is_caught():
    """A leader's phase 1 from slot 3 says nothing of slot 1: accepting there would skip
    the votes its promises never reported."""
    h = LogHistory()
    h.submit(PUT)
    prepare = Prepare(B1, 3, upward=True)
    assert h.step(P1, h.proposer, Timer("backoff"), [Send(ACCEPTORS, prepare)]) == []
    assert h.step(P1, h.proposer, Timer("x"), [Send(ACCEPTORS, Accept(B1, (PUT,), 5))]) == []
    assert h.step(P1, h.proposer, Timer("x"), [Send(ACCEPTORS, Accept(B1, (PUT,), 1))]) == [
        ACCEPT_IN_PREPARED
    ]
    mentions(h.last, "node 1", "ballot 1.1 in slot 1", "slot 3 and above")
    single = LogHistory()  # a synod-style prepare covers its own slot only
    single.submit(PUT)
    single.step(P1, single.proposer, Timer("backoff"), [Send(ACCEPTORS, Prepare(B2, 2))])
    assert single.step(P1, single.proposer, Timer("x"), [Send(ACCEPTORS, Accept(B2, (PUT,), 3))]) == [
        ACCEPT_IN_PREPARED
    ]


class FakeReplica:
    """A replica's step written by hand: the checker reads its store after the step."""

    KIND = "learner"

    def __init__(self):
        self.storage = LearnerStorage(machine=KVStore())


class LogHistory(History):
    """A History of a replicated key-value log: slots, clients and replicas."""

    def __init__(self):
        super().__init__()
        self.checker = SafetyChecker(MAJORITY, log=True)
        self.client = FakeClient()
        self.learner = FakeReplica()

    def submit(self, command) -> list[str]:
        return self.step(7, self.client, Timer("think"), [Submitted(command, P1, False)])

    def choose(self, slot: int, b: Ballot, value: tuple) -> list[str]:
        """Slot `slot` is chosen with `value` in ballot `b`: phase 1 and 2 on A1 and A2."""
        before = len(self.checker.violations)
        self.step(P1, self.proposer, Timer("backoff"), [Send(ACCEPTORS, Prepare(b, slot))])
        for a in (A1, A2):
            self.handle(a, self.acceptor[a], P1, Prepare(b, slot))
        self.step(P1, self.proposer, Promise(b, (), slot), [Send(ACCEPTORS, Accept(b, value, slot))])
        for a in (A1, A2):
            self.handle(a, self.acceptor[a], P1, Accept(b, value, slot))
        return [v.invariant for v in self.checker.violations[before:]]

    def apply(self, slot: int, value: tuple, results: tuple, replica: int = L1) -> list[str]:
        """The replica applies `value` to its store (as a correct one does) and says so."""
        self.learner.storage.machine.apply(value)
        return self.step(replica, self.learner, Decide(value, slot),
                         [Applied(slot, value, results)], src=L2)

    def respond(self, command, result) -> list[str]:
        return self.step(7, self.client, Reply(command.seq, result),
                         [Responded(command, result)], src=P1)


def test_a_log_by_the_book_breaks_nothing():
    h = LogHistory()
    h.submit(PUT)
    h.submit(GET)
    assert h.choose(0, B1, (PUT,)) == []
    assert h.choose(1, B2, ()) == []  # a no-op
    assert h.choose(2, B3, (PUT, GET)) == []  # PUT again (a retry), then GET
    assert h.apply(0, (PUT,), ("ok",)) == []
    assert h.apply(1, (), ()) == []
    assert h.apply(2, (PUT, GET), (None, "a")) == []
    assert h.respond(PUT, "ok") == []
    assert h.respond(GET, "a") == []


@breaks(APPLIED_IN_ORDER)
def test_a_replica_skipping_a_slot_is_caught():
    h = LogHistory()
    h.submit(PUT)
    h.choose(0, B1, ())
    h.choose(1, B2, (PUT,))
    assert h.apply(1, (PUT,), ("ok",)) == [APPLIED_IN_ORDER]
    mentions(h.last, "replica 21", "slot 1", "slot 0")


@breaks(APPLIED_IN_ORDER)
def test_a_replica_applying_what_is_not_chosen_is_caught():
    h = LogHistory()
    h.submit(PUT)
    other = Command(client=7, seq=3, op="get", key="elsewhere")
    h.submit(other)
    h.choose(0, B1, (PUT,))
    assert h.apply(0, (other,), (None,)) == [APPLIED_IN_ORDER]
    assert LogHistory().apply(0, (), ()) == [APPLIED_IN_ORDER]  # nothing chosen yet


@breaks(APPLIED_AT_MOST_ONCE)
def test_a_command_executed_twice_is_caught():
    h = LogHistory()
    h.submit(PUT)
    h.choose(0, B1, (PUT,))
    h.choose(1, B2, (PUT,))
    h.apply(0, (PUT,), ("ok",))
    assert h.apply(1, (PUT,), ("ok",)) == [APPLIED_AT_MOST_ONCE]
    mentions(h.last, "replica 21", "c7#1 put(k, a)", "slot 1")


@breaks(RESPONSE_MATCHES)
def test_a_response_the_chosen_order_does_not_give_is_caught():
    h = LogHistory()
    h.submit(PUT)
    h.submit(GET)
    h.choose(0, B1, (GET,))  # the get comes first: it reads nothing
    h.choose(1, B2, (PUT,))
    assert h.respond(GET, "a") == [RESPONSE_MATCHES]
    mentions(h.last, "client 7", "c7#2 get(k)", "'a'", "None")


@breaks(RESPONSE_MATCHES)
def test_a_write_acknowledged_before_it_is_chosen_is_caught():
    h = LogHistory()
    h.submit(PUT)
    assert h.respond(PUT, "ok") == [RESPONSE_MATCHES]
    mentions(h.last, "c7#1 put(k, a)", "not in the chosen log")


def test_a_read_answered_outside_the_log_is_left_to_linearizability():
    """A leader may answer a read from its own state (leases): not this invariant's."""
    h = LogHistory()
    h.submit(GET)
    assert h.respond(GET, None) == []


def installed(applied: int, store: KVStore) -> Installed:
    return Installed(applied, tuple(sorted(store.data.items())), tuple(sorted(store.results.items())))


def test_a_snapshot_of_the_chosen_prefix_is_fine():
    h = LogHistory()
    h.submit(PUT)
    h.choose(0, B1, (PUT,))
    h.choose(1, B2, ())
    good = KVStore()
    good.apply((PUT,))
    assert h.step(L1, h.learner, Decide((), 5), [installed(2, good)], src=L2) == []
    h.learner.storage.machine = good  # what the replica installed
    h.submit(GET)
    h.choose(2, B3, (GET,))
    assert h.apply(2, (GET,), ("a",)) == []  # in order after the snapshot


@breaks(SNAPSHOT_IS_PREFIX)
def test_a_snapshot_that_is_not_the_chosen_prefix_is_caught():
    h = LogHistory()
    h.submit(PUT)
    h.choose(0, B1, (PUT,))
    wrong = KVStore()  # the put is missing
    assert h.step(L1, h.learner, Decide((), 5), [installed(1, wrong)], src=L2) == [
        SNAPSHOT_IS_PREFIX
    ]
    mentions(h.last, "replica 21", "slots 0..0", "keys ['k']")
    assert h.step(L1, h.learner, Decide((), 5), [installed(2, KVStore())], src=L2) == [
        SNAPSHOT_IS_PREFIX
    ]  # slot 1 was never chosen
    mentions(h.last, "nothing is chosen in slot 1")


@breaks(STORE_MATCHES)
def test_a_replica_whose_store_differs_from_the_chosen_prefix_is_caught():
    """A replica that lost its store (but not how far it applied) reads nothing where the
    chosen order has a value."""
    h = LogHistory()
    h.submit(PUT)
    h.submit(GET)
    h.choose(0, B1, (PUT,))
    h.choose(1, B2, (GET,))
    assert h.apply(0, (PUT,), ("ok",)) == []
    h.learner.storage.machine = KVStore()  # forgotten
    assert h.apply(1, (GET,), (None,)) == [STORE_MATCHES]
    mentions(h.last, "replica 21", "None at key 'k' after slot 1", "give 'a'")


@breaks(ONE_COMMAND_PER_SEQ)
def test_a_sequence_number_reused_for_another_command_is_caught():
    h = LogHistory()
    assert h.submit(PUT) == []
    assert h.submit(PUT) == []  # the same command again: a retry
    other = Command(client=7, seq=1, op="put", key="k", value="b")
    assert h.submit(other) == [ONE_COMMAND_PER_SEQ]
    mentions(h.last, "client 7", "c7#1 put(k, b)", "c7#1 put(k, a)")


def command_row(client, seq, op, value, result, call, ret):
    """A row of commands.parquet (COMMAND_COLUMNS) for key "k"."""
    return ("t", 1, 0, client, seq, op, "k", value, None, result, call, math.nan, ret,
            ret - call, 0, None)  # fmt: skip


STALE = [
    command_row(5, 1, "put", "a", "ok", 0.0, 1.0),
    command_row(6, 1, "put", "b", "ok", 2.0, 3.0),
    command_row(5, 2, "get", None, "a", 4.0, 5.0),  # b was written before it began
]


@breaks(LINEARIZABLE)
def test_a_stale_read_makes_the_history_not_linearizable():
    verdict, violation = linearizability(STALE, budget=10_000)
    assert verdict is False
    assert violation.invariant == LINEARIZABLE and violation.time == 5.0
    mentions(violation, "key 'k'", "c5 get = a [4, 5]", "3 operations")


def test_a_response_no_command_of_its_kind_gives_is_a_violation_not_a_crash():
    rows = [command_row(5, 1, "put", "a", "c9.9", 0.0, 1.0)]  # a put answered with a value
    verdict, violation = linearizability(rows, budget=10_000)
    assert verdict is False and violation.invariant == LINEARIZABLE
    mentions(violation, "does not fit its command")


def test_a_fresh_read_is_linearizable_and_a_spent_budget_decides_nothing():
    fresh = [*STALE[:2], command_row(5, 2, "get", None, "b", 4.0, 5.0)]
    assert linearizability(fresh, budget=10_000) == (True, None)
    assert linearizability(STALE, budget=0) == (None, None)  # not checked
    assert linearizability(STALE, budget=1) == (None, None)  # out of states: no guess


# -- coverage ------------------------------------------------------------------------------


def test_every_invariant_has_a_breaking_history():
    assert BROKEN == set(INVARIANTS)
