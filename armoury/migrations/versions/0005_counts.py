"""counts / stocktakes (issue 7)

Revision ID: 0005_counts
Revises: 0004_labels
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_counts"
down_revision = "0004_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
