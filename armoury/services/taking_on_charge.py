"""Taking on charge: every way a weapon enters the books goes through the custody ledger.

Imports, the weapon dialog and the demo depot call :func:`record_take_on_charge` in the same transaction
that creates the weapons, so that replaying the ledger explains every weapon from its first day. A batch is
one ledger entry with one item per weapon, so importing 100,000 weapons costs one entry, not 100,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.errors import ConflictError
from armoury.i18n import _
from armoury.models.ledger import LedgerItem, LedgerOperation
from armoury.security.permissions import Actor
from armoury.services.ledger import ItemChange, WeaponState, append_entry

_CHUNK = 900  # below SQLite's limit of bound parameters per statement


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
    if not weapon_ids:
        return
    ids = list(dict.fromkeys(weapon_ids))
    # The weapons of a bulk insert have consecutive ids: one range then replaces many chunks of listed ids.
    consecutive = ids == list(range(ids[0], ids[0] + len(ids)))
    step = len(ids) if consecutive else _CHUNK
    states: dict[int, WeaponState] = {}
    session.flush()  # the plain reads below do not flush the session themselves
    connection = session.connection()
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        already = session.scalar(
            select(LedgerItem.weapon_id).where(_among(LedgerItem.weapon_id, chunk, consecutive)).limit(1)
        )
        if already is not None:
            raise ConflictError(
                _("Weapon {weapon} is already on the books.").format(weapon=already),
                _("A weapon is taken on charge once; later changes are custody operations."),
            )
        # Plain driver rows: an import takes 100,000 weapons on charge at once.
        among = f"BETWEEN {int(chunk[0])} AND {int(chunk[-1])}" if consecutive else f"IN ({_id_list(chunk)})"
        for wid, facility, where, rack, slot, holder, condition, register in connection.exec_driver_sql(
            "SELECT id, facility_id, whereabouts, rack_id, slot, holder_id, condition, register "
            f"FROM weapons WHERE id {among}"
        ):
            states[wid] = WeaponState(
                facility, Whereabouts(where), rack, slot, holder, Condition(condition), Register(register)
            )
    changes = [ItemChange(weapon_id, None, states[weapon_id]) for weapon_id in ids]
    facilities = [c.after.facility_id for c in changes]
    facility_id = max(set(facilities), key=facilities.count)
    append_entry(
        session,
        actor,
        LedgerOperation.TAKE_ON_CHARGE,
        facility_id,
        changes,
        document_ref=document_ref[:80],
        reason=reason,
        payload={"source": source},
        apply=False,
    )


def _id_list(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _among(column: Any, ids: list[int], consecutive: bool) -> Any:
    """``column`` is one of ``ids``: as a range when they are consecutive, else as a list."""
    return column.between(ids[0], ids[-1]) if consecutive else column.in_(ids)
