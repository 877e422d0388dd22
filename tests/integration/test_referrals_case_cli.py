"""`filature referrals open-case`: a referral opens a case with its hits and network as
evidence, or extends an open case; the acting account's role is checked and audited."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from filature.cases.audit import SYSTEM, AuditFilter, query_entries
from filature.cases.db import CaseDatabase
from filature.cases.evidence import stored_path
from filature.cases.models import Case
from filature.cases.roles import Forbidden
from filature.cases.users import add_user
from filature.cli import app
from filature.referrals.intake import import_referrals
from tests.builders import screened_corridor_store
from tests.cases_support import ENGINES, postgres_copy

runner = CliRunner()
REFERRALS = [
    {"referral_id": "EU-JOY", "source": "Europol",
     "subjects": [{"role": "suspected_facilitator", "names": ["REYES JOY"],
                   "phones": ["0917 555 0303"]}]},
    {"referral_id": "FIU-B2", "subjects": [{"role": "suspected_buyer",
                                             "emails": ["Buyer2.Dupont@example.org"]}]},
]


@pytest.fixture(params=ENGINES)
def setup(request: pytest.FixtureRequest, tmp_path: Path, migrated_templates,
          fast_passwords) -> Iterator[tuple[str, str, Path]]:
    """A stored corridor world with two referrals, and a case database (SQLite, then
    PostgreSQL) holding an investigator and a prosecutor."""
    db = tmp_path / "f.duckdb"
    con = screened_corridor_store(db)
    (tmp_path / "alerts.jsonl").write_text("\n".join(json.dumps(r) for r in REFERRALS))
    import_referrals(con, tmp_path / "alerts.jsonl")
    con.close()
    with ExitStack() as stack:
        url = (migrated_templates.sqlite_copy(tmp_path) if request.param == "sqlite"
               else stack.enter_context(postgres_copy(migrated_templates)))
        database = CaseDatabase.open(url, upgrade=False)
        with database.session() as session:
            add_user(session, SYSTEM, "ines", role="investigator", display_name="Ines")
            add_user(session, SYSTEM, "paul", role="prosecutor", display_name="Paul")
        database.dispose()
        yield str(db), url, tmp_path / "evidence"


def _open_case(setup: tuple[str, str, Path], *args: str):
    db, url, evidence = setup
    return runner.invoke(app, ["--db", db, "referrals", "open-case", *args, "--cases-url", url,
                               "--evidence-dir", str(evidence)])


def test_a_referral_opens_a_case_then_extends_it(setup: tuple[str, str, Path]) -> None:
    refused = _open_case(setup, "EU-JOY", "--user", "paul")
    assert isinstance(refused.exception, Forbidden)   # the prosecutor's office opens nothing

    opened = _open_case(setup, "EU-JOY", "--user", "ines")
    assert opened.exit_code == 0, opened.output
    reference = opened.stdout.strip().splitlines()[-1]
    database = CaseDatabase.open(setup[1], upgrade=False)
    try:
        with database.session() as session:
            case = session.scalars(select(Case)).one()
            assert case.reference == reference and case.origin_id == "EU-JOY"
            assert [p.name for p in case.parties if p.is_subject] == ["Joy Reyes"]
            assert case.assignee.username == "ines"   # an investigator opening it holds it
            for item in case.evidence:
                content = stored_path(setup[2], item.sha256).read_bytes()
                assert hashlib.sha256(content).hexdigest() == item.sha256
            graph = next(i for i in case.evidence if i.file_name.endswith(".graphml"))
            assert b"Buyer0 Dupont" in stored_path(setup[2], graph.sha256).read_bytes()

        extended = _open_case(setup, "FIU-B2", "--case", reference, "--user", "ines")
        assert extended.exit_code == 0, extended.output
        with database.session() as session:
            case = session.scalars(select(Case)).one()
            assert {p.name for p in case.parties if p.is_subject} == {"Joy Reyes",
                                                                      "Buyer2 Dupont"}
            assert len(case.evidence) == 4
            entries, _ = query_entries(session, AuditFilter(subject=reference), limit=20)
            actions = [(e.action, e.username) for e in entries]
            assert ("case.open", "ines") in actions and ("case.extend", "ines") in actions
            assert sum(a == "evidence.add" for a, _ in actions) == 4
    finally:
        database.dispose()
