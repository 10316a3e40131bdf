"""The online safety checker: Paxos' invariants, asserted after every step of every role.

It subscribes to the run's one observation point, so it sees every delivery, timer,
fault, boot and client request, and every effect each produced. Every slot of the log is
a synod of its own (a single-decree run has slot 0 only), and the checker keeps, per
slot, a ghost history that is never erased (not by a crash, not by a bug that makes
acceptors forget):

- per acceptor, the promises it made (for one slot, or for a slot and all above it) and
  the votes it cast, taken from what it *said* (its Promise and Accepted messages), and
  compared with what it *stored* after every step, in the slots the step concerned (the
  slot of the message it handled and of every message it sent) and, after a crash or a
  restart, in every slot: a promise or vote that was sent but not kept is caught;
- per ballot, the acceptors that voted in it and its value, so the checker knows what is
  chosen even when no learner does: a value is chosen once a phase-2 quorum of acceptors
  has voted for it in one ballot (Paxos Made Simple, 2.1);
- every accept request a proposer issued, and every proposer's input (a client's value or
  command), so it checks what proposers issue (P2c) and what they decide, not only what
  acceptors store.
"""

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from paxossim.observe.steps import Crash, Propose, Restart
from paxossim.protocol.ballot import NO_BALLOT, Ballot
from paxossim.protocol.effects import (
    Applied,
    Decided,
    Installed,
    Learned,
    Responded,
    Send,
    Submitted,
)
from paxossim.protocol.kvstore import KVStore
from paxossim.protocol.messages import Accept, Accepted, Poll, Prepare, Promise
from paxossim.protocol.quorum import Quorums
from paxossim.protocol.role import Role

AT_MOST_ONE_CHOSEN = "at-most-one-value-chosen"
CHOSEN_WAS_PROPOSED = "chosen-value-was-proposed"
PROPOSAL_RESPECTS_CHOSEN = "proposal-respects-chosen"
DECIDED_IS_CHOSEN = "decided-is-chosen"
LEARNED_IS_CHOSEN = "learned-value-is-chosen"
LEARNED_NEVER_CHANGES = "learned-value-never-changes"
PROMISE_MONOTONIC = "promise-never-decreases"
PROMISE_REPORTS_VOTE = "promise-reports-last-vote"
ACCEPTED_LE_PROMISED = "accepted-ballot-at-most-promised"
ONE_VALUE_PER_BALLOT = "one-value-per-ballot"
ACCEPTED_AT_OR_ABOVE_PROMISE = "accepts-only-at-or-above-promise"
VOTE_NEVER_FORGOTTEN = "vote-never-forgotten"
BALLOT_UNIQUE = "ballot-never-reused"
ACCEPT_IN_PREPARED = "accept-only-where-prepared"
APPLIED_IN_ORDER = "applied-in-slot-order-once-chosen"
APPLIED_AT_MOST_ONCE = "command-applied-at-most-once"
RESPONSE_MATCHES = "response-matches-chosen-order"
LINEARIZABLE = "history-linearizable"
SNAPSHOT_IS_PREFIX = "installed-snapshot-is-chosen-prefix"
ONE_COMMAND_PER_SEQ = "one-command-per-sequence-number"
STORE_MATCHES = "replica-store-matches-chosen-prefix"

