"""The facilitator page: a receiving identity, its household, every payer ranked, cities.

Reading it is written to the audit trail.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from filature.errors import NotFound
from filature.web.auth import log_view
from filature.web.pages import CaseSession, Cursor, Language, Store, Viewer, render
from filature.web.services import parties

router = APIRouter()


@router.get("/facilitators/{receiver_id}", response_class=HTMLResponse)
def facilitator_page(receiver_id: str, request: Request, user: Viewer, session: CaseSession,
                     cur: Cursor, t: Language, store: Store) -> HTMLResponse:
    if store.run_id(cur) is None:
        raise NotFound("no screening run yet: run `filature screen` first")
    receiver = parties.facilitator(cur, receiver_id)
    log_view(request, user, "facilitator.view", subject_type="facilitator", subject_id=receiver_id)
    return render(request, t, "facilitator.html", {
        "receiver": receiver,
        "identities": parties.receiver_identities(cur, receiver_id),
        "household": parties.household(cur, receiver_id),
        "payers": parties.payers(cur, receiver_id),
        "places": parties.inflow_places(cur, receiver_id),
    })
