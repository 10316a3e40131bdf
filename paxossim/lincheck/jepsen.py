"""Reading histories recorded by Jepsen (and by Porcupine's tests) into `Op`s.

Three shapes are read, told apart by their first meaningful line:

- `jepsen.util` log lines, as Jepsen 0.0.x logged every operation
  (`INFO  jepsen.util - 3\t:invoke\t:read\tnil`): process, type, f, value. Lines of other
  loggers (`INFO  jepsen.os.debian - ...`) are skipped; a `jepsen.util` line that does not
  have this shape is an error.
- One EDN map per line with `:key` (Porcupine's kv tests:
  `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`): a kv history.
- Jepsen's `history.edn`: one EDN map per line (or one vector of maps) with `:process`,
  `:type`, `:f`, `:value` and usually `:time` and `:index`; `:value [k v]` (a
  `jepsen.independent` tuple) makes it a kv history with key `k`.

Semantics, as Jepsen's (Knossos's) checkers read a history: each `:invoke` is paired with
the next completion of the same process. `:ok`: the operation took effect, and its value
is what it read. `:fail`: it did not take effect, so it is dropped. `:info`: indeterminate,
it may or may not have taken effect, at any time after its invocation: `ret=None`. An
invocation never completed is `:info` too. Operations of the `:nemesis` process (or any
non-integer process) are not client operations and are skipped. A cas value is
`[expected new]`; its `:ok` means it succeeded (result True).

Times: the order of the lines is the order of the events (Jepsen writes a history in that
order), so an operation's call and return are the indices of its invocation and completion
events; `:time` is not used, so two events never tie.

Porcupine's kv files store a missing key's value as the empty string: a get there that
returned "" is read as a get of an absent key (None), which is what the kv model starts
with. Porcupine's etcd test treats a `:fail` cas as a cas that returned false (a check that
the value differed); Jepsen drops it. `fail_cas="false"` reads them Porcupine's way.
"""

import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paxossim.lincheck.history import Op

# ---------------------------------------------------------------- a small EDN reader


@dataclass(frozen=True, slots=True)
class Keyword:
    """An EDN keyword, `:name`."""

    name: str

    def __repr__(self) -> str:
        return ":" + self.name


class Symbol(str):
    """An EDN symbol (kept as its text)."""


_TOKEN = re.compile(
    r"""(?P<ws>[\s,]+|;[^\n]*)
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<open>\#\{|[\[({])
      | (?P<close>[\])}])
      | (?P<discard>\#_)
      | (?P<tag>\#[A-Za-z][^\s,\[\](){}"]*)
      | (?P<char>\\(?:newline|space|tab|return|[^\s,]))
      | (?P<atom>[^\s,\[\](){}"\\;]+)""",
    re.VERBOSE,
)
_INT = re.compile(r"[+-]?\d+N?")
_FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r"}


class EdnError(ValueError):
    """Text that is not the EDN this reader knows."""


