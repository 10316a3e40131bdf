"""The SimPy runtime on scenarios whose answers are known in closed form.

With a constant delay d every message takes exactly d, so one undisturbed synod is:
prepare (0 -> d), promise (-> 2d), accept (-> 3d: a quorum accepts, the value is
chosen), accepted (-> 4d: learners learn). d = 1/64 keeps every sum exact in binary,
and 4d is well inside the default retry timeout (0.1 s).
"""

import math

import pytest

from paxossim import simulate
from tests.helpers import constant, scenario

D = 1 / 64


def run(**sections):
    return simulate(scenario(**sections), seed=7, trace=True)


def test_one_proposer_chooses_at_3d_and_learns_at_4d():
    rec = run(network=constant(D)).record
    assert rec.chosen and rec.value == "v0"
    assert rec.chosen_at == 3 * D
    assert rec.learned_at == 4 * D
    assert rec.decided_at == 4 * D
    assert (rec.ballots, rec.preemptions, rec.timeouts) == (1, 0, 0)
    assert rec.learners_learned == 5
    assert rec.safety_violations == 0


@pytest.mark.parametrize("acceptors", [1, 3, 5, 7])
def test_four_n_messages_per_decision_when_only_the_proposer_learns(acceptors):
    """Prepare, promise, accept and accepted to each of n acceptors: 4n messages."""
    rec = run(cluster={"nodes": acceptors, "learners": [0]}, network=constant(D)).record
    assert rec.chosen
    assert rec.messages_sent == rec.messages_delivered == 4 * acceptors


def test_broadcast_to_all_learners_costs_n_times_learners_for_phase_2b():
    """5 acceptors each tell the proposer and all 5 learners (the proposer is one): 25."""
    rec = run(network=constant(D)).record
    assert rec.messages_sent == 3 * 5 + 5 * 5


def test_every_message_goes_through_the_network_even_to_itself():
    result = run(network=constant(D))
    to_self = result.trace.query("event == 'send' and node == peer and node == 0")
    assert set(to_self["message"]) == {"Prepare", "Promise", "Accept", "Accepted"}
    deliveries = result.trace.query("event == 'deliver'")
    assert (deliveries["time"] > 0).all()


def test_total_loss_never_chooses_and_keeps_retrying():
    rec = run(network={**constant(D), "loss": 1.0}, horizon=2.0).record
    assert not rec.chosen and math.isnan(rec.chosen_at) and math.isnan(rec.learned_at)
    assert rec.messages_delivered == 0
    assert rec.messages_dropped == rec.messages_sent > 0
    # a round every retry_timeout (0.1 s) over 2 s
    assert rec.ballots == 20
    assert rec.timeouts == 19 and rec.preemptions == 0
    assert not rec.livelock  # nobody preempted anybody: the network is just down


def test_a_majority_crashed_forever_never_chooses():
    faults = [{"node": n, "crash_at": 0.0} for n in (2, 3, 4)]
    rec = run(network=constant(D), faults=faults, horizon=2.0).record
    assert not rec.chosen
    assert rec.ballots > 1 and rec.crashes == 3


def test_a_minority_crashed_forever_still_chooses_at_3d():
    faults = [{"node": n, "crash_at": 0.0} for n in (3, 4)]
    rec = run(network=constant(D), faults=faults).record
    assert rec.chosen and rec.chosen_at == 3 * D
    # crashed learners do not count: the three that are up learned at 4d
    assert rec.learned_at == 4 * D and rec.learners_learned == 3


def test_acceptors_crashed_between_promise_and_accept_keep_their_promise():
    """A majority promises at d, crashes before the accept arrives at 3d, and comes back
    at 1 s: its promises were on stable storage, the proposer retries and chooses."""
    faults = [{"node": n, "crash_at": 1.5 * D, "restart_at": 1.0} for n in (2, 3, 4)]
    result = run(network=constant(D), faults=faults)
    rec = result.record
    assert rec.crashes == 3 and rec.crashes_mid_ballot == 3
    assert rec.chosen and rec.chosen_at > 1.0
    assert rec.safety_violations == 0
    assert rec.learned_at > rec.chosen_at


