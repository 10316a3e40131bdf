"""The `paxossim` command: a thin layer over the public API.

Exit codes: 0 all good, 1 some run violated safety, 2 bad input (one line per problem
on stderr, no traceback), 3 a bug in paxossim, 4 (swarm) some run failed liveness, 128 +
the signal's number when stopped by a signal: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP.
"""

import argparse
import json
import math
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from paxossim import __version__
from paxossim.experiment import compare, run_batch
from paxossim.lincheck import (
    DEFAULT_BUDGET,
    LINEARIZABLE,
    MODELS,
    NOT_LINEARIZABLE,
    UNKNOWN,
    CheckResult,
    Op,
    check_history,
    frame_history,
)
from paxossim.lincheck.draw import describe, draw_violation
from paxossim.lincheck.jepsen import read_history
from paxossim.observe.trace import MAX_TRACE_ROWS, TraceTooLarge
from paxossim.results import (
    COMMANDS_FILE,
    COMPARISON_FIGURE,
    COMPARISON_FILE,
    EVENTS_FILE,
    RUNS_FILE,
    SCENARIO_FILE,
    read_runs,
    save_figure,
    write_comparison,
    write_results,
)
from paxossim.scenario import (
    DEFAULT_MAX_EVENTS,
    MAX_RUNS,
    MAX_SEED,
    Bugs,
    Scenario,
    ScenarioError,
    load_scenario,
)
from paxossim.sim.world import simulate
from paxossim.summary import (
    describe_run,
    format_commands,
    format_comparison,
    format_summary,
    summarize,
)

EXIT_OK, EXIT_UNSAFE, EXIT_BAD_INPUT, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_NOT_LIVE = 4
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
#: Signals that stop a command the way Ctrl-C does; each exits with 128 + its number.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class BadInput(Exception):
    """Something on the command line that cannot work: reported in one line, exit 2."""


class Stopped(KeyboardInterrupt):
    """A stop signal, raised where the command was so that the cleanup that Ctrl-C gets
    (workers terminated, temporary files removed) runs for SIGTERM and SIGHUP too; a
    KeyboardInterrupt, so that code which handles Ctrl-C handles these alike."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def _signals_stop() -> Iterator[None]:
    """While the command runs, the first stop signal raises `Stopped` in this process, and
    later ones are ignored, so that a second Ctrl-C cannot cut the cleanup short and
    leave workers behind (the cleanup is bounded: see `experiment.run_jobs`). A process
    forked meanwhile that still has this handler (a worker before it resets its own)
    just dies of the signal. The previous handlers come back afterwards. Only the main
    thread may set handlers: called from another (`main` as a library call), it does not."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    me, stopping = os.getpid(), False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        if os.getpid() != me:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if not stopping:
            stopping = True
            raise Stopped(signum)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            if handler is not None:  # None: set outside Python, and not for Python to restore
                signal.signal(s, handler)


EVENTS_BEFORE_VIOLATION = 15
PLOT_KINDS = ("latency", "livelock", "rounds", "timeline")
#: `plot --column` values read from commands.parquet (kv scenarios) rather than runs.parquet.
KV_COLUMNS = ("latency",)


def _int_in(low: int, high: int):
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high:,}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in "invalid integer value: 'x'"
    return parse


_runs = _int_in(1, MAX_RUNS)
_seed = _int_in(0, MAX_SEED)
_workers = _int_in(0, 1024)
_max_events = _int_in(1, 10**9)


def _positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


_positive_float.__name__ = "number"


