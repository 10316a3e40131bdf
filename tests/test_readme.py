"""The README is the user's contract: its example validates, and every scenario key, run
column and command it must document is there."""

import itertools
import re
import tomllib
from pathlib import Path
from typing import get_origin

import pytest

from paxossim import parse_scenario
from paxossim.cli import build_parser
from paxossim.experiment import RUN_COLUMNS
from paxossim.scenario import _TABLES, _UNION_MEMBERS, _member_keys

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_example_scenario_in_the_readme_validates():
    block = re.search(r"```toml\n(.*?)```", README, re.S).group(1)
    scenario = parse_scenario(tomllib.loads(block), source="README example")
    assert scenario.name == "quickstart" and scenario.protocol.quorum.phase1 == 3


def key_table() -> list[list[str]]:
    """The rows of the README's "| key | meaning | default | unit |" table, as cells."""
    lines = README.splitlines()
    start = lines.index("| key | meaning | default | unit |")
    assert lines[start + 1] == "| --- | --- | --- | --- |"
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().removeprefix("|").removesuffix("|")
                 .split("|")]
        assert len(cells) == 4, line  # a stray `|` would shift the cells
        rows.append(cells)
    return rows


def keys_in(cell: str) -> list[str]:
    """The keys a first cell names: `a.b`, or several, `a.b.c`, `.d` (for `a.b.d`)."""
    spans = re.fullmatch(r"`([^`]+)`(?:, `([^`]+)`)*", cell)
    assert spans, f"not a key cell: {cell!r}"
    keys: list[str] = []
    for span in re.findall(r"`([^`]+)`", cell):
        keys.append(keys[-1].rsplit(".", 1)[0] + span if span.startswith(".") else span)
    return keys


def documented_keys() -> list[str]:
    return [key for cells in key_table() if cells[0] for key in keys_in(cells[0])]


def written(dotted: str) -> str:
    """A key as the README writes it: list tables with `[]` (`faults[].node`)."""
    parts = dotted.split(".")
    for k in range(1, len(parts)):
        table = ".".join(parts[:k])
        parent, _, last = table.rpartition(".")
        if table in _TABLES and get_origin(_TABLES[parent].model_fields[last].annotation) is list:
            parts[k - 1] += "[]"
    return ".".join(parts)


SCENARIO_KEYS = [  # every key that holds a value, not a table of keys
    written(f"{table}.{key}" if table else key)
    for table, model in _TABLES.items()
    for key in model.model_fields
    if (f"{table}.{key}" if table else key) not in _TABLES
]


@pytest.mark.parametrize("key", SCENARIO_KEYS)
def test_every_scenario_key_is_documented(key):
    """A row of the key table whose first cell names the key; a mention elsewhere, or
    inside another row, does not count."""
    assert key in documented_keys()


def test_every_documented_key_is_a_scenario_key():
    assert sorted(set(documented_keys()) - set(SCENARIO_KEYS)) == []
    assert len(documented_keys()) == len(set(documented_keys()))  # each key one row


@pytest.mark.parametrize("union, value", [
    (union, value) for union, (_, members) in _UNION_MEMBERS.items() for value in members
])
def test_every_member_of_a_tagged_union_has_its_row(union, value):
    """Below the row of a tagged union (`network.delay`), one row with an empty first
    cell per member, opening with `{tag = "value", its other keys}`."""
    tag, members = _UNION_MEMBERS[union]
    rows = key_table()
    at = next(k for k, cells in enumerate(rows) if cells[0] and union in keys_in(cells[0]))
    forms = {}
    for cells in itertools.takewhile(lambda cells: not cells[0], rows[at + 1:]):
        form = re.match(r'`\{(\w+) = "(\w+)"((?:, \w+)*)\}`', cells[1])
        assert form and form[1] == tag, cells[1]
        forms[form[2]] = [tag, *filter(None, form[3].split(", "))]
    assert forms.get(value) == _member_keys(members[value])
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


def test_the_quoted_linearizability_violation_is_what_the_run_reports():
    from paxossim import load_scenario, simulate

    root = Path(__file__).resolve().parents[1]
    s = load_scenario(root / "scenarios" / "bugs" / "stale_reads.toml")
    (violation,) = [v for v in simulate(s, 11).violations if v.invariant == "history-linearizable"]
    quoted = " ".join(README.split("history-linearizable: key 'k0'")[1].split("```")[0].split())
    assert f"{violation.invariant}: {violation.detail}" == "history-linearizable: key 'k0'" + quoted
