"""Stable entity ids: a new run keeps the ids of the entities that survive it.

The entity map (``entity_records``) says which entity each record signature belonged to.
After a new clustering, each previous id goes to the cluster holding most of its records
(a split leaves it with the larger part, a merge keeps the id of the larger entity), and a
cluster made only of new records gets a new id. So a new load links new records into
existing entities instead of renumbering the people an investigator already knows by id.

An id that a run merges away is kept in ``entity_aliases`` (old id -> the entity that took
most of its records, the run, why), so a case or a referral that names it still finds the
person: ``current_entity_id`` follows the aliases to the id in use. A merged-away id is
never minted again for another entity.
"""

from __future__ import annotations

import duckdb

from filature.resolve.records import Side


def assign_ids(con: duckdb.DuckDBPyConnection, side: Side, clusters: str, out: str,
               resolution_id: str) -> None:
    """Write ``out(record_id, entity_id)`` from ``clusters(record_id, cluster)``."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
            WITH prev AS (
                SELECT record_id, entity_id FROM entity_records WHERE side = $side
            ), cand AS (
                SELECT c.cluster, p.entity_id, count(*) AS n
                FROM {clusters} c JOIN prev p USING (record_id) GROUP BY ALL
            ), won AS (
                SELECT * FROM cand QUALIFY row_number() OVER (
                    PARTITION BY entity_id ORDER BY n DESC, cluster) = 1
            ), kept AS (
                SELECT cluster, entity_id FROM won QUALIFY row_number() OVER (
                    PARTITION BY cluster ORDER BY n DESC, entity_id) = 1
            ), fresh AS (
                SELECT cluster, $prefix || left(md5(min(record_id)), 10) AS plain,
                       $prefix || left(md5(min(record_id) || $run), 10) AS salted
                FROM {clusters} WHERE cluster NOT IN (SELECT cluster FROM kept)
                GROUP BY cluster
            ), taken AS (
                SELECT DISTINCT entity_id FROM entity_records WHERE side = $side
                UNION SELECT old_id FROM entity_aliases WHERE side = $side
            ), named AS (
                SELECT cluster, entity_id FROM kept
                UNION ALL
                SELECT cluster, CASE WHEN plain IN (SELECT entity_id FROM taken)
                                     THEN salted ELSE plain END FROM fresh
            )
            SELECT c.record_id, n.entity_id FROM {clusters} c JOIN named n USING (cluster)""",
        {"side": side.name, "prefix": side.entity_prefix, "run": resolution_id},
    )


def save_map(con: duckdb.DuckDBPyConnection, side: Side, assigned: str,
             resolution_id: str) -> None:
    """Replace the side's entity map with this run's placement of every current record;
    the ids that no longer stand for an entity become aliases of their successors."""
    _save_aliases(con, side, assigned, resolution_id)
    con.execute("DELETE FROM entity_records WHERE side = ?", [side.name])
    con.execute(f"INSERT INTO entity_records SELECT ?, record_id, entity_id, ? FROM {assigned}",
                [side.name, resolution_id])


def _save_aliases(con: duckdb.DuckDBPyConnection, side: Side, assigned: str,
                  resolution_id: str) -> None:
    """Alias each previous id absent from ``assigned`` to the entity holding most of its
    records; the reason names the same-person judgement that joined them, if any."""
    con.execute(
        f"""INSERT OR IGNORE INTO entity_aliases
            WITH prev AS (
                SELECT record_id, entity_id FROM entity_records WHERE side = $side
            ), gone AS (
                SELECT DISTINCT entity_id FROM prev
                WHERE entity_id NOT IN (SELECT entity_id FROM {assigned})
            ), heir AS (
                SELECT p.entity_id AS old_id, a.entity_id AS new_id, count(*) AS n
                FROM prev p JOIN {assigned} a USING (record_id)
                WHERE p.entity_id IN (SELECT entity_id FROM gone) GROUP BY p.entity_id, a.entity_id
                QUALIFY row_number() OVER (PARTITION BY p.entity_id
                                           ORDER BY n DESC, a.entity_id) = 1
            ), judged AS (
                SELECT p.entity_id AS old_id, max(j.judgement_id) AS judgement_id
                FROM prev p JOIN resolution_judgement_records r USING (record_id)
                JOIN resolution_judgements j USING (judgement_id)
                WHERE j.side = $side AND j.verdict = 'same'
                  AND p.entity_id IN (SELECT entity_id FROM gone)
                GROUP BY p.entity_id
            )
            SELECT $side, h.old_id, h.new_id, $run,
                   coalesce('same-person judgement ' || j.judgement_id, 'merged by the model'),
                   now()
            FROM heir h LEFT JOIN judged j USING (old_id)""",
        {"side": side.name, "run": resolution_id})


# Longest chain of aliases followed (A merged into B, B later into C...).
MAX_ALIAS_HOPS = 50


def current_entity_id(con: duckdb.DuckDBPyConnection, entity_id: str) -> str:
    """The entity id in use for ``entity_id``: itself while it stands for an entity (or is
    unknown), else the end of its chain of aliases (latest alias first)."""
    current = entity_id
    for _ in range(MAX_ALIAS_HOPS):
        live = con.execute("SELECT 1 FROM entity_records WHERE entity_id = ? LIMIT 1",
                           [current]).fetchall()
        if live:
            return current
        nxt = con.execute("SELECT new_id FROM entity_aliases WHERE old_id = ? "
                          "ORDER BY created_at DESC, resolution_id DESC LIMIT 1",
                          [current]).fetchall()
        if not nxt or nxt[0][0] == current:
            return current
        current = str(nxt[0][0])
    return current
