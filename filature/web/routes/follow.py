"""The follow-the-money page: from any seed, with the filters of ``filature follow``, the
network drawn and ranked, and its downloads.

Reading it needs ``targets.view`` (it shows senders and their scores); a download also
``exports.run``. Each follow and each download is audited with its seed and filters.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from filature.cases.models import User
from filature.cases.roles import Permission
from filature.errors import InputError, NotFound
from filature.network.follow import MAX_HOPS, follow_money
from filature.web.auth import log_event, require
from filature.web.pages import CaseSession, Cursor, Language, Viewer, render
from filature.web.services import follow as follow_service

router = APIRouter()
Exporter = Annotated[User, Depends(require(Permission.EXPORTS_RUN))]
FIELDS = ("seed", "hops", *follow_service.FILTER_FIELDS)


def _form(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in FIELDS}


def _audited(form: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in form.items() if v}


@router.get("/follow", response_class=HTMLResponse)
def follow_page(request: Request, user: Viewer, session: CaseSession, cur: Cursor,
                t: Language) -> HTMLResponse:
    """The form; with a seed, the network found from it (or why nothing was)."""
    form = _form(request)
    context: dict[str, Any] = {"form": form, "view": None, "error": None,
                               "max_hops": MAX_HOPS, "export_query": ""}
    if not form["seed"]:
        return render(request, t, "follow.html", context)
    status = 200
    try:
        filters = follow_service.parse_filters(form)
        hops = follow_service.parse_hops(form["hops"])
        result = follow_money(cur, form["seed"], hops=hops, filters=filters)
        context["view"] = follow_service.follow_view(cur, result)
        context["export_query"] = "&".join(f"{k}={quote(v)}" for k, v in form.items() if v)
    except (InputError, NotFound) as error:
        context["error"] = str(error)
        status = 404 if isinstance(error, NotFound) else 400
    log_event(request, session, user, "follow", subject_type="seed", subject_id=form["seed"],
              detail={**_audited(form), "parties": len(context["view"].result.nodes)
                      if context["view"] else 0},
              outcome="ok" if status == 200 else "failed")
    return render(request, t, "follow.html", context, status_code=status)


@router.get("/follow/export")
def follow_export(request: Request, user: Viewer, exporter: Exporter, session: CaseSession,
                  cur: Cursor, format: str = "csv") -> Response:
    """The same network as a CSV, JSON or GraphML file; the download is audited."""
    form = _form(request)
    if format not in follow_service.EXPORTS:
        raise InputError(f"unknown format '{format}': choose csv, json or graphml",
                         column="format")
    if not form["seed"]:
        raise InputError("give a seed to follow", column="seed")
    result = follow_money(cur, form["seed"], hops=follow_service.parse_hops(form["hops"]),
                          filters=follow_service.parse_filters(form))
    content = follow_service.export_follow(result, format)
    log_event(request, session, user, "follow.export", subject_type="seed",
              subject_id=form["seed"], detail={**_audited(form), "format": format,
                                               "parties": len(result.nodes)})
    return Response(content, media_type=follow_service.EXPORTS[format],
                    headers={"Content-Disposition": f"attachment; filename=\"follow.{format}\""})
