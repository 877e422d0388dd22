"""Accounts and sign-in: add, disable, reset and list users; open and close login sessions.

Every change to an account, every login and every failed login goes to the audit trail.
A login session is a random token held by the browser; the database keeps only its hash,
so a copy of the database does not let anyone sign in as someone else.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from filature.cases import audit
from filature.cases.audit import Actor
from filature.cases.models import LoginSession, User
from filature.cases.passwords import (
    check_password,
    dummy_hash,
    hash_password,
    needs_rehash,
    temporary_password,
)
from filature.cases.roles import parse_role
from filature.errors import InputError, NotFound

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def actor_of(user: User, ip: str | None = None) -> Actor:
    """The audit actor for a signed-in user."""
    return Actor(username=user.username, role=user.role, ip=ip)


def get_user(session: Session, username: str) -> User:
    """The user named ``username``, or NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}", key="user.not_found",
                       params={"username": username})
    return user


def add_user(session: Session, actor: Actor, username: str, *, role: str, display_name: str,
             email: str | None = None, password: str | None = None,
             case_capacity: int | None = None) -> tuple[User, str | None]:
    """Create an account; without a password a temporary one is made and returned once.

    A temporary password must be changed at the first login.
    """
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InputError(f"username {username!r}: 2-64 lower-case letters, digits, . _ -",
                         key="user.bad_username", params={"username": username})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InputError(f"a user named {username!r} already exists", key="user.exists",
                         params={"username": username})
    given = temporary_password() if password is None else password
    now = datetime.now(UTC)
    user = User(username=username, display_name=display_name.strip() or username,
                email=email, role=parse_role(role).value, password_hash=hash_password(given),
                active=True, must_change_password=password is None, created_at=now,
                password_changed_at=now, case_capacity=case_capacity)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", subject_type="user", subject_id=username,
                 detail={"role": user.role, "case_capacity": case_capacity})
    return user, (given if password is None else None)


def disable_user(session: Session, actor: Actor, username: str) -> User:
    """Refuse this user's future logins and end their open sessions; history is kept."""
    user = get_user(session, username)
    user.active = False
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    audit.record(session, actor, "user.disable", subject_type="user", subject_id=username)
    return user


def reset_password(session: Session, actor: Actor, username: str) -> str:
    """Give the user a new temporary password (returned once), ending their sessions."""
    user = get_user(session, username)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = datetime.now(UTC)
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    audit.record(session, actor, "user.reset", subject_type="user", subject_id=username)
    return password


def change_password(session: Session, user: User, current: str, new: str,
                    ip: str | None = None) -> None:
    """The user's own change: needs the current password; clears the must-change flag."""
    if not check_password(user.password_hash, current):
        audit.record(session, actor_of(user, ip), "password.change", subject_type="user",
                     subject_id=user.username, outcome="denied")
        raise InputError("the current password is wrong", key="user.wrong_password")
    if new == current:
        raise InputError("the new password must differ from the current one",
                         key="user.same_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = datetime.now(UTC)
    audit.record(session, actor_of(user, ip), "password.change", subject_type="user",
                 subject_id=user.username)


def set_capacity(session: Session, actor: Actor, username: str, capacity: int | None) -> User:
    """Set how many open cases this person can carry (shown on the workload page)."""
    if capacity is not None and capacity < 0:
        raise InputError("a case capacity cannot be negative", key="user.negative_capacity")
    user = get_user(session, username)
    user.case_capacity = capacity
    audit.record(session, actor, "user.capacity", subject_type="user", subject_id=username,
                 detail={"case_capacity": capacity})
    return user


def list_users(session: Session) -> Sequence[User]:
    """Every account, active first, by username."""
    return session.scalars(select(User).order_by(User.active.desc(), User.username)).all()


def authenticate(session: Session, username: str, password: str,
                 ip: str | None = None) -> User | None:
    """The active user whose password matches, else None; both outcomes are logged."""
    username = username.strip().lower()
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password(dummy_hash(), password)
        reason = "unknown user"
    elif not check_password(user.password_hash, password):
        reason = "wrong password"
    elif not user.active:
        reason = "account disabled"
    else:
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        audit.record(session, actor_of(user, ip), "login", subject_type="user",
                     subject_id=username)
        return user
    audit.record(session, Actor(username=username[:64], role=None, ip=ip), "login",
                 subject_type="user", subject_id=username[:200], outcome="denied",
                 detail={"reason": reason})
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def open_login_session(session: Session, user: User, hours: float,
                       ip: str | None = None) -> str:
    """Create a login session and return its token (to put in the cookie, nowhere else)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(LoginSession(token_sha256=_token_hash(token), user_id=user.id, created_at=now,
                             expires_at=now + timedelta(hours=hours), ip=ip))
    session.flush()
    return token


# Built once: every page asks.
_SIGNED_IN = (select(User).join(LoginSession, LoginSession.user_id == User.id)
              .where(LoginSession.token_sha256 == bindparam("digest"), User.active,
                     LoginSession.expires_at > bindparam("now")))


def user_for_token(session: Session, token: str | None) -> User | None:
    """The active user behind a cookie token, if the session exists and has not expired.

    One query for the usual case, a valid session (every page asks); an expired or disabled
    one is then looked up again to remove its row."""
    if not token:
        return None
    digest = _token_hash(token)
    user = session.scalar(_SIGNED_IN, {"digest": digest, "now": datetime.now(UTC)})
    if user is not None:
        return user
    row = session.scalar(select(LoginSession).where(LoginSession.token_sha256 == digest))
    if row is not None:
        session.delete(row)
    return None


def close_login_session(session: Session, token: str | None, ip: str | None = None) -> None:
    """End the session behind ``token`` (logout), logging it."""
    if not token:
        return
    row = session.scalar(select(LoginSession).where(
        LoginSession.token_sha256 == _token_hash(token)))
    if row is not None:
        audit.record(session, actor_of(row.user, ip), "logout", subject_type="user",
                     subject_id=row.user.username)
        session.delete(row)
