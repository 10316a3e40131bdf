"""Figures: DataFrame in, Figure out; the trace, plot and report commands write them."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from paxossim import cli, load_scenario, plots, run_scenario, simulate
from paxossim.report import build_report
from tests.helpers import constant, scenario

ROOT = Path(__file__).resolve().parents[1]
LIVELOCK = ROOT / "scenarios" / "livelock"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    names = ["leader-2p-clean", "leaderless-none-2p-clean", "leader-5p-clean",
             "leaderless-none-5p-clean", "leaderless-random-5p-clean"]
    return pd.concat([run_scenario(load_scenario(LIVELOCK / f"{n}.toml"), runs=15) for n in names],
                     ignore_index=True)


def test_latency_figure_is_in_milliseconds_with_one_series_per_scenario(study):
    fig = plots.latency(study, "chosen_at")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    hist, ecdf = fig.axes
    assert hist.get_xlabel() == "time to choose (ms)"
    assert len(hist.get_legend().get_texts()) == study["scenario"].nunique()
    assert [t.get_text() for t in ecdf.get_legend().get_texts()] == ["p50", "p90", "p99"]
    assert plots.latency(study, "chosen_at", log=True).axes[0].get_xscale() == "log"


def test_chosen_by_time_reaches_the_share_of_runs_that_chose(study):
    fig = Figure()
    ax = fig.subplots()
    plots.chosen_by_time(study, ax)
    for line, (name, df) in zip(ax.get_lines(), study.groupby("scenario", sort=False)):
        assert line.get_ydata()[-1] == pytest.approx(df["chosen"].mean())


def test_livelock_figure_puts_wilson_intervals_around_the_chosen_share(study):
    fig = plots.livelock(study)
    right = fig.axes[1]
    assert right.get_xlabel() == "proposers"
    labels = right.get_legend_handles_labels()[1]
    assert "leader, loss 0" in labels and "leaderless, no backoff, loss 0" in labels
    low, high = plots.wilson_interval(9, 10)
    assert 0.5 < low < 0.9 < high < 1.0
    assert plots.wilson_interval(0, 10)[0] == pytest.approx(0.0, abs=1e-12)


def test_rounds_figure_counts_only_runs_that_chose(study):
    fig = plots.rounds(study)
    ecdf = fig.axes[1]
    chosen = study[study["chosen"]]
    assert len(ecdf.get_lines()) == chosen["scenario"].nunique()


def test_spacetime_draws_one_arrow_per_message_copy_and_marks_the_choice():
    s = scenario(network={**constant(1 / 64), "loss": 0.2}, cluster={"nodes": 3})
    result = simulate(s, seed=4, trace=True)
    fig = plots.spacetime(result.trace, 3, until=None, title="t")
    ax = fig.axes[0]
    sends = (result.trace["event"].isin(["send", "duplicate"])).sum()
    assert len(ax.texts) >= sends  # every copy is an annotation (plus labels)
    assert any("chosen" in t.get_text() for t in ax.texts) == result.record.chosen
    drops = (result.trace["event"] == "drop").sum()
    crosses = [ln for ln in ax.get_lines() if ln.get_marker() == "x" and len(ln.get_xdata()) == 1]
    assert len(crosses) == drops


def test_trace_command_draws_the_run_it_says(tmp_path):
    out = tmp_path / "d.svg"
    proc = subprocess.run(
        [sys.executable, "-m", "paxossim", "trace", str(ROOT / "scenarios" / "dueling.toml"),
         "--seed", "205", "--until", "0.1", "--out", str(out)],
        capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rec = simulate(load_scenario(ROOT / "scenarios" / "dueling.toml"), 205).record
    assert f"{rec.ballots} ballots" in proc.stdout and f"chose {rec.value}" in proc.stdout
    assert out.read_text().lstrip().startswith("<?xml")


def test_plot_command_reads_result_folders_and_writes_each_kind(tmp_path):
    results = tmp_path / "results"
    subprocess.run([sys.executable, "-m", "paxossim", "run", str(ROOT / "scenarios" / "lossy.toml"),
                    str(ROOT / "scenarios" / "quickstart.toml"), "--runs", "8", "--out", str(results)],
                   check=True, capture_output=True, env=ENV)
    for kind in ("latency", "livelock", "rounds"):
        out = tmp_path / f"{kind}.png"
        proc = subprocess.run(
            [sys.executable, "-m", "paxossim", "plot", str(results / "lossy"),
             str(results / "quickstart" / "runs.parquet"), "--kind", kind, "--out", str(out)],
            capture_output=True, text=True, env=ENV)
        assert proc.returncode == 0, proc.stderr
        assert "16 runs" in proc.stdout and out.read_bytes().startswith(b"\x89PNG")
    bad = subprocess.run([sys.executable, "-m", "paxossim", "plot", str(results / "lossy"),
                          "--kind", "latency", "--by", "colour"], capture_output=True, text=True,
                         env=ENV)
    assert bad.returncode == 2 and "--by" in bad.stderr and "Traceback" not in bad.stderr


def test_report_writes_every_figure_it_links_and_quotes_its_own_numbers(tmp_path):
    index = build_report(ROOT / "scenarios", tmp_path, runs=6)
    text = index.read_text()
    linked = [part.split(")")[0] for part in text.split("](")[1:]]
    assert linked and all((tmp_path / name).is_file() for name in linked)
    summary = pd.read_parquet(tmp_path / "summary.parquet")
    assert f"{len(summary)} scenarios" in text and "0 safety violations" in text
    assert np.isfinite(summary["chosen_pct"]).all()


CONSTANT_TOML = """\
name = "{name}"
runs = 3
[cluster]
nodes = 3
[network]
delay = {{dist = "constant", value = {delay}}}
"""


@pytest.fixture(scope="module")
def degenerate_results(tmp_path_factory) -> dict[str, Path]:
    """Runs whose times are all equal (constant delays), all zero, or a single run."""
    folder = tmp_path_factory.mktemp("degenerate")
    results = {}
    for name, delay in (("equal", 0.01), ("zero", 0.0)):
        (folder / f"{name}.toml").write_text(CONSTANT_TOML.format(name=name, delay=delay))
        subprocess.run([sys.executable, "-m", "paxossim", "run", f"{name}.toml", "--out", "r"],
                       check=True, capture_output=True, env=ENV, cwd=folder)
        results[name] = folder / "r" / name
    subprocess.run([sys.executable, "-m", "paxossim", "run",
                    str(ROOT / "scenarios" / "quickstart.toml"), "--runs", "1", "--out", "r"],
                   check=True, capture_output=True, env=ENV, cwd=folder)
    results["single"] = folder / "r" / "quickstart"
    return results


@pytest.mark.parametrize("runs", ["equal", "zero", "single"])
@pytest.mark.parametrize("kind, log", [("latency", True), ("latency", False), ("livelock", False),
                                       ("rounds", False)])
def test_plot_draws_runs_whose_times_are_all_equal_or_a_single_run(
        degenerate_results, tmp_path, capsys, runs, kind, log):
    """`--log` on all-equal times failed with exit 3 (`bins must increase monotonically`)."""
    out = tmp_path / f"{runs}-{kind}.png"
    args = ["plot", str(degenerate_results[runs]), "--kind", kind, "--out", str(out)]
    assert cli.main(args + ["--log"] * log) == 0, capsys.readouterr().err
    assert out.read_bytes().startswith(b"\x89PNG")


def test_latency_of_all_equal_times_on_a_log_axis_has_a_bar_and_a_full_ecdf():
    runs = pd.DataFrame({"scenario": ["s"] * 4, "chosen_at": [0.03] * 4})
    hist, ecdf = plots.latency(runs, log=True).axes
    assert hist.get_xscale() == "log"
    low, high = hist.get_xlim()
    assert low < 30 < high  # ms, with room on both sides
    (curve,) = [ln for ln in ecdf.get_lines() if ln.get_linestyle() != "None"]
    assert min(curve.get_ydata()) == 0 and max(curve.get_ydata()) == 1  # 0 below, 1 from 30 ms


def test_latency_of_times_that_are_all_zero_stays_linear_even_with_log():
    runs = pd.DataFrame({"scenario": ["s"] * 3, "chosen_at": [0.0] * 3})
    hist, ecdf = plots.latency(runs, log=True).axes
    assert hist.get_xscale() == ecdf.get_xscale() == "linear"  # a log axis cannot show 0
