"""`paxossim report`: run the curated experiments, write the headline figures, tables
and an index.md that says in a paragraph what each shows.

The experiments: the livelock study (`scenarios/livelock/`), and `scenarios/report/`:
latency under four delay distributions, a distinguished leader with and without a crash.

The text restates nothing by hand, so that it stays true when a scenario file changes:
every parameter it quotes (delays, loss, timeouts, backoff, crash time, proposer and run
counts) is read from the Scenario objects as run, every outcome (shares, medians, who won
the duel) is computed from the runs just made, and every claim in words ("breaks the lock
step", "the duel ended when ...") is one of two sentences, chosen by what the numbers say.
Shares are compared by their 95 % Wilson intervals, so that a claim of a difference is not
made on the noise of a few runs.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from paxossim import plots
from paxossim.distributions import (
    Constant,
    ExponentialBackoff,
    FixedBackoff,
    LogNormal,
    RandomBackoff,
    Uniform,
)
from paxossim.experiment import compare
from paxossim.results import atomic_write, save_figure, write_table
from paxossim.scenario import Scenario, load_scenario
from paxossim.sim.world import RunResult, simulate
from paxossim.summary import summarize

#: One-way delays from a proposer's start to the choice on an undisturbed first ballot:
#: its prepare, the promise back, its accept (Paxos itself, not a scenario parameter).
DELAYS_TO_CHOOSE = 3


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
    folders = (scenarios / "livelock", scenarios / "report")
    livelock = _load(folders[0])
    latency = _load(folders[1], "latency-*.toml")
    leader = _load(folders[1], "leader-*.toml")
    progress(f"livelock study: {len(livelock)} scenarios")
    livelock, livelock_runs = _runs(livelock, runs, workers)
    progress(f"latency: {len(latency)} scenarios; leader crash: {len(leader)} scenarios")
    latency, latency_runs = _runs(latency, runs, workers)
    leader, leader_runs = _runs(leader, runs, workers)

    sections = [
        _livelock_section(livelock, livelock_runs, out),
        _rounds_section(livelock, livelock_runs, out),
        _duel_section(headline(livelock, livelock_runs), livelock_runs, out),
        _latency_section(latency, latency_runs, out),
        _leader_section(leader, leader_runs, out),
    ]
    all_runs = pd.concat([livelock_runs, latency_runs, leader_runs], ignore_index=True)
    write_table(summarize(all_runs), out / "summary.parquet")
    index = out / "index.md"
    text = _markdown(sections, all_runs, folders)
    atomic_write(index, lambda tmp: tmp.write_text(text))
    return index


def _load(folder: Path, pattern: str = "*.toml") -> list[Scenario]:
    files = sorted(folder.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no scenarios {pattern} in {folder}")
    return [load_scenario(f) for f in files]


def _runs(
    scenarios: list[Scenario], runs: int | None, workers: int
) -> tuple[list[Scenario], pd.DataFrame]:
    """The scenarios as run (run count and seed as `compare` set them) and their rows: the
    text quotes the former, so it never describes a file's settings that were overridden."""
    batches = compare(scenarios, runs, None, workers)
    return [b.scenario for b in batches], pd.concat([b.runs for b in batches], ignore_index=True)


# -- words and numbers --------------------------------------------------------------------

_NUMBERS = "zero one two three four five six seven eight nine ten".split()
_ORDINALS = "zeroth first second third fourth fifth sixth seventh eighth ninth tenth".split()


