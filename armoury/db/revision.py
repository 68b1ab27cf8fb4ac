"""The schema revision this program expects, checked without loading Alembic (a fast start-up path).

``SCHEMA_REVISION`` must name the newest migration in ``armoury/migrations/versions``;
``tests/core/test_schema.py`` fails when it does not. Anything but an exact match goes to the full check
in :mod:`armoury.db.schema`, which explains what is wrong.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

SCHEMA_REVISION = "0010_tracing_requests"


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None when there is none (or it cannot be read)."""
    try:
        with engine.connect() as connection:
            value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None
    return str(value) if value is not None else None


def is_current(engine: Engine) -> bool:
    return stored_revision(engine) == SCHEMA_REVISION
