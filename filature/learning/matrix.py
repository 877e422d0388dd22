"""The evidence matrix of a screening run: one row per sender, one column per evidence.

Read from what the run stored (``sender_scores``): the indicator score and, from its
``breakdown``, the points of every indicator and network evidence the sender met. Points
are the indicator's strength times its weight (network evidence: the weight times its
measure), so after standardisation a column is the evidence itself, whatever its weight in
the pack. Nothing is recomputed from the transfers: a model can be fitted on any stored run
and describes exactly the evidence its targets were explained with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from filature.errors import NotFound

# The indicator score is a column of its own: the model corrects the pack, it does not
# ignore it (see ``learning.model``).
SCORE_COLUMN = "score"
SCORE_LABELS = ("Indicator score (sum of the pack's points)",
                "Score des indicateurs (somme des points du pack)")

_BREAKDOWN = """from_json(breakdown, '[{"id": "VARCHAR", "label_en": "VARCHAR",
    "label_fr": "VARCHAR", "points": "DOUBLE"}]')"""


@dataclass
class EvidenceMatrix:
    """Senders (rows) by evidence (columns) of one run, with the columns' labels."""

    run_id: str
    sender_ids: list[str]
    columns: list[str]              # SCORE_COLUMN first, then evidence ids (S01, N01...)
    labels_en: list[str]
    labels_fr: list[str]
    values: np.ndarray              # float, len(sender_ids) x len(columns)
    indicator_rank: np.ndarray      # the run's rank of each sender (1 = first)

    def rows_of(self, sender_ids: Iterable[str]) -> np.ndarray:
        """Row numbers of these senders; senders absent from the run are skipped."""
        index = {s: i for i, s in enumerate(self.sender_ids)}
        return np.array([index[s] for s in sender_ids if s in index], dtype=int)


def evidence_matrix(con: duckdb.DuckDBPyConnection, run_id: str) -> EvidenceMatrix:
    """Every sender of ``run_id`` with his score and the points of each evidence met."""
    senders = con.execute(
        "SELECT sender_id, score, rank FROM sender_scores WHERE run_id = ? ORDER BY rank",
        [run_id]).fetchall()
    if not senders:
        raise NotFound(f"run {run_id} has no sender scores")
    parts = con.execute(
        f"""WITH s AS (
            SELECT row_number() OVER (ORDER BY rank) - 1 AS row, unnest({_BREAKDOWN}) AS c
            FROM sender_scores WHERE run_id = ?
        )
        SELECT row, c.id, any_value(c.label_en), any_value(c.label_fr), sum(c.points)
        FROM s GROUP BY row, c.id""",
        [run_id]).fetchall()
    labels: dict[str, tuple[str, str]] = {}
    for _, evidence_id, label_en, label_fr, _points in parts:
        labels.setdefault(evidence_id, (label_en, label_fr))
    evidence = sorted(labels)
    column_of = {e: j + 1 for j, e in enumerate(evidence)}
    values = np.zeros((len(senders), len(evidence) + 1))
    values[:, 0] = [float(s[1]) for s in senders]
    if parts:
        rows = np.array([p[0] for p in parts], dtype=int)
        cols = np.array([column_of[p[1]] for p in parts], dtype=int)
        values[rows, cols] = [float(p[4]) for p in parts]
    return EvidenceMatrix(
        run_id=run_id, sender_ids=[str(s[0]) for s in senders],
        columns=[SCORE_COLUMN, *evidence],
        labels_en=[SCORE_LABELS[0], *(labels[e][0] for e in evidence)],
        labels_fr=[SCORE_LABELS[1], *(labels[e][1] for e in evidence)],
        values=values, indicator_rank=np.array([int(s[2]) for s in senders]))


def label_vector(matrix: EvidenceMatrix,
                 labels: Sequence[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, labels) of the labelled senders found in the run, in the order given."""
    index = {s: i for i, s in enumerate(matrix.sender_ids)}
    found = [(index[s], int(y)) for s, y in labels if s in index]
    return (np.array([r for r, _ in found], dtype=int),
            np.array([y for _, y in found], dtype=float))