#: Every invariant, with the sentence it checks (the README's list is tested against it).
INVARIANTS = {
    AT_MOST_ONE_CHOSEN: "at most one value is chosen, over all ballots",
    CHOSEN_WAS_PROPOSED: "a value chosen in ballot b was issued in an accept request (b, v), "
    "and v was some proposer's input before that request",
    PROPOSAL_RESPECTS_CHOSEN: "P2c: no accept request (b, v) is issued while a value w != v "
    "is chosen in a ballot below b (checked when a request is issued and when a value "
    "becomes chosen)",
    DECIDED_IS_CHOSEN: "what a proposer decides is the chosen value, and a phase-2 quorum "
    "had voted for it in that ballot when it decided",
    LEARNED_IS_CHOSEN: "a learner learns only the chosen value",
    LEARNED_NEVER_CHANGES: "a learner never changes what it learned",
    PROMISE_MONOTONIC: "an acceptor never promises below a ballot it promised before, and "
    "its stable storage never holds less than it promised (across restarts too)",
    PROMISE_REPORTS_VOTE: "a promise reports the acceptor's last vote",
    ACCEPTED_LE_PROMISED: "an acceptor's stored accepted ballot is at most its promised one",
    ONE_VALUE_PER_BALLOT: "a ballot carries one value, in accept requests and in votes",
    ACCEPTED_AT_OR_ABOVE_PROMISE: "an acceptor votes only at or above what it promised before",
    VOTE_NEVER_FORGOTTEN: "an acceptor's stable storage keeps its last vote, and a poll is "
    "answered with it",
    BALLOT_UNIQUE: "no ballot is started twice",
    ACCEPT_IN_PREPARED: "a ballot's accept requests go only to slots its phase 1 covered (its "
    "prepare's slot, or that slot and those above): elsewhere its proposer knows no votes",
    APPLIED_IN_ORDER: "log: a replica applies slot k right after slot k-1 (from slot 0), "
    "only once k is chosen, and applies the value chosen in k: what it applied is a prefix "
    "of the one chosen sequence",
    APPLIED_AT_MOST_ONCE: "log: a replica executes each client command (client, seq) at most "
    "once, however often it is chosen",
    RESPONSE_MATCHES: "log: what a client is told a command returned is what it returns "
    "when the chosen slots are applied in order, and a write is acknowledged only once "
    "chosen (a read answered outside the log is judged by linearizability)",
    STORE_MATCHES: "log: after a replica applies slots, every key those slots touched holds "
    "in its store what it holds once the chosen slots up to the last of them are applied in "
    "order",
    ONE_COMMAND_PER_SEQ: "log: a client's sequence number names one command: every time "
    "the client sends (client, seq), it sends the same command",
    SNAPSHOT_IS_PREFIX: "log: a snapshot a replica installs (state transfer) is the store "
    "and the results that applying the chosen slots before it, in order, gives",
    LINEARIZABLE: "log: the clients' history of every key is linearizable (checked when the "
    "run ends, by a search whose budget is counted in states: `workload.lincheck_budget`)",
}


@dataclass(frozen=True, slots=True)
class Violation:
    time: float
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"t={self.time:.6g}s {self.invariant}: {self.detail}"


_NO_VOTE = (NO_BALLOT, None)


