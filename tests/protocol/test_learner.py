"""The learner alone: votes, decisions and poll timers in, effects out, each test tied to
a sentence of "Paxos Made Simple"."""

import pytest

from paxossim.protocol import (
    NO_BALLOT,
    Accept,
    Accepted,
    Ballot,
    Decide,
    Learned,
    Learner,
    LearnerStorage,
    Nack,
    Poll,
    Prepare,
    Promise,
    Send,
    SetTimer,
)
from paxossim.protocol.messages import Ask, Reissue

ACCEPTORS = (10, 11, 12, 13, 14)
A1, A2, A3, A4, A5 = ACCEPTORS
QUORUM = 3
B1 = Ballot(1, 1)
B2 = Ballot(2, 2)
OTHERS = (21, 22)
POLL_INTERVAL = 0.5


def make(storage=None, quorum=QUORUM, acceptors=ACCEPTORS, relay_to=(), poll_interval=None):
    return Learner(
        storage if storage is not None else LearnerStorage(),
        quorum,
        acceptors,
        relay_to,
        poll_interval,
    )


def feed(learner, votes):
    """Hand over (src, Accepted) pairs; return the effects of each step."""
    return [learner.handle(src, msg) for src, msg in votes]


# -- learning from votes --------------------------------------------------------------


def test_learns_once_a_majority_accepted_the_same_proposal():
    """"To learn that a value has been chosen, a learner must find out that a proposal
    has been accepted by a majority of acceptors." (2.3)"""
    lr = make()
    assert lr.handle(A1, Accepted(B1, "x")) == []
    assert lr.handle(A2, Accepted(B1, "x")) == []
    assert not lr.storage.learned
    effects = lr.handle(A3, Accepted(B1, "x"))
    assert effects == [Learned("x")]
    assert type(effects[0]) is Learned
    assert (lr.storage.learned, lr.storage.value) == (True, "x")


def test_votes_of_different_ballots_are_never_added_up():
    """"A value is chosen when a single proposal with that value has been accepted by a
    majority of the acceptors." (2.1) - three votes for the same value spread over two
    ballots are not a majority for any single proposal."""
    lr = make()
    steps = feed(lr, [(A1, Accepted(B1, "x")), (A2, Accepted(B1, "x")), (A3, Accepted(B2, "x")),
                      (A4, Accepted(B2, "x"))])  # fmt: skip
    assert steps == [[], [], [], []]
    assert not lr.storage.learned
    assert lr.handle(A5, Accepted(B2, "x")) == [Learned("x")]


def test_a_later_ballot_can_reach_the_quorum_first():
    """Votes are counted per proposal: the ballot whose majority completes is the one
    learned, even if another ballot started collecting votes earlier."""
    lr = make()
    feed(lr, [(A1, Accepted(B1, "x")), (A2, Accepted(B2, "y")), (A3, Accepted(B2, "y"))])
    assert lr.handle(A4, Accepted(B2, "y")) == [Learned("y")]
    assert lr.storage.value == "y"


def test_an_acceptor_voting_in_two_ballots_counts_in_each():
    """An acceptor may accept several proposals (2.2); each vote counts for its own
    ballot, so a move from B1 to B2 still completes B2's majority."""
    lr = make()
    feed(lr, [(A1, Accepted(B1, "x")), (A2, Accepted(B1, "x")),
              (A1, Accepted(B2, "x")), (A2, Accepted(B2, "x"))])  # fmt: skip
    assert lr.handle(A3, Accepted(B2, "x")) == [Learned("x")]


def test_duplicate_accepted_from_one_acceptor_counts_once():
    """"Accepted by a majority of acceptors" (2.3) - distinct acceptors: duplicates from
    one acceptor (or its repeated answers to polls) are one vote."""
    lr = make()
    for _ in range(5):
        assert lr.handle(A1, Accepted(B1, "x")) == []
    assert lr.handle(A2, Accepted(B1, "x")) == []
    assert lr.handle(A2, Accepted(B1, "x")) == []
    assert not lr.storage.learned
    assert lr.handle(A3, Accepted(B1, "x")) == [Learned("x")]