def test_a_restarted_proposer_never_reuses_a_ballot():
    faults = [{"node": 0, "crash_at": 2.5 * D, "restart_at": 0.5}]
    result = run(network=constant(D), faults=faults)
    started = result.trace.query("event == 'RoundStarted'")
    assert list(started["ballot"]) == ["1.0", "2.0"]
    assert list(started["time"]) == [0.0, 0.5]
    rec = result.record
    # the first ballot's accept was already out: the value got chosen while 0 was down,
    # and the new ballot learns it from the promises and proposes it again
    assert rec.chosen and rec.chosen_at == 3 * D
    assert rec.adopted == 1


def test_distinguished_learner_relays_to_the_others_one_delay_later():
    result = run(network=constant(D), protocol={"learning": "distinguished"})
    learned = result.trace.query("event == 'learned'").set_index("node")["time"]
    assert learned[0] == 4 * D  # the distinguished learner (the lowest id) hears acceptors
    assert all(learned[n] == 5 * D for n in (1, 2, 3, 4))
    assert result.record.learned_at == 5 * D
    # 3 phases x 5, accepted to proposer/distinguished (same node) x 5, Decide x 4
    assert result.record.messages_sent == 15 + 5 + 4


def test_polling_learners_learn_two_delays_after_the_first_poll_after_the_votes():
    """Votes are cast at 3d; polls go out every 0.3 s from 0: the poll sent at 0 finds
    nothing, the one sent at 0.3 arrives at 0.3 + d, the answers at 0.3 + 2d."""
    result = run(network=constant(D), cluster={"nodes": 5, "learners": [4]},
                 protocol={"learning": "poll", "poll_interval": 0.3})
    assert result.record.learned_at == pytest.approx(0.3 + 2 * D)
    polls = result.trace.query("event == 'send' and message == 'Poll'")
    assert sorted(set(polls["time"])) == pytest.approx([0.0, 0.3])  # stops once learned


def test_nothing_is_chosen_while_the_proposer_is_partitioned_from_a_majority():
    partition = {"start": 0.0, "end": 1.0, "groups": [[0, 1], [2, 3, 4]]}
    rec = run(network={**constant(D), "partitions": [partition]}).record
    assert rec.chosen and rec.chosen_at > 1.0
    assert rec.messages_dropped > 0


def test_a_node_in_no_partition_group_is_cut_off_from_everyone():
    partition = {"start": 0.0, "groups": [[1, 2, 3, 4]]}  # 0 in no group; lasts forever
    result = run(network={**constant(D), "partitions": [partition]}, horizon=1.0)
    assert not result.record.chosen
    delivered = result.trace.query("event == 'deliver'")
    assert len(delivered) > 0
    assert (delivered["node"] == 0).all() and (delivered["peer"] == 0).all()


def test_duplicating_every_message_changes_neither_timing_nor_outcome():
    rec = run(network={**constant(D), "duplicate": 1.0}).record
    assert rec.chosen and rec.chosen_at == 3 * D and rec.learned_at == 4 * D
    assert rec.messages_duplicated == rec.messages_sent
    assert rec.duplicates_delivered == rec.messages_duplicated
    assert rec.safety_violations == 0


def test_later_proposer_adopts_the_value_already_chosen():
    """"If a proposal with value v is chosen, then every higher-numbered proposal issued
    by any proposer has value v" (P2b): proposer 1 starts after v0 is chosen."""
    result = run(network=constant(D), cluster={"nodes": 5, "proposers": [0, 1], "learners": [0]},
                 workload={"propose_at": [0.0, 1.0]})
    rec = result.record
    assert rec.value == "v0" and rec.adopted == 1
    accepts = result.trace.query("event == 'send' and message == 'Accept'")
    assert set(accepts["value"]) == {"v0"}


