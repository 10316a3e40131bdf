"""The README is the user's contract: its example validates, and every scenario key, run
column and command it must document is there."""

import re
import tomllib
from pathlib import Path

import pytest

from paxossim import parse_scenario
from paxossim.cli import build_parser
from paxossim.experiment import RUN_COLUMNS
from paxossim.scenario import _TABLES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_example_scenario_in_the_readme_validates():
    block = re.search(r"```toml\n(.*?)```", README, re.S).group(1)
    scenario = parse_scenario(tomllib.loads(block), source="README example")
    assert scenario.name == "quickstart" and scenario.protocol.quorum.phase1 == 3


@pytest.mark.parametrize("table, key", [
    (table, key) for table, model in _TABLES.items() for key in model.model_fields
])
def test_every_scenario_key_is_documented(table, key):
    dotted = f"{table}.{key}" if table else key
    documented = {dotted, dotted.replace("network.partitions.", "network.partitions[]."),
                  dotted.replace("faults.", "faults[].")}
    if table == "protocol.quorum":
        documented.add(f"`.{key}`")
    assert any(f"`{d}`" in README or d in README for d in documented), dotted


@pytest.mark.parametrize("column", RUN_COLUMNS)
def test_every_run_column_is_documented(column):
    assert f"| `{column}` |" in README


def test_every_command_is_documented():
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert f"paxossim {name} " in README, name


def test_the_readme_lists_every_invariant_the_checker_asserts():
    from paxossim.observe.invariants import INVARIANTS

    for name, sentence in INVARIANTS.items():
        assert f"| `{name}` | {sentence} |" in README, name
