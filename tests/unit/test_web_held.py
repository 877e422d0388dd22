"""The rows held in memory for a run (``HeldSenders``, ``HeldFlags``) are the rows the queries
give: the same target, transfers, beneficiaries, network and session flags for every sender,
with the same Python types; each app keeps its own run's pages, replaced by a new run's; the
page tables are stored in their order; and a queue row still names its sender's open case."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from filature.errors import NotFound
from filature.scoring.run import run_screening
from filature.settings import Settings
from filature.store import open_store
from filature.web import store as web_store
from filature.web.services import parties
from filature.web.services.prepare import DB, prepare_run
from filature.web.services.queue import QueueFilters
from filature.web.services.sender_rows import HeldSenders, SenderQueries
from filature.web.services.sessions import HeldFlags, session_evidence
from filature.web.store import WebStore
from tests.builders import alias_top_sender
from tests.cases_support import WebClient
from tests.conftest import ScreenedWorld
from tests.unit.test_web import _store
from tests.unit.test_web_referrals import ids, store  # noqa: F401 - fixtures (session flags)


@pytest.fixture(scope="module")
def prepared(screened_world: ScreenedWorld,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The small synthetic world's page tables (a copy of its store: this one is written)."""
    db = tmp_path_factory.mktemp("held") / "f.duckdb"
    shutil.copy(screened_world.db, db)
    con = open_store(db)
    prepare_run(con, screened_world.run_id, parties.OTHER_PAYERS + 1)
    yield con
    con.close()


def _types(rows: list[dict[str, Any]]) -> list[list[str]]:
    # Decimal('1.50') == 1.5 and a date equals nothing else: equality alone would not
    # catch a column come back as another type.
    return [[f"{k}:{type(v).__name__}" for k, v in row.items()] for row in rows]


def _page(source: Any, sender_id: str) -> dict[str, Any]:
    """What a target page shows of a sender, read from ``source``."""
    target = parties.target(source, sender_id)
    transfers = parties.sender_transfers(source, sender_id)
    receivers = parties.beneficiaries(source, sender_id)
    return {"target": target, "transfers": transfers, "receivers": receivers,
            "identities": parties.sender_identities(transfers),
            "network": parties.network(sender_id, target["name"], receivers)}


def test_every_sender_reads_the_same_rows_from_memory_as_by_query(
        prepared: duckdb.DuckDBPyConnection, screened_world: ScreenedWorld) -> None:
    cur = prepared.cursor()
    held, queries = HeldSenders(cur, screened_world.run_id), SenderQueries(cur)
    senders = [r[0] for r in cur.execute(f"SELECT sender_id FROM {DB}.senders").fetchall()]
    assert len(senders) > 1000
    for sender_id in senders:
        by_query, in_memory = _page(queries, sender_id), _page(held, sender_id)
        assert in_memory == by_query, sender_id
        for part in ("transfers", "receivers"):
            assert _types(in_memory[part]) == _types(by_query[part]), sender_id
        assert _types([in_memory["target"]]) == _types([by_query["target"]])


def test_a_sender_with_many_transfers_gets_all_of_them_in_order(
        prepared: duckdb.DuckDBPyConnection, screened_world: ScreenedWorld) -> None:
    cur = prepared.cursor()
    held, queries = HeldSenders(cur, screened_world.run_id), SenderQueries(cur)
    busiest, n = cur.execute(f"SELECT sender_id, count(*) AS n FROM {DB}.sender_tx "
                             "GROUP BY ALL ORDER BY n DESC, sender_id LIMIT 1").fetchone()
    assert n >= 30
    transfers = parties.sender_transfers(held, busiest)
    assert len(transfers) == n
    assert transfers == parties.sender_transfers(queries, busiest)
    assert [tx["sent_at"] for tx in transfers] == sorted(tx["sent_at"] for tx in transfers)
    assert sorted(held.link_rows(busiest), key=lambda r: r["receiver_id"]) == \
        sorted(queries.link_rows(busiest), key=lambda r: r["receiver_id"])


def test_a_party_without_rows_in_the_run_is_not_found_either_way(
        prepared: duckdb.DuckDBPyConnection, screened_world: ScreenedWorld) -> None:
    cur = prepared.cursor()
    held, queries = HeldSenders(cur, screened_world.run_id), SenderQueries(cur)
    receiver = cur.execute(f"SELECT receiver_id FROM {DB}.receivers LIMIT 1").fetchone()[0]
    for absent in (receiver, "S-not-in-this-run", ""):
        for source in (held, queries):
            assert source.target_row(absent) is None
            assert source.transfer_rows(absent) == [] and source.link_rows(absent) == []
            with pytest.raises(NotFound):
                parties.target(source, absent)


