"""Proposal numbers and quorums, each test tied to a sentence of "Paxos Made Simple"."""

from itertools import combinations

import pytest

from paxossim.protocol import NO_BALLOT, Ballot, Quorums


def test_ballots_of_different_proposers_are_disjoint():
    """"Different proposers choose their numbers from disjoint sets of numbers, so two
    different proposers never issue a proposal with the same number." (2.5)"""
    issued_by_1 = {Ballot(r, 1) for r in range(1, 50)}
    issued_by_2 = {Ballot(r, 2) for r in range(1, 50)}
    assert issued_by_1.isdisjoint(issued_by_2)
    assert Ballot(3, 1) != Ballot(3, 2)


@pytest.mark.parametrize(
    "lower, higher",
    [
        (Ballot(1, 9), Ballot(2, 0)),  # the round decides first
        (Ballot(4, 1), Ballot(4, 2)),  # the node breaks a tie of rounds
        (Ballot(1, 0), Ballot(10, 0)),
    ],
)
def test_ballots_are_totally_ordered_round_first(lower, higher):
    """Proposals are "numbered" and the algorithm compares them ("greater than", "less
    than"): every two ballots are ordered, the round first."""
    assert lower < higher
    assert higher > lower
    assert not higher < lower
    assert max(lower, higher) == higher


def test_no_ballot_is_below_every_issuable_ballot():
    """An acceptor that "has accepted" nothing reports no proposal: NO_BALLOT must sort
    below every number a proposer can issue (rounds from 1, nodes from 0)."""
    for ballot in (Ballot(1, 0), Ballot(0, 0), Ballot(1, 99)):
        assert NO_BALLOT < ballot


def test_ballot_str():
    assert str(Ballot(3, 2)) == "3.2"


@pytest.mark.parametrize("n, size", [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4)])
def test_majority_sizes(n, size):
    """"A majority of acceptors" (2.2): more than half of them."""
    q = Quorums.majority(n)
    assert (q.acceptors, q.phase1, q.phase2) == (n, size, size)
    assert q.intersecting


@pytest.mark.parametrize("n", range(1, 8))
def test_any_two_majorities_intersect(n):
    """"Any two majorities have at least one acceptor in common." (2.2) - checked by
    enumerating every pair of quorums of the majority size."""
    q = Quorums.majority(n)
    nodes = range(n)
    for a in combinations(nodes, q.phase1):
        for b in combinations(nodes, q.phase2):
            assert set(a) & set(b)


@pytest.mark.parametrize(
    "quorums, intersecting",
    [
        (Quorums(4, 2, 2), False),  # two disjoint halves could choose different values
        (Quorums(4, 3, 2), True),
        (Quorums(5, 4, 2), True),
        (Quorums(5, 3, 2), False),
        (Quorums(5, 1, 5), True),
    ],
)
def test_intersecting_is_phase1_plus_phase2_above_acceptors(quorums, intersecting):
    """Safety needs every phase-1 quorum to meet every phase-2 quorum."""
    assert quorums.intersecting is intersecting
    nodes = range(quorums.acceptors)
    meet = all(
        set(a) & set(b)
        for a in combinations(nodes, quorums.phase1)
        for b in combinations(nodes, quorums.phase2)
    )
    assert meet is intersecting
