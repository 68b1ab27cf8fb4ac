"""Taking on charge: every way a weapon enters the books goes through the custody ledger.

Imports, the weapon dialog and the demo depot call :func:`record_take_on_charge` in the same transaction
that creates the weapons, so that replaying the ledger explains every weapon from its first day. A batch is
one ledger entry with one item per weapon, so importing 100,000 weapons costs one entry, not 100,000.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from armoury.db.plain import plain_rows
from armoury.errors import ConflictError
from armoury.i18n import _
from armoury.models.ledger import LedgerOperation
from armoury.security.permissions import Actor
from armoury.services.ledger import (
    ITEM_COLUMNS,
    CopiedItems,
    ItemChange,
    append_entry,
    append_item_rows,
    current_states,
)
from armoury.services.ledger_chunks import json_array_sql

_OPERATION = str(LedgerOperation.TAKE_ON_CHARGE)
_RANGE = "FROM weapons WHERE id BETWEEN :first AND :last"
# A new weapon's item in ITEM_COLUMNS order, from its row: from nowhere (NULLs) to its state as stored.
# (NULLs typed, for PostgreSQL's to_json.)
_INT, _TEXT = "CAST(NULL AS INTEGER)", "CAST(NULL AS TEXT)"
_ITEM_EXPRESSIONS = (
    "id - :offset", f"CAST('{_OPERATION}' AS TEXT)", "id", "register", _INT, "facility_id", _TEXT,
    "whereabouts", _INT, "rack_id", _INT, "slot", _INT, "holder_id", _TEXT, "condition",
)  # fmt: skip
_COPY_RANGE = text(
    f"INSERT INTO ledger_items (entry_seq, {', '.join(ITEM_COLUMNS)}) "
    f"SELECT :seq, {', '.join(_ITEM_EXPRESSIONS)} {_RANGE} ORDER BY id"
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
    if among.startswith("BETWEEN"):
        # Consecutive ids (a bulk insert): the database writes the items' JSON and copies the items itself.
        by_facility = f"SELECT facility_id, count(*) {_RANGE} GROUP BY facility_id"
        counts = Counter(dict(plain_rows(connection, by_facility, {"first": ids[0], "last": ids[-1]})))
        append_item_rows(
            session,
            actor,
            LedgerOperation.TAKE_ON_CHARGE,
            _main_facility(counts),
            _copied_range(connection.dialect.name, ids[0], ids[-1]),
            document_ref=document_ref[:80],
            reason=reason,
            payload={"source": source},
        )
        return
    states = current_states(session, ids)
    append_entry(
        session,
        actor,
        LedgerOperation.TAKE_ON_CHARGE,
        _main_facility(Counter(state.facility_id for state in states.values())),
        [ItemChange(weapon_id, None, states[weapon_id]) for weapon_id in ids],
        document_ref=document_ref[:80],
        reason=reason,
        payload={"source": source},
        apply=False,
    )


def _main_facility(weapons_by_facility: Counter[int]) -> int:
    """The entry's facility: the one with most of its weapons (the lowest id among equals)."""
    return min(weapons_by_facility, key=lambda f: (-weapons_by_facility[f], f))


def _copied_range(dialect: str, first: int, last: int) -> CopiedItems:
    """The take-on-charge items of weapons ``first``..``last`` (line = id - first + 1), which the database
    writes as canonical JSON for the hash and copies into ``ledger_items`` with one INSERT … SELECT."""
    values = {"offset": first - 1, "first": first, "last": last}
    json_sql = json_array_sql(dialect, _ITEM_EXPRESSIONS)

    def texts(connection: Connection) -> Iterable[str]:
        return [row[0] for row in plain_rows(connection, f"SELECT {json_sql} {_RANGE} ORDER BY id", values)]

    def write(connection: Connection, seq: int) -> int:
        return int(connection.execute(_COPY_RANGE, {**values, "seq": seq}).rowcount)

    return CopiedItems(last - first + 1, texts, write)
