"""Create, upgrade and check the schema. Alembic owns it; ``armoury init`` calls :func:`init_database`.

* An empty database is created at the newest revision.
* An older schema is upgraded; an SQLite file is first copied next to itself (online backup API).
* A schema newer than this program, or a database that is not Armoury's, is refused with a clear message.
"""

from __future__ import annotations

import enum
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, insert, inspect, select

from armoury.db.engine import sqlite_path
from armoury.errors import DatabaseError
from armoury.i18n import _

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class SchemaState(enum.Enum):
    EMPTY = "empty"
    CURRENT = "current"
    OLDER = "older"
    NEWER = "newer"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class InitResult:
    created: bool
    upgraded_from: str | None
    backup: Path | None
    revision: str


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_state(engine: Engine) -> tuple[SchemaState, str | None]:
    """Where this database's schema stands against the program's migrations."""
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        return (SchemaState.FOREIGN if tables - {"alembic_version"} else SchemaState.EMPTY), None
    script = ScriptDirectory.from_config(alembic_config())
    if revision == script.get_current_head():
        return SchemaState.CURRENT, revision
    known = {rev.revision for rev in script.walk_revisions()}
    return (SchemaState.OLDER if revision in known else SchemaState.NEWER), revision


def check_schema(engine: Engine) -> None:
    """Raise a :class:`DatabaseError` unless the schema is exactly this program's."""
    state, revision = schema_state(engine)
    if state is SchemaState.CURRENT:
        return
    if state is SchemaState.EMPTY:
        raise DatabaseError(
            _("This database has no Armoury tables yet."),
            _("Run 'armoury init' to create them (or 'armoury demo' for the demo depot)."),
        )
    if state is SchemaState.OLDER:
        raise DatabaseError(
            _("This database was made by an older version of Armoury (schema {revision}).").format(
                revision=revision
            ),
            _("Run 'armoury init' to upgrade it; a copy of the file is kept first."),
        )
    _refuse_unusable(state, revision)


def _refuse_unusable(state: SchemaState, revision: str | None) -> None:
    if state is SchemaState.NEWER:
        raise DatabaseError(
            _("This database was made by a newer version of Armoury (schema {revision}).").format(
                revision=revision
            ),
            _("Install the newer version of Armoury to open it. Nothing was changed."),
        )
    raise DatabaseError(
        _("This database is not an Armoury database: it has tables but no Armoury schema version."),
        _("Check the path or URL given with --db or ARMOURY_DB. Nothing was changed."),
    )


def init_database(engine: Engine) -> InitResult:
    """Create or upgrade the schema to the newest revision and make sure the depot has an identity."""
    state, revision = schema_state(engine)
    if state in (SchemaState.NEWER, SchemaState.FOREIGN):
        _refuse_unusable(state, revision)
    backup: Path | None = None
    if state is SchemaState.OLDER:
        path = sqlite_path(str(engine.url))
        if path is not None:
            backup = backup_before_upgrade(path, revision or "unknown")
    if state is not SchemaState.CURRENT:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    _ensure_depot_identity(engine)
    return InitResult(
        created=state is SchemaState.EMPTY,
        upgraded_from=revision if state is SchemaState.OLDER else None,
        backup=backup,
        revision=head_revision(),
    )


def backup_before_upgrade(path: Path, revision: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.before-upgrade-{revision}-{stamp}{path.suffix}")
    source = sqlite3.connect(path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target


def _ensure_depot_identity(engine: Engine) -> None:
    from armoury.models import Setting

    with engine.begin() as connection:
        exists = connection.execute(select(Setting.key).where(Setting.key == "depot.id")).first()
        if exists is None:
            connection.execute(
                insert(Setting).values(
                    key="depot.id", value=f'"{uuid.uuid4().hex}"', updated_at=datetime.now(UTC)
                )
            )
