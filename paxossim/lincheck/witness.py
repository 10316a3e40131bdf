"""Checking one proposed linearization instead of searching for one.

A system under test often knows the order in which it applied the operations: a
replicated log knows its slots. If that order is a linearization, the history is
linearizable and no search is needed, which makes the common case linear in the history.
An order is a linearization if (1) every operation that returned is in it, once, (2)
replaying it on the sequential model gives every recorded result, and (3) it respects
real time: an operation that returned before another was called comes first. A total
order that respects real time can always be given instants inside the operations'
intervals, taken in order, so (3) is all that time asks. An operation that never
returned may be in it (it took effect) or not (it did not).

A failed witness proves nothing: the history may still have another linearization, and
the search (`check_history`) decides.
"""

from collections.abc import Sequence

from paxossim.lincheck.history import Op
from paxossim.lincheck.models import Model, get_model


def check_witness(history: Sequence[Op], order: Sequence[int], model: str | Model = "kv") -> bool:
    """Whether linearizing `history[i]` for i in `order`, in that order, is a valid
    linearization of `history` under `model`."""
    m = get_model(model)
    if len(set(order)) != len(order):
        return False
    placed = set(order)
    if any(op.ret is not None and i not in placed for i, op in enumerate(history)):
        return False
    # real time: no operation may come after one that was called after it returned
    earliest_return = float("inf")
    for i in reversed(order):
        op = history[i]
        if earliest_return < op.call:
            return False
        if op.ret is not None and op.ret < earliest_return:
            earliest_return = op.ret
    if m.partition is None:
        state = m.init
        for i in order:
            ok, state = m.step(state, history[i])
            if not ok:
                return False
        return True
    states: dict = {}
    part = m.part
    for i in order:
        op = history[i]
        key = m.partition(op)
        ok, states[key] = part.step(states.get(key, part.init), op)
        if not ok:
            return False
    return True
