"""Swarm testing: the generator, the liveness preconditions, shrinking, the table and the
command. The suite runs a few hundred drawn runs; `PAXOSSIM_SOAK=1` runs 5,000."""

import math
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from paxossim import ScenarioError, cli, liveness, load_scenario, parse_scenario, simulate, swarm
from paxossim.experiment import RUN_COLUMNS
from paxossim.generate import GRID, draw_scenario
from paxossim.shrink import _without_node, compact_toml
from tests.helpers import constant, scenario

ROOT = Path(__file__).resolve().parents[1]
SOAK = bool(os.environ.get("PAXOSSIM_SOAK"))
SEEDS = range(400)


def paxossim(*args: object, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "paxossim", *map(str, args)], cwd=cwd,
                          env={**os.environ, "PYTHONPATH": path, **env},
                          capture_output=True, text=True, timeout=300)


# -- network.lossy_until ----------------------------------------------------------------


def test_loss_and_duplication_end_at_lossy_until():
    s = scenario(network={**constant(0.01), "loss": 1.0, "duplicate": 1.0, "lossy_until": 0.2},
                 protocol={"retry_timeout": 0.05}, horizon=1.0)
    result = simulate(s, trace=True)
    events = result.trace
    lost = events.query("event == 'drop' and detail == 'loss'")
    assert len(lost) and (lost["time"] < 0.2).all()
    assert (events.query("event == 'duplicate'")["time"] < 0.2).all()
    assert result.record.chosen and result.record.chosen_at >= 0.2
    assert not math.isnan(result.record.learned_at)


def test_without_lossy_until_loss_lasts_the_whole_run():
    s = scenario(network={**constant(0.01), "loss": 1.0}, horizon=1.0)
    assert not simulate(s).record.chosen


def test_lossy_until_is_validated():
    with pytest.raises(ScenarioError, match="network.lossy_until: must be >= 0"):
        scenario(network={"lossy_until": -1.0})


# -- the generator ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def drawn():
    return [parse_scenario(draw_scenario(seed), source=f"seed {seed}") for seed in SEEDS]


def test_every_drawn_scenario_is_valid_and_replays_as_itself(drawn):
    for seed, s in zip(SEEDS, drawn, strict=True):
        assert (s.seed, s.runs, s.name) == (seed, 1, f"swarm-seed{seed}")
        assert not s.warnings
    for seed in range(100):  # and with the strategy fixed, and with every bug switch on
        for strategy in ("leader", "leaderless"):
            s = parse_scenario(draw_scenario(seed, strategy))
            assert s.protocol.strategy == strategy
        bugs = ("acceptor_amnesia", "ballot_reuse", "ignore_accepted", "unsafe_quorum",
                "learner_mixes_ballots")
        assert parse_scenario(draw_scenario(seed, None, bugs)).bugs.on == bugs


def test_the_generator_is_deterministic_and_leaves_global_randomness_alone():
    before = random.getstate(), np.random.get_state()[1].copy()
    assert [draw_scenario(s) for s in range(50)] == [draw_scenario(s) for s in range(50)]
    assert random.getstate() == before[0]
    assert (np.random.get_state()[1] == before[1]).all()
    assert draw_scenario(1) != draw_scenario(2)


def share(drawn, predicate) -> float:
    return float(np.mean([bool(predicate(s)) for s in drawn]))


def test_the_generator_draws_every_kind(drawn):
    def kinds(get):
        return {get(s) for s in drawn}

    assert kinds(lambda s: s.protocol.strategy) == {"leader", "leaderless"}
    assert kinds(lambda s: s.network.delay.dist) == {"constant", "uniform", "exponential",
                                                     "lognormal"}
    assert kinds(lambda s: s.protocol.backoff.kind) == {"none", "fixed", "random", "exponential"}
    assert kinds(lambda s: s.protocol.learning) == {"broadcast", "distinguished", "poll"}
    assert kinds(lambda s: s.cluster.nodes) == set(range(1, 10))
    assert share(drawn, lambda s: s.network.delay.dist == "constant") >= 0.3
    assert 0.2 <= share(drawn, lambda s: s.protocol.quorum.phase1 is not None) <= 0.8
    assert share(drawn, lambda s: s.network.partitions) >= 0.2
    assert share(drawn, lambda s: s.network.lossy_until is not None) >= 0.2
    assert share(drawn, lambda s: s.network.loss and s.network.lossy_until is None) >= 0.05
    assert share(drawn, lambda s: liveness.down_for_good(s)) >= 0.05
    assert share(drawn, lambda s: any(f.restart_at is not None for f in s.faults)) >= 0.3
    touching = share(drawn, lambda s: {(f.node, f.restart_at) for f in s.faults}
                     & {(f.node, f.crash_at) for f in s.faults})
    assert touching >= 0.03
    apart = share(drawn, lambda s: not set(s.proposer_ids) & set(s.acceptor_ids))
    assert apart >= 0.05


