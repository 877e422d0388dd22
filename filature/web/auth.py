"""Who is asking, and may they: login sessions, CSRF tokens and role checks for every route.

Routes declare ``user: User = Depends(require(Permission.X))``; ``configure_cases`` puts the
case database on the app and the handlers that turn a refusal into a 403 page. A refusal
is written to the audit trail in the request's own database session, so it is kept even
though the request fails. The session cookie holds a random token (HttpOnly, SameSite=Lax,
Secure unless turned off); forms carry an HMAC of that token as their CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from filature.cases import audit
from filature.cases.db import CaseDatabase
from filature.cases.models import User
from filature.cases.roles import Forbidden, Permission, allows
from filature.cases.snapshots import Opening
from filature.cases.users import actor_of, user_for_token
from filature.errors import FilatureError
from filature.web.view_log import ViewLog

SESSION_COOKIE = "filature_session"
LOGIN_COOKIE = "filature_login"       # a nonce binding the login form to this browser
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PASSWORD_PATH = "/account/password"

SnapshotSource = Callable[[str, str, str | None], Opening]


@dataclass
class CasesWeb:
    """What the case pages need from the app: the database, the secret and where files go."""

    database: CaseDatabase
    secret_key: str
    evidence_dir: Path
    secure_cookies: bool = True
    session_hours: float = 10.0
    snapshots: SnapshotSource | None = None   # reads a target/facilitator/referral snapshot
    views: ViewLog = field(init=False)        # page views, written to the trail together

    def __post_init__(self) -> None:
        self.views = ViewLog(self.database)


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, API calls get 401."""


class PasswordChangeRequired(Exception):
    """The user signed in with a temporary password and must choose their own first."""


def cases_web(request: Request) -> CasesWeb:
    web: CasesWeb = request.app.state.cases
    return web


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def db_session(request: Request) -> AsyncIterator[Session]:
    """The request's case-database session; routes commit what they change.

    A ``Forbidden`` raised anywhere in the request (role check, row rule, CSRF) is logged
    here before the session closes, and then answered with 403 by the handler.

    Asynchronous: opening and closing a session touch no database until a query does, and
    FastAPI would otherwise hand each of the two to a worker thread, on every page. The
    refusal's entry, which writes, is made in a worker thread.
    """
    with cases_web(request).database.sessions() as session:
        try:
            yield session
        except Forbidden as refusal:
            await run_in_threadpool(_log_refusal, request, session, refusal)
            raise


def _log_refusal(request: Request, session: Session, refusal: Forbidden) -> None:
    """Append the refusal to the audit trail, naming the user when the cookie does."""
    session.rollback()
    user: User | None = getattr(request.state, "user", None)
    if user is None:  # refused before the role check ran (CSRF): still name them
        user = user_for_token(session, request.cookies.get(SESSION_COOKIE))
    actor = (actor_of(user, client_ip(request)) if user is not None
             else audit.Actor(None, None, client_ip(request)))
    audit.record(session, actor, "access.denied", subject_type="route",
                 subject_id=f"{request.method} {request.url.path}", outcome="denied",
                 detail={"permission": refusal.permission, "reason": refusal.reason})
    session.commit()


