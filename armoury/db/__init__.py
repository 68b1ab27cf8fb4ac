"""Persistence: the engine factory, the schema (owned by Alembic) and units of work."""

from armoury.db.database import Database, open_database

__all__ = ["Database", "open_database"]
