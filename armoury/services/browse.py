"""Queries behind the main window's tables: paged, sorted, filtered and searched in SQL.

A table never loads its rows in one go. :func:`weapon_ids` returns only the ids of the weapons that pass a
filter, in the wanted order (a compact ``array`` of 8-byte integers: 8 MB for a million weapons); the view
then asks :func:`weapon_rows` for the few rows it paints, by id. Substring search uses the search indexes
of migration 0007 (FTS5 trigram tables on SQLite, pg_trgm on PostgreSQL); text shorter than three
characters matches the start of the normalized serial instead.

These functions are read-only and use plain SQL on a Core connection (``Database.read_connection``): they
run on every keystroke and every scroll, where the ORM's per-row cost would show, and they let the window
show its first rows before the ORM is even imported.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from armoury.db import Database
from armoury.db.plain import plain_rows
from armoury.domain.enums import Category, Condition, Register, Whereabouts
from armoury.domain.serials import serial_key
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize

_TERMINAL = "('lost', 'stolen', 'destroyed', 'transferred_out')"
_FETCH_CHUNK = 20_000
# Stored enum values to members by dictionary: a painted screen reads ~800 of them, and calling the enum
# class for each is a tenth of the rows' time.
_CATEGORIES = {m.value: m for m in Category}
_REGISTERS = {m.value: m for m in Register}
_WHEREABOUTS = {m.value: m for m in Whereabouts}
_CONDITIONS = {m.value: m for m in Condition}


class WeaponSort(enum.StrEnum):
    """The orders the weapons table offers (each ends on the id, so pages never shuffle)."""

    ID = "id"
    SERIAL = "serial"
    ITEM_TYPE = "item_type"
    CATEGORY = "category"
    REGISTER = "register"
    LOCATION = "location"
    HOLDER = "holder"
    CONDITION = "condition"
    WHEREABOUTS = "whereabouts"


_SORT_SQL: dict[WeaponSort, tuple[str, str]] = {
    # (joins needed, order-by expression)
    WeaponSort.ID: ("", "w.id"),
    WeaponSort.SERIAL: ("", "w.serial_key"),
    WeaponSort.ITEM_TYPE: ("JOIN item_types t ON t.id = w.item_type_id", "t.manufacturer_key, t.model_key"),
    WeaponSort.CATEGORY: ("JOIN item_types t ON t.id = w.item_type_id", "t.category"),
    WeaponSort.REGISTER: ("", "w.register"),
    WeaponSort.LOCATION: ("LEFT JOIN racks r ON r.id = w.rack_id", "w.facility_id, r.code, w.slot"),
    WeaponSort.HOLDER: ("LEFT JOIN people p ON p.id = w.holder_id", "p.surname, p.given_names"),
    WeaponSort.CONDITION: ("", "w.condition"),
    WeaponSort.WHEREABOUTS: ("", "w.whereabouts"),
}


@dataclass(frozen=True)
class WeaponFilter:
    """What the weapons table shows. Empty fields do not filter."""

    text: str = ""
    facility_id: int | None = None
    area_id: int | None = None
    rack_id: int | None = None
    register: Register | None = None
    category: Category | None = None
    condition: Condition | None = None
    whereabouts: Whereabouts | None = None
    item_type_id: int | None = None
    holder_id: int | None = None
    include_closed: bool = True


@dataclass(frozen=True)
class WeaponRow:
    """One line of the weapons table."""

    id: int
    serial: str
    item_type: str
    category: Category
    calibre: str
    register: Register
    facility_code: str
    rack_code: str
    slot: int | None
    holder: str
    whereabouts: Whereabouts
    condition: Condition


class NodeKind(enum.StrEnum):
    FACILITY = "facility"
    AREA = "area"
    RACK = "rack"


@dataclass(frozen=True)
class LocationNode:
    """A node of the location tree with the number of weapons it holds (not counting closed ones)."""

    kind: NodeKind
    id: int
    parent_id: int | None
    code: str
    name: str
    weapons: int
    active: bool


@dataclass(frozen=True)
class PersonRow:
    id: int
    service_number: str
    rank: str
    surname: str
    given_names: str
    unit_code: str
    weapons_held: int
    active: bool


# --- search ---------------------------------------------------------------------------------------------


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@dataclass(frozen=True)
class _Search:
    """How a search text selects weapons: a FROM clause for its hits and conditions on ``w``.

    ``by_index`` is true when the only condition is one item type, so the index on (item type, serial) both
    finds the hits and gives them in serial order: searching a make held by a tenth of a million weapons
    reads its first rows in order instead of sorting a hundred thousand."""

    source: str = ""
    conditions: tuple[str, ...] = ()
    by_index: bool = False


_NO_HITS = _Search(conditions=("0 = 1",))


def _ids_in(values: Sequence[int]) -> str:
    return ",".join(str(int(v)) for v in values)


def _search(connection: Connection, raw: str, params: dict[str, Any]) -> _Search:
    """The weapons that match the search text (an empty _Search when there is none).

    The search indexes of item types and people are small: their matches are read first, so that only the
    kinds of hits that exist take part (a UNION of id sets costs a temporary index over all of them).
    """
    query = raw.strip()
    if not query:
        return _Search()
    key = serial_key(query)
    dialect = connection.dialect.name
    if dialect != "sqlite":
        params["like"] = _like_pattern(query)
        params["key_like"] = _like_pattern(key or query)
        return _Search(
            "(SELECT id FROM weapons WHERE serial ILIKE :like ESCAPE '\\'"
            " UNION SELECT id FROM weapons WHERE serial_key LIKE :key_like ESCAPE '\\'"
            " UNION SELECT id FROM weapons WHERE item_type_id IN (SELECT id FROM item_types"
            " WHERE (manufacturer || ' ' || model) ILIKE :like ESCAPE '\\')"
            " UNION SELECT id FROM weapons WHERE holder_id IN (SELECT id FROM people"
            " WHERE (service_number || ' ' || surname || ' ' || given_names) ILIKE :like ESCAPE '\\'))"
            " AS hits CROSS JOIN weapons w",
            ("w.id = hits.id",),
        )
    if len(query) < 3:
        # Too short for trigrams: the serial starts with it, or a make or model contains it.
        like = {"like": _like_pattern(query)}
        type_ids = [
            r[0]
            for r in connection.execute(
                text(
                    "SELECT id FROM item_types WHERE manufacturer LIKE :like ESCAPE '\\'"
                    " OR model LIKE :like ESCAPE '\\'"
                ),
                like,
            )
        ]
        params["key_lo"] = key
        params["key_hi"] = key + "\U0010ffff"
        serial = "w.serial_key >= :key_lo AND w.serial_key < :key_hi"
        if not type_ids:
            return _Search(conditions=(serial,))
        return _Search(conditions=(f"(({serial}) OR w.item_type_id IN ({_ids_in(type_ids)}))",))
    terms = [_fts_phrase(query)]
    if key and len(key) >= 3 and key != query.lower():
        terms.append(_fts_phrase(key))
    params["match"] = " OR ".join(terms)
    weapon_hits = "SELECT rowid AS id FROM search_weapons WHERE search_weapons MATCH :match"
    found_weapons = connection.execute(text(weapon_hits + " LIMIT 1"), params).first() is not None
    type_ids = [
        r[0]
        for r in connection.execute(
            text("SELECT rowid FROM search_item_types WHERE search_item_types MATCH :match"), params
        )
    ]
    holders = "SELECT rowid FROM search_people WHERE search_people MATCH :match"
    found_people = connection.execute(text(holders + " LIMIT 1"), params).first() is not None
    branches = []
    if found_weapons:
        branches.append(weapon_hits)
    if type_ids:
        branches.append(f"SELECT id FROM weapons WHERE item_type_id IN ({_ids_in(type_ids)})")
    if found_people:
        branches.append(f"SELECT id FROM weapons WHERE holder_id IN ({holders})")
    if not branches:
        return _NO_HITS
    if branches == [weapon_hits] or len(branches) > 1:
        # CROSS JOIN makes SQLite loop over the hits first.
        return _Search(f"({' UNION '.join(branches)}) AS hits CROSS JOIN weapons w", ("w.id = hits.id",))
    if type_ids:
        return _Search(conditions=(f"w.item_type_id IN ({_ids_in(type_ids)})",), by_index=len(type_ids) == 1)
    return _Search(conditions=(f"w.holder_id IN ({holders})",))


def _where(dialect: str, actor: Actor, flt: WeaponFilter, params: dict[str, Any]) -> tuple[list[str], str]:
    """(conditions, extra joins) for a filter's fields other than the search text."""
    conditions: list[str] = []
    joins = ""
    if actor.facility_ids is not None:
        ids = ",".join(str(int(i)) for i in sorted(actor.facility_ids)) or "NULL"
        conditions.append(f"w.facility_id IN ({ids})")
    simple = (
        ("w.facility_id", "facility_id", flt.facility_id),
        ("w.rack_id", "rack_id", flt.rack_id),
        ("w.register", "register", flt.register.value if flt.register else None),
        ("w.condition", "condition", flt.condition.value if flt.condition else None),
        ("w.whereabouts", "whereabouts", flt.whereabouts.value if flt.whereabouts else None),
        ("w.item_type_id", "item_type_id", flt.item_type_id),
        ("w.holder_id", "holder_id", flt.holder_id),
    )
    for column, name, value in simple:
        if value is not None:
            conditions.append(f"{column} = :{name}")
            params[name] = value
    if flt.area_id is not None:
        conditions.append("w.rack_id IN (SELECT id FROM racks WHERE area_id = :area_id)")
        params["area_id"] = flt.area_id
    if flt.category is not None:
        conditions.append("w.item_type_id IN (SELECT id FROM item_types WHERE category = :category)")
        params["category"] = flt.category.value
    if not flt.include_closed:
        conditions.append(f"w.whereabouts NOT IN {_TERMINAL}")
    return conditions, joins


