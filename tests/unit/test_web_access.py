"""Who may see what in the web app: every page behind a login and a permission, refusals
answered 403 and audited, reads audited, cases shown beside the targets, the first account."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from filature.cases.audit import AuditEntry, AuditFilter, query_entries
from filature.cases.db import CaseDatabase
from filature.cases.users import list_users
from filature.web import first_user
from tests.cases_support import WebClient, add_web_user, csrf_of, sign_in
from tests.unit.test_web import _store

# Open without a session: signing in and out, changing one's password (it checks the
# session itself), the language switch, the static files.
PUBLIC = {"/login", "/logout", "/account/password", "/lang/{language}"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("web-access") / "f.duckdb")


def _entries(client: TestClient, **where: str) -> list[AuditEntry]:
    with client.app.state.cases.database.session() as session:  # type: ignore[attr-defined]
        rows, _ = query_entries(session, AuditFilter(**where), limit=50)
        return list(rows)


def _first_target(client: TestClient) -> str:
    return re.findall(r'href="/targets/([^"?#]+)"', client.get("/targets").text)[0]


def _dependency_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names.add(getattr(dependant.call, "__name__", ""))
        stack.extend(dependant.dependencies)
    return names


def test_every_page_needs_a_signed_in_user_with_a_permission() -> None:
    """Every page router gets the login (``PAGE_DEPENDENCIES``, checked in test_web_import)
    and every one of its routes names the permission it needs; only the sign-in pages and
    the language switch are open."""
    from filature.web import routes
    from filature.web.auth import current_user

    assert [d.dependency for d in routes.PAGE_DEPENDENCIES] == [current_user]
    paths = set()
    for router in routes.ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            paths.add(route.path)
            assert any(n.startswith("require_") for n in _dependency_names(route)), route.path
    assert paths >= {"/", "/targets", "/targets/{sender_id}", "/facilitators/{receiver_id}",
                     "/search", "/import", "/cases", "/cases/{case_id}", "/workload", "/audit",
                     "/referrals", "/referrals/{referral_id}", "/referrals/{referral_id}/network",
                     "/referrals/{referral_id}/report",
                     "/referrals/{referral_id}/case", "/follow", "/follow/export"}
    public = {r.path for router in routes.PUBLIC_ROUTERS for r in router.routes
              if isinstance(r, APIRoute)}
    assert public == PUBLIC


def test_without_a_session_the_queue_sends_to_the_login_page(store: Path,
                                                             web_client: WebClient) -> None:
    with web_client(store, role=None) as client:
        page = client.get("/targets", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Ftargets"
        login = client.get(page.headers["location"])
        assert login.status_code == 200 and "<h1>Connexion</h1>" in login.text
        assert "File des cibles" not in login.text  # no navigation before signing in
        assert client.post("/import", files={"file": ("t.csv", b"x", "text/csv")}
                           ).status_code in (401, 403)
        table = client.get("/targets", params={"page": "2"}, headers={"HX-Request": "true"})
        assert table.status_code == 401  # HTMX loads the login page instead of the table
        assert table.headers["HX-Redirect"] == "/login?next=%2Ftargets%3Fpage%3D2"
        english = client.get("/lang/en", params={"next": "/login"})
        assert "<h1>Sign in</h1>" in english.text


def test_signing_in_leads_back_to_the_page_asked_for_and_signing_out_ends_it(
        store: Path, web_client: WebClient) -> None:
    with web_client(store, role=None) as client:
        add_web_user(client.app.state.cases.database, "ines", "investigator")  # type: ignore[attr-defined]
        token = csrf_of(client, "/login?next=%2Ftargets")
        signed = client.post("/login", data={"username": "ines", "password":
                                             "correct horse battery", "next": "/targets",
                                             "csrf_token": token}, follow_redirects=False)
        assert signed.headers["location"] == "/targets"
        queue = client.get("/targets").text
        assert "Ines (Enquêteur)" in queue and "Se déconnecter" in queue
        client.post("/logout", data={"csrf_token": csrf_of(client, "/targets")})
        assert client.get("/targets", follow_redirects=False).status_code == 303


def test_a_prosecutor_cannot_see_the_target_queue_and_the_refusal_is_audited(
        store: Path, web_client: WebClient) -> None:
    with web_client(store, role="prosecutor") as client:
        page = client.get("/targets")
        assert page.status_code == 403
        assert "Ce refus a été inscrit au journal d'audit" in html.unescape(page.text)
        denied = _entries(client, action="access.denied")[0]
        assert (denied.username, denied.outcome, denied.subject_id) == \
            ("prosecutor", "denied", "GET /targets")
        assert client.get("/").status_code == 403
        assert client.get("/search", params={"q": "maria"}).status_code == 403
        cases = client.get("/cases")
        assert cases.status_code == 200
        nav = cases.text.split('<main id="main">')[0]
        assert 'href="/cases"' in nav and 'href="/targets"' not in nav


def test_reading_targets_facilitators_and_searching_are_audited(store: Path,
                                                                web_client: WebClient) -> None:
    with web_client(store) as client:
        buyer = _first_target(client)
        target = client.get(f"/targets/{buyer}").text
        view = _entries(client, action="target.view")[0]
        assert (view.username, view.subject_id) == ("analyst", buyer)
        receiver = re.findall(r'href="/facilitators/([^"?#]+)"', target)[0]
        client.get(f"/facilitators/{receiver}")
        assert _entries(client, action="facilitator.view")[0].subject_id == receiver
        client.get("/search", params={"q": "liza"})
        search = _entries(client, action="search")[0]
        assert '"query": "liza"' in search.detail and '"results": 1' in search.detail


def test_the_queue_and_the_target_page_show_a_target_already_in_a_case(
        store: Path, web_client: WebClient) -> None:
    with web_client(store, role="investigator") as client:
        buyer = _first_target(client)
        assert "Dans aucun dossier ouvert" in html.unescape(client.get(f"/targets/{buyer}").text)
        opened = client.post("/cases", data={"kind": "target", "origin_id": buyer,
                                             "csrf_token": csrf_of(client, f"/targets/{buyer}")},
                             follow_redirects=False)
        assert opened.status_code == 303, opened.text[:300]
        case_page = html.unescape(client.get(opened.headers["location"]).text)
        reference = re.search(r"<h1>(C-[\w-]+)", case_page)[1]
        assert "Dossiers" in case_page and "nouveau" in case_page  # French, the app's base
        queue = client.get("/targets").text
        row = next(r for r in queue.split("<tr") if f'href="/targets/{buyer}"' in r)
        assert f"dossier {reference}" in row
        assert sum(f"dossier {reference}" in r for r in queue.split("<tr")) == 1
        target = html.unescape(client.get(f"/targets/{buyer}").text)
        assert "Déjà dans un dossier ouvert" in target and reference in target
        client.get("/lang/en")
        assert "case " + reference in client.get("/targets").text


def test_the_first_serve_creates_one_supervisor_with_a_temporary_password(
        tmp_path: Path, fast_passwords: None) -> None:
    database = CaseDatabase.open(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    try:
        password = first_user(database)
        assert password and len(password) >= 12
        assert first_user(database) is None  # only while nobody has an account
        with database.session() as session:
            (user,) = list_users(session)
            assert (user.username, user.role, user.must_change_password) == \
                ("demo", "supervisor", True)
    finally:
        database.dispose()


def test_a_temporary_password_is_changed_before_reading_targets(store: Path,
                                                                web_client: WebClient) -> None:
    with web_client(store, role=None) as client:
        database = client.app.state.cases.database  # type: ignore[attr-defined]
        password = first_user(database)
        assert password is not None
        sign_in(client, "demo", password)
        assert client.get("/targets", follow_redirects=False).headers["location"] == \
            "/account/password"
