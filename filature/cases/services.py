"""Working a case: open it from a snapshot, move it through its statuses, assign, annotate.

Every function takes the acting ``User``, checks what the role allows on this case (row
rules included: the prosecutor's office sees only what it was sent; an investigator edits
the cases assigned to them), writes the change and appends it to the audit trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from filature.cases import audit
from filature.cases.models import Case, CaseNote, CaseParty, User
from filature.cases.roles import SENT_CASES_ONLY, Forbidden, Permission, Role, allows
from filature.cases.snapshots import ORIGINS, Opening
from filature.cases.users import actor_of, get_user
from filature.errors import InputError, NotFound

# The workflow of the issue: new -> triage -> investigation -> sent to prosecutor -> closed.
STATUSES: tuple[str, ...] = ("new", "triage", "investigation", "sent_to_prosecutor", "closed")
OPEN_STATUSES = STATUSES[:-1]
OUTCOMES: tuple[str, ...] = ("charged", "no_further_action", "cleared")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"triage", "closed"}),
    "triage": frozenset({"investigation", "closed"}),
    "investigation": frozenset({"sent_to_prosecutor", "triage", "closed"}),
    # The prosecutor's office may send a case back for more work.
    "sent_to_prosecutor": frozenset({"investigation", "closed"}),
    "closed": frozenset(),
}


def _now() -> datetime:
    return datetime.now(UTC)


def can_view(user: User, case: Case) -> bool:
    """Whether ``user`` may read ``case`` (role, then the prosecutor's row rule)."""
    if not allows(user.role, Permission.CASES_VIEW):
        return False
    if user.role in SENT_CASES_ONLY:
        return case.sent_to_prosecutor_at is not None
    return True


def can_edit(user: User, case: Case) -> bool:
    """Supervisors edit any case; investigators the ones assigned to them."""
    if allows(user.role, Permission.CASES_ASSIGN):
        return True
    return allows(user.role, Permission.CASES_EDIT) and case.assignee_id == user.id


def _need(ok: bool, permission: Permission, reason: str, key: str) -> None:
    """Refuse with ``reason`` (English, for the audit trail) and its message ``key``."""
    if not ok:
        raise Forbidden(permission.value, reason, key=key)


def get_case(session: Session, user: User, case_id: int, *, ip: str | None = None,
             log_view: bool = False) -> Case:
    """The case, if this user may read it; ``log_view`` records the consultation."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", key="case.not_found", params={"case_id": case_id})
    _need(can_view(user, case), Permission.CASES_VIEW, "this case was not sent to you",
          "forbidden.not_sent")
    if log_view:
        audit.record(session, actor_of(user, ip), "case.view", subject_type="case",
                     subject_id=case.reference)
    return case


def list_cases(session: Session, user: User, *, status: str | None = None,
               assignee: str | None = None) -> Sequence[Case]:
    """The cases this user may read, newest first, optionally by status or assignee."""
    _need(allows(user.role, Permission.CASES_VIEW), Permission.CASES_VIEW, "cannot read cases",
          "forbidden.read_cases")
    query = select(Case).order_by(Case.opened_at.desc(), Case.id.desc())
    if user.role in SENT_CASES_ONLY:
        query = query.where(Case.sent_to_prosecutor_at.is_not(None))
    if status == "open":
        query = query.where(Case.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(Case.status == status)
    if assignee:
        query = query.join(User, Case.assignee_id == User.id).where(User.username == assignee)
    return session.scalars(query).unique().all()


def open_case(session: Session, user: User, opening: Opening, *, title: str | None = None,
              ip: str | None = None) -> Case:
    """Open a case from a snapshot; refused while another open case has the same origin.

    An investigator who opens a case is assigned to it; others leave it to a supervisor.
    """
    _need(allows(user.role, Permission.CASES_OPEN), Permission.CASES_OPEN, "cannot open cases",
          "forbidden.open_cases")
    if opening.kind not in ORIGINS:
        raise InputError(f"a case opens from one of {', '.join(ORIGINS)}",
                         key="case.bad_origin", params={"origins": list(ORIGINS)})
    existing = session.scalar(select(Case).where(
        Case.origin_kind == opening.kind, Case.origin_id == opening.origin_id,
        Case.status.in_(OPEN_STATUSES)))
    if existing is not None:
        raise InputError(f"{opening.kind} {opening.origin_id} is already in case "
                         f"{existing.reference}", key="case.already_open",
                         params={"kind": opening.kind, "origin_id": opening.origin_id,
                                 "reference": existing.reference})
    now = _now()
    case = Case(reference=f"tmp-{uuid.uuid4().hex[:24]}", title=(title or opening.name)[:300],
                origin_kind=opening.kind, origin_id=opening.origin_id, run_id=opening.run_id,
                snapshot_name=opening.name[:300], snapshot_score=opening.score, status="new",
                opened_by_id=user.id, opened_at=now, updated_at=now,
                assignee_id=user.id if user.role == Role.INVESTIGATOR else None)
    seen: set[tuple[str, str]] = set()
    for party, is_subject in [(p, True) for p in opening.subjects] + [
            (p, False) for p in opening.related]:
        if (party.side, party.party_id) not in seen:
            seen.add((party.side, party.party_id))
            case.parties.append(CaseParty(side=party.side, party_id=party.party_id,
                                          name=party.name[:300], is_subject=is_subject))
    session.add(case)
    session.flush()
    case.reference = f"C-{now:%Y}-{case.id:05d}"
    audit.record(session, actor_of(user, ip), "case.open", subject_type="case",
                 subject_id=case.reference,
                 detail={"origin": f"{opening.kind}:{opening.origin_id}",
                         "run_id": opening.run_id, "score": opening.score})
    return case


def change_status(session: Session, user: User, case: Case, status: str, *,
                  outcome: str | None = None, ip: str | None = None) -> Case:
    """Move the case along the workflow; closing needs an outcome."""
    _need(can_edit(user, case), Permission.CASES_EDIT, "this case is not assigned to you",
          "forbidden.not_assigned")
    if status not in TRANSITIONS.get(case.status, frozenset()):
        allowed = sorted(TRANSITIONS.get(case.status, frozenset()))
        raise InputError(f"a case in {case.status} cannot go to {status} "
                         f"(allowed: {', '.join(allowed) or 'none'})", key="case.bad_transition",
                         params={"status": case.status, "target": status, "allowed": allowed})
    if status == "closed":
        if outcome not in OUTCOMES:
            raise InputError(f"closing needs an outcome: {', '.join(OUTCOMES)}",
                             key="case.outcome_needed", params={"outcomes": list(OUTCOMES)})
        if outcome == "charged" and case.sent_to_prosecutor_at is None:
            raise InputError("only a case sent to the prosecutor can close as charged",
                             key="case.charged_not_sent")
        case.outcome, case.closed_at = outcome, _now()
    if status == "sent_to_prosecutor":
        case.sent_to_prosecutor_at = _now()
    before, case.status, case.updated_at = case.status, status, _now()
    audit.record(session, actor_of(user, ip), "case.status", subject_type="case",
                 subject_id=case.reference,
                 detail={"from": before, "to": status, "outcome": outcome})
    return case


def assign(session: Session, user: User, case: Case, username: str | None, *,
           ip: str | None = None) -> Case:
    """Give the case to an investigator (or supervisor), or take it back with ``None``."""
    _need(allows(user.role, Permission.CASES_ASSIGN), Permission.CASES_ASSIGN,
          "only a supervisor assigns cases", "forbidden.assign")
    assignee = get_user(session, username) if username else None
    if assignee is not None and (not assignee.active
                                 or not allows(assignee.role, Permission.CASES_EDIT)):
        raise InputError(f"{username} cannot work cases (inactive, or role {assignee.role})",
                         key="case.assignee_cannot_work",
                         params={"username": username, "role": assignee.role})
    before = case.assignee.username if case.assignee else None
    case.assignee_id = assignee.id if assignee else None
    case.assignee = assignee
    case.updated_at = _now()
    audit.record(session, actor_of(user, ip), "case.assign", subject_type="case",
                 subject_id=case.reference, detail={"from": before, "to": username})
    return case


def add_note(session: Session, user: User, case: Case, text: str, *,
             ip: str | None = None) -> CaseNote:
    """Append a note; analysts may annotate, as may whoever can edit the case."""
    _need(allows(user.role, Permission.CASES_NOTE) and can_view(user, case),
          Permission.CASES_NOTE, "cannot add notes", "forbidden.notes")
    text = text.strip()
    if not text:
        raise InputError("a note cannot be empty", key="case.empty_note")
    note = CaseNote(case_id=case.id, author_id=user.id, created_at=_now(), text=text,
                    author=user)
    case.notes.append(note)
    case.updated_at = _now()
    session.flush()
    audit.record(session, actor_of(user, ip), "case.note", subject_type="case",
                 subject_id=case.reference, detail={"note_id": note.id, "chars": len(text)})
    return note


def set_deadline(session: Session, user: User, case: Case, deadline: date | None, *,
                 ip: str | None = None) -> Case:
    """Set or clear the case's deadline (shown as overdue on the workload page)."""
    _need(can_edit(user, case), Permission.CASES_EDIT, "this case is not assigned to you",
          "forbidden.not_assigned")
    case.deadline, case.updated_at = deadline, _now()
    audit.record(session, actor_of(user, ip), "case.deadline", subject_type="case",
                 subject_id=case.reference,
                 detail={"deadline": deadline.isoformat() if deadline else None})
    return case


def linked_cases(session: Session, case: Case) -> list[tuple[Case, list[str]]]:
    """Other cases that share a receiver (a facilitator) with this one, and whom they share."""
    receivers = {p.party_id: p.name for p in case.parties if p.side == "receiver"}
    if not receivers:
        return []
    rows = session.execute(
        select(CaseParty.case_id, CaseParty.party_id)
        .where(CaseParty.side == "receiver", CaseParty.party_id.in_(receivers),
               CaseParty.case_id != case.id).order_by(CaseParty.case_id)).all()
    shared: dict[int, list[str]] = {}
    for case_id, party_id in rows:
        shared.setdefault(case_id, []).append(receivers[party_id])
    return [(session.get_one(Case, cid), names) for cid, names in shared.items()]


@dataclass(frozen=True)
class OpenCase:
    """What the queue and target pages show of an open case: its link, reference, status."""

    id: int
    reference: str
    status: str


_CASES = Case.__table__.c
_PARTIES = CaseParty.__table__.c
# Built once (the party ids are one expanding parameter): every queue and target page asks.
_OPEN_CASES_OF = (
    select(_PARTIES.party_id, _CASES.id, _CASES.reference, _CASES.status)
    .join_from(CaseParty.__table__, Case.__table__, _CASES.id == _PARTIES.case_id)
    .where(_PARTIES.party_id.in_(bindparam("ids", expanding=True)), _PARTIES.is_subject,
           _CASES.status.in_(OPEN_STATUSES))
    .order_by(_CASES.id))


def cases_for_parties(session: Session, party_ids: Iterable[str]) -> dict[str, list[OpenCase]]:
    """For the target queue and pages: the open cases each party is the subject of.

    Read as plain rows, not as ``Case`` objects, by a statement built once: loading ORM
    instances and building the statement cost more CPU than the query itself."""
    ids = list(party_ids)
    if not ids:
        return {}
    found: dict[str, list[OpenCase]] = {}
    for party_id, case_id, reference, status in session.execute(_OPEN_CASES_OF, {"ids": ids}):
        found.setdefault(party_id, []).append(OpenCase(case_id, reference, status))
    return found


def workload(session: Session) -> list[tuple[User, int, int]]:
    """Per person who can hold cases: (user, open cases, overdue open cases)."""
    today = _now().date()
    open_count = func.count(Case.id)
    overdue = func.count(Case.id).filter(Case.deadline < today)
    rows = session.execute(
        select(Case.assignee_id, open_count, overdue)
        .where(Case.status.in_(OPEN_STATUSES), Case.assignee_id.is_not(None))
        .group_by(Case.assignee_id)).all()
    counts = {uid: (int(n), int(late)) for uid, n, late in rows}
    people = session.scalars(select(User).where(User.active).order_by(User.username)).all()
    return [(u, *counts.get(u.id, (0, 0))) for u in people
            if allows(u.role, Permission.CASES_EDIT)]


def unassigned_open_cases(session: Session) -> int:
    """Open cases nobody holds yet (the unit's backlog)."""
    return int(session.scalar(select(func.count(Case.id)).where(
        Case.status.in_(OPEN_STATUSES), Case.assignee_id.is_(None))) or 0)
