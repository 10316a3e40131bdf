"""The proposer of the replicated log alone, tied to "Paxos Made Simple", section 3."""

import pytest

from paxossim.protocol import Ballot, Quorums
from paxossim.protocol.effects import (
    CancelTimer,
    Decided,
    RoundAbandoned,
    RoundStarted,
    Send,
    SetTimer,
    ValueAdopted,
)
from paxossim.protocol.election import Elector, ElectorStorage
from paxossim.protocol.kvstore import NOOP, Command, KVStore
from paxossim.protocol.learner import LearnerStorage
from paxossim.protocol.messages import (
    Accept,
    Accepted,
    Nack,
    Prepare,
    Promise,
    Redirect,
    Reply,
    Request,
    Vote,
)
from paxossim.protocol.multipaxos import LogProposer
from paxossim.protocol.proposer import ProposerStorage

ME = 0
ACCEPTORS = (10, 11, 12)
A1, A2, A3 = ACCEPTORS
CLIENT = 50


def cmd(seq: int, op: str = "put", key: str = "k") -> Command:
    return Command(CLIENT, seq, op, key, f"c50.{seq}" if op != "get" else None)


def make(window=8, batch=1, leader=None, backoff=0.0, replica=None):
    replica = replica if replica is not None else LearnerStorage(machine=KVStore())
    elector = None
    if leader is not None:
        elector = Elector(ME, (1,), 0.05, 0.25, lambda: 0.0, ElectorStorage(), leader)
    return LogProposer(
        ME, ACCEPTORS, Quorums(3, 2, 2), 0.1, lambda attempt: backoff,
        ProposerStorage(), replica, window, batch, elector,
    )  # fmt: skip


def sends(effects, mtype):
    return [e.msg for e in effects if type(e) is Send and type(e.msg) is mtype]


def to_phase2(p, votes=((), ())):
    """Start a ballot by a request and complete its phase 1 with two promises."""
    effects = p.boot() if p.elector is not None else p.handle(CLIENT, Request(cmd(1)))
    (prepare,) = sends(effects, Prepare)
    out = []
    for a, v in zip((A1, A2), votes, strict=True):
        out += p.handle(a, Promise(prepare.ballot, v, prepare.slot, True))
    return prepare, out


def test_a_leader_runs_phase_1_once_for_every_slot_at_boot():
    """"The leader ... executes phase 1 for infinitely many instances": one prepare for
    the first slot its replica lacks and every slot above."""
    p = make(leader=ME)
    effects = p.boot()
    (prepare,) = sends(effects, Prepare)
    assert prepare == Prepare(Ballot(1, ME), 0, upward=True)
    assert RoundStarted(Ballot(1, ME)) in effects


def test_phase_1_starts_at_the_first_slot_the_replica_lacks():
    replica = LearnerStorage(chosen={0: NOOP, 1: NOOP, 3: NOOP}, machine=KVStore())
    (prepare,) = sends(make(leader=ME, replica=replica).boot(), Prepare)
    assert prepare.slot == 2


def test_reported_votes_are_re_proposed_and_holes_filled_with_no_ops():
    """The new leader proposes the highest-numbered reported value in each slot and "fills
    in the gaps ... with a special no-op command", then puts commands after them."""
    p = make(leader=ME)
    p.boot()
    old, older = Ballot(0, 7), Ballot(0, 6)
    v2, v2_older, v4 = (cmd(20),), (cmd(21),), (cmd(40),)
    votes = ((Vote(2, older, v2_older), Vote(4, old, v4)), (Vote(2, old, v2),))
    p.handle(CLIENT, Request(cmd(1)))  # queued while phase 1 runs
    _, effects = to_phase2(p, votes)
    b = p.ballot
    assert [(m.slot, m.value) for m in sends(effects, Accept)] == [
        (0, NOOP), (1, NOOP), (2, v2), (3, NOOP), (4, v4), (5, (cmd(1),)),
    ]  # fmt: skip
    assert ValueAdopted(b, v2, 2) in effects and ValueAdopted(b, v4, 4) in effects


def test_the_window_bounds_the_slots_in_flight_and_a_decision_frees_one():
    p = make(window=2, leader=ME)
    to_phase2(p)
    b = p.ballot
    effects = []
    for seq in range(1, 6):
        effects += p.handle(CLIENT, Request(cmd(seq)))
    assert [m.slot for m in sends(effects, Accept)] == [0, 1]
    p.handle(A1, Accepted(b, (cmd(1),), 0))
    effects = p.handle(A2, Accepted(b, (cmd(1),), 0))
    assert Decided(b, (cmd(1),), 0) in effects
    assert [(m.slot, m.value) for m in sends(effects, Accept)] == [(2, (cmd(3),))]


def test_a_slot_carries_a_batch_of_commands():
    p = make(window=1, batch=2, leader=ME)
    to_phase2(p)
    for seq in range(1, 4):
        p.handle(CLIENT, Request(cmd(seq)))
    b = p.ballot
    p.handle(A1, Accepted(b, (cmd(1),), 0))
    effects = p.handle(A2, Accepted(b, (cmd(1),), 0))
    assert [m.value for m in sends(effects, Accept)] == [(cmd(2), cmd(3))]