class SafetyChecker:
    """Subscribe it to a run's `Observation`; read `violations` and what is chosen
    (`chosen_in`, and for slot 0 `chosen`, `chosen_value`, `chosen_ballot`, `chosen_at`)."""

    __slots__ = (
        "quorums", "violations", "first_chosen", "_promised", "_floors", "_vote",
        "_slots_of", "_ballot_value", "_voters", "_issued", "_chosen", "_inputs",
        "_learned", "_started", "_prepared", "_lost", "_reference", "_reference_next",
        "_applied_next", "_executed", "_commands", "_history",
    )  # fmt: skip

    def __init__(self, quorums: Quorums, log: bool = False):
        self.quorums = quorums
        self.violations: list[Violation] = []
        #: slot -> (ballot, value, time) of the first ballot in which a value was chosen
        self.first_chosen: dict[int, tuple[Ballot, Any, float]] = {}
        self._promised: dict[tuple[int, int], Ballot] = {}  # (acceptor, slot) -> promise
        #: acceptor -> the promises it made for a slot and all above: [(slot, ballot)]
        self._floors: dict[int, list[tuple[int, Ballot]]] = {}
        self._vote: dict[tuple[int, int], tuple[Ballot, Any]] = {}  # (acceptor, slot) -> last
        self._slots_of: dict[int, set[int]] = {}  # acceptor -> slots it promised or voted in
        #: (slot, ballot) -> the first value it carried
        self._ballot_value: dict[tuple[int, Ballot], Any] = {}
        #: (slot, ballot, value) -> acceptors that voted for it; apart per value, so that a
        #: ballot that carries two values (a bug) is still checked value by value
        self._voters: dict[tuple[int, Ballot, Any], set[int]] = {}
        #: slot -> accept requests issued: (ballot, value) -> (whether value was an input
        #: then, the node that issued it)
        self._issued: dict[int, dict[tuple[Ballot, Any], tuple[bool, int]]] = {}
        self._chosen: dict[int, list[tuple[Ballot, Any]]] = {}  # slot -> every chosen ballot
        self._inputs: set[Any] = set()  # every value a client gave a proposer so far
        self._learned: dict[tuple[int, int], Any] = {}  # (learner, slot) -> value
        self._started: dict[Ballot, int] = {}
        self._prepared: dict[Ballot, tuple[int, bool]] = {}  # ballot -> (slot, upward)
        self._lost: dict[tuple[int, int], tuple] = {}  # (acceptor, slot) -> loss reported
        #: a replicated log: the store as the chosen slots, applied in order, make it
        self._reference = KVStore() if log else None
        self._reference_next = 0  # the first chosen slot the reference has not applied
        self._applied_next: dict[int, int] = {}  # replica -> the next slot it may apply
        self._executed: dict[int, set[tuple[int, int]]] = {}  # replica -> commands executed
        self._commands: dict[tuple[int, int], Any] = {}  # (client, seq) -> the command sent
        #: key -> [(slot, value after it)]: how the chosen order changes each key
        self._history: dict[str, list[tuple[int, Any]]] = {}

    # -- what is chosen ----------------------------------------------------------------

    def chosen_in(self, slot: int) -> tuple[Ballot, Any, float] | None:
        return self.first_chosen.get(slot)

    @property
    def chosen(self) -> bool:
        return 0 in self.first_chosen

    @property
    def chosen_ballot(self) -> Ballot | None:
        first = self.first_chosen.get(0)
        return None if first is None else first[0]

    @property
    def chosen_value(self) -> Any:
        first = self.first_chosen.get(0)
        return None if first is None else first[1]

    @property
    def chosen_at(self) -> float:
        first = self.first_chosen.get(0)
        return float("nan") if first is None else first[2]

    # -- the observation point -------------------------------------------------------

    def step(
        self, now: float, node: int, role: Role | None, src: int, cause: Any, effects: list
    ) -> None:
        if role is None:
            return
        kind = role.KIND
        if kind == "acceptor":
            self._acceptor_step(now, node, role.storage, cause, effects)
        elif kind == "proposer":
            if type(cause) is Propose:
                self._inputs.add(cause.value)
            for effect in effects:
                etype = type(effect)
                if etype is Send:
                    mtype = type(effect.msg)
                    if mtype is Accept:
                        self._issued_request(now, node, effect.msg)
                    elif mtype is Prepare:
                        self._ballot_started(now, node, effect.msg)
                elif etype is Decided:
                    self._decided(now, node, effect)
        elif kind == "learner":
            for effect in effects:
                etype = type(effect)
                if etype is Learned:
                    self._learned_value(now, node, effect.slot, effect.value)
                elif etype is Applied:
                    self._applied(now, node, effect)
                elif etype is Installed:
                    self._installed(now, node, effect)
            if self._reference is not None and any(type(e) is Applied for e in effects):
                self._store_matches(now, node, role.storage, effects)
        elif kind == "client":
            for effect in effects:
                etype = type(effect)
                if etype is Submitted:
                    self._submitted(now, node, effect.command)
                elif etype is Responded:
                    self._responded(now, node, effect)

    # -- acceptors ---------------------------------------------------------------------

    def _acceptor_step(self, now: float, node: int, st: Any, cause: Any, effects: list) -> None:
        """What the acceptor said in this step, then what it stored after it."""
        ctype = type(cause)
        slot = getattr(cause, "slot", 0)
        touched: set[int] | None = None  # slots other than `slot` the step concerned
        for effect in effects:
            if type(effect) is not Send:
                continue
            msg = effect.msg
            mtype = type(msg)
            if msg.slot != slot:
                touched = touched or set()
                touched.add(msg.slot)
            if mtype is Promise:
                self._promise(now, node, msg)
                if msg.upward:
                    touched = touched or set()
                    touched.update(v.slot for v in msg.votes)
            elif mtype is Accepted:
                if ctype is Poll:
                    self._poll_answer(now, node, msg)
                else:
                    self._vote_cast(now, node, msg.slot, msg.ballot, msg.value)
        if ctype is Restart or ctype is Crash:
            touched = touched or set()
            touched.update(self._slots_of.get(node, ()))
            touched.update(st.votes)
            touched.update(st.promised)
        if touched is None:
            self._stored(now, node, slot, st)
            return
        touched.add(slot)
        for s in sorted(touched):
            self._stored(now, node, s, st)

    def _promise_of(self, node: int, slot: int) -> Ballot:
        """The highest promise acceptor `node` said it made that holds in `slot`."""
        promised = self._promised.get((node, slot), NO_BALLOT)
        for start, ballot in self._floors.get(node, ()):
            if start <= slot and ballot > promised:
                promised = ballot
        return promised

    def _promise(self, now: float, node: int, msg: Promise) -> None:
        slot = msg.slot
        if msg.upward:
            self._promise_upward(now, node, msg)
            return
        before = self._promise_of(node, slot)
        if msg.ballot < before:
            self._promise_lowered(now, node, msg, before)
        else:
            self._promised[(node, slot)] = msg.ballot
            self._slots_of.setdefault(node, set()).add(slot)
        last = self._vote.get((node, slot), _NO_VOTE)
        votes = msg.votes
        if not votes:
            if last != _NO_VOTE:
                self._misreported(now, node, msg.ballot, slot, _NO_VOTE, last)
        elif len(votes) > 1 or votes[0].slot != slot or (votes[0].ballot, votes[0].value) != last:
            vote = votes[0]
            self._misreported(now, node, msg.ballot, vote.slot, (vote.ballot, vote.value), last)

    def _promise_upward(self, now: float, node: int, msg: Promise) -> None:
        """A promise for `msg.slot` and every slot above it, with the votes of all."""
        slot = msg.slot
        floors = self._floors.setdefault(node, [])
        slots = [s for (a, s) in self._promised if a == node and s >= slot]
        before = max(
            [self._promise_of(node, s) for s in slots] + [b for _, b in floors],
            default=NO_BALLOT,
        )
        if msg.ballot < before:
            self._promise_lowered(now, node, msg, before)
        else:
            floors[:] = [(s, b) for s, b in floors if not (s >= slot and b <= msg.ballot)]
            floors.append((slot, msg.ballot))
            self._slots_of.setdefault(node, set()).add(slot)
        reported = {v.slot: (v.ballot, v.value) for v in msg.votes}
        last = {s: vote for (a, s), vote in self._vote.items() if a == node and s >= slot}
        if reported != last:
            for s in sorted(set(reported) | set(last)):
                if reported.get(s, _NO_VOTE) != last.get(s, _NO_VOTE):
                    self._misreported(
                        now, node, msg.ballot, s, reported.get(s, _NO_VOTE), last.get(s, _NO_VOTE)
                    )
                    return

    def _promise_lowered(self, now: float, node: int, msg: Promise, before: Ballot) -> None:
        self._violate(
            now,
            PROMISE_MONOTONIC,
            f"acceptor {node} promised {msg.ballot}{_in(msg.slot, msg.upward)} after "
            f"promising {before}",
        )

    def _misreported(
        self, now: float, node: int, ballot: Ballot, slot: int, reported: tuple, last: tuple
    ) -> None:
        self._violate(
            now,
            PROMISE_REPORTS_VOTE,
            f"acceptor {node} promised {ballot}{_in(slot)} reporting the vote "
            f"{_vote(*reported)}, its last vote was {_vote(*last)}",
        )

    def _poll_answer(self, now: float, node: int, msg: Accepted) -> None:
        last = self._vote.get((node, msg.slot), _NO_VOTE)
        if (msg.ballot, msg.value) != last:
            self._violate(
                now,
                VOTE_NEVER_FORGOTTEN,
                f"acceptor {node} answered a poll with {_vote(msg.ballot, msg.value)}"
                f"{_in(msg.slot)}, its last vote was {_vote(*last)}",
            )

    def _vote_cast(self, now: float, node: int, slot: int, ballot: Ballot, value: Any) -> None:
        promised = self._promise_of(node, slot)
        if ballot < promised:
            self._violate(
                now,
                ACCEPTED_AT_OR_ABOVE_PROMISE,
                f"acceptor {node} accepted {ballot}{_in(slot)} after promising {promised}",
            )
        else:
            self._promised[(node, slot)] = ballot  # a vote is a promise ("accepts ... unless")
        self._slots_of.setdefault(node, set()).add(slot)
        last = self._vote.get((node, slot))
        if last is None or ballot >= last[0]:
            self._vote[(node, slot)] = (ballot, value)
        self._record_vote(now, node, slot, ballot, value)

    def _stored(self, now: float, node: int, slot: int, st: Any) -> None:
        """Stable storage must hold at least what the acceptor said: "an acceptor must
        remember this information even if it fails and then restarts" (2.3). A vote
        found in storage that was never said is a vote all the same. A loss is reported
        once: the same gap between said and stored, seen at a later step, is not new."""
        promised = self._promise_of(node, slot)
        last = self._vote.get((node, slot), _NO_VOTE)
        stored_promise = st.promise(slot)
        stored_vote = st.vote(slot)
        gap = (promised, last, stored_promise, stored_vote)
        key = (node, slot)
        if self._lost.get(key) == gap:
            return
        if stored_promise < promised or stored_vote[0] < last[0]:
            self._lost[key] = gap
        if stored_promise < promised:
            self._violate(
                now,
                PROMISE_MONOTONIC,
                f"acceptor {node} promised {promised}{_in(slot)}, now stores only {stored_promise}",
            )
        if stored_vote[0] > stored_promise:
            self._violate(
                now,
                ACCEPTED_LE_PROMISED,
                f"acceptor {node} stores a vote in {stored_vote[0]}{_in(slot)} above its "
                f"promise {stored_promise}",
            )
        if stored_vote == last:
            return
        if stored_vote[0] <= last[0]:
            self._violate(
                now,
                VOTE_NEVER_FORGOTTEN,
                f"acceptor {node} voted {_vote(*last)}{_in(slot)}, now stores "
                f"{_vote(*stored_vote)}",
            )
            return
        self._vote_cast(now, node, slot, *stored_vote)  # an unsaid vote

    def _record_vote(self, now: float, node: int, slot: int, ballot: Ballot, value: Any) -> None:
        self._one_value(now, slot, ballot, value, f"acceptor {node} voted for")
        voters = self._voters.setdefault((slot, ballot, value), set())
        voters.add(node)
        if len(voters) == self.quorums.phase2:  # once per proposal: when its quorum completes
            self._became_chosen(now, slot, ballot, value, voters)

    def _one_value(self, now: float, slot: int, ballot: Ballot, value: Any, who: str) -> None:
        """A ballot carries the first value it was seen with, in a request or a vote;
        another value is reported once per (ballot, value), and is tracked apart so that
        what it leads to (a second value chosen) is checked too."""
        first = self._ballot_value.setdefault((slot, ballot), value)
        if (
            first != value
            and (slot, ballot, value) not in self._voters
            and (ballot, value) not in self._issued.get(slot, ())
        ):
            self._violate(
                now,
                ONE_VALUE_PER_BALLOT,
                f"ballot {ballot}{_in(slot)} carries two values: ({ballot}, {_v(first)}) and "
                f"({ballot}, {_v(value)}) ({who} the second)",
            )

    def _became_chosen(
        self, now: float, slot: int, ballot: Ballot, value: Any, voters: set[int]
    ) -> None:
        self._chosen.setdefault(slot, []).append((ballot, value))
        first = self.first_chosen.get(slot)
        if first is None:
            self.first_chosen[slot] = (ballot, value, now)
            if self._reference is not None:
                self._advance_reference()
        elif value != first[1]:
            self._violate(
                now,
                AT_MOST_ONE_CHOSEN,
                f"{_v(first[1])} chosen in {first[0]}{_in(slot)}, "
                f"then {_v(value)} in {ballot} by acceptors {sorted(voters)}",
            )
        issued = self._issued.get(slot, {})
        was_input, _ = issued.get((ballot, value), (None, None))
        if was_input is None:
            self._violate(
                now,
                CHOSEN_WAS_PROPOSED,
                f"{_v(value)} chosen in {ballot}{_in(slot)}, but no accept request "
                f"({ballot}, {_v(value)}) was issued",
            )
        elif not was_input:
            self._violate(
                now,
                CHOSEN_WAS_PROPOSED,
                f"{_v(value)} chosen in {ballot}{_in(slot)}, issued before any proposer had "
                "it as input",
            )
        for (later, other), (_, by) in issued.items():
            if later > ballot and other != value:
                self._violate(
                    now,
                    PROPOSAL_RESPECTS_CHOSEN,
                    f"{_v(value)} chosen in {ballot}{_in(slot)}, while node {by} had issued "
                    f"the accept request ({later}, {_v(other)})",
                )

    # -- proposers ---------------------------------------------------------------------

    def _ballot_started(self, now: float, node: int, prepare: Prepare) -> None:
        """ "No two proposals are ever issued with the same number" (2.5)."""
        ballot = prepare.ballot
        first = self._started.get(ballot)
        if first is not None:
            self._violate(
                now,
                BALLOT_UNIQUE,
                f"ballot {ballot} started by node {first}, then again by node {node}",
            )
            return
        self._started[ballot] = node
        self._prepared[ballot] = (prepare.slot, prepare.upward)

    def _is_input(self, value: Any) -> bool:
        """A value some client asked for: a proposer's input, or a batch of client
        commands (the empty batch is a no-op, which needs no client)."""
        if type(value) is tuple:
            return all(command in self._inputs for command in value)
        return value in self._inputs

    def _issued_request(self, now: float, node: int, msg: Accept) -> None:
        ballot, value, slot = msg.ballot, msg.value, msg.slot
        issued = self._issued.get(slot)
        if issued is None:
            issued = self._issued[slot] = {}
        elif (ballot, value) in issued:
            return  # the same request again: checked when first issued
        self._one_value(now, slot, ballot, value, f"node {node} issued")
        issued[(ballot, value)] = (self._is_input(value), node)
        prepared = self._prepared.get(ballot)
        if prepared is not None and (slot < prepared[0] if prepared[1] else slot != prepared[0]):
            where = f"slot {prepared[0]}" + (" and above" if prepared[1] else "")
            self._violate(
                now,
                ACCEPT_IN_PREPARED,
                f"node {node} issued an accept request of ballot {ballot} in slot {slot}; "
                f"its phase 1 covered {where}",
            )
        for earlier, chosen in self._chosen.get(slot, ()):
            if earlier < ballot and chosen != value:
                self._violate(
                    now,
                    PROPOSAL_RESPECTS_CHOSEN,
                    f"node {node} issued the accept request ({ballot}, {_v(value)}){_in(slot)} "
                    f"though {_v(chosen)} is chosen in {earlier}",
                )

    def _decided(self, now: float, node: int, e: Decided) -> None:
        slot = e.slot
        voters = self._voters.get((slot, e.ballot, e.value), ())
        if len(voters) < self.quorums.phase2:
            others = "".join(
                f"; acceptors {sorted(who)} voted for {_v(v)}"
                for (s, b, v), who in self._voters.items()
                if s == slot and b == e.ballot and v != e.value
            )
            self._violate(
                now,
                DECIDED_IS_CHOSEN,
                f"proposer {node} decided {_v(e.value)} in {e.ballot}{_in(slot)}, which only "
                f"acceptors {sorted(voters)} had voted for (a quorum is "
                f"{self.quorums.phase2}){others}",
            )
            return
        first = self.first_chosen.get(slot)
        if first is not None and e.value != first[1]:
            self._violate(
                now,
                DECIDED_IS_CHOSEN,
                f"proposer {node} decided {_v(e.value)}{_in(slot)}, {_v(first[1])} is chosen",
            )

    # -- learners ----------------------------------------------------------------------

    def _learned_value(self, now: float, node: int, slot: int, value: Any) -> None:
        first = self.first_chosen.get(slot)
        if first is None or value != first[1]:
            what = f"{_v(first[1])} is" if first is not None else "nothing is"
            self._violate(
                now,
                LEARNED_IS_CHOSEN,
                f"learner {node} learned {_v(value)}{_in(slot)}, {what} chosen",
            )
        before = self._learned.setdefault((node, slot), value)
        if before != value:
            self._violate(
                now,
                LEARNED_NEVER_CHANGES,
                f"learner {node} learned {_v(before)}{_in(slot)}, then {_v(value)}",
            )

    # -- the replicated log ------------------------------------------------------------

    def _advance_reference(self) -> None:
        chosen = self.first_chosen
        data, history = self._reference.data, self._history
        while self._reference_next in chosen:
            slot = self._reference_next
            value = chosen[slot][1]
            if type(value) is tuple:
                self._reference.apply(value)
                for key in {c.key for c in value if c.op != "get"}:
                    history.setdefault(key, []).append((slot, data.get(key)))
            self._reference_next += 1

    def _store_matches(self, now: float, node: int, st: Any, effects: list) -> None:
        """After the slots a step applied (the store is the step's end state, so as of the
        last of them), each key they touched must hold what the chosen order gives."""
        last = max(e.slot for e in effects if type(e) is Applied)
        keys = {c.key for e in effects if type(e) is Applied for c in e.value}
        data = st.machine.data
        for key in sorted(keys):
            changes = self._history.get(key, ())
            i = bisect_right(changes, last, key=lambda change: change[0])
            expected = changes[i - 1][1] if i else None
            if data.get(key) != expected:
                self._violate(
                    now,
                    STORE_MATCHES,
                    f"replica {node} holds {_v(data.get(key))} at key {key!r} after slot "
                    f"{last}; the chosen slots applied in order give {_v(expected)}",
                )

    def _applied(self, now: float, node: int, e: Applied) -> None:
        expected = self._applied_next.get(node, 0)
        first = self.first_chosen.get(e.slot)
        if e.slot != expected:
            self._violate(
                now,
                APPLIED_IN_ORDER,
                f"replica {node} applied slot {e.slot}, the next in order is slot {expected}",
            )
        elif first is None or first[1] != e.value:
            what = "nothing is" if first is None else f"{_v(first[1])} is"
            self._violate(
                now,
                APPLIED_IN_ORDER,
                f"replica {node} applied {_v(e.value)} in slot {e.slot}, {what} chosen there",
            )
        self._applied_next[node] = max(expected, e.slot + 1)
        executed = self._executed.setdefault(node, set())
        for command, result in zip(e.value, e.results, strict=False):
            if result is None:
                continue
            key = (command.client, command.seq)
            if key in executed:
                self._violate(
                    now,
                    APPLIED_AT_MOST_ONCE,
                    f"replica {node} executed {command} again in slot {e.slot}",
                )
            executed.add(key)

    def _submitted(self, now: float, node: int, command: Any) -> None:
        self._inputs.add(command)
        first = self._commands.setdefault((command.client, command.seq), command)
        if first != command:
            self._violate(
                now,
                ONE_COMMAND_PER_SEQ,
                f"client {node} sent {command} under the sequence number of {first}",
            )

    def _installed(self, now: float, node: int, e: Installed) -> None:
        """Replay the chosen slots 0 .. applied-1 on a fresh store: the installed state
        must be that (a rare, whole-log check: state transfers are few). What the replica
        installed is the effect's, not its store's: the same step goes on applying the
        slots after it."""
        applied, data, results = e.applied, dict(e.data), dict(e.results)
        replay = KVStore()
        for slot in range(applied):
            first = self.first_chosen.get(slot)
            if first is None:
                self._violate(
                    now,
                    SNAPSHOT_IS_PREFIX,
                    f"replica {node} installed a snapshot of slots 0..{applied - 1}, but "
                    f"nothing is chosen in slot {slot}",
                )
                return
            replay.apply(first[1])
        if replay.data != data or replay.results != results:
            keys = sorted(
                k for k in set(replay.data) | set(data) if replay.data.get(k) != data.get(k)
            )
            self._violate(
                now,
                SNAPSHOT_IS_PREFIX,
                f"replica {node} installed a snapshot of slots 0..{applied - 1} that differs "
                f"from the chosen prefix (keys {keys[:5]}, or the command results)",
            )
        self._applied_next[node] = applied
        self._executed[node] = set(results)

    def _responded(self, now: float, node: int, e: Responded) -> None:
        """A write must have gone through the log before it is acknowledged. A read
        answered outside the log (a leader reading its own state, as leases allow) is
        no business of this invariant: linearizability judges it."""
        c = e.command
        results = self._reference.results if self._reference is not None else {}
        key = (c.client, c.seq)
        if key not in results:
            if c.op != "get":
                self._violate(
                    now,
                    RESPONSE_MATCHES,
                    f"client {node} was told {c} returned {_v(e.result)}, but it is not in "
                    "the chosen log",
                )
        elif results[key] != e.result:
            self._violate(
                now,
                RESPONSE_MATCHES,
                f"client {node} was told {c} returned {_v(e.result)}; applied in chosen order "
                f"it returns {_v(results[key])}",
            )

    def _violate(self, now: float, invariant: str, detail: str) -> None:
        self.violations.append(Violation(now, invariant, detail))


def _vote(ballot: Ballot, value: Any) -> str:
    return "none" if ballot == NO_BALLOT else f"({ballot}, {_v(value)})"


def _in(slot: int, upward: bool = False) -> str:
    """Where it happened, said only for a log: a single-decree run has slot 0 alone."""
    if upward:
        return f" in slot {slot} and above"
    return f" in slot {slot}" if slot else ""


def _v(value: Any) -> str:
    """A value as a violation names it: a log's batch of commands as the commands."""
    if type(value) is tuple:
        return "[" + "; ".join(map(str, value)) + "]" if value else "no-op"
    return repr(value)
