"""The referral, follow-the-money and session pages through the test client: each role let in
or refused (403, audited), a malformed upload listing its errors and loading nothing, a case
opened or extended from a referral with its network as evidence, and payments followed by a
video session marked on the target page."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import shutil
from pathlib import Path

import igraph as ig
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from filature.cases.audit import AuditFilter, query_entries
from filature.cases.models import Case
from filature.network.follow import NODE_COLUMNS
from filature.referrals.intake import import_referrals
from filature.referrals.session_flags import compute_session_flags
from filature.referrals.sessions import import_sessions
from filature.store import open_store
from tests.cases_support import WebClient, csrf_of
from tests.unit.test_web import _store

ROLES = ("analyst", "investigator", "supervisor", "prosecutor", "partner_liaison", "admin")
REFERRAL = {"referral_id": "PH-NBI-7", "source": "NBI", "source_country": "PH",
            "received_at": "2024-06-01", "partner_case": "NBI-CC-12",
            "subjects": [{"role": "suspected_facilitator", "names": ["MARIA SANTOS"]}]}
NO_HIT = {"referral_id": "EU-NONE", "subjects": [{"role": "suspected_buyer",
                                                 "names": ["Ignatius Nobody"]}]}
# Claude Marchand paid Maria Santos on 2024-01-10 at 23:00 UTC with the phone +33612345678;
# his phone, in French national format, starts a video session 30 minutes later.
SESSIONS = ("account,peer_account,start,end,ip,platform\n"
            "06 12 34 56 78,,2024-01-11T00:30:00+01:00,2024-01-11T01:10:00+01:00,,VidChat\n")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-referrals")
    db = _store(folder / "f.duckdb")
    (folder / "nbi.jsonl").write_text(json.dumps(REFERRAL) + "\n" + json.dumps(NO_HIT),
                                      encoding="utf-8")
    (folder / "vidchat.csv").write_text(SESSIONS, encoding="utf-8")
    con = open_store(db)
    try:
        import_referrals(con, folder / "nbi.jsonl")
        import_sessions(con, folder / "vidchat.csv")
        compute_session_flags(con, 6)
    finally:
        con.close()
    return db


@pytest.fixture(scope="module")
def ids(store: Path) -> dict[str, str]:
    """Party ids of the store: Maria Santos (receiver), Claude Marchand and Buyer0 (senders)."""
    con = open_store(store)
    try:
        rows = con.execute(
            """SELECT DISTINCT 'maria', p.receiver_id FROM transfers t
               JOIN transfer_parties p USING (provider, transfer_id)
               WHERE t.receiver_name_norm = 'maria santos'
               UNION SELECT DISTINCT replace(t.sender_name_norm, ' ', '_'), p.sender_id
               FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
               WHERE t.sender_name_norm IN ('claude marchand', 'buyer0 dupont')""").fetchall()
    finally:
        con.close()
    return dict(rows)


def _text(response) -> str:
    return html.unescape(response.text)


def _entries(client: TestClient, **where: str):
    with client.app.state.cases.database.session() as session:  # type: ignore[attr-defined]
        rows, _ = query_entries(session, AuditFilter(**where), limit=50)
        return list(rows)


# (method, path) -> the roles allowed, written from the roles (not read from
# filature.cases.roles) so that a change of the permission table shows here.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/referrals"): {"analyst", "investigator", "supervisor", "partner_liaison"},
    ("POST", "/referrals"): {"analyst", "investigator", "supervisor", "partner_liaison"},
    ("GET", "/referrals/PH-NBI-7"): {"analyst", "investigator", "supervisor",
                                     "partner_liaison"},
    ("GET", "/referrals/PH-NBI-7/network?format=json"): {"analyst", "investigator",
                                                         "supervisor", "partner_liaison"},
    ("GET", "/referrals/PH-NBI-7/report?format=csv"): {"analyst", "investigator",
                                                       "supervisor", "partner_liaison"},
    ("POST", "/referrals/PH-NBI-7/case"): {"analyst", "investigator", "supervisor"},
    ("GET", "/follow?seed=referral:PH-NBI-7&hops=1"): {"analyst", "investigator",
                                                       "supervisor"},
    ("GET", "/follow/export?seed=referral:PH-NBI-7&hops=1&format=csv"): {
        "analyst", "investigator", "supervisor"},
}
# What a permitted user gets: the page, a refused (malformed) upload, a redirect to the case.
ALLOWED_STATUS = {"GET": 200, "POST /referrals": 400, "POST /referrals/PH-NBI-7/case": 303}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_each_referral_and_follow_route(store: Path, web_client: WebClient,
                                                          role: str) -> None:
    with web_client(store, role=role) as client:
        token = csrf_of(client, "/account/password")
        for (method, path), allowed in MATRIX.items():
            if method == "GET":
                response = client.get(path, follow_redirects=False)
            elif path == "/referrals":
                response = client.post(path, data={"csrf_token": token}, files={
                    "file": ("bad.json", b'{"referral_id": "X"}', "application/json")})
            else:
                response = client.post(path, data={"csrf_token": token},
                                       follow_redirects=False)
            if role in allowed:
                expected = ALLOWED_STATUS.get(f"{method} {path}", ALLOWED_STATUS["GET"])
                assert response.status_code == expected, (path, response.text[:300])
                continue
            assert response.status_code == 403, (role, path)
            denied = _entries(client, action="access.denied")[0]
            assert (denied.username, denied.outcome) == (role.replace("_", "-"), "denied")
            assert denied.subject_id == f"{method} {path.split('?')[0]}"


def test_the_new_routes_need_the_forms_token(store: Path, web_client: WebClient) -> None:
    with web_client(store, role="supervisor") as client:
        upload = client.post("/referrals", files={
            "file": ("nbi.json", json.dumps(REFERRAL).encode(), "application/json")})
        opened = client.post("/referrals/PH-NBI-7/case", data={"csrf_token": "0" * 64})
        assert upload.status_code == opened.status_code == 403
        assert '"permission": "csrf"' in _entries(client, action="access.denied")[0].detail
        with client.app.state.cases.database.session() as session:  # type: ignore[attr-defined]
            assert session.scalars(select(Case)).all() == []


def test_a_malformed_referral_lists_every_error_and_loads_nothing(
        store: Path, tmp_path: Path, web_client: WebClient) -> None:
    copy = tmp_path / "store" / "f.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(store, copy)
    broken = [
        {"referral_id": "BAD-1", "subjects": []},
        {"referral_id": "BAD-2", "received_at": "2024-13-45",
         "subjects": [{"role": "suspected_buyer", "emails": ["x@example.org"]}]},
        {"referral_id": "BAD-3", "subjects": [{"role": "accomplice", "names": ["Jo Doe"]}]},
        {"referral_id": "GOOD-4", "subjects": [{"role": "unknown", "names": ["Liza Cruz"]}]},
    ]
    with web_client(copy, role="partner_liaison") as client:
        page = client.post("/referrals", data={"csrf_token": csrf_of(client, "/referrals")},
                           files={"file": ("alerts.json", json.dumps(broken).encode(),
                                           "application/json")})
        assert page.status_code == 400
        errors = re.findall(r"<li>(.*?)</li>", re.search(
            r'id="referral-errors">(.*?)</div>', _text(page), re.S)[1])
        assert "Fichier alerts.json refusé, rien n'a été chargé" in _text(page)
        assert any(e.startswith("item 1") and "subjects" in e for e in errors), errors
        assert any(e.startswith("item 2") and "received_at" in e for e in errors), errors
        assert any(e.startswith("item 3") and "accomplice" in e for e in errors), errors
        assert len(errors) == 3   # the good fourth referral has none, and was not loaded
        listing = client.get("/referrals").text
        assert "GOOD-4" not in listing and "PH-NBI-7" in listing
        entry = _entries(client, action="referral.import")[0]
        assert (entry.outcome, entry.subject_id) == ("failed", "alerts.json")

        # The same subjects as a correct CSV list load, and are matched at once.
        table = ("referral_id,role,names,source\n"
                 "CSV-5,suspected_facilitator,Liza Cruz;Liza Kruz,Hotline\n")
        loaded = client.post("/referrals", data={"csrf_token": csrf_of(client, "/referrals")},
                             files={"file": ("list.csv", table.encode(), "text/csv")})
        assert loaded.status_code == 200
        assert re.search(r'<a href="/referrals/CSV-5">CSV-5</a>', loaded.text)
        row = next(r for r in client.get("/referrals").text.split("<tr")
                   if 'href="/referrals/CSV-5"' in r)
        assert "rapproché" in html.unescape(row) and "Hotline" in row
        assert _entries(client, action="referral.import")[0].outcome == "ok"


def test_a_referral_page_shows_hits_network_related_senders_and_downloads(
        store: Path, ids: dict[str, str], web_client: WebClient, tmp_path: Path) -> None:
    with web_client(store, role="analyst") as client:
        page = client.get("/referrals/PH-NBI-7")
        text = _text(page)
        assert page.status_code == 200
        assert 'name "MARIA SANTOS" is close to "maria santos" (similarity 1.00)' in text
        assert "0,60" in text and "facilitateur présumé" in text and "NBI-CC-12" in text
        elements = json.loads(re.search(r'id="network-data">(.*?)</script>', page.text,
                                        re.S)[1])
        seeds = [e["data"]["id"] for e in elements if e["data"].get("seed")]
        assert seeds == [f"r:{ids['maria']}"]
        drawn = {e["data"]["label"].split(" (")[0] for e in elements if "kind" in e["data"]}
        assert {f"Buyer{b} Dupont" for b in range(5)} | {"Claude Marchand"} <= drawn
        payers = re.search(r'id="follow-payers">(.*?)</table>', text, re.S)[1]
        names = re.findall(r'href="/targets/[^"]+">([^<]+)</a>', payers)
        assert all(n.startswith("Buyer") for n in names[:5]) and len(names) == 7
        report = list(csv.DictReader(io.StringIO(
            client.get("/referrals/PH-NBI-7/report", params={"format": "csv"}).text)))
        assert [r["rank"] for r in report] == [str(i) for i in range(1, 8)]
        assert all(r["name"].startswith("Buyer") for r in report[:5])
        assert {r["hit_party_id"] for r in report} == {ids["maria"]}
        assert report[0]["path"].startswith(ids["maria"])
        assert _entries(client, action="referral.view")[0].subject_id == "PH-NBI-7"

        graphml = client.get("/referrals/PH-NBI-7/network", params={"format": "graphml"})
        assert graphml.headers["content-disposition"].endswith('network.graphml"')
        (tmp_path / "network.graphml").write_bytes(graphml.content)
        graph = ig.Graph.Read_GraphML(str(tmp_path / "network.graphml"))
        assert graph.vcount() == 8 and graph.ecount() == 7
        rows = list(csv.reader(io.StringIO(client.get("/referrals/PH-NBI-7/network").text)))
        assert tuple(rows[0]) == NODE_COLUMNS and len(rows) == 9
        assert '"format": "csv"' in _entries(client, action="referral.export")[0].detail
        assert client.get("/referrals/PH-NBI-7/network",
                          params={"format": "xlsx"}).status_code == 400
        assert client.get("/referrals/NOPE").status_code == 404


def test_a_referral_opens_a_case_with_its_hits_and_network_attached(
        store: Path, ids: dict[str, str], web_client: WebClient, tmp_path: Path) -> None:
    with web_client(store, role="investigator") as client:
        token = csrf_of(client, "/referrals/PH-NBI-7")
        opened = client.post("/referrals/PH-NBI-7/case", data={"csrf_token": token},
                             follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"].startswith("/cases/")
        database = client.app.state.cases.database  # type: ignore[attr-defined]
        with database.session() as session:
            case = session.scalars(select(Case)).one()
            assert (case.origin_kind, case.origin_id) == ("referral", "PH-NBI-7")
            subjects = {(p.side, p.party_id) for p in case.parties if p.is_subject}
            assert subjects == {("receiver", ids["maria"])}
            files = {item.file_name: item.sha256 for item in case.evidence}
            reference = case.reference
        assert set(files) == {"referral-PH-NBI-7-network.json",
                              "referral-PH-NBI-7-network.graphml"}
        stored = tmp_path / "evidence" / files["referral-PH-NBI-7-network.json"][:2] / \
            files["referral-PH-NBI-7-network.json"]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == \
            files["referral-PH-NBI-7-network.json"]
        network = json.loads(stored.read_text(encoding="utf-8"))
        assert network["seed"] == "referral:PH-NBI-7" and len(network["nodes"]) == 8
        actions = [e.action for e in _entries(client, subject=reference)]
        assert actions.count("evidence.add") == 2 and "case.open" in actions
        # The referral page now says which case it opened; a second opening is refused.
        assert reference in client.get("/referrals/PH-NBI-7").text
        again = client.post("/referrals/PH-NBI-7/case", data={"csrf_token": token})
        assert "Un dossier est déjà ouvert sur cet élément (signalement PH-NBI-7)" in _text(again)


def test_a_referral_extends_an_open_case_that_shares_a_party(
        store: Path, ids: dict[str, str], web_client: WebClient) -> None:
    with web_client(store, role="supervisor") as client:
        token = csrf_of(client, "/referrals/PH-NBI-7")
        target = client.post("/cases", data={"kind": "target", "origin_id": ids["buyer0_dupont"],
                                             "csrf_token": token}, follow_redirects=False)
        case_id = int(target.headers["location"].rsplit("/", 1)[1])
        page = _text(client.get("/referrals/PH-NBI-7"))
        assert re.search(r"Ajouter au dossier C-\d{4}-\d{5}", page)  # Buyer0 paid Maria
        extended = client.post("/referrals/PH-NBI-7/case",
                               data={"csrf_token": token, "case_id": str(case_id)},
                               follow_redirects=False)
        assert extended.headers["location"] == f"/cases/{case_id}"
        with client.app.state.cases.database.session() as session:  # type: ignore[attr-defined]
            case = session.get(Case, case_id)
            subjects = {p.party_id for p in case.parties if p.is_subject}
            assert subjects == {ids["buyer0_dupont"], ids["maria"]}
            assert len(case.evidence) == 2
            reference = case.reference
        extend = _entries(client, action="case.extend")[0]
        assert extend.subject_id == reference and "referral:PH-NBI-7" in extend.detail
        assert f"receiver:{ids['maria']}" in extend.detail


def test_an_analyst_may_open_but_not_extend_a_case_held_by_someone_else(
        store: Path, ids: dict[str, str], web_client: WebClient) -> None:
    with web_client(store, role="supervisor") as supervisor:
        supervisor.post("/cases", data={"kind": "target", "origin_id": ids["buyer0_dupont"],
                                        "csrf_token": csrf_of(supervisor, "/cases")})
    with web_client(store, role="analyst") as client:
        page = _text(client.get("/referrals/PH-NBI-7"))
        assert "Ouvrir un dossier" in page and "Ajouter au dossier" not in page
        with client.app.state.cases.database.session() as session:  # type: ignore[attr-defined]
            case_id = session.scalars(select(Case.id)).one()
        refused = client.post("/referrals/PH-NBI-7/case", data={
            "csrf_token": csrf_of(client, "/referrals"), "case_id": str(case_id)})
        assert refused.status_code == 403
        assert _entries(client, action="access.denied")[0].subject_id == \
            "POST /referrals/PH-NBI-7/case"


def test_follow_the_money_from_a_seed_with_filters_and_downloads(
        store: Path, ids: dict[str, str], web_client: WebClient) -> None:
    with web_client(store, role="analyst") as client:
        form = client.get("/follow")
        assert form.status_code == 200 and 'id="follow-form"' in form.text
        everyone = _text(client.get("/follow", params={"seed": ids["maria"], "hops": "1"}))
        assert "7 payeur(s), 1 bénéficiaire(s)" in everyone
        banded = _text(client.get("/follow", params={"seed": ids["maria"], "hops": "1",
                                                     "min_eur": "45"}))
        assert "3 payeur(s)" in banded
        dated = _text(client.get("/follow", params={"seed": ids["maria"], "hops": "1",
                                                    "date_to": "2024-01-05"}))
        assert "1 payeur(s)" in dated   # only Buyer0's first payment, on day 0
        bad = client.get("/follow", params={"seed": ids["maria"], "corridor": "FRANCE"})
        assert bad.status_code == 400 and "SENDER-RECEIVER" in _text(bad)
        unknown = client.get("/follow", params={"seed": "nobody@example.org"})
        assert unknown.status_code == 404 and "nothing in the transfers" in _text(unknown)
        assert _entries(client, action="follow")[0].outcome == "failed"
        download = client.get("/follow/export", params={"seed": ids["maria"], "hops": "1",
                                                        "min_eur": "45", "format": "json"})
        document = download.json()
        assert document["filters"]["min_eur"] == 45.0
        assert len([n for n in document["nodes"] if n["side"] == "sender"]) == 3
        assert _entries(client, action="follow.export")[0].subject_id == ids["maria"]


def test_the_target_page_marks_payments_followed_by_a_video_session(
        store: Path, ids: dict[str, str], web_client: WebClient) -> None:
    with web_client(store, role="analyst") as client:
        page = client.get(f"/targets/{ids['claude_marchand']}")
        text = _text(page)
        assert "1 paiement(s) suivi(s) d'une session vidéo dans les 6 h" in text, \
            re.search(r'id="session-evidence".*?</div>', text, re.S)
        assert "Source : vidchat.csv (VidChat)" in text
        assert text.count('<span class="tag session">') == 1
        timeline = json.loads(re.search(r'id="timeline-data">(.*?)</script>', page.text,
                                        re.S)[1])
        flagged = [p for p in timeline["points"] if p["session"]]
        assert len(flagged) == 1 and flagged[0]["minutes_after"] == 30.0
        client.get("/lang/en")
        english = _text(client.get(f"/targets/{ids['claude_marchand']}"))
        assert "1 payment(s) followed by a video session within 6 h" in english
        other = _text(client.get(f"/targets/{ids['buyer0_dupont']}"))
        assert "No payment followed by a video session within 6 h." in other


def test_a_referral_without_a_hit_is_kept_open_and_opens_no_case(
        store: Path, web_client: WebClient) -> None:
    with web_client(store, role="investigator") as client:
        row = next(r for r in client.get("/referrals").text.split("<tr")
                   if 'href="/referrals/EU-NONE"' in r)
        assert "sans correspondance" in html.unescape(row)
        page = _text(client.get("/referrals/EU-NONE"))
        assert "Aucune correspondance pour l'instant." in page
        assert 'id="open-case"' not in page and 'id="network-data"' not in page
        refused = client.post("/referrals/EU-NONE/case",
                              data={"csrf_token": csrf_of(client, "/referrals/EU-NONE")})
        assert "n'a aucune correspondance assez forte pour ouvrir un dossier" in _text(refused)
        with client.app.state.cases.database.session() as session:  # type: ignore[attr-defined]
            assert session.scalars(select(Case)).all() == []
