"""Sign in, sign out and change one's password: the only pages open without a session."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from filature.cases.models import User
from filature.cases.users import authenticate, change_password, close_login_session
from filature.cases.users import open_login_session as open_session
from filature.errors import InputError
from filature.web.auth import (
    LOGIN_COOKIE,
    PASSWORD_PATH,
    SESSION_COOKIE,
    cases_web,
    check_csrf,
    client_ip,
    current_user,
    db_session,
    error_message,
    render,
)

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a link send users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/cases"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form, with a fresh nonce cookie binding its CSRF token to this browser."""
    nonce = secrets.token_urlsafe(24)
    request.state.login_nonce = nonce
    response = render(request, "auth/login.html", {"next": _safe_next(next), "error": None})
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="lax",
                        secure=cases_web(request).secure_cookies, max_age=3600)
    return response


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, username: str = Form(...), password: str = Form(...),
          next: str = Form("/cases"), session: Session = Depends(db_session)) -> Response:
    """Check the password; on success set the session cookie, on failure say so (401)."""
    web = cases_web(request)
    user = authenticate(session, username, password, client_ip(request))
    if user is None:
        session.commit()  # the failed attempt stays in the audit trail
        return render(request, "auth/login.html",
                      {"next": _safe_next(next), "error": "Wrong username or password, or "
                       "the account is disabled."}, status_code=401)
    token = open_session(session, user, web.session_hours, client_ip(request))
    session.commit()
    target = PASSWORD_PATH if user.must_change_password else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=web.secure_cookies, max_age=int(web.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, session: Session = Depends(db_session)) -> Response:
    """End the session on the server, not only in the browser."""
    close_login_session(session, request.cookies.get(SESSION_COOKIE), client_ip(request))
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get(PASSWORD_PATH, response_class=HTMLResponse)
def password_form(request: Request, user: User = Depends(current_user)) -> Response:
    return render(request, "auth/password.html", {"error": None, "done": False})


@router.post(PASSWORD_PATH, dependencies=[Depends(check_csrf)])
def password_change(request: Request, current: str = Form(...), new: str = Form(...),
                    confirm: str = Form(...), user: User = Depends(current_user),
                    session: Session = Depends(db_session)) -> Response:
    """Change one's own password (required after a reset)."""
    try:
        if new != confirm:
            raise InputError("the two new passwords differ")
        change_password(session, user, current, new, client_ip(request))
    except InputError as error:
        session.commit()  # a wrong current password is logged as refused
        return render(request, "auth/password.html",
                      {"error": error_message(request, error), "done": False}, status_code=400)
    session.commit()
    return render(request, "auth/password.html", {"error": None, "done": True})
