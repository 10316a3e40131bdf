"""`paxossim report`: run the curated experiments, write the headline figures, tables
and an index.md that says in a paragraph what each shows.

The experiments: the livelock study (`scenarios/livelock/`), and `scenarios/report/`:
latency under four delay distributions, a distinguished leader with and without a crash.
Every number quoted in the text is computed from the runs just made.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from paxossim import plots
from paxossim.experiment import compare
from paxossim.results import atomic_write, save_figure, write_table
from paxossim.scenario import Scenario, load_scenario
from paxossim.sim.world import simulate
from paxossim.summary import summarize


@dataclass(frozen=True)
class Section:
    title: str
    figure: str
    paragraph: str
    table: pd.DataFrame | None = None


def build_report(
    scenarios: Path,
    out: Path,
    runs: int | None = None,
    workers: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> Path:
    """Run everything and write `out/index.md` with its figures; returns index.md's path."""
    livelock = _load(scenarios / "livelock")
    latency = _load(scenarios / "report", "latency-*.toml")
    leader = _load(scenarios / "report", "leader-*.toml")
    progress(f"livelock study: {len(livelock)} scenarios")
    livelock_runs = _runs(livelock, runs, workers)
    progress(f"latency: {len(latency)} scenarios; leader crash: {len(leader)} scenarios")
    latency_runs = _runs(latency, runs, workers)
    leader_runs = _runs(leader, runs, workers)

    sections = [
        _livelock_section(livelock_runs, out),
        _rounds_section(livelock_runs, out),
        _duel_section(scenarios / "livelock" / "leaderless-none-5p-clean.toml", out),
        _latency_section(latency_runs, out),
        _leader_section(leader_runs, out),
    ]
    all_runs = pd.concat([livelock_runs, latency_runs, leader_runs], ignore_index=True)
    write_table(summarize(all_runs), out / "summary.parquet")
    index = out / "index.md"
    atomic_write(index, lambda tmp: tmp.write_text(_markdown(sections, all_runs)))
    return index


