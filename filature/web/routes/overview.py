"""The overview page: what is loaded, the last screening and the queue against capacity."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from filature.web.pages import Cursor, Language, Store, Viewer, render
from filature.web.services import overview

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, user: Viewer, cur: Cursor, t: Language,
                  store: Store) -> HTMLResponse:
    run_id = store.run_id(cur)
    return render(request, t, "overview.html", {
        "files": overview.loaded_files(cur),
        "totals": overview.totals(cur),
        "reasons": overview.quarantine_reasons(cur),
        "run": overview.run_summary(cur, run_id) if run_id else None,
        "bands": overview.score_bands(cur) if run_id else [],
    })
