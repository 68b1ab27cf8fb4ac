"""custody ledger (issue 5)

Revision ID: 0003_ledger
Revises: 0002_security
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_ledger"
down_revision = "0002_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
