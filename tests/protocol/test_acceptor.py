"""The acceptor alone: messages in, effects out, each test tied to "Paxos Made Simple"."""

import pytest

from paxossim.protocol.messages import Vote
from paxossim.protocol import (
    NO_BALLOT,
    Accept,
    Accepted,
    Acceptor,
    AcceptorStorage,
    Ballot,
    Decide,
    Nack,
    Poll,
    Prepare,
    Promise,
    Send,
)

P1, P2, P3 = 1, 2, 3  # proposers
L1, L2 = 20, 21  # learners
LEARNER = 30


def make(storage=None, vote_targets=(L1, L2), nack=True):
    return Acceptor(storage if storage is not None else AcceptorStorage(), vote_targets, nack)


def only_send(effects):
    """The single effect must be a Send; return it."""
    assert len(effects) == 1, effects
    (effect,) = effects
    assert type(effect) is Send
    return effect


# -- phase 1b: promises ---------------------------------------------------------------


def test_first_prepare_is_promised_with_no_proposal():
    """"If an acceptor receives a prepare request with number n greater than that of any
    prepare request to which it has already responded, then it responds to the request
    with a promise ... and with the highest-numbered proposal (if any) that it has
    accepted." (2.3) - here none."""
    a = make()
    b = Ballot(1, P1)
    effects = a.handle(P1, Prepare(b))
    assert effects == [Send((P1,), Promise(b))]
    send = only_send(effects)
    assert type(send.msg) is Promise
    assert a.storage.promise(0) == b
    assert a.storage.vote(0)[0] == NO_BALLOT


def test_higher_prepare_is_promised_and_raises_the_promise():
    """"... a promise not to accept any more proposals numbered less than n" (2.3)."""
    a = make()
    a.handle(P1, Prepare(Ballot(1, P1)))
    b = Ballot(2, P2)
    assert a.handle(P2, Prepare(b)) == [Send((P2,), Promise(b))]
    assert a.storage.promise(0) == b


def test_promise_reports_the_accepted_proposal():
    """"... and with the highest-numbered proposal (if any) that it has accepted." (2.3)"""
    a = make()
    b1 = Ballot(1, P1)
    a.handle(P1, Prepare(b1))
    a.handle(P1, Accept(b1, "x"))
    b2 = Ballot(2, P2)
    assert a.handle(P2, Prepare(b2)) == [Send((P2,), Promise(b2, (Vote(0, b1, "x"),)))]


def test_promise_reports_the_highest_numbered_of_several_accepted_proposals():
    """"An acceptor needs to remember only the highest-numbered proposal that it has ever
    accepted" (2.3): after accepting 1.1 then 2.2, a prepare gets 2.2 and its value."""
    a = make()
    a.handle(P1, Accept(Ballot(1, P1), "x"))
    a.handle(P2, Accept(Ballot(2, P2), "y"))
    b = Ballot(3, P3)
    assert a.handle(P3, Prepare(b)) == [Send((P3,), Promise(b, (Vote(0, Ballot(2, P2), "y"),)))]


@pytest.mark.parametrize(
    "promised, late",
    [
        (Ballot(5, P2), Ballot(4, P3)),  # lower round
        (Ballot(5, P2), Ballot(5, P1)),  # same round, lower node
        (Ballot(5, P2), Ballot(1, P1)),
    ],
)
def test_prepare_below_the_promise_is_refused_with_a_nack(promised, late):
    """"If an acceptor ignores a prepare or accept request because it has already received
    a prepare request with a higher number, then it should probably inform the proposer,
    who should then abandon its proposal." (2.5)"""
    a = make()
    a.handle(promised.node, Prepare(promised))
    effects = a.handle(late.node, Prepare(late))
    assert effects == [Send((late.node,), Nack(late, promised))]
    assert type(only_send(effects).msg) is Nack
    assert a.storage.promise(0) == promised


def test_prepare_below_the_promise_is_ignored_without_the_nack_optimization():
    """"... it can ignore a prepare request numbered n if it has already responded to a
    prepare request numbered greater than n" (2.3): silence when nack=False."""
    a = make(nack=False)
    hi = Ballot(5, P2)
    a.handle(P2, Prepare(hi))
    a.handle(P2, Accept(hi, "y"))
    assert a.handle(P1, Prepare(Ballot(4, P1))) == []
    assert (a.storage.promise(0), *a.storage.vote(0)) == (
        hi, hi, "y",
    )


def test_refused_prepare_does_not_lower_the_promise_nor_forget_the_vote():
    """P1a: "An acceptor can accept a proposal numbered n iff it has not responded to a
    prepare request having a number greater than n." A refused prepare changes nothing."""
    a = make()
    b = Ballot(3, P2)
    a.handle(P2, Prepare(b))
    a.handle(P2, Accept(b, "v"))
    a.handle(P1, Prepare(Ballot(2, P1)))
    assert a.storage == AcceptorStorage({0: b}, votes={0: (b, "v")})


