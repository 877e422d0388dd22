"""Accounts: Argon2 hashes, logins logged either way, disable and reset end sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from filature.cases import audit, passwords, users
from filature.cases.audit import SYSTEM, AuditFilter
from filature.cases.models import LoginSession
from filature.cases.roles import Permission, allows
from filature.errors import InputError

PASSWORD = "correct horse battery"


def test_production_hash_is_argon2id_with_the_library_defaults() -> None:
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and "m=65536,t=3,p=4" in stored
    assert PASSWORD not in stored
    assert passwords.check_password(stored, PASSWORD)
    assert not passwords.check_password(stored, PASSWORD + "!")
    assert not passwords.check_password("not a hash", PASSWORD)


def test_short_passwords_and_unknown_roles_are_refused(fast_passwords) -> None:
    with pytest.raises(InputError, match="12 characters"):
        passwords.hash_password("short")
    from filature.cases.roles import parse_role

    with pytest.raises(InputError, match="unknown role 'chief'"):
        parse_role("chief")
    assert parse_role("Partner-Liaison").value == "partner_liaison"


def _logins(db) -> list[tuple[str | None, str, str]]:
    with db.session() as session:
        rows, _ = audit.query_entries(session, AuditFilter(action="login"))
        return [(e.username, e.outcome, e.detail) for e in reversed(rows)]


def test_login_success_and_failures_are_all_logged(case_db, fast_passwords) -> None:
    with case_db.session() as session:
        users.add_user(session, SYSTEM, "Alice", role="supervisor", display_name="Alice Martin",
                       password=PASSWORD)
    with case_db.session() as session:
        assert users.authenticate(session, "alice", PASSWORD, "10.1.1.1") is not None
        assert users.authenticate(session, "alice", "wrong password!!") is None
        assert users.authenticate(session, "nobody", PASSWORD) is None
    logins = _logins(case_db)
    assert [(u, o) for u, o, _ in logins] == [("alice", "ok"), ("alice", "denied"),
                                              ("nobody", "denied")]
    assert "wrong password" in logins[1][2] and "unknown user" in logins[2][2]


def test_new_account_without_password_gets_a_temporary_one_to_change(case_db,
                                                                     fast_passwords) -> None:
    with case_db.session() as session:
        user, temporary = users.add_user(session, SYSTEM, "bob", role="investigator",
                                         display_name="Bob Durand")
    assert temporary and len(temporary) >= passwords.MIN_LENGTH
    with case_db.session() as session:
        bob = users.authenticate(session, "bob", temporary)
        assert bob is not None and bob.must_change_password
        with pytest.raises(InputError, match="current password is wrong"):
            users.change_password(session, bob, "not the temporary", "a brand new secret")
        users.change_password(session, bob, temporary, "a brand new secret")
    with case_db.session() as session:
        assert users.authenticate(session, "bob", temporary) is None
        again = users.authenticate(session, "bob", "a brand new secret")
        assert again is not None and not again.must_change_password


def test_duplicate_usernames_are_refused(case_db, fast_passwords) -> None:
    with case_db.session() as session:
        users.add_user(session, SYSTEM, "carla", role="analyst", display_name="Carla",
                       password=PASSWORD)
    with pytest.raises(InputError, match="already exists"), case_db.session() as session:
        users.add_user(session, SYSTEM, "Carla", role="analyst", display_name="C",
                       password=PASSWORD)


def test_disable_and_reset_end_sessions_and_block_the_old_password(case_db,
                                                                   fast_passwords) -> None:
    with case_db.session() as session:
        user, _ = users.add_user(session, SYSTEM, "dan", role="investigator",
                                 display_name="Dan", password=PASSWORD)
        token = users.open_login_session(session, user, hours=8)
    with case_db.session() as session:
        assert users.user_for_token(session, token).username == "dan"
        stored = session.scalars(select(LoginSession.token_sha256)).all()
        assert token not in stored and len(stored) == 1  # only a hash is kept
        new_password = users.reset_password(session, SYSTEM, "dan")
    with case_db.session() as session:
        assert users.user_for_token(session, token) is None
        assert users.authenticate(session, "dan", PASSWORD) is None
        user = users.authenticate(session, "dan", new_password)
        assert user is not None and user.must_change_password
        token = users.open_login_session(session, user, hours=8)
    with case_db.session() as session:
        users.disable_user(session, SYSTEM, "dan")
    with case_db.session() as session:
        assert users.user_for_token(session, token) is None
        assert users.authenticate(session, "dan", new_password) is None
        actions = [e.action for e in audit.iter_entries(session)]
    assert "user.disable" in actions and "user.reset" in actions


def test_an_expired_session_lets_nobody_in(case_db, fast_passwords) -> None:
    with case_db.session() as session:
        user, _ = users.add_user(session, SYSTEM, "eve", role="analyst", display_name="Eve",
                                 password=PASSWORD)
        token = users.open_login_session(session, user, hours=1)
        row = session.scalar(select(LoginSession))
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    with case_db.session() as session:
        assert users.user_for_token(session, token) is None
    with case_db.session() as session:  # the expired session's row was removed
        assert session.scalar(select(LoginSession)) is None


def test_need_to_know_in_the_permission_table() -> None:
    assert not allows("admin", Permission.CASES_VIEW)       # runs accounts, reads no case
    assert allows("admin", Permission.USERS_MANAGE)
    assert not allows("prosecutor", Permission.TARGETS_VIEW)
    assert not allows("partner_liaison", Permission.CASES_VIEW)
    assert allows("supervisor", Permission.AUDIT_VIEW)
    assert not allows("investigator", Permission.AUDIT_VIEW)
    assert not allows("someone", Permission.CASES_VIEW)
