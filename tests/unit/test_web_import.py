"""The import page: an upload is kept beside the store, loaded, its outcome shown and the
load written to the audit trail; the form needs its CSRF token."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.testclient import TestClient

from filature.cases.audit import AuditFilter, query_entries
from filature.store import open_store
from tests.cases_support import WebClient, csrf_of
from tests.ingest_files import canonical_row, write_csv


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "store" / "f.duckdb"
    db.parent.mkdir()
    open_store(db).close()
    return db


def _upload(client: TestClient, name: str, content: bytes, token: str | None = "form"):
    data = {"csrf_token": csrf_of(client, "/import")} if token == "form" else {}
    return client.post("/import", data=data, files={"file": (name, content, "text/csv")})


def _last_entry(client: TestClient):
    with client.app.state.cases.database.session() as session:  # type: ignore[attr-defined]
        rows, _ = query_entries(session, AuditFilter(), limit=1)
        return rows[0]


def test_upload_shows_accepted_and_quarantined_rows(tmp_path: Path,
                                                   web_client: WebClient) -> None:
    rows = [canonical_row(i) for i in range(1, 6)] + [canonical_row(6, amount="abc")]
    source = write_csv(tmp_path / "transfers.csv", rows)
    with web_client(_store(tmp_path)) as client:
        page = _upload(client, "transfers.csv", source.read_bytes())
        text = html.unescape(page.text)
        assert page.status_code == 200
        assert "Résultat du chargement" in text
        assert '<dd class="big">5</dd>' in text and '<dd class="big">1</dd>' in text
        saved = list((tmp_path / "store" / "uploads").glob("*-transfers.csv"))
        assert len(saved) == 1 and saved[0].read_bytes() == source.read_bytes()
        overview = html.unescape(client.get("/").text)
        assert "transfers.csv" in overview and "5 virements" in overview
        entry = _last_entry(client)
        assert (entry.action, entry.username, entry.outcome) == ("import", "analyst", "ok")
        assert '"added": 5' in entry.detail and '"quarantined": 1' in entry.detail


def test_upload_that_cannot_be_read_is_refused_with_its_reason(tmp_path: Path,
                                                               web_client: WebClient) -> None:
    with web_client(_store(tmp_path)) as client:
        page = _upload(client, "notes.docx", b"hello")
        assert page.status_code == 400
        assert "Fichier refusé, rien n'a été chargé" in html.unescape(page.text)
        assert ".csv" in page.text
        entry = _last_entry(client)
        assert (entry.action, entry.outcome, entry.subject_id) == ("import", "failed",
                                                                   "notes.docx")


def test_upload_without_the_forms_token_is_refused_and_logged(tmp_path: Path,
                                                              web_client: WebClient) -> None:
    with web_client(_store(tmp_path)) as client:
        page = _upload(client, "transfers.csv", b"a,b\n1,2\n", token=None)
        assert page.status_code == 403
        assert not list((tmp_path / "store").glob("uploads/*"))
        entry = _last_entry(client)
        assert (entry.action, entry.outcome) == ("access.denied", "denied")


def test_a_dependency_added_for_every_page_guards_every_router(tmp_path: Path,
                                                               web_client: WebClient,
                                                               monkeypatch) -> None:
    """One list of dependencies (the login), applied to every page router."""
    from filature.web import routes

    def refuse() -> None:
        raise HTTPException(status_code=401)

    monkeypatch.setattr(routes, "PAGE_DEPENDENCIES", [Depends(refuse)])
    with web_client(_store(tmp_path), role=None) as client:
        for url in ("/", "/targets", "/search", "/import", "/targets/x", "/facilitators/x",
                    "/cases", "/cases/1", "/workload", "/audit", "/referrals",
                    "/referrals/x", "/follow"):
            assert client.get(url).status_code == 401, url
        assert client.get("/login").status_code == 200  # the sign-in page stays open


def test_an_iso20022_message_can_be_uploaded(tmp_path: Path, web_client: WebClient) -> None:
    from tests.unit.test_iso20022 import pain001, pain_tx

    message = pain001([pain_tx(1), pain_tx(2), pain_tx(3, amount=None)]).encode()
    with web_client(_store(tmp_path)) as client:
        page = _upload(client, "bank-export.xml", message)
        assert page.status_code == 200
        assert '<dd class="big">2</dd>' in page.text and '<dd class="big">1</dd>' in page.text
