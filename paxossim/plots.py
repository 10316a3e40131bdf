"""Figures from tables of runs: a DataFrame in, a matplotlib Figure out.

Nothing here runs a simulation or touches pyplot's global state: figures are made with
`matplotlib.figure.Figure`, so they can be built in worker processes and tests. In a
notebook, `%matplotlib inline` shows a Figure left as a cell's last expression.
"""

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Below this many seconds, time axes are in milliseconds.
MS_BELOW = 2.0
#: A log histogram of times that are all equal spans this factor either side of them.
LOG_SPAN_OF_ONE_TIME = 1.25


def _time_unit(seconds: pd.Series | float) -> tuple[float, str]:
    top = float(np.nanmax(seconds)) if np.size(seconds) else 0.0
    return (1e3, "ms") if top < MS_BELOW else (1.0, "s")


def chosen_by_time(
    runs: pd.DataFrame,
    ax: Axes,
    by: str = "scenario",
    colors: dict | None = None,
    legend: str = "lower right",
) -> Axes:
    """Fraction of runs in which a value was chosen by time t, one curve per `by` value,
    drawn to the horizon; runs that never chose keep their curve below 1. The time axis
    is logarithmic when the choices spread over more than a factor of 20."""
    horizon = float(runs["horizon"].max()) if "horizon" in runs else float(runs["chosen_at"].max())
    if not np.isfinite(horizon):
        horizon = 1.0
    scale, unit = _time_unit(horizon)
    groups = list(runs.groupby(by, sort=False))
    palette = _colors(len(groups))
    for k, (name, df) in enumerate(groups):
        times = np.sort(df["chosen_at"].dropna().to_numpy()) * scale
        fraction = np.arange(1, len(times) + 1) / len(df)
        last = fraction[-1] if len(fraction) else 0.0
        color = colors[name] if colors else palette[k]
        ax.step(
            np.r_[times[:1], times, horizon * scale] if len(times) else [0, horizon * scale],
            np.r_[0.0, fraction, last] if len(times) else [0.0, 0.0],
            where="post",
            color=color,
            label=f"{name} ({100 * len(times) / len(df):.0f}%)",
        )
    chosen = runs["chosen_at"].dropna()
    if len(chosen) and chosen.max() > 20 * max(chosen.min(), 1e-9):
        _plain_log_axis(ax)
        ax.set_xlim(chosen.min() * scale * 0.9, horizon * scale)
    else:
        ax.set_xlim(0, horizon * scale)
    ax.set_xlabel(f"time since start ({unit})")
    ax.set_ylabel("fraction of runs chosen")
    ax.set_ylim(0, 1.02)
    ax.set_title("Value chosen by time t")
    ax.grid(alpha=0.3)
    if len(groups) <= 6:
        ax.legend(fontsize="small", loc=legend)
    else:  # many curves: the legend goes under the axes, where it hides none of them
        ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2)
    return ax


def ballots_boxes(runs: pd.DataFrame, ax: Axes, by: str = "scenario", per: str = "run") -> Axes:
    """Ballots started per run, one box per `by` value (whiskers 1st-99th percentile)."""
    if runs.empty:
        return _nothing(ax, "no runs to show")
    groups = [(str(name), df["ballots"].to_numpy()) for name, df in runs.groupby(by, sort=False)]
    ax.boxplot(
        [values for _, values in groups],
        orientation="horizontal",
        whis=(1, 99),
        showmeans=True,
        tick_labels=[name for name, _ in groups],
    )
    ax.invert_yaxis()
    values = runs["ballots"]
    if len(values) and values.max() > 20 * max(values.min(), 1):
        _plain_log_axis(ax)
    ax.set_xlabel(f"ballots per {per} (box: quartiles, whiskers: p1-p99, triangle: mean)")
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


# -- latency ------------------------------------------------------------------------------

LATENCY_COLUMNS = {
    "chosen_at": "time to choose",
    "learned_at": "time until all learners up learned",
    "decided_at": "time until the proposer knew",
}


