"""Scenario files: defaults, validation messages (`file: key.path: problem, got value`),
the shipped scenarios, TOML round trip and overrides."""

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from paxossim.distributions import (
    Constant,
    Exponential,
    ExponentialBackoff,
    LogNormal,
    NoBackoff,
    Uniform,
)
from paxossim.scenario import (
    Bugs,
    Leader,
    QuorumSizes,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))

MINIMAL_TOML = 'name = "t"\n[cluster]\nnodes = 3\n'


def data(**sections: Any) -> dict[str, Any]:
    """A valid scenario dict (3 nodes) with sections merged in or top-level keys set."""
    out: dict[str, Any] = {"name": "t", "cluster": {"nodes": 3}}
    for key, value in copy.deepcopy(sections).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def problems_of(d: dict[str, Any], source: str = "x.toml") -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(d, source=source)
    return str(info.value).splitlines()


def load_text(tmp_path: Path, text: str, name: str = "x.toml") -> Scenario:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def load_problems(tmp_path: Path, text: str, name: str = "x.toml") -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_text(tmp_path, text, name)
    return str(info.value).splitlines()


# -- defaults ---------------------------------------------------------------------------


def test_defaults_are_filled_in():
    s = parse_scenario({"name": "t", "cluster": {"nodes": 3}})
    assert s.description == ""
    assert (s.seed, s.runs, s.horizon) == (0, 1, 10.0)
    assert s.cluster.proposers == [0]
    assert s.cluster.acceptors == "all" and s.cluster.learners == "all"
    assert s.network.loss == 0.0 and s.network.duplicate == 0.0
    assert s.network.partitions == [] and s.faults == []
    assert s.network.delay == Exponential(mean=0.01)
    assert s.protocol.strategy == "leaderless"
    assert s.protocol.retry_timeout == 0.1
    assert s.protocol.backoff == NoBackoff()
    assert s.protocol.nack is True
    assert s.protocol.learning == "broadcast"
    assert s.protocol.catchup == 1.0
    assert s.protocol.quorum == QuorumSizes() and s.protocol.quorum.phase1 is None
    assert s.protocol.quorum.phase2 is None
    assert s.protocol.leader == Leader()
    assert (s.protocol.leader.heartbeat, s.protocol.leader.timeout,
            s.protocol.leader.timeout_jitter) == (0.05, 0.25, 0.25)
    assert s.bugs == Bugs()
    assert s.bugs.on == () and s.warnings == []
    assert s.workload.propose_at == 0.0


def test_defaults_resolve_to_all_nodes_and_one_start_time():
    s = parse_scenario(data(cluster={"nodes": 4, "proposers": [0, 2]}))
    assert s.node_ids == (0, 1, 2, 3)
    assert s.acceptor_ids == (0, 1, 2, 3)
    assert s.learner_ids == (0, 1, 2, 3)
    assert s.proposer_ids == (0, 2)
    assert s.propose_times == (0.0, 0.0)
    assert s.distinguished_learner_ids == (0,)
    assert s.quorum_sizes == (3, 3)  # a majority of the 4 acceptors


def test_explicit_role_sets_and_start_times_are_kept():
    s = parse_scenario(data(cluster={"nodes": 5, "proposers": [3, 1], "acceptors": [4, 0, 2],
                                     "learners": [1]},
                            workload={"propose_at": [0.5, 0.25]}))
    assert s.proposer_ids == (3, 1)
    assert s.acceptor_ids == (0, 2, 4)
    assert s.learner_ids == (1,)
    assert s.propose_times == (0.5, 0.25)
    assert s.quorum_sizes == (2, 2)  # a majority of the 3 acceptors, not of the 5 nodes


def test_load_scenario_reads_a_minimal_file_with_defaults(tmp_path):
    s = load_text(tmp_path, MINIMAL_TOML)
    assert s == parse_scenario({"name": "t", "cluster": {"nodes": 3}})


def test_each_delay_distribution_and_backoff_parses():
    cases = [
        ({"dist": "constant", "value": 0.02}, Constant(value=0.02)),
        ({"dist": "uniform", "low": 0.01, "high": 0.01}, Uniform(low=0.01, high=0.01)),
        ({"dist": "exponential", "mean": 0.5}, Exponential(mean=0.5)),
        ({"dist": "lognormal", "median": 0.01, "sigma": 0.0}, LogNormal(median=0.01, sigma=0.0)),
    ]
    for raw, expected in cases:
        assert parse_scenario(data(network={"delay": raw})).network.delay == expected
    backoff = {"kind": "exponential", "base": 0.1, "cap": 0.1}
    assert parse_scenario(data(protocol={"backoff": backoff})).protocol.backoff == \
        ExponentialBackoff(base=0.1, cap=0.1)


# -- one bad input, one line: `x.toml: key: problem` --------------------------------------

