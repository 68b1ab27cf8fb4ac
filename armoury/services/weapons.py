"""Weapons: taking a new weapon on charge from the dialog, correcting its description, reading it.

A serial is kept exactly as marked; ``serial_key`` (armoury.domain.serials) is what makes two serials the
same. Two weapons of one item type with the same key are refused; a serial whose *skeleton* matches
another weapon's (O/0, I/1, S/5 ... confused) is a look-alike: :func:`check_serial` names the existing
weapon so the dialog can warn before saving, but the weapon may still be created.

Where a weapon is and its condition change only through the custody ledger; :func:`update_weapon`
changes its description, markings and photos. A new weapon is recorded in the ledger
(:func:`armoury.services.taking_on_charge.record_take_on_charge`) in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from armoury.db import Database
from armoury.domain.enums import Condition, MarkingKind, Register, Whereabouts
from armoury.domain.serials import is_valid_serial, serial_key, serial_skeleton
from armoury.errors import ConflictError, NotFoundError
from armoury.i18n import _
from armoury.models import ItemType, Marking, Rack, Weapon, WeaponPhoto
from armoury.security.permissions import Actor, Permission
from armoury.services.fields import FieldConflictError, FieldProblem, clean, raise_first
from armoury.services.guard import authorize
from armoury.services.taking_on_charge import record_take_on_charge

MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
LOOKALIKE_LIMIT = 5


@dataclass(frozen=True)
class MarkingData:
    kind: MarkingKind
    transcription: str
    position: str = ""
    import_country: str = ""
    import_year: int | None = None


@dataclass(frozen=True)
class PhotoData:
    data: bytes
    caption: str = ""
    media_type: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class WeaponData:
    """What the weapon dialog collects. ``rack_id``/``slot``/``condition`` are used only on creation."""

    item_type_id: int
    serial: str
    rack_id: int | None = None
    slot: int | None = None
    condition: Condition = Condition.SERVICEABLE
    year_of_manufacture: int | None = None
    register: Register = Register.NATIONAL
    contingent_country: str = ""
    contingent_unit: str = ""
    recovered_on: date | None = None
    recovered_place: str = ""
    recovered_circumstances: str = ""
    recovering_unit: str = ""
    case_reference: str = ""
    notes: str = ""
    markings: tuple[MarkingData, ...] = ()
    photos: tuple[PhotoData, ...] = ()


@dataclass(frozen=True)
class WeaponRef:
    """Enough to name a weapon in a message: "AK-47 no. 123456 (DEP-01)"."""

    id: int
    serial: str
    item_type: str
    facility_code: str

    @property
    def label(self) -> str:
        return _("{type} no. {serial} ({facility})").format(
            type=self.item_type, serial=self.serial, facility=self.facility_code
        )


@dataclass(frozen=True)
class SerialCheck:
    """What :func:`check_serial` found: a blocking duplicate, and look-alikes worth a warning."""

    serial_key: str
    duplicate: WeaponRef | None = None
    lookalikes: tuple[WeaponRef, ...] = ()

    @property
    def warning(self) -> str:
        if not self.lookalikes:
            return ""
        return _("This serial looks like that of {weapon}. Check the marking before saving.").format(
            weapon=self.lookalikes[0].label
        )


@dataclass(frozen=True)
class MarkingInfo:
    id: int
    kind: MarkingKind
    position: str
    transcription: str
    import_country: str
    import_year: int | None


@dataclass(frozen=True)
class PhotoInfo:
    id: int
    sha256: str
    media_type: str
    caption: str
    size: int


@dataclass(frozen=True)
class WeaponDetail:
    id: int
    serial: str
    serial_key: str
    item_type_id: int
    item_type: str
    category_label: str
    calibre: str
    country: str
    year_of_manufacture: int | None
    register: Register
    contingent_country: str
    contingent_unit: str
    recovered_on: date | None
    recovered_place: str
    recovered_circumstances: str
    recovering_unit: str
    case_reference: str
    facility_id: int
    facility_code: str
    whereabouts: Whereabouts
    rack_id: int | None
    rack_code: str
    slot: int | None
    holder_id: int | None
    holder: str
    condition: Condition
    notes: str
    created_at: datetime
    markings: tuple[MarkingInfo, ...] = field(default=())
    photos: tuple[PhotoInfo, ...] = field(default=())


# --- checks -------------------------------------------------------------------------------------------


def photo_media_type(data: bytes) -> str:
    """``image/jpeg`` or ``image/png`` from the file's first bytes; ``""`` for anything else."""
    for magic, media_type in PHOTO_TYPES.items():
        if data.startswith(magic):
            return media_type
    return ""


