"""The distinguished proposer alone: a Proposer and an Elector behind one role, each test
tied to a sentence of "Paxos Made Simple" or of the rule in
paxossim/protocol/distinguished.py."""

import pytest

from paxossim.protocol import (
    NO_BALLOT,
    Accept,
    Accepted,
    Ballot,
    CancelTimer,
    Decided,
    Nack,
    Prepare,
    Promise,
    Proposer,
    ProposerStorage,
    Quorums,
    RoundAbandoned,
    RoundStarted,
    Send,
    SetTimer,
)
from paxossim.protocol.distinguished import DistinguishedProposer
from paxossim.protocol.effects import LeadershipChanged
from paxossim.protocol.election import ELECTION, HEARTBEAT, Elector, ElectorStorage
from paxossim.protocol.messages import Forward, Heartbeat

LEADER, ME, OTHER = 0, 1, 2  # proposer nodes; LEADER leads at boot
NODES = (LEADER, ME, OTHER)
ACCEPTORS = (10, 11, 12)
A1, A2, A3 = ACCEPTORS
RETRY_TIMEOUT = 5.0
HB = 0.05
TIMEOUT = 0.25
JITTER = 0.125  # every election timeout is TIMEOUT + JITTER here
ELECTION_TIMER = SetTimer(ELECTION, TIMEOUT + JITTER)


def no_backoff(attempt: int) -> float:
    return 0.0


def peers_of(node):
    return tuple(n for n in NODES if n != node)


def value_of(node):
    return f"v{node}"


def make(node=ME, leader=LEADER, backoff=no_backoff, proposer_storage=None,
         elector_storage=None):
    proposer = Proposer(
        node, value_of(node), ACCEPTORS, Quorums.majority(len(ACCEPTORS)), RETRY_TIMEOUT,
        backoff, proposer_storage if proposer_storage is not None else ProposerStorage())
    elector = Elector(
        node, peers_of(node), HB, TIMEOUT, lambda: JITTER,
        elector_storage if elector_storage is not None else ElectorStorage(), leader)
    return DistinguishedProposer(proposer, elector)


def leads(node, term, wants_value=False):
    """The exact effects of the elector of `node` starting to lead in `term`; its
    heartbeats ask for a value while it has none to propose."""
    return [
        LeadershipChanged(True, term),
        CancelTimer(ELECTION),
        Send(peers_of(node), Heartbeat(term, node, wants_value)),
        SetTimer(HEARTBEAT, HB),
    ]


def steps_down(term):
    return [LeadershipChanged(False, term), CancelTimer(HEARTBEAT), ELECTION_TIMER]


def round_start(ballot):
    return [
        RoundStarted(ballot),
        Send(ACCEPTORS, Prepare(ballot)),
        SetTimer("retry", RETRY_TIMEOUT),
    ]


def forward(to, value):
    return Send((to,), Forward(value))


def empty_promise(ballot):
    return Promise(ballot)


def phase2_value(d, ballot):
    """Hand `d` a majority of empty promises for `ballot`; return the value it proposes."""
    assert d.handle(A1, empty_promise(ballot)) == []
    effects = d.handle(A2, empty_promise(ballot))
    assert effects == [Send(ACCEPTORS, Accept(ballot, effects[0].msg.value)),
                       SetTimer("retry", RETRY_TIMEOUT)]
    return effects[0].msg.value


# -- boot -------------------------------------------------------------------------------


def test_the_initial_leader_boots_leading_and_waits_for_its_value():
    """"A distinguished proposer is selected as the only one to try issuing proposals"
    (2.4): the initial leader leads from boot, but has nothing to propose until its own
    value is ready."""
    d = make(node=LEADER)
    assert d.boot() == leads(LEADER, 0, wants_value=True)
    assert d.start() == round_start(Ballot(1, LEADER))
    assert phase2_value(d, Ballot(1, LEADER)) == "v0"
    assert d.on_timer(HEARTBEAT)[0] == Send((ME, OTHER), Heartbeat(0, LEADER, False))


