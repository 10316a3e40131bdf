"""The optional event trace of one run: every send, delivery, drop and duplicate of a
message copy (`copy` pairs them up), every crash and restart, and what the roles
report (rounds, adoptions, decisions, leadership, learning), plus the moment of choice."""

from typing import Any

import pandas as pd

COLUMNS = ["time", "event", "node", "peer", "message", "ballot", "value", "copy", "detail"]


class Trace:
    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple] = []

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
    ) -> None:
        if msg is not None:
            ballot = getattr(msg, "ballot", ballot)
            value = getattr(msg, "value", value)
        self.rows.append(
            (
                time,
                event,
                node,
                -1 if peer is None else peer,
                type(msg).__name__ if msg is not None else "",
                "" if ballot is None else str(ballot),
                "" if value is None else str(value),
                copy,
                detail,
            )
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=COLUMNS)
