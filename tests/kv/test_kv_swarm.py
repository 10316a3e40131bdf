"""Drawn replicated-log scenarios (the swarm's clusters, networks, faults and protocols,
with clients on top), every check on: no violation, linearizable histories, and paths
worth testing taken. The suite runs 120; `PAXOSSIM_SOAK=1` runs 3,000."""

import os

import pytest

from paxossim import parse_scenario, simulate
from paxossim.generate import draw_kv_scenario
from paxossim.lincheck import check_history, check_witness, frame_history
from paxossim.observe.commands import _log_order, commands_frame
from paxossim.sim.world import Plan, World

SOAK = bool(os.environ.get("PAXOSSIM_SOAK"))


def sweep(seeds):
    rows = []
    for seed in seeds:
        s = parse_scenario(draw_kv_scenario(seed))
        r = simulate(s, seed)
        assert r.violations == [], (seed, [str(v) for v in r.violations[:3]])
        rows.append((s, r.record))
    return rows


def test_the_log_order_is_the_linearization_of_a_correct_run():
    """The cheap first pass: in a correct run the commands in slot order are a
    linearization, so no search is needed (the search agrees)."""
    for seed in range(40):
        s = parse_scenario(draw_kv_scenario(seed))
        world = World(Plan.of(s), seed)
        world.run()
        rows = world.commands.rows(s.name, seed, 0, world.checker.first_chosen)
        frame = commands_frame(rows)
        ops = frame_history(frame)
        assert check_witness(ops, _log_order(frame, world.checker.first_chosen)), seed
        if len(ops) <= 40:
            assert check_history(ops, "kv", 10**6).verdict == "linearizable"


def test_drawn_logs_are_safe_linearizable_and_not_vacuous():
    rows = sweep(range(120))
    records = [r for _, r in rows]
    assert all(r.linearizable is not False for r in records)
    assert sum(r.linearizable is None for r in records) <= 2  # budget spent: rare
    assert {s.protocol.strategy for s, _ in rows} == {"leader", "leaderless"}
    assert sum(r.noops > 0 for r in records) >= 3  # holes filled by a new leader
    assert sum(r.adopted > 0 for r in records) >= 10  # values re-proposed after phase 1
    assert sum(r.duplicates_delivered > 0 for r in records) >= 10
    assert sum(r.crashes > 0 for r in records) >= 10
    assert sum(r.completed for r in records) > 0.5 * sum(r.commands for r in records)


@pytest.mark.skipif(not SOAK, reason="soak: PAXOSSIM_SOAK=1")
def test_soak_drawn_logs():
    records = [r for _, r in sweep(range(1000, 4000))]
    assert all(r.linearizable is not False for r in records)
