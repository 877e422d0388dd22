"""The learning stage of a screening run: fit on case outcomes, score, store, re-order targets.

Runs after ``scoring.run.run_screening`` on the run it stored, in one transaction of its
own: if it fails, the run keeps its indicator-ordered targets. The labels come from the
caller (the CLI reads them from the case database): this package knows nothing of cases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from filature.learning import records
from filature.learning.explain import contribution_table, insert_explained_scores
from filature.learning.logistic import sigmoid
from filature.learning.matrix import EvidenceMatrix, evidence_matrix
from filature.learning.model import (
    MIN_NEGATIVES,
    MIN_POSITIVES,
    SupervisedModel,
    Training,
    as_pairs,
    train,
)
from filature.learning.ranking import POOL_FACTOR, blended_rank
from filature.learning.validation import Validation
from filature.resolve.stable_ids import current_entity_id


@dataclass
class LearningReport:
    """What the stage did, for the CLI to print."""

    run_id: str
    model_id: str
    positives: int
    negatives: int
    labels_outside_run: int
    skipped: str | None = None
    validation: Validation | None = None
    ranking: str = "indicators"
    pool: int | None = None
    targets_moved: int = 0      # targets now listed that the indicator order left out


def _write_scores(con: duckdb.DuckDBPyConnection, model: SupervisedModel, run_id: str,
                  model_id: str, matrix: EvidenceMatrix, rank: np.ndarray) -> None:
    """Every sender's probability, blended rank and explained contributions."""
    contributions = model.contributions(matrix.values)
    logit = model.baseline + contributions.sum(axis=1)
    n = len(matrix.sender_ids)
    senders = pa.table({
        "run_id": [run_id] * n, "model_id": [model_id] * n, "sender_id": matrix.sender_ids,
        "probability": sigmoid(logit), "logit": logit, "rank": rank,
        "indicator_rank": matrix.indicator_rank})
    parts = contribution_table(matrix.sender_ids, model.columns, model.labels_en,
                               model.labels_fr, matrix.values, contributions)
    insert_explained_scores(con, senders, parts, model.positives, model.negatives)


def _rewrite_targets(con: duckdb.DuckDBPyConnection, run_id: str, capacity: int,
                     language: str) -> int:
    """The run's targets in the blended order; how many were not in the indicator list."""
    from filature.scoring.outputs import write_targets

    before = {r[0] for r in con.execute("SELECT target_id FROM targets WHERE run_id = ?",
                                        [run_id]).fetchall()}
    con.execute("DELETE FROM targets WHERE run_id = ?", [run_id])
    write_targets(con, run_id, capacity, language, ranking="supervised")
    after = {r[0] for r in con.execute("SELECT target_id FROM targets WHERE run_id = ?",
                                       [run_id]).fetchall()}
    return len(after - before)


def learn_from_outcomes(con: duckdb.DuckDBPyConnection, run_id: str, labels: Iterable[Any], *,
                        capacity: int, language: str = "fr", reorder_targets: bool = True,
                        pool: int | None = None, min_positives: int = MIN_POSITIVES,
                        min_negatives: int = MIN_NEGATIVES, seed: int = 0) -> LearningReport:
    """Fit a model on ``labels`` for ``run_id``, store it and its scores, re-order targets.

    ``labels``: ``OutcomeLabel``-like objects or (sender_id, label) pairs, 1 confirmed, 0
    cleared. ``reorder_targets`` rewrites the run's ``targets`` in the blended order; it
    needs the run's working tables, so only in the connection that ran the screening.
    Below the minimum counts the attempt is recorded as skipped, with the reason.
    """
    # A case keeps the sender id of its day; a later resolution may have merged it away.
    pairs = [(current_entity_id(con, sender_id), label)
             for sender_id, label in as_pairs(labels)]
    matrix = evidence_matrix(con, run_id)
    training: Training = train(matrix, pairs, min_positives=min_positives,
                               min_negatives=min_negatives, seed=seed)
    model_id = f"model-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    report = LearningReport(run_id, model_id, training.positives, training.negatives,
                            training.labels_outside_run, skipped=training.skipped)
    con.execute("BEGIN")
    try:
        records.clear_run(con, run_id)
        model = training.model
        if model is None:
            records.write_model(con, model_id=model_id, run_id=run_id, status="skipped",
                                reason=training.skipped, positives=training.positives,
                                negatives=training.negatives,
                                labels_outside_run=training.labels_outside_run,
                                ranking="indicators")
        else:
            pool = pool or POOL_FACTOR * capacity
            rank = blended_rank(matrix.indicator_rank, matrix.values[:, 0],
                                model.logit(matrix.values), pool)
            ranking = "supervised" if reorder_targets else "indicators"
            records.write_model(con, model_id=model_id, run_id=run_id, status="fitted",
                                reason=None, positives=model.positives,
                                negatives=model.negatives,
                                labels_outside_run=training.labels_outside_run,
                                ranking=ranking, description=model.description(),
                                validation=model.validation.as_dict(), pool=pool)
            _write_scores(con, model, run_id, model_id, matrix, rank)
            if reorder_targets:
                report.targets_moved = _rewrite_targets(con, run_id, capacity, language)
            report.validation, report.ranking, report.pool = model.validation, ranking, pool
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report