BAD_DICTS = {
    # probabilities
    "loss above 1": (data(network={"loss": 1.5}),
                     "x.toml: network.loss: must be in [0, 1], got 1.5"),
    "duplicate below 0": (data(network={"duplicate": -0.1}),
                          "x.toml: network.duplicate: must be in [0, 1], got -0.1"),
    "loss nan": (data(network={"loss": float("nan")}),
                 "x.toml: network.loss: must be in [0, 1], got nan"),
    # unknown keys, with a hint
    "unknown key in section": (data(network={"lost": 0.1}),
                               "x.toml: network.lost: unknown key (did you mean 'loss'?)"),
    "unknown section": (data(netwrk={}),
                        "x.toml: netwrk: unknown key (did you mean 'network'?)"),
    "unknown top-level key": (data(rnus=3), "x.toml: rnus: unknown key (did you mean 'runs'?)"),
    "unknown key in a fault": (
        data(faults=[{"node": 0, "crash_at": 1, "restrat_at": 2}]),
        "x.toml: faults[0].restrat_at: unknown key (did you mean 'restart_at'?)"),
    # node ids
    "acceptor out of range": (data(cluster={"acceptors": [0, 5]}),
                              "x.toml: cluster.acceptors[1]: node id must be in 0..2, got 5"),
    "proposer out of range": (data(cluster={"proposers": [3]}),
                              "x.toml: cluster.proposers[0]: node id must be in 0..2, got 3"),
    "learner out of range": (data(cluster={"learners": [2, 1, 7]}),
                             "x.toml: cluster.learners[2]: node id must be in 0..2, got 7"),
    "negative node id": (data(cluster={"proposers": [-1]}),
                         "x.toml: cluster.proposers[0]: must be >= 0, got -1"),
    "duplicate proposers": (data(cluster={"proposers": [0, 1, 0]}),
                            "x.toml: cluster.proposers: node ids must be distinct, "
                            "got [0] more than once"),
    "duplicate acceptors": (data(cluster={"acceptors": [2, 2, 1, 1]}),
                            "x.toml: cluster.acceptors: node ids must be distinct, "
                            "got [1, 2] more than once"),
    "no proposers": (data(cluster={"proposers": []}),
                     "x.toml: cluster.proposers: must name at least one node"),
    "no acceptors": (data(cluster={"acceptors": []}),
                     "x.toml: cluster.acceptors: must name at least one node"),
    "no learners": (data(cluster={"learners": []}),
                    "x.toml: cluster.learners: must name at least one node"),
    "role set neither list nor all": (data(cluster={"acceptors": "some"}),
                                      "x.toml: cluster.acceptors: must be \"all\" or a list, "
                                      "got 'some'"),
    "no nodes": (data(cluster={"nodes": 0}), "x.toml: cluster.nodes: must be >= 1, got 0"),
    "fault on unknown node": (data(faults=[{"node": 7, "crash_at": 1}]),
                              "x.toml: faults[0].node: node id must be in 0..2, got 7"),
    # times
    "negative crash": (data(faults=[{"node": 0, "crash_at": -1}]),
                       "x.toml: faults[0].crash_at: must be >= 0, got -1"),
    "restart before crash": (data(faults=[{"node": 0, "crash_at": 1, "restart_at": 0.5}]),
                             "x.toml: faults[0].restart_at: must be after crash_at (1), got 0.5"),
    "restart at crash": (data(faults=[{"node": 0, "crash_at": 1, "restart_at": 1}]),
                         "x.toml: faults[0].restart_at: must be after crash_at (1), got 1"),
    "partition end before start": (
        data(network={"partitions": [{"start": 1, "end": 0.5, "groups": [[0], [1, 2]]}]}),
        "x.toml: network.partitions[0].end: must be after start (1), got 0.5"),
    "partition end at start": (
        data(network={"partitions": [{"start": 1, "end": 1, "groups": [[0], [1, 2]]}]}),
        "x.toml: network.partitions[0].end: must be after start (1), got 1"),
    "negative partition start": (
        data(network={"partitions": [{"start": -1, "groups": [[0], [1, 2]]}]}),
        "x.toml: network.partitions[0].start: must be >= 0, got -1"),
    "node in two partition groups": (
        data(network={"partitions": [{"start": 0, "groups": [[0, 1], [1, 2]]}]}),
        "x.toml: network.partitions[0].groups: a node may be in one group only"),
    "negative horizon": (data(horizon=-1), "x.toml: horizon: must be > 0, got -1"),
    "zero horizon": (data(horizon=0), "x.toml: horizon: must be > 0, got 0"),
    "infinite horizon": (data(horizon=float("inf")),
                         "x.toml: horizon: must be a finite number, got inf"),
    "negative seed": (data(seed=-1), "x.toml: seed: must be >= 0, got -1"),
    "zero runs": (data(runs=0), "x.toml: runs: must be >= 1, got 0"),
    "zero retry timeout": (data(protocol={"retry_timeout": 0}),
                           "x.toml: protocol.retry_timeout: must be > 0, got 0"),
    # workload
    "propose_at too long": (data(cluster={"proposers": [0, 1]},
                                 workload={"propose_at": [0, 1, 2]}),
                            "x.toml: workload.propose_at: needs one time per proposer (2), got 3"),
    "propose_at too short": (data(cluster={"proposers": [0, 1]}, workload={"propose_at": [0]}),
                             "x.toml: workload.propose_at: needs one time per proposer (2), got 1"),
    "propose_at empty list": (data(workload={"propose_at": []}),
                              "x.toml: workload.propose_at: needs one time per proposer (1), got 0"),
    "negative time in propose_at": (data(cluster={"proposers": [0, 1]},
                                         workload={"propose_at": [0, -1]}),
                                    "x.toml: workload.propose_at[1]: must be >= 0, got -1"),
    "propose_at a string": (data(workload={"propose_at": "soon"}),
                            "x.toml: workload.propose_at: must be a list or a number, got 'soon'"),
    # delays and backoffs
    "uniform high below low": (
        data(network={"delay": {"dist": "uniform", "low": 0.5, "high": 0.1}}),
        "x.toml: network.delay: high must be >= low, got low=0.5, high=0.1"),
    "uniform missing high": (data(network={"delay": {"dist": "uniform", "low": 0.5}}),
                             "x.toml: network.delay.high: required key is missing"),
    "exponential mean zero": (data(network={"delay": {"dist": "exponential", "mean": 0}}),
                              "x.toml: network.delay.mean: must be > 0, got 0"),
    "exponential mean negative": (data(network={"delay": {"dist": "exponential", "mean": -1}}),
                                  "x.toml: network.delay.mean: must be > 0, got -1"),
    "constant negative": (data(network={"delay": {"dist": "constant", "value": -1}}),
                          "x.toml: network.delay.value: must be >= 0, got -1"),
    "lognormal median zero": (
        data(network={"delay": {"dist": "lognormal", "median": 0, "sigma": 1}}),
        "x.toml: network.delay.median: must be > 0, got 0"),
    "delay not a table": (data(network={"delay": 0.01}),
                          "x.toml: network.delay: must be a table, got 0.01"),
    "backoff cap below base": (
        data(protocol={"backoff": {"kind": "exponential", "base": 1, "cap": 0.5}}),
        "x.toml: protocol.backoff: cap must be >= base, got base=1, cap=0.5"),
    "random backoff max zero": (data(protocol={"backoff": {"kind": "random", "max": 0}}),
                                "x.toml: protocol.backoff.max: must be > 0, got 0"),
    "fixed backoff negative": (data(protocol={"backoff": {"kind": "fixed", "delay": -1}}),
                               "x.toml: protocol.backoff.delay: must be >= 0, got -1"),
    # protocol
    "distinguished learner not a learner": (
        data(cluster={"learners": [0, 1]}, protocol={"distinguished_learners": [2]}),
        "x.toml: protocol.distinguished_learners: must be learners, got [2]"),
    "negative catchup": (data(protocol={"catchup": -1}),
                         "x.toml: protocol.catchup: must be >= 0, got -1"),
    "infinite catchup": (data(protocol={"catchup": float("inf")}),
                         "x.toml: protocol.catchup: must be a finite number, got inf"),
    # explicit quorums
    "phase1 quorum above the acceptors": (
        data(protocol={"quorum": {"phase1": 4}}),
        "x.toml: protocol.quorum.phase1: must be at most the number of acceptors (3), got 4"),
    "phase2 quorum above the explicit acceptors": (
        data(cluster={"acceptors": [0, 2]}, protocol={"quorum": {"phase2": 3}}),
        "x.toml: protocol.quorum.phase2: must be at most the number of acceptors (2), got 3"),
    "quorums that need not intersect": (
        data(protocol={"quorum": {"phase1": 1, "phase2": 2}}),
        "x.toml: protocol.quorum: phase1 + phase2 must exceed the number of acceptors (3) so "
        "that quorums intersect, got 1 + 2; set bugs.unsafe_quorum = true to allow it"),
    "one small quorum against the default majority": (
        data(cluster={"nodes": 5}, protocol={"quorum": {"phase2": 2}}),
        "x.toml: protocol.quorum: phase1 + phase2 must exceed the number of acceptors (5) so "
        "that quorums intersect, got 3 + 2; set bugs.unsafe_quorum = true to allow it"),
    "zero quorum": (data(protocol={"quorum": {"phase1": 0}}),
                    "x.toml: protocol.quorum.phase1: must be >= 1, got 0"),
    "fractional quorum": (data(protocol={"quorum": {"phase2": 1.5}}),
                          "x.toml: protocol.quorum.phase2: must be an integer, got 1.5"),
    "unknown quorum key": (data(protocol={"quorum": {"phase3": 2}}),
                           "x.toml: protocol.quorum.phase3: unknown key (did you mean 'phase2'?)"),
    "quorum not a table": (data(protocol={"quorum": 2}),
                           "x.toml: protocol.quorum: must be a table, got 2"),
    # leader election
    "zero heartbeat": (data(protocol={"strategy": "leader", "leader": {"heartbeat": 0}}),
                       "x.toml: protocol.leader.heartbeat: must be > 0, got 0"),
    "negative leader timeout": (data(protocol={"strategy": "leader", "leader": {"timeout": -1}}),
                                "x.toml: protocol.leader.timeout: must be > 0, got -1"),
    "zero leader timeout": (data(protocol={"leader": {"timeout": 0}}),
                            "x.toml: protocol.leader.timeout: must be > 0, got 0"),
    "negative timeout jitter": (
        data(protocol={"strategy": "leader", "leader": {"timeout_jitter": -0.1}}),
        "x.toml: protocol.leader.timeout_jitter: must be >= 0, got -0.1"),
    "infinite heartbeat": (data(protocol={"leader": {"heartbeat": float("inf")}}),
                           "x.toml: protocol.leader.heartbeat: must be a finite number, got inf"),
    "unknown leader key": (
        data(protocol={"strategy": "leader", "leader": {"heartbeet": 0.1}}),
        "x.toml: protocol.leader.heartbeet: unknown key (did you mean 'heartbeat'?)"),
    "leader not a table": (data(protocol={"leader": "node 0"}),
                           "x.toml: protocol.leader: must be a table, got 'node 0'"),
    # bug switches
    "bug switch as a number": (data(bugs={"acceptor_amnesia": 1}),
                               "x.toml: bugs.acceptor_amnesia: must be a boolean, got 1"),
    "bug switch as a string": (data(bugs={"unsafe_quorum": "yes"}),
                               "x.toml: bugs.unsafe_quorum: must be a boolean, got 'yes'"),
    "misspelt bug switch": (
        data(bugs={"ballot_reuze": True}),
        "x.toml: bugs.ballot_reuze: unknown key (did you mean 'ballot_reuse'?)"),
    "bugs not a table": (data(bugs=True), "x.toml: bugs: must be a table, got True"),
    # strict types: TOML values are not coerced
    "loss a string": (data(network={"loss": "0.1"}),
                      "x.toml: network.loss: must be a number, got '0.1'"),
    "loss a boolean": (data(network={"loss": True}),
                       "x.toml: network.loss: must be a number, got True"),
    "horizon a string": (data(horizon="10"), "x.toml: horizon: must be a number, got '10'"),
    "retry timeout a string": (data(protocol={"retry_timeout": "0.1"}),
                               "x.toml: protocol.retry_timeout: must be a number, got '0.1'"),
    "catchup a string": (data(protocol={"catchup": "1"}),
                         "x.toml: protocol.catchup: must be a number, got '1'"),
    "nodes a string": (data(cluster={"nodes": "3"}),
                       "x.toml: cluster.nodes: must be an integer, got '3'"),
    "seed a float": (data(seed=2.0), "x.toml: seed: must be an integer, got 2.0"),
    "runs a boolean": (data(runs=True), "x.toml: runs: must be an integer, got True"),
    "nack a string": (data(protocol={"nack": "yes"}),
                      "x.toml: protocol.nack: must be a boolean, got 'yes'"),
    # names and required keys
    "name with spaces": (data(name="has space"),
                         "x.toml: name: must be made of letters, digits, - and _ only, "
                         "got 'has space'"),
    "empty name": (data(name=""),
                   "x.toml: name: must be made of letters, digits, - and _ only, got ''"),
    "missing name": ({"cluster": {"nodes": 3}}, "x.toml: name: required key is missing"),
    "missing cluster": ({"name": "t"}, "x.toml: cluster: required key is missing"),
    "missing crash_at": (data(faults=[{"node": 0}]),
                         "x.toml: faults[0].crash_at: required key is missing"),
    "cluster not a table": (data(cluster="x"), "x.toml: cluster: must be a table, got 'x'"),
}


