"""The investigators' web app: FastAPI pages over the analytical store, served on this machine.

Nothing happens at import time: ``create_app`` builds an app for one store and ``serve``
runs it with uvicorn (``filature serve``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from filature.cases.db import CaseDatabase
    from filature.settings import Settings

FIRST_USER = "demo"


def create_app(db_path: Path | str, settings: Settings | None = None, *,
               cases: CaseDatabase | None = None) -> FastAPI:
    """The web app for the store at ``db_path`` (see ``filature.web.app``)."""
    from filature.web.app import create_app as factory

    return factory(db_path, settings, cases=cases)


def first_user(database: CaseDatabase) -> str | None:
    """On a case database without any account, create the supervisor ``demo`` and return
    its temporary password (to change at the first sign-in); otherwise None.

    Without it a fresh install (``make demo``) would show a login page nobody can pass.
    The creation is in the audit trail, made by the operating-system account serving.
    """
    import getpass

    from sqlalchemy import func, select

    from filature.cases.audit import Actor
    from filature.cases.models import User
    from filature.cases.users import add_user

    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        login = "unknown"
    with database.session() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
        _, password = add_user(session, Actor(f"cli:{login}"[:64], "cli"), FIRST_USER,
                               role="supervisor", display_name="Demo supervisor")
    return password


def serve(db_path: Path | str, host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1) -> None:
    """Serve the app with uvicorn until interrupted; say how to sign in the first time.

    ``workers`` above 1: that many processes, each with its own interpreter (one process
    serves at most one core's worth of pages) and its own copy of the run's page tables.
    DuckDB lets several processes share a file only read-only, so each opens the store
    read-only and files are loaded with the command line while the server is stopped. The
    secret-key warning and the first account stay here, once, before the processes start;
    ``filature.web.processes`` starts them, each listening on the port with a socket of its
    own so that the kernel shares the connections out among them.
    """
    import uvicorn

    from filature.cases.db import CaseDatabase
    from filature.errors import ConfigError
    from filature.settings import get_settings
    from filature.web import processes

    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {workers}")
    if workers > 1 and str(db_path) == ":memory:":
        raise ConfigError("several processes share a store file, not :memory:")
    if workers > 1:  # before the store is opened read-write, which a server running blocks
        processes.check_port_free(host, port)
    settings = get_settings()
    if settings.secret_key == type(settings).model_fields["secret_key"].default:
        print("FILATURE_SECRET_KEY is not set: forms' security tokens use the default key; "
              "set your own before serving to anyone but yourself.", file=sys.stderr)
    database = CaseDatabase.open(settings.cases_url)
    password = first_user(database)
    if password is not None:
        print("No account yet in the case database: created the supervisor "
              f"'{FIRST_USER}'.\n  Sign in as {FIRST_USER} with the temporary password "
              f"{password} (you will choose your own).\n  Add the others with "
              "`filature users add NAME --role ROLE`.", file=sys.stderr)
    if workers == 1:
        uvicorn.run(create_app(db_path, settings, cases=database), host=host, port=port,
                    log_level="warning")
        return
    database.dispose()  # each process opens its own
    store = Path(db_path).resolve()
    _bring_store_up_to_date(store, settings)
    with worker_environment(store):
        if processes.balanced_sockets_available():
            processes.run_processes(workers, host, port)
        else:  # one socket shared by uvicorn's processes: the connections may go to one
            uvicorn.run(processes.APP, factory=True, workers=workers, host=host, port=port,
                        log_level="warning")


def _bring_store_up_to_date(store: Path, settings: Settings) -> None:
    """Create or migrate the store once, read-write, before processes open it read-only
    (they cannot change it)."""
    from filature.store import open_store

    open_store(store, settings).close()


@contextmanager
def worker_environment(store: Path) -> Iterator[None]:
    """The environment the serving processes inherit: this store, opened read-only; put back
    as it was afterwards (``serve`` may run inside a longer process, such as the tests)."""
    values = {"FILATURE_DB": str(store), "FILATURE_STORE_READ_ONLY": "true"}
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


__all__ = ["create_app", "first_user", "serve", "worker_environment"]
