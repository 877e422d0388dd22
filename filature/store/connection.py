"""Opening the analytical store: one DuckDB file, schema brought up to date, limits applied."""

from __future__ import annotations

from pathlib import Path

import duckdb

from filature.errors import StoreError
from filature.settings import Settings, get_settings
from filature.store.schema import SCHEMA_VERSION, STATEMENTS


def open_store(
    path: Path | str | None = None, settings: Settings | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at ``path`` and make sure every table exists.

    ``":memory:"`` gives a throw-away store for tests. Memory is capped so that work
    larger than RAM spills to a temporary folder beside the file instead of failing.
    """
    settings = settings or get_settings()
    target = str(path if path is not None else settings.db)
    try:
        con = duckdb.connect(target)
        con.execute("SET memory_limit = ?", [settings.memory_limit])
        if settings.threads:
            con.execute(f"SET threads = {int(settings.threads)}")
        con.execute("SET TimeZone = 'UTC'")
        if target != ":memory:":
            spill = Path(target).with_suffix(".tmp")
            con.execute("SET temp_directory = ?", [str(spill)])
        for statement in STATEMENTS:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
    except duckdb.Error as e:
        raise StoreError(f"cannot open the store {target}: {e}") from e
    return con