def _load(folder: Path, pattern: str = "*.toml") -> list[Scenario]:
    files = sorted(folder.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no scenarios {pattern} in {folder}")
    return [load_scenario(f) for f in files]


def _runs(scenarios: list[Scenario], runs: int | None, workers: int) -> pd.DataFrame:
    return pd.concat([b.runs for b in compare(scenarios, runs, None, workers)], ignore_index=True)


def _share(runs: pd.DataFrame, scenario: str, column: str) -> float:
    rows = runs.loc[runs["scenario"] == scenario, column]
    if rows.empty:
        raise FileNotFoundError(f"the report needs the scenario {scenario!r}, which is missing")
    return 100.0 * rows.mean()


# -- sections ---------------------------------------------------------------------------


def _livelock_section(runs: pd.DataFrame, out: Path) -> Section:
    save_figure(plots.livelock(runs), out / "livelock.png")
    summary = summarize(runs)
    table = pd.DataFrame(
        {
            "scenario": summary["scenario"],
            "chosen %": summary["chosen_pct"],
            "livelock %": summary["livelock_pct"],
            "ballots (mean)": summary["ballots_mean"],
            "chosen p50 ms": summary["chosen_at_p50"] * 1e3,
            "chosen p99 ms": summary["chosen_at_p99"] * 1e3,
            "messages per decision": summary["messages_per_decision"],
        }
    )
    none5 = _share(runs, "leaderless-none-5p-clean", "livelock")
    few = runs[
        (runs["strategy"] == "leaderless")
        & (runs["backoff"] == "none")
        & (runs["proposers"] < 5)
        & (runs["loss"] == 0)
    ]
    lossy5 = _share(runs, "leaderless-none-5p-lossy", "livelock")
    rand5 = _share(runs, "leaderless-random-5p-clean", "chosen")
    lead = runs[runs["strategy"] == "leader"]
    paragraph = (
        f"Five leaderless proposers that retry without backoff livelocked in {none5:.0f} % of "
        f"runs on the clean network: started one message delay apart, each proposer's prepare "
        f"overtakes the previous one's accept, and without nacks the loser notices only at its "
        f"retry timeout, just in time to overtake the next. With two or three proposers the "
        f"rotation has gaps: {100 * few['livelock'].mean():.0f} % livelocked, with "
        f"{few['ballots'].mean():.1f} ballots on average. Random backoff breaks the lock step "
        f"({rand5:.0f} % chosen with five proposers); on the 5 %-lossy network lost messages "
        f"jitter the rounds, and the no-backoff setting livelocked in {lossy5:.0f} % of runs. "
        f"A distinguished leader chose in {100 * lead['chosen'].mean():.0f} % of runs with "
        f"{lead['ballots'].mean():.2f} ballots on average."
    )
    return Section("Leader vs leaderless livelock", "livelock.png", paragraph, table)


def _rounds_section(runs: pd.DataFrame, out: Path) -> Section:
    five = runs[runs["proposers"] == 5]
    save_figure(plots.rounds(five), out / "rounds.png")
    chosen = five[five["chosen"]].groupby("scenario")["ballots"]
    worst = chosen.median().idxmax()
    medians = chosen.median()
    leader = medians[[n for n in medians.index if n.startswith("leader-")]]
    paragraph = (
        f"Ballots per decision with five proposers, over the runs that chose. With a leader "
        f"the median is {leader.max():g} ballot(s); the most, {medians[worst]:g} at the median, "
        f"were needed by {worst}."
    )
    return Section("Rounds per decision", "rounds.png", paragraph)


def _duel_section(path: Path, out: Path) -> Section:
    scenario = load_scenario(path)
    seed = next(
        (
            s
            for s in range(scenario.seed, scenario.seed + 50)
            if simulate(scenario, s).record.livelock
        ),
        scenario.seed,
    )
    result = simulate(scenario, seed, trace=True)
    until = 0.12
    save_figure(
        plots.spacetime(
            result.trace,
            scenario.cluster.nodes,
            scenario.roles,
            until,
            f"{scenario.name}, seed {seed}: the first {until * 1e3:g} ms",
        ),
        out / "duel.png",
    )
    rec = result.record
    kind = "livelocked run" if rec.livelock else "run"
    paragraph = (
        f"The first {until * 1e3:g} ms of a {kind} ({scenario.name}, seed "
        f"{seed}: {rec.ballots} ballots, {rec.preemptions} preemptions and "
        f"{'a choice at %.0f ms' % (rec.chosen_at * 1e3) if rec.chosen else 'no choice'} in "
        f"{scenario.horizon:g} s). Each colour is a ballot: thin arrows are prepares and "
        f"promises, thick ones accepts; each new ballot's prepares reach the acceptors just "
        f"before the previous ballot's accepts, which are then refused."
    )
    return Section("A duel, drawn", "duel.png", paragraph)


def _latency_section(runs: pd.DataFrame, out: Path) -> Section:
    save_figure(plots.latency(runs, "chosen_at", log=True), out / "latency.png")
    summary = summarize(runs).set_index("scenario").sort_index()
    table = pd.DataFrame(
        {
            "chosen p50 ms": summary["chosen_at_p50"] * 1e3,
            "chosen p90 ms": summary["chosen_at_p90"] * 1e3,
            "chosen p99 ms": summary["chosen_at_p99"] * 1e3,
            "learned p50 ms": summary["learned_at_p50"] * 1e3,
        }
    ).reset_index()
    med = table.set_index("scenario")["chosen p50 ms"]
    retried = runs[runs["ballots"] > 1]
    retry_text = (
        f"Runs that needed a second ballot ({100 * len(retried) / len(runs):.1f} % of them) "
        f"paid a 100 ms retry timeout plus backoff: {retried['chosen_at'].median() * 1e3:.0f} ms "
        f"at the median."
        if len(retried)
        else "No run needed a second ballot."
    )
    paragraph = (
        f"Time to choose with one proposer, 5 % loss and message delays of mean 10 ms. A value "
        f"is chosen once the third of five accepts lands, three one-way delays after the start: "
        f"exactly 30 ms with constant delays (median {med['latency-constant']:.1f} ms), but "
        f"less with spread-out delays, because a quorum waits only for the fastest three "
        f"acceptors (median {med['latency-exponential']:.1f} ms exponential, "
        f"{med['latency-lognormal']:.1f} ms lognormal), while the slow ones stretch the tail. "
        f"{retry_text} Percentiles are empirical: each is a time some run had."
    )
    return Section("Latency across delay distributions", "latency.png", paragraph, table)


def _leader_section(runs: pd.DataFrame, out: Path) -> Section:
    save_figure(plots.latency(runs, "chosen_at", log=True), out / "leader-crash.png")
    crash = runs[runs["scenario"] == "leader-crash"]
    steady = runs[runs["scenario"] == "leader-steady"]
    paragraph = (
        f"A distinguished leader that crashes 5 ms in. The followers notice after the 250 ms "
        f"election timeout plus up to 250 ms of jitter; the time without a live leader was "
        f"{crash['leaderless_time'].median() * 1e3:.0f} ms at the median, and "
        f"{100 * (crash['leader_changes'] > 1).mean():.0f} % of runs saw more than one claim "
        f"(two followers timing out together). The value was chosen at a median of "
        f"{crash['chosen_at'].median() * 1e3:.0f} ms against "
        f"{steady['chosen_at'].median() * 1e3:.0f} ms without the crash."
    )
    return Section("A leader crash", "leader-crash.png", paragraph)


# -- markdown ---------------------------------------------------------------------------


def _markdown(sections: list[Section], runs: pd.DataFrame) -> str:
    lines = [
        "# paxossim report",
        "",
        "Made by `paxossim report` from the scenarios in `scenarios/livelock/` and "
        f"`scenarios/report/`: {runs['scenario'].nunique()} scenarios, {len(runs)} runs, "
        f"{int(runs['safety_violations'].sum())} safety violations. Figures and numbers are "
        "regenerated by running the command again; the same seeds give the same report.",
        "",
    ]
    for s in sections:
        lines += [f"## {s.title}", "", f"![{s.title}]({s.figure})", "", s.paragraph, ""]
        if s.table is not None:
            lines += [_table(s.table), ""]
    return "\n".join(lines)


def _table(df: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}"
        return str(v)

    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in df.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows])
