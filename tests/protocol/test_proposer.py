"""The proposer alone: messages and timers in, effects out, each test tied to a sentence
of "Paxos Made Simple"."""

from itertools import permutations

import pytest

from paxossim.protocol.messages import Vote
from paxossim.protocol import (
    NO_BALLOT,
    Accept,
    Accepted,
    Ballot,
    CancelTimer,
    Decide,
    Decided,
    Nack,
    Poll,
    Prepare,
    Promise,
    Proposer,
    ProposerStorage,
    Quorums,
    Reissue,
    RoundAbandoned,
    RoundStarted,
    Send,
    SetTimer,
    ValueAdopted,
)

ME = 1
OTHER = 2
ACCEPTORS = (10, 11, 12)
A1, A2, A3 = ACCEPTORS
FIVE = (10, 11, 12, 13, 14)
RETRY_TIMEOUT = 5.0


def no_backoff(attempt: int) -> float:
    return 0.0


def make(
    node=ME,
    value="mine",
    acceptors=ACCEPTORS,
    quorums=None,
    backoff=no_backoff,
    storage=None,
    cls=Proposer,
):
    return cls(
        node,
        value,
        acceptors,
        quorums if quorums is not None else Quorums.majority(len(acceptors)),
        RETRY_TIMEOUT,
        backoff,
        storage if storage is not None else ProposerStorage(),
    )


def round_start(ballot, acceptors=ACCEPTORS):
    """The exact effects of beginning phase 1 of `ballot`."""
    return [
        RoundStarted(ballot),
        Send(acceptors, Prepare(ballot)),
        SetTimer("retry", RETRY_TIMEOUT),
    ]


def empty_promise(ballot):
    return Promise(ballot)


def to_phase2(p, acceptors=ACCEPTORS[:2]):
    """Start `p` and hand it empty promises from `acceptors`; return its ballot."""
    p.start()
    b = p.ballot
    for a in acceptors:
        p.handle(a, empty_promise(b))
    return b


def started_ballot(effects):
    (started,) = [e for e in effects if type(e) is RoundStarted]
    return started.ballot


# -- phase 1a --------------------------------------------------------------------------


def test_start_sends_prepare_to_every_acceptor_and_arms_the_retry_timer():
    """"A proposer chooses a new proposal number n and sends a request to each member of
    some set of acceptors" (2.2) - every acceptor, ballot (round 1, own node)."""
    p = make()
    effects = p.start()
    assert effects == round_start(Ballot(1, ME))
    assert [type(e) for e in effects] == [RoundStarted, Send, SetTimer]
    assert type(effects[1].msg) is Prepare


def test_start_twice_does_not_start_a_second_round():
    """Once proposing, asking again starts nothing new."""
    p = make()
    p.start()
    assert p.start() == []
    assert p.ballot == Ballot(1, ME)


def test_ballots_are_unique_per_proposer():
    """"Different proposers choose their numbers from disjoint sets of numbers, so two
    different proposers never issue a proposal with the same number." (2.5)"""
    mine = started_ballot(make(node=ME).start())
    theirs = started_ballot(make(node=OTHER).start())
    assert mine == Ballot(1, ME)
    assert theirs == Ballot(1, OTHER)
    assert mine != theirs


def test_ballots_strictly_increase_from_round_to_round():
    """"... begins phase 1 with a higher proposal number than any it has already used."
    (2.5)"""
    p = make()
    ballots = [started_ballot(p.start())]
    for _ in range(4):
        ballots.append(started_ballot(p.on_timer("retry")))
    assert ballots == [Ballot(r, ME) for r in range(1, 6)]
    assert all(x < y for x, y in zip(ballots, ballots[1:]))
    assert p.storage.round == 5


def test_the_round_is_stored_before_the_prepare_goes_out():
    """"Each proposer remembers (in stable storage) the highest-numbered proposal it has
    tried to issue" (2.5) - by the time the Prepare is emitted."""
    storage = ProposerStorage()
    p = make(storage=storage)
    p.start()
    assert storage.round == 1


