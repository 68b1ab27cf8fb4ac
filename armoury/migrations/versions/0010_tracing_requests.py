"""tracing requests of recovered and seized weapons (issue 9)

Revision ID: 0010_tracing_requests
Revises: 0009_books_changes_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import armoury.models.base

revision = "0010_tracing_requests"
down_revision = "0009_books_changes_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: no batch rebuild of ``weapons``, which would drop the search triggers of 0007.
    op.create_table(
        "tracing_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weapon_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_to", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", armoury.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("sent_to <> ''", name=op.f("ck_tracing_requests_sent_to_not_empty")),
        sa.CheckConstraint(
            "answered_on IS NULL OR answered_on >= sent_on",
            name=op.f("ck_tracing_requests_answer_after_request"),
        ),
        sa.CheckConstraint(
            "answered_on IS NULL OR answer <> ''", name=op.f("ck_tracing_requests_answer_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["weapon_id"],
            ["weapons.id"],
            name=op.f("fk_tracing_requests_weapon_id_weapons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_tracing_requests_created_by_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_requests")),
    )
    op.create_index(op.f("ix_tracing_requests_weapon_id"), "tracing_requests", ["weapon_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tracing_requests_weapon_id"), table_name="tracing_requests")
    op.drop_table("tracing_requests")
