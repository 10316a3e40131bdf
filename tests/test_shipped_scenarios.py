"""Every scenario in scenarios/ runs, safely, and shows what it was written to show."""

from pathlib import Path

import pytest

from paxossim import load_scenario
from paxossim.experiment import run_scenario

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIOS = sorted(ROOT.rglob("*.toml"))
SAFE = [p for p in SCENARIOS if p.parent.name != "bugs"]


@pytest.fixture(scope="module")
def results():
    return {p.stem: run_scenario(load_scenario(p), runs=12) for p in SAFE}


def test_the_six_scenarios_of_the_synod_issue_are_shipped():
    names = {p.stem for p in SCENARIOS}
    assert {"quickstart", "lossy", "dueling", "dueling-backoff", "crash-restart",
            "partition"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_file_validates_and_names_itself_after_its_file(path):
    scenario = load_scenario(path)
    assert scenario.name.removeprefix("bug-") == path.stem
    assert bool(scenario.bugs.on) == (path.parent.name == "bugs")


@pytest.mark.parametrize("path", SAFE, ids=[p.stem for p in SAFE])
def test_runs_without_safety_violations(path, results):
    df = results[path.stem]
    assert len(df) == 12
    assert (df["safety_violations"] == 0).all(), df.loc[df["safety_violations"] > 0, "violation"]


def test_quickstart_chooses_the_single_proposal_in_one_ballot(results):
    df = results["quickstart"]
    assert df["chosen"].all() and (df["value"] == "v0").all()
    assert (df["ballots"] == 1).all() and df["learned_at"].notna().all()


def test_lossy_loses_and_duplicates_and_still_chooses(results):
    df = results["lossy"]
    assert df["chosen"].all()
    assert (df["messages_dropped"] > 0).all() and df["duplicates_delivered"].sum() > 0


def test_dueling_proposers_preempt_each_other(results):
    df = results["dueling"]
    assert (df["preemptions"] > 0).mean() > 0.8
    assert df["ballots"].median() > 3


def test_backoff_cuts_the_ballots_of_the_duel(results):
    assert results["dueling-backoff"]["ballots"].mean() < results["dueling"]["ballots"].mean()


def test_crash_restart_chooses_only_once_the_majority_is_back(results):
    df = results["crash-restart"]
    restart = load_scenario(next(p for p in SCENARIOS if p.stem == "crash-restart")).faults[2]
    assert df["chosen"].all() and (df["chosen_at"] > restart.restart_at).all()
    assert (df["crashes"] == 3).all()


def test_partition_chooses_only_after_it_heals(results):
    df = results["partition"]
    assert df["chosen"].all() and (df["chosen_at"] > 0.5).all()
