"""The target queue page: ranked senders, filtered, sorted and paged (HTMX swaps the table).

Each row says whether the sender is already the subject of an open case.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from filature.cases.services import cases_for_parties
from filature.errors import InputError
from filature.web.pages import CaseSession, Cursor, Language, Store, Viewer, is_partial, render
from filature.web.services.queue import (
    PER_PAGE,
    SORTS,
    QueueFilters,
    indicator_choices,
)

router = APIRouter()


def _number(value: str | None, column: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError as e:
        raise InputError(f"{value!r} is not a number", column=column) from e


@router.get("/targets", response_class=HTMLResponse)
def queue(request: Request, user: Viewer, session: CaseSession, cur: Cursor, t: Language,
          store: Store,
          country: str | None = None, min_score: str | None = None,
          max_score: str | None = None, indicator: str | None = None, status: str = "all",
          sort: str = "rank", order: str | None = None, page: int = 1) -> HTMLResponse:
    filters = QueueFilters(country=country or None, min_score=_number(min_score, "min_score"),
                           max_score=_number(max_score, "max_score"),
                           indicator=indicator or None, status=status, sort=sort, order=order,
                           page=page)
    pages = store.run_pages(cur)
    run_id = pages.run_id if pages else None
    kept = {k: v for k, v in {"country": filters.country, "min_score": min_score,
                              "max_score": max_score, "indicator": filters.indicator,
                              "status": filters.status if filters.status != "all" else None}
            .items() if v}

    def link(**changes: object) -> str:
        """This queue with some parameters changed (sorting, paging), filters kept."""
        params = {**kept, "sort": filters.sort, "order": filters.order, "page": filters.page,
                  **changes}
        return "/targets?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    def sort_link(key: str) -> tuple[str, str | None]:
        """(link, current direction or None): a second click on a column reverses it."""
        if filters.sort != key:
            return link(sort=key, order=None, page=None), None
        current = filters.order or SORTS[key][1].lower()
        return link(sort=key, order="asc" if current == "desc" else "desc", page=None), current

    result = pages.queue.page(cur, filters, PER_PAGE) if pages else None
    shown = [r.sender_id for r in result.rows] if result else []
    cases = cases_for_parties(session, shown)
    context = {
        "run_id": run_id, "filters": filters, "link": link, "sort_link": sort_link,
        "result": result,
        # Every row's open cases, none included: the template indexes instead of calling
        # ``.get`` (Jinja's calls cost more than its lookups, 50 rows a page).
        "in_cases": {sender_id: cases.get(sender_id, []) for sender_id in shown},
        "countries": pages.countries if pages else [],
        # senders folded into a listed target's line (scoring.aliases): a few per run
        "folded": pages.aliases.folded if pages else frozenset(),
        "indicators": indicator_choices(t.language),
    }
    template = "partials/queue_table.html" if is_partial(request) else "queue.html"
    return render(request, t, template, context)