def _fetch_ids(connection: Connection, sql: str, params: dict[str, Any]) -> array[int]:
    ids: array[int] = array("q")
    result = connection.execute(text(sql), params)
    cursor = result.cursor  # the driver's cursor: no per-row wrapping for a million ids
    assert cursor is not None
    while True:
        chunk = cursor.fetchmany(_FETCH_CHUNK)
        if not chunk:
            break
        ids.extend(row[0] for row in chunk)
    result.close()
    return ids


def _from_clause(
    connection: Connection, actor: Actor, flt: WeaponFilter, params: dict[str, Any]
) -> tuple[str, list[str], _Search]:
    """The FROM clause (driven by the search hits when there is a search), the conditions, the search."""
    conditions, joins = _where(connection.dialect.name, actor, flt, params)
    search = _search(connection, flt.text, params)
    source = search.source or "weapons w"
    return f"{source} {joins}", [*search.conditions, *conditions], search


def _ids_sql(
    connection: Connection, actor: Actor, flt: WeaponFilter, sort: WeaponSort, descending: bool
) -> tuple[str, str, dict[str, Any]]:
    """(FROM ... WHERE ..., ORDER BY ..., params) of the weapons that pass ``flt`` in ``sort`` order."""
    params: dict[str, Any] = {}
    source, conditions, search = _from_clause(connection, actor, flt, params)
    sort_joins, order = _SORT_SQL[sort]
    direction = " DESC" if descending else ""
    # With a filter, a sequential scan and a sort beats walking the whole order index and visiting every
    # row at random; the unary + keeps SQLite from choosing the index walk. Without one, the index is best,
    # and so it is for one item type sorted by serial (the index on item type and serial has that order).
    in_index_order = search.by_index and sort is WeaponSort.SERIAL
    narrow = "+" if conditions and connection.dialect.name == "sqlite" and not in_index_order else ""
    order_sql = ", ".join(f"{narrow}{part.strip()}{direction}" for part in order.split(","))
    if sort is not WeaponSort.ID:
        order_sql += f", w.id{direction}"
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    return f"FROM {source} {sort_joins}{where}", order_sql, params


