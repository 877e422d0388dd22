"""Referral pages: the list and upload, one referral's hits and network, its downloads, and
opening or extending a case from it.

Reading referrals needs ``referrals.view`` (analysts, investigators, supervisors, partner
liaison); downloads also ``exports.run``; the case button ``cases.open`` (and, to extend a
case, the right to edit it). Uploads, views, downloads and case acts are audited.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from filature.cases import referrals as case_referrals
from filature.cases import services as case_services
from filature.cases.models import User
from filature.cases.roles import Permission, allows
from filature.errors import FilatureError, InputError, InvalidData, NotFound
from filature.web.auth import (
    cases_web,
    check_csrf,
    client_ip,
    error_message,
    log_event,
    log_view,
    require,
)
from filature.web.pages import READ_ONLY_STATUS, CaseSession, Cursor, Language, Store, render
from filature.web.services import follow as follow_service
from filature.web.services import referrals as referral_service

router = APIRouter()
P = Permission
ReferralReader = Annotated[User, Depends(require(P.REFERRALS_VIEW))]
Exporter = Annotated[User, Depends(require(P.EXPORTS_RUN))]
CaseOpener = Annotated[User, Depends(require(P.CASES_OPEN))]


@router.get("/referrals", response_class=HTMLResponse)
def referral_list(request: Request, user: ReferralReader, cur: Cursor,
                  t: Language, store: Store) -> HTMLResponse:
    return render(request, t, "referrals.html",
                  {"referrals": referral_service.list_referrals(cur), "report": None,
                   "read_only": store.read_only})


@router.post("/referrals", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def referral_upload(request: Request, user: ReferralReader, session: CaseSession,
                    t: Language, store: Store, file: UploadFile = File(...)) -> HTMLResponse:
    """Validate the whole file and load it, or load nothing and list every error found."""
    context: dict[str, Any] = {"report": None, "uploaded_name": file.filename,
                               "read_only": store.read_only}
    if store.read_only:
        with store.cursor() as cur:
            context["referrals"] = referral_service.list_referrals(cur)
        return render(request, t, "referrals.html", context, status_code=READ_ONLY_STATUS)
    try:
        with store.cursor() as cur:
            path, report = referral_service.import_upload(
                cur, store.uploads(), file.filename or "", file.file.read())
            context["referrals"] = referral_service.list_referrals(cur)
    except FilatureError as error:
        context["errors"] = error.errors if isinstance(error, InvalidData) else [str(error)]
        log_event(request, session, user, "referral.import", subject_type="file",
                  subject_id=file.filename, outcome="failed",
                  detail={"refused": context["errors"][:20]})
        with store.cursor() as cur:
            context["referrals"] = referral_service.list_referrals(cur)
        return render(request, t, "referrals.html", context, status_code=400)
    context.update(report=report, saved_as=path.name)
    log_event(request, session, user, "referral.import", subject_type="file",
              subject_id=path.name, detail={"uploaded_as": file.filename,
                                            "referrals": report.referral_ids,
                                            "subjects": report.subjects, "hits": report.hits})
    return render(request, t, "referrals.html", context)


@router.get("/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(referral_id: str, request: Request, user: ReferralReader,
                  session: CaseSession, cur: Cursor, t: Language,
                  error: str | None = None) -> HTMLResponse:
    """Each subject and its hits, the network followed from the strong hits with the ranked
    related senders, the downloads, and the cases it could open or extend.

    The report per subject (one follow per hit, seconds each on a national store) is a
    download, not part of the page."""
    found = referral_service.referral(cur, referral_id)
    log_view(request, user, "referral.view", subject_type="referral",
             subject_id=referral_id)
    network = referral_service.referral_network(cur, referral_id)
    opening = case_referrals.referral_opening(cur, referral_id, network)
    sharing: list[Any] = []
    in_case = None
    if allows(user.role, P.CASES_VIEW):
        sharing = [(case, names, case_services.can_edit(user, case)) for case, names in
                   case_referrals.cases_sharing_parties(
                       session, user, [*opening.subjects, *opening.related])]
        in_case = next((case for case, _, _ in sharing if case.origin_kind == "referral"
                        and case.origin_id == referral_id), None)
    return render(request, t, "referral.html", {
        "referral": found, "error": error,
        "network": follow_service.follow_view(cur, network) if network else None,
        "sharing": sharing, "in_case": in_case, "can_open": bool(opening.subjects)})


@router.get("/referrals/{referral_id}/network")
def referral_network_file(referral_id: str, request: Request, user: ReferralReader,
                          exporter: Exporter, session: CaseSession, cur: Cursor,
                          format: str = "csv") -> Response:
    """The followed network as CSV, JSON or GraphML; the download is audited."""
    if format not in follow_service.EXPORTS:
        raise InputError(f"unknown format '{format}': choose csv, json or graphml",
                         column="format")
    referral_service.referral(cur, referral_id)  # NotFound for an unknown referral
    network = referral_service.referral_network(cur, referral_id)
    if network is None:
        raise NotFound(f"referral {referral_id} has no hit strong enough to follow")
    content = follow_service.export_follow(network, format)
    log_event(request, session, user, "referral.export", subject_type="referral",
              subject_id=referral_id, detail={"format": format, "parties": len(network.nodes)})
    name = f"referral-{referral_id}-network.{format}"
    return Response(content, media_type=follow_service.EXPORTS[format],
                    headers={"Content-Disposition": f"attachment; filename=\"{quote(name)}\""})


@router.get("/referrals/{referral_id}/report")
def referral_report_file(referral_id: str, request: Request, user: ReferralReader,
                         exporter: Exporter, session: CaseSession, cur: Cursor,
                         format: str = "csv") -> Response:
    """The report of ``filature referrals report`` (CSV or JSON); the download is audited."""
    if format not in ("csv", "json"):
        raise InputError(f"unknown format '{format}': choose csv or json", column="format")
    content = referral_service.report_file(cur, referral_id, format)
    log_event(request, session, user, "referral.export", subject_type="referral",
              subject_id=referral_id, detail={"format": format, "file": "report"})
    name = f"referral-{referral_id}-report.{format}"
    return Response(content, media_type=follow_service.EXPORTS[format],
                    headers={"Content-Disposition": f"attachment; filename=\"{quote(name)}\""})


@router.post("/referrals/{referral_id}/case", dependencies=[Depends(check_csrf)])
def referral_case(referral_id: str, request: Request, user: CaseOpener,
                  session: CaseSession, cur: Cursor, case_id: str = Form("")) -> Response:
    """Open a case from the referral, or extend the open case ``case_id``; either way the
    hits become subjects and the followed network is attached as evidence."""
    evidence_dir = cases_web(request).evidence_dir
    try:
        network = referral_service.referral_network(cur, referral_id)
        opening = case_referrals.referral_opening(cur, referral_id, network)
        files = case_referrals.network_files(referral_id, network)
        if case_id.strip():
            if not case_id.strip().isdigit():
                raise InputError(f"{case_id!r} is not a case number")
            case = case_services.get_case(session, user, int(case_id), ip=client_ip(request))
            case_referrals.extend_with_referral(session, user, case, opening, files,
                                                evidence_dir, ip=client_ip(request))
        else:
            case = case_referrals.open_from_referral(session, user, opening, files,
                                                     evidence_dir, ip=client_ip(request))
    except (InputError, NotFound) as error:
        session.rollback()
        message = quote(error_message(request, error))
        return RedirectResponse(f"/referrals/{quote(referral_id)}?error={message}",
                                status_code=303)
    session.commit()
    return RedirectResponse(f"/cases/{case.id}", status_code=303)