def latency(
    runs: pd.DataFrame,
    column: str = "chosen_at",
    by: str = "scenario",
    log: bool = False,
    percentiles: tuple[int, ...] = (50, 90, 99),
) -> Figure:
    """Distribution of a latency column: histogram (left) and ECDF with percentiles
    marked (right), one series per `by` value, over the runs that got there. With `log`
    the time axis is logarithmic, unless no time is above 0 (a log axis cannot show 0)."""
    label = LATENCY_COLUMNS.get(column, column)
    values = runs[column].dropna()
    scale, unit = _time_unit(values if len(values) else 1.0)
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    hist, ecdf = fig.subplots(1, 2)
    positive = values[values > 0] * scale
    log = log and len(positive) > 0
    if log:
        low, high = positive.min(), positive.max()
        if high <= low:  # all equal (constant delays, one run): bins around that time
            low, high = low / LOG_SPAN_OF_ONE_TIME, high * LOG_SPAN_OF_ONE_TIME
        bins = np.geomspace(low, high, 40)
    elif len(values):
        top = values.max() * scale
        bins = np.linspace(0, top if top > 0 else 1.0, 40)  # all 0: a unit wide, not 1e-9
    else:
        bins = 10
    n_series = runs[by].nunique()
    colors = _colors(n_series)
    for (name, df), color in zip(runs.groupby(by, sort=False), colors, strict=False):
        x = df[column].dropna().to_numpy() * scale
        share = f"{len(x)}/{len(df)} runs"
        hist.hist(
            x, bins=bins, histtype="step", linewidth=1.5, color=color, label=f"{name} ({share})"
        )
        if not len(x):
            continue
        xs = np.sort(x)
        ecdf.step(*_ecdf(xs), where="post", color=color)
        for p, marker in zip(percentiles, _MARKERS, strict=False):
            q = np.percentile(xs, p, method="inverted_cdf")
            ecdf.plot([q], [p / 100], marker=marker, color=color, markersize=6, linestyle="none")
            if n_series == 1:
                ecdf.annotate(
                    f"p{p} = {q:.3g} {unit}",
                    (q, p / 100),
                    textcoords="offset points",
                    xytext=(6, -12),
                    fontsize="small",
                    color=color,
                )
    for p, marker in zip(percentiles, _MARKERS, strict=False):
        ecdf.plot([], [], marker=marker, color="grey", linestyle="none", label=f"p{p}")
    for ax in (hist, ecdf):
        ax.set_xlabel(f"{label} ({unit})")
        ax.grid(alpha=0.3)
        if log:
            _plain_log_axis(ax)
    hist.set_ylabel("runs")
    hist.set_title(f"Distribution of {label}")
    hist.legend(fontsize="small" if n_series <= 4 else "x-small", loc="best")
    ecdf.set_ylabel("fraction of the runs that got there")
    ecdf.legend(fontsize="small", loc="lower right")
    ecdf.set_ylim(0, 1.02)
    ecdf.set_title(f"ECDF of {label} (percentiles marked)")
    return fig


