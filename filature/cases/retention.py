"""Retention: erase closed cases and old audit entries once their period is over.

The periods are the unit's legal choice (settings ``case_retention_days`` and
``audit_retention_days``); nothing is erased while they are unset. Each erasure is itself
written to the audit trail, as the law-enforcement directive asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from filature.cases import audit
from filature.cases.audit import Actor
from filature.cases.evidence import remove_unreferenced
from filature.cases.models import Case
from filature.errors import InputError


@dataclass(frozen=True)
class PurgeReport:
    """What a purge erased."""

    cases: list[str]
    audit_entries: int
    files: int


def erase_closed_cases(session: Session, actor: Actor, before: datetime
                       ) -> tuple[list[str], set[str]]:
    """Erase cases closed before ``before`` with their notes and parties.

    Returns the references erased and the hashes of their evidence files, which the caller
    removes from disk once the erasure is committed.
    """
    cases = session.scalars(select(Case).where(Case.status == "closed",
                                               Case.closed_at < audit.utc(before))).all()
    hashes: set[str] = set()
    references = []
    for case in cases:
        hashes.update(item.sha256 for item in case.evidence)
        references.append(case.reference)
        audit.record(session, actor, "case.erase", subject_type="case",
                     subject_id=case.reference,
                     detail={"closed_at": audit.utc(case.closed_at).isoformat()
                             if case.closed_at else None, "outcome": case.outcome,
                             "evidence_files": len(case.evidence), "notes": len(case.notes)})
        session.delete(case)
    session.flush()
    return references, hashes


def apply_retention(session: Session, actor: Actor, *, case_days: int | None,
                    audit_days: int | None, evidence_dir: Path,
                    now: datetime | None = None) -> PurgeReport:
    """Erase what is past its period; a period of None keeps everything of that kind.

    Commits, then removes the evidence files no remaining case points to: a file is never
    deleted for an erasure that did not happen.
    """
    now = now or datetime.now(UTC)
    for days in (case_days, audit_days):
        if days is not None and days < 1:
            raise InputError("a retention period is a number of days, at least 1")
    references: list[str] = []
    hashes: set[str] = set()
    if case_days is not None:
        references, hashes = erase_closed_cases(session, actor,
                                                now - timedelta(days=case_days))
    erased = 0
    if audit_days is not None:
        erased = audit.purge_before(session, actor, now - timedelta(days=audit_days))
    session.commit()
    files = remove_unreferenced(session, evidence_dir, hashes)
    return PurgeReport(cases=references, audit_entries=erased, files=files)