@pytest.mark.parametrize("bad, expected", BAD_DICTS.values(), ids=BAD_DICTS.keys())
def test_bad_input_names_file_key_and_problem(bad, expected):
    lines = problems_of(bad)
    assert expected in lines
    assert all(line.startswith("x.toml: ") for line in lines)


@pytest.mark.parametrize("case", [
    "loss above 1", "unknown key in section", "acceptor out of range", "duplicate proposers",
    "restart before crash", "node in two partition groups",
    "partition end before start", "quorums that need not intersect",
    "phase1 quorum above the acceptors", "zero heartbeat", "unknown leader key",
    "bug switch as a number", "loss a boolean", "seed a float",
    "propose_at too long", "uniform high below low", "exponential mean zero", "name with spaces",
])
def test_one_problem_gives_exactly_one_line(case):
    bad, expected = BAD_DICTS[case]
    assert problems_of(bad) == [expected]


def test_scenario_error_is_a_value_error_with_structured_problems():
    with pytest.raises(ValueError) as info:
        parse_scenario(data(network={"loss": 1.5}), source="x.toml")
    err = info.value
    assert isinstance(err, ScenarioError)
    assert err.source == "x.toml"
    assert err.problems == [("network.loss", "must be in [0, 1], got 1.5")]


def test_every_problem_is_reported_on_its_own_line():
    bad = data(runs=0, cluster2={}, network={"loss": 2, "duplicate": -1})
    lines = problems_of(bad)
    assert sorted(lines) == sorted([
        "x.toml: runs: must be >= 1, got 0",
        "x.toml: cluster2: unknown key (did you mean 'cluster'?)",
        "x.toml: network.loss: must be in [0, 1], got 2",
        "x.toml: network.duplicate: must be in [0, 1], got -1",
    ])


