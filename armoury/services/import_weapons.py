"""The items import: weapons taken on charge from a spreadsheet, placed on their racks.

Validation loads what it compares against once — the catalogue, facilities, racks, the serial keys and
skeletons of the item types named in the file and the occupied slots of the racks named in the file — and
then checks each row without a query. Writing is one bulk insert in the caller's write transaction,
followed by the take-on-charge ledger entry for all the new weapons. On SQLite the weapon rows go to the
driver as plain tuples with their ids given (the transaction holds the write lock), and
:func:`bulk_load` sets aside what makes a large insert slow there (armoury/db/search_index.py); on
PostgreSQL they go through a Core insert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.orm import Session

from armoury.db.engine import large_page_cache
from armoury.db.search_index import bulk_weapon_inserts, checks_after
from armoury.domain.enums import Category, Condition, Register, Whereabouts
from armoury.domain.serials import is_valid_serial
from armoury.i18n import _
from armoury.models import Facility, ItemType, Rack, Weapon, utcnow
from armoury.models.ledger import LedgerEntry
from armoury.security.permissions import Actor, Permission
from armoury.services.import_rows import (
    ITEM_COLUMNS,
    Columns,
    Plan,
    code_key,
    fast_serial_key,
    fast_skeleton,
    parse_choice,
    parse_date,
    parse_int,
)
from armoury.services.ledger import LEDGER_ITEMS
from armoury.services.tabular import FORMULA_PREFIXES, unneutralize
from armoury.services.tabular import Table as DataTable
from armoury.services.taking_on_charge import record_take_on_charge

YEAR_MIN = 1800
WEAPONS: Table = Weapon.__table__  # type: ignore[assignment]  # Core insert, no ORM bookkeeping
LEDGER_ENTRIES: Table = LedgerEntry.__table__  # type: ignore[assignment]
_CHUNK = 500

# Longest text each column holds (the model's String lengths).
_MAX_LENGTH = {
    "serial": 80,
    "manufacturer": 120,
    "model": 120,
    "calibre": 60,
    "country": 80,
    "contingent_country": 80,
    "contingent_unit": 200,
    "recovered_place": 200,
    "recovering_unit": 200,
    "case_reference": 80,
}
_TEXT_COLUMNS = (
    "notes",
    "contingent_country",
    "contingent_unit",
    "recovered_place",
    "recovered_circumstances",
    "recovering_unit",
    "case_reference",
)

_DETAIL_COLUMNS = tuple(name for name in _TEXT_COLUMNS if name != "notes")
# The columns of a planned weapon row, in order; the first holds the item type's key until it is written.
WEAPON_COLUMNS = (
    "item_type_id",
    "serial",
    "serial_key",
    "serial_skeleton",
    "year_of_manufacture",
    "register",
    *_DETAIL_COLUMNS,
    "recovered_on",
    "facility_id",
    "whereabouts",
    "rack_id",
    "slot",
    "holder_id",
    "condition",
    "notes",
    "created_at",
)

TypeKey = tuple[str, str]


@dataclass
class ItemsPlan:
    """What the writer needs: new item types (by key) and the weapon rows to insert (``WEAPON_COLUMNS``)."""

    type_ids: dict[TypeKey, int] = field(default_factory=dict)
    new_types: dict[TypeKey, dict[str, Any]] = field(default_factory=dict)
    weapons: list[tuple[Any, ...]] = field(default_factory=list)


class _KeyCache(dict[str, str]):
    """serial_key of manufacturer and model names, computed once per distinct spelling."""

    def __missing__(self, text: str) -> str:
        value = fast_serial_key(text)
        self[text] = value
        return value


def validate_items(session: Session, actor: Actor, table: DataTable, columns: Columns, plan: Plan) -> None:
    """Check every row of an items file; fill ``plan`` with its issues and the weapons to write."""
    positions = list(columns.index.items())
    index = columns.index
    label = columns.label
    keys = _KeyCache()
    today_year = date.today().year

    # --- what the rows will be compared against, loaded once
    type_rows = session.execute(
        select(
            ItemType.id, ItemType.manufacturer_key, ItemType.model_key, ItemType.manufacturer, ItemType.model
        )
    ).all()
    type_ids: dict[TypeKey, int] = {(r[1], r[2]): r[0] for r in type_rows}
    type_names: dict[TypeKey, str] = {(r[1], r[2]): f"{r[3]} {r[4]}" for r in type_rows}
    # Keyed by folded code and, for a quicker hit, by the code as stored.
    facilities: dict[str, tuple[int, str]] = {}
    for fid, code in session.execute(select(Facility.id, Facility.code)):
        facilities[code_key(code)] = facilities[code] = (fid, code)
    racks: dict[tuple[int, str], tuple[int, str, int]] = {}
    for rid, fid, code, slots in session.execute(select(Rack.id, Rack.facility_id, Rack.code, Rack.slots)):
        racks[(fid, code_key(code))] = racks[(fid, code)] = (rid, code, slots)
    m_pos, mo_pos = index["manufacturer"], index["model"]
    f_pos, r_pos = index["facility_code"], index["rack_code"]
    # Only the item types and racks the file names are loaded; distinct spellings are folded once.
    wanted_types = {
        (keys[m.strip()], keys[mo.strip()]) for m, mo in {(c[m_pos], c[mo_pos]) for _n, c in table.rows}
    }
    used_type_ids = [tid for tk, tid in type_ids.items() if tk in wanted_types]
    id_to_key = {tid: tk for tk, tid in type_ids.items()}
    existing: dict[tuple[TypeKey, str], str] = {}
    skeletons: dict[tuple[TypeKey, str], tuple[str, str, int | None]] = {}
    for chunk in _chunks(used_type_ids):
        query = select(Weapon.item_type_id, Weapon.serial_key, Weapon.serial_skeleton, Weapon.serial).where(
            Weapon.item_type_id.in_(chunk)
        )
        for tid, skey, skel, serial in session.execute(query):
            type_key = id_to_key[tid]
            existing[(type_key, skey)] = serial
            skeletons.setdefault((type_key, skel), (skey, serial, None))
    wanted_racks = set()
    for facility_text, rack_text in {(c[f_pos], c[r_pos]) for _n, c in table.rows}:
        facility = facilities.get(code_key(facility_text))
        rack = racks.get((facility[0], code_key(rack_text))) if facility else None
        if rack is not None:
            wanted_racks.add(rack[0])
    occupied: dict[tuple[int, int], int | None] = {}
    for chunk in _chunks(sorted(wanted_racks)):
        slots_query = select(Weapon.rack_id, Weapon.slot).where(
            Weapon.rack_id.in_(chunk), Weapon.slot.is_not(None)
        )
        for rack_id, slot in session.execute(slots_query):
            if rack_id is not None and slot is not None:
                occupied[(rack_id, slot)] = None

    items = ItemsPlan(type_ids=type_ids)
    seen: dict[tuple[TypeKey, str], int] = {}
    allowed: dict[int, bool] = {}
    now = utcnow()

    # Every known column is in ``row`` (empty when the file lacks it); lengths are checked cell by cell.
    blank = {column.name: "" for column in ITEM_COLUMNS}
    cell_specs = [(name, position, _MAX_LENGTH.get(name, 0)) for name, position in positions]
    for number, cells in table.rows:
        row = dict(blank)
        formula = False
        too_long: list[tuple[str, int]] = []
        for name, position, limit in cell_specs:
            cell = cells[position]
            if cell:
                cell = cell.strip()
                if cell and cell[0] in "'=+-@":
                    # A formula is refused; a cell an export protected with a quote ('=...) is text.
                    if cell.startswith(FORMULA_PREFIXES):
                        plan.error(number, label(name), _("The cell looks like a spreadsheet formula."))
                        formula = True
                    cell = unneutralize(cell)
                if limit and len(cell) > limit:
                    too_long.append((name, limit))
                row[name] = cell
        # Formula-looking cells are refused before anything else reads the row.
        if formula:
            continue
        errors_before = len(plan.errors)
        for name, limit in too_long:
            plan.error(number, label(name), _("This is too long (at most {n} characters).").format(n=limit))

        serial = row["serial"]
        skey = fast_serial_key(serial)
        if not skey:
            plan.error(number, label("serial"), _("The serial number is empty."))
        elif not serial.isprintable() and not is_valid_serial(serial):
            plan.error(number, label("serial"), _("The serial number contains control characters."))

        tkey: TypeKey | None = _item_type(row, number, keys, type_ids, items.new_types, label, plan)

        year: int | None = None
        year_text = row["year"]
        if year_text:
            year = parse_int(year_text)
            if year is None or not YEAR_MIN <= year <= today_year:
                plan.error(
                    number,
                    label("year"),
                    _("The year must be a whole number from {min} to {max}.").format(
                        min=YEAR_MIN, max=today_year
                    ),
                )

        rack_id, slot, facility_id = _placement(
            row, number, facilities, racks, occupied, allowed, actor, label, plan
        )

        register, details = _register(row, number, label, plan)
        condition = Condition.SERVICEABLE
        condition_text = row["condition"]
        if condition_text:
            parsed = parse_choice(Condition, condition_text)
            if parsed is None:
                plan.error(
                    number, label("condition"), _("Unknown condition: {value}.").format(value=condition_text)
                )
            else:
                condition = parsed

        skeleton = ""
        if skey and tkey is not None:
            key = (tkey, skey)
            skeleton = fast_skeleton(skey)
            if key in seen:
                plan.error(
                    number,
                    label("serial"),
                    _("The same serial is already on row {row}.").format(row=seen[key]),
                )
            elif key in existing:
                plan.error(
                    number,
                    label("serial"),
                    _("Serial {serial} is already recorded for {item_type}.").format(
                        serial=existing[key], item_type=type_names.get(tkey, "")
                    ),
                )
            else:
                seen[key] = number
                other = skeletons.get((tkey, skeleton))
                if other is None:
                    skeletons[(tkey, skeleton)] = (skey, serial, number)
                elif other[0] != skey:
                    if other[2] is None:
                        reason = _("Serial {serial} looks like {other}, already recorded for this type.")
                    else:
                        reason = _("Serial {serial} looks like {other} on row {row}.")
                    plan.warn(
                        number,
                        label("serial"),
                        reason.format(serial=serial, other=other[1], row=other[2])
                        + " "
                        + _("Check the marking on the weapon."),
                    )

        if len(plan.errors) != errors_before or tkey is None or rack_id is None or facility_id is None:
            continue
        plan.valid += 1
        items.weapons.append(
            (tkey, serial, skey, skeleton, year, register, *details, facility_id, Whereabouts.IN_STORE,
             rack_id, slot, None, condition, row["notes"], now)
        )  # fmt: skip
    plan.data = items


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _item_type(
    row: dict[str, str],
    number: int,
    keys: _KeyCache,
    type_ids: dict[TypeKey, int],
    new_types: dict[TypeKey, dict[str, Any]],
    label: Any,
    plan: Plan,
) -> TypeKey | None:
    """The item type's key, found in the catalogue or made from the row's category; None if neither."""
    manufacturer, model = row["manufacturer"], row["model"]
    tkey = (keys[manufacturer], keys[model])
    missing = False
    for name, value in (("manufacturer", tkey[0]), ("model", tkey[1])):
        if not value:
            plan.error(number, label(name), _("The {column} is empty.").format(column=label(name)))
            missing = True
    if missing:
        return None
    if tkey in type_ids or tkey in new_types:
        return tkey
    category_text = row["category"]
    category = parse_choice(Category, category_text)
    if category_text and category is None:
        plan.error(number, label("category"), _("Unknown category: {value}.").format(value=category_text))
        return None
    if category is None:
        plan.error(
            number,
            label("model"),
            _("Unknown item type {name}: add it to the catalogue or fill in its category.").format(
                name=f"{manufacturer} {model}"
            ),
        )
        return None
    if len(manufacturer) > 120 or len(model) > 120:
        return None
    new_types[tkey] = {
        "category": category,
        "manufacturer": manufacturer,
        "model": model,
        "manufacturer_key": tkey[0],
        "model_key": tkey[1],
        "calibre": row["calibre"][:60],
        "country": row["country"][:80],
    }
    return tkey


def _placement(
    row: dict[str, str],
    number: int,
    facilities: dict[str, tuple[int, str]],
    racks: dict[tuple[int, str], tuple[int, str, int]],
    occupied: dict[tuple[int, int], int | None],
    allowed: dict[int, bool],
    actor: Actor,
    label: Any,
    plan: Plan,
) -> tuple[int | None, int | None, int | None]:
    """(rack id, slot, facility id) of the row, recording its errors."""
    facility_text = row["facility_code"]
    facility = facilities.get(facility_text) or facilities.get(code_key(facility_text))
    if not facility_text:
        plan.error(number, label("facility_code"), _("The facility code is empty."))
        return None, None, None
    if facility is None:
        plan.error(number, label("facility_code"), _("Unknown facility {code}.").format(code=facility_text))
        return None, None, None
    facility_id = facility[0]
    if facility_id not in allowed:
        allowed[facility_id] = actor.can(Permission.IMPORT_DATA, facility_id)
    if not allowed[facility_id]:
        plan.error(number, label("facility_code"), _("You may not import into this facility."))
        return None, None, facility_id
    rack_text = row["rack_code"]
    if not rack_text:
        plan.error(
            number, label("rack_code"), _("The rack code is empty; a weapon taken on charge goes on a rack.")
        )
        return None, None, facility_id
    rack = racks.get((facility_id, rack_text)) or racks.get((facility_id, code_key(rack_text)))
    if rack is None:
        plan.error(
            number,
            label("rack_code"),
            _("Unknown rack {rack} in facility {facility}.").format(rack=rack_text, facility=facility[1]),
        )
        return None, None, facility_id
    rack_id, rack_code, slots = rack
    slot_text = row["slot"]
    if not slot_text:
        return rack_id, None, facility_id
    slot = parse_int(slot_text)
    if slot is None:
        plan.error(number, label("slot"), _("The slot must be a whole number."))
        return rack_id, None, facility_id
    if not 1 <= slot <= slots:
        if slots:
            reason = _("Slot {slot} is outside rack {rack} (slots 1 to {max}).")
        else:
            reason = _("Rack {rack} has no numbered slots; leave the slot empty.")
        plan.error(number, label("slot"), reason.format(slot=slot, rack=rack_code, max=slots))
        return rack_id, None, facility_id
    taken = occupied.get((rack_id, slot), 0)
    if taken is None:
        plan.error(
            number,
            label("slot"),
            _("Slot {slot} of rack {rack} is already taken.").format(slot=slot, rack=rack_code),
        )
    elif taken:
        plan.error(
            number,
            label("slot"),
            _("Slot {slot} of rack {rack} is already given on row {row}.").format(
                slot=slot, rack=rack_code, row=taken
            ),
        )
    else:
        occupied[(rack_id, slot)] = number
    return rack_id, slot, facility_id


def _register(row: dict[str, str], number: int, label: Any, plan: Plan) -> tuple[Register, list[Any]]:
    """The register and its details (``_DETAIL_COLUMNS``, then the recovery date), recording their errors."""
    details: list[Any] = [row[name] for name in _DETAIL_COLUMNS]
    register = Register.NATIONAL
    text = row["register"]
    if text:
        parsed = parse_choice(Register, text)
        if parsed is None:
            plan.error(number, label("register"), _("Unknown register: {value}.").format(value=text))
        else:
            register = parsed
    if register is Register.CONTINGENT and not row["contingent_country"]:
        plan.error(
            number,
            label("contingent_country"),
            _("A contingent-owned weapon needs the contributing country."),
        )
    recovered = None
    recovered_text = row["recovered_on"]
    if recovered_text:
        recovered = parse_date(recovered_text)
        if recovered is None:
            plan.error(
                number,
                label("recovered_on"),
                _("Not a date: {value} (write it as 2024-03-31).").format(value=recovered_text),
            )
    details.append(recovered)
    return register, details


def write_items(session: Session, actor: Actor, plan: Plan, source: str) -> tuple[int, dict[str, int]]:
    """Insert the planned item types and weapons, then take the weapons on charge, in ``session``."""
    items: ItemsPlan = plan.data
    connection = session.connection()
    type_ids = dict(items.type_ids)
    used = {w[0] for w in items.weapons}
    created_types = 0
    for tkey, values in items.new_types.items():
        if tkey in used:
            type_ids[tkey] = connection.execute(
                insert(ItemType).returning(ItemType.id), [values]
            ).scalar_one()
            created_types += 1
    rows = [(type_ids[w[0]], *w[1:]) for w in items.weapons]
    with bulk_load(session, len(rows)):
        weapon_ids = _insert_rows(session, WEAPON_COLUMNS, rows)
        record_take_on_charge(session, actor, weapon_ids, source="import", document_ref=source)
    return len(rows), {"weapons": len(rows), "item_types": created_types}


def insert_weapons(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk-insert weapon rows (every key present in every row); return their ids in row order. Call it
    inside :func:`bulk_load`, with the take-on-charge, for a large load (the demo depot does)."""
    if not rows:
        return []
    columns = tuple(rows[0])
    return _insert_rows(session, columns, [tuple(r[c] for c in columns) for r in rows])