def test_after_a_restart_the_next_ballot_is_higher_than_any_used_before():
    """"Each proposer remembers (in stable storage) the highest-numbered proposal it has
    tried to issue, and begins phase 1 with a higher proposal number than any it has
    already used." (2.5)"""
    storage = ProposerStorage()
    p = make(storage=storage)
    used = [started_ballot(p.start())]
    used.append(started_ballot(p.on_timer("retry")))
    used.append(started_ballot(p.on_timer("retry")))
    restarted = make(storage=storage)
    effects = restarted.start()
    assert effects == round_start(Ballot(4, ME))
    assert all(started_ballot(effects) > b for b in used)


def test_after_a_restart_a_round_raised_by_a_nack_is_not_reused():
    """"... higher proposal number than any it has already used" (2.5) - also when the
    last round it used was jumped up by a Nack."""
    storage = ProposerStorage()
    p = make(storage=storage)
    p.start()
    effects = p.handle(A1, Nack(Ballot(1, ME), Ballot(7, OTHER)))
    assert started_ballot(effects) == Ballot(8, ME)
    assert make(storage=storage).start() == round_start(Ballot(9, ME))


def test_a_restarted_proposer_starts_from_stored_round():
    storage = ProposerStorage(round=41)
    assert make(storage=storage).start() == round_start(Ballot(42, ME))


# -- phase 1b -> 2a -------------------------------------------------------------------


def test_a_minority_of_promises_is_not_enough():
    """"If the proposer receives the requested responses from a majority of the
    acceptors, then it can issue a proposal" (2.2) - one of three is not a majority."""
    p = make()
    p.start()
    b = p.ballot
    assert p.handle(A1, empty_promise(b)) == []
    p5 = make(acceptors=FIVE)
    p5.start()
    assert p5.handle(10, empty_promise(p5.ballot)) == []
    assert p5.handle(11, empty_promise(p5.ballot)) == []


def test_majority_of_empty_promises_proposes_its_own_value():
    """"... or is any value selected by the proposer if the responders reported no
    proposals." (2.2)"""
    p = make()
    p.start()
    b = p.ballot
    p.handle(A1, empty_promise(b))
    effects = p.handle(A3, empty_promise(b))
    assert effects == [Send(ACCEPTORS, Accept(b, "mine")), SetTimer("retry", RETRY_TIMEOUT)]
    assert type(effects[0].msg) is Accept
    assert not any(type(e) is ValueAdopted for e in effects)


@pytest.mark.parametrize("order", list(permutations([10, 11, 12])))
def test_adopts_the_value_of_the_highest_numbered_accepted_proposal(order):
    """"... where v is the value of the highest-numbered proposal among the responses"
    (2.2), whatever order the responses arrive in."""
    p = make(acceptors=FIVE, storage=ProposerStorage(round=4))
    p.start()
    b = p.ballot
    assert b == Ballot(5, ME)
    reports = {
        10: Promise(b),
        11: Promise(b, (Vote(0, Ballot(3, OTHER), "newer"),)),
        12: Promise(b, (Vote(0, Ballot(2, 4), "older"),)),
    }
    effects = []
    for src in order:
        effects = p.handle(src, reports[src])
    assert effects == [
        ValueAdopted(b, "newer"),
        Send(FIVE, Accept(b, "newer")),
        SetTimer("retry", RETRY_TIMEOUT),
    ]
    assert type(effects[0]) is ValueAdopted


@pytest.mark.parametrize("first", ["from-4", "from-2"])
def test_adopts_the_higher_node_on_a_round_tie(first):
    """"The highest-numbered proposal" (2.2): ballots of one round are ordered by node,
    whichever response arrives first."""
    p = make(storage=ProposerStorage(round=4))
    p.start()
    b = p.ballot
    reports = {"from-4": (A1, Promise(b, (Vote(0, Ballot(3, 4), "from-4"),))),
               "from-2": (A2, Promise(b, (Vote(0, Ballot(3, 2), "from-2"),)))}  # fmt: skip
    second = "from-2" if first == "from-4" else "from-4"
    assert p.handle(*reports[first]) == []
    effects = p.handle(*reports[second])
    assert effects == [
        ValueAdopted(b, "from-4"),
        Send(ACCEPTORS, Accept(b, "from-4")),
        SetTimer("retry", RETRY_TIMEOUT),
    ]


