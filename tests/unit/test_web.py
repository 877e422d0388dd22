"""The web app's pages through the test client, on a tiny screened store written to disk,
signed in as an analyst on a case database of the test's own."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from filature.resolve.exact import resolve_exact
from filature.scoring.run import run_screening
from filature.store import open_store
from tests.builders import alias_top_sender, corridor_world
from tests.cases_support import WebClient


def _store(path: Path, screen: bool = True) -> Path:
    world = corridor_world()
    world.send("claude marchand", "maria santos", 30, day=9, hour=23, phone="+33612345678")
    con = open_store(path)
    if not screen:  # an empty store: nothing loaded, nothing screened
        con.close()
        return path
    # One Arrow table instead of row-by-row inserts: the same rows, a hundred times faster.
    columns = [d[0] for d in con.execute("SELECT * FROM transfers LIMIT 0").description]
    rows = pa.table({c: [r[i] for r in world.rows] for i, c in enumerate(columns)})
    con.register("builder_rows", rows)
    con.execute("INSERT INTO transfers SELECT * FROM builder_rows")
    resolve_exact(con)
    run_screening(con, capacity=5)
    con.close()
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("web") / "f.duckdb")


@pytest.fixture
def client(store: Path, web_client: WebClient) -> Iterator[TestClient]:
    with web_client(store) as c:
        yield c


def _ids(page: str, kind: str) -> list[str]:
    return re.findall(rf'href="/{kind}/([^"?#]+)"', page)


def _text(response: httpx.Response) -> str:
    """The page as a reader sees its words (entities such as &#39; decoded)."""
    return html.unescape(response.text)


def _first_buyer(client: TestClient) -> str:
    return _ids(client.get("/targets").text, "targets")[0]


def test_overview_shows_the_run_against_capacity_in_french(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "5 cibles retenues pour une capacité de 5" in page.text
    assert "Aucun fichier chargé" in page.text  # the builder inserts rows without a file


def test_queue_ranks_buyers_first_and_marks_the_targets(client: TestClient) -> None:
    page = client.get("/targets").text
    rows = re.findall(r"<tr( class=\"target\")?>\s*<td class=\"num\">(\d+)", page)
    assert [int(rank) for _, rank in rows][:6] == [1, 2, 3, 4, 5, 6]
    assert [bool(cls) for cls, _ in rows][:6] == [True] * 5 + [False]
    names = re.findall(r'href="/targets/[^"]+">([^<]+)</a>', page)
    assert all(name.startswith("Buyer") for name in names[:5])
    assert "Page 1 sur 2" in page


def test_queue_filters_sort_and_pages(client: TestClient) -> None:
    targets = client.get("/targets", params={"status": "target"}).text
    assert len(_ids(targets, "targets")) == 5
    nobody = client.get("/targets", params={"country": "PH"}).text
    assert "Aucun expéditeur ne correspond" in nobody
    night = client.get("/targets", params={"indicator": "S05"}).text
    # family remittances are sent by day
    assert not re.search(r"Ana\d+ Garcia", night) and "Buyer0" in night
    by_total = client.get("/targets", params={"sort": "total_eur"}).text
    assert re.search(r'href="/targets/[^"]+">Ana\d+ Garcia', by_total)
    banded = client.get("/targets", params={"min_score": "5", "max_score": "100"}).text
    assert "7 expéditeurs" in banded  # five buyers and the two occasional night senders
    second = client.get("/targets", params={"page": "2"}).text
    assert "Page 2 sur 2" in second and not set(_ids(second, "targets")) & set(
        _ids(client.get("/targets").text, "targets"))
    assert client.get("/targets", params={"min_score": "abc"}).status_code == 400


def test_htmx_gets_only_the_table(client: TestClient) -> None:
    partial = client.get("/targets", params={"page": "2"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "Page 2 sur 2" in partial.text
    restored = client.get("/targets", params={"page": "2"},
                          headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text  # the back button gets the whole page again


def test_target_page_explains_the_score_and_shows_transfers_and_network(
        client: TestClient) -> None:
    page = client.get(f"/targets/{_first_buyer(client)}").text
    assert "Paie des bénéficiaires qui ressemblent à des facilitateurs" in page
    assert "AUSTRAC" in page  # each contribution names its published source
    assert page.count('<tr class="night">') == 8  # the buyer's eight transfers, all at 23:00
    for receiver in ("Maria Santos", "Liza Cruz", "Joy Reyes"):
        assert receiver in page
    elements = json.loads(re.search(r'id="network-data">(.*?)</script>', page, re.S)[1])
    kinds = {e["data"].get("kind") for e in elements if "source" not in e["data"]}
    assert kinds == {"buyer", "receiver", "target", "payer"}  # other buyers, occasional payer
    timeline = json.loads(re.search(r'id="timeline-data">(.*?)</script>', page, re.S)[1])
    assert len(timeline["points"]) == 8 and all(p["night"] for p in timeline["points"])
    assert "Cebu City" in page


def test_language_switch_keeps_the_page_and_uses_english_labels(client: TestClient) -> None:
    target = f"/targets/{_first_buyer(client)}"
    switched = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == target
    try:
        page = client.get(target).text
        assert '<html lang="en">' in page
        assert "Pays receivers that look like facilitators" in page
        assert "Why this score" in page
    finally:
        client.get("/lang/fr")
    outside = client.get("/lang/en", params={"next": "//example.org/x"}, follow_redirects=False)
    assert outside.headers["location"] == "/"
    client.get("/lang/fr")


def test_facilitator_page_ranks_every_payer(client: TestClient) -> None:
    receivers = _ids(client.get(f"/targets/{_first_buyer(client)}").text, "facilitators")
    pages = [client.get(f"/facilitators/{r}").text for r in dict.fromkeys(receivers)]
    maria = next(p for p in pages if "<h1>Maria Santos" in p)
    payers = re.findall(r'<td><a href="/targets/[^"]+">([^<]+)</a>', maria)
    assert len(payers) == 7 and set(payers[5:]) == {"Occasional Bob", "Claude Marchand"}
    assert all(name.startswith("Buyer") for name in payers[:5])  # likeliest buyers first
    assert "Cebu City" in maria


def test_search_finds_names_phones_and_transfer_ids(client: TestClient) -> None:
    by_name = client.get("/search", params={"q": "liza"}).text
    assert "Liza Cruz" in by_name and "Bénéficiaire" in by_name
    by_phone = client.get("/search", params={"q": "06 12 34 56 78"}).text
    assert "Claude Marchand" in by_phone and "téléphone" in by_phone
    by_transfer = client.get("/search", params={"q": "t000001"}).text
    assert "Buyer0 Dupont" in by_transfer and "Maria Santos" in by_transfer
    assert "Aucun résultat" in client.get("/search", params={"q": "zzzz"}).text


def test_unknown_target_is_a_clear_404(client: TestClient) -> None:
    page = client.get("/targets/S-nobody")
    assert page.status_code == 404
    assert "S-nobody" in _text(page) and "Retour à la vue d'ensemble" in _text(page)


def test_concurrent_readers_each_get_their_page(client: TestClient) -> None:
    buyer = _first_buyer(client)
    statuses: list[int] = []

    def read() -> None:
        for url in ("/targets", f"/targets/{buyer}", "/search?q=maria"):
            statuses.append(client.get(url).status_code)

    threads = [threading.Thread(target=read) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 36


def test_every_form_control_has_a_label(client: TestClient) -> None:
    for url in ("/targets", "/search", "/import"):
        page = client.get(url).text
        controls = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"',
                              page)
        assert controls, url
        for control in controls:
            assert f'<label for="{control}"' in page, (url, control)


def test_store_without_a_run_says_what_to_do(tmp_path: Path, web_client: WebClient) -> None:
    with web_client(_store(tmp_path / "empty.duckdb", screen=False)) as c:
        assert "Aucun criblage pour l'instant" in _text(c.get("/"))
        assert "Aucun criblage pour l'instant" in _text(c.get("/targets"))
        assert c.get("/targets/S-x").status_code == 404


def test_a_target_id_merged_away_by_a_later_resolution_leads_to_the_person(
        tmp_path: Path, web_client: WebClient) -> None:
    path = _store(tmp_path / "f.duckdb")
    current = alias_top_sender(path, "SE-merged")
    with web_client(path) as client:
        moved = client.get("/targets/SE-merged", follow_redirects=False)
        assert moved.status_code == 307 and moved.headers["location"] == f"/targets/{current}"
        assert client.get("/targets/SE-never-existed").status_code == 404
