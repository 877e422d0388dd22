"""What the pages read: every SQL statement of the web app lives in this package.

Routes call these functions with the request's cursor; templates only lay out the
dictionaries they return. Values from the reader are always bound parameters.
"""

from __future__ import annotations

from typing import Any

import duckdb


class Row(dict[str, Any]):
    """A row as a dict whose columns are also attributes (``row.name``).

    Templates read ``row.name``: Jinja tries the attribute first and falls back to the key
    through an exception, which on a page of hundreds of cells cost a fifth of its
    rendering; here the attribute answers. Dict methods keep their names, as for a dict.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def records(cur: duckdb.DuckDBPyConnection, sql: str,
            params: Any = None) -> list[dict[str, Any]]:
    """Every row of ``sql`` as a ``Row`` keyed by column name (fetched to the end)."""
    result = cur.execute(sql, params if params is not None else [])
    columns = [d[0] for d in result.description]
    return [Row(zip(columns, row, strict=True)) for row in result.fetchall()]


def record(cur: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> dict[str, Any] | None:
    rows = records(cur, sql, params)
    return rows[0] if rows else None
