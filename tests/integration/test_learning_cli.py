"""`filature screen` learning from a case database's outcomes, and `filature model report`."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from filature.cli import app
from filature.store import open_store

pytestmark = pytest.mark.slow


def _run(*args: str, url: str | None = None):  # type: ignore[no-untyped-def]
    env = {"FILATURE_CASES_URL": url} if url else {}
    return CliRunner().invoke(app, list(args), env=env)


def _buyers_and_reviewed(db: str, truth) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """(sender_id, name) of the world's buyers, and of top-ranked senders who are not."""
    con = open_store(db)
    rows = con.execute(
        """WITH truth AS (
            SELECT t.provider, t.transfer_id, pp.role
            FROM read_csv($tx, all_varchar = true) t
            JOIN read_csv($people, all_varchar = true) pp ON pp.person_id = t.sender_person_id
        ), entity AS (
            SELECT p.sender_id, mode(truth.role) AS role, any_value(t.sender_name) AS name
            FROM transfer_parties p JOIN truth USING (provider, transfer_id)
            JOIN transfers t USING (provider, transfer_id) GROUP BY p.sender_id
        )
        SELECT e.sender_id, e.name, e.role FROM entity e JOIN sender_scores s USING (sender_id)
        WHERE s.run_id = (SELECT max(run_id) FROM sender_scores) ORDER BY s.rank""",
        {"tx": str(truth / "transfers.csv"), "people": str(truth / "people.csv")}).fetchall()
    con.close()
    buyers = [(s, n) for s, n, role in rows if role == "buyer"]
    reviewed = [(s, n) for s, n, role in rows if role != "buyer"][:30]
    return buyers, reviewed


def _close_cases(database, charged, cleared) -> None:  # type: ignore[no-untyped-def]
    from filature.cases import services, users
    from filature.cases.audit import SYSTEM
    from filature.cases.snapshots import Opening, PartyRef

    with database.session() as session:
        inv, _ = users.add_user(session, SYSTEM, "inv", role="investigator",
                                display_name="Inv", password="correct horse battery")
        for outcome, people in (("charged", charged), ("cleared", cleared)):
            for sender_id, name in people:
                case = services.open_case(session, inv, Opening(
                    "target", sender_id, name, 1.0, "run-1",
                    subjects=[PartyRef("sender", sender_id, name)]))
                steps = (["triage", "investigation", "sent_to_prosecutor"]
                         if outcome == "charged" else [])
                for status in steps:
                    services.change_status(session, inv, case, status)
                services.change_status(session, inv, case, "closed", outcome=outcome)


def test_screen_learns_from_closed_cases_and_reports_the_model(
        screened_world, migrated_templates, fast_passwords, tmp_path) -> None:
    from filature.cases.db import CaseDatabase

    db = str(tmp_path / "f.duckdb")
    shutil.copy(screened_world.db, db)
    buyers, reviewed = _buyers_and_reviewed(db, screened_world.world / "truth")
    assert len(buyers) >= 22
    url = migrated_templates.sqlite_copy(tmp_path)
    database = CaseDatabase.open(url, upgrade=False)
    _close_cases(database, buyers[-22:], reviewed[:25])
    database.dispose()

    screened = _run("--db", db, "screen", "--capacity", "30", url=url)
    assert screened.exit_code == 0, screened.output
    said = " ".join(screened.output.split())       # the console wraps long lines
    assert "supervised model" in said and "22 confirmed, 25 cleared" in said
    report = _run("--db", db, "model", "report")
    assert report.exit_code == 0, report.output
    assert "AUC" in report.output and "Brier" in report.output
    assert "labels in the run: 22 confirmed, 25 cleared" in report.output

    con = open_store(db)
    run_id, ranking = con.execute("SELECT run_id, ranking FROM supervised_models "
                                  "WHERE status = 'fitted'").fetchone()
    assert ranking == "supervised"
    targets = [r[0] for r in con.execute("SELECT target_id FROM targets WHERE run_id = ? "
                                         "ORDER BY rank", [run_id]).fetchall()]
    # in the blended order, less the senders folded into a better-ranked target's line
    blended = [r[0] for r in con.execute(
        "SELECT sender_id FROM supervised_scores s JOIN sender_scores USING (run_id, sender_id) "
        "WHERE run_id = $run AND score > 0 AND sender_id NOT IN (SELECT alias_id FROM "
        "target_aliases WHERE run_id = $run) ORDER BY s.rank LIMIT 30", {"run": run_id}
    ).fetchall()]
    con.close()
    assert targets == blended and len(targets) == 30

    # --no-labels: a run without a model; a case database that does not exist: the same by
    # default, an error when labels are asked for.
    assert _run("--db", db, "screen", "--capacity", "30", "--no-labels", url=url).exit_code == 0
    missing = f"sqlite:///{tmp_path / 'absent.sqlite'}"
    assert _run("--db", db, "screen", "--capacity", "30", url=missing).exit_code == 0
    asked = _run("--db", db, "screen", "--capacity", "30", "--labels-from-cases", url=missing)
    assert asked.exit_code == 1 and not (tmp_path / "absent.sqlite").exists()
    con = open_store(db)
    assert con.execute("SELECT count(*) FROM supervised_models").fetchone()[0] == 1
    con.close()


def test_screen_says_why_it_did_not_learn_from_too_few_outcomes(
        screened_world, migrated_templates, fast_passwords, tmp_path) -> None:
    from filature.cases.db import CaseDatabase

    db = str(tmp_path / "f.duckdb")
    shutil.copy(screened_world.db, db)
    buyers, reviewed = _buyers_and_reviewed(db, screened_world.world / "truth")
    url = migrated_templates.sqlite_copy(tmp_path)
    database = CaseDatabase.open(url, upgrade=False)
    _close_cases(database, buyers[:3], reviewed[:4])
    database.dispose()

    screened = _run("--db", db, "screen", "--capacity", "30", url=url)
    assert screened.exit_code == 0, screened.output
    said = " ".join(screened.output.split())       # the console wraps long lines
    assert "not enough outcomes to learn from: 3 confirmed and 4 cleared" in said
    report = _run("--db", db, "model", "report")
    assert "skipped" in report.output and "no model: not enough outcomes" in report.output
