"""Models of the ledger capability (filled in by its issue)."""

from __future__ import annotations
