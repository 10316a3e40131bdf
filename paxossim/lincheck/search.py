"""The linearizability check: a depth-first search for a linearization, with memoisation.

Deciding linearizability is NP-complete in general (Gibbons & Korach 1997), so the checker
searches. It is the algorithm of Wing & Gong (1993) with Lowe's improvement (Lowe 2017,
"Testing for linearizability"), as Porcupine implements it (checker.go): the calls and
returns of the history, sorted by time, are a doubly linked list; the search linearizes,
just in time, one of the calls that come before the first remaining return (any of them
could take effect first), and removes the call and its return from the list; when it meets
a return whose call it has not linearized, it backtracks. Lowe's memoisation makes it
practical: a configuration (the set of linearized operations, the model's state) reached
once and abandoned is never explored again, since its future does not depend on the order
that led there. A configuration is stored as (frontier, window, pending set, state): the
completed operations, numbered by call time, below `frontier` are all linearized, `window`
is the bitset of the linearized ones from `frontier` on (short: concurrency is bounded),
and the pending ones have a bitset of their own.

An operation that never returned is treated as returning at +infinity, so it may be
linearized at any point after its call; it need not be linearized at all (it may never
have taken effect): the search succeeds as soon as every completed operation is. A pending
read has neither a result nor an effect, so it is dropped before the search.

P-compositionality (Horn & Kroening 2015): a history of independent objects (the keys of
a kv store) is linearizable if and only if each object's sub-history is, so each key is
checked alone; the search can take time exponential in the length of what it searches,
so this is what makes long kv histories cheap. A key whose operations never overlap is
checked by replaying them in order, without the search.

Determinism: effort is counted in search steps (each call tried, each backtrack, each op
replayed), never in wall time, and the budget is a number of such steps, shared by the
keys in the order of their first call; with several keys, a first pass gives each key at
most budget / (2 * keys) steps, so that one expensive key does not hide a violation on a
cheap one, and the keys it left undecided are then searched again, in order, with the rest
(their first-pass steps count as spent). When it runs out the verdict is "unknown", never a
guess. For a violation the checker reports the failing key, the longest linearizable
prefix of that key's history (by bisection), the culprit (the operation whose response
first cannot be explained) and a small sub-history that is still not linearizable, found
by greedy deletion (delta debugging, then one operation at a time). Plain deletion tends
to manufacture violations: delete the writes before a read and the read alone is
inexplicable. So a deletion must keep the writes a kept read observed, and must keep the
violation the culprit's (the rest stays linearizable with the culprit pending); see
`CheckResult.exact` for what that guarantees.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace

from paxossim.lincheck.history import READS, Op
from paxossim.lincheck.models import Model, get_model

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "not linearizable"
UNKNOWN = "unknown"

DEFAULT_BUDGET = 10_000_000


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one history.

    - `verdict`: "linearizable", "not linearizable" or "unknown" (the budget ran out before
      the search decided; never a guess).
    - `states`: search steps spent on the verdict (at most the budget).
    - `key`: the key (partition) found not linearizable, or whose search ran out of budget;
      None otherwise (and always None for the register models, which have one partition).
    - `minimal`: for "not linearizable", a sub-history of that key's operations, in call
      order, that is itself not linearizable (always verified); otherwise None.
    - `prefix`: for "not linearizable", the longest linearizable prefix of that key's
      history: the largest k such that the first k operations by call time, as the history
      stood just before the (k+1)-th call (operations still running then count as never
      returned), are linearizable. Linearizability of such prefixes is monotone in k, so
      this is found by bisection. Otherwise None.
    - `culprit`: for "not linearizable", the operation whose response first cannot be
      explained (the history is linearizable with it pending, as if it had never
      returned), when there is one such operation; it is then in `minimal`, and `minimal`
      with it pending is linearizable. Otherwise None.
    - `exact`: for "not linearizable", True if no check that the guarantees below rest on
      ran out of budget. Then `prefix` is exact, and `minimal` is 1-minimal: removing any
      single operation other than the culprit leaves a linearizable history, unless the
      operation may have written a value, or part of one, that a read (or successful cas)
      in `minimal` observed (see `keeps_sources`), or, with a culprit, unless the rest
      with the culprit pending is no longer linearizable (the removal made another
      operation inexplicable: a new violation, not a smaller one). These rules make a
      stale read shrink to the writes it read, the write it missed and itself, not to a
      read of a value nobody wrote. False: `prefix` is a lower bound and `minimal`, still
      not linearizable, may not be 1-minimal in that sense.
    - `shrink_states`: search steps spent on `prefix` and `minimal`.
    """

    verdict: str
    states: int
    key: Hashable | None = None
    minimal: tuple[Op, ...] | None = None
    prefix: int | None = None
    culprit: Op | None = None
    exact: bool = True
    shrink_states: int = 0

    @property
    def linearizable(self) -> bool:
        return self.verdict == LINEARIZABLE


