"""The elector alone: heartbeats and timers in, effects out, each test tied to a sentence
of "Paxos Made Simple" or of the election rule in paxossim/protocol/election.py."""

import pytest

from paxossim.protocol import CancelTimer, Send, SetTimer
from paxossim.protocol.effects import LeadershipChanged
from paxossim.protocol.election import ELECTION, HEARTBEAT, Elector, ElectorStorage
from paxossim.protocol.messages import Heartbeat

FIRST, ME, OTHER = 0, 1, 2  # the proposer nodes; FIRST is the lowest-numbered
NODES = (FIRST, ME, OTHER)
HB = 0.05
TIMEOUT = 0.25


class Jitter:
    """A deterministic stand-in for uniform(0, timeout_jitter): a new draw on every call."""

    def __init__(self, draws=(0.125, 0.0625, 0.1875, 0.03125, 0.09375, 0.15625)):
        self.draws = list(draws)
        self.calls = 0

    def __call__(self) -> float:
        value = self.draws[self.calls % len(self.draws)]
        self.calls += 1
        return value

    def delay(self, k: int) -> float:
        """The election timeout armed with the k-th draw (from 0)."""
        return TIMEOUT + self.draws[k]


def peers_of(node):
    return tuple(n for n in NODES if n != node)


def make(node=ME, leader=FIRST, storage=None, jitter=None):
    return Elector(node, peers_of(node), HB, TIMEOUT, jitter if jitter is not None else Jitter(),
                   storage if storage is not None else ElectorStorage(), leader)


def leads(node, term):
    """The exact effects of `node` starting to lead in `term`."""
    return [
        LeadershipChanged(True, term),
        CancelTimer(ELECTION),
        Send(peers_of(node), Heartbeat(term, node)),
        SetTimer(HEARTBEAT, HB),
    ]


# -- boot -----------------------------------------------------------------------------


def test_the_lowest_numbered_proposer_leads_at_boot():
    """"At boot every proposer node takes the lowest-numbered proposer as leader (term 0)"
    - and the leader "sends a Heartbeat(term, leader) to the other proposer nodes every
    `heartbeat` seconds", the first one at once."""
    jitter = Jitter()
    e = make(node=FIRST, jitter=jitter)
    assert e.leading
    effects = e.start()
    assert effects == leads(FIRST, 0)
    assert effects[2] == Send((ME, OTHER), Heartbeat(0, FIRST))
    assert jitter.calls == 0  # a leader arms no election timer


def test_a_follower_arms_an_election_timer_with_jitter_at_boot():
    """"A follower that hears no heartbeat for `timeout + uniform(0, timeout_jitter)`
    seconds suspects the leader": at boot it arms that timer and sends nothing."""
    jitter = Jitter()
    e = make(node=ME, jitter=jitter)
    assert not e.leading
    assert e.start() == [SetTimer(ELECTION, jitter.delay(0))]
    assert jitter.calls == 1
    assert (e.term, e.leader) == (0, FIRST)


def test_every_election_timeout_draws_a_fresh_jitter():
    """"timeout + uniform(0, timeout_jitter)": a new draw for every timer armed, which
    "makes it likely that one follower claims first"."""
    jitter = Jitter()
    e = make(jitter=jitter)
    delays = [e.start()[0].delay]
    for _ in range(3):
        (timer,) = e.on_heartbeat(Heartbeat(0, FIRST))
        delays.append(timer.delay)
    assert delays == [jitter.delay(k) for k in range(4)]
    assert len(set(delays)) == 4
    assert jitter.calls == 4


# -- following heartbeats -------------------------------------------------------------


def test_a_heartbeat_from_the_current_leader_rearms_the_election_timer():
    """A follower suspects the leader only if it "hears no heartbeat for timeout + ..."
    seconds: every heartbeat of its leader starts the wait over."""
    jitter = Jitter()
    storage = ElectorStorage()
    e = make(jitter=jitter, storage=storage)
    e.start()
    assert e.on_heartbeat(Heartbeat(0, FIRST)) == [SetTimer(ELECTION, jitter.delay(1))]
    assert e.on_heartbeat(Heartbeat(0, FIRST)) == [SetTimer(ELECTION, jitter.delay(2))]
    assert (e.term, e.leader, storage.term) == (0, FIRST, 0)