def test_a_single_reported_proposal_among_empty_ones_is_adopted():
    """"v is the value of the highest-numbered proposal among the responses" (2.2): one
    report is enough to bind the value."""
    p = make(storage=ProposerStorage(round=2))
    p.start()
    b = p.ballot
    p.handle(A1, empty_promise(b))
    effects = p.handle(A2, Promise(b, (Vote(0, Ballot(2, OTHER), "theirs"),)))
    assert effects == [
        ValueAdopted(b, "theirs"),
        Send(ACCEPTORS, Accept(b, "theirs")),
        SetTimer("retry", RETRY_TIMEOUT),
    ]


def test_promises_for_an_older_ballot_do_not_count():
    """Only responses "to its prepare requests (numbered n)" (2.3) count for n: promises
    left over from an abandoned round are neither counted nor read for a value."""
    p = make(storage=ProposerStorage(round=2))
    p.start()
    old = p.ballot
    p.on_timer("retry")
    new = p.ballot
    assert new > old
    assert p.handle(A1, Promise(old, (Vote(0, Ballot(2, OTHER), "stale"),))) == []
    assert p.handle(A2, Promise(old, (Vote(0, Ballot(2, OTHER), "stale"),))) == []
    assert p.handle(A3, empty_promise(new)) == []
    effects = p.handle(A1, empty_promise(new))
    assert effects == [Send(ACCEPTORS, Accept(new, "mine")), SetTimer("retry", RETRY_TIMEOUT)]


def test_duplicate_promises_from_one_acceptor_count_once():
    """"A majority of acceptors" (2.2) means distinct acceptors: a duplicated promise is
    not a second response."""
    p = make()
    p.start()
    b = p.ballot
    assert p.handle(A1, empty_promise(b)) == []
    assert p.handle(A1, empty_promise(b)) == []
    assert p.handle(A1, empty_promise(b)) == []
    assert p.handle(A2, empty_promise(b)) == [
        Send(ACCEPTORS, Accept(b, "mine")),
        SetTimer("retry", RETRY_TIMEOUT),
    ]


def test_promises_after_the_quorum_are_ignored():
    """Phase 2 is entered once: a late promise neither re-sends accept requests nor changes
    the value."""
    p = make()
    b = to_phase2(p)
    assert p.handle(A3, Promise(b, (Vote(0, Ballot(0, 0), "late"),))) == []


def test_phase1_quorum_size_is_respected():
    """Phase 1 waits for a phase-1 quorum (4 of 5 here), phase 2 for a phase-2 quorum."""
    q = Quorums(5, 4, 2)
    p = make(acceptors=FIVE, quorums=q)
    p.start()
    b = p.ballot
    for a in FIVE[:3]:
        assert p.handle(a, empty_promise(b)) == []
    assert p.handle(FIVE[3], empty_promise(b)) == [
        Send(FIVE, Accept(b, "mine")),
        SetTimer("retry", RETRY_TIMEOUT),
    ]
    assert p.handle(10, Accepted(b, "mine")) == []
    assert p.handle(14, Accepted(b, "mine")) == [CancelTimer("retry"), Decided(b, "mine")]


# -- phase 2b -------------------------------------------------------------------------


def test_a_quorum_of_accepted_decides_and_cancels_the_retry_timer():
    """"A value is chosen when a single proposal with that value has been accepted by a
    majority of the acceptors." (2.1)"""
    p = make()
    b = to_phase2(p)
    assert p.handle(A3, Accepted(b, "mine")) == []
    effects = p.handle(A1, Accepted(b, "mine"))
    assert effects == [CancelTimer("retry"), Decided(b, "mine")]
    assert [type(e) for e in effects] == [CancelTimer, Decided]