def test_the_generator_draws_both_liveness_kinds(drawn):
    held = share(drawn, lambda s: liveness.promise(s).held)
    assert 0.3 <= held <= 0.8
    reasons = {liveness.promise(s).reason for s in drawn}
    assert len(reasons) >= 6  # many different preconditions are missed, not one


def test_coincidences_are_common(drawn):
    several = [s for s in drawn if len(s.proposer_ids) > 1]
    assert share(several, lambda s: len(set(s.propose_times)) < len(s.propose_times)) >= 0.5
    assert share(drawn, lambda s: {f.crash_at for f in s.faults} & set(s.propose_times)) >= 0.2

    def faults_at_once(s) -> bool:
        moments = [(t, f.node) for f in s.faults for t in (f.crash_at, f.restart_at)
                   if t is not None]
        return any(t == u and a != b for t, a in moments for u, b in moments)

    assert share(drawn, faults_at_once) >= 0.1
    for s in drawn:  # every time on the grid
        times = [*s.propose_times, *(f.crash_at for f in s.faults),
                 *(p.start for p in s.network.partitions)]
        assert all(abs(t / GRID - round(t / GRID)) < 1e-6 for t in times)


def test_ballots_of_the_same_round_from_different_nodes_meet_often():
    """What a mutation that compares ballots by round only needs to be caught: two
    proposers' ballots of one round reaching the same acceptor."""
    met = 0
    for seed in range(100):
        events = simulate(parse_scenario(draw_scenario(seed)), trace=True).trace
        requests = events.query("event == 'deliver' and message in ('Prepare', 'Accept')")
        rounds = requests["ballot"].str.split(".", expand=True)
        if len(requests) and (rounds.assign(acceptor=requests["node"].to_numpy())
                              .groupby(["acceptor", 0])[1].nunique() > 1).any():
            met += 1
    assert met >= 25


# -- liveness preconditions -------------------------------------------------------------

LIVE = {
    "horizon": 5.0,
    "cluster": {"nodes": 3, "proposers": [0, 1]},
    "network": {**constant(0.01)},
    "protocol": {"backoff": {"kind": "random", "max": 0.05}, "catchup": 0.1},
}


def live(**changes):
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in LIVE.items()}
    for path, value in changes.items():
        table, _, key = path.rpartition(".")
        (data.setdefault(table, {}) if table else data)[key] = value
    return scenario(**data)


def test_a_plain_scenario_is_held_and_keeps_its_promise():
    s = live()
    assert liveness.promise(s) == liveness.Promise(True, "", 0.0)
    assert liveness.kept(s, simulate(s).record)


@pytest.mark.parametrize("changes, reason", [
    ({"protocol.backoff": {"kind": "none"}}, "without a randomised backoff"),
    ({"protocol.backoff": {"kind": "fixed", "delay": 0.05}}, "without a randomised backoff"),
    ({"protocol.backoff": {"kind": "random", "max": 0.02}}, "backoff waits under 4 delays"),
    ({"protocol.catchup": 0.0}, "catchup = 0"),
    ({"network.partitions": [{"start": 0.1, "groups": [[0], [1, 2]]}]}, "partition never ends"),
    ({"network.loss": 0.1}, "loss or duplication never ends"),
    ({"network.duplicate": 0.1}, "loss or duplication never ends"),
    ({"faults": [{"node": 2, "crash_at": 0.1}, {"node": 1, "crash_at": 0.2}]},
     "only 1 acceptors stay up, a quorum needs 2"),
    ({"cluster.nodes": 5, "faults": [{"node": 0, "crash_at": 0.1}, {"node": 1, "crash_at": 0.1}]},
     "every proposer node crashes for good"),
    ({"protocol.retry_timeout": 0.03}, "retry_timeout is under 4 delays"),
    ({"protocol.strategy": "leader", "protocol.leader": {"heartbeat": 0.05, "timeout": 0.08}},
     "leader timeout is under heartbeat + 4 delays"),
    ({"horizon": 1.0}, "healing phase is shorter than 20 x"),
    ({"faults": [{"node": 2, "crash_at": 0.1, "restart_at": 3.1}]}, "healing phase is shorter"),
])
def test_each_precondition_is_needed(changes, reason):
    promise = liveness.promise(live(**changes))
    assert not promise.held and reason in promise.reason


