"""Models of the inspections capability (filled in by its issue)."""

from __future__ import annotations