def test_decided_reports_the_adopted_value():
    """The chosen value is the one proposed in phase 2, which may be an adopted one."""
    p = make(storage=ProposerStorage(round=2))
    p.start()
    b = p.ballot
    p.handle(A1, Promise(b, (Vote(0, Ballot(1, OTHER), "theirs"),)))
    p.handle(A2, empty_promise(b))
    p.handle(A1, Accepted(b, "theirs"))
    assert p.handle(A2, Accepted(b, "theirs")) == [CancelTimer("retry"), Decided(b, "theirs")]


def test_duplicate_accepted_from_one_acceptor_counts_once():
    """"Accepted by a majority of the acceptors" (2.1): distinct acceptors."""
    p = make()
    b = to_phase2(p)
    assert p.handle(A1, Accepted(b, "mine")) == []
    assert p.handle(A1, Accepted(b, "mine")) == []
    assert p.handle(A2, Accepted(b, "mine")) == [CancelTimer("retry"), Decided(b, "mine")]


def test_accepted_for_another_ballot_does_not_count():
    """"... a single proposal ... accepted by a majority" (2.1): votes for an old ballot of
    this proposer, or another's ballot, are not votes for the current one."""
    p = make()
    p.start()
    old = p.ballot
    p.on_timer("retry")
    b = p.ballot
    p.handle(A1, empty_promise(b))
    p.handle(A2, empty_promise(b))
    assert p.handle(A1, Accepted(old, "mine")) == []
    assert p.handle(A2, Accepted(old, "mine")) == []
    assert p.handle(A3, Accepted(Ballot(b.round, OTHER), "x")) == []
    assert p.handle(A2, Accepted(b, "mine")) == []
    assert p.handle(A3, Accepted(b, "mine")) == [CancelTimer("retry"), Decided(b, "mine")]


def test_accepted_before_phase2_is_ignored():
    """Votes for a ballot whose accept requests were not yet issued are not counted."""
    p = make()
    p.start()
    b = p.ballot
    assert p.handle(A1, Accepted(b, "x")) == []
    assert p.handle(A2, Accepted(b, "x")) == []
    p.handle(A1, empty_promise(b))
    p.handle(A2, empty_promise(b))
    assert p.handle(A3, Accepted(b, "mine")) == []


def test_after_deciding_everything_is_ignored():
    """Its proposal is chosen: nothing is left to do, and nothing is started again."""
    p = make()
    b = to_phase2(p)
    p.handle(A1, Accepted(b, "mine"))
    p.handle(A2, Accepted(b, "mine"))
    assert p.handle(A3, Accepted(b, "mine")) == []
    assert p.handle(A3, Nack(b, Ballot(9, OTHER))) == []
    assert p.on_timer("retry") == []
    assert p.on_timer("backoff") == []
    assert p.start() == []
    assert p.stop() == []


# -- abandoning a round ---------------------------------------------------------------


@pytest.mark.parametrize(
    "promised, next_round",
    [
        (Ballot(7, OTHER), 8),
        (Ballot(1, OTHER), 2),  # same round, higher node
        (Ballot(30, 0), 31),
    ],
)
def test_nack_abandons_and_starts_a_higher_round_immediately(promised, next_round):
    """"An acceptor ... should probably inform the proposer, who should then abandon its
    proposal" (2.5); "by abandoning a proposal and trying again if it learns about some
    request with a higher proposal number, the distinguished proposer will eventually
    choose a high enough proposal number" (2.4)."""
    p = make()
    p.start()
    b = p.ballot
    effects = p.handle(A1, Nack(b, promised))
    nb = Ballot(next_round, ME)
    assert effects == [RoundAbandoned(b, "nack", 1), CancelTimer("retry"), *round_start(nb)]
    assert type(effects[0]) is RoundAbandoned
    assert nb > promised


def test_nack_in_phase2_abandons_too():
    """"If an acceptor ignores a prepare or accept request ..." (2.5): a refused accept
    request also makes the proposer abandon."""
    p = make()
    b = to_phase2(p)
    effects = p.handle(A3, Nack(b, Ballot(4, OTHER)))
    assert effects == [
        RoundAbandoned(b, "nack", 2),
        CancelTimer("retry"),
        *round_start(Ballot(5, ME)),
    ]