def test_duplicate_prepare_of_the_promised_ballot_is_answered_identically():
    """A repeat of the prepare request it promised last (a duplicated delivery) gets the
    same answer again: the proposer may have lost the first one."""
    a = make()
    a.handle(P1, Accept(Ballot(1, P1), "x"))
    b = Ballot(2, P2)
    first = a.handle(P2, Prepare(b))
    second = a.handle(P2, Prepare(b))
    assert first == second == [Send((P2,), Promise(b, (Vote(0, Ballot(1, P1), "x"),)))]
    assert a.storage.promise(0) == b


# -- phase 2b: accepting --------------------------------------------------------------


def test_accept_of_the_promised_ballot_is_accepted():
    """"If an acceptor receives an accept request for a proposal numbered n, it accepts
    the proposal unless it has already responded to a prepare request having a number
    greater than n." (2.3)"""
    a = make()
    b = Ballot(1, P1)
    a.handle(P1, Prepare(b))
    effects = a.handle(P1, Accept(b, "x"))
    assert effects == [Send((P1, L1, L2), Accepted(b, "x"))]
    assert type(only_send(effects).msg) is Accepted
    assert a.storage == AcceptorStorage({0: b}, votes={0: (b, "x")})


def test_first_accept_without_any_prepare_is_accepted():
    """P1: "An acceptor must accept the first proposal that it receives." (2.2)"""
    a = make()
    b = Ballot(7, P2)
    assert a.handle(P2, Accept(b, "z")) == [Send((P2, L1, L2), Accepted(b, "z"))]
    assert a.storage == AcceptorStorage({0: b}, votes={0: (b, "z")})


def test_accept_above_the_promise_is_accepted_and_raises_the_promise():
    """An accept numbered n above the promise is accepted, and then the acceptor must not
    accept anything below n any more: its promise rises to n."""
    a = make()
    a.handle(P1, Prepare(Ballot(1, P1)))
    b = Ballot(3, P3)
    assert a.handle(P3, Accept(b, "w")) == [Send((P3, L1, L2), Accepted(b, "w"))]
    assert a.storage.promise(0) == b
    # a prepare between the old promise and the accepted ballot is now refused
    mid = Ballot(2, P2)
    assert a.handle(P2, Prepare(mid)) == [Send((P2,), Nack(mid, b))]
    # and so is an accept of it
    assert a.handle(P2, Accept(mid, "m")) == [Send((P2,), Nack(mid, b))]
    assert a.storage == AcceptorStorage({0: b}, votes={0: (b, "w")})


def test_later_higher_accept_replaces_the_vote():
    """An acceptor may accept several proposals (2.2): each higher accept is accepted."""
    a = make()
    a.handle(P1, Accept(Ballot(1, P1), "x"))
    b = Ballot(2, P2)
    assert a.handle(P2, Accept(b, "y")) == [Send((P2, L1, L2), Accepted(b, "y"))]
    assert a.storage == AcceptorStorage({0: b}, votes={0: (b, "y")})


def test_accept_below_the_promise_is_refused_with_a_nack():
    """"... it accepts the proposal unless it has already responded to a prepare request
    having a number greater than n" (2.3), and informs the proposer (2.5)."""
    a = make()
    a.handle(P1, Prepare(Ballot(1, P1)))
    hi = Ballot(2, P2)
    a.handle(P2, Prepare(hi))
    lo = Ballot(1, P1)
    effects = a.handle(P1, Accept(lo, "x"))
    assert effects == [Send((P1,), Nack(lo, hi))]
    assert type(only_send(effects).msg) is Nack
    assert a.storage == AcceptorStorage({0: hi})


def test_accept_below_an_accepted_ballot_is_refused():
    """Accepting 2.2 answered no prepare, but it is a promise all the same: 1.1 is
    refused afterwards and the vote for 2.2 stays."""
    a = make()
    hi = Ballot(2, P2)
    a.handle(P2, Accept(hi, "y"))
    lo = Ballot(1, P1)
    assert a.handle(P1, Accept(lo, "x")) == [Send((P1,), Nack(lo, hi))]
    assert a.storage == AcceptorStorage({0: hi}, votes={0: (hi, "y")})


def test_accept_below_the_promise_is_ignored_without_the_nack_optimization():
    """Without the optimization of 2.5 the refused accept request is simply ignored."""
    a = make(nack=False)
    hi = Ballot(2, P2)
    a.handle(P2, Prepare(hi))
    assert a.handle(P1, Accept(Ballot(1, P1), "x")) == []
    assert a.storage == AcceptorStorage({0: hi})


