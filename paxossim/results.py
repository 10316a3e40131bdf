"""Writing results: one folder per scenario, every file replaced atomically.

A file is written to a temporary name in the same folder and renamed over the target,
so an interrupted run leaves either the previous complete file or none, never a
truncated one that looks complete.
"""

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from paxossim.experiment import Batch

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from paxossim.scenario import Scenario

RUNS_FILE = "runs.parquet"
EVENTS_FILE = "events.parquet"
COMMANDS_FILE = "commands.parquet"
SCENARIO_FILE = "scenario.toml"
COMPARISON_FILE = "comparison.parquet"
COMPARISON_FIGURE = "comparison.png"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` and rename tmp over `path` only if it succeeded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it owner-only; results are shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(df: pd.DataFrame, path: Path, scenario: Scenario | None = None) -> None:
    """Parquet, with the resolved scenario in the file's metadata so it travels along."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    if scenario is not None:
        meta = dict(table.schema.metadata or {})
        meta[b"paxossim.scenario"] = json.dumps(scenario.to_dict(), sort_keys=True).encode()
        table = table.replace_schema_metadata(meta)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def write_results(batch: Batch, out: str | Path) -> Path:
    """`<out>/<name>/runs.parquet` and the resolved `scenario.toml`, `events.parquet`
    when the runs were traced and `commands.parquet` for a kv scenario (else an older one
    is removed); returns the folder."""
    scenario = batch.scenario
    folder = Path(out) / scenario.name
    write_table(batch.runs, folder / RUNS_FILE, scenario)  # it carries its scenario too
    if batch.events is not None:
        write_table(batch.events, folder / EVENTS_FILE, scenario)
    else:  # an events.parquet of earlier runs would no longer match runs.parquet
        (folder / EVENTS_FILE).unlink(missing_ok=True)
    if batch.commands is not None:
        write_table(batch.commands, folder / COMMANDS_FILE, scenario)
    else:
        (folder / COMMANDS_FILE).unlink(missing_ok=True)
    phase1, phase2 = scenario.quorum_sizes
    text = (
        "# The scenario as run: defaults and command-line overrides filled in.\n"
        f"# Quorum sizes used: phase1 = {phase1}, phase2 = {phase2}.\n" + scenario.to_toml()
    )
    atomic_write(folder / SCENARIO_FILE, lambda tmp: tmp.write_text(text))
    return folder


def write_comparison(
    runs: pd.DataFrame,
    table: pd.DataFrame,
    figure: "Figure",
    out: str | Path,
    commands: pd.DataFrame | None = None,
) -> Path:
    """`<out>/comparison.parquet` (one row per scenario), `<out>/runs.parquet` (every run
    of every scenario), `<out>/commands.parquet` (every client command of the kv
    scenarios, if any) and `<out>/comparison.png`; returns the folder."""
    folder = Path(out)
    write_table(table, folder / COMPARISON_FILE)
    write_table(runs, folder / RUNS_FILE)
    if commands is not None:
        write_table(commands, folder / COMMANDS_FILE)
    else:
        (folder / COMMANDS_FILE).unlink(missing_ok=True)
    save_figure(figure, folder / COMPARISON_FIGURE)
    return folder


def save_figure(figure: "Figure", path: str | Path, dpi: int = 110) -> None:
    """PNG or SVG by the file's suffix, written atomically."""
    path = Path(path)
    kind = path.suffix.lstrip(".").lower() or "png"
    atomic_write(path, lambda tmp: figure.savefig(tmp, format=kind, dpi=dpi))


def read_runs(path: str | Path) -> pd.DataFrame:
    """The runs table from a runs Parquet file, a results folder holding one, or a folder
    of results folders (every `*/runs.parquet` below it). Raises ValueError, naming the
    path, for anything that is not a runs table."""
    path = Path(path)
    if path.is_dir():
        files = (
            [path / RUNS_FILE]
            if (path / RUNS_FILE).is_file()
            else sorted(path.glob(f"*/{RUNS_FILE}"))
        )
        if not files:
            raise ValueError(f"{path}: no {RUNS_FILE} in it nor in its subfolders")
        return pd.concat([read_runs(f) for f in files], ignore_index=True)
    if not path.is_file():
        raise ValueError(f"{path}: no such file or folder")
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        raise ValueError(f"{path}: not a Parquet file ({exc})") from None
    missing = [c for c in ("scenario", "seed", "chosen", "chosen_at", "ballots") if c not in df]
    if missing:
        raise ValueError(f"{path}: not a runs table (no column {', '.join(missing)})")
    return df
