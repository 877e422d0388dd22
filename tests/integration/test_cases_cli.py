"""``filature users`` and ``filature audit`` from the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import text
from typer.testing import CliRunner

from filature.cli import app


def _run(url: str, *args: str):
    return CliRunner().invoke(app, list(args), env={"FILATURE_CASES_URL": url})


def test_users_and_audit_commands(case_db, fast_passwords) -> None:
    url = case_db.engine.url.render_as_string(hide_password=False)
    added = _run(url, "users", "add", "alice", "--role", "supervisor", "--name", "Alice Martin",
                 "--capacity", "12")
    assert added.exit_code == 0, added.output
    first = re.search(r"temporary password: (\S+)", added.output).group(1)
    assert _run(url, "users", "add", "bob", "--role", "chief").exit_code != 0   # unknown role
    assert _run(url, "users", "add", "bob", "--role", "investigator").exit_code == 0
    reset = _run(url, "users", "reset", "alice")
    second = re.search(r"temporary password: (\S+)", reset.output).group(1)
    assert second != first
    assert _run(url, "users", "disable", "bob").exit_code == 0
    listing = _run(url, "users", "list").output
    assert re.search(r"alice .*supervisor .*yes .*12", listing)
    assert re.search(r"bob .*investigator .*no", listing)

    verified = _run(url, "audit", "verify")
    assert verified.exit_code == 0 and "audit trail intact" in verified.output
    shown = _run(url, "audit", "show", "--subject", "user:bob", "--jsonl")
    assert [line.count('"action"') for line in shown.output.splitlines()] == [1, 1]
    assert "user.disable" in shown.output and "user.add" in shown.output

    with case_db.engine.begin() as con:
        con.execute(text("UPDATE audit_log SET subject_id = 'carol' WHERE seq = 2"))
    broken = _run(url, "audit", "verify")
    assert broken.exit_code == 1 and "entry 2 was altered" in broken.output


def test_audit_verify_fails_after_an_entry_is_removed(case_db, fast_passwords) -> None:
    url = case_db.engine.url.render_as_string(hide_password=False)
    for name in ("ann", "ben", "cat"):
        assert _run(url, "users", "add", name, "--role", "analyst").exit_code == 0
    with case_db.engine.begin() as con:
        con.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    broken = _run(url, "audit", "verify")
    assert broken.exit_code == 1 and "entries 2 to 2 are missing" in broken.output


def test_audit_purge_without_a_period_erases_nothing(case_db) -> None:
    url = case_db.engine.url.render_as_string(hide_password=False)
    result = _run(url, "audit", "purge", "--yes")
    assert result.exit_code == 0 and "nothing erased" in result.output
    purged = _run(url, "audit", "purge", "--audit-days", "30", "--yes")
    assert purged.exit_code == 0 and "0 audit entries erased" in purged.output
    assert _run(url, "audit", "verify").exit_code == 0
