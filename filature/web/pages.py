"""What every page needs: the request's store cursor, language and user, and rendering.

Routes declare ``cursor: Cursor``, ``t: Language`` and ``user: Viewer`` (the signed-in user
allowed to read targets) and return ``render(...)``; the template then gets the translator
``t``, the language switch link, the navigation this user may follow and a CSRF token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import duckdb
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from filature.cases.models import User
from filature.cases.roles import ROLE_LABELS, Permission, Role, allows
from filature.web.auth import CSRF_FIELD, csrf_token, db_session, require
from filature.web.i18n import COOKIE, LANGUAGES, Translator
from filature.web.store import WebStore

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
# Templates ship with the package: compiled once, not checked on disk at every page (a
# dozen file stats a page); restart the server after editing one.
TEMPLATES.env.auto_reload = False


# Numbers and dates are written with filters (``{{ r.total_eur|eur }}``) rather than the
# translator's methods (``t.eur(...)``): Jinja calls a filter directly, a method through
# ``Context.call``, which checks how to pass the context on every call. The queue's table
# (50 rows, five numbers and dates each) took 3.3 ms to render with the methods and 1.3 ms
# with the filters (benchmarks/README.md, web section). Each filter writes as the page's
# translator ``t`` does.
@pass_context
def _number(context: Context, value: float | int | None, digits: int = 0) -> str:
    translator: Translator = context["t"]
    return translator.number(value, digits)


@pass_context
def _eur(context: Context, value: float | None) -> str:
    translator: Translator = context["t"]
    return translator.eur(value)


TEMPLATES.env.filters.update(number=_number, eur=_eur, day=Translator.day,
                             when=Translator.when)
P = Permission

# The navigation bar: (path, catalogue key, permission needed to see the entry).
NAVIGATION: list[tuple[str, str, Permission]] = [
    ("/", "nav.overview", P.TARGETS_VIEW),
    ("/targets", "nav.queue", P.TARGETS_VIEW),
    ("/search", "nav.search", P.TARGETS_VIEW),
    ("/import", "nav.import", P.TARGETS_VIEW),
    ("/referrals", "nav.referrals", P.REFERRALS_VIEW),
    ("/follow", "nav.follow", P.TARGETS_VIEW),
    ("/cases", "nav.cases", P.CASES_VIEW),
    ("/workload", "nav.workload", P.WORKLOAD_VIEW),
    ("/audit", "nav.audit", P.AUDIT_VIEW),
]


# A file posted while the store is read-only (several server processes): refused with
# the page's explanation, a conflict with the server's state rather than a fault of the file.
READ_ONLY_STATUS = 409


def web_store(request: Request) -> WebStore:
    store: WebStore = request.app.state.store
    return store


async def store_cursor(request: Request) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """A DuckDB cursor for this request only.

    Asynchronous, like ``db_session``: making and closing a cursor is immediate once the
    store is open (a worker thread opens it the first time)."""
    store = web_store(request)
    if not store.is_open():
        await run_in_threadpool(store.open)
    with store.cursor() as cur:
        yield cur


def translator(request: Request) -> Translator:
    """French unless the reader chose otherwise (cookie set by the language switch)."""
    chosen = request.cookies.get(COOKIE)
    default = getattr(request.app.state, "language", LANGUAGES[0])
    return Translator(chosen if chosen in LANGUAGES else default)


# Reading the analytical store's pages (overview, queue, target, facilitator, search,
# import) needs this permission; one shared dependency so FastAPI runs it once a request.
read_targets = require(P.TARGETS_VIEW)

# FastAPI runs a plain ``def`` dependency in its thread pool, one hand-over each; these two
# only read the request, so they run on the event loop (measured: fewer hand-overs a page).
async def language_of(request: Request) -> Translator:
    return translator(request)


async def store_of(request: Request) -> WebStore:
    return web_store(request)


Cursor = Annotated[duckdb.DuckDBPyConnection, Depends(store_cursor)]
Language = Annotated[Translator, Depends(language_of)]
Store = Annotated[WebStore, Depends(store_of)]
Viewer = Annotated[User, Depends(read_targets)]
CaseSession = Annotated[Session, Depends(db_session)]


def here(request: Request) -> str:
    """The current path with its query, to come back to after switching language."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def is_partial(request: Request) -> bool:
    """An HTMX request wants only the fragment it swaps in, not the whole page (except when
    HTMX restores a page from history: it then needs the whole page)."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true" \
        and headers.get("HX-History-Restore-Request") != "true"


def _user_context(request: Request, t: Translator) -> dict[str, Any]:
    """Who is signed in, what they may do, and the token their forms send back."""
    user: User | None = getattr(request.state, "user", None)

    def can(permission: str) -> bool:
        return user is not None and allows(user.role, Permission(permission))

    def role_label(role: str) -> str:
        try:
            return ROLE_LABELS[Role(role)][t.language]
        except (KeyError, ValueError):
            return role

    has_cases = getattr(request.app.state, "cases", None) is not None
    return {"user": user, "can": can, "role_label": role_label, "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token(request) if has_cases else "",
            "navigation": [(href, key) for href, key, permission in NAVIGATION
                           if can(permission.value)]}


def render(request: Request, t: Translator, template: str, context: dict[str, Any],
           status_code: int = 200) -> HTMLResponse:
    """Render ``template`` with the shared page context (language, switch, navigation, user)."""
    other = "en" if t.language == "fr" else "fr"
    page = {
        "request": request, "t": t, "lang": t.language, "other_lang": other,
        "switch_url": f"/lang/{other}?next={quote(here(request), safe='')}",
        "path": request.url.path, **_user_context(request, t),
    }
    page.update(context)
    response: HTMLResponse = TEMPLATES.TemplateResponse(request, template, page,
                                                        status_code=status_code)
    return response