def _say(text: str) -> None:
    """Print to stdout; if its reader went away (`paxossim run ... | head`), go on without
    it, so that the run still ends with its own exit code and its report on stderr."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _add_workers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes (default 1; 0: one per core); they never change the results",
    )


def _add_max_events(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-events",
        type=_max_events,
        help="event budget per run (default: the file's max_events); a run that spends it "
        "stops and is marked truncated",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paxossim", description="Deterministic discrete-event simulation of Paxos."
    )
    parser.add_argument("--version", action="version", version=f"paxossim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run scenarios and write their results")
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    run.add_argument("--runs", type=_runs, help="number of runs (default: the file's)")
    run.add_argument("--seed", type=_seed, help="base seed; run i uses seed+i")
    run.add_argument("--horizon", type=_positive_float, help="simulated seconds per run")
    run.add_argument("--out", default="results", help="results folder (default: results)")
    _add_workers(run)
    _add_max_events(run)
    run.add_argument("--trace", action="store_true", help="also write events.parquet")

    compare = sub.add_parser("compare", help="run scenarios on the same seeds and compare them")
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    compare.add_argument("--runs", type=_runs, help="runs per scenario (default: the first file's)")
    compare.add_argument("--seed", type=_seed, help="base seed for all (default: the first file's)")
    compare.add_argument(
        "--out",
        default="results/comparison",
        help="folder for comparison.parquet, runs.parquet and comparison.png "
        "(default: results/comparison)",
    )
    _add_workers(compare)
    _add_max_events(compare)

    trace = sub.add_parser("trace", help="replay one run and draw its space-time diagram")
    trace.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    trace.add_argument("--seed", type=_seed, help="the run's seed (default: the file's)")
    trace.add_argument(
        "--horizon", type=_positive_float, help="simulated seconds (default: the file's)"
    )
    trace.add_argument(
        "--until",
        type=_positive_float,
        help="draw only up to this time (s; "
        "default: a little after the last learner learned, else the horizon)",
    )
    trace.add_argument("--out", help="PNG or SVG file (default: results/<name>/trace-seed<S>.png)")
    _add_max_events(trace)

    plot = sub.add_parser("plot", help="draw figures from results")
    plot.add_argument(
        "results",
        nargs="+",
        metavar="RESULTS",
        help="result folders, folders of them, or runs (commands) Parquet files",
    )
    plot.add_argument("--kind", required=True, choices=sorted(PLOT_KINDS))
    plot.add_argument(
        "--by",
        help="column that makes the series (default: scenario; for "
        "livelock: strategy, backoff and loss)",
    )
    plot.add_argument(
        "--column",
        choices=["chosen_at", "decided_at", "learned_at", *KV_COLUMNS],
        help="latency: which time (default: chosen_at, per run; latency: per command of a "
        "kv scenario, from commands.parquet)",
    )
    plot.add_argument(
        "--log",
        action="store_true",
        help="latency: logarithmic time axis (with --column latency it is chosen by the data "
        "unless this forces it)",
    )
    plot.add_argument(
        "--run",
        type=_int_in(0, MAX_RUNS - 1),
        help="timeline: which run (its index in the batch, the run column; default: the first)",
    )
    plot.add_argument("--scenario", help="timeline: which scenario, when the results hold several")
    plot.add_argument("--out", help="PNG or SVG file (default: results/<kind>.png)")

    report = sub.add_parser("report", help="run the curated experiments and write a report")
    report.add_argument("--out", default="results/report", help="folder (default: results/report)")
    report.add_argument(
        "--scenarios",
        default="scenarios",
        help="folder holding livelock/ and report/ (default: scenarios)",
    )
    report.add_argument(
        "--runs",
        type=_runs,
        help="runs per scenario (default: each experiment's first file's)",
    )
    _add_workers(report)

    swarm = sub.add_parser(
        "swarm", help="run many random whole scenarios, check safety and liveness, shrink failures"
    )
    swarm.add_argument("--runs", type=_runs, default=1000, help="runs, one scenario each (1000)")
    swarm.add_argument("--seed", type=_seed, default=0, help="base seed; run i draws seed+i (0)")
    swarm.add_argument(
        "--out",
        default="results/swarm",
        help="folder for swarm.parquet and failures/ (default: results/swarm)",
    )
    _add_workers(swarm)
    swarm.add_argument(
        "--strategy", choices=["leader", "leaderless"], help="fix the strategy (default: drawn)"
    )
    swarm.add_argument(
        "--bug",
        action="append",
        default=[],
        choices=list(Bugs.model_fields),
        metavar="SWITCH",
        help="turn a bug switch on in every drawn scenario, to watch the swarm catch and "
        "shrink it (repeatable)",
    )

    lincheck = sub.add_parser(
        "lincheck", help="check histories (Jepsen's or paxossim's) for linearizability"
    )
    lincheck.add_argument(
        "histories",
        nargs="+",
        metavar="HISTORY",
        help="jepsen.util logs, EDN histories (one map per line, or history.edn), or a "
        "paxossim commands.parquet",
    )
    lincheck.add_argument(
        "--model",
        choices=sorted(MODELS),
        help="sequential model (default: what the operations imply: kv if they name keys, "
        "else cas-register if there is a cas, else register; kv for commands.parquet)",
    )
    lincheck.add_argument(
        "--budget",
        type=_int_in(1, 10**12),
        default=DEFAULT_BUDGET,
        help=f"search states per history before the verdict is 'unknown' "
        f"(default: {DEFAULT_BUDGET:,}); the verdict never depends on wall time",
    )
    lincheck.add_argument(
        "--timeout",
        metavar="S",
        help="refused: a verdict never depends on the machine's speed, so the search is "
        "bounded in states (--budget), not in seconds",
    )
    lincheck.add_argument(
        "--run",
        type=_int_in(0, MAX_RUNS - 1),
        help="commands.parquet: check only this run (default: every run, each on its own)",
    )
    lincheck.add_argument(
        "--fail-cas",
        choices=["drop", "false"],
        default="drop",
        help="a Jepsen :fail cas: drop it, as Jepsen does (default), or read it as a cas "
        "that returned false, as Porcupine's etcd test does",
    )
    lincheck.add_argument("--json", action="store_true", help="one JSON object per history")
    lincheck.add_argument("--out", help="folder for a PNG of each violation (default: none drawn)")

    validate = sub.add_parser("validate", help="check scenario files")
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with _signals_stop():
            return _dispatch(args)
    except (ScenarioError, BadInput) as exc:  # e.g. an override made a scenario invalid
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # stderr's reader went away too: nothing left to tell
        return EXIT_BAD_INPUT
    except OSError as exc:  # a folder that cannot be written, a file that cannot be read
        print(f"paxossim {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except TraceTooLarge:
        print(
            f"paxossim {args.command}: the traced runs recorded more than "
            f"{MAX_TRACE_ROWS:,} events, more than a trace may hold in memory; nothing was "
            "written: use fewer --runs, a shorter --horizon or a smaller --max-events",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        print(
            f"interrupted ({signal.Signals(signum).name}); results already written are "
            "complete, the rest were not written",
            file=sys.stderr,
        )
        return 128 + signum
    except Exception:  # a bug in paxossim, not in the input: say so, with the traceback
        traceback.print_exc()
        print(
            "paxossim: internal error (a bug in paxossim; please report it with the command above)",
            file=sys.stderr,
        )
        return EXIT_BUG


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "plot":
        return _plot(args)
    if args.command == "report":
        return _report(args)
    if args.command == "swarm":
        return _swarm(args)
    if args.command == "lincheck":
        return _lincheck(args)
    if args.command == "trace":
        args.scenarios = [args.scenario]
    scenarios, problems = _load_all(args.scenarios)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "validate":
        for path, scenario in zip(args.scenarios, scenarios, strict=True):
            _say(f"{path}: ok ({scenario.name})")
        return EXIT_OK
    by_path = list(zip(args.scenarios, scenarios, strict=True))
    if args.command == "trace":
        return _trace(args, *by_path[0])
    if args.command == "compare":
        return _compare(args, by_path)
    return _run(args, by_path)


def _lincheck(args: argparse.Namespace) -> int:
    """Read every history first (a bad one: one line naming it, exit 2, nothing checked),
    then check each: exit 0 all linearizable, 1 some not, 4 none shown not linearizable
    but some unknown (the budget ran out)."""
    if args.timeout is not None:
        raise BadInput(
            f"paxossim lincheck: --timeout {args.timeout}: verdicts never depend on the "
            "machine's speed, so the search is bounded in states, not seconds: use --budget N"
        )
    histories = [h for path in args.histories for h in _lincheck_read(path, args)]
    for label, _, model, ops in histories:
        wrong = next((op for op in ops if op.f not in MODELS[model].kinds), None)
        if wrong is not None:
            raise BadInput(f"paxossim lincheck: {label}: model {model!r} has no {wrong.f}: {wrong}")
    out = None if args.out is None else Path(args.out)
    if out is not None and out.exists() and not out.is_dir():
        raise BadInput(f"paxossim lincheck: --out: {out} exists and is not a folder")
    verdicts = set()
    for label, fmt, model, ops in histories:
        result = check_history(ops, model, args.budget)
        verdicts.add(result.verdict)
        figure = None
        if out is not None and result.verdict == NOT_LINEARIZABLE:
            out.mkdir(parents=True, exist_ok=True)
            figure = draw_violation(ops, result, out / _figure_name(label), title=label)
        if args.json:
            record = _lincheck_json(label, fmt, model, ops, result)
            record["figure"] = None if figure is None else str(figure)
            _say(json.dumps(record, default=str))
        else:
            _say(_lincheck_text(label, model, ops, result))
            if figure is not None:
                _say(f"  drawn: {figure}")
    if NOT_LINEARIZABLE in verdicts:
        return EXIT_UNSAFE
    return EXIT_NOT_LIVE if UNKNOWN in verdicts else EXIT_OK


def _lincheck_read(path: str, args: argparse.Namespace) -> list[tuple[str, str, str, list[Op]]]:
    """(label, format, model, operations) for each history in the file at `path`."""
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"paxossim lincheck: {path}: no such file")
    if file.suffix == ".parquet":
        try:
            frame = pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise BadInput(f"paxossim lincheck: {path}: not a Parquet file ({exc})") from None
        if "run" not in frame.columns:
            raise BadInput(f"paxossim lincheck: {path}: no 'run' column: not a commands.parquet")
        if args.run is not None:
            frame = frame[frame["run"] == args.run]
            if frame.empty:
                raise BadInput(f"paxossim lincheck: {path}: no run {args.run}")
        model = args.model or "kv"
        out = []
        groups = ["scenario", "run"] if "scenario" in frame.columns else ["run"]
        for names, rows in frame.groupby(groups, sort=True):
            where = ", ".join(f"{g} {n}" for g, n in zip(groups, names, strict=True))
            try:
                ops = frame_history(rows, model)
            except ValueError as exc:
                raise BadInput(f"paxossim lincheck: {path} ({where}): {exc}") from None
            out.append((f"{path} ({where})", "commands.parquet", model, ops))
        return out
    if args.run is not None:
        raise BadInput(f"paxossim lincheck: {path}: --run is for a commands.parquet")
    try:
        parsed = read_history(file, fail_cas=args.fail_cas)
    except ValueError as exc:
        raise BadInput(f"paxossim lincheck: {exc}") from None
    model, ops = args.model or parsed.model, parsed.ops
    if model == "kv" and parsed.model != "kv":
        ops = [_as_kv(op) for op in ops]
    elif model != "kv" and parsed.model == "kv":
        raise BadInput(
            f"paxossim lincheck: {path}: the operations name keys: --model {model} is one "
            "register, use --model kv"
        )
    return [(path, parsed.format, model, ops)]


def _as_kv(op: Op) -> Op:
    f = {"read": "get", "write": "put"}.get(op.f, op.f)
    return Op(op.process, f, op.key, op.value, op.result, op.call, op.ret)


def _describe_op(op: Op) -> str:
    """`p3 cas('k', 1, 2) -> ok  [4, 9]`: the client, the call, what it returned, when."""
    ret = "never returned" if op.ret is None else f"{op.ret:g}"
    return f"p{op.process} {describe(op)}  [{op.call:g}, {ret}]"


def _figure_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") + ".png"


def _lincheck_text(label: str, model: str, ops: list[Op], result: CheckResult) -> str:
    head = f"{label}: {result.verdict} ({model}, {len(ops):,} operations, {result.states:,} states"
    if result.verdict == LINEARIZABLE:
        return head + ")"
    key = "" if result.key is None else f" of key {result.key!r}"
    if result.verdict == UNKNOWN:
        where = "the history" if result.key is None else f"key {result.key!r}"
        return head + f"; the budget ran out on {where}: try a larger --budget)"
    lines = [head + f"; {result.shrink_states:,} more to shrink it)"]
    if result.prefix is not None:
        bound = "" if result.exact else "at least "
        lines.append(f"  longest linearizable prefix{key}: {bound}{result.prefix} operations")
    if result.culprit is not None:
        lines.append(f"  culprit: {_describe_op(result.culprit)}")
    if result.minimal is not None:
        exact = "1-minimal" if result.exact else "not proven 1-minimal: the budget ran out"
        lines.append(f"  smallest sub-history still not linearizable ({exact}):")
        for op in result.minimal:
            mark = "  <- culprit" if op == result.culprit else ""
            lines.append(f"    {_describe_op(op)}{mark}")
    return "\n".join(lines)


def _op_json(op: Op) -> dict:
    return {
        "process": op.process,
        "f": op.f,
        "key": op.key,
        "value": list(op.value) if isinstance(op.value, tuple) else op.value,
        "result": op.result,
        "call": op.call,
        "ret": op.ret,
    }


def _lincheck_json(label: str, fmt: str, model: str, ops: list[Op], result: CheckResult) -> dict:
    return {
        "history": label,
        "format": fmt,
        "model": model,
        "operations": len(ops),
        "verdict": result.verdict,
        "states": result.states,
        "key": result.key,
        "prefix": result.prefix,
        "culprit": None if result.culprit is None else _op_json(result.culprit),
        "minimal": None if result.minimal is None else [_op_json(op) for op in result.minimal],
        "exact": result.exact if result.verdict == NOT_LINEARIZABLE else None,
        "shrink_states": result.shrink_states,
    }


def _load_all(paths: list[str]) -> tuple[list[Scenario], list[str]]:
    """Load every file first, so a bad one is reported before any run starts; warn of
    scenarios that break Paxos on purpose."""
    scenarios, problems = [], []
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            problems.append(str(exc))
            continue
        scenarios.append(scenario)
        for warning in scenario.warnings:
            print(f"warning: {path}: {warning}", file=sys.stderr)
    return scenarios, problems


@contextmanager
def _progress(what: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when a person is watching it (a terminal), else nothing."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(f"{what}: {total} runs", total=total)
        yield lambda n: bar.advance(task, n)


def _figure_path(out: str | None, default: Path) -> Path:
    """Where a figure goes; its suffix and folder are checked before any run starts."""
    path = Path(out) if out else default
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise BadInput(f"--out: a figure must be a {', '.join(FIGURE_SUFFIXES)} file, got {path}")
    _output_folder(path.parent, (path.name,))
    return path


def _output_folder(out: str | Path, files: tuple[str, ...] = ()) -> Path:
    """A folder to write `files` into, checked before any run starts: it, and every
    folder above it, is a folder if it exists, and no file to write is a folder."""
    path = Path(out)
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            raise BadInput(f"--out: {folder} exists and is not a folder")
    for name in files:
        if (path / name).is_dir():
            raise BadInput(f"--out: {path / name} is a folder, where a file is to be written")
    return path


def _distinct_names(scenarios: list[tuple[str, Scenario]]) -> None:
    names = [s.name for _, s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BadInput(
            f"scenario names must be distinct (they name the results), got "
            f"{', '.join(repeated)} more than once"
        )


def _run(args: argparse.Namespace, scenarios: list[tuple[str, Scenario]]) -> int:
    _distinct_names(scenarios)
    out = _output_folder(args.out)
    for _, scenario in scenarios:
        _output_folder(out / scenario.name, (RUNS_FILE, EVENTS_FILE, COMMANDS_FILE, SCENARIO_FILE))
    if args.trace:
        for path, scenario in scenarios:
            rows = 3 * (args.runs or scenario.runs) * scenario.estimated_messages
            if rows > MAX_TRACE_ROWS:
                raise BadInput(
                    f"{path}: --trace would keep about {rows:,} events in memory (3 per "
                    f"message, {scenario.estimated_messages:,} messages per run); at most "
                    f"{MAX_TRACE_ROWS:,}: use fewer --runs"
                )
    unsafe = []
    for path, scenario in scenarios:
        scenario = scenario.with_overrides(
            runs=args.runs,
            seed=args.seed,
            horizon=args.horizon,
            max_events=args.max_events,
            source=f"{path} with the command line's options",
        )
        with _progress(f"{scenario.name}", scenario.runs) as advance:
            batch = run_batch(scenario, workers=args.workers, trace=args.trace, progress=advance)
        folder = write_results(batch, out)
        for _, row in summarize(batch.runs).iterrows():
            _say(format_summary(row))
        if batch.commands is not None:
            _say(format_commands(batch.commands, batch.runs))
        _say(f"  results         {Path(folder) / RUNS_FILE}")
        bad = batch.runs[batch.runs["safety_violations"] > 0]
        if len(bad):
            unsafe.append((path, scenario, bad))
    for path, scenario, bad in unsafe:
        print(violation_report(path, scenario, bad, out), file=sys.stderr)
    return EXIT_UNSAFE if unsafe else EXIT_OK


def _compare(args: argparse.Namespace, scenarios: list[tuple[str, Scenario]]) -> int:
    _distinct_names(scenarios)
    from paxossim.plots import comparison_figure  # matplotlib only where a figure is drawn

    out = _output_folder(args.out, (COMPARISON_FILE, RUNS_FILE, COMMANDS_FILE, COMPARISON_FIGURE))
    runs = args.runs or scenarios[0][1].runs
    if args.max_events is not None:
        scenarios = [
            (p, s.with_overrides(max_events=args.max_events, source=f"{p} with --max-events"))
            for p, s in scenarios
        ]
    with _progress(f"{len(scenarios)} scenarios", runs * len(scenarios)) as advance:
        batches = compare([s for _, s in scenarios], args.runs, args.seed, args.workers, advance)
    runs = pd.concat([b.runs for b in batches], ignore_index=True)
    table = summarize(runs)
    kv = [b.commands for b in batches if b.commands is not None]
    commands = pd.concat(kv, ignore_index=True) if kv else None
    folder = write_comparison(runs, table, comparison_figure(runs), out, commands)
    first = batches[0].scenario
    _say(
        f"{len(batches)} scenarios, {first.runs} runs each on seeds {first.seed}.."
        f"{first.seed + first.runs - 1}"
    )
    _say(format_comparison(table))
    _say(f"results: {folder / COMPARISON_FILE}, {folder / RUNS_FILE}, {folder / COMPARISON_FIGURE}")
    unsafe = [
        (path, b)
        for (path, _), b in zip(scenarios, batches, strict=True)
        if (b.runs["safety_violations"] > 0).any()
    ]
    for path, batch in unsafe:
        bad = batch.runs[batch.runs["safety_violations"] > 0]
        print(violation_report(path, batch.scenario, bad, out), file=sys.stderr)
    return EXIT_UNSAFE if unsafe else EXIT_OK


def _trace(args: argparse.Namespace, path: str, scenario: Scenario) -> int:
    from paxossim.plots import settled_time, spacetime

    seed = scenario.seed if args.seed is None else args.seed
    scenario = scenario.with_overrides(
        horizon=args.horizon,
        max_events=args.max_events,
        source=f"{path} with the command line's options",
    )
    out = _figure_path(args.out, Path("results") / scenario.name / f"trace-seed{seed}.png")
    result = simulate(scenario, seed, trace=True)
    title = describe_run(scenario.name, seed, result.record)
    until = settled_time(result.trace, scenario.horizon) if args.until is None else args.until
    until = min(until, scenario.horizon)  # the run ends there
    fig = spacetime(result.trace, len(scenario.roles), scenario.roles, until, title)
    save_figure(fig, out)
    _say(f"{title}\n  diagram: {out} (0 to {until * 1e3:.4g} ms; --until to change)")
    for violation in result.violations:
        print(f"  SAFETY VIOLATION {violation}", file=sys.stderr)
    return EXIT_UNSAFE if result.violations else EXIT_OK


def _plot(args: argparse.Namespace) -> int:
    from paxossim.plots import latency, livelock, rounds

    out = _figure_path(args.out, Path("results") / f"{args.kind}.png")
    if args.kind != "timeline" and (args.run is not None or args.scenario is not None):
        raise BadInput("paxossim plot: --run and --scenario are for --kind timeline")
    if args.kind == "timeline":
        return _plot_timeline(args, out)
    if args.kind == "latency" and args.column in KV_COLUMNS:
        return _plot_command_latency(args, out)
    try:
        runs = pd.concat([read_runs(r) for r in args.results], ignore_index=True)
    except (OSError, ValueError) as exc:
        raise BadInput(f"paxossim plot: cannot read results: {exc}") from None
    runs = _counted_once(runs, "runs")
    if args.by is not None and args.by not in runs.columns:
        raise BadInput(
            f"paxossim plot: --by: no column {args.by!r}; columns are {', '.join(runs.columns)}"
        )
    if args.kind == "latency":
        fig = latency(runs, args.column or "chosen_at", args.by or "scenario", log=args.log)
    elif args.kind == "livelock":
        fig = livelock(runs, by=args.by)
    else:
        fig = rounds(runs, by=args.by or "scenario")
    save_figure(fig, out)
    _say(f"{args.kind} figure of {len(runs)} runs: {out}")
    return EXIT_OK


def _counted_once(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """The rows, each once: a run folder and a compare folder of one scenario, or one
    folder given twice, hold the same rows."""
    unique = table.drop_duplicates(ignore_index=True)
    if len(unique) < len(table):
        print(
            f"warning: {len(table) - len(unique)} {what} given twice were counted once",
            file=sys.stderr,
        )
    return unique


def _read_commands(paths: list[str], what: str) -> list[tuple[Path, pd.DataFrame]]:
    """Every commands table that `paths` name, with its file: a commands Parquet file, a
    runs Parquet file with one beside it, a results folder holding one, or a folder of
    results folders (every `*/commands.parquet` below it). One line and exit 2 for a
    path that has none: only a kv scenario's results do."""
    from paxossim.observe.commands import COMMAND_COLUMNS

    found = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = (
                [path / COMMANDS_FILE]
                if (path / COMMANDS_FILE).is_file()
                else sorted(path.glob(f"*/{COMMANDS_FILE}"))
            )
            if not files:
                raise BadInput(
                    f"paxossim plot: {what}: {path} has no {COMMANDS_FILE}, nor have its "
                    "subfolders (only the results of a kv scenario have one)"
                )
            skipped = [
                f.parent.name
                for f in sorted(path.glob(f"*/{RUNS_FILE}"))
                if not (f.parent / COMMANDS_FILE).is_file()
            ]
            if skipped and files[0].parent != path:
                print(
                    f"warning: {what}: left out {', '.join(skipped)} (no {COMMANDS_FILE}: "
                    "not a kv scenario)",
                    file=sys.stderr,
                )
        elif path.is_file():
            files = [path]
        else:
            raise BadInput(f"paxossim plot: {path}: no such file or folder")
        for file in files:
            try:
                table = pd.read_parquet(file)
            except Exception as exc:  # pyarrow raises several kinds for a non-Parquet file
                raise BadInput(f"paxossim plot: {file}: not a Parquet file ({exc})") from None
            if not set(COMMAND_COLUMNS) <= set(table.columns):
                beside = file.parent / COMMANDS_FILE
                if file.name != COMMANDS_FILE and beside.is_file():
                    found += _read_commands([str(beside)], what)
                    continue
                raise BadInput(
                    f"paxossim plot: {what}: {file} is not a commands table and has no "
                    f"{COMMANDS_FILE} beside it (only the results of a kv scenario have one)"
                )
            found.append((file, table))
    return found


