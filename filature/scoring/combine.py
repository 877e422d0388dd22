"""One score per sender and per receiver, each with the breakdown that explains it.

A sender's score is the sum of his indicator points (counter-indicators subtract) and his
network points; every part is kept in ``breakdown`` with its label, source and measure in
plain words, so an investigator can read why a person ranks where he does.
A receiver's score is its facilitator score between 0 and 1 (see ``network.evidence``).
"""

from __future__ import annotations

import duckdb

from filature.indicators.pack import Pack
from filature.network.evidence import NETWORK_EVIDENCE
from filature.store.query import MOST_SEEN

CONTRIBUTION = """struct_pack(kind := c.kind, id := c.id, label_en := l.label_en,
    label_fr := l.label_fr, source := l.source, points := round(c.points, 3),
    value := round(c.value, 4), detail_en := c.detail_en, detail_fr := c.detail_fr)"""
# A party's contributions as a JSON array, largest first (ties by id). Sorting once per
# party, keyed by the first fields, cost a third less than an ordered ``list()`` aggregate
# over 50k senders; each contribution is written as JSON before it is gathered, which
# halves the aggregate's work again (it carries one string instead of nine fields).
BREAKDOWN = f"""'[' || array_to_string(list_transform(
    list_sort(list(struct_pack(k := -round(c.points, 3), i := c.id,
                               j := to_json({CONTRIBUTION})))),
    lambda x: x.j), ',') || ']'"""


def register_labels(con: duckdb.DuckDBPyConnection, pack: Pack) -> None:
    """``evidence_labels``: the label and source of every indicator and network evidence."""
    con.execute("CREATE OR REPLACE TEMP TABLE evidence_labels "
                "(id VARCHAR, label_en VARCHAR, label_fr VARCHAR, source VARCHAR)")
    rows = [(i.id, i.label_en, i.label_fr, i.source) for i in pack.indicators]
    rows += [(k, v["label_en"], v["label_fr"], v["source"]) for k, v in NETWORK_EVIDENCE.items()]
    con.executemany("INSERT INTO evidence_labels VALUES (?, ?, ?, ?)", rows)


def _most_seen(column: str, party: str) -> tuple[str, str]:
    """The value of ``column`` on most of the party's transfers (ties: the alphabetically
    last), over ``seen``, which counts each distinct combination of values in ``n``."""
    return (f"{MOST_SEEN.format(col=column, n=f'{column}_n')} AS {column}",
            f"sum(n) OVER (PARTITION BY {party}, {column}) AS {column}_n")


def build_party_names(con: duckdb.DuckDBPyConnection) -> None:
    """``sender_display`` and ``receiver_display``: the names, countries, cities seen.

    Read from ``screen_tx``, which already holds each transfer's parties, and counted per
    distinct combination first: a receiver's hundred transfers carry two or three names.
    """
    name, name_n = _most_seen("name", "sender_id")
    country, country_n = _most_seen("country", "sender_id")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sender_display AS
        WITH seen AS (
            SELECT sender_id, sender_name AS name, sender_country AS country, count(*) AS n
            FROM screen_tx GROUP BY ALL
        ), counted AS (SELECT *, {name_n}, {country_n} FROM seen)
        SELECT sender_id, {name}, string_agg(DISTINCT name, '; ' ORDER BY name) AS names_seen,
               {country}
        FROM counted GROUP BY sender_id"""
    )
    name, name_n = _most_seen("name", "receiver_id")
    country, country_n = _most_seen("country", "receiver_id")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE receiver_display AS
        WITH seen AS (
            SELECT receiver_id, receiver_name AS name, receiver_phone_e164 AS phone,
                   receiver_country AS country, receiver_city AS city, count(*) AS n
            FROM screen_tx GROUP BY ALL
        ), counted AS (SELECT *, {name_n}, {country_n} FROM seen)
        SELECT receiver_id, {name},
               string_agg(DISTINCT name, '; ' ORDER BY name) AS names_seen,
               coalesce(string_agg(DISTINCT phone, '; ' ORDER BY phone), '') AS phones,
               {country},
               coalesce(string_agg(DISTINCT city, '; ' ORDER BY city), '') AS cities
        FROM counted GROUP BY receiver_id"""
    )


