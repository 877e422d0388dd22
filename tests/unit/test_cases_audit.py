"""The audit trail: an honest log verifies; an entry edited, removed or forged does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from filature.cases import audit
from filature.cases.audit import Actor, AuditFilter

ALICE = Actor("alice", "supervisor", "10.0.0.5")
BOB = Actor("bob", "investigator", "10.0.0.6")


def _fill(db, n: int = 6, start: datetime | None = None) -> None:
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as session:
        for i in range(n):
            actor = ALICE if i % 2 else BOB
            audit.record(session, actor, "case.view", subject_type="case",
                         subject_id=f"C-2026-{i:05d}", detail={"note": "été", "i": i},
                         at=start + timedelta(days=i))


def _verify(db) -> audit.ChainReport:
    with db.session() as session:
        return audit.verify_chain(session)


def test_honest_log_verifies(case_db) -> None:
    _fill(case_db)
    report = _verify(case_db)
    assert report.ok, report.problems
    assert report.entries == 6 and report.last_seq == 6


def test_empty_log_verifies(case_db) -> None:
    assert _verify(case_db).ok


@pytest.mark.parametrize("column, value", [
    ("username", "'mallory'"), ("detail", "'{}'"), ("subject_id", "'C-2026-99999'"),
    ("outcome", "'denied'"),
])
def test_an_edited_entry_is_found(case_db, column: str, value: str) -> None:
    _fill(case_db)
    with case_db.engine.begin() as con:
        con.execute(text(f"UPDATE audit_log SET {column} = {value} WHERE seq = 3"))
    report = _verify(case_db)
    assert not report.ok
    assert any("entry 3 was altered" in p for p in report.problems)


def test_an_edited_entry_with_its_hash_recomputed_is_found(case_db) -> None:
    """Recomputing the edited entry's own hash moves the break to the next entry."""
    _fill(case_db)
    with case_db.session() as session:
        entry = session.get(audit.AuditEntry, 3)
        entry.username = "mallory"
        entry.entry_hash = audit.entry_digest(entry)
    report = _verify(case_db)
    assert any("entry 4 does not follow entry 3" in p for p in report.problems)


@pytest.mark.parametrize("seq", [1, 3, 6])
def test_a_removed_entry_is_found(case_db, seq: int) -> None:
    _fill(case_db)
    with case_db.engine.begin() as con:
        con.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": seq})
    report = _verify(case_db)
    assert not report.ok
    assert any(f"{seq}" in p and "missing" in p for p in report.problems)


def test_purge_erases_old_entries_keeps_the_rest_verifiable_and_logs_itself(case_db) -> None:
    _fill(case_db, 6)
    with case_db.session() as session:
        erased = audit.purge_before(session, ALICE, datetime(2026, 1, 3, tzinfo=UTC))
    assert erased == 2
    report = _verify(case_db)
    assert report.ok, report.problems
    assert report.first_seq == 3 and report.entries == 5
    with case_db.session() as session:
        last, _ = audit.query_entries(session, AuditFilter(action="audit.purge"))
    assert last[0].username == "alice" and '"erased": 2' in last[0].detail
    # removing the first kept entry afterwards is still caught
    with case_db.engine.begin() as con:
        con.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    assert not _verify(case_db).ok


def test_query_filters_by_user_subject_action_and_date(case_db) -> None:
    _fill(case_db, 6)
    with case_db.session() as session:
        by_user, n_user = audit.query_entries(session, AuditFilter(username="alice"))
        by_subject, _ = audit.query_entries(session, AuditFilter(subject="case:C-2026-00002"))
        by_date, n_date = audit.query_entries(session, AuditFilter(
            since=datetime(2026, 1, 2, tzinfo=UTC), until=datetime(2026, 1, 4, tzinfo=UTC)))
        none, n_none = audit.query_entries(session, AuditFilter(action="login"))
    assert n_user == 3 and {e.username for e in by_user} == {"alice"}
    assert [e.seq for e in by_subject] == [3]
    assert n_date == 2 and [e.seq for e in by_date] == [3, 2]  # newest first
    assert n_none == 0 and not none


def test_appends_from_many_connections_at_once_all_land_in_one_chain(case_db) -> None:
    """Twenty users signing in together: each append takes the chain's head under the
    database's write lock, so none fails on a taken sequence number and the chain holds."""
    import threading

    errors: list[BaseException] = []

    def append() -> None:
        for _ in range(5):
            try:
                with case_db.session() as session:
                    audit.record(session, ALICE, "login", subject_type="user",
                                 subject_id="alice")
            except BaseException as error:  # noqa: BLE001 - collected for the assertion
                errors.append(error)

    threads = [threading.Thread(target=append) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:1]
    report = _verify(case_db)
    assert report.ok, report.problems
    assert report.entries == 40 and report.last_seq == 40


def test_page_views_written_together_each_return_once_their_entry_is_in_the_chain(
        case_db) -> None:
    """The web app's view log batches the views that wait for the trail's lock: every view
    is in the chain when ``append`` returns, in one unbroken chain."""
    import threading

    from filature.web.view_log import ViewLog

    log = ViewLog(case_db)
    errors: list[BaseException] = []
    seen_after_return: list[bool] = []

    def view(k: int) -> None:
        for i in range(5):
            try:
                log.append(ALICE, "view_target", subject_type="target",
                           subject_id=f"SE-{k}-{i}")
                with case_db.session() as session:
                    found = session.execute(
                        text("SELECT count(*) FROM audit_log WHERE subject_id = :s"),
                        {"s": f"SE-{k}-{i}"}).scalar()
                seen_after_return.append(found == 1)
            except BaseException as error:  # noqa: BLE001 - collected for the assertion
                errors.append(error)

    threads = [threading.Thread(target=view, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:1]
    assert len(seen_after_return) == 40 and all(seen_after_return)
    report = _verify(case_db)
    assert report.ok, report.problems
    assert report.entries == 40
