"""Sequential specifications: what each operation must return if they ran one at a time.

A model is an initial state and a function `step(state, op) -> (ok, new_state)`: `ok` says
whether `op`'s recorded result is what the object would answer in `state`, and `new_state`
is the state after it. An operation that never returned (`op.ret is None`) has no recorded
result, so any result is acceptable (`ok` is True), but it still has its effect: a pending
cas succeeds if and only if the state holds its expected value. States are hashable, so
that the search can remember which (linearized set, state) pairs it has seen (Lowe 2017).

- `register`: one value, initially None; `read` (or `get`) must return it, `write` (or
  `put`) replaces it.
- `cas-register`: a register with `cas(expected, new)`: if the value equals `expected` it
  becomes `new` and the cas returns True, otherwise nothing changes and it returns False.
- `kv`: a map from keys to strings, every key initially absent (None); `get`, `put`, `cas`
  per key as for the cas-register, and `append(s)`: the value becomes the old value with
  `s` concatenated at the end, where an absent value counts as the empty string (so
  appending to an absent key gives `s`; this is Porcupine's kv model). A cas whose expected
  value is None succeeds only on an absent key. The keys are independent objects, so
  the checker splits a kv history by key and checks each key alone (P-compositionality,
  Horn & Kroening 2015); `part` is the model of one key.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from paxossim.lincheck.history import Op

State = Hashable
Step = Callable[[Any, Op], tuple[bool, Any]]


@dataclass(frozen=True)
class Model:
    """A sequential specification; `partition` and `part` are set for a model made of
    independent parts (kv: one part per key)."""

    name: str
    kinds: frozenset[str]
    init: State
    step: Step
    partition: Callable[[Op], Hashable] | None = None
    part: "Model | None" = None


def value_step(state: Any, op: Op) -> tuple[bool, Any]:
    """One register (or one key of the map): `state` is its value, None when absent."""
    f, pending = op.f, op.ret is None
    if f == "get" or f == "read":
        return pending or op.result == state, state
    if f == "put" or f == "write":
        return True, op.value
    if f == "append":
        return True, op.value if state is None else state + op.value
    if f == "cas":
        expected, new = op.value
        if state == expected:
            return pending or op.result is True, new
        return pending or op.result is False, state
    raise ValueError(f"unknown operation {f!r}")


def kv_step(state: frozenset, op: Op) -> tuple[bool, frozenset]:
    """The whole map, as a frozenset of (key, value) pairs of the present keys."""
    current = dict(state)
    ok, value = value_step(current.get(op.key), op)
    if value is None:
        current.pop(op.key, None)
    else:
        current[op.key] = value
    return ok, frozenset(current.items())


REGISTER = Model("register", frozenset({"read", "write", "get", "put"}), None, value_step)
CAS_REGISTER = Model(
    "cas-register", frozenset({"read", "write", "get", "put", "cas"}), None, value_step
)
KV_KEY = Model("kv-key", frozenset({"get", "put", "append", "cas"}), None, value_step)
KV = Model("kv", KV_KEY.kinds, frozenset(), kv_step, partition=lambda op: op.key, part=KV_KEY)

MODELS: dict[str, Model] = {m.name: m for m in (REGISTER, CAS_REGISTER, KV)}


def get_model(model: "str | Model") -> Model:
    """The model named `model` (one of MODELS), or `model` itself."""
    if isinstance(model, Model):
        return model
    try:
        return MODELS[model]
    except KeyError:
        raise ValueError(f"unknown model {model!r}: not one of {sorted(MODELS)}") from None
