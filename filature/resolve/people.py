"""Resolving the people behind the transfers with Splink: the one call the CLI and screening make.

For each side: distinct records, the model (fitted without labels, reused from the latest
run, or given), scored pairs, clusters of the pairs above the threshold that obey the
analysts' judgements; then, once both sides have these first clusters, the pairs just below
the threshold that a shared counterpart confirms (``counterparts``) join them (receivers
first, so that senders are confirmed by the receivers' final identities), and the ids of the
previous run are kept. Then, in one transaction: the entity map (and aliases of the
ids merged away), ``transfer_parties`` (the contract scoring reads, only its changed rows),
the receiving households and the run record with both models and the seconds per step.
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
from filature.resolve.counterparts import (
    SUPPORTED_FLOOR,
    supported_links,
    transfer_signatures_sql,
)
from filature.resolve.exact import ResolutionReport
from filature.resolve.households import build_households
from filature.resolve.judgements import Constraints, constraints
from filature.resolve.linkage import fit_models as fit_side_models
from filature.resolve.linkage import fits_settings, predict_links
from filature.resolve.records import RECEIVER, SENDER, Side, build_records
from filature.resolve.stable_ids import assign_ids, save_map

Progress = Callable[[str, float], None]

# Match probability at or above which two records are the same person. High on purpose:
# a false merge hides a buyer's real volume less than it pins one person's transfers on
# another; the analyst can still join two entities by a judgement.
DEFAULT_THRESHOLD = 0.95
# A saved model is reused until the side's records grow by this factor since its fit: the
# parameters describe how names, dates and phones vary, which a new load barely changes.
REFIT_GROWTH = 1.5


def _table(side: Side, what: str) -> str:
    return f"resolve_{what}_{side.name}"


def _index(con: duckdb.DuckDBPyConnection, side: Side) -> list[str]:
    """Number the side's records (``resolve_index_{side}``); the record ids in node order."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_table(side, 'index')} AS
                    SELECT unique_id AS record_id,
                           (row_number() OVER (ORDER BY unique_id) - 1)::BIGINT AS node
                    FROM {_table(side, 'records')}""")
    return [r[0] for r in con.execute(
        f"SELECT record_id FROM {_table(side, 'index')} ORDER BY node").fetchall()]


def _cluster_links(con: duckdb.DuckDBPyConnection, side: Side, record_ids: list[str],
                   links_sql: str, judged: Constraints, out: str) -> None:
    """Cluster the side's records on the links ``links_sql`` selects; ``out(record_id,
    cluster)``."""
    index = _table(side, "index")
    pairs = con.execute(
        f"""SELECT a.node AS l, b.node AS r, k.match_weight AS w FROM ({links_sql}) k
            JOIN {index} a ON a.record_id = k.unique_id_l
            JOIN {index} b ON b.record_id = k.unique_id_r""").fetchnumpy()
    labels = cluster(record_ids, np.asarray(pairs["l"]), np.asarray(pairs["r"]),
                     np.asarray(pairs["w"], dtype=float), judged)
    con.register("resolve_labels", pa.table({"node": np.arange(len(labels)), "cluster": labels}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT i.record_id, l.cluster "
                f"FROM resolve_labels l JOIN {index} i USING (node)")
    con.unregister("resolve_labels")


def _first_pass(con: duckdb.DuckDBPyConnection, side: Side, model: dict[str, Any],
                threshold: float) -> dict[str, Any]:
    """Score the side's pairs down to the supported floor; cluster the sure ones."""
    links = _table(side, "links")
    n_links = predict_links(con, _table(side, "records"), model, links,
                            threshold=min(threshold, SUPPORTED_FLOOR))
    record_ids = _index(con, side)
    judged = constraints(con, side)
    _cluster_links(con, side, record_ids,
                   f"SELECT * FROM {links} WHERE match_probability >= {threshold!r}",
                   judged, _table(side, "first"))
    return {"record_ids": record_ids, "judged": judged, "scored": n_links}