def test_the_only_proposer_down_for_good_is_not_held():
    s = live(**{"cluster.proposers": [0], "faults": [{"node": 0, "crash_at": 0.0}]})
    promise = liveness.promise(s)
    assert not promise.held and "every proposer node crashes for good" in promise.reason
    assert not simulate(s).record.chosen  # rightly not held: nothing is chosen


def test_faults_that_end_and_a_leader_are_held_with_the_heal_time():
    s = live(horizon=12.0, **{"protocol.strategy": "leader", "protocol.backoff": {"kind": "none"},
                "network.loss": 0.3, "network.lossy_until": 0.4,
                "faults": [{"node": 0, "crash_at": 0.0, "restart_at": 0.3},
                           {"node": 2, "crash_at": 0.2}]})
    assert liveness.promise(s) == liveness.Promise(True, "", 0.4)


def test_a_held_run_that_cannot_finish_is_a_liveness_failure(monkeypatch):
    """With the healing requirement switched off, a horizon shorter than one round meets
    every precondition, and the run is reported as failing liveness."""
    monkeypatch.setattr(liveness, "HEAL_PERIODS", 0)
    s = live(horizon=0.025)
    assert liveness.promise(s).held
    assert not liveness.kept(s, simulate(s).record)
    assert swarm._still_fails(s, "")


def test_learners_down_for_good_need_not_learn():
    s = live(**{"cluster.learners": [2], "faults": [{"node": 2, "crash_at": 0.0}]})
    record = simulate(s).record
    assert record.chosen and math.isnan(record.learned_at)
    assert liveness.kept(s, record)


#: Found by `paxossim swarm --runs 10000` (seed 2966) and shrunk: v2 is chosen by
#: acceptors 0 and 1 while learner 2 is down; acceptor 1 dies, proposer 0 has decided and
#: stops, so learner 2's polls see one vote forever (issue 7, section 4).
DECIDED_PROPOSER_STOPS = """
name = "decided-proposer-stops"
seed = 2966
horizon = 2.58
faults = [{ node = 2, crash_at = 0.03, restart_at = 0.045 }, { node = 1, crash_at = 0.04 }]
[cluster]
nodes = 3
proposers = [0, 2]
learners = [2]
[network]
delay = { dist = "constant", value = 0.005 }
[protocol]
strategy = "leader"
catchup = 0.1
leader = { heartbeat = 0.02, timeout = 0.12, timeout_jitter = 0.0 }
[workload]
propose_at = [0.04, 0.015]
"""


def test_a_learner_does_not_wait_forever_after_its_proposer_decided():
    """Found by the swarm (seed 2966, shrunk): before a learner could have a proposer
    issue a proposal, this learner stayed ignorant to the horizon."""
    s = parse_scenario(tomllib.loads(DECIDED_PROPOSER_STOPS))
    assert liveness.promise(s).held
    assert liveness.kept(s, simulate(s).record)


# -- shrinking --------------------------------------------------------------------------


def size(s) -> tuple:
    return (s.cluster.nodes, len(s.faults), len(s.network.partitions), len(s.proposer_ids))


def first_failure(bug: str) -> tuple[int, str]:
    """The first drawn run with that bug on that breaks an invariant in a scenario with
    something to shrink (several nodes and a fault)."""
    for seed in range(300):
        s = parse_scenario(draw_scenario(seed, None, (bug,)))
        violations = simulate(s).violations
        if violations and s.cluster.nodes >= 4 and s.faults:
            return seed, violations[0].invariant
    raise AssertionError(f"{bug}: no violation in 300 drawn runs")


@pytest.mark.parametrize("bug", ["ballot_reuse", "ignore_accepted"])
def test_shrinking_shrinks_and_keeps_the_invariant(bug):
    seed, invariant = first_failure(bug)
    original = parse_scenario(draw_scenario(seed, None, (bug,)))
    data, spent, steps = swarm.shrink_failure(seed, None, (bug,), invariant)
    small = parse_scenario(data)
    assert spent <= swarm.SHRINK_BUDGET and steps
    assert all(a <= b for a, b in zip(size(small), size(original), strict=True))
    assert size(small) != size(original)
    assert small.cluster.nodes < original.cluster.nodes and len(small.faults) < len(original.faults)
    assert small.seed == seed and small.bugs.on == (bug,)
    assert invariant in {v.invariant for v in simulate(small).violations}


