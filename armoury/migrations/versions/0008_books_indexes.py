"""covering indexes for the books of a facility (monthly return at a million weapons)

Revision ID: 0008_books_indexes
Revises: 0007_search
"""

from __future__ import annotations

from alembic import op

revision = "0008_books_indexes"
down_revision = "0007_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE/DROP INDEX: no batch rebuild of ``weapons``, which would drop the search triggers of 0007.
    op.drop_index("ix_weapons_facility_whereabouts", table_name="weapons")
    op.create_index("ix_weapons_books", "weapons", ["facility_id", "whereabouts", "register", "item_type_id"])
    op.create_index("ix_weapons_id_type", "weapons", ["id", "item_type_id"])


def downgrade() -> None:
    op.drop_index("ix_weapons_id_type", table_name="weapons")
    op.drop_index("ix_weapons_books", table_name="weapons")
    op.create_index("ix_weapons_facility_whereabouts", "weapons", ["facility_id", "whereabouts", "register"])
