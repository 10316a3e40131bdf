"""A picture of a linearizability violation: why a history fails, at a glance.

One lane per client (process), each operation of the failing key a bar from its invocation
to its response (an operation that never returned runs to the right edge, hatched). The
operations of the smallest sub-history that is still not linearizable are drawn in colour
and labelled, the culprit (whose response no linearization explains) in red; the others are
grey. A dashed line marks where the longest linearizable prefix ends: the first `prefix`
operations, by call, are linearizable as the history stood just before the next call.
Histories of a key with many operations are drawn around the minimal sub-history only.
"""

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from paxossim.lincheck.history import Op
from paxossim.lincheck.search import NOT_LINEARIZABLE, CheckResult
from paxossim.results import save_figure

GREY, MINIMAL, CULPRIT = "#c8c8c8", "#4c72b0", "#d62728"
MAX_DRAWN = 150  # beyond this many operations, draw only around the minimal sub-history


def describe(op: Op) -> str:
    """`get('k') -> 'x'`, `cas(1, 2) -> ok`, `write(3)`; `-> ?` for no response."""
    args = [] if op.key is None else [repr(op.key)]
    if op.f == "cas":
        args += [repr(op.value[0]), repr(op.value[1])]
    elif op.value is not None:
        args.append(repr(op.value))
    text = f"{op.f}({', '.join(args)})"
    if op.ret is None:
        return text + " -> ?"
    if op.f == "cas":
        return text + (" -> ok" if op.result else " -> fail")
    if op.f in ("get", "read"):
        return text + f" -> {op.result!r}"
    return text


def draw_violation(
    ops: Sequence[Op], result: CheckResult, path: str | Path, title: str = ""
) -> Path:
    """Draw `result` (a "not linearizable" verdict on `ops`) into `path` (PNG or SVG)."""
    if result.verdict != NOT_LINEARIZABLE:
        raise ValueError(f"nothing to draw: the verdict is {result.verdict!r}")
    key_ops = sorted(
        (op for op in ops if result.key is None or op.key == result.key), key=lambda op: op.call
    )
    minimal = set(result.minimal or ())
    boundary = None
    if result.prefix is not None and result.prefix < len(key_ops):
        boundary = key_ops[result.prefix].call
    shown = key_ops
    if len(key_ops) > MAX_DRAWN and minimal:
        low = min(op.call for op in minimal)
        high = max(op.ret if op.ret is not None else op.call for op in minimal)
        shown = [op for op in key_ops if op.call <= high and (op.ret is None or op.ret >= low)]
        shown = sorted(set(shown) | minimal, key=lambda op: op.call)
    finite = [op.ret for op in shown if op.ret is not None] + [op.call for op in shown]
    left, right = min(finite), max(finite)
    span = (right - left) or 1.0
    right_edge = right + 0.08 * span
    lanes = sorted({op.process for op in shown})
    lane = {p: i for i, p in enumerate(lanes)}
    height = 1.8 + 0.5 * len(lanes)
    figure = Figure(figsize=(12, height), layout="constrained")
    ax = figure.add_subplot()
    for op in shown:
        start = op.call
        end = op.ret if op.ret is not None else right_edge
        colour = CULPRIT if op == result.culprit else MINIMAL if op in minimal else GREY
        ax.barh(
            lane[op.process],
            max(end - start, 0.004 * span),
            left=start,
            height=0.5,
            color=colour,
            edgecolor="black" if op in minimal else "none",
            linewidth=0.8,
            hatch="//" if op.ret is None else None,
            alpha=1.0 if op in minimal else 0.7,
        )
        if op in minimal:
            ax.annotate(
                describe(op),
                (start, lane[op.process] - 0.3),
                fontsize=8,
                color=colour,
                va="bottom",
                annotation_clip=False,
                bbox=dict(
                    boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8
                ),
            )
    if boundary is not None:
        ax.axvline(boundary, color="#2ca02c", linestyle="--", linewidth=1.2)
        ax.annotate(
            f"longest linearizable prefix: {result.prefix} ops",
            (boundary, len(lanes) - 0.3),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="#2ca02c",
        )
    ax.set_yticks(range(len(lanes)), [f"client {p}" for p in lanes])
    ax.set_ylim(-0.8, len(lanes) - 0.1)
    ax.set_xlim(left - 0.02 * span, right_edge)
    ax.invert_yaxis()
    ax.set_xlabel("time (invocation to response)")
    where = "" if result.key is None else f", key {result.key!r}"
    heading = f"not linearizable{where}: {len(key_ops)} operations"
    if len(shown) < len(key_ops):
        heading += f" ({len(shown)} drawn, around the minimal sub-history)"
    ax.set_title(f"{title}\n{heading}" if title else heading, fontsize=10)
    ax.legend(
        handles=[
            Patch(color=CULPRIT, label="culprit"),
            Patch(color=MINIMAL, label="minimal sub-history"),
            Patch(color=GREY, label="other operations"),
            Patch(facecolor="white", edgecolor="black", hatch="//", label="no response"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
    )
    save_figure(figure, path)
    return Path(path)
