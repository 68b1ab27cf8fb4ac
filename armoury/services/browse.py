"""Queries behind the main window's tables: paged, sorted, filtered and searched in SQL.

A table never loads its rows in one go. :func:`weapon_ids` returns only the ids of the weapons that pass a
filter, in the wanted order (a compact ``array`` of 8-byte integers: 8 MB for a million weapons); the view
then asks :func:`weapon_rows` for the few rows it paints, by id. Substring search uses the search indexes
of migration 0007 (FTS5 trigram tables on SQLite, pg_trgm on PostgreSQL); text shorter than three
characters matches the start of the normalized serial instead.

These functions are read-only and use plain SQL on the session's connection: they run on every keystroke
and every scroll, where the ORM's per-row cost would show.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from armoury.db import Database
from armoury.domain.enums import Category, Condition, Register, Whereabouts
from armoury.domain.serials import serial_key
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize

_TERMINAL = "('lost', 'stolen', 'destroyed', 'transferred_out')"
_FETCH_CHUNK = 20_000


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


def _search_hits(dialect: str, raw: str, params: dict[str, Any]) -> str:
    """A subquery giving the ids of the weapons that match the search text ("" when there is none).

    It is one UNION of small id sets (serial hits; weapons of matching item types; weapons held by matching
    people), so the database starts from the hits instead of walking the whole table in display order.
    """
    query = raw.strip()
    key = serial_key(query)
    if not query:
        return ""
    if dialect == "sqlite":
        if len(query) >= 3:
            terms = [_fts_phrase(query)]
            if key and len(key) >= 3 and key != query.lower():
                terms.append(_fts_phrase(key))
            params["match"] = " OR ".join(terms)
            return (
                "SELECT rowid AS id FROM search_weapons WHERE search_weapons MATCH :match"
                " UNION SELECT id FROM weapons WHERE item_type_id IN"
                " (SELECT rowid FROM search_item_types WHERE search_item_types MATCH :match)"
                " UNION SELECT id FROM weapons WHERE holder_id IN"
                " (SELECT rowid FROM search_people WHERE search_people MATCH :match)"
            )
        # Too short for trigrams: the serial starts with it, or a make or model contains it.
        params["key_lo"] = key
        params["key_hi"] = key + "\U0010ffff"
        params["like"] = _like_pattern(query)
        return (
            "SELECT id FROM weapons WHERE serial_key >= :key_lo AND serial_key < :key_hi"
            " UNION SELECT id FROM weapons WHERE item_type_id IN (SELECT id FROM item_types"
            " WHERE manufacturer LIKE :like ESCAPE '\\' OR model LIKE :like ESCAPE '\\')"
        )
    params["like"] = _like_pattern(query)
    params["key_like"] = _like_pattern(key or query)
    return (
        "SELECT id FROM weapons WHERE serial ILIKE :like ESCAPE '\\'"
        " UNION SELECT id FROM weapons WHERE serial_key LIKE :key_like ESCAPE '\\'"
        " UNION SELECT id FROM weapons WHERE item_type_id IN (SELECT id FROM item_types"
        " WHERE (manufacturer || ' ' || model) ILIKE :like ESCAPE '\\')"
        " UNION SELECT id FROM weapons WHERE holder_id IN (SELECT id FROM people"
        " WHERE (service_number || ' ' || surname || ' ' || given_names) ILIKE :like ESCAPE '\\')"
    )


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
    dialect: str, actor: Actor, flt: WeaponFilter, params: dict[str, Any]
) -> tuple[str, list[str]]:
    """The FROM clause (driven by the search hits when there is a search) and the other conditions."""
    conditions, joins = _where(dialect, actor, flt, params)
    hits = _search_hits(dialect, flt.text, params)
    if hits:
        # CROSS JOIN makes SQLite loop over the hits first; PostgreSQL plans it as an ordinary join.
        return f"({hits}) AS hits CROSS JOIN weapons w {joins}", ["w.id = hits.id", *conditions]
    return f"weapons w {joins}", conditions


def _ids_sql(
    db: Database, actor: Actor, flt: WeaponFilter, sort: WeaponSort, descending: bool
) -> tuple[str, str, dict[str, Any]]:
    """(FROM ... WHERE ..., ORDER BY ..., params) of the weapons that pass ``flt`` in ``sort`` order."""
    params: dict[str, Any] = {}
    source, conditions = _from_clause(db.dialect, actor, flt, params)
    sort_joins, order = _SORT_SQL[sort]
    direction = " DESC" if descending else ""
    # With a filter, a sequential scan and a sort beats walking the whole order index and visiting every
    # row at random; the unary + keeps SQLite from choosing the index walk. Without one, the index is best.
    narrow = "+" if (conditions or flt.text.strip()) and db.dialect == "sqlite" else ""
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
    source, order_sql, params = _ids_sql(db, actor, flt, sort, descending)
    sql = f"SELECT w.id {source} ORDER BY {order_sql}"
    if limit is not None and total is not None and offset > total // 2:
        # The far end of a long list: read it backwards from the end, which costs what the start costs.
        start = max(0, total - offset - limit)
        back = weapon_ids(db, actor, flt, sort, not descending, start, min(limit, total - offset))
        back.reverse()
        return back
    if limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=int(limit), offset=int(offset))
    with db.read() as session:
        return _fetch_ids(session.connection(), sql, params)


def first_weapon_ids(
    db: Database,
    actor: Actor,
    flt: WeaponFilter,
    sort: WeaponSort,
    descending: bool,
    limit: int,
) -> tuple[array[int], int]:
    """The first ``limit`` ids in order and how many weapons pass ``flt``, in one query when filtered
    (the database finds and sorts the hits once), in two when not (an index count and an index walk)."""
    unfiltered = replace(flt, text="") == WeaponFilter() and not flt.text.strip()
    if unfiltered and actor.facility_ids is None:
        return weapon_ids(db, actor, flt, sort, descending, 0, limit), count_weapons(db, actor, flt)
    authorize(db, actor, Permission.VIEW)
    source, order_sql, params = _ids_sql(db, actor, flt, sort, descending)
    params["limit"] = int(limit)
    sql = f"SELECT w.id, count(*) OVER () {source} ORDER BY {order_sql} LIMIT :limit"
    with db.read() as session:
        rows = session.connection().execute(text(sql), params).all()
    if not rows:
        return array("q"), 0
    return array("q", (r[0] for r in rows)), int(rows[0][1])


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
    source, order_sql, params = _ids_sql(db, actor, flt, sort, descending)
    params["wanted"] = int(weapon_id)
    sql = (
        f"SELECT n FROM (SELECT w.id AS id, ROW_NUMBER() OVER (ORDER BY {order_sql}) AS n {source}) AS ranked "
        "WHERE ranked.id = :wanted"
    )
    with db.read() as session:
        found = session.connection().execute(text(sql), params).scalar()
    return None if found is None else int(found) - 1


def _position_by_key(
    db: Database, actor: Actor, flt: WeaponFilter, sort: WeaponSort, descending: bool, weapon_id: int
) -> int | None:
    """Position in a serial or id order: count the rows before the weapon (walks an index, no ranking)."""
    params: dict[str, Any] = {}
    source, conditions = _from_clause(db.dialect, actor, flt, params)
    where = " AND ".join(conditions) if conditions else "1 = 1"
    params["wanted"] = int(weapon_id)
    with db.read() as session:
        connection = session.connection()
        found = connection.execute(
            text(f"SELECT w.serial_key {('FROM ' + source)} WHERE {where} AND w.id = :wanted"), params
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
    source, conditions = _from_clause(db.dialect, actor, flt, params)
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    with db.read() as session:
        value = session.connection().execute(text(f"SELECT count(*) FROM {source}{where}"), params)
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
    with db.read() as session:
        result = session.connection().exec_driver_sql(sql)
        cursor = result.cursor
        assert cursor is not None
        for r in cursor.fetchall():
            out[r[0]] = WeaponRow(
                id=r[0],
                serial=r[1],
                item_type=f"{r[2]} {r[3]}",
                category=Category(r[4]),
                calibre=r[5],
                register=Register(r[6]),
                facility_code=r[7],
                rack_code=r[8] or "",
                slot=r[9],
                holder=_person_name(r[10], r[11], r[12]),
                whereabouts=Whereabouts(r[13]),
                condition=Condition(r[14]),
            )
        result.close()
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
    with db.read() as session:
        connection = session.connection()
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
    with db.read() as session:
        return _fetch_ids(session.connection(), sql, params)


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
    with db.read() as session:
        rows = session.connection().exec_driver_sql(sql).all()
    return {r[0]: PersonRow(r[0], r[1], r[2], r[3], r[4], r[5] or "", int(r[7]), bool(r[6])) for r in rows}
