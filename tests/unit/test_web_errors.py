"""Errors in the reader's language: a case service's mistake reaches the page in French by
default and in English after the switch; every message key has both catalogue entries."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from filature.errors import InputError, NotFound
from filature.web.i18n import LANGUAGES, Translator, catalogue
from tests.cases_support import WebClient, add_web_user, csrf_of, sign_in
from tests.unit.test_web import _store

CASES = Path(__file__).resolve().parents[2] / "filature" / "cases"
# The modules whose errors reach an investigator's page.
USER_FACING = ("services.py", "users.py", "evidence.py", "referrals.py")
# Raises that only a programming mistake reaches: they keep their English text.
INTERNAL = {"open_from_referral takes a referral's opening"}
RAISED = {"InputError", "NotFound", "StoreError"}


def _calls_with_a_key() -> dict[str, set[str]]:
    """Every ``key="..."`` given to a call in the cases package, with its ``params`` names."""
    keys: dict[str, set[str]] = {}
    for module in CASES.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            given = {k.arg: k.value for k in node.keywords}
            if _callee(node) == "_need" and len(node.args) == 4:  # (ok, permission, reason, key)
                given["key"] = node.args[3]
            key = given.get("key")
            if not isinstance(key, ast.Constant):
                continue
            params = given.get("params")
            names = ({k.value for k in params.keys if isinstance(k, ast.Constant)}
                     if isinstance(params, ast.Dict) else set())
            assert keys.setdefault(key.value, names) == names, (module.name, key.value)
    return keys


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_every_error_key_of_the_cases_package_is_in_both_catalogues_with_its_params() -> None:
    keys = _calls_with_a_key()
    assert len(keys) >= 25 and "forbidden.not_assigned" in keys
    for language in LANGUAGES:
        labels = catalogue(language)
        for key, params in keys.items():
            assert f"error.{key}" in labels, (language, key)
            assert _fields(labels[f"error.{key}"]) == params, (language, key)


def test_every_user_facing_raise_in_the_cases_package_has_a_key() -> None:
    unkeyed = []
    for name in USER_FACING:
        for node in ast.walk(ast.parse((CASES / name).read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and isinstance(node.exc.func, ast.Name) and node.exc.func.id in RAISED):
                continue
            reason = node.exc.args[0] if node.exc.args else None
            if isinstance(reason, ast.Constant) and reason.value in INTERNAL:
                continue
            if not any(k.arg == "key" for k in node.exc.keywords):
                unkeyed.append(f"{name}:{node.lineno}")
    assert not unkeyed


def test_a_keyed_error_quotes_the_page_labels_and_an_unkeyed_one_its_own_text() -> None:
    error = InputError("a case in closed cannot go to triage (allowed: none)",
                       key="case.bad_transition",
                       params={"status": "closed", "target": "triage", "allowed": []})
    assert Translator("fr").error(error) == (
        "Un dossier au statut « clos » ne peut pas passer au statut « tri » "
        "(statuts possibles : aucun).")
    assert Translator("en").error(error) == str(error)
    assert str(error) == "a case in closed cannot go to triage (allowed: none)"
    plain = NotFound("no screening run yet")
    assert plain.key is None and Translator("fr").error(plain) == "no screening run yet"
    unknown = InputError("something new", key="case.not_in_the_catalogue")
    assert Translator("fr").error(unknown) == "something new"


def test_the_assignee_s_role_is_named_by_its_label() -> None:
    error = InputError("x", key="case.assignee_cannot_work",
                       params={"username": "ana", "role": "analyst"})
    assert "« Analyste »" in Translator("fr").error(error)
    assert "role Analyst" in Translator("en").error(error)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("web-errors") / "f.duckdb")


def _text(page: str) -> str:
    return html.unescape(page)


def _open_case(client: Any) -> tuple[str, str]:
    """Open a case on the queue's first target; (the case's URL, the form token)."""
    target = re.findall(r'href="/targets/([^"?#]+)"', client.get("/targets").text)[0]
    token = csrf_of(client, "/cases")
    opened = client.post("/cases", data={"kind": "target", "origin_id": target,
                                         "csrf_token": token}, follow_redirects=False)
    return opened.headers["location"], token


def test_a_refused_transition_reads_in_french_then_in_english(store: Path,
                                                              web_client: WebClient) -> None:
    with web_client(store, role="investigator") as client:
        case_url, token = _open_case(client)
        move = {"status": "sent_to_prosecutor", "csrf_token": token}
        french = _text(client.post(f"{case_url}/status", data=move).text)
        assert ("Un dossier au statut « nouveau » ne peut pas passer au statut « transmis au "
                "parquet » (statuts possibles : clos, tri).") in french
        client.get("/lang/en")
        english = _text(client.post(f"{case_url}/status", data=move).text)
        assert ("a case in new cannot go to sent to prosecutor (allowed: closed, triage)"
                in english)
        assert "statuts possibles" not in english


def test_the_error_page_speaks_the_reader_s_language(store: Path,
                                                     web_client: WebClient) -> None:
    """A stored evidence file gone from disk: the download answers the error page."""
    with web_client(store, role="investigator") as client:
        case_url, token = _open_case(client)
        client.post(f"{case_url}/evidence", data={"csrf_token": token},
                    files={"file": ("answer.txt", b"Synthetic operator answer.\n",
                                    "text/plain")})
        evidence_id = re.findall(rf'href="{case_url}/evidence/(\d+)"',
                                 client.get(case_url).text)[0]
        folder = client.app.state.cases.evidence_dir
        for stored in folder.rglob("*"):
            if stored.is_file():
                stored.unlink()
        french = client.get(f"{case_url}/evidence/{evidence_id}")
        assert french.status_code == 500
        assert ("Le fichier de la pièce n° " f"{evidence_id} (answer.txt) est introuvable"
                in _text(french.text))
        assert str(folder) not in french.text
        client.get("/lang/en")
        english = _text(client.get(f"{case_url}/evidence/{evidence_id}").text)
        assert f"the file of evidence {evidence_id} (answer.txt) is missing" in english


def test_a_refusal_names_its_reason_in_the_reader_s_language(store: Path,
                                                            web_client: WebClient) -> None:
    """The prosecutor's office asks for a case not sent to it: 403, the reason in French."""
    with web_client(store, role="investigator") as client:
        target = re.findall(r'href="/targets/([^"?#]+)"', client.get("/targets").text)[0]
        case_url = client.post("/cases", data={"kind": "target", "origin_id": target,
                                                "csrf_token": csrf_of(client, "/cases")},
                               follow_redirects=False).headers["location"]
        add_web_user(client.app.state.cases.database, "prosecutor", "prosecutor")
        with TestClient(client.app) as office:
            sign_in(office, "prosecutor")
            refused = office.get(case_url)
            assert refused.status_code == 403
            assert "Ce dossier n'a pas été transmis au parquet." in _text(refused.text)
            office.get("/lang/en")
            assert "this case was not sent to you" in _text(office.get(case_url).text)


def test_a_deadline_that_is_not_a_date_reads_in_french_then_in_english(
        store: Path, web_client: WebClient) -> None:
    with web_client(store, role="investigator") as client:
        case_url, token = _open_case(client)
        typed = {"deadline": "15/01/2027", "csrf_token": token}
        french = _text(client.post(f"{case_url}/deadline", data=typed).text)
        assert "« 15/01/2027 » n'est pas une date (AAAA-MM-JJ)." in french
        client.get("/lang/en")
        english = _text(client.post(f"{case_url}/deadline", data=typed).text)
        assert "'15/01/2027' is not a date (YYYY-MM-DD)" in english


def test_a_form_without_its_security_token_is_refused_in_the_reader_s_language(
        store: Path, web_client: WebClient) -> None:
    with web_client(store, role="investigator") as client:
        refused = client.post("/cases", data={"kind": "target", "origin_id": "x"})
        assert refused.status_code == 403
        assert ("Le jeton de sécurité du formulaire manque ou n'est plus valable"
                in _text(refused.text))
        client.get("/lang/en")
        english = _text(client.post("/cases", data={"kind": "target", "origin_id": "x"}).text)
        assert "the form's security token is missing or wrong" in english
