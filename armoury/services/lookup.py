"""Finding a weapon from what the user has in hand: its serial (typed any way) or a scanned label.

A serial is matched through its normalized key, so ``ak-47 123 456`` finds ``AK47123456``; serials are
unique per item type only, so one text can find several weapons of different types, and all are returned.
When no serial matches and the text is a label's content, the label resolver (armoury.labels.resolver)
says which record it was printed for: a weapon label gives the weapon, any other label (rack, person...)
what it names.

Looking up only reads. With an acting user it is checked (``VIEW``) and limited to the user's facilities;
without one (the command line's ``armoury lookup`` with no ``--user``) it is allowed, like reading the
label on the weapon itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, select

from armoury.db import Database
from armoury.domain.serials import serial_key
from armoury.errors import NotFoundError
from armoury.i18n import _
from armoury.labels.payload import LabelKind, looks_like_label
from armoury.labels.resolver import LabelTarget, resolve
from armoury.models import Facility, ItemType, Person, Rack, Weapon
from armoury.security.permissions import Actor, Permission
from armoury.services.guard import authorize


@dataclass(frozen=True)
class WeaponMatch:
    id: int
    serial: str
    item_type: str
    category: str
    calibre: str
    facility_code: str
    facility_name: str
    rack_code: str
    slot: int | None
    whereabouts: str
    condition: str
    register: str
    holder: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LookupResult:
    query: str
    matched_by: str  # "serial" or "label"
    weapons: tuple[WeaponMatch, ...]
    label_kind: str = ""  # for a label: weapon, rack, area, facility, person, key
    label_text: str = ""  # for a label: what it names, in words

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matched_by": self.matched_by,
            "label_kind": self.label_kind,
            "label_text": self.label_text,
            "weapons": [w.as_dict() for w in self.weapons],
        }


def _select() -> Any:
    return (
        select(
            Weapon.id,
            Weapon.serial,
            ItemType.manufacturer,
            ItemType.model,
            ItemType.category,
            ItemType.calibre,
            Facility.code,
            Facility.name,
            Rack.code,
            Weapon.slot,
            Weapon.whereabouts,
            Weapon.condition,
            Weapon.register,
            Person.rank,
            Person.surname,
            Person.given_names,
            Weapon.facility_id,
        )
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .join(Facility, Facility.id == Weapon.facility_id)
        .outerjoin(Rack, Rack.id == Weapon.rack_id)
        .outerjoin(Person, Person.id == Weapon.holder_id)
        .order_by(ItemType.manufacturer, ItemType.model, Weapon.id)
    )


@cache
def _by_serial_key() -> Any:
    """The lookup by normalized serial, built once: a scan at the counter runs it every time."""
    return _select().where(Weapon.serial_key == bindparam("key"))


def _matches(
    connection: Connection, query: Any, actor: Actor | None, **params: Any
) -> tuple[WeaponMatch, ...]:
    found = []
    for row in connection.execute(query, params):
        if actor is not None and not actor.can(Permission.VIEW, row[16]):
            continue
        holder = " ".join(p for p in (row[13], (row[14] or "").upper(), row[15]) if p)
        found.append(
            WeaponMatch(
                id=row[0],
                serial=row[1],
                item_type=f"{row[2]} {row[3]}",
                category=row[4].label,
                calibre=row[5],
                facility_code=row[6],
                facility_name=row[7],
                rack_code=row[8] or "",
                slot=row[9],
                whereabouts=row[10].label,
                condition=row[11].label,
                register=row[12].label,
                holder=holder,
            )
        )
    return tuple(found)


def weapons_by_id(db: Database, actor: Actor | None, weapon_ids: Iterable[int]) -> tuple[WeaponMatch, ...]:
    ids = list(weapon_ids)
    if actor is not None:
        authorize(db, actor, Permission.VIEW)
    with db.read_connection() as connection:
        return _matches(connection, _select().where(Weapon.id.in_(ids)), actor)


def lookup(db: Database, actor: Actor | None, text: str) -> LookupResult:
    """The weapons a serial or a label's content names. Raises :class:`NotFoundError` when none."""
    if actor is not None:
        authorize(db, actor, Permission.VIEW)
    query_text = text.strip()
    key = serial_key(query_text)
    if key:
        with db.read_connection() as connection:
            found = _matches(connection, _by_serial_key(), actor, key=key)
        if found:
            return LookupResult(query_text, "serial", found)
    target = _resolve_label(db, query_text)
    if target is not None:
        if actor is not None and target.facility_id is not None:
            authorize(db, actor, Permission.VIEW, target.facility_id)
        found = weapons_by_id(db, actor, [target.record_id]) if target.kind is LabelKind.WEAPON else ()
        return LookupResult(query_text, "label", found, target.kind.name.lower(), target.display)
    raise NotFoundError(
        _("No weapon has the serial or label {text}.").format(text=query_text),
        _("Check the characters (0/O, 1/I) or scan the label again."),
    )


def _resolve_label(db: Database, text: str) -> LabelTarget | None:
    """The record a scanned label names, or None when the text is not a label at all.

    A damaged label or another depot's label raises the resolver's own clear error.
    """
    if not looks_like_label(text):
        return None
    return resolve(db, text)
