"""The replicated state machine alone: what each command does, and exactly-once."""

from paxossim.protocol.kvstore import NOOP, Command, KVStore


def c(seq, op, key="k", value=None, expected=None, client=9):
    return Command(client, seq, op, key, value, expected)


def test_put_get_append_cas():
    kv = KVStore()
    assert kv.apply((c(1, "get"),)) == (None,)  # absent
    assert kv.apply((c(2, "put", value="a"), c(3, "get"))) == ("ok", "a")
    assert kv.apply((c(4, "append", value="b"), c(5, "get"))) == ("ok", "ab")
    assert kv.apply((c(6, "cas", value="x", expected="zz"),)) == ("fail",)
    assert kv.data == {"k": "ab"}
    assert kv.apply((c(7, "cas", value="x", expected="ab"), c(8, "get"))) == ("ok", "x")
    assert kv.apply((c(9, "cas", key="new", value="y", expected=None),)) == ("ok",)
    assert kv.data == {"k": "x", "new": "y"}


def test_append_to_an_absent_key_starts_from_the_empty_string():
    kv = KVStore()
    kv.apply((c(1, "append", value="q"),))
    assert kv.data == {"k": "q"}


def test_a_command_chosen_twice_is_executed_once_and_keeps_its_first_result():
    """A retried request can be chosen in two slots: the replica applies (client, seq)
    once, the first time in slot order."""
    kv = KVStore()
    put = c(1, "put", value="a")
    assert kv.apply((put,)) == ("ok",)
    kv.apply((c(1, "put", value="b", client=8),))
    assert kv.apply((put,)) == (None,)  # a duplicate: not executed again
    assert kv.data == {"k": "b"}
    assert kv.results[(9, 1)] == "ok"


def test_the_no_op_changes_nothing():
    kv = KVStore()
    assert kv.apply(NOOP) == ()
    assert kv.data == {} and kv.results == {}


def test_commands_print_readably():
    assert str(c(3, "cas", value="n", expected="o")) == "c9#3 cas(k, o->n)"
    assert str(c(1, "get")) == "c9#1 get(k)"
