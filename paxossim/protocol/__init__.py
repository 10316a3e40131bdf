"""Pure Paxos roles: a message or a timer in, a list of effects out.

Nothing here imports simpy or reads a clock, so every rule of "Paxos Made Simple"
can be unit-tested by feeding a role messages and reading what it emits.
"""

from paxossim.protocol.acceptor import Acceptor, AcceptorStorage
from paxossim.protocol.ballot import NO_BALLOT, Ballot
from paxossim.protocol.distinguished import DistinguishedProposer
from paxossim.protocol.effects import (
    CancelTimer,
    Decided,
    LeadershipChanged,
    Learned,
    RoundAbandoned,
    RoundStarted,
    Send,
    SetTimer,
    ValueAdopted,
)
from paxossim.protocol.election import Elector, ElectorStorage
from paxossim.protocol.learner import Learner, LearnerStorage
from paxossim.protocol.messages import (
    Accept,
    Accepted,
    Ask,
    Decide,
    Forward,
    Heartbeat,
    Nack,
    Poll,
    Prepare,
    Promise,
    Reissue,
)
from paxossim.protocol.proposer import Proposer, ProposerStorage
from paxossim.protocol.quorum import Quorums

__all__ = [
    "NO_BALLOT",
    "Accept",
    "Accepted",
    "Acceptor",
    "AcceptorStorage",
    "Ask",
    "Ballot",
    "CancelTimer",
    "Decide",
    "Decided",
    "DistinguishedProposer",
    "Elector",
    "ElectorStorage",
    "Forward",
    "Heartbeat",
    "LeadershipChanged",
    "Learned",
    "Learner",
    "LearnerStorage",
    "Nack",
    "Poll",
    "Prepare",
    "Promise",
    "Proposer",
    "ProposerStorage",
    "Quorums",
    "Reissue",
    "RoundAbandoned",
    "RoundStarted",
    "Send",
    "SetTimer",
    "ValueAdopted",
]