def test_nack_with_a_backoff_waits_before_the_next_round():
    """"It can abandon a proposal in the middle of the protocol at any time" (2.2) and try
    again later: with a positive backoff the next round waits for the backoff timer."""
    p = make(backoff=lambda attempt: 0.25)
    p.start()
    b = p.ballot
    effects = p.handle(A1, Nack(b, Ballot(6, OTHER)))
    assert effects == [
        RoundAbandoned(b, "nack", 1),
        CancelTimer("retry"),
        SetTimer("backoff", 0.25),
    ]
    assert not any(type(e) is Send for e in effects)
    assert p.on_timer("backoff") == round_start(Ballot(7, ME))


def test_messages_during_backoff_are_ignored():
    """Between rounds the abandoned ballot's answers are stale."""
    p = make(backoff=lambda attempt: 1.0)
    p.start()
    b = p.ballot
    p.handle(A1, Nack(b, Ballot(2, OTHER)))
    assert p.handle(A2, empty_promise(b)) == []
    assert p.handle(A3, empty_promise(b)) == []
    assert p.handle(A2, Accepted(b, "mine")) == []
    assert p.handle(A2, Nack(b, Ballot(3, OTHER))) == []
    assert p.on_timer("retry") == []  # a stale retry timer
    assert p.on_timer("backoff") == round_start(Ballot(4, ME))


def test_retry_timeout_in_phase1_abandons():
    """"It can abandon a proposal in the middle of the protocol at any time" (2.2): no
    majority in time, so the round is given up for a higher one."""
    p = make()
    p.start()
    b = p.ballot
    effects = p.on_timer("retry")
    assert effects == [
        RoundAbandoned(b, "timeout", 1),
        CancelTimer("retry"),
        *round_start(Ballot(2, ME)),
    ]


def test_retry_timeout_in_phase2_abandons():
    p = make(backoff=lambda attempt: 3.0)
    b = to_phase2(p)
    p.handle(A1, Accepted(b, "mine"))
    assert p.on_timer("retry") == [
        RoundAbandoned(b, "timeout", 2),
        CancelTimer("retry"),
        SetTimer("backoff", 3.0),
    ]


def test_stale_nack_for_an_older_ballot_is_ignored():
    """Only a refusal of the current proposal makes the proposer abandon it (2.5)."""
    p = make()
    p.start()
    old = p.ballot
    p.on_timer("retry")
    b = p.ballot
    assert p.handle(A1, Nack(old, Ballot(1, OTHER))) == []
    # the current round goes on undisturbed
    p.handle(A1, empty_promise(b))
    assert p.handle(A2, empty_promise(b)) == [
        Send(ACCEPTORS, Accept(b, "mine")),
        SetTimer("retry", RETRY_TIMEOUT),
    ]


def test_stale_nack_still_teaches_a_higher_number():
    """"... trying again if it learns about some request with a higher proposal number"
    (2.4): even a stale Nack tells of a higher number, which the next round exceeds."""
    p = make()
    p.start()
    old = p.ballot
    p.on_timer("retry")
    assert p.handle(A1, Nack(old, Ballot(20, OTHER))) == []
    b = p.ballot
    assert started_ballot(p.on_timer("retry")) == Ballot(21, ME)
    assert b == Ballot(2, ME)


def test_nack_from_another_proposers_ballot_is_ignored():
    p = make()
    p.start()
    b = p.ballot
    assert p.handle(A1, Nack(Ballot(b.round, OTHER), Ballot(5, 3))) == []
    assert p.ballot == b


def test_backoff_attempts_count_1_2_3():
    """Each abandoned round, by Nack or by timeout, in phase 1 or 2, is one more attempt
    handed to the backoff policy: 1 for the first retry, then 2, 3..."""
    calls = []

    def backoff(attempt):
        calls.append(attempt)
        return 0.0

    p = make(backoff=backoff)
    p.start()
    p.on_timer("retry")  # timeout in phase 1
    assert calls == [1]
    p.handle(A1, Nack(p.ballot, Ballot(p.ballot.round + 1, OTHER)))  # nack in phase 1
    assert calls == [1, 2]
    b = p.ballot
    p.handle(A1, empty_promise(b))
    p.handle(A2, empty_promise(b))
    p.on_timer("retry")  # timeout in phase 2
    assert calls == [1, 2, 3]
    assert p.attempts == 3


