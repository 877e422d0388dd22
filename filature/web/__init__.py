"""The investigators' web app: FastAPI pages over the analytical store, served on this machine.

Nothing happens at import time: ``create_app`` builds an app for one store and ``serve``
runs it with uvicorn (``filature serve``).
"""

from __future__ import annotations

import sys
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


def serve(db_path: Path | str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the app with uvicorn until interrupted; say how to sign in the first time."""
    import uvicorn

    from filature.cases.db import CaseDatabase
    from filature.settings import get_settings

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
    uvicorn.run(create_app(db_path, settings, cases=database), host=host, port=port,
                log_level="warning")


__all__ = ["create_app", "first_user", "serve"]
