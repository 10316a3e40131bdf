"""A learner whose acceptors' last votes are split over ballots must still learn.

The issue's case: v5 is chosen in ballot 1.5 by acceptors {0, 1, 2} while learner 7 is
cut off; proposer 6 re-proposes v5 in 1.6, which only acceptor 2 accepts, then crashes
for good; proposer 5 has decided and stopped. After 0.2 s everything is up and connected,
but the acceptors' last votes are (1.5, 1.5, 1.6, none, none): polls never show a quorum
for one ballot. Before the fix the learner stayed ignorant to the horizon."""

from paxossim import parse_scenario, simulate

D = 0.005

SPLIT_VOTES = {
    "name": "split-votes",
    "horizon": 2.0,
    "cluster": {"nodes": 8, "proposers": [5, 6], "acceptors": [0, 1, 2, 3, 4], "learners": [7]},
    "network": {
        "delay": {"dist": "constant", "value": D},
        "partitions": [
            {"start": 0.0, "end": 0.2, "groups": [[0, 1, 2, 5, 6]]},
            {"start": 0.03, "end": 0.2, "groups": [[2, 6], [0, 1, 5]]},
        ],
    },
    "faults": [{"node": 6, "crash_at": 0.04}],
    "protocol": {"catchup": 0.1},
    "workload": {"propose_at": [0.0, 0.02]},
}


def test_the_votes_are_split_as_the_issue_describes():
    result = simulate(parse_scenario(SPLIT_VOTES), seed=0, trace=True)
    trace = result.trace
    chosen = trace.query("event == 'chosen'")
    assert chosen["ballot"].tolist() == ["1.5"] and chosen["time"].tolist() == [3 * D]
    adopted = trace.query("event == 'ValueAdopted'")
    assert adopted[["node", "ballot", "value"]].values.tolist()[0] == [6, "1.6", "v5"]
    votes_16 = trace.query("event == 'send' and message == 'Accepted' and ballot == '1.6'")
    assert set(votes_16["node"]) == {2}


def test_a_learner_with_split_votes_has_a_proposer_issue_a_proposal_and_learns():
    result = simulate(parse_scenario(SPLIT_VOTES), seed=0, trace=True)
    record = result.record
    assert record.safety_violations == 0
    assert record.learners_learned == 1 and record.learned_at < 0.6
    # it learned from a new ballot that proposer 5 ran after it had decided
    rounds = result.trace.query("event == 'RoundStarted' and node == 5")
    assert len(rounds) == 2 and rounds["time"].iloc[1] >= 0.2
    reissues = result.trace.query("event == 'send' and message == 'Reissue'")
    assert set(reissues["node"]) == {7}
