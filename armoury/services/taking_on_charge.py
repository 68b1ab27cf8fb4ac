"""Taking on charge: every way a weapon enters the books goes through the custody ledger.

Imports, the weapon dialog and the demo depot call :func:`record_take_on_charge` in the same transaction
that creates the weapons, so that replaying the ledger explains every weapon from its first day. A batch is
one ledger entry with one item per weapon, so importing 100,000 weapons costs one entry, not 100,000.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from armoury.db.plain import plain_rows
from armoury.errors import ConflictError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor
from armoury.services.ledger import ITEM_COLUMNS, append_item_rows

_OPERATION = str(LedgerOperation.TAKE_ON_CHARGE)
_STATE_COLUMNS = "id, facility_id, whereabouts, rack_id, slot, holder_id, condition, register"
# The items of consecutive new weapons, copied by the database: the same values as the rows above.
_COPY_RANGE = text(
    f"INSERT INTO ledger_items (entry_seq, {', '.join(ITEM_COLUMNS)}) "
    "SELECT :seq, id - :offset, :operation, id, register, NULL, facility_id, NULL, whereabouts, "
    "NULL, rack_id, NULL, slot, NULL, holder_id, NULL, condition "
    "FROM weapons WHERE id BETWEEN :first AND :last ORDER BY id"
)


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
    # Each item in ITEM_COLUMNS order: from nowhere (NULLs) to the weapon's state as stored.
    by_id = {
        row[0]: [None, _OPERATION, row[0], row[7], None, row[1], None, row[2], None, row[3], None, row[4],
                 None, row[5], None, row[6]]
        for row in plain_rows(connection, f"SELECT {_STATE_COLUMNS} FROM weapons WHERE id {among}")
    }  # fmt: skip
    items = [by_id[weapon_id] for weapon_id in ids]
    for line, item in enumerate(items, 1):
        item[0] = line
    facilities = Counter(item[5] for item in items)  # the entry's facility: most of its weapons'
    facility_id = min(facilities, key=lambda f: (-facilities[f], f))
    # Consecutive ids (a bulk insert): the database copies the same values itself.
    copy_items = _copy_range(ids[0], ids[-1]) if among.startswith("BETWEEN") else None
    append_item_rows(
        session,
        actor,
        LedgerOperation.TAKE_ON_CHARGE,
        facility_id,
        items,
        document_ref=document_ref[:80],
        reason=reason,
        payload={"source": source},
        copy_items=copy_items,
    )


def _copy_range(first: int, last: int) -> Callable[[Connection, int], int]:
    """Write the items of weapons ``first``..``last`` (line = id - first + 1) with one INSERT … SELECT."""

    def copy(connection: Connection, seq: int) -> int:
        values = {"seq": seq, "offset": first - 1, "first": first, "last": last, "operation": _OPERATION}
        return int(connection.execute(_COPY_RANGE, values).rowcount)

    return copy
