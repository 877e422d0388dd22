"""Storing a run's supervised model and scores (``supervised_models``, ``supervised_scores``).

A run has at most one model: fitting again on the same run replaces it, so what the targets
were ordered by is always what the tables show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from filature.errors import NotFound


@dataclass
class ModelRecord:
    """One row of ``supervised_models``, as read back."""

    model_id: str
    run_id: str
    fitted_at: datetime
    status: str
    reason: str | None
    positives: int
    negatives: int
    labels_outside_run: int
    penalty: float | None
    baseline: float | None
    columns: list[dict[str, Any]]
    validation: dict[str, Any]
    ranking: str
    pool: int | None


def clear_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Forget a run's earlier model and scores."""
    con.execute("DELETE FROM supervised_scores WHERE run_id = ?", [run_id])
    con.execute("DELETE FROM supervised_models WHERE run_id = ?", [run_id])


def write_model(con: duckdb.DuckDBPyConnection, *, model_id: str, run_id: str, status: str,
                reason: str | None, positives: int, negatives: int, labels_outside_run: int,
                ranking: str, description: dict[str, Any] | None = None,
                validation: dict[str, Any] | None = None, pool: int | None = None) -> None:
    description = description or {}
    con.execute(
        "INSERT INTO supervised_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [model_id, run_id, datetime.now(UTC), status, reason, positives, negatives,
         labels_outside_run, description.get("penalty"), description.get("baseline"),
         json.dumps(description.get("columns", [])), json.dumps(validation or {}), ranking,
         pool])


def read_model(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> ModelRecord:
    """The model of ``run_id``, or the newest one stored when no run is named."""
    where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
    row = con.execute(f"SELECT * FROM supervised_models {where} "
                      "ORDER BY fitted_at DESC LIMIT 1", params).fetchone()
    if row is None:
        raise NotFound("no supervised model yet" + (f" for run {run_id}" if run_id else "")
                       + ": `filature screen` fits one when the cases give enough outcomes")
    (model_id, run, fitted_at, status, reason, positives, negatives, outside, penalty,
     baseline, columns, validation, ranking, pool) = row
    return ModelRecord(model_id, run, fitted_at, status, reason, positives, negatives, outside,
                       penalty, baseline, json.loads(columns or "[]"),
                       json.loads(validation or "{}"), ranking, pool)
