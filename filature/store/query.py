"""Small read helpers over the store's connection.

DuckDB 2 refuses new work on a connection while a result is only partly fetched, so reads
here always fetch to the end.
"""

from __future__ import annotations

from typing import Any

import duckdb

# Tokens of a normalised name, sorted: "REY Bruno" and "Bruno Rey" give the same key. An SQL
# template over one column, shared by the exact resolution and the screening.
NAME_KEY = "array_to_string(list_sort(string_split({col}, ' ')), ' ')"
# The value of ``col`` counted most (``n``), ties to the alphabetically last: unlike
# ``mode()``, the same whatever order DuckDB's threads count in.
MOST_SEEN = "arg_max({col}, struct_pack(n := {n}, v := {col}))"


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    """The first column of the first row, or None when there is no row."""
    rows = con.execute(sql, params if params is not None else []).fetchall()
    return rows[0][0] if rows else None


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple | None:
    """The first row, or None; fetches every row so the connection is free afterwards."""
    rows = con.execute(sql, params if params is not None else []).fetchall()
    return rows[0] if rows else None