def test_dropping_a_node_renumbers_every_id():
    data = {
        "name": "x", "cluster": {"nodes": 4, "proposers": [1, 3], "acceptors": [0, 1, 3],
                                 "learners": [2, 3]},
        "network": {"partitions": [{"start": 0.0, "groups": [[0, 1], [2], [3]]}]},
        "faults": [{"node": 3, "crash_at": 0.1}, {"node": 2, "crash_at": 0.2}],
        "protocol": {"learning": "distinguished", "distinguished_learners": [3],
                     "quorum": {"phase1": 3, "phase2": 1}},
        "workload": {"propose_at": [0.0, 0.5]},
    }
    s = parse_scenario(data)
    without_2, majority = _without_node(data, s, 2)
    assert without_2 == {
        "name": "x", "cluster": {"nodes": 3, "proposers": [1, 2], "acceptors": [0, 1, 2],
                                 "learners": [2]},
        "network": {"partitions": [{"start": 0.0, "groups": [[0, 1], [2]]}]},
        "faults": [{"node": 2, "crash_at": 0.1}],
        "protocol": {"learning": "distinguished", "distinguished_learners": [2],
                     "quorum": {"phase1": 3, "phase2": 1}},
        "workload": {"propose_at": [0.0, 0.5]},
    }
    assert "quorum" not in majority["protocol"]
    without_3, majority_3 = _without_node(data, s, 3)  # a proposer, with its start time
    assert without_3["cluster"]["proposers"] == [1]
    assert without_3["workload"]["propose_at"] == [0.0]
    assert "distinguished_learners" not in without_3["protocol"]
    with pytest.raises(ScenarioError, match="phase1: must be at most the number of acceptors"):
        parse_scenario(without_3)  # two acceptors left: the majority variant is the valid one
    parse_scenario(without_2), parse_scenario(majority_3)


def test_compact_toml_reads_back_as_the_same_scenario(drawn):
    for s in drawn[:100]:
        text = compact_toml(s)
        assert parse_scenario(tomllib.loads(text)) == s
    assert "[protocol.leader]" not in compact_toml(scenario())


# -- the table --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    return swarm.run_swarm(200, seed=0)


def test_a_clean_swarm_is_safe_and_live(table):
    assert (table["invariant"] == "").all() and (table["safety_violations"] == 0).all()
    assert not table["liveness_failed"].any()
    assert table["liveness_checked"].any() and not table["liveness_checked"].all()
    assert list(table["seed"]) == list(range(200)) and list(table["run"]) == list(range(200))


def test_the_table_names_parameters_by_key_path(table):
    for column in ("cluster.nodes", "network.loss", "network.delay.dist", "network.lossy_until",
                   "protocol.strategy", "protocol.backoff.kind", "protocol.quorum.phase2",
                   "faults", "liveness_checked", "liveness_failed", "invariant"):
        assert column in table.columns
    assert [c for c in table.columns if c in RUN_COLUMNS] == RUN_COLUMNS
    assert table["faults"].dtype == "int64" and table["network.delay.dist"].dtype == "string"
    constant_rows = table[table["network.delay.dist"] == "constant"]
    assert constant_rows["network.delay.value"].notna().all()
    assert constant_rows["network.delay.mean"].isna().all()


def test_every_key_a_drawn_scenario_sets_has_a_column(drawn):
    """The table names every knob the generator turns (the run columns carry seed, horizon
    and bugs; simultaneous_starts stands for workload.propose_at)."""
    def paths(table, prefix=""):
        for key, value in table.items():
            if isinstance(value, dict) and key not in ("delay", "backoff"):
                yield from paths(value, f"{prefix}{key}.")
            elif isinstance(value, dict):
                yield from (f"{prefix}{key}.{k}" for k in value)
            else:
                yield f"{prefix}{key}"

    skip = ("name", "description", "seed", "runs", "horizon", "bugs", "workload",
            "max_events")  # the default budget: not drawn
    for s in drawn[:100]:
        for path in paths(s.to_dict()):
            if path.split(".")[0] not in skip:
                assert path in swarm.PARAMS, path


def test_the_swarm_takes_the_interesting_paths(table):
    for label, took in swarm.PATHS.items():
        if label != "livelock":  # rarer (about 2 %): the soak asserts it
            assert took(table).mean() >= 0.05, label
    summary = swarm.format_summary(table, Path("t.parquet"))
    assert "safety violations    0" in summary and "simultaneous starts" in summary


def test_workers_do_not_change_the_table():
    assert_frame_equal(swarm.run_swarm(40, seed=7, workers=1),
                       swarm.run_swarm(40, seed=7, workers=2))


