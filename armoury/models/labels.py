"""Models of the labels capability (filled in by its issue)."""

from __future__ import annotations
