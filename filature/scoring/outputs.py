"""The run's two lists for investigators: ``targets`` (cut to capacity) and ``facilitators``."""

from __future__ import annotations

import duckdb

from filature.scoring.aliases import fold_aliases

# A receiver from this facilitator score on is listed among the likely facilitators.
FACILITATOR_LIST_THRESHOLD = 0.5


def _top_evidence(language: str) -> str:
    label = "label_fr" if language == "fr" else "label_en"
    return f"""array_to_string(list_transform(
        list_filter(from_json(breakdown, '[{{"id": "VARCHAR", "{label}": "VARCHAR",
                                              "points": "DOUBLE"}}]'), lambda x: x.points > 0)[1:3],
        lambda x: x.id || ' ' || x.{label} || printf(' (%.1f)', x.points)), '; ')"""


# Where a list's order comes from: the indicator score's own rank, or the rank a supervised
# model taught by case outcomes gave the run (``learning.ranking``); the score and the
# explanations stay the indicator score's either way.
RANKINGS = {"indicators": "sender_scores", "supervised": "supervised_scores"}


def write_targets(con: duckdb.DuckDBPyConnection, run_id: str, capacity: int,
                  language: str, ranking: str = "indicators") -> None:
    """Top ``capacity`` senders, one row each, with what a production order needs; a
    sender that may be a better-ranked one's second record is named in that one's line
    instead of taking a line of its own (``aliases``)."""
    fold_aliases(con, run_id, RANKINGS[ranking], capacity, language)
    con.execute(
        f"""INSERT INTO targets
        WITH folded AS (SELECT alias_id FROM target_aliases WHERE run_id = $run_id), top AS (
            SELECT * FROM (
                SELECT s.* REPLACE (row_number() OVER (ORDER BY r.rank) AS rank)
                FROM sender_scores s JOIN {RANKINGS[ranking]} r USING (run_id, sender_id)
                WHERE s.run_id = $run_id AND s.score > 0
                  AND s.sender_id NOT IN (SELECT alias_id FROM folded)
                  AND r.rank <= $capacity + (SELECT count(*) FROM folded))
            WHERE rank <= $capacity
        ), tx AS (
            SELECT s.sender_id, s.receiver_id, s.transfer_id, s.sent_at, s.amount_eur
            FROM screen_tx s JOIN top USING (sender_id)
        ), agg AS (
            SELECT sender_id, count(*) AS n, sum(amount_eur) AS eur, min(sent_at) AS first_seen,
                   max(sent_at) AS last_seen,
                   string_agg(transfer_id, ';' ORDER BY sent_at, transfer_id) AS transfer_ids
            FROM tx GROUP BY sender_id
        ), recv AS (
            SELECT sender_id, string_agg(DISTINCT d.name, ';' ORDER BY d.name) AS receivers
            FROM (SELECT DISTINCT sender_id, receiver_id FROM tx)
            JOIN receiver_display d USING (receiver_id) GROUP BY sender_id
        )
        SELECT $run_id, top.rank, top.sender_id, round(top.score, 3), sd.name, sd.names_seen,
               sd.country, agg.n, round(agg.eur, 2), agg.first_seen, agg.last_seen,
               coalesce({_top_evidence(language)}, ''), recv.receivers, agg.transfer_ids
        FROM top JOIN agg USING (sender_id) JOIN recv USING (sender_id)
        JOIN sender_display sd USING (sender_id)""",
        {"run_id": run_id, "capacity": capacity},
    )


def write_facilitators(con: duckdb.DuckDBPyConnection, run_id: str, language: str) -> None:
    """Receiving identities whose facilitator score reaches the list threshold, ranked."""
    con.execute(
        f"""INSERT INTO facilitators
        WITH listed AS (
            SELECT * FROM receiver_scores WHERE run_id = $run_id AND score >= $threshold
        ), tx AS (
            SELECT s.receiver_id, s.sender_country, s.sent_at
            FROM screen_tx s JOIN listed USING (receiver_id)
        ), agg AS (
            SELECT receiver_id, min(sent_at) AS first_seen, max(sent_at) AS last_seen,
                   string_agg(DISTINCT sender_country, ';' ORDER BY sender_country) AS countries
            FROM tx GROUP BY receiver_id
        )
        SELECT $run_id, row_number() OVER (ORDER BY l.score DESC, l.receiver_id),
               l.receiver_id, round(l.score, 4), d.name, d.names_seen, d.phones, d.country,
               d.cities, l.payers, l.unrelated_payers, agg.countries, l.transfer_count,
               round(l.total_eur, 2), agg.first_seen, agg.last_seen,
               coalesce({_top_evidence(language)}, '')
        FROM listed l JOIN agg USING (receiver_id) JOIN receiver_display d USING (receiver_id)""",
        {"run_id": run_id, "threshold": FACILITATOR_LIST_THRESHOLD},
    )
