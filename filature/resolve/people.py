"""Resolving the people behind the transfers with Splink: the one call the CLI and screening make.

For each side: distinct records, the model (fitted without labels, or given), scored pairs
above the threshold, clusters that obey the analysts' judgements, ids kept from the previous
run. Then, in one transaction: the entity map, ``transfer_parties`` (the contract scoring
reads), the receiving households and the run record with both fitted models.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from filature.errors import InputError
from filature.resolve.clusters import cluster
from filature.resolve.exact import ResolutionReport
from filature.resolve.households import build_households
from filature.resolve.judgements import constraints
from filature.resolve.linkage import fit_model, predict_links
from filature.resolve.records import RECEIVER, SENDER, Side, build_records, signature_sql
from filature.resolve.stable_ids import assign_ids, save_map

Progress = Callable[[str, float], None]

# Match probability at or above which two records are the same person. High on purpose:
# a false merge hides a buyer's real volume less than it pins one person's transfers on
# another; the analyst can still join two entities by a judgement.
DEFAULT_THRESHOLD = 0.95


def _table(side: Side, what: str) -> str:
    return f"resolve_{what}_{side.name}"


def _cluster_side(con: duckdb.DuckDBPyConnection, side: Side, model: dict[str, Any],
                  threshold: float, resolution_id: str) -> dict[str, int]:
    """Score, cluster and name the entities of one side; leaves ``resolve_ids_{side}``."""
    records, links = _table(side, "records"), _table(side, "links")
    n_links = predict_links(con, records, model, links, threshold=threshold)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_table(side, 'index')} AS
                    SELECT unique_id AS record_id,
                           (row_number() OVER (ORDER BY unique_id) - 1)::BIGINT AS node
                    FROM {records}""")
    record_ids = [r[0] for r in con.execute(
        f"SELECT record_id FROM {_table(side, 'index')} ORDER BY node").fetchall()]
    pairs = con.execute(
        f"""SELECT a.node AS l, b.node AS r, k.match_weight AS w FROM {links} k
            JOIN {_table(side, 'index')} a ON a.record_id = k.unique_id_l
            JOIN {_table(side, 'index')} b ON b.record_id = k.unique_id_r""").fetchnumpy()
    judged = constraints(con, side)
    labels = cluster(record_ids, np.asarray(pairs["l"]), np.asarray(pairs["r"]),
                     np.asarray(pairs["w"], dtype=float), judged)
    con.register("resolve_labels", pa.table({"record_id": record_ids, "cluster": labels}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_table(side, 'clusters')} AS "
                "SELECT * FROM resolve_labels")
    con.unregister("resolve_labels")
    assign_ids(con, side, _table(side, "clusters"), _table(side, "ids"), resolution_id)
    entities = con.execute(f"SELECT count(DISTINCT entity_id) FROM {_table(side, 'ids')}"
                           ).fetchall()[0][0]
    return {"records": len(record_ids), "links": n_links, "entities": int(entities),
            "judgements": len(judged.must_link) + len(judged.cannot_link)}


def fit_models(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Fit both sides' models on the store's current records (no labels needed)."""
    models = {}
    for side in (SENDER, RECEIVER):
        build_records(con, side, _table(side, "records"))
        models[side.name] = fit_model(con, side, _table(side, "records"))
    return models


def resolve_people(con: duckdb.DuckDBPyConnection, *, threshold: float | None = None,
                   progress: Progress | None = None,
                   models: dict[str, dict[str, Any]] | None = None) -> ResolutionReport:
    """Resolve senders (persons) and receiving identities; replace ``transfer_parties``.

    ``models`` (side -> Splink model JSON, e.g. from a previous run's parameters) skips the
    fitting; by default both models are fitted on the current records.
    """
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 < threshold < 1.0:
        raise InputError(f"the threshold is a match probability between 0 and 1, not {threshold}")
    report = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    began = datetime.now(UTC)
    resolution_id = f"res-{began:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    used: dict[str, dict[str, Any]] = {}
    stats: dict[str, dict[str, int]] = {}
    for k, side in enumerate((SENDER, RECEIVER)):
        report(f"{side.name} records", k / 2)
        build_records(con, side, _table(side, "records"))
        if models and side.name in models:
            used[side.name] = models[side.name]
        else:
            report(f"{side.name} model", k / 2 + 0.1)
            used[side.name] = fit_model(con, side, _table(side, "records"))
        report(f"{side.name} links", k / 2 + 0.25)
        stats[side.name] = _cluster_side(con, side, used[side.name], threshold, resolution_id)
    report("writing", 0.95)
    transfers = _write(con, resolution_id, began, threshold, used, stats, report)
    _drop_temp(con)
    report("done", 1.0)
    return ResolutionReport(resolution_id, "splink", stats["sender"]["entities"],
                            stats["receiver"]["entities"], transfers,
                            time.perf_counter() - started)


def _write(con: duckdb.DuckDBPyConnection, resolution_id: str, began: datetime,
           threshold: float, models: dict[str, dict[str, Any]],
           stats: dict[str, dict[str, int]], report: Progress) -> int:
    con.execute("BEGIN")
    try:
        for side in (SENDER, RECEIVER):
            save_map(con, side, _table(side, "ids"), resolution_id)
        con.execute("DELETE FROM transfer_parties")
        con.execute(
            f"""INSERT INTO transfer_parties
                SELECT t.provider, t.transfer_id, s.entity_id, r.entity_id
                FROM (SELECT provider, transfer_id, {signature_sql(SENDER)} AS s_sig,
                             {signature_sql(RECEIVER)} AS r_sig FROM transfers t) t
                JOIN {_table(SENDER, 'ids')} s ON s.record_id = t.s_sig
                JOIN {_table(RECEIVER, 'ids')} r ON r.record_id = t.r_sig""")
        transfers = int(con.execute("SELECT count(*) FROM transfer_parties").fetchall()[0][0])
        report("households", 0.97)
        households = build_households(con, resolution_id)
        parameters = {"threshold": threshold, "models": models,
                      "stats": stats, "households": households}
        con.execute("INSERT INTO resolution_runs VALUES (?, 'splink', ?, ?, ?, ?, ?)",
                    [resolution_id, began, datetime.now(UTC), json.dumps(parameters),
                     stats["sender"]["entities"], stats["receiver"]["entities"]])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return transfers


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for side in (SENDER, RECEIVER):
        for what in ("links", "index", "clusters", "ids"):
            con.execute(f"DROP TABLE IF EXISTS {_table(side, what)}")


def latest_models(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]] | None:
    """Both models of the latest Splink run, or None when there has been none."""
    rows = con.execute("SELECT parameters FROM resolution_runs WHERE method = 'splink' "
                       "ORDER BY started_at DESC LIMIT 1").fetchall()
    if not rows:
        return None
    models: dict[str, dict[str, Any]] = json.loads(rows[0][0])["models"]
    return models


def resolution_is_stale(con: duckdb.DuckDBPyConnection) -> bool:
    """True when some transfer has no resolved parties yet (a load since the last run), or
    when the store was never resolved: ``screen`` then resolves before scoring."""
    unresolved = con.execute(
        """SELECT (SELECT count(*) FROM transfers ANTI JOIN transfer_parties
                   USING (provider, transfer_id)),
                  (SELECT count(*) FROM transfer_parties)""").fetchall()[0]
    return bool(unresolved[0]) or not unresolved[1]