@pytest.mark.parametrize("quorum", [1, 2, 4, 5])
def test_the_configured_phase2_quorum_is_used(quorum):
    """The learner counts to the phase-2 quorum it is given, no more, no less."""
    lr = make(quorum=quorum)
    for src in ACCEPTORS[: quorum - 1]:
        assert lr.handle(src, Accepted(B1, "x")) == []
    assert lr.handle(ACCEPTORS[quorum - 1], Accepted(B1, "x")) == [Learned("x")]


def test_learns_only_once():
    """A chosen value never changes, so it is learned once: no second Learned, whatever
    arrives afterwards."""
    lr = make()
    feed(lr, [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])
    assert lr.handle(A4, Accepted(B1, "x")) == []
    assert feed(lr, [(a, Accepted(B2, "x")) for a in ACCEPTORS]) == [[]] * 5
    assert lr.handle(A1, Decide("x")) == []
    assert (lr.storage.learned, lr.storage.value) == (True, "x")


# -- distinguished learners -----------------------------------------------------------


def test_distinguished_learner_relays_the_decision():
    """"The acceptors could respond with their acceptances to some set of distinguished
    learners, each of which can then inform all the learners when a value has been
    chosen." (2.3)"""
    lr = make(relay_to=OTHERS)
    feed(lr, [(A1, Accepted(B1, "x")), (A2, Accepted(B1, "x"))])
    effects = lr.handle(A3, Accepted(B1, "x"))
    assert effects == [Learned("x"), Send(OTHERS, Decide("x"))]
    assert type(effects[1]) is Send and type(effects[1].msg) is Decide


def test_distinguished_learner_relays_only_once():
    lr = make(relay_to=OTHERS)
    feed(lr, [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])
    assert lr.handle(A4, Accepted(B1, "x")) == []
    assert lr.handle(21, Decide("x")) == []


def test_decide_makes_a_learner_learn():
    """"... each of which can then inform all the learners when a value has been chosen"
    (2.3): a Decide from a distinguished learner is enough."""
    lr = make()
    effects = lr.handle(99, Decide("x"))
    assert effects == [Learned("x")]
    assert type(effects[0]) is Learned
    assert (lr.storage.learned, lr.storage.value) == (True, "x")
    # and the votes that come in later change nothing
    assert feed(lr, [(a, Accepted(B2, "y")) for a in ACCEPTORS]) == [[]] * 5
    assert lr.storage.value == "x"


def test_a_plain_learner_does_not_relay():
    """Only the distinguished learners inform the others."""
    lr = make()
    assert feed(lr, [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])[-1] == [Learned("x")]


# -- polling ------------------------------------------------------------------------


def test_poll_mode_start_polls_every_acceptor_and_arms_the_poll_timer():
    """"The learner could ask the acceptors what proposals they have accepted" (2.3)."""
    lr = make(poll_interval=POLL_INTERVAL)
    effects = lr.start()
    assert effects == [Send(ACCEPTORS, Poll()), SetTimer("poll", POLL_INTERVAL)]
    assert type(effects[0].msg) is Poll


def test_poll_timer_re_polls_until_learned():
    """"Because of message loss, a value could be chosen with no learner ever finding
    out" (2.3): the learner keeps asking until it knows."""
    lr = make(poll_interval=POLL_INTERVAL)
    lr.start()
    for _ in range(3):
        assert lr.on_timer("poll") == [Send(ACCEPTORS, Poll()), SetTimer("poll", POLL_INTERVAL)]
    feed(lr, [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])
    assert lr.storage.learned
    assert lr.on_timer("poll") == []
    assert lr.start() == []


