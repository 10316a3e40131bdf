"""The distinguished proposer in the simulated world: election, hand-over, metrics."""

import pytest

from paxossim import simulate
from tests.helpers import constant, scenario

D = 1 / 64


def leader_run(faults=(), **sections):
    protocol = {"strategy": "leader", **sections.pop("protocol", {})}
    cluster = {"nodes": 5, "proposers": [0, 1, 2], **sections.pop("cluster", {})}
    s = scenario(cluster=cluster, protocol=protocol, network=sections.pop("network", constant(D)),
                 faults=list(faults), **sections)
    return simulate(s, seed=3, trace=True)


def test_the_initial_leader_chooses_in_one_ballot_at_3d():
    result = leader_run()
    rec = result.record
    assert rec.chosen and rec.value == "v0" and rec.chosen_at == 3 * D
    assert rec.ballots == 1 and rec.preemptions == 0
    assert rec.leader_changes == 0 and rec.leaderless_time == 0.0
    started = result.trace.query("event == 'RoundStarted'")
    assert list(started["node"]) == [0]  # "the only one to try issuing proposals"


def test_followers_hand_their_value_to_the_leader():
    result = leader_run()
    forwards = result.trace.query("event == 'send' and message == 'Forward'")
    assert set(zip(forwards["node"], forwards["peer"], forwards["value"], strict=True)) == {
        (1, 0, "v1"), (2, 0, "v2")}
    # once at their start, at most once more on the leader's first heartbeat (sent at
    # boot, before the leader's own value was ready), never after
    assert forwards["node"].value_counts().max() <= 2
    assert forwards["time"].max() <= D


def test_a_leader_without_a_value_of_its_own_proposes_a_forwarded_one():
    """The leader's own client comes late: it proposes what a follower handed over."""
    result = leader_run(workload={"propose_at": [1.0, 0.0, 0.5]})
    assert result.record.value == "v1"
    assert result.record.chosen_at == pytest.approx(D + 3 * D)


def test_after_the_leader_crashes_a_new_one_is_elected_and_chooses():
    """Jitter 0: both followers time out together, d + timeout after the last heartbeat,
    and claim term 1; (1, 2) beats (1, 1), so node 2 leads and node 1 steps down."""
    timeout = 0.25
    result = leader_run(faults=[{"node": 0, "crash_at": 0.001}],
                        protocol={"leader": {"timeout": timeout, "timeout_jitter": 0.0}})
    rec = result.record
    claim = D + timeout
    assert rec.chosen and rec.value == "v2"
    assert rec.chosen_at == pytest.approx(claim + 3 * D)
    assert rec.leader_changes == 2
    assert rec.leaderless_time == pytest.approx(claim - 0.001)
    changes = result.trace.query("event == 'LeadershipChanged'")
    assert list(zip(changes["node"], changes["detail"])) == [
        (0, "leads in term 0"), (1, "leads in term 1"), (2, "leads in term 1"),
        (1, "steps down in term 1")]
    assert rec.safety_violations == 0


def test_election_jitter_spreads_the_claims():
    """With jitter, the first follower to time out usually claims alone."""
    changes = []
    for seed in range(20):
        s = scenario(cluster={"nodes": 5, "proposers": [0, 1, 2]}, network=constant(D),
                     protocol={"strategy": "leader"}, faults=[{"node": 0, "crash_at": 0.001}])
        changes.append(simulate(s, seed).record.leader_changes)
    assert min(changes) == 1 and sum(c == 1 for c in changes) >= 15


def test_two_nodes_that_both_believe_they_lead_stay_safe():
    """A partition cuts the leader off from the other proposers (but not from the
    acceptors' majority side): both lead at once, and Paxos keeps it safe."""
    partition = {"start": 0.0, "end": 1.0, "groups": [[0, 3], [1, 2, 4]]}
    result = leader_run(network={**constant(D), "partitions": [partition]}, horizon=3.0)
    rec = result.record
    leading = result.trace.query("event == 'LeadershipChanged' and detail.str.startswith('leads')")
    assert 0 in set(leading["node"]) and len(set(leading["node"])) >= 2  # 0 never crashed
    assert rec.chosen and rec.safety_violations == 0


def test_leaderless_runs_have_no_leader_metrics():
    rec = simulate(scenario(network=constant(D)), seed=1).record
    assert rec.strategy == "leaderless" and rec.leader_changes == 0
    assert rec.leaderless_time != rec.leaderless_time  # NaN: not applicable


def test_a_lost_hand_over_is_made_again_while_the_leader_has_no_value():
    """The leader's own value comes only at 4 s; 30 % loss eats many hand-overs, but its
    heartbeats ask for a value until a follower's arrives."""
    s = scenario(cluster={"nodes": 5, "proposers": [0, 1]}, horizon=5.0,
                 network={"loss": 0.3}, protocol={"strategy": "leader"},
                 workload={"propose_at": [4.0, 0.0]})
    chosen_at = [simulate(s, seed).record.chosen_at for seed in range(40)]
    assert max(chosen_at) < 2.0


def test_a_node_that_crashes_at_time_zero_sends_nothing():
    result = leader_run(faults=[{"node": 0, "crash_at": 0.0}])
    sent = result.trace.query("event == 'send' and node == 0")
    assert sent.empty
    assert result.record.ballots >= 1 and result.record.value != "v0"


def test_a_value_handed_to_a_leader_that_is_deposed_is_not_stranded():
    """Node 1 hands v1 to leader 0 and crashes; 0 is cut off, 2 takes over with no value
    of its own yet; when the partition heals 0 steps down and hands v1 on to 2."""
    s = scenario(
        cluster={"nodes": 5, "proposers": [0, 1, 2]}, horizon=4.0, network={
            **constant(0.01),
            "partitions": [{"start": 0.015, "end": 1.0, "groups": [[0], [1, 2, 3, 4]]}]},
        protocol={"strategy": "leader"}, workload={"propose_at": [5.0, 0.0, 5.0]},
        faults=[{"node": 1, "crash_at": 0.012}])
    for seed in range(20):
        rec = simulate(s, seed).record
        assert rec.chosen and rec.safety_violations == 0, seed
