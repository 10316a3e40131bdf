"""The checker catches every bug switch, and stays silent when the switches are off."""

import tomllib
from pathlib import Path

import pytest

from paxossim import parse_scenario, run_scenario, simulate
from paxossim.scenario import Bugs

BUGS = Path(__file__).resolve().parents[1] / "scenarios" / "bugs"
SWITCHES = list(Bugs.model_fields)

#: What each switch breaks first in its scenario.
FIRST_BROKEN = {
    "acceptor_amnesia": {"promise-never-decreases", "vote-never-forgotten"},
    "ballot_reuse": {"ballot-never-reused"},
    "ignore_accepted": {"proposal-respects-chosen"},
    "unsafe_quorum": {"proposal-respects-chosen", "at-most-one-value-chosen"},
    "learner_mixes_ballots": {"learned-value-is-chosen"},
    "decide_on_copies": {"decided-is-chosen"},
    "stale_reads": {"history-linearizable"},
    "skip_phase1": {"proposal-respects-chosen", "at-most-one-value-chosen"},
}


#: The harm each switch does in its scenario, beyond the first broken invariant: a
#: second value chosen, a ballot with two values, a learner told something unchosen.
HARM = {
    "acceptor_amnesia": "at-most-one-value-chosen",
    "ballot_reuse": "one-value-per-ballot",
    "ignore_accepted": "at-most-one-value-chosen",
    "unsafe_quorum": "at-most-one-value-chosen",
    "learner_mixes_ballots": "learned-value-is-chosen",
    "decide_on_copies": "decided-is-chosen",  # a client would be told an unchosen value
    "stale_reads": "history-linearizable",  # a client reads a value already overwritten
    "skip_phase1": "at-most-one-value-chosen",  # a slot of the log chosen twice
}


def load(switch: str) -> dict:
    return tomllib.loads((BUGS / f"{switch}.toml").read_text())


def without_bugs(data: dict) -> dict:
    protocol = {k: v for k, v in data.get("protocol", {}).items() if k != "quorum"}
    return {**data, "bugs": {}, "protocol": protocol}


def test_every_switch_has_its_scenario():
    assert sorted(p.stem for p in BUGS.glob("*.toml")) == sorted(SWITCHES)


@pytest.mark.parametrize("switch", SWITCHES)
def test_switch_turns_on_exactly_one_bug(switch):
    scenario = parse_scenario(load(switch))
    assert scenario.bugs.on == (switch,)
    assert scenario.warnings == [f"bugs.{switch} is on: this scenario breaks Paxos on purpose"]


@pytest.mark.parametrize("switch", SWITCHES)
def test_the_checker_catches_the_bug_within_a_few_hundred_seeds(switch):
    df = run_scenario(parse_scenario(load(switch)), runs=300)
    bad = df[df["safety_violations"] > 0]
    assert len(bad) > 0, f"{switch}: no violation in 300 seeds"
    assert (df["bugs"] == switch).all()
    invariant = bad["violation"].iloc[0].split(": ")[0].split(" ")[1]
    assert invariant in FIRST_BROKEN[switch]


@pytest.mark.parametrize("switch", SWITCHES)
def test_the_bug_does_real_harm_not_just_a_bookkeeping_slip(switch):
    scenario = parse_scenario(load(switch))
    harmed = [seed for seed in range(60)
              if HARM[switch] in {v.invariant for v in simulate(scenario, seed).violations}]
    assert harmed, f"{switch}: {HARM[switch]} never broken in 60 seeds"


@pytest.mark.parametrize("switch", SWITCHES)
def test_the_same_scenario_without_the_bug_is_safe_over_many_seeds(switch):
    df = run_scenario(parse_scenario(without_bugs(load(switch))), runs=300)
    assert (df["safety_violations"] == 0).all(), df.loc[df["safety_violations"] > 0, "violation"]
    assert (df["bugs"] == "").all()
