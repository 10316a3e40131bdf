"""Odd input gets a one-line error and exit 2, never a traceback, and is found before
any run starts; a bug in paxossim itself exits 3, never 1 (which means unsafe)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from paxossim import cli

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = str(ROOT / "scenarios" / "quickstart.toml")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def paxossim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paxossim", *args], capture_output=True,
                          text=True, cwd=cwd, env=ENV)


@pytest.fixture
def late(tmp_path: Path) -> Path:
    """A scenario in which nothing happens: the proposer starts after the horizon."""
    path = tmp_path / "late.toml"
    path.write_text('name = "late"\nhorizon = 0.5\n[cluster]\nnodes = 3\n'
                    "[workload]\npropose_at = 1.0\n")
    return path


@pytest.mark.parametrize("args, message", [
    (["run", QUICKSTART, "--out", "afile"], "--out: afile exists and is not a folder"),
    (["run", QUICKSTART, QUICKSTART], "scenario names must be distinct"),
    (["trace", QUICKSTART, "--out", "x.txt"], "--out: a figure must be a .png, .svg, .pdf file"),
    (["plot", "nowhere", "--kind", "latency"], "nowhere: no such file or folder"),
    (["plot", "afile", "--kind", "rounds"], "afile: not a Parquet file"),
    (["report", "--scenarios", "."], "no scenarios *.toml in livelock"),
    (["run", QUICKSTART, "--workers", "-1"], "--workers: must be in 0..1,024, got -1"),
])
def test_bad_command_lines_exit_2_with_one_clear_line(tmp_path, args, message):
    (tmp_path / "afile").write_text("not a folder, not parquet")
    proc = paxossim(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists()  # nothing ran, nothing was written


def test_a_scenario_where_nothing_happens_still_runs_traces_and_plots(tmp_path, late):
    proc = paxossim("run", str(late), "--runs", "3", "--out", "r", cwd=tmp_path)
    assert proc.returncode == 0 and "chosen 0.0%" in proc.stdout
    assert "start at or after the horizon" in proc.stderr  # a warning, not an error
    for kind in ("latency", "livelock", "rounds"):
        proc = paxossim("plot", "r", "--kind", kind, "--out", f"{kind}.png", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    proc = paxossim("trace", str(late), "--out", "t.png", cwd=tmp_path)
    assert proc.returncode == 0 and "chose nothing" in proc.stdout, proc.stderr


def test_plot_reads_every_results_folder_under_a_parent(tmp_path):
    paxossim("run", QUICKSTART, str(ROOT / "scenarios" / "lossy.toml"), "--runs", "4",
             "--out", "results", cwd=tmp_path)
    proc = paxossim("plot", "results", "--kind", "rounds", cwd=tmp_path)
    assert proc.returncode == 0 and "of 8 runs" in proc.stdout, proc.stderr


def test_a_bug_in_paxossim_exits_3_with_its_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "run_batch", broken)
    assert cli.main(["run", QUICKSTART, "--runs", "1", "--out", "/tmp/paxossim-never"]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "internal error" in err


def test_the_printed_reproduction_reproduces_the_violation(tmp_path):
    bug = ROOT / "scenarios" / "bugs" / "ignore_accepted.toml"
    first = paxossim("run", str(bug), "--runs", "3", "--horizon", "1", "--out", "r", cwd=tmp_path)
    assert first.returncode == 1
    line = next(x for x in first.stderr.splitlines() if "reproduce:" in x)
    command = line.split("reproduce: paxossim ")[1].split()
    assert command[-2:] == ["--out", str(Path("r") / "reproduce")]  # beside, not over, r/
    again = paxossim(*command, cwd=tmp_path)
    import pandas as pd
    assert len(pd.read_parquet(tmp_path / "r" / "bug-ignore_accepted" / "runs.parquet")) == 3
    assert again.returncode == 1 and "proposal-respects-chosen" in again.stderr
    draw = next(x for x in first.stderr.splitlines() if "draw it:" in x)
    drawn = paxossim(*draw.split("draw it:   paxossim ")[1].split(), "--out", "v.png",
                     cwd=tmp_path)
    assert drawn.returncode == 1 and (tmp_path / "v.png").is_file()


def test_plot_counts_a_run_given_twice_once(tmp_path):
    paxossim("run", QUICKSTART, "--runs", "4", "--out", "results", cwd=tmp_path)
    proc = paxossim("plot", "results", "results/quickstart", "--kind", "rounds", cwd=tmp_path)
    assert proc.returncode == 0 and "of 4 runs" in proc.stdout
    assert "4 runs given twice were counted once" in proc.stderr


def test_a_closed_stdout_does_not_hide_an_unsafe_run(tmp_path):
    bug = str(ROOT / "scenarios" / "bugs" / "ignore_accepted.toml")
    proc = subprocess.run(f"{sys.executable} -m paxossim run {bug} --runs 3 --out r | true; "
                          "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, cwd=tmp_path, env=ENV)
    assert proc.returncode == 1 and "SAFETY VIOLATION" in proc.stderr


def test_huge_numbers_are_refused_not_crashed_on(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text('name = "big"\nseed = 99999999999999999999\n[cluster]\nnodes = 1000000\n')
    proc = paxossim("validate", str(big), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cluster.nodes: must be <= 2000" in proc.stderr and "seed: must be <=" in proc.stderr


def test_truncated_runs_are_named_in_the_summary_and_the_trace_title(tmp_path):
    dueling = str(ROOT / "scenarios" / "dueling.toml")
    proc = paxossim("run", dueling, "--runs", "3", "--max-events", "40", "--out", "r",
                    cwd=tmp_path)
    assert "truncated       3 of 3 runs spent their event budget (max_events)" in proc.stdout
    drawn = paxossim("trace", dueling, "--max-events", "40", "--out", "t.png", cwd=tmp_path)
    assert "truncated after 40 events (max_events)" in drawn.stdout
    whole = paxossim("run", dueling, "--runs", "3", "--out", "r", cwd=tmp_path)
    assert "truncated" not in whole.stdout


def test_an_untraced_run_removes_the_events_of_an_earlier_traced_one(tmp_path):
    paxossim("run", QUICKSTART, "--runs", "2", "--trace", "--out", "r", cwd=tmp_path)
    events = tmp_path / "r" / "quickstart" / "events.parquet"
    assert events.is_file()
    paxossim("run", QUICKSTART, "--runs", "2", "--seed", "999", "--out", "r", cwd=tmp_path)
    assert not events.exists()


@pytest.mark.parametrize("command, blocker", [
    (["run", QUICKSTART, "--runs", "2"], "out/quickstart/runs.parquet/"),
    (["run", QUICKSTART, "--runs", "2"], "out/quickstart"),
    (["compare", QUICKSTART, "--runs", "2"], "out/comparison.png/"),
    (["swarm", "--runs", "2"], "out/swarm.parquet/"),
    (["swarm", "--runs", "2"], "out/failures"),
    (["trace", QUICKSTART], "out"),
])
def test_an_output_path_that_cannot_be_written_exits_2_before_running(tmp_path, command,
                                                                       blocker):
    """A folder where a file goes, or a file where a folder goes, anywhere on the way."""
    target = tmp_path / blocker
    if blocker.endswith("/"):
        target.mkdir(parents=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("in the way")
    out = ["--out", "out/t.png"] if command[0] == "trace" else ["--out", "out"]
    proc = paxossim(*command, *out, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("--out: ") and "Traceback" not in proc.stderr