def test_poll_answers_are_counted_like_votes():
    """Polled acceptors answer with what they accepted: a majority for one proposal is
    learned, and repeated answers of one acceptor count once."""
    lr = make(poll_interval=POLL_INTERVAL)
    lr.start()
    assert lr.handle(A1, Accepted(B1, "x")) == []
    assert lr.handle(A2, Accepted(B1, "x")) == []
    lr.on_timer("poll")
    assert lr.handle(A1, Accepted(B1, "x")) == []  # same acceptor, next poll
    assert lr.handle(A2, Accepted(B1, "x")) == []
    assert lr.handle(A5, Accepted(B1, "x")) == [Learned("x")]


def test_without_polling_start_does_nothing_and_no_timer_fires():
    """Broadcast and distinguished modes only listen."""
    lr = make()
    assert lr.start() == []


def test_other_timers_are_ignored():
    lr = make(poll_interval=POLL_INTERVAL)
    assert lr.on_timer("retry") == []
    assert lr.on_timer("backoff") == []


@pytest.mark.parametrize(
    "msg",
    [Prepare(B1), Accept(B1, "x"), Promise(B2), Nack(B1, B2), Poll(), "junk"],
)
def test_messages_for_other_roles_are_ignored(msg):
    lr = make(quorum=1)
    assert lr.handle(A1, msg) == []
    assert not lr.storage.learned


# -- stable storage -----------------------------------------------------------------


def test_learned_value_survives_a_restart():
    """A chosen value never changes: a learner rebuilt on the same storage still knows it,
    learns nothing else, and does not poll again."""
    storage = LearnerStorage()
    feed(make(storage), [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])
    restarted = make(storage, poll_interval=POLL_INTERVAL)
    assert restarted.start() == []
    assert restarted.on_timer("poll") == []
    assert feed(restarted, [(a, Accepted(B2, "y")) for a in ACCEPTORS]) == [[]] * 5
    assert restarted.handle(A1, Decide("y")) == []
    assert storage == LearnerStorage({0: "x"})


def test_learning_writes_to_the_storage_handed_in():
    storage = LearnerStorage()
    lr = make(storage, quorum=1)
    assert lr.storage is storage
    lr.handle(A1, Accepted(B1, "x"))
    assert storage == LearnerStorage({0: "x"})


# -- catching up ----------------------------------------------------------------------

CATCHUP = 2.0
PEERS = (31, 32)


def make_catchup(poll_interval=None, peers=PEERS, storage=None, relay_to=()):
    return Learner(
        storage if storage is not None else LearnerStorage(),
        QUORUM,
        ACCEPTORS,
        relay_to,
        poll_interval,
        peers=peers,
        catchup=CATCHUP,
    )


def test_start_arms_the_catchup_timer():
    """"Because of message loss, a value could be chosen with no learner ever finding
    out" (2.3): a learner that has not learned checks again later."""
    assert make_catchup().start() == [SetTimer("catchup", CATCHUP)]
    assert make_catchup(poll_interval=POLL_INTERVAL).start() == [
        Send(ACCEPTORS, Poll()),
        SetTimer("poll", POLL_INTERVAL),
        SetTimer("catchup", CATCHUP),
    ]


def test_catchup_polls_the_acceptors_and_asks_the_peers():
    """"The learner could ask the acceptors what proposals they have accepted" (2.3), and
    any learner that knows the value can tell it, as a distinguished learner would."""
    lr = make_catchup()
    lr.start()
    for _ in range(2):
        effects = lr.on_timer("catchup")
        assert effects == [
            Send(ACCEPTORS, Poll()),
            Send(PEERS, Ask()),
            SetTimer("catchup", CATCHUP),
        ]
        assert [type(e.msg) for e in effects[:2]] == [Poll, Ask]


def test_catchup_in_poll_mode_only_asks_the_peers():
    """A polling learner already asks the acceptors every poll interval."""
    lr = make_catchup(poll_interval=POLL_INTERVAL)
    assert lr.on_timer("catchup") == [Send(PEERS, Ask()), SetTimer("catchup", CATCHUP)]


def test_catchup_without_peers_only_polls():
    lr = make_catchup(peers=())
    assert lr.on_timer("catchup") == [Send(ACCEPTORS, Poll()), SetTimer("catchup", CATCHUP)]


