"""search indexes for the main window (issue 3)

Revision ID: 0007_search
Revises: 0006_inspections
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_search"
down_revision = "0006_inspections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
