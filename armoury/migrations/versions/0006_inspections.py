"""PSSM inspections (issue 8)

Revision ID: 0006_inspections
Revises: 0005_counts
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_inspections"
down_revision = "0005_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