def test_backoff_delay_is_the_policys_answer_for_the_attempt():
    p = make(backoff=lambda attempt: 0.5 * attempt)
    p.start()
    assert p.on_timer("retry")[-1] == SetTimer("backoff", 0.5)
    p.on_timer("backoff")
    assert p.on_timer("retry")[-1] == SetTimer("backoff", 1.0)
    p.on_timer("backoff")
    assert p.on_timer("retry")[-1] == SetTimer("backoff", 1.5)


def test_stale_backoff_timer_during_a_round_is_ignored():
    p = make()
    p.start()
    b = p.ballot
    assert p.on_timer("backoff") == []
    assert p.ballot == b


def test_unknown_timer_is_ignored():
    p = make()
    p.start()
    assert p.on_timer("poll") == []


@pytest.mark.parametrize(
    "msg",
    [Prepare(Ballot(9, OTHER)), Accept(Ballot(9, OTHER), "x"), Decide("x"), Poll(), "junk"],
)
def test_messages_for_other_roles_are_ignored(msg):
    p = make()
    p.start()
    assert p.handle(A1, msg) == []
    assert p.ballot == Ballot(1, ME)


# -- stop -----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["phase1", "phase2", "backoff", "idle"])
def test_stop_cancels_the_timers_and_everything_after_is_ignored(where):
    """A learner on the node knows a value is chosen: "a proposer can make multiple
    proposals ... It can abandon a proposal in the middle of the protocol at any time"
    (2.2) - and here it abandons for good."""
    p = make(backoff=lambda attempt: 1.0)
    b = Ballot(1, ME)
    if where == "phase1":
        p.start()
    elif where == "phase2":
        to_phase2(p)
    elif where == "backoff":
        p.start()
        p.on_timer("retry")
    assert p.stop() == [CancelTimer("retry"), CancelTimer("backoff")]
    assert p.start() == []
    assert p.handle(A1, empty_promise(b)) == []
    assert p.handle(A2, empty_promise(b)) == []
    assert p.handle(A3, empty_promise(b)) == []
    assert p.handle(A1, Accepted(b, "mine")) == []
    assert p.handle(A2, Accepted(b, "mine")) == []
    assert p.handle(A3, Accepted(b, "mine")) == []
    assert p.handle(A1, Nack(b, Ballot(5, OTHER))) == []
    assert p.on_timer("retry") == []
    assert p.on_timer("backoff") == []
    assert p.stop() == []


# -- a decided proposer stays done across a restart -----------------------------------


def test_deciding_is_written_to_stable_storage():
    """Its proposal "has been accepted by a majority" (2.1): that fact is stored, so the
    proposer has nothing left to do even after a restart."""
    storage = ProposerStorage()
    p = make(storage=storage)
    b = to_phase2(p)
    p.handle(A1, Accepted(b, "mine"))
    assert not storage.decided
    p.handle(A2, Accepted(b, "mine"))
    assert storage.decided
    restarted = make(storage=storage)
    assert restarted.start() == []
    assert restarted.handle(A1, empty_promise(Ballot(2, ME))) == []
    assert restarted.on_timer("retry") == []
    assert storage.round == 1  # no new number was drawn


def test_a_restarted_undecided_proposer_proposes_again():
    storage = ProposerStorage()
    to_phase2(make(storage=storage))
    assert not storage.decided
    assert make(storage=storage).start() == round_start(Ballot(2, ME))


# -- proposing a value handed over ------------------------------------------------------


def test_start_with_a_value_proposes_that_value():
    """"... or is any value selected by the proposer if the responders reported no
    proposals" (2.2) - here a value handed to it by another node."""
    p = make(value="mine")
    assert p.start("handed") == round_start(Ballot(1, ME))
    b = p.ballot
    p.handle(A1, empty_promise(b))
    assert p.handle(A2, empty_promise(b)) == [
        Send(ACCEPTORS, Accept(b, "handed")),
        SetTimer("retry", RETRY_TIMEOUT),
    ]