def weapon_ids(
    db: Database,
    actor: Actor,
    flt: WeaponFilter = WeaponFilter(),
    sort: WeaponSort = WeaponSort.SERIAL,
    descending: bool = False,
    offset: int = 0,
    limit: int | None = None,
    total: int | None = None,
) -> array[int]:
    """Ids of the weapons that pass ``flt``, in the order of ``sort`` (then by id).

    ``offset``/``limit`` give one block of them: a view over a million weapons asks for the count
    (:func:`count_weapons`) and then only for the blocks it shows. Given the ``total``, a block in the
    second half is read backwards from the end, so the last rows cost no more than the first ones.
    """
    authorize(db, actor, Permission.VIEW)
    if limit is not None and total is not None and offset > total // 2:
        # The far end of a long list: read it backwards from the end, which costs what the start costs.
        start = max(0, total - offset - limit)
        back = weapon_ids(db, actor, flt, sort, not descending, start, min(limit, total - offset))
        back.reverse()
        return back
    with db.read_connection() as connection:
        source, order_sql, params = _ids_sql(connection, actor, flt, sort, descending)
        sql = f"SELECT w.id {source} ORDER BY {order_sql}"
        if limit is not None:
            sql += " LIMIT :limit OFFSET :offset"
            params.update(limit=int(limit), offset=int(offset))
        return _fetch_ids(connection, sql, params)


