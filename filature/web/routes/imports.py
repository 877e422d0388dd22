"""The import page: upload a transfer file (and a mapping), see what was accepted or refused.

An upload needs the form's CSRF token; every load, and every refused file, is audited. On
a store opened read-only (``filature serve --workers`` above 1) the page says to load
files with the command line instead, and an upload is refused unread (nothing to audit:
nothing was loaded or kept).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from filature.errors import FilatureError
from filature.web.auth import check_csrf, log_event
from filature.web.pages import READ_ONLY_STATUS, CaseSession, Language, Store, Viewer, render
from filature.web.services.imports import (
    SUFFIXES,
    import_transfers,
    save_upload,
    shipped_mappings,
)

router = APIRouter()


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, user: Viewer, t: Language, store: Store) -> HTMLResponse:
    return render(request, t, "import.html", {"mappings": shipped_mappings(), "report": None,
                                              "read_only": store.read_only})


@router.post("/import", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def import_upload(request: Request, user: Viewer, session: CaseSession, t: Language,
                  store: Store,
                  file: UploadFile = File(...),
                  mapping_file: UploadFile | None = File(None),
                  mapping_name: str = Form("")) -> HTMLResponse:
    """Save the upload beside the store, ingest it, show the report or the refusal.

    A plain (not async) function: FastAPI runs it in a worker thread, so a long load does
    not hold up the other readers' pages.
    """
    context: dict[str, object] = {"mappings": shipped_mappings(), "report": None,
                                  "read_only": store.read_only}
    if store.read_only:
        return render(request, t, "import.html", context, status_code=READ_ONLY_STATUS)
    try:
        path = save_upload(store.uploads(), file.filename or "", file.file.read(), SUFFIXES)
        mapping: str | Path | None = mapping_name or None
        if mapping_file is not None and mapping_file.filename:
            mapping = save_upload(store.uploads(), mapping_file.filename,
                                  mapping_file.file.read(), (".toml",))
        with store.cursor() as cur:
            report = import_transfers(cur, path, mapping, store.settings)
        context["report"] = report
        context["saved_as"] = path.name
        context["uploaded_name"] = file.filename
    except FilatureError as error:
        context["error"] = str(error)
        log_event(request, session, user, "import", subject_type="file",
                  subject_id=file.filename, detail={"refused": str(error)},
                  outcome="failed")
        return render(request, t, "import.html", context, status_code=400)
    log_event(request, session, user, "import", subject_type="file", subject_id=path.name,
              detail={"uploaded_as": file.filename, "rows_read": report.rows_read,
                      "added": report.added, "quarantined": report.quarantined,
                      "mapping": str(mapping) if mapping else None})
    return render(request, t, "import.html", context)

