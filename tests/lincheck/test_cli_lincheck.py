"""`paxossim lincheck`: verdicts, exit codes, output, bad input."""

import json
from pathlib import Path

import pandas as pd

from paxossim import cli
from paxossim.lincheck.history import get, put
from tests.lincheck.test_frame import frame

DATA = Path(__file__).parent / "data"
C01_OK, C01_BAD = str(DATA / "kv" / "c01-ok.txt"), str(DATA / "kv" / "c01-bad.txt")
ETCD_OK, ETCD_BAD = str(DATA / "etcd" / "etcd_002.log"), str(DATA / "etcd" / "etcd_000.log")


def run(capsys, *argv):
    code = cli.main(["lincheck", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_all_linearizable_exit_0(capsys):
    code, out, err = run(capsys, C01_OK, ETCD_OK)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"{C01_OK}: linearizable (kv, 58 operations, 58 states)",
        f"{ETCD_OK}: linearizable (cas-register, 64 operations, 790,532 states)",
    ]


def test_a_violation_exit_1_with_its_minimal_sub_history(capsys):
    code, out, _ = run(capsys, C01_OK, C01_BAD)
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == (
        f"{C01_BAD}: not linearizable (kv, 38 operations, 11 states; 32 more to shrink it)"
    )
    assert lines[2:] == [
        "  longest linearizable prefix of key '7': 3 operations",
        "  culprit: p0 get('7') -> 'x 0 0 y'  [58, 59]",
        "  smallest sub-history still not linearizable (1-minimal):",
        "    p0 append('7', 'x 0 0 y')  [36, 37]",
        "    p0 append('7', 'x 0 3 y')  [54, 55]",
        "    p0 get('7') -> 'x 0 0 y'  [58, 59]  <- culprit",
    ]


def test_unknown_exit_4_and_violation_wins(capsys):
    code, out, _ = run(capsys, ETCD_OK, "--budget", "100")
    assert code == 4
    assert "unknown (cas-register, 64 operations, 100 states; the budget ran out" in out
    code, _, _ = run(capsys, ETCD_OK, C01_BAD, "--budget", "100")
    assert code == 1


def test_json_one_object_per_history(capsys):
    code, out, _ = run(capsys, ETCD_BAD, C01_OK, "--json")
    assert code == 1
    bad, ok = (json.loads(line) for line in out.splitlines())
    assert bad["verdict"] == "not linearizable" and bad["model"] == "cas-register"
    assert bad["format"] == "jepsen.util log" and bad["exact"] is True
    assert bad["culprit"] in bad["minimal"] and bad["prefix"] == 33
    assert ok == {
        "history": C01_OK,
        "format": "edn kv",
        "model": "kv",
        "operations": 58,
        "verdict": "linearizable",
        "states": 58,
        "key": None,
        "prefix": None,
        "culprit": None,
        "minimal": None,
        "exact": None,
        "shrink_states": 0,
        "figure": None,
    }


def test_commands_parquet_every_run_or_one(capsys, tmp_path):
    ok = [put(0, "a", "1", 0.0, 1.0), get(1, "a", "1", 2.0, 3.0)]
    stale = [put(0, "a", "1", 0.0, 1.0), put(0, "a", "2", 2.0, 3.0), get(1, "a", "1", 4.0, 5.0)]
    path = tmp_path / "commands.parquet"
    pd.concat([frame(ok, run=0), frame(stale, run=1)], ignore_index=True).to_parquet(path)
    code, out, _ = run(capsys, str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{path} (scenario s, run 0): linearizable (kv, 2 operations, 2 states)"
    assert lines[1].startswith(f"{path} (scenario s, run 1): not linearizable (kv, 3 operations")
    code, out, _ = run(capsys, str(path), "--run", "0")
    assert code == 0 and len(out.splitlines()) == 1
    code, _, err = run(capsys, str(path), "--run", "5")
    assert code == 2 and err == f"paxossim lincheck: {path}: no run 5\n"


def test_model_override(capsys):
    code, out, _ = run(capsys, ETCD_OK, "--model", "kv")
    assert code == 0 and "linearizable (kv, 64 operations" in out


def test_fail_cas_the_porcupine_way(capsys):
    code, out, _ = run(capsys, ETCD_BAD, "--fail-cas", "false", "--json")
    assert code == 1 and json.loads(out)["operations"] > 65


def test_bad_input_exit_2_one_line_naming_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.log"
    bad.write_text("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\n")
    notparquet = tmp_path / "x.parquet"
    notparquet.write_text("hello")
    cases = [
        ([str(tmp_path / "missing.log")], f"{tmp_path / 'missing.log'}: no such file"),
        ([C01_OK, str(bad)], f"{bad}:2: not a jepsen.util operation line"),
        ([ETCD_OK, C01_OK, "--model", "register"], f"{C01_OK}: the operations name keys"),
        ([ETCD_OK, "--model", "register"], f"{ETCD_OK}: model 'register' has no cas"),
        ([ETCD_OK, "--run", "1"], f"{ETCD_OK}: --run is for a commands.parquet"),
        ([str(notparquet)], f"{notparquet}: not a Parquet file"),
    ]
    for argv, words in cases:
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "", argv
        assert len(err.splitlines()) == 1 and err.startswith(f"paxossim lincheck: {words}"), err


def test_out_draws_each_violation(capsys, tmp_path):
    code, out, _ = run(capsys, C01_OK, C01_BAD, ETCD_BAD, "--out", str(tmp_path / "figs"))
    assert code == 1
    drawn = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert len(drawn) == 2 and all(name.endswith(".png") for name in drawn)
    assert out.count("  drawn: ") == 2
    for name in drawn:
        assert (tmp_path / "figs" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run(capsys, C01_BAD, "--json", "--out", str(tmp_path / "figs"))
    assert json.loads(out)["figure"].endswith("c01-bad.txt.png")


def test_out_must_be_a_folder(capsys, tmp_path):
    file = tmp_path / "f"
    file.write_text("")
    code, out, err = run(capsys, C01_BAD, "--out", str(file))
    assert code == 2 and out == "" and "exists and is not a folder" in err


def test_the_readme_example_is_what_the_command_prints(capsys, monkeypatch):
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text()
    start = readme.index("$ paxossim lincheck tests/lincheck/data/kv/c01-bad.txt\n")
    block = readme[start : readme.index("```", start)].splitlines()
    monkeypatch.chdir(root)
    code, out, _ = run(capsys, block[0].split()[-1])
    assert code == 1 and out.splitlines() == block[1:]


def test_a_timeout_in_seconds_is_refused_for_the_budget_in_states(capsys):
    code, out, err = run(capsys, C01_OK, "--timeout", "5")
    assert code == 2 and out == ""
    assert err.strip() == (
        "paxossim lincheck: --timeout 5: verdicts never depend on the machine's speed, so the "
        "search is bounded in states, not seconds: use --budget N"
    )
