"""The import page: an upload is kept beside the store, loaded, and its outcome shown."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.testclient import TestClient

from filature.store import open_store
from filature.web import create_app
from tests.ingest_files import canonical_row, write_csv


def _client(tmp_path: Path) -> TestClient:
    db = tmp_path / "store" / "f.duckdb"
    db.parent.mkdir()
    open_store(db).close()
    return TestClient(create_app(db))


def test_upload_shows_accepted_and_quarantined_rows(tmp_path: Path) -> None:
    rows = [canonical_row(i) for i in range(1, 6)] + [canonical_row(6, amount="abc")]
    source = write_csv(tmp_path / "transfers.csv", rows)
    with _client(tmp_path) as client:
        page = client.post("/import", files={"file": ("transfers.csv", source.read_bytes(),
                                                      "text/csv")})
        text = html.unescape(page.text)
        assert page.status_code == 200
        assert "Résultat du chargement" in text
        assert '<dd class="big">5</dd>' in text and '<dd class="big">1</dd>' in text
        saved = list((tmp_path / "store" / "uploads").glob("*-transfers.csv"))
        assert len(saved) == 1 and saved[0].read_bytes() == source.read_bytes()
        overview = html.unescape(client.get("/").text)
        assert "transfers.csv" in overview and "5 virements" in overview


def test_upload_that_cannot_be_read_is_refused_with_its_reason(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        page = client.post("/import", files={"file": ("notes.docx", b"hello", "text/plain")})
        assert page.status_code == 400
        assert "Fichier refusé, rien n'a été chargé" in html.unescape(page.text)
        assert ".csv" in page.text


def test_a_dependency_added_for_every_page_guards_every_router(tmp_path: Path,
                                                               monkeypatch) -> None:
    """The seam a login will use: one list of dependencies, applied to every router."""
    from filature.web import routes

    def refuse() -> None:
        raise HTTPException(status_code=401)

    monkeypatch.setattr(routes, "PAGE_DEPENDENCIES", [Depends(refuse)])
    with _client(tmp_path) as client:
        for url in ("/", "/targets", "/search", "/import", "/targets/x", "/facilitators/x"):
            assert client.get(url).status_code == 401, url
