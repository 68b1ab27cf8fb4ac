"""Loading many weapons at once on SQLite: search index, secondary indexes and CHECK constraints.

Three things make a row-by-row insert into ``weapons`` slow on SQLite, and each has a bulk answer here,
all inside the caller's transaction (a failure rolls everything back, dropped indexes and trigger included):

* **The search trigger** (migration 0007): each weapon inserted fires a trigger that indexes it in
  ``search_weapons`` (FTS5 trigram). :func:`bulk_weapon_inserts` drops it for the duration of the load,
  indexes the new rows with one ``INSERT … SELECT`` and puts it back.
* **Secondary indexes**: for a load that is large, absolutely and against the rows already there,
  the non-unique indexes of ``weapons`` are dropped and built again once at the end, which sorts each
  index once instead of inserting into it row by row. The unique indexes (serial per item type, one
  weapon per slot) always stay, so a duplicate is refused exactly as before.
* **CHECK constraints**, evaluated row by row, are most of an insert's time: the ``IN`` lists of the
  enumerated columns above all (100,000 ledger items: 10.8 s with them, 2.7 s without, SQLite 3.40).
  :func:`checks_after` turns them off (``PRAGMA ignore_check_constraints``) for the load, then checks
  every new row against every CHECK constraint of the model in one query per table, where each ``IN``
  list is built once; a row that fails raises :class:`IntegrityError`, as the insert itself would have.
  Foreign keys, NOT NULL and unique constraints stay on throughout.

PostgreSQL keeps its trigram GIN indexes and checks its constraints itself; there both do nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import CheckConstraint, ColumnElement, Connection, Table, TextClause, text
from sqlalchemy.exc import IntegrityError

_TRIGGER = "search_weapons_ai"
# Rebuilding an index sorts the whole table; inserting into it costs per new row. Rebuild only when the
# load is large in itself and against the rows already there (measured in docs/performance.md).
REBUILD_MIN_ROWS = 50_000
REBUILD_MIN_SHARE = 0.5


@contextmanager
def bulk_weapon_inserts(connection: Connection, count: int = 0) -> Iterator[None]:
    """Insert ``count`` weapons inside this block; search rows and dropped indexes are written at the end."""
    if connection.dialect.name != "sqlite":
        yield
        return
    trigger_sql = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"), {"name": _TRIGGER}
    ).scalar()
    before = connection.execute(text("SELECT coalesce(max(id), 0) FROM weapons")).scalar_one()
    indexes = _indexes_to_rebuild(connection, count)
    for name, _sql in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    if trigger_sql is not None:
        connection.exec_driver_sql(f"DROP TRIGGER {_TRIGGER}")
    yield
    for _name, sql in indexes:
        connection.exec_driver_sql(sql)
    if trigger_sql is not None:  # no search tables (an older schema): nothing to keep in step
        connection.execute(
            text(
                "INSERT INTO search_weapons(rowid, serial, serial_key) "
                "SELECT id, serial, serial_key FROM weapons WHERE id > :before"
            ),
            {"before": before},
        )
        connection.exec_driver_sql(trigger_sql)


def _indexes_to_rebuild(connection: Connection, count: int) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the non-unique indexes of ``weapons`` worth rebuilding for ``count``."""
    if count < REBUILD_MIN_ROWS:
        return []
    existing = connection.exec_driver_sql("SELECT count(*) FROM weapons").scalar_one()
    if count < existing * REBUILD_MIN_SHARE:
        return []
    return [
        (name, sql)
        for name, sql in connection.exec_driver_sql(
            "SELECT m.name, m.sql FROM sqlite_master AS m JOIN pragma_index_list('weapons') AS i "
            "ON i.name = m.name WHERE m.type = 'index' AND i.\"unique\" = 0 AND m.sql IS NOT NULL "
            "ORDER BY m.name"
        )
    ]


@contextmanager
def checks_after(
    connection: Connection, scopes: Sequence[tuple[Table, ColumnElement[bool]]]
) -> Iterator[None]:
    """Check CHECK constraints once at the end of the block instead of row by row (SQLite).

    ``scopes`` name, for each table written in the block, the rows it adds (for example ``id > 41``).
    Only the block's own statements run unchecked: the pragma is restored however the block ends.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
    for table, new_rows in scopes:
        _check_rows(connection, table, new_rows)


def _check_rows(connection: Connection, table: Table, new_rows: ColumnElement[bool]) -> None:
    """Raise :class:`IntegrityError` naming the first CHECK constraint a row of ``new_rows`` fails."""
    checks = {
        str(c.name): _sql(connection, c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)
    }
    scope = _sql(connection, new_rows)

    def failing(expressions: Iterable[str]) -> str | None:
        # A CHECK fails when its expression is false (NULL passes): exactly when NOT (expression) holds.
        condition = " OR ".join(f"NOT ({sql})" for sql in expressions)
        query = f"SELECT 1 FROM {table.name} WHERE ({scope}) AND ({condition}) LIMIT 1"
        return query if connection.exec_driver_sql(query).first() is not None else None

    if not checks or failing(checks.values()) is None:
        return
    name, query = next((name, q) for name, sql in checks.items() if (q := failing([sql])) is not None)
    raise IntegrityError(query, None, Exception(f"CHECK constraint failed: {name}"))


def _sql(connection: Connection, clause: ColumnElement[Any] | TextClause) -> str:
    return str(clause.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
