"""Figures from tables of runs: a DataFrame in, a matplotlib Figure out.

Nothing here runs a simulation or touches pyplot's global state: figures are made with
`matplotlib.figure.Figure`, so they can be built in worker processes and tests, and
shown in notebooks as they are.
"""

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Below this many seconds, time axes are in milliseconds.
MS_BELOW = 2.0


def _time_unit(seconds: pd.Series | float) -> tuple[float, str]:
    top = float(np.nanmax(seconds)) if np.size(seconds) else 0.0
    return (1e3, "ms") if top < MS_BELOW else (1.0, "s")


def chosen_by_time(runs: pd.DataFrame, ax: Axes, by: str = "scenario") -> Axes:
    """Fraction of runs in which a value was chosen by time t, one curve per `by` value;
    runs that never chose keep their curve below 1."""
    horizon = runs["chosen_at"].max()
    scale, unit = _time_unit(horizon if np.isfinite(horizon) else 1.0)
    end = (horizon if np.isfinite(horizon) else 0.0) * scale
    for name, df in runs.groupby(by, sort=False):
        times = np.sort(df["chosen_at"].dropna().to_numpy()) * scale
        fraction = np.arange(1, len(times) + 1) / len(df)
        last = fraction[-1] if len(fraction) else 0.0
        ax.step(np.r_[0.0, times, end], np.r_[0.0, fraction, last], where="post",
                label=f"{name} ({100 * len(times) / len(df):.0f}%)")
    ax.set_xlabel(f"time since start ({unit})")
    ax.set_ylabel("fraction of runs chosen")
    ax.set_ylim(0, 1.02)
    ax.set_title("Value chosen by time t")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
    return ax


def ballots_boxes(runs: pd.DataFrame, ax: Axes, by: str = "scenario") -> Axes:
    """Ballots started per run, one box per `by` value (whiskers 1st-99th percentile)."""
    groups = [(str(name), df["ballots"].to_numpy()) for name, df in runs.groupby(by, sort=False)]
    ax.boxplot([values for _, values in groups], vert=False, whis=(1, 99), showmeans=True,
               tick_labels=[name for name, _ in groups])
    ax.invert_yaxis()
    values = runs["ballots"]
    if values.max() > 20 * max(values.min(), 1):
        ax.set_xscale("log")
    ax.set_xlabel("ballots per run (box: quartiles, whiskers: p1-p99, triangle: mean)")
    ax.set_title("Ballots started")
    ax.grid(alpha=0.3, axis="x")
    return ax


def comparison_figure(runs: pd.DataFrame, by: str = "scenario") -> Figure:
    """The `paxossim compare` figure: chosen by time t, and ballots per run."""
    n = runs[by].nunique()
    fig = Figure(figsize=(12, max(4.5, 0.35 * n + 2)), layout="constrained")
    left, right = fig.subplots(1, 2)
    chosen_by_time(runs, left, by)
    ballots_boxes(runs, right, by)
    return fig