def test_the_initial_leader_whose_value_was_ready_before_boot_proposes_it_once():
    """The value arrives before the node booted: one round, not two."""
    d = make(node=LEADER)
    assert d.start() == round_start(Ballot(1, LEADER))
    assert d.boot() == leads(LEADER, 0)
    assert d.proposer.ballot == Ballot(1, LEADER)
    assert d.proposer.storage.round == 1
    assert phase2_value(d, Ballot(1, LEADER)) == "v0"


def test_a_follower_boots_with_an_election_timer_and_no_round():
    d = make(node=ME)
    assert d.boot() == [ELECTION_TIMER]


def test_a_follower_hands_its_value_to_the_leader_and_never_starts_a_round():
    """"... as the only one to try issuing proposals" (2.4): a follower hands its value
    to the leader it believes in instead of running a ballot."""
    d = make(node=ME)
    d.boot()
    assert d.start() == [forward(LEADER, "v1")]
    # nothing makes it start a ballot while following
    assert d.handle(OTHER, Forward("v2")) == []
    assert d.on_timer("retry") == []
    assert d.handle(LEADER, Heartbeat(0, LEADER)) == [ELECTION_TIMER]
    assert d.proposer.storage.round == 0
    assert d.proposer.ballot == NO_BALLOT


def test_a_follower_whose_value_was_ready_before_boot_hands_it_over_once():
    d = make(node=ME)
    assert d.start() == [forward(LEADER, "v1")]
    assert d.boot() == [ELECTION_TIMER]


def test_a_restarted_follower_hands_its_value_over_once_it_hears_of_a_leader():
    """A restarted node believes in no leader: it has nobody to hand its value to until
    a heartbeat tells it who leads."""
    d = make(node=ME, leader=None, elector_storage=ElectorStorage(term=2))
    assert d.start() == []
    assert d.boot() == [ELECTION_TIMER]
    assert d.handle(OTHER, Heartbeat(2, OTHER)) == [ELECTION_TIMER, forward(OTHER, "v1")]


# -- following a new leader -------------------------------------------------------------


@pytest.mark.parametrize("heartbeat", [Heartbeat(1, OTHER), Heartbeat(0, OTHER)])
def test_a_follower_hands_its_value_again_to_a_new_leader(heartbeat):
    """"... and hands it again whenever it comes to believe in another leader" - once,
    not on every heartbeat of that leader."""
    d = make(node=ME)
    d.boot()
    d.start()
    assert d.handle(OTHER, heartbeat) == [ELECTION_TIMER, forward(OTHER, "v1")]
    assert d.handle(OTHER, heartbeat) == [ELECTION_TIMER]


def test_a_stale_heartbeat_does_not_redirect_the_value():
    d = make(node=ME)
    d.boot()
    d.start()
    d.handle(OTHER, Heartbeat(2, OTHER))
    assert d.handle(LEADER, Heartbeat(1, LEADER)) == []
    assert d.elector.leader == OTHER


def test_a_follower_without_a_value_hands_nothing_to_a_new_leader():
    """Only "its value" is handed over: before it is ready there is nothing to send."""
    d = make(node=ME)
    d.boot()
    assert d.handle(OTHER, Heartbeat(1, OTHER)) == [ELECTION_TIMER]
    assert d.start() == [forward(OTHER, "v1")]


# -- the leader proposes a value handed over ---------------------------------------------


def test_a_leader_without_its_own_value_proposes_a_forwarded_one():
    """"... or is any value selected by the proposer if the responders reported no
    proposals" (2.2): a value a follower handed over will do."""
    d = make(node=LEADER)
    d.boot()
    assert d.handle(ME, Forward("v1")) == round_start(Ballot(1, LEADER))
    # one round at a time: neither another hand-over nor its own value restarts it
    assert d.handle(OTHER, Forward("v2")) == []
    assert d.start() == []
    assert phase2_value(d, Ballot(1, LEADER)) == "v1"


def test_a_leader_with_its_own_value_keeps_proposing_it():
    d = make(node=LEADER)
    d.boot()
    d.start()
    assert d.handle(ME, Forward("v1")) == []
    assert phase2_value(d, Ballot(1, LEADER)) == "v0"


