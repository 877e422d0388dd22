"""Detection quality of a ranked list of sender entities against a synthetic world's truth.

A listed entity counts as a hit when most of its transfers were sent by a buyer; a buyer
listed a second time counts as a duplicate, not a hit. Recall is over every buyer who sent
at least one transfer in the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass
class Quality:
    k: int
    precision_at_k: float
    recall_at_k: float
    average_precision: float
    duplicates_at_k: int
    buyers: int


def load_truth(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> None:
    """``truth_tx`` (transfer -> true sender person) and ``truth_people`` as temp tables."""
    con.execute("CREATE OR REPLACE TEMP TABLE truth_tx AS SELECT * FROM read_csv(?, "
                "all_varchar = true)", [str(truth_dir / "transfers.csv")])
    con.execute("CREATE OR REPLACE TEMP TABLE truth_people AS SELECT * FROM read_csv(?, "
                "all_varchar = true)", [str(truth_dir / "people.csv")])
    # Which person mostly stands behind each sender entity; an entity half one person, half
    # another, is given the first by id (``arg_max`` would pick either, run after run).
    con.execute(
        """CREATE OR REPLACE TEMP TABLE entity_person AS
        SELECT sender_id, first(sender_person_id ORDER BY n DESC, sender_person_id)
                              AS person_id FROM (
            SELECT p.sender_id, t.sender_person_id, count(*) AS n
            FROM transfer_parties p JOIN truth_tx t USING (provider, transfer_id)
            GROUP BY ALL) GROUP BY sender_id""")


def listed_ranking(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[str]:
    """The run's order as investigators get it: the ``targets`` list (one line per person:
    a target that may be another's second record is folded into that line), then every
    other sender by rank; the folded ones are not ranked again."""
    run = run_id or con.execute("SELECT run_id FROM screening_runs WHERE status = 'done' "
                                "ORDER BY started_at DESC LIMIT 1").fetchall()[0][0]
    listed = [r[0] for r in con.execute(
        "SELECT target_id FROM targets WHERE run_id = ? ORDER BY rank", [run]).fetchall()]
    rest = [r[0] for r in con.execute(
        """SELECT sender_id FROM sender_scores WHERE run_id = $run
           AND sender_id NOT IN (SELECT target_id FROM targets WHERE run_id = $run)
           AND sender_id NOT IN (SELECT alias_id FROM target_aliases WHERE run_id = $run)
           ORDER BY rank""", {"run": run}).fetchall()]
    return listed + rest


def evaluate_ranking(con: duckdb.DuckDBPyConnection, ranked_sender_ids: list[str],
                     k: int) -> Quality:
    """Precision and recall at k, average precision over the whole ranking, duplicates."""
    role = dict(con.execute(
        """SELECT e.sender_id, pp.role FROM entity_person e
           JOIN truth_people pp ON pp.person_id = e.person_id""").fetchall())
    person = dict(con.execute("SELECT sender_id, person_id FROM entity_person").fetchall())
    buyers = int(con.execute(
        """SELECT count(DISTINCT t.sender_person_id) FROM truth_tx t
           JOIN truth_people pp ON pp.person_id = t.sender_person_id
           JOIN transfers USING (provider, transfer_id)
           WHERE pp.role = 'buyer'""").fetchall()[0][0])
    seen: set[str] = set()
    hits_at_k = duplicates = 0
    ap_sum = 0.0
    hits = 0
    for i, sid in enumerate(ranked_sender_ids, start=1):
        if role.get(sid) != "buyer":
            continue
        if person[sid] in seen:
            duplicates += i <= k
            continue
        seen.add(person[sid])
        hits += 1
        ap_sum += hits / i
        hits_at_k += i <= k
    return Quality(k=k, precision_at_k=hits_at_k / k, recall_at_k=hits_at_k / max(buyers, 1),
                   average_precision=ap_sum / max(buyers, 1), duplicates_at_k=duplicates,
                   buyers=buyers)
