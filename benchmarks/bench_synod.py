"""Speed of the full simulator against the minimal SimPy synod, measured in one run.

    python benchmarks/bench_synod.py [--runs N] [--rounds R]

Both sides simulate the same synod (1 proposer, 5 acceptors, 1 learner on another
node, exponential delays of mean 10 ms: 25 messages a run). Rounds alternate between
the two so that drift of the machine's speed hits both alike; the ratio of the best
rounds is the figure of merit (issue 2: paxossim within a factor 2 of the minimal one).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from minimal_synod import run_once  # noqa: E402

import paxossim  # noqa: E402
from paxossim.sim.world import Plan, simulate  # noqa: E402

SCENARIO = paxossim.parse_scenario(
    {
        "name": "bench-synod",
        "cluster": {"nodes": 5, "proposers": [0], "learners": [1]},
        "network": {"delay": {"dist": "exponential", "mean": 0.01}},
    }
)


def rate(fn, runs: int) -> float:
    start = time.perf_counter()
    for seed in range(runs):
        fn(seed)
    return runs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    plan = Plan.of(SCENARIO)
    full = simulate(SCENARIO, 0, plan=plan).record
    assert full.messages_sent == run_once(0)[1] == 25, "the two sides must run the same synod"

    minimal_rates, full_rates = [], []
    for _ in range(args.rounds):
        minimal_rates.append(rate(run_once, args.runs))
        full_rates.append(rate(lambda seed: simulate(SCENARIO, seed, plan=plan), args.runs))
    best_min, best_full = max(minimal_rates), max(full_rates)
    print(f"minimal SimPy synod : {best_min:9,.0f} runs/s (best of {args.rounds} x {args.runs})")
    print(f"paxossim simulate() : {best_full:9,.0f} runs/s (safety checks on)")
    print(f"ratio minimal/full  : {best_min / best_full:9.2f}  (target <= 2)")


if __name__ == "__main__":
    main()