def _count(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def _ordinal(n: int) -> str:
    if 0 <= n < len(_ORDINALS):
        return _ORDINALS[n]
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _either(items: Iterable[str], word: str = "or") -> str:
    """ "a", "a or b", "a, b or c"; repeated items once."""
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _dur(seconds: float) -> str:
    """A scenario's time as people write it: "5 ms", "250 ms", "2 s"."""
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _ms(seconds: float, digits: int = 1) -> str:
    """A measured time in milliseconds, to a tenth by default."""
    return f"{seconds * 1e3:.{digits}f} ms"


def _percent(p: float) -> str:
    return f"{p * 100:.3g} %"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Share:
    """k of n runs. Printed as a whole percentage that shows 0 % and 100 % only when it
    is exactly that, so that "0 % livelocked" never hides a livelocked run."""

    k: int
    n: int

    @classmethod
    def of(cls, flags: pd.Series) -> "Share":
        return cls(int(flags.sum()), len(flags))

    def __str__(self) -> str:
        p = 100 * self.k / self.n if self.n else np.nan
        if self.k in (0, self.n):
            return f"{p:.0f} %"
        return "under 1 %" if p < 0.5 else "over 99 %" if p > 99.5 else f"{p:.0f} %"

    def below(self, other: "Share") -> bool:
        """Clearly smaller: the 95 % Wilson intervals do not overlap."""
        return plots.wilson_interval(self.k, self.n)[1] < plots.wilson_interval(other.k, other.n)[0]


def _share(runs: pd.DataFrame, names: Iterable[str], column: str) -> Share:
    return Share.of(runs.loc[runs["scenario"].isin(list(names)), column])


def _rows(runs: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    return runs[runs["scenario"] == s.name]


def _delay(s: Scenario) -> str:
    """How long messages take, for "messages take ..."."""
    d = s.network.delay
    if isinstance(d, Constant):
        return _dur(d.value)
    if isinstance(d, Uniform):
        return f"between {_dur(d.low)} and {_dur(d.high)}"
    if isinstance(d, LogNormal):
        return f"a median of {_dur(d.median)} (lognormal, sigma {d.sigma:g})"
    return f"{_dur(d.mean)} on average (exponential)"


def _backoff(s: Scenario) -> str:
    """The wait after an abandoned ballot, as an object: "a random backoff of up to 50 ms"."""
    b = s.protocol.backoff
    if isinstance(b, FixedBackoff):
        return f"a fixed backoff of {_dur(b.delay)}"
    if isinstance(b, RandomBackoff):
        return f"a random backoff of up to {_dur(b.max)}"
    if isinstance(b, ExponentialBackoff):
        return f"an exponential backoff (base {_dur(b.base)}, cap {_dur(b.cap)})"
    return "no backoff"


def _network(s: Scenario) -> str:
    loss = s.network.loss
    return (
        "a network without loss"
        if loss == 0
        else f"a network that loses {_percent(loss)} of messages"
    )


def _proposers(s: Scenario) -> str:
    """ "five leaderless proposers that retry without backoff" and the like."""
    n = len(s.proposer_ids)
    kind = "leaderless " if s.protocol.strategy == "leaderless" else ""
    who = f"{_count(n)} {kind}proposer{'s' if n != 1 else ''}"
    if s.protocol.strategy == "leader":
        who += " behind a distinguished leader"
    retry = "retries" if n == 1 else "retry"
    backoff = _backoff(s)
    return f"{who} that {retry} " + (
        "without backoff" if backoff == "no backoff" else f"after {backoff}"
    )


# -- the livelock study -------------------------------------------------------------------

#: The study's axes: the keys of a scenario that one of its variants changes.
_AXES = {
    "proposers": (("cluster", "proposers"), ("workload", "propose_at")),
    "backoff": (("protocol", "backoff"),),
    "loss": (("network", "loss"),),
}


def _setting(s: Scenario, axis: str) -> dict:
    """Everything a run depends on except `axis` (and the name, seeds and run count)."""
    data = s.to_dict()
    for key in ("name", "description", "seed", "runs"):
        data.pop(key, None)
    for table, key in _AXES[axis]:
        data.get(table, {}).pop(key, None)
    return data


def _variants(of: Scenario, scenarios: list[Scenario], axis: str) -> list[Scenario]:
    """The scenarios that differ from `of` in `axis` only: what changing that alone does."""
    mine = _setting(of, axis)
    return [s for s in scenarios if s.name != of.name and _setting(s, axis) == mine]


def headline(scenarios: list[Scenario], runs: pd.DataFrame) -> Scenario:
    """The scenario the livelock paragraph and the duel are about: the one that livelocked
    most often; on a tie (when none livelocked, say) the one that needed most ballots."""
    by = runs.groupby("scenario")
    livelock, ballots = by["livelock"].mean(), by["ballots"].mean()
    return max(scenarios, key=lambda s: (livelock[s.name], ballots[s.name]))


def _starts(s: Scenario) -> str:
    """How the proposers' starts are spaced, and how that compares with a message delay."""
    times = sorted(s.propose_times)
    gaps = np.diff(times)
    mean = s.network.delay.mean
    if len(gaps) and gaps[0] > 0 and np.allclose(gaps, gaps[0]):
        near = abs(gaps[0] - mean) <= 0.2 * mean
        return f"started {_dur(gaps[0])} apart" + (", about one message delay" if near else "")
    return "started at " + _either([_dur(t) for t in times], "and")


def livelock_paragraph(scenarios: list[Scenario], runs: pd.DataFrame) -> str:
    """What the study shows: the scenario that livelocked most, and what changing one
    thing about it (fewer proposers, a backoff, loss) or a leader did to it."""
    h = headline(scenarios, runs)
    mine = Share.of(_rows(runs, h)["livelock"])
    leaders = [s for s in scenarios if s.protocol.strategy == "leader" and s.name != h.name]
    if mine.k == 0:
        sentences = [
            f"No run of the {len(scenarios)} scenarios of the livelock study livelocked. The "
            f"most ballots on average, {_rows(runs, h)['ballots'].mean():.1f}, were needed by "
            f"{h.name} ({_proposers(h)}, on {_network(h)}), which chose in "
            f"{Share.of(_rows(runs, h)['chosen'])} of runs."
        ]
    else:
        sentences = [_headline_sentence(h, mine)]
        sentences += _proposer_sentences(h, mine, scenarios, runs)
        sentences += _backoff_sentences(h, mine, scenarios, runs)
        sentences += _loss_sentences(h, mine, scenarios, runs)
    if leaders:
        names = [s.name for s in leaders]
        lead = runs[runs["scenario"].isin(names)]
        counts = _either(_count(n) for n in sorted({len(s.proposer_ids) for s in leaders}))
        stuck = _share(runs, names, "livelock")
        sentences.append(
            f"A distinguished leader ({counts} proposers) chose in "
            f"{_share(runs, names, 'chosen')} of runs with {lead['ballots'].mean():.2f} ballots "
            f"on average and "
            + ("never livelocked." if stuck.k == 0 else f"livelocked in {stuck} of runs.")
        )
    return " ".join(sentences)


def _headline_sentence(h: Scenario, mine: Share) -> str:
    """How often it livelocked; why, when it is the lock step the study was built for
    (leaderless, no nacks, starts one message delay apart) and most runs show it."""
    starts = _starts(h)
    timeout = f"{_dur(h.protocol.retry_timeout)} retry timeout"
    text = f"{_cap(_proposers(h))} livelocked in {mine} of runs on {_network(h)}"
    lock_step = (
        h.protocol.strategy == "leaderless"
        and not h.protocol.nack
        and starts.endswith("about one message delay")
        and 2 * mine.k >= mine.n
    )
    if lock_step:
        return (
            f"{text}: {starts} (messages take {_delay(h)}), each proposer's prepare overtakes "
            f"the previous one's accept, and without nacks the loser notices only at its "
            f"{timeout}, just in time to overtake the next."
        )
    nacks = "acceptors nack" if h.protocol.nack else "acceptors send no nacks"
    return f"{text}. The proposers {starts}, messages take {_delay(h)}, {nacks}, and a " + (
        f"ballot without a quorum is abandoned at the {timeout}."
    )


def _proposer_sentences(
    h: Scenario, mine: Share, scenarios: list[Scenario], runs: pd.DataFrame
) -> list[str]:
    others = _variants(h, scenarios, "proposers")
    if not others:
        return []
    names = [s.name for s in others]
    theirs = _share(runs, names, "livelock")
    ballots = runs.loc[runs["scenario"].isin(names), "ballots"].mean()
    sizes = sorted({len(s.proposer_ids) for s in others})
    counts = _either(_count(n) for n in sizes)
    if not theirs.below(mine):
        return [
            f"With {counts} proposers it livelocked in {theirs} of runs, not clearly less "
            f"often, with {ballots:.1f} ballots on average."
        ]
    why = "the rotation has gaps" if max(sizes) < len(h.proposer_ids) else "it livelocks less"
    return [
        f"With {counts} proposers {why}: {theirs} livelocked, with {ballots:.1f} ballots "
        "on average."
    ]


def _backoff_sentences(
    h: Scenario, mine: Share, scenarios: list[Scenario], runs: pd.DataFrame
) -> list[str]:
    out = []
    n = _count(len(h.proposer_ids))
    for s in _variants(h, scenarios, "backoff"):
        theirs = Share.of(_rows(runs, s)["livelock"])
        what = _cap(_backoff(s))
        if theirs.below(mine):
            chosen = Share.of(_rows(runs, s)["chosen"])
            out.append(
                f"{what} breaks the lock step ({chosen} chosen, {theirs} livelocked with {n} "
                f"proposers)."
            )
        else:
            out.append(
                f"{what} does not break the lock step: {theirs} livelocked with {n} proposers."
            )
    return out


def _loss_sentences(
    h: Scenario, mine: Share, scenarios: list[Scenario], runs: pd.DataFrame
) -> list[str]:
    out = []
    for s in _variants(h, scenarios, "loss"):
        theirs = Share.of(_rows(runs, s)["livelock"])
        where = f"On {_network(s)}"
        same = f"the same setting livelocked in {theirs} of runs"
        more_loss = s.network.loss > h.network.loss
        if more_loss and theirs.below(mine):
            out.append(f"{where}, lost messages jitter the rounds, and {same}.")
        elif more_loss:
            out.append(f"{where}, {same}: the loss did not help.")
        else:
            out.append(f"{where}, {same}.")
    return out


def rounds_paragraph(scenarios: list[Scenario], runs: pd.DataFrame, proposers: int) -> str:
    chosen = runs[(runs["proposers"] == proposers) & runs["chosen"]]
    n = _count(proposers)
    if chosen.empty:
        return f"Ballots per decision with {n} proposers: no run with {n} proposers chose."
    medians = chosen.groupby("scenario")["ballots"].median()
    worst = medians.idxmax()
    text = f"Ballots per decision with {n} proposers, over the runs that chose. "
    led = medians[
        [s.name for s in scenarios if s.protocol.strategy == "leader" and s.name in medians]
    ]
    if len(led):
        low, high = led.min(), led.max()
        span = f"{low:g}" if low == high else f"{low:g} to {high:g}"
        text += f"With a leader the median is {span} ballot{'' if high == 1 else 's'}; the most"
    else:
        text += "The most"
    return text + f", {medians[worst]:g} at the median, were needed by {worst}."


# -- the duel -----------------------------------------------------------------------------


def _duel_run(s: Scenario, runs: pd.DataFrame) -> tuple[int, int]:
    """(seed, run) of the run to draw: its first livelocked run; else, the run with the
    most preemptions (the longest duel that ended); else its first run."""
    mine = _rows(runs, s).sort_values("run")
    locked = mine[mine["livelock"]]
    row = (
        locked.iloc[0]
        if len(locked)
        else mine.loc[mine["preemptions"].idxmax()]
        if mine["preemptions"].max() > 0
        else mine.iloc[0]
    )
    return int(row["seed"]), int(row["run"])


def _window(s: Scenario, result: RunResult) -> float:
    """How much of the run to draw. A run that chose: up to a little after every learner
    learned, as `paxossim trace` draws it. One that did not: until every proposer's second
    ballot has played out (three mean delays after it starts), a whole rotation of the
    duel, rounded up to 10 ms; the horizon if some proposer never started a second."""
    trace = result.trace
    if result.record.chosen:
        return plots.settled_time(trace, s.horizon)
    started: dict[int, list[float]] = {}
    rounds = trace[trace["event"] == "RoundStarted"]
    for node, time in zip(rounds["node"], rounds["time"], strict=True):
        started.setdefault(int(node), []).append(float(time))
    if len(started) < len(s.proposer_ids) or any(len(t) < 2 for t in started.values()):
        return s.horizon
    end = max(t[1] for t in started.values()) + DELAYS_TO_CHOOSE * s.network.delay.mean
    return min(s.horizon, math.ceil(end * 100 - 1e-9) / 100)


def _ballot(text: str) -> tuple[int, int]:
    rnd, node = text.split(".")
    return int(rnd), int(node)


def overtaken_accepts(trace: pd.DataFrame, until: float) -> tuple[int, int]:
    """(accepts delivered to an acceptor by `until`, how many of them came after that
    acceptor had received a prepare of a higher ballot). Those the acceptor refused: it had
    promised that higher ballot, and a promise never decreases."""
    seen = trace[
        (trace["event"] == "deliver")
        & (trace["time"] <= until)
        & trace["message"].isin(["Prepare", "Accept"])
    ]
    highest: dict[int, tuple[int, int]] = {}
    delivered = overtaken = 0
    for node, message, ballot in zip(seen["node"], seen["message"], seen["ballot"], strict=True):
        b = _ballot(ballot)
        if message == "Prepare":
            highest[node] = max(highest.get(node, b), b)
        else:
            delivered += 1
            overtaken += node in highest and highest[node] > b
    return delivered, overtaken


def duel_paragraph(s: Scenario, result: RunResult, seed: int, until: float) -> str:
    rec = result.record
    window = f"The first {_dur(until)} of"
    counts = f"{rec.ballots} ballots, {rec.preemptions} preemptions"
    if rec.chosen:
        winner = f"{rec.value}, the value of the proposer on node {rec.value.lstrip('v')}"
        chosen = f"{winner}, was chosen at {_ms(rec.chosen_at)}"
    if rec.livelock:
        head = (
            f"{window} a livelocked run ({s.name}, seed {seed}: {counts} and no choice in "
            f"{_dur(s.horizon)})."
        )
    elif rec.preemptions and rec.chosen:
        head = (
            f"{window} the run of {s.name} with the most preemptions (seed {seed}: {counts}); "
            f"the duel ended when {chosen}."
        )
    elif rec.preemptions:
        head = (
            f"{window} the run of {s.name} with the most preemptions (seed {seed}: {counts} and "
            f"no choice in {_dur(s.horizon)}, though not a livelock)."
        )
    else:
        ballots = f"{rec.ballots} ballot{'' if rec.ballots == 1 else 's'}"
        outcome = f"{chosen} after {ballots}" if rec.chosen else "nothing was chosen"
        head = f"{window} a run of {s.name} (seed {seed}), where no run dueled: {outcome}."
    delivered, overtaken = overtaken_accepts(result.trace, until)
    if delivered == 0:
        refused = "No accept reached an acceptor in that window."
    elif overtaken == 0:
        refused = (
            f"None of the {delivered} accepts that reached an acceptor in that window came "
            f"after a higher ballot's prepare."
        )
    else:
        some = f"All {delivered}" if overtaken == delivered else f"{overtaken} of the {delivered}"
        refused = (
            f"{some} accepts that reached an acceptor in that window came after a higher "
            f"ballot's prepare, and were refused."
        )
    return (
        f"{head} Each colour is a ballot: thin arrows are prepares and promises, thick ones "
        f"accepts and accepted messages. {refused}"
    )


# -- latency and the leader crash ---------------------------------------------------------


def latency_paragraph(scenarios: list[Scenario], runs: pd.DataFrame) -> str:
    """Time to choose against the delay distribution, and what a retry costs."""
    summary = summarize(runs).set_index("scenario")
    single = all(len(s.proposer_ids) == 1 for s in scenarios)
    counts = sorted({len(s.proposer_ids) for s in scenarios})
    losses = sorted({s.network.loss for s in scenarios})
    loss = "no loss" if losses == [0] else _either(map(_percent, losses)) + " loss"
    means = _either(_dur(m) for m in sorted(s.network.delay.mean for s in scenarios))
    sentences = [
        f"Time to choose with {_either(map(_count, counts))} proposer"
        f"{'' if counts == [1] else 's'}, {loss} and message delays of mean {means}."
    ]
    acceptors = {len(s.acceptor_ids) for s in scenarios}
    quorums = {s.quorum_sizes[1] for s in scenarios}
    if single and len(acceptors) == len(quorums) == 1:
        sentences.append(_quorum_sentence(scenarios, summary, quorums.pop(), acceptors.pop()))
    sentences.append(_retry_sentence(scenarios, runs, single))
    sentences.append("Percentiles are empirical: each is a time some run had.")
    return " ".join(sentences)


def _quorum_sentence(
    scenarios: list[Scenario], summary: pd.DataFrame, quorum: int, acceptors: int
) -> str:
    med = summary["chosen_at_p50"]
    constant = [s for s in scenarios if isinstance(s.network.delay, Constant)]
    spread = [s for s in scenarios if s not in constant]
    faster = [s for s in spread if med[s.name] < DELAYS_TO_CHOOSE * s.network.delay.mean]
    slower = [s for s in spread if s not in faster]

    def medians(group: list[Scenario]) -> str:
        if len(group) == 1:
            return _ms(med[group[0].name])
        return ", ".join(f"{_ms(med[s.name])} {s.network.delay.dist}" for s in group)

    clauses = [
        f"exactly {_dur(DELAYS_TO_CHOOSE * s.network.delay.value)} with constant delays of "
        f"{_dur(s.network.delay.value)} (median {_ms(med[s.name])})"
        for s in constant
    ]
    if faster:
        clauses.append(
            f"less with {_either((s.network.delay.dist for s in faster), 'and')} delays, because "
            f"a quorum waits only for the fastest {_count(quorum)} of {_count(acceptors)} "
            f"acceptors (median {medians(faster)})"
        )
    if slower:
        clauses.append(
            f"more with {_either((s.network.delay.dist for s in slower), 'and')} delays "
            f"(median {medians(slower)})"
        )
    return (
        f"A value is chosen on the first ballot once the {_ordinal(quorum)} of "
        f"{_count(acceptors)} accepts lands, {_count(DELAYS_TO_CHOOSE)} one-way delays after "
        f"the proposer starts: " + "; ".join(clauses) + "."
    )


def _retry_sentence(scenarios: list[Scenario], runs: pd.DataFrame, single: bool) -> str:
    """What a second ballot cost. With one proposer a ballot is abandoned only at the retry
    timeout, so a run chosen before that timeout had run out since the proposer started was
    chosen by its first ballot: the proposer retried because it had not heard the votes."""
    timeout = _either(_dur(t) for t in sorted({s.protocol.retry_timeout for s in scenarios}))
    backoff = _either(_backoff(s) for s in scenarios)
    retried = runs[runs["ballots"] > 1]
    if retried.empty:
        return (
            f"No run needed a second ballot, so none paid the {timeout} retry timeout plus "
            f"{backoff} that an abandoned ballot costs."
        )
    share = Share(len(retried), len(runs))
    if not single:
        chose = retried["chosen_at"].dropna()
        when = f"at a median of {_ms(chose.median())}" if len(chose) else "never"
        return f"Runs with more than one ballot ({share} of them) chose {when}."
    by_name = {s.name: s for s in scenarios}
    expiry = retried["scenario"].map(
        lambda name: min(by_name[name].propose_times) + by_name[name].protocol.retry_timeout
    )
    late = retried[retried["chosen_at"] >= expiry]
    early = retried[retried["chosen_at"] < expiry]
    never = retried[retried["chosen_at"].isna()]
    parts = []
    if len(late):
        who = "they" if len(late) == len(retried) else f"{len(late)} of them"
        parts.append(f"{who} chose after that, at a median of {_ms(late['chosen_at'].median())}")
    if len(early):
        who = "in all of them" if len(early) == len(retried) else f"in {len(early)}"
        parts.append(
            f"{who} the first ballot had already chosen the value, before the timeout, but the "
            f"proposer had not heard enough votes to know it"
        )
    if len(never):
        parts.append(f"{len(never)} chose nothing")
    return (
        f"In {share} of runs ({len(retried)}) the proposer abandoned its first ballot at the "
        f"{timeout} retry timeout and began another after {backoff}; " + "; ".join(parts) + "."
    )


def leader_paragraph(scenarios: list[Scenario], runs: pd.DataFrame) -> str:
    """A crash of the leader against the same cluster without it."""
    crashed = [s for s in scenarios if s.faults]
    steady = [s for s in scenarios if not s.faults]
    if not crashed:
        return "No leader scenario has a crash."
    s = crashed[0]
    mine = _rows(runs, s)
    leader = min(s.proposer_ids)
    fault = next((f for f in s.faults if f.node == leader), None)
    sentences = []
    if fault is None:
        sentences.append(
            f"A distinguished leader (node {leader}) whose cluster loses node "
            f"{s.faults[0].node} {_dur(s.faults[0].crash_at)} in."
        )
    else:
        back = f" and restarts at {_dur(fault.restart_at)}" if fault.restart_at is not None else ""
        followers = len(s.proposer_ids) - 1
        timeout = s.protocol.leader
        jitter = (
            f" plus up to {_dur(timeout.timeout_jitter)} of jitter"
            if timeout.timeout_jitter
            else ""
        )
        who = (
            "The follower notices"
            if followers == 1
            else f"The {_count(followers)} followers notice"
        )
        claims = Share.of(mine["leader_changes"] > 1)
        why = " (followers that time out close together both claim)" if followers > 1 else ""
        sentences += [
            f"A distinguished leader that crashes {_dur(fault.crash_at)} in{back}.",
            f"{who} after the {_dur(timeout.timeout)} election timeout{jitter}; the time without "
            f"a live leader was {_ms(mine['leaderless_time'].median(), 0)} at the median, and "
            f"{claims} of runs saw more than one claim to lead{why}.",
        ]
    chose = Share.of(mine["chosen"])
    within = (
        ""
        if chose.k == chose.n
        else f" (in the {chose} of runs that chose within {_dur(s.horizon)})"
    )
    against = (
        f" against {_ms(_rows(runs, steady[0])['chosen_at'].median(), 0)} without the crash"
        if steady
        else ""
    )
    median = _ms(mine["chosen_at"].median(), 0)
    sentences.append(f"The value was chosen at a median of {median}{within}{against}.")
    return " ".join(sentences)


# -- sections -----------------------------------------------------------------------------


def _livelock_section(scenarios: list[Scenario], runs: pd.DataFrame, out: Path) -> Section:
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
    paragraph = livelock_paragraph(scenarios, runs)
    return Section("Leader vs leaderless livelock", "livelock.png", paragraph, table)


def _rounds_section(scenarios: list[Scenario], runs: pd.DataFrame, out: Path) -> Section:
    most = int(runs["proposers"].max())
    save_figure(plots.rounds(runs[runs["proposers"] == most]), out / "rounds.png")
    return Section("Rounds per decision", "rounds.png", rounds_paragraph(scenarios, runs, most))


def _duel_section(scenario: Scenario, runs: pd.DataFrame, out: Path) -> Section:
    seed, run = _duel_run(scenario, runs)
    result = simulate(scenario, seed, run=run, trace=True)
    until = _window(scenario, result)
    save_figure(
        plots.spacetime(
            result.trace,
            len(scenario.roles),
            scenario.roles,
            until,
            f"{scenario.name}, seed {seed}: the first {until * 1e3:g} ms",
        ),
        out / "duel.png",
    )
    paragraph = duel_paragraph(scenario, result, seed, until)
    return Section("A duel, drawn", "duel.png", paragraph)


def _latency_section(scenarios: list[Scenario], runs: pd.DataFrame, out: Path) -> Section:
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
    paragraph = latency_paragraph(scenarios, runs)
    return Section("Latency across delay distributions", "latency.png", paragraph, table)


def _leader_section(scenarios: list[Scenario], runs: pd.DataFrame, out: Path) -> Section:
    save_figure(plots.latency(runs, "chosen_at", log=True), out / "leader-crash.png")
    return Section("A leader crash", "leader-crash.png", leader_paragraph(scenarios, runs))


# -- markdown -----------------------------------------------------------------------------


def _markdown(sections: list[Section], runs: pd.DataFrame, folders: tuple[Path, ...]) -> str:
    per = runs.groupby("scenario").size()
    each = f"{per.min()}" if per.min() == per.max() else f"{per.min()} to {per.max()}"
    lines = [
        "# paxossim report",
        "",
        "Made by `paxossim report` from the scenarios in "
        + " and ".join(f"`{f.as_posix()}/`" for f in folders)
        + f": {len(per)} scenarios, {len(runs)} runs ({each} of each), "
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
