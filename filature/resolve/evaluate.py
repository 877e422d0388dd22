"""Scoring a resolution against the synthetic truth: pairwise precision/recall and B-cubed F1.

Counted over transfers (each transfer's sender, each transfer's receiver), so the figures
weigh people by the volume an investigator would see. Pairwise counts come from the
contingency table (pairs of transfers put together by the resolver and by the truth),
without enumerating pairs, so a million transfers evaluate in seconds. Only the synthetic
world has a truth; the screening never reads it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from filature.errors import InputError


@dataclass(frozen=True)
class SideScore:
    """How well one side's entities match the true persons."""

    side: str
    transfers: int
    entities: int
    persons: int
    pairwise_precision: float
    pairwise_recall: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def _score(con: duckdb.DuckDBPyConnection, side: str, predicted: str, truth: str) -> SideScore:
    row = con.execute(
        f"""WITH j AS (
                SELECT p.{predicted} AS e, t.{truth} AS g
                FROM transfer_parties p JOIN resolve_truth t USING (provider, transfer_id)
            ), cell AS (SELECT e, g, count(*)::DOUBLE AS n FROM j GROUP BY e, g),
            ne AS (SELECT e, sum(n) AS n FROM cell GROUP BY e),
            ng AS (SELECT g, sum(n) AS n FROM cell GROUP BY g)
            SELECT (SELECT sum(n) FROM cell),
                   (SELECT count(*) FROM ne), (SELECT count(*) FROM ng),
                   (SELECT sum(n * (n - 1) / 2) FROM cell),
                   (SELECT sum(n * (n - 1) / 2) FROM ne),
                   (SELECT sum(n * (n - 1) / 2) FROM ng),
                   (SELECT sum(c.n * c.n / ne.n) FROM cell c JOIN ne USING (e)),
                   (SELECT sum(c.n * c.n / ng.n) FROM cell c JOIN ng USING (g))"""
    ).fetchall()[0]
    total, entities, persons, together, pred_pairs, true_pairs, bp, br = row
    if not total:
        raise InputError("no transfer of the store is in the truth file")
    precision_b, recall_b = bp / total, br / total
    return SideScore(
        side=side, transfers=int(total), entities=int(entities), persons=int(persons),
        pairwise_precision=together / pred_pairs if pred_pairs else 1.0,
        pairwise_recall=together / true_pairs if true_pairs else 1.0,
        bcubed_precision=precision_b, bcubed_recall=recall_b,
        bcubed_f1=2 * precision_b * recall_b / (precision_b + recall_b),
    )


def buyers_listed_twice(con: duckdb.DuckDBPyConnection, truth_csv: Path | str, run_id: str,
                        top: int = 300) -> dict[str, int]:
    """True buyers that more than one target of the ``top`` of a run stands for
    (person id -> number of targets): each one a wasted review and a split volume."""
    path = Path(truth_csv)
    if not path.exists():
        raise InputError("truth file not found", file=str(path))
    rows = con.execute(
        """WITH truth AS (SELECT * FROM read_csv($path, all_varchar = true)),
           listed AS (SELECT target_id FROM targets WHERE run_id = $run AND rank <= $top),
           who AS (   -- the true person behind most of each target's transfers
               SELECT p.sender_id, t.sender_person_id, count(*) AS n,
                      bool_or(t.population = 'buyer') AS buyer
               FROM transfer_parties p JOIN truth t USING (provider, transfer_id)
               WHERE p.sender_id IN (SELECT target_id FROM listed)
               GROUP BY p.sender_id, t.sender_person_id
               QUALIFY row_number() OVER (PARTITION BY p.sender_id ORDER BY n DESC) = 1)
           SELECT sender_person_id, count(*) FROM who WHERE buyer
           GROUP BY 1 HAVING count(*) > 1""",
        {"path": str(path), "run": run_id, "top": top}).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def evaluate(con: duckdb.DuckDBPyConnection, truth_csv: Path | str) -> dict[str, SideScore]:
    """Scores of the current ``transfer_parties`` against ``truth/transfers.csv``."""
    path = Path(truth_csv)
    if not path.exists():
        raise InputError("truth file not found", file=str(path))
    con.execute("CREATE OR REPLACE TEMP TABLE resolve_truth AS SELECT provider, transfer_id, "
                "sender_person_id, receiver_person_id FROM read_csv(?, all_varchar = true)",
                [str(path)])
    try:
        return {"sender": _score(con, "sender", "sender_id", "sender_person_id"),
                "receiver": _score(con, "receiver", "receiver_id", "receiver_person_id")}
    finally:
        con.execute("DROP TABLE IF EXISTS resolve_truth")
