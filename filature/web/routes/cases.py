"""Case pages: the list, opening a case, one case, assignment, workload and the audit log.

Routes stay thin: each names the permission it needs, calls ``filature.cases`` and commits.
A user's mistake (a status that cannot follow, an empty note) comes back as a message on
the page; a refusal is a logged 403 (see ``filature.web.auth``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from filature.cases import audit, evidence, services
from filature.cases.audit import AuditFilter
from filature.cases.models import Case, User
from filature.cases.roles import Permission, allows
from filature.cases.snapshots import ORIGINS, Opening, snapshot_from_store
from filature.cases.users import actor_of, list_users
from filature.errors import FilatureError, InputError, NotFound
from filature.web.auth import (
    cases_web,
    check_csrf,
    client_ip,
    db_session,
    error_message,
    render,
    require,
)

router = APIRouter()
P = Permission
CSRF = [Depends(check_csrf)]


def _case(session: Session, user: User, case_id: int, request: Request, *,
          log_view: bool = False) -> Case:
    try:
        return services.get_case(session, user, case_id, ip=client_ip(request),
                                 log_view=log_view)
    except NotFound as e:
        raise HTTPException(404, str(e)) from e


def _back(case_id: int, error: str | None = None) -> RedirectResponse:
    suffix = f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/cases/{case_id}{suffix}", status_code=303)


def _act(request: Request, session: Session, case_id: int, action: Callable[[], object],
         mistakes: tuple[type[FilatureError], ...] = (InputError,)) -> RedirectResponse:
    """Run one change to a case and go back to its page: committed, or rolled back with the
    user's mistake shown there in his language."""
    try:
        action()
    except mistakes as error:
        session.rollback()
        return _back(case_id, error_message(request, error))
    session.commit()
    return _back(case_id)


def _snapshot(request: Request, kind: str, origin_id: str, run_id: str | None) -> Opening:
    """The snapshot from the configured source, else from the app's analytical store."""
    source = cases_web(request).snapshots
    if source is not None:
        return source(kind, origin_id, run_id)
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise InputError("this app has no analytical store to open cases from")
    with store.cursor() as cur:
        return snapshot_from_store(cur, kind, origin_id, run_id)


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, status: str | None = None, assignee: str | None = None,
              error: str | None = None, user: User = Depends(require(P.CASES_VIEW)),
              session: Session = Depends(db_session)) -> Response:
    """The cases this user may read; filtering by status or assignee is logged as a search."""
    cases = services.list_cases(session, user, status=status or None, assignee=assignee or None)
    audit.record(session, actor_of(user, client_ip(request)),
                 "case.search" if status or assignee else "case.list", subject_type="case",
                 detail={"status": status, "assignee": assignee, "results": len(cases)})
    session.commit()
    return render(request, "cases/list.html", {
        "cases": cases, "status": status or "", "assignee": assignee or "", "error": error,
        "statuses": services.STATUSES, "origins": ORIGINS})


@router.post("/cases", dependencies=CSRF)
def case_open(request: Request, kind: str = Form(...), origin_id: str = Form(...),
              run_id: str = Form(""), title: str = Form(""),
              user: User = Depends(require(P.CASES_OPEN)),
              session: Session = Depends(db_session)) -> Response:
    """Open a case from a target, facilitator or referral of the store."""
    try:
        opening = _snapshot(request, kind, origin_id.strip(), run_id.strip() or None)
        case = services.open_case(session, user, opening, title=title.strip() or None,
                                  ip=client_ip(request))
    except (InputError, NotFound) as error:
        session.rollback()
        return RedirectResponse(f"/cases?error={quote(error_message(request, error))}",
                                status_code=303)
    session.commit()
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, error: str | None = None,
              user: User = Depends(require(P.CASES_VIEW)),
              session: Session = Depends(db_session)) -> Response:
    """One case: its subject, status, notes, evidence and the cases linked to it."""
    case = _case(session, user, case_id, request, log_view=True)
    session.commit()
    assignable = [u for u in list_users(session)
                  if u.active and allows(u.role, P.CASES_EDIT)]
    return render(request, "cases/case.html", {
        "case": case, "error": error, "linked": services.linked_cases(session, case),
        "can_edit": services.can_edit(user, case),
        "can_note": allows(user.role, P.CASES_NOTE),
        "can_assign": allows(user.role, P.CASES_ASSIGN),
        "next_statuses": sorted(services.TRANSITIONS[case.status]),
        "outcomes": services.OUTCOMES, "assignable": assignable})


@router.post("/cases/{case_id}/status", dependencies=CSRF)
def case_status(request: Request, case_id: int, status: str = Form(...),
                outcome: str = Form(""), user: User = Depends(require(P.CASES_EDIT)),
                session: Session = Depends(db_session)) -> Response:
    case = _case(session, user, case_id, request)
    return _act(request, session, case_id, lambda: services.change_status(
        session, user, case, status, outcome=outcome or None, ip=client_ip(request)))