@pytest.mark.parametrize(
    "term, leader",
    [
        (0, OTHER),  # same term, greater node
        (1, FIRST),  # greater term, same node
        (4, OTHER),  # greater term, another node
        (3, 0),  # greater term beats a greater node of a lower term
    ],
)
def test_a_heartbeat_of_a_greater_term_and_leader_is_adopted(term, leader):
    """"A node follows the heartbeat with the greatest (term, leader) it has heard" - and
    writes the term it learned to stable storage."""
    jitter = Jitter()
    storage = ElectorStorage()
    e = make(jitter=jitter, storage=storage)
    e.start()
    assert e.on_heartbeat(Heartbeat(term, leader)) == [SetTimer(ELECTION, jitter.delay(1))]
    assert (e.term, e.leader) == (term, leader)
    assert storage.term == term
    assert not e.leading


@pytest.mark.parametrize("term, leader", [(1, FIRST), (2, FIRST), (1, OTHER), (0, OTHER)])
def test_a_stale_heartbeat_is_ignored(term, leader):
    """"A node follows the heartbeat with the greatest (term, leader) it has heard": a
    lower one, from a deposed leader, changes nothing - in particular it does not put off
    the suspicion of the current leader."""
    jitter = Jitter()
    storage = ElectorStorage()
    e = make(jitter=jitter, storage=storage)
    e.start()
    e.on_heartbeat(Heartbeat(2, OTHER))
    calls = jitter.calls
    assert e.on_heartbeat(Heartbeat(term, leader)) == []
    assert (e.term, e.leader, storage.term) == (2, OTHER, 2)
    assert jitter.calls == calls


def test_of_two_claims_in_one_term_the_greater_node_wins():
    """Two followers may claim the same term; (term, leader) orders them: the node with
    the lower number steps down, the other ignores the lower claim."""
    low, high = make(node=ME), make(node=OTHER)
    low.start()
    high.start()
    assert low.on_timer(ELECTION) == leads(ME, 1)
    assert high.on_timer(ELECTION) == leads(OTHER, 1)
    assert high.on_heartbeat(Heartbeat(1, ME)) == []
    assert high.leading
    assert low.on_heartbeat(Heartbeat(1, OTHER))[:2] == [
        LeadershipChanged(False, 1),
        CancelTimer(HEARTBEAT),
    ]
    assert not low.leading and low.leader == OTHER


# -- stepping down --------------------------------------------------------------------


@pytest.mark.parametrize("term, leader", [(0, ME), (0, OTHER), (1, ME), (7, OTHER)])
def test_a_leader_that_hears_a_greater_one_steps_down(term, leader):
    """"A leader that hears a greater one steps down": it stops believing it leads, stops
    its heartbeats, and, a follower now, waits for heartbeats of the new leader."""
    jitter = Jitter()
    storage = ElectorStorage()
    e = make(node=FIRST, jitter=jitter, storage=storage)
    e.start()
    assert e.on_heartbeat(Heartbeat(term, leader)) == [
        LeadershipChanged(False, term),
        CancelTimer(HEARTBEAT),
        SetTimer(ELECTION, jitter.delay(0)),
    ]
    assert not e.leading
    assert (e.term, e.leader, storage.term) == (term, leader, term)
    # no longer leading: its heartbeat timer, should it fire, does nothing
    assert e.on_timer(HEARTBEAT) == []


def test_a_leader_ignores_a_stale_heartbeat_and_keeps_leading():
    """A lower (term, leader) comes from a deposed leader, which "will hear of the new
    one": the current leader keeps leading."""
    storage = ElectorStorage()
    e = make(node=ME, storage=storage)
    e.start()
    e.on_heartbeat(Heartbeat(2, FIRST))
    assert e.on_timer(ELECTION) == leads(ME, 3)
    assert e.on_heartbeat(Heartbeat(2, OTHER)) == []
    assert e.on_heartbeat(Heartbeat(3, FIRST)) == []
    assert e.leading and (e.term, storage.term) == (3, 3)
    assert e.on_timer(HEARTBEAT) == [
        Send((FIRST, OTHER), Heartbeat(3, ME)),
        SetTimer(HEARTBEAT, HB),
    ]


def test_a_leader_hearing_its_own_heartbeat_keeps_leading():
    """Only "a leader that hears a greater one steps down": its own heartbeat, should one
    come back to it (a Send may name the sender itself), is not greater."""
    jitter = Jitter()
    e = make(node=FIRST, jitter=jitter)
    e.start()
    assert e.on_heartbeat(Heartbeat(0, FIRST)) == []
    assert e.leading and jitter.calls == 0


# -- election timeout -----------------------------------------------------------------


