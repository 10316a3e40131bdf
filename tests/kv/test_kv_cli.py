"""`paxossim run` and `compare` on kv scenarios: commands.parquet, the printed summary,
a linearizability violation reported like any other."""

import pandas as pd

from paxossim.observe.commands import COMMAND_COLUMNS
from tests.test_cli import paxossim

KV_TOML = """\
name = "kv"
horizon = 2.0
[cluster]
nodes = 3
proposers = [0, 1]
[protocol]
strategy = "{strategy}"
[workload]
kind = "kv"
clients = 2
requests = 15
"""


def write(tmp_path, name, strategy="leader"):
    path = tmp_path / f"{name}.toml"
    path.write_text(KV_TOML.format(strategy=strategy).replace('name = "kv"', f'name = "{name}"'))
    return path


def test_run_writes_commands_and_prints_latency_and_throughput(tmp_path):
    path = write(tmp_path, "kv")
    proc = paxossim("run", path, "--runs", "3", "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    commands = pd.read_parquet(tmp_path / "out" / "kv" / "commands.parquet")
    assert tuple(commands.columns) == COMMAND_COLUMNS
    assert len(commands) == 3 * 2 * 15 and set(commands["run"]) == {0, 1, 2}
    runs = pd.read_parquet(tmp_path / "out" / "kv" / "runs.parquet")
    assert runs["linearizable"].all() and (runs["completed"] == 30).all()
    assert "commands        90 of 90 completed   3 of 3 runs linearizable" in proc.stdout
    assert "  slot 0 chosen 100.0%" in proc.stdout  # the synod lines say they are slot 0's
    assert "latency         p50 " in proc.stdout and "commands/s" in proc.stdout


def test_a_synod_run_removes_an_older_commands_table(tmp_path):
    path = write(tmp_path, "same")
    assert paxossim("run", path, "--runs", "1", "--out", tmp_path, cwd=tmp_path).returncode == 0
    assert (tmp_path / "same" / "commands.parquet").is_file()
    path.write_text('name = "same"\n[cluster]\nnodes = 3\n')
    assert paxossim("run", path, "--runs", "1", "--out", tmp_path, cwd=tmp_path).returncode == 0
    assert not (tmp_path / "same" / "commands.parquet").exists()


def test_compare_writes_the_commands_of_every_kv_scenario(tmp_path):
    a, b = write(tmp_path, "kv-lead"), write(tmp_path, "kv-free", "leaderless")
    proc = paxossim("compare", a, b, "--runs", "2", "--out", tmp_path / "cmp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    commands = pd.read_parquet(tmp_path / "cmp" / "commands.parquet")
    assert sorted(set(commands["scenario"])) == ["kv-free", "kv-lead"]
    header = next(line for line in proc.stdout.splitlines() if "strategy" in line)
    assert all(col in header for col in ("done%", "cmds/s", "cmd p50 ms", "lin."))
    assert "kv scenarios: chosen%, livelock%, choose and msgs/decision describe slot 0" in proc.stdout


def test_a_stale_read_exits_1_with_its_minimal_history(tmp_path):
    from pathlib import Path

    bug = Path(__file__).resolve().parents[2] / "scenarios" / "bugs" / "stale_reads.toml"
    proc = paxossim("run", bug, "--runs", "1", "--seed", "11", "--out", tmp_path, cwd=tmp_path)
    assert proc.returncode == 1
    assert "history-linearizable: key 'k0'" in proc.stderr
    assert "3 operations that still fail" in proc.stderr
