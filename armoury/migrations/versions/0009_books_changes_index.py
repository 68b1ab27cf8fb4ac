"""partial index of the ledger items that may change a facility's balance (monthly return at 10 M entries)

The monthly stock return undoes the period's items from the closing balance to get the opening one. An
issue, a return, a move or a repair leaves the weapon on the books of the same facility, so only the items
that count as a movement or take a weapon on or off a facility's books matter: this index holds only those
(about 1 in 50 of a depot's items), and the return reads them instead of the whole month. Plain CREATE
INDEX: no batch rebuild (which would drop the search triggers of 0007). On 10,000,000 items it takes about
two minutes.

Revision ID: 0009_books_changes_index
Revises: 0008_books_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_books_changes_index"
down_revision = "0008_books_indexes"
branch_labels = None
depends_on = None

# A frozen copy of armoury.models.ledger.BOOKS_CHANGE_WHERE (the report's query repeats it to use the index).
_WHERE = (
    "operation IN ('take_on_charge', 'receive', 'recover', 'register_recovered', 'transfer_accept', "
    "'loss_report', 'destroy') "
    "OR from_facility_id IS NULL OR from_facility_id <> to_facility_id "
    "OR CASE WHEN from_whereabouts IN ('in_store', 'issued', 'in_transit', 'at_repair') THEN 1 ELSE 0 END "
    "<> CASE WHEN to_whereabouts IN ('in_store', 'issued', 'in_transit', 'at_repair') THEN 1 ELSE 0 END"
)


def upgrade() -> None:
    op.create_index(
        "ix_ledger_items_books_changes",
        "ledger_items",
        ["entry_seq"],
        sqlite_where=sa.text(_WHERE),
        postgresql_where=sa.text(_WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_items_books_changes", table_name="ledger_items")
