"""Importing a transfer file from the browser: keep the upload beside the store, then ingest.

The file (and its mapping, if any) is saved under ``uploads/`` next to the store with a
time stamp, so what was loaded can always be found again; ``filature.ingest`` does the rest
(all or nothing, bad rows to quarantine).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from filature.errors import InputError
from filature.ingest import IngestReport, ingest_file
from filature.settings import Settings

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SUFFIXES = (".csv", ".txt", ".parquet", ".pq", ".xml")


def shipped_mappings() -> list[str]:
    """Names of the mappings shipped with Filature (``filature/ingest/mappings/*.toml``)."""
    folder = resources.files("filature.ingest").joinpath("mappings")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def save_upload(folder: Path, name: str, content: bytes, suffixes: tuple[str, ...]) -> Path:
    """Write an uploaded file under ``folder`` with a safe, time-stamped name."""
    clean = _UNSAFE.sub("_", Path(name or "upload").name).strip("._") or "upload"
    if not clean.lower().endswith(suffixes):
        raise InputError(f"expected a file ending in {', '.join(suffixes)}", file=name)
    if not content:
        raise InputError("the file is empty", file=name)
    path = folder / f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{clean}"
    path.write_bytes(content)
    return path


def import_transfers(cur: duckdb.DuckDBPyConnection, path: Path, mapping: str | Path | None,
                     settings: Settings) -> IngestReport:
    """Load the saved file into the store; errors in the file are raised as InputError."""
    return ingest_file(cur, path, mapping=mapping, settings=settings)
