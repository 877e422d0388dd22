"""One line per person in the list: a target that may be another target's second record.

Resolution links a buyer's records on what they share. A record that gives only a name and
a town (the operator did not ask for more) shares nothing else with his other records, so
the model cannot tell it from a namesake and leaves it apart: when that record paid a
facilitator his other records never paid, it ranks on its own, and the buyer takes two lines
of a list the team reads line by line.

Among the targets, the odds are the other way round. Two different men with the same name
in the same town who both rank among the few hundred likeliest buyers of a country are far
rarer than one man seen twice. So a sender who would take a line of the list is folded
under a better-ranked target when they share a town, their names agree (the same sorted
tokens, or one typo apart: the resolution's "one typo" level), and nothing tells them
apart: no two different birth dates, no two different ID numbers, no analyst's "not the
same" judgement between their records. The folded sender keeps his own entity, score and
page; he leaves the list's ranks and is named in the line of the target he may be
(``target_aliases``, with why), for the investigator to confirm or dismiss: "same person"
joins the two entities at the next resolution, "not the same" gives him his line back at
the next screening.
"""

from __future__ import annotations

import duckdb

from filature.resolve.records import SENDER, signature_sql
from filature.store.query import NAME_KEY

# The names agree up to a typo: the resolution's "one typo or swapped order" level.
SAME_NAME = 0.94
# How far down the ranking pairs are looked for, in multiples of the capacity: folds let
# the next ranks in, which may be folded in turn.
WINDOW = 2

REASON = {
    "fr": "même nom et même ville que {target}, sans date de naissance ni pièce d'identité "
          "qui les distingue : peut-être la même personne (non confirmé)",
    "en": "same name and town as {target}, no birth date or ID number telling them apart: "
          "possibly the same person (not confirmed)",
}


def fold_aliases(con: duckdb.DuckDBPyConnection, run_id: str, ranking: str, capacity: int,
                 language: str) -> int:
    """Record in ``target_aliases`` the run's targets folded under a better-ranked one, by
    the order of ``ranking`` (a table of run_id, sender_id, rank), for the list to skip.
    Returns how many were folded."""
    key = NAME_KEY.format(col="t.sender_name_norm")
    pairs = con.execute(
        f"""WITH top AS MATERIALIZED (
                SELECT r.sender_id, r.rank FROM {ranking} r
                JOIN sender_scores s USING (run_id, sender_id)
                WHERE r.run_id = $run AND r.rank <= $window AND s.score > 0
            ), seen AS MATERIALIZED (
                SELECT p.sender_id, any_value(top.rank) AS rank,
                       list_distinct(list({key})) AS names,
                       -- an aggregate that filters out every row gives NULL, not []
                       coalesce(list_distinct(list(lower(trim(t.sender_city)))
                           FILTER (WHERE t.sender_city IS NOT NULL)), []) AS cities,
                       coalesce(list_distinct(list(t.sender_birth_date)
                           FILTER (WHERE t.sender_birth_date IS NOT NULL)), []) AS births,
                       coalesce(list_distinct(list(t.sender_id_number)
                           FILTER (WHERE t.sender_id_number IS NOT NULL)), []) AS ids,
                       list_distinct(list({signature_sql(SENDER)})) AS records
                FROM top JOIN transfer_parties p USING (sender_id)
                JOIN transfers t USING (provider, transfer_id)
                GROUP BY p.sender_id
            ), apart AS (   -- the analysts' "not the same" judgements, by their records
                SELECT list(r.record_id) FILTER (WHERE r.part = 'a') AS a,
                       list(r.record_id) FILTER (WHERE r.part = 'b') AS b
                FROM resolution_judgements j JOIN resolution_judgement_records r
                     USING (judgement_id)
                WHERE j.side = 'sender' AND j.verdict = 'different' GROUP BY j.judgement_id
            ), town AS (
                SELECT sender_id, unnest(cities) AS city FROM seen
            )
            SELECT DISTINCT hi.sender_id, lo.sender_id, hi.rank, lo.rank
            FROM town a JOIN town b ON a.city = b.city AND a.sender_id <> b.sender_id
            JOIN seen hi ON hi.sender_id = a.sender_id
            JOIN seen lo ON lo.sender_id = b.sender_id AND hi.rank < lo.rank
            WHERE NOT (len(hi.births) > 0 AND len(lo.births) > 0
                       AND len(list_intersect(hi.births, lo.births)) = 0)
              AND NOT (len(hi.ids) > 0 AND len(lo.ids) > 0
                       AND len(list_intersect(hi.ids, lo.ids)) = 0)
              AND len(list_filter(hi.names, lambda x: list_max(list_transform(
                      lo.names, lambda y: jaro_winkler_similarity(x, y))) >= $same_name)) > 0
              AND NOT EXISTS (SELECT 1 FROM apart
                              WHERE (list_has_any(a, hi.records) AND list_has_any(b, lo.records))
                                 OR (list_has_any(a, lo.records) AND list_has_any(b, hi.records)))
            ORDER BY lo.rank, hi.rank""",
        {"run": run_id, "window": WINDOW * capacity, "same_name": SAME_NAME}).fetchall()
    # Each folded target goes under the best-ranked target it may be that is itself listed
    # (pairs come by the folded one's rank: a better-ranked one is settled first). Only a
    # sender that would take a line is folded: each fold lets the next rank in.
    under: dict[str, str] = {}
    for target, alias, _, alias_rank in pairs:
        if alias_rank > capacity + len(under):
            break
        if alias not in under and target not in under:
            under[alias] = target
    reason = REASON.get(language, REASON["fr"])
    rows = [(run_id, target, alias, reason.format(target=target))
            for alias, target in under.items()]
    con.execute("DELETE FROM target_aliases WHERE run_id = ?", [run_id])
    if rows:
        con.executemany("INSERT INTO target_aliases VALUES (?, ?, ?, ?)", rows)
    return len(rows)