def _plot_command_latency(args: argparse.Namespace, out: Path) -> int:
    from paxossim.plots import command_latency

    found = _read_commands(args.results, f"--column {args.column}")
    commands = _counted_once(pd.concat([t for _, t in found], ignore_index=True), "commands")
    by = args.by or "scenario"
    if by not in commands.columns:
        raise BadInput(
            f"paxossim plot: --by: no column {by!r} in {COMMANDS_FILE}; columns are "
            f"{', '.join(commands.columns)}"
        )
    fig = command_latency(commands, by, log=True if args.log else None)
    save_figure(fig, out)
    runs = len(commands[["scenario", "seed", "run"]].drop_duplicates())
    _say(f"latency figure of {len(commands)} commands in {runs} runs: {out}")
    return EXIT_OK


def _plot_timeline(args: argparse.Namespace, out: Path) -> int:
    from paxossim.plots import timeline

    found = _read_commands(args.results, "--kind timeline")
    names = list(dict.fromkeys(n for _, t in found for n in t["scenario"].unique()))
    if args.scenario is not None:
        if args.scenario not in names:
            raise BadInput(
                f"paxossim plot: --scenario: no scenario {args.scenario!r} in the results; "
                f"they hold {', '.join(names) or 'no commands'}"
            )
        name = args.scenario
    elif len(names) == 1:
        name = names[0]
    else:
        raise BadInput(
            "paxossim plot: --kind timeline draws one run of one scenario; the results hold "
            f"{', '.join(names) or 'no commands'}: choose one with --scenario"
        )
    file, table = next((f, t) for f, t in found if (t["scenario"] == name).any())
    table = table[table["scenario"] == name]
    runs = sorted(int(r) for r in table["run"].unique())
    run = runs[0] if args.run is None else args.run
    if run not in runs:
        listed = f"{runs[0]}..{runs[-1]}" if runs == list(range(runs[0], runs[-1] + 1)) else runs
        raise BadInput(f"paxossim plot: --run {run}: {name} has runs {listed} in {file}")
    commands = table[table["run"] == run]
    seed = int(commands["seed"].iloc[0])
    scenario = _scenario_beside(file.parent, name)
    horizon = None if scenario is not None else _horizon_beside(file.parent, name, run)
    events = None
    if (file.parent / EVENTS_FILE).is_file():
        events = pd.read_parquet(
            file.parent / EVENTS_FILE,
            filters=[
                ("scenario", "==", name),
                ("seed", "==", seed),
                ("run", "==", run),
                ("event", "==", "LeadershipChanged"),
            ],
        )
    fig = timeline(commands, events, scenario, horizon)
    save_figure(fig, out)
    parts = ["faults of its scenario" if scenario else "no faults (no scenario found)"]
    if scenario is not None and scenario.protocol.strategy == "leaderless":
        pass  # no leader to change
    elif events is not None:
        parts.append("leader changes from its trace")
    else:
        parts.append(f"no leader changes (no {EVENTS_FILE}: run with --trace)")
    shown = ", ".join(parts)
    _say(f"timeline figure of {name} run {run} (seed {seed}), {shown}: {out}")
    return EXIT_OK


