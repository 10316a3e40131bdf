"""Same scenario and seed: the same rows, bit for bit, whatever the worker count, the
process or PYTHONHASHSEED. Different seeds: different runs."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pandas.testing as pdt

from paxossim import load_scenario
from paxossim.experiment import run_scenario

ROOT = Path(__file__).resolve().parents[1]
LOSSY = ROOT / "scenarios" / "lossy.toml"


def test_same_seed_same_rows_twice_in_one_process():
    s = load_scenario(LOSSY)
    pdt.assert_frame_equal(run_scenario(s, runs=20), run_scenario(s, runs=20))


def test_different_seeds_give_different_runs():
    df = run_scenario(load_scenario(LOSSY), runs=20)
    assert df["chosen_at"].nunique() == 20
    assert df["messages_sent"].nunique() > 1


def test_worker_count_does_not_change_the_rows():
    s = load_scenario(LOSSY)
    one = run_scenario(s, runs=24, workers=1)
    pdt.assert_frame_equal(one, run_scenario(s, runs=24, workers=2))
    pdt.assert_frame_equal(one, run_scenario(s, runs=24, workers=3))


def test_run_i_is_reproduced_alone_by_seed_plus_i():
    s = load_scenario(LOSSY)
    many = run_scenario(s, runs=10, seed=50)
    for i in (0, 3, 9):
        alone = run_scenario(s, runs=1, seed=50 + i)
        expected = many.iloc[[i]].reset_index(drop=True).drop(columns="run")
        pdt.assert_frame_equal(alone.drop(columns="run"), expected)


def _rows_in_subprocess(tmp_path: Path, hash_seed: str) -> pd.DataFrame:
    out = tmp_path / f"hash{hash_seed}"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, "-m", "paxossim", "run", str(LOSSY), "--runs", "15", "--out", str(out),
         "--workers", "2"],
        check=True, env=env, capture_output=True, cwd=ROOT,
    )
    return pd.read_parquet(out / "lossy" / "runs.parquet")


def test_identical_across_processes_with_different_hash_seeds(tmp_path):
    a = _rows_in_subprocess(tmp_path, "0")
    b = _rows_in_subprocess(tmp_path, "12345")
    pdt.assert_frame_equal(a, b)
    pdt.assert_frame_equal(a, run_scenario(load_scenario(LOSSY), runs=15), check_dtype=False)


def test_compare_gives_each_scenario_the_rows_it_gets_alone_whatever_the_workers():
    from paxossim.experiment import compare

    scenarios = [load_scenario(ROOT / "scenarios" / f"{n}.toml") for n in ("lossy", "dueling")]
    one = compare(scenarios, runs=9, seed=3, workers=1)
    two = compare(scenarios, runs=9, seed=3, workers=2)
    for a, b, s in zip(one, two, scenarios, strict=True):
        pdt.assert_frame_equal(a.runs, b.runs)
        pdt.assert_frame_equal(a.runs, run_scenario(s, runs=9, seed=3))


KV = ROOT / "scenarios" / "kv" / "kv-leaderless-crash.toml"


def _kv_files_in_subprocess(tmp_path: Path, hash_seed: str, workers: str) -> tuple[bytes, bytes]:
    out = tmp_path / f"kv{hash_seed}-{workers}"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, "-m", "paxossim", "run", str(KV), "--runs", "6", "--out", str(out),
         "--workers", workers],
        check=True, env=env, capture_output=True, cwd=ROOT,
    )
    folder = out / "kv-leaderless-crash"
    return (folder / "runs.parquet").read_bytes(), (folder / "commands.parquet").read_bytes()


def test_kv_results_are_byte_identical_whatever_the_hash_seed_and_workers(tmp_path):
    """The log, its clients and the linearizability check: runs.parquet and
    commands.parquet bit for bit, across processes, hash seeds and worker counts."""
    a = _kv_files_in_subprocess(tmp_path, "0", "1")
    assert a == _kv_files_in_subprocess(tmp_path, "4242", "2")
