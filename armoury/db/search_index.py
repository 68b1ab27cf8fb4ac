"""Keeping the SQLite full-text search tables (migration 0007) fast under bulk inserts.

On SQLite each weapon row inserted fires a trigger that indexes it in ``search_weapons`` (FTS5 trigram);
row by row that triples the cost of a large import. :func:`bulk_weapon_inserts` drops the insert trigger
for the duration of one bulk insert, indexes the new rows with one ``INSERT … SELECT`` and puts the
trigger back — all inside the caller's transaction, so a failure rolls everything back, trigger included.
PostgreSQL keeps its trigram GIN indexes itself; there it does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

_TRIGGER = "search_weapons_ai"


@contextmanager
def bulk_weapon_inserts(connection: Connection) -> Iterator[None]:
    """Insert many weapons inside this block; their search rows are written once at the end."""
    if connection.dialect.name != "sqlite":
        yield
        return
    trigger_sql = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"), {"name": _TRIGGER}
    ).scalar()
    if trigger_sql is None:  # no search tables (an older schema): nothing to keep in step
        yield
        return
    before = connection.execute(text("SELECT coalesce(max(id), 0) FROM weapons")).scalar_one()
    connection.execute(text(f"DROP TRIGGER {_TRIGGER}"))
    yield
    connection.execute(
        text(
            "INSERT INTO search_weapons(rowid, serial, serial_key) SELECT id, serial, serial_key FROM weapons WHERE id > :before"
        ),
        {"before": before},
    )
    connection.execute(text(trigger_sql))
