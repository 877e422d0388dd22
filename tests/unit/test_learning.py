"""The supervised model taught by case outcomes: fit, validation, contributions, ranking, store."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from filature.errors import InputError
from filature.learning import learn_from_outcomes
from filature.learning.explain import contribution_table, insert_explained_scores
from filature.learning.logistic import fit_logistic, predict_logit
from filature.learning.matrix import EvidenceMatrix, evidence_matrix
from filature.learning.model import as_pairs, train
from filature.learning.ranking import blended_rank
from filature.learning.records import read_model
from filature.learning.report import model_report
from filature.learning.validation import auc, brier, precision_at_labelled_top
from filature.scoring.run import run_screening
from tests.builders import corridor_world


def _matrix(rng: np.random.Generator, n: int = 400) -> tuple[EvidenceMatrix, np.ndarray]:
    """Senders whose night transfers (S05) mark buyers the score alone does not separate."""
    night = rng.random(n) < 0.3
    family = rng.random(n) < 0.3
    s05 = np.where(night, rng.uniform(1, 2, n), 0.0)
    c02 = np.where(family, -rng.uniform(1, 3, n), 0.0)
    other = rng.uniform(0, 6, n)
    score = s05 + c02 + other
    buyer = (rng.random(n) < np.where(night & ~family, 0.85, 0.08)).astype(int)
    values = np.column_stack([score, s05, c02, other])
    matrix = EvidenceMatrix(
        run_id="run-x", sender_ids=[f"S{i:04d}" for i in range(n)],
        columns=["score", "S05", "C02", "S01"],
        labels_en=["Indicator score", "Night transfers", "Family", "Small transfers"],
        labels_fr=["Score", "Envois de nuit", "Famille", "Petits envois"],
        values=values, indicator_rank=np.argsort(np.argsort(-score)) + 1)
    return matrix, buyer


def test_logistic_fit_recovers_the_sign_and_size_of_known_weights() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 2))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(0.5 + 2.0 * x[:, 0] - 1.0 * x[:, 1])))) * 1.0
    w = fit_logistic(x, y, np.full(3, 1e-6))
    assert w == pytest.approx([0.5, 2.0, -1.0], abs=0.2)
    heavy = fit_logistic(x, y, np.array([1e-6, 1e4, 1e4]))     # the penalty pulls to zero
    assert np.all(np.abs(heavy[1:]) < 0.2)
    assert predict_logit(x[:1], w) == pytest.approx(w[0] + x[0] @ w[1:])


def test_validation_figures_on_known_cases() -> None:
    y = np.array([1, 1, 0, 0, 0])
    assert auc(y, np.array([0.9, 0.8, 0.7, 0.2, 0.1])) == 1.0
    assert auc(y, np.array([0.1, 0.2, 0.7, 0.8, 0.9])) == 0.0
    assert auc(y, np.array([0.5, 0.5, 0.5, 0.5, 0.5])) == 0.5
    assert precision_at_labelled_top(y, np.array([0.9, 0.1, 0.8, 0.2, 0.3])) == 0.5
    assert brier(y, np.array([1.0, 1.0, 0.0, 0.0, 0.5])) == pytest.approx(0.05)


def test_too_few_labels_skip_the_model_and_say_why() -> None:
    matrix, buyer = _matrix(np.random.default_rng(1))
    labels = [(s, int(b)) for s, b in zip(matrix.sender_ids, buyer, strict=True)]
    few = [p for p in labels if p[1] == 1][:19] + [p for p in labels if p[1] == 0][:50]
    training = train(matrix, few + [("S-not-in-run", 1)])
    assert training.model is None
    assert (training.positives, training.negatives, training.labels_outside_run) == (19, 50, 1)
    assert "19 confirmed and 50 cleared" in training.skipped
    assert "at least 20 and 20" in training.skipped


def test_a_fitted_model_learns_the_pattern_the_outcomes_show() -> None:
    matrix, buyer = _matrix(np.random.default_rng(2))
    labels = [(s, int(b)) for s, b in zip(matrix.sender_ids[:200], buyer[:200], strict=True)]
    model = train(matrix, labels).model
    assert model is not None
    # Two new senders with the same indicator score: the one with night transfers and no
    # family tie is the more likely buyer.
    night = np.array([[4.0, 1.5, 0.0, 2.5]])
    family = np.array([[4.0, 0.0, -1.5, 5.5]])
    assert model.probability(night)[0] > model.probability(family)[0] + 0.2
    assert model.coefficients[model.columns.index("S05")] > 0
    v = model.validation
    assert v.auc > v.indicator_auc and v.auc > 0.75 and v.brier < 0.2
    assert sum(b.senders for b in v.reliability) == 200 * v.repeats


def test_contributions_sum_to_the_log_odds() -> None:
    matrix, buyer = _matrix(np.random.default_rng(4))
    labels = [(s, int(b)) for s, b in zip(matrix.sender_ids, buyer, strict=True)]
    model = train(matrix, labels).model
    assert model is not None
    contributions = model.contributions(matrix.values)
    logit = np.log(model.probability(matrix.values) / (1 - model.probability(matrix.values)))
    assert model.baseline + contributions.sum(axis=1) == pytest.approx(logit, abs=1e-6)
    # Evidence a sender did not meet contributes nothing: a sender with none is the baseline.
    nothing = np.zeros((1, len(model.columns)))
    assert model.contributions(nothing) == pytest.approx(0.0)
    assert model.logit(nothing)[0] == pytest.approx(model.baseline)
    # The baseline is the centred model's intercept moved to the origin.
    centred = model.intercept + (model.standardised(matrix.values) * model.coefficients).sum(1)
    assert centred == pytest.approx(logit, abs=1e-6)


def test_labels_are_read_from_outcomes_or_pairs_and_checked() -> None:
    class Outcome:
        def __init__(self, sender_id: str, label: int) -> None:
            self.sender_id, self.label = sender_id, label

    assert as_pairs([Outcome("B", 0), ("A", 1), ("B", 1)]) == [("A", 1), ("B", 1)]
    with pytest.raises(InputError, match="1 confirmed or 0 cleared"):
        as_pairs([("A", 2)])


def test_the_blend_reorders_the_pool_only_and_never_lists_a_zero_score() -> None:
    indicator_rank = np.array([1, 2, 3, 4, 5, 6])
    score = np.array([9.0, 8.0, 7.0, 6.0, 0.0, 0.0])
    logit = np.array([-2.0, 3.0, 1.0, 9.0, 10.0, 0.0])
    rank = blended_rank(indicator_rank, score, logit, pool=3)
    # The pool (ranks 1-3) by log-odds; rank 4 stays 4 although the model likes it most;
    # zero scores stay behind whatever the model says.
    assert rank.tolist() == [3, 1, 2, 4, 5, 6]
    assert blended_rank(indicator_rank, score, logit, pool=10).tolist() == [4, 2, 3, 1, 5, 6]


def test_explanations_name_the_evidence_in_both_languages() -> None:
    from filature.store import open_store

    con = open_store(":memory:")
    senders = pa.table({"run_id": ["r", "r"], "model_id": ["m", "m"], "sender_id": ["A", "B"],
                        "probability": [0.83, 0.2], "logit": [1.59, -1.39], "rank": [1, 2],
                        "indicator_rank": [1, 2]})
    points = np.array([[12.0, 1.5, -2.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    contributions = np.array([[1.8, 0.72, -0.4, 0.01], [0.02, 0.0, 0.0, -0.01]])
    parts = contribution_table(["A", "B"], ["score", "S05", "C02", "S01"],
                               ["Indicator score", "Night transfers", "Family", "Small"],
                               ["Score des indicateurs", "Envois de nuit", "Famille", "Petits"],
                               points, contributions)
    insert_explained_scores(con, senders, parts, 30, 100)
    (en, fr, shown), (en_b, fr_b, shown_b) = con.execute(
        "SELECT explanation_en, explanation_fr, contributions FROM supervised_scores "
        "ORDER BY rank").fetchall()
    assert en.startswith("Model taught by 30 confirmed and 100 cleared sender(s): 83% likely")
    assert "Raised by: Indicator score (+1.80); S05 Night transfers (+0.72)." in en
    assert "Lowered by: C02 Family (-0.40)." in en and "S01" not in en
    assert "83 % de probabilité" in fr and "S05 Envois de nuit (+0,72)" in fr
    assert "En baisse : C02 Famille (-0,40)." in fr
    assert [c["id"] for c in json.loads(shown)] == ["score", "S05", "C02"]
    assert json.loads(shown)[1] == {"id": "S05", "label_en": "Night transfers",
                                    "label_fr": "Envois de nuit", "points": 1.5,
                                    "contribution": 0.72}
    assert en_b.endswith("No evidence moves it far from the baseline of a sender with none.")
    assert "Aucun élément" in fr_b and json.loads(shown_b) == []


def _screened_corridor():  # type: ignore[no-untyped-def]
    con = corridor_world().store()
    from filature.resolve.exact import resolve_exact

    resolve_exact(con)
    report = run_screening(con, capacity=4)
    return con, report.run_id


def test_the_stage_stores_model_scores_and_reorders_targets() -> None:
    con, run_id = _screened_corridor()
    matrix = evidence_matrix(con, run_id)
    assert matrix.columns[0] == "score" and len(matrix.sender_ids) == 57
    names = dict(con.execute("SELECT p.sender_id, any_value(t.sender_name_norm) FROM "
                             "transfer_parties p JOIN transfers t USING (provider, transfer_id) "
                             "GROUP BY ALL").fetchall())
    labels = [(s, 1 if n.startswith("buyer") else 0) for s, n in names.items()
              if n.startswith(("buyer", "ana1", "donor1", "paul"))]
    report = learn_from_outcomes(con, run_id, labels, capacity=4, language="en",
                                 min_positives=3, min_negatives=3)
    assert report.skipped is None and report.ranking == "supervised" and report.pool == 12
    model = read_model(con, run_id)
    assert (model.status, model.positives, model.negatives) == ("fitted", 5, 23)
    assert {c["id"] for c in model.columns} >= {"score", "S01"}
    stored = con.execute("SELECT sender_id, probability, logit, rank, indicator_rank, "
                         "contributions, explanation_en FROM supervised_scores "
                         "WHERE run_id = ? ORDER BY rank", [run_id]).fetchall()
    assert len(stored) == 57 and [r[3] for r in stored] == list(range(1, 58))
    for _, p, logit, _, _, contributions, _ in stored:
        assert p == pytest.approx(1 / (1 + np.exp(-logit)))
        assert isinstance(json.loads(contributions), list)
    targets = con.execute("SELECT rank, target_id FROM targets WHERE run_id = ? ORDER BY rank",
                          [run_id]).fetchall()
    assert [t[1] for t in targets] == [r[0] for r in stored[:len(targets)]]
    assert len(targets) == 4 and all(names[t[1]].startswith("buyer") for t in targets)
    assert "Model taught by 5 confirmed and 23 cleared" in stored[0][6]
    text = "\n".join(model_report(model))
    assert "AUC" in text and "Brier" in text and "re-orders the top 12" in text

    # Fitting again on the same run replaces the model; too few labels are recorded as such
    # and the targets keep the order they have.
    again = learn_from_outcomes(con, run_id, labels[:3], capacity=4)
    assert again.skipped and "not enough outcomes" in again.skipped
    assert read_model(con, run_id).status == "skipped"
    assert con.execute("SELECT count(*) FROM supervised_scores WHERE run_id = ?",
                       [run_id]).fetchone()[0] == 0
    assert con.execute("SELECT rank, target_id FROM targets WHERE run_id = ? ORDER BY rank",
                       [run_id]).fetchall() == targets
