"""Test helpers: a brute-force linearizability reference and history generators.

The reference knows nothing of the checker's search: it tries every subset of the
operations that never returned (each may or may not have taken effect) and every order of
the chosen operations that respects real time (`a` before `b` whenever `a.ret < b.call`),
stepping the whole model (for kv: the whole map, without splitting by key). It is
exponential, so only for histories of a handful of operations.
"""

import itertools

import numpy as np

from paxossim.lincheck.history import Op
from paxossim.lincheck.models import get_model


def brute_force(history, model) -> bool:
    m = get_model(model)
    ops = list(history)
    pending = [i for i, op in enumerate(ops) if op.ret is None]
    done = [i for i, op in enumerate(ops) if op.ret is not None]
    for r in range(len(pending) + 1):
        for chosen in itertools.combinations(pending, r):
            if _some_order(ops, done + list(chosen), m):
                return True
    return False


def _some_order(ops, included, m) -> bool:
    for order in itertools.permutations(included):
        if not _respects_real_time(ops, order):
            continue
        state, ok = m.init, True
        for i in order:
            ok, state = m.step(state, ops[i])
            if not ok:
                break
        if ok:
            return True
    return False


def _respects_real_time(ops, order) -> bool:
    for x, i in enumerate(order):
        for j in order[x + 1 :]:
            if ops[j].ret is not None and ops[j].ret < ops[i].call:
                return False  # j precedes i in real time but comes after it here
    return True


KINDS = {
    "register": ("read", "write"),
    "cas-register": ("read", "write", "cas"),
    "kv": ("get", "put", "append", "cas"),
}
VALUES = {"register": (1, 2, 3), "cas-register": (1, 2, 3), "kv": ("x", "y")}


def random_history(rng: np.random.Generator, model: str, n: int) -> list[Op]:
    """Random operations with random results: times on a coarse grid (ties happen), some
    operations never return. Mostly not linearizable."""
    values = VALUES[model]
    seen = [None, *values] + (["xy", "yx", "xx"] if model == "kv" else [])
    ops = []
    for _ in range(n):
        f = str(rng.choice(KINDS[model]))
        key = str(rng.choice(["a", "b"])) if model == "kv" else None
        call = int(rng.integers(0, 8))
        ret = None if rng.random() < 0.2 else call + int(rng.integers(0, 4))
        value = result = None
        if f in ("read", "get"):
            result = seen[int(rng.integers(len(seen)))]
        elif f == "cas":
            value = (
                [None, *values][int(rng.integers(len(values) + 1))],
                values[int(rng.integers(len(values)))],
            )
            result = bool(rng.random() < 0.5)
        else:
            value = values[int(rng.integers(len(values)))]
        ops.append(
            Op(int(rng.integers(3)), f, key, value, None if ret is None else result, call, ret)
        )
    return ops


def executed_history(
    rng: np.random.Generator,
    model: str,
    n: int,
    *,
    clients: int = 3,
    keys=("a", "b"),
    pending: float = 0.1,
    span: float = 4.0,
    grid: float | None = 1.0,
    respawn: bool = False,
    unique: bool = False,
) -> list[Op]:
    """A linearizable history from a real execution: each client issues one operation at a
    time; each operation takes effect at a random instant inside its interval, on a
    sequential store, and returns what the store answered. An operation may never return
    (with probability `pending`); it then takes effect at its instant or never, and its
    client stops, or with `respawn` goes on as a new process (as Jepsen's clients do).
    Times are multiples of `grid` (None: continuous). With `unique`, every write (and
    cas) writes a value of its own."""
    kinds, values = KINDS[model], VALUES[model]
    free = [0.0] * clients
    alive = [True] * clients
    process = list(range(clients))
    latest: dict = {}
    planned = []  # (point, index, op fields)
    for _ in range(n):
        live = [c for c in range(clients) if alive[c]]
        if not live:
            break
        c = live[int(rng.integers(len(live)))]
        call = free[c] + rng.random() * span
        ret = call + rng.random() * span
        if grid:
            call = round(call / grid) * grid
            ret = max(call, round(ret / grid) * grid)
        point = call + rng.random() * (ret - call)
        f = str(rng.choice(kinds))
        key = keys[int(rng.integers(len(keys)))] if model == "kv" else None
        if f == "cas":
            value = (
                [None, *values][int(rng.integers(len(values) + 1))],
                values[int(rng.integers(len(values)))],
            )
        elif f in ("read", "get"):
            value = None
        else:
            value = values[int(rng.integers(len(values)))]
        if unique and f not in ("read", "get"):
            mine = f"{len(planned)}." if f == "append" else f"v{len(planned)}"
            if f == "cas":
                value = (latest.get(key) if rng.random() < 0.7 else value[0], mine)
            else:
                value = mine
            latest[key] = mine  # a likely expected value for the next cas
        lost = rng.random() < pending
        planned.append([point, len(planned), process[c], f, key, value, call, ret])
        if lost:
            planned[-1][-1] = None
            if respawn:
                process[c] += clients
            else:
                alive[c] = False
            if rng.random() < 0.5:
                planned[-1][0] = None  # it never took effect
        free[c] = ret
    store: dict = {}
    results = {}
    for _point, i, _, f, key, value, *_ in sorted(
        (p for p in planned if p[0] is not None), key=lambda p: (p[0], p[1])
    ):
        current = store.get(key)
        if f in ("read", "get"):
            results[i] = current
        elif f == "cas":
            results[i] = current == value[0]
            if results[i]:
                store[key] = value[1]
        elif f == "append":
            store[key] = value if current is None else current + value
        else:
            store[key] = value
    ops = []
    for _, i, c, f, key, value, call, ret in planned:
        result = results.get(i) if ret is not None and f in ("read", "get", "cas") else None
        ops.append(Op(c, f, key, value, result, call, ret))
    return ops
