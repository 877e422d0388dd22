"""The referral, follow and session commands, run as a user would on a stored corridor world."""

import csv
import json

import igraph as ig
import pytest
from typer.testing import CliRunner

from filature.cli import app
from filature.errors import InvalidData
from tests.builders import BASE, screened_corridor_store

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("referrals") / "f.duckdb"
    con = screened_corridor_store(path)
    con.close()
    return str(path)


def test_import_match_list_and_report(db, tmp_path):
    referrals = tmp_path / "alerts.jsonl"
    referrals.write_text("\n".join(json.dumps(d) for d in [
        {"referral_id": "EU-1", "source": "Europol", "received_at": "2025-01-10",
         "subjects": [{"role": "suspected_facilitator", "names": ["REYES JOY"],
                       "phones": ["0917 555 0303"]}]},
        {"referral_id": "EU-2", "subjects": [{"role": "suspected_buyer",
                                               "names": ["Ignatius Nobody"]}]},
    ]))
    output = _ok("--db", db, "referrals", "import", str(referrals))
    assert "2 referral(s)" in output and "EU-2: no hit yet" in output
    listing = _ok("--db", db, "referrals", "list")
    assert "EU-1" in listing and "matched" in listing and "open" in listing
    assert "1 referral(s) matched" in _ok("--db", db, "referrals", "match")
    out = tmp_path / "eu1.csv"
    _ok("--db", db, "referrals", "report", "EU-1", "--format", "csv", "--out", str(out))
    rows = list(csv.DictReader(out.open()))
    assert [r["rank"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert {r["name"] for r in rows} == {f"Buyer{b} Dupont" for b in range(5)}
    assert all(r["receivers"] == "Joy Reyes" and r["transfer_ids"] for r in rows)
    assert "phone +639175550303" in rows[0]["hit_reason"]


def test_a_malformed_referral_is_refused_with_its_fields(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"referral_id": "X", "received_at": "10/01/2025",
                               "subjects": [{"role": "pimp", "names": ["A"]}]}))
    result = runner.invoke(app, ["--db", db, "referrals", "import", str(bad)])
    assert isinstance(result.exception, InvalidData)
    assert "received_at" in str(result.exception) and "subjects[0].role" in str(result.exception)


def test_follow_exports_graphml_from_an_email_seed(db, tmp_path):
    out = tmp_path / "net.graphml"
    _ok("--db", db, "follow", "buyer2.dupont@example.org", "--hops", "2", "--max-eur", "60",
        "--corridor", "FR-PH", "--format", "graphml", "--out", str(out))
    graph = ig.Graph.Read_GraphML(str(out))
    labels = set(graph.vs["label"])
    assert {"Buyer2 Dupont", "Joy Reyes", "Occasional Bob"} <= labels
    assert "Hope Foundation" not in labels
    table = _ok("--db", db, "follow", "buyer2.dupont@example.org", "--hops", "1")
    assert "Maria" in table and "Santos" in table  # the table may wrap names


def test_sessions_import_and_flags(db, tmp_path):
    log = tmp_path / "calls.csv"
    # Buyer2 pays Joy Reyes on 7 January 2024 at 23:00 UTC; a call 30 min later.
    start = BASE.replace(day=7, hour=23, minute=30)
    log.write_text("Account,Peer_Account,Start,End,IP,Platform\n"
                   f"buyer2.dupont@example.org,+63 917 555 0303,{start.isoformat()},,,VidChat\n"
                   "buyer2.dupont@example.org,,not a time,,,VidChat\n")
    output = _ok("--db", db, "sessions", "import", str(log))
    assert "1 sessions added" in output and "line 3" in output
    out = tmp_path / "flags.csv"
    _ok("--db", db, "sessions", "flags", "--window-hours", "2", "--format", "csv",
        "--out", str(out))
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1 and rows[0]["minutes_after"] == "30.0"