def first_weapon_ids(
    db: Database,
    actor: Actor,
    flt: WeaponFilter,
    sort: WeaponSort,
    descending: bool,
    limit: int,
) -> tuple[array[int], int | None]:
    """The first ``limit`` ids in order and how many weapons pass ``flt`` — known when fewer than ``limit``
    pass, None otherwise (:func:`count_weapons` counts them; the window does it after painting these)."""
    authorize(db, actor, Permission.VIEW)
    with db.read_connection() as connection:
        source, order_sql, params = _ids_sql(connection, actor, flt, sort, descending)
        params.update(limit=int(limit), offset=0)
        ids = _fetch_ids(
            connection, f"SELECT w.id {source} ORDER BY {order_sql} LIMIT :limit OFFSET :offset", params
        )
    return ids, (len(ids) if len(ids) < limit else None)


def weapon_position(
    db: Database,
    actor: Actor,
    flt: WeaponFilter,
    sort: WeaponSort,
    descending: bool,
    weapon_id: int,
) -> int | None:
    """The row (from 0) of ``weapon_id`` among the weapons that pass ``flt`` in ``sort`` order, if there."""
    authorize(db, actor, Permission.VIEW)
    if sort in (WeaponSort.SERIAL, WeaponSort.ID):
        return _position_by_key(db, actor, flt, sort, descending, weapon_id)
    with db.read_connection() as connection:
        source, order_sql, params = _ids_sql(connection, actor, flt, sort, descending)
        params["wanted"] = int(weapon_id)
        sql = (
            f"SELECT n FROM (SELECT w.id AS id, ROW_NUMBER() OVER (ORDER BY {order_sql}) AS n {source}) "
            "AS ranked WHERE ranked.id = :wanted"
        )
        found = connection.execute(text(sql), params).scalar()
    return None if found is None else int(found) - 1


