"""Links confirmed by a shared counterpart: the model found them plausible, a payee agrees.

A buyer's transfers without phone, birth date or address (the operator did not ask) leave a
bare record: a name and a city. The model cannot tell that record from a namesake, so it
stays below the threshold and the buyer appears twice. But the bare record pays the same
receiving identity as the buyer's other records, and two different people with the same
name, in the same city, paying the same person are rare. So a pair the model scores between
``SUPPORTED_FLOOR`` and the threshold is linked when both records share a counterpart entity
of the other side (a payee for senders, a payer for receivers): for receivers, the senders'
first pass at the strict threshold; for senders, the receivers' final identities (their own
bare records joined), since a buyer's bare transfer often reaches a bare record of his payee.

A counterpart with many parties (a charity paid by hundreds) would tie namesakes by chance:
the link is kept only when the expected number of namesakes among the counterpart's parties
(parties x the name's frequency among the side's records) is below ``NAMESAKE_RISK``. When
both records give the same city, the namesake who could be mistaken for him must live there
too, so the frequency is that of the name in that city: "Loïc Martin" is a common name in
France, not in one town, and a facilitator may have dozens of payers.
Relatives of one household share payers and a surname, not their given names: the names
must agree up to a typo (``SAME_NAME``).

A bare record is often shared by two namesakes (the same name and city, nothing else): when
the smaller of two first-pass entities would be confirmed into two or more larger ones that
have an identifier (phone, birth date, ID, email or address: two people), it is ambiguous
and none of its confirmed links is kept, so two namesakes are never chained through it.
"""

from __future__ import annotations

import duckdb

from filature.resolve.records import IDENTIFIERS, RECEIVER, SENDER, Side, signature_sql

# A pair needs at least this match probability from the model alone (weight >= -2: the
# names agree exactly or up to a typo, and nothing of weight disagrees).
SUPPORTED_FLOOR = 0.2
# The names must agree up to a typo (the model's "one typo" level): relatives of one
# household share a payer, and only their surname.
SAME_NAME = 0.94
# Highest expected number of namesakes among the parties of the shared counterpart.
NAMESAKE_RISK = 0.01


def transfer_signatures_sql() -> str:
    """Columns of ``resolve_tx``: the sender and receiver record of each transfer."""
    return (f"SELECT provider, transfer_id, {signature_sql(SENDER)} AS s_sig, "
            f"{signature_sql(RECEIVER)} AS r_sig FROM transfers t")


def supported_links(con: duckdb.DuckDBPyConnection, side: Side, *, records: str, links: str,
                    own_first: str, other_first: str, threshold: float, out: str) -> int:
    """Write into ``out`` the pairs of ``links`` below ``threshold`` (and at or above the
    floor) whose records share a counterpart; returns how many.

    ``own_first`` / ``other_first``: the first-pass clusters ``(record_id, cluster)`` of this
    side and of the other; ``resolve_tx`` must hold the transfers' record signatures.
    """
    own_sig, other_sig = ("s_sig", "r_sig") if side == SENDER else ("r_sig", "s_sig")
    anchor = " OR ".join(f"r.{col} IS NOT NULL" for col in IDENTIFIERS if col in side.columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
            WITH tie AS MATERIALIZED (
                SELECT DISTINCT tx.{own_sig} AS record_id, o.cluster AS counterpart
                FROM resolve_tx tx JOIN {other_first} o ON o.record_id = tx.{other_sig}
            ), popularity AS (
                SELECT t.counterpart, count(DISTINCT f.cluster) AS parties
                FROM tie t JOIN {own_first} f USING (record_id) GROUP BY t.counterpart
            ), frequency AS MATERIALIZED (   -- each record's name: how common, in its city
                SELECT r.unique_id, r.name_sorted, r.city,
                       count(*) OVER (PARTITION BY r.name_sorted) / n.n AS tf,
                       count(*) OVER (PARTITION BY r.name_sorted, r.city) / n.n AS local_tf
                FROM {records} r, (SELECT count(*) AS n FROM {records}) n
            ), cand AS MATERIALIZED (
                SELECT k.unique_id_l, k.unique_id_r, k.match_probability, k.match_weight,
                       CASE WHEN rl.city = rr.city THEN greatest(rl.local_tf, rr.local_tf)
                            ELSE greatest(rl.tf, rr.tf) END AS tf
                FROM {links} k
                JOIN frequency rl ON rl.unique_id = k.unique_id_l
                JOIN frequency rr ON rr.unique_id = k.unique_id_r
                WHERE k.match_probability < $threshold AND k.match_probability >= $floor
                  AND (rl.name_sorted = rr.name_sorted OR jaro_winkler_similarity(
                       rl.name_sorted, rr.name_sorted) >= $same_name)
            ), cand_ties AS MATERIALIZED (
                -- from the few candidate pairs out: joining the ties to each other first
                -- would pair every two payers of a popular counterpart
                SELECT c.*, a.counterpart FROM cand c JOIN tie a ON a.record_id = c.unique_id_l
            ), confirmed AS MATERIALIZED (
                SELECT c.unique_id_l, c.unique_id_r,
                       any_value(c.match_probability) AS match_probability,
                       any_value(c.match_weight) AS match_weight,
                       min(p.parties) AS counterpart_parties
                FROM cand_ties c
                JOIN tie b ON b.record_id = c.unique_id_r AND b.counterpart = c.counterpart
                JOIN popularity p ON p.counterpart = c.counterpart
                WHERE p.parties * c.tf <= $risk
                GROUP BY c.unique_id_l, c.unique_id_r
            ), sized AS (
                SELECT cluster, count(*) AS n FROM {own_first} GROUP BY cluster
            ), oriented AS (   -- each link from the smaller first-pass entity to the larger
                SELECT k.*, CASE WHEN (sl.n, fl.cluster) < (sr.n, fr.cluster)
                                 THEN fl.cluster ELSE fr.cluster END AS small,
                       CASE WHEN (sl.n, fl.cluster) < (sr.n, fr.cluster)
                            THEN fr.cluster ELSE fl.cluster END AS large
                FROM confirmed k
                JOIN {own_first} fl ON fl.record_id = k.unique_id_l
                JOIN {own_first} fr ON fr.record_id = k.unique_id_r
                JOIN sized sl ON sl.cluster = fl.cluster
                JOIN sized sr ON sr.cluster = fr.cluster
                WHERE fl.cluster <> fr.cluster
            ), anchored AS (   -- entities with an identifier: two of them are two people
                SELECT DISTINCT f.cluster FROM {own_first} f
                JOIN {records} r ON r.unique_id = f.record_id WHERE {anchor}
            )
            SELECT unique_id_l, unique_id_r, match_probability, match_weight,
                   counterpart_parties
            FROM oriented
            WHERE small NOT IN (SELECT small FROM oriented
                                WHERE large IN (SELECT cluster FROM anchored)
                                GROUP BY small HAVING count(DISTINCT large) > 1)""",
        {"threshold": threshold, "floor": SUPPORTED_FLOOR, "risk": NAMESAKE_RISK,
         "same_name": SAME_NAME})
    return int(con.execute(f"SELECT count(*) FROM {out}").fetchall()[0][0])