def check_history(
    history: Iterable[Op],
    model: str | Model = "kv",
    budget: int = DEFAULT_BUDGET,
    *,
    minimize: bool = True,
    shrink_budget: int | None = None,
) -> CheckResult:
    """Whether `history` is linearizable with respect to `model` ("register",
    "cas-register" or "kv"), spending at most `budget` search steps on the verdict and at
    most `shrink_budget` (default: `budget`) on the prefix and minimal sub-history of a
    violation (skipped with `minimize=False`)."""
    m = get_model(model)
    parts = partition(list(history), m)
    spent = 0
    # With several keys, a first pass gives each at most budget / (2 * keys) steps, so that
    # a key that is cheap to refute is not hidden behind an expensive one; the keys it left
    # undecided are searched again from the start, in order, with what is left.
    todo = list(parts)
    if len(parts) > 1:
        cap, todo = budget // (2 * len(parts)), []
        for key, ops in parts.items():
            decided, used = decide(ops, m.part or m, min(cap, budget - spent))
            spent += used
            if decided is None:
                todo.append(key)
            elif not decided:
                return _refuted(ops, m, key, spent, budget, shrink_budget, minimize)
    for key in todo:
        decided, used = decide(parts[key], m.part or m, budget - spent)
        spent += used
        if decided is None:
            return CheckResult(UNKNOWN, spent, key)
        if not decided:
            return _refuted(parts[key], m, key, spent, budget, shrink_budget, minimize)
    return CheckResult(LINEARIZABLE, spent)


def _refuted(
    ops: list[Op],
    m: Model,
    key: Hashable,
    spent: int,
    budget: int,
    shrink_budget: int | None,
    minimize: bool,
) -> CheckResult:
    if not minimize:
        return CheckResult(NOT_LINEARIZABLE, spent, key, exact=False)
    return _explain(ops, m.part or m, key, spent, budget, shrink_budget)


def partition(history: list[Op], model: Model) -> dict[Hashable, list[Op]]:
    """The history split into independent parts, each sorted by call time (ties in the
    given order), the parts in the order of their first call."""
    for op in history:
        if not isinstance(op, Op):
            raise TypeError(f"not an Op: {op!r}")
        if op.f not in model.kinds:
            raise ValueError(f"model {model.name!r} has no operation {op.f!r}: {op}")
        if model.partition is None and op.key is not None:
            raise ValueError(f"model {model.name!r} takes no keys (key=None): {op}")
    ordered = sorted(history, key=lambda op: op.call)  # stable: ties keep the given order
    parts: dict[Hashable, list[Op]] = {}
    if model.partition is None:
        return {None: ordered} if ordered else {}
    for op in ordered:
        parts.setdefault(model.partition(op), []).append(op)
    return parts


def decide(ops: list[Op], model: Model, budget: int) -> tuple[bool | None, int]:
    """(True: linearizable, False: not, None: the budget ran out; steps spent) for one
    part, its operations sorted by call time."""
    ops = [op for op in ops if not (op.ret is None and op.f in READS)]
    if _sequential(ops):
        return _replay(ops, model, budget)
    return _search(ops, model, budget)


def _sequential(ops: list[Op]) -> bool:
    """No two operations overlap (a pending one can only be the last)."""
    for a, b in zip(ops, ops[1:], strict=False):
        if a.ret is None or not a.ret < b.call:
            return False
    return True


def _replay(ops: list[Op], model: Model, budget: int) -> tuple[bool | None, int]:
    """The only order real time allows, step by step."""
    state, step = model.init, model.step
    for steps, op in enumerate(ops):
        if steps >= budget:
            return None, steps
        ok, state = step(state, op)
        if not ok:
            return False, steps + 1
    return True, len(ops)