def read_edn(text: str) -> list[Any]:
    """Every top-level EDN form in `text`: nil, true, false, integers, floats, strings,
    characters, keywords (`Keyword`), symbols (`Symbol`), vectors and lists (as lists),
    maps (dicts), sets (frozensets); a tagged form (`#inst "..."`,
    `#jepsen.history.Op{...}`) is read as its form, `#_` discards the next form."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup != "ws"]
    if sum(len(m.group()) for m in _TOKEN.finditer(text)) != len(text):
        bad = _first_unreadable(text)
        raise EdnError(f"cannot read EDN at character {bad + 1}: {text[bad : bad + 20]!r}")
    forms, i = [], 0
    while i < len(tokens):
        form, i = _form(tokens, i)
        if form is not _DISCARDED:
            forms.append(form)
    return forms


_DISCARDED = object()


def _first_unreadable(text: str) -> int:
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            return pos
        pos = m.end()
    return pos


def _form(tokens: list[tuple[str, str]], i: int) -> tuple[Any, int]:
    kind, text = tokens[i]
    if kind == "open":
        closer = {"[": "]", "(": ")", "{": "}", "#{": "}"}[text]
        items, j = [], i + 1
        while True:
            if j >= len(tokens):
                raise EdnError(f"{text!r} is never closed")
            if tokens[j] == ("close", closer):
                break
            if tokens[j][0] == "close":
                raise EdnError(f"{text!r} closed by {tokens[j][1]!r}")
            item, j = _form(tokens, j)
            if item is not _DISCARDED:
                items.append(item)
        if text == "{":
            if len(items) % 2:
                raise EdnError("a map needs an even number of forms")
            try:
                return dict(zip(items[::2], items[1::2], strict=True)), j + 1
            except TypeError:
                raise EdnError("a map key that cannot be hashed") from None
        if text == "#{":
            return frozenset(_hashable(x) for x in items), j + 1
        return items, j + 1
    if kind == "close":
        raise EdnError(f"unexpected {text!r}")
    if kind in ("discard", "tag"):
        if i + 1 >= len(tokens):
            raise EdnError(f"{text!r} with nothing after it")
        form, j = _form(tokens, i + 1)
        return (_DISCARDED if kind == "discard" else form), j
    if kind == "str":
        return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, text[1:-1]), i + 1
    if kind == "char":
        return _CHARS.get(text[1:], text[1:]), i + 1
    return _atom(text), i + 1


def _unescape(m: re.Match) -> str:
    s = m.group(1)
    if s[0] == "u" and len(s) == 5:
        return chr(int(s[1:], 16))
    if s not in _ESCAPES:
        raise EdnError(f"unknown string escape \\{s}")
    return _ESCAPES[s]


def _atom(text: str) -> Any:
    if text == "nil":
        return None
    if text == "true":
        return True
    if text == "false":
        return False
    if _INT.fullmatch(text):
        return int(text.rstrip("N"))
    if _FLOAT.fullmatch(text):
        return float(text.rstrip("M"))
    if text.startswith(":"):
        if len(text) == 1:
            raise EdnError("an empty keyword ':'")
        return Keyword(text[1:])
    return Symbol(text)


def _hashable(x: Any) -> Hashable:
    if isinstance(x, list):
        return tuple(_hashable(y) for y in x)
    if isinstance(x, dict):
        return frozenset((_hashable(k), _hashable(v)) for k, v in x.items())
    return x


# ---------------------------------------------------------------- Jepsen histories

_UTIL = re.compile(r"^\S+\s+jepsen\.util\s+-\s+(\S+)\s+(:\S+)\s+(:\S+)\s*(.*?)\s*$")
TYPES = ("invoke", "ok", "fail", "info")
_F = {
    "read": "get",
    "get": "get",
    "write": "put",
    "put": "put",
    "append": "append",
    "cas": "cas",
}


@dataclass
class _Event:
    line: int
    process: Any
    type: str
    f: str
    value: Any
    key: Hashable = None


@dataclass
class ParsedHistory:
    """A history read from a file: its operations and the model they imply
    ("kv" if they name keys, else "cas-register" if there is a cas, else "register")."""

    ops: list[Op]
    model: str
    format: str


def read_history(path: str | Path, *, fail_cas: str = "drop") -> ParsedHistory:
    """The operations recorded in the Jepsen or Porcupine history at `path`.
    Raises ValueError naming `path:line` for anything malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    return parse_history(text, str(path), fail_cas=fail_cas)


def parse_history(text: str, name: str = "<history>", *, fail_cas: str = "drop") -> ParsedHistory:
    """As `read_history`, from the text of the file (`name` is used in messages)."""
    if fail_cas not in ("drop", "false"):
        raise ValueError(f"fail_cas must be 'drop' or 'false', not {fail_cas!r}")
    lines = text.splitlines()
    first = next((s.strip() for s in lines if s.strip() and not s.lstrip().startswith(";")), "")
    if "jepsen.util" in first or (first and not first.startswith(("{", "[", "(", "#"))):
        if "jepsen" not in text:
            raise ValueError(f"{name}:1: neither a jepsen.util log nor EDN: {first[:60]!r}")
        fmt, events = "jepsen.util log", _util_events(lines, name)
    else:
        fmt, events = "edn", _edn_events(text, lines, name)
    keyed = any(e.key is not None for e in events)
    if keyed:
        fmt = "edn kv" if fmt == "edn" else fmt
    ops = _pair(events, name, keyed, fail_cas)
    if keyed:
        model = "kv"
    elif any(op.f == "cas" for op in ops):
        model = "cas-register"
    else:
        model = "register"
    if not keyed:
        ops = [_register_op(op) for op in ops]
    return ParsedHistory(ops, model, fmt)


def _register_op(op: Op) -> Op:
    f = {"get": "read", "put": "write"}.get(op.f, op.f)
    return Op(op.process, f, None, op.value, op.result, op.call, op.ret)


def _util_events(lines: list[str], name: str) -> list[_Event]:
    events = []
    for n, line in enumerate(lines, 1):
        if "jepsen.util" not in line:
            continue
        m = _UTIL.match(line)
        if not m:
            raise ValueError(f"{name}:{n}: not a jepsen.util operation line: {line.strip()!r}")
        process, type_, f, value = m.groups()
        try:
            (proc,) = read_edn(process)
            value = read_edn(value) if value else [None]
        except EdnError as exc:
            raise ValueError(f"{name}:{n}: {exc}") from None
        if len(value) != 1:
            raise ValueError(f"{name}:{n}: expected one value, got {value.strip()!r}")
        events.append(_Event(n, proc, type_[1:], f[1:], value[0]))
    return events


