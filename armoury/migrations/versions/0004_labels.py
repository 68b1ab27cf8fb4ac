"""label print log and label products (issue 6)

Revision ID: 0004_labels
Revises: 0003_ledger
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_labels"
down_revision = "0003_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