def _position_by_key(
    db: Database, actor: Actor, flt: WeaponFilter, sort: WeaponSort, descending: bool, weapon_id: int
) -> int | None:
    """Position in a serial or id order: count the rows before the weapon (walks an index, no ranking)."""
    params: dict[str, Any] = {"wanted": int(weapon_id)}
    with db.read_connection() as connection:
        source, conditions, _search = _from_clause(connection, actor, flt, params)
        where = " AND ".join(conditions) if conditions else "1 = 1"
        found = connection.execute(
            text(f"SELECT w.serial_key FROM {source} WHERE {where} AND w.id = :wanted"), params
        ).first()
        if found is None:
            return None
        params["key"] = found[0]
        before = "<" if not descending else ">"
        if sort is WeaponSort.ID:
            condition = f"w.id {before} :wanted"
        else:
            condition = f"(w.serial_key {before} :key OR (w.serial_key = :key AND w.id {before} :wanted))"
        count = connection.execute(
            text(f"SELECT count(*) FROM {source} WHERE {where} AND {condition}"), params
        )
        return int(count.scalar() or 0)


def count_weapons(db: Database, actor: Actor, flt: WeaponFilter = WeaponFilter()) -> int:
    """How many weapons pass ``flt``."""
    authorize(db, actor, Permission.VIEW)
    params: dict[str, Any] = {}
    with db.read_connection() as connection:
        source, conditions, _search = _from_clause(connection, actor, flt, params)
        where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
        value = connection.execute(text(f"SELECT count(*) FROM {source}{where}"), params)
        return int(value.scalar() or 0)


_ROW_SQL = """
SELECT w.id, w.serial, t.manufacturer, t.model, t.category, t.calibre, w.register, f.code, r.code, w.slot,
       p.rank, p.surname, p.given_names, w.whereabouts, w.condition
FROM weapons w
JOIN item_types t ON t.id = w.item_type_id
JOIN facilities f ON f.id = w.facility_id
LEFT JOIN racks r ON r.id = w.rack_id
LEFT JOIN people p ON p.id = w.holder_id
WHERE w.id IN ({ids})
"""


def _person_name(rank: str | None, surname: str | None, given: str | None) -> str:
    if not surname:
        return ""
    return " ".join(part for part in (rank or "", surname.upper(), given or "") if part)


def weapon_rows(db: Database, actor: Actor, ids: Sequence[int]) -> dict[int, WeaponRow]:
    """The table rows of these weapons, by id (ids the actor may not see are left out)."""
    authorize(db, actor, Permission.VIEW)
    if not ids:
        return {}
    id_list = ",".join(str(int(i)) for i in ids)
    sql = _ROW_SQL.format(ids=id_list)
    if actor.facility_ids is not None:
        sql += " AND w.facility_id IN ({})".format(
            ",".join(str(int(i)) for i in actor.facility_ids) or "NULL"
        )
    out: dict[int, WeaponRow] = {}
    with db.read_connection() as connection:
        for r in plain_rows(connection, sql):
            out[r[0]] = WeaponRow(
                id=r[0],
                serial=r[1],
                item_type=f"{r[2]} {r[3]}",
                category=_CATEGORIES[r[4]],
                calibre=r[5],
                register=_REGISTERS[r[6]],
                facility_code=r[7],
                rack_code=r[8] or "",
                slot=r[9],
                holder=_person_name(r[10], r[11], r[12]),
                whereabouts=_WHEREABOUTS[r[13]],
                condition=_CONDITIONS[r[14]],
            )
    return out


# --- the location tree ----------------------------------------------------------------------------------


