"""A screening run: features, indicators, network evidence, scores and lists, recorded.

The run is written in one transaction under a new ``run_id`` with everything needed to
reproduce it: the pack's id, version and SHA-256, the capacity, the resolution used and the
code version. Two runs can then be compared row by row.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from filature import __version__
from filature.errors import FilatureError, NotFound, StoreError
from filature.indicators.engine import evaluate_indicators
from filature.indicators.features import build_features
from filature.indicators.pack import Pack, load_pack
from filature.network.evidence import score_network
from filature.scoring.combine import (
    build_party_names,
    register_labels,
    write_receiver_scores,
    write_sender_scores,
)
from filature.scoring.outputs import write_facilitators, write_targets
from filature.store.query import first_row, scalar

Progress = Callable[[str, float], None]


@dataclass
class ScreeningReport:
    run_id: str
    capacity: int
    transfers: int
    senders: int
    receivers: int
    targets: int
    facilitators: int
    stage_seconds: dict[str, float] = field(default_factory=dict)


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return int(scalar(con, sql, params) or 0)


def latest_run_id(con: duckdb.DuckDBPyConnection) -> str:
    """The most recent finished screening run; a clear error when there is none."""
    row = first_row(con, "SELECT run_id FROM screening_runs WHERE status = 'done' "
                         "ORDER BY started_at DESC LIMIT 1")
    if row is None:
        raise NotFound("no screening run yet: run `filature screen` first")
    return str(row[0])


def run_screening(
    con: duckdb.DuckDBPyConnection,
    *,
    capacity: int = 300,
    pack: Pack | None = None,
    language: str = "fr",
    progress: Progress | None = None,
) -> ScreeningReport:
    """Screen every resolved transfer and store a new run; returns its report."""
    pack = pack or load_pack()
    assert pack is not None
    if _count(con, "SELECT count(*) FROM transfer_parties") == 0:
        raise FilatureError("nothing to screen: load transfers (`filature ingest`) first")
    run_id = f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    resolution = first_row(con, "SELECT resolution_id, method FROM resolution_runs "
                                "ORDER BY started_at DESC LIMIT 1")
    parameters = {
        "capacity": capacity,
        "language": language,
        "resolution": {"id": resolution[0], "method": resolution[1]} if resolution else None,
        "pack_parameters": pack.parameters.model_dump(),
        "scoring": pack.scoring.model_dump(),
    }
    stages: dict[str, float] = {}
    def scores() -> None:
        register_labels(con, pack)
        build_party_names(con)
        write_sender_scores(con, pack, run_id)
        write_receiver_scores(con, run_id)

    def lists() -> None:
        write_targets(con, run_id, capacity, language)
        write_facilitators(con, run_id, language)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("features", lambda: build_features(con, pack.parameters)),
        ("indicators", lambda: evaluate_indicators(con, pack, run_id)),
        ("network", lambda: score_network(con, pack, run_id)),
        ("scores", scores),
        ("lists", lists),
    ]
    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT INTO screening_runs VALUES (?, ?, NULL, 'running', ?, ?, ?, ?, ?, ?, "
            "NULL, NULL, NULL)",
            [run_id, datetime.now(UTC), capacity, pack.id, pack.version, pack.sha256,
             __version__, json.dumps(parameters)],
        )
        for i, (name, step) in enumerate(steps):
            if progress:
                progress(name, i / len(steps))
            started = time.perf_counter()
            try:
                step()
            except duckdb.Error as e:
                raise StoreError(f"screening step '{name}' failed: {e}") from e
            stages[name] = time.perf_counter() - started
        report = ScreeningReport(
            run_id=run_id, capacity=capacity,
            transfers=_count(con, "SELECT count(*) FROM screen_tx"),
            senders=_count(con, "SELECT count(*) FROM sender_features"),
            receivers=_count(con, "SELECT count(*) FROM receiver_features"),
            targets=_count(con, "SELECT count(*) FROM targets WHERE run_id = ?", [run_id]),
            facilitators=_count(con, "SELECT count(*) FROM facilitators WHERE run_id = ?",
                                [run_id]),
            stage_seconds=stages,
        )
        con.execute(
            "UPDATE screening_runs SET status = 'done', finished_at = ?, transfers = ?, "
            "senders = ?, receivers = ? WHERE run_id = ?",
            [datetime.now(UTC), report.transfers, report.senders, report.receivers, run_id],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if progress:
        progress("done", 1.0)
    return report
