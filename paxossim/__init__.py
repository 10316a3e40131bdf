"""paxossim: a deterministic discrete-event simulator of Paxos ("Paxos Made Simple")."""

from paxossim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from paxossim.sim.world import RunResult, simulate

__all__ = ["RunResult", "Scenario", "ScenarioError", "load_scenario", "parse_scenario", "simulate"]
__version__ = "0.1.0"
