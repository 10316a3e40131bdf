"""The `paxossim` command: a thin layer over the public API.

Exit codes: 0 all good, 1 some run violated safety, 2 bad input (one line per problem
on stderr, no traceback), 130 interrupted.
"""

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from paxossim.experiment import run_batch
from paxossim.results import RUNS_FILE, write_results
from paxossim.scenario import Scenario, ScenarioError, load_scenario
from paxossim.summary import format_summary, summarize

EXIT_OK, EXIT_UNSAFE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


# argparse names the type in "invalid <type> value: 'abc'"
_positive_int.__name__ = _non_negative_int.__name__ = "integer"
_positive_float.__name__ = "number"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paxossim", description="Deterministic discrete-event simulation of Paxos.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run scenarios and write their results")
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    run.add_argument("--runs", type=_positive_int, help="number of runs (default: the file's)")
    run.add_argument("--seed", type=_non_negative_int, help="base seed; run i uses seed+i")
    run.add_argument("--horizon", type=_positive_float, help="simulated seconds per run")
    run.add_argument("--out", default="results", help="results folder (default: results)")
    run.add_argument("--workers", type=int, default=1,
                     help="worker processes (default 1; 0: one per core)")
    run.add_argument("--trace", action="store_true", help="also write events.parquet")

    validate = sub.add_parser("validate", help="check scenario files")
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        scenarios, problems = _load_all(args.scenarios)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.command == "validate":
            for path, scenario in zip(args.scenarios, scenarios, strict=True):
                print(f"{path}: ok ({scenario.name})")
            return EXIT_OK
        return _run(args, dict(zip(args.scenarios, scenarios, strict=True)))
    except ScenarioError as exc:  # an override made a scenario invalid
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; results already written are complete, the rest were not written",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`paxossim run ... | head`)
        sys.stderr.close()
        return EXIT_OK


def _load_all(paths: list[str]) -> tuple[list[Scenario], list[str]]:
    """Load every file first, so a bad one is reported before any run starts."""
    scenarios, problems = [], []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as exc:
            problems.append(str(exc))
    return scenarios, problems


def _run(args: argparse.Namespace, scenarios: dict[str, Scenario]) -> int:
    unsafe = []
    for path, scenario in scenarios.items():
        scenario = scenario.with_overrides(
            runs=args.runs, seed=args.seed, horizon=args.horizon,
            source=f"{path} with the command line's options")
        batch = run_batch(scenario, workers=args.workers, trace=args.trace)
        folder = write_results(batch, args.out)
        for _, row in summarize(batch.runs).iterrows():
            print(format_summary(row))
        print(f"  results         {Path(folder) / RUNS_FILE}")
        bad = batch.runs[batch.runs["safety_violations"] > 0]
        unsafe.extend((path, row) for _, row in bad.iterrows())
    for path, row in unsafe:
        print(f"SAFETY VIOLATION in {row['scenario']}, seed {row['seed']}: {row['violation']}\n"
              f"  reproduce: paxossim run {path} --seed {row['seed']} --runs 1 --trace",
              file=sys.stderr)
    return EXIT_UNSAFE if unsafe else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
