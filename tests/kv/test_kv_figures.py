"""Figures of kv runs: per-command latency and the timeline of one run, as functions on
DataFrames and as `paxossim plot`."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paxossim import cli, load_scenario, plots, run_batch
from paxossim.observe.commands import commands_frame
from tests.helpers import scenario

ROOT = Path(__file__).resolve().parents[2]
KV = ROOT / "scenarios" / "kv"
NAMES = ["kv-leader-crash", "kv-leaderless-crash"]
RUNS = 3


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """Both shipped kv scenarios, traced, a few runs each, as `paxossim run` writes them;
    and a synod scenario beside them."""
    out = tmp_path_factory.mktemp("kv") / "results"
    code = cli.main(["run", *(str(KV / f"{n}.toml") for n in NAMES), "--runs", str(RUNS),
                     "--trace", "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def commands(results) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(results / n / "commands.parquet") for n in NAMES],
                     ignore_index=True)


def gid(ax, name: str) -> list:
    return [a for a in [*ax.get_lines(), *ax.patches] if a.get_gid() == name]


def table(latencies: list[float], name: str = "s", run: int = 0) -> pd.DataFrame:
    """A commands table of one run whose commands took these latencies (NaN: no reply),
    submitted 0.1 s apart."""
    rows = [(name, 1 + run, run, 9, k + 1, "put", "k0", "v", None, None, 0.1 * k, math.nan,
             0.1 * k + lat, lat, 0, None) for k, lat in enumerate(latencies)]
    return commands_frame(rows)


# -- command latency ----------------------------------------------------------------------


def test_command_latency_ecdf_ends_at_the_share_of_all_commands_completed(commands):
    fig = plots.command_latency(commands)
    ecdf, tail = fig.axes
    curves = gid(ecdf, "ecdf")
    groups = list(commands.groupby("scenario", sort=False))
    assert len(curves) == len(groups) == len(gid(tail, "tail")) == 2
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    for curve, (name, df), text in zip(curves, groups, legend, strict=True):
        done = df["latency"].notna()
        assert curve.get_ydata()[-1] == pytest.approx(done.mean())
        assert text.startswith(f"{name}: {done.sum()}/{len(df)} completed")
        assert f"in {RUNS} runs" in text
    marks = [t.get_text() for t in ecdf.get_legend().get_texts()]
    assert marks == ["p50 of completed", "p99 of completed"]
    # by another column, a series spans both scenarios: its runs are counted in both
    by_op = plots.command_latency(commands, by="op").legends[0].get_texts()
    assert all(f"in {2 * RUNS} runs" in t.get_text() for t in by_op)


def test_command_latency_marks_the_percentiles_of_the_completed_commands():
    """Three of four commands answered: the ECDF ends at 3/4, and p50 and p99 are those
    of the three answers (20 ms and 1.5 s), sitting on the curve of all four."""
    fig = plots.command_latency(table([0.010, 0.020, 1.5, math.nan]))
    ecdf, tail = fig.axes
    (curve,) = gid(ecdf, "ecdf")
    assert curve.get_ydata()[-1] == 0.75
    (p50,), (p99,) = gid(ecdf, "p50"), gid(ecdf, "p99")
    assert (p50.get_xdata()[0], p50.get_ydata()[0]) == (0.020, 0.5)
    assert (p99.get_xdata()[0], p99.get_ydata()[0]) == (1.5, 0.75)
    (tail_curve,) = gid(tail, "tail")
    assert tail_curve.get_ydata()[-1] == 0.25  # the command never answered
    assert "p50 20 ms, p99 1.5 s of completed" in fig.legends[0].get_texts()[0].get_text()


def test_command_latency_axis_is_logarithmic_when_latencies_span_decades():
    wide = plots.command_latency(table([0.005, 0.02, 0.9]))
    narrow = plots.command_latency(table([0.020, 0.03, 0.05]))
    assert [ax.get_xscale() for ax in wide.axes] == ["log", "log"]
    assert [ax.get_xscale() for ax in narrow.axes] == ["linear", "linear"]
    assert plots.command_latency(table([0.020, 0.05]), log=True).axes[0].get_xscale() == "log"
    assert plots.command_latency(table([0.005, 0.9]), log=False).axes[0].get_xscale() == "linear"
    label = wide.axes[0].xaxis.get_major_formatter()
    assert [label(v, 0) for v in (0.001, 0.01, 0.1, 1.0, 2.0)] == [
        "1 ms", "10 ms", "100 ms", "1 s", "2 s"]
    assert narrow.axes[0].get_xlabel().endswith("(ms)")
    assert narrow.axes[0].xaxis.get_major_formatter()(0.03, 0) == "30"


def test_command_latency_of_a_series_without_any_reply_stays_at_zero():
    fig = plots.command_latency(pd.concat([table([0.01, 0.02]), table([math.nan], "t")]))
    ecdf = fig.axes[0]
    heights = [c.get_ydata()[-1] for c in gid(ecdf, "ecdf")]
    assert heights == [1.0, 0.0]
    assert len(gid(ecdf, "p50")) == 1  # no percentile of nothing


# -- timeline -----------------------------------------------------------------------------


def faulty(strategy: str = "leader"):
    return scenario(
        horizon=1.0,
        cluster={"nodes": 5, "proposers": [0, 1]},
        faults=[{"node": 0, "crash_at": 0.3, "restart_at": 0.6}, {"node": 4, "crash_at": 0.8}],
        network={"partitions": [{"start": 0.1, "end": 0.2, "groups": [[0, 1, 2], [3, 4]]}]},
        protocol={"strategy": strategy},
        workload={"kind": "kv", "clients": 1},
    )


LEADERS = pd.DataFrame({
    "time": [0.0, 0.45, 0.62], "event": ["LeadershipChanged"] * 3, "node": [0, 1, 0],
    "detail": ["leads in term 0", "leads in term 1", "steps down in term 1"]})


def lines_at(ax, name: str) -> list[float]:
    return sorted(float(line.get_xdata()[0]) for line in gid(ax, name))


def test_timeline_marks_faults_partitions_and_leader_changes_where_they_happen():
    cmds = table([0.01, 0.02, 0.5, 0.03, math.nan])
    fig = plots.timeline(cmds, LEADERS, faulty())
    top, bottom = fig.axes
    for ax in (top, bottom):
        assert lines_at(ax, "crash") == [0.3, 0.8]
        assert lines_at(ax, "restart") == [0.6]  # node 4 stays down
        assert lines_at(ax, "leads") == [0.0, 0.45]
        assert lines_at(ax, "steps down") == [0.62]
        spans = sorted((p.get_x(), p.get_x() + p.get_width()) for p in gid(ax, "down"))
        assert spans == [pytest.approx((0.3, 0.6)), pytest.approx((0.8, 1.0))]
        (part,) = gid(ax, "partition")
        assert (part.get_x(), part.get_x() + part.get_width()) == pytest.approx((0.1, 0.2))
    (bars,) = gid(top, "throughput")
    rate, edges, _ = bars.get_data()
    assert (rate * np.diff(edges)).sum() == pytest.approx(4)  # the four replies
    assert "node 1 leads in term 1 at 450.0 ms" in [t.get_text() for t in top.texts]
    (pending,) = gid(bottom, "no reply")
    assert pending.get_xdata()[0] == 1.0 and pending.get_ydata()[0] == pytest.approx(0.6)
    assert "leader changes" not in top.get_title()
    assert "a node comes to lead (trace)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_timeline_without_a_trace_still_shows_faults_and_says_what_it_lacks():
    cmds = table([0.01, 0.02])
    fig = plots.timeline(cmds, None, faulty())
    top = fig.axes[0]
    assert lines_at(top, "crash") == [0.3, 0.8] and gid(top, "leads") == []
    assert "leader changes not shown: they need the run's trace (--trace)" in top.get_title()
    leaderless = plots.timeline(cmds, None, faulty("leaderless")).axes[0].get_title()
    assert "leaderless: no leader to change" in leaderless and "--trace" not in leaderless
    bare = plots.timeline(cmds).axes[0]
    assert "crashes, restarts and partitions not shown: no scenario" in bare.get_title()
    with pytest.raises(ValueError, match="one run"):
        plots.timeline(pd.concat([table([0.01]), table([0.01], run=1)]))


def test_timeline_of_a_shipped_run_marks_its_crash_and_its_traced_leaders(results):
    folder = results / "kv-leader-crash"
    s = load_scenario(folder / "scenario.toml")
    cmds = pd.read_parquet(folder / "commands.parquet")
    events = pd.read_parquet(folder / "events.parquet")
    fig = plots.timeline(cmds[cmds["run"] == 1], events, s)  # the events of every run
    top = fig.axes[0]
    fault = s.faults[0]
    assert lines_at(top, "crash") == [fault.crash_at]
    assert lines_at(top, "restart") == [fault.restart_at]
    mine = events[(events["run"] == 1) & (events["event"] == "LeadershipChanged")]
    leads = mine[mine["detail"].str.startswith("leads")]
    assert lines_at(top, "leads") == sorted(leads["time"])
    assert len(leads) >= 2  # the first leader, and one after the crash
    # the same run traced alone (as run 0 of a batch of one, with its seed) fits it too
    alone = run_batch(s, runs=1, seed=s.seed + 1, trace=True).events
    top = plots.timeline(cmds[cmds["run"] == 1], alone, s).axes[0]
    assert lines_at(top, "leads") == sorted(leads["time"])


# -- the plot command ---------------------------------------------------------------------


def test_plot_latency_of_commands_reads_result_folders_and_files(results, tmp_path, capsys):
    out = tmp_path / "lat.png"
    assert cli.main(["plot", str(results), "--kind", "latency", "--column", "latency",
                     "--out", str(out)]) == 0
    said = capsys.readouterr().out
    commands = sum(len(pd.read_parquet(results / n / "commands.parquet")) for n in NAMES)
    assert f"of {commands} commands in {2 * RUNS} runs" in said
    assert out.read_bytes().startswith(b"\x89PNG")
    # a commands file and a runs file with one beside it
    assert cli.main(["plot", str(results / NAMES[0] / "commands.parquet"),
                     str(results / NAMES[1] / "runs.parquet"), "--kind", "latency",
                     "--column", "latency", "--out", str(out)]) == 0
    assert f"of {commands} commands" in capsys.readouterr().out
    # without --column, the kind reads runs.parquet as before
    assert cli.main(["plot", str(results), "--kind", "latency", "--out", str(out)]) == 0
    assert f"latency figure of {2 * RUNS} runs" in capsys.readouterr().out


def test_plot_timeline_draws_the_run_asked_for(results, tmp_path, capsys):
    out = tmp_path / "t.svg"
    args = ["plot", str(results / NAMES[0]), "--kind", "timeline", "--out", str(out)]
    assert cli.main(args + ["--run", "2"]) == 0
    said = capsys.readouterr().out
    assert f"{NAMES[0]} run 2 (seed 3)" in said and "leader changes from its trace" in said
    assert out.read_text().lstrip().startswith("<?xml")
    assert cli.main(["plot", str(results), "--kind", "timeline", "--scenario", NAMES[1],
                     "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"{NAMES[1]} run 0 (seed 1), faults of its scenario:" in said  # leaderless


@pytest.fixture(scope="module")
def synod(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synod")
    assert cli.main(["run", str(ROOT / "scenarios" / "quickstart.toml"), "--runs", "2",
                     "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("args, says", [
    (["{synod}/quickstart", "--kind", "latency", "--column", "latency"],
     "--column latency: {synod}/quickstart has no commands.parquet"),
    (["{synod}", "--kind", "timeline"], "--kind timeline: {synod} has no commands.parquet"),
    (["{synod}/quickstart/runs.parquet", "--kind", "timeline"],
     "runs.parquet is not a commands table and has no commands.parquet beside it"),
    (["{results}", "--kind", "timeline"],
     "the results hold kv-leader-crash, kv-leaderless-crash: choose one with --scenario"),
    (["{results}", "--kind", "timeline", "--scenario", "nope"], "no scenario 'nope'"),
    (["{results}/kv-leader-crash", "--kind", "timeline", "--run", "7"],
     "--run 7: kv-leader-crash has runs 0..2"),
    (["{results}", "--kind", "latency", "--run", "1"], "--run and --scenario are for --kind"),
    (["{results}", "--kind", "latency", "--column", "latency", "--by", "colour"],
     "--by: no column 'colour' in commands.parquet"),
])
def test_plot_of_kv_figures_refuses_bad_input_in_one_line(results, synod, tmp_path, capsys,
                                                          args, says):
    args = [a.format(results=results, synod=synod) for a in args]
    code = cli.main(["plot", *args, "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert says.format(results=results, synod=synod) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()


def test_plot_timeline_of_untraced_results_says_leader_changes_need_the_trace(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli.main(["run", str(KV / "kv-leader-crash.toml"), "--runs", "1", "--horizon", "1.5",
                     "--out", str(out)]) == 0
    capsys.readouterr()
    figure = tmp_path / "t.png"
    assert cli.main(["plot", str(out), "--kind", "timeline", "--out", str(figure)]) == 0
    said = capsys.readouterr().out
    assert "faults of its scenario, no leader changes (no events.parquet: run with --trace)" in said
    assert figure.read_bytes().startswith(b"\x89PNG")



def test_plot_timeline_finds_the_scenario_in_the_runs_metadata_or_goes_without(
        results, tmp_path, capsys):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(results / NAMES[0], folder)
    (folder / "scenario.toml").unlink()
    out = tmp_path / "t.png"
    assert cli.main(["plot", str(folder), "--kind", "timeline", "--out", str(out)]) == 0
    assert "faults of its scenario" in capsys.readouterr().out  # from runs.parquet
    compared = tmp_path / "compared"
    assert cli.main(["compare", *(str(KV / f"{n}.toml") for n in NAMES), "--runs", "1",
                     "--out", str(compared)]) == 0
    capsys.readouterr()
    assert cli.main(["plot", str(compared), "--kind", "timeline", "--scenario", NAMES[0],
                     "--out", str(out)]) == 0
    assert "no faults (no scenario found)" in capsys.readouterr().out
