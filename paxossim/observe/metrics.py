"""Per-run counters and the one row a run leaves behind."""

import math
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class RunStats:
    """Plain counters the network, the nodes and the world bump as the run goes."""

    messages_sent: int = 0
    messages_delivered: int = 0
    messages_dropped: int = 0
    messages_duplicated: int = 0
    duplicates_delivered: int = 0
    ballots: int = 0
    preemptions: int = 0
    timeouts: int = 0
    adopted: int = 0
    crashes: int = 0
    crashes_mid_ballot: int = 0
    decided_at: float = math.nan
    first_preemption_at: float = math.nan
    last_preemption_at: float = math.nan
    last_ballot_at: float = math.nan
    messages_to_choose: float = math.nan
    leader_changes: int = 0
    leaderless_time: float = 0.0
    learned_at: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One simulated run: the tidy row of `runs.parquet` (see the README for each column)."""

    scenario: str
    seed: int
    run: int
    strategy: str
    proposers: int
    backoff: str
    loss: float
    horizon: float
    bugs: str
    chosen: bool
    value: str | None
    chosen_at: float
    learned_at: float
    decided_at: float
    ballots: int
    preemptions: int
    timeouts: int
    livelock: bool
    dueling_time: float
    leader_changes: int
    leaderless_time: float
    adopted: int
    messages_sent: int
    messages_delivered: int
    messages_dropped: int
    messages_duplicated: int
    duplicates_delivered: int
    messages_to_choose: float
    crashes: int
    crashes_mid_ballot: int
    learners_learned: int
    safety_violations: int
    violation: str

    def as_row(self) -> dict[str, Any]:
        # not dataclasses.asdict: that deep-copies every value, and rows are made per run
        return {name: getattr(self, name) for name in _RECORD_FIELDS}


_RECORD_FIELDS = tuple(f.name for f in fields(RunRecord))
