"""Proposal numbers.

"Different proposers choose their numbers from disjoint sets of numbers" (Paxos Made
Simple, 2.5): a ballot is the pair (round, node), compared round first, so two
proposers never issue the same number and every ballot is ordered against every other.
"""

from typing import NamedTuple


class Ballot(NamedTuple):
    round: int
    node: int

    def __str__(self) -> str:
        return "none" if self.round == 0 else f"{self.round}.{self.node}"


#: Smaller than every ballot a proposer can issue (rounds start at 1, nodes at 0).
NO_BALLOT = Ballot(0, -1)