def test_catchup_stops_once_learned():
    lr = make_catchup()
    lr.start()
    lr.handle(99, Decide("x"))
    assert lr.on_timer("catchup") == []
    assert lr.on_timer("poll") == []
    storage = LearnerStorage({0: "x"})
    assert make_catchup(storage=storage).start() == []


def test_a_learner_that_knows_answers_an_ask_with_decide():
    """A learner that knows the chosen value can "inform all the learners" (2.3) that
    ask."""
    lr = make_catchup()
    assert lr.handle(31, Ask()) == []  # knows nothing yet
    feed(lr, [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])
    effects = lr.handle(31, Ask())
    assert effects == [Send((31,), Decide("x"))]
    assert type(effects[0].msg) is Decide
    # and the asker learns from the answer
    asker = make_catchup()
    assert asker.handle(31, effects[0].msg) == [Learned("x")]


def test_a_restarted_learner_still_answers_asks():
    storage = LearnerStorage()
    feed(make(storage), [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])
    assert make_catchup(storage=storage).handle(32, Ask()) == [Send((32,), Decide("x"))]


# -- having a proposer issue a proposal ---------------------------------------------------

PROPOSERS = (40, 41)


def make_asking():
    return Learner(LearnerStorage(), QUORUM, ACCEPTORS, (), None, peers=PEERS, catchup=CATCHUP,
                   proposers=PROPOSERS)


def reissues(effects):
    return [e.dsts for e in effects if isinstance(e, Send) and isinstance(e.msg, Reissue)]


def test_a_stuck_learner_has_one_proposer_at_a_time_issue_a_proposal():
    """"If a learner needs to know whether a value has been chosen, it can have a proposer
    issue a proposal" (2.3): from its second catch-up on, when acceptors answered but no
    ballot has a quorum, it asks the next proposer in turn."""
    lr = make_asking()
    assert reissues(lr.on_timer("catchup")) == []  # the first catch-up only polls
    feed(lr, [(A1, Accepted(B1, "x")), (A2, Accepted(B2, "x"))])  # votes split over ballots
    assert reissues(lr.on_timer("catchup")) == [(40,)]
    lr.handle(A1, Accepted(B1, "x"))
    assert reissues(lr.on_timer("catchup")) == [(41,)]
    lr.handle(A3, Accepted(B2, "x"))
    assert reissues(lr.on_timer("catchup")) == [(40,)]


def test_a_learner_that_heard_nothing_since_its_last_catchup_asks_no_proposer():
    """Cut off from the acceptors, its polls go unanswered: a new ballot would not reach it
    either, so it asks nobody and waits for its polls to be answered."""
    lr = make_asking()
    lr.on_timer("catchup")
    assert reissues(lr.on_timer("catchup")) == []
    lr.handle(A1, Accepted(B1, "x"))
    assert reissues(lr.on_timer("catchup")) == [(40,)]
    assert reissues(lr.on_timer("catchup")) == []  # nothing heard since


def test_a_learner_that_learned_asks_nobody():
    lr = make_asking()
    lr.on_timer("catchup")
    feed(lr, [(a, Accepted(B1, "x")) for a in ACCEPTORS[:3]])
    assert lr.on_timer("catchup") == []


# -- a replica of the log (Paxos Made Simple, 3) ----------------------------------------


def replica(peers=OTHERS):
    from paxossim.protocol.kvstore import KVStore

    return Learner(LearnerStorage(machine=KVStore()), QUORUM, ACCEPTORS, peers=peers,
                   catchup=1.0, slots=None)  # fmt: skip


