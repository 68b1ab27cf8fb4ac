"""search indexes for the main window (issue 3)

Substring search on serial, manufacturer, model and holder without scanning a million rows.

* SQLite: three FTS5 tables with the ``trigram`` tokenizer (SQLite 3.34 or later), holding no text of their
  own (``content=`` the real table) and kept in step by triggers that fire only when a searched column
  changes (a custody update of ``whereabouts`` does not touch them).
* PostgreSQL: ``pg_trgm`` GIN indexes on the same columns.

Every object here is named ``search_*``: the drift check (tests/core/test_schema.py) and
armoury/migrations/env.py skip those names, since they are not part of the SQLAlchemy models.

Revision ID: 0007_search
Revises: 0006_inspections
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0007_search"
down_revision = "0006_inspections"
branch_labels = None
depends_on = None

# (fts table, content table, searched columns)
_SQLITE_TABLES = (
    ("search_weapons", "weapons", ("serial", "serial_key")),
    ("search_item_types", "item_types", ("manufacturer", "model")),
    ("search_people", "people", ("service_number", "surname", "given_names")),
)

_PG_INDEXES = (
    ("search_weapons_serial", "weapons", "serial"),
    ("search_weapons_serial_key", "weapons", "serial_key"),
    ("search_item_types_name", "item_types", "(manufacturer || ' ' || model)"),
    ("search_people_name", "people", "(service_number || ' ' || surname || ' ' || given_names)"),
)


def _sqlite_upgrade() -> None:
    for fts, table, columns in _SQLITE_TABLES:
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
            "tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )


def _sqlite_downgrade() -> None:
    for fts, _table, _columns in _SQLITE_TABLES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, expression in _PG_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_downgrade()
    elif dialect == "postgresql":
        for name, _table, _expression in _PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
