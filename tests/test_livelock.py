"""The livelock study: leaderless proposers duel, backoff or a leader ends the duel."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from paxossim import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[1]
LIVELOCK = ROOT / "scenarios" / "livelock"


def _generator():
    spec = importlib.util.spec_from_file_location("generate", LIVELOCK / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, runs: int = 40) -> pd.DataFrame:
    return run_scenario(load_scenario(LIVELOCK / f"{name}.toml"), runs=runs)


def test_the_shipped_files_are_what_the_generator_writes():
    gen = _generator()
    expected = gen.all_scenarios()
    assert sorted(p.stem for p in LIVELOCK.glob("*.toml")) == sorted(expected)
    for name, data in expected.items():
        assert (LIVELOCK / f"{name}.toml").read_text() == gen.render(data), name


def test_five_leaderless_proposers_without_backoff_livelock_in_most_runs():
    df = run("leaderless-none-5p-clean")
    assert df["livelock"].mean() >= 0.6
    stuck = df[df["livelock"]]
    assert (stuck["preemptions"] > 50).all() and (stuck["dueling_time"] > 1.5).all()


@pytest.mark.parametrize("name", [
    "leaderless-random-5p-clean", "leaderless-exponential-5p-clean", "leader-5p-clean"])
def test_random_backoff_or_a_leader_ends_the_duel(name):
    df = run(name)
    assert df["chosen"].all() and not df["livelock"].any()


@pytest.mark.parametrize("proposers", [2, 3, 5])
@pytest.mark.parametrize("network", ["clean", "lossy"])
def test_the_leader_needs_fewer_ballots_than_any_leaderless_variant(proposers, network):
    leader = run(f"leader-{proposers}p-{network}")["ballots"].mean()
    for backoff in ("none", "random", "exponential"):
        assert leader < run(f"leaderless-{backoff}-{proposers}p-{network}")["ballots"].mean()


def test_compare_runs_on_the_same_seeds_and_writes_table_and_figure(tmp_path):
    files = [LIVELOCK / f"{n}.toml" for n in ("leaderless-none-5p-clean", "leader-5p-clean")]
    proc = subprocess.run(
        [sys.executable, "-m", "paxossim", "compare", *map(str, files), "--runs", "20", "--seed",
         "7", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "livelock%" in proc.stdout and "msgs/decision" in proc.stdout
    table = pd.read_parquet(tmp_path / "comparison.parquet")
    assert list(table["scenario"]) == ["leaderless-none-5p-clean", "leader-5p-clean"]
    assert table.loc[0, "livelock_pct"] > table.loc[1, "livelock_pct"] == 0
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    for _, group in runs.groupby("scenario"):
        assert list(group["seed"]) == list(range(7, 27))
    png = (tmp_path / "comparison.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_compare_refuses_two_scenarios_with_one_name(tmp_path):
    path = str(LIVELOCK / "leader-2p-clean.toml")
    proc = subprocess.run([sys.executable, "-m", "paxossim", "compare", path, path, "--out",
                           str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "distinct" in proc.stderr and "Traceback" not in proc.stderr