def test_slots_are_learned_apart_and_applied_in_slot_order():
    """"The ... server ... can execute commands 1-134, but not 136" until 135 is known:
    a replica applies a slot only once every lower slot is chosen."""
    from paxossim.protocol.effects import Applied
    from paxossim.protocol.kvstore import Command

    put = (Command(9, 1, "put", "k", "a"),)
    get = (Command(9, 2, "get", "k"),)
    lr = replica()
    learned_1 = feed(lr, [(a, Accepted(B1, get, 1)) for a in ACCEPTORS[:3]])[-1]
    assert learned_1 == [Learned(get, 1)]  # learned, not applied: slot 0 is missing
    effects = feed(lr, [(a, Accepted(B1, put, 0)) for a in ACCEPTORS[:3]])[-1]
    assert effects == [Learned(put, 0), Applied(0, put, ("ok",)), Applied(1, get, ("a",))]
    assert lr.storage.applied == 2 and lr.frontier == 2


def test_votes_of_different_slots_are_never_added_up():
    lr = replica()
    steps = feed(lr, [(A1, Accepted(B1, "x", 0)), (A2, Accepted(B1, "x", 1)),
                      (A3, Accepted(B1, "x", 2))])  # fmt: skip
    assert steps == [[], [], []]


def test_a_replica_never_stops_catching_up():
    lr = replica()
    lr.storage.chosen[0] = ()
    assert not lr.done
    effects = lr.on_timer("catchup")
    assert Send(ACCEPTORS, Poll(0)) in effects or Send(ACCEPTORS, Poll(1)) in effects
    assert SetTimer("catchup", 1.0) in effects


def test_a_full_answer_to_an_ask_is_followed_by_the_next_ask_at_once():
    """A replica far behind (it knows slot 200 is chosen, lacks 0..199) asks the peer
    that answered a whole batch for the next one without waiting for its timer."""
    from paxossim.protocol.messages import POLL_SLOTS

    lr = replica()
    lr._learn(200, ())
    effects = lr.on_timer("catchup")
    assert Send(OTHERS, Ask(0)) in effects
    answers = [lr.handle(21, Decide((), s)) for s in range(POLL_SLOTS)]
    assert all(Send((21,), Ask(POLL_SLOTS)) not in e for e in answers[:-1])
    assert Send((21,), Ask(POLL_SLOTS)) in answers[-1]


def test_an_ask_is_answered_with_a_batch_of_slots_from_the_one_asked():
    from paxossim.protocol.messages import POLL_SLOTS

    lr = Learner(LearnerStorage(), QUORUM, ACCEPTORS, slots=None)  # a learner: no compaction
    for s in range(100):
        lr._learn(s, ())
    answer = lr.handle(21, Ask(10))
    assert [e.msg.slot for e in answer] == list(range(10, 10 + POLL_SLOTS))


def test_a_replica_keeps_the_recent_slots_and_sends_its_state_for_older_ones():
    """Compaction: the store holds what the applied slots did, so a replica keeps only
    the last RETAINED_SLOTS of them; a peer asking about an older one gets the store
    itself (state transfer), and installs it if it is behind."""
    from paxossim.protocol.effects import Installed
    from paxossim.protocol.kvstore import Command
    from paxossim.protocol.learner import RETAINED_SLOTS
    from paxossim.protocol.messages import POLL_SLOTS, Snapshot

    n = RETAINED_SLOTS + 100
    lr = replica()
    for s in range(n):
        lr._learn(s, (Command(9, s + 1, "put", "k", f"v{s}"),))
    assert sorted(lr.storage.chosen) == list(range(n - RETAINED_SLOTS, n))
    recent = lr.handle(21, Ask(n - RETAINED_SLOTS))
    assert [e.msg.slot for e in recent] == list(range(n - RETAINED_SLOTS, n))[:POLL_SLOTS]
    (transfer,) = lr.handle(21, Ask(3))
    snapshot = transfer.msg
    assert type(snapshot) is Snapshot and snapshot.applied == n
    assert snapshot.data == (("k", f"v{n - 1}"),) and len(snapshot.results) == n
    behind = replica()
    behind._learn(0, (Command(9, 1, "put", "k", "v0"),))
    effects = behind.handle(20, snapshot)
    assert effects[0] == Installed(n, snapshot.data, snapshot.results)
    assert behind.storage.applied == n and behind.storage.machine.data == {"k": f"v{n - 1}"}
    assert behind.handle(20, snapshot) == []  # not behind any more
