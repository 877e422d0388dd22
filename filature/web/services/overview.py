"""The overview: what is loaded, what was quarantined, the last run and the queue vs capacity."""

from __future__ import annotations

from typing import Any

import duckdb

from filature.web.services import record, records
from filature.web.services.prepare import DB


def loaded_files(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every file loaded, newest first, with its counts."""
    return records(cur, """SELECT file_id, name, mapping, loaded_at, rows_read, rows_added,
        rows_duplicate, rows_conflict, rows_quarantined FROM source_files
        ORDER BY loaded_at DESC, file_id DESC""")


def totals(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    row = record(cur, """SELECT (SELECT count(*) FROM transfers) AS transfers,
        (SELECT count(*) FROM quarantine) AS quarantined,
        (SELECT count(*) FROM conflicts) AS conflicts,
        (SELECT count(*) FROM source_files) AS files""")
    assert row is not None
    return row


def quarantine_reasons(cur: duckdb.DuckDBPyConnection, limit: int = 8) -> list[dict[str, Any]]:
    """The most frequent reasons rows were quarantined, with an example line."""
    return records(cur, """SELECT q.reason, count(*) AS n, min(f.name || ':' || q.line) AS example
        FROM quarantine q JOIN source_files f ON f.file_id = q.source_file_id
        GROUP BY q.reason ORDER BY n DESC, q.reason LIMIT ?""", [limit])


def run_summary(cur: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The run's record and how its queue compares with the team's capacity."""
    row = record(cur, f"""SELECT r.run_id, r.started_at, r.finished_at, r.capacity, r.pack_id,
            r.pack_version, r.transfers, r.senders, r.receivers,
            (SELECT count(*) FROM targets WHERE run_id = $run) AS targets,
            (SELECT count(*) FROM facilitators WHERE run_id = $run) AS facilitators,
            (SELECT count(*) FROM {DB}.queue WHERE score > 0) AS flagged,
            (SELECT min(score) FROM targets WHERE run_id = $run) AS cut_score
        FROM screening_runs r WHERE r.run_id = $run""", {"run": run_id})  # noqa: S608
    assert row is not None
    return row


def score_bands(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """How many senders fall in each score band, and how many of them are targets."""
    return records(cur, f"""SELECT band, count(*) AS senders,
            count(*) FILTER (WHERE is_target) AS targets
        FROM (SELECT CASE WHEN score >= 10 THEN 10 WHEN score >= 5 THEN 5
                          WHEN score >= 2 THEN 2 WHEN score > 0 THEN 0 ELSE -1 END AS band,
                     is_target FROM {DB}.queue)
        GROUP BY band ORDER BY band DESC""")  # noqa: S608
