"""The case pages, role by role and route by route: allowed, or 403 and logged; CSRF checked.

A small FastAPI app is built from the case routers, set to English (``create_app`` wires
them into the real app: tests/unit/test_web_access.py); it runs once on SQLite and once on
PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from filature.cases import audit, services, users
from filature.cases.audit import SYSTEM, AuditFilter
from filature.cases.models import User
from filature.cases.roles import Permission
from filature.cases.snapshots import Opening, PartyRef
from filature.errors import NotFound
from filature.web.auth import CasesWeb, configure_cases, db_session, log_event, require
from filature.web.routes import auth as auth_routes
from filature.web.routes import cases as case_routes
from tests.cases_support import ENGINES, case_database, cheap_hashing

PASSWORD = "correct horse battery"
ROLES = ("analyst", "investigator", "supervisor", "prosecutor", "partner_liaison", "admin")
BASE = "https://testserver"   # the session cookie is Secure


def fake_store(kind: str, origin_id: str, run_id: str | None) -> Opening:
    """Stands in for the analytical store (its own reader is tested in test_cases_snapshots)."""
    if origin_id == "missing":
        raise NotFound(f"no {kind} {origin_id!r}")
    return Opening(kind, origin_id, f"Person {origin_id}", 0.5, run_id or "run-1",
                   subjects=[PartyRef("sender", origin_id, f"Person {origin_id}")],
                   related=[PartyRef("receiver", "R1", "Maria Example")])


def target_page() -> APIRouter:
    """How another router (the target pages) is protected and logged with this package."""
    router = APIRouter()

    @router.get("/targets/{target_id}")
    def target(request: Request, target_id: str,
               user: User = Depends(require(Permission.TARGETS_VIEW)),
               session: Session = Depends(db_session)) -> dict[str, str]:
        log_event(request, session, user, "target.view", subject_type="target",
                  subject_id=target_id)
        return {"target": target_id}

    return router


def token_of(client: TestClient, path: str = "/account/password") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert match, f"no CSRF token in {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = token_of(client, "/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text


@dataclass
class Unit:
    """The app, its database and a signed-in browser per role, around one case."""

    db: object
    app: FastAPI
    clients: dict[str, TestClient]
    tokens: dict[str, str]       # each signed-in browser's CSRF token (one per session)
    case_id: int
    evidence_id: int

    def last_entry(self) -> audit.AuditEntry:
        with self.db.session() as session:  # type: ignore[attr-defined]
            rows, _ = audit.query_entries(session, AuditFilter(), limit=1)
            return rows[0]


@pytest.fixture(scope="module", params=ENGINES)
def unit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Unit]:
    with case_database(request.param, request) as db, cheap_hashing():
        app = FastAPI()
        app.state.language = "en"   # a unit that set FILATURE_LANGUAGE=en
        configure_cases(app, CasesWeb(database=db, secret_key="test-secret",
                                      evidence_dir=tmp_path_factory.mktemp("evidence"),
                                      snapshots=fake_store))
        app.include_router(auth_routes.router)
        app.include_router(case_routes.router)
        app.include_router(target_page())
        with db.session() as session:
            for role in ROLES:
                users.add_user(session, SYSTEM, role.replace("_", "-"), role=role,
                               display_name=role.title(), password=PASSWORD, case_capacity=5)
        clients = {}
        for role in ROLES:
            clients[role] = TestClient(app, base_url=BASE)
            login(clients[role], role.replace("_", "-"))
        inv = clients["investigator"]
        token = token_of(inv)
        opened = inv.post("/cases", data={"kind": "target", "origin_id": "S1",
                                          "csrf_token": token}, follow_redirects=False)
        case_id = int(opened.headers["location"].rsplit("/", 1)[1])
        for status in ("triage", "investigation", "sent_to_prosecutor"):
            inv.post(f"/cases/{case_id}/status", data={"status": status, "csrf_token": token})
        inv.post(f"/cases/{case_id}/evidence", data={"csrf_token": token},
                 files={"file": ("answer.txt", b"Synthetic operator answer.\n", "text/plain")})
        with db.session() as session:
            case = session.get(services.Case, case_id)
            assert case.status == "sent_to_prosecutor" and len(case.evidence) == 1
            evidence_id = case.evidence[0].id
        tokens = {role: token_of(client) for role, client in clients.items()}
        yield Unit(db, app, clients, tokens, case_id, evidence_id)
        for client in clients.values():
            client.close()


# (method, path) -> the roles that may use it. Written from the roles, not read
# from filature.cases.roles, so that a change to the permission table shows up here.
EVERYONE = set(ROLES)
MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/cases"): {"analyst", "investigator", "supervisor", "prosecutor"},
    ("POST", "/cases"): {"analyst", "investigator", "supervisor"},
    ("GET", "/cases/{case}"): {"analyst", "investigator", "supervisor", "prosecutor"},
    ("POST", "/cases/{case}/status"): {"investigator", "supervisor"},
    ("POST", "/cases/{case}/assign"): {"supervisor"},
    ("POST", "/cases/{case}/notes"): {"analyst", "investigator", "supervisor"},
    ("POST", "/cases/{case}/deadline"): {"investigator", "supervisor"},
    ("POST", "/cases/{case}/evidence"): {"investigator", "supervisor"},
    ("GET", "/cases/{case}/evidence/{evidence}"): {"analyst", "investigator", "supervisor",
                                                    "prosecutor"},
    ("GET", "/workload"): {"analyst", "investigator", "supervisor"},
    ("GET", "/audit"): {"supervisor", "admin"},
    ("GET", "/account/password"): EVERYONE,
    ("GET", "/targets/S1"): {"analyst", "investigator", "supervisor"},
}


def _form(path: str, role: str) -> dict:
    """A body a permitted user could send; it changes little (a note, the same assignee)."""
    if path == "/cases":
        return {"data": {"kind": "target", "origin_id": f"S-{role}"}}
    if path.endswith("/status"):
        return {"data": {"status": "new"}}       # not a legal move: permitted users see why
    if path.endswith("/assign"):
        return {"data": {"username": "investigator"}}
    if path.endswith("/notes"):
        return {"data": {"text": f"Checked by {role}."}}
    if path.endswith("/deadline"):
        return {"data": {"deadline": "2027-01-15"}}
    if path.endswith("/evidence"):
        return {"data": {}, "files": {"file": ("memo.txt", b"Synthetic memo.\n", "text/plain")}}
    return {"data": {}}


def _call(unit: Unit, client: TestClient, method: str, template: str, role: str,
          token: str | None):
    path = template.format(case=unit.case_id, evidence=unit.evidence_id)
    if method == "GET":
        return path, client.get(path, follow_redirects=False)
    body = _form(template, role)
    if token is not None:
        body["data"] = {**body["data"], "csrf_token": token}
    return path, client.post(path, follow_redirects=False, **body)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, template", list(MATRIX))
def test_each_role_against_each_route(unit: Unit, role: str, method: str,
                                      template: str) -> None:
    client = unit.clients[role]
    path, response = _call(unit, client, method, template, role, unit.tokens[role])
    if role in MATRIX[(method, template)]:
        assert response.status_code == (200 if method == "GET" else 303), response.text[:300]
        if template == "/targets/S1":
            assert unit.last_entry().action == "target.view"
        return
    assert response.status_code == 403
    assert "written to the audit log" in response.text
    entry = unit.last_entry()
    assert (entry.action, entry.outcome, entry.username, entry.subject_id) == \
        ("access.denied", "denied", role.replace("_", "-"), f"{method} {path}")


@pytest.mark.parametrize("method, template", list(MATRIX))
def test_without_a_session_pages_send_to_login_and_posts_get_401(unit: Unit, method: str,
                                                                   template: str) -> None:
    with TestClient(unit.app, base_url=BASE) as anonymous:
        path, response = _call(unit, anonymous, method, template, "anonymous", None)
    if method == "GET":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    else:
        assert response.status_code in (401, 403)   # no session, and no CSRF token either


POSTS = [t for m, t in MATRIX if m == "POST"] + ["/logout", "/account/password"]


@pytest.mark.parametrize("template", POSTS)
@pytest.mark.parametrize("token", [None, "0" * 64], ids=["no-token", "wrong-token"])
def test_every_form_post_is_refused_without_its_csrf_token(unit: Unit, template: str,
                                                           token: str | None) -> None:
    client = unit.clients["supervisor"]
    path, response = _call(unit, client, "POST", template, "supervisor", token)
    assert response.status_code == 403
    entry = unit.last_entry()
    assert (entry.action, entry.username, entry.subject_id) == \
        ("access.denied", "supervisor", f"POST {path}")
    assert '"permission": "csrf"' in entry.detail


def test_the_login_form_needs_its_csrf_token_too(unit: Unit) -> None:
    with TestClient(unit.app, base_url=BASE) as browser:
        browser.get("/login")
        response = browser.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert response.status_code == 403
    assert '"permission": "csrf"' in unit.last_entry().detail


def test_the_prosecutor_sees_only_cases_sent_to_the_office(unit: Unit) -> None:
    inv, pro = unit.clients["investigator"], unit.clients["prosecutor"]
    opened = inv.post("/cases", data={"kind": "target", "origin_id": "S-unsent",
                                      "csrf_token": token_of(inv)}, follow_redirects=False)
    unsent = opened.headers["location"]
    assert pro.get(unsent).status_code == 403
    listing = pro.get("/cases").text
    assert "Person S-unsent" not in listing and "Person S1" in listing
    assert inv.get(unsent).status_code == 200


def test_another_investigator_cannot_work_a_case_not_assigned_to_them(unit: Unit) -> None:
    with unit.db.session() as session:  # type: ignore[attr-defined]
        with cheap_hashing():
            users.add_user(session, SYSTEM, "investigator-2", role="investigator",
                           display_name="Second Investigator", password=PASSWORD)
    with TestClient(unit.app, base_url=BASE) as other:
        with cheap_hashing():
            login(other, "investigator-2")
        response = other.post(f"/cases/{unit.case_id}/deadline",
                              data={"deadline": "2027-02-01", "csrf_token": token_of(other)})
    assert response.status_code == 403
    assert unit.last_entry().action == "access.denied"


def test_a_case_page_shows_its_work_and_viewing_it_is_logged(unit: Unit) -> None:
    sup = unit.clients["supervisor"]
    token = token_of(sup)
    sup.post(f"/cases/{unit.case_id}/notes", data={"text": "Payout city confirmed.",
                                                   "csrf_token": token})
    page = sup.get(f"/cases/{unit.case_id}")
    assert page.status_code == 200
    assert "Payout city confirmed." in page.text and "answer.txt" in page.text
    assert "sent to prosecutor" in page.text and "Maria Example" in page.text
    entry = unit.last_entry()
    assert (entry.action, entry.username) == ("case.view", "supervisor")
    download = unit.clients["prosecutor"].get(
        f"/cases/{unit.case_id}/evidence/{unit.evidence_id}")
    assert download.content == b"Synthetic operator answer.\n"
    assert unit.last_entry().action == "evidence.download"


def test_a_mistake_comes_back_as_a_message_on_the_page(unit: Unit) -> None:
    sup = unit.clients["supervisor"]
    response = sup.post(f"/cases/{unit.case_id}/status",
                        data={"status": "closed", "csrf_token": token_of(sup)})
    assert response.status_code == 200 and "closing needs an outcome" in response.text
    missing = sup.post("/cases", data={"kind": "target", "origin_id": "missing",
                                       "csrf_token": token_of(sup)})
    assert "no target &#39;missing&#39;" in missing.text


def test_supervisor_filters_the_audit_page_by_user(unit: Unit) -> None:
    page = unit.clients["supervisor"].get("/audit", params={"username": "prosecutor"})
    rows = re.findall(r"<tr><td>\d+</td><td>[^<]+</td><td>([^< ]+)", page.text)
    assert rows and set(rows) == {"prosecutor"}
    assert unit.last_entry().action == "audit.view"


def test_workload_page_compares_open_cases_with_capacity(unit: Unit) -> None:
    page = unit.clients["supervisor"].get("/workload").text
    assert "The unit&#39;s workload" in page and "Investigator" in page
    own = unit.clients["investigator"].get("/workload").text
    assert "Your workload" in own and "Supervisor" not in own.split('<main id="main">')[1]


def test_login_failures_are_refused_and_logged(unit: Unit) -> None:
    with TestClient(unit.app, base_url=BASE) as browser:
        token = token_of(browser, "/login")
        response = browser.post("/login", data={"username": "analyst", "password": "nope",
                                                "csrf_token": token})
    assert response.status_code == 401 and "Wrong username or password" in response.text
    entry = unit.last_entry()
    assert (entry.action, entry.outcome, entry.username) == ("login", "denied", "analyst")


def test_a_temporary_password_must_be_changed_before_anything_else(unit: Unit) -> None:
    with unit.db.session() as session, cheap_hashing():  # type: ignore[attr-defined]
        _, temporary = users.add_user(session, SYSTEM, "newcomer", role="analyst",
                                      display_name="Newcomer")
    with TestClient(unit.app, base_url=BASE) as browser, cheap_hashing():
        login(browser, "newcomer", temporary)
        blocked = browser.get("/cases", follow_redirects=False)
        assert blocked.headers["location"] == "/account/password"
        changed = browser.post("/account/password", data={
            "current": temporary, "new": "my own long secret", "confirm": "my own long secret",
            "csrf_token": token_of(browser)})
        assert "Your password was changed" in changed.text
        assert browser.get("/cases").status_code == 200
        browser.post("/logout", data={"csrf_token": token_of(browser)})
        assert browser.get("/cases", follow_redirects=False).status_code == 303
    with unit.db.session() as session:  # type: ignore[attr-defined]
        user = users.get_user(session, "newcomer")
        assert isinstance(user, User) and not user.must_change_password
