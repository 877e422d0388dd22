"""Shared fixtures: one small synthetic world, screened once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

# Case-database fixtures (case_db: a fresh SQLite or PostgreSQL database per test).
pytest_plugins = ["tests.cases_support"]


@dataclass(frozen=True)
class ScreenedWorld:
    """A small synthetic world on disk, ingested and screened into ``db``."""

    world: Path
    db: Path
    run_id: str


@pytest.fixture(scope="session")
def screened_world(tmp_path_factory: pytest.TempPathFactory) -> ScreenedWorld:
    from filature.ingest import ingest_file
    from filature.resolve.exact import resolve_exact
    from filature.scoring.run import run_screening
    from filature.store import open_store
    from filature.synth import generate_world

    root = tmp_path_factory.mktemp("small-world")
    world, db = root / "world", root / "filature.duckdb"
    generate_world(world, senders=3000, buyers=30, seed=11)
    con = open_store(db)
    try:
        ingest_file(con, world / "transfers.csv")
        ingest_file(con, world / "operator_export.csv", mapping=world / "operator_export.toml")
        resolve_exact(con)
        report = run_screening(con, capacity=30)
    finally:
        con.close()
    return ScreenedWorld(world=world, db=db, run_id=report.run_id)