def _second_pass(con: duckdb.DuckDBPyConnection, side: Side, first: dict[str, Any],
                 threshold: float, resolution_id: str, counterparts: str) -> dict[str, int]:
    """Add the links a shared counterpart (clusters of the other side in the table
    ``counterparts``) confirms, cluster again and name the entities; leaves
    ``resolve_clusters_{side}`` and ``resolve_ids_{side}``."""
    links, supported = _table(side, "links"), _table(side, "supported")
    n_supported = supported_links(
        con, side, records=_table(side, "records"), links=links,
        own_first=_table(side, "first"), other_first=counterparts,
        threshold=threshold, out=supported)
    _cluster_links(
        con, side, first["record_ids"],
        f"""SELECT unique_id_l, unique_id_r, match_weight FROM {links}
            WHERE match_probability >= {threshold!r}
            UNION ALL SELECT unique_id_l, unique_id_r, match_weight FROM {supported}""",
        first["judged"], _table(side, "clusters"))
    assign_ids(con, side, _table(side, "clusters"), _table(side, "ids"), resolution_id)
    entities = con.execute(f"SELECT count(DISTINCT entity_id) FROM {_table(side, 'ids')}"
                           ).fetchall()[0][0]
    n_links = con.execute(f"SELECT count(*) FROM {links} WHERE match_probability >= ?",
                          [threshold]).fetchall()[0][0]
    judged: Constraints = first["judged"]
    return {"records": len(first["record_ids"]), "links": int(n_links),
            "supported_links": n_supported, "entities": int(entities),
            "judgements": len(judged.must_link) + len(judged.cannot_link)}


