"""The resolution's arithmetic without Splink: clustering under judgements, and the accuracy
figures the benchmark reports (checked against values worked out by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from filature.resolve.clusters import cluster
from filature.resolve.evaluate import evaluate
from filature.resolve.judgements import Constraints
from filature.store import open_store


def test_not_the_same_cuts_the_weakest_link_of_the_chain():
    # a - b (strong) - c (weak) - d (strong); a and d judged different people.
    ids = ["a", "b", "c", "d", "e"]
    labels = cluster(ids, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([9.0, 2.0, 8.0]),
                     Constraints([], {"J1": ({"a"}, {"d"})}))
    assert labels[0] == labels[1] and labels[2] == labels[3]
    assert labels[0] != labels[2]
    assert labels[4] not in labels[:4]


def test_same_person_joins_and_not_the_same_wins_over_a_contradiction():
    ids = ["a", "b", "c"]
    none = np.array([], dtype=np.int64)
    joined = cluster(ids, none, none, np.array([]), Constraints([("a", "c")], {}))
    assert joined[0] == joined[2] != joined[1]
    refused = cluster(ids, none, none, np.array([]),
                      Constraints([("a", "c")], {"J2": ({"a"}, {"c"})}))
    assert refused[0] != refused[2]


def test_accuracy_figures_match_a_hand_count(tmp_path):
    con = open_store(":memory:")
    # Truth: transfers 1, 2 by person A; 3, 4 by person B. Resolver: 1, 2, 3 -> E1; 4 -> E2.
    con.executemany("INSERT INTO transfer_parties VALUES ('MB', ?, ?, 'R1')",
                    [("1", "E1"), ("2", "E1"), ("3", "E1"), ("4", "E2")])
    truth = tmp_path / "truth.csv"
    truth.write_text("provider,transfer_id,sender_person_id,receiver_person_id,household_id\n"
                     "MB,1,A,X,\nMB,2,A,X,\nMB,3,B,X,\nMB,4,B,X,\n")
    sender = evaluate(con, truth)["sender"]
    assert sender.pairwise_precision == pytest.approx(1 / 3)   # 1 right pair of 3 made
    assert sender.pairwise_recall == pytest.approx(1 / 2)      # 1 of 2 true pairs found
    assert sender.bcubed_precision == pytest.approx(2 / 3)
    assert sender.bcubed_recall == pytest.approx(3 / 4)
    assert sender.bcubed_f1 == pytest.approx(12 / 17)
    receiver = evaluate(con, truth)["receiver"]
    assert receiver.bcubed_f1 == pytest.approx(1.0)