def test_an_election_timeout_makes_the_follower_leader_in_the_next_term():
    """"A follower that hears no heartbeat ... suspects the leader and makes itself leader
    in the next term", and "the term is on stable storage"."""
    storage = ElectorStorage()
    e = make(node=ME, storage=storage)
    e.start()
    effects = e.on_timer(ELECTION)
    assert effects == leads(ME, 1)
    assert effects[2] == Send((FIRST, OTHER), Heartbeat(1, ME))
    assert e.leading and e.leader == ME and e.term == 1
    assert storage.term == 1


def test_the_claimed_term_is_above_the_greatest_term_heard():
    """"... makes itself leader in the next term": next after the greatest it has heard."""
    storage = ElectorStorage()
    e = make(node=ME, storage=storage)
    e.start()
    e.on_heartbeat(Heartbeat(4, OTHER))
    assert e.on_timer(ELECTION) == leads(ME, 5)
    assert storage.term == 5


def test_repeated_election_timeouts_claim_increasing_terms():
    """A leader that is deposed and later suspects the new one claims yet another term."""
    e = make(node=ME)
    e.start()
    assert e.on_timer(ELECTION) == leads(ME, 1)
    e.on_heartbeat(Heartbeat(2, OTHER))
    assert e.on_timer(ELECTION) == leads(ME, 3)


def test_an_election_timer_while_leading_does_nothing():
    """Only a follower suspects a leader: a stale election timer of a leader is ignored."""
    storage = ElectorStorage()
    e = make(node=FIRST, storage=storage)
    e.start()
    assert e.on_timer(ELECTION) == []
    assert e.term == 0 and storage.term == 0 and e.leading


# -- heartbeats of the leader ---------------------------------------------------------


def test_the_heartbeat_timer_of_a_leader_resends_and_rearms():
    """"The leader sends a Heartbeat(term, leader) to the other proposer nodes every
    `heartbeat` seconds" - and only that: it does not announce its leadership again."""
    e = make(node=FIRST)
    e.start()
    for _ in range(3):
        assert e.on_timer(HEARTBEAT) == [
            Send((ME, OTHER), Heartbeat(0, FIRST)),
            SetTimer(HEARTBEAT, HB),
        ]


def test_the_heartbeat_timer_of_a_follower_does_nothing():
    """Only "the leader sends a Heartbeat"."""
    jitter = Jitter()
    e = make(node=ME, jitter=jitter)
    e.start()
    assert e.on_timer(HEARTBEAT) == []
    assert not e.leading and jitter.calls == 1


def test_an_unknown_timer_is_ignored():
    leader, follower = make(node=FIRST), make(node=ME)
    leader.start()
    follower.start()
    assert leader.on_timer("retry") == []
    assert follower.on_timer("backoff") == []
    assert follower.term == 0 and not follower.leading and leader.leading


# -- restarts -------------------------------------------------------------------------


def test_a_restarted_node_never_claims_a_term_it_had():
    """"The term is on stable storage, so a restarted node never claims a term it had":
    the node led in term 3; restarted on the same storage, its next claim is term 4."""
    storage = ElectorStorage()
    e = make(node=ME, storage=storage)
    e.start()
    e.on_heartbeat(Heartbeat(2, OTHER))
    assert e.on_timer(ELECTION) == leads(ME, 3)
    restarted = make(node=ME, leader=None, storage=storage)
    assert not restarted.leading
    assert restarted.term == 3
    restarted.start()
    assert restarted.on_timer(ELECTION) == leads(ME, 4)
    assert storage.term == 4


def test_a_restarted_node_claims_above_a_term_it_only_heard_of():
    """A term adopted from a heartbeat is stored too: after a restart the claim is above
    it, so the restarted node's heartbeats are not stale."""
    storage = ElectorStorage()
    e = make(node=ME, storage=storage)
    e.start()
    e.on_heartbeat(Heartbeat(6, OTHER))
    restarted = make(node=ME, leader=None, storage=storage)
    restarted.start()
    assert restarted.on_timer(ELECTION) == leads(ME, 7)


def test_a_restarted_node_follows_the_leader_of_its_stored_term():
    """A restarted node believes in no leader; the first heartbeat of its stored term or
    above is adopted, a heartbeat of a lower term is stale."""
    jitter = Jitter()
    storage = ElectorStorage(term=5)
    e = make(node=ME, leader=None, storage=storage, jitter=jitter)
    assert e.start() == [SetTimer(ELECTION, jitter.delay(0))]
    assert e.on_heartbeat(Heartbeat(4, OTHER)) == []
    assert e.leader is None
    assert e.on_heartbeat(Heartbeat(5, FIRST)) == [SetTimer(ELECTION, jitter.delay(1))]
    assert (e.term, e.leader) == (5, FIRST)
