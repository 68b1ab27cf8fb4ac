"""The one clock of the core: timezone-aware UTC (kept apart from the models so it costs nothing to import)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
