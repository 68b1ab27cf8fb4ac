"""Alembic migrations: the schema is owned by these from the first table."""
