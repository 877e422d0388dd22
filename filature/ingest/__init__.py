"""Ingest: transfer files (canonical CSV, Parquet, mapped layouts) into the analytical store.

``ingest_file`` is imported on first use: the worker processes that read phone numbers
(``phones.py``) import this package, and would otherwise each spend most of a second
importing DuckDB and Arrow they never use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from filature.ingest.load import IngestReport, ingest_file

__all__ = ["IngestReport", "ingest_file"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from filature.ingest import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
