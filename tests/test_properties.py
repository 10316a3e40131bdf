"""Property tests: whatever the network and the faults, Paxos stays safe.

The suite runs a modest number of examples; a long soak is
`PAXOSSIM_SOAK=1 python -m pytest tests/test_properties.py` (see the README).
"""

import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paxossim import parse_scenario, simulate
from paxossim.sim.world import proposal_value
from tests.scenario_space import NumpyChooser, scenario_data, scenarios

SOAK = bool(os.environ.get("PAXOSSIM_SOAK"))
EXAMPLES = 3000 if SOAK else 120
SWEEP = 5000 if SOAK else 300

profile = settings(max_examples=EXAMPLES, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])


def check_run(data: dict, seed: int):
    s = parse_scenario(data)
    rec = simulate(s, seed).record
    assert rec.safety_violations == 0, rec.violation
    if rec.chosen:
        assert rec.value in {proposal_value(p) for p in s.cluster.proposers}
        assert 0 <= rec.chosen_at < s.horizon
        assert math.isnan(rec.learned_at) or rec.learned_at >= rec.chosen_at
        assert math.isnan(rec.decided_at) or rec.decided_at >= rec.chosen_at
    else:
        assert rec.learners_learned == 0 and math.isnan(rec.decided_at)
    assert rec.messages_delivered + rec.messages_dropped <= (
        rec.messages_sent + rec.messages_duplicated)
    assert rec.duplicates_delivered <= rec.messages_duplicated
    assert rec.preemptions + rec.timeouts <= rec.ballots
    return rec


@profile
@given(data=scenarios(), seed=st.integers(0, 2**32))
def test_no_safety_violation_in_any_drawn_scenario(data, seed):
    check_run(data, seed)


def test_the_sweep_takes_the_dangerous_paths():
    """A clean sweep only means something if it went where bugs bite: values adopted
    from earlier ballots, preempted rounds, duplicates delivered, acceptors crashed
    between promise and accept, runs with no choice at all."""
    rng = np.random.default_rng(2024)
    records = [check_run(scenario_data(NumpyChooser(rng)), seed) for seed in range(SWEEP)]
    share = {
        "adopted": np.mean([r.adopted > 0 for r in records]),
        "preempted": np.mean([r.preemptions > 0 for r in records]),
        "duplicates": np.mean([r.duplicates_delivered > 0 for r in records]),
        "crash mid-ballot": np.mean([r.crashes_mid_ballot > 0 for r in records]),
        "not chosen": np.mean([not r.chosen for r in records]),
        "chosen": np.mean([r.chosen for r in records]),
        "leader changed": np.mean([r.leader_changes > 0 for r in records]),
    }
    for path, fraction in share.items():
        assert fraction >= 0.1, f"only {fraction:.1%} of runs: {path}"
