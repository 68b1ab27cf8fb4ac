"""Taking on charge: every way a weapon enters the books goes through the custody ledger.

Imports, the weapon dialog and the demo depot call :func:`record_take_on_charge` in the same transaction
that creates the weapons, so that replaying the ledger explains every weapon from its first day.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from armoury.security.permissions import Actor


def record_take_on_charge(
    session: Session,
    actor: Actor,
    weapon_ids: Sequence[int],
    *,
    source: str,
    document_ref: str = "",
    reason: str = "",
) -> None:
    """Append the ledger entry that brings ``weapon_ids`` (already flushed, in their current state) onto
    the books. ``source`` says how they came (``import``, ``dialog``, ``demo``, ``receive``)."""
    # Filled in by the custody-ledger issue.
