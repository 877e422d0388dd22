"""The search page: one box for names, phones, emails, ID numbers and transfer ids.

Every search (its words and how many hits) is written to the audit trail.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from filature.web.auth import log_event
from filature.web.pages import CaseSession, Cursor, Language, Store, Viewer, is_partial, render
from filature.web.services.search import LIMIT, search

router = APIRouter()


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, user: Viewer, session: CaseSession, cur: Cursor,
                t: Language, store: Store, q: str = "") -> HTMLResponse:
    run_id = store.run_id(cur)
    hits = search(cur, q) if run_id and q.strip() else []
    if q.strip():
        log_event(request, session, user, "search", subject_type="search",
                  detail={"query": q.strip(), "results": len(hits)})
    template = "partials/search_results.html" if is_partial(request) else "search.html"
    return render(request, t, template, {"q": q, "hits": hits, "run_id": run_id,
                                         "limit": LIMIT})
