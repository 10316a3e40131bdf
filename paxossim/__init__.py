"""paxossim: a deterministic discrete-event simulator of Paxos ("Paxos Made Simple")."""

from paxossim.experiment import Batch, run_batch, run_scenario
from paxossim.lincheck import check_linearizable
from paxossim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from paxossim.sim.world import RunResult, simulate

__all__ = [
    "Batch",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "check_linearizable",
    "load_scenario",
    "parse_scenario",
    "run_batch",
    "run_scenario",
    "simulate",
]
__version__ = "0.1.0"