@router.post("/cases/{case_id}/assign", dependencies=CSRF)
def case_assign(request: Request, case_id: int, username: str = Form(""),
                user: User = Depends(require(P.CASES_ASSIGN)),
                session: Session = Depends(db_session)) -> Response:
    case = _case(session, user, case_id, request)
    return _act(request, session, case_id, lambda: services.assign(
        session, user, case, username or None, ip=client_ip(request)),
        mistakes=(InputError, NotFound))


@router.post("/cases/{case_id}/notes", dependencies=CSRF)
def case_note(request: Request, case_id: int, text: str = Form(""),
              user: User = Depends(require(P.CASES_NOTE)),
              session: Session = Depends(db_session)) -> Response:
    case = _case(session, user, case_id, request)
    return _act(request, session, case_id,
                lambda: services.add_note(session, user, case, text, ip=client_ip(request)))


@router.post("/cases/{case_id}/deadline", dependencies=CSRF)
def case_deadline(request: Request, case_id: int, deadline: str = Form(""),
                  user: User = Depends(require(P.CASES_EDIT)),
                  session: Session = Depends(db_session)) -> Response:
    case = _case(session, user, case_id, request)

    def set_deadline() -> None:
        try:
            day = date.fromisoformat(deadline) if deadline else None
        except ValueError:
            raise InputError(f"{deadline!r} is not a date (YYYY-MM-DD)", key="case.bad_date",
                             params={"value": deadline}) from None
        services.set_deadline(session, user, case, day, ip=client_ip(request))

    return _act(request, session, case_id, set_deadline)


@router.post("/cases/{case_id}/evidence", dependencies=CSRF)
def case_evidence(request: Request, case_id: int, file: UploadFile = File(...),
                  description: str = Form(""), user: User = Depends(require(P.CASES_EDIT)),
                  session: Session = Depends(db_session)) -> Response:
    """Attach a file; it is stored under its SHA-256 and the upload is logged."""
    case = _case(session, user, case_id, request)
    return _act(request, session, case_id, lambda: evidence.add_evidence(
        session, user, case, cases_web(request).evidence_dir, file.filename or "", file.file,
        content_type=file.content_type, description=description.strip() or None,
        ip=client_ip(request)))


@router.get("/cases/{case_id}/evidence/{evidence_id}")
def case_evidence_file(request: Request, case_id: int, evidence_id: int,
                       user: User = Depends(require(P.EVIDENCE_DOWNLOAD)),
                       session: Session = Depends(db_session)) -> Response:
    """Download an evidence file after checking its hash; the download is logged."""
    case = _case(session, user, case_id, request)
    try:
        item, path = evidence.read_evidence(session, user, case, evidence_id,
                                            cases_web(request).evidence_dir,
                                            ip=client_ip(request))
    except NotFound as e:
        raise HTTPException(404, str(e)) from e
    session.commit()
    return FileResponse(path, media_type=item.content_type, filename=item.file_name)


@router.get("/workload", response_class=HTMLResponse)
def workload_page(request: Request, user: User = Depends(require(P.WORKLOAD_VIEW)),
                  session: Session = Depends(db_session)) -> Response:
    """Open cases against capacity: everyone's for a supervisor, one's own otherwise."""
    rows = services.workload(session)
    unit = allows(user.role, P.WORKLOAD_UNIT)
    if not unit:
        rows = [row for row in rows if row[0].id == user.id]
    return render(request, "cases/workload.html", {
        "rows": rows, "unit": unit,
        "unassigned": services.unassigned_open_cases(session) if unit else None,
        "total_open": sum(r[1] for r in rows),
        "total_capacity": sum(r[0].case_capacity or 0 for r in rows)})


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError as e:
        raise HTTPException(400, f"{name}: {value!r} is not a date (YYYY-MM-DD)") from e


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, username: str = "", subject: str = "", action: str = "",
               since: str = "", until: str = "", page: int = 1,
               user: User = Depends(require(P.AUDIT_VIEW)),
               session: Session = Depends(db_session)) -> Response:
    """The audit log filtered by user, subject, action and dates; reading it is logged too."""
    last_day = _day(until, "until")
    where = AuditFilter(username=username.strip().lower() or None,
                        subject=subject.strip() or None, action=action.strip() or None,
                        since=_day(since, "since"),
                        until=last_day + timedelta(days=1) if last_day else None)
    page = max(page, 1)
    entries, total = audit.query_entries(session, where, limit=100, offset=(page - 1) * 100)
    filters: dict[str, Any] = {"username": username, "subject": subject, "action": action,
                               "since": since, "until": until}
    audit.record(session, actor_of(user, client_ip(request)), "audit.view",
                 subject_type="audit", detail={k: v for k, v in filters.items() if v})
    session.commit()
    return render(request, "cases/audit.html", {
        "entries": entries, "total": total, "page": page, "filters": filters,
        "pages": max((total + 99) // 100, 1)})
