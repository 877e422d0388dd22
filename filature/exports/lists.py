"""Writing a run's ``targets`` and ``facilitators`` lists as CSV or JSON, to a file or stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import duckdb

from filature.errors import InputError
from filature.exports.tables import write_table
from filature.scoring.run import latest_run_id

ListName = Literal["targets", "facilitators"]
ORDER = {"targets": "rank", "facilitators": "rank"}


def read_list(con: duckdb.DuckDBPyConnection, name: ListName, run_id: str | None = None,
              limit: int | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns and rows of one list of a run (the latest by default), in rank order."""
    if name not in ORDER:
        raise InputError(f"unknown list '{name}': choose targets or facilitators")
    run_id = run_id or latest_run_id(con)
    sql = f"SELECT * EXCLUDE (run_id) FROM {name} WHERE run_id = ? ORDER BY {ORDER[name]}"
    if name == "targets":  # with the targets that may be the same person (scoring.aliases)
        sql = """SELECT t.* EXCLUDE (run_id), coalesce(a.aliases, '') AS possible_aliases
                 FROM targets t LEFT JOIN (
                     SELECT run_id, target_id, string_agg(alias_id || ': ' || reason, '; '
                                                          ORDER BY alias_id) AS aliases
                     FROM target_aliases GROUP BY run_id, target_id) a USING (run_id, target_id)
                 WHERE t.run_id = ? ORDER BY t.rank"""
    if limit:
        sql += f" LIMIT {int(limit)}"
    cursor = con.execute(sql, [run_id])
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def write_list(con: duckdb.DuckDBPyConnection, name: ListName, fmt: str,
               out: Path | None, run_id: str | None = None) -> int:
    """Write the list as ``csv`` or ``json`` to ``out`` (stdout when None or '-'); rows written."""
    columns, rows = read_list(con, name, run_id)
    return write_table(columns, [dict(zip(columns, row, strict=True)) for row in rows], fmt, out)