def test_a_leader_proposing_its_own_value_ignores_a_forward_after_a_nack():
    """With its own value submitted, a hand-over never starts a round: rounds after a Nack
    wait for the backoff timer."""
    d = make(node=LEADER, backoff=lambda attempt: 1.0)
    d.boot()
    d.start()
    assert d.handle(A1, Nack(Ballot(1, LEADER), Ballot(4, OTHER))) == [
        RoundAbandoned(Ballot(1, LEADER), "nack", 1),
        CancelTimer("retry"),
        SetTimer("backoff", 1.0),
    ]
    assert d.handle(ME, Forward("v1")) == []
    assert d.on_timer("backoff") == round_start(Ballot(5, LEADER))


@pytest.mark.parametrize("trigger", ["forward", "start"])
def test_a_handed_over_value_does_not_cut_the_backoff_short(trigger):
    """Proposer: "the next [round] starts after `backoff(attempt)` seconds" - a value
    arriving during the backoff (another hand-over, or the leader's own) must not start
    it earlier. (Fails at commit 0a10dae, where a proposer waiting out its backoff was
    IDLE and Proposer.start() began a round at once.)"""
    d = make(node=LEADER, backoff=lambda attempt: 1.0)
    d.boot()
    d.handle(ME, Forward("v1"))
    d.handle(A1, Nack(Ballot(1, LEADER), Ballot(4, OTHER)))
    effects = d.handle(OTHER, Forward("v2")) if trigger == "forward" else d.start()
    assert effects == []
    assert d.on_timer("backoff") == round_start(Ballot(5, LEADER))


# -- becoming leader by election timeout --------------------------------------------------


def test_a_new_leader_proposes_its_own_value():
    """"A follower that hears no heartbeat ... makes itself leader in the next term", and
    the leader is "the only one to try issuing proposals" (2.4): now it proposes."""
    d = make(node=ME)
    d.boot()
    d.start()
    d.handle(OTHER, Forward("v2"))
    assert d.on_timer(ELECTION) == [*leads(ME, 1), *round_start(Ballot(1, ME))]
    assert phase2_value(d, Ballot(1, ME)) == "v1"


def test_a_new_leader_without_its_own_value_proposes_the_forwarded_one():
    """A follower keeps the first value handed to it, for the day it leads."""
    d = make(node=ME)
    d.boot()
    assert d.handle(OTHER, Forward("v2")) == []
    assert d.handle(LEADER, Forward("v0")) == []
    assert d.on_timer(ELECTION) == [*leads(ME, 1), *round_start(Ballot(1, ME))]
    assert phase2_value(d, Ballot(1, ME)) == "v2"


def test_a_new_leader_with_nothing_to_propose_waits_for_a_value():
    d = make(node=ME)
    d.boot()
    assert d.on_timer(ELECTION) == leads(ME, 1, wants_value=True)
    assert d.handle(OTHER, Forward("v2")) == round_start(Ballot(1, ME))
    assert phase2_value(d, Ballot(1, ME)) == "v2"


# -- being deposed ------------------------------------------------------------------------


@pytest.mark.parametrize("phase", [1, 2])
def test_a_deposed_leader_abandons_its_round_and_hands_its_value_over(phase):
    """"A leader that hears a greater one steps down", and "only while its node believes
    it leads does the proposer run ballots": the round is given up ("It can abandon a
    proposal in the middle of the protocol at any time", 2.2) and the value handed over."""
    d = make(node=LEADER)
    d.boot()
    d.start()
    b = Ballot(1, LEADER)
    if phase == 2:
        phase2_value(d, b)
    assert d.handle(OTHER, Heartbeat(1, OTHER)) == [
        *steps_down(1),
        RoundAbandoned(b, "deposed", phase),
        CancelTimer("retry"),
        CancelTimer("backoff"),
        forward(OTHER, "v0"),
    ]
    assert not d.elector.leading


def test_a_deposed_leader_runs_no_ballots_while_following():
    d = make(node=LEADER)
    d.boot()
    d.start()
    b = Ballot(1, LEADER)
    d.handle(A1, empty_promise(b))
    d.handle(OTHER, Heartbeat(1, OTHER))
    assert d.handle(A2, empty_promise(b)) == []  # would have been the quorum
    assert d.handle(A3, empty_promise(b)) == []
    assert d.handle(A1, Accepted(b, "v0")) == []
    assert d.handle(A2, Accepted(b, "v0")) == []
    assert d.handle(A3, Nack(b, Ballot(3, OTHER))) == []
    assert d.on_timer("retry") == []
    assert d.on_timer("backoff") == []  # a stale timer: "deposed" cancelled it
    assert d.handle(ME, Forward("v1")) == []
    assert d.handle(OTHER, Heartbeat(1, OTHER)) == [ELECTION_TIMER]
    assert d.start() == [forward(OTHER, "v0")]  # hands over, does not propose
    assert d.proposer.storage.round == 1