def _search(ops: list[Op], model: Model, budget: int) -> tuple[bool | None, int]:
    """Wing & Gong's search with Lowe's memoisation, over a linked list of calls and
    returns (entry 0 is the head, the last entry a tail that is never reached)."""
    n = len(ops)
    events = []  # (time, kind: 0 call, 1 return, op index): calls first at equal times
    for i, op in enumerate(ops):
        events.append((op.call, 0, i))
        if op.ret is not None:
            events.append((op.ret, 1, i))
    events.sort()
    size = len(events) + 2
    nxt = list(range(1, size + 1))
    prv = list(range(-1, size - 1))
    op_of = [-1] * size  # op index of a call entry, -1 for returns and sentinels
    ret_of = [0] * size  # a call entry's return entry, 0 if it never returned
    where = [0] * n
    for e, (_, kind, i) in enumerate(events, start=1):
        if kind == 0:
            op_of[e] = i
            where[i] = e
        else:
            ret_of[where[i]] = e
    # completed ops are numbered 0.. in call order (for the frontier), pending ones apart
    index = [0] * n
    completed = pending = 0
    for i, op in enumerate(ops):
        if op.ret is None:
            index[i], pending = pending, pending + 1
        else:
            index[i], completed = completed, completed + 1

    step = model.step
    state = model.init
    frontier = window = pend = done = 0
    seen: set = set()
    stack: list = []
    steps = 0
    e = nxt[0]
    while done < completed:
        if steps >= budget:
            return None, steps
        steps += 1
        i = op_of[e]
        if i >= 0:  # a call: try to linearize it now
            op = ops[i]
            ok, new = step(state, op)
            if ok:
                r = ret_of[e]
                if r:
                    f2, p2 = frontier, pend
                    w2 = window | (1 << (index[i] - frontier))
                    if w2 & 1:
                        ones = ((w2 ^ (w2 + 1)) >> 1).bit_length()
                        w2 >>= ones
                        f2 += ones
                else:
                    f2, w2, p2 = frontier, window, pend | (1 << index[i])
                config = (f2, w2, p2, new)
                if config not in seen:
                    seen.add(config)
                    stack.append((e, state, frontier, window, pend))
                    state, frontier, window, pend = new, f2, w2, p2
                    if r:
                        done += 1
                    # lift the call and its return out of the list
                    a, b = prv[e], nxt[e]
                    nxt[a], prv[b] = b, a
                    if r:
                        a, b = prv[r], nxt[r]
                        nxt[a], prv[b] = b, a
                    e = nxt[0]
                    continue
            e = nxt[e]
        else:  # a return whose call is not linearized: undo the last choice
            if not stack:
                return False, steps
            e, state, frontier, window, pend = stack.pop()
            r = ret_of[e]
            if r:
                done -= 1
                nxt[prv[r]] = r
                prv[nxt[r]] = r
            nxt[prv[e]] = e
            prv[nxt[e]] = e
            e = nxt[e]
    return True, steps


def _explain(
    ops: list[Op],
    model: Model,
    key: Hashable,
    spent: int,
    budget: int,
    shrink_budget: int | None,
) -> CheckResult:
    """The longest linearizable prefix, the culprit and a minimal sub-history of a
    failing part."""
    shrinker = _Shrinker(model, budget, budget if shrink_budget is None else shrink_budget)
    prefix = shrinker.longest_prefix(ops)
    culprit, start = shrinker.culprit(ops, prefix)
    minimal = shrinker.minimize(start, culprit)
    return CheckResult(
        NOT_LINEARIZABLE,
        spent,
        key,
        minimal=tuple(minimal),
        prefix=prefix,
        culprit=culprit,
        exact=shrinker.exact,
        shrink_states=shrinker.spent,
    )


def observed_prefix(ops: list[Op], k: int) -> list[Op]:
    """The first k operations (sorted by call) as the history stood just before the
    (k+1)-th call: those that had not returned by then never returned."""
    if k >= len(ops):
        return list(ops)
    t = ops[k].call
    return [
        op if op.ret is not None and op.ret < t else replace(op, ret=None, result=None)
        for op in ops[:k]
    ]


def relaxed(ops: list[Op], culprit: Op) -> list[Op]:
    """`ops` with `culprit` (by identity) as if it had never returned."""
    return [replace(op, ret=None, result=None) if op is culprit else op for op in ops]


