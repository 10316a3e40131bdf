"""Headline numbers of a table of runs, as a DataFrame and as text for the terminal."""

import numpy as np
import pandas as pd

from paxossim.observe.record import RunRecord

PERCENTILES = (50, 90, 99)


def _percentile(values: pd.Series, p: float) -> float:
    """Empirical (inverted CDF): a value some run really had; NaN for no runs."""
    return float(np.percentile(values, p, method="inverted_cdf")) if len(values) else np.nan


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: chosen and livelock shares, ballots and latency percentiles
    (over the runs that chose / learned), messages per run and per decision, safety."""
    rows = []
    for name, df in runs.groupby("scenario", sort=False):
        chosen = df[df["chosen"]]
        row = {
            "scenario": name,
            "strategy": df["strategy"].iloc[0],
            "proposers": int(df["proposers"].iloc[0]),
            "backoff": df["backoff"].iloc[0],
            "loss": float(df["loss"].iloc[0]),
            "runs": len(df),
            "chosen_pct": 100.0 * df["chosen"].mean(),
            "learned_pct": 100.0 * df["learned_at"].notna().mean(),
            "livelock_pct": 100.0 * df["livelock"].mean(),
            "ballots_mean": df["ballots"].mean(),
            "messages_mean": df["messages_sent"].mean(),
            "messages_per_decision": chosen["messages_to_choose"].mean() if len(chosen) else np.nan,
            "truncated_runs": int(df["truncated"].sum()) if "truncated" in df else 0,
            "unsafe_runs": int((df["safety_violations"] > 0).sum()),
            "safety_violations": int(df["safety_violations"].sum()),
            "kv": bool("commands" in df and df["commands"].notna().any()),
        }
        if row["kv"]:  # the log's own numbers, over runs (the synod columns are slot 0's)
            row["completed_pct"] = 100.0 * df["completed"].sum() / max(1, df["commands"].sum())
            row["throughput_median"] = float(df["throughput"].median())
            row["command_latency_p50_median"] = float(df["latency_p50"].median())
            row["linearizable_runs"] = int(df["linearizable"].fillna(False).astype(bool).sum())
        for col, values in (
            ("ballots", df["ballots"]),
            ("chosen_at", chosen["chosen_at"]),
            ("learned_at", df["learned_at"].dropna()),
        ):
            for p in PERCENTILES:
                row[f"{col}_p{p}"] = _percentile(values, p)
        rows.append(row)
    return pd.DataFrame(rows)


def _ms(seconds: float) -> str:
    """A time for people: milliseconds below a second, seconds above."""
    if np.isnan(seconds):
        return "-"
    return f"{seconds * 1e3:.3g} ms" if seconds < 0.9995 else f"{seconds:.3g} s"


def format_summary(row: pd.Series) -> str:
    pct = " ".join(f"p{p} {{}}" for p in PERCENTILES)
    unsafe = f" (in {row['unsafe_runs']} runs)" if row["unsafe_runs"] else ""
    lines = [
        f"{row['scenario']}: {row['runs']} runs",
        ("  slot 0 " if row.get("kv") else "  ")
        + f"chosen {row['chosen_pct']:.1f}%   learned by all up {row['learned_pct']:.1f}%   "
        f"livelock {row['livelock_pct']:.1f}%   "
        f"safety violations {row['safety_violations']}{unsafe}",
        "  ballots         " + pct.format(*(f"{row[f'ballots_p{p}']:g}" for p in PERCENTILES)),
        ("  slot 0 chosen   " if row.get("kv") else "  time to choose  ")
        + pct.format(*(_ms(row[f"chosen_at_p{p}"]) for p in PERCENTILES)),
        ("  slot 0 learned  " if row.get("kv") else "  time to learn   ")
        + pct.format(*(_ms(row[f"learned_at_p{p}"]) for p in PERCENTILES)),
        f"  messages/run    {row['messages_mean']:.1f}",
    ]
    truncated = row.get("truncated_runs", 0)
    if truncated:
        lines.insert(
            2,
            f"  truncated       {truncated} of {row['runs']} runs spent their event budget "
            "(max_events) before the horizon: their outcome is cut short",
        )
    return "\n".join(lines)


def format_commands(commands: pd.DataFrame, runs: pd.DataFrame) -> str:
    """A kv scenario's client commands over all its runs: per-command latency, throughput,
    and how the histories fared."""
    done = commands["latency"].dropna()
    pct = "   ".join(f"p{p} {_ms(_percentile(done, p))}" for p in (50, 90, 99))
    throughput = runs["throughput"].dropna()
    verdicts = runs["linearizable"]
    checked = f"{int(verdicts.sum())} of {len(runs)} runs linearizable" + (
        f", {int(verdicts.isna().sum())} not decided" if verdicts.isna().any() else ""
    )
    return "\n".join(
        [
            f"  commands        {len(done)} of {len(commands)} completed   {checked}",
            f"  latency         {pct}  (per completed command)",
            "  throughput      "
            + (
                f"{throughput.median():.1f} commands/s (median over runs)"
                if len(throughput)
                else "-"
            ),
        ]
    )


def format_comparison(table: pd.DataFrame) -> str:
    """The comparison as one aligned text table, times in milliseconds."""
    view = pd.DataFrame(
        {
            "scenario": table["scenario"],
            "strategy": table["strategy"],
            "prop": table["proposers"],
            "chosen%": table["chosen_pct"].map("{:.1f}".format),
            "livelock%": table["livelock_pct"].map("{:.1f}".format),
            "ballots": table["ballots_mean"].map("{:.2f}".format),
            "ballots p99": table["ballots_p99"].map("{:g}".format),
            **{
                f"choose p{p} ms": (table[f"chosen_at_p{p}"] * 1e3).map("{:.1f}".format)
                for p in PERCENTILES
            },
            "msgs/decision": table["messages_per_decision"].map("{:.1f}".format),
            "unsafe": table["unsafe_runs"],
        }
    )
    if "truncated_runs" in table and table["truncated_runs"].any():
        view.insert(len(view.columns) - 1, "truncated", table["truncated_runs"])
    kv = table["kv"] if "kv" in table else pd.Series(False, index=table.index)
    if not kv.any():
        return view.replace("nan", "-").to_string(index=False)
    view.insert(len(view.columns) - 1, "done%", table["completed_pct"].map("{:.1f}".format))
    view.insert(len(view.columns) - 1, "cmds/s", table["throughput_median"].map("{:.1f}".format))
    view.insert(
        len(view.columns) - 1,
        "cmd p50 ms",
        (table["command_latency_p50_median"] * 1e3).map("{:.1f}".format),
    )
    view.insert(len(view.columns) - 1, "lin.", table["linearizable_runs"].map("{:.0f}".format))
    note = (
        "\nkv scenarios: chosen%, livelock%, choose and msgs/decision describe slot 0 of the log "
        "(ballots count the whole run); done% is the share of commands answered, cmds/s and "
        "cmd p50 the medians over runs, lin. the runs found linearizable"
    )
    return view.replace("nan", "-").to_string(index=False) + note


def describe_run(name: str, seed: int, record: RunRecord) -> str:
    """One line on one run: what it chose, when, with how many ballots and messages (a
    log: how many slots and commands)."""
    if record.commands is not None:
        verdict = {
            True: "linearizable",
            False: "NOT linearizable",
            None: "linearizability not decided",
        }
        outcome = (
            f"{record.slots_chosen} slots chosen, {record.completed} of {record.commands} "
            f"commands completed, {verdict[record.linearizable]}"
        )
    elif record.chosen:
        outcome = f"chose {record.value} at {record.chosen_at * 1e3:.1f} ms"
    else:
        outcome = "chose nothing"
    cut = f", truncated after {record.events} events (max_events)" if record.truncated else ""
    return (
        f"{name}, seed {seed}: {outcome}, {record.ballots} ballots, "
        f"{record.messages_sent} messages{cut}"
    )
