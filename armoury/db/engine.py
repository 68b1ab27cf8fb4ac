"""The one engine factory: SQLite by default, PostgreSQL when a URL says so.

SQLite runs with foreign keys on, ``synchronous=FULL``, a busy timeout, and WAL only where the library is
free of the WAL-reset corruption bug (3.51.3 and later, or the patched 3.50.7 and 3.44.6); otherwise the
rollback journal. Write transactions on SQLite begin with ``BEGIN IMMEDIATE`` so that two workstations
never both read a state and then both write it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from armoury.paths import default_database_path

BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "armoury_write"
# Page cache per connection (SQLite's default is 2 MiB). Connections are pooled and a cache keeps what it
# has read, so the everyday size stays modest; one large piece of work (an import, a monthly return) takes
# a bigger cache for its own duration with :func:`large_page_cache`, which keeps its indexes in memory.
CACHE_KIB = 32_768
LARGE_CACHE_KIB = 65_536


def sqlite_wal_is_safe(version: tuple[int, int, int] | None = None) -> bool:
    """True when this SQLite library has the fix for the WAL-reset bug."""
    v = version or (
        sqlite3.sqlite_version_info[0],
        sqlite3.sqlite_version_info[1],
        sqlite3.sqlite_version_info[2],
    )
    if v >= (3, 51, 3):
        return True
    return (v[:2] == (3, 50) and v >= (3, 50, 7)) or (v[:2] == (3, 44) and v >= (3, 44, 6))


def database_url(url_or_path: str | os.PathLike[str] | None = None) -> str:
    """Turn ``--db`` / ``ARMOURY_DB`` / the default into an SQLAlchemy URL.

    A bare path means an SQLite file; ``postgresql://...`` selects PostgreSQL through psycopg 3.
    """
    value = str(url_or_path) if url_or_path else os.environ.get("ARMOURY_DB", "")
    if not value:
        return f"sqlite:///{default_database_path()}"
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` with Armoury's connection settings."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            poolclass=NullPool if kwargs.pop("null_pool", False) else None,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    journal = "WAL" if sqlite_wal_is_safe() else "DELETE"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA journal_mode = {journal}")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A unit of work that writes takes the write lock up front, so a read-then-write race between two
        # workstations cannot happen; a read-only one takes none and never blocks a writer.
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@contextmanager
def large_page_cache(connection: Any) -> Iterator[None]:
    """A 64 MiB page cache on this SQLite connection for the block, back to the everyday size after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size = -{LARGE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