def _scenario_beside(folder: Path, name: str) -> Scenario | None:
    """The scenario `name` as run, from a results folder: its scenario.toml, else the
    metadata of its runs or commands Parquet file; None if none of these is it."""
    import json

    import pyarrow.parquet as pq

    from paxossim.scenario import parse_scenario

    candidates = []
    if (folder / SCENARIO_FILE).is_file():
        candidates.append(lambda: load_scenario(folder / SCENARIO_FILE))
    for file in (folder / RUNS_FILE, folder / COMMANDS_FILE):
        if file.is_file():
            candidates.append(
                lambda file=file: parse_scenario(
                    json.loads(pq.read_schema(file).metadata[b"paxossim.scenario"]), str(file)
                )
            )
    for candidate in candidates:
        try:
            scenario = candidate()
        except (ScenarioError, KeyError, TypeError, ValueError, OSError):
            continue  # no metadata, or a file of an older format: try the next
        if scenario.name == name:
            return scenario
    return None


def _horizon_beside(folder: Path, name: str, run: int) -> float | None:
    """The run's horizon from the runs table beside its commands, if any."""
    try:
        runs = pd.read_parquet(folder / RUNS_FILE, columns=["scenario", "run", "horizon"])
    except Exception:  # no runs table there, or not one
        return None
    row = runs[(runs["scenario"] == name) & (runs["run"] == run)]
    return float(row["horizon"].iloc[0]) if len(row) else None


