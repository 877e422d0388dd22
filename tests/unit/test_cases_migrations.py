"""Migrations: an empty database comes up to the models' schema; an older one keeps its data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from filature.cases import audit, passwords, users
from filature.cases.audit import Actor
from filature.cases.db import (
    CaseDatabase,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    normalise_url,
)
from filature.cases.models import Base
from tests.cases_support import ENGINES, empty_database


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path):
    with empty_database(request.param, tmp_path) as url:
        yield url


def test_a_plain_postgresql_url_is_pointed_at_psycopg_3() -> None:
    assert normalise_url("postgresql://postgres@127.0.0.1:5432/cases") == \
        "postgresql+psycopg://postgres@127.0.0.1:5432/cases"
    assert normalise_url("sqlite:///cases.sqlite") == "sqlite:///cases.sqlite"


def test_an_empty_database_is_brought_to_the_models_schema(empty_url: str) -> None:
    db = CaseDatabase.open(empty_url)
    try:
        assert current_revision(db.engine) == head_revision()
        with db.engine.connect() as con:
            context = MigrationContext.configure(con, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        with db.session() as session:
            assert audit.verify_chain(session).ok     # the head row exists from the start
        migrate(db.engine)                            # running again changes nothing
        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()


def test_an_older_populated_database_upgrades_with_its_data(empty_url: str,
                                                            fast_passwords) -> None:
    """At 0001 there were users and an audit trail but no cases and no case capacity."""
    engine = make_engine(empty_url)
    try:
        migrate(engine, "0001")
        assert "cases" not in sa.inspect(engine).get_table_names()
        now = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
        users_0001 = sa.table("users", *[sa.column(c) for c in (
            "username", "display_name", "email", "role", "password_hash", "active",
            "must_change_password", "created_at", "password_changed_at")])
        with engine.begin() as con:
            con.execute(users_0001.insert(), [
                {"username": "alice", "display_name": "Alice Martin", "email": None,
                 "role": "supervisor", "password_hash": passwords.hash_password("old secret pw"),
                 "active": True, "must_change_password": False, "created_at": now,
                 "password_changed_at": now}])
        with sa.orm.Session(engine) as session:
            audit.record(session, Actor("alice", "supervisor"), "login", subject_type="user",
                         subject_id="alice", at=now)
            session.commit()
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    db = CaseDatabase.open(empty_url)
    try:
        with db.session() as session:
            alice = users.authenticate(session, "alice", "old secret pw")
            assert alice is not None and alice.case_capacity is None
            report = audit.verify_chain(session)
            assert report.ok and report.entries == 2   # the old login and the new one
    finally:
        db.dispose()
