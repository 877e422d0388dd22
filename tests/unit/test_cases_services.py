"""Working cases: opening, the status workflow, row rules, links, workload, evidence, erasure."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from filature.cases import audit, evidence, retention, services, users
from filature.cases.audit import SYSTEM
from filature.cases.models import Case, User
from filature.cases.roles import Forbidden
from filature.cases.snapshots import Opening, PartyRef
from filature.errors import InputError, StoreError

PASSWORD = "correct horse battery"


def target(sender: str, name: str, receivers: list[str]) -> Opening:
    return Opening("target", sender, name, 0.91, "run-1",
                   subjects=[PartyRef("sender", sender, name)],
                   related=[PartyRef("receiver", r, f"Receiver {r}") for r in receivers])


@pytest.fixture
def team(case_db, fast_passwords) -> dict[str, User]:
    people = {}
    with case_db.session() as session:
        for username, role in [("sup", "supervisor"), ("inv", "investigator"),
                               ("inv2", "investigator"), ("ana", "analyst"),
                               ("pro", "prosecutor"), ("adm", "admin")]:
            people[username], _ = users.add_user(session, SYSTEM, username, role=role,
                                                 display_name=username.title(),
                                                 password=PASSWORD, case_capacity=2)
    return people


def test_opening_keeps_the_snapshot_and_refuses_a_second_open_case(case_db, team) -> None:
    with case_db.session() as session:
        case = services.open_case(session, team["inv"], target("S1", "Jean Exemple", ["R1"]))
        assert case.reference.startswith("C-") and case.status == "new"
        assert case.assignee_id == team["inv"].id     # an investigator takes what they open
        assert case.snapshot_score == 0.91 and case.run_id == "run-1"
        with pytest.raises(InputError, match=f"already in case {case.reference}"):
            services.open_case(session, team["ana"], target("S1", "Jean Exemple", []))
    with case_db.session() as session:
        subjects = services.cases_for_parties(session, ["S1", "S2"])
    assert list(subjects) == ["S1"] and subjects["S1"][0].reference == case.reference


def test_the_open_cases_lookup_follows_status_changes(case_db, team) -> None:
    """The queue and target pages read this lookup at every view: a case closed, or one
    opened, shows there at the next view, with its current status."""
    with case_db.session() as session:
        case = services.open_case(session, team["inv"], target("S1", "Jean Exemple", ["R1"]))
    with case_db.session() as session:
        found = services.cases_for_parties(session, ["S1", "R1"])
        assert list(found) == ["S1"]  # the receiver is related, not the subject
        assert (found["S1"][0].reference, found["S1"][0].status) == (case.reference, "new")
        services.change_status(session, team["inv"], session.get_one(Case, case.id), "triage")
    with case_db.session() as session:
        assert services.cases_for_parties(session, ["S1"])["S1"][0].status == "triage"
        services.change_status(session, team["inv"], session.get_one(Case, case.id), "closed",
                               outcome="cleared")
    with case_db.session() as session:
        assert services.cases_for_parties(session, ["S1"]) == {}
        again = services.open_case(session, team["ana"], target("S1", "Jean Exemple", []))
    with case_db.session() as session:
        assert [c.id for c in services.cases_for_parties(session, ["S1"])["S1"]] == [again.id]


def test_roles_that_may_not_open_cases_are_refused(case_db, team) -> None:
    for who in ("pro", "adm"):
        with pytest.raises(Forbidden), case_db.session() as session:
            services.open_case(session, team[who], target("S9", "X", []))


def test_the_status_workflow_is_enforced(case_db, team) -> None:
    with case_db.session() as session:
        case = services.open_case(session, team["inv"], target("S1", "Jean Exemple", []))
        inv = session.get(User, team["inv"].id)
        with pytest.raises(InputError, match="cannot go to sent_to_prosecutor"):
            services.change_status(session, inv, case, "sent_to_prosecutor")
        services.change_status(session, inv, case, "triage")
        services.change_status(session, inv, case, "investigation")
        with pytest.raises(InputError, match="needs an outcome"):
            services.change_status(session, inv, case, "closed")
        with pytest.raises(InputError, match="only a case sent to the prosecutor"):
            services.change_status(session, inv, case, "closed", outcome="charged")
        services.change_status(session, inv, case, "sent_to_prosecutor")
        services.change_status(session, inv, case, "closed", outcome="charged")
        assert case.closed_at is not None and case.outcome == "charged"
        with pytest.raises(InputError, match="cannot go to triage"):
            services.change_status(session, inv, case, "triage")
        changes = [e.detail for e in audit.iter_entries(session) if e.action == "case.status"]
    assert len(changes) == 4 and '"to": "closed"' in changes[-1]


def test_row_rules_for_investigators_and_the_prosecutor(case_db, team) -> None:
    with case_db.session() as session:
        case = services.open_case(session, team["inv"], target("S1", "Jean Exemple", []))
        other, pro = session.get(User, team["inv2"].id), session.get(User, team["pro"].id)
        with pytest.raises(Forbidden):       # not assigned to inv2
            services.change_status(session, other, case, "triage")
        with pytest.raises(Forbidden):       # not sent to the prosecutor yet
            services.get_case(session, pro, case.id)
        assert services.list_cases(session, pro) == []
        sup = session.get(User, team["sup"].id)
        services.assign(session, sup, case, "inv2")
        services.change_status(session, other, case, "triage")
        services.change_status(session, other, case, "investigation")
        services.change_status(session, other, case, "sent_to_prosecutor")
        assert services.get_case(session, pro, case.id) is case
        assert [c.id for c in services.list_cases(session, pro)] == [case.id]
        with pytest.raises(InputError, match="cannot work cases"):
            services.assign(session, sup, case, "ana")


def test_cases_sharing_a_receiver_are_linked(case_db, team) -> None:
    with case_db.session() as session:
        inv = session.get(User, team["inv"].id)
        a = services.open_case(session, inv, target("S1", "Jean Exemple", ["R1", "R2"]))
        b = services.open_case(session, inv, target("S2", "Paul Modèle", ["R2"]))
        c = services.open_case(session, inv, target("S3", "Luc Essai", ["R3"]))
        fac = services.open_case(session, inv, Opening(
            "facilitator", "R2", "Receiver R2", 0.8, "run-1",
            subjects=[PartyRef("receiver", "R2", "Receiver R2")]))
        linked = {other.reference: names for other, names in services.linked_cases(session, a)}
        assert linked == {b.reference: ["Receiver R2"], fac.reference: ["Receiver R2"]}
        assert services.linked_cases(session, c) == []


def test_workload_counts_open_and_overdue_cases_against_capacity(case_db, team) -> None:
    with case_db.session() as session:
        inv = session.get(User, team["inv"].id)
        for i in range(3):
            case = services.open_case(session, inv, target(f"S{i}", f"Person {i}", []))
        services.set_deadline(session, inv, case, date.today() - timedelta(days=1))
        services.change_status(session, inv, case, "closed", outcome="cleared")
        late = services.open_case(session, inv, target("S7", "Late Person", []))
        services.set_deadline(session, inv, late, date.today() - timedelta(days=2))
        services.open_case(session, session.get(User, team["ana"].id),
                           target("S8", "Nobody's", []))
        rows = {u.username: (n, overdue, u.case_capacity)
                for u, n, overdue in services.workload(session)}
        assert rows["inv"] == (3, 1, 2)      # over capacity by one, one overdue
        assert rows["inv2"] == (0, 0, 2)
        assert "ana" not in rows and "adm" not in rows   # cannot hold cases
        assert services.unassigned_open_cases(session) == 1


def test_evidence_is_stored_by_hash_and_a_changed_file_is_refused(case_db, team,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    content = b"Requisition answer from MoneyBridge, synthetic.\n"
    with case_db.session() as session:
        inv = session.get(User, team["inv"].id)
        case = services.open_case(session, inv, target("S1", "Jean Exemple", []))
        item = evidence.add_evidence(session, inv, case, folder, "../../answer.txt",
                                     io.BytesIO(content), content_type="text/plain")
        assert item.file_name == "answer.txt" and item.size == len(content)
        with pytest.raises(Forbidden):
            evidence.add_evidence(session, session.get(User, team["inv2"].id), case, folder,
                                  "x.txt", io.BytesIO(b"x"))
        got, path = evidence.read_evidence(session, session.get(User, team["ana"].id), case,
                                           item.id, folder)
        assert path.read_bytes() == content and path.name == item.sha256
        path.write_bytes(content + b"edited")
        with pytest.raises(StoreError, match="SHA-256 no longer matches"):
            evidence.read_evidence(session, inv, case, item.id, folder)
        actions = [e.action for e in audit.iter_entries(session)]
    assert actions.count("evidence.add") == 1 and actions.count("evidence.download") == 1


def test_retention_erases_old_closed_cases_with_their_files_and_logs_it(case_db, team,
                                                                       tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    with case_db.session() as session:
        inv = session.get(User, team["inv"].id)
        old = services.open_case(session, inv, target("S1", "Jean Exemple", ["R1"]))
        evidence.add_evidence(session, inv, old, folder, "a.txt", io.BytesIO(b"synthetic a"))
        services.add_note(session, inv, old, "Checked the payout city.")
        services.change_status(session, inv, old, "closed", outcome="cleared")
        old.closed_at = datetime.now(UTC) - timedelta(days=400)
        kept = services.open_case(session, inv, target("S2", "Paul Modèle", []))
        old_ref, kept_ref = old.reference, kept.reference
    with case_db.session() as session:
        report = retention.apply_retention(session, SYSTEM, case_days=365, audit_days=None,
                                           evidence_dir=folder)
    assert report.cases == [old_ref] and report.files == 1
    assert not any(p.is_file() for p in folder.rglob("*"))
    with case_db.session() as session:
        assert [c.reference for c in session.query(Case)] == [kept_ref]
        erasures = [e for e in audit.iter_entries(session) if e.action == "case.erase"]
        assert [e.subject_id for e in erasures] == [old_ref]
        assert audit.verify_chain(session).ok


def test_outcomes_become_labels_for_the_screening(case_db, team) -> None:
    from filature.cases.labels import outcome_labels

    with case_db.session() as session:
        inv = session.get(User, team["inv"].id)
        charged = services.open_case(session, inv, target("S1", "Jean Exemple", ["R1"]))
        for status in ("triage", "investigation", "sent_to_prosecutor"):
            services.change_status(session, inv, charged, status)
        services.change_status(session, inv, charged, "closed", outcome="charged")
        cleared = services.open_case(session, inv, target("S2", "Paul Modèle", []))
        services.change_status(session, inv, cleared, "closed", outcome="cleared")
        nfa = services.open_case(session, inv, target("S3", "Luc Essai", []))
        services.change_status(session, inv, nfa, "closed", outcome="no_further_action")
        services.open_case(session, inv, target("S4", "Still Open", []))
    with case_db.session() as session:
        labels = [(x.sender_id, x.label) for x in outcome_labels(session)]
    assert labels == [("S1", 1), ("S2", 0)]
