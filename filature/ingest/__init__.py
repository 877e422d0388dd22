"""Ingest: transfer files (canonical CSV, Parquet, mapped layouts) into the analytical store."""

from filature.ingest.load import IngestReport, ingest_file

__all__ = ["IngestReport", "ingest_file"]
