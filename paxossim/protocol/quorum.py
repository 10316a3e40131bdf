"""Quorum sizes for the two phases.

Safety needs every phase-1 quorum to meet every phase-2 quorum (Flexible Paxos);
a majority for both is the paper's choice and the default.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quorums:
    acceptors: int
    phase1: int
    phase2: int

    @classmethod
    def majority(cls, acceptors: int) -> "Quorums":
        size = acceptors // 2 + 1
        return cls(acceptors, size, size)

    @property
    def intersecting(self) -> bool:
        return self.phase1 + self.phase2 > self.acceptors
