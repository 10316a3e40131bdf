"""A linearizability checker for histories of client operations (paxossim.lincheck).

A store replicated with Paxos should behave like one copy of the store whose operations
take effect one at a time, each at an instant between its call and its return:
linearizability (Herlihy & Wing 1990). This package checks a recorded history against a
sequential model ("register", "cas-register", "kv") with the search of Wing & Gong (1993)
and Lowe (2017), splitting kv histories per key (Horn & Kroening 2015), within a budget of
search steps, so the verdict is the same on every machine. Pure Python, no simulator.
"""

from paxossim.lincheck.frame import check_linearizable, frame_history
from paxossim.lincheck.history import History, Op
from paxossim.lincheck.models import CAS_REGISTER, KV, MODELS, REGISTER, Model
from paxossim.lincheck.search import (
    DEFAULT_BUDGET,
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN,
    CheckResult,
    check_history,
)
from paxossim.lincheck.witness import check_witness

__all__ = [
    "CAS_REGISTER",
    "DEFAULT_BUDGET",
    "KV",
    "LINEARIZABLE",
    "MODELS",
    "NOT_LINEARIZABLE",
    "REGISTER",
    "UNKNOWN",
    "CheckResult",
    "History",
    "Model",
    "Op",
    "check_history",
    "check_linearizable",
    "check_witness",
    "frame_history",
]
