"""Taking on charge: every way a weapon enters the books goes through the custody ledger.

Imports, the weapon dialog and the demo depot call :func:`record_take_on_charge` in the same transaction
that creates the weapons, so that replaying the ledger explains every weapon from its first day. A batch is
one ledger entry with one item per weapon, so importing 100,000 weapons costs one entry, not 100,000.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.errors import ConflictError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
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
    ids = list(dict.fromkeys(int(i) for i in weapon_ids))
    # Plain driver rows, the ids written into the SQL: an import takes 100,000 weapons on charge at once,
    # and those of a bulk insert are consecutive, so one range names them all.
    if ids == list(range(ids[0], ids[0] + len(ids))):
        among = f"BETWEEN {ids[0]} AND {ids[-1]}"
    else:
        among = f"IN ({', '.join(map(str, ids))})"
    session.flush()  # the plain reads below do not flush the session themselves
    connection = session.connection()
    already = connection.exec_driver_sql(
        f"SELECT weapon_id FROM ledger_items WHERE weapon_id {among} LIMIT 1"
    ).scalar()
    if already is not None:
        raise ConflictError(
            _("Weapon {weapon} is already on the books.").format(weapon=already),
            _("A weapon is taken on charge once; later changes are custody operations."),
        )
    states = {
        wid: WeaponState(
            facility, Whereabouts(where), rack, slot, holder, Condition(condition), Register(reg)
        )
        for wid, facility, where, rack, slot, holder, condition, reg in connection.exec_driver_sql(
            "SELECT id, facility_id, whereabouts, rack_id, slot, holder_id, condition, register "
            f"FROM weapons WHERE id {among}"
        )
    }
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
