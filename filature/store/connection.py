"""Opening the analytical store: one DuckDB file, schema brought up to date, limits applied."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from filature.errors import StoreError
from filature.settings import Settings, get_settings
from filature.store.schema import SCHEMA_VERSION, STATEMENTS


def open_store(
    path: Path | str | None = None, settings: Settings | None = None, *,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at ``path`` and make sure every table exists.

    ``":memory:"`` gives a throw-away store for tests. Memory is capped so that work
    larger than RAM spills to a temporary folder beside the file instead of failing.

    ``read_only``: one of several processes reading the file (DuckDB lets several processes
    share a file only read-only). Nothing is created or migrated, so the store must already
    be at this schema version; each process spills to a folder of its own, since DuckDB
    names its temporary files the same in every process and removes its folder on closing.
    """
    settings = settings or get_settings()
    target = str(path if path is not None else settings.db)
    try:
        con = duckdb.connect(target, read_only=read_only)
        con.execute("SET memory_limit = ?", [settings.memory_limit])
        if settings.threads:
            con.execute(f"SET threads = {int(settings.threads)}")
        con.execute("SET TimeZone = 'UTC'")
        if target != ":memory:":
            spill = (Path(target).with_name(f"{Path(target).stem}.{os.getpid()}.tmp")
                     if read_only else Path(target).with_suffix(".tmp"))
            con.execute("SET temp_directory = ?", [str(spill)])
        if read_only:
            version = con.execute("SELECT value FROM store_meta "
                                  "WHERE key = 'schema_version'").fetchall()
        else:
            for statement in STATEMENTS:
                con.execute(statement)
            con.execute("INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)",
                        [str(SCHEMA_VERSION)])
    except duckdb.Error as e:
        raise StoreError(f"cannot open the store {target}: {e}") from e
    if read_only and (not version or str(version[0][0]) != str(SCHEMA_VERSION)):
        con.close()
        raise StoreError(f"the store {target} is at schema version "
                         f"{version[0][0] if version else None}, not {SCHEMA_VERSION}: open it "
                         "read-write once (any `filature` command, or `filature serve` with "
                         "one process) to update it")
    return con