def test_cross_field_problems_are_all_reported():
    bad = data(cluster={"acceptors": [0, 9], "learners": [0, 1]},
               faults=[{"node": 0, "crash_at": 2, "restart_at": 1}],
               protocol={"distinguished_learners": [2]},
               workload={"propose_at": [0, 1]})
    lines = problems_of(bad)
    assert "x.toml: cluster.acceptors[1]: node id must be in 0..2, got 9" in lines
    assert "x.toml: faults[0].restart_at: must be after crash_at (2), got 1" in lines
    assert "x.toml: protocol.distinguished_learners: must be learners, got [2]" in lines
    assert "x.toml: workload.propose_at: needs one time per proposer (1), got 2" in lines
    assert len(lines) == 4


def test_faults_on_different_nodes_may_overlap_and_one_node_may_crash_twice():
    s = parse_scenario(data(faults=[
        {"node": 0, "crash_at": 1, "restart_at": 3},
        {"node": 1, "crash_at": 2, "restart_at": 4},
        {"node": 0, "crash_at": 3, "restart_at": 5},  # restarts at 3, crashes again at 3
        {"node": 0, "crash_at": 6},
    ]))
    assert len(s.faults) == 4


def test_partition_node_out_of_range_names_the_partition_groups():
    lines = problems_of(data(network={"partitions": [{"start": 0, "groups": [[0, 1], [2, 9]]}]}))
    assert len(lines) == 1
    assert lines[0].startswith("x.toml: network.partitions[0].groups")
    assert lines[0].endswith("node id must be in 0..2, got 9")


def test_unknown_dist_tag_names_the_tag_and_the_choices():
    lines = problems_of(data(network={"delay": {"dist": "gaussian", "mean": 1}}))
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("x.toml: network.delay: ")
    assert "'gaussian'" in line
    for tag in ("constant", "uniform", "exponential", "lognormal"):
        assert tag in line


def test_missing_dist_tag_names_the_delay_and_the_tag_key():
    lines = problems_of(data(network={"delay": {"mean": 1}}))
    assert len(lines) == 1
    assert lines[0].startswith("x.toml: network.delay")
    assert "dist" in lines[0]


def test_unknown_backoff_kind_names_the_kind():
    lines = problems_of(data(protocol={"backoff": {"kind": "sometimes"}}))
    assert len(lines) == 1
    assert lines[0].startswith("x.toml: protocol.backoff: ")
    assert "'sometimes'" in lines[0] and "exponential" in lines[0]


def test_misspelt_delay_parameter_gets_a_hint():
    lines = problems_of(data(network={"delay": {"dist": "exponential", "meen": 1}}))
    assert "x.toml: network.delay.meen: unknown key (did you mean 'mean'?)" in lines


def test_unknown_strategy_is_rejected_with_its_value():
    lines = problems_of(data(protocol={"strategy": "raft"}))
    assert len(lines) == 1
    assert lines[0].startswith("x.toml: protocol.strategy: ")
    assert lines[0].endswith("got 'raft'")


def test_unknown_learning_mode_is_rejected():
    lines = problems_of(data(protocol={"learning": "gossip"}))
    assert len(lines) == 1
    assert lines[0].startswith("x.toml: protocol.learning: ")
    assert "'gossip'" in lines[0]


def test_source_defaults_to_a_placeholder():
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data(runs=0))
    assert str(info.value) == "<scenario>: runs: must be >= 1, got 0"


# -- the same through files ---------------------------------------------------------------


def test_load_scenario_reports_the_file_name_and_key(tmp_path):
    text = MINIMAL_TOML + "[network]\nloss = 1.5\n"
    assert load_problems(tmp_path, text) == ["x.toml: network.loss: must be in [0, 1], got 1.5"]


def test_load_scenario_reports_unknown_keys_from_toml(tmp_path):
    text = MINIMAL_TOML + "[protocol]\nretry_timout = 0.2\n"
    assert load_problems(tmp_path, text, "typo.toml") == [
        "typo.toml: protocol.retry_timout: unknown key (did you mean 'retry_timeout'?)"]


def test_load_scenario_reports_bad_faults_from_array_of_tables(tmp_path):
    text = MINIMAL_TOML + (
        "[[faults]]\nnode = 2\ncrash_at = 1.0\nrestart_at = 0.5\n"
        "[[faults]]\nnode = 1\ncrash_at = 0.0\n"
        "[[faults]]\nnode = 3\ncrash_at = 0.0\n")
    assert load_problems(tmp_path, text, "f.toml") == [
        "f.toml: faults[0].restart_at: must be after crash_at (1), got 0.5",
        "f.toml: faults[2].node: node id must be in 0..2, got 3",
    ]


def test_load_scenario_reports_bad_delay_inline_table(tmp_path):
    text = MINIMAL_TOML + '[network]\ndelay = { dist = "uniform", low = 0.2, high = 0.1 }\n'
    assert load_problems(tmp_path, text) == [
        "x.toml: network.delay: high must be >= low, got low=0.2, high=0.1"]


def test_leader_strategy_is_accepted_with_default_election_settings(tmp_path):
    text = MINIMAL_TOML + '[protocol]\nstrategy = "leader"\n'
    s = load_text(tmp_path, text)
    assert s.protocol.strategy == "leader"
    assert s.protocol.leader == Leader(heartbeat=0.05, timeout=0.25, timeout_jitter=0.25)
    assert s.warnings == []


def test_leader_table_is_read_from_the_file(tmp_path):
    text = MINIMAL_TOML + ('[protocol]\nstrategy = "leader"\n'
                           "[protocol.leader]\nheartbeat = 0.02\ntimeout = 0.5\n"
                           "timeout_jitter = 0\n")
    s = load_text(tmp_path, text)
    assert s.protocol.leader == Leader(heartbeat=0.02, timeout=0.5, timeout_jitter=0.0)


def test_leader_table_keeps_defaults_for_keys_not_given():
    s = parse_scenario(data(protocol={"strategy": "leader", "leader": {"timeout": 1}}))
    assert (s.protocol.leader.heartbeat, s.protocol.leader.timeout,
            s.protocol.leader.timeout_jitter) == (0.05, 1.0, 0.25)


def test_leader_reports_every_bad_election_setting(tmp_path):
    text = MINIMAL_TOML + ('[protocol]\nstrategy = "leader"\n'
                           "[protocol.leader]\nheartbeat = -0.1\ntimeout = 0\n"
                           "timeout_jiter = 0.1\ntimeout_jitter = -1\n")
    assert sorted(load_problems(tmp_path, text)) == sorted([
        "x.toml: protocol.leader.heartbeat: must be > 0, got -0.1",
        "x.toml: protocol.leader.timeout: must be > 0, got 0",
        "x.toml: protocol.leader.timeout_jitter: must be >= 0, got -1",
        "x.toml: protocol.leader.timeout_jiter: unknown key (did you mean 'timeout_jitter'?)",
    ])


