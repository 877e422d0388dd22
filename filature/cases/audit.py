"""The audit trail: an append-only log of who did what, chained by SHA-256 hashes.

Each entry's hash covers its fields and the previous entry's hash, and the table
``audit_head`` keeps the two ends of the chain. ``verify_chain`` recomputes everything: an
entry edited, inserted or removed directly in the database shows as a break at that entry.
The EU's law-enforcement directive (2016/680, art. 25) asks for logs of collection,
alteration, consultation, disclosure, combination and erasure; the actions below name them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from filature.cases.models import AuditEntry, AuditHead
from filature.errors import StoreError

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, or the command line (``username`` of the OS account)."""

    username: str | None
    role: str | None
    ip: str | None = None


SYSTEM = Actor(username=None, role=None)


def utc(moment: datetime) -> datetime:
    """``moment`` as a naive UTC datetime: SQLite returns naive values, PostgreSQL aware."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def entry_digest(entry: AuditEntry) -> str:
    """The SHA-256 of an entry's fields and its predecessor's hash, in canonical JSON."""
    fields = [entry.seq, utc(entry.at).isoformat(timespec="microseconds"), entry.username,
              entry.role, entry.action, entry.subject_type, entry.subject_id, entry.outcome,
              entry.detail, entry.ip, entry.prev_hash]
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _head(session: Session) -> AuditHead:
    if session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE and reads outside any lock: take the database's write
        # lock first (a no-op update), or two connections appending at once read the same
        # head and the second fails on the sequence number (20 users signing in together).
        session.execute(update(AuditHead).where(AuditHead.id == 1)
                        .values(last_seq=AuditHead.last_seq))
    head = session.get(AuditHead, 1, with_for_update=True, populate_existing=True)
    if head is None:
        raise StoreError("the case database has no audit head row: it was not migrated by "
                         "Filature, or the row was deleted")
    return head


# The append's three statements, built once: constructing them per page view (and their
# cache keys) cost more CPU than SQLite took to run them.
_HEAD = cast(Table, AuditHead.__table__)
# An UPDATE that changes nothing takes SQLite's database-wide write lock (SQLite ignores
# FOR UPDATE) and PostgreSQL's row lock; RETURNING reads the head under that lock.
_TAKE_HEAD = (update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=_HEAD.c.last_seq)
              .returning(_HEAD.c.last_seq, _HEAD.c.last_hash))
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == 1)
              .values(last_seq=bindparam("seq"), last_hash=bindparam("entry_hash")))
_APPEND = insert(cast(Table, AuditEntry.__table__))
_ENTRY_COLUMNS = tuple(AuditEntry.__table__.c.keys())


def _take_head(session: Session) -> tuple[int, str]:
    """The chain's last (seq, hash), read under the write lock that the append then keeps,
    so two connections appending at once can neither read the same head nor fork the
    chain (20 users signing in together)."""
    row = session.execute(_TAKE_HEAD).first()
    if row is None:
        raise StoreError("the case database has no audit head row: it was not migrated by "
                         "Filature, or the row was deleted")
    return int(row[0]), str(row[1])


def record(session: Session, actor: Actor, action: str, *, subject_type: str | None = None,
           subject_id: str | int | None = None, outcome: str = "ok",
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction; it is kept only if that commits.

    Written with Core statements after the head is taken (``_take_head``), not through the
    ORM's unit of work: every page view appends one, and the ORM's flush cost more CPU than
    the rest of the append. The entry returned is not attached to the session.
    """
    session.flush()  # the caller's pending rows first, in the order they were made
    last_seq, last_hash = _take_head(session)
    entry = AuditEntry(
        seq=last_seq + 1, at=utc(at or datetime.now(UTC)), username=actor.username,
        role=actor.role, action=action, subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id), outcome=outcome,
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        ip=actor.ip, prev_hash=last_hash)
    entry.entry_hash = entry_digest(entry)
    session.execute(_APPEND, {name: getattr(entry, name) for name in _ENTRY_COLUMNS})
    session.execute(_MOVE_HEAD, {"seq": entry.seq, "entry_hash": entry.entry_hash})
    return entry