def test_a_leader_deposed_during_its_backoff_only_cancels_the_timers():
    """No round is running: there is nothing to abandon."""
    d = make(node=LEADER, backoff=lambda attempt: 1.0)
    d.boot()
    d.start()
    d.on_timer("retry")
    assert d.handle(OTHER, Heartbeat(1, OTHER)) == [
        *steps_down(1),
        CancelTimer("retry"),
        CancelTimer("backoff"),
        forward(OTHER, "v0"),
    ]


def test_a_deposed_leader_without_its_own_value_hands_on_the_one_it_was_handed():
    """The follower that handed v1 over may have crashed since: the deposed leader must not
    strand v1, so it hands it to the new leader."""
    d = make(node=LEADER)
    d.boot()
    d.handle(ME, Forward("v1"))
    assert d.handle(OTHER, Heartbeat(1, OTHER)) == [
        *steps_down(1),
        RoundAbandoned(Ballot(1, LEADER), "deposed", 1),
        CancelTimer("retry"),
        CancelTimer("backoff"),
        forward(OTHER, "v1"),
    ]


# Regression: a handed-over value once overwrote the node's own value for good, so a
# deposed leader handed over (or, re-elected, proposed) the other node's value.


def test_a_deposed_leader_hands_over_its_own_value_not_a_forwarded_one():
    """DistinguishedProposer.start: "The node's own value is ready: propose it if leading,
    else hand it over." """
    d = make(node=LEADER)
    d.boot()
    d.handle(ME, Forward("v1"))  # proposing v1 for node 1
    d.handle(OTHER, Heartbeat(1, OTHER))
    assert d.start() == [forward(OTHER, "v0")]


def test_a_leader_elected_again_proposes_its_own_value_not_a_forwarded_one():
    """"... propose it if leading": once its value is ready, a re-elected leader proposes
    its own value, as a newly elected one does."""
    d = make(node=LEADER)
    d.boot()
    d.handle(ME, Forward("v1"))
    d.handle(OTHER, Heartbeat(1, OTHER))
    d.start()
    assert d.on_timer(ELECTION) == [*leads(LEADER, 2), *round_start(Ballot(2, LEADER))]
    assert phase2_value(d, Ballot(2, LEADER)) == "v0"


def test_a_leader_deposed_and_elected_again_uses_a_higher_number():
    """"... begins phase 1 with a higher proposal number than any it has already used."
    (2.5)"""
    d = make(node=LEADER)
    d.boot()
    d.start()
    d.handle(A1, Nack(Ballot(1, LEADER), Ballot(3, OTHER)))  # now in round 4
    d.handle(OTHER, Heartbeat(1, OTHER))
    assert d.on_timer(ELECTION) == [*leads(LEADER, 2), *round_start(Ballot(5, LEADER))]


# -- stop -------------------------------------------------------------------------------


def test_stop_ends_proposing_for_good_on_a_leader():
    """A co-located learner knows a value is chosen: the node neither proposes nor hands
    anything over any more, whatever it comes to believe about leadership."""
    d = make(node=LEADER)
    d.boot()
    d.start()
    assert d.stop() == [CancelTimer("retry"), CancelTimer("backoff")]
    b = Ballot(1, LEADER)
    assert d.handle(A1, empty_promise(b)) == []
    assert d.handle(A2, empty_promise(b)) == []
    assert d.handle(ME, Forward("v1")) == []
    assert d.on_timer("retry") == []
    assert d.on_timer("backoff") == []
    assert d.start() == []
    assert d.handle(OTHER, Heartbeat(1, OTHER)) == steps_down(1)  # no Forward
    assert d.on_timer(ELECTION) == leads(LEADER, 2)  # no round
    assert d.proposer.storage.round == 1