def _report(args: argparse.Namespace) -> int:
    from paxossim.report import build_report

    _output_folder(args.out)
    try:
        index = build_report(
            Path(args.scenarios),
            Path(args.out),
            args.runs,
            args.workers,
            progress=lambda text: print(text, file=sys.stderr),
        )
    except FileNotFoundError as exc:
        raise BadInput(f"paxossim report: {exc}") from None
    _say(f"report: {index}")
    return EXIT_OK


def _swarm(args: argparse.Namespace) -> int:
    from paxossim import swarm

    out = _output_folder(args.out, (swarm.TABLE_FILE,))
    _output_folder(out / swarm.FAILURES)
    bugs = tuple(sorted(set(args.bug)))
    with _progress("swarm", args.runs) as advance:
        table = swarm.run_swarm(args.runs, args.seed, args.workers, args.strategy, bugs, advance)
    path = swarm.write_swarm_table(table, out)
    failing = int(((table["invariant"] != "") | table["liveness_failed"]).sum())
    if failing:
        print(
            f"{failing} runs failed: writing their scenarios into {out / swarm.FAILURES} and "
            f"shrinking the first {min(failing, swarm.SHRINK_FAILURES)}",
            file=sys.stderr,
        )
    failures = swarm.write_failures(table, out, args.strategy, bugs, args.workers)
    _say(swarm.format_summary(table, path))
    if failures:
        print(swarm.format_failures(failures), file=sys.stderr)
    if (table["invariant"] != "").any():
        return EXIT_UNSAFE
    return EXIT_NOT_LIVE if table["liveness_failed"].any() else EXIT_OK