def test_a_node_that_does_not_lead_redirects_the_client():
    p = make(leader=1)
    assert p.handle(CLIENT, Request(cmd(1))) == [Send((CLIENT,), Redirect(1, 1))]


def test_a_request_already_applied_is_answered_from_the_replica():
    """A retry of a command the replica executed gets the first result, not a new slot."""
    replica = LearnerStorage(machine=KVStore())
    replica.machine.apply((cmd(1),))
    p = make(leader=ME, replica=replica)
    assert p.handle(CLIENT, Request(cmd(1))) == [Send((CLIENT,), Reply(1, "ok"))]


def test_the_node_replies_once_its_replica_applied_the_command():
    p = make(leader=ME)
    to_phase2(p)
    p.handle(CLIENT, Request(cmd(2, "get")))
    p.replica.machine.apply((cmd(2, "get"),))
    assert p.on_applied(0, (cmd(2, "get"),), (None,)) == [Send((CLIENT,), Reply(2, None))]
    assert p.on_applied(0, (cmd(2, "get"),), (None,)) == []  # replied once


def test_a_nack_abandons_the_ballot_and_puts_its_commands_back():
    p = make(backoff=0.05)
    prepare, _ = to_phase2(p)
    b = p.ballot
    effects = p.handle(A1, Nack(b, Ballot(5, 9), 0))
    assert RoundAbandoned(b, "nack", 2) in effects
    assert SetTimer("backoff", 0.05) in effects
    assert [c.seq for c in p.queue] == [1]
    effects = p.on_timer("backoff")
    (again,) = sends(effects, Prepare)
    assert again.ballot == Ballot(6, ME)  # above every ballot it heard of


def test_a_ballot_that_decides_nothing_for_a_retry_timeout_is_abandoned():
    p = make()
    to_phase2(p)
    b = p.ballot
    effects = p.on_timer("retry")
    assert RoundAbandoned(b, "timeout", 2) in effects
    (prepare,) = sends(effects, Prepare)  # no backoff: the next ballot at once
    assert prepare.ballot > b


def test_a_ballot_that_decides_is_kept_and_resends_requests_undecided_for_a_period():
    """A slot is sent again only once it has been in flight through a whole retry
    period: one proposed just before the timer fires waits for the next."""
    p = make(window=3)
    to_phase2(p)
    p.handle(CLIENT, Request(cmd(2)))
    b = p.ballot
    p.handle(A1, Accepted(b, (cmd(1),), 0))
    p.handle(A2, Accepted(b, (cmd(1),), 0))
    effects = p.on_timer("retry")  # slot 1 was proposed during this period
    assert sends(effects, Accept) == []
    assert not any(type(e) is RoundAbandoned for e in effects)
    p.handle(CLIENT, Request(cmd(3)))  # slot 2
    p.handle(A1, Accepted(b, (cmd(3),), 2))
    p.handle(A2, Accepted(b, (cmd(3),), 2))  # progress: the ballot lives
    effects = p.on_timer("retry")
    assert sends(effects, Accept) == [Accept(b, (cmd(2),), 1)]  # in flight a whole period


def test_a_leaderless_proposer_without_commands_holds_no_ballot():
    p = make()
    assert p.boot() == []
    assert p.on_timer("retry") == []


def test_a_deposed_leader_stops_and_drops_its_queue():
    p = make(leader=ME)
    to_phase2(p)
    from paxossim.protocol.messages import Heartbeat

    effects = p.handle(1, Heartbeat(3, 1))
    assert RoundAbandoned(p.ballot, "deposed", 2) in effects
    assert CancelTimer("retry") in effects
    assert not p.queue and not p.proposals


@pytest.mark.parametrize("op", ["put", "get"])
def test_a_request_in_flight_is_not_proposed_twice(op):
    p = make(leader=ME)
    to_phase2(p)
    first = p.handle(CLIENT, Request(cmd(2, op)))
    again = p.handle(CLIENT, Request(cmd(2, op)))
    assert len(sends(first, Accept)) == 1 and sends(again, Accept) == []


def test_a_slot_whose_accepts_were_all_lost_is_used_again_by_the_next_ballot():
    """No promise of the next ballot reports a vote in it, so nothing can have been
    chosen there: the next ballot must fill it (here with the requeued command), or the
    log would have a hole no replica ever gets past."""
    p = make()
    to_phase2(p)  # ballot 1 proposes command 1 in slot 0; every accept is lost
    effects = p.on_timer("retry")  # abandoned, the command requeued, ballot 2 at once
    (prepare,) = sends(effects, Prepare)
    assert prepare.slot == 0
    effects = []
    for a in (A1, A2):
        effects += p.handle(a, Promise(prepare.ballot, (), 0, True))
    assert [(m.slot, m.value) for m in sends(effects, Accept)] == [(0, (cmd(1),))]