def test_stop_ends_handing_over_on_a_follower():
    d = make(node=ME)
    d.boot()
    d.stop()
    assert d.start() == []
    assert d.handle(OTHER, Heartbeat(1, OTHER)) == [ELECTION_TIMER]
    assert d.handle(OTHER, Forward("v2")) == []
    assert d.on_timer(ELECTION) == leads(ME, 2)
    assert d.proposer.storage.round == 0


def test_after_stop_the_elector_still_leads_and_beats():
    """Stopping ends proposing, not the election: the leader keeps its followers."""
    d = make(node=LEADER)
    d.boot()
    d.stop()
    assert d.on_timer(HEARTBEAT) == [
        Send((ME, OTHER), Heartbeat(0, LEADER)),
        SetTimer(HEARTBEAT, HB),
    ]


# -- routing ------------------------------------------------------------------------------


def test_promises_accepted_and_decided_reach_the_wrapped_proposer():
    """"A value is chosen when a single proposal with that value has been accepted by a
    majority of the acceptors." (2.1)"""
    d = make(node=LEADER)
    d.boot()
    d.start()
    b = Ballot(1, LEADER)
    assert phase2_value(d, b) == "v0"
    assert d.handle(A1, Accepted(b, "v0")) == []
    assert d.handle(A3, Accepted(b, "v0")) == [CancelTimer("retry"), Decided(b, "v0")]
    assert d.proposer.storage.decided


def test_a_nack_reaches_the_wrapped_proposer():
    """"... who should then abandon its proposal" (2.5)."""
    d = make(node=LEADER)
    d.boot()
    d.start()
    assert d.handle(A2, Nack(Ballot(1, LEADER), Ballot(6, OTHER))) == [
        RoundAbandoned(Ballot(1, LEADER), "nack", 1),
        CancelTimer("retry"),
        *round_start(Ballot(7, LEADER)),
    ]


def test_retry_and_backoff_timers_reach_the_wrapped_proposer():
    d = make(node=LEADER, backoff=lambda attempt: 0.5)
    d.boot()
    d.start()
    assert d.on_timer("retry") == [
        RoundAbandoned(Ballot(1, LEADER), "timeout", 1),
        CancelTimer("retry"),
        SetTimer("backoff", 0.5),
    ]
    assert d.on_timer("backoff") == round_start(Ballot(2, LEADER))


def test_election_and_heartbeat_timers_reach_the_elector_only():
    """The heartbeat timer of a leader in mid-round beats and leaves the round alone; the
    election timer of a follower elects it."""
    leader = make(node=LEADER)
    leader.boot()
    leader.start()
    assert leader.on_timer(HEARTBEAT) == [
        Send((ME, OTHER), Heartbeat(0, LEADER)),
        SetTimer(HEARTBEAT, HB),
    ]
    assert leader.on_timer(ELECTION) == []
    assert leader.proposer.ballot == Ballot(1, LEADER)
    assert phase2_value(leader, Ballot(1, LEADER)) == "v0"

    follower = make(node=ME)
    follower.boot()
    assert follower.on_timer(HEARTBEAT) == []
    assert follower.on_timer(ELECTION) == leads(ME, 1, wants_value=True)
    assert follower.elector.storage.term == 1


def test_a_follower_hands_its_value_over_again_while_the_leader_asks_for_one():
    """A hand-over can be lost: the leader's heartbeats say it still has no value, and
    the follower hands its value over again on each, until the leader has one."""
    d = make(node=ME)
    d.boot()
    assert d.start() == [forward(LEADER, "v1")]
    assert d.handle(LEADER, Heartbeat(0, LEADER, True)) == [ELECTION_TIMER, forward(LEADER, "v1")]
    assert d.handle(LEADER, Heartbeat(0, LEADER, False)) == [ELECTION_TIMER]
    d.stop()
    assert d.handle(LEADER, Heartbeat(0, LEADER, True)) == [ELECTION_TIMER]


def test_a_leader_stops_asking_once_it_was_handed_a_value():
    d = make(node=LEADER)
    d.boot()
    assert d.handle(ME, Forward("v1"))[0] == RoundStarted(Ballot(1, LEADER))
    assert d.on_timer(HEARTBEAT)[0] == Send((ME, OTHER), Heartbeat(0, LEADER, False))
