"""Names the schema comparison leaves out (shared by env.py and the drift test)."""

from __future__ import annotations

SEARCH_PREFIX = "search_"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Skip the search indexes of migration 0007 (FTS5 tables with their shadow tables on SQLite, pg_trgm
    indexes on PostgreSQL), which are not in the models by design. Everything else is compared."""
    return not (type_ in ("table", "index") and name is not None and name.startswith(SEARCH_PREFIX))
