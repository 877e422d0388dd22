"""The app factory: one FastAPI app over one store and one case database, its routers,
templates and static files.

Every page router is listed once in ``filature.web.routes.ROUTERS`` and included with
``PAGE_DEPENDENCIES`` (a signed-in user); each page then names the permission it needs.
Only ``PUBLIC_ROUTERS`` (sign-in, language switch) are open without a session.

``app_from_environment`` is the factory uvicorn calls in each process it starts for
``filature serve --workers N``: those processes get their store and settings from the
environment, as ``serve`` left it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from filature.cases.db import CaseDatabase
from filature.errors import FilatureError, InputError, InvalidData, NotFound
from filature.settings import Settings, get_settings
from filature.web import routes
from filature.web.auth import CasesWeb, configure_cases
from filature.web.pages import TEMPLATES, render, translator
from filature.web.store import WebStore

HERE = Path(__file__).resolve().parent


def _status(error: FilatureError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InputError | InvalidData):
        return 400
    return 500


def create_app(db_path: Path | str, settings: Settings | None = None, *,
               cases: CaseDatabase | None = None, say_ready: bool = False) -> FastAPI:
    """A web app reading (and importing into) the store at ``db_path``.

    The case database (users, cases, audit trail) is ``cases``, else the one at
    ``settings.cases_url``, migrated to the newest schema. The store is opened at start-up,
    or on the first request when the app runs without a lifespan (tests); the latest run's
    page tables are prepared then too. With ``say_ready`` the app writes one line on stderr
    once it has prepared them: each of several processes is ready on its own.
    """
    settings = settings or get_settings()
    store = WebStore(db_path, settings)
    database = cases or CaseDatabase.open(settings.cases_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = time.perf_counter()
        with store.cursor() as cur:
            run_id = store.run_id(cur)  # prepares the latest run before the first reader waits
        if say_ready:
            print(f"Filature process {os.getpid()} ready: run {run_id or '(none yet)'} "
                  f"prepared in {time.perf_counter() - started:.1f} s", file=sys.stderr,
                  flush=True)
        yield
        store.close()
        if cases is None:
            database.dispose()

    app = FastAPI(title="Filature", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.store = store
    app.state.language = settings.language
    app.state.templates = TEMPLATES
    configure_cases(app, CasesWeb(database=database, secret_key=settings.secret_key,
                                  evidence_dir=settings.evidence_dir,
                                  secure_cookies=settings.secure_cookies,
                                  session_hours=settings.session_hours))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in routes.PUBLIC_ROUTERS:
        app.include_router(router)
    for router in routes.ROUTERS:
        app.include_router(router, dependencies=routes.PAGE_DEPENDENCIES)

    # Forbidden (a FilatureError) keeps its own 403 handler: Starlette picks the handler of
    # the most specific class.
    @app.exception_handler(FilatureError)
    async def filature_error(request: Request, error: FilatureError) -> HTMLResponse:
        return _error_page(request, error)

    return app


def app_from_environment() -> FastAPI:
    """The app of one process started by uvicorn for ``filature serve --workers N``.

    uvicorn starts each process afresh and calls this without arguments, so the store
    (``FILATURE_DB``), its read-only mode (``FILATURE_STORE_READ_ONLY``) and every other
    setting come from the environment, which ``filature.web.serve`` set before starting
    them. Read afresh rather than through ``get_settings``, whose cached copy is stale
    wherever the environment changed after it was first read (the tests).
    """
    settings = Settings()  # type: ignore[call-arg]  # fields come from the environment
    return create_app(settings.db, settings, say_ready=True)


def _error_page(request: Request, error: FilatureError) -> HTMLResponse:
    """A clear page saying what went wrong and what to do, in the reader's language."""
    t = translator(request)
    context: dict[str, Any] = {"message": t.error(error), "status": _status(error)}
    return render(request, t, "error.html", context, status_code=_status(error))
