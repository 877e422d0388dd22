"""Every router of the web app, in two lists: the open ones and the pages behind a login.

``create_app`` includes ``PUBLIC_ROUTERS`` as they are (sign in, sign out, language switch)
and ``ROUTERS`` with ``PAGE_DEPENDENCIES``: a signed-in user for every page. Each page names
the permission it needs on top (``require(Permission.X)``); a test walks every route to
check that none was left without one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from filature.web.auth import current_user
from filature.web.routes import (
    auth,
    cases,
    facilitator,
    follow,
    imports,
    language,
    overview,
    queue,
    referrals,
    search,
    target,
)

PUBLIC_ROUTERS: list[APIRouter] = [
    language.router,
    auth.router,
]

ROUTERS: list[APIRouter] = [
    overview.router,
    queue.router,
    target.router,
    facilitator.router,
    search.router,
    imports.router,
    cases.router,
    referrals.router,
    follow.router,
]

# Not ``require(TARGETS_VIEW)`` for all: the prosecutor's office reads its cases without
# the target pages, and the admin reads the audit log; each route checks its permission.
PAGE_DEPENDENCIES: list[Any] = [Depends(current_user)]
