"""The cost model (`cluster.service_time`, `cluster.fsync`): queues, crashes, saturation of
a replicated log at its leader's capacity, Little's law, determinism, validation.

Closed forms of a single synod with costs are in tests/test_sim_closed_form.py."""

import random
import tomllib

import numpy as np
import pandas as pd
import pytest

from paxossim import ScenarioError, parse_scenario, simulate
from paxossim.experiment import runs_frame
from paxossim.observe.commands import commands_frame
from paxossim.protocol import NO_BALLOT, Acceptor, AcceptorStorage, Ballot
from paxossim.protocol.messages import Accept, Accepted, Poll, Prepare, Promise
from paxossim.sim import rng
from paxossim.sim.cluster import service_draws
from paxossim.sim.world import Plan, World
from tests.helpers import constant, scenario

D = 1 / 64
S = 1 / 1024


def service(s):
    return {"dist": "constant", "value": s}


def kv(nodes=3, clients=1, s=0.001, d=1e-6, requests=40, fsync=0.0, dist=None):
    """A stable leader (node 0, also acceptor and learner), closed-loop clients, window
    = clients, batch 1, catch-up off, timeouts that never fire (no resent work)."""
    return scenario(
        cluster={
            "nodes": nodes,
            "proposers": [0],
            "service_time": dist or service(s),
            "fsync": fsync,
        },
        network=constant(d),
        protocol={"strategy": "leader", "window": clients, "catchup": 0.0, "retry_timeout": 100.0},
        workload={
            "kind": "kv",
            "clients": clients,
            "requests": requests,
            "start": 0.1,
            "request_timeout": 100.0,
        },
        horizon=100.0,
    )


# -- no cost is no change ---------------------------------------------------------------

LOSSY = {
    "cluster": {"nodes": 5, "proposers": [0, 1, 2]},
    "network": {"loss": 0.1, "duplicate": 0.2},
    "faults": [{"node": 0, "crash_at": 0.01, "restart_at": 0.3}, {"node": 3, "crash_at": 0.02}],
    "protocol": {"backoff": {"kind": "random", "max": 0.05}},
}


def test_a_zero_cost_gives_the_rows_of_no_cost_bit_for_bit():
    """A constant service time of 0 and no fsync still routes every copy through the
    nodes' queues, and every row is the same as without the keys."""
    plain = scenario(**LOSSY)
    zero = scenario(**{**LOSSY, "cluster": {**LOSSY["cluster"], "service_time": service(0.0)}})
    for seed in range(10):
        a, b = simulate(plain, seed, trace=True), simulate(zero, seed, trace=True)
        pd.testing.assert_frame_equal(
            runs_frame([a.record.as_row()]), runs_frame([b.record.as_row()])
        )
        pd.testing.assert_frame_equal(a.trace, b.trace)


def test_same_seed_same_rows_with_random_service_times():
    s = kv(clients=4, requests=30, dist={"dist": "exponential", "mean": 0.001}, fsync=0.0005)
    s = s.with_overrides(**{"network.loss": 0.05, "protocol.retry_timeout": 0.05})
    a, b = simulate(s, 3), simulate(s, 3)
    pd.testing.assert_frame_equal(runs_frame([a.record.as_row()]), runs_frame([b.record.as_row()]))
    pd.testing.assert_frame_equal(commands_frame(a.commands), commands_frame(b.commands))
    assert a.violations == []
    c = simulate(s, 4)
    assert not commands_frame(c.commands).equals(commands_frame(a.commands))


def test_each_node_draws_its_service_times_from_its_own_stream():
    s = scenario(cluster={"service_time": {"dist": "exponential", "mean": 0.002}})
    for node in (0, 3):
        draws = service_draws(s, 11, node)
        expected = rng.stream(11, rng.SERVICE, node).exponential(0.002, 128)
        assert [draws() for _ in range(130)][:128] == list(expected)
    assert service_draws(scenario(), 11, 0) is None
    assert service_draws(scenario(cluster={"service_time": service(0.0)}), 11, 0) is None


# -- crashes ----------------------------------------------------------------------------


def test_a_crash_drops_the_copy_in_service_and_the_queue():
    """The five promises reach node 0 together at 2d + s. It crashes at 2d + 2.5s: one
    promise handled, one in service, three queued: four copies dropped at the crash, as
    `receiver down`, and none of them delivered."""
    crash_at = 2 * D + 2.5 * S
    s = scenario(
        network=constant(D),
        cluster={"service_time": service(S)},
        faults=[{"node": 0, "crash_at": crash_at, "restart_at": 0.5}],
    )
    result = simulate(s, 1, trace=True)
    trace = result.trace
    handled = trace.query("event == 'deliver' and message == 'Promise' and time < 0.5")
    assert list(handled["time"]) == [2 * D + 2 * S]
    dropped = trace.query("event == 'drop'")
    assert list(dropped["time"]) == [crash_at] * 4
    assert set(dropped["detail"]) == {"receiver down"} and set(dropped["message"]) == {"Promise"}
    assert not set(dropped["copy"]) & set(trace.query("event == 'deliver'")["copy"])
    rec = result.record
    assert rec.messages_dropped == 4
    assert rec.messages_sent + rec.messages_duplicated == (
        rec.messages_delivered + rec.messages_dropped
    )
    assert rec.chosen and rec.chosen_at > 0.5 and rec.safety_violations == 0


