"""Models of the counts capability (filled in by its issue)."""

from __future__ import annotations