def test_messages_are_conserved_once_the_run_settles():
    """Every copy sent is delivered or dropped: sent + duplicated = delivered + dropped."""
    rec = run(network={"loss": 0.3, "duplicate": 0.3}, horizon=30.0,
              faults=[{"node": 4, "crash_at": 0.01, "restart_at": 0.2}]).record
    assert rec.chosen and rec.learners_learned == 5  # all learned: nobody sends any more
    assert rec.messages_sent + rec.messages_duplicated == (
        rec.messages_delivered + rec.messages_dropped)


# -- the cost model: a service time s per message at every node, an fsync f per promise
# or vote. S = 1/1024 keeps the sums exact, and D >= 2S keeps the proposer's own accept
# request from waiting behind its last promises.

S = 1 / 1024
F = 1 / 512


def service(s):
    return {"dist": "constant", "value": s}


@pytest.mark.parametrize("nodes", [1, 3, 5])
def test_a_service_time_adds_the_services_on_the_critical_path(nodes):
    """Every node serves one message at a time, s each. The prepare reaches the acceptors
    at d and each answers at d + s; the n promises reach the proposer together at 2d + s
    and it serves them one after another, so the q1-th is handled at 2d + (q1 + 1)s and
    the accept requests leave; they are handled at 3d + (q1 + 2)s (chosen). The n votes
    reach every node together at 4d + (q1 + 2)s, and the q2-th is handled, learned and
    decided at 4d + (q1 + q2 + 2)s."""
    q = nodes // 2 + 1
    result = run(network=constant(D), cluster={"nodes": nodes, "service_time": service(S)})
    rec = result.record
    assert rec.chosen_at == 3 * D + (q + 2) * S
    assert rec.learned_at == rec.decided_at == 4 * D + (2 * q + 2) * S
    assert rec.messages_sent == rec.messages_delivered == 3 * nodes + nodes * nodes
    assert rec.safety_violations == 0


def test_messages_that_arrive_together_are_handled_one_service_apart():
    """The five promises reach node 0 at 2d + s; it handles them at 2d + 2s, ..., 2d + 6s,
    and the trace's `deliver` is when a copy is handled."""
    trace = run(network=constant(D), cluster={"service_time": service(S)}).trace
    sent = trace.query("event == 'send' and message == 'Promise'")
    assert set(sent["time"]) == {D + S}
    handled = trace.query("event == 'deliver' and message == 'Promise'")["time"]
    assert list(handled) == [2 * D + k * S for k in range(2, 7)]


@pytest.mark.parametrize("with_service", [False, True])
def test_an_fsync_adds_2f_once_per_phase_on_the_critical_path(with_service):
    """Each acceptor pays f before its promise leaves (phase 1b) and f before its vote
    exists and leaves (phase 2b): chosen, learned and decided 2f later, with or without a
    service time (the fsync adds to the granting step's service)."""
    cluster = {"fsync": F, **({"service_time": service(S)} if with_service else {})}
    rec = run(network=constant(D), cluster=cluster).record
    s = S if with_service else 0.0
    assert rec.chosen_at == 3 * D + 5 * s + 2 * F
    assert rec.learned_at == rec.decided_at == 4 * D + 8 * s + 2 * F
    assert rec.messages_sent == 40 and rec.safety_violations == 0


def test_a_refused_request_pays_no_fsync():
    """Proposer 1 prepares ballot 1.1 at 0, proposer 0 ballot 1.0 at d/2. Each acceptor
    grants 1.1 at d (its promise leaves f later) and refuses 1.0 at 3d/2: a nack writes
    nothing, so it leaves at once."""
    result = run(
        network=constant(D),
        cluster={"nodes": 3, "proposers": [0, 1], "fsync": F},
        workload={"propose_at": [D / 2, 0.0]},
        horizon=1.0,
    )
    sends = result.trace.query("event == 'send'")
    first = sends.groupby("message")["time"].min()
    assert set(sends.query("message == 'Promise' and ballot == '1.1'")["time"]) == {D + F}
    assert set(sends.query("message == 'Nack' and ballot == '1.0'")["time"]) == {1.5 * D}
    assert first["Nack"] == 1.5 * D
    assert result.record.safety_violations == 0