def check_weapon(data: WeaponData, creating: bool = True) -> list[FieldProblem]:
    """Problems of a weapon form, field by field (no database needed)."""
    problems: list[FieldProblem] = []
    if not clean(data.serial):
        problems.append(
            FieldProblem("serial", _("The serial number is required."), _("Copy it exactly as marked."))
        )
    elif not is_valid_serial(data.serial) or len(clean(data.serial)) > 80:
        problems.append(
            FieldProblem(
                "serial",
                _("This serial number cannot be used."),
                _("Type the letters and digits as marked (at most 80 characters)."),
            )
        )
    if creating and data.rack_id is None:
        problems.append(FieldProblem("rack", _("Choose the rack where the weapon is put.")))
    if data.slot is not None and data.slot < 1:
        problems.append(FieldProblem("slot", _("Slots are numbered from 1.")))
    year = data.year_of_manufacture
    if year is not None and not 1800 <= year <= date.today().year:
        problems.append(
            FieldProblem(
                "year", _("The year must be between 1800 and {year}.").format(year=date.today().year)
            )
        )
    if data.register is Register.CONTINGENT and not clean(data.contingent_country):
        problems.append(
            FieldProblem("contingent_country", _("A contingent-owned weapon needs its contributing country."))
        )
    if data.register is Register.RECOVERED and data.recovered_on is None:
        problems.append(FieldProblem("recovered_on", _("Give the date the weapon was recovered.")))
    if data.recovered_on is not None and data.recovered_on > date.today():
        problems.append(FieldProblem("recovered_on", _("The date of recovery cannot be in the future.")))
    for i, marking in enumerate(data.markings, start=1):
        if not clean(marking.transcription):
            problems.append(FieldProblem("markings", _("Marking {n} has no transcription.").format(n=i)))
        year = marking.import_year
        if year is not None and not 1800 <= year <= 2200:
            problems.append(FieldProblem("markings", _("Marking {n} has an impossible year.").format(n=i)))
    for i, photo in enumerate(data.photos, start=1):
        if len(photo.data) > MAX_PHOTO_BYTES:
            problems.append(
                FieldProblem(
                    "photos",
                    _("Photo {n} is larger than {mb} MB.").format(n=i, mb=MAX_PHOTO_BYTES // 1024 // 1024),
                    _("Save it again at a smaller size."),
                )
            )
        elif not photo_media_type(photo.data):
            problems.append(FieldProblem("photos", _("Photo {n} is not a JPEG or PNG picture.").format(n=i)))
    return problems


def _ref(weapon: Weapon) -> WeaponRef:
    return WeaponRef(weapon.id, weapon.serial, weapon.item_type.display_name, weapon.facility.code)


def _serial_check(session: Session, item_type_id: int, serial: str, exclude: int | None) -> SerialCheck:
    key = serial_key(serial)
    if not key:
        return SerialCheck(serial_key="")
    query = (
        select(Weapon)
        .options(selectinload(Weapon.item_type), selectinload(Weapon.facility))
        .where(Weapon.item_type_id == item_type_id, Weapon.serial_key == key)
    )
    if exclude is not None:
        query = query.where(Weapon.id != exclude)
    duplicate = session.scalar(query)
    alike_query = (
        select(Weapon)
        .options(selectinload(Weapon.item_type), selectinload(Weapon.facility))
        .where(Weapon.serial_skeleton == serial_skeleton(serial), Weapon.serial_key != key)
        .order_by(Weapon.id)
        .limit(LOOKALIKE_LIMIT)
    )
    if exclude is not None:
        alike_query = alike_query.where(Weapon.id != exclude)
    lookalikes = tuple(_ref(w) for w in session.scalars(alike_query))
    return SerialCheck(key, _ref(duplicate) if duplicate is not None else None, lookalikes)


def check_serial(
    db: Database, actor: Actor, item_type_id: int, serial: str, exclude_weapon_id: int | None = None
) -> SerialCheck:
    """Before saving: is this serial already on the books for this item type, or does it look like one?"""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        return _serial_check(session, item_type_id, serial, exclude_weapon_id)


def _duplicate_error(found: WeaponRef) -> FieldConflictError:
    return FieldConflictError(
        "serial",
        _("{weapon} is already on the books.").format(weapon=found.label),
        _("Open the existing record instead; a serial is unique for each make and model."),
    )


# --- writing ------------------------------------------------------------------------------------------


def _set_markings_and_photos(session: Session, weapon: Weapon, data: WeaponData) -> None:
    weapon.markings = [
        Marking(
            kind=m.kind,
            position=clean(m.position),
            transcription=clean(m.transcription),
            import_country=clean(m.import_country),
            import_year=m.import_year,
        )
        for m in data.markings
    ]
    existing = {p.sha256: p for p in weapon.photos}
    photos: list[WeaponPhoto] = []
    seen: set[str] = set()
    for photo in data.photos:
        digest = photo.sha256
        if digest in seen:
            continue
        seen.add(digest)
        kept = existing.get(digest)
        if kept is not None:
            kept.caption = clean(photo.caption)
            photos.append(kept)
        else:
            photos.append(
                WeaponPhoto(
                    sha256=digest,
                    media_type=photo.media_type or photo_media_type(photo.data),
                    caption=clean(photo.caption),
                    data=photo.data,
                )
            )
    weapon.photos = photos
    session.flush()


def _fill_description(weapon: Weapon, data: WeaponData) -> None:
    weapon.item_type_id = data.item_type_id
    weapon.serial = clean(data.serial)
    weapon.serial_key = serial_key(data.serial)
    weapon.serial_skeleton = serial_skeleton(data.serial)
    weapon.year_of_manufacture = data.year_of_manufacture
    weapon.register = data.register
    weapon.contingent_country = clean(data.contingent_country)
    weapon.contingent_unit = clean(data.contingent_unit)
    weapon.recovered_on = data.recovered_on
    weapon.recovered_place = clean(data.recovered_place)
    weapon.recovered_circumstances = clean(data.recovered_circumstances)
    weapon.recovering_unit = clean(data.recovering_unit)
    weapon.case_reference = clean(data.case_reference)
    weapon.notes = clean(data.notes)


def _require_item_type(session: Session, item_type_id: int) -> None:
    if session.get(ItemType, item_type_id) is None:
        raise FieldConflictError(
            "item_type",
            _("There is no item type with number {id}.").format(id=item_type_id),
            _("Choose the make and model from the catalogue."),
        )


def _check_rack_slot(session: Session, rack: Rack, slot: int | None, exclude: int | None) -> None:
    if not rack.active:
        raise FieldConflictError(
            "rack", _("The rack {code} is closed.").format(code=rack.code), _("Choose an open rack.")
        )
    if slot is None:
        return
    if rack.slots and slot > rack.slots:
        raise FieldConflictError(
            "slot",
            _("Rack {code} has only {n} slots.").format(code=rack.code, n=rack.slots),
            _("Choose a slot between 1 and {n}.").format(n=rack.slots),
        )
    query = select(Weapon).where(Weapon.rack_id == rack.id, Weapon.slot == slot)
    if exclude is not None:
        query = query.where(Weapon.id != exclude)
    taken = session.scalar(query)
    if taken is not None:
        raise FieldConflictError(
            "slot",
            _("Slot {slot} of rack {code} already holds serial {serial}.").format(
                slot=slot, code=rack.code, serial=taken.serial
            ),
            _("Choose a free slot, or leave the slot empty."),
        )


def create_weapon(db: Database, actor: Actor, data: WeaponData) -> WeaponDetail:
    """Take a new weapon on charge, in store on a rack. Refused if its serial is already on the books."""
    raise_first(check_weapon(data, creating=True))
    assert data.rack_id is not None
    with db.read() as session:
        rack = session.get(Rack, data.rack_id)
        if rack is None:
            raise FieldConflictError("rack", _("This rack no longer exists."), _("Choose another rack."))
        facility_id = rack.facility_id
    authorize(db, actor, Permission.MANAGE_WEAPONS, facility_id)

    def work(session: Session) -> int:
        _require_item_type(session, data.item_type_id)
        found = _serial_check(session, data.item_type_id, data.serial, None)
        if found.duplicate is not None:
            raise _duplicate_error(found.duplicate)
        rack = session.get(Rack, data.rack_id)
        assert rack is not None
        _check_rack_slot(session, rack, data.slot, None)
        weapon = Weapon(
            facility_id=rack.facility_id,
            whereabouts=Whereabouts.IN_STORE,
            rack_id=rack.id,
            slot=data.slot,
            condition=data.condition,
        )
        _fill_description(weapon, data)
        weapon.photos = []
        weapon.markings = []
        session.add(weapon)
        session.flush()
        _set_markings_and_photos(session, weapon, data)
        record_take_on_charge(session, actor, [weapon.id], source="dialog")
        return weapon.id

    weapon_id = db.run_write(work)
    return get_weapon(db, actor, weapon_id)


def update_weapon(db: Database, actor: Actor, weapon_id: int, data: WeaponData) -> WeaponDetail:
    """Correct a weapon's description, markings and photos (not where it is nor its condition)."""
    raise_first(check_weapon(data, creating=False))
    with db.read() as session:
        facility_id = _weapon(session, weapon_id).facility_id
    authorize(db, actor, Permission.MANAGE_WEAPONS, facility_id)

    def work(session: Session) -> None:
        weapon = _weapon(session, weapon_id)
        if weapon.whereabouts.is_terminal:
            raise ConflictError(
                _("This weapon is closed on the books ({state}); its record cannot be changed.").format(
                    state=weapon.whereabouts.label
                ),
                _("Record a correction through the custody ledger if the closing was wrong."),
            )
        _require_item_type(session, data.item_type_id)
        found = _serial_check(session, data.item_type_id, data.serial, weapon_id)
        if found.duplicate is not None:
            raise _duplicate_error(found.duplicate)
        _fill_description(weapon, data)
        _set_markings_and_photos(session, weapon, data)

    db.run_write(work)
    return get_weapon(db, actor, weapon_id)


# --- reading ------------------------------------------------------------------------------------------


def _weapon(session: Session, weapon_id: int) -> Weapon:
    weapon = session.get(Weapon, weapon_id)
    if weapon is None:
        raise NotFoundError(
            _("There is no weapon with number {id}.").format(id=weapon_id),
            _("It may have been removed by another workstation; refresh the view."),
        )
    return weapon


def get_weapon(db: Database, actor: Actor, weapon_id: int) -> WeaponDetail:
    """Everything about one weapon, for the detail panel and the dialog."""
    with db.read() as session:
        w = _weapon(session, weapon_id)
        authorize(db, actor, Permission.VIEW, w.facility_id)
        photos = session.execute(
            select(
                WeaponPhoto.id,
                WeaponPhoto.sha256,
                WeaponPhoto.media_type,
                WeaponPhoto.caption,
                WeaponPhoto.data,
            )
            .where(WeaponPhoto.weapon_id == weapon_id)
            .order_by(WeaponPhoto.id)
        ).all()
        return WeaponDetail(
            id=w.id,
            serial=w.serial,
            serial_key=w.serial_key,
            item_type_id=w.item_type_id,
            item_type=w.item_type.display_name,
            category_label=w.item_type.category.label,
            calibre=w.item_type.calibre,
            country=w.item_type.country,
            year_of_manufacture=w.year_of_manufacture,
            register=w.register,
            contingent_country=w.contingent_country,
            contingent_unit=w.contingent_unit,
            recovered_on=w.recovered_on,
            recovered_place=w.recovered_place,
            recovered_circumstances=w.recovered_circumstances,
            recovering_unit=w.recovering_unit,
            case_reference=w.case_reference,
            facility_id=w.facility_id,
            facility_code=w.facility.code,
            whereabouts=w.whereabouts,
            rack_id=w.rack_id,
            rack_code=w.rack.code if w.rack is not None else "",
            slot=w.slot,
            holder_id=w.holder_id,
            holder=w.holder.display_name if w.holder is not None else "",
            condition=w.condition,
            notes=w.notes,
            created_at=w.created_at,
            markings=tuple(
                MarkingInfo(m.id, m.kind, m.position, m.transcription, m.import_country, m.import_year)
                for m in w.markings
            ),
            photos=tuple(PhotoInfo(p.id, p.sha256, p.media_type, p.caption, len(p.data)) for p in photos),
        )


def get_photo(db: Database, actor: Actor, photo_id: int) -> PhotoData:
    """The bytes of one photo (loaded only when shown)."""
    with db.read() as session:
        photo = session.get(WeaponPhoto, photo_id)
        if photo is None:
            raise NotFoundError(_("This photo no longer exists."), _("Refresh the view."))
        authorize(db, actor, Permission.VIEW, photo.weapon.facility_id)
        return PhotoData(photo.data, photo.caption, photo.media_type)


def find_weapons_by_serial(db: Database, actor: Actor, serial: str) -> list[WeaponRef]:
    """Weapons (of any item type) whose serial is the same as ``serial`` once normalized."""
    authorize(db, actor, Permission.VIEW)
    key = serial_key(serial)
    if not key:
        return []
    with db.read() as session:
        query = (
            select(Weapon)
            .options(selectinload(Weapon.item_type), selectinload(Weapon.facility))
            .where(Weapon.serial_key == key)
            .order_by(Weapon.id)
            .limit(20)
        )
        if actor.facility_ids is not None:
            query = query.where(Weapon.facility_id.in_(actor.facility_ids))
        return [_ref(w) for w in session.scalars(query)]
