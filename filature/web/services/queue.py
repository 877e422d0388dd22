"""The target queue: every scored sender of the run, filtered, sorted and paged.

Sort keys and directions come from fixed lists below (never from the request text); the
filter values are bound parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

import duckdb
import numpy as np

from filature.indicators.pack import load_pack
from filature.network.evidence import NETWORK_EVIDENCE
from filature.web.services import records
from filature.web.services.prepare import DB

PER_PAGE = 50

# sort key -> (column, natural direction)
SORTS: dict[str, tuple[str, str]] = {
    "rank": ("rank", "ASC"),
    "score": ("score", "DESC"),
    "name": ("name", "ASC"),
    "country": ("country", "ASC"),
    "transfers": ("transfers", "DESC"),
    "total_eur": ("total_eur", "DESC"),
    "receivers": ("receivers", "DESC"),
    "last_seen": ("last_seen", "DESC"),
}
STATUSES = ("all", "target", "below")


@dataclass
class QueueFilters:
    """What the reader asked for; unknown sort keys fall back to the rank."""

    country: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    indicator: str | None = None
    status: str = "all"
    sort: str = "rank"
    order: str | None = None  # asc | desc; None: the column's natural direction
    page: int = 1

    def __post_init__(self) -> None:
        self.sort = self.sort if self.sort in SORTS else "rank"
        self.status = self.status if self.status in STATUSES else "all"
        self.order = self.order if self.order in ("asc", "desc") else None
        self.page = max(1, self.page)
        self.country = self.country.strip().upper() if self.country else None

    def order_by(self) -> str:
        column, natural = SORTS[self.sort]
        direction = self.order.upper() if self.order else natural
        return f"{column} {direction} NULLS LAST, rank"


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    first: int = field(default=0)


# Filter -> its SQL condition; only the filters the reader set are applied, so DuckDB can
# push each one down to the scan. Values are bound parameters.
CONDITIONS = {
    "country": "country = $country",
    "min": "score >= $min",
    "max": "score < $max",
    "indicator": "list_contains(indicators, $indicator)",
    "status": "is_target = ($status = 'target')",
}


def _where(filters: QueueFilters) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {
        "country": filters.country, "min": filters.min_score, "max": filters.max_score,
        "indicator": filters.indicator or None,
        "status": filters.status if filters.status != "all" else None}
    params = {k: v for k, v in values.items() if v is not None}
    return " AND ".join([CONDITIONS[k] for k in params] or ["true"]), params


class QueueRow(NamedTuple):
    """One sender as a queue page shows him.

    A named tuple rather than a dict: a page reads about 700 attributes of its rows, and a
    tuple's are read by the interpreter directly, a fifth of the table's rendering."""

    rank: int
    sender_id: str
    score: float | None
    name: str | None
    country: str | None
    transfers: int
    total_eur: float | None
    first_seen: datetime | None
    last_seen: datetime | None
    receivers: int
    top_fr: str | None
    top_en: str | None
    is_target: bool


DISPLAY = QueueRow._fields
_MASKS_KEPT = 256


class RankedQueue:
    """One run's queue held in memory, column by column in rank order, to page it with no
    query: the run's queue never changes.

    Sorting 120,000 senders (1M transfers) in DuckDB for each page cost 5 to 20 ms of CPU,
    and fetching 50 scattered rows back from it about 6 ms. Here DuckDB still sorts and
    filters, with the same ORDER BY and WHERE as before, but once per sort order (kept as
    positions) and once per set of filters (kept as a mask); a page is then picked with
    numpy in well under a millisecond. It costs about 530 bytes a sender, orders included
    (64 MB for the 119,786 senders of 1M transfers).
    """

    def __init__(self, cur: duckdb.DuckDBPyConnection, run_id: str) -> None:
        self.run_id = run_id
        self.columns: dict[str, np.ndarray] = cur.execute(
            f"SELECT {', '.join(DISPLAY)} FROM {DB}.queue ORDER BY rank").fetchnumpy()  # noqa: S608
        self._orders: dict[str, np.ndarray] = {}
        self._masks: dict[tuple[Any, ...], np.ndarray] = {}
        for key in SORTS:  # every order now (16 sorts of the queue), not in a reader's wait
            for direction in ("asc", "desc"):
                self._positions(cur, QueueFilters(sort=key, order=direction).order_by())

    def _positions(self, cur: duckdb.DuckDBPyConnection, order_by: str) -> np.ndarray:
        """Row positions in the order ``order_by`` (read once per order)."""
        if order_by not in self._orders:
            ranks = cur.execute(f"SELECT rank FROM {DB}.queue ORDER BY {order_by}"  # noqa: S608
                                ).fetchnumpy()["rank"]
            self._orders[order_by] = np.searchsorted(self.columns["rank"], ranks)
        return self._orders[order_by]

    def _mask(self, cur: duckdb.DuckDBPyConnection, where: str,
              params: dict[str, Any]) -> np.ndarray:
        """Which rows pass the filters ``where`` (read once per set of filter values)."""
        key = (where, tuple(sorted(params.items())))
        mask = self._masks.get(key)  # once: another request may clear the dict meanwhile
        if mask is None:
            keep = cur.execute(f"SELECT coalesce({where}, false) AS keep FROM {DB}.queue "  # noqa: S608
                               "ORDER BY rank", params).fetchnumpy()["keep"]
            if len(self._masks) >= _MASKS_KEPT:
                self._masks.clear()
            mask = self._masks[key] = np.asarray(keep, dtype=bool)
        return mask

    def page(self, cur: duckdb.DuckDBPyConnection, filters: QueueFilters,
             per_page: int) -> QueuePage:
        """One page of senders passing ``filters``, in their order, and how many pass."""
        where, params = _where(filters)
        order = self._positions(cur, filters.order_by())
        if params:
            order = order[self._mask(cur, where, params)[order]]
        total = len(order)
        pages = max(1, math.ceil(total / per_page))
        page = min(filters.page, pages)
        shown = order[(page - 1) * per_page:page * per_page]
        # tolist() gives Python values (None where DuckDB had NULL), as a query would.
        values = [self.columns[name][shown].tolist() for name in DISPLAY]
        rows = [QueueRow._make(row) for row in zip(*values, strict=True)]
        return QueuePage(rows=rows, total=total, page=page, pages=pages,
                         first=(page - 1) * per_page + 1)


def queue_page(cur: duckdb.DuckDBPyConnection, run_id: str, filters: QueueFilters,
               per_page: int = PER_PAGE) -> QueuePage:
    """One page of the queue of ``run_id`` read for itself alone: the app pages the run's
    ``RankedQueue`` it keeps in its ``WebStore`` instead."""
    return RankedQueue(cur, run_id).page(cur, filters, per_page)


def countries(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Sender countries present in the prepared run's queue, most senders first, for the
    filter (the app reads them once per run: every queue page shows them)."""
    return records(cur, f"SELECT country, n FROM {DB}.countries")  # noqa: S608


@lru_cache(maxsize=1)
def _sender_indicators() -> tuple[tuple[str, str, str], ...]:
    pack = load_pack()
    found = [(i.id, i.label_fr, i.label_en) for i in pack.indicators
             if i.side == "sender" and i.weight > 0]
    found += [(k, v["label_fr"], v["label_en"]) for k, v in NETWORK_EVIDENCE.items()
              if k in ("N01", "N02")]
    return tuple(found)


def indicator_choices(language: str) -> list[tuple[str, str]]:
    """(id, label) of every sender indicator that adds points, for the filter."""
    return [(i, fr if language == "fr" else en) for i, fr, en in _sender_indicators()]