def test_a_merged_id_has_no_rows_in_memory_and_its_page_leads_to_the_person(
        tmp_path: Path, web_client: WebClient) -> None:
    path = _store(tmp_path / "f.duckdb")
    current = alias_top_sender(path, "SE-gone")
    with web_client(path) as client:
        store_of_app = client.app.state.store
        with store_of_app.cursor() as cur:
            pages = store_of_app.run_pages(cur)
        assert pages.senders.target_row("SE-gone") is None
        assert pages.senders.target_row(current)["sender_id"] == current
        moved = client.get("/targets/SE-gone", follow_redirects=False)
        assert moved.status_code == 307 and moved.headers["location"] == f"/targets/{current}"
        assert client.get(moved.headers["location"]).status_code == 200


def test_session_flags_in_memory_are_the_flags_the_query_gives(
        store: Path, ids: dict[str, str]) -> None:  # noqa: F811 - the imported fixtures
    con = open_store(store)
    try:
        cur = con.cursor()
        held = HeldFlags(cur)
        assert held.window == 6.0
        flagged = held.evidence(ids["claude_marchand"])
        assert flagged.count == 1 and flagged.sources == ["vidchat.csv (VidChat)"]
        for sender_id in (ids["claude_marchand"], ids["buyer0_dupont"], "S-nobody"):
            assert held.evidence(sender_id) == session_evidence(cur, sender_id, 6.0)
    finally:
        con.close()


def test_a_store_without_flags_holds_none(prepared: duckdb.DuckDBPyConnection) -> None:
    held = HeldFlags(prepared.cursor())
    assert held.window is None and held.evidence("S-any").count == 0


def test_two_apps_keep_their_own_run_pages(tmp_path: Path) -> None:
    first, second = (WebStore(_store(tmp_path / f"{n}.duckdb"), Settings()) for n in "ab")
    try:
        with first.cursor() as a, second.cursor() as b:
            pages_a, pages_b = first.run_pages(a), second.run_pages(b)
            assert pages_a.run_id != pages_b.run_id
            assert pages_a.queue.run_id == pages_a.run_id
            assert pages_b.queue.run_id == pages_b.run_id
            # Reading one app's pages does not evict the other's (a shared cache did).
            assert first.run_pages(a) is pages_a and second.run_pages(b) is pages_b
            assert pages_a.queue is not pages_b.queue
    finally:
        first.close()
        second.close()


def test_a_new_run_replaces_the_pages_held(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_store, "RUN_CHECK_SECONDS", 0.0)
    store_ = WebStore(_store(tmp_path / "f.duckdb"), Settings())
    try:
        with store_.cursor() as cur:
            before = store_.run_pages(cur)
            assert store_.run_pages(cur) is before  # kept while the run is the latest
            run_screening(cur, capacity=3)
            after = store_.run_pages(cur)
            assert after.run_id != before.run_id
            assert after.senders.run_id == after.queue.run_id == after.run_id
            top = after.queue.page(cur, QueueFilters(), 1).rows[0]
            assert after.senders.target_row(top.sender_id)["rank"] == 1
    finally:
        store_.close()


def test_the_page_tables_are_written_in_order_without_changing_the_callers_setting(
        screened_world: ScreenedWorld, tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    shutil.copy(screened_world.db, db)
    con = open_store(db)  # the store's connection: no promise of insertion order
    try:
        setting = "SELECT current_setting('preserve_insertion_order')"
        before = con.execute(setting).fetchone()
        prepare_run(con, screened_world.run_id, parties.OTHER_PAYERS + 1)
        assert con.execute(setting).fetchone() == before
        stored = [r[0] for r in con.execute(f"SELECT sender_id FROM {DB}.sender_tx").fetchall()]
        assert stored == sorted(stored)
    finally:
        con.close()


def test_a_queue_row_names_the_open_case_of_its_sender_and_only_that_row(
        tmp_path: Path, web_client: WebClient) -> None:
    from tests.cases_support import csrf_of

    with web_client(_store(tmp_path / "f.duckdb"), role="investigator") as client:
        senders = re.findall(r'<a href="/targets/([^"]+)">', client.get("/targets").text)
        opened = client.post("/cases", data={"kind": "target", "origin_id": senders[1],
                                             "csrf_token": csrf_of(client, "/targets")},
                             follow_redirects=False)
        assert opened.status_code == 303
        rows = re.findall(r"<tr[ >].*?</tr>", client.get("/targets").text, re.S)
        tagged = [row for row in rows if 'class="tag case"' in row]
        assert len(tagged) == 1 and f"/targets/{senders[1]}" in tagged[0]
