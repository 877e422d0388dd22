"""Receiving households: receiving identities tied by a phone, an ID, or a surname, a payout
city and a payer in common, grouped as one facilitator household.

A household is kept apart from the person-level receiving identity: an investigator lists
each identity in a production order, and looks at the household to see the whole operation.
Ties are followed transitively (connected components); a phone or ID number shared by more
than ``MAX_SHARED`` identities (an agent's counter phone) ties nobody, and so does a payer
of more than ``MAX_SHARED`` receivers (a charity donor) for the surname tie.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from filature.resolve.components import components

MAX_SHARED = 12


def build_households(con: duckdb.DuckDBPyConnection, resolution_id: str) -> int:
    """Replace ``receiver_households`` from ``transfer_parties``; returns the number of
    households with more than one receiving identity."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE hh_seen AS
           SELECT DISTINCT p.receiver_id, p.sender_id, t.receiver_phone_e164 AS phone,
                  t.receiver_id_number AS id_number, lower(t.receiver_city) AS city,
                  t.receiver_name_norm AS name_norm
           FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)""")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hh_ties AS
            WITH ident AS (
                SELECT 'phone ' || phone AS tie, receiver_id FROM hh_seen WHERE phone IS NOT NULL
                UNION SELECT 'ID ' || id_number, receiver_id FROM hh_seen
                WHERE id_number IS NOT NULL
            ), ident_ok AS (
                SELECT * FROM ident QUALIFY count(*) OVER (PARTITION BY tie) <= {MAX_SHARED}
            ), by_ident AS (
                SELECT a.receiver_id AS a, b.receiver_id AS b, 'shares ' || a.tie AS why
                FROM ident_ok a JOIN ident_ok b ON a.tie = b.tie AND a.receiver_id < b.receiver_id
            ), payer AS (
                SELECT DISTINCT sender_id, receiver_id, city FROM hh_seen
                QUALIFY count(*) OVER (PARTITION BY sender_id) <= {MAX_SHARED}
            ), pairs AS MATERIALIZED (
                SELECT DISTINCT a.receiver_id AS a, b.receiver_id AS b, a.city
                FROM payer a JOIN payer b ON a.sender_id = b.sender_id AND a.city = b.city
                     AND a.receiver_id < b.receiver_id
            ), tokens AS MATERIALIZED (
                SELECT receiver_id, list_distinct(flatten(list(
                    list_filter(string_split(name_norm, ' '), lambda x: length(x) >= 3)))) AS tk
                FROM hh_seen GROUP BY receiver_id
            ), by_surname AS (
                SELECT p.a, p.b, 'surname ' || list_sort(list_intersect(ta.tk, tb.tk))[1]
                       || ' in ' || p.city || ', common payer' AS why
                FROM pairs p JOIN tokens ta ON ta.receiver_id = p.a
                JOIN tokens tb ON tb.receiver_id = p.b
                WHERE len(list_intersect(ta.tk, tb.tk)) > 0
            )
            SELECT a, b, min(why) AS why FROM (SELECT * FROM by_ident UNION ALL
                                               SELECT * FROM by_surname) GROUP BY a, b""")
    ids = [r[0] for r in con.execute(
        "SELECT DISTINCT receiver_id FROM transfer_parties ORDER BY 1").fetchall()]
    index = {r: i for i, r in enumerate(ids)}
    ties = con.execute("SELECT a, b, why FROM hh_ties").fetchall()
    edges = np.array([(index[a], index[b]) for a, b, _ in ties], dtype=np.int64).reshape(-1, 2)
    membership = components(len(ids), edges[:, 0], edges[:, 1]).tolist()
    members: dict[int, list[str]] = {}
    for rid, comp in zip(ids, membership, strict=True):
        members.setdefault(comp, []).append(rid)
    why: dict[str, list[str]] = {}
    for a, b, reason in ties:
        why.setdefault(a, []).append(f"{b}: {reason}")
        why.setdefault(b, []).append(f"{a}: {reason}")
    rows: list[tuple[str, str, str, str]] = []
    for group in members.values():
        household = "HH-" + group[0].split("-", 1)[-1]
        rows.extend((rid, household, "; ".join(sorted(why.get(rid, []))[:5]), resolution_id)
                    for rid in group)
    con.execute("DELETE FROM receiver_households")
    if rows:
        table = pa.table({name: [r[i] for r in rows] for i, name in
                          enumerate(("receiver_id", "household_id", "why", "resolution_id"))})
        con.register("hh_rows", table)
        con.execute("INSERT INTO receiver_households SELECT * FROM hh_rows")
        con.unregister("hh_rows")
    con.execute("DROP TABLE IF EXISTS hh_seen")
    con.execute("DROP TABLE IF EXISTS hh_ties")
    return sum(1 for g in members.values() if len(g) > 1)
