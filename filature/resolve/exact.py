"""Exact-key resolution: the simple, explainable baseline that fills ``transfer_parties``.

A sender record is tied to another when they share an ID number, a phone (E.164), an email,
or the same name (tokens in any order) with the same birth date; records with none of these
fall back to name + country. Ties are followed transitively (connected components, igraph),
so a buyer who changes operator but keeps his phone stays one person.

Receiving identities are deliberately *not* tied by phone: relatives of one facilitator
household share phones, and merging them here would hide the identities an investigator
must list in a production order. Households are the resolution stage's job.

The Splink resolution writes the same ``transfer_parties`` contract, so scoring never
knows which resolver ran.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import igraph as ig
import numpy as np

from filature.store.query import NAME_KEY, scalar

SENDER_KEYS = {
    "id": "sender_id_number",
    "phone": "sender_phone_e164",
    "email": "sender_email",
    "name_birth": f"CASE WHEN sender_birth_date IS NOT NULL THEN "
    f"{NAME_KEY.format(col='sender_name_norm')} || '|' || sender_birth_date END",
}
SENDER_FALLBACK = f"{NAME_KEY.format(col='sender_name_norm')} || '|' || sender_country"

RECEIVER_KEYS = {
    "id": "receiver_id_number || '|' || receiver_country",
    "name_birth": f"CASE WHEN receiver_birth_date IS NOT NULL THEN "
    f"{NAME_KEY.format(col='receiver_name_norm')} || '|' || receiver_birth_date END",
}
RECEIVER_FALLBACK = (
    f"{NAME_KEY.format(col='receiver_name_norm')} || '|' || receiver_country"
    " || '|' || coalesce(lower(receiver_city), '')"
)

SENDER_PROFILE = (
    "sender_name_norm", "sender_birth_date", "sender_id_number", "sender_phone_e164",
    "sender_email", "sender_country",
)
RECEIVER_PROFILE = (
    "receiver_name_norm", "receiver_birth_date", "receiver_id_number", "receiver_city",
    "receiver_country",
)


@dataclass
class ResolutionReport:
    """What a resolution run produced, for the terminal and the run record."""

    resolution_id: str
    method: str
    senders: int
    receivers: int
    transfers: int
    elapsed_s: float


def _profile_hash(columns: tuple[str, ...]) -> str:
    return "hash(" + ", ".join(columns) + ")"


def _components(con: duckdb.DuckDBPyConnection, side: str, keys: dict[str, str],
                fallback: str, profile: tuple[str, ...], prefix: str) -> int:
    """Build ``{side}_entity(profile_hash, entity_id)`` from key-sharing components."""
    key_union = " UNION ALL ".join(
        f"SELECT profile_hash, '{name}:' || ({expr}) AS k FROM profiles_{side} "
        f"WHERE ({expr}) IS NOT NULL"
        for name, expr in keys.items()
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE profiles_{side} AS
            SELECT DISTINCT {_profile_hash(profile)} AS profile_hash, {", ".join(profile)}
            FROM transfers"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE keys_{side} AS
            WITH k AS ({key_union})
            SELECT * FROM k
            UNION ALL
            SELECT profile_hash, 'fallback:' || ({fallback}) FROM profiles_{side}
            WHERE profile_hash NOT IN (SELECT profile_hash FROM k)"""
    )
    # Nodes: profiles 0..P-1, then keys P..P+K-1. Edges: profile -- key.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pnode_{side} AS
            SELECT profile_hash, (row_number() OVER (ORDER BY profile_hash) - 1)::BIGINT AS node
            FROM (SELECT DISTINCT profile_hash FROM profiles_{side})"""
    )
    n_profiles = scalar(con, f"SELECT count(*) FROM pnode_{side}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE knode_{side} AS
            SELECT k, (row_number() OVER (ORDER BY k) - 1 + {n_profiles})::BIGINT AS node
            FROM (SELECT DISTINCT k FROM keys_{side})"""
    )
    edges = con.execute(
        f"""SELECT p.node AS a, kn.node AS b FROM keys_{side} ks
            JOIN pnode_{side} p USING (profile_hash) JOIN knode_{side} kn USING (k)"""
    ).fetchnumpy()
    n_keys = scalar(con, f"SELECT count(*) FROM knode_{side}")
    graph = ig.Graph(n=n_profiles + n_keys, edges=np.column_stack([edges["a"], edges["b"]]))
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)
    component = membership[:n_profiles]
    con.register(f"comp_{side}", {"node": np.arange(n_profiles), "component": component})
    # The entity id is derived from the smallest key of the component: stable across runs
    # as long as the component keeps that key.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE entity_{side} AS
            WITH pk AS (
                SELECT p.profile_hash, c.component, ks.k
                FROM pnode_{side} p JOIN comp_{side} c USING (node)
                JOIN keys_{side} ks USING (profile_hash)
            ), canon AS (SELECT component, min(k) AS k FROM pk GROUP BY component)
            SELECT DISTINCT pk.profile_hash, '{prefix}-' || left(md5(canon.k), 10) AS entity_id
            FROM pk JOIN canon USING (component)"""
    )
    con.unregister(f"comp_{side}")
    return int(scalar(con, f"SELECT count(DISTINCT entity_id) FROM entity_{side}"))


def resolve_exact(con: duckdb.DuckDBPyConnection) -> ResolutionReport:
    """Replace ``transfer_parties`` with exact-key entities, in one transaction."""
    started = time.perf_counter()
    resolution_id = f"res-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    began = datetime.now(UTC)
    con.execute("BEGIN")
    try:
        senders = _components(con, "s", SENDER_KEYS, SENDER_FALLBACK, SENDER_PROFILE, "S")
        receivers = _components(con, "r", RECEIVER_KEYS, RECEIVER_FALLBACK, RECEIVER_PROFILE, "R")
        con.execute("DELETE FROM transfer_parties")
        con.execute(
            f"""INSERT INTO transfer_parties
                SELECT t.provider, t.transfer_id, es.entity_id, er.entity_id
                FROM (SELECT provider, transfer_id,
                             {_profile_hash(SENDER_PROFILE)} AS sh,
                             {_profile_hash(RECEIVER_PROFILE)} AS rh
                      FROM transfers) t
                JOIN entity_s es ON es.profile_hash = t.sh
                JOIN entity_r er ON er.profile_hash = t.rh"""
        )
        transfers = scalar(con, "SELECT count(*) FROM transfer_parties")
        con.execute(
            "INSERT INTO resolution_runs VALUES (?, 'exact', ?, ?, ?, ?, ?)",
            [resolution_id, began, datetime.now(UTC),
             json.dumps({"sender_keys": list(SENDER_KEYS), "receiver_keys": list(RECEIVER_KEYS)}),
             senders, receivers],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ResolutionReport(resolution_id, "exact", senders, receivers, int(transfers),
                            time.perf_counter() - started)