@contextmanager
def bulk_load(session: Session, count: int) -> Iterator[None]:
    """Write ``count`` new weapons, and the ledger entry taking them on charge, inside this block.

    On SQLite the search trigger, and for a large load the secondary indexes of ``weapons``, are set aside
    until the block ends, and the CHECK constraints of every row the block adds to ``weapons``,
    ``ledger_entries`` and ``ledger_items`` are checked once, at its end (armoury/db/search_index.py).
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before_id = connection.execute(select(func.coalesce(func.max(Weapon.id), 0))).scalar_one()
    before_seq = connection.execute(select(func.coalesce(func.max(LedgerEntry.seq), 0))).scalar_one()
    new_rows = [
        (WEAPONS, WEAPONS.c.id > before_id),
        (LEDGER_ENTRIES, LEDGER_ENTRIES.c.seq > before_seq),
        (LEDGER_ITEMS, LEDGER_ITEMS.c.entry_seq > before_seq),
    ]
    with (
        large_page_cache(connection),
        bulk_weapon_inserts(connection, count),
        checks_after(connection, new_rows),
    ):
        yield


def _insert_rows(session: Session, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert weapon rows (values in ``columns`` order); return their ids in row order."""
    if not rows:
        return []
    connection = session.connection()
    before = connection.execute(select(func.coalesce(func.max(Weapon.id), 0))).scalar_one()
    if connection.dialect.name == "sqlite":
        # The write transaction holds SQLite's write lock, so nobody else takes ids meanwhile: the new
        # weapons get the next ones, given explicitly, and the driver gets plain tuples.
        values, bound = _driver_rows(connection, columns, rows, before + 1)
        connection.exec_driver_sql(f"INSERT INTO weapons (id, {', '.join(columns)}) VALUES ({values})", bound)
        return list(range(before + 1, before + 1 + len(rows)))
    connection.execute(insert(WEAPONS), [dict(zip(columns, row, strict=True)) for row in rows])
    # Ids above the old maximum that carry our (type, serial key) pairs are ours; the unique index makes
    # the pair exact even if another workstation inserted weapons meanwhile (PostgreSQL).
    ids = {
        (tid, skey): wid
        for wid, tid, skey in connection.execute(
            select(Weapon.id, Weapon.item_type_id, Weapon.serial_key).where(Weapon.id > before)
        )
    }
    type_at, key_at = columns.index("item_type_id"), columns.index("serial_key")
    return [ids[(r[type_at], r[key_at])] for r in rows]


