"""The `paxossim` command, run as a subprocess: exit codes, stderr, the results it writes;
and the atomic file replacement the results rely on."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from paxossim import cli
from paxossim.results import atomic_write
from paxossim.scenario import Leader, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))
QUICKSTART = SCENARIOS / "quickstart.toml"

RUN_COLUMNS = [
    "scenario", "seed", "run", "chosen", "value", "chosen_at", "learned_at", "ballots",
    "preemptions", "messages_sent", "messages_delivered", "messages_dropped",
    "messages_duplicated", "livelock", "safety_violations",
]

# two problems in one file: a loss above 1 and a misspelt key
BAD_TOML = """\
name = "bad"
[cluster]
nodes = 3
[network]
loss = 1.5
[protocol]
retry_timout = 0.2
"""
# leader election among two proposers, defaults for the [protocol.leader] table
LEADER_TOML = """\
name = "lead"
[cluster]
nodes = 3
proposers = [0, 1]
[protocol]
strategy = "leader"
"""
BAD_LINES = [
    "bad.toml: network.loss: must be in [0, 1], got 1.5",
    "bad.toml: protocol.retry_timout: unknown key (did you mean 'retry_timeout'?)",
]


def paxossim(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m paxossim ARGS` on the paxossim of this checkout, whatever is installed."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "paxossim", *map(str, args)], cwd=cwd,
                          env={**os.environ, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=300)


def assert_bad_input(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.stderr.strip()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_TOML)
    return path


# -- validate -----------------------------------------------------------------------------


def test_validate_accepts_every_shipped_scenario(tmp_path):
    assert len(SHIPPED) >= 6
    proc = paxossim("validate", *SHIPPED, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == len(SHIPPED)
    for path, line in zip(SHIPPED, lines, strict=True):
        assert line == f"{path}: ok ({path.stem})"


def test_validate_bad_file_exits_2_with_one_line_per_problem(tmp_path, bad_file):
    proc = paxossim("validate", bad_file, cwd=tmp_path)
    assert_bad_input(proc)
    assert sorted(proc.stderr.splitlines()) == sorted(BAD_LINES)
    assert proc.stdout == ""


def test_validate_good_and_bad_files_reports_every_bad_file_only(tmp_path, bad_file):
    other = tmp_path / "other.toml"
    other.write_text('name = "has space"\n[cluster]\nnodes = 1\n')
    proc = paxossim("validate", QUICKSTART, bad_file, other, cwd=tmp_path)
    assert_bad_input(proc)
    assert sorted(proc.stderr.splitlines()) == sorted(BAD_LINES + [
        "other.toml: name: must be made of letters, digits, - and _ only, got 'has space'"])
    assert proc.stdout == ""


def test_validate_missing_file_and_invalid_toml_exit_2_with_a_line_each(tmp_path):
    (tmp_path / "broken.toml").write_text('name = "broken"\n[cluster\nnodes = 3\n')
    proc = paxossim("validate", "nope.toml", "broken.toml", cwd=tmp_path)
    assert_bad_input(proc)
    missing, broken = proc.stderr.splitlines()
    assert "nope.toml" in missing and "no such file" in missing
    assert "broken.toml" in broken and "invalid TOML" in broken and "line 2" in broken


def test_validate_accepts_leader_strategy(tmp_path):
    (tmp_path / "lead.toml").write_text(LEADER_TOML)
    proc = paxossim("validate", "lead.toml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == ["lead.toml: ok (lead)"]


def test_validate_reports_bad_leader_settings(tmp_path):
    (tmp_path / "lead.toml").write_text(
        LEADER_TOML + "[protocol.leader]\nheartbeat = 0\ntimeout = -1\ntimout = 1\n")
    proc = paxossim("validate", "lead.toml", cwd=tmp_path)
    assert_bad_input(proc)
    assert sorted(proc.stderr.splitlines()) == sorted([
        "lead.toml: protocol.leader.heartbeat: must be > 0, got 0",
        "lead.toml: protocol.leader.timeout: must be > 0, got -1",
        "lead.toml: protocol.leader.timout: unknown key (did you mean 'timeout'?)",
    ])
    assert proc.stdout == ""


def test_run_leader_scenario_exits_0_and_writes_its_results(tmp_path):
    (tmp_path / "lead.toml").write_text(LEADER_TOML)
    out = tmp_path / "out"
    proc = paxossim("run", "lead.toml", "--runs", 2, "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "lead" in proc.stdout
    runs = pd.read_parquet(out / "lead" / "runs.parquet")
    assert len(runs) == 2 and runs["run"].tolist() == [0, 1]
    assert (runs["scenario"] == "lead").all()
    assert (runs["safety_violations"] == 0).all()
    written = load_scenario(out / "lead" / "scenario.toml")
    assert written.protocol.strategy == "leader"
    assert written.protocol.leader == Leader(heartbeat=0.05, timeout=0.25, timeout_jitter=0.25)
    assert written.runs == 2


# -- run: bad input ---------------------------------------------------------------------------


def test_run_bad_file_exits_2_and_writes_nothing(tmp_path, bad_file):
    out = tmp_path / "out"
    proc = paxossim("run", bad_file, "--out", out, cwd=tmp_path)
    assert_bad_input(proc)
    assert sorted(proc.stderr.splitlines()) == sorted(BAD_LINES)
    assert proc.stdout == ""
    assert files_under(out) == []


def test_run_good_and_bad_files_runs_nothing(tmp_path, bad_file):
    out = tmp_path / "out"
    proc = paxossim("run", QUICKSTART, bad_file, "--runs", 2, "--out", out, cwd=tmp_path)
    assert_bad_input(proc)
    assert sorted(proc.stderr.splitlines()) == sorted(BAD_LINES)
    assert proc.stdout == ""  # no summary: nothing was run
    assert files_under(out) == []


@pytest.mark.parametrize("option, value, expected", [
    ("--runs", "0", "argument --runs: must be in 1..1,000,000, got 0"),
    ("--runs", "abc", "argument --runs: invalid integer value: 'abc'"),
    ("--horizon", "-1", "argument --horizon: must be a finite number > 0, got -1"),
    ("--horizon", "inf", "argument --horizon: must be a finite number > 0, got inf"),
    ("--seed", "-1", "argument --seed: must be in 0..4,611,686,018,427,387,904, got -1"),
])
def test_run_bad_option_exits_2_without_traceback(tmp_path, option, value, expected):
    out = tmp_path / "out"
    proc = paxossim("run", QUICKSTART, option, value, "--out", out, cwd=tmp_path)
    assert_bad_input(proc)
    # an argparse error: the usage, then one line naming the option
    assert proc.stderr.splitlines()[-1] == f"paxossim run: error: {expected}"
    assert proc.stderr.startswith("usage: paxossim run")
    assert proc.stdout == ""
    assert files_under(out) == []


@pytest.mark.parametrize("option, value, expected", [
    ("--runs", "2.5", "argument --runs: invalid integer value: '2.5'"),
    ("--horizon", "0", "argument --horizon: must be a finite number > 0, got 0"),
    ("--horizon", "-inf", "argument --horizon: must be a finite number > 0, got -inf"),
    ("--horizon", "nan", "argument --horizon: must be a finite number > 0, got nan"),
    ("--horizon", "1e400", "argument --horizon: must be a finite number > 0, got 1e400"),
    ("--horizon", "soon", "argument --horizon: invalid number value: 'soon'"),
    ("--seed", "abc", "argument --seed: invalid integer value: 'abc'"),
    ("--seed", "1.0", "argument --seed: invalid integer value: '1.0'"),
])
def test_more_bad_options_are_argparse_errors(tmp_path, capsys, option, value, expected):
    """The same checks in-process (no interpreter start per case)."""
    with pytest.raises(SystemExit) as info:
        cli.main(["run", str(QUICKSTART), f"{option}={value}", "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"paxossim run: error: {expected}"
    assert files_under(tmp_path / "out") == []


# -- run: results -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    """One `run quickstart --runs 5` shared by the tests that only read its output."""
    cwd = tmp_path_factory.mktemp("quickstart")
    out = cwd / "results-dir"
    proc = paxossim("run", QUICKSTART, "--runs", 5, "--out", out, cwd=cwd)
    return proc, out


def test_run_quickstart_exits_0(quickstart_run):
    proc, _ = quickstart_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_writes_runs_parquet_with_one_row_per_run(quickstart_run):
    _, out = quickstart_run
    runs = pd.read_parquet(out / "quickstart" / "runs.parquet")
    assert len(runs) == 5
    missing = [c for c in RUN_COLUMNS if c not in runs.columns]
    assert missing == []
    assert (runs["scenario"] == "quickstart").all()
    assert runs["run"].tolist() == [0, 1, 2, 3, 4]
    seed = load_scenario(QUICKSTART).seed
    assert runs["seed"].tolist() == [seed + i for i in range(5)]
    # a clean network with one proposer: every run chooses, with no safety violation
    assert runs["chosen"].all()
    assert (runs["safety_violations"] == 0).all()
    assert runs["chosen_at"].notna().all() and (runs["chosen_at"] > 0).all()


def test_run_writes_the_resolved_scenario_with_the_runs_used(quickstart_run):
    _, out = quickstart_run
    written = load_scenario(out / "quickstart" / "scenario.toml")
    original = load_scenario(QUICKSTART)
    assert written.runs == 5
    assert written == original.with_overrides(runs=5)


def test_run_prints_a_summary(quickstart_run):
    proc, out = quickstart_run
    text = proc.stdout
    assert "quickstart" in text
    assert re.search(r"chosen \d+(\.\d+)?%", text)
    assert re.search(r"livelock \d+(\.\d+)?%", text)
    for p in ("p50", "p90", "p99"):
        assert p in text
    assert str(out / "quickstart" / "runs.parquet") in text


def test_run_leaves_no_temporary_files(quickstart_run):
    _, out = quickstart_run
    names = [p.name for p in files_under(out)]
    assert sorted(names) == ["quickstart", "runs.parquet", "scenario.toml"]
    assert not [n for n in names if n.startswith(".")]


def test_run_seed_and_runs_set_the_seed_column(tmp_path):
    out = tmp_path / "out"
    proc = paxossim("run", QUICKSTART, "--seed", 40, "--runs", 3, "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_parquet(out / "quickstart" / "runs.parquet")
    assert runs["seed"].tolist() == [40, 41, 42]
    assert runs["run"].tolist() == [0, 1, 2]
    written = load_scenario(out / "quickstart" / "scenario.toml")
    assert (written.seed, written.runs) == (40, 3)


def test_run_horizon_is_applied_and_out_defaults_to_results(tmp_path):
    proc = paxossim("run", QUICKSTART, "--runs", 1, "--horizon", 0.001, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "quickstart"
    assert load_scenario(folder / "scenario.toml").horizon == 0.001
    runs = pd.read_parquet(folder / "runs.parquet")
    assert len(runs) == 1
    # 1 ms is far too short for a round trip of exponential(10 ms) message delays
    assert not runs["chosen"].any()


def test_run_again_replaces_the_results(tmp_path):
    out = tmp_path / "out"
    assert paxossim("run", QUICKSTART, "--runs", 3, "--out", out, cwd=tmp_path).returncode == 0
    assert paxossim("run", QUICKSTART, "--runs", 2, "--out", out, cwd=tmp_path).returncode == 0
    assert len(pd.read_parquet(out / "quickstart" / "runs.parquet")) == 2
    assert load_scenario(out / "quickstart" / "scenario.toml").runs == 2
    assert not [p for p in files_under(out) if p.name.startswith(".")]


def test_run_several_scenarios_with_trace_writes_a_folder_each(tmp_path):
    out = tmp_path / "out"
    proc = paxossim("run", QUICKSTART, SCENARIOS / "lossy.toml", "--runs", 2, "--trace",
                    "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("quickstart", "lossy"):
        runs = pd.read_parquet(out / name / "runs.parquet")
        assert len(runs) == 2 and (runs["scenario"] == name).all()
        assert load_scenario(out / name / "scenario.toml").name == name
        events = pd.read_parquet(out / name / "events.parquet")
        assert set(events["run"]) == {0, 1} and (events["scenario"] == name).all()
    assert not [p for p in files_under(out) if p.name.startswith(".")]


def test_workers_do_not_change_the_table(tmp_path):
    """Several chunks per worker (runs > workers * 4) so the pool really splits the work."""
    tables = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        proc = paxossim("run", SCENARIOS / "dueling-backoff.toml", "--runs", 10, "--workers",
                        workers, "--out", out, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        tables[workers] = pd.read_parquet(out / "dueling-backoff" / "runs.parquet")
    assert len(tables[1]) == 10
    assert tables[1]["ballots"].nunique() > 1  # the runs differ, so order would matter
    assert_frame_equal(tables[1], tables[2])


def test_invalid_override_names_the_file_or_the_option(tmp_path):
    proc = paxossim("run", QUICKSTART, "--horizon", "inf", "--out", tmp_path / "out",
                    cwd=tmp_path)
    assert_bad_input(proc)
    assert "quickstart.toml" in proc.stderr or "--horizon" in proc.stderr
    assert files_under(tmp_path / "out") == []


@pytest.mark.parametrize("option, value, expected", [
    ("--runs", "0", "runs: must be >= 1, got 0"),
    ("--seed", "-3", "seed: must be >= 0, got -3"),
    ("--horizon", "-1", "horizon: must be > 0, got -1.0"),
])
def test_override_that_passes_argparse_but_breaks_the_scenario_names_the_file(
        tmp_path, monkeypatch, capsys, option, value, expected):
    """The options' own checks make this unreachable from a shell today; loosen them to
    reach the scenario's check, which must still name the file and the options."""
    monkeypatch.setattr(cli, "_runs", int)
    monkeypatch.setattr(cli, "_seed", int)
    monkeypatch.setattr(cli, "_positive_float", float)
    out = tmp_path / "out"
    code = cli.main(["run", str(QUICKSTART), option, value, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.splitlines() == [
        f"{QUICKSTART} with the command line's options: {expected}"]
    assert captured.out == ""
    assert files_under(out) == []


# -- atomic_write -------------------------------------------------------------------------------


def test_atomic_write_writes_the_file_and_no_temporary(tmp_path):
    target = tmp_path / "sub" / "data.txt"  # the folder is created
    atomic_write(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["data.txt"]


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("old")

    def failing(tmp: Path) -> None:
        tmp.write_text("half of the new")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]


def test_atomic_write_cleans_up_on_interrupt_and_creates_nothing(tmp_path):
    target = tmp_path / "data.txt"

    def interrupted(tmp: Path) -> None:
        tmp.write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_cleans_up_when_the_writer_removed_its_temporary(tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("old")

    def vanishing(tmp: Path) -> None:
        tmp.unlink()
        raise OSError("gone")

    with pytest.raises(OSError, match="gone"):
        atomic_write(target, vanishing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]


def test_atomic_write_gives_the_mode_a_plain_write_would(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "data.txt"
        atomic_write(target, lambda tmp: tmp.write_text("x"))
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664),
                                         (0o000, 0o666)])
def test_atomic_write_mode_is_0666_less_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        target = tmp_path / "data.txt"
        target.write_text("old")
        os.chmod(target, 0o600)  # replacing a file gives the new mode, not the old one
        atomic_write(target, lambda tmp: tmp.write_text("x"))
        assert stat.S_IMODE(target.stat().st_mode) == mode
        assert os.umask(umask) == umask  # atomic_write left the umask as it was
    finally:
        os.umask(old)


def test_run_writes_results_readable_as_a_plain_write_would(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "out"
        proc = paxossim("run", QUICKSTART, "--runs", 1, "--out", out, cwd=tmp_path)
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    for name in ("runs.parquet", "scenario.toml"):
        assert stat.S_IMODE((out / "quickstart" / name).stat().st_mode) == 0o644, name