def test_a_handed_value_still_yields_to_an_accepted_one():
    """"... v is the value of the highest-numbered proposal among the responses" (2.2),
    whichever value the proposer was asked to propose."""
    p = make(storage=ProposerStorage(round=3))
    p.start("handed")
    b = p.ballot
    p.handle(A1, Promise(b, (Vote(0, Ballot(2, OTHER), "theirs"),)))
    assert p.handle(A2, empty_promise(b))[:2] == [
        ValueAdopted(b, "theirs"),
        Send(ACCEPTORS, Accept(b, "theirs")),
    ]


# -- pausing (no longer leading) --------------------------------------------------------


@pytest.mark.parametrize("phase", [1, 2])
def test_pause_abandons_the_running_round(phase):
    """"It can abandon a proposal in the middle of the protocol at any time" (2.2): a
    deposed leader gives its round up, reporting in which phase."""
    p = make()
    if phase == 1:
        p.start()
        b = p.ballot
    else:
        b = to_phase2(p)
    assert p.pause() == [
        RoundAbandoned(b, "deposed", phase),
        CancelTimer("retry"),
        CancelTimer("backoff"),
    ]
    # the paused round's answers no longer count
    assert p.handle(A3, empty_promise(b)) == []
    assert p.handle(A1, Accepted(b, "mine")) == []
    assert p.handle(A2, Accepted(b, "mine")) == []
    assert p.handle(A3, Accepted(b, "mine")) == []
    assert p.on_timer("retry") == []
    assert p.ballot == b


def test_pause_during_backoff_cancels_the_backoff():
    p = make(backoff=lambda attempt: 1.0)
    p.start()
    p.on_timer("retry")
    assert p.pause() == [CancelTimer("retry"), CancelTimer("backoff")]


def test_start_after_pause_uses_a_higher_number():
    """"... begins phase 1 with a higher proposal number than any it has already used."
    (2.5)"""
    p = make()
    p.start()
    p.handle(A1, Nack(p.ballot, Ballot(6, OTHER)))
    used = p.ballot
    p.pause()
    effects = p.start()
    assert started_ballot(effects) > used
    assert effects == round_start(Ballot(8, ME))


def test_pause_after_deciding_does_nothing():
    p = make()
    b = to_phase2(p)
    p.handle(A1, Accepted(b, "mine"))
    p.handle(A2, Accepted(b, "mine"))
    assert p.pause() == []
    assert p.start() == []


# -- issuing a proposal a learner asks for ------------------------------------------------


def test_a_decided_proposer_issues_a_new_proposal_when_a_learner_asks():
    """"It can have a proposer issue a proposal" (2.3): a proposer that has decided runs a
    new ballot, numbered above every one it issued, whose phase 1 finds the chosen value."""
    p = make()
    b = to_phase2(p)
    p.handle(A1, Accepted(b, "mine"))
    p.handle(A2, Accepted(b, "mine"))
    effects = p.handle(40, Reissue())
    assert started_ballot(effects) == Ballot(b.round + 1, ME)
    nxt = p.ballot
    p.handle(A1, Promise(nxt, (Vote(0, b, "mine"),)))
    assert Send(ACCEPTORS, Accept(nxt, "mine")) in p.handle(A2, Promise(nxt, (Vote(0, b, "mine"),)))


def test_a_proposer_at_work_ignores_a_learner_asking():
    p = make()
    to_phase2(p)
    assert p.handle(40, Reissue()) == []


def test_a_proposer_whose_client_never_asked_ignores_a_learner_asking():
    """Stopped because its node's learner learned, it has no input of its own to propose."""
    p = make()
    p.stop()
    assert p.handle(40, Reissue()) == []
    after_restart = make(storage=ProposerStorage(round=1, decided=True, proposed=True))
    after_restart.start()
    assert started_ballot(after_restart.handle(40, Reissue())) == Ballot(2, ME)
