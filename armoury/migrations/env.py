"""Alembic environment. Armoury runs migrations in-process through armoury.db.schema, on a connection
passed in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from armoury.migrations.env_filters import include_name
from armoury.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through 'armoury init' (armoury.db.schema), not the alembic command.")


context.configure(
    connection=connection,
    include_name=include_name,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
