"""From scanned label text to the record it was printed for.

Other parts of Armoury (the main window's scanner path, ``armoury lookup``, counts, the counter screens)
call exactly :func:`resolve`. It never guesses: the text is a valid label of this depot for an existing
record, or one of three clear errors (unreadable, other depot, record not found).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.errors import DatabaseError, NotFoundError
from armoury.i18n import _
from armoury.labels.payload import (
    LabelKind,
    NotALabelError,
    decode_for_depot,
    depot_code_from_identity,
    looks_like_label,
)
from armoury.models import Base, Facility, ItemType, Person, Rack, Setting, StorageArea, Weapon

DEPOT_ID_KEY = "depot.id"


@dataclass(frozen=True)
class LabelTarget:
    """The record a label stands for, with a line of text to show the user."""

    kind: LabelKind
    record_id: int
    display: str
    facility_id: int | None = None


def depot_identity_in(session: Session) -> str:
    """The depot's identity (UUID hex), created by ``armoury init`` in the setting ``depot.id``."""
    raw = session.scalar(select(Setting.value).where(Setting.key == DEPOT_ID_KEY))
    if raw is None:
        raise DatabaseError(
            _("This database has no depot identity, so its labels cannot be checked."),
            _("Run 'armoury init' on it once; nothing else is changed."),
        )
    value = json.loads(raw)
    return str(value)


def depot_code_in(session: Session) -> str:
    """The 4-character depot code printed in this database's labels."""
    return depot_code_from_identity(depot_identity_in(session))


def depot_code(db: Database) -> str:
    with db.read() as session:
        return depot_code_in(session)


def resolve(db: Database, text: str) -> LabelTarget:
    """The record that label text ``text`` was printed for in this depot.

    Raises :class:`~armoury.labels.payload.UnreadableLabelError` (a damaged or mistyped label) or
    :class:`~armoury.labels.payload.ForeignLabelError` (another depot's label) — both ValidationErrors —
    or :class:`NotFoundError` (the record no longer exists). Text that is not meant as a label at all
    (see :func:`~armoury.labels.payload.looks_like_label`) raises
    :class:`~armoury.labels.payload.NotALabelError`, a NotFoundError, so callers can fall back to
    serial numbers.
    """
    with db.read() as session:
        return resolve_in(session, text)


def resolve_in(session: Session, text: str) -> LabelTarget:
    """:func:`resolve` inside a unit of work the caller already holds."""
    if not looks_like_label(text):
        raise NotALabelError(
            _("{text} is not an Armoury label.").format(text=text.strip()[:40]),
            _("Look it up as a serial number, rack code or service number instead."),
        )
    code = decode_for_depot(text, depot_code_in(session))
    target = _LOOKUPS[code.kind](session, code.record_id)
    if target is None:
        raise NotFoundError(
            _("This label is for a {kind} (number {number}) that is not in the records.").format(
                kind=code.kind.label.lower(), number=code.record_id
            ),
            _("The record may have been removed from this database; check the label's text or reprint it."),
        )
    return target


def _weapon(session: Session, record_id: int) -> LabelTarget | None:
    row = session.execute(
        select(Weapon.serial, Weapon.facility_id, ItemType.manufacturer, ItemType.model)
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .where(Weapon.id == record_id)
    ).first()
    if row is None:
        return None
    serial, facility_id, manufacturer, model = row
    display = _("{make} {model}, serial {serial}").format(make=manufacturer, model=model, serial=serial)
    return LabelTarget(LabelKind.WEAPON, record_id, display, facility_id)


def _rack(session: Session, record_id: int) -> LabelTarget | None:
    row = session.execute(
        select(Rack.code, Rack.name, Rack.facility_id, Facility.code)
        .join(Facility, Facility.id == Rack.facility_id)
        .where(Rack.id == record_id)
    ).first()
    if row is None:
        return None
    code, name, facility_id, facility = row
    display = _("Rack {code} {name} ({facility})").format(code=code, name=name, facility=facility)
    return LabelTarget(LabelKind.RACK, record_id, " ".join(display.split()), facility_id)


def _area(session: Session, record_id: int) -> LabelTarget | None:
    row = session.execute(
        select(StorageArea.code, StorageArea.name, StorageArea.facility_id, Facility.code)
        .join(Facility, Facility.id == StorageArea.facility_id)
        .where(StorageArea.id == record_id)
    ).first()
    if row is None:
        return None
    code, name, facility_id, facility = row
    display = _("Storage area {code} {name} ({facility})").format(code=code, name=name, facility=facility)
    return LabelTarget(LabelKind.AREA, record_id, display, facility_id)


def _facility(session: Session, record_id: int) -> LabelTarget | None:
    row = session.execute(select(Facility.code, Facility.name).where(Facility.id == record_id)).first()
    if row is None:
        return None
    display = _("Facility {code} {name}").format(code=row[0], name=row[1])
    return LabelTarget(LabelKind.FACILITY, record_id, display, record_id)


def _person(session: Session, record_id: int) -> LabelTarget | None:
    person = session.get(Person, record_id)
    if person is None:
        return None
    display = _("{name}, service number {number}").format(
        name=person.display_name, number=person.service_number
    )
    return LabelTarget(LabelKind.PERSON, record_id, display, None)


def key_table() -> Table | None:
    """The key register's table, when this version of Armoury has one (``keys``)."""
    return Base.metadata.tables.get("keys")


def _key(session: Session, record_id: int) -> LabelTarget | None:
    table = key_table()
    if table is None:
        return None
    row = session.execute(select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        return None
    name = next((str(row[c]) for c in ("number", "code", "name", "label") if row.get(c)), "")
    facility = row.get("facility_id")
    display = _("Key {name}").format(name=name or record_id)
    return LabelTarget(LabelKind.KEY, record_id, display, int(facility) if facility else None)


_LOOKUPS = {
    LabelKind.WEAPON: _weapon,
    LabelKind.RACK: _rack,
    LabelKind.AREA: _area,
    LabelKind.FACILITY: _facility,
    LabelKind.PERSON: _person,
    LabelKind.KEY: _key,
}
