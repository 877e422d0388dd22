"""The queue held in memory (``RankedQueue``) pages exactly as the SQL it replaced: the same
senders, in the same order, with the same count, for every sort and filter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from filature.store import open_store
from filature.web.services.prepare import DB, prepare_run
from filature.web.services.queue import SORTS, QueueFilters, _where, queue_page
from tests.unit.test_web import _store


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    con = open_store(_store(tmp_path_factory.mktemp("queue") / "f.duckdb"))
    run_id = str(con.execute("SELECT run_id FROM screening_runs").fetchall()[0][0])
    prepare_run(con, run_id, 9)
    yield con, run_id
    con.close()


def _by_sql(cur: duckdb.DuckDBPyConnection, filters: QueueFilters,
            per_page: int) -> tuple[list[int], int]:
    """The page's ranks and the count, as one query over the queue table would give them."""
    where, params = _where(filters)
    total = cur.execute(f"SELECT count(*) FROM {DB}.queue WHERE {where}", params).fetchall()
    pages = max(1, -(-int(total[0][0]) // per_page))
    offset = (min(filters.page, pages) - 1) * per_page
    ranks = cur.execute(f"SELECT rank FROM {DB}.queue WHERE {where} ORDER BY "
                        f"{filters.order_by()} LIMIT {per_page} OFFSET {offset}", params)
    return [r[0] for r in ranks.fetchall()], int(total[0][0])


FILTERS = [
    QueueFilters(),
    QueueFilters(page=2),
    QueueFilters(page=99),                       # past the end: the last page
    QueueFilters(status="target"),
    QueueFilters(status="below", sort="name"),
    QueueFilters(min_score=1, max_score=6, sort="score", order="asc"),
    QueueFilters(indicator="S05", sort="transfers"),
    QueueFilters(country="FR", sort="country", order="desc"),
    QueueFilters(country="PH"),                  # nobody
    *[QueueFilters(sort=key, order=order, page=2) for key in SORTS for order in ("asc", "desc")],
]


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_a_page_holds_the_senders_the_query_would_give(prepared: tuple[Any, str],
                                                        filters: QueueFilters) -> None:
    con, run_id = prepared
    cur = con.cursor()
    page = queue_page(cur, run_id, filters, per_page=7)
    ranks, total = _by_sql(cur, filters, 7)
    assert [row.rank for row in page.rows] == ranks
    assert page.total == total
    row = page.rows[0] if page.rows else None
    if row is not None:  # the row a template reads, with Python values as a query gives
        shown = cur.execute(f"SELECT sender_id, name, score, transfers, is_target FROM {DB}.queue "
                            "WHERE rank = ?", [row.rank]).fetchall()[0]
        assert (row.sender_id, row.name, row.score, row.transfers, row.is_target) == shown
        assert row.last_seen.year > 2000


def test_the_queue_of_a_new_run_replaces_the_old(prepared: tuple[Any, str],
                                                 tmp_path: Path) -> None:
    con, run_id = prepared
    before = queue_page(con.cursor(), run_id, QueueFilters())
    other = open_store(_store(tmp_path / "other.duckdb"))
    try:
        other_run = str(other.execute("SELECT run_id FROM screening_runs").fetchall()[0][0])
        prepare_run(other, other_run, 9)
        assert queue_page(other.cursor(), other_run, QueueFilters()).total == before.total
    finally:
        other.close()
    assert queue_page(con.cursor(), run_id, QueueFilters()).rows == before.rows
