"""The key-value client alone: what it sends, when it retries, whom it believes."""

import numpy as np

from paxossim.protocol.client import Client
from paxossim.protocol.effects import Responded, Send, SetTimer, Submitted
from paxossim.protocol.messages import Redirect, Reply, Request

PROPOSERS = (0, 1, 2)
ME = 9


def make(requests=3, leader_mode=True, rate=None, think_time=0.0, mix=(("put", 1.0),)):
    return Client(
        ME, PROPOSERS, requests, 2, mix, np.random.default_rng(1), 0.3,
        think_time=think_time, rate=rate, leader_mode=leader_mode,
    )  # fmt: skip


def requests(effects):
    return [(e.dsts, e.msg.command) for e in effects if type(e) is Send]


def test_closed_loop_one_command_outstanding_and_the_next_after_the_reply():
    c = make()
    effects = c.start()
    ((dsts, first),) = requests(effects)
    assert dsts == (0,) and first.seq == 1 and first.client == ME
    assert first.value == "c9.1"  # a put writes a value unique to the command
    assert SetTimer("timeout:1", 0.3) in effects
    effects = c.handle(0, Reply(1, "ok"))
    assert Responded(first, "ok") in effects
    ((_, second),) = requests(effects)
    assert second.seq == 2


def test_a_think_time_delays_the_next_command():
    c = make(think_time=0.2)
    c.start()
    effects = c.handle(0, Reply(1, "ok"))
    assert requests(effects) == [] and SetTimer("think", 0.2) in effects
    assert [cmd.seq for _, cmd in requests(c.on_timer("think"))] == [2]


def test_a_timeout_resends_the_same_command_to_the_next_proposer_node():
    c = make()
    ((_, first),) = requests(c.start())
    effects = c.on_timer("timeout:1")
    assert requests(effects) == [((1,), first)]  # same sequence number
    assert Submitted(first, 1, True) in effects


def test_a_redirect_is_followed_at_once():
    c = make()
    ((_, first),) = requests(c.start())
    assert requests(c.handle(0, Redirect(1, 2))) == [((2,), first)]
    assert c.handle(0, Redirect(1, 2)) == []  # already there


def test_a_late_or_duplicate_reply_is_ignored():
    c = make(requests=1)
    c.start()
    assert c.handle(0, Reply(1, "ok")) != []
    assert c.handle(0, Reply(1, "ok")) == []


def test_the_client_stops_after_its_requests():
    c = make(requests=2)
    c.start()
    c.handle(0, Reply(1, "ok"))
    assert requests(c.handle(0, Reply(2, "ok"))) == []


def test_open_loop_arrivals_do_not_wait_for_replies():
    c = make(requests=3, rate=10.0)
    (arrive,) = c.start()
    assert arrive.name == "arrive" and arrive.delay > 0
    first = c.on_timer("arrive")
    second = c.on_timer("arrive")
    assert [cmd.seq for _, cmd in requests(first + second)] == [1, 2]
    assert any(type(e) is SetTimer and e.name == "arrive" for e in second)
    last = c.on_timer("arrive")
    assert not any(type(e) is SetTimer and e.name == "arrive" for e in last)  # 3 of 3


def test_a_cas_expects_a_value_the_client_has_seen():
    c = make(requests=2, mix=(("put", 0.5), ("cas", 0.5)))
    seen = []
    for seed in range(20):
        c = Client(ME, PROPOSERS, 5, 1, (("put", 0.5), ("cas", 0.5)),
                   np.random.default_rng(seed), 0.3)  # fmt: skip
        effects = c.start()
        for _ in range(4):
            ((_, command),) = requests(effects)
            if command.op == "cas":
                seen.append(command.expected)
            effects = c.handle(0, Reply(command.seq, "ok"))
    assert None in seen and any(v is not None and v.startswith("c9.") for v in seen)


def test_leaderless_clients_draw_a_proposer_per_request():
    targets = set()
    for seed in range(10):
        c = Client(ME, PROPOSERS, 1, 1, (("get", 1.0),), np.random.default_rng(seed), 0.3,
                   leader_mode=False)  # fmt: skip
        ((dsts, _),) = requests(c.start())
        targets.update(dsts)
    assert targets == set(PROPOSERS)


def test_after_a_restart_the_outstanding_command_is_sent_again():
    c = make()
    ((_, first),) = requests(c.start())
    assert [cmd for _, cmd in requests(c.resume())] == [first]


def test_requests_are_the_only_messages():
    c = make()
    assert all(type(e.msg) is Request for e in c.start() if type(e) is Send)