def test_nack_goes_to_the_sender_of_the_request():
    """"... it should probably inform the proposer" (2.5): the Nack answers the node the
    refused request came from."""
    a = make()
    hi = Ballot(9, P3)
    a.handle(P3, Prepare(hi))
    lo = Ballot(1, P1)
    assert a.handle(P2, Prepare(lo)) == [Send((P2,), Nack(lo, hi))]
    assert a.handle(P2, Accept(lo, "x")) == [Send((P2,), Nack(lo, hi))]


def test_duplicate_accept_is_accepted_again_identically():
    """A duplicated accept request gets the same vote again (the first may be lost)."""
    a = make()
    b = Ballot(1, P1)
    first = a.handle(P1, Accept(b, "x"))
    second = a.handle(P1, Accept(b, "x"))
    assert first == second == [Send((P1, L1, L2), Accepted(b, "x"))]


# -- who hears a vote -------------------------------------------------------------------


@pytest.mark.parametrize(
    "vote_targets, proposer, dsts",
    [
        ((L1, L2), P1, (P1, L1, L2)),
        ((L2, L1), P1, (P1, L1, L2)),  # sorted
        ((L1, P1, L2), P1, (P1, L1, L2)),  # the proposer is a learner too: once
        ((5, 50), 7, (5, 7, 50)),  # the proposer lands in sorted position
        ((), P2, (P2,)),  # poll mode: only the proposer hears it
    ],
)
def test_accepted_goes_to_the_proposer_and_the_vote_targets(vote_targets, proposer, dsts):
    """"Have each acceptor, whenever it accepts a proposal, respond to all learners,
    sending them the proposal" (2.4); the proposer hears it as well, deduplicated and
    in a stable (sorted) order."""
    a = make(vote_targets=vote_targets)
    b = Ballot(1, proposer)
    assert a.handle(proposer, Accept(b, "v")) == [Send(dsts, Accepted(b, "v"))]


def test_vote_destinations_follow_each_ballots_proposer():
    """Votes of different proposers' ballots go to their own proposer each."""
    a = make(vote_targets=(L1,))
    assert a.handle(P1, Accept(Ballot(1, P1), "x")) == [
        Send((P1, L1), Accepted(Ballot(1, P1), "x"))
    ]
    assert a.handle(P3, Accept(Ballot(2, P3), "y")) == [
        Send((P3, L1), Accepted(Ballot(2, P3), "y"))
    ]
    assert a.handle(P1, Accept(Ballot(3, P1), "z")) == [
        Send((P1, L1), Accepted(Ballot(3, P1), "z"))
    ]


def test_vote_goes_to_the_sender_of_the_accept_request():
    """The proposer that sent the accept request hears the vote, so it knows when phase 2
    has a quorum - even when the ballot's number names another node (the vote follows
    the request, not the number)."""
    a = make(vote_targets=(L1,))
    b = Ballot(1, P1)
    assert a.handle(P2, Accept(b, "x")) == [Send((P2, L1), Accepted(b, "x"))]


# -- polls ---------------------------------------------------------------------------


def test_poll_before_any_vote_is_not_answered():
    """"The learner could ask the acceptors what proposals they have accepted" (2.4): an
    acceptor that accepted nothing has nothing to report."""
    a = make()
    assert a.handle(LEARNER, Poll()) == []
    a.handle(P1, Prepare(Ballot(1, P1)))  # a promise is not a vote
    assert a.handle(LEARNER, Poll()) == []


def test_poll_is_answered_with_the_accepted_proposal():
    """"The learner could ask the acceptors what proposals they have accepted" (2.4)."""
    a = make()
    b = Ballot(1, P1)
    a.handle(P1, Accept(b, "x"))
    effects = a.handle(LEARNER, Poll())
    assert effects == [Send((LEARNER,), Accepted(b, "x"))]
    assert type(only_send(effects).msg) is Accepted
    b2 = Ballot(2, P2)
    a.handle(P2, Accept(b2, "y"))
    assert a.handle(LEARNER, Poll()) == [Send((LEARNER,), Accepted(b2, "y"))]


def test_poll_changes_no_state():
    """A poll only asks "what proposals they have accepted" (2.4): it is neither a
    prepare (no promise) nor an accept (no vote)."""
    a = make()
    b = Ballot(4, P2)
    a.handle(P2, Accept(b, "q"))
    hi = Ballot(6, P3)
    a.handle(P3, Prepare(hi))
    assert a.handle(LEARNER, Poll()) == [Send((LEARNER,), Accepted(b, "q"))]
    assert a.storage == AcceptorStorage({0: hi}, votes={0: (b, "q")})


