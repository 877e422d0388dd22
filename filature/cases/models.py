"""Tables of the case database: users, login sessions, cases, their evidence and the audit log.

The case database is separate from the analytical store (DuckDB): it is shared by the team,
written by many hands, and must say who did what. A case points at the store's targets,
facilitators and referrals by their ids only, with a snapshot taken when it was opened, so
the case keeps its meaning when later screening runs rank people differently.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints let Alembic's batch mode rebuild SQLite tables predictably.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Stamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base of every case table, sharing one naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A person who signs in; the role decides what the server lets them see and do."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    password_changed_at: Mapped[datetime] = mapped_column(Stamp)
    # Open cases this investigator can carry; set per person by a supervisor, None = not set.
    case_capacity: Mapped[int | None] = mapped_column(Integer)


class LoginSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    expires_at: Mapped[datetime] = mapped_column(Stamp)
    ip: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="joined")


class Case(Base):
    """A dossier opened from a target, a facilitator or a referral, and worked to an outcome."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    origin_kind: Mapped[str] = mapped_column(String(16))   # target | facilitator | referral
    origin_id: Mapped[str] = mapped_column(String(200), index=True)
    run_id: Mapped[str | None] = mapped_column(String(64))  # screening run of the snapshot
    snapshot_name: Mapped[str] = mapped_column(String(300))
    snapshot_score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))  # charged | no_further_action | cleared
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(Stamp)
    updated_at: Mapped[datetime] = mapped_column(Stamp)
    deadline: Mapped[date | None] = mapped_column(Date)
    sent_to_prosecutor_at: Mapped[datetime | None] = mapped_column(Stamp)
    closed_at: Mapped[datetime | None] = mapped_column(Stamp)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id], lazy="joined")
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseParty.id")
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseNote.id")
    evidence: Mapped[list[EvidenceItem]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="EvidenceItem.id")


class CaseParty(Base):
    """A store party the case concerns: its subject, or a receiver the subject paid.

    Two cases that list the same receiver share a facilitator and are shown as linked.
    """

    __tablename__ = "case_parties"
    __table_args__ = (UniqueConstraint("case_id", "side", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(16))        # sender | receiver
    party_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(300))
    is_subject: Mapped[bool] = mapped_column(Boolean)

    case: Mapped[Case] = relationship(back_populates="parties")


class CaseNote(Base):
    """A dated note by a named user; notes are appended, never edited."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(Stamp)
    text: Mapped[str] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User] = relationship(lazy="joined")


class EvidenceItem(Base):
    """An uploaded file, stored by its SHA-256 so any later change to it can be shown."""

    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(Stamp)
    description: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="evidence")
    added_by: Mapped[User] = relationship(lazy="joined")


class AuditEntry(Base):
    """One logged act. ``entry_hash`` covers the fields and the previous entry's hash.

    Editing or deleting an entry breaks the chain from that point, which ``verify`` finds.
    The actor's username is copied (not only the id) so the log still reads after erasure.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(Stamp, index=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(200), index=True)
    outcome: Mapped[str] = mapped_column(String(16))    # ok | denied | failed
    detail: Mapped[str] = mapped_column(Text)            # canonical JSON
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's two ends, updated with every append and every purge.

    Removing the newest entries (or the oldest, outside a logged purge) leaves the chain
    itself consistent; comparing it to this row is what exposes it.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    first_prev_hash: Mapped[str] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
