"""Reading Jepsen and Porcupine histories, and the published verdicts of the vendored corpus
(tests/lincheck/data/README.md names the sources): the 102 Jepsen etcd cas-register logs
and Porcupine's kv histories, all of them (about 10 s). `PAXOSSIM_SOAK=1` also explains
every violation in the corpus (prefix, culprit, minimal sub-history) and checks the
minimal sub-history is itself not linearizable."""

import os
from pathlib import Path

import pytest

from paxossim.lincheck import LINEARIZABLE, NOT_LINEARIZABLE, check_history
from paxossim.lincheck.history import Op
from paxossim.lincheck.jepsen import (
    EdnError,
    Keyword,
    Symbol,
    parse_history,
    read_edn,
    read_history,
)

DATA = Path(__file__).parent / "data"
SOAK = os.environ.get("PAXOSSIM_SOAK") == "1"

# Porcupine's porcupine_test.go (TestEtcdJepsen000 ... 102): these are linearizable, every
# other one is not; etcd_095.log is empty (the etcd cluster failed to start, says
# ahorn/linearizability-checker's lt.cc) and has no verdict. lt.cc's list agrees.
ETCD_LINEARIZABLE = {2, 5, 7, 18, 25, 31, 38, 45, 48, 49, 51, 53, 56, 67, 75, 76, 80, 87, 92, 98}
ETCD_LINEARIZABLE |= {100, 101, 102}
ETCD = [i for i in range(103) if i != 95]
# Porcupine's TestKv*: c*-ok linearizable, c*-bad not.
KV = ["c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"]


# ---------------------------------------------------------------- EDN


def test_edn_atoms_and_collections():
    forms = read_edn('nil true false 3 -4 2.5 "a\\"b\\n" :ok sym [1 2] (3) {:a 1, :b [nil]} #{1}')
    assert forms == [
        None,
        True,
        False,
        3,
        -4,
        2.5,
        'a"b\n',
        Keyword("ok"),
        Symbol("sym"),
        [1, 2],
        [3],
        {Keyword("a"): 1, Keyword("b"): [None]},
        frozenset({1}),
    ]


def test_edn_tags_discard_comments():
    assert read_edn('#inst "2020" #_ 5 6 ; comment\n#jepsen.history.Op{:f :read}') == [
        "2020",
        6,
        {Keyword("f"): Keyword("read")},
    ]


@pytest.mark.parametrize("text", ["[1 2", "{:a}", "]", '"open', "#_"])
def test_edn_malformed(text):
    with pytest.raises(EdnError):
        read_edn(text)


# ---------------------------------------------------------------- the three shapes


UTIL = """\
INFO  jepsen.os.debian - :n1 setting up debian
INFO  jepsen.util - 0\t:invoke\t:write\t1
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t1
INFO  jepsen.util - 1\t:ok\t:read\t1
INFO  jepsen.util - 2\t:invoke\t:cas\t[1 4]
INFO  jepsen.util - 3\t:invoke\t:cas\t[2 4]
INFO  jepsen.util - 4\t:invoke\t:write\t3
INFO  jepsen.util - 2\t:ok\t:cas\t[1 4]
INFO  jepsen.util - 3\t:fail\t:cas\t[2 4]
INFO  jepsen.util - 4\t:info\t:write\t:timed-out
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
"""


def test_jepsen_util_log():
    h = parse_history(UTIL, "u.log")
    assert h.model == "cas-register" and h.format == "jepsen.util log"
    assert h.ops == [
        Op(0, "write", None, 1, None, 0.0, 2.0),
        Op(1, "read", None, None, 1, 1.0, 3.0),
        Op(2, "cas", None, (1, 4), True, 4.0, 7.0),
        Op(4, "write", None, 3, None, 6.0, None),  # :info: may or may not have happened
        Op(1, "read", None, None, None, 10.0, None),  # never completed
    ]  # the :fail cas did not happen: dropped, as Jepsen does


def test_jepsen_util_failed_cas_the_porcupine_way():
    ops = parse_history(UTIL, "u.log", fail_cas="false").ops
    assert Op(3, "cas", None, (2, 4), False, 5.0, 8.0) in ops


def test_porcupine_kv_lines():
    text = """\
{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "0", :value nil}
{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "0", :value ""}
{:process 1, :type :invoke, :f :put, :key "1", :value "z"}
"""
    h = parse_history(text, "kv.txt")
    assert h.model == "kv" and h.format == "edn kv"
    assert h.ops == [
        Op(0, "append", "0", "x 0 0 y", None, 0.0, 2.0),
        Op(1, "get", "0", None, None, 1.0, 3.0),  # "" is Porcupine's missing key
        Op(1, "put", "1", "z", None, 4.0, None),
    ]
    assert check_history(h.ops, h.model).verdict == LINEARIZABLE


