"""All-or-nothing writes that also work inside a caller's transaction (e.g. ingest's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """DuckDB gives every autocommitted statement a new transaction id, and every statement of
    an open transaction the same one; a failed BEGIN would abort the caller's transaction."""
    first = con.execute("SELECT txid_current()").fetchall()[0][0]
    return bool(first == con.execute("SELECT txid_current()").fetchall()[0][0])


@contextmanager
def all_or_nothing(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in its own transaction, or in the caller's when one is already open
    (then the caller commits or rolls back everything, ours included)."""
    if _in_transaction(con):
        yield
        return
    con.execute("BEGIN")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