def write_sender_scores(con: duckdb.DuckDBPyConnection, pack: Pack, run_id: str) -> None:
    s = pack.scoring
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sender_contrib AS
        SELECT party_id AS sender_id, 'indicator' AS kind, indicator_id AS id, points, value,
               detail_en, detail_fr
        FROM indicator_hits WHERE run_id = $run_id AND side = 'sender'
        UNION ALL
        SELECT e.sender_id, 'network', 'N01', $w_paid * v.paid_facilitators,
               v.paid_facilitators,
               printf('%d receiver(s) paid with no family tie; most likely: %s', count(*),
                      array_to_string(list(d.name || printf(' (%.2f)', e.facilitator_score)
                                           ORDER BY e.facilitator_score DESC, d.name)[1:3], ', ')),
               printf('%d bénéficiaire(s) payé(s) sans lien familial ; les plus probables : %s',
                      count(*),
                      array_to_string(list(d.name || printf(' (%.2f)', e.facilitator_score)
                                           ORDER BY e.facilitator_score DESC, d.name)[1:3], ', '))
        FROM edge_evidence e JOIN sender_evidence v USING (sender_id)
        JOIN receiver_display d USING (receiver_id)
        WHERE v.paid_facilitators >= 0.01
        GROUP BY e.sender_id, v.paid_facilitators
        UNION ALL
        SELECT sender_id, 'network', 'N02',
               $w_several * least(likely_facilitators - 1, $cap), likely_facilitators,
               printf('%d receivers with a facilitator score of 0.5 or more', likely_facilitators),
               printf('%d bénéficiaires avec un score de facilitateur d''au moins 0,5',
                      likely_facilitators)
        FROM sender_evidence WHERE likely_facilitators >= 2""",
        {"run_id": run_id, "w_paid": s.facilitator_paid_weight,
         "w_several": s.several_facilitators_weight, "cap": s.several_facilitators_cap},
    )
    con.execute(
        f"""INSERT INTO sender_scores
        SELECT $run_id, f.sender_id, coalesce(a.score, 0),
               row_number() OVER (ORDER BY coalesce(a.score, 0) DESC, f.sender_id),
               coalesce(a.indicator_points, 0), coalesce(a.network_points, 0),
               coalesce(a.breakdown, '[]')
        FROM sender_features f LEFT JOIN (
            -- rounded: threads add the points in any order, and the last bits of a sum
            -- must not reorder two senders of equal score between two runs
            SELECT c.sender_id, round(sum(c.points), 9) AS score,
                   coalesce(sum(c.points) FILTER (WHERE c.kind = 'indicator'), 0)
                       AS indicator_points,
                   coalesce(sum(c.points) FILTER (WHERE c.kind = 'network'), 0)
                       AS network_points,
                   {BREAKDOWN} AS breakdown
            FROM sender_contrib c JOIN evidence_labels l USING (id)
            GROUP BY c.sender_id
        ) a USING (sender_id)""",
        {"run_id": run_id},
    )


def write_receiver_scores(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        f"""INSERT INTO receiver_scores
        WITH contrib AS (
            -- A positive flag counts as far as other unrelated payers back it (see
            -- network.evidence); the detail says so when it is reduced.
            SELECT h.party_id AS receiver_id, 'indicator' AS kind, h.indicator_id AS id,
                   CASE WHEN h.points > 0 THEN h.points * r.backing ELSE h.points END AS points,
                   h.value,
                   h.detail_en || CASE WHEN h.points > 0 AND r.backing < 1 THEN
                       printf(' (counted %.0f%%: %d unrelated payer(s))', r.backing * 100, r.k)
                       ELSE '' END AS detail_en,
                   h.detail_fr || CASE WHEN h.points > 0 AND r.backing < 1 THEN
                       printf(' (compté à %.0f %% : %d payeur(s) sans lien)', r.backing * 100,
                              r.k)
                       ELSE '' END AS detail_fr
            FROM indicator_hits h JOIN receiver_evidence r ON r.receiver_id = h.party_id
            WHERE h.run_id = $run_id AND h.side = 'receiver'
            UNION ALL
            SELECT receiver_id, 'network', 'N03', network_points, prior_sum / k,
                   printf('%d unrelated payer(s), average buyer likelihood %.2f', k,
                          prior_sum / k),
                   printf('%d payeur(s) sans lien, vraisemblance moyenne d''acheteur %.2f', k,
                          prior_sum / k)
            FROM receiver_evidence WHERE k > 0 AND network_points > 0
        ), agg AS (
            SELECT c.receiver_id, {BREAKDOWN}
                       AS breakdown
            FROM contrib c JOIN evidence_labels l USING (id) GROUP BY c.receiver_id
        ), volume AS (
            SELECT receiver_id, count(*) AS n, sum(amount_eur) AS eur
            FROM screen_tx GROUP BY receiver_id
        )
        SELECT $run_id, r.receiver_id, round(r.score, 9), r.indicator_points, r.network_points,
               f.payers, f.unrelated_payers, v.n, v.eur, coalesce(a.breakdown, '[]')
        FROM receiver_evidence r JOIN receiver_features f USING (receiver_id)
        JOIN volume v USING (receiver_id) LEFT JOIN agg a USING (receiver_id)""",
        {"run_id": run_id},
    )
