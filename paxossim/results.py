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

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from paxossim.experiment import Batch
from paxossim.scenario import Scenario

RUNS_FILE = "runs.parquet"
EVENTS_FILE = "events.parquet"
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
    """`<out>/<name>/runs.parquet` and the resolved `scenario.toml` (and `events.parquet`
    when the runs were traced); returns the folder."""
    scenario = batch.scenario
    folder = Path(out) / scenario.name
    atomic_write(folder / SCENARIO_FILE, lambda tmp: tmp.write_text(scenario.to_toml()))
    if batch.events is not None:
        write_table(batch.events, folder / EVENTS_FILE, scenario)
    write_table(batch.runs, folder / RUNS_FILE, scenario)
    return folder


def write_comparison(
    runs: pd.DataFrame, table: pd.DataFrame, figure: Figure, out: str | Path
) -> Path:
    """`<out>/comparison.parquet` (one row per scenario), `<out>/runs.parquet` (every run
    of every scenario) and `<out>/comparison.png`; returns the folder."""
    folder = Path(out)
    write_table(table, folder / COMPARISON_FILE)
    write_table(runs, folder / RUNS_FILE)
    save_figure(figure, folder / COMPARISON_FIGURE)
    return folder


def save_figure(figure: Figure, path: str | Path, dpi: int = 110) -> None:
    """PNG or SVG by the file's suffix, written atomically."""
    path = Path(path)
    kind = path.suffix.lstrip(".").lower() or "png"
    atomic_write(path, lambda tmp: figure.savefig(tmp, format=kind, dpi=dpi))


def read_runs(path: str | Path) -> pd.DataFrame:
    """The runs table from a results folder or a Parquet file."""
    path = Path(path)
    return pd.read_parquet(path / RUNS_FILE if path.is_dir() else path)