@dataclass
class ChainReport:
    """The result of ``verify_chain``: entries checked and every break found, in order."""

    entries: int = 0
    first_seq: int = 1
    last_seq: int = 0
    last_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session, *, max_problems: int = 50) -> ChainReport:
    """Recompute every hash and link; list each entry edited, inserted or removed."""
    head = session.get(AuditHead, 1)
    if head is None:
        return ChainReport(problems=["the audit head row is missing"])
    report = ChainReport(first_seq=head.first_seq, last_seq=head.last_seq,
                         last_hash=head.last_hash)
    expected_seq, prev_hash = head.first_seq, head.first_prev_hash

    def problem(text: str) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(text)

    entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)
                              .execution_options(yield_per=1000)).scalars()
    for entry in entries:
        report.entries += 1
        if entry.seq != expected_seq:
            gap = (f"entries {expected_seq} to {entry.seq - 1} are missing"
                   if entry.seq > expected_seq else f"entry {entry.seq} is out of place")
            problem(gap)
        elif entry.prev_hash != prev_hash:
            problem(f"entry {entry.seq} does not follow entry {entry.seq - 1} "
                    "(that entry was edited or replaced)")
        if entry_digest(entry) != entry.entry_hash:
            problem(f"entry {entry.seq} was altered after it was written "
                    f"({entry.action} by {entry.username or 'system'})")
        expected_seq, prev_hash = entry.seq + 1, entry.entry_hash
    if expected_seq - 1 < head.last_seq:
        problem(f"entries {expected_seq} to {head.last_seq} are missing (the newest)")
    elif expected_seq - 1 > head.last_seq:
        problem(f"entries after {head.last_seq} were added outside Filature")
    elif prev_hash != head.last_hash and report.entries:
        problem(f"entry {head.last_seq} differs from the one the head recorded")
    return report


@dataclass(frozen=True)
class AuditFilter:
    """What a supervisor narrows the log to: a user, a subject, an action, a date range."""

    username: str | None = None
    subject: str | None = None       # matches subject_id, or "type:id"
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None    # exclusive


def query_entries(session: Session, where: AuditFilter, *, limit: int = 200,
                  offset: int = 0) -> tuple[Sequence[AuditEntry], int]:
    """The matching entries, newest first, and how many match in all."""
    conditions = []
    if where.username:
        conditions.append(AuditEntry.username == where.username)
    if where.subject:
        kind, _, ident = where.subject.partition(":")
        if ident:
            conditions += [AuditEntry.subject_type == kind, AuditEntry.subject_id == ident]
        else:
            conditions.append(AuditEntry.subject_id == where.subject)
    if where.action:
        conditions.append(AuditEntry.action.startswith(where.action, autoescape=True))
    if where.since:
        conditions.append(AuditEntry.at >= utc(where.since))
    if where.until:
        conditions.append(AuditEntry.at < utc(where.until))
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    rows = session.scalars(select(AuditEntry).where(*conditions)
                           .order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)).all()
    return rows, int(total or 0)


def iter_entries(session: Session) -> Iterator[AuditEntry]:
    """Every entry, oldest first (for exports to a data-protection authority)."""
    yield from session.execute(select(AuditEntry).order_by(AuditEntry.seq)
                               .execution_options(yield_per=1000)).scalars()


def purge_before(session: Session, actor: Actor, before: datetime) -> int:
    """Erase the entries written before ``before``, keeping the rest verifiable.

    Only a prefix of the chain is erased: the head then records where the kept chain starts
    and which hash it hangs from, and the erasure itself is appended as ``audit.purge``.
    """
    head = _head(session)
    cutoff = session.scalar(select(func.min(AuditEntry.seq)).where(AuditEntry.at >= utc(before)))
    hangs_from: str | None = head.last_hash
    if cutoff is None:
        cutoff = head.last_seq + 1
    else:
        hangs_from = session.scalar(select(AuditEntry.prev_hash).where(AuditEntry.seq == cutoff))
    result = session.execute(delete(AuditEntry).where(AuditEntry.seq < cutoff))
    erased = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if erased:
        head.first_seq, head.first_prev_hash = cutoff, str(hangs_from)
    record(session, actor, "audit.purge", subject_type="audit", outcome="ok",
           detail={"erased": erased, "before": utc(before).isoformat(),
                   "first_kept": cutoff})
    return erased
