"""Stable entity ids: a new run keeps the ids of the entities that survive it.

The entity map (``entity_records``) says which entity each record signature belonged to.
After a new clustering, each previous id goes to the cluster holding most of its records
(a split leaves it with the larger part, a merge keeps the id of the larger entity), and a
cluster made only of new records gets a new id. So a new load links new records into
existing entities instead of renumbering the people an investigator already knows by id.
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
    """Replace the side's entity map with this run's placement of every current record."""
    con.execute("DELETE FROM entity_records WHERE side = ?", [side.name])
    con.execute(f"INSERT INTO entity_records SELECT ?, record_id, entity_id, ? FROM {assigned}",
                [side.name, resolution_id])