def _edn_events(text: str, lines: list[str], name: str) -> list[_Event]:
    # one form per line is the common case and gives line numbers; otherwise the whole file
    forms: list[tuple[int, Any]] = []
    per_line = True
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            got = read_edn(line)
        except EdnError:
            per_line = False
            break
        forms.extend((n, form) for form in got)
    if not per_line:
        try:
            got = read_edn(text)
        except EdnError as exc:
            raise ValueError(f"{name}: {exc}") from None
        forms = [(0, form) for form in got]
    if len(forms) == 1 and isinstance(forms[0][1], list):
        forms = [(0, form) for form in forms[0][1]]
    events = []
    for n, form in forms:
        where = f"{name}:{n}" if n else f"{name}: operation {len(events) + 1}"
        if not isinstance(form, dict):
            raise ValueError(f"{where}: expected an EDN map, got {form!r}")
        get = {k.name: v for k, v in form.items() if isinstance(k, Keyword)}
        for field in ("process", "type", "f"):
            if field not in get:
                raise ValueError(f"{where}: the map has no :{field}")
        type_, f = get["type"], get["f"]
        if not isinstance(type_, Keyword) or not isinstance(f, Keyword):
            raise ValueError(f"{where}: :type and :f must be keywords")
        value, key = get.get("value"), None
        if "key" in get:
            key = get["key"]
        elif isinstance(get["process"], int) and isinstance(value, list) and len(value) == 2:
            if f.name in ("read", "get", "write", "put", "append") or (
                f.name == "cas" and (isinstance(value[1], list) or value[1] is None)
            ):
                key, value = _hashable(value[0]), value[1]
        events.append(_Event(n, get["process"], type_.name, f.name, value, key))
    return events


def _pair(events: list[_Event], name: str, keyed: bool, fail_cas: str) -> list[Op]:
    open_: dict[Any, tuple[int, _Event]] = {}
    ops: list[tuple[int, Op]] = []
    for t, e in enumerate(events):
        where = f"{name}:{e.line}" if e.line else f"{name}: operation {t + 1}"
        if not isinstance(e.process, int) or isinstance(e.process, bool):
            continue  # the nemesis, or another non-client process
        if e.type not in TYPES:
            raise ValueError(f"{where}: :type :{e.type} is not one of :{', :'.join(TYPES)}")
        if e.f not in _F:
            raise ValueError(f"{where}: operation :{e.f} is not one of :{', :'.join(_F)}")
        if keyed and e.key is None:
            raise ValueError(f"{where}: an operation without a key in a history with keys")
        if e.type == "invoke":
            if e.process in open_:
                line = open_[e.process][1].line
                raise ValueError(
                    f"{where}: process {e.process} invokes again before its invocation "
                    f"on line {line} completed"
                )
            open_[e.process] = (t, e)
            continue
        if e.process not in open_:
            raise ValueError(f"{where}: :{e.type} of process {e.process}, which invoked nothing")
        start, inv = open_.pop(e.process)
        if inv.f != e.f or inv.key != e.key:
            raise ValueError(
                f"{where}: :{e.type} :{e.f} completes process {e.process}'s :invoke :{inv.f} "
                f"(line {inv.line})"
            )
        ret = None if e.type == "info" else float(t)
        if e.type == "fail":
            if not (inv.f == "cas" and fail_cas == "false"):
                continue
        ops.append((start, _op(inv, e, float(start), ret, where)))
    for start, inv in open_.values():
        where = f"{name}:{inv.line}" if inv.line else name
        ops.append((start, _op(inv, None, float(start), None, where)))
    ops.sort(key=lambda x: x[0])
    return [op for _, op in ops]


def _op(inv: _Event, done: _Event | None, call: float, ret: float | None, where: str) -> Op:
    f = _F[inv.f]
    try:
        if f == "get":
            result = None
            if ret is not None:
                result = done.value
                if inv.key is not None and result == "":
                    result = None  # Porcupine's kv files: a missing key reads as ""
                result = _hashable(result)
            return Op(inv.process, "get", inv.key, None, result, call, ret)
        if f == "cas":
            value = inv.value
            if not (isinstance(value, list) and len(value) == 2):
                raise ValueError(f"cas value must be [expected new], got {value!r}")
            result = None if ret is None else done.type == "ok"
            value = (_hashable(value[0]), _hashable(value[1]))
            return Op(inv.process, "cas", inv.key, value, result, call, ret)
        return Op(inv.process, f, inv.key, _hashable(inv.value), None, call, ret)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