# -- stable storage -------------------------------------------------------------------


def test_restarted_acceptor_keeps_its_promise():
    """"An acceptor must remember this information even if it fails and then restarts."
    (2.3) - a new Acceptor on the same storage still refuses below its promise."""
    storage = AcceptorStorage()
    hi = Ballot(5, P2)
    make(storage).handle(P2, Prepare(hi))
    restarted = make(storage)
    lo = Ballot(4, P1)
    assert restarted.handle(P1, Prepare(lo)) == [Send((P1,), Nack(lo, hi))]
    assert restarted.handle(P1, Accept(lo, "x")) == [Send((P1,), Nack(lo, hi))]
    assert storage == AcceptorStorage({0: hi})


def test_restarted_acceptor_keeps_its_vote():
    """"An acceptor must remember this information even if it fails and then restarts."
    (2.3) - the accepted proposal is still reported in promises and polls."""
    storage = AcceptorStorage()
    b = Ballot(2, P1)
    make(storage).handle(P1, Accept(b, "x"))
    restarted = make(storage)
    b2 = Ballot(3, P2)
    assert restarted.handle(P2, Prepare(b2)) == [Send((P2,), Promise(b2, (Vote(0, b, "x"),)))]
    assert make(storage).handle(LEARNER, Poll()) == [Send((LEARNER,), Accepted(b, "x"))]


def test_all_state_lives_in_the_storage():
    """Every step writes through to the storage object handed in (nothing is kept aside
    that a restart would lose)."""
    storage = AcceptorStorage()
    a = make(storage)
    assert a.storage is storage
    b = Ballot(1, P1)
    a.handle(P1, Prepare(b))
    assert storage.promise(0) == b
    a.handle(P1, Accept(b, "x"))
    assert storage.vote(0) == (b, "x")


# -- anything else --------------------------------------------------------------------


@pytest.mark.parametrize(
    "msg",
    [
        Promise(Ballot(9, P1)),
        Accepted(Ballot(9, P1), "x"),
        Nack(Ballot(1, P1), Ballot(9, P2)),
        Decide("x"),
        "garbage",
    ],
)
def test_messages_for_other_roles_are_ignored(msg):
    """An acceptor "never initiates anything": it only answers prepare, accept and poll."""
    a = make()
    b = Ballot(2, P1)
    a.handle(P1, Accept(b, "x"))
    assert a.handle(P1, msg) == []
    assert a.storage == AcceptorStorage({0: b}, votes={0: (b, "x")})


# -- the log: a synod per slot (Paxos Made Simple, 3) -----------------------------------


def test_promises_and_votes_are_kept_per_slot():
    a = make()
    b1, b2 = Ballot(1, P1), Ballot(2, P2)
    a.handle(P2, Prepare(b2, 1))
    assert a.handle(P1, Accept(b1, "x", 0)) == [Send((P1, L1, L2), Accepted(b1, "x", 0))]
    assert a.handle(P1, Accept(b1, "y", 1)) == [Send((P1,), Nack(b1, b2, 1))]


def test_a_prepare_for_a_slot_and_above_reports_every_vote_there():
    """The leader's one phase 1 for all instances: the promise covers the slot and every
    slot above, and reports the vote of each."""
    from paxossim.protocol.messages import Vote

    a = make()
    b1, b2 = Ballot(1, P1), Ballot(2, P2)
    a.handle(P1, Accept(b1, "x", 0))
    a.handle(P1, Accept(b1, "y", 3))
    a.handle(P1, Accept(b1, "z", 5))
    assert a.handle(P2, Prepare(b2, 3, upward=True)) == [
        Send((P2,), Promise(b2, (Vote(3, b1, "y"), Vote(5, b1, "z")), 3, True))
    ]
    assert a.storage.promise(4) == a.storage.promise(99) == b2
    assert a.storage.promise(0) == b1  # below the prepared slot: unchanged
    assert a.handle(P1, Accept(b1, "w", 7)) == [Send((P1,), Nack(b1, b2, 7))]


def test_a_prepare_upward_below_a_higher_promise_above_is_refused():
    a = make()
    b1, b2 = Ballot(1, P1), Ballot(2, P2)
    a.handle(P2, Prepare(b2, 9))
    assert a.handle(P1, Prepare(b1, 3, upward=True)) == [Send((P1,), Nack(b1, b2, 3))]


def test_a_poll_is_answered_with_the_votes_from_the_polled_slot():
    a = make()
    b = Ballot(1, P1)
    for s in (0, 2, 3):
        a.handle(P1, Accept(b, f"v{s}", s))
    answer = a.handle(LEARNER, Poll(2))
    assert [e.msg for e in answer] == [Accepted(b, "v2", 2), Accepted(b, "v3", 3)]