@pytest.mark.skipif(not SOAK, reason="soak: PAXOSSIM_SOAK=1")
def test_soak_a_long_swarm_is_safe_and_live():
    table = swarm.run_swarm(5000, seed=1_000_000, workers=0)
    assert (table["invariant"] == "").all()
    assert not table["liveness_failed"].any(), list(table.loc[table["liveness_failed"], "seed"])
    for label, took in swarm.PATHS.items():
        assert took(table).any(), label


# -- the command ------------------------------------------------------------------------


def test_cli_clean_swarm_exits_0_and_is_deterministic(tmp_path):
    one = paxossim("swarm", "--runs", 20, "--out", tmp_path / "a", cwd=tmp_path,
                   PYTHONHASHSEED="1")
    two = paxossim("swarm", "--runs", 20, "--out", tmp_path / "b", "--workers", 2, cwd=tmp_path,
                   PYTHONHASHSEED="2")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert "swarm: 20 runs on seeds 0..19" in one.stdout and one.stderr == ""
    a = pd.read_parquet(tmp_path / "a" / "swarm.parquet")
    assert len(a) == 20 and not (tmp_path / "a" / "failures").exists()
    assert_frame_equal(a, pd.read_parquet(tmp_path / "b" / "swarm.parquet"))


def test_cli_bug_swarm_exits_1_writes_and_shrinks_failures(tmp_path):
    proc = paxossim("swarm", "--runs", 4, "--bug", "ballot_reuse", "--strategy", "leaderless",
                    "--out", "out", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    table = pd.read_parquet(tmp_path / "out" / "swarm.parquet")
    assert (table["protocol.strategy"] == "leaderless").all()
    assert (table["bugs"] == "ballot_reuse").all()
    seed = int(table.loc[table["invariant"] != "", "seed"].iloc[0])
    original = Path("out", "failures", f"seed{seed}.toml")
    shrunk = Path("out", "failures", f"seed{seed}-min.toml")
    assert f"replay:  paxossim run {original}" in proc.stderr
    assert f"shrunk:  paxossim run {shrunk}" in proc.stderr
    for path in (original, shrunk):
        replay = paxossim("run", path, "--out", "replay", cwd=tmp_path)
        assert replay.returncode == 1 and "ballot-never-reused" in replay.stderr
    draw = next(x for x in proc.stderr.splitlines() if f"draw it: paxossim trace {shrunk}" in x)
    until = float(draw.split("--until ")[1])
    violation = simulate(load_scenario(tmp_path / shrunk)).violations[0]
    assert violation.time < until  # the diagram shows the violating step


def test_cli_liveness_failures_exit_4_unless_safety_fails_too(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(liveness, "kept", lambda s, record: False)  # every held run fails
    monkeypatch.setattr(swarm, "SHRINK_FAILURES", 1)
    monkeypatch.setattr(swarm, "SHRINK_BUDGET", 3)
    assert cli.main(["swarm", "--runs", "10", "--out", str(tmp_path / "a")]) == 4
    err = capsys.readouterr().err
    assert "LIVENESS FAILURE seed" in err and "more failures, not shrunk" in err
    assert len(list((tmp_path / "a" / "failures").glob("seed*-min.toml"))) == 1
    assert cli.main(["swarm", "--runs", "10", "--bug", "ballot_reuse",
                     "--out", str(tmp_path / "b")]) == 1


@pytest.mark.parametrize("args, message", [
    (["--runs", "0"], "--runs: must be in 1..1,000,000, got 0"),
    (["--strategy", "both"], "invalid choice: 'both'"),
    (["--bug", "no_such_bug"], "invalid choice: 'no_such_bug'"),
])
def test_cli_bad_flags_exit_2_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["swarm", *args])
    err = capsys.readouterr().err
    assert exit.value.code == 2 and message in err and "Traceback" not in err


def test_cli_an_out_that_is_a_file_exits_2_before_running(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("")
    assert cli.main(["swarm", "--out", str(tmp_path / "file.txt")]) == 2
    assert capsys.readouterr().err == f"--out: {tmp_path / 'file.txt'} exists and is not a folder\n"


def test_a_clean_swarm_removes_the_failure_files_of_an_earlier_one(tmp_path):
    dirty = paxossim("swarm", "--runs", 3, "--bug", "ballot_reuse", "--strategy", "leaderless",
                     "--out", "out", cwd=tmp_path)
    assert dirty.returncode == 1 and list((tmp_path / "out" / "failures").glob("*.toml"))
    clean = paxossim("swarm", "--runs", 3, "--out", "out", cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert not list((tmp_path / "out" / "failures").glob("*.toml"))