def _driver_rows(
    connection: Connection, columns: Sequence[str], rows: list[tuple[Any, ...]], first_id: int
) -> tuple[str, list[tuple[Any, ...]]]:
    """The VALUES list and the driver's rows (id, values...) for ``rows``, ids counting from ``first_id``.

    Values go through their column type's bind processor (enums to their text, times to SQLite's text
    form), as SQLAlchemy would send them, each distinct one converted once. A column that holds the same
    number, text or NULL in every row (a file's facility, register, condition, empty notes …) is written
    once into the statement as a literal instead of being bound on every row: binding is most of the
    driver's time, about 0.5 µs a value here. (Equal values of another Python type — an enum member and
    its text, True and 1 — are stored alike by the column's affinity.)
    """
    dialect = connection.dialect
    placeholders = ["?"]
    variable: list[int] = []
    converters: dict[int, Any] = {}
    middle = rows[len(rows) // 2]
    for position, name in enumerate(columns):
        convert = WEAPONS.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        first = rows[0][position]
        if first == rows[-1][position] == middle[position]:  # worth a full look
            values = list(map(itemgetter(position), rows))
            literal = _sql_literal(first if convert is None or first is None else convert(first))
            if literal is not None and values.count(first) == len(values):
                placeholders.append(literal)
                continue
        placeholders.append("?")
        variable.append(position)
        if convert is not None:
            converters[position] = convert
    ids = range(first_id, first_id + len(rows))
    if not converters:
        pick = _picker(variable)
        return ", ".join(placeholders), [
            (weapon_id, *pick(row)) for weapon_id, row in zip(ids, rows, strict=True)
        ]
    bound: list[Sequence[Any]] = [ids]
    for position in variable:
        values = list(map(itemgetter(position), rows))
        convert = converters.get(position)
        if convert is not None:
            done: dict[Any, Any] = {}
            for i, value in enumerate(values):
                if value is not None:
                    if value not in done:
                        done[value] = convert(value)
                    values[i] = done[value]
        bound.append(values)
    return ", ".join(placeholders), list(zip(*bound, strict=True))


def _picker(positions: Sequence[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A function giving the values at ``positions`` of a row, as a tuple (also for one or none)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        only = positions[0]
        return lambda row: (row[only],)
    return lambda _row: ()


def _sql_literal(value: Any) -> str | None:
    """``value`` as an SQL literal that SQLite stores exactly as the bound value, or None if it has none."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None