def location_tree(db: Database, actor: Actor, include_inactive: bool = False) -> list[LocationNode]:
    """Facilities, then their areas, then their racks, each with its number of weapons.

    The weapon counts come from one grouped query (by facility and rack); areas add up their racks.
    A facility's number also counts its weapons that are on no rack (on issue, in transit, at repair).
    """
    authorize(db, actor, Permission.VIEW)
    visible = actor.facility_ids
    nodes: list[LocationNode] = []
    with db.read_connection() as connection:
        by_rack: dict[int, int] = {}
        by_facility: dict[int, int] = {}
        counts = connection.exec_driver_sql(
            f"SELECT facility_id, rack_id, count(*) FROM weapons WHERE whereabouts NOT IN {_TERMINAL} "
            "GROUP BY facility_id, rack_id"
        )
        for facility_id, rack_id, n in counts:
            by_facility[facility_id] = by_facility.get(facility_id, 0) + n
            if rack_id is not None:
                by_rack[rack_id] = by_rack.get(rack_id, 0) + n
        active = "" if include_inactive else " WHERE active = :yes"
        params = {} if include_inactive else {"yes": True}
        facilities = connection.execute(
            text(f"SELECT id, code, name, active FROM facilities{active} ORDER BY code"), params
        ).all()
        areas = connection.execute(
            text(f"SELECT id, facility_id, code, name, active FROM storage_areas{active} ORDER BY code"),
            params,
        ).all()
        racks = connection.execute(
            text(f"SELECT id, area_id, code, name, active FROM racks{active} ORDER BY code"), params
        ).all()
    area_counts: dict[int, int] = {}
    for rack_id, area_id, *_rest in racks:
        area_counts[area_id] = area_counts.get(area_id, 0) + by_rack.get(rack_id, 0)
    shown_areas: set[int] = set()
    for fid, code, name, is_active in facilities:
        if visible is not None and fid not in visible:
            continue
        nodes.append(
            LocationNode(NodeKind.FACILITY, fid, None, code, name, by_facility.get(fid, 0), bool(is_active))
        )
    shown_facilities = {n.id for n in nodes}
    for aid, fid, code, name, is_active in areas:
        if fid in shown_facilities:
            shown_areas.add(aid)
            nodes.append(
                LocationNode(NodeKind.AREA, aid, fid, code, name, area_counts.get(aid, 0), bool(is_active))
            )
    for rid, aid, code, name, is_active in racks:
        if aid in shown_areas:
            nodes.append(
                LocationNode(NodeKind.RACK, rid, aid, code, name, by_rack.get(rid, 0), bool(is_active))
            )
    return nodes


# --- the roster -----------------------------------------------------------------------------------------


def person_ids(db: Database, actor: Actor, search: str = "", include_inactive: bool = False) -> array[int]:
    """Ids of the people on the roster matching ``search`` (service number or name), by surname."""
    authorize(db, actor, Permission.VIEW)
    params: dict[str, Any] = {}
    conditions: list[str] = []
    if not include_inactive:
        conditions.append("p.active = :yes")
        params["yes"] = True
    query = search.strip()
    if query:
        params["like"] = _like_pattern(query)
        op = "ILIKE" if db.dialect == "postgresql" else "LIKE"
        conditions.append(
            f"(p.service_number {op} :like ESCAPE '\\' OR p.surname {op} :like ESCAPE '\\'"
            f" OR p.given_names {op} :like ESCAPE '\\')"
        )
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    sql = f"SELECT p.id FROM people p{where} ORDER BY p.surname, p.given_names, p.id"
    with db.read_connection() as connection:
        return _fetch_ids(connection, sql, params)


def person_rows(db: Database, actor: Actor, ids: Iterable[int]) -> dict[int, PersonRow]:
    authorize(db, actor, Permission.VIEW)
    id_list = ",".join(str(int(i)) for i in ids)
    if not id_list:
        return {}
    sql = f"""
        SELECT p.id, p.service_number, p.rank, p.surname, p.given_names, u.code, p.active,
               (SELECT count(*) FROM weapons w WHERE w.holder_id = p.id AND w.whereabouts = 'issued')
        FROM people p LEFT JOIN units u ON u.id = p.unit_id
        WHERE p.id IN ({id_list})
    """
    with db.read_connection() as connection:
        rows = connection.exec_driver_sql(sql).all()
    return {r[0]: PersonRow(r[0], r[1], r[2], r[3], r[4], r[5] or "", int(r[7]), bool(r[6])) for r in rows}