def violation_report(
    path: str, scenario: Scenario, bad: pd.DataFrame, out: Path | str = "results", shown: int = 20
) -> str:
    """Which seeds broke which invariant, and the events that led to the first break."""
    seeds = ", ".join(str(s) for s in bad["seed"].head(shown))
    more = f" and {len(bad) - shown} more" if len(bad) > shown else ""
    first = bad.iloc[0]
    seed = int(first["seed"])
    result = simulate(scenario, seed, trace=True)
    violation = result.violations[0]
    events = result.trace[
        (result.trace["time"] <= violation.time) & (result.trace["event"] != "send")
    ].tail(EVENTS_BEFORE_VIOLATION)
    horizon = f"--horizon {scenario.horizon:g}"
    if scenario.max_events != DEFAULT_MAX_EVENTS:
        horizon += f" --max-events {scenario.max_events}"
    # draw a little past the violation, so that its own step is in the picture
    until = f" --until {violation.time * 1.1 + 0.001:.6g}"
    lines = [
        f"SAFETY VIOLATION in {scenario.name}: {len(bad)} of {scenario.runs} runs, "
        f"seeds {seeds}{more}",
        f"  first: seed {seed}: {violation}",
        f"  the last {len(events)} events before it (sends left out):",
        *("    " + line for line in events.to_string(index=False).splitlines()),
        f"  reproduce: paxossim run {path} --seed {seed} --runs 1 {horizon} --trace "
        f"--out {Path(out) if Path(out).name == 'reproduce' else Path(out) / 'reproduce'}",
        f"  draw it:   paxossim trace {path} --seed {seed} {horizon}{until}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