def _sign(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms must send back: bound to the login session, or to the login nonce."""
    web = cases_web(request)
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token and getattr(request.state, "user", None) is not None:
        return _sign(web.secret_key, "csrf", session_token)
    nonce = getattr(request.state, "login_nonce", None) or request.cookies.get(LOGIN_COOKIE, "")
    return _sign(web.secret_key, "login", nonce)


async def check_csrf(request: Request, session: Session = Depends(db_session)) -> None:
    """Refuse (403, logged) a state-changing request without the right CSRF token.

    It depends on ``db_session`` so that the refusal is logged in the request's session.
    """
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    web = cases_web(request)
    session_token = request.cookies.get(SESSION_COOKIE)
    candidates = [_sign(web.secret_key, "login", request.cookies.get(LOGIN_COOKIE, ""))] \
        if request.cookies.get(LOGIN_COOKIE) else []
    if session_token:
        candidates.append(_sign(web.secret_key, "csrf", session_token))
    if not sent or not any(hmac.compare_digest(sent, c) for c in candidates):
        raise Forbidden("csrf", "the form's security token is missing or wrong; reload the "
                                "page and try again", key="forbidden.csrf")


def current_user(request: Request, session: Session = Depends(db_session)) -> User:
    """The signed-in user; without a valid session, LoginRequired (a redirect to /login)."""
    user = user_for_token(session, request.cookies.get(SESSION_COOKIE))
    if user is None:
        session.commit()  # an expired session row was removed
        raise LoginRequired()
    request.state.user = user
    if user.must_change_password and request.url.path != PASSWORD_PATH:
        raise PasswordChangeRequired()
    return user


def require(permission: Permission) -> Callable[..., Awaitable[User]]:
    """A dependency giving the signed-in user if their role holds ``permission``, else 403.

    Asynchronous because it only compares the role: FastAPI then runs it on the event loop
    instead of handing it to a thread (``current_user``, which queries, stays in one)."""
    async def dependency(user: User = Depends(current_user)) -> User:
        if not allows(user.role, permission):
            raise Forbidden(permission.value, f"the role {user.role} does not allow "
                                              f"{permission.value}")
        return user

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def log_event(request: Request, session: Session, user: User, action: str, *,
              subject_type: str | None = None, subject_id: str | int | None = None,
              detail: dict[str, Any] | None = None, outcome: str = "ok") -> None:
    """Write one act to the audit trail and commit: for the other pages' views, searches,
    imports and exports (``target.view``, ``search``, ``import``...).

    Whatever the request changed before is committed with its entry, in one transaction."""
    # The append reads the chain's head under the database's write lock (``audit.record``),
    # so the chain cannot fork; it waits its turn with the page views' batches (``ViewLog``),
    # the next starting as soon as the last commits, not in SQLite's busy handler, which
    # polls with growing sleeps.
    with cases_web(request).views.writing:
        audit.record(session, actor_of(user, client_ip(request)), action,
                     subject_type=subject_type, subject_id=subject_id, detail=detail,
                     outcome=outcome)
        session.commit()


def log_view(request: Request, user: User, action: str, *, subject_type: str,
             subject_id: str) -> None:
    """Write a page view (``target.view``, ``facilitator.view``) to the audit trail with
    the other views arriving meanwhile (``ViewLog``); return once it is committed."""
    cases_web(request).views.append(actor_of(user, client_ip(request)), action,
                                    subject_type=subject_type, subject_id=subject_id)


def render(request: Request, template: str, context: dict[str, Any],
           status_code: int = 200) -> HTMLResponse:
    """Render a case or auth page inside the app's base template, in the reader's language,
    with the signed-in user and a CSRF token."""
    from filature.web.pages import render as render_page  # pages builds on this module
    from filature.web.pages import translator

    return render_page(request, translator(request), template, context,
                       status_code=status_code)


def error_message(request: Request, error: FilatureError) -> str:
    """A user's mistake as a page shows it: in the reader's language when it has a key."""
    from filature.web.pages import translator

    return translator(request).error(error)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _login_required(request: Request, _: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = f"/login?next={quote(target, safe='')}"
    if request.headers.get("HX-Request") == "true":
        # HTMX would swap the login page into the table: have it load the page instead.
        return JSONResponse({"detail": "sign in first"}, status_code=401,
                            headers={"HX-Redirect": login})
    if _wants_json(request) or request.method != "GET":
        return JSONResponse({"detail": "sign in first"}, status_code=401)
    return RedirectResponse(login, status_code=303)


async def _password_change(request: Request, _: Exception) -> Response:
    return RedirectResponse(PASSWORD_PATH, status_code=303)


async def _forbidden(request: Request, error: Exception) -> Response:
    reason = error.reason if isinstance(error, Forbidden) else str(error)
    if _wants_json(request):
        return JSONResponse({"detail": reason}, status_code=403)
    if isinstance(error, Forbidden) and error.key:
        reason = error_message(request, error)
    return render(request, "cases/forbidden.html", {"reason": reason}, status_code=403)


def configure_cases(app: FastAPI, web: CasesWeb) -> None:
    """Attach the case database and the refusal handlers to ``app`` (then include routers)."""
    app.state.cases = web
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PasswordChangeRequired, _password_change)
    app.add_exception_handler(Forbidden, _forbidden)