class _Shrinker:
    """Checks of sub-histories of one part, each within the per-check budget and all
    within the shrinking budget; a check that runs out counts as undecided (and makes the
    outcome inexact)."""

    def __init__(self, model: Model, budget: int, total: int):
        self.model, self.budget, self.total = model, budget, total
        self.spent = 0
        self.exact = True

    def check(self, ops: list[Op]) -> bool | None:
        allowance = min(self.budget, self.total - self.spent)
        decided = None
        if allowance > 0:
            decided, used = decide(ops, self.model, allowance)
            self.spent += used
        if decided is None:
            self.exact = False
        return decided

    def longest_prefix(self, ops: list[Op]) -> int:
        """Bisection: the observed prefix of length `lo` is linearizable, of `hi` not."""
        lo, hi = 0, len(ops)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.check(observed_prefix(ops, mid)):
                lo = mid
            else:
                hi = mid
        return lo

    def culprit(self, ops: list[Op], k: int) -> tuple[Op | None, list[Op]]:
        """The operation whose response first cannot be explained, and where to start
        shrinking. Going from the observed prefix of length k (linearizable) to k + 1 (not)
        some operations gained a response; the culprit is the first of them (by call) that,
        made pending again, leaves the prefix of length k + 1 linearizable. The start is a
        sub-history of `ops[:k + 1]` that is not linearizable but is with the culprit
        pending: without the operations still running at the (k+2)-th call, or with them.
        (None, a non-linearizable start) if there is no such operation or start."""
        exact = self.exact  # what follows only chooses: an undecided check costs no rigour
        try:
            return self._culprit(ops, k)
        finally:
            self.exact = exact

    def _culprit(self, ops: list[Op], k: int) -> tuple[Op | None, list[Op]]:
        fallback = ops[: k + 1]
        if len(fallback) < len(ops) and self.check(fallback) is not False:
            fallback = ops
        before, after = observed_prefix(ops, k), observed_prefix(ops, k + 1)
        answered = [
            j
            for j in range(k + 1)
            if after[j].ret is not None and (j == k or before[j].ret is None)
        ]
        for j in answered:
            if self.check(relaxed(after, after[j])):
                culprit = ops[j]
                break
        else:
            return None, fallback
        running = [j for j in range(k + 1) if after[j].ret is None and ops[j].ret is not None]
        for start in ([op for j, op in enumerate(ops[: k + 1]) if j not in running], ops[: k + 1]):
            if self.check(start) is False and self.check(relaxed(start, culprit)) is True:
                return culprit, start
        return None, fallback

    def minimize(self, ops: list[Op], culprit: Op | None) -> list[Op]:
        """Greedy deletion while the rest stays not linearizable: chunks of halving size
        (delta debugging), then single operations, in call order, until a whole pass of
        single deletions removes nothing. A deletion must keep the sources of reads (see
        `keeps_sources`) and, given a culprit, keep it and keep the rest linearizable with
        the culprit pending: that is, the violation stays the culprit's, and deleting the
        writes that explained some other operation does not make a new one."""
        current = list(ops)
        exact = self.exact  # only the last pass's checks bear on 1-minimality
        size = len(current) // 2
        while size > 1:
            current, _ = self._pass(current, size, culprit)
            size //= 2
        while True:
            self.exact = exact
            current, changed = self._pass(current, 1, culprit)
            if not changed:
                return current

    def _pass(self, current: list[Op], size: int, culprit: Op | None) -> tuple[list[Op], bool]:
        changed = False
        i = 0
        while i < len(current):
            removed = current[i : i + size]
            trial = current[:i] + current[i + size :]
            if (
                any(op is culprit for op in removed)
                or not keeps_sources(trial, removed)
                or self.check(trial) is not False
                or (culprit is not None and self.check(relaxed(trial, culprit)) is not True)
            ):
                i += size
            else:
                current, changed = trial, True
        return current, changed


def _seen(op: Op):
    """The value `op` says it observed: what a get/read returned, the expected value of
    a cas that succeeded; None if none (or absent)."""
    if op.ret is None:
        return None
    if op.f in READS:
        return op.result
    if op.f == "cas" and op.result is True:
        return op.value[0]
    return None


def _contributes(op: Op, value, appended: set[str]) -> bool:
    """Whether `op` may have written `value`, or a part of it: a put/write/cas of that
    value, or of a string that `value` starts with, the rest being a concatenation of
    `appended` strings; an append of a string that occurs in `value`. A cas known to have
    failed wrote nothing."""
    if op.f in READS or (op.f == "cas" and op.result is False):
        return False
    written = op.value[1] if op.f == "cas" else op.value
    if written == value:
        return True
    if not (isinstance(written, str) and isinstance(value, str)):
        return False
    if op.f == "append":
        return written in value
    return value.startswith(written) and _concatenation(value[len(written) :], appended)


def _concatenation(text: str, parts: set[str]) -> bool:
    """Whether `text` is a concatenation of strings of `parts` (each usable many times)."""
    lengths = sorted({len(p) for p in parts if p})
    ends = [True] + [False] * len(text)
    for j in range(1, len(text) + 1):
        ends[j] = any(n <= j and ends[j - n] and text[j - n : j] in parts for n in lengths)
    return ends[-1]


def keeps_sources(kept: list[Op], removed: list[Op]) -> bool:
    """Whether none of the `removed` operations may have written (part of) a value that
    one of the `kept` operations observed. Without this rule a stale read would shrink to
    the read alone ("read a value nobody wrote"), which says nothing of the write it
    missed; with it the minimal history keeps the writes it read and the one it missed."""
    seen = {value for op in kept if (value := _seen(op)) is not None}
    if not seen:
        return True
    appended = {op.value for op in (*kept, *removed) if op.f == "append"}
    return not any(_contributes(op, value, appended) for op in removed for value in seen)