# -- livelock -----------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion: sound also near 0 and 1."""
    if n == 0:
        return (np.nan, np.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def series_label(strategy: str, backoff: str, loss: float) -> str:
    """ "leader", or "leaderless, <backoff> backoff", and the loss rate."""
    kind = (
        "leader"
        if strategy == "leader"
        else ("leaderless, no backoff" if backoff == "none" else f"leaderless, {backoff} backoff")
    )
    return f"{kind}, loss {loss:g}"


def livelock(runs: pd.DataFrame, by: str | None = None) -> Figure:
    """Left: fraction of runs chosen by time t, for the largest number of proposers, one
    curve per strategy, backoff and loss (or per `by` value). Right: share of runs chosen
    within the horizon (95 % Wilson intervals) against the number of proposers."""
    runs = runs.assign(
        series=[
            series_label(*key)
            for key in zip(runs["strategy"], runs["backoff"], runs["loss"], strict=True)
        ]
    )
    names = list(dict.fromkeys(runs["series"]))
    palette = dict(zip(names, _colors(len(names)), strict=True))
    fig = Figure(figsize=(13, 5.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    most = runs["proposers"].max()
    offsets = dict(
        zip(names, np.linspace(-0.12, 0.12, len(names)) if len(names) > 1 else [0.0], strict=True)
    )
    if by is None or by == "series":
        chosen_by_time(runs[runs["proposers"] == most], left, "series", palette, "center right")
        left.set_title(f"Value chosen by time t, {most} proposers")
    else:
        chosen_by_time(runs, left, by)
    for name, df in runs.groupby("series", sort=False):
        points = []
        for proposers, group in df.groupby("proposers"):
            k, n = int(group["chosen"].sum()), len(group)
            low, high = wilson_interval(k, n)
            points.append((proposers, k / n, low, high))
        x, y, low, high = map(np.array, zip(*points, strict=True))
        x = x + offsets[name]  # side by side, so that series at 100 % do not hide each other
        right.errorbar(
            x,
            y,
            yerr=[np.clip(y - low, 0, None), np.clip(high - y, 0, None)],
            capsize=3,
            marker="o",
            color=palette[name],
            label=name,
            linestyle="-" if name.startswith("leader,") else "--",
        )
    right.set_xlabel("proposers")
    right.set_xticks(sorted(runs["proposers"].unique()))
    right.set_ylabel("fraction of runs chosen within the horizon")
    right.set_ylim(-0.02, 1.05)
    right.set_title("Chosen within the horizon (95 % Wilson intervals)")
    right.grid(alpha=0.3)
    right.legend(fontsize="x-small", loc="lower left")
    return fig


# -- rounds -------------------------------------------------------------------------------


def rounds(runs: pd.DataFrame, by: str = "scenario") -> Figure:
    """Ballots per decision: boxes per `by` value (left) and their ECDF (right), over the
    runs that chose a value."""
    chosen = runs[runs["chosen"]]
    fig = Figure(figsize=(12, max(4.5, 0.35 * runs[by].nunique() + 2)), layout="constrained")
    left, right = fig.subplots(1, 2)
    ballots_boxes(chosen, left, by, per="decision")
    left.set_title("Ballots per decision")
    if chosen.empty:
        _nothing(right, "no run chose a value")
        return fig
    for (name, df), color in zip(
        chosen.groupby(by, sort=False), _colors(chosen[by].nunique()), strict=False
    ):
        xs = np.sort(df["ballots"].to_numpy())
        right.step(*_ecdf(xs), where="post", color=color, label=str(name))
    _plain_log_axis(right)
    right.set_xlabel("ballots per decision")
    right.set_ylabel("fraction of chosen runs")
    right.set_ylim(0, 1.02)
    right.set_title("ECDF of ballots per decision")
    right.grid(alpha=0.3)
    right.legend(fontsize="small", loc="center left", bbox_to_anchor=(0.02, 0.55))
    return fig


_MARKERS = ("o", "s", "^", "D")


def _ecdf(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points of the ECDF of sorted `xs` for a post step: it rises from 0 at the first
    value, so that all-equal values (or a single one) draw a jump from 0 to 1, not a
    shorter line or nothing."""
    return np.r_[xs[:1], xs], np.r_[0.0, np.arange(1, len(xs) + 1) / len(xs)]


def _plain_log_axis(ax: Axes) -> None:
    """A log x axis labelled 10, 20, 50, ... rather than 2x10^1: readable over short ranges."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_locator(LogLocator(subs="auto"))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def _nothing(ax: Axes, text: str) -> Axes:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(max(n, 1))]


# -- space-time diagram of one run ------------------------------------------------------

PHASE1_MESSAGES = {"Prepare", "Promise"}
PHASE2_MESSAGES = {"Accept", "Accepted"}


def _ballot_key(ballot: str) -> tuple[int, int]:
    rnd, node = ballot.split(".")
    return int(rnd), int(node)


def settled_time(trace: pd.DataFrame, horizon: float) -> float:
    """Where a diagram of a run may stop by default: a little after the last learner
    learned (later messages are heartbeats and stragglers), or the horizon."""
    learned = trace.loc[trace["event"] == "learned", "time"]
    if learned.empty:
        return horizon
    return min(horizon, float(learned.max()) * 1.15 + 0.002)


def spacetime(
    trace: pd.DataFrame,
    nodes: int,
    roles: dict[int, str] | None = None,
    until: float | None = None,
    title: str = "",
) -> Figure:
    """The Lamport diagram of one traced run: a line per node, an arrow per message copy
    from its send to its delivery, coloured by ballot (grey: no ballot), solid for phase 1,
    thick for phase 2, dotted for the rest. A dropped copy ends in a red cross (lost on the
    way: a short stub; receiver down: at its arrival), a duplicate copy has a circle at its
    head, crashes shade the node's line, the moment of choice is a vertical line."""
    t = trace if until is None else trace[trace["time"] <= until]
    if until is not None:
        end = until
    elif len(trace):
        end = max(float(trace["time"].max()), 1e-9)
    else:
        end = 1.0
    scale, unit = _time_unit(end)
    fig = Figure(figsize=(14, 1.6 + 0.75 * nodes), layout="constrained")
    ax = fig.subplots()
    for i in range(nodes):
        ax.axhline(i, color="black", linewidth=0.6, zorder=0)

    ballots = sorted({b for b in t["ballot"] if b and b != "none"}, key=_ballot_key)
    palette = _colors(min(len(ballots), 10))  # tab10: neighbours never look alike
    palette = [palette[k % len(palette)] for k in range(len(ballots))]
    color_of = {b: palette[k] for k, b in enumerate(ballots)}

    sends = t[t["event"].isin(["send", "duplicate"])].set_index("copy")
    # outcomes from the whole run: a copy still in flight at `until` runs off the edge
    ends = trace[trace["event"].isin(["deliver", "drop"])].drop_duplicates("copy").set_index("copy")
    delivered = ends[ends["event"] == "deliver"].reset_index()
    delivered = delivered[delivered["copy"].isin(sends.index)]
    typical = (
        float(
            np.median(
                delivered["time"].to_numpy() - sends.loc[delivered["copy"], "time"].to_numpy()
            )
        )
        if len(delivered)
        else end / 50
    )
    for copy, row in sends.iterrows():
        src, dst, ts = int(row["node"]), int(row["peer"]), float(row["time"])
        color = color_of.get(row["ballot"], "0.55")
        style = _message_style(row["message"])
        outcome = ends.loc[copy] if copy in ends.index else None
        if outcome is None:  # still in flight at the horizon: a line off the edge
            te, ye, mark = end + typical, dst, None
        elif outcome["event"] == "deliver":
            te, ye, mark = float(outcome["time"]), dst, None
        elif outcome["detail"] == "receiver down":
            te, ye, mark = float(outcome["time"]), dst, "x"
        else:
            te, ye, mark = ts + 0.4 * typical, src + (dst - src) * 0.4, "x"
        if te > end:  # still on its way at the right edge: a plain line, clipped there
            ax.plot([ts * scale, te * scale], [src, ye], color=color, **style)
        elif src == dst and mark is None:
            _self_message(ax, ts * scale, te * scale, src, color, style)
        else:
            ax.annotate(
                "",
                xy=(te * scale, ye),
                xytext=(ts * scale, src),
                arrowprops=dict(
                    arrowstyle="-|>" if mark is None else "-",
                    color=color,
                    shrinkA=0,
                    shrinkB=0,
                    mutation_scale=8,
                    **style,
                ),
            )
        if mark == "x":
            ax.plot(te * scale, ye, marker="x", color="red", markersize=6, zorder=3)
        if row["event"] == "duplicate":
            ax.plot(
                te * scale,
                ye,
                marker="o",
                markersize=5,
                markerfacecolor="none",
                markeredgecolor=color,
                zorder=3,
            )

    for _, row in t[t["event"] == "crash"].iterrows():
        node, start = int(row["node"]), float(row["time"])
        back = t[(t["event"] == "restart") & (t["node"] == node) & (t["time"] > start)]
        stop = float(back["time"].min()) if len(back) else end
        ax.fill_between(
            [start * scale, stop * scale],
            node - 0.3,
            node + 0.3,
            color="0.3",
            alpha=0.25,
            linewidth=0,
            zorder=1,
        )
        ax.text(start * scale, node + 0.33, "crash", fontsize="x-small", color="0.3")
    for _, row in t[t["event"] == "RoundStarted"].iterrows():
        ax.plot(
            float(row["time"]) * scale,
            row["node"],
            marker="|",
            markersize=14,
            color=color_of.get(row["ballot"], "k"),
            zorder=4,
        )
        ax.text(
            float(row["time"]) * scale,
            row["node"] - 0.38,
            f"b{row['ballot']}",
            fontsize="x-small",
            color=color_of.get(row["ballot"], "k"),
        )
    learned = t[t["event"] == "learned"]
    ax.plot(
        learned["time"] * scale,
        learned["node"],
        linestyle="none",
        marker="*",
        markersize=11,
        color="gold",
        markeredgecolor="black",
        zorder=5,
    )
    chosen = t[t["event"] == "chosen"]
    log = "slot" in chosen and (chosen["slot"] > 0).any()
    for _, row in chosen.iterrows():
        x = float(row["time"]) * scale
        ax.axvline(x, color="green", linestyle="--", linewidth=0.8 if log else 1.2)
        if log:  # a replicated log: many slots, each named at the top, its value in the trace
            ax.text(x, -0.55, f"s{row['slot']}", color="green", fontsize="xx-small", va="bottom")
            continue
        ax.text(
            x,
            nodes - 0.45,
            f" chosen {row['value']} in ballot {row['ballot']}",
            color="green",
            fontsize="small",
            va="bottom",
        )

    ax.set_xlim(0, end * scale * 1.01)
    ax.set_ylim(nodes - 0.4, -0.6)
    ax.set_yticks(range(nodes))
    ax.set_yticklabels(
        [f"node {i}" + (f" ({roles[i]})" if roles and i in roles else "") for i in range(nodes)]
    )
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(title or "Space-time diagram")
    ax.legend(
        handles=_spacetime_legend(ballots, color_of),
        fontsize="x-small",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    return fig


def _self_message(ax: Axes, start: float, stop: float, node: int, color: Any, style: dict) -> None:
    """A message a node sends itself: a low arc above its line, arrow at the end."""
    u = np.linspace(0.0, 1.0, 16)
    x, y = start + (stop - start) * u, node - 0.22 * np.sin(np.pi * u)
    ax.plot(x[:-1], y[:-1], color=color, **style)
    ax.annotate(
        "",
        xy=(x[-1], y[-1]),
        xytext=(x[-2], y[-2]),
        arrowprops=dict(
            arrowstyle="-|>",
            color=color,
            shrinkA=0,
            shrinkB=0,
            mutation_scale=8,
            linewidth=style["linewidth"],
        ),
    )


def _message_style(message: str) -> dict:
    if message in PHASE1_MESSAGES:
        return {"linewidth": 0.9, "linestyle": "-"}
    if message in PHASE2_MESSAGES:
        return {"linewidth": 1.8, "linestyle": "-"}
    return {"linewidth": 0.8, "linestyle": ":"}


def _spacetime_legend(ballots: list[str], color_of: dict) -> list:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=color_of[b], linewidth=2, label=f"ballot {b}") for b in ballots[:12]
    ]
    if len(ballots) > 12:
        handles.append(Line2D([], [], color="white", label=f"(+{len(ballots) - 12} ballots)"))
    return handles + [
        Line2D([], [], color="0.3", linewidth=0.9, label="prepare / promise"),
        Line2D([], [], color="0.3", linewidth=1.8, label="accept / accepted"),
        Line2D([], [], color="0.55", linewidth=0.8, linestyle=":", label="other messages"),
        Line2D([], [], color="red", marker="x", linestyle="none", label="dropped"),
        Line2D(
            [],
            [],
            color="0.3",
            marker="o",
            markerfacecolor="none",
            linestyle="none",
            label="duplicate copy",
        ),
        Line2D(
            [],
            [],
            color="gold",
            marker="*",
            markeredgecolor="black",
            linestyle="none",
            markersize=10,
            label="learned",
        ),
        Line2D(
            [], [], color="0.3", marker="|", linestyle="none", markersize=10, label="round started"
        ),
        Line2D([], [], color="green", linestyle="--", label="value chosen"),
    ]


# -- commands of a replicated log (kv scenarios) ------------------------------------------

#: A latency axis is logarithmic when the completed commands' latencies span this factor
#: (two decades) or more.
LOG_WHEN_SPAN = 100.0
#: Percentiles of the completed commands that the command latency figure marks.
COMMAND_PERCENTILES = (50, 99)


def duration_label(seconds: float) -> str:
    """A time for a tick label, in its own unit: '500 µs', '20 ms', '1.5 s'; '0' for 0."""
    if seconds == 0:
        return "0"
    if abs(seconds) >= 1:
        return f"{seconds:g} s"
    if abs(seconds) >= 1e-3:
        return f"{seconds * 1e3:.4g} ms"
    return f"{seconds * 1e6:.4g} µs"


def _time_axis(axis: Any, log: bool, top: float) -> str:
    """Format an axis that holds seconds. Log: ticks at 1, 2, 5 x 10^k, each labelled in
    its own unit (10 ms, 100 ms, 1 s). Linear: one unit for all (ms when `top` is under
    MS_BELOW seconds), returned so that it goes into the axis label."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if log:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_minor_locator(LogLocator(subs="auto"))
        axis.set_major_formatter(FuncFormatter(lambda v, _: duration_label(v)))
        axis.set_minor_formatter(NullFormatter())
        return ""
    scale, unit = _time_unit(top)
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * scale:g}"))
    return unit


def _spans_decades(values: np.ndarray) -> bool:
    positive = values[values > 0]
    return len(positive) > 0 and positive.max() >= LOG_WHEN_SPAN * positive.min()


def command_latency(
    commands: pd.DataFrame,
    by: str = "scenario",
    log: bool | None = None,
    percentiles: tuple[int, ...] = COMMAND_PERCENTILES,
) -> Figure:
    """Latency of every client command (submission to reply), one series per `by` value.

    Left: the ECDF over *all* the commands of a series, those that never got a reply
    included, so the curve ends at the share that completed (each legend entry says
    N/M completed). Right: the tail, the share of all commands still without a reply t
    after submission (log scale; it levels off at the share never answered). The
    percentiles (default p50, p99) are those of the completed commands, marked on both
    curves and given in the legend. The time axis is logarithmic when the completed
    latencies span two decades or more (`log` True or False forces it; a log axis needs
    a latency above 0)."""
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(13, 5.6), layout="constrained")
    ecdf, tail = fig.subplots(1, 2)
    if commands.empty:
        for ax in (ecdf, tail):
            _nothing(ax, "no commands to show")
        return fig
    done = commands["latency"].dropna().to_numpy(dtype=float)
    positive = done[done > 0]
    log = (_spans_decades(done) if log is None else log) and len(positive) > 0
    if len(done) == 0:
        low, high = 0.0, 1.0
    elif log:
        low, high = positive.min() / 1.25, positive.max() * 1.25
    else:
        low, high = 0.0, max(done.max() * 1.05, 1e-3)
    groups = list(commands.groupby(by, sort=False))
    handles = []
    floor = 1.0  # the lowest level the tail reaches, for its y limits
    for (name, df), color in zip(groups, _colors(len(groups)), strict=False):
        total = len(df)
        x = np.sort(df["latency"].dropna().to_numpy(dtype=float))
        share = len(x) / total
        below = np.arange(1, len(x) + 1) / total  # share of all commands at or below x[i]
        ecdf.step(
            np.r_[low, x, high], np.r_[0.0, below, share], where="post", color=color, gid="ecdf"
        )
        # the tail: share of all commands above t, levelling off at those never answered
        xs, ys = np.r_[low, x], np.r_[1.0, 1.0 - below]
        if share < 1:
            xs, ys = np.r_[xs, high], np.r_[ys, 1.0 - share]
        else:  # the last answer brings it to 0, which a log axis cannot show: end there
            ys[-1] = ys[-2]
        tail.step(xs, ys, where="post", color=color, gid="tail")
        floor = min(floor, float(ys[-1]))
        marks = [np.percentile(x, p, method="inverted_cdf") for p in percentiles if len(x)]
        for p, q, marker in zip(percentiles, marks, _MARKERS, strict=False):
            at = np.searchsorted(x, q, side="right") / total
            style = dict(marker=marker, color=color, markersize=7, linestyle="none", gid=f"p{p}")
            ecdf.plot([q], [at], **style)
            if at < 1:
                tail.plot([q], [1 - at], **style)
        key = [c for c in ("scenario", "seed", "run") if c in df]
        runs = len(df[key].drop_duplicates()) if {"seed", "run"} <= set(key) else 0
        label = f"{name}: {len(x)}/{total} completed ({100 * share:.1f}%)" + (
            f" in {runs} run{'s' * (runs > 1)}" if runs else ""
        )
        if marks:
            values = (
                f"p{p} {duration_label(float(f'{q:.3g}'))}"
                for p, q in zip(percentiles, marks, strict=False)
            )
            label += "\n" + ", ".join(values) + " of completed"
        handles.append(Line2D([], [], color=color, label=label))
    # the ECDF rises to the right, so its lower right is free for the key to the marks
    ecdf.legend(
        handles=[
            Line2D([], [], marker=m, color="grey", linestyle="none", label=f"p{p} of completed")
            for p, m in zip(percentiles, _MARKERS, strict=False)
        ],
        loc="lower right",
        fontsize="small",
    )
    for ax in (ecdf, tail):
        if log:
            ax.set_xscale("log")
        ax.set_xlim(low, high)
        unit = _time_axis(ax.xaxis, log, high)
        ax.set_xlabel("latency, submission to reply" + (f" ({unit})" if unit else " (log scale)"))
        ax.grid(alpha=0.3)
    ecdf.set_ylim(0, 1.02)
    ecdf.set_ylabel("fraction of all commands answered within t")
    ecdf.set_title("Command latency: ECDF over all commands (ends at the share completed)")
    tail.set_yscale("log")
    tail.set_ylim(floor / 2, 1.3)
    _plain_log_fractions(tail)
    tail.set_ylabel("fraction of all commands without a reply after t")
    tail.set_title("Tail (no reply by the end counts as slower than every reply)")
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 3),
        fontsize="small",
    )
    return fig


def _plain_log_fractions(ax: Axes) -> None:
    """Label a log y axis of fractions 1, 0.1, 0.01 and, between them, 0.5 and 0.2 when it
    spans less than three decades (and 0.3 when less than one and a half)."""
    from matplotlib.ticker import FuncFormatter

    low, high = ax.get_ylim()
    shown = (2.0, 3.0, 5.0) if high < 30 * low else (2.0, 5.0) if high < 1000 * low else ()

    def minor(v: float, _: Any) -> str:
        mantissa = v / 10 ** np.floor(np.log10(v))
        return f"{v:g}" if round(mantissa, 6) in shown else ""

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(minor))


def nice_bin(span: float, bins: int = 50) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) of about span / bins."""
    raw = max(span, 1e-9) / bins
    power = 10.0 ** np.floor(np.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9)))


def timeline(
    commands: pd.DataFrame,
    events: pd.DataFrame | None = None,
    scenario: Any = None,
    horizon: float | None = None,
    bin: float | None = None,
    title: str | None = None,
    log: bool | None = None,
) -> Figure:
    """The picture of a failover: one kv run over simulated time.

    Top: throughput, the commands completed in each time bin (by the time of their
    reply), per second. Bottom: every command's latency at the time of its reply (those
    their client sent again, after its request timeout or a redirect, stand out; those
    with no reply by the end of the run are drawn at the end, at the latency they had
    reached). On both: the outages of every node and the partitions of `scenario` (a
    `Scenario`) as shaded spans, and, from the run's trace `events` (`events.parquet`,
    `Batch.events` or `simulate(..., trace=True).trace`; only the events of the run's
    seed are used), every node that comes to lead (solid line) or steps down (dotted).
    Without events, or without a scenario, the figure says what it cannot show.

    `commands` holds the rows of one run (`commands.parquet`); `horizon` defaults to the
    scenario's, else the last time in the data; `bin` to a round horizon / 50. The latency
    axis is logarithmic when the latencies span two decades or more (`log` forces it)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    runs = commands[["scenario", "seed", "run"]].drop_duplicates()
    if len(runs) != 1:
        raise ValueError(f"a timeline is of one run; got {len(runs)} runs")
    name, seed, run = runs.iloc[0]
    if horizon is None:
        times = commands[["submitted_at", "responded_at"]].to_numpy(dtype=float)
        horizon = (
            float(scenario.horizon) if scenario is not None else float(np.nanmax(times))
        )  # a command is submitted at 0 at the latest: no all-NaN table
    width = bin if bin is not None else nice_bin(horizon)
    scale, unit = _time_unit(horizon)
    fig = Figure(figsize=(13, 7.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1.4))
    both = (top, bottom)

    done = commands[commands["responded_at"].notna()]
    edges = np.arange(0.0, horizon + width, width)
    rate = np.histogram(done["responded_at"], bins=edges)[0] / width
    top.stairs(rate, edges, fill=True, color="tab:blue", alpha=0.6, gid="throughput")
    top.set_ylabel(f"completed commands / s\n(replies per {duration_label(width)} bin)")
    top.set_ylim(0, max(1.0, float(rate.max()) * 1.3))

    retried = done["retries"] > 0
    pending = commands[commands["responded_at"].isna()]
    waited = horizon - pending["submitted_at"].to_numpy(dtype=float)
    bottom.plot(
        done.loc[~retried, "responded_at"],
        done.loc[~retried, "latency"],
        ".",
        color="tab:blue",
        markersize=3,
        alpha=0.6,
        gid="latency",
    )
    bottom.plot(
        done.loc[retried, "responded_at"],
        done.loc[retried, "latency"],
        ".",
        color="tab:orange",
        markersize=5,
        gid="retried",
    )
    bottom.plot(
        np.full(len(pending), horizon),
        waited,
        "^",
        color="tab:red",
        markersize=7,
        clip_on=False,
        gid="no reply",
    )
    latencies = np.r_[done["latency"].to_numpy(dtype=float), waited]
    positive = latencies[latencies > 0]
    log = (_spans_decades(latencies) if log is None else log) and len(positive) > 0
    if log:
        bottom.set_yscale("log")
        bottom.set_ylim(positive.min() / 1.5, positive.max() * 1.5)
    else:
        bottom.set_ylim(0, max(float(latencies.max()) * 1.1 if len(latencies) else 0, 1e-3))
    y_unit = _time_axis(bottom.yaxis, log, bottom.get_ylim()[1])
    bottom.set_ylabel(
        "latency, submission to reply" + (f" ({y_unit})" if y_unit else "") + "\nat reply time"
    )

    handles = [
        Patch(color="tab:blue", alpha=0.6, label="completed per second (top)"),
        Line2D([], [], marker=".", linestyle="none", color="tab:blue", label="a command"),
    ]
    if retried.any():
        handles.append(
            Line2D(
                [],
                [],
                marker=".",
                linestyle="none",
                color="tab:orange",
                markersize=8,
                label="a command its client sent again",
            )
        )
    if len(pending):
        handles.append(
            Line2D(
                [],
                [],
                marker="^",
                linestyle="none",
                color="tab:red",
                label="no reply by the end: latency so far",
            )
        )
    notes = []
    if scenario is None:
        notes.append("crashes, restarts and partitions not shown: no scenario")
    else:
        handles += _mark_faults(scenario, horizon, top, both)
    if scenario is not None and scenario.protocol.strategy == "leaderless":
        notes.append("leaderless: no leader to change")
    elif events is None:
        notes.append("leader changes not shown: they need the run's trace (--trace)")
    else:
        if "seed" in events:  # the events of many runs: keep this one's (its seed's, so
            events = events[events["seed"] == seed]  # a run traced alone, as run 0, fits)
        handles += _mark_leaders(events, horizon, top, both)
        if not (events["event"] == "LeadershipChanged").any():
            notes.append("no leader change in the trace")

    for ax in both:
        ax.set_xlim(0, horizon)
        ax.grid(alpha=0.3)
    bottom.xaxis.set_major_formatter(_scaled(scale))
    bottom.set_xlabel(f"simulated time ({unit})")
    heading = title or (
        f"{name}, run {run} (seed {seed}): {len(done)}/{len(commands)} commands completed"
    )
    top.set_title("\n".join([heading, *(["; ".join(notes)] if notes else [])]))
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize="small")
    return fig


def _mark_faults(scenario: Any, horizon: float, top: Axes, axes: tuple[Axes, ...]) -> list:
    """Shade every outage of a node (crash to restart) and every partition; legend handles."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from paxossim.sim.faults import outages

    crashes = restarts = False
    for node, spans in outages(list(scenario.faults)).items():
        who = f"node {node}" if node < scenario.cluster.nodes else f"client {node}"
        for start, end in spans:
            if start >= horizon:
                continue
            crashes = True
            for ax in axes:
                ax.axvspan(
                    start, min(end, horizon), color="0.5", alpha=0.2, linewidth=0, gid="down"
                )
                ax.axvline(start, color="tab:red", linewidth=1.2, gid="crash")
                if end < horizon:
                    restarts = True
                    ax.axvline(end, color="tab:green", linewidth=1.2, gid="restart")
            top.annotate(
                f"{who} down",
                (start, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                fontsize="small",
                color="tab:red",
            )
    handles = []
    if crashes:
        handles += [
            Patch(color="0.5", alpha=0.2, label="node down (crash to restart)"),
            Line2D([], [], color="tab:red", label="crash"),
        ]
    if restarts:
        handles.append(Line2D([], [], color="tab:green", label="restart"))
    partitions = [p for p in scenario.network.partitions if p.start < horizon]
    for part in partitions:
        end = horizon if part.end is None else min(part.end, horizon)
        for ax in axes:
            ax.axvspan(
                part.start,
                end,
                facecolor="none",
                edgecolor="tab:purple",
                hatch="//",
                alpha=0.5,
                linewidth=0,
                gid="partition",
            )
    if partitions:
        handles.append(
            Patch(facecolor="none", edgecolor="tab:purple", hatch="//", label="partition")
        )
    return handles


def _mark_leaders(events: pd.DataFrame, horizon: float, top: Axes, axes: tuple[Axes, ...]) -> list:
    """A line where a node comes to lead (labelled) or steps down; legend handles. Labels
    of claims close in time go one under the other."""
    from matplotlib.lines import Line2D

    changes = events[events["event"] == "LeadershipChanged"].sort_values("time", kind="stable")
    leads = changes["detail"].str.startswith("leads")
    scale, unit = _time_unit(horizon)
    last, row_of_label = -math.inf, 0
    for (_, row), leading in zip(changes.iterrows(), leads, strict=True):
        for ax in axes:
            ax.axvline(
                float(row["time"]),
                color="tab:purple",
                linestyle="-" if leading else ":",
                linewidth=1.4,
                gid="leads" if leading else "steps down",
            )
        if leading:
            term = str(row["detail"]).rsplit(" ", 1)[-1]
            row_of_label = row_of_label + 1 if row["time"] - last < 0.15 * horizon else 0
            last = float(row["time"])
            at = f"{last * scale:.{3 if unit == 's' else 1}f} {unit}"
            top.annotate(
                f"node {int(row['node'])} leads in term {term} at {at}",
                (last, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -24 - 12 * row_of_label),
                textcoords="offset points",
                fontsize="small",
                color="tab:purple",
            )
    handles = []
    if leads.any():
        handles.append(Line2D([], [], color="tab:purple", label="a node comes to lead (trace)"))
    if not leads.all():
        handles.append(
            Line2D([], [], color="tab:purple", linestyle=":", label="a leader steps down (trace)")
        )
    return handles


def _scaled(scale: float) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v * scale:g}")