def test_a_copy_lost_during_its_fsync_wrote_nothing():
    """Node 1 grants the prepare at d and would pay its fsync until d + f; it crashes at
    d + f/2 for good: its promise never existed and never left."""
    f = 1 / 256
    s = scenario(
        network=constant(D),
        cluster={"fsync": f},
        faults=[{"node": 1, "crash_at": D + f / 2}],
        horizon=0.5,
    )
    world = World(Plan.of(s), 1, trace=True)
    result = world.run()
    assert world.nodes[1].storage.acceptor.promise(0) == NO_BALLOT
    promises = result.trace.query("event == 'send' and message == 'Promise'")
    assert sorted(promises["node"]) == [0, 2, 3, 4]
    assert result.record.chosen and result.record.safety_violations == 0


def test_timers_are_not_queued():
    """With s = 2d the proposer's node is still serving promises when its retry timer
    fires at 0.1: the round is abandoned at 0.1 exactly, not when the node is idle."""
    s = scenario(network=constant(D), cluster={"service_time": service(2 * D)}, horizon=0.3)
    world = World(Plan.of(s), 1, trace=True)
    trace = world.run().trace
    abandoned = trace.query("event == 'RoundAbandoned'")
    assert abandoned["time"].iloc[0] == 0.1 and abandoned["detail"].iloc[0] == "timeout"
    # the node was busy then: promises were handled before and after 0.1
    handled = trace.query("event == 'deliver' and node == 0 and message == 'Promise'")["time"]
    assert (handled < 0.1).any() and (handled > 0.1).any()


# -- a replicated log saturates at its leader -------------------------------------------


def test_one_client_meets_four_services_per_command():
    """Client -> leader (d, a service: the request), accept requests (d, a service at each
    acceptor), votes (d, the leader learns on the second: two services), reply (d; clients
    cost nothing): 4d + 4s, the leader being idle whenever a request arrives."""
    d, s = 1 / 512, 1 / 1024
    result = simulate(kv(clients=1, s=s, d=d, requests=20), 1)
    cmds = commands_frame(result.commands)
    assert len(cmds) == 20
    assert cmds["latency"].to_numpy() == pytest.approx(4 * d + 4 * s, abs=1e-12)
    assert result.violations == []


