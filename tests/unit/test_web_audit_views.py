"""Page views read at once are each in the audit trail before their page is shown, written
together (group commit) in one unbroken chain."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from filature.cases import audit
from filature.cases.models import AuditEntry
from tests.cases_support import WebClient
from tests.unit.test_web import _first_buyer, _store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("web-audit") / "f.duckdb")


def test_views_read_at_once_are_all_logged_in_one_chain(store: Path,
                                                        web_client: WebClient) -> None:
    with web_client(store) as client:
        buyer = _first_buyer(client)
        database = client.app.state.cases.database  # type: ignore[attr-defined]
        seen: list[tuple[int, int, int]] = []  # (status, views read, views in the trail)

        def read() -> None:
            for done in range(1, 4):
                status = client.get(f"/targets/{buyer}").status_code
                with database.session() as session:
                    logged = session.scalar(select(func.count()).select_from(AuditEntry)
                                            .where(AuditEntry.action == "target.view"))
                seen.append((status, done, int(logged or 0)))

        threads = [threading.Thread(target=read) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [s for s, _, _ in seen] == [200] * 36
        # Each page came after its view was in the trail: a reader who has read n pages
        # finds at least n views there.
        assert all(logged >= done for _, done, logged in seen), seen
        with database.session() as session:
            views = session.scalars(select(AuditEntry).where(
                AuditEntry.action == "target.view")).all()
            report = audit.verify_chain(session)
        assert len(views) == 36 and {v.subject_id for v in views} == {buyer}
        assert report.ok, report.problems
