"""Each sender's model contributions in plain words, French and English, written set-based.

A contribution is the evidence's coefficient times the sender's points in standard
deviations: how far it moves his log-odds from a sender with no evidence at all (the
model's baseline), so only evidence he met is named. The words name the
evidence as the pack does and say what raises the probability and what lowers it, the
largest first. Computed in the store for every sender of the run at once (tens of
thousands): Python hands over the numbers, DuckDB writes the JSON and the sentences.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from filature.learning.matrix import SCORE_COLUMN

# Contributions smaller than this (log-odds) are left out of the words and of the JSON.
SHOWN_FROM = 0.05
# Evidence named per direction in the sentence.
SHOWN_MAX = 3


def _items(label: str, sign: str, language: str) -> str:
    """SQL: the top contributions of one direction, '; '-separated, as 'S05 label (+0.72)'."""
    number = "printf('%+.2f', c.contribution)"
    if language == "fr":
        number = f"replace({number}, '.', ',')"
    name = f"CASE WHEN c.id = '{SCORE_COLUMN}' THEN c.{label} ELSE c.id || ' ' || c.{label} END"
    order = "c.contribution DESC" if sign == ">" else "c.contribution ASC"
    return f"""array_to_string(list({name} || ' (' || {number} || ')' ORDER BY {order})
        FILTER (WHERE c.contribution {sign} 0)[1:{SHOWN_MAX}], '; ')"""


EXPLAINED = f"""
WITH shown AS (
    SELECT * FROM model_contributions c WHERE abs(c.contribution) >= {SHOWN_FROM}
), words AS (
    SELECT c.sender_id,
           to_json(list(struct_pack(id := c.id, label_en := c.label_en, label_fr := c.label_fr,
                                    points := round(c.points, 3),
                                    contribution := round(c.contribution, 3))
                        ORDER BY abs(c.contribution) DESC)) AS contributions,
           {_items("label_en", ">", "en")} AS up_en, {_items("label_en", "<", "en")} AS down_en,
           {_items("label_fr", ">", "fr")} AS up_fr, {_items("label_fr", "<", "fr")} AS down_fr
    FROM shown c GROUP BY c.sender_id
)
SELECT s.run_id, s.model_id, s.sender_id, s.probability, s.logit, s.rank, s.indicator_rank,
       coalesce(w.contributions, '[]'),
       printf('Model taught by %d confirmed and %d cleared sender(s): %.0f%% likely to be '
              'confirmed.', $positives, $negatives, s.probability * 100)
       || CASE WHEN coalesce(w.up_en, '') <> '' THEN ' Raised by: ' || w.up_en || '.' ELSE ''
          END
       || CASE WHEN coalesce(w.down_en, '') <> '' THEN ' Lowered by: ' || w.down_en || '.'
          ELSE '' END
       || CASE WHEN w.sender_id IS NULL THEN
              ' No evidence moves it far from the baseline of a sender with none.' ELSE '' END,
       printf('Modèle appris de %d expéditeur(s) confirmé(s) et %d écarté(s) : %.0f %% de '
              'probabilité d''être confirmé.', $positives, $negatives, s.probability * 100)
       || CASE WHEN coalesce(w.up_fr, '') <> '' THEN ' En hausse : ' || w.up_fr || '.' ELSE ''
          END
       || CASE WHEN coalesce(w.down_fr, '') <> '' THEN ' En baisse : ' || w.down_fr || '.'
          ELSE '' END
       || CASE WHEN w.sender_id IS NULL THEN
              ' Aucun élément ne l''écarte beaucoup de la base d''un expéditeur sans indice.'
          ELSE '' END
FROM model_senders s LEFT JOIN words w USING (sender_id)
"""


def contribution_table(sender_ids: list[str], columns: list[str], labels_en: list[str],
                       labels_fr: list[str], points: np.ndarray,
                       contributions: np.ndarray) -> pa.Table:
    """Long form: one row per (sender, column) whose contribution is worth showing."""
    rows, cols = np.nonzero(np.abs(contributions) >= SHOWN_FROM)
    ids = np.array(sender_ids, dtype=object)
    return pa.table({
        "sender_id": ids[rows], "id": np.array(columns, dtype=object)[cols],
        "label_en": np.array(labels_en, dtype=object)[cols],
        "label_fr": np.array(labels_fr, dtype=object)[cols],
        "points": points[rows, cols], "contribution": contributions[rows, cols]})


def insert_explained_scores(con: duckdb.DuckDBPyConnection, senders: pa.Table,
                            contributions: pa.Table, positives: int, negatives: int) -> None:
    """Append to ``supervised_scores`` one row per sender of ``senders`` (run_id, model_id,
    sender_id, probability, logit, rank, indicator_rank) with its contributions in words."""
    con.register("model_senders", senders)
    con.register("model_contributions", contributions)
    try:
        con.execute(f"INSERT INTO supervised_scores {EXPLAINED}",
                    {"positives": positives, "negatives": negatives})
    finally:
        con.unregister("model_senders")
        con.unregister("model_contributions")
