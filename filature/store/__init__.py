"""The analytical store: one DuckDB file holding transfers, parties, runs and results."""

from filature.store.connection import open_store

__all__ = ["open_store"]
