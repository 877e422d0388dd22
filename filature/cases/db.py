"""Opening the case database and bringing its schema up to date with Alembic.

SQLite by default (one file), PostgreSQL for a team (``FILATURE_CASES_URL``). The Alembic
environment ships inside the package and is driven from code, so no ``alembic.ini`` is
needed wherever Filature is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from filature.errors import ConfigError, StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """The URL with PostgreSQL pointed at psycopg 3 (``postgresql://`` means psycopg2)."""
    try:
        parsed = make_url(url)
    except Exception as e:  # sqlalchemy raises ArgumentError, not a documented subclass
        raise ConfigError(f"FILATURE_CASES_URL is not a database URL: {url!r}") from e
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on (off by default there)."""
    url = normalise_url(url)
    # SQLite: a writer waits up to 30 s for the lock (the driver's default is 5 s, which
    # twenty sign-ins at once, each hashing a password, can exceed on a loaded machine).
    sqlite = make_url(url).get_backend_name() == "sqlite"
    # A pre-ping (a SELECT 1 at every checkout) finds a PostgreSQL server's dropped
    # connections; a SQLite file has none to drop, and every page checks out twice.
    # A SQLite pool as large as the web server's thread pool (40 by default in AnyIO): a
    # page holds its connection until it is rendered, and with the default 5 + 10, twenty
    # readers at once queued for a connection (and failed after 30 s when the threads were
    # fewer). A SQLite connection is a file handle; a PostgreSQL one is the server's to
    # count, so it keeps SQLAlchemy's defaults.
    pool = {"pool_size": 20, "max_overflow": 20} if sqlite else {}
    engine = create_engine(url, pool_pre_ping=not sqlite,
                           connect_args={"timeout": 30} if sqlite else {}, **pool)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            # Write-ahead log: every page view appends to the audit trail, and a commit then
            # costs one fsync instead of three (a rollback journal), and readers no longer
            # wait for the writer (benchmarks/README.md, web app). Durability is unchanged.
            if dbapi_connection.execute("PRAGMA database_list").fetchone()[2]:  # a file
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()
    return engine


def _alembic_config(engine: Engine, connection: Any | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (default: the newest), keeping the data."""
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(engine, connection), revision)
    except SQLAlchemyError as e:
        raise StoreError(f"migrating the case database to {revision} failed: {e}") from e


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this version of Filature."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


@dataclass
class CaseDatabase:
    """The case database of one deployment: its engine and a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> CaseDatabase:
        """Connect to ``url`` and, by default, migrate it to the newest schema."""
        engine = make_engine(url)
        if upgrade and current_revision(engine) != head_revision():
            migrate(engine)
        elif "audit_log" not in inspect(engine).get_table_names():
            raise StoreError(f"the case database at {engine.url!r} has no schema yet")
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection (tests drop their database afterwards)."""
        self.engine.dispose()
