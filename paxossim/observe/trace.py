"""The optional event trace of one run: every send, delivery, drop and duplicate of a
message copy (`copy` pairs them up), every crash and restart, and what the roles
report (rounds, adoptions, decisions, leadership, learning), plus the moment of choice.
A subscriber of the run's observation point."""

from typing import Any

import pandas as pd

from paxossim.observe.record import shown
from paxossim.observe.steps import Crash, Restart
from paxossim.protocol.effects import (
    Decided,
    Installed,
    LeadershipChanged,
    Learned,
    RoundAbandoned,
    RoundStarted,
    ValueAdopted,
)
from paxossim.protocol.role import Role

COLUMNS = [
    "time", "event", "node", "peer", "message", "ballot", "value", "copy", "detail", "slot",
]  # fmt: skip
#: Events a trace may hold in memory (a few hundred bytes each): over all the runs of a
#: scenario traced at once (`paxossim run --trace`), or of one run (`paxossim trace`).
MAX_TRACE_ROWS = 20_000_000


class TraceTooLarge(Exception):
    """A traced run recorded more events than its share of MAX_TRACE_ROWS."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


_REPORTED = (RoundStarted, RoundAbandoned, ValueAdopted, Decided, LeadershipChanged)


class Trace:
    __slots__ = ("rows", "limit")

    def __init__(self, limit: int = MAX_TRACE_ROWS) -> None:
        self.rows: list[tuple] = []
        self.limit = limit  # more rows than this raise TraceTooLarge, ending the run

    def step(
        self, now: float, node: int, role: Role | None, src: int, cause: Any, effects: list
    ) -> None:
        if role is None:
            kind = type(cause)
            if kind is Crash or kind is Restart:
                self.record(now, kind.__name__.lower(), node)
            return
        for e in effects:
            etype = type(e)
            if etype is Learned:
                self.record(now, "learned", node, value=e.value, slot=e.slot)
            elif etype is Installed:
                self.record(now, "installed", node, peer=src, slot=e.applied)
            elif etype in _REPORTED:
                self.record(
                    now,
                    etype.__name__,
                    node,
                    ballot=getattr(e, "ballot", None),
                    value=getattr(e, "value", None),
                    detail=_detail(e),
                    slot=getattr(e, "slot", -1),
                )

    def message(
        self, now: float, event: str, src: int, dst: int, msg: Any, copy: int, why: str
    ) -> None:
        if event == "deliver":
            self.record(now, event, dst, src, msg, why, copy=copy)
        else:
            self.record(now, event, src, dst, msg, why, copy=copy)

    def record(
        self,
        time: float,
        event: str,
        node: int,
        peer: int | None = None,
        msg: Any = None,
        detail: str = "",
        ballot: Any = None,
        value: Any = None,
        copy: int = -1,
        slot: int = -1,
    ) -> None:
        if msg is not None:
            ballot = getattr(msg, "ballot", ballot)
            value = getattr(msg, "value", value)
            slot = getattr(msg, "slot", slot)
        self.rows.append(
            (
                time,
                event,
                node,
                -1 if peer is None else peer,
                type(msg).__name__ if msg is not None else "",
                "" if ballot is None else str(ballot),
                "" if value is None else str(shown(value)),
                copy,
                detail,
                slot,
            )
        )
        if len(self.rows) > self.limit:
            raise TraceTooLarge(self.limit)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=COLUMNS)


def _detail(e: Any) -> str:
    if type(e) is LeadershipChanged:
        return f"{'leads' if e.leading else 'steps down'} in term {e.term}"
    return getattr(e, "reason", "")