def test_history_edn_independent_keys():
    text = """\
{:type :invoke, :f :write, :value [7 3], :process 0, :time 10, :index 0}
{:type :invoke, :f :read, :value [7 nil], :process 1, :time 11, :index 1}
{:type :info, :f :start, :value nil, :process :nemesis, :time 12, :index 2}
{:type :ok, :f :write, :value [7 3], :process 0, :time 13, :index 3}
{:type :ok, :f :read, :value [7 3], :process 1, :time 14, :index 4}
{:type :invoke, :f :cas, :value [8 [nil 1]], :process 0, :time 15, :index 5}
{:type :fail, :f :cas, :value [8 [nil 1]], :process 0, :time 16, :index 6}
"""
    h = parse_history(text, "history.edn")
    assert h.model == "kv"
    assert h.ops == [Op(0, "put", 7, 3, None, 0.0, 3.0), Op(1, "get", 7, None, 3, 1.0, 4.0)]


def test_history_edn_as_one_vector_of_register_ops():
    text = """[{:type :invoke, :f :read, :value nil, :process 0, :time 1}
 {:type :ok, :f :read, :value 5, :process 0, :time 2}]"""
    h = parse_history(text, "history.edn")
    assert h.model == "register"
    assert h.ops == [Op(0, "read", None, None, 5, 0.0, 1.0)]
    assert check_history(h.ops, h.model).verdict == NOT_LINEARIZABLE


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("INFO  jepsen.util - 0\t:ok\t:read\t1\n", 1, "invoked nothing"),
        (
            "INFO  jepsen.util - 0 :invoke :read nil\nINFO  jepsen.util - 0 :invoke :read nil",
            2,
            "invokes again",
        ),
        ("INFO  jepsen.util - 0\t:invoke\t:read\t[1\n", 1, "never closed"),
        ("INFO  jepsen.util - 0\t:invoke\t:frob\t1\n", 1, ":frob"),
        ("INFO  jepsen.util - garbage\n", 1, "not a jepsen.util operation line"),
        (
            "INFO  jepsen.util - 0 :invoke :cas 3\nINFO  jepsen.util - 0 :ok :cas 3\n",
            2,
            "cas value",
        ),
        (
            "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :write}\n",
            2,
            "completes",
        ),
        ("{:process 0, :type :invoke}\n", 1, "no :f"),
        ("{:process 0, :type :begin, :f :read}\n", 1, ":begin"),
        ("[1 2]\n", 0, "expected an EDN map"),
        ("hello world\n", 1, "neither a jepsen.util log nor EDN"),
    ],
)
def test_malformed_names_file_and_line(text, line, words):
    with pytest.raises(ValueError) as exc:
        parse_history(text, "h.log")
    where = f"h.log:{line}:" if line else "h.log:"
    assert str(exc.value).startswith(where) and words in str(exc.value), str(exc.value)


def test_not_utf8(tmp_path):
    path = tmp_path / "h.log"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="h.log: not a UTF-8"):
        read_history(path)


# ---------------------------------------------------------------- the published verdicts


@pytest.mark.parametrize("fail_cas", ["drop", "false"])
def test_etcd_published_verdicts(fail_cas):
    """All 102, both ways of reading a failed cas (Jepsen's drop, Porcupine's false):
    about 2.5 s each."""
    wrong = []
    for i in ETCD:
        h = read_history(DATA / "etcd" / f"etcd_{i:03d}.log", fail_cas=fail_cas)
        assert h.model == "cas-register"
        verdict = check_history(h.ops, h.model, minimize=False).verdict
        expected = LINEARIZABLE if i in ETCD_LINEARIZABLE else NOT_LINEARIZABLE
        if verdict != expected:
            wrong.append((i, verdict))
    assert wrong == []


def test_etcd_095_is_empty():
    assert read_history(DATA / "etcd" / "etcd_095.log").ops == []


@pytest.mark.parametrize("name", KV)
def test_kv_published_verdicts(name):
    h = read_history(DATA / "kv" / f"{name}.txt")
    assert h.model == "kv"
    result = check_history(h.ops, h.model, minimize=False)
    assert result.verdict == (LINEARIZABLE if name.endswith("-ok") else NOT_LINEARIZABLE)


def test_kv_violation_is_explained():
    h = read_history(DATA / "kv" / "c10-bad.txt")
    result = check_history(h.ops, h.model)
    assert result.verdict == NOT_LINEARIZABLE and result.exact
    assert check_history(result.minimal, h.model).verdict == NOT_LINEARIZABLE
    assert len(result.minimal) < 10


BAD = [f"etcd/etcd_{i:03d}.log" for i in ETCD if i not in ETCD_LINEARIZABLE]
BAD += [f"kv/{n}.txt" for n in KV if n.endswith("-bad")]


@pytest.mark.skipif(not SOAK, reason="soak: PAXOSSIM_SOAK=1")
@pytest.mark.parametrize("name", BAD)
def test_every_violation_is_explained(name):
    h = read_history(DATA / name)
    result = check_history(h.ops, h.model)
    assert result.verdict == NOT_LINEARIZABLE
    assert result.minimal and result.prefix is not None
    assert check_history(result.minimal, h.model, minimize=False).verdict == NOT_LINEARIZABLE
