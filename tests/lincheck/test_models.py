"""Every rule of the sequential models, one step at a time."""

import pytest

from paxossim.lincheck.history import Op
from paxossim.lincheck.models import CAS_REGISTER, KV, MODELS, REGISTER, get_model, value_step


def op(f, value=None, result=None, ret=1.0, key=None):
    return Op(0, f, key, value, result, 0.0, ret)


@pytest.mark.parametrize(
    "state, o, ok, after",
    [
        # a read must return the value; None is "absent / never written"
        (None, op("read", result=None), True, None),
        (None, op("read", result=1), False, None),
        (1, op("read", result=1), True, 1),
        (1, op("read", result=2), False, 1),
        (1, op("read", result=None), False, 1),
        (1, op("get", result=1), True, 1),
        (1, op("get", result=2), False, 1),
        # a read that never returned accepts anything and changes nothing
        (1, op("read", ret=None), True, 1),
        # a write replaces the value, whatever it was
        (None, op("write", 2), True, 2),
        (1, op("write", 2), True, 2),
        (1, op("put", 3), True, 3),
        (1, op("write", 2, ret=None), True, 2),
        # cas: succeeds (True) exactly when the value equals `expected`, and writes `new`
        (1, op("cas", (1, 2), True), True, 2),
        (1, op("cas", (1, 2), False), False, 2),
        (3, op("cas", (1, 2), False), True, 3),
        (3, op("cas", (1, 2), True), False, 3),
        (None, op("cas", (None, 2), True), True, 2),
        (None, op("cas", (1, 2), False), True, None),
        (1, op("cas", (None, 2), False), True, 1),
        # a cas that never returned has its effect if its expected value is there
        (1, op("cas", (1, 2), ret=None), True, 2),
        (3, op("cas", (1, 2), ret=None), True, 3),
        # append concatenates; appending to an absent value gives the appended string
        (None, op("append", "x"), True, "x"),
        ("x", op("append", "y"), True, "xy"),
        ("xy", op("append", "z", ret=None), True, "xyz"),
    ],
)
def test_value_step(state, o, ok, after):
    assert value_step(state, o) == (ok, after)


def test_kv_keys_are_independent_and_absent_is_none():
    s = KV.init
    ok, s = KV.step(s, op("put", "x", key="a"))
    assert ok and dict(s) == {"a": "x"}
    assert KV.step(s, op("get", result=None, key="b"))[0]
    assert not KV.step(s, op("get", result="x", key="b"))[0]
    assert KV.step(s, op("get", result="x", key="a"))[0]
    ok, s = KV.step(s, op("append", "y", key="b"))
    assert ok and dict(s) == {"a": "x", "b": "y"}
    ok, s = KV.step(s, op("append", "z", key="a"))
    assert ok and dict(s) == {"a": "xz", "b": "y"}
    ok, s2 = KV.step(s, op("cas", ("xz", "w"), True, key="a"))
    assert ok and dict(s2) == {"a": "w", "b": "y"}
    assert not KV.step(s, op("cas", ("x", "w"), True, key="a"))[0]


def test_states_are_hashable():
    s = KV.init
    for o in (op("put", "x", key="a"), op("append", "y", key="b")):
        s = KV.step(s, o)[1]
        hash(s)
    # the same map reached in two orders is the same state
    t = KV.step(KV.step(KV.init, op("append", "y", key="b"))[1], op("put", "x", key="a"))[1]
    assert s == t and hash(s) == hash(t)


def test_which_operations_each_model_has():
    assert REGISTER.kinds == {"read", "write", "get", "put"}
    assert CAS_REGISTER.kinds == {"read", "write", "get", "put", "cas"}
    assert KV.kinds == {"get", "put", "append", "cas"}
    assert set(MODELS) == {"register", "cas-register", "kv"}
    assert get_model("kv") is KV and get_model(KV) is KV
    with pytest.raises(ValueError, match="unknown model"):
        get_model("queue")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(f="pop"), "unknown operation"),
        (dict(call=float("nan")), "finite"),
        (dict(ret=float("nan")), "None"),
        (dict(call=2.0, ret=1.0), "before its call"),
        (dict(f="read", result=1, ret=None), "no result"),
        (dict(f="cas", value=1, result=True), "tuple"),
        (dict(f="cas", value=(1, 2), result="ok"), "True or False"),
        (dict(f="read", value=1), "takes no value"),
        (dict(f="write", value=1, result="ok"), "has no result"),
    ],
)
def test_malformed_operations_are_refused(kwargs, message):
    fields = dict(process=0, f="write", key=None, value=1, result=None, call=0.0, ret=1.0)
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Op(**fields)
