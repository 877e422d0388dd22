"""The target queue: every scored sender of the run, filtered, sorted and paged.

Sort keys and directions come from fixed lists below (never from the request text); the
filter values are bound parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb

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
    rows: list[dict[str, Any]]
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


# A run's queue never changes: a page once read is kept (bounded), so readers paging
# through the same ranked list, or coming back to it, cost no query.
_PAGES: dict[tuple[Any, ...], QueuePage] = {}
_COUNTS: dict[tuple[Any, ...], int] = {}
_PAGES_KEPT = 2048


def queue_page(cur: duckdb.DuckDBPyConnection, run_id: str, filters: QueueFilters,
               per_page: int = PER_PAGE) -> QueuePage:
    """One page of the queue of ``run_id`` and how many senders pass the filters."""
    where, params = _where(filters)
    key = (run_id, where, tuple(sorted(params.items())), filters.order_by(), filters.page,
           per_page)
    if key in _PAGES:
        return _PAGES[key]
    count_key = (run_id, where, tuple(sorted(params.items())))
    if count_key not in _COUNTS:  # the same for every page and sort of these filters
        if len(_COUNTS) >= _PAGES_KEPT:
            _COUNTS.clear()
        _COUNTS[count_key] = int(records(
            cur, f"SELECT count(*) AS n FROM {DB}.queue WHERE {where}", params)[0]["n"])  # noqa: S608
    total = _COUNTS[count_key]
    pages = max(1, math.ceil(total / per_page))
    page = min(filters.page, pages)
    rows = records(cur, f"""SELECT rank, sender_id, score, name, country, transfers, total_eur,
            first_seen, last_seen, receivers, top_fr, top_en, is_target
        FROM {DB}.queue WHERE {where}
        ORDER BY {filters.order_by()} LIMIT {int(per_page)} OFFSET $offset""",  # noqa: S608
                   {**params, "offset": (page - 1) * per_page})
    result = QueuePage(rows=rows, total=total, page=page, pages=pages,
                       first=(page - 1) * per_page + 1)
    if len(_PAGES) >= _PAGES_KEPT:
        _PAGES.clear()
    _PAGES[key] = result
    return result


_COUNTRIES: dict[str, list[dict[str, Any]]] = {}


def countries(cur: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """Sender countries present in the queue of ``run_id``, most senders first, for the
    filter (read once per run: every queue page shows them)."""
    if run_id not in _COUNTRIES:
        _COUNTRIES.clear()
        _COUNTRIES[run_id] = records(cur, f"SELECT country, n FROM {DB}.countries")  # noqa: S608
    return _COUNTRIES[run_id]


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