def test_load_scenario_rejects_name_with_spaces(tmp_path):
    text = 'name = "my scenario"\n[cluster]\nnodes = 3\n'
    assert load_problems(tmp_path, text) == [
        "x.toml: name: must be made of letters, digits, - and _ only, got 'my scenario'"]


def test_invalid_toml_is_one_line_naming_the_file(tmp_path):
    lines = load_problems(tmp_path, 'name = "t"\n[cluster\nnodes = 3\n', "broken.toml")
    assert len(lines) == 1
    assert lines[0].startswith(f"{tmp_path / 'broken.toml'}: invalid TOML: ") or \
        lines[0].startswith("broken.toml: invalid TOML: ")
    assert "line 2" in lines[0]


def test_duplicate_toml_key_is_invalid_toml(tmp_path):
    lines = load_problems(tmp_path, MINIMAL_TOML + "nodes = 4\n", "dup.toml")
    assert len(lines) == 1
    assert "dup.toml" in lines[0] and "invalid TOML" in lines[0]


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.splitlines() == [message]
    assert "nope.toml" in message and "no such file" in message


def test_a_directory_is_not_a_scenario_file(tmp_path):
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    assert "dir.toml" in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_file_that_is_not_utf8_is_reported(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b'name = "t"\ndescription = "caf\xe9"\n[cluster]\nnodes = 3\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "latin.toml" in str(info.value)


def test_load_scenario_accepts_str_paths(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(MINIMAL_TOML)
    assert load_scenario(str(path)).name == "t"


# -- quorums, catch-up and bug switches ----------------------------------------------------


@pytest.mark.parametrize("cluster, sizes", [
    ({"nodes": 1}, (1, 1)),
    ({"nodes": 3}, (2, 2)),
    ({"nodes": 4}, (3, 3)),
    ({"nodes": 5}, (3, 3)),
    ({"nodes": 7, "acceptors": [1, 3, 5, 6]}, (3, 3)),
])
def test_quorums_default_to_a_majority_of_the_acceptors(cluster, sizes):
    s = parse_scenario(data(cluster=cluster))
    assert s.protocol.quorum == QuorumSizes(phase1=None, phase2=None)
    assert s.quorum_sizes == sizes


def test_explicit_quorums_are_kept_and_one_omitted_side_is_a_majority():
    s = parse_scenario(data(cluster={"nodes": 5}, protocol={"quorum": {"phase1": 4, "phase2": 2}}))
    assert s.quorum_sizes == (4, 2)
    assert s.warnings == []
    assert parse_scenario(data(cluster={"nodes": 5},
                               protocol={"quorum": {"phase1": 4}})).quorum_sizes == (4, 3)
    assert parse_scenario(data(cluster={"nodes": 5},
                               protocol={"quorum": {"phase2": 5}})).quorum_sizes == (3, 5)


def test_quorums_just_large_enough_to_intersect_are_accepted():
    # 3 + 1 > 3: every phase-1 quorum meets every phase-2 quorum
    assert parse_scenario(data(protocol={"quorum": {"phase1": 3, "phase2": 1}})).quorum_sizes == \
        (3, 1)
    assert parse_scenario(data(protocol={"quorum": {"phase1": 1, "phase2": 3}})).quorum_sizes == \
        (1, 3)


def test_quorums_count_acceptors_not_nodes():
    lines = problems_of(data(cluster={"nodes": 5, "acceptors": [0, 1, 2]},
                             protocol={"quorum": {"phase1": 2, "phase2": 1}}))
    assert lines == ["x.toml: protocol.quorum: phase1 + phase2 must exceed the number of "
                     "acceptors (3) so that quorums intersect, got 2 + 1; set "
                     "bugs.unsafe_quorum = true to allow it"]


def test_unsafe_quorum_switch_allows_quorums_that_need_not_intersect():
    s = parse_scenario(data(protocol={"quorum": {"phase1": 1, "phase2": 1}},
                            bugs={"unsafe_quorum": True}))
    assert s.quorum_sizes == (1, 1)
    assert s.bugs.unsafe_quorum is True
    assert s.warnings == ["bugs.unsafe_quorum is on: this scenario breaks Paxos on purpose"]


def test_unsafe_quorum_switch_does_not_allow_a_quorum_above_the_acceptors():
    lines = problems_of(data(protocol={"quorum": {"phase1": 1, "phase2": 4}},
                             bugs={"unsafe_quorum": True}))
    assert lines == ["x.toml: protocol.quorum.phase2: must be at most the number of acceptors "
                     "(3), got 4"]


def test_both_quorum_sizes_above_the_acceptors_are_reported():
    lines = problems_of(data(protocol={"quorum": {"phase1": 4, "phase2": 5}}))
    assert lines == [
        "x.toml: protocol.quorum.phase1: must be at most the number of acceptors (3), got 4",
        "x.toml: protocol.quorum.phase2: must be at most the number of acceptors (3), got 5",
    ]


def test_quorums_are_read_from_a_file(tmp_path):
    s = load_text(tmp_path, 'name = "t"\n[cluster]\nnodes = 5\n'
                            "[protocol.quorum]\nphase1 = 4\nphase2 = 2\n")
    assert s.protocol.quorum == QuorumSizes(phase1=4, phase2=2)
    assert s.quorum_sizes == (4, 2)


@pytest.mark.parametrize("value", [0, 0.0, 0.25, 3])
def test_catchup_takes_zero_and_any_finite_positive_interval(value):
    assert parse_scenario(data(protocol={"catchup": value})).protocol.catchup == value


def test_bug_switches_default_off_and_each_can_be_turned_on():
    names = ["acceptor_amnesia", "ballot_reuse", "ignore_accepted", "unsafe_quorum",
             "learner_mixes_ballots", "decide_on_copies", "stale_reads", "skip_phase1"]
    assert list(Bugs.model_fields) == names
    assert all(value is False for _, value in Bugs())
    kv = {"workload": {"kind": "kv"}, "protocol": {"strategy": "leader"}}
    for name in names:
        extra = kv if name in ("stale_reads", "skip_phase1") else {}
        s = parse_scenario(data(bugs={name: True}, **extra))
        assert getattr(s.bugs, name) is True
        assert s.bugs.on == (name,)
        assert s.warnings == [f"bugs.{name} is on: this scenario breaks Paxos on purpose"]


@pytest.mark.parametrize("switch", ["stale_reads", "skip_phase1"])
def test_log_switches_need_a_log(switch):
    with pytest.raises(ScenarioError, match=f'bugs.{switch}: breaks the replicated log: needs kind = "kv"'):
        parse_scenario(data(bugs={switch: True}))


def test_stale_reads_need_a_leader():
    with pytest.raises(ScenarioError, match='bugs.stale_reads: a leader answers reads: needs strategy = "leader"'):
        parse_scenario(data(bugs={"stale_reads": True}, workload={"kind": "kv"}))


def test_warnings_list_one_line_per_switch_on_and_none_for_switches_off():
    s = parse_scenario(data(bugs={"learner_mixes_ballots": True, "acceptor_amnesia": True,
                                  "ballot_reuse": False}))
    assert s.bugs.on == ("acceptor_amnesia", "learner_mixes_ballots")
    assert s.warnings == [
        "bugs.acceptor_amnesia is on: this scenario breaks Paxos on purpose",
        "bugs.learner_mixes_ballots is on: this scenario breaks Paxos on purpose",
    ]
    assert parse_scenario(data(bugs={"ballot_reuse": False})).warnings == []


def test_bugs_table_is_read_from_a_file(tmp_path):
    s = load_text(tmp_path, MINIMAL_TOML + "[bugs]\nignore_accepted = true\n")
    assert s.bugs == Bugs(ignore_accepted=True)
    assert s.warnings == ["bugs.ignore_accepted is on: this scenario breaks Paxos on purpose"]


def test_wrong_toml_types_from_a_file_are_each_reported(tmp_path):
    text = ('name = "t"\nseed = 2.0\n[cluster]\nnodes = "3"\n'
            "[network]\nloss = true\n[protocol]\nnack = \"yes\"\n")
    assert sorted(load_problems(tmp_path, text)) == sorted([
        "x.toml: seed: must be an integer, got 2.0",
        "x.toml: cluster.nodes: must be an integer, got '3'",
        "x.toml: network.loss: must be a number, got True",
        "x.toml: protocol.nack: must be a boolean, got 'yes'",
    ])


def test_integers_are_accepted_where_numbers_are_expected():
    s = parse_scenario(data(horizon=5, network={"loss": 0, "duplicate": 1},
                            protocol={"retry_timeout": 1, "catchup": 2},
                            workload={"propose_at": 1}))
    assert (s.horizon, s.network.loss, s.network.duplicate) == (5, 0, 1)
    assert (s.protocol.retry_timeout, s.protocol.catchup, s.workload.propose_at) == (1, 2, 1)


# -- shipped scenarios ----------------------------------------------------------------------


def test_there_are_shipped_scenarios():
    names = {p.stem for p in SHIPPED}
    assert {"quickstart", "dueling", "dueling-backoff", "lossy", "partition",
            "crash-restart"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_validates_and_is_named_after_its_file(path):
    s = load_scenario(path)
    assert s.name == path.stem
    assert s.description


# -- round trip and overrides ---------------------------------------------------------------

RICH = data(
    description="every section",
    seed=7, runs=3, horizon=2.5,
    cluster={"nodes": 5, "proposers": [1, 0], "acceptors": [0, 1, 2], "learners": [3, 4]},
    network={"delay": {"dist": "lognormal", "median": 0.01, "sigma": 0.5},
             "loss": 0.1, "duplicate": 0.05,
             "partitions": [{"start": 0.0, "end": 0.5, "groups": [[0, 1], [2, 3, 4]]},
                            {"start": 1.0, "groups": [[0], [1, 2, 3, 4]]}]},
    faults=[{"node": 2, "crash_at": 0.1, "restart_at": 0.3}, {"node": 2, "crash_at": 0.4},
            {"node": 4, "crash_at": 0.0}],
    protocol={"strategy": "leader",
              "retry_timeout": 0.2, "backoff": {"kind": "exponential", "base": 0.01, "cap": 0.1},
              "nack": False, "learning": "distinguished", "distinguished_learners": [4],
              "poll_interval": 0.02, "catchup": 0.5, "quorum": {"phase1": 3, "phase2": 1},
              "leader": {"heartbeat": 0.02, "timeout": 0.1, "timeout_jitter": 0.0}},
    workload={"propose_at": [0.0, 0.125]},
    bugs={"ballot_reuse": True, "learner_mixes_ballots": True},
)


def roundtrip(s: Scenario) -> Scenario:
    return parse_scenario(tomllib.loads(s.to_toml()))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_to_toml_round_trips_shipped(path):
    s = load_scenario(path)
    assert roundtrip(s) == s


@pytest.mark.parametrize("delay", [
    {"dist": "constant", "value": 0.01},
    {"dist": "uniform", "low": 0.0, "high": 0.02},
    {"dist": "exponential", "mean": 0.03},
    {"dist": "lognormal", "median": 0.01, "sigma": 0.5},
])
def test_to_toml_round_trips_every_section(delay):
    s = parse_scenario({**RICH, "network": {**RICH["network"], "delay": delay}})
    back = roundtrip(s)
    assert back == s
    assert back.network.delay == s.network.delay
    assert back.faults[1].restart_at is None and back.network.partitions[1].end is None
    assert back.protocol.quorum == QuorumSizes(phase1=3, phase2=1)
    assert back.protocol.leader == Leader(heartbeat=0.02, timeout=0.1, timeout_jitter=0.0)
    assert back.protocol.catchup == 0.5 and back.protocol.strategy == "leader"
    assert back.bugs == Bugs(ballot_reuse=True, learner_mixes_ballots=True)


def test_to_toml_round_trips_one_omitted_quorum_side():
    s = parse_scenario(data(cluster={"nodes": 5}, protocol={"quorum": {"phase2": 4}}))
    back = roundtrip(s)
    assert back == s
    assert back.protocol.quorum == QuorumSizes(phase2=4) and back.quorum_sizes == (3, 4)


def test_to_toml_round_trips_defaults():
    s = parse_scenario({"name": "t", "cluster": {"nodes": 1}})
    assert roundtrip(s) == s


def test_to_toml_writes_delay_mean_under_its_file_name():
    doc = tomllib.loads(parse_scenario(data()).to_toml())
    assert doc["network"]["delay"] == {"dist": "exponential", "mean": 0.01}


def test_with_overrides_replaces_top_level_fields():
    s = parse_scenario(RICH)
    t = s.with_overrides(runs=5, seed=11, horizon=1.5)
    assert (t.runs, t.seed, t.horizon) == (5, 11, 1.5)
    assert t.cluster == s.cluster and t.network == s.network and t.faults == s.faults
    assert t.protocol == s.protocol and t.workload == s.workload and t.bugs == s.bugs
    assert (s.runs, s.seed, s.horizon) == (3, 7, 2.5)  # the original is untouched


def test_with_overrides_none_keeps_the_value():
    s = parse_scenario(RICH)
    assert s.with_overrides(runs=None, seed=None, horizon=None) == s
    assert s.with_overrides(seed=0).seed == 0  # 0 is a value, not "keep"


def test_with_overrides_without_a_change_returns_the_same_object():
    s = parse_scenario(RICH)
    assert s.with_overrides() is s
    assert s.with_overrides(runs=None, seed=None, horizon=None) is s
    assert s.with_overrides(runs=None, source="anything") is s


@pytest.mark.parametrize("change, expected", [
    ({"runs": 0}, "t with overrides {'runs': 0}: runs: must be >= 1, got 0"),
    ({"seed": -1}, "t with overrides {'seed': -1}: seed: must be >= 0, got -1"),
    ({"horizon": -1.0}, "t with overrides {'horizon': -1.0}: horizon: must be > 0, got -1.0"),
    ({"horizon": float("inf")},
     "t with overrides {'horizon': inf}: horizon: must be a finite number, got inf"),
    ({"rnus": 3}, "t with overrides {'rnus': 3}: rnus: unknown key (did you mean 'runs'?)"),
    ({"runs": 0, "seed": None}, "t with overrides {'runs': 0}: runs: must be >= 1, got 0"),
])
def test_with_overrides_validates_again(change, expected):
    s = parse_scenario(RICH)
    with pytest.raises(ScenarioError) as info:
        s.with_overrides(**change)
    assert str(info.value).splitlines() == [expected]


def test_with_overrides_names_every_change_when_one_is_bad():
    s = parse_scenario(RICH)
    with pytest.raises(ScenarioError) as info:
        s.with_overrides(runs=0, seed=3)
    assert str(info.value).splitlines() == [
        "t with overrides {'runs': 0, 'seed': 3}: runs: must be >= 1, got 0"]


def test_with_overrides_source_names_the_overrides_in_errors():
    s = parse_scenario(RICH)
    with pytest.raises(ScenarioError) as info:
        s.with_overrides(runs=0, horizon=-2.0, source="rich.toml with --runs 0")
    assert info.value.source == "rich.toml with --runs 0"
    assert sorted(str(info.value).splitlines()) == [
        "rich.toml with --runs 0: horizon: must be > 0, got -2.0",
        "rich.toml with --runs 0: runs: must be >= 1, got 0",
    ]


def test_scenario_is_frozen():
    s = parse_scenario(data())
    with pytest.raises(Exception):
        s.runs = 5  # type: ignore[misc]
    assert s.runs == 1


# -- problems that were fixed (formerly strict xfail), kept as regression tests --------------


def test_negative_scalar_propose_at_says_what_is_wrong():
    assert problems_of(data(workload={"propose_at": -1})) == [
        "x.toml: workload.propose_at: must be >= 0, got -1"]


def test_partition_node_out_of_range_points_at_the_nested_entry():
    lines = problems_of(data(network={"partitions": [{"start": 0, "groups": [[0, 1], [2, 9]]}]}))
    assert lines == ["x.toml: network.partitions[0].groups[1][1]: node id must be in 0..2, got 9"]


@pytest.mark.parametrize("bad, key", [
    (data(nodes=3), "nodes"),
    (data(cluster={"seed": 3}), "cluster.seed"),
    (data(loss=0.1), "loss"),
    (data(network={"nack": False}), "network.nack"),
    (data(bugs={"catchup": 1}), "bugs.catchup"),
])
def test_hint_for_a_key_in_the_wrong_section_is_not_the_same_key(bad, key):
    lines = problems_of(bad)
    assert len(lines) == 1
    assert lines[0].startswith(f"x.toml: {key}: unknown key")
    assert f"did you mean '{key.split('.')[-1]}'?" not in lines[0]
    assert lines == [f"x.toml: {key}: unknown key in this table (it belongs in another one)"]


def test_fractional_node_count_message_reads_well():
    [line] = problems_of(data(cluster={"nodes": 2.5}))
    assert line.startswith("x.toml: cluster.nodes: must be an integer")
    assert line.count("got") == 1 and line.endswith("got 2.5")
    assert line == "x.toml: cluster.nodes: must be an integer, got 2.5"


@pytest.mark.parametrize("bad, expected", [
    (data(cluster={"nodes": "3"}), "x.toml: cluster.nodes: must be an integer, got '3'"),
    (data(network={"loss": True}), "x.toml: network.loss: must be a number, got True"),
    (data(protocol={"nack": "yes"}), "x.toml: protocol.nack: must be a boolean, got 'yes'"),
    (data(seed=2.0), "x.toml: seed: must be an integer, got 2.0"),
])
def test_values_of_the_wrong_toml_type_are_rejected(bad, expected):
    assert problems_of(bad) == [expected]


@pytest.mark.parametrize("section, key", [
    ({"network": {"delay": {"dist": "constant", "value": float("inf")}}}, "network.delay.value"),
    ({"network": {"delay": {"dist": "exponential", "mean": float("inf")}}}, "network.delay.mean"),
    ({"protocol": {"backoff": {"kind": "fixed", "delay": float("inf")}}},
     "protocol.backoff.delay"),
])
def test_infinite_delays_are_rejected(section, key):
    assert problems_of(data(**section)) == [f"x.toml: {key}: must be a finite number, got inf"]


def test_faults_keep_their_file_order():
    s = parse_scenario(data(faults=[{"node": 0, "crash_at": 3, "restart_at": 4},
                                    {"node": 0, "crash_at": 1, "restart_at": 2}]),
                       source="x.toml")
    assert [(f.crash_at, f.restart_at) for f in s.faults] == [(3, 4), (1, 2)]


@pytest.mark.parametrize("faults", [
    [{"node": 0, "crash_at": 1, "restart_at": 3}, {"node": 0, "crash_at": 2}],
    [{"node": 1, "crash_at": 1}, {"node": 1, "crash_at": 5}],
    [{"node": 2, "crash_at": 3, "restart_at": 5}, {"node": 2, "crash_at": 1, "restart_at": 4}],
])
def test_overlapping_faults_of_one_node_are_valid(faults):
    """A node is down during the union of its outages (see tests/test_faults.py)."""
    assert len(parse_scenario(data(faults=faults)).faults) == 2


# -- problems of both kinds in one file ------------------------------------------------------


def test_schema_and_cross_field_problems_are_reported_together():
    lines = problems_of(data(network={"loss": 1.5}, cluster={"acceptors": [0, 5]}))
    assert sorted(lines) == sorted([
        "x.toml: network.loss: must be in [0, 1], got 1.5",
        "x.toml: cluster.acceptors[1]: node id must be in 0..2, got 5",
    ])


def test_no_acceptors_is_one_problem_not_three():
    assert problems_of(data(cluster={"acceptors": []})) == [
        "x.toml: cluster.acceptors: must name at least one node"]


@pytest.mark.parametrize("bad, key, allowed", [
    (data(bugs={"amnesia": True}), "bugs.amnesia", Bugs.model_fields),
    (data(protocol={"leader": {"election": 1}}), "protocol.leader.election",
     Leader.model_fields),
])
def test_did_you_mean_hint_names_a_key_of_the_same_table(bad, key, allowed):
    [line] = problems_of(bad)
    assert line.startswith(f"x.toml: {key}: unknown key")
    hint = line.partition("did you mean '")[2].rstrip("'?)")
    assert hint == "" or hint in allowed


def test_with_overrides_reaches_into_tables_with_dotted_keys():
    s = parse_scenario(data())
    lossy = s.with_overrides(**{"network.loss": 0.25, "protocol.leader.timeout": 0.5})
    assert lossy.network.loss == 0.25 and lossy.protocol.leader.timeout == 0.5
    assert s.network.loss == 0.0  # the original is unchanged
    with pytest.raises(ScenarioError, match=r"network\.loss: must be in \[0, 1\], got 2"):
        s.with_overrides(**{"network.loss": 2})


def test_roles_name_what_each_node_hosts():
    s = parse_scenario(data(cluster={"nodes": 3, "proposers": [1], "acceptors": [0, 1],
                                     "learners": [2]}))
    assert s.roles == {0: "A", 1: "P A", 2: "L"}


def test_a_cross_field_problem_about_a_wrong_key_is_not_reported_twice():
    lines = problems_of(data(cluster={"acceptors": [0, "x"]}))
    assert len(lines) == 1 and lines[0].startswith("x.toml: cluster.acceptors[1]:")


def test_a_wrong_list_element_does_not_hide_cross_key_problems_elsewhere():
    lines = problems_of(data(cluster={"acceptors": [0, 5]},
                             faults=[{"node": 0, "crash_at": "soon"}]))
    assert "x.toml: faults[0].crash_at: must be a number, got 'soon'" in lines
    assert "x.toml: cluster.acceptors[1]: node id must be in 0..2, got 5" in lines


def test_unknown_key_in_a_delay_names_the_keys_of_its_distribution():
    lines = problems_of(data(network={"delay": {"dist": "exponential", "mean": 1.0, "sigma": 1}}))
    assert lines == ["x.toml: network.delay.sigma: not a key of dist = exponential "
                     "(it has dist, mean)"]


@pytest.mark.parametrize("bad, wrong_line, cross_line", [
    (data(cluster={"proposers": "0"}, workload={"propose_at": [0, 0, 0]}),
     "x.toml: cluster.proposers: must be a list, got '0'", None),
    (data(protocol={"leader": {"heartbeat": -0.01, "timeout": 0.03}}),
     "x.toml: protocol.leader.heartbeat: must be > 0, got -0.01", None),
    (data(name="a b", faults=[{"node": 9, "crash_at": 0}]),
     "x.toml: name: must be made of letters, digits, - and _ only, got 'a b'",
     "x.toml: faults[0].node: node id must be in 0..2, got 9"),
    (data(f=1, faults=[{"node": 9, "crash_at": 0}]), "x.toml: f: unknown key",
     "x.toml: faults[0].node: node id must be in 0..2, got 9"),
    (data(network={"delay": {"dist": "exponential", "mean": "x"}},
          faults=[{"node": 9, "crash_at": 0}]),
     "x.toml: network.delay.mean: must be a number, got 'x'",
     "x.toml: faults[0].node: node id must be in 0..2, got 9"),
])
def test_cross_key_lines_never_rest_on_a_wrong_key(bad, wrong_line, cross_line):
    """Cross-key rules are checked with defaults in place of the wrong keys, and a rule
    that reads a wrong key is not reported: it would be about the default, not the file."""
    expected = [wrong_line] + ([cross_line] if cross_line else [])
    assert problems_of(bad) == expected


# -- the replicated key-value log ---------------------------------------------------------

KV = {"kind": "kv"}


@pytest.mark.parametrize("sections, message", [
    ({"workload": {**KV, "mix": {"put": 0.5, "get": 0.4, "cas": 0.0}}},
     "t.toml: workload.mix: the shares must sum to 1 (a share not given takes its default), "
     "got 0.9 (put = 0.5, get = 0.4, cas = 0, append = 0)"),
    ({"workload": {**KV, "rate": 5.0, "think_time": 0.1}},
     "t.toml: workload.rate: give rate (open loop) or think_time (closed loop), not both, "
     "got rate = 5 and think_time = 0.1"),
    ({"workload": {**KV, "propose_at": 0.0}},
     't.toml: workload.propose_at: only for kind = "synod": kv clients start at workload.start'),
    ({"workload": KV, "cluster": {"nodes": 3, "proposers": [0, 1], "learners": [0, 2]}},
     "t.toml: cluster.learners: in a kv scenario every proposer node must also be a learner "
     "(its replica applies the commands it answers clients for), got proposers [1] that are not"),
    ({"workload": {**KV, "clients": 2}, "faults": [{"node": 5, "crash_at": 1.0}]},
     "t.toml: faults[0].node: node id must be in 0..4, got 5"),
    ({"workload": {**KV, "mix": {"put": 1.5}}}, "t.toml: workload.mix.put: must be in [0, 1]"),
    ({"workload": {**KV, "clients": 0}}, "t.toml: workload.clients:"),
], ids=["mix sum", "open and closed", "propose_at", "proposer not replica", "client id range",
        "share range", "no clients"])  # fmt: skip
def test_kv_rules(sections, message):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data(**sections), source="t.toml")
    assert message in str(err.value)


def test_clients_are_nodes_after_the_cluster_that_faults_and_partitions_may_name():
    s = parse_scenario(data(
        workload={**KV, "clients": 2},
        faults=[{"node": 4, "crash_at": 1.0}],
        network={"partitions": [{"start": 0.0, "groups": [[0, 3], [1, 2, 4]]}]},
    ))  # fmt: skip
    assert s.client_ids == (3, 4)
    assert parse_scenario(data()).client_ids == ()


def test_kv_keys_in_a_single_decree_scenario_are_warned_about():
    s = parse_scenario(data(workload={"clients": 3, "rate": 5.0}, protocol={"window": 4}))
    assert s.warnings == [
        'workload.clients: only a kv scenario (workload.kind = "kv") uses workload.clients, '
        "workload.rate, protocol.window; this one is single-decree and ignores them"
    ]
    assert parse_scenario(tomllib.loads(s.to_toml())).warnings == []  # written out: dropped
    assert parse_scenario(data()).with_overrides(runs=3).warnings == []


def test_clients_that_start_after_the_horizon_are_warned_about():
    s = parse_scenario(data(horizon=1.0, workload={**KV, "start": 1.0}))
    assert s.warnings == [
        "workload.start: the clients start at or after the horizon (1 s) and send nothing"
    ]


def test_a_kv_scenario_writes_out_and_reads_back_equal():
    s = parse_scenario(data(workload={**KV, "clients": 2, "rate": 3.0}))
    assert "propose_at" not in s.to_toml()
    assert parse_scenario(tomllib.loads(s.to_toml())) == s