@pytest.mark.parametrize("nodes", [3, 5])
@pytest.mark.parametrize("clients", [4, 16])
def test_throughput_saturates_at_the_leaders_capacity(nodes, clients):
    """Per command the leader handles m = n + 2 messages (the request, its own accept
    request, n votes) and every other node n + 1: the leader's capacity 1/(m s) bounds
    the throughput, and enough clients reach it. A closed loop obeys Little's law:
    throughput x mean latency = clients."""
    s = 0.001
    result = simulate(kv(nodes=nodes, clients=clients, s=s, requests=640 // clients), 1)
    rec = result.record
    assert result.violations == [] and rec.completed == 640
    capacity = 1 / ((nodes + 2) * s)
    assert rec.throughput == pytest.approx(capacity, rel=0.01)
    latency = commands_frame(result.commands)["latency"].mean()
    assert rec.throughput * latency == pytest.approx(clients, rel=0.03)


def test_throughput_grows_with_the_clients_up_to_the_capacity():
    """With d = 2 ms and s = 1 ms one client gets 1/(4d + 4s) = 83/s; from 4 clients the
    leader's 200/s (3 nodes) is the bound, and latency grows with the clients instead."""
    d, s = 0.002, 0.001
    rates, latencies = [], []
    for clients in (1, 2, 4, 8, 16):
        result = simulate(kv(clients=clients, s=s, d=d, requests=max(20, 320 // clients)), 1)
        rates.append(result.record.throughput)
        latencies.append(commands_frame(result.commands)["latency"].mean())
    assert rates[0] == pytest.approx(1 / (4 * d + 4 * s), rel=1e-3)
    assert rates[0] < rates[1] < rates[2]
    assert rates[2:] == pytest.approx([1 / (5 * s)] * 3, rel=0.01)
    assert latencies[2] < latencies[3] < latencies[4]
    assert latencies[4] == pytest.approx(16 / rates[4], rel=0.03)


def test_an_fsync_lowers_the_leaders_capacity():
    """The leader's acceptor grants its own accept request of every command: it serves
    5s + f per command with 3 nodes."""
    s, f = 0.001, 0.002
    result = simulate(kv(clients=8, s=s, fsync=f, requests=80), 1)
    assert result.record.throughput == pytest.approx(1 / (5 * s + f), rel=0.01)


def test_random_service_times_saturate_at_the_mean_capacity():
    result = simulate(kv(clients=32, requests=100, dist={"dist": "exponential", "mean": 0.001}), 2)
    assert result.violations == []
    assert result.record.throughput == pytest.approx(200, rel=0.03)


def test_costs_keep_the_log_safe_under_loss_duplication_and_crashes():
    data = {
        "cluster": {
            "nodes": 5,
            "proposers": [0, 1, 2],
            "service_time": {"dist": "exponential", "mean": 0.002},
            "fsync": 0.001,
        },
        "network": {"loss": 0.1, "duplicate": 0.1},
        "faults": [{"node": 0, "crash_at": 0.3, "restart_at": 0.6}, {"node": 3, "crash_at": 0.2}],
        "protocol": {
            "strategy": "leader",
            "backoff": {"kind": "random", "max": 0.05},
            "window": 4,
            "catchup": 0.2,
        },
        "workload": {"kind": "kv", "clients": 3, "requests": 30, "request_timeout": 0.2},
        "horizon": 3.0,
    }
    s = scenario(**data)
    completed = dropped = 0
    for seed in range(10):
        r = simulate(s, seed)
        assert r.violations == [], (seed, r.violations[:3])
        completed += r.record.completed
        dropped += r.record.messages_dropped
    assert completed > 10 * 90 * 0.5 and dropped > 0


# -- the acceptor's side of the fsync ---------------------------------------------------


def test_writes_agrees_with_what_the_acceptor_does():
    """`Acceptor.writes` says a step writes exactly when the handler grants: it answers
    with a promise or a vote (and for a prepare or accept only)."""
    rand = random.Random(5)
    for nack in (True, False):
        acceptor = Acceptor(AcceptorStorage(), (0,), nack)
        for _ in range(3000):
            ballot = Ballot(rand.randrange(1, 6), rand.randrange(3))
            slot = rand.randrange(4)
            msg = rand.choice(
                [
                    Prepare(ballot, slot, rand.random() < 0.3),
                    Accept(ballot, "v", slot),
                    Poll(slot),
                ]
            )
            predicted = acceptor.writes(msg)
            effects = acceptor.handle(1, msg)
            granted = type(msg) is not Poll and any(
                type(e.msg) in (Promise, Accepted) for e in effects
            )
            assert predicted == granted, msg


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cluster, problem",
    [
        ({"service_time": 0.001}, "cluster.service_time: must be a table, got 0.001"),
        (
            {"service_time": {"dist": "exponential", "mean": 0}},
            "cluster.service_time.mean: must be > 0",
        ),
        (
            {"service_time": {"dist": "gauss"}},
            "cluster.service_time: dist = 'gauss' does not match",
        ),
        ({"service_time": {"dist": "constant", "valu": 1}}, "unknown key (did you mean 'value'?)"),
        ({"fsync": -0.001}, "cluster.fsync: must be >= 0, got -0.001"),
        ({"fsync": "1ms"}, "cluster.fsync: must be a number, got '1ms'"),
    ],
)
def test_bad_cost_keys_get_one_clear_line(cluster, problem):
    with pytest.raises(ScenarioError) as err:
        scenario(cluster=cluster)
    lines = str(err.value).splitlines()
    assert any(problem in line for line in lines), lines
    assert all(line.startswith("<scenario>: cluster.") for line in lines), lines


def test_the_costs_round_trip_through_toml():
    lognormal = {"dist": "lognormal", "median": 0.001, "sigma": 0.5}
    s = scenario(cluster={"service_time": lognormal, "fsync": 0.0002})
    assert parse_scenario(tomllib.loads(s.to_toml())) == s
    assert np.isclose(s.cluster.service_time.mean, 0.001 * np.exp(0.125))


def test_a_busy_leader_with_default_timeouts_keeps_its_capacity():
    """An accept request is resent only once it has been undecided for a whole retry
    period: a saturated leader does not flood its own queue with copies of requests
    that are merely waiting (it used to, and lost a third of its throughput)."""
    s = scenario(
        cluster={"nodes": 3, "service_time": {"dist": "constant", "value": 0.001}},
        network={"delay": {"dist": "constant", "value": 1e-6}},
        protocol={"strategy": "leader", "catchup": 0.0},
        workload={"kind": "kv", "clients": 16, "requests": 100_000},
        horizon=3.0,
    )
    rec = simulate(s, 1).record
    assert rec.throughput == pytest.approx(200, rel=0.01)
