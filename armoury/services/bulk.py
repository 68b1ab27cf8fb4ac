"""Large pieces of work in one go (an import, the reconciliation of a 100,000-weapon count)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_work() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block.

    Such work allocates a few small objects per row that are never cyclic garbage; the collector's repeated
    passes over the growing heap cost as much as the work itself at 100,000 rows.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
