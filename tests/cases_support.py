"""Case-database fixtures for the case tests: each test gets a fresh SQLite file or a fresh
PostgreSQL database (created on 127.0.0.1:5432 and dropped afterwards), never a shared one.

``web_client`` is the web app over a store with such a database, signed in with a role.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
ENGINES = [pytest.param("sqlite", id="sqlite"),
           pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@cache
def postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN):
            return True
    except Exception:  # any failure to connect means: no server for these tests
        return False


@contextmanager
def empty_database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database of ``kind``; a PostgreSQL one is dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'cases-{secrets.token_hex(4)}.sqlite'}"
        return
    if not postgres_answers():
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    import psycopg

    name = f"filature_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class MigratedTemplates:
    """One migrated database per engine, made once per test session and copied per test:
    running the migrations for every test would cost about half a second each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sqlite: Path | None = None
        self.postgres: str | None = None

    def sqlite_copy(self, folder: Path | None = None) -> str:
        """A copy of the migrated SQLite database, in ``folder`` (a test's tmp_path) if given."""
        from filature.cases.db import CaseDatabase

        if self.sqlite is None:
            self.sqlite = self.folder / "template.sqlite"
            CaseDatabase.open(f"sqlite:///{self.sqlite}").dispose()
        copy = (folder or self.folder) / f"cases-{secrets.token_hex(4)}.sqlite"
        shutil.copyfile(self.sqlite, copy)
        return f"sqlite:///{copy}"

    def postgres_template(self) -> str:
        from filature.cases.db import CaseDatabase

        if self.postgres is None:
            import psycopg

            name = f"filature_template_{secrets.token_hex(6)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            self.postgres = name
            CaseDatabase.open(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}").dispose()
        return self.postgres

    def drop(self) -> None:
        if self.postgres is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.postgres}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("case-templates"))
    yield templates
    templates.drop()


@contextmanager
def postgres_copy(templates: MigratedTemplates) -> Iterator[str]:
    """A new PostgreSQL database copied from the migrated template, dropped at the end."""
    if not postgres_answers():
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    import psycopg

    template = templates.postgres_template()
    name = f"filature_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def postgres_module_url(migrated_templates: MigratedTemplates) -> Iterator[str]:
    """One PostgreSQL database per test module, emptied after each test (see ``case_db``)."""
    with postgres_copy(migrated_templates) as url:
        yield url


def empty_tables(db: object) -> None:
    """Back to the freshly migrated state: no rows, the audit head at its genesis."""
    from sqlalchemy import text

    from filature.cases.models import Base

    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as con:  # type: ignore[attr-defined]
        con.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        con.execute(text("INSERT INTO audit_head VALUES (1, 1, :g, 0, :g)"), {"g": "0" * 64})


@contextmanager
def case_database(kind: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """A migrated ``CaseDatabase`` of ``kind`` for one test, left nowhere dirty."""
    from filature.cases.db import CaseDatabase

    if kind == "sqlite":
        templates: MigratedTemplates = request.getfixturevalue("migrated_templates")
        db = CaseDatabase.open(templates.sqlite_copy(), upgrade=False)
        try:
            yield db
        finally:
            db.dispose()
        return
    if not postgres_answers():
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    db = CaseDatabase.open(request.getfixturevalue("postgres_module_url"), upgrade=False)
    try:
        yield db
    finally:
        empty_tables(db)
        db.dispose()


@pytest.fixture(params=ENGINES)
def case_db(request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh, migrated case database, once on SQLite and once on PostgreSQL."""
    with case_database(request.param, request) as db:
        yield db


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def cheap_hashing() -> Iterator[None]:
    """Argon2id at its smallest cost: the production cost (~0.3 s a hash on the CI machine)
    would dominate the role-by-route tests; one test checks the real parameters."""
    from argon2 import PasswordHasher

    from filature.cases import passwords

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                           parallelism=1))
        passwords.dummy_hash.cache_clear()
        yield
    passwords.dummy_hash.cache_clear()


@pytest.fixture
def fast_passwords() -> Iterator[None]:
    with cheap_hashing():
        yield


WEB_PASSWORD = "correct horse battery"


def web_settings(folder: Path, cases_url: str, **changes: Any) -> Any:
    """Settings for a test app: its own case database and evidence folder, plain-HTTP cookies
    (the test client and the loopback browser speak HTTP), English or French as asked."""
    from filature.settings import Settings

    values: dict[str, Any] = {"cases_url": cases_url, "evidence_dir": folder / "evidence",
                              "secret_key": "test-secret", "secure_cookies": False}
    return Settings(**{**values, **changes})


def add_web_user(database: Any, username: str, role: str,
                 password: str = WEB_PASSWORD) -> None:
    """An account made through ``filature.cases.users``, as ``filature users add`` does."""
    from filature.cases import users
    from filature.cases.audit import SYSTEM

    with database.session() as session:
        users.add_user(session, SYSTEM, username, role=role,
                       display_name=username.replace("-", " ").title(), password=password)


def csrf_of(client: Any, path: str) -> str:
    """The CSRF token of the forms on ``path``."""
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: Any, username: str, password: str = WEB_PASSWORD) -> None:
    """Sign in through the login form, as a browser does."""
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(client, "/login")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:300]


WebClient = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def web_client(tmp_path: Path, migrated_templates: MigratedTemplates,
               fast_passwords: None, monkeypatch: pytest.MonkeyPatch) -> WebClient:
    """``with web_client(store, role="analyst") as client``: the web app over ``store`` and a
    fresh case database in this test's tmp_path (never the developer's file), with a
    test client signed in as a user of that role (``role=None``: nobody signed in)."""
    url = migrated_templates.sqlite_copy(tmp_path)
    monkeypatch.setenv("FILATURE_CASES_URL", url)

    @contextmanager
    def make(store: Path, role: str | None = "analyst", **settings: Any) -> Iterator[Any]:
        from fastapi.testclient import TestClient

        from filature.web import create_app

        app = create_app(store, web_settings(tmp_path, url, **settings))
        with TestClient(app) as client:
            if role is not None:
                username = role.replace("_", "-")
                add_web_user(app.state.cases.database, username, role)
                sign_in(client, username)
            yield client
        app.state.cases.database.dispose()

    return make
