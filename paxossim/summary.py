"""Headline numbers of a table of runs, as a DataFrame and as text for the terminal."""

import numpy as np
import pandas as pd

PERCENTILES = (50, 90, 99)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: chosen and livelock shares, ballots and latency percentiles
    (over the runs that chose / learned), messages per run, safety violations.

    Percentiles are empirical (inverted CDF): each is a value some run really had."""
    rows = []
    for name, df in runs.groupby("scenario", sort=False):
        row = {
            "scenario": name,
            "runs": len(df),
            "chosen_pct": 100.0 * df["chosen"].mean(),
            "learned_pct": 100.0 * df["learned_at"].notna().mean(),
            "livelock_pct": 100.0 * df["livelock"].mean(),
            "messages_mean": df["messages_sent"].mean(),
            "safety_violations": int(df["safety_violations"].sum()),
        }
        for col, values in (
            ("ballots", df["ballots"]),
            ("chosen_at", df["chosen_at"].dropna()),
            ("learned_at", df["learned_at"].dropna()),
        ):
            for p in PERCENTILES:
                row[f"{col}_p{p}"] = (
                    float(np.percentile(values, p, method="inverted_cdf")) if len(values) else np.nan
                )
        rows.append(row)
    return pd.DataFrame(rows)


def _ms(seconds: float) -> str:
    return "-" if np.isnan(seconds) else f"{seconds * 1e3:.3g} ms"


def format_summary(row: pd.Series) -> str:
    pct = " ".join(f"p{p} {{}}" for p in PERCENTILES)
    lines = [
        f"{row['scenario']}: {row['runs']} runs",
        f"  chosen {row['chosen_pct']:.1f}%   learned by all {row['learned_pct']:.1f}%   "
        f"livelock {row['livelock_pct']:.1f}%   safety violations {row['safety_violations']}",
        "  ballots         " + pct.format(*(f"{row[f'ballots_p{p}']:g}" for p in PERCENTILES)),
        "  time to choose  " + pct.format(*(_ms(row[f"chosen_at_p{p}"]) for p in PERCENTILES)),
        "  time to learn   " + pct.format(*(_ms(row[f"learned_at_p{p}"]) for p in PERCENTILES)),
        f"  messages/run    {row['messages_mean']:.1f}",
    ]
    return "\n".join(lines)
