"""The report's prose follows the scenarios and the runs: every parameter it quotes is read
from the scenario files it loaded, and every claim in words is chosen by the numbers.

Each build runs a small copy of the shipped scenarios (a part of the livelock study, all of
`scenarios/report/`) with few runs, and makes its figures without drawing them into files
(most of a build's time; `test_figures` checks that a real build writes them), so that it
takes a few seconds; the copies are changed to see that the text changes with them.
"""

from pathlib import Path

import pandas as pd

from paxossim import load_scenario, report
from paxossim.report import build_report, livelock_paragraph

ROOT = Path(__file__).resolve().parents[1]
RUNS = 20
STUDY = (
    "leaderless-none-5p-clean",
    "leaderless-none-5p-lossy",
    "leaderless-none-3p-clean",
    "leaderless-none-2p-clean",
    "leaderless-random-5p-clean",
    "leader-5p-clean",
)
REPORT = tuple(p.stem for p in sorted((ROOT / "scenarios" / "report").glob("*.toml")))

LEADER = {"protocol.leader.timeout": 0.2, "protocol.leader.timeout_jitter": 0.1}
LATENCY = {
    "protocol.retry_timeout": 0.08,
    "network.loss": 0.1,
    "protocol.backoff": {"kind": "random", "max": 0.03},
}
CHANGED = {
    "leaderless-none-5p-lossy": {"network.loss": 0.1},
    "leaderless-random-5p-clean": {"protocol.backoff": {"kind": "random", "max": 0.08}},
    "leader-crash": {**LEADER, "faults": [{"node": 0, "crash_at": 0.02}]},
    "leader-steady": LEADER,
    **{name: LATENCY for name in REPORT if name.startswith("latency-")},
}
# the same study, but every leaderless proposer backs off at random: nobody livelocks
NO_DUEL = {
    name: {"protocol.backoff": {"kind": "random", "max": 0.05}}
    for name in STUDY
    if name.startswith("leaderless-none")
}


def _copy(folder: Path, edits: dict[str, dict]) -> Path:
    for sub, names in (("livelock", STUDY), ("report", REPORT)):
        (folder / sub).mkdir(parents=True)
        for name in names:
            scenario = load_scenario(ROOT / "scenarios" / sub / f"{name}.toml")
            scenario = scenario.with_overrides(**edits.get(name, {}))
            (folder / sub / f"{name}.toml").write_text(scenario.to_toml())
    return folder


def _sections(index: Path) -> dict[str, str]:
    """Section title -> its paragraph (the text after the figure); "" -> the preamble."""
    text = index.read_text()
    head, *parts = text.split("\n## ")
    out = {"": head.split("\n\n")[1]}
    for part in parts:
        title, rest = part.split("\n", 1)
        out[title] = rest.strip().split("\n\n")[1]
    return out


def _report(tmp_path: Path, monkeypatch, edits: dict[str, dict]) -> dict[str, str]:
    monkeypatch.setattr(report, "save_figure", lambda figure, path: None)
    index = build_report(_copy(tmp_path / "scenarios", edits), tmp_path / "out", runs=RUNS)
    return _sections(index)


# One build per test: under pytest-xdist a build shared by several tests would be made
# again by every worker that runs one of them.


def test_the_text_quotes_the_shipped_scenarios_and_their_runs(tmp_path, monkeypatch):
    text = _report(tmp_path, monkeypatch, {})
    n = len(STUDY) + len(REPORT)
    assert f"{n} scenarios, {n * RUNS} runs ({RUNS} of each)" in text[""]
    livelock = text["Leader vs leaderless livelock"]
    assert livelock.startswith("Five leaderless proposers that retry without backoff livelocked")
    for quoted in ("started 10 ms apart", "between 9 ms and 11 ms", "30 ms retry timeout"):
        assert quoted in livelock
    assert "loses 5 % of messages" in livelock and "up to 50 ms" in livelock
    assert "With two or three proposers" in livelock and "(five proposers)" in livelock
    assert "with five proposers" in text["Rounds per decision"]
    duel = text["A duel, drawn"]
    assert "of a livelocked run (leaderless-none-5p-clean, seed" in duel
    assert "no choice in 2 s" in duel and "were refused" in duel
    latency = text["Latency across delay distributions"]
    for quoted in ("one proposer, 5 % loss", "mean 10 ms", "third of five accepts", "30 ms"):
        assert quoted in latency
    assert "100 ms retry timeout" in latency and "a random backoff of up to 50 ms" in latency
    leader = text["A leader crash"]
    for quoted in ("crashes 5 ms in", "two followers", "250 ms election timeout"):
        assert quoted in leader
    assert "up to 250 ms of jitter" in leader


def test_the_text_follows_changed_parameters(tmp_path, monkeypatch):
    text = _report(tmp_path, monkeypatch, CHANGED)
    livelock = text["Leader vs leaderless livelock"]
    assert "loses 10 % of messages" in livelock and "up to 80 ms" in livelock
    assert "5 % of messages" not in livelock and "50 ms" not in livelock
    latency = text["Latency across delay distributions"]
    for quoted in ("10 % loss", "80 ms retry timeout", "up to 30 ms", "third of five accepts"):
        assert quoted in latency
    for old in ("5 % loss", "100 ms", "50 ms"):
        assert old not in latency
    leader = text["A leader crash"]
    for quoted in ("crashes 20 ms in", "200 ms election timeout", "up to 100 ms of jitter"):
        assert quoted in leader
    assert "250 ms" not in leader and "5 ms in" not in leader


def test_the_wording_turns_when_nobody_duels_without_end(tmp_path, monkeypatch):
    text = _report(tmp_path, monkeypatch, NO_DUEL)
    livelock = text["Leader vs leaderless livelock"]
    assert livelock.startswith(
        f"No run of the {len(STUDY)} scenarios of the livelock study livelocked"
    )
    assert "lock step" not in livelock and "livelocked in" not in livelock
    duel = text["A duel, drawn"]
    assert "livelocked" not in duel and "no choice" not in duel
    assert "the duel ended when" in duel and "was chosen at" in duel


def _rows(name: str, livelocked: int, n: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": name,
            "livelock": [i < livelocked for i in range(n)],
            "chosen": [i >= livelocked for i in range(n)],
            "ballots": 10,
        }
    )


def test_the_livelock_claims_turn_when_backoff_and_loss_do_not_help():
    """Made-up outcomes: the backoff and the loss leave the livelock as it was, so the text
    must not say that they end it."""
    names = ("leaderless-none-5p-clean", "leaderless-random-5p-clean", "leaderless-none-5p-lossy")
    scenarios = [load_scenario(ROOT / "scenarios" / "livelock" / f"{n}.toml") for n in names]
    helped = livelock_paragraph(
        scenarios,
        pd.concat([_rows(names[0], 18), _rows(names[1], 0), _rows(names[2], 2)]),
    )
    assert "breaks the lock step" in helped and "lost messages jitter the rounds" in helped
    not_helped = livelock_paragraph(
        scenarios,
        pd.concat([_rows(names[0], 18), _rows(names[1], 18), _rows(names[2], 17)]),
    )
    assert "breaks the lock step" not in not_helped and "does not break" in not_helped
    assert "jitter the rounds" not in not_helped and "did not help" in not_helped
