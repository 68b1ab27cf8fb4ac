"""A database handle and its units of work.

``Database.write()`` is one write transaction (``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL a
serialization failure or deadlock is retried by :meth:`Database.run_write`). ``Database.read()`` is a
read-only snapshot. Services take a ``Database`` and the acting user, open exactly one unit of work, and
return plain frozen dataclasses — never ORM objects — to their callers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.exc import DBAPIError, OperationalError

from armoury.db.engine import WRITE_OPTION, database_url, is_sqlite, make_engine, sqlite_path
from armoury.db.revision import is_current
from armoury.errors import DatabaseError
from armoury.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

# SQLSTATEs PostgreSQL uses for "try the transaction again".
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


class Database:
    """One database (an SQLite file or a PostgreSQL server) and the sessions that use it."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)

    # The ORM is loaded on the first unit of work, not when the database is opened: the main window shows
    # its first rows through Core queries, and importing sqlalchemy.orm is a tenth of a second at start-up.
    @cached_property
    def _read_sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False)

    @cached_property
    def _write_sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        """Where the data lives, for the status bar and the About dialog (never shows a password)."""
        path = sqlite_path(self.url)
        if path is not None:
            return str(path)
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A read-only Core connection (rolled back at the end), for plain SQL that needs no ORM session:
        the main window's browsing queries, which run before the ORM is loaded at start-up."""
        with self.engine.connect() as connection:
            try:
                yield connection
            finally:
                connection.rollback()

    def run_write(self, work: Callable[[Session], T], attempts: int = 8) -> T:
        """Run ``work`` in a write transaction, retrying PostgreSQL serialization failures and deadlocks."""
        for attempt in range(attempts):
            try:
                with self.write() as session:
                    return work(session)
            except DBAPIError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if sqlstate not in _RETRYABLE_SQLSTATES or attempt == attempts - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def opening_errors() -> Iterator[None]:
    """Turn a driver's failure to open or read the database into a :class:`DatabaseError`."""
    try:
        yield
    except (OperationalError, SQLAlchemyDatabaseError) as exc:
        raise DatabaseError(
            _("The database cannot be opened: {reason}").format(reason=str(exc.orig).strip()),
            _("Check the path or URL, that the file is an Armoury database, and that the server is running."),
        ) from exc


def open_database(url_or_path: str | None = None, check: bool = True) -> Database:
    """Open the database named by ``--db`` / ``ARMOURY_DB`` / the default, checking its schema."""
    url = database_url(url_or_path)
    with opening_errors():
        database = Database(url)
        if check and not is_current(database.engine):
            # Only an unexpected schema pays for loading Alembic, to say exactly what is wrong.
            from armoury.db.schema import check_schema

            check_schema(database.engine)
    return database
