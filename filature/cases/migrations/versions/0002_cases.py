"""Cases with their parties, notes and evidence; each user's case capacity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("case_capacity", sa.Integer(), nullable=True))
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("origin_kind", sa.String(16), nullable=False),
        sa.Column("origin_id", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("snapshot_name", sa.String(300), nullable=False),
        sa.Column("snapshot_score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("sent_to_prosecutor_at", Stamp, nullable=True),
        sa.Column("closed_at", Stamp, nullable=True),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"],
                                name="fk_cases_assignee_id_users"),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"],
                                name="fk_cases_opened_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("reference", name="uq_cases_reference"),
    )
    for column in ("origin_id", "status", "assignee_id"):
        op.create_index(f"ix_cases_{column}", "cases", [column])
    op.create_table(
        "case_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("is_subject", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name="fk_case_parties_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_parties"),
        sa.UniqueConstraint("case_id", "side", "party_id", name="uq_case_parties_case_id"),
    )
    op.create_index("ix_case_parties_party_id", "case_parties", ["party_id"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name="fk_case_notes_case_id_cases"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name="fk_case_notes_author_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_case_notes"),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", Stamp, nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name="fk_evidence_items_case_id_cases"),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"],
                                name="fk_evidence_items_added_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_items"),
    )
    op.create_index("ix_evidence_items_case_id", "evidence_items", ["case_id"])


def downgrade() -> None:
    op.drop_table("evidence_items")
    op.drop_table("case_notes")
    op.drop_table("case_parties")
    op.drop_table("cases")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("case_capacity")
