"""Speed of the replicated log: client commands simulated per second of wall time.

    python benchmarks/bench_kv.py [--commands N] [--rounds R]

The run of issue 8's scale target: five replicas (three proposer nodes), a leader that
crashes at 5 s and restarts at 8 s, 5% loss, exponential delays of mean 10 ms, ten
closed-loop clients sharing N commands (default 10,000), every safety check on. The best
of R rounds is reported, with the run's own numbers, so that a regression in speed is
not mistaken for a change of behaviour.
"""

import argparse
import time

import paxossim


def scenario(commands: int) -> paxossim.Scenario:
    return paxossim.parse_scenario(
        {
            "name": "bench-kv",
            "horizon": 600.0,
            "cluster": {"nodes": 5, "proposers": [0, 1, 2]},
            "network": {"delay": {"dist": "exponential", "mean": 0.01}, "loss": 0.05},
            "faults": [{"node": 0, "crash_at": 5.0, "restart_at": 8.0}],
            "protocol": {"strategy": "leader", "backoff": {"kind": "random", "max": 0.05}},
            "workload": {
                "kind": "kv",
                "clients": 10,
                "requests": commands // 10,
                "request_timeout": 0.3,
            },
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    s = scenario(args.commands)
    best, result = float("inf"), None
    for _ in range(args.rounds):
        start = time.perf_counter()
        result = paxossim.simulate(s, 1)
        best = min(best, time.perf_counter() - start)
    rec = result.record
    assert rec.safety_violations == 0, rec.violation
    print(
        f"{rec.completed:,} of {rec.commands:,} commands completed, "
        f"{rec.messages_sent:,} messages, {rec.events:,} events, "
        f"{rec.throughput:.1f} commands per simulated second"
    )
    print(f"wall time           : {best:9.2f} s (best of {args.rounds})")
    print(f"commands per second : {rec.completed / best:9,.0f} (wall time, safety checks on)")


if __name__ == "__main__":
    main()
