"""The target page: who the sender is, why he scores, his transfers, receivers and network.

Reading it is written to the audit trail; it shows the open cases he is the subject of.
"""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from filature.cases.services import cases_for_parties
from filature.errors import NotFound
from filature.web.auth import log_view
from filature.web.pages import CaseSession, Cursor, Language, Store, Viewer, render
from filature.web.services import parties
from filature.web.services import sessions as session_flags

router = APIRouter()


@router.get("/targets/{sender_id}", response_class=HTMLResponse, response_model=None)
def target_page(sender_id: str, request: Request, user: Viewer, session: CaseSession,
                cur: Cursor, t: Language, store: Store) -> HTMLResponse | RedirectResponse:
    pages = store.run_pages(cur)
    if pages is None:
        raise NotFound("no screening run yet: run `filature screen` first")
    senders = pages.senders  # the run's rows in memory: no DuckDB query for this page's rows
    try:
        target = parties.target(senders, sender_id)
    except NotFound:
        current = parties.merged_into(cur, sender_id)
        if current is None:
            raise
        return RedirectResponse(f"/targets/{current}", status_code=307)
    log_view(request, user, "target.view", subject_type="target", subject_id=sender_id)
    transfers = parties.sender_transfers(senders, sender_id)
    receivers = parties.beneficiaries(senders, sender_id)
    identities = parties.sender_identities(transfers)
    shown = transfers[:parties.MAX_TRANSFERS]
    timeline = [{"x": tx["sent_at"].replace(tzinfo=UTC).timestamp() * 1000,  # UTC, no zone
                 "y": round(tx["amount_eur"], 2), "night": bool(tx["night"]),
                 "id": tx["transfer_id"],
                 "local": tx["sent_local"].strftime("%Y-%m-%d %H:%M")} for tx in shown]
    sessions = pages.flags.evidence(sender_id)
    session_flags.mark_timeline(timeline, shown, sessions)
    return render(request, t, "target.html", {
        "target": target,
        "identities": identities,
        "transfers": shown,
        "timeline": timeline,
        "night_hours": parties.night_hours(),
        "receivers": receivers,
        "network": parties.network(sender_id, target["name"], receivers),
        "cities": identities.pop("cities"),
        "max_transfers": parties.MAX_TRANSFERS,
        "open_cases": cases_for_parties(session, [sender_id]).get(sender_id, []),
        "sessions": sessions,
        "aliases": pages.aliases.of(sender_id),
    })
