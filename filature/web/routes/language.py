"""The language switch: remembers the reader's choice and goes back to the same page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from filature.errors import NotFound
from filature.web.i18n import COOKIE, LANGUAGES

router = APIRouter()
ONE_YEAR = 365 * 24 * 3600


def _local(next_url: str) -> str:
    """Only a path on this site: never redirect the reader elsewhere."""
    if next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return "/"


@router.get("/lang/{language}")
def switch_language(language: str, next: str = "/") -> RedirectResponse:
    if language not in LANGUAGES:
        raise NotFound(f"unknown language {language!r}: fr or en")
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(COOKIE, language, max_age=ONE_YEAR, samesite="lax", httponly=True)
    return response
