"""Runs that used to hang or grow without a word: every run has an event budget, and a
timer that is re-armed or cancelled leaves no pile of events behind."""

import math
import subprocess
import sys

import pytest

from paxossim import simulate
from paxossim.sim.world import Plan, World
from tests.helpers import constant, scenario


@pytest.mark.parametrize("sections", [
    {"protocol": {"retry_timeout": 1e-300}},
    {"horizon": 1e308, "protocol": {"strategy": "leader"},
     "cluster": {"nodes": 5, "proposers": [0, 1]}},
])
def test_a_run_that_would_never_end_stops_at_its_budget_marked_truncated(sections):
    s = scenario(max_events=20_000, **sections)
    rec = simulate(s, seed=3).record
    assert rec.truncated and rec.events == 20_000
    assert not rec.livelock
    assert rec.safety_violations == 0


def test_an_ordinary_run_is_not_truncated_and_counts_its_events():
    rec = simulate(scenario(network=constant(1 / 64)), seed=1).record
    assert not rec.truncated
    # every delivery, and the timers that expired: a retry timer, five catch-up timers
    assert rec.events == rec.messages_delivered + 6
    assert rec.chosen


def test_the_budget_is_part_of_the_scenario_so_rows_depend_only_on_it():
    s = scenario(max_events=50, cluster={"nodes": 5, "proposers": [0, 1]})
    a, b = simulate(s, seed=5).record, simulate(s, seed=5).record
    assert a == b and a.truncated and a.events == 50
    assert not simulate(s.with_overrides(max_events=10**6), seed=5).record.truncated


def test_cancelled_and_rearmed_timers_do_not_pile_up():
    """A follower re-arms its election timer at every heartbeat: with a timeout 10,000
    heartbeats long, each re-arming used to leave a SimPy event queued until it expired
    (memory grew with timeout / heartbeat)."""
    s = scenario(
        cluster={"nodes": 3, "proposers": [0, 1, 2]},
        protocol={"strategy": "leader",
                  "leader": {"heartbeat": 0.001, "timeout": 10.0, "timeout_jitter": 0.0}},
        network=constant(0.0001),
        horizon=5.0,
    )
    world = World(Plan.of(s), seed=0)
    world.env.run(until=2.0)
    assert len(world.env._queue) < 20  # a heartbeat, an election timer per follower, …
    world.env.run(until=5.0)
    assert len(world.env._queue) < 20


def test_a_re_armed_timer_fires_at_its_last_deadline():
    """The lazy timer is the same timer: a follower whose leader crashes suspects it
    timeout after the last heartbeat it heard, not after the first."""
    s = scenario(
        cluster={"nodes": 3, "proposers": [0, 1]},
        protocol={"strategy": "leader",
                  "leader": {"heartbeat": 0.01, "timeout": 0.5, "timeout_jitter": 0.0}},
        network=constant(0.001),
        faults=[{"node": 0, "crash_at": 1.0}],
        horizon=3.0,
    )
    trace = simulate(s, seed=0, trace=True).trace
    last_beat = trace.query("event == 'deliver' and message == 'Heartbeat' and node == 1")
    claim = trace.query("event == 'LeadershipChanged' and node == 1")
    assert claim["time"].iloc[0] == pytest.approx(last_beat["time"].max() + 0.5)


def test_estimated_messages_match_an_undisturbed_run():
    for learning in ("broadcast", "distinguished"):
        s = scenario(network=constant(1 / 64), protocol={"learning": learning}, horizon=0.5)
        assert simulate(s, seed=0).record.messages_sent == s.estimated_messages
    assert scenario(cluster={"nodes": 3, "learners": [0]}).estimated_messages == 12


def test_a_scenario_of_millions_of_messages_gets_a_warning():
    big = scenario(cluster={"nodes": 1500})
    assert big.estimated_messages > 10**6
    assert any("messages per run" in w for w in big.warnings)
    assert not any("messages per run" in w for w in scenario().warnings)


def test_max_events_on_the_command_line_overrides_the_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\n[cluster]\nnodes = 3\nproposers = [0, 1]\n')
    proc = subprocess.run(
        [sys.executable, "-m", "paxossim", "run", str(path), "--runs", "2", "--max-events", "30",
         "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    import pandas as pd
    df = pd.read_parquet(tmp_path / "r" / "s" / "runs.parquet")
    assert df["truncated"].all() and (df["events"] == 30).all()
    assert math.isnan(df["learned_at"].iloc[0])


def test_trace_of_too_many_events_is_refused_before_running(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\nruns = 1000000\n[cluster]\nnodes = 50\n')
    proc = subprocess.run(
        [sys.executable, "-m", "paxossim", "run", str(path), "--trace", "--out",
         str(tmp_path / "r")], capture_output=True, text=True)
    assert proc.returncode == 2 and "--trace would keep about" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "r").exists()


def test_a_trace_that_outgrows_its_estimate_is_stopped_while_it_runs(tmp_path, monkeypatch):
    """The estimate counts one undisturbed ballot; heartbeats and retries can make a
    traced run far bigger, so the trace itself stops a run that records too much."""
    from paxossim import cli
    from paxossim.observe import trace as trace_module
    from paxossim import experiment

    monkeypatch.setattr(experiment, "MAX_TRACE_ROWS", 5_000)
    monkeypatch.setattr(cli, "MAX_TRACE_ROWS", 5_000)
    monkeypatch.setattr(trace_module, "MAX_TRACE_ROWS", 5_000)
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\nruns = 4\nhorizon = 100.0\n[cluster]\nnodes = 3\n'
                    'proposers = [0, 1]\n[protocol]\nstrategy = "leader"\n')
    out = tmp_path / "r"
    assert cli.main(["run", str(path), "--trace", "--out", str(out)]) == 2
    assert not out.exists()


def test_a_traced_run_over_its_limit_raises():
    from paxossim.observe.trace import TraceTooLarge

    s = scenario(cluster={"nodes": 3, "proposers": [0, 1]}, protocol={"strategy": "leader"})
    with pytest.raises(TraceTooLarge):
        simulate(s, seed=0, trace=True, trace_limit=100)
    assert len(simulate(s, seed=0, trace=True).trace) > 100
