"""The schema: Alembic owns it, the models and the migrations agree, versions are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from armoury.db import Database, open_database
from armoury.db.engine import large_page_cache, make_engine, sqlite_wal_is_safe
from armoury.db.schema import SchemaState, init_database, schema_state
from armoury.errors import DatabaseError
from armoury.migrations.env_filters import include_name
from armoury.models import Base


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        # The search indexes of migration 0007 (FTS5 tables, pg_trgm indexes) are named search_* and are
        # not in the models on purpose; everything else must match exactly.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        return list(compare_metadata(context, Base.metadata))


def test_models_and_migrations_do_not_drift(any_db: Database) -> None:
    assert _diff(any_db) == []


def test_new_database_is_created_then_reported_current(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert schema_state(engine)[0] is SchemaState.EMPTY
    result = init_database(engine)
    assert result.created and result.backup is None
    assert schema_state(engine)[0] is SchemaState.CURRENT
    again = init_database(engine)
    assert not again.created and again.upgraded_from is None


def test_schema_newer_than_program_is_refused_and_untouched(sqlite_db: Database) -> None:
    with sqlite_db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(DatabaseError, match="newer version"):
        open_database(sqlite_db.url)
    with pytest.raises(DatabaseError, match="newer version"):
        init_database(sqlite_db.engine)
    with sqlite_db.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"


def test_older_sqlite_schema_is_backed_up_then_upgraded(tmp_path: Path) -> None:
    from alembic import command

    from armoury.db.schema import alembic_config

    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001_foundation")
    with pytest.raises(DatabaseError, match="older version"):
        open_database(str(path))
    result = init_database(engine)
    assert result.upgraded_from == "0001_foundation"
    assert result.backup is not None and result.backup.exists()
    backup_engine = make_engine(f"sqlite:///{result.backup}")
    with backup_engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001_foundation"
        )


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
    with pytest.raises(DatabaseError, match="not an Armoury database"):
        init_database(engine)


def test_sqlite_connection_settings(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -32_768
        with large_page_cache(connection):  # for one import or monthly return, then back
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -65_536
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -32_768
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert journal == ("wal" if sqlite_wal_is_safe() else "delete")


@pytest.mark.parametrize(
    ("version", "safe"),
    [((3, 40, 1), False), ((3, 44, 5), False), ((3, 44, 6), True), ((3, 50, 6), False), ((3, 50, 7), True),
     ((3, 51, 2), False), ((3, 51, 3), True), ((3, 52, 0), True)],
)  # fmt: skip
def test_wal_only_on_fixed_sqlite(version: tuple[int, int, int], safe: bool) -> None:
    assert sqlite_wal_is_safe(version) is safe


def test_fast_revision_check_names_the_newest_migration() -> None:
    from armoury.db.revision import SCHEMA_REVISION
    from armoury.db.schema import head_revision

    assert head_revision() == SCHEMA_REVISION, "update SCHEMA_REVISION in armoury/db/revision.py"


def test_every_migration_downgrades_and_upgrades_again(any_db: Database) -> None:
    from alembic import command

    from armoury.db.schema import alembic_config

    with any_db.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001_foundation")
    with any_db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert _diff(any_db) == []