def fit_models(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Fit both sides' models on the store's current records (no labels needed)."""
    for side in (SENDER, RECEIVER):
        build_records(con, side, _table(side, "records"))
    return fit_side_models(con, [(side, _table(side, "records")) for side in (SENDER, RECEIVER)])


def resolve_people(con: duckdb.DuckDBPyConnection, *, threshold: float | None = None,
                   progress: Progress | None = None,
                   models: dict[str, dict[str, Any]] | None = None,
                   refit: bool = False) -> ResolutionReport:
    """Resolve senders (persons) and receiving identities; replace ``transfer_parties``.

    ``models`` (side -> Splink model JSON) skips the fitting. By default a side reuses the
    model the latest run fitted, when it has the current comparisons and the side's records
    have not grown by more than ``REFIT_GROWTH`` since; else (or with ``refit``) the model
    is fitted on the current records.
    """
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 < threshold < 1.0:
        raise InputError(f"the threshold is a match probability between 0 and 1, not {threshold}")
    started = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def report(stage: str, fraction: float) -> None:
        marks.append((stage, time.perf_counter()))
        if progress:
            progress(stage, fraction)

    began = datetime.now(UTC)
    resolution_id = f"res-{began:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    used: dict[str, dict[str, Any]] = {}
    stats: dict[str, dict[str, int]] = {}
    con.execute(f"CREATE OR REPLACE TEMP TABLE resolve_tx AS {transfer_signatures_sql()}")
    first: dict[str, dict[str, Any]] = {}
    fitted: dict[str, dict[str, Any]] = {}
    previous = None if (models or refit) else _previous_fit(con)
    to_fit: list[tuple[Side, str]] = []
    for side in (SENDER, RECEIVER):
        report(f"{side.name} records", 0.05 if side == RECEIVER else 0.0)
        n_records = build_records(con, side, _table(side, "records"))
        if models and side.name in models:
            used[side.name] = models[side.name]
            fitted[side.name] = {"records": None, "resolution_id": None}
        elif previous and _reusable(previous, side, n_records):
            used[side.name] = previous["models"][side.name]
            fitted[side.name] = previous["fitted"][side.name]
        else:
            to_fit.append((side, _table(side, "records")))
            fitted[side.name] = {"records": n_records, "resolution_id": resolution_id}
    if to_fit:
        report("models", 0.1)
        used.update(fit_side_models(con, to_fit))
    for k, side in enumerate((SENDER, RECEIVER)):
        report(f"{side.name} links", 0.3 + k * 0.25)
        first[side.name] = _first_pass(con, side, used[side.name], threshold)
    # Receivers first, confirmed by the senders' first clusters; then senders, confirmed by
    # the receivers' final identities: a buyer's bare record often pays a bare record of his
    # facilitator, which only the receivers' own second pass joins to her.
    for k, (side, counterparts) in enumerate(((RECEIVER, _table(SENDER, "first")),
                                              (SENDER, _table(RECEIVER, "clusters")))):
        report(f"{side.name} entities", 0.8 + k * 0.07)
        stats[side.name] = _second_pass(con, side, first[side.name], threshold,
                                        resolution_id, counterparts)
    report("writing", 0.95)
    transfers = _write(con, resolution_id, began, threshold, used, stats, report, fitted)
    _drop_temp(con)
    report("done", 1.0)
    _save_timings(con, resolution_id, [("signatures", started), *marks])
    return ResolutionReport(resolution_id, "splink", stats["sender"]["entities"],
                            stats["receiver"]["entities"], transfers,
                            time.perf_counter() - started)


def _write(con: duckdb.DuckDBPyConnection, resolution_id: str, began: datetime,
           threshold: float, models: dict[str, dict[str, Any]],
           stats: dict[str, dict[str, int]], report: Progress,
           fitted: dict[str, dict[str, Any]]) -> int:
    con.execute("BEGIN")
    try:
        for side in (SENDER, RECEIVER):
            save_map(con, side, _table(side, "ids"), resolution_id)
        _write_parties(con)
        transfers = int(con.execute("SELECT count(*) FROM transfer_parties").fetchall()[0][0])
        report("households", 0.97)
        households = build_households(con, resolution_id)
        parameters = {"threshold": threshold, "models": models, "fitted": fitted,
                      "stats": stats, "households": households}
        con.execute("INSERT INTO resolution_runs VALUES (?, 'splink', ?, ?, ?, ?, ?)",
                    [resolution_id, began, datetime.now(UTC), json.dumps(parameters),
                     stats["sender"]["entities"], stats["receiver"]["entities"]])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return transfers


def _write_parties(con: duckdb.DuckDBPyConnection) -> None:
    """Bring ``transfer_parties`` to this run's entities, touching only the rows that change:
    with stable ids a new load changes few, and deleting a million indexed rows to insert
    them again cost more than the whole linkage."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE resolve_parties AS
            SELECT t.provider, t.transfer_id, s.entity_id AS sender_id,
                   r.entity_id AS receiver_id
            FROM resolve_tx t
            JOIN {_table(SENDER, 'ids')} s ON s.record_id = t.s_sig
            JOIN {_table(RECEIVER, 'ids')} r ON r.record_id = t.r_sig""")
    con.execute("""DELETE FROM transfer_parties WHERE (provider, transfer_id) NOT IN
                   (SELECT (provider, transfer_id) FROM resolve_parties)""")
    con.execute(
        """INSERT OR REPLACE INTO transfer_parties
           SELECT n.* FROM resolve_parties n
           LEFT JOIN transfer_parties o USING (provider, transfer_id)
           WHERE o.sender_id IS DISTINCT FROM n.sender_id
              OR o.receiver_id IS DISTINCT FROM n.receiver_id""")
    con.execute("DROP TABLE resolve_parties")


def _save_timings(con: duckdb.DuckDBPyConnection, resolution_id: str,
                  marks: list[tuple[str, float]]) -> None:
    """Seconds spent in each step, added to the run's parameters (``timings``)."""
    timings = {stage: round(marks[i + 1][1] - at, 2) for i, (stage, at) in enumerate(marks[:-1])}
    con.execute("UPDATE resolution_runs SET parameters = json_merge_patch(parameters, ?) "
                "WHERE resolution_id = ?", [json.dumps({"timings": timings}), resolution_id])


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for side in (SENDER, RECEIVER):
        for what in ("records", "links", "index", "first", "supported", "clusters", "ids"):
            con.execute(f"DROP TABLE IF EXISTS {_table(side, what)}")
    con.execute("DROP TABLE IF EXISTS resolve_tx")


def _previous_fit(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Models and fit facts of the latest Splink run, if it recorded them."""
    rows = con.execute("SELECT parameters FROM resolution_runs WHERE method = 'splink' "
                       "ORDER BY started_at DESC LIMIT 1").fetchall()
    if not rows:
        return None
    parameters: dict[str, Any] = json.loads(rows[0][0])
    return parameters if "fitted" in parameters else None


def _reusable(previous: dict[str, Any], side: Side, n_records: int) -> bool:
    fit = previous["fitted"].get(side.name) or {}
    model = previous["models"].get(side.name)
    return (model is not None and bool(fit.get("records"))
            and n_records <= REFIT_GROWTH * fit["records"] and fits_settings(model, side))


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
